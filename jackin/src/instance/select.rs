//! Selecting instances: `SELECTOR` is a role name, an instance id, or a
//! container name (`shared/SPEC.md` §7). Instances come from the index and
//! from the engine's containers labelled `io.jackin.instance`.

use super::{Instance, Store, LABEL_INSTANCE, LABEL_ROLE, LABEL_WORKSPACE};
use crate::engine::{ContainerInfo, Engine};
use anyhow::{bail, Result};

/// An instance with its container, if one exists.
#[derive(Debug, Clone)]
pub struct Found {
    pub instance: Instance,
    pub container: Option<ContainerInfo>,
    /// Whether the instance is in this operator's index
    /// (`$JACKIN_DATA_DIR/instances.json`); `false` for a labelled
    /// container only the engine knows (another data folder's, or one
    /// whose index entry was lost).
    pub indexed: bool,
}

impl Found {
    /// Whether the container exists and runs.
    pub fn running(&self) -> bool {
        self.container.as_ref().is_some_and(|c| c.running)
    }

    /// The command that starts this instance again:
    /// `jackin load ROLE TARGET`, TARGET being the saved workspace or the
    /// folder (quoted when it holds spaces or quotes).
    pub fn load_command(&self) -> String {
        let target = match self.instance.workspace.strip_prefix("dir:") {
            Some(dir) if dir.contains([' ', '\'', '"']) => {
                format!("'{}'", dir.replace('\'', "'\\''"))
            }
            Some(dir) => dir.to_string(),
            None => self.instance.workspace.clone(),
        };
        format!("jackin load {} {target}", self.instance.role)
    }

    /// `running`, `exited`, … or `ejected` (no container, home kept).
    pub fn state(&self) -> String {
        self.container
            .as_ref()
            .map(|c| c.state.clone())
            .unwrap_or_else(|| "ejected".to_string())
    }
}

/// Every instance on `engine`: index entries joined with labelled
/// containers (a labelled container missing from the index is listed too).
/// Removes the leftovers of failed loads first ([`super::leftovers::sweep`]).
pub async fn all(engine: &dyn Engine, store: &Store) -> Result<Vec<Found>> {
    super::leftovers::sweep(engine, store).await?;
    let kind = engine.kind().as_str();
    let containers = engine.list_containers(&[(LABEL_INSTANCE, None)]).await?;
    let mut out: Vec<Found> = store
        .read()?
        .instances
        .into_iter()
        .filter(|i| i.engine == kind)
        .map(|i| {
            let c = containers
                .iter()
                .find(|c| c.labels.get(LABEL_INSTANCE) == Some(&i.id))
                .cloned();
            Found {
                instance: i,
                container: c,
                indexed: true,
            }
        })
        .collect();
    for c in containers {
        let id = c.labels.get(LABEL_INSTANCE).cloned().unwrap_or_default();
        if !out.iter().any(|f| f.instance.id == id) {
            out.push(Found {
                instance: Instance {
                    id,
                    role: c.labels.get(LABEL_ROLE).cloned().unwrap_or_default(),
                    workspace: c.labels.get(LABEL_WORKSPACE).cloned().unwrap_or_default(),
                    engine: kind.to_string(),
                    created: 0,
                },
                container: Some(c),
                indexed: false,
            });
        }
    }
    Ok(out)
}

/// The instances `selector` names. Without `all`, more than one match is an
/// error listing them; no match is always an error. A `None` selector
/// means "the only running instance".
///
/// A role name (and `None`) only matches instances in this operator's
/// index: on a shared engine, `jackin auth sync ROLE --all` must not push
/// this host's logins into containers another data folder made. A
/// container only the engine knows is still matched by its instance id or
/// container name, given exactly.
pub async fn select(
    engine: &dyn Engine,
    store: &Store,
    selector: Option<&str>,
    all_matches: bool,
) -> Result<Vec<Found>> {
    let every = all(engine, store).await?;
    let matches: Vec<Found> = match selector {
        Some(s) => every
            .into_iter()
            .filter(|f| {
                f.instance.id == s
                    || (f.indexed && f.instance.role == s)
                    || f.instance.container_name() == s
                    || f.container
                        .as_ref()
                        .is_some_and(|c| c.name == s || c.id.starts_with(s) && s.len() >= 12)
            })
            .collect(),
        None => every
            .into_iter()
            .filter(|f| f.indexed && f.running())
            .collect(),
    };
    let what = selector
        .map(|s| format!("'{s}'"))
        .unwrap_or_else(|| "a running instance".into());
    if matches.is_empty() {
        bail!(
            "no instance matches {what} on {} (see 'jackin ps')",
            engine.kind().as_str()
        );
    }
    if matches.len() > 1 && !all_matches {
        let list: Vec<String> = matches
            .iter()
            .map(|f| {
                format!(
                    "  {}  {}  role {}  workspace {}  {}",
                    f.instance.id,
                    f.instance.container_name(),
                    f.instance.role,
                    f.instance.workspace,
                    f.state()
                )
            })
            .collect();
        if selector.is_none() {
            bail!(
                "{} instances are running:\n{}\nname one by id",
                matches.len(),
                list.join("\n")
            );
        }
        bail!(
            "{what} matches {} instances:\n{}\nname one by id, or pass --all",
            matches.len(),
            list.join("\n")
        );
    }
    Ok(matches)
}
