//! `jackin auth sync SELECTOR`: re-provision a running instance from the
//! host now, without a restart (SPEC §7, §9).

use super::image_user::image_user;
use super::provision::{deliver, plan_in_home, refused, AgentReport};
use super::select::select;
use super::target::{self, Target};
use super::Store;
use crate::config::Config;
use crate::engine::Engine;
use crate::env::HostEnv;
use anyhow::{bail, Context, Result};

/// Result of one re-provisioning.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Synced {
    pub id: String,
    pub summary: String,
    pub notes: Vec<String>,
    pub report: Vec<AgentReport>,
}

/// Re-provisions the selected running instance(s) under the current config
/// and host logins.
pub async fn auth_sync(
    engine: &dyn Engine,
    store: &Store,
    mut cfg: Config,
    selector: &str,
    all: bool,
    host_env: &HostEnv,
) -> Result<Vec<Synced>> {
    target::with_builtin_roles(&mut cfg);
    let mut out = Vec::new();
    for f in select(engine, store, Some(selector), all).await? {
        let Some(c) = f.container.as_ref().filter(|c| c.running) else {
            bail!(
                "instance {} is not running ({}): start it with '{}'",
                f.instance.id,
                f.state(),
                f.load_command()
            );
        };
        let target = Target::from_key(&cfg, &f.instance.workspace)?;
        let role = cfg.roles.get(&f.instance.role).with_context(|| {
            format!(
                "role '{}' of instance {} is no longer configured",
                f.instance.role, f.instance.id
            )
        })?;
        let image = engine.image_inspect(&c.image).await?.with_context(|| {
            format!("image '{}' of instance {} is gone", c.image, f.instance.id)
        })?;
        let _ = role;
        let user = image_user(engine, &c.image, &image.id, image.user.as_deref(), store).await?;
        let plan = plan_in_home(&cfg, &target, &f.instance.role, host_env, Some(&user.home))
            .map_err(refused)?;
        let report = deliver(engine, &c.id, &plan, &user.name).await?;
        out.push(Synced {
            id: f.instance.id.clone(),
            summary: plan.summary(),
            notes: plan.notes(),
            report,
        });
    }
    Ok(out)
}
