//! Container-side file placement and the file operations of each mode
//! (`shared/SPEC.md` §2, §3). Paths are relative to the container user's
//! home, `/`-separated.

use super::LaunchError;
use crate::agents::{AgentSpec, FileKind, LoginFile, Placement, Revoke, AGENTS};
use crate::discovery::{FoundFile, SecretBytes};
use crate::env::{ResolvedVar, Secret};
use jackin_init::manifest::{FileAction, FileOp};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// An agent's config folder inside the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerDir {
    /// Relative to the container user's home (`.claude`, `xdg/amp`; `""`
    /// for the home itself).
    pub dir: String,
    /// Whether the operator env relocates it (then Claude's `.claude.json`
    /// lives inside it instead of in the home).
    pub relocated: bool,
}

impl ContainerDir {
    /// Path of one login file, relative to the home.
    pub fn path_of(&self, file: &LoginFile) -> String {
        match (file.placement, self.relocated) {
            (Placement::HomeUnlessRelocated, false) => file.name.to_string(),
            _ => join(&self.dir, file.name),
        }
    }
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

/// Whether `name` relocates some agent's folder (`CLAUDE_CONFIG_DIR`,
/// `CODEX_HOME`, `XDG_DATA_HOME`).
pub fn is_relocation_var(name: &str) -> bool {
    AGENTS.iter().any(|a| a.config_dir.env == name)
}

/// `value` as a path relative to the container user's home: `~`, `~/x`,
/// `$HOME/x`, `${HOME}/x`, or an absolute path under `home` when known.
/// `Err` says why not (without repeating the value).
fn relative_to_home(value: &str, home: Option<&str>) -> Result<String, String> {
    let rel = if ["~", "$HOME", "${HOME}"].contains(&value) {
        String::new()
    } else if let Some(rest) = ["~/", "$HOME/", "${HOME}/"]
        .iter()
        .find_map(|p| value.strip_prefix(p))
    {
        rest.to_string()
    } else if value.starts_with('/') {
        let Some(h) = home else {
            return Err(
                "is an absolute path and the container user's home is not known \
                        yet; write it relative to the home as ~/…"
                    .into(),
            );
        };
        let h = h.trim_end_matches('/');
        if value.trim_end_matches('/') == h {
            String::new()
        } else if let Some(rest) = value.strip_prefix(&format!("{h}/")) {
            rest.to_string()
        } else {
            return Err(format!(
                "is an absolute path outside the container user's home ({h}); \
                 agent folders must live in the home (write ~/…)"
            ));
        }
    } else {
        return Err("is a relative path; write it relative to the home as ~/…".into());
    };
    let mut parts = Vec::new();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => return Err("contains '..'".into()),
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// The container folder of `spec`: its default (`.claude`,
/// `.local/share/amp`), or, when the operator env going into the container
/// sets its relocation variable, that path relative to the home (plus the
/// suffix, `XDG_DATA_HOME` → `…/amp`).
///
/// Errors: the relocation value is not under the home (see
/// `LaunchTarget::container_home`), relative, or contains `..`.
pub fn container_dir(
    spec: &AgentSpec,
    env: &BTreeMap<String, ResolvedVar>,
    home: Option<&str>,
) -> Result<ContainerDir, LaunchError> {
    let var = spec.config_dir.env;
    let Some(v) = env.get(var) else {
        return Ok(ContainerDir {
            dir: spec.config_dir.default.to_string(),
            relocated: false,
        });
    };
    let rel =
        relative_to_home(v.value.expose(), home).map_err(|why| LaunchError::ContainerPath {
            agent: spec.name.into(),
            var: var.into(),
            table: v.layer.table(),
            why,
        })?;
    Ok(ContainerDir {
        dir: join(&rel, spec.config_dir.env_suffix),
        relocated: true,
    })
}

/// The value an agent process gets for an operator env variable: a
/// relocation variable written `~/…` / `$HOME/…` is expanded against the
/// container home when it is known (no shell expands it later); anything
/// else is passed as is.
pub(crate) fn expand_relocation(name: &str, value: &Secret, home: Option<&str>) -> Secret {
    match home {
        Some(h) if is_relocation_var(name) && !value.expose().starts_with('/') => {
            match relative_to_home(value.expose(), Some(h)) {
                Ok(rel) => Secret::new(join(h.trim_end_matches('/'), &rel)),
                Err(_) => value.clone(),
            }
        }
        _ => value.clone(),
    }
}

/// Claude's first-run screens, marked as done inside the container so the
/// agent starts straight at its prompt (`images/README.md`, "Claude's first
/// screens"): the onboarding wizard, the bypass-permissions warning that
/// `--dangerously-skip-permissions` brings up, and the folder trust dialog
/// for the container's working folder. Merged into `.claude.json`, so the
/// container's other keys and other projects stay.
fn onboarding(mut set: Map<String, Value>, workdir: Option<&str>) -> Map<String, Value> {
    set.insert("hasCompletedOnboarding".into(), Value::Bool(true));
    set.insert("bypassPermissionsModeAccepted".into(), Value::Bool(true));
    if let Some(w) = workdir {
        let mut project = Map::new();
        project.insert("hasTrustDialogAccepted".into(), Value::Bool(true));
        let mut projects = Map::new();
        projects.insert(w.to_string(), Value::Object(project));
        set.insert("projects".into(), Value::Object(projects));
    }
    set
}

/// How a credential file is revoked.
fn revoke(file: &LoginFile) -> FileAction {
    match file.revoke {
        Revoke::EmptyObject => FileAction::Clear,
        Revoke::Remove => FileAction::Remove,
    }
}

/// `sync` with a host login: the credential file byte for byte (a `Write`
/// whose bytes go into `payload` as `f<N>`), Claude's `.claude.json`
/// patched with the host's `oauthAccount` and `hasCompletedOnboarding`,
/// keeping the container's other keys.
pub(crate) fn sync_ops(
    spec: &AgentSpec,
    dir: &ContainerDir,
    workdir: Option<&str>,
    found: &[FoundFile],
    payload: &mut BTreeMap<String, SecretBytes>,
    warnings: &mut Vec<String>,
) -> Vec<FileOp> {
    let mut ops = Vec::new();
    for file in spec.files {
        let path = dir.path_of(file);
        let host = found.iter().find(|f| f.file == *file);
        let op = match file.kind {
            FileKind::Credential => match host {
                Some(f) => {
                    let entry = format!("f{}", payload.len());
                    payload.insert(entry.clone(), f.bytes.clone());
                    FileAction::Write { entry }
                }
                // Discovery always returns the credential file with a login.
                None => FileAction::Keep,
            },
            FileKind::ClaudeAccount => {
                let mut set = Map::new();
                let mut remove = Vec::new();
                match host.map(|f| serde_json::from_slice::<Value>(f.bytes.expose())) {
                    Some(Ok(v)) if v.get("oauthAccount").is_some_and(Value::is_object) => {
                        // Replaced whole, not merged into the old account.
                        remove.push("oauthAccount".to_string());
                        set.insert("oauthAccount".into(), v["oauthAccount"].clone());
                    }
                    _ => warnings.push(format!(
                        "the host has no account details ({}.oauthAccount); only the token is forwarded",
                        file.name
                    )),
                }
                FileAction::PatchJson {
                    remove,
                    set: onboarding(set, workdir),
                    create: true,
                }
            }
        };
        ops.push(FileOp { path, op });
    }
    ops
}

/// `sync` without a host login: keep every login file (only owner and mode
/// are repaired).
pub(crate) fn keep_ops(spec: &AgentSpec, dir: &ContainerDir) -> Vec<FileOp> {
    spec.files
        .iter()
        .map(|f| FileOp {
            path: dir.path_of(f),
            op: FileAction::Keep,
        })
        .collect()
}

/// `api_key` / `oauth_token`: clear credential files; Claude's
/// `.claude.json` loses its account and marks onboarding complete.
pub(crate) fn env_mode_ops(
    spec: &AgentSpec,
    dir: &ContainerDir,
    workdir: Option<&str>,
) -> Vec<FileOp> {
    spec.files
        .iter()
        .map(|f| FileOp {
            path: dir.path_of(f),
            op: match f.kind {
                FileKind::Credential => revoke(f),
                FileKind::ClaudeAccount => FileAction::PatchJson {
                    remove: vec!["oauthAccount".into()],
                    set: onboarding(Map::new(), workdir),
                    create: true,
                },
            },
        })
        .collect()
}

/// `ignore`: clear credential files; Claude's `.claude.json` (if present)
/// loses its account.
pub(crate) fn revoke_ops(spec: &AgentSpec, dir: &ContainerDir) -> Vec<FileOp> {
    spec.files
        .iter()
        .map(|f| FileOp {
            path: dir.path_of(f),
            op: match f.kind {
                FileKind::Credential => revoke(f),
                FileKind::ClaudeAccount => FileAction::PatchJson {
                    remove: vec!["oauthAccount".into()],
                    set: Map::new(),
                    create: false,
                },
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relocation_values() {
        let ok = |v: &str, h: Option<&str>| relative_to_home(v, h).unwrap();
        assert_eq!(ok("~/.claude-work", None), ".claude-work");
        assert_eq!(ok("$HOME/xdg/", None), "xdg");
        assert_eq!(ok("${HOME}/a//b", None), "a/b");
        assert_eq!(ok("~", None), "");
        assert_eq!(ok("/home/node/xdg", Some("/home/node")), "xdg");
        assert_eq!(ok("/home/node/", Some("/home/node/")), "");
        let err = |v: &str, h: Option<&str>| relative_to_home(v, h).unwrap_err();
        assert!(err("/opt/x", Some("/home/node")).contains("outside the container user's home"));
        assert!(err("/home/nodejs/x", Some("/home/node")).contains("outside"));
        assert!(err("/home/node/x", None).contains("not known"));
        assert!(err("rel/x", None).contains("relative path"));
        assert!(err("~/a/../../etc", None).contains(".."));
    }
}
