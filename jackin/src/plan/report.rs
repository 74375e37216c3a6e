//! Launch errors and the §6 rendering (`shared/SPEC.md` §6): per agent the
//! scope trace of its mode, per missing variable the four env layers, then
//! the ways to fix it. Nothing rendered here contains a value.

use super::LaunchTarget;
use crate::agents::{self, AgentSpec};
use crate::config::Config;
use crate::env::{self, Layer, LayerTrace, ResolvedEnv, Resolver};
use crate::mode::Mode;
use crate::resolve::Resolved;
use std::fmt;

/// Why a launch cannot start. `Display` is the complete message for the
/// operator, starting with `error: ` (print it as is, exit code 1).
#[derive(Debug, Clone, thiserror::Error)]
pub enum LaunchError {
    #[error("error: no role '{role}' in the config (roles: {}); add one with `jackin role add`", list(.known))]
    UnknownRole { role: String, known: Vec<String> },
    #[error("error: no saved workspace '{workspace}' (workspaces: {}); create it with `jackin workspace create`", list(.known))]
    UnknownWorkspace {
        workspace: String,
        known: Vec<String>,
    },
    #[error("error: role '{role}' lists unknown agent '{agent}' (known agents: {})", agents::names().join(", "))]
    UnknownAgent { role: String, agent: String },
    #[error("error: {agent} does not support auth_forward = {mode} (set in [{table}]); {agent} supports: {}", .supported.join(", "))]
    UnsupportedMode {
        agent: String,
        mode: Mode,
        /// The TOML table that set the mode.
        table: String,
        supported: Vec<String>,
    },
    /// §6: operator env that does not resolve, or a credential a mode needs
    /// that is unset or empty.
    #[error("{0}")]
    Env(Box<EnvReport>),
    #[error("error: cannot place {agent}'s login in the container: {var} (from {table}) {why}")]
    ContainerPath {
        agent: String,
        var: String,
        table: String,
        why: String,
    },
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// What is wrong with one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemState {
    /// Set in no layer.
    Unset,
    /// The winning value resolved to an empty string.
    Empty { layer: Layer },
    /// The winning value did not resolve.
    Failed {
        layer: Layer,
        reference: String,
        why: String,
    },
}

/// One variable that stops the launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvProblem {
    /// The agent and mode that need it; `None` for a non-credential
    /// variable (it goes to every agent, so it must resolve too).
    pub needed_by: Option<(String, Mode)>,
    pub var: String,
    pub state: ProblemState,
}

/// The §6 report: everything needed to render the error.
#[derive(Debug, Clone)]
pub struct EnvReport {
    pub workspace: Option<String>,
    /// The launch folder of an ad-hoc target (no saved workspace), named
    /// in the message instead of "the current directory".
    pub folder: Option<String>,
    pub role: String,
    /// Every agent of the role with its mode resolution.
    pub modes: Vec<(String, Resolved<Mode>)>,
    pub problems: Vec<EnvProblem>,
    /// Per problem variable (first-appearance order), every layer, lowest
    /// first.
    pub traces: Vec<(String, Vec<LayerTrace>)>,
}

