//! `jackin load [ROLE] [TARGET]`.

use super::engine_args::{block_on, EngineArgs};
use super::{CliError, Ctx};
use crate::instance::load::{load, LoadOptions};
use clap::Args;

const AFTER: &str = "\
Examples:
  jackin load                          # the default role in the current folder, attached
  jackin load agent-smith my-app --agent codex
  jackin load --detach --json          # start, provision, print the instance and return

Every agent of the role is provisioned under its own auth mode before the
chosen one starts; the launch stops before creating anything when a mode
needs a credential that does not resolve.

The logins reach the container through a one-shot unix socket bind-mounted
at /jackin/handoff. JACKIN_HANDOFF=exec uses an exec of `jackin-init
receive` instead (for an engine inside a VM, where a host socket cannot be
bind-mounted; jackin also falls back to it when nothing connects in 5 s).";

/// Create and start an instance, provision every agent's login, and run the
/// chosen agent attached to this terminal.
#[derive(Debug, Args)]
#[command(after_help = AFTER)]
pub struct LoadArgs {
    /// Role to run (default: the workspace's default role, else the only
    /// configured role, else the built-in agent-smith).
    #[arg(value_parser = super::ops::non_empty())]
    pub role: Option<String>,
    /// Saved workspace name or a folder (default: the saved workspace whose
    /// workdir is the current folder, else the current folder).
    #[arg(value_parser = super::ops::non_empty())]
    pub target: Option<String>,
    /// Agent to start (default: the role's default agent).
    #[arg(long, value_parser = super::ops::agent_parser())]
    pub agent: Option<String>,
    /// Start in the background and print the instance id instead of attaching.
    #[arg(short, long)]
    pub detach: bool,
    /// Start a second instance with its own id and home, even if one runs.
    #[arg(long)]
    pub new_instance: bool,
    /// Container network (e.g. `none`); default: the engine's.
    #[arg(long, env = "JACKIN_NETWORK", value_parser = super::ops::non_empty())]
    pub network: Option<String>,
    /// Rebuild the default role image (agent-smith) before launching.
    #[arg(long)]
    pub rebuild: bool,
    /// Print the result as JSON (implies --detach).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Runs `jackin load`.
pub fn run(a: LoadArgs, ctx: &Ctx) -> Result<(), CliError> {
    let cfg = crate::config::read()?;
    let cwd = std::env::current_dir()
        .map_err(|e| CliError::failure(format!("cannot read the current folder: {e}")))?;
    let opts = LoadOptions {
        role: a.role,
        target: a.target,
        agent: a.agent,
        detach: a.detach || a.json,
        new_instance: a.new_instance,
        engine: a.engine.kind(cfg.engine),
        host: a.engine.host.clone(),
        network: a.network,
        debug: ctx.debug,
        rebuild: a.rebuild,
        handoff: crate::instance::handoff::mode_from_env()
            .map_err(|e| CliError::usage(format!("{e:#}")))?,
    };
    let host_env = crate::env::host_env_snapshot();
    let detach = opts.detach;
    let quiet = ctx.quiet;
    let say = move |line: &str| {
        if !quiet {
            // Before raw mode: a plain line on the terminal.
            super::output::println(line);
        }
    };
    // Attached (not detach): load prints the summary, then runs the
    // session attached from before the start, and returns at its end.
    let loaded = block_on(async { load(cfg, &opts, &host_env, &cwd, &say).await })?;
    if !detach {
        return match loaded.exit_code {
            Some(code) if code != 0 => Err(CliError {
                code: code.clamp(1, 255) as u8,
                message: format!(
                    "the agent exited with status {code} (instance {}; see 'jackin ps', start it again with 'jackin load')",
                    loaded.id
                ),
                hint: None,
            }),
            _ => Ok(()),
        };
    }
    if a.json {
        let json = serde_json::to_string_pretty(&loaded)
            .map_err(|e| CliError::failure(format!("cannot print the result as JSON: {e}")))?;
        super::output::println(json);
    } else {
        ctx.say(&loaded.summary);
        for n in &loaded.notes {
            ctx.say(format!("note: {n}"));
        }
        ctx.say(format!(
            "started instance {} (container {}); attach with '{}'",
            loaded.id,
            loaded.container,
            crate::instance::hardline_command(&loaded.id, &loaded.engine)
        ));
    }
    Ok(())
}
