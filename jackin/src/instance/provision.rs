//! Provisioning a running container: build the plan for its (workspace,
//! role), stream the bundle to `jackin-init receive` through an exec's
//! stdin, and check its report. Used by `auth sync`, and by `load` when the
//! socket handoff ([`super::handoff`]) is not available.

use super::init_bin::CONTAINER_PATH;
use super::target::Target;
use crate::bundle;
use crate::config::Config;
use crate::engine::{Engine, ExecSpec};
use crate::env::HostEnv;
use crate::plan::{self, LaunchPlan, LaunchTarget};
use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// One line of `receive`'s report (names only, never values).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct AgentReport {
    pub agent: String,
    pub mode: String,
    /// `synced`, `kept`, `revoked` or `env`.
    pub result: String,
    pub files: Vec<String>,
    pub env: Vec<String>,
}

/// Resolves the plan for `target` and `role` (SPEC §6 validation). Nothing
/// is created when this fails.
pub fn plan_for(
    cfg: &Config,
    target: &Target,
    role: &str,
    host_env: &HostEnv,
) -> Result<LaunchPlan> {
    plan_in_home(cfg, target, role, host_env, None).map_err(refused)
}

/// The plan for `target` and `role` with the container user's `home`
/// (`/home/agent`, from the image's `/etc/passwd`) when known: relocation
/// variables of the operator env (`CLAUDE_CONFIG_DIR = "~/x"` or
/// `"/home/agent/x"`) are then placed under that home and given to the
/// agents as absolute paths (no program expands a `~` in an env value).
pub fn plan_in_home(
    cfg: &Config,
    target: &Target,
    role: &str,
    host_env: &HostEnv,
    home: Option<&str>,
) -> std::result::Result<LaunchPlan, plan::LaunchError> {
    let lt = LaunchTarget {
        workspace: target.workspace.clone(),
        role: role.to_string(),
        container_home: home.map(str::to_string),
        workdir: Some(target.workdir.display().to_string()),
    };
    plan::build(cfg, &lt, host_env)
}

/// A plan error as the launch refusal (the full SPEC §6 report).
pub fn refused(e: plan::LaunchError) -> anyhow::Error {
    anyhow::Error::msg(e.to_string()).context(LaunchRefused)
}

/// Marker context: the launch was refused before anything was created; the
/// message is already the full SPEC §6 report.
#[derive(Debug, Clone, Copy)]
pub struct LaunchRefused;

impl std::fmt::Display for LaunchRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("launch refused")
    }
}

/// The bundle of `plan` for the container user `user` (in memory only).
pub fn encode(plan: &LaunchPlan, user: &str) -> Result<Vec<u8>> {
    bundle::encode(plan, Some(user.to_string())).context("cannot encode the bundle")
}

/// Streams `plan` to `jackin-init receive` in container `id` as `user`, and
/// returns the per-agent report. Errors carry receive's own message.
pub async fn deliver(
    engine: &dyn Engine,
    id: &str,
    plan: &LaunchPlan,
    user: &str,
) -> Result<Vec<AgentReport>> {
    let bytes = encode(plan, user)?;
    let out = engine
        .exec(
            id,
            &ExecSpec {
                cmd: vec![CONTAINER_PATH.into(), "receive".into()],
                user: Some("0".into()),
                stdin: Some(bytes),
                ..Default::default()
            },
        )
        .await
        .context("cannot run jackin-init receive in the container")?;
    if out.exit_code != 0 {
        let msg = String::from_utf8_lossy(&out.stderr);
        let msg = match msg.trim() {
            "" => "it printed nothing (the exec was cut off, or the container stopped); \
                   see 'jackin ps' and try again"
                .to_string(),
            m => m.to_string(),
        };
        bail!(
            "jackin-init receive failed in the container (exit {}): {msg}",
            out.exit_code
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<AgentReport>(l)
                .with_context(|| format!("unexpected line from jackin-init receive: {l}"))
        })
        .collect()
}
