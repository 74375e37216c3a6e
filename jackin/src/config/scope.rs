//! Edits by scope, without any printing: auth modes and source folders at
//! global / workspace × agent / workspace × role × agent, and operator env
//! at its four layers. The CLI and the console's Auth tab both call these;
//! each goes through [`super::edit`] (lock, re-read, validate, atomic save).

use super::edit::{edit, ensure_table, remove_key, set_value, table_at, Edited};
use super::error::{ConfigError, Result};
use super::{paths, validate};
use crate::env::{self, EnvValue};
use crate::mode::Mode;
use std::path::Path;
use toml_edit::{DocumentMut, Item};

/// Where a per-agent setting is written: no workspace = global; a
/// workspace = workspace × agent; workspace and role = workspace × role ×
/// agent. A role without a workspace is treated as global.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentScope {
    pub workspace: Option<String>,
    pub role: Option<String>,
}

impl AgentScope {
    /// Table path of `agent`'s settings at this scope
    /// (`["workspaces", "w", "roles", "r", "claude"]`).
    pub fn path<'a>(&'a self, agent: &'a str) -> Vec<&'a str> {
        match (&self.workspace, &self.role) {
            (Some(w), Some(r)) => vec!["workspaces", w, "roles", r, agent],
            (Some(w), None) => vec!["workspaces", w, agent],
            _ => vec![agent],
        }
    }

    /// Levels never pruned when a key is removed (a workspace stays even when emptied).
    fn keep(&self) -> usize {
        if self.workspace.is_some() {
            2
        } else {
            0
        }
    }

    /// `global × claude`, `workspace 'w' × claude`, `workspace 'w' × role 'r' × claude`.
    pub fn label(&self, agent: &str) -> String {
        match (&self.workspace, &self.role) {
            (Some(w), Some(r)) => format!("workspace '{w}' × role '{r}' × {agent}"),
            (Some(w), None) => format!("workspace '{w}' × {agent}"),
            _ => format!("global × {agent}"),
        }
    }

    /// Refuses when the workspace or role does not exist; for a role and a
    /// given `agent`, also when the role does not run that agent.
    fn require(&self, doc: &mut DocumentMut, agent: Option<&str>) -> Result<()> {
        let Some(w) = &self.workspace else {
            return Ok(());
        };
        require_workspace(doc, w)?;
        let Some(r) = &self.role else { return Ok(()) };
        require_role(doc, r)?;
        if let Some(a) = agent {
            // A `[roles.R]` table names the agents; without one, R is a
            // built-in role (require_role checked) with its own agents.
            let runs = match table_at(doc, &["roles", r]) {
                Some(t) => t
                    .get("agents")
                    .and_then(Item::as_array)
                    .is_some_and(|arr| arr.iter().any(|v| v.as_str() == Some(a))),
                None => super::builtin::default_role().agents.iter().any(|x| x == a),
            };
            if !runs {
                return Err(ConfigError::refused(
                    format!("role '{r}' does not run {a}"),
                    Some("see `jackin role list`".into()),
                ));
            }
        }
        Ok(())
    }
}

/// Refuses when `[workspaces.W]` does not exist.
pub fn require_workspace(doc: &mut DocumentMut, w: &str) -> Result<()> {
    if table_at(doc, &["workspaces", w]).is_none() {
        return Err(ConfigError::refused(
            format!("no workspace named '{w}'"),
            Some("see `jackin workspace list`, or create it with `jackin workspace create`".into()),
        ));
    }
    Ok(())
}

/// Refuses when `[roles.R]` does not exist.
pub fn require_role(doc: &mut DocumentMut, r: &str) -> Result<()> {
    if table_at(doc, &["roles", r]).is_none() && !super::builtin::is_builtin_role(r) {
        return Err(ConfigError::refused(
            format!("no role named '{r}'"),
            Some("see `jackin role list`, or add it with `jackin role add`".into()),
        ));
    }
    Ok(())
}

/// Sets (`Some`) or removes (`None`) `auth_forward` for `agent` at `scope`.
/// Refuses an unknown agent or a mode it does not support. `value` of the
/// result: whether the key existed before (for a removal) or `true`.
pub fn set_auth(
    path: &Path,
    scope: &AgentScope,
    agent: &str,
    mode: Option<Mode>,
) -> Result<Edited<bool>> {
    let spec = validate::agent(agent).map_err(|m| ConfigError::refused(m, None))?;
    if let Some(m) = mode {
        validate::mode_for_agent(spec, m).map_err(|e| ConfigError::refused(e, None))?;
    }
    edit(path, |doc| {
        scope.require(doc, mode.map(|_| agent))?;
        match mode {
            Some(m) => {
                set_value(
                    ensure_table(doc, &scope.path(agent))?,
                    "auth_forward",
                    m.as_str(),
                );
                Ok(true)
            }
            None => Ok(remove_key(
                doc,
                &scope.path(agent),
                "auth_forward",
                scope.keep(),
            )),
        }
    })
}

