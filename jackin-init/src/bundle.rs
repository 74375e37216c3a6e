//! Writing and reading the bundle tar stream.

use crate::error::{describe_io, Error, Result};
use crate::manifest::{Manifest, FORMAT_VERSION, MANIFEST_ENTRY};
use crate::validate::{check_entry_name, check_manifest};
use std::io::{self, Read, Write};

/// A file carried in the bundle, referenced by a [`crate::manifest::FileAction::Write`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    /// Tar entry name (flat, e.g. `claude-0`).
    pub entry: String,
    /// The file's bytes.
    pub data: Vec<u8>,
}

/// Writes a bundle: `manifest.json` first, then each file as a regular
/// entry (mode 0600). Everything stays in memory on the host; `out` is the
/// exec's stdin.
///
/// Errors: only those of `out`, and a manifest that fails to serialize.
pub fn write_bundle<W: Write>(manifest: &Manifest, files: &[BundleFile], out: W) -> io::Result<()> {
    let mut builder = tar::Builder::new(out);
    let json = serde_json::to_vec(manifest).map_err(io::Error::other)?;
    append(&mut builder, MANIFEST_ENTRY, &json)?;
    for f in files {
        append(&mut builder, &f.entry, &f.data)?;
    }
    builder.into_inner()?.flush()
}

fn append<W: Write>(b: &mut tar::Builder<W>, name: &str, data: &[u8]) -> io::Result<()> {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(data.len() as u64);
    h.set_mode(0o600);
    h.set_mtime(0);
    h.set_path(name)?;
    h.set_cksum();
    b.append(&h, data)
}

/// Largest accepted `manifest.json`, in bytes (1 MiB).
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;
/// Largest accepted file entry, in bytes (1 MiB).
pub const MAX_FILE_BYTES: u64 = 1 << 20;
/// Largest accepted sum of all entry sizes, in bytes (16 MiB).
pub const MAX_TOTAL_BYTES: u64 = 16 << 20;
/// Most entries a bundle may hold, `manifest.json` included.
pub const MAX_ENTRIES: usize = 64;

/// A bundle read by [`read_bundle`]: the manifest and the file entries by
/// name. Structurally valid (see [`crate::validate::check_manifest`]).
#[derive(Clone, PartialEq)]
pub struct Bundle {
    /// The parsed, version-checked manifest.
    pub manifest: Manifest,
    /// Entry name → bytes. Holds secrets: never print it.
    pub files: std::collections::BTreeMap<String, Vec<u8>>,
}

impl std::fmt::Debug for Bundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bundle")
            .field("agents", &self.manifest.agents.len())
            .field("files", &self.files.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn refuse(what: String) -> Error {
    Error::new(format!("bundle refused: {what}; nothing was applied"))
}

/// Parses `manifest.json` bytes: the version is checked first, so a bundle
/// from a newer jackin gets a version message rather than a field error.
///
/// Errors: not JSON, version missing or not [`crate::manifest::FORMAT_VERSION`],
/// shape not matching [`Manifest`].
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| refuse(format!("{MANIFEST_ENTRY} is not valid JSON ({e})")))?;
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(FORMAT_VERSION) => {}
        Some(v) => {
            return Err(refuse(format!(
                "bundle format version {v} is not supported by this jackin-init \
                 (it reads version {FORMAT_VERSION}); use the jackin-init that ships with \
                 your jackin"
            )))
        }
        None => return Err(refuse(format!("{MANIFEST_ENTRY} has no numeric `version`"))),
    }
    serde_json::from_value(value).map_err(|e| {
        refuse(format!(
            "{MANIFEST_ENTRY} does not match format {FORMAT_VERSION} ({e})"
        ))
    })
}

