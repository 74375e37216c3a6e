//! The in-memory shape of `config.toml` (`shared/SPEC.md` §4), as read and
//! validated by [`super::load`]. Editing goes through `toml_edit` on the
//! document itself so comments and order survive; this model is read-only.

use crate::mode::Mode;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Operator env at one layer: variable name to its unresolved value
/// (`$NAME`, `${NAME}`, `op://…`, `keyring:SERVICE/ACCOUNT`, or a literal).
pub type EnvMap = BTreeMap<String, String>;

/// Which engine to talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineKind {
    Podman,
    Docker,
}

impl EngineKind {
    /// `podman` or `docker`.
    pub fn as_str(self) -> &'static str {
        match self {
            EngineKind::Podman => "podman",
            EngineKind::Docker => "docker",
        }
    }
}

/// Per-agent settings at one scope (`[claude]`, `[workspaces.W.codex]`,
/// `[workspaces.W.roles.R.amp]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentAuth {
    /// `auth_forward`: the mode chosen at this scope, if any.
    pub auth_forward: Option<Mode>,
    /// `sync_source_dir`: the agent's config folder to copy from instead of
    /// the default host folder (already `~`-expanded).
    pub sync_source_dir: Option<PathBuf>,
}

/// A role: an image plus the agents it can run (`[roles.R]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Role {
    /// Image reference (`localhost/jackin/agent-smith:latest`).
    pub image: String,
    /// Agent names, each a key of [`crate::agents::AGENTS`].
    pub agents: Vec<String>,
    /// Agent started by `load` when `--agent` is absent; defaults to the
    /// first of `agents`.
    pub default_agent: Option<String>,
    /// `[roles.R.env]`.
    pub env: EnvMap,
}

impl Role {
    /// The agent `load` starts without `--agent`.
    pub fn default_agent(&self) -> Option<&str> {
        self.default_agent
            .as_deref()
            .or_else(|| self.agents.first().map(String::as_str))
    }
}

/// One bind mount of a workspace: `src[:dst][:ro]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Absolute host path.
    pub src: PathBuf,
    /// Absolute container path (defaults to `src`).
    pub dst: PathBuf,
    pub readonly: bool,
}

/// Workspace × role overrides (`[workspaces.W.roles.R]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkspaceRole {
    /// `[workspaces.W.roles.R.<agent>]`, keyed by agent name.
    pub agents: BTreeMap<String, AgentAuth>,
    /// `[workspaces.W.roles.R.env]`.
    pub env: EnvMap,
}

/// A saved workspace (`[workspaces.W]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workspace {
    /// Container working directory (also a host path when mounted at the same place).
    pub workdir: PathBuf,
    pub mounts: Vec<Mount>,
    pub default_role: Option<String>,
    /// `[workspaces.W.<agent>]`, keyed by agent name.
    pub agents: BTreeMap<String, AgentAuth>,
    /// `[workspaces.W.env]`.
    pub env: EnvMap,
    /// `[workspaces.W.roles.R]`, keyed by role name.
    pub roles: BTreeMap<String, WorkspaceRole>,
}

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `engine = "podman" | "docker"`; `None` means auto-detect.
    pub engine: Option<EngineKind>,
    /// Global × agent tables (`[claude]`, `[codex]`, …), keyed by agent name.
    pub agents: BTreeMap<String, AgentAuth>,
    /// Global `[env]`.
    pub env: EnvMap,
    pub roles: BTreeMap<String, Role>,
    pub workspaces: BTreeMap<String, Workspace>,
}
