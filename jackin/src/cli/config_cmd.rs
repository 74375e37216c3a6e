//! `jackin config …`: global auth modes, source folders and operator env,
//! and the effective-auth report (`config auth show`).

use super::ops::{self, agent_parser, parse_mode, AgentScope, EnvLayer};
use super::output;
use super::{CliError, Ctx};
use crate::agents::AGENTS;
use crate::config::{self, Config};
use crate::mode::Mode;
use crate::resolve::{self, Scope};
use clap::{Args, Subcommand};
use serde_json::json;

/// `jackin config`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  jackin config auth set api_key --agent codex
  jackin config auth show --workspace my-app --role agent-smith
  jackin config env set OPENAI_API_KEY '$OPENAI_API_KEY'
  jackin config path")]
pub struct ConfigArgs {
    #[command(subcommand)]
    cmd: ConfigCmd,
}

#[derive(Debug, Subcommand)]
enum ConfigCmd {
    /// Auth modes and source folders (global; `show` reports effective modes).
    Auth(AuthArgs),
    /// Global and role operator env ([env], [roles.R.env]).
    Env(EnvArgs),
    /// Print the path of config.toml.
    Path,
}

#[derive(Debug, Args)]
struct AuthArgs {
    #[command(subcommand)]
    cmd: AuthCmd,
}

#[derive(Debug, Subcommand)]
enum AuthCmd {
    /// Set an agent's global mode (`[claude] auth_forward = …`).
    ///
    /// Modes: sync (copy the host login), api_key (export the agent's API-key
    /// variable from operator env), oauth_token (Claude only:
    /// CLAUDE_CODE_OAUTH_TOKEN), ignore (forward nothing, revoke earlier logins).
    #[command(after_help = "Examples:
  jackin config auth set ignore                  # Claude
  jackin config auth set api_key --agent codex")]
    Set {
        /// sync | api_key | oauth_token | ignore
        #[arg(value_parser = parse_mode)]
        mode: Mode,
        /// The agent.
        #[arg(long, default_value = "claude", value_parser = agent_parser())]
        agent: String,
    },
    /// Remove an agent's global mode (it falls back to sync).
    #[command(after_help = "Example:\n  jackin config auth unset --agent codex")]
    Unset {
        /// The agent.
        #[arg(long, default_value = "claude", value_parser = agent_parser())]
        agent: String,
    },
    /// Show global modes, or the effective mode per agent for a workspace (and role).
    #[command(after_help = "Examples:
  jackin config auth show
  jackin config auth show --workspace my-app --role agent-smith --json")]
    Show {
        /// Resolve for this saved workspace.
        #[arg(long, short)]
        workspace: Option<String>,
        /// Resolve for this role in the workspace (lists the role's agents).
        #[arg(long, short, requires = "workspace")]
        role: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// The folder a `sync` copies an agent's login from (sync_source_dir).
    Source(SourceArgs),
}

#[derive(Debug, Args)]
struct SourceArgs {
    #[command(subcommand)]
    cmd: SourceCmd,
}

/// Flags choosing the scope of a source folder.
#[derive(Debug, Args)]
struct SourceScope {
    /// The agent.
    #[arg(long, default_value = "claude", value_parser = agent_parser())]
    agent: String,
    /// Set it for this workspace only ([workspaces.W.<agent>]).
    #[arg(long, short)]
    workspace: Option<String>,
    /// With --workspace: for this role only ([workspaces.W.roles.R.<agent>]).
    #[arg(long, short, requires = "workspace")]
    role: Option<String>,
}

#[derive(Debug, Subcommand)]
enum SourceCmd {
    /// Use DIR (the agent's own config folder, e.g. a CLAUDE_CONFIG_DIR) as
    /// the login to sync. Refused unless DIR holds that agent's login.
    #[command(after_help = "Examples:
  jackin config auth source set ~/.claude-work
  jackin config auth source set ~/.codex-client --agent codex --workspace client-app")]
    Set {
        /// The agent's config folder (~/… is kept as typed; relative paths become absolute).
        #[arg(value_parser = super::ops::non_empty())]
        dir: String,
        #[command(flatten)]
        scope: SourceScope,
    },
    /// Remove a source folder (the next scope, or the default host folder, applies).
    #[command(
        after_help = "Example:\n  jackin config auth source unset --agent codex --workspace client-app"
    )]
    Unset {
        #[command(flatten)]
        scope: SourceScope,
    },
}

