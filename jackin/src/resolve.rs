//! Mode resolution with a trace (`shared/SPEC.md` §4, §6):
//! `(workspace × role × agent) > workspace × agent > global × agent > sync`.
//!
//! The trace lists every scope consulted, most specific first, so errors,
//! `jackin config auth show` and the launch summary can say which scope
//! chose the mode. The same walk resolves `sync_source_dir`.

use crate::config::{AgentAuth, Config};
use crate::mode::Mode;
use serde::Serialize;
use std::path::PathBuf;

/// A place a per-agent setting can be made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum Scope {
    /// `[workspaces.W.roles.R.<agent>]`
    WorkspaceRoleAgent { workspace: String, role: String },
    /// `[workspaces.W.<agent>]`
    WorkspaceAgent { workspace: String },
    /// `[<agent>]`
    GlobalAgent,
    /// Nothing set anywhere: the default (`sync`, the default host folder).
    Default,
}

impl Scope {
    /// Short label used in traces: `workspace × role × claude`,
    /// `workspace × claude`, `global × claude`, `default`.
    pub fn label(&self, agent: &str) -> String {
        match self {
            Scope::WorkspaceRoleAgent { .. } => format!("workspace × role × {agent}"),
            Scope::WorkspaceAgent { .. } => format!("workspace × {agent}"),
            Scope::GlobalAgent => format!("global × {agent}"),
            Scope::Default => "default".to_string(),
        }
    }

    /// The TOML table of this scope (`workspaces.my-app.roles.smith.claude`).
    pub fn table(&self, agent: &str) -> String {
        match self {
            Scope::WorkspaceRoleAgent { workspace, role } => {
                format!("workspaces.{workspace}.roles.{role}.{agent}")
            }
            Scope::WorkspaceAgent { workspace } => format!("workspaces.{workspace}.{agent}"),
            Scope::GlobalAgent => agent.to_string(),
            Scope::Default => "(default)".to_string(),
        }
    }
}

/// One consulted scope and what it held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceStep<T> {
    pub scope: Scope,
    /// The value set at this scope, `None` when unset.
    pub value: Option<T>,
}

/// The outcome of resolving one setting for one agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved<T> {
    /// The winning value.
    pub value: T,
    /// The scope that set it ([`Scope::Default`] when nothing did).
    pub scope: Scope,
    /// Every scope consulted, most specific first (the default is not listed).
    pub trace: Vec<TraceStep<T>>,
}

/// The scopes that apply to `agent` for a launch of `role` in `workspace`,
/// most specific first, with the table found at each.
fn scopes<'a>(
    cfg: &'a Config,
    workspace: Option<&str>,
    role: Option<&str>,
    agent: &str,
) -> Vec<(Scope, Option<&'a AgentAuth>)> {
    let mut out = Vec::new();
    if let Some(w) = workspace {
        let ws = cfg.workspaces.get(w);
        if let Some(r) = role {
            let t = ws
                .and_then(|ws| ws.roles.get(r))
                .and_then(|wr| wr.agents.get(agent));
            out.push((
                Scope::WorkspaceRoleAgent {
                    workspace: w.to_string(),
                    role: r.to_string(),
                },
                t,
            ));
        }
        out.push((
            Scope::WorkspaceAgent {
                workspace: w.to_string(),
            },
            ws.and_then(|ws| ws.agents.get(agent)),
        ));
    }
    out.push((Scope::GlobalAgent, cfg.agents.get(agent)));
    out
}

fn resolve_field<T: Clone>(
    cfg: &Config,
    workspace: Option<&str>,
    role: Option<&str>,
    agent: &str,
    get: impl Fn(&AgentAuth) -> Option<T>,
) -> (Option<(T, Scope)>, Vec<TraceStep<T>>) {
    let mut trace = Vec::new();
    let mut winner = None;
    for (scope, table) in scopes(cfg, workspace, role, agent) {
        let value = table.and_then(&get);
        if winner.is_none() {
            if let Some(v) = &value {
                winner = Some((v.clone(), scope.clone()));
            }
        }
        trace.push(TraceStep { scope, value });
    }
    (winner, trace)
}

/// Resolves `auth_forward` for `agent`. `workspace` and `role` narrow the
/// scopes consulted; without a workspace only the global scope is read.
pub fn mode(
    cfg: &Config,
    workspace: Option<&str>,
    role: Option<&str>,
    agent: &str,
) -> Resolved<Mode> {
    let (winner, trace) = resolve_field(cfg, workspace, role, agent, |a| a.auth_forward);
    let (value, scope) = winner.unwrap_or((Mode::Sync, Scope::Default));
    Resolved {
        value,
        scope,
        trace,
    }
}

