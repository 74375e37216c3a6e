//! Structural checks of a bundle, done before anything is written: names,
//! paths, duplicates, entry references. (Checks against the home's current
//! content live in [`crate::apply`].)

use crate::error::{Error, Result};
use crate::manifest::{FileAction, Manifest};
use std::collections::{BTreeMap, BTreeSet};

/// Modes a plan may carry (SPEC §3).
pub const MODES: [&str; 4] = ["sync", "api_key", "oauth_token", "ignore"];

/// Splits a home-relative path into its components.
///
/// Accepts `/`-separated, non-empty, relative paths whose components are
/// not empty, `.` or `..`, at most 4096 bytes, without NUL.
/// Errors name the path and why it is refused.
pub fn rel_path_components(path: &str) -> Result<Vec<&str>> {
    let refuse = |why: &str| {
        Err(Error::new(format!(
            "bundle refused: path `{}` {why}; nothing was applied",
            path.escape_debug()
        )))
    };
    if path.is_empty() {
        return refuse("is empty");
    }
    if path.starts_with('/') {
        return refuse("is absolute (paths must be relative to the user's home)");
    }
    if path.len() > 4096 || path.contains('\0') {
        return refuse("is too long or contains a NUL byte");
    }
    let comps: Vec<&str> = path.split('/').collect();
    for c in &comps {
        match *c {
            ".." => return refuse("contains `..` (it would leave the user's home)"),
            "" | "." => return refuse("is not in canonical form (empty or `.` component)"),
            _ if c.len() > 255 => return refuse("has a component longer than 255 bytes"),
            _ => {}
        }
    }
    Ok(comps)
}

/// Checks a tar entry name: like [`rel_path_components`] (entries are only
/// keys, but a hostile name is still a hostile bundle).
pub fn check_entry_name(name: &str) -> Result<()> {
    rel_path_components(name).map(drop).map_err(|e| {
        Error::new(
            e.message()
                .replacen("path", "tar entry", 1)
                .replace(" (paths must be relative to the user's home)", ""),
        )
    })
}

/// Agent names become file names under `/run/jackin/env`: `[a-z0-9_-]{1,64}`.
pub fn check_agent_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::new(format!(
            "bundle refused: agent name `{}` is not [a-z0-9_-]{{1,64}}; nothing was applied",
            name.escape_debug()
        )))
    }
}

/// Env names: `[A-Za-z_][A-Za-z0-9_]*`; values: no NUL byte (they go to
/// `execve`). The error names the variable, never the value.
pub fn check_env(agent: &str, name: &str, value: &str) -> Result<()> {
    let mut bytes = name.bytes();
    let name_ok = matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !name_ok {
        return Err(Error::new(format!(
            "bundle refused: agent `{agent}` has an invalid env name `{}`; nothing was applied",
            name.escape_debug()
        )));
    }
    if value.contains('\0') {
        return Err(Error::new(format!(
            "bundle refused: env value of `{name}` for agent `{agent}` contains a NUL byte; \
             nothing was applied"
        )));
    }
    Ok(())
}