#[derive(Debug, Args)]
struct EnvArgs {
    #[command(subcommand)]
    cmd: EnvCmd,
}

#[derive(Debug, Subcommand)]
enum EnvCmd {
    /// Set NAME in [env] (or [roles.R.env] with --role).
    ///
    /// VALUE is `$NAME`/`${NAME}` (host env at launch), `op://VAULT/ITEM/FIELD`
    /// (1Password), `keyring:SERVICE/ACCOUNT`, or a literal. Quote `$` from
    /// your shell. `-` reads the value from stdin, keeping it out of argv.
    #[command(after_help = "Examples:
  jackin config env set OPENAI_API_KEY '$OPENAI_API_KEY'
  jackin config env set ANTHROPIC_API_KEY op://dev/anthropic/key --role agent-smith
  printf %s \"$KEY\" | jackin config env set AMP_API_KEY -")]
    Set {
        /// Variable name (not JACKIN_*, DOCKER_HOST, CONTAINER_HOST, HOME, USER, LOGNAME, PATH).
        name: String,
        /// $NAME, ${NAME}, op://VAULT/ITEM/FIELD, keyring:SERVICE/ACCOUNT, a literal, or - (stdin).
        #[arg(allow_hyphen_values = true)]
        value: String,
        /// The role layer instead of the global one.
        #[arg(long, short)]
        role: Option<String>,
    },
    /// Remove NAME from [env] (or [roles.R.env]).
    #[command(after_help = "Example:\n  jackin config env unset OPENAI_API_KEY")]
    Unset {
        name: String,
        #[arg(long, short)]
        role: Option<String>,
    },
    /// List the layer's variables: references only, literals masked.
    #[command(after_help = "Example:\n  jackin config env list --role agent-smith --json")]
    List {
        #[arg(long, short)]
        role: Option<String>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `jackin config …`.
pub fn run(args: ConfigArgs, ctx: &Ctx) -> Result<(), CliError> {
    match args.cmd {
        ConfigCmd::Path => {
            super::output::println(ctx.config_path.display());
            Ok(())
        }
        ConfigCmd::Auth(a) => match a.cmd {
            AuthCmd::Set { mode, agent } => {
                ops::set_mode(ctx, &AgentScope::default(), &agent, mode)
            }
            AuthCmd::Unset { agent } => ops::unset_mode(ctx, &AgentScope::default(), &agent),
            AuthCmd::Show {
                workspace,
                role,
                json,
            } => show(ctx, workspace.as_deref(), role.as_deref(), json),
            AuthCmd::Source(s) => match s.cmd {
                SourceCmd::Set { dir, scope } => {
                    ops::set_source(ctx, &agent_scope(&scope), &scope.agent, &dir)
                }
                SourceCmd::Unset { scope } => {
                    ops::unset_source(ctx, &agent_scope(&scope), &scope.agent)
                }
            },
        },
        ConfigCmd::Env(e) => match e.cmd {
            EnvCmd::Set { name, value, role } => {
                ops::env_set(ctx, &EnvLayer::new(None, role), &name, &value)
            }
            EnvCmd::Unset { name, role } => ops::env_unset(ctx, &EnvLayer::new(None, role), &name),
            EnvCmd::List { role, json } => ops::env_list(ctx, &EnvLayer::new(None, role), json),
        },
    }
}

fn agent_scope(s: &SourceScope) -> AgentScope {
    AgentScope {
        workspace: s.workspace.clone(),
        role: s.role.clone(),
    }
}

fn scope_json(scope: &Scope, agent: &str) -> serde_json::Value {
    json!({"label": scope.label(agent), "table": scope.table(agent)})
}

/// `config auth show`: global modes, or the effective mode per agent for a
/// workspace (× role) with the trace of every scope consulted.
fn show(
    ctx: &Ctx,
    workspace: Option<&str>,
    role: Option<&str>,
    as_json: bool,
) -> Result<(), CliError> {
    let cfg = config::read_from(&ctx.config_path)?;
    if let Some(w) = workspace {
        if !cfg.workspaces.contains_key(w) {
            return Err(CliError::failure(format!("no workspace named '{w}'"))
                .hint("see `jackin workspace list`"));
        }
    }
    let agents: Vec<&str> = match role {
        Some(r) => match cfg.roles.get(r) {
            Some(role) => role.agents.iter().map(String::as_str).collect(),
            None => {
                return Err(CliError::failure(format!("no role named '{r}'"))
                    .hint("see `jackin role list`"))
            }
        },
        None => AGENTS.iter().map(|a| a.name).collect(),
    };
    if as_json {
        return output::json(&show_json(&cfg, workspace, role, &agents));
    }
    let mut out = String::new();
    match (workspace, role) {
        (None, _) => out.push_str("global auth (most specific scope: global × agent)\n"),
        (Some(w), None) => out.push_str(&format!("effective auth for workspace '{w}'\n")),
        (Some(w), Some(r)) => out.push_str(&format!(
            "effective auth for workspace '{w}' with role '{r}'\n"
        )),
    }
    let mut rows = vec![vec![
        "AGENT".to_string(),
        "MODE".into(),
        "SET AT".into(),
        "SOURCE FOLDER".into(),
    ]];
    for a in &agents {
        let m = resolve::mode(&cfg, workspace, role, a);
        let s = resolve::source_dir(&cfg, workspace, role, a);
        let src = match &s.value {
            Some(p) => format!("{} ({})", p.display(), s.scope.label(a)),
            None => "default host folder".into(),
        };
        rows.push(vec![
            a.to_string(),
            m.value.to_string(),
            scope_where(&m.scope, a),
            src,
        ]);
    }
    out.push_str(&output::columns(&rows));
    if workspace.is_some() {
        out.push_str("\nauth_forward resolution (most specific first):\n");
        let mut trows = Vec::new();
        for a in &agents {
            let m = resolve::mode(&cfg, workspace, role, a);
            for (i, step) in m.trace.iter().enumerate() {
                let effective = step.scope == m.scope;
                trows.push(vec![
                    if i == 0 {
                        format!("  {a}")
                    } else {
                        String::new()
                    },
                    step.scope.label(a),
                    format!(
                        "-> {}",
                        step.value.map(|v| v.to_string()).unwrap_or("(none)".into())
                    ),
                    if effective {
                        "<- effective".into()
                    } else {
                        String::new()
                    },
                ]);
            }
            if m.scope == Scope::Default {
                trows.push(vec![
                    String::new(),
                    "default".into(),
                    format!("-> {}", m.value),
                    "<- effective".into(),
                ]);
            }
        }
        out.push_str(&output::columns(&trows));
    }
    output::print(&out);
    Ok(())
}

fn scope_where(scope: &Scope, agent: &str) -> String {
    match scope {
        Scope::Default => "default".into(),
        s => format!("{} [{}]", s.label(agent), s.table(agent)),
    }
}

fn show_json(
    cfg: &Config,
    workspace: Option<&str>,
    role: Option<&str>,
    agents: &[&str],
) -> serde_json::Value {
    let items: Vec<_> = agents
        .iter()
        .map(|a| {
            let m = resolve::mode(cfg, workspace, role, a);
            let s = resolve::source_dir(cfg, workspace, role, a);
            json!({
                "agent": a,
                "mode": m.value,
                "scope": scope_json(&m.scope, a),
                "trace": m.trace.iter().map(|t| json!({
                    "scope": scope_json(&t.scope, a),
                    "value": t.value,
                })).collect::<Vec<_>>(),
                "source_dir": s.value.as_ref().map(|p| p.display().to_string()),
                "source_dir_scope": scope_json(&s.scope, a),
            })
        })
        .collect();
    json!({"workspace": workspace, "role": role, "agents": items})
}
