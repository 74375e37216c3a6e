//! Writing and reading the bundle tar stream.

use crate::manifest::{Manifest, MANIFEST_ENTRY};
use std::io::{self, Write};

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
