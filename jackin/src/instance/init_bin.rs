//! Finding the static `jackin-init` binary that jackin bind-mounts
//! read-only into every container (`shared/SPEC.md` §8).

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// Where jackin-init appears inside every container.
pub const CONTAINER_PATH: &str = "/jackin/jackin-init";

/// The host path of the static jackin-init binary, in this order:
/// `$JACKIN_INIT_BIN`; `jackin-init` beside the running `jackin`;
/// `<target>/x86_64-unknown-linux-gnu/init-release/jackin-init` when
/// `jackin` runs from a cargo target folder. The binary must be statically
/// linked (no ELF interpreter), since images may have no libc.
///
/// Errors: none found, or the one found is dynamically linked; the message
/// says how to build it (`scripts/build-init.sh`).
pub fn locate() -> Result<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("JACKIN_INIT_BIN").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if !p.is_file() {
            bail!(
                "JACKIN_INIT_BIN points to {}, which is not a file: build it with scripts/build-init.sh",
                p.display()
            );
        }
        return checked(p);
    }
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe.parent() {
            candidates.push(dir.join("jackin-init"));
            if let Some(target) = dir.parent() {
                candidates.push(target.join("x86_64-unknown-linux-gnu/init-release/jackin-init"));
            }
        }
    }
    for c in &candidates {
        if c.is_file() && is_static(c).unwrap_or(false) {
            return Ok(c.clone());
        }
    }
    for c in &candidates {
        if c.is_file() {
            return checked(c.clone());
        }
    }
    bail!(
        "the static jackin-init binary was not found (looked at {}): build it with \
         'bash scripts/build-init.sh' or set JACKIN_INIT_BIN",
        candidates
            .iter()
            .map(|c| c.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn checked(p: PathBuf) -> Result<PathBuf> {
    if is_static(&p)? {
        Ok(p)
    } else {
        bail!(
            "{} is dynamically linked, so it cannot run in images without a matching libc: \
             build the static one with 'bash scripts/build-init.sh'",
            p.display()
        )
    }
}

/// Whether an ELF file has no program interpreter (`PT_INTERP`), i.e. is
/// statically linked (static or static-pie). Reads only the headers.
pub fn is_static(path: &Path) -> Result<bool> {
    let data = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if data.len() < 64 || &data[..4] != b"\x7fELF" || data[4] != 2 || data[5] != 1 {
        bail!(
            "{} is not a 64-bit little-endian ELF binary",
            path.display()
        );
    }
    let u16_at = |o: usize| u16::from_le_bytes([data[o], data[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(data[32..40].try_into()?) as usize;
    let (phentsize, phnum) = (u16_at(54), u16_at(56));
    for i in 0..phnum {
        let o = phoff + i * phentsize;
        if o + 4 > data.len() {
            bail!("{} has a truncated program header table", path.display());
        }
        if u32::from_le_bytes(data[o..o + 4].try_into()?) == 3 {
            return Ok(false); // PT_INTERP
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_normal_rust_test_binary_is_dynamic() {
        let exe = std::env::current_exe().unwrap();
        assert!(!is_static(&exe).unwrap());
    }

    #[test]
    fn non_elf_is_an_error() {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), b"#!/bin/sh\n").unwrap();
        assert!(is_static(f.path()).is_err());
    }
}
