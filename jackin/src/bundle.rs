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
