//! Flags shared by every command that talks to a container engine, and the
//! glue from async lifecycle code to the synchronous CLI.

use super::CliError;
use crate::config::EngineKind;
use clap::{Args, ValueEnum};

/// `--engine` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineFlag {
    Podman,
    Docker,
}

impl From<EngineFlag> for EngineKind {
    fn from(e: EngineFlag) -> EngineKind {
        match e {
            EngineFlag::Podman => EngineKind::Podman,
            EngineFlag::Docker => EngineKind::Docker,
        }
    }
}

/// Which engine and socket to use.
#[derive(Debug, Clone, Args)]
pub struct EngineArgs {
    /// Container engine (default: `engine` in config.toml, else the first
    /// that answers: Podman, then Docker).
    #[arg(long, value_enum, env = "JACKIN_ENGINE")]
    pub engine: Option<EngineFlag>,
    /// Engine socket, e.g. unix:///run/podman/podman.sock (default:
    /// CONTAINER_HOST / DOCKER_HOST, then the standard rootful and rootless
    /// locations).
    #[arg(long, value_name = "URL", value_parser = super::ops::non_empty())]
    pub host: Option<String>,
}

impl EngineArgs {
    /// The engine kind from the flag, else from config.
    pub fn kind(&self, cfg: Option<EngineKind>) -> Option<EngineKind> {
        self.engine.map(Into::into).or(cfg)
    }
}

/// Runs an async lifecycle operation to completion on a fresh runtime.
pub fn block_on<T>(
    fut: impl std::future::Future<Output = anyhow::Result<T>>,
) -> Result<T, CliError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(fut).map_err(from_anyhow)
}

/// An operation's error as a CLI failure (exit 1). The full cause chain is
/// kept on one line; a refused launch keeps its multi-line SPEC §6 report.
pub fn from_anyhow(e: anyhow::Error) -> CliError {
    let text = if e
        .downcast_ref::<crate::instance::provision::LaunchRefused>()
        .is_some()
    {
        e.root_cause().to_string()
    } else {
        format!("{e:#}")
    };
    let text = text.strip_prefix("error: ").unwrap_or(&text).to_string();
    CliError::failure(text)
}
