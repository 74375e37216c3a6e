//! `jackin hardline`: reattach to a running instance, or start another
//! session in it (`--new --agent A`, `--shell`). New sessions go through
//! `jackin-init exec`, so they get the same per-agent env and user as the
//! first one (SPEC §8 step 4).

use super::init_bin::CONTAINER_PATH;
use super::select::select;
use super::Store;
use crate::agents;
use crate::engine::{Engine, ExecSpec};
use anyhow::{bail, Context, Result};

/// What to open in the instance.
#[derive(Debug, Clone)]
pub enum Session {
    /// Attach to the main agent process.
    Attach,
    /// A new session of `agent` with extra arguments.
    NewAgent { agent: String, args: Vec<String> },
    /// A login shell as the container user.
    Shell,
}

/// The argv that starts `session` inside the container (via jackin-init).
pub fn session_cmd(session: &Session) -> Result<Vec<String>> {
    let mut cmd = vec![CONTAINER_PATH.to_string(), "exec".to_string()];
    match session {
        Session::Attach => bail!("attach has no command"),
        Session::NewAgent { agent, args } => {
            let spec = agents::find(agent).with_context(|| {
                format!(
                    "unknown agent '{agent}' (known: {})",
                    agents::names().join(", ")
                )
            })?;
            cmd.extend(["--agent".to_string(), agent.clone(), "--".to_string()]);
            cmd.extend(spec.launch.iter().map(|s| s.to_string()));
            cmd.extend(args.iter().cloned());
        }
        // No command: jackin-init runs the user's own login shell (from the
        // image's /etc/passwd), not a fixed /bin/sh.
        Session::Shell => {}
    }
    Ok(cmd)
}

/// Opens `session` in the instance `selector` names (or the only running
/// one) on this terminal; returns the session's exit code.
pub async fn hardline(
    engine: &dyn Engine,
    store: &Store,
    selector: Option<&str>,
    session: &Session,
) -> Result<i64> {
    let found = select(engine, store, selector, false).await?;
    let f = &found[0];
    let Some(c) = f.container.as_ref().filter(|c| c.running) else {
        bail!(
            "instance {} is not running ({}): start it with '{}'",
            f.instance.id,
            f.state(),
            f.load_command()
        );
    };
    if let Session::NewAgent { agent, .. } = session {
        let agents = c
            .labels
            .get(super::LABEL_AGENTS)
            .cloned()
            .unwrap_or_default();
        if !agents.split(',').any(|a| a == agent) {
            bail!(
                "instance {} (role '{}') does not run '{agent}' (its agents: {agents})",
                f.instance.id,
                f.instance.role
            );
        }
    }
    // Without a terminal the session cannot end by itself (a shell waits
    // for input that never comes) and would be left in the container.
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        bail!(
            "hardline needs an interactive terminal, and its input is not one: run it from a \
             terminal (for a one-off command without one: '{} exec {} …')",
            engine.kind().as_str(),
            c.name
        );
    }
    match session {
        Session::Attach => {
            engine.attach(&c.id).await?;
            Ok(0)
        }
        other => Ok(engine
            .exec_interactive(
                &c.id,
                &ExecSpec {
                    cmd: session_cmd(other)?,
                    user: Some("0".into()),
                    ..Default::default()
                },
            )
            .await?),
    }
}
