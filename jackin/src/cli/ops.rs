//! Operations shared by `jackin config …` and `jackin workspace …`: auth
//! modes and source folders at a scope, and operator env at a layer. Each
//! validates its input (usage errors, exit 2) before touching the file, then
//! goes through [`crate::config::edit`].

use super::output;
use super::{CliError, Ctx};
use crate::agents::{self, AgentSpec};
use crate::config::{self, edit::*, validate, ConfigError, EnvMap};
use crate::env::{self, EnvValue};
use crate::mode::Mode;
use serde_json::json;
use toml_edit::{DocumentMut, Item};

/// The agent parser used by every `--agent` flag: the names in
/// [`agents::AGENTS`] (clap lists them on a bad value).
pub fn agent_parser() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(agents::names())
}

/// The mode parser of every `MODE` argument; an unknown mode lists the
/// valid ones.
pub fn parse_mode(s: &str) -> Result<Mode, String> {
    s.parse()
        .map_err(|e: crate::mode::UnknownMode| e.to_string())
}

/// Looks up an agent name that clap already checked.
pub fn spec(agent: &str) -> &'static AgentSpec {
    agents::find(agent).expect("clap checked the agent name")
}

/// Where a per-agent setting is written.
#[derive(Debug, Clone, Default)]
pub struct AgentScope {
    pub workspace: Option<String>,
    pub role: Option<String>,
}

impl AgentScope {
    /// Table path of the agent's settings at this scope.
    fn path<'a>(&'a self, agent: &'a str) -> Vec<&'a str> {
        match (&self.workspace, &self.role) {
            (Some(w), Some(r)) => vec!["workspaces", w, "roles", r, agent],
            (Some(w), None) => vec!["workspaces", w, agent],
            _ => vec![agent],
        }
    }

    /// Levels never pruned: a workspace table stays even when emptied.
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

