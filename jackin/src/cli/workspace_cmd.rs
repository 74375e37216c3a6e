//! `jackin workspace …`: saved workspaces and their auth and env overrides.

use super::ops::{self, agent_parser, parse_mode, AgentScope, EnvLayer};
use super::output;
use super::{CliError, Ctx};
use crate::config::scope::{require_role, require_workspace};
use crate::config::{self, edit::*, paths, validate, ConfigError, Workspace};
use crate::mode::Mode;
use clap::{Args, Subcommand};
use serde_json::json;
use toml_edit::{Array, Item, Value};

/// `jackin workspace`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  jackin workspace create my-app --workdir ~/src/my-app --default-role agent-smith
  jackin workspace auth set my-app api_key --agent codex
  jackin workspace env set my-app OPENAI_API_KEY '$WORK_OPENAI_KEY'
  jackin workspace show my-app")]
pub struct WorkspaceArgs {
    #[command(subcommand)]
    cmd: WsCmd,
}

#[derive(Debug, Subcommand)]
enum WsCmd {
    /// Save a workspace: workdir, mounts (default: the workdir itself), default role.
    #[command(after_help = "Examples:
  jackin workspace create my-app --workdir ~/src/my-app
  jackin workspace create mono --workdir /src/mono --mount ~/src/mono:/src/mono --mount ~/data:/data:ro")]
    Create {
        name: String,
        /// Working directory in the container (relative paths become absolute).
        #[arg(long, value_parser = super::ops::non_empty())]
        workdir: String,
        /// Bind mount `src[:dst][:ro]` (repeatable). Default: the workdir at the same path.
        #[arg(long = "mount", value_name = "SPEC", value_parser = super::ops::non_empty())]
        mounts: Vec<String>,
        /// Role `jackin load` uses in this workspace when none is given.
        #[arg(long)]
        default_role: Option<String>,
    },
    /// List saved workspaces.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Show one workspace: mounts, auth and env overrides (env as references).
    Show {
        name: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Change a workspace's workdir, mounts or default role.
    #[command(after_help = "Examples:
  jackin workspace edit my-app --add-mount ~/data:/data:ro
  jackin workspace edit my-app --remove-mount ~/data --no-default-role")]
    Edit {
        name: String,
        #[arg(long, value_parser = super::ops::non_empty())]
        workdir: Option<String>,
        /// Add a mount `src[:dst][:ro]` (repeatable).
        #[arg(long, value_name = "SPEC", value_parser = super::ops::non_empty())]
        add_mount: Vec<String>,
        /// Remove the mount with this spec or this host path (repeatable).
        #[arg(long, value_name = "SPEC", value_parser = super::ops::non_empty())]
        remove_mount: Vec<String>,
        #[arg(long, conflicts_with = "no_default_role")]
        default_role: Option<String>,
        /// Remove the default role.
        #[arg(long)]
        no_default_role: bool,
    },
    /// Delete a saved workspace (with its auth and env overrides).
    Remove { name: String },
    /// Workspace and workspace × role × agent auth modes.
    Auth(AuthArgs),
    /// Workspace and workspace × role operator env.
    Env(EnvArgs),
}

#[derive(Debug, Args)]
struct AuthArgs {
    #[command(subcommand)]
    cmd: AuthCmd,
}

#[derive(Debug, Subcommand)]
enum AuthCmd {
    /// Set an agent's mode in workspace W (with --role: only for that role).
    #[command(after_help = "Examples:
  jackin workspace auth set my-app api_key --agent codex
  jackin workspace auth set my-app ignore --agent claude --role agent-smith")]
    Set {
        workspace: String,
        /// sync | api_key | oauth_token | ignore
        #[arg(value_parser = parse_mode)]
        mode: Mode,
        /// The agent.
        #[arg(long, default_value = "claude", value_parser = agent_parser())]
        agent: String,
        #[arg(long, short)]
        role: Option<String>,
    },
    /// Remove an agent's mode from workspace W (or W × role); the next scope applies.
    #[command(after_help = "Example:\n  jackin workspace auth unset my-app --agent codex")]
    Unset {
        workspace: String,
        #[arg(long, default_value = "claude", value_parser = agent_parser())]
        agent: String,
        #[arg(long, short)]
        role: Option<String>,
    },
}

#[derive(Debug, Args)]
struct EnvArgs {
    #[command(subcommand)]
    cmd: EnvCmd,
}

#[derive(Debug, Subcommand)]
enum EnvCmd {
    /// Set NAME in [workspaces.W.env] (or [workspaces.W.roles.R.env]).
    /// VALUE forms as in `jackin config env set`; `-` reads stdin.
    #[command(
        after_help = "Example:\n  jackin workspace env set my-app OPENAI_API_KEY '$WORK_OPENAI_KEY' --role agent-smith"
    )]
    Set {
        workspace: String,
        /// Variable name (not JACKIN_*, DOCKER_HOST, CONTAINER_HOST, HOME, USER, LOGNAME, PATH).
        name: String,
        /// $NAME, ${NAME}, op://VAULT/ITEM/FIELD, keyring:SERVICE/ACCOUNT, a literal, or - (stdin).
        #[arg(allow_hyphen_values = true)]
        value: String,
        #[arg(long, short)]
        role: Option<String>,
    },
    /// Remove NAME from the workspace (or workspace × role) layer.
    Unset {
        workspace: String,
        name: String,
        #[arg(long, short)]
        role: Option<String>,
    },
    /// List the layer's variables: references only, literals masked.
    List {
        workspace: String,
        #[arg(long, short)]
        role: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// Runs `jackin workspace …`.
pub fn run(args: WorkspaceArgs, ctx: &Ctx) -> Result<(), CliError> {
    match args.cmd {
        WsCmd::Create {
            name,
            workdir,
            mounts,
            default_role,
        } => create(ctx, &name, &workdir, mounts, default_role),
        WsCmd::List { json } => list(ctx, json),
        WsCmd::Show { name, json } => show(ctx, &name, json),
        WsCmd::Edit {
            name,
            workdir,
            add_mount,
            remove_mount,
            default_role,
            no_default_role,
        } => edit_ws(
            ctx,
            &name,
            workdir,
            add_mount,
            remove_mount,
            default_role,
            no_default_role,
        ),
        WsCmd::Remove { name } => {
            config::edit(&ctx.config_path, |doc| {
                require_workspace(doc, &name)?;
                table_at(doc, &["workspaces"]).map(|t| t.remove(&name));
                prune(doc, &["workspaces"], 0);
                Ok(())
            })?;
            ctx.say(format!("removed workspace '{name}'"));
            Ok(())
        }
        WsCmd::Auth(a) => match a.cmd {
            AuthCmd::Set {
                workspace,
                mode,
                agent,
                role,
            } => ops::set_mode(ctx, &scope(workspace, role), &agent, mode),
            AuthCmd::Unset {
                workspace,
                agent,
                role,
            } => ops::unset_mode(ctx, &scope(workspace, role), &agent),
        },
        WsCmd::Env(e) => match e.cmd {
            EnvCmd::Set {
                workspace,
                name,
                value,
                role,
            } => ops::env_set(ctx, &EnvLayer::new(Some(workspace), role), &name, &value),
            EnvCmd::Unset {
                workspace,
                name,
                role,
            } => ops::env_unset(ctx, &EnvLayer::new(Some(workspace), role), &name),
            EnvCmd::List {
                workspace,
                role,
                json,
            } => ops::env_list(ctx, &EnvLayer::new(Some(workspace), role), json),
        },
    }
}

fn scope(workspace: String, role: Option<String>) -> AgentScope {
    AgentScope {
        workspace: Some(workspace),
        role,
    }
}

/// Normalizes a mount spec typed on the command line (relative host path
/// made absolute), validates it, and checks the host path exists.
fn mount_spec(raw: &str) -> Result<String, CliError> {
    let (src, rest) = match raw.split_once(':') {
        Some((s, r)) => (s, Some(r)),
        None => (raw, None),
    };
    let src = paths::absolutize_for_config(src);
    let spec = match rest {
        Some(r) => format!("{src}:{r}"),
        None => src,
    };
    let m = validate::mount(&spec).map_err(CliError::usage)?;
    if !m.src.exists() {
        return Err(
            CliError::failure(format!("mount source {} does not exist", m.src.display()))
                .hint("create the folder first, or fix the path"),
        );
    }
    Ok(spec)
}

fn workdir_value(raw: &str) -> Result<String, CliError> {
    let w = paths::absolutize_for_config(raw);
    validate::absolute_path(&w).map_err(CliError::usage)?;
    Ok(w)
}

fn create(
    ctx: &Ctx,
    name: &str,
    workdir: &str,
    mounts: Vec<String>,
    default_role: Option<String>,
) -> Result<(), CliError> {
    validate::entity_name("workspace", name).map_err(CliError::usage)?;
    let workdir = workdir_value(workdir)?;
    let mounts = if mounts.is_empty() {
        let host = paths::expand_tilde(&workdir);
        if !host.is_dir() {
            return Err(CliError::failure(format!(
                "workdir {} is not a folder on this host",
                host.display()
            ))
            .hint("without --mount the workdir is mounted at the same path; create it, or pass --mount SRC:DST"));
        }
        vec![mount_spec(&workdir)?]
    } else {
        mounts
            .iter()
            .map(|m| mount_spec(m))
            .collect::<Result<_, _>>()?
    };
    config::edit(&ctx.config_path, |doc| {
        if table_at(doc, &["workspaces", name]).is_some() {
            return Err(ConfigError::refused(
                format!("workspace '{name}' already exists"),
                Some(format!("change it with `jackin workspace edit {name} …`")),
            ));
        }
        if let Some(r) = &default_role {
            require_role(doc, r)?;
        }
        let t = ensure_table(doc, &["workspaces", name])?;
        set_value(t, "workdir", workdir.as_str());
        set_value(t, "mounts", mounts.iter().collect::<Array>());
        if let Some(r) = &default_role {
            set_value(t, "default_role", r.as_str());
        }
        Ok(())
    })?;
    ctx.say(format!(
        "created workspace '{name}' (workdir {workdir}, {} mount(s))",
        mounts.len()
    ));
    Ok(())
}

fn edit_ws(
    ctx: &Ctx,
    name: &str,
    workdir: Option<String>,
    add: Vec<String>,
    remove: Vec<String>,
    default_role: Option<String>,
    no_default_role: bool,
) -> Result<(), CliError> {
    if workdir.is_none()
        && add.is_empty()
        && remove.is_empty()
        && default_role.is_none()
        && !no_default_role
    {
        return Err(CliError::usage("nothing to change").hint(
            "pass --workdir, --add-mount, --remove-mount, --default-role or --no-default-role",
        ));
    }
    let workdir = workdir.map(|w| workdir_value(&w)).transpose()?;
    let add = add
        .iter()
        .map(|m| mount_spec(m))
        .collect::<Result<Vec<_>, _>>()?;
    config::edit(&ctx.config_path, |doc| {
        require_workspace(doc, name)?;
        if let Some(r) = &default_role {
            require_role(doc, r)?;
        }
        let t = ensure_table(doc, &["workspaces", name])?;
        if let Some(w) = &workdir {
            set_value(t, "workdir", w.as_str());
        }
        if no_default_role {
            t.remove("default_role");
        }
        if let Some(r) = &default_role {
            set_value(t, "default_role", r.as_str());
        }
        if !add.is_empty() || !remove.is_empty() {
            if t.get("mounts").is_none() {
                t.insert("mounts", Item::Value(Value::Array(Array::new())));
            }
            let arr = t
                .get_mut("mounts")
                .and_then(Item::as_array_mut)
                .ok_or_else(|| ConfigError::refused("mounts is not a list", None))?;
            for r in &remove {
                let before = arr.len();
                arr.retain(|v| !v.as_str().is_some_and(|s| same_mount(s, r)));
                if arr.len() == before {
                    return Err(ConfigError::refused(
                        format!("workspace '{name}' has no mount '{r}'"),
                        Some(format!("see `jackin workspace show {name}`")),
                    ));
                }
            }
            for a in &add {
                arr.push(a.as_str());
            }
        }
        Ok(())
    })?;
    ctx.say(format!("updated workspace '{name}'"));
    Ok(())
}

/// Whether stored mount `stored` is the one the operator named with `given`
/// (the same spec, or the same host path).
fn same_mount(stored: &str, given: &str) -> bool {
    if stored == given {
        return true;
    }
    let given_abs = paths::absolutize_for_config(given.split(':').next().unwrap_or(given));
    match (validate::mount(stored), validate::mount(&given_abs)) {
        (Ok(a), Ok(b)) => a.src == b.src,
        _ => false,
    }
}

fn mount_str(m: &config::Mount) -> String {
    let mut s = m.src.display().to_string();
    if m.dst != m.src {
        s.push(':');
        s.push_str(&m.dst.display().to_string());
    }
    if m.readonly {
        s.push_str(":ro");
    }
    s
}

fn list(ctx: &Ctx, as_json: bool) -> Result<(), CliError> {
    let cfg = config::read_from(&ctx.config_path)?;
    if as_json {
        let items: Vec<_> = cfg.workspaces.iter().map(|(n, w)| ws_json(n, w)).collect();
        return output::json(&json!(items));
    }
    if cfg.workspaces.is_empty() {
        ctx.say("no saved workspaces (create one with `jackin workspace create NAME --workdir P`)");
        return Ok(());
    }
    let mut rows = vec![vec![
        "NAME".into(),
        "WORKDIR".into(),
        "DEFAULT ROLE".into(),
        "MOUNTS".into(),
    ]];
    for (n, w) in &cfg.workspaces {
        rows.push(vec![
            n.clone(),
            w.workdir.display().to_string(),
            w.default_role.clone().unwrap_or_else(|| "-".into()),
            w.mounts
                .iter()
                .map(mount_str)
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    output::print(&output::columns(&rows));
    Ok(())
}

fn auth_json(a: &config::AgentAuth) -> serde_json::Value {
    json!({
        "auth_forward": a.auth_forward,
        "sync_source_dir": a.sync_source_dir.as_ref().map(|p| p.display().to_string()),
    })
}

fn env_json(env: &config::EnvMap) -> serde_json::Value {
    env.iter()
        .map(|(k, v)| (k.clone(), json!(ops::shown_json(v))))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn ws_json(name: &str, w: &Workspace) -> serde_json::Value {
    json!({
        "name": name,
        "workdir": w.workdir.display().to_string(),
        "mounts": w.mounts.iter().map(|m| json!({
            "src": m.src.display().to_string(),
            "dst": m.dst.display().to_string(),
            "readonly": m.readonly,
        })).collect::<Vec<_>>(),
        "default_role": w.default_role,
        "agents": w.agents.iter().map(|(k, a)| (k.clone(), auth_json(a))).collect::<serde_json::Map<_, _>>(),
        "env": env_json(&w.env),
        "roles": w.roles.iter().map(|(r, wr)| (r.clone(), json!({
            "agents": wr.agents.iter().map(|(k, a)| (k.clone(), auth_json(a))).collect::<serde_json::Map<_, _>>(),
            "env": env_json(&wr.env),
        }))).collect::<serde_json::Map<_, _>>(),
    })
}

fn auth_line(a: &config::AgentAuth) -> String {
    let mut parts = Vec::new();
    if let Some(m) = a.auth_forward {
        parts.push(format!("auth_forward = {m}"));
    }
    if let Some(p) = &a.sync_source_dir {
        parts.push(format!("sync_source_dir = {}", p.display()));
    }
    parts.join(", ")
}

fn show(ctx: &Ctx, name: &str, as_json: bool) -> Result<(), CliError> {
    let cfg = config::read_from(&ctx.config_path)?;
    let w = cfg.workspaces.get(name).ok_or_else(|| {
        CliError::failure(format!("no workspace named '{name}'"))
            .hint("see `jackin workspace list`")
    })?;
    if as_json {
        return output::json(&ws_json(name, w));
    }
    let mut out = format!(
        "workspace {name}\n  workdir       {}\n",
        w.workdir.display()
    );
    out.push_str(&format!(
        "  default role  {}\n  mounts\n",
        w.default_role.as_deref().unwrap_or("-")
    ));
    for m in &w.mounts {
        out.push_str(&format!("    {}\n", mount_str(m)));
    }
    if !w.agents.is_empty() {
        out.push_str("  auth (workspace × agent)\n");
        for (a, auth) in &w.agents {
            out.push_str(&format!("    {a:<9} {}\n", auth_line(auth)));
        }
    }
    if !w.env.is_empty() {
        out.push_str(&format!("  env [workspaces.{name}.env]\n"));
        for (k, v) in &w.env {
            out.push_str(&format!("    {k} = {}\n", ops::shown(v)));
        }
    }
    for (r, wr) in &w.roles {
        out.push_str(&format!("  role {r}\n"));
        for (a, auth) in &wr.agents {
            out.push_str(&format!("    {a:<9} {}\n", auth_line(auth)));
        }
        for (k, v) in &wr.env {
            out.push_str(&format!("    env {k} = {}\n", ops::shown(v)));
        }
    }
    output::print(&out);
    Ok(())
}
