//! Editing config.toml: one function, [`edit`], used by every command that
//! writes. Under an exclusive lock on `config.toml.lock` it re-reads the
//! file, applies the change to the `toml_edit` document (comments and key
//! order survive), validates the whole result with the loader, and only
//! then replaces the file atomically (temporary file in the same folder,
//! fsync, rename, fsync of the folder). File mode 0600.

use super::error::{ConfigError, Result};
use super::load::{parse_str, parse_unvalidated, read_str};
use super::model::Config;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use toml_edit::{DocumentMut, Item, Table, TableLike, Value};

/// What [`edit`] did.
#[derive(Debug)]
pub struct Edited<T> {
    /// The closure's result.
    pub value: T,
    /// The configuration as saved (or unchanged).
    pub config: Config,
    /// `false` when the edit changed nothing and no write happened.
    pub written: bool,
}

fn write_err(path: &Path, what: &'static str) -> impl FnOnce(std::io::Error) -> ConfigError {
    let path = path.to_path_buf();
    move |source| ConfigError::Write { path, what, source }
}

/// The lock file guarding `path` (`config.toml.lock` next to it).
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// Applies `change` to the document of the file at `path` and saves it.
///
/// Order: take the lock; read the file (a missing file is an empty
/// document; an unparsable one is refused with its parse error and never
/// overwritten); run `change`; validate the whole edited document; write
/// atomically with mode 0600. If `change` errs, or the result is invalid
/// ([`ConfigError::EditInvalid`]), nothing is written. If the text is
/// unchanged, nothing is written either (`written == false`).
pub fn edit<T>(
    path: &Path,
    change: impl FnOnce(&mut DocumentMut) -> Result<T>,
) -> Result<Edited<T>> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(write_err(path, "creating its folder"))?;
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(lock_path(path))
        .map_err(write_err(path, "opening the lock file"))?;
    lock.lock().map_err(write_err(path, "taking the lock"))?;
    tracing::debug!(path = %path.display(), "config lock taken");

    let before = match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut doc = match &before {
        // Unvalidated: the change may repair an invalid value. A file that
        // is not TOML is refused and never overwritten.
        Some(text) => parse_unvalidated(path, text)?,
        None => DocumentMut::new(),
    };
    // In a file holding only comments, toml_edit keeps them as the
    // document's trailing text, which would end up below new tables; keep
    // them on top instead.
    let lead = if doc.is_empty() {
        let t = doc.trailing().as_str().unwrap_or("").to_string();
        doc.set_trailing("");
        t
    } else {
        String::new()
    };
    let value = change(&mut doc)?;
    let after = match (lead.is_empty(), doc.is_empty()) {
        (false, false) if !lead.ends_with('\n') => format!("{lead}\n{doc}"),
        (false, false) => format!("{lead}{doc}"),
        (false, true) => format!("{doc}{lead}"),
        (true, _) => doc.to_string(),
    };
    if before.as_deref().unwrap_or("") == after {
        let config = match &before {
            Some(t) => read_str(path, t)?,
            None => Config::default(),
        };
        return Ok(Edited {
            value,
            config,
            written: false,
        });
    }
    // parse_str, not read_str: both parsers must accept what is written.
    let config = match parse_str(path, &after) {
        Ok((config, _)) => config,
        Err(inner) => {
            // Already invalid on disk: report the file's own error (its
            // positions match the file), not the edit.
            if let Some(Err(on_disk)) = before.as_deref().map(|t| read_str(path, t)) {
                return Err(on_disk);
            }
            return Err(ConfigError::EditInvalid {
                path: path.to_path_buf(),
                inner: Box::new(inner),
            });
        }
    };
    // A config.toml that is a symlink (dotfile managers) stays one: the
    // new content replaces the link's target, in the target's folder.
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).map_err(write_err(path, "resolving its symlink"))?
        }
        _ => path.to_path_buf(),
    };
    let target_dir = target.parent().unwrap_or(dir);
    write_atomic(&target, target_dir, after.as_bytes())?;
    tracing::debug!(path = %path.display(), bytes = after.len(), "config saved");
    drop(lock);
    Ok(Edited {
        value,
        config,
        written: true,
    })
}

