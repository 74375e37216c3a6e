//! `jackin-init receive`: check the whole bundle against the container,
//! then apply it (SPEC §3 modes, §8 rules).
//!
//! Phase 1 (no writes): read and validate the bundle, resolve the user,
//! open the home and `/run/jackin`, look at every path without following
//! links, load and patch JSON files in memory. Phase 2: write.

use crate::bundle::{read_bundle, Bundle};
use crate::error::{Error, Result};
use crate::home::{self, Existing, Owner};
use crate::manifest::{Action, FileAction};
use crate::passwd::{load_target_user, TargetUser};
use crate::root::{Root, ENV_DIR, READY_FILE, RUN_DIR, USER_FILE};
use crate::validate::rel_path_components;
use serde::Serialize;
use serde_json::{Map, Value};
use std::io::Read;

/// Largest existing JSON file `PatchJson` loads (e.g. `.claude.json`): 64 MiB.
pub const MAX_PATCH_SOURCE_BYTES: u64 = 64 << 20;

/// One line of `receive`'s stdout, per agent, in manifest order:
/// `{"agent":"claude","mode":"sync","result":"synced","files":[".claude/.credentials.json"],"env":["ANTHROPIC_API_KEY"]}`.
/// `files` lists home-relative paths written or repaired; `env` lists
/// variable NAMES only, never values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Agent name from the manifest.
    pub agent: String,
    /// Resolved mode from the manifest (`sync`, `api_key`, `oauth_token`, `ignore`).
    pub mode: String,
    /// The plan's announced result (`synced`, `kept`, `revoked`, `env`).
    pub result: Action,
    /// Home-relative paths written or repaired, in manifest order.
    pub files: Vec<String>,
    /// Names of the variables in the agent's env file (never values).
    pub env: Vec<String>,
}

/// A concrete change, decided in phase 1.
#[derive(Debug)]
enum Step {
    /// Replace the file with these bytes (atomically).
    Write(Vec<u8>),
    /// Keep the content; fix owner and mode.
    Repair,
    /// Delete the file.
    Remove,
}

struct Planned {
    path: String,
    step: Step,
}