/// Validates the resolved env against the modes (§6). `Err` carries every
/// problem at once.
pub(super) fn check(
    cfg: &Config,
    target: &LaunchTarget,
    resolver: &Resolver,
    modes: &[(&'static AgentSpec, Resolved<Mode>)],
    resolved: &ResolvedEnv,
) -> Result<(), LaunchError> {
    let mut problems = Vec::new();
    for (spec, m) in modes {
        let Some(var) = spec.var_for(m.value) else {
            continue;
        };
        let state = match (resolved.failures.get(var), resolved.values.get(var)) {
            (Some(f), _) => ProblemState::Failed {
                layer: f.layer.clone(),
                reference: f.reference.clone(),
                why: f.why.clone(),
            },
            (None, None) => ProblemState::Unset,
            (None, Some(v)) if v.value.is_blank() => ProblemState::Empty {
                layer: v.layer.clone(),
            },
            (None, Some(_)) => continue,
        };
        problems.push(EnvProblem {
            needed_by: Some((spec.name.into(), m.value)),
            var: var.into(),
            state,
        });
    }
    for (name, f) in &resolved.failures {
        if !agents::is_credential_var(name) {
            problems.push(EnvProblem {
                needed_by: None,
                var: name.clone(),
                state: ProblemState::Failed {
                    layer: f.layer.clone(),
                    reference: f.reference.clone(),
                    why: f.why.clone(),
                },
            });
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let mut traces: Vec<(String, Vec<LayerTrace>)> = Vec::new();
    for p in &problems {
        if !traces.iter().any(|(v, _)| *v == p.var) {
            let t = env::layers::trace_var(
                cfg,
                target.workspace.as_deref(),
                &target.role,
                &p.var,
                resolver,
                Some(resolved),
            );
            traces.push((p.var.clone(), t));
        }
    }
    Err(LaunchError::Env(Box::new(EnvReport {
        workspace: target.workspace.clone(),
        folder: target.workdir.clone(),
        role: target.role.clone(),
        modes: modes
            .iter()
            .map(|(s, m)| (s.name.to_string(), m.clone()))
            .collect(),
        problems,
        traces,
    })))
}

impl EnvReport {
    fn place(&self) -> String {
        match &self.workspace {
            Some(w) => format!("in workspace '{w}'"),
            None => match &self.folder {
                Some(f) => format!("in folder {f} (no saved workspace)"),
                None => "in the current directory (no saved workspace)".into(),
            },
        }
    }

    /// `jackin … env set` command that writes `var` at `layer`.
    fn set_cmd(&self, layer: Option<&Layer>, var: &str, verb: &str) -> String {
        let value = if verb == "set" { " <value>" } else { "" };
        match (layer, &self.workspace) {
            (Some(Layer::WorkspaceRole { workspace, role }), _) => {
                format!("jackin workspace env {verb} {workspace} {var}{value} --role {role}")
            }
            (Some(Layer::Workspace { workspace }), _) | (None, Some(workspace)) => {
                format!("jackin workspace env {verb} {workspace} {var}{value}")
            }
            (Some(Layer::Role { role }), _) => {
                format!("jackin config env {verb} {var}{value} --role {role}")
            }
            (Some(Layer::Global), _) | (None, None) => {
                format!("jackin config env {verb} {var}{value}")
            }
        }
    }

    fn mode_cmd(&self, agent: &str) -> String {
        match &self.workspace {
            Some(w) => format!("jackin workspace auth set {w} sync --agent {agent}"),
            None => format!("jackin config auth set sync --agent {agent}"),
        }
    }

    fn write_modes(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "auth_forward resolution (most specific first):")?;
        let name_w = self.modes.iter().map(|(a, _)| a.len()).max().unwrap_or(0) + 2;
        let label_w = self
            .modes
            .iter()
            .flat_map(|(a, m)| {
                m.trace
                    .iter()
                    .map(move |s| s.scope.label(a).chars().count())
            })
            .chain([crate::resolve::Scope::Default.label("").len()])
            .max()
            .unwrap_or(0)
            + 3;
        for (agent, m) in &self.modes {
            let mut first = true;
            let mut rows: Vec<(String, Option<Mode>, bool)> = Vec::new();
            let mut won = false;
            for step in &m.trace {
                let eff = !won && step.value.is_some() && step.scope == m.scope;
                won |= eff;
                rows.push((step.scope.label(agent), step.value, eff));
            }
            if !won {
                rows.push((m.scope.label(agent), Some(m.value), true));
            }
            for (label, value, eff) in rows {
                let name = if first { agent.as_str() } else { "" };
                first = false;
                let value = match (value, eff) {
                    (None, _) => "(none)".to_string(),
                    (Some(v), true) => format!("{:<12}<- effective", v.as_str()),
                    (Some(v), false) => v.to_string(),
                };
                writeln!(f, "  {name:<name_w$}{label:<label_w$}-> {value}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for EnvReport {
    /// The §6 message (multi-line, no trailing newline).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut who: Vec<&str> = Vec::new();
        for p in &self.problems {
            if let Some((a, _)) = &p.needed_by {
                if !who.contains(&a.as_str()) {
                    who.push(a);
                }
            }
        }
        if who.is_empty() {
            who = self.modes.iter().map(|(a, _)| a.as_str()).collect();
        }
        writeln!(
            f,
            "error: cannot launch {} {} with role '{}'",
            who.join(", "),
            self.place(),
            self.role
        )?;
        for p in &self.problems {
            let state = match &p.state {
                ProblemState::Unset => "which is unset".to_string(),
                ProblemState::Empty { layer } => {
                    format!("which is empty (set in {})", layer.table())
                }
                ProblemState::Failed {
                    layer,
                    reference,
                    why,
                } => format!("which failed: {why} ({reference} in {})", layer.table()),
            };
            match &p.needed_by {
                Some((agent, mode)) => writeln!(
                    f,
                    "  {agent} auth_forward = {mode} needs {}, {state}",
                    p.var
                )?,
                None => writeln!(
                    f,
                    "  operator env {} (passed to every agent) {}",
                    p.var,
                    state.trim_start_matches("which ")
                )?,
            }
        }
        writeln!(f)?;
        self.write_modes(f)?;
        for (var, layers) in &self.traces {
            writeln!(f, "{var} in operator env (lowest -> highest):")?;
            for l in layers {
                writeln!(f, "  {:<39} {}", l.layer.table(), l.status)?;
            }
        }
        let mut fixes: Vec<String> = Vec::new();
        for p in &self.problems {
            let layer = match &p.state {
                ProblemState::Unset => None,
                ProblemState::Empty { layer } | ProblemState::Failed { layer, .. } => Some(layer),
            };
            match &p.needed_by {
                Some((agent, _)) => {
                    fixes.push(format!(
                        "{}, or set another mode",
                        self.set_cmd(layer, &p.var, "set")
                    ));
                    if layer.is_none() && self.workspace.is_some() {
                        fixes.push(format!(
                            "{}   (every workspace)",
                            self.set_cmd(Some(&Layer::Global), &p.var, "set")
                        ));
                    }
                    fixes.push(format!("{}   (another mode)", self.mode_cmd(agent)));
                }
                None => fixes.push(format!(
                    "{}, or remove it: {}",
                    self.set_cmd(layer, &p.var, "set"),
                    self.set_cmd(layer, &p.var, "unset")
                )),
            }
        }
        for (i, fix) in fixes.iter().enumerate() {
            let lead = if i == 0 { "fix:" } else { "    " };
            if i + 1 == fixes.len() {
                write!(f, "{lead} {fix}")?;
            } else {
                writeln!(f, "{lead} {fix}")?;
            }
        }
        Ok(())
    }
}
