//! Building the default role image (`localhost/jackin/agent-smith:latest`)
//! when `jackin load` finds it missing, or on `--rebuild`.
//!
//! The build needs no registry: `scripts/build-image.sh` makes a Debian base
//! from Debian's packages, stages the pinned agent CLIs with npm once, and
//! builds `images/agent-smith/Containerfile` on the engine (see
//! `images/README.md`). jackin runs that script from its source checkout,
//! streaming its progress to the terminal.

use crate::config::EngineKind;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::Command;

/// The source checkout holding `scripts/build-image.sh`: `$JACKIN_SOURCE_DIR`,
/// else the checkout `jackin` was built in (the binary lives in
/// `<checkout>/target/<profile>/`), else `None`.
pub fn source_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("JACKIN_SOURCE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .skip(1)
        .take(4)
        .find(|d| d.join("scripts/build-image.sh").is_file() && d.join("images").is_dir())
        .map(PathBuf::from)
}

/// Builds the default role image on `engine` with `scripts/build-image.sh`
/// (`rebuild`: from scratch). Its progress goes to this terminal's stderr.
///
/// Errors: no source checkout found (the message says how to point jackin
/// at one), or the script failed (its own output says where).
pub fn build_default_image(engine: EngineKind, rebuild: bool) -> Result<()> {
    let Some(dir) = source_dir() else {
        bail!(
            "the default role image is missing and jackin's source checkout (with scripts/build-image.sh) \
             was not found: run 'bash scripts/build-image.sh --engine {}' in the checkout, or set JACKIN_SOURCE_DIR",
            engine.as_str()
        );
    };
    let script = dir.join("scripts/build-image.sh");
    eprintln!(
        "building the default role image on {} with {} (first build takes several minutes)…",
        engine.as_str(),
        script.display()
    );
    let mut cmd = Command::new("bash");
    cmd.arg(&script).args(["--engine", engine.as_str()]);
    if rebuild {
        cmd.arg("--rebuild");
    }
    let status = cmd
        .stdout(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::inherit())
        .status()
        .with_context(|| format!("cannot run {}", script.display()))?;
    if !status.success() {
        bail!(
            "building the default role image failed ({status}); see the output above, then retry with 'jackin load --rebuild'"
        );
    }
    Ok(())
}
