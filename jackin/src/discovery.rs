//! Host login discovery: where each agent's login lives on this host and
//! whether it is usable (`shared/SPEC.md` §2, §3).

use crate::agents::AgentSpec;
use std::path::Path;

/// Checks that `dir` (an agent's own config folder, e.g. a
/// `CLAUDE_CONFIG_DIR`) holds a usable login for `spec`: its credential
/// file exists (symlinks are followed), parses as JSON and is not a blanked
/// stub. The error names the folder and what is missing.
pub fn check_source_dir(spec: &AgentSpec, dir: &Path) -> Result<(), String> {
    if !dir.is_dir() {
        return Err(format!("{} is not a folder", dir.display()));
    }
    let cred = dir.join(spec.credential_file().name);
    let bytes = std::fs::read(&cred).map_err(|e| {
        format!(
            "{} holds no {} login: {} is missing or unreadable ({})",
            dir.display(),
            spec.display,
            cred.display(),
            e.kind()
        )
    })?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| {
        format!(
            "{} holds no {} login: {} is not valid JSON",
            dir.display(),
            spec.display,
            cred.display()
        )
    })?;
    if (spec.has_login)(&value) {
        Ok(())
    } else {
        Err(format!(
            "{} holds no {} login: {} has no token or key (empty or logged-out stub)",
            dir.display(),
            spec.display,
            cred.display()
        ))
    }
}
