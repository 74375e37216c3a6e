//! The built-in role every config has: `agent-smith`, the default role
//! image with all four agents (built from `images/agent-smith`). A
//! `[roles.agent-smith]` table in config.toml replaces it.

use super::model::{Config, Role};
use crate::agents;

/// Name of the built-in default role.
pub const DEFAULT_ROLE: &str = "agent-smith";
/// Image of the built-in default role.
pub const DEFAULT_IMAGE: &str = "localhost/jackin/agent-smith:latest";

/// The built-in role: every agent of [`agents::AGENTS`], Claude first.
pub fn default_role() -> Role {
    Role {
        image: DEFAULT_IMAGE.to_string(),
        agents: agents::AGENTS.iter().map(|a| a.name.to_string()).collect(),
        default_agent: Some("claude".to_string()),
        env: Default::default(),
    }
}

/// Adds the built-in role unless the config defines one of that name.
pub fn add_builtin_roles(cfg: &mut Config) {
    cfg.roles
        .entry(DEFAULT_ROLE.to_string())
        .or_insert_with(default_role);
}

/// Whether `name` is a built-in role.
pub fn is_builtin_role(name: &str) -> bool {
    name == DEFAULT_ROLE
}
