//! The command line: clap definitions and dispatch.
//!
//! Each command group lives in its own module with an `Args` struct and a
//! `run(args, &Ctx)` function. Adding a command (`load`, `hardline`, `ps`,
//! …) is one variant in [`Command`] plus one module; [`Command::run`] is the
//! only match to extend.

pub mod config_cmd;
pub mod console_cmd;
pub mod engine_args;
pub mod hardline_cmd;
pub mod instance_cmd;
pub mod load_cmd;
pub mod ops;
pub mod output;
pub mod role_cmd;
pub mod workspace_cmd;

use crate::config::ConfigError;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  jackin role add agent-smith --image localhost/jackin/agent-smith:latest \\
      --agent claude --agent codex
  jackin workspace create my-app --workdir ~/src/my-app
  jackin config auth set api_key --agent codex
  jackin workspace auth set my-app ignore --agent claude --role agent-smith
  jackin config auth show --workspace my-app --role agent-smith

Configuration: $JACKIN_CONFIG_DIR/config.toml (default ~/.config/jackin/config.toml).
Exit codes: 0 success, 1 failure, 2 usage error.";

/// jackin: run AI coding agents (Claude Code, Codex, Amp, OpenCode) in
/// Podman or Docker containers, already logged in with the operator's host
/// logins, under a per-workspace, per-role, per-agent policy.
#[derive(Debug, Parser)]
#[command(name = "jackin", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    /// Print debug traces to stderr (references and scopes only, never secrets).
    #[arg(long, global = true)]
    pub debug: bool,
    /// Print only errors and warnings.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Global settings: auth modes, source folders, operator env.
    Config(config_cmd::ConfigArgs),
    /// Saved workspaces: mounts, workdir, and their auth and env overrides.
    Workspace(workspace_cmd::WorkspaceArgs),
    /// Roles: an image plus the agents it runs.
    Role(role_cmd::RoleArgs),
    /// Create and start an instance, provision every agent, run one attached.
    Load(load_cmd::LoadArgs),
    /// Reattach to a running instance, or open another agent session or a shell in it.
    Hardline(hardline_cmd::HardlineArgs),
    /// Re-provision running instances from the host (`jackin auth sync`).
    Auth(instance_cmd::AuthArgs),
    /// List instances with role, workspace, agents and state.
    Ps(instance_cmd::PsArgs),
    /// Stop and remove an instance's container (keeps its home unless --purge).
    Eject(instance_cmd::EjectArgs),
    /// Delete an ejected instance's durable home and index entry.
    Purge(instance_cmd::PurgeArgs),
    /// Terminal UI: saved workspaces, their auth modes and operator env; edits are staged and saved after a diff.
    Console(console_cmd::ConsoleArgs),
}

impl Command {
    /// Runs the command.
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        match self {
            Command::Config(a) => config_cmd::run(a, ctx),
            Command::Workspace(a) => workspace_cmd::run(a, ctx),
            Command::Role(a) => role_cmd::run(a, ctx),
            Command::Load(a) => load_cmd::run(a, ctx),
            Command::Hardline(a) => hardline_cmd::run(a, ctx),
            Command::Auth(a) => instance_cmd::run_auth(a, ctx),
            Command::Ps(a) => instance_cmd::run_ps(a, ctx),
            Command::Eject(a) => instance_cmd::run_eject(a, ctx),
            Command::Purge(a) => instance_cmd::run_purge(a, ctx),
            Command::Console(a) => console_cmd::run(a, ctx),
        }
    }
}

/// What every command gets: output settings and the config file.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// `-q`: print only errors and warnings.
    pub quiet: bool,
    /// `--debug`: print references and scopes (never values).
    pub debug: bool,
    /// config.toml ([`crate::config::path`]).
    pub config_path: PathBuf,
}

impl Ctx {
    /// Prints an informational line to stdout unless `-q`.
    pub fn say(&self, line: impl AsRef<str>) {
        if !self.quiet {
            output::println(line.as_ref());
        }
    }

    /// Prints `warning: …` to stderr (shown even with `-q`).
    pub fn warn(&self, line: impl AsRef<str>) {
        eprintln!("warning: {}", line.as_ref());
    }
}

impl Cli {
    /// Runs the parsed command line against the default config path.
    pub fn run(self) -> Result<(), CliError> {
        let ctx = Ctx {
            quiet: self.quiet,
            debug: self.debug,
            config_path: crate::config::path(),
        };
        tracing::debug!(config = %ctx.config_path.display(), "config file");
        self.command.run(&ctx)
    }
}

/// Sets up tracing to stderr: `debug` for jackin with `--debug` (with
/// timestamps), else warnings only (`RUST_LOG` overrides when set), as
/// `WARN <message>` lines. Colour only on a terminal and without `NO_COLOR`.
pub fn init_tracing(debug: bool) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = if debug {
        EnvFilter::new("jackin=debug,jackin_init=debug")
    } else {
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"))
    };
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let fmt = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi);
    let _ = if debug {
        fmt.try_init()
    } else {
        fmt.without_time().try_init()
    };
}

/// A command failure: printed as `error: …` and an optional `hint: …`,
/// exiting with `code` (1 failure, 2 usage error).
#[derive(Debug)]
pub struct CliError {
    /// Process exit code: 1 failure, 2 usage error.
    pub code: u8,
    /// Printed after `error: `.
    pub message: String,
    /// Printed after `hint: ` when present.
    pub hint: Option<String>,
}

impl CliError {
    /// Exit code 1: the command was well-formed but could not be done.
    pub fn failure(message: impl Into<String>) -> CliError {
        CliError {
            code: 1,
            message: message.into(),
            hint: None,
        }
    }

    /// Exit code 2: the command line itself is wrong (a value the agent or
    /// schema refuses, a reserved name, a missing flag).
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            code: 2,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a `hint:` line.
    pub fn hint(mut self, hint: impl Into<String>) -> CliError {
        self.hint = Some(hint.into());
        self
    }

    /// Prints the error (and hint) to stderr.
    pub fn report(&self) {
        eprintln!("error: {}", self.message);
        if let Some(h) = &self.hint {
            eprintln!("hint: {h}");
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> CliError {
        CliError {
            code: 1,
            hint: e.hint(),
            message: e.to_string(),
        }
    }
}

impl From<anyhow::Error> for CliError {
    /// Exit code 1 with the whole cause chain on one line (`a: b: c`).
    fn from(e: anyhow::Error) -> CliError {
        CliError::failure(format!("{e:#}"))
    }
}
