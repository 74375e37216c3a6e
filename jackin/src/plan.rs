//! The launch plan: what every agent of a role gets in this launch
//! (`shared/SPEC.md` §2, §3, §5, §6).
//!
//! [`build`] resolves each agent's mode (with the scope trace), resolves the
//! operator env, validates that every credential a mode needs is there
//! (§6, else a [`LaunchError`] rendering the full trace), discovers host
//! logins for `sync`, and turns all of it into per-agent file operations and
//! environments relative to the container user's home. [`crate::bundle`]
//! turns the plan into the bytes streamed to `jackin-init receive`.
//!
//! Nothing here touches a container; the plan holds secrets only in memory
//! in redacted wrappers ([`Secret`], [`SecretBytes`]).

mod files;
mod report;
#[cfg(test)]
mod tests;

pub use files::{container_dir, ContainerDir};
pub use report::{EnvProblem, EnvReport, LaunchError, ProblemState};

use crate::agents::{self, AgentSpec};
use crate::config::Config;
use crate::discovery::{self, HostLogin, SecretBytes};
use crate::env::{self, EnvSource, HostEnv, Layer, Resolver, Secret};
use crate::mode::Mode;
use crate::resolve::{self, Resolved};
use jackin_init::manifest::{Action, FileOp};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// What is being launched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchTarget {
    /// A saved workspace name, or `None` for an ad-hoc launch in the current
    /// directory (then only the global scopes and env layers apply).
    pub workspace: Option<String>,
    /// The role name (`[roles.R]`).
    pub role: String,
    /// The container user's home (`/home/agent`, from the image's
    /// `/etc/passwd`) when known. It lets an absolute relocation path in the
    /// operator env be expressed relative to the home, and `~/…` values of
    /// relocation variables be expanded in the agents' env. `None`: only
    /// `~/…` / `$HOME/…` relocation values are accepted and passed as is.
    pub container_home: Option<String>,
    /// The container's working folder, marked as trusted in Claude's
    /// `.claude.json` so no trust dialog stops the launch. `None`: not marked.
    pub workdir: Option<String>,
}

impl LaunchTarget {
    /// A target in a saved workspace.
    pub fn workspace(workspace: &str, role: &str) -> LaunchTarget {
        LaunchTarget {
            workspace: Some(workspace.into()),
            role: role.into(),
            container_home: None,
            workdir: None,
        }
    }

    /// An ad-hoc target (the current directory, no saved workspace).
    pub fn ad_hoc(role: &str) -> LaunchTarget {
        LaunchTarget {
            workspace: None,
            role: role.into(),
            container_home: None,
            workdir: None,
        }
    }
}

/// Where an exported variable came from, for `--debug` (never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvOrigin {
    /// Operator env: the reference (`$NAME`, `op://…`, `literal`, …) and
    /// the winning layer.
    Operator { reference: String, layer: Layer },
    /// The agent table's fixed launch env ([`AgentSpec::launch_env`]).
    AgentTable,
}

/// Why an agent gets what it gets, for the summary line and notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `sync` with a host login read from `from` (a folder or
    /// `keychain:…`); `source_dir` is true when a `sync_source_dir` chose it.
    HostLogin { from: PathBuf, source_dir: bool },
    /// `sync` without a usable host login: the container's login is kept.
    NoHostLogin { reason: String },
    /// `api_key` / `oauth_token`: `var` from operator env at `layer`.
    FromEnv { var: String, layer: Layer },
    /// `ignore`: forwarded files are revoked.
    Revoked,
}

/// One agent's part of the launch.
#[derive(Debug, Clone)]
pub struct AgentLaunch {
    pub spec: &'static AgentSpec,
    /// The resolved mode with the scope trace (most specific first).
    pub mode: Resolved<Mode>,
    /// What `receive` reports for this agent.
    pub action: Action,
    /// File operations, paths relative to the container user's home;
    /// `Write` entries name keys of [`LaunchPlan::payload`].
    pub files: Vec<FileOp>,
    /// This agent's process env: non-credential operator env, the one
    /// credential variable of its mode, and its launch env.
    pub env: BTreeMap<String, Secret>,
    /// Where each variable of `env` came from.
    pub env_origins: BTreeMap<String, EnvOrigin>,
    pub outcome: Outcome,
    /// Non-fatal problems to show the operator (no secrets).
    pub warnings: Vec<String>,
}

