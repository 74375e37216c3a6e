//! What a `load` is about: the workspace (saved or the current folder), the
//! role, and the agent to start.

use crate::agents;
use crate::config::{Config, Mount, Role};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

pub use crate::config::builtin::{
    add_builtin_roles as with_builtin_roles, DEFAULT_IMAGE, DEFAULT_ROLE,
};

/// Where a launch happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Saved workspace name; `None` for an ad-hoc folder.
    pub workspace: Option<String>,
    /// The container's working directory.
    pub workdir: PathBuf,
    /// Bind mounts (an ad-hoc folder is mounted at the same path).
    pub mounts: Vec<Mount>,
}

impl Target {
    /// The key stored in the instance index and the `io.jackin.workspace`
    /// label: the workspace name, or `dir:<absolute path>`.
    pub fn key(&self) -> String {
        match &self.workspace {
            Some(w) => w.clone(),
            None => format!("dir:{}", self.workdir.display()),
        }
    }

    /// The inverse of [`Target::key`], for instances found by label.
    pub fn from_key(cfg: &Config, key: &str) -> Result<Target> {
        match key.strip_prefix("dir:") {
            Some(dir) => Ok(ad_hoc(Path::new(dir))),
            None => saved(cfg, key),
        }
    }
}

fn ad_hoc(dir: &Path) -> Target {
    Target {
        workspace: None,
        workdir: dir.to_path_buf(),
        mounts: vec![Mount {
            src: dir.to_path_buf(),
            dst: dir.to_path_buf(),
            readonly: false,
        }],
    }
}

fn saved(cfg: &Config, name: &str) -> Result<Target> {
    let ws = cfg.workspaces.get(name).with_context(|| {
        format!("no workspace named '{name}': see 'jackin workspace list', or create it with 'jackin workspace create'")
    })?;
    Ok(Target {
        workspace: Some(name.to_string()),
        workdir: ws.workdir.clone(),
        mounts: ws.mounts.clone(),
    })
}

/// The target of `jackin load [ROLE] [TARGET]`: `TARGET` names a saved
/// workspace or a folder; without it, the saved workspace whose workdir is
/// the current folder, else the current folder itself.
pub fn resolve_target(cfg: &Config, target: Option<&str>, cwd: &Path) -> Result<Target> {
    if let Some(t) = target {
        if cfg.workspaces.contains_key(t) {
            return saved(cfg, t);
        }
        let p = cwd.join(t);
        if p.is_dir() {
            let p = p
                .canonicalize()
                .with_context(|| format!("cannot resolve folder {}", p.display()))?;
            return Ok(ad_hoc(&p));
        }
        bail!("'{t}' is neither a saved workspace nor a folder: see 'jackin workspace list'");
    }
    if let Some((name, _)) = cfg.workspaces.iter().find(|(_, w)| w.workdir == cwd) {
        return saved(cfg, name);
    }
    Ok(ad_hoc(cwd))
}

/// Checks that every mount source of `target` exists on this host, so a
/// folder removed since `workspace create` is reported before anything is
/// created (the engine would only say `statfs …: no such file`).
pub fn check_mounts(target: &Target) -> Result<()> {
    for m in &target.mounts {
        if !m.src.exists() {
            match &target.workspace {
                Some(w) => bail!(
                    "workspace '{w}' mounts {}, which does not exist on this host: create it, or remove the mount with 'jackin workspace edit {w} --remove-mount {}'",
                    m.src.display(),
                    m.src.display()
                ),
                None => bail!("folder {} does not exist on this host", m.src.display()),
            }
        }
    }
    Ok(())
}

/// The role: `ROLE`, else the workspace's `default_role`, else the only
/// configured role, else the built-in `agent-smith`.
pub fn resolve_role(cfg: &Config, role: Option<&str>, target: &Target) -> Result<String> {
    let name = role
        .map(str::to_string)
        .or_else(|| {
            target
                .workspace
                .as_ref()
                .and_then(|w| cfg.workspaces.get(w))
                .and_then(|w| w.default_role.clone())
        })
        .unwrap_or_else(|| {
            let own: Vec<&String> = cfg.roles.keys().filter(|r| *r != DEFAULT_ROLE).collect();
            match own.as_slice() {
                [only] => (*only).clone(),
                _ => DEFAULT_ROLE.to_string(),
            }
        });
    if !cfg.roles.contains_key(&name) {
        if let Some(ws) = cfg.workspaces.get(&name) {
            let role = ws.default_role.as_deref().unwrap_or("ROLE");
            bail!(
                "'{name}' is a saved workspace, not a role: the first argument of 'jackin load' is the role; run 'jackin load {role} {name}'"
            );
        }
        bail!(
            "no role named '{name}' (roles: {}): add it with 'jackin role add {name} --image IMAGE --agent AGENT'",
            cfg.roles.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(name)
}

/// The agent to start: `--agent`, else the role's default. It must be one
/// of the role's agents.
pub fn resolve_agent(
    role_name: &str,
    role: &Role,
    agent: Option<&str>,
) -> Result<&'static agents::AgentSpec> {
    let name = agent
        .or_else(|| role.default_agent())
        .with_context(|| format!("role '{role_name}' lists no agents"))?;
    if !role.agents.iter().any(|a| a == name) {
        bail!(
            "role '{role_name}' cannot run '{name}' (its agents: {})",
            role.agents.join(", ")
        );
    }
    agents::find(name).with_context(|| {
        format!(
            "unknown agent '{name}' (known: {})",
            agents::names().join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Workspace;

    #[test]
    fn targets_and_roles() {
        let mut cfg = Config::default();
        with_builtin_roles(&mut cfg);
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path().canonicalize().unwrap();
        let t = resolve_target(&cfg, None, &cwd).unwrap();
        assert_eq!(t.workspace, None);
        assert_eq!(t.key(), format!("dir:{}", cwd.display()));
        assert_eq!(Target::from_key(&cfg, &t.key()).unwrap(), t);
        assert_eq!(resolve_role(&cfg, None, &t).unwrap(), DEFAULT_ROLE);
        assert!(resolve_role(&cfg, Some("nope"), &t).is_err());
        assert!(resolve_target(&cfg, Some("missing-thing"), &cwd).is_err());

        cfg.workspaces.insert(
            "w".into(),
            Workspace {
                workdir: cwd.clone(),
                default_role: Some(DEFAULT_ROLE.into()),
                ..Default::default()
            },
        );
        let t = resolve_target(&cfg, None, &cwd).unwrap();
        assert_eq!(t.workspace.as_deref(), Some("w"));
        let role = &cfg.roles[DEFAULT_ROLE];
        assert_eq!(
            resolve_agent(DEFAULT_ROLE, role, None).unwrap().name,
            "claude"
        );
        assert_eq!(
            resolve_agent(DEFAULT_ROLE, role, Some("codex"))
                .unwrap()
                .name,
            "codex"
        );
        assert!(resolve_agent(DEFAULT_ROLE, role, Some("vim")).is_err());
    }
}