/// Validates a manifest against the bundle's file entries.
///
/// Refuses: unknown modes, bad or duplicate agent names, bad paths, a path
/// used twice (even by two agents), a path that is both a file and a
/// folder of another path, a `Write` naming a missing entry, an entry no
/// `Write` uses, bad env names or values.
pub fn check_manifest(m: &Manifest, entries: &BTreeMap<String, Vec<u8>>) -> Result<()> {
    let mut agents = BTreeSet::new();
    let mut paths: BTreeSet<&str> = BTreeSet::new();
    let mut used = BTreeSet::new();
    for plan in &m.agents {
        check_agent_name(&plan.agent)?;
        if !agents.insert(plan.agent.as_str()) {
            return Err(Error::new(format!(
                "bundle refused: agent `{}` appears twice in the manifest; nothing was applied",
                plan.agent
            )));
        }
        if !MODES.contains(&plan.mode.as_str()) {
            return Err(Error::new(format!(
                "bundle refused: agent `{}` has unknown mode `{}` (valid: {}); nothing was applied",
                plan.agent,
                plan.mode.escape_debug(),
                MODES.join(", ")
            )));
        }
        for op in &plan.files {
            rel_path_components(&op.path)?;
            if !paths.insert(op.path.as_str()) {
                return Err(Error::new(format!(
                    "bundle refused: duplicate path `{}` in the manifest; nothing was applied",
                    op.path
                )));
            }
            if let FileAction::Write { entry } = &op.op {
                if !entries.contains_key(entry) {
                    return Err(Error::new(format!(
                        "bundle refused: `{}` of agent `{}` names tar entry `{}`, which the \
                         bundle does not contain; nothing was applied",
                        op.path,
                        plan.agent,
                        entry.escape_debug()
                    )));
                }
                used.insert(entry.as_str());
            }
        }
        for (name, value) in &plan.env {
            check_env(&plan.agent, name, value)?;
        }
    }
    for p in &paths {
        let dir = format!("{p}/");
        if let Some(q) = paths
            .range(dir.as_str()..)
            .next()
            .filter(|q| q.starts_with(&dir))
        {
            return Err(Error::new(format!(
                "bundle refused: `{p}` is a file but `{q}` uses it as a folder; nothing was applied"
            )));
        }
    }
    if let Some(extra) = entries.keys().find(|k| !used.contains(k.as_str())) {
        return Err(Error::new(format!(
            "bundle refused: tar entry `{}` is not used by the manifest; nothing was applied",
            extra.escape_debug()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Action, AgentPlan, FileOp, FORMAT_VERSION};

    fn plan(agent: &str, files: Vec<FileOp>) -> AgentPlan {
        AgentPlan {
            agent: agent.into(),
            mode: "sync".into(),
            action: Action::Synced,
            files,
            env: BTreeMap::new(),
        }
    }
    fn write(path: &str, entry: &str) -> FileOp {
        FileOp {
            path: path.into(),
            op: FileAction::Write {
                entry: entry.into(),
            },
        }
    }
    fn manifest(agents: Vec<AgentPlan>) -> Manifest {
        Manifest {
            version: FORMAT_VERSION,
            user: None,
            agents,
        }
    }
    fn entries(names: &[&str]) -> BTreeMap<String, Vec<u8>> {
        names
            .iter()
            .map(|n| (n.to_string(), b"{}".to_vec()))
            .collect()
    }

    #[test]
    fn paths_are_relative_canonical_and_inside_home() {
        assert_eq!(
            rel_path_components(".claude/.credentials.json").unwrap(),
            [".claude", ".credentials.json"]
        );
        for (bad, why) in [
            ("/etc/passwd", "absolute"),
            ("../../etc/passwd", "`..`"),
            ("a/../b", "`..`"),
            ("a//b", "canonical"),
            ("./a", "canonical"),
            ("a/", "canonical"),
            ("", "empty"),
        ] {
            let e = rel_path_components(bad).unwrap_err();
            assert!(e.message().contains(why), "{bad}: {e}");
        }
        let e = check_entry_name("/abs").unwrap_err();
        assert!(
            e.message().starts_with("bundle refused: tar entry `/abs`"),
            "{e}"
        );
    }

    #[test]
    fn duplicates_and_file_folder_conflicts_are_refused() {
        let m = manifest(vec![
            plan("claude", vec![write(".x/a.json", "e0")]),
            plan("codex", vec![write(".x/a.json", "e1")]),
        ]);
        let e = check_manifest(&m, &entries(&["e0", "e1"])).unwrap_err();
        assert!(e.message().contains("duplicate path `.x/a.json`"), "{e}");
        let m = manifest(vec![plan(
            "claude",
            vec![write(".x", "e0"), write(".x/a", "e1")],
        )]);
        let e = check_manifest(&m, &entries(&["e0", "e1"])).unwrap_err();
        assert!(e.message().contains("uses it as a folder"), "{e}");
        let m = manifest(vec![plan("claude", vec![]), plan("claude", vec![])]);
        let e = check_manifest(&m, &entries(&[])).unwrap_err();
        assert!(e.message().contains("appears twice"), "{e}");
    }

    #[test]
    fn entries_must_match_writes() {
        let m = manifest(vec![plan("claude", vec![write(".c", "e0")])]);
        assert!(check_manifest(&m, &entries(&["e0"])).is_ok());
        let e = check_manifest(&m, &entries(&[])).unwrap_err();
        assert!(e.message().contains("does not contain"), "{e}");
        let e = check_manifest(&m, &entries(&["e0", "stray"])).unwrap_err();
        assert!(e.message().contains("`stray` is not used"), "{e}");
    }

    #[test]
    fn names_modes_and_env_are_checked() {
        assert!(check_agent_name("../x").is_err());
        assert!(check_agent_name("Claude").is_err());
        let mut p = plan("claude", vec![]);
        p.mode = "steal".into();
        let e = check_manifest(&manifest(vec![p]), &entries(&[])).unwrap_err();
        assert!(e.message().contains("unknown mode `steal`"), "{e}");
        assert!(check_env("claude", "ANTHROPIC_API_KEY", "sk").is_ok());
        assert!(check_env("claude", "A=B", "x").is_err());
        assert!(check_env("claude", "1A", "x").is_err());
        let e = check_env("claude", "K", "se\0cret").unwrap_err();
        assert!(!e.message().contains("cret"), "value leaked: {e}");
    }
}
