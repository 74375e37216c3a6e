//! `jackin ps`: instances with role, workspace, agents and state.

use super::select::{all, Found};
use super::{Store, LABEL_AGENTS};
use crate::engine::Engine;
use anyhow::Result;
use serde::Serialize;

/// One row of `jackin ps` (`--json` prints a list of these).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub id: String,
    pub container: String,
    pub role: String,
    pub workspace: String,
    pub agents: Vec<String>,
    /// `running`, `exited`, `created`, … or `ejected`.
    pub state: String,
    pub engine: String,
    pub volume: String,
}

/// Every instance on `engine`.
pub async fn ps(engine: &dyn Engine, store: &Store) -> Result<Vec<Row>> {
    Ok(all(engine, store).await?.iter().map(row).collect())
}

fn row(f: &Found) -> Row {
    Row {
        id: f.instance.id.clone(),
        container: f.instance.container_name(),
        role: f.instance.role.clone(),
        workspace: f.instance.workspace.clone(),
        agents: f
            .container
            .as_ref()
            .and_then(|c| c.labels.get(LABEL_AGENTS))
            .map(|a| a.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        state: f.state(),
        engine: f.instance.engine.clone(),
        volume: f.instance.volume_name(),
    }
}

/// The human table.
pub fn render(rows: &[Row]) -> String {
    if rows.is_empty() {
        return "no instances (start one with 'jackin load')\n".to_string();
    }
    let mut out = format!(
        "{:<9} {:<10} {:<16} {:<28} {:<26} {}\n",
        "ID", "STATE", "ROLE", "WORKSPACE", "AGENTS", "CONTAINER"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<9} {:<10} {:<16} {:<28} {:<26} {}\n",
            r.id,
            r.state,
            r.role,
            r.workspace,
            r.agents.join(","),
            r.container
        ));
    }
    out
}
