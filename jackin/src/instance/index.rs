//! The instance index (`shared/SPEC.md` §9): which instance id, container
//! and home volume belong to each (workspace, role) pair.
//!
//! Stored as JSON at `$JACKIN_DATA_DIR/instances.json` (default
//! `$XDG_DATA_HOME/jackin`, i.e. `~/.local/share/jackin`). It holds no
//! secret. Every change is made under a lock (`instances.json.lock`) on a
//! freshly read copy and saved atomically (temporary file + rename).

use anyhow::{Context, Result};
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// One instance: a container made from a role for a workspace, and its
/// durable home volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    /// 8 lowercase alphanumerics.
    pub id: String,
    /// Role name.
    pub role: String,
    /// Saved workspace name, or `dir:<absolute path>` for an ad-hoc target.
    pub workspace: String,
    /// Engine that holds the container and volume (`podman`/`docker`).
    pub engine: String,
    /// Seconds since the Unix epoch when the id was assigned.
    pub created: u64,
}

impl Instance {
    /// Container name: `jk-<id>-<role>`.
    pub fn container_name(&self) -> String {
        format!("jk-{}-{}", self.id, self.role)
    }

    /// Named volume for the container user's home: `jk-<id>-home`.
    pub fn volume_name(&self) -> String {
        format!("jk-{}-home", self.id)
    }
}

/// The whole index file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub instances: Vec<Instance>,
    /// Engine objects a failed `load` could not remove; see
    /// [`super::leftovers`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leftovers: Vec<super::leftovers::Leftover>,
}

/// `$JACKIN_DATA_DIR`, else `$XDG_DATA_HOME/jackin`, else
/// `$HOME/.local/share/jackin`.
pub fn data_dir() -> Result<PathBuf> {
    if let Some(d) = std::env::var_os("JACKIN_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("jackin"));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .context("cannot find jackin's data folder: set HOME or JACKIN_DATA_DIR")?;
    Ok(PathBuf::from(home).join(".local/share/jackin"))
}

/// A fresh instance id: 8 lowercase alphanumerics.
pub fn new_id() -> String {
    Alphanumeric
        .sample_string(&mut rand::rng(), 8)
        .to_ascii_lowercase()
}

/// Handle on the index file in one data folder.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    /// The store in [`data_dir`].
    pub fn open_default() -> Result<Store> {
        Ok(Store::new(data_dir()?))
    }

    /// The data folder this store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self) -> PathBuf {
        self.dir.join("instances.json")
    }

    /// Reads the index; a missing file is an empty index. A file that does
    /// not parse is an error naming it (it is never overwritten).
    pub fn read(&self) -> Result<Index> {
        read_index(&self.file())
    }

    /// Applies `change` to a freshly read index under the lock and saves
    /// the result atomically. Returns what `change` returned.
    pub fn update<T>(&self, change: impl FnOnce(&mut Index) -> Result<T>) -> Result<T> {
        fs::create_dir_all(&self.dir).with_context(|| {
            format!("cannot create jackin's data folder {}", self.dir.display())
        })?;
        let lock_path = self.dir.join("instances.json.lock");
        let lock = File::create(&lock_path)
            .with_context(|| format!("cannot open lock file {}", lock_path.display()))?;
        lock.lock()
            .with_context(|| format!("cannot lock {}", lock_path.display()))?;
        let mut index = self.read()?;
        let out = change(&mut index)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)
            .with_context(|| format!("cannot write in {}", self.dir.display()))?;
        serde_json::to_writer_pretty(&mut tmp, &index)?;
        tmp.write_all(b"\n")?;
        tmp.as_file().sync_all()?;
        tmp.persist(self.file())
            .with_context(|| format!("cannot save {}", self.file().display()))?;
        Ok(out)
    }

    /// The instance recorded for (`workspace`, `role`) on `engine`, or a new
    /// one recorded now. With `new_instance`, always a new one (a second
    /// instance with its own id and home). Returns the instance and whether
    /// it was newly assigned.
    pub fn assign(
        &self,
        workspace: &str,
        role: &str,
        engine: &str,
        new_instance: bool,
    ) -> Result<(Instance, bool)> {
        self.update(|idx| {
            if !new_instance {
                if let Some(i) = idx
                    .instances
                    .iter()
                    .find(|i| i.workspace == workspace && i.role == role && i.engine == engine)
                {
                    return Ok((i.clone(), false));
                }
            }
            let id = loop {
                let id = new_id();
                if !idx.instances.iter().any(|i| i.id == id) {
                    break id;
                }
            };
            let inst = Instance {
                id,
                role: role.to_string(),
                workspace: workspace.to_string(),
                engine: engine.to_string(),
                created: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0),
            };
            idx.instances.push(inst.clone());
            Ok((inst, true))
        })
    }

    /// Removes the entry with `id` (and its handoff folder, see
    /// [`super::handoff`]); returns whether it was there.
    pub fn remove(&self, id: &str) -> Result<bool> {
        super::handoff::remove_dir(&self.dir, id);
        self.update(|idx| {
            let before = idx.instances.len();
            idx.instances.retain(|i| i.id != id);
            Ok(idx.instances.len() != before)
        })
    }
}

fn read_index(path: &Path) -> Result<Index> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "the instance index {} is not valid JSON; fix or move it away (jackin will not overwrite it)",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Index::default()),
        Err(e) => anyhow::bail!(
            "cannot read the instance index {}: {}; it must be a file jackin can read (move it away and jackin starts a new one)",
            path.display(),
            e.kind()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_eight_lowercase_alphanumerics() {
        for _ in 0..100 {
            let id = new_id();
            assert_eq!(id.len(), 8);
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
                "{id}"
            );
        }
    }

    #[test]
    fn assign_reuses_per_workspace_and_role() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::new(dir.path());
        let (a, new_a) = s.assign("w", "smith", "podman", false).unwrap();
        let (b, new_b) = s.assign("w", "smith", "podman", false).unwrap();
        assert!(new_a && !new_b);
        assert_eq!(a, b);
        let (c, _) = s.assign("w", "other", "podman", false).unwrap();
        assert_ne!(a.id, c.id);
        let (d, new_d) = s.assign("w", "smith", "podman", true).unwrap();
        assert!(new_d);
        assert_ne!(a.id, d.id);
        assert_eq!(a.container_name(), format!("jk-{}-smith", a.id));
        assert_eq!(a.volume_name(), format!("jk-{}-home", a.id));
        assert!(s.remove(&a.id).unwrap());
        assert!(!s.remove(&a.id).unwrap());
        assert_eq!(s.read().unwrap().instances.len(), 2);
    }

    #[test]
    fn corrupt_index_is_an_error_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("instances.json");
        fs::write(&f, b"{not json").unwrap();
        let s = Store::new(dir.path());
        let err = s.assign("w", "r", "podman", false).unwrap_err();
        assert!(format!("{err:#}").contains("not valid JSON"), "{err:#}");
        assert_eq!(fs::read(&f).unwrap(), b"{not json");
    }

    #[test]
    fn concurrent_assign_from_threads_keeps_every_entry() {
        let dir = tempfile::tempdir().unwrap();
        let handles: Vec<_> = (0..8)
            .map(|n| {
                let p = dir.path().to_path_buf();
                std::thread::spawn(move || {
                    Store::new(p)
                        .assign("w", &format!("r{n}"), "docker", false)
                        .unwrap()
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(Store::new(dir.path()).read().unwrap().instances.len(), 8);
    }
}
