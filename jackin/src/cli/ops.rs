//! Operations shared by `jackin config …` and `jackin workspace …`: auth
//! modes and source folders at a scope, and operator env at a layer. Each
//! checks its input first (usage errors, exit 2), then calls the matching
//! [`crate::config::scope`] function, then reports.

use super::output;
use super::{CliError, Ctx};
use crate::agents::{self, AgentSpec};
use crate::config::{self, validate};
use crate::env::{self, EnvValue};
use crate::mode::Mode;
use serde_json::json;

pub use crate::config::scope::{AgentScope, EnvLayer};

/// The agent parser used by every `--agent` flag: the names in
/// [`agents::AGENTS`] (clap lists them on a bad value).
pub fn agent_parser() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(agents::names())
}

/// The parser of every path, name or selector argument: an empty string
/// is a usage error (exit 2) instead of silently meaning "the current
/// folder" or "match nothing".
pub fn non_empty() -> clap::builder::NonEmptyStringValueParser {
    clap::builder::NonEmptyStringValueParser::new()
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

/// Sets `auth_forward` for `agent` at `scope`.
pub fn set_mode(ctx: &Ctx, scope: &AgentScope, agent: &str, mode: Mode) -> Result<(), CliError> {
    let spec = spec(agent);
    validate::mode_for_agent(spec, mode).map_err(|m| {
        CliError::usage(m).hint(format!("choose one of: {}", validate::modes_of(spec)))
    })?;
    config::scope::set_auth(&ctx.config_path, scope, agent, Some(mode))?;
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
    let removed = config::scope::set_auth(&ctx.config_path, scope, agent, None)?.value;
    ctx.say(if removed {
        format!("{}: auth_forward unset", scope.label(agent))
    } else {
        format!(
            "{}: auth_forward was not set; nothing changed",
            scope.label(agent)
        )
    });
    Ok(())
}

/// Sets `sync_source_dir` for `agent` at `scope` (refused unless the
/// folder holds the agent's login).
pub fn set_source(ctx: &Ctx, scope: &AgentScope, agent: &str, dir: &str) -> Result<(), CliError> {
    config::scope::set_source_dir(&ctx.config_path, scope, agent, Some(dir))?;
    ctx.say(format!(
        "{}: sync_source_dir = {}",
        scope.label(agent),
        config::paths::absolutize_for_config(dir)
    ));
    Ok(())
}

/// Removes `sync_source_dir` for `agent` at `scope`.
pub fn unset_source(ctx: &Ctx, scope: &AgentScope, agent: &str) -> Result<(), CliError> {
    let removed = config::scope::set_source_dir(&ctx.config_path, scope, agent, None)?.value;
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

/// How an env value is shown: its reference, or `literal (****)` — a
/// literal may be a secret and is never printed.
pub fn shown(raw: &str) -> String {
    match EnvValue::parse(raw) {
        Ok(EnvValue::Literal(_)) => "literal (****)".to_string(),
        Ok(v) => v.reference(),
        Err(_) => "invalid".to_string(),
    }
}

/// JSON form of an env value: the reference, or `literal` (never the value).
pub fn shown_json(raw: &str) -> String {
    match EnvValue::parse(raw) {
        Ok(v) => v.reference(),
        Err(_) => "invalid".into(),
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
    if value.is_empty() {
        return Err(CliError::usage(format!("empty value for {name}"))
            .hint(format!("to remove it, use `env unset {name}`")));
    }
    let parsed = EnvValue::parse(&value).map_err(|m| {
        CliError::usage(format!("invalid value for {name}: {m}")).hint(
            "forms: $NAME, ${NAME}, op://VAULT/ITEM/FIELD, keyring:SERVICE/ACCOUNT, or a literal",
        )
    })?;
    config::scope::set_env(&ctx.config_path, layer, name, Some(&value))?;
    ctx.say(format!("{}: {name} = {}", layer.table(), shown(&value)));
    if matches!(parsed, EnvValue::Literal(_)) {
        ctx.warn(format!(
            "{name} is stored as a literal in {}; a reference keeps a secret out of the file: \
             '$VAR' (host env at launch), op://VAULT/ITEM/FIELD (1Password), keyring:SERVICE/ACCOUNT{}",
            ctx.config_path.display(),
            if from_stdin {
                ""
            } else {
                "; VALUE '-' reads a literal from stdin instead of argv"
            }
        ));
    }
    Ok(())
}

/// Removes `NAME` from `layer`.
pub fn env_unset(ctx: &Ctx, layer: &EnvLayer, name: &str) -> Result<(), CliError> {
    env::check_name(name).map_err(CliError::usage)?;
    let removed = config::scope::set_env(&ctx.config_path, layer, name, None)?.value;
    ctx.say(if removed {
        format!("{}: {name} unset", layer.table())
    } else {
        format!("{}: {name} was not set; nothing changed", layer.table())
    });
    Ok(())
}

/// Lists the layer's variables with their references (never values).
pub fn env_list(ctx: &Ctx, layer: &EnvLayer, as_json: bool) -> Result<(), CliError> {
    let cfg = config::read_from(&ctx.config_path)?;
    let vars = layer.of(&cfg).ok_or_else(|| {
        CliError::failure(format!("{}: no such workspace or role", layer.table()))
            .hint("see `jackin workspace list` and `jackin role list`")
    })?;
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