/// Everything one launch provisions, for every agent of the role.
#[derive(Debug, Clone)]
pub struct LaunchPlan {
    pub workspace: Option<String>,
    pub role: String,
    /// Every agent of the role, in the role's order.
    pub agents: Vec<AgentLaunch>,
    /// Bytes of each `Write` operation by entry name (`f0`, `f1`, …),
    /// byte-identical to the host files; in memory only.
    pub payload: BTreeMap<String, SecretBytes>,
}

impl LaunchPlan {
    /// Whether some agent's env carries a variable that relocates an
    /// agent folder (`CLAUDE_CONFIG_DIR`, `CODEX_HOME`, `XDG_DATA_HOME`):
    /// such a plan must be built with [`LaunchTarget::container_home`] so
    /// the agents get absolute paths.
    pub fn uses_relocation(&self) -> bool {
        self.agents
            .iter()
            .any(|a| a.env.keys().any(|k| files::is_relocation_var(k)))
    }

    /// The one-line launch summary, e.g.
    /// `auth: claude sync (host login) · codex api_key (OPENAI_API_KEY from workspace) · amp ignore · opencode sync (no host login, kept container login)`.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .agents
            .iter()
            .map(|a| {
                let name = a.spec.name;
                let mode = a.mode.value;
                match &a.outcome {
                    Outcome::HostLogin {
                        source_dir: false, ..
                    } => format!("{name} {mode} (host login)"),
                    Outcome::HostLogin {
                        from,
                        source_dir: true,
                    } => format!("{name} {mode} (host login from {})", from.display()),
                    Outcome::NoHostLogin { .. } => {
                        format!("{name} {mode} (no host login, kept container login)")
                    }
                    Outcome::FromEnv { var, layer } => {
                        format!("{name} {mode} ({var} from {})", layer.short())
                    }
                    Outcome::Revoked => format!("{name} {mode}"),
                }
            })
            .collect();
        format!("auth: {}", parts.join(" · "))
    }

    /// Lines worth showing under the summary: why a host login was not
    /// usable, and warnings. No secrets.
    pub fn notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        for a in &self.agents {
            if let Outcome::NoHostLogin { reason } = &a.outcome {
                out.push(format!(
                    "{}: the host had no usable login ({reason}); the container keeps its own login",
                    a.spec.name
                ));
            }
            for w in &a.warnings {
                out.push(format!("{}: {w}", a.spec.name));
            }
        }
        out
    }

    /// `--debug` lines: per agent, each exported variable with its reference
    /// and layer (`codex: OPENAI_API_KEY = $OPENAI_API_KEY from [env]`).
    /// Never a value.
    pub fn env_debug(&self) -> Vec<String> {
        let mut out = Vec::new();
        for a in &self.agents {
            for (name, origin) in &a.env_origins {
                out.push(match origin {
                    EnvOrigin::Operator { reference, layer } => format!(
                        "{}: {name} = {reference} from {}",
                        a.spec.name,
                        layer.table()
                    ),
                    EnvOrigin::AgentTable => {
                        format!(
                            "{}: {name} = (jackin's launch env for {})",
                            a.spec.name, a.spec.name
                        )
                    }
                });
            }
        }
        out
    }

    /// The plan of one agent.
    pub fn agent(&self, name: &str) -> Option<&AgentLaunch> {
        self.agents.iter().find(|a| a.spec.name == name)
    }
}

/// Every effective operator env variable with its reference and layer,
/// without resolving anything (for `--debug` before a launch).
pub fn env_sources(cfg: &Config, target: &LaunchTarget) -> Vec<EnvSource> {
    env::layers::sources(cfg, target.workspace.as_deref(), &target.role)
}

/// Builds the plan for `target` with `host_env` as the host environment,
/// `op` from `PATH` and the OS keyring. See [`build_with`].
pub fn build(
    cfg: &Config,
    target: &LaunchTarget,
    host_env: &HostEnv,
) -> Result<LaunchPlan, LaunchError> {
    build_with(cfg, target, &Resolver::new(host_env))
}