/// Resolves `sync_source_dir` for `agent`; `value` is `None` when no scope
/// sets one (the default host folder applies).
pub fn source_dir(
    cfg: &Config,
    workspace: Option<&str>,
    role: Option<&str>,
    agent: &str,
) -> Resolved<Option<PathBuf>> {
    let (winner, trace) = resolve_field(cfg, workspace, role, agent, |a| a.sync_source_dir.clone());
    let trace = trace
        .into_iter()
        .map(|s| TraceStep {
            scope: s.scope,
            value: s.value.map(Some),
        })
        .collect();
    match winner {
        Some((v, scope)) => Resolved {
            value: Some(v),
            scope,
            trace,
        },
        None => Resolved {
            value: None,
            scope: Scope::Default,
            trace,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::AGENTS;
    use crate::config::{Workspace, WorkspaceRole};

    fn auth(m: Mode) -> AgentAuth {
        AgentAuth {
            auth_forward: Some(m),
            sync_source_dir: None,
        }
    }

    /// Every combination of the three scopes being set or unset, for every agent.
    #[test]
    fn most_specific_scope_wins_for_every_combination() {
        for a in AGENTS {
            for bits in 0..8u8 {
                let mut cfg = Config::default();
                let mut ws = Workspace::default();
                let mut wr = WorkspaceRole::default();
                if bits & 1 != 0 {
                    cfg.agents.insert(a.name.into(), auth(Mode::Ignore));
                }
                if bits & 2 != 0 {
                    ws.agents.insert(a.name.into(), auth(Mode::ApiKey));
                }
                if bits & 4 != 0 {
                    wr.agents.insert(a.name.into(), auth(Mode::Sync));
                }
                ws.roles.insert("r".into(), wr);
                cfg.workspaces.insert("w".into(), ws);
                let r = mode(&cfg, Some("w"), Some("r"), a.name);
                let (want, want_scope) = if bits & 4 != 0 {
                    (Mode::Sync, "workspace × role × ")
                } else if bits & 2 != 0 {
                    (Mode::ApiKey, "workspace × ")
                } else if bits & 1 != 0 {
                    (Mode::Ignore, "global × ")
                } else {
                    (Mode::Sync, "default")
                };
                assert_eq!(r.value, want, "agent {} bits {bits}", a.name);
                assert!(
                    r.scope.label(a.name).starts_with(want_scope),
                    "bits {bits}: {:?}",
                    r.scope
                );
                assert_eq!(r.trace.len(), 3);
                assert_eq!(r.trace[0].value.is_some(), bits & 4 != 0);
                assert_eq!(r.trace[1].value.is_some(), bits & 2 != 0);
                assert_eq!(r.trace[2].value.is_some(), bits & 1 != 0);
            }
        }
    }

    #[test]
    fn other_roles_and_workspaces_do_not_leak() {
        let mut cfg = Config::default();
        let mut ws = Workspace::default();
        let mut wr = WorkspaceRole::default();
        wr.agents.insert("codex".into(), auth(Mode::Ignore));
        ws.roles.insert("other".into(), wr);
        cfg.workspaces.insert("w".into(), ws);
        let r = mode(&cfg, Some("w"), Some("r"), "codex");
        assert_eq!((r.value, r.scope), (Mode::Sync, Scope::Default));
        let r = mode(&cfg, Some("x"), Some("other"), "codex");
        assert_eq!(r.value, Mode::Sync);
    }

    #[test]
    fn global_only_without_workspace() {
        let mut cfg = Config::default();
        cfg.agents.insert("claude".into(), auth(Mode::Ignore));
        let r = mode(&cfg, None, None, "claude");
        assert_eq!((r.value, r.trace.len()), (Mode::Ignore, 1));
        assert_eq!(r.scope, Scope::GlobalAgent);
    }

    #[test]
    fn source_dir_resolves_like_mode() {
        let mut cfg = Config::default();
        cfg.agents.insert(
            "claude".into(),
            AgentAuth {
                auth_forward: None,
                sync_source_dir: Some("/a".into()),
            },
        );
        let mut ws = Workspace::default();
        ws.agents.insert(
            "claude".into(),
            AgentAuth {
                auth_forward: None,
                sync_source_dir: Some("/b".into()),
            },
        );
        cfg.workspaces.insert("w".into(), ws);
        assert_eq!(
            source_dir(&cfg, Some("w"), None, "claude").value,
            Some("/b".into())
        );
        assert_eq!(
            source_dir(&cfg, None, None, "claude").value,
            Some("/a".into())
        );
        assert_eq!(source_dir(&cfg, None, None, "codex").value, None);
    }
}
