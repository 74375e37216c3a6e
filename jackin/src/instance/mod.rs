//! Instances (`shared/SPEC.md` §9): the index of (workspace, role) →
//! id/container/volume, and one file per lifecycle verb: [`load`],
//! [`hardline`], [`auth_sync`], [`ps`], [`eject`] (with purge).

pub mod auth_sync;
pub mod eject;
pub mod handoff;
pub mod hardline;
pub mod image_build;
pub mod image_user;
pub mod index;
pub mod init_bin;
pub mod leftovers;
pub mod load;
pub mod provision;
pub mod ps;
pub mod select;
pub mod target;

pub use index::{data_dir, Instance, Store};

use std::collections::BTreeMap;

/// Label holding the instance id.
pub const LABEL_INSTANCE: &str = "io.jackin.instance";
/// Label holding the role name.
pub const LABEL_ROLE: &str = "io.jackin.role";
/// Label holding the workspace key (name or `dir:<path>`).
pub const LABEL_WORKSPACE: &str = "io.jackin.workspace";
/// Label holding the role's agents, comma-separated.
pub const LABEL_AGENTS: &str = "io.jackin.agents";

/// The command that attaches to instance `id` on `engine` (`podman` or
/// `docker`): `jackin hardline ID`, with `--engine docker` for Docker,
/// since without `--engine` jackin looks at Podman first.
pub fn hardline_command(id: &str, engine: &str) -> String {
    match engine {
        "docker" => format!("jackin hardline {id} --engine docker"),
        _ => format!("jackin hardline {id}"),
    }
}

/// The `io.jackin.*` labels of an instance's container and volume.
pub fn labels(inst: &Instance, agents: &[String]) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_INSTANCE.to_string(), inst.id.clone()),
        (LABEL_ROLE.to_string(), inst.role.clone()),
        (LABEL_WORKSPACE.to_string(), inst.workspace.clone()),
        (LABEL_AGENTS.to_string(), agents.join(",")),
    ])
}