/// Writes `bytes` to a temporary file in `dir`, fsyncs it, renames it over
/// `path` and fsyncs `dir`. The temporary file is removed on any failure.
fn write_atomic(path: &Path, dir: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".config.toml.")
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(write_err(path, "creating a temporary file"))?;
    tmp.write_all(bytes)
        .map_err(write_err(path, "writing the temporary file"))?;
    tmp.as_file()
        .sync_all()
        .map_err(write_err(path, "syncing the temporary file"))?;
    tmp.persist(path)
        .map_err(|e| write_err(path, "renaming the temporary file")(e.error))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(write_err(path, "syncing its folder"))?;
    Ok(())
}

// ---- document helpers used by the commands ----

/// The table at `path` (e.g. `["workspaces", "w", "codex"]`), if present.
pub fn table_at<'d>(doc: &'d mut DocumentMut, path: &[&str]) -> Option<&'d mut dyn TableLike> {
    let mut cur: &mut dyn TableLike = doc.as_table_mut();
    for seg in path {
        cur = cur.get_mut(seg)?.as_table_like_mut()?;
    }
    Some(cur)
}

/// The table at `path`, created when missing: missing parents become
/// implicit tables (no header of their own), the last one an ordinary
/// `[a.b.c]` table. Errors when a key on the way holds a non-table value.
pub fn ensure_table<'d>(doc: &'d mut DocumentMut, path: &[&str]) -> Result<&'d mut dyn TableLike> {
    let mut cur: &mut dyn TableLike = doc.as_table_mut();
    for (i, seg) in path.iter().enumerate() {
        if !cur.contains_key(seg) {
            let mut t = Table::new();
            t.set_implicit(i + 1 < path.len());
            cur.insert(seg, Item::Table(t));
        }
        cur = cur
            .get_mut(seg)
            .and_then(Item::as_table_like_mut)
            .ok_or_else(|| {
                ConfigError::refused(
                    format!("'{}' in config.toml is not a table", path[..=i].join(".")),
                    Some("fix the file by hand".into()),
                )
            })?;
    }
    Ok(cur)
}

/// Sets `key = value` in `table`, keeping the old value's comments.
pub fn set_value(table: &mut dyn TableLike, key: &str, value: impl Into<Value>) {
    let mut value = value.into();
    if let Some(old) = table.get(key).and_then(Item::as_value) {
        *value.decor_mut() = old.decor().clone();
    }
    table.insert(key, Item::Value(value));
}

/// Removes `key` from the table at `path`; then removes that table and its
/// parents (down to `keep` levels) when they became empty and carry no
/// comment. Returns whether the key existed.
pub fn remove_key(doc: &mut DocumentMut, path: &[&str], key: &str, keep: usize) -> bool {
    let removed = table_at(doc, path).and_then(|t| t.remove(key)).is_some();
    if removed {
        prune(doc, path, keep);
    }
    removed
}

/// Removes empty, comment-free tables along `path`, deepest first, never
/// going above the first `keep` segments.
pub fn prune(doc: &mut DocumentMut, path: &[&str], keep: usize) {
    for depth in (keep..path.len()).rev() {
        let (parent, last) = (&path[..depth], path[depth]);
        let Some(p) = table_at(doc, parent) else {
            return;
        };
        let empty = match p.get(last) {
            Some(Item::Table(t)) => t.is_empty() && !has_comment(t),
            Some(Item::Value(Value::InlineTable(t))) => t.is_empty(),
            _ => false,
        };
        if !empty {
            return;
        }
        p.remove(last);
    }
}

fn has_comment(t: &Table) -> bool {
    let d = t.decor();
    [d.prefix(), d.suffix()]
        .into_iter()
        .flatten()
        .any(|r| r.as_str().is_some_and(|s| s.contains('#')))
}
