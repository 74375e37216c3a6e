//! Host side of the handoff (`shared/SPEC.md` §8): a [`LaunchPlan`] becomes
//! the bundle tar (`manifest.json`, then one entry per written file) that is
//! streamed to `jackin-init receive`. Built in memory only; never written
//! to the host disk.

use crate::plan::LaunchPlan;
use jackin_init::bundle::{write_bundle, BundleFile};
use jackin_init::manifest::{AgentPlan, Manifest, FORMAT_VERSION};

/// The manifest of `plan` for container user `user` (a name or uid from the
/// image's `/etc/passwd`; `None` lets `jackin-init` choose). It carries the
/// agents' env values: keep it in memory.
pub fn manifest(plan: &LaunchPlan, user: Option<String>) -> Manifest {
    Manifest {
        version: FORMAT_VERSION,
        user,
        agents: plan
            .agents
            .iter()
            .map(|a| AgentPlan {
                agent: a.spec.name.to_string(),
                mode: a.mode.value.to_string(),
                action: a.action,
                files: a.files.clone(),
                env: a
                    .env
                    .iter()
                    .map(|(k, v)| (k.clone(), v.expose().to_string()))
                    .collect(),
            })
            .collect(),
    }
}

/// Encodes `plan` as the bundle bytes: the tar written by
/// [`jackin_init::bundle::write_bundle`], with the plan's payload entries
/// (`f0`, `f1`, …) after the manifest. The result holds secrets: stream it
/// to the container's stdin and drop it.
///
/// Errors: a manifest that fails to serialize (not expected) or an entry the
/// tar writer refuses.
pub fn encode(plan: &LaunchPlan, user: Option<String>) -> std::io::Result<Vec<u8>> {
    let files: Vec<BundleFile> = plan
        .payload
        .iter()
        .map(|(entry, bytes)| BundleFile {
            entry: entry.clone(),
            data: bytes.expose().to_vec(),
        })
        .collect();
    let mut out = Vec::new();
    write_bundle(&manifest(plan, user), &files, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AgentAuth, Config, Role};
    use crate::discovery::tests::{env_with_home, fixture, put};
    use crate::mode::Mode;
    use crate::plan::{build, LaunchTarget};
    use jackin_init::manifest::{Action, FileAction, MANIFEST_ENTRY};
    use std::io::Read;

    #[test]
    fn round_trip_manifest_and_file_bytes() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        put(
            h,
            ".claude/.credentials.json",
            &fixture("claude-valid.json"),
        );
        put(h, ".claude.json", &fixture("claude-account-work.json"));
        put(
            h,
            ".local/share/amp/secrets.json",
            &fixture("amp-secrets.json"),
        );
        let env = env_with_home(h, &[("HOST_KEY", "sk-from-host".to_string())]);
        let mut cfg = Config::default();
        cfg.roles.insert(
            "r".into(),
            Role {
                image: "img".into(),
                agents: vec!["claude".into(), "codex".into(), "amp".into()],
                ..Role::default()
            },
        );
        cfg.agents.insert(
            "codex".into(),
            AgentAuth {
                auth_forward: Some(Mode::ApiKey),
                sync_source_dir: None,
            },
        );
        cfg.env.insert("OPENAI_API_KEY".into(), "$HOST_KEY".into());
        let plan = build(&cfg, &LaunchTarget::ad_hoc("r"), &env).unwrap();
        let bytes = encode(&plan, Some("node".into())).unwrap();

        let mut archive = tar::Archive::new(bytes.as_slice());
        let mut entries: Vec<(String, Vec<u8>, u32)> = Vec::new();
        for e in archive.entries().unwrap() {
            let mut e = e.unwrap();
            let name = e.path().unwrap().display().to_string();
            let mode = e.header().mode().unwrap();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            entries.push((name, data, mode));
        }
        let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(names, [MANIFEST_ENTRY, "f0", "f1"]);
        assert!(entries.iter().all(|e| e.2 == 0o600));
        assert_eq!(entries[1].1, fixture("claude-valid.json"));
        assert_eq!(entries[2].1, fixture("amp-secrets.json"));

        let m: Manifest = serde_json::from_slice(&entries[0].1).unwrap();
        assert_eq!(
            (m.version, m.user.as_deref()),
            (FORMAT_VERSION, Some("node"))
        );
        let summary: Vec<(&str, &str, Action)> = m
            .agents
            .iter()
            .map(|a| (a.agent.as_str(), a.mode.as_str(), a.action))
            .collect();
        assert_eq!(
            summary,
            [
                ("claude", "sync", Action::Synced),
                ("codex", "api_key", Action::Env),
                ("amp", "sync", Action::Synced)
            ]
        );
        assert_eq!(
            m.agents[0].files[0].op,
            FileAction::Write { entry: "f0".into() }
        );
        assert_eq!(m.agents[0].files[1].path, ".claude.json");
        assert_eq!(m.agents[2].files[0].path, ".local/share/amp/secrets.json");
        assert_eq!(m.agents[1].env["OPENAI_API_KEY"], "sk-from-host");
        assert!(m.agents[0].env.is_empty() && m.agents[2].env.is_empty());
        assert_eq!(manifest(&plan, Some("node".into())), m);
    }
}
