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
    let mut table =
        vec![["ID", "STATE", "ROLE", "WORKSPACE", "AGENTS", "CONTAINER"].map(String::from)];
    for r in rows {
        table.push([
            r.id.clone(),
            r.state.clone(),
            r.role.clone(),
            r.workspace.clone(),
            r.agents.join(","),
            r.container.clone(),
        ]);
    }
    // Each column as wide as its widest cell, so long ad-hoc workspace
    // keys (`dir:/…`) do not push the next columns out of line.
    let widths: Vec<usize> = (0..6)
        .map(|i| {
            table
                .iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in &table {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < r.len() {
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_with_long_workspace_keys() {
        let row = |id: &str, ws: &str| Row {
            id: id.into(),
            container: format!("jk-{id}-agent-smith"),
            role: "agent-smith".into(),
            workspace: ws.into(),
            agents: vec!["claude".into(), "codex".into()],
            state: "running".into(),
            engine: "podman".into(),
            volume: format!("jk-{id}-home"),
        };
        let text = render(&[
            row(
                "aaaaaaaa",
                "dir:/tmp/jackin-demo.Ew88BX/work/with/a/long/path",
            ),
            row("bbbbbbbb", "my-app"),
        ]);
        let col = |line: &str, word: &str| line.find(word).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        let agents = col(lines[0], "AGENTS");
        assert_eq!(col(lines[1], "claude,codex"), agents, "{text}");
        assert_eq!(col(lines[2], "claude,codex"), agents, "{text}");
        assert!(lines[1].contains("long/path  claude"), "{text}");
    }
}
