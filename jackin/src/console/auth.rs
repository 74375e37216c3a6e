//! The rows of the Auth tab: per agent, the global mode (read-only), the
//! workspace mode and one row per role that runs the agent, each with the
//! effective mode, the scope that set it and, in `sync` mode, the source
//! folder. Computed from the staged configuration with [`crate::resolve`],
//! the same walk a launch uses.

use super::creds::HostEnv;
use crate::agents::{AgentSpec, AGENTS};
use crate::config::Config;
use crate::mode::Mode;
use crate::resolve::{self, Scope};
use std::path::Path;

/// Which scope a row edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowScope {
    /// `[<agent>]`: shown, never edited from the console.
    Global,
    /// `[workspaces.W.<agent>]`
    Workspace,
    /// `[workspaces.W.roles.R.<agent>]`
    Role(String),
}

impl RowScope {
    /// The role name, for role rows.
    pub fn role(&self) -> Option<&str> {
        match self {
            RowScope::Role(r) => Some(r),
            _ => None,
        }
    }
}

/// The source folder a `sync` row copies from, as the operator reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceShown {
    /// Nothing set: the agent's default host folder.
    Default(String),
    /// Set at a less specific scope.
    Inherited(String),
    /// Set at this row's scope.
    Explicit(String),
}

impl std::fmt::Display for SourceShown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceShown::Default(p) => write!(f, "default: {p}"),
            SourceShown::Inherited(p) => write!(f, "inherited: {p}"),
            SourceShown::Explicit(p) => f.write_str(p),
        }
    }
}

/// One row of the Auth tab.
#[derive(Debug, Clone)]
pub struct AuthRow {
    pub agent: &'static AgentSpec,
    pub scope: RowScope,
    /// The mode set at this row's own scope, if any.
    pub set_here: Option<Mode>,
    /// The mode a launch at this scope would use.
    pub effective: Mode,
    /// The scope that chose [`AuthRow::effective`].
    pub from: Scope,
    /// Only in `sync` mode: where the login is copied from.
    pub source: Option<SourceShown>,
    /// The resolution trace, most specific first: (scope label, value).
    pub trace: Vec<(String, Option<Mode>)>,
}

impl AuthRow {
    /// Global rows are read-only in the console.
    pub fn editable(&self) -> bool {
        self.scope != RowScope::Global
    }

    /// `global (read-only)`, `workspace`, `role agent-smith`.
    pub fn scope_label(&self) -> String {
        match &self.scope {
            RowScope::Global => "global (read-only)".into(),
            RowScope::Workspace => "workspace".into(),
            RowScope::Role(r) => format!("role {r}"),
        }
    }
}

/// Short name of the scope that set a value: `global`, `workspace`,
/// `ws × role`, `default`.
pub fn scope_short(s: &Scope) -> &'static str {
    match s {
        Scope::WorkspaceRoleAgent { .. } => "ws × role",
        Scope::WorkspaceAgent { .. } => "workspace",
        Scope::GlobalAgent => "global",
        Scope::Default => "default",
    }
}

/// Shows `p` with the home folder as `~`.
pub fn tilde(p: &Path, home: Option<&str>) -> String {
    if let Some(h) = home.filter(|h| !h.is_empty()) {
        if let Ok(rest) = p.strip_prefix(h) {
            return if rest.as_os_str().is_empty() {
                "~".into()
            } else {
                format!("~/{}", rest.display())
            };
        }
    }
    p.display().to_string()
}

/// The agent's default host folder, honouring its relocation variable in
/// `host` (`$CLAUDE_CONFIG_DIR`, `$CODEX_HOME`, `$XDG_DATA_HOME/amp`), shown with `~`.
pub fn default_dir(spec: &AgentSpec, host: &HostEnv) -> String {
    let home = host.get("HOME").map(String::as_str);
    match host.get(spec.config_dir.env).filter(|v| !v.is_empty()) {
        Some(v) => {
            let p = Path::new(v).join(spec.config_dir.env_suffix);
            tilde(&p, home)
        }
        None => format!("~/{}", spec.config_dir.default),
    }
}

/// Roles that can run in a workspace and run `agent` (every saved role is
/// usable in every workspace), sorted by name.
pub fn roles_running<'c>(cfg: &'c Config, agent: &str) -> Vec<&'c str> {
    cfg.roles
        .iter()
        .filter(|(_, r)| r.agents.iter().any(|a| a == agent))
        .map(|(n, _)| n.as_str())
        .collect()
}

/// All rows for `workspace`, agent by agent in [`AGENTS`] order.
pub fn rows(cfg: &Config, workspace: &str, host: &HostEnv) -> Vec<AuthRow> {
    let mut out = Vec::new();
    for spec in AGENTS {
        let mut scopes = vec![RowScope::Global, RowScope::Workspace];
        scopes.extend(
            roles_running(cfg, spec.name)
                .into_iter()
                .map(|r| RowScope::Role(r.into())),
        );
        for scope in scopes {
            out.push(row(cfg, workspace, spec, scope, host));
        }
    }
    out
}

fn row(
    cfg: &Config,
    workspace: &str,
    spec: &'static AgentSpec,
    scope: RowScope,
    host: &HostEnv,
) -> AuthRow {
    let (ws, role) = match &scope {
        RowScope::Global => (None, None),
        RowScope::Workspace => (Some(workspace), None),
        RowScope::Role(r) => (Some(workspace), Some(r.as_str())),
    };
    let m = resolve::mode(cfg, ws, role, spec.name);
    let set_here = m.trace.first().and_then(|s| s.value);
    let source = (m.value == Mode::Sync).then(|| source_of(cfg, ws, role, spec, host));
    AuthRow {
        agent: spec,
        scope,
        set_here,
        effective: m.value,
        trace: m
            .trace
            .iter()
            .map(|t| (t.scope.label(spec.name), t.value))
            .collect(),
        from: m.scope,
        source,
    }
}

/// Where a `sync` launch at this scope copies `spec`'s login from.
pub fn source_of(
    cfg: &Config,
    ws: Option<&str>,
    role: Option<&str>,
    spec: &AgentSpec,
    host: &HostEnv,
) -> SourceShown {
    let s = resolve::source_dir(cfg, ws, role, spec.name);
    let home = host.get("HOME").map(String::as_str);
    match (&s.value, &s.scope) {
        (None, _) => SourceShown::Default(default_dir(spec, host)),
        (Some(p), sc) if Some(sc) == s.trace.first().map(|t| &t.scope) => {
            SourceShown::Explicit(tilde(p, home))
        }
        (Some(p), _) => SourceShown::Inherited(tilde(p, home)),
    }
}
