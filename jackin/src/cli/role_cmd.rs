//! `jackin role …`: roles are an image plus the agents it runs.

use super::ops::agent_parser;
use super::output;
use super::{CliError, Ctx};
use crate::config::scope::require_role;
use crate::config::{self, edit::*, validate, ConfigError};
use clap::{Args, Subcommand};
use serde_json::json;
use toml_edit::{Array, Item};

/// `jackin role`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  jackin role add agent-smith --image localhost/jackin/agent-smith:latest --agent claude --agent codex
  jackin role list --json
  jackin role remove agent-smith")]
pub struct RoleArgs {
    #[command(subcommand)]
    cmd: RoleCmd,
}

#[derive(Debug, Subcommand)]
enum RoleCmd {
    /// Add a role: an image and the agents it can run.
    #[command(after_help = "Example:
  jackin role add agent-smith --image localhost/jackin/agent-smith:latest \\
      --agent claude --agent codex --default-agent claude")]
    Add {
        name: String,
        /// Container image reference.
        #[arg(long)]
        image: String,
        /// An agent the image runs (repeatable; at least one).
        #[arg(long = "agent", required = true, value_parser = agent_parser())]
        agents: Vec<String>,
        /// The agent `jackin load` starts without --agent (default: the first --agent).
        #[arg(long, value_parser = agent_parser())]
        default_agent: Option<String>,
    },
    /// List roles.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Remove a role (refused while a workspace refers to it).
    Remove { name: String },
}

/// Runs `jackin role …`.
pub fn run(args: RoleArgs, ctx: &Ctx) -> Result<(), CliError> {
    match args.cmd {
        RoleCmd::Add {
            name,
            image,
            agents,
            default_agent,
        } => add(ctx, &name, &image, agents, default_agent),
        RoleCmd::List { json } => list(ctx, json),
        RoleCmd::Remove { name } => remove(ctx, &name),
    }
}

fn add(
    ctx: &Ctx,
    name: &str,
    image: &str,
    agents: Vec<String>,
    default_agent: Option<String>,
) -> Result<(), CliError> {
    validate::entity_name("role", name).map_err(CliError::usage)?;
    if image.trim().is_empty() {
        return Err(CliError::usage("--image must not be empty"));
    }
    validate::image(image).map_err(|m| CliError::usage(format!("--image: {m}")))?;
    for (i, a) in agents.iter().enumerate() {
        if agents[..i].contains(a) {
            return Err(CliError::usage(format!("--agent {a} is given twice")));
        }
    }
    if let Some(d) = &default_agent {
        if !agents.contains(d) {
            return Err(CliError::usage(format!(
                "--default-agent {d} is not one of the role's agents ({})",
                agents.join(", ")
            )));
        }
    }
    config::edit(&ctx.config_path, |doc| {
        if table_at(doc, &["roles", name]).is_some() {
            return Err(ConfigError::refused(
                format!("role '{name}' already exists"),
                Some(format!("remove it first with `jackin role remove {name}`")),
            ));
        }
        let t = ensure_table(doc, &["roles", name])?;
        set_value(t, "image", image);
        set_value(t, "agents", agents.iter().collect::<Array>());
        if let Some(d) = &default_agent {
            set_value(t, "default_agent", d.as_str());
        }
        Ok(())
    })?;
    ctx.say(format!(
        "added role '{name}' ({image}; agents: {})",
        agents.join(", ")
    ));
    Ok(())
}

fn list(ctx: &Ctx, as_json: bool) -> Result<(), CliError> {
    let cfg = config::read_from(&ctx.config_path)?;
    if as_json {
        let items: Vec<_> = cfg
            .roles
            .iter()
            .map(|(n, r)| {
                json!({
                    "name": n,
                    "image": r.image,
                    "agents": r.agents,
                    "default_agent": r.default_agent(),
                    "builtin": config::builtin::is_builtin_role(n) && *r == config::builtin::default_role(),
                    "env": r.env.iter().map(|(k, v)| (k.clone(), json!(super::ops::shown_json(v)))).collect::<serde_json::Map<_, _>>(),
                })
            })
            .collect();
        return output::json(&json!(items));
    }
    if cfg.roles.is_empty() {
        ctx.say("no roles (add one with `jackin role add NAME --image IMG --agent A`)");
        return Ok(());
    }
    let mut rows = vec![vec![
        "NAME".into(),
        "IMAGE".into(),
        "AGENTS".into(),
        "DEFAULT AGENT".into(),
    ]];
    for (n, r) in &cfg.roles {
        rows.push(vec![
            n.clone(),
            r.image.clone(),
            r.agents.join(","),
            r.default_agent().unwrap_or("-").to_string(),
        ]);
    }
    output::print(&output::columns(&rows));
    Ok(())
}

/// Workspaces whose `default_role` or `[workspaces.W.roles.R]` names `role`.
fn users(doc: &mut toml_edit::DocumentMut, role: &str) -> Vec<String> {
    let Some(ws) = table_at(doc, &["workspaces"]) else {
        return Vec::new();
    };
    ws.iter()
        .filter(|(_, item)| {
            let Some(t) = item.as_table_like() else {
                return false;
            };
            t.get("default_role").and_then(Item::as_str) == Some(role)
                || t.get("roles")
                    .and_then(Item::as_table_like)
                    .is_some_and(|r| r.contains_key(role))
        })
        .map(|(k, _)| k.to_string())
        .collect()
}

fn remove(ctx: &Ctx, name: &str) -> Result<(), CliError> {
    config::edit(&ctx.config_path, |doc| {
        require_role(doc, name)?;
        let used = users(doc, name);
        if !used.is_empty() {
            return Err(ConfigError::refused(
                format!("role '{name}' is used by workspace(s): {}", used.join(", ")),
                Some("change their default role and role overrides first (`jackin workspace edit`, `jackin workspace auth unset … --role`)".into()),
            ));
        }
        table_at(doc, &["roles"]).map(|t| t.remove(name));
        prune(doc, &["roles"], 0);
        Ok(())
    })?;
    ctx.say(format!("removed role '{name}'"));
    Ok(())
}