/// Builds the plan for `target`, resolving env with `resolver` (whose
/// `host_env` is also where host logins are looked up: `HOME` and the
/// relocation variables).
///
/// Errors, before anything is created: unknown role / workspace / agent, a
/// mode the agent does not support, operator env that fails to resolve or a
/// credential a mode needs that is unset or empty (all problems together,
/// §6 shape), a relocation variable that cannot be placed under the
/// container user's home.
pub fn build_with(
    cfg: &Config,
    target: &LaunchTarget,
    resolver: &Resolver,
) -> Result<LaunchPlan, LaunchError> {
    let ws = target.workspace.as_deref();
    let role_name = target.role.as_str();
    let role = cfg
        .roles
        .get(role_name)
        .ok_or_else(|| LaunchError::UnknownRole {
            role: role_name.into(),
            known: cfg.roles.keys().cloned().collect(),
        })?;
    if let Some(w) = ws {
        if !cfg.workspaces.contains_key(w) {
            return Err(LaunchError::UnknownWorkspace {
                workspace: w.into(),
                known: cfg.workspaces.keys().cloned().collect(),
            });
        }
    }
    let mut modes: Vec<(&'static AgentSpec, Resolved<Mode>)> = Vec::new();
    for name in &role.agents {
        let spec = agents::find(name).ok_or_else(|| LaunchError::UnknownAgent {
            role: role_name.into(),
            agent: name.clone(),
        })?;
        let m = resolve::mode(cfg, ws, Some(role_name), name);
        if !spec.supports(m.value) {
            return Err(LaunchError::UnsupportedMode {
                agent: spec.name.into(),
                mode: m.value,
                table: m.scope.table(spec.name),
                supported: spec.modes.iter().map(|m| m.to_string()).collect(),
            });
        }
        modes.push((spec, m));
    }

    // §5/§6: resolve every effective non-credential variable (they all go to
    // the container) and the credential variables some mode needs; an unused
    // credential variable is left alone.
    let needed: BTreeSet<&str> = modes
        .iter()
        .filter_map(|(s, m)| s.var_for(m.value))
        .collect();
    let resolved = env::layers::resolve(cfg, ws, role_name, resolver, |n| {
        !agents::is_credential_var(n) || needed.contains(n)
    });
    report::check(cfg, target, resolver, &modes, &resolved)?;

    let mut plan = LaunchPlan {
        workspace: target.workspace.clone(),
        role: role_name.into(),
        agents: Vec::new(),
        payload: BTreeMap::new(),
    };
    let shared: Vec<(&String, &env::ResolvedVar)> = resolved
        .values
        .iter()
        .filter(|(n, _)| !agents::is_credential_var(n))
        .collect();
    for (spec, mode) in modes {
        let dir = files::container_dir(spec, &resolved.values, target.container_home.as_deref())?;
        let mut env = BTreeMap::new();
        let mut env_origins = BTreeMap::new();
        for (k, v) in spec.launch_env {
            env.insert(k.to_string(), Secret::new(*v));
            env_origins.insert(k.to_string(), EnvOrigin::AgentTable);
        }
        for (name, var) in &shared {
            let value =
                files::expand_relocation(name, &var.value, target.container_home.as_deref());
            env.insert(name.to_string(), value);
            env_origins.insert(
                name.to_string(),
                EnvOrigin::Operator {
                    reference: var.reference.clone(),
                    layer: var.layer.clone(),
                },
            );
        }
        let mut warnings = Vec::new();
        let (action, ops, outcome) = match mode.value {
            Mode::Sync => {
                let source = resolve::source_dir(cfg, ws, Some(role_name), spec.name).value;
                match discovery::discover(spec, source.as_deref(), resolver.host_env) {
                    HostLogin::Found {
                        files: found,
                        from,
                        warnings: w,
                    } => {
                        warnings.extend(w);
                        let ops = files::sync_ops(
                            spec,
                            &dir,
                            target.workdir.as_deref(),
                            &found,
                            &mut plan.payload,
                            &mut warnings,
                        );
                        let outcome = Outcome::HostLogin {
                            from,
                            source_dir: source.is_some(),
                        };
                        (Action::Synced, ops, outcome)
                    }
                    HostLogin::Absent { reason } => (
                        Action::Kept,
                        files::keep_ops(spec, &dir),
                        Outcome::NoHostLogin { reason },
                    ),
                }
            }
            Mode::ApiKey | Mode::OauthToken => {
                let var = spec.var_for(mode.value).expect("checked by report::check");
                let r = &resolved.values[var];
                env.insert(var.to_string(), r.value.clone());
                env_origins.insert(
                    var.to_string(),
                    EnvOrigin::Operator {
                        reference: r.reference.clone(),
                        layer: r.layer.clone(),
                    },
                );
                let outcome = Outcome::FromEnv {
                    var: var.into(),
                    layer: r.layer.clone(),
                };
                (
                    Action::Env,
                    files::env_mode_ops(spec, &dir, target.workdir.as_deref()),
                    outcome,
                )
            }
            Mode::Ignore => (
                Action::Revoked,
                files::revoke_ops(spec, &dir),
                Outcome::Revoked,
            ),
        };
        plan.agents.push(AgentLaunch {
            spec,
            mode,
            action,
            files: ops,
            env,
            env_origins,
            outcome,
            warnings,
        });
    }
    Ok(plan)
}