/// Applies `patch` to a JSON document: a non-object or unparsable
/// document counts as `{}`. Returns the new bytes, or `None` when the
/// document is already an object equal to the result.
pub fn patch_json(
    old: Option<&[u8]>,
    remove: &[String],
    set: &Map<String, Value>,
) -> Option<Vec<u8>> {
    let parsed = old.and_then(|b| serde_json::from_slice::<Value>(b).ok());
    let mut obj = match &parsed {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    for k in remove {
        obj.remove(k);
    }
    for (k, v) in set {
        merge_value(obj.entry(k.clone()).or_insert(Value::Null), v);
    }
    let new = Value::Object(obj);
    if parsed.as_ref() == Some(&new) {
        return None;
    }
    let mut bytes = serde_json::to_vec_pretty(&new).expect("a JSON value serializes");
    bytes.push(b'\n');
    Some(bytes)
}

/// Merges `new` into `old`: two objects merge key by key, recursively;
/// anything else is replaced by `new`.
fn merge_value(old: &mut Value, new: &Value) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            for (k, v) in n {
                merge_value(o.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (old, new) => *old = new.clone(),
    }
}

/// Decides the step for one file, reading the home but writing nothing.
fn plan_file(
    bundle: &Bundle,
    home_fd: &std::os::fd::OwnedFd,
    home: &str,
    path: &str,
    op: &FileAction,
) -> Result<Option<Step>> {
    let comps = rel_path_components(path)?;
    let (state, dir) = home::probe(home_fd, home, &comps)?;
    let exists = matches!(state, Existing::File { .. });
    Ok(match op {
        FileAction::Write { entry } => Some(Step::Write(bundle.files[entry].clone())),
        FileAction::Keep => match state {
            Existing::File { nlink } if nlink > 1 => {
                return Err(home::hardlink_error(home, &comps))
            }
            Existing::File { .. } => Some(Step::Repair),
            _ => None,
        },
        FileAction::Clear => exists.then(|| Step::Write(b"{}".to_vec())),
        FileAction::Remove => exists.then_some(Step::Remove),
        FileAction::PatchJson {
            remove,
            set,
            create,
        } => {
            if !exists && !create {
                return Ok(None);
            }
            let old = match (&dir, exists) {
                (Some(d), true) => Some(home::read_file(d, home, &comps, MAX_PATCH_SOURCE_BYTES)?),
                _ => None,
            };
            match patch_json(old.as_deref(), remove, set) {
                Some(bytes) => Some(Step::Write(bytes)),
                None => Some(Step::Repair),
            }
        }
    })
}

fn missing_dir(what: &str, path: &std::path::Path, hint: &str) -> impl FnOnce(Error) -> Error {
    let (what, hint, path) = (
        what.to_string(),
        hint.to_string(),
        path.display().to_string(),
    );
    move |e| {
        Error::new(format!(
            "{what} {path} is not usable ({e}); {hint}; nothing was applied"
        ))
    }
}

/// Reads a bundle from `input` and applies it under `root`.
///
/// Returns one [`Report`] per agent. On `Err` nothing was written, except
/// for an I/O failure in the middle of phase 2 (each file is still old or
/// new, and `/run/jackin/ready` is not written).
pub fn receive<R: Read>(input: R, root: &Root) -> Result<Vec<Report>> {
    let bundle = read_bundle(input)?;
    let user = load_target_user(root, bundle.manifest.user.as_deref())?;
    let run_path = root.path(RUN_DIR);
    let run_fd = home::open_dir(&run_path).map_err(missing_dir(
        "the runtime folder",
        &run_path,
        "jackin-init receive runs only in a container made by jackin (tmpfs at /run/jackin)",
    ))?;
    let home_path = root.path(&user.home);
    let home_fd = home::open_dir(&home_path).map_err(missing_dir(
        &format!("the home folder of user `{}`", user.name),
        &home_path,
        "the image or the home volume must provide it",
    ))?;

    let mut plans = Vec::new();
    for plan in &bundle.manifest.agents {
        let mut steps = Vec::new();
        for f in &plan.files {
            if let Some(step) = plan_file(&bundle, &home_fd, &user.home, &f.path, &f.op)? {
                steps.push(Planned {
                    path: f.path.clone(),
                    step,
                });
            }
        }
        plans.push(steps);
    }

    // Phase 2: writes.
    let owner = Owner {
        uid: user.uid,
        gid: user.gid,
    };
    home::own_home(&home_fd, &user.home, owner)?;
    let mut reports = Vec::new();
    for (plan, steps) in bundle.manifest.agents.iter().zip(plans) {
        let mut files = Vec::new();
        for p in steps {
            let comps = rel_path_components(&p.path)?;
            let dir = home::ensure_parent(&home_fd, &user.home, &comps, owner)?;
            let name = comps[comps.len() - 1];
            match p.step {
                Step::Write(data) => home::write_atomic(
                    &dir,
                    name,
                    &data,
                    Some(owner),
                    &home::display(&user.home, &comps),
                )?,
                Step::Repair => {
                    home::repair(&dir, &user.home, &comps, owner)?;
                }
                Step::Remove => home::remove(&dir, &user.home, &comps)?,
            }
            files.push(p.path);
        }
        reports.push(Report {
            agent: plan.agent.clone(),
            mode: plan.mode.clone(),
            result: plan.action,
            files,
            env: plan.env.keys().cloned().collect(),
        });
    }
    write_runtime(root, &run_fd, &bundle, &user)?;
    Ok(reports)
}

/// Writes the env files, `user.json`, and last the `ready` marker.
fn write_runtime(
    root: &Root,
    run_fd: &std::os::fd::OwnedFd,
    bundle: &Bundle,
    user: &TargetUser,
) -> Result<()> {
    let me = Owner {
        uid: nix::unistd::getuid().as_raw(),
        gid: nix::unistd::getgid().as_raw(),
    };
    let env_dir = home::ensure_parent(run_fd, RUN_DIR, &["env", "x"], me)?;
    for plan in &bundle.manifest.agents {
        let json = serde_json::to_vec(&plan.env).expect("a string map serializes");
        let name = format!("{}.json", plan.agent);
        home::write_atomic(&env_dir, &name, &json, None, &format!("{ENV_DIR}/{name}"))?;
    }
    // Env files of agents no longer in the bundle must not linger.
    if let Ok(list) = std::fs::read_dir(root.path(ENV_DIR)) {
        for entry in list.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(".json").unwrap_or("");
            if !bundle.manifest.agents.iter().any(|a| a.agent == stem) {
                let _ = nix::unistd::unlinkat(
                    Some(std::os::fd::AsRawFd::as_raw_fd(&env_dir)),
                    name.as_str(),
                    nix::unistd::UnlinkatFlags::NoRemoveDir,
                );
            }
        }
    }
    let user_json = serde_json::to_vec(user).expect("the user serializes");
    home::write_atomic(run_fd, "user.json", &user_json, None, USER_FILE)?;
    home::write_atomic(run_fd, "ready", b"ok\n", None, READY_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn patch_removes_account_and_keeps_other_keys() {
        let old = br#"{"oauthAccount":{"emailAddress":"a@b"},"numStartups":7,"theme":"dark"}"#;
        let new = patch_json(Some(old), &["oauthAccount".into()], &Map::new()).unwrap();
        let v: Value = serde_json::from_slice(&new).unwrap();
        assert_eq!(v, json!({"numStartups":7,"theme":"dark"}));
    }

    #[test]
    fn patch_sets_onboarding_and_account() {
        let s = set(json!({"hasCompletedOnboarding":true,"oauthAccount":{"emailAddress":"w@x"}}));
        let new = patch_json(
            Some(br#"{"theme":"dark","oauthAccount":{"emailAddress":"old@x"}}"#),
            &[],
            &s,
        )
        .unwrap();
        let v: Value = serde_json::from_slice(&new).unwrap();
        assert_eq!(
            v,
            json!({"theme":"dark","hasCompletedOnboarding":true,"oauthAccount":{"emailAddress":"w@x"}})
        );
    }

    #[test]
    fn patch_of_missing_or_broken_file_starts_from_empty_object() {
        let s = set(json!({"hasCompletedOnboarding":true}));
        for old in [None, Some(&b"not json"[..]), Some(&b"[1,2]"[..])] {
            let v: Value =
                serde_json::from_slice(&patch_json(old, &["oauthAccount".into()], &s).unwrap())
                    .unwrap();
            assert_eq!(v, json!({"hasCompletedOnboarding":true}), "{old:?}");
        }
    }

    #[test]
    fn unchanged_patch_is_none() {
        assert_eq!(
            patch_json(Some(br#"{"a":1}"#), &["oauthAccount".into()], &Map::new()),
            None
        );
        assert!(patch_json(Some(br#"{"a":1}"#), &[], &set(json!({"a":2}))).is_some());
    }
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod apply_tests;
