//! Staged changes: what the console will write to config.toml on save.
//!
//! A [`Change`] is applied twice: to a copy of the read-only [`Config`]
//! model (so every screen shows the staged result, with the same
//! [`crate::resolve`] walk the launch uses), and, on save, to the
//! `toml_edit` document inside [`crate::config::edit`] (so the write goes
//! through the same lock, whole-file validation and atomic rename as the
//! CLI). [`diff`] renders the difference for the save confirmation.

use crate::config::edit::{ensure_table, remove_key, set_value};
use crate::config::{self, AgentAuth, Config, ConfigError, EnvMap};
use crate::env::EnvValue;
use crate::mode::Mode;
use toml_edit::DocumentMut;

/// One operator env layer: the config module's own type
/// ([`crate::config::scope::EnvLayer`]), extended by [`LayerExt`].
pub use crate::config::scope::EnvLayer as Layer;

/// What the console needs of an env layer beyond its path and name.
pub trait LayerExt: Sized {
    /// The layers that apply to a launch in `workspace` (with `role` when
    /// known), lowest precedence first.
    fn order(workspace: &str, role: Option<&str>) -> Vec<Self>;
    /// The layer's variables in `cfg` (`None` when its workspace or role
    /// does not exist; an absent table is an empty map).
    fn vars<'c>(&self, cfg: &'c Config) -> Option<std::borrow::Cow<'c, EnvMap>>;
    /// The layer's variables for changing the model (created when absent).
    fn vars_mut<'c>(&self, cfg: &'c mut Config) -> Option<&'c mut EnvMap>;
    /// Levels of the path never pruned when a removal empties the table.
    fn keep(&self) -> usize;
}

impl LayerExt for Layer {
    fn order(workspace: &str, role: Option<&str>) -> Vec<Layer> {
        let mut v = vec![Layer::Global];
        if let Some(r) = role {
            v.push(Layer::Role(r.into()));
        }
        v.push(Layer::Workspace(workspace.into()));
        if let Some(r) = role {
            v.push(Layer::WorkspaceRole(workspace.into(), r.into()));
        }
        v
    }

    fn vars<'c>(&self, cfg: &'c Config) -> Option<std::borrow::Cow<'c, EnvMap>> {
        use std::borrow::Cow;
        Some(match self {
            Layer::Global => Cow::Borrowed(&cfg.env),
            Layer::Role(r) => Cow::Borrowed(&cfg.roles.get(r)?.env),
            Layer::Workspace(w) => Cow::Borrowed(&cfg.workspaces.get(w)?.env),
            Layer::WorkspaceRole(w, r) => {
                cfg.roles.get(r)?;
                match cfg.workspaces.get(w)?.roles.get(r) {
                    Some(wr) => Cow::Borrowed(&wr.env),
                    None => Cow::Owned(EnvMap::new()),
                }
            }
        })
    }

    fn vars_mut<'c>(&self, cfg: &'c mut Config) -> Option<&'c mut EnvMap> {
        Some(match self {
            Layer::Global => &mut cfg.env,
            Layer::Role(r) => &mut cfg.roles.get_mut(r)?.env,
            Layer::Workspace(w) => &mut cfg.workspaces.get_mut(w)?.env,
            Layer::WorkspaceRole(w, r) => {
                &mut cfg
                    .workspaces
                    .get_mut(w)?
                    .roles
                    .entry(r.clone())
                    .or_default()
                    .env
            }
        })
    }

    fn keep(&self) -> usize {
        match self {
            Layer::Global => 0,
            _ => 2,
        }
    }
}

/// A per-agent key the console edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentKey {
    /// `auth_forward`
    Mode,
    /// `sync_source_dir`
    Source,
}

impl AgentKey {
    /// The TOML key.
    pub fn key(self) -> &'static str {
        match self {
            AgentKey::Mode => "auth_forward",
            AgentKey::Source => "sync_source_dir",
        }
    }
}

/// One staged edit. `value: None` removes the key (the next scope or
/// layer then applies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `[workspaces.W.<agent>]` or `[workspaces.W.roles.R.<agent>]`.
    Agent {
        workspace: String,
        role: Option<String>,
        agent: String,
        key: AgentKey,
        /// `api_key`, … for [`AgentKey::Mode`]; a folder for [`AgentKey::Source`].
        value: Option<String>,
    },
    /// `NAME = value` in an env layer (`value` is the unresolved reference
    /// or literal exactly as it will be written).
    Env {
        layer: Layer,
        name: String,
        value: Option<String>,
    },
}

impl Change {
    /// Whether `other` edits the same key (a newer one replaces it).
    pub fn same_target(&self, other: &Change) -> bool {
        match (self, other) {
            (
                Change::Agent {
                    workspace: w1,
                    role: r1,
                    agent: a1,
                    key: k1,
                    ..
                },
                Change::Agent {
                    workspace: w2,
                    role: r2,
                    agent: a2,
                    key: k2,
                    ..
                },
            ) => w1 == w2 && r1 == r2 && a1 == a2 && k1 == k2,
            (
                Change::Env {
                    layer: l1,
                    name: n1,
                    ..
                },
                Change::Env {
                    layer: l2,
                    name: n2,
                    ..
                },
            ) => l1 == l2 && n1 == n2,
            _ => false,
        }
    }

    fn agent_path(workspace: &str, role: Option<&str>, agent: &str) -> Vec<String> {
        let mut p = vec!["workspaces".to_string(), workspace.to_string()];
        if let Some(r) = role {
            p.extend(["roles".to_string(), r.to_string()]);
        }
        p.push(agent.to_string());
        p
    }