/// Sets (`Some`) or removes (`None`) `sync_source_dir` for `agent` at
/// `scope`. `dir` is stored as given after
/// [`paths::absolutize_for_config`] and must hold the agent's login
/// ([`crate::discovery::check_source_dir`]); the refusal says what is missing.
pub fn set_source_dir(
    path: &Path,
    scope: &AgentScope,
    agent: &str,
    dir: Option<&str>,
) -> Result<Edited<bool>> {
    let spec = validate::agent(agent).map_err(|m| ConfigError::refused(m, None))?;
    let stored = dir.map(paths::absolutize_for_config);
    if let Some(s) = &stored {
        crate::discovery::check_source_dir(spec, &paths::expand_tilde(s)).map_err(|m| {
            ConfigError::refused(
                m,
                Some(format!(
                    "a source folder is {}'s own config folder (like ~/{}), holding {}",
                    spec.name,
                    spec.config_dir.default,
                    spec.credential_file().name
                )),
            )
        })?;
    }
    edit(path, |doc| {
        scope.require(doc, stored.as_ref().map(|_| agent))?;
        match &stored {
            Some(s) => {
                set_value(
                    ensure_table(doc, &scope.path(agent))?,
                    "sync_source_dir",
                    s.as_str(),
                );
                Ok(true)
            }
            None => Ok(remove_key(
                doc,
                &scope.path(agent),
                "sync_source_dir",
                scope.keep(),
            )),
        }
    })
}

/// One operator env layer (`shared/SPEC.md` §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvLayer {
    /// `[env]`
    Global,
    /// `[roles.R.env]`
    Role(String),
    /// `[workspaces.W.env]`
    Workspace(String),
    /// `[workspaces.W.roles.R.env]`
    WorkspaceRole(String, String),
}

impl EnvLayer {
    /// From the optional workspace and role of a command.
    pub fn new(workspace: Option<String>, role: Option<String>) -> EnvLayer {
        match (workspace, role) {
            (None, None) => EnvLayer::Global,
            (None, Some(r)) => EnvLayer::Role(r),
            (Some(w), None) => EnvLayer::Workspace(w),
            (Some(w), Some(r)) => EnvLayer::WorkspaceRole(w, r),
        }
    }

    /// Table path (`["workspaces", "w", "env"]`).
    pub fn path(&self) -> Vec<&str> {
        match self {
            EnvLayer::Global => vec!["env"],
            EnvLayer::Role(r) => vec!["roles", r, "env"],
            EnvLayer::Workspace(w) => vec!["workspaces", w, "env"],
            EnvLayer::WorkspaceRole(w, r) => vec!["workspaces", w, "roles", r, "env"],
        }
    }

    /// The table name, e.g. `[workspaces.my-app.env]`.
    pub fn table(&self) -> String {
        format!("[{}]", self.path().join("."))
    }

    fn require(&self, doc: &mut DocumentMut) -> Result<()> {
        match self {
            EnvLayer::Global => Ok(()),
            EnvLayer::Role(r) => require_role(doc, r),
            EnvLayer::Workspace(w) => require_workspace(doc, w),
            EnvLayer::WorkspaceRole(w, r) => {
                require_workspace(doc, w)?;
                require_role(doc, r)
            }
        }
    }

    /// The layer's variables in a loaded config; `None` when its workspace
    /// or role does not exist.
    pub fn of(&self, cfg: &super::Config) -> Option<super::EnvMap> {
        Some(match self {
            EnvLayer::Global => cfg.env.clone(),
            EnvLayer::Role(r) => cfg.roles.get(r)?.env.clone(),
            EnvLayer::Workspace(w) => cfg.workspaces.get(w)?.env.clone(),
            EnvLayer::WorkspaceRole(w, r) => {
                cfg.roles.get(r)?;
                let ws = cfg.workspaces.get(w)?;
                ws.roles.get(r).map(|wr| wr.env.clone()).unwrap_or_default()
            }
        })
    }
}

/// Sets (`Some`) or removes (`None`) `name` in `layer`. Refuses reserved or
/// invalid names ([`env::check_name`]) and malformed references
/// ([`EnvValue::parse`]). The value is never logged.
pub fn set_env(
    path: &Path,
    layer: &EnvLayer,
    name: &str,
    value: Option<&str>,
) -> Result<Edited<bool>> {
    env::check_name(name).map_err(|m| ConfigError::refused(m, None))?;
    if let Some(v) = value {
        EnvValue::parse(v)
            .map_err(|m| ConfigError::refused(format!("invalid value for {name}: {m}"), None))?;
    }
    let keep = if *layer == EnvLayer::Global { 0 } else { 2 };
    edit(path, |doc| {
        layer.require(doc)?;
        match value {
            Some(v) => {
                set_value(ensure_table(doc, &layer.path())?, name, v);
                Ok(true)
            }
            None => Ok(remove_key(doc, &layer.path(), name, keep)),
        }
    })
}