    /// Checks that the workspace (and role) exist in `doc`; for a role,
    /// also that the role runs `agent` when given.
    fn require(&self, doc: &mut DocumentMut, agent: Option<&str>) -> config::error::Result<()> {
        if let Some(w) = &self.workspace {
            require_workspace(doc, w)?;
        }
        if let Some(r) = &self.role {
            require_role(doc, r)?;
            if let Some(a) = agent {
                let runs = table_at(doc, &["roles", r])
                    .and_then(|t| t.get("agents"))
                    .and_then(Item::as_array)
                    .map(|arr| arr.iter().any(|v| v.as_str() == Some(a)))
                    .unwrap_or(false);
                if !runs {
                    return Err(ConfigError::refused(
                        format!("role '{r}' does not run {a}"),
                        Some(format!(
                            "see `jackin role list`; add {a} to the role's agents first"
                        )),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Refuses when `[workspaces.W]` does not exist.
pub fn require_workspace(doc: &mut DocumentMut, w: &str) -> config::error::Result<()> {
    if table_at(doc, &["workspaces", w]).is_none() {
        return Err(ConfigError::refused(
            format!("no workspace named '{w}'"),
            Some("see `jackin workspace list`, or create it with `jackin workspace create`".into()),
        ));
    }
    Ok(())
}

/// Refuses when `[roles.R]` does not exist.
pub fn require_role(doc: &mut DocumentMut, r: &str) -> config::error::Result<()> {
    if table_at(doc, &["roles", r]).is_none() {
        return Err(ConfigError::refused(
            format!("no role named '{r}'"),
            Some("see `jackin role list`, or add it with `jackin role add`".into()),
        ));
    }
    Ok(())
}

/// Sets `auth_forward` for `agent` at `scope`.
pub fn set_mode(ctx: &Ctx, scope: &AgentScope, agent: &str, mode: Mode) -> Result<(), CliError> {
    let spec = spec(agent);
    validate::mode_for_agent(spec, mode).map_err(|m| {
        CliError::usage(m).hint(format!("choose one of: {}", validate::modes_of(spec)))
    })?;
    config::edit(&ctx.config_path, |doc| {
        scope.require(doc, Some(agent))?;
        let t = ensure_table(doc, &scope.path(agent))?;
        set_value(t, "auth_forward", mode.as_str());
        Ok(())
    })?;
    ctx.say(format!(
        "{}: auth_forward = {mode} (in [{}])",
        scope.label(agent),
        scope.path(agent).join(".")
    ));
    if let Some(var) = spec.var_for(mode) {
        ctx.say(format!(
            "note: {mode} needs {var} in operator env at launch, e.g. `jackin config env set {var} '${var}'`"
        ));
    }
    Ok(())
}

/// Removes `auth_forward` for `agent` at `scope` (the next scope then applies).
pub fn unset_mode(ctx: &Ctx, scope: &AgentScope, agent: &str) -> Result<(), CliError> {
    let removed = config::edit(&ctx.config_path, |doc| {
        scope.require(doc, None)?;
        Ok(remove_key(
            doc,
            &scope.path(agent),
            "auth_forward",
            scope.keep(),
        ))
    })?
    .value;
    if removed {
        ctx.say(format!("{}: auth_forward unset", scope.label(agent)));
    } else {
        ctx.say(format!(
            "{}: auth_forward was not set; nothing changed",
            scope.label(agent)
        ));
    }
    Ok(())
}

/// Sets `sync_source_dir` for `agent` at `scope`, after checking that the
/// folder holds the agent's login ([`crate::discovery::check_source_dir`]).
pub fn set_source(ctx: &Ctx, scope: &AgentScope, agent: &str, dir: &str) -> Result<(), CliError> {
    let spec = spec(agent);
    let stored = config::paths::absolutize_for_config(dir);
    let expanded = config::paths::expand_tilde(&stored);
    crate::discovery::check_source_dir(spec, &expanded).map_err(|m| {
        CliError::failure(m).hint(format!(
            "a source folder is {}'s own config folder (like {}), holding {}",
            spec.name,
            spec.config_dir.default,
            spec.credential_file().name
        ))
    })?;
    config::edit(&ctx.config_path, |doc| {
        scope.require(doc, Some(agent))?;
        let t = ensure_table(doc, &scope.path(agent))?;
        set_value(t, "sync_source_dir", stored.as_str());
        Ok(())
    })?;
    ctx.say(format!(
        "{}: sync_source_dir = {stored}",
        scope.label(agent)
    ));
    Ok(())
}

/// Removes `sync_source_dir` for `agent` at `scope`.
pub fn unset_source(ctx: &Ctx, scope: &AgentScope, agent: &str) -> Result<(), CliError> {
    let removed = config::edit(&ctx.config_path, |doc| {
        scope.require(doc, None)?;
        Ok(remove_key(
            doc,
            &scope.path(agent),
            "sync_source_dir",
            scope.keep(),
        ))
    })?
    .value;
    ctx.say(if removed {
        format!("{}: sync_source_dir unset", scope.label(agent))
    } else {
        format!(
            "{}: sync_source_dir was not set; nothing changed",
            scope.label(agent)
        )
    });
    Ok(())
}

/// One operator env layer (`shared/SPEC.md` §5).
#[derive(Debug, Clone)]
pub enum EnvLayer {
    Global,
    Role(String),
    Workspace(String),
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

    fn path(&self) -> Vec<&str> {
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

    fn require(&self, doc: &mut DocumentMut) -> config::error::Result<()> {
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

    /// The layer's variables in a loaded config (empty when absent).
    fn of(&self, cfg: &config::Config) -> Result<EnvMap, CliError> {
        let missing_ws = |w: &str| {
            CliError::failure(format!("no workspace named '{w}'"))
                .hint("see `jackin workspace list`")
        };
        let missing_role = |r: &str| {
            CliError::failure(format!("no role named '{r}'")).hint("see `jackin role list`")
        };
        Ok(match self {
            EnvLayer::Global => cfg.env.clone(),
            EnvLayer::Role(r) => cfg.roles.get(r).ok_or_else(|| missing_role(r))?.env.clone(),
            EnvLayer::Workspace(w) => cfg
                .workspaces
                .get(w)
                .ok_or_else(|| missing_ws(w))?
                .env
                .clone(),
            EnvLayer::WorkspaceRole(w, r) => {
                let ws = cfg.workspaces.get(w).ok_or_else(|| missing_ws(w))?;
                if !cfg.roles.contains_key(r) {
                    return Err(missing_role(r));
                }
                ws.roles.get(r).map(|wr| wr.env.clone()).unwrap_or_default()
            }
        })
    }
}

/// How an env value is shown: its reference, or `literal (****)` — a
/// literal may be a secret and is never printed.
pub fn shown(raw: &str) -> String {
    match EnvValue::parse(raw) {
        Ok(EnvValue::Literal(_)) => "literal (****)".to_string(),
        Ok(v) => v.reference(),
        Err(_) => "invalid".to_string(),
    }
}

/// Sets `NAME = VALUE` in `layer`. `VALUE` `-` reads one line from stdin
/// (keeps a literal secret out of argv and shell history).
pub fn env_set(ctx: &Ctx, layer: &EnvLayer, name: &str, value: &str) -> Result<(), CliError> {
    env::check_name(name).map_err(CliError::usage)?;
    let from_stdin = value == "-";
    let value = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| CliError::failure(format!("cannot read the value from stdin: {e}")))?;
        line.trim_end_matches(['\n', '\r']).to_string()
    } else {
        value.to_string()
    };
    let parsed = EnvValue::parse(&value).map_err(|m| {
        CliError::usage(format!("invalid value for {name}: {m}")).hint(
            "forms: $NAME, ${NAME}, op://VAULT/ITEM/FIELD, keyring:SERVICE/ACCOUNT, or a literal",
        )
    })?;
    config::edit(&ctx.config_path, |doc| {
        layer.require(doc)?;
        let t = ensure_table(doc, &layer.path())?;
        set_value(t, name, value.as_str());
        Ok(())
    })?;
    ctx.say(format!("{}: {name} = {}", layer.table(), shown(&value)));
    if matches!(parsed, EnvValue::Literal(_)) {
        ctx.warn(format!(
            "{name} is stored as a literal in {}; a reference keeps a secret out of the file: \
             '$VAR' (host env at launch), op://VAULT/ITEM/FIELD (1Password), keyring:SERVICE/ACCOUNT{}",
            ctx.config_path.display(),
            if from_stdin { "" } else { "; VALUE '-' reads a literal from stdin instead of argv" }
        ));
    }
    Ok(())
}

/// Removes `NAME` from `layer`.
pub fn env_unset(ctx: &Ctx, layer: &EnvLayer, name: &str) -> Result<(), CliError> {
    let keep = if matches!(layer, EnvLayer::Global) {
        0
    } else {
        2
    };
    let removed = config::edit(&ctx.config_path, |doc| {
        layer.require(doc)?;
        Ok(remove_key(doc, &layer.path(), name, keep))
    })?
    .value;
    ctx.say(if removed {
        format!("{}: {name} unset", layer.table())
    } else {
        format!("{}: {name} was not set; nothing changed", layer.table())
    });
    Ok(())
}

/// Lists the layer's variables with their references (never values).
pub fn env_list(ctx: &Ctx, layer: &EnvLayer, as_json: bool) -> Result<(), CliError> {
    let (cfg, _) = config::load_from(&ctx.config_path)?;
    let vars = layer.of(&cfg)?;
    if as_json {
        let items: Vec<_> = vars
            .iter()
            .map(|(k, v)| json!({"name": k, "value": shown_json(v)}))
            .collect();
        return output::json(&json!({"layer": layer.table(), "vars": items}));
    }
    if vars.is_empty() {
        ctx.say(format!("{}: no variables", layer.table()));
        return Ok(());
    }
    let mut rows = vec![vec![
        "NAME".to_string(),
        format!("VALUE ({})", layer.table()),
    ]];
    rows.extend(vars.iter().map(|(k, v)| vec![k.clone(), shown(v)]));
    output::print(&output::columns(&rows));
    Ok(())
}

/// JSON form of an env value: the reference, or `literal` (never the value).
pub fn shown_json(raw: &str) -> String {
    match EnvValue::parse(raw) {
        Ok(v) => v.reference(),
        Err(_) => "invalid".into(),
    }
}
