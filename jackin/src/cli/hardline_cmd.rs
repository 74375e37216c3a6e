//! `jackin hardline [SELECTOR] [--new --agent A | --shell]`.

use super::engine_args::{block_on, EngineArgs};
use super::{CliError, Ctx};
use crate::instance::hardline::{hardline, Session};
use crate::instance::Store;
use clap::Args;

/// Reattach to a running instance, or start another agent session or a
/// shell in it (already logged in: it shares the instance's provisioning).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  jackin hardline                     # the only running instance\n  jackin hardline k3x9q2ab --new --agent codex\n  jackin hardline agent-smith --shell"
)]
pub struct HardlineArgs {
    /// Instance id, role name or container name (default: the only running instance).
    #[arg(value_parser = super::ops::non_empty())]
    pub selector: Option<String>,
    /// Start a new agent session instead of attaching to the main one.
    #[arg(long, requires = "agent", conflicts_with = "shell")]
    pub new: bool,
    /// Agent for --new.
    #[arg(long, requires = "new", value_parser = super::ops::agent_parser())]
    pub agent: Option<String>,
    /// Open a shell as the container user.
    #[arg(long)]
    pub shell: bool,
    /// Extra arguments for the new agent session (after `--`).
    #[arg(last = true)]
    pub args: Vec<String>,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Runs `jackin hardline`; the session's exit code becomes jackin's.
pub fn run(a: HardlineArgs, _ctx: &Ctx) -> Result<(), CliError> {
    if !a.new && !a.args.is_empty() {
        return Err(CliError::usage(format!(
            "arguments after `--` ({}) are for a new agent session: add --new --agent A",
            a.args.join(" ")
        )));
    }
    let cfg = crate::config::read()?;
    let session = match (a.new, a.shell, a.agent) {
        (true, _, Some(agent)) => Session::NewAgent {
            agent,
            args: a.args,
        },
        (_, true, _) => Session::Shell,
        _ => Session::Attach,
    };
    let kind = a.engine.kind(cfg.engine);
    let code = block_on(async {
        let engine = crate::engine::connect(kind, a.engine.host.as_deref()).await?;
        let store = Store::open_default()?;
        hardline(engine.as_ref(), &store, a.selector.as_deref(), &session).await
    })?;
    if code != 0 {
        return Err(CliError {
            code: code.clamp(1, 255) as u8,
            message: format!("the session exited with status {code}"),
            hint: None,
        });
    }
    Ok(())
}
