//! A folder browser for choosing a `sync` source folder. Hidden folders are
//! listed (an agent's config folder is usually one: `~/.claude-work`).
//! Choosing a folder is checked by the caller with
//! [`crate::discovery::check_source_dir`].

use std::path::{Path, PathBuf};

/// One entry of the listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// `.`: choose the folder being browsed.
    This,
    /// `..`: go to the parent.
    Parent,
    /// A sub-folder (symlinks to folders included), by name.
    Dir(String),
}

/// What Enter did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Moved into another folder (or stayed, with [`FsBrowser::error`] set).
    Moved,
    /// The operator chose this folder.
    Chosen(PathBuf),
}

/// Browser state: the folder shown, its entries and the highlight.
#[derive(Debug, Clone)]
pub struct FsBrowser {
    pub dir: PathBuf,
    pub entries: Vec<Entry>,
    pub sel: usize,
    /// Why the last move or choice failed (unreadable folder, no login…).
    pub error: Option<String>,
}

impl FsBrowser {
    /// Opens at `dir`; falls back to `/` when it cannot be read.
    pub fn open(dir: &Path) -> FsBrowser {
        let mut b = FsBrowser {
            dir: dir.to_path_buf(),
            entries: Vec::new(),
            sel: 0,
            error: None,
        };
        if let Err(e) = b.load(dir) {
            b.error = Some(e);
            let _ = b.load(Path::new("/"));
        }
        b
    }

    fn load(&mut self, dir: &Path) -> Result<(), String> {
        let rd = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read {}: {}", dir.display(), e.kind()))?;
        let mut names: Vec<String> = rd
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut entries = vec![Entry::This];
        if dir.parent().is_some() {
            entries.push(Entry::Parent);
        }
        entries.extend(names.into_iter().map(Entry::Dir));
        self.dir = dir.to_path_buf();
        self.entries = entries;
        self.sel = 0;
        Ok(())
    }

    /// Moves the highlight by `delta`, clamped.
    pub fn step(&mut self, delta: isize) {
        let last = self.entries.len().saturating_sub(1) as isize;
        self.sel = (self.sel as isize + delta).clamp(0, last) as usize;
    }

    /// The folder an entry stands for.
    pub fn path_of(&self, e: &Entry) -> PathBuf {
        match e {
            Entry::This => self.dir.clone(),
            Entry::Parent => self.dir.parent().unwrap_or(&self.dir).to_path_buf(),
            Entry::Dir(n) => self.dir.join(n),
        }
    }

    /// Goes to the parent folder.
    pub fn up(&mut self) {
        if let Some(p) = self.dir.parent().map(Path::to_path_buf) {
            let from = self
                .dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            self.error = self.load(&p).err();
            if let Some(from) = from {
                if let Some(i) = self
                    .entries
                    .iter()
                    .position(|e| *e == Entry::Dir(from.clone()))
                {
                    self.sel = i;
                }
            }
        }
    }

    /// Enter: `.` chooses the folder, `..` goes up, a folder is opened.
    pub fn enter(&mut self) -> Outcome {
        match self.entries.get(self.sel).cloned() {
            Some(Entry::This) | None => Outcome::Chosen(self.dir.clone()),
            Some(Entry::Parent) => {
                self.up();
                Outcome::Moved
            }
            Some(e @ Entry::Dir(_)) => {
                let p = self.path_of(&e);
                self.error = self.load(&p).err();
                Outcome::Moved
            }
        }
    }

    /// `s`: chooses the highlighted folder (`.`/`..` choose the one shown).
    pub fn choose(&self) -> PathBuf {
        match self.entries.get(self.sel) {
            Some(e @ Entry::Dir(_)) => self.path_of(e),
            _ => self.dir.clone(),
        }
    }
}