/// Reads and validates a bundle from `input` (the exec's stdin).
///
/// Accepts only regular tar entries (no links, devices, folders, GNU or PAX
/// extension headers), `manifest.json` first. Sizes come from each tar
/// header and are checked against [`MAX_MANIFEST_BYTES`], [`MAX_FILE_BYTES`],
/// [`MAX_TOTAL_BYTES`] and [`MAX_ENTRIES`] before anything is allocated.
/// Entry names must be safe relative names and unique; then
/// [`crate::validate::check_manifest`] runs.
///
/// Errors: every refusal is a sentence starting `bundle refused:`.
pub fn read_bundle<R: Read>(input: R) -> Result<Bundle> {
    let mut archive = tar::Archive::new(input);
    let entries = archive
        .entries()
        .map_err(|e| refuse(format!("cannot read the tar stream ({})", describe_io(&e))))?
        .raw(true);
    let mut manifest = None;
    let mut files = std::collections::BTreeMap::new();
    let (mut count, mut total) = (0usize, 0u64);
    for entry in entries {
        let entry =
            entry.map_err(|e| refuse(format!("corrupt tar stream ({})", describe_io(&e))))?;
        count += 1;
        let name = String::from_utf8(entry.path_bytes().into_owned())
            .map_err(|_| refuse("a tar entry name is not UTF-8".into()))?;
        if count > MAX_ENTRIES {
            return Err(refuse(format!("more than {MAX_ENTRIES} tar entries")));
        }
        let kind = entry.header().entry_type();
        if !matches!(kind, tar::EntryType::Regular) {
            let what = match kind {
                tar::EntryType::Symlink => "a symbolic link",
                tar::EntryType::Link => "a hard link",
                tar::EntryType::Char | tar::EntryType::Block => "a device",
                tar::EntryType::Fifo => "a FIFO",
                tar::EntryType::Directory => "a folder",
                _ => "not a regular file",
            };
            return Err(refuse(format!(
                "tar entry `{}` is {what} (only regular files are accepted)",
                name.escape_debug()
            )));
        }
        let size = entry.header().entry_size().map_err(|_| {
            refuse(format!(
                "tar entry `{}` has a corrupt size",
                name.escape_debug()
            ))
        })?;
        let is_manifest = count == 1;
        let limit = if is_manifest {
            MAX_MANIFEST_BYTES
        } else {
            MAX_FILE_BYTES
        };
        if size > limit {
            return Err(refuse(format!(
                "tar entry `{}` declares {size} bytes (limit {limit})",
                name.escape_debug()
            )));
        }
        total += size;
        if total > MAX_TOTAL_BYTES {
            return Err(refuse(format!(
                "the bundle's entries exceed {MAX_TOTAL_BYTES} bytes in total"
            )));
        }
        if is_manifest && name != MANIFEST_ENTRY {
            return Err(refuse(format!(
                "the first tar entry is `{}`, not `{MANIFEST_ENTRY}`",
                name.escape_debug()
            )));
        }
        check_entry_name(&name)?;
        let mut data = Vec::with_capacity(size as usize);
        entry.take(size).read_to_end(&mut data).map_err(|e| {
            refuse(format!(
                "cannot read tar entry `{}` ({})",
                name.escape_debug(),
                describe_io(&e)
            ))
        })?;
        if data.len() as u64 != size {
            return Err(refuse(format!(
                "tar entry `{}` is truncated",
                name.escape_debug()
            )));
        }
        if is_manifest {
            manifest = Some(parse_manifest(&data)?);
        } else if name == MANIFEST_ENTRY || files.insert(name.clone(), data).is_some() {
            return Err(refuse(format!(
                "duplicate tar entry `{}`",
                name.escape_debug()
            )));
        }
    }
    let manifest =
        manifest.ok_or_else(|| refuse("the bundle is empty (no manifest.json)".into()))?;
    check_manifest(&manifest, &files)?;
    Ok(Bundle { manifest, files })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Action, AgentPlan, FileAction, FileOp};

    fn sample() -> (Manifest, Vec<BundleFile>) {
        let m = Manifest {
            version: FORMAT_VERSION,
            user: Some("agent".into()),
            agents: vec![AgentPlan {
                agent: "claude".into(),
                mode: "sync".into(),
                action: Action::Synced,
                files: vec![FileOp {
                    path: ".claude/.credentials.json".into(),
                    op: FileAction::Write {
                        entry: "claude-0".into(),
                    },
                }],
                env: [("ANTHROPIC_BASE_URL".to_string(), "http://x".to_string())].into(),
            }],
        };
        (
            m,
            vec![BundleFile {
                entry: "claude-0".into(),
                data: b"{\"k\":1}".to_vec(),
            }],
        )
    }

    #[test]
    fn what_the_host_writes_the_container_reads() {
        let (m, files) = sample();
        let mut buf = Vec::new();
        write_bundle(&m, &files, &mut buf).unwrap();
        let b = read_bundle(&buf[..]).unwrap();
        assert_eq!(b.manifest, m);
        assert_eq!(b.files["claude-0"], files[0].data);
        assert!(
            !format!("{b:?}").contains("http://x"),
            "Debug must not show values"
        );
    }

    #[test]
    fn an_entry_at_the_size_limit_is_accepted_and_one_byte_more_is_not() {
        let (m, mut files) = sample();
        for (size, ok) in [(MAX_FILE_BYTES, true), (MAX_FILE_BYTES + 1, false)] {
            files[0].data = vec![b'x'; size as usize];
            let mut buf = Vec::new();
            write_bundle(&m, &files, &mut buf).unwrap();
            let r = read_bundle(&buf[..]);
            assert_eq!(r.is_ok(), ok, "{size}: {:?}", r.err());
        }
    }

    #[test]
    fn version_is_checked_before_the_shape() {
        let e = parse_manifest(br#"{"version":2,"new":"field"}"#).unwrap_err();
        assert!(e.message().contains("version 2 is not supported"), "{e}");
        let e = parse_manifest(br#"{"agents":[]}"#).unwrap_err();
        assert!(e.message().contains("no numeric `version`"), "{e}");
        let e = parse_manifest(br#"{"version":1,"user":null,"agents":[],"x":1}"#).unwrap_err();
        assert!(e.message().contains("does not match format 1"), "{e}");
    }
}