    /// One line for the operator, never showing a literal's value:
    /// `workspaces.w.roles.r.claude.auth_forward = "ignore"`.
    pub fn describe(&self) -> String {
        match self {
            Change::Agent {
                workspace,
                role,
                agent,
                key,
                value,
            } => {
                let p = Self::agent_path(workspace, role.as_deref(), agent).join(".");
                match value {
                    Some(v) => format!("{p}.{} = \"{v}\"", key.key()),
                    None => format!("{p}.{} removed", key.key()),
                }
            }
            Change::Env { layer, name, value } => match value {
                Some(v) => format!("{} {name} = {}", layer.table(), shown(v)),
                None => format!("{} {name} removed", layer.table()),
            },
        }
    }

    /// Applies the change to the model (for display). Unknown workspaces
    /// or roles are ignored here; the save refuses them.
    pub fn apply_config(&self, cfg: &mut Config) {
        match self {
            Change::Agent {
                workspace,
                role,
                agent,
                key,
                value,
            } => {
                let Some(ws) = cfg.workspaces.get_mut(workspace) else {
                    return;
                };
                let table = match role {
                    Some(r) => &mut ws.roles.entry(r.clone()).or_default().agents,
                    None => &mut ws.agents,
                };
                let auth = table.entry(agent.clone()).or_default();
                match key {
                    AgentKey::Mode => {
                        auth.auth_forward = value.as_deref().and_then(|v| v.parse::<Mode>().ok())
                    }
                    AgentKey::Source => {
                        auth.sync_source_dir = value.as_deref().map(config::paths::expand_tilde)
                    }
                }
                if *auth == AgentAuth::default() {
                    table.remove(agent);
                }
            }
            Change::Env { layer, name, value } => {
                if let Some(vars) = layer.vars_mut(cfg) {
                    match value {
                        Some(v) => {
                            vars.insert(name.clone(), v.clone());
                        }
                        None => {
                            vars.remove(name);
                        }
                    }
                }
            }
        }
    }

    /// Applies the change to the document, as the CLI's `auth set/unset`
    /// and `env set/unset` do (comments of replaced values are kept; tables
    /// emptied by a removal are pruned).
    pub fn apply_doc(&self, doc: &mut DocumentMut) -> Result<(), ConfigError> {
        match self {
            Change::Agent {
                workspace,
                role,
                agent,
                key,
                value,
            } => {
                if config::edit::table_at(doc, &["workspaces", workspace]).is_none() {
                    return Err(ConfigError::refused(
                        format!("no workspace named '{workspace}' (was it removed meanwhile?)"),
                        Some("reopen the console to see the current configuration".into()),
                    ));
                }
                let owned = Self::agent_path(workspace, role.as_deref(), agent);
                let path: Vec<&str> = owned.iter().map(String::as_str).collect();
                match value {
                    Some(v) => set_value(ensure_table(doc, &path)?, key.key(), v.as_str()),
                    None => {
                        remove_key(doc, &path, key.key(), 2);
                    }
                }
            }
            Change::Env { layer, name, value } => {
                let path = layer.path();
                match value {
                    Some(v) => set_value(ensure_table(doc, &path)?, name, v.as_str()),
                    None => {
                        remove_key(doc, &path, name, layer.keep());
                    }
                }
            }
        }
        Ok(())
    }
}

/// How an env value is shown on screen: its reference (`$NAME`, `op://…`,
/// `keyring:S/A`) or `literal (****)`; a literal may be a secret.
pub fn shown(raw: &str) -> String {
    match EnvValue::parse(raw) {
        Ok(EnvValue::Literal(_)) => "literal (****)".to_string(),
        Ok(v) => v.reference(),
        Err(_) => "invalid".to_string(),
    }
}

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Added(String),
    Removed(String),
}

/// Line diff of `before` → `after` (longest common subsequence), with
/// unchanged lines farther than `context` from a change dropped. Lines
/// that assign a literal env value are masked (`NAME = "****"`), so the
/// confirmation never shows a secret.
pub fn diff(before: &str, after: &str, context: usize) -> Vec<DiffLine> {
    let a: Vec<&str> = before.lines().collect();
    let b: Vec<&str> = after.lines().collect();
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(DiffLine::Same(mask(a[i])));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(DiffLine::Removed(mask(a[i])));
            i += 1;
        } else {
            out.push(DiffLine::Added(mask(b[j])));
            j += 1;
        }
    }
    let changed: Vec<usize> = (0..out.len())
        .filter(|&k| !matches!(out[k], DiffLine::Same(_)))
        .collect();
    out.into_iter()
        .enumerate()
        .filter(|(k, l)| {
            !matches!(l, DiffLine::Same(_)) || changed.iter().any(|c| c.abs_diff(*k) <= context)
        })
        .map(|(_, l)| l)
        .collect()
}

/// Masks the value of a `KEY = "literal"` line whose value parses as a
/// literal env value (anything but `$…`, `op://…`, `keyring:…`), except
/// for the console's own non-secret keys.
fn mask(line: &str) -> String {
    let Some((k, v)) = line.split_once('=') else {
        return line.to_string();
    };
    let key = k.trim();
    let plain = [
        "auth_forward",
        "sync_source_dir",
        "engine",
        "image",
        "agents",
        "default_agent",
        "workdir",
        "mounts",
        "default_role",
    ];
    if plain.contains(&key) || key.starts_with('[') || key.starts_with('#') {
        return line.to_string();
    }
    let raw = v.trim();
    let unquoted = raw.trim_matches(|c| c == '"' || c == '\'');
    match EnvValue::parse(unquoted) {
        Ok(EnvValue::Literal(_)) => format!("{k}= \"****\""),
        _ => line.to_string(),
    }
}
