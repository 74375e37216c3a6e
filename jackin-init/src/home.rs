//! File operations inside the user's home that never follow a symbolic
//! link: every step is an `openat`/`fstatat` with `O_NOFOLLOW` /
//! `AT_SYMLINK_NOFOLLOW` relative to an already opened folder.
//!
//! Writes are atomic: a temporary file in the same folder, `fsync`,
//! `rename`, then `fsync` of the folder, so a crash leaves the old or the
//! new file, never a truncated one.

use crate::error::{describe_errno, describe_io, Error, Result};
use nix::errno::Errno;
use nix::fcntl::{openat, renameat, OFlag};
use nix::sys::stat::{fstat, fstatat, mkdirat, Mode, SFlag};
use nix::unistd::{fchown, fsync, unlinkat, Gid, Uid, UnlinkatFlags};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Test-only crash hook: abort the process right after the N-th rename.
pub const ABORT_VAR: &str = "JACKIN_INIT_TEST_ABORT_AFTER_WRITES";

static RENAMES: AtomicUsize = AtomicUsize::new(0);

/// Owner given to written files and created folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// Numeric user id.
    pub uid: u32,
    /// Numeric group id.
    pub gid: u32,
}

/// What exists at a home-relative path, found without following links.
#[derive(Debug)]
pub enum Existing {
    /// Some folder on the way is missing (it will be created).
    NoFolder,
    /// The folders exist, the file does not.
    NoFile,
    /// A regular file; `nlink` is its hard-link count.
    File { nlink: u64 },
}

fn own(fd: RawFd) -> OwnedFd {
    // SAFETY: `fd` was just returned by a successful open call and is owned here.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

fn at(home: &str, comps: &[&str]) -> String {
    format!("{}/{}", home.trim_end_matches('/'), comps.join("/"))
}

fn link_error(home: &str, comps: &[&str]) -> Error {
    Error::new(format!(
        "{} is a symbolic link; jackin-init follows no link in the user's home: \
         replace it with a real file or folder and launch again; nothing was applied",
        at(home, comps)
    ))
}

fn os_error(what: &str, home: &str, comps: &[&str], e: Errno) -> Error {
    Error::new(format!(
        "cannot {what} {}: {}",
        at(home, comps),
        describe_errno(e)
    ))
}

/// Opens a folder given by its real path (the home itself, `/run/jackin`).
pub fn open_dir(path: &Path) -> Result<OwnedFd> {
    nix::fcntl::open(
        path,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map(own)
    .map_err(|e| {
        Error::new(format!(
            "cannot open folder {}: {}",
            path.display(),
            describe_errno(e)
        ))
    })
}

fn open_subdir(dir: RawFd, name: &str) -> nix::Result<OwnedFd> {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    openat(Some(dir), name, flags, Mode::empty()).map(own)
}

fn kind_at(dir: RawFd, name: &str) -> nix::Result<Option<(SFlag, u64)>> {
    match fstatat(Some(dir), name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some((
            SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()),
            st.st_nlink,
        ))),
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Opens folder `comps[..i]` step by step, refusing links and non-folders.
/// Returns `Ok(None)` when a folder is missing and `create` is `None`.
fn walk(
    home_fd: &OwnedFd,
    home: &str,
    dirs: &[&str],
    create: Option<Owner>,
) -> Result<Option<OwnedFd>> {
    let mut cur =
        open_subdir(home_fd.as_raw_fd(), ".").map_err(|e| os_error("open", home, &[], e))?;
    for (i, name) in dirs.iter().enumerate() {
        let shown = &dirs[..=i];
        let next = match open_subdir(cur.as_raw_fd(), name) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) => match create {
                None => return Ok(None),
                Some(owner) => {
                    mkdirat(
                        Some(cur.as_raw_fd()),
                        *name,
                        Mode::from_bits_truncate(0o700),
                    )
                    .map_err(|e| os_error("create folder", home, shown, e))?;
                    let fd = open_subdir(cur.as_raw_fd(), name)
                        .map_err(|e| os_error("open folder", home, shown, e))?;
                    fchown(
                        fd.as_raw_fd(),
                        Some(Uid::from_raw(owner.uid)),
                        Some(Gid::from_raw(owner.gid)),
                    )
                    .map_err(|e| os_error("set the owner of", home, shown, e))?;
                    nix::sys::stat::fchmod(fd.as_raw_fd(), Mode::from_bits_truncate(0o700))
                        .map_err(|e| os_error("set the mode of", home, shown, e))?;
                    fd
                }
            },
            Err(Errno::ELOOP) | Err(Errno::ENOTDIR) => {
                return Err(match kind_at(cur.as_raw_fd(), name) {
                    Ok(Some((SFlag::S_IFLNK, _))) => link_error(home, shown),
                    _ => Error::new(format!(
                        "{} is not a folder but the bundle needs a file inside it: \
                         move it away and launch again; nothing was applied",
                        at(home, shown)
                    )),
                })
            }
            Err(e) => return Err(os_error("open folder", home, shown, e)),
        };
        cur = next;
    }
    Ok(Some(cur))
}

/// Looks at a home-relative path (`comps`, from
/// [`crate::validate::rel_path_components`]) without changing anything.
///
/// Errors: a link or non-folder on the way, a link or non-regular file at
/// the end (messages name the full container path).
pub fn probe(home_fd: &OwnedFd, home: &str, comps: &[&str]) -> Result<(Existing, Option<OwnedFd>)> {
    let (name, dirs) = comps.split_last().expect("validated path has a component");
    let Some(dir) = walk(home_fd, home, dirs, None)? else {
        return Ok((Existing::NoFolder, None));
    };
    let state =
        match kind_at(dir.as_raw_fd(), name).map_err(|e| os_error("inspect", home, comps, e))? {
            None => Existing::NoFile,
            Some((SFlag::S_IFREG, nlink)) => Existing::File { nlink },
            Some((SFlag::S_IFLNK, _)) => return Err(link_error(home, comps)),
            Some(_) => {
                return Err(Error::new(format!(
                    "{} is not a regular file: move it away and launch again; nothing was applied",
                    at(home, comps)
                )))
            }
        };
    Ok((state, Some(dir)))
}

fn open_file(dir: &OwnedFd, name: &str, flags: OFlag) -> nix::Result<File> {
    let flags = flags | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
    openat(Some(dir.as_raw_fd()), name, flags, Mode::empty()).map(|fd| File::from(own(fd)))
}

/// Reads an existing regular file of at most `limit` bytes from `dir`.
pub fn read_file(dir: &OwnedFd, home: &str, comps: &[&str], limit: u64) -> Result<Vec<u8>> {
    let name = comps[comps.len() - 1];
    let file =
        open_file(dir, name, OFlag::O_RDONLY).map_err(|e| os_error("read", home, comps, e))?;
    let st = fstat(file.as_raw_fd()).map_err(|e| os_error("inspect", home, comps, e))?;
    if st.st_size as u64 > limit {
        return Err(Error::new(format!(
            "{} is larger than {limit} bytes; jackin-init will not load it: \
             shrink or remove it and launch again; nothing was applied",
            at(home, comps)
        )));
    }
    let mut data = Vec::with_capacity(st.st_size as usize);
    file.take(limit + 1).read_to_end(&mut data).map_err(|e| {
        Error::new(format!(
            "cannot read {}: {}",
            at(home, comps),
            describe_io(&e)
        ))
    })?;
    Ok(data)
}

/// Opens (creating 0700 folders owned by `owner`) the folder that holds
/// `comps`, following no link.
pub fn ensure_parent(
    home_fd: &OwnedFd,
    home: &str,
    comps: &[&str],
    owner: Owner,
) -> Result<OwnedFd> {
    let dirs = &comps[..comps.len() - 1];
    Ok(walk(home_fd, home, dirs, Some(owner))?.expect("walk creates missing folders"))
}

/// Atomically replaces `name` in `dir` with `data`: mode 0600, owned by
/// `owner` (or left to the caller's uid when `None`). `shown` names the
/// file in errors.
pub fn write_atomic(
    dir: &OwnedFd,
    name: &str,
    data: &[u8],
    owner: Option<Owner>,
    shown: &str,
) -> Result<()> {
    let tmp = format!(".jackin-init.{}.tmp", std::process::id());
    let flags =
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let fail = |what: &str, e: String| Error::new(format!("cannot {what} {shown}: {e}"));
    let create = || {
        openat(
            Some(dir.as_raw_fd()),
            tmp.as_str(),
            flags,
            Mode::from_bits_truncate(0o600),
        )
    };
    let fd = match create() {
        Err(Errno::EEXIST) => {
            // Left by a crashed earlier run with the same pid: remove it.
            let _ = unlinkat(
                Some(dir.as_raw_fd()),
                tmp.as_str(),
                UnlinkatFlags::NoRemoveDir,
            );
            create()
        }
        r => r,
    }
    .map_err(|e| fail("create a temporary file next to", describe_errno(e)))?;
    let mut file = File::from(own(fd));
    let result = (|| {
        file.write_all(data)
            .map_err(|e| fail("write", describe_io(&e)))?;
        if let Some(o) = owner {
            std::os::unix::fs::fchown(&file, Some(o.uid), Some(o.gid))
                .map_err(|e| fail("set the owner of", describe_io(&e)))?;
        }
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| fail("set the mode of", describe_io(&e)))?;
        file.sync_all()
            .map_err(|e| fail("flush", describe_io(&e)))?;
        renameat(
            Some(dir.as_raw_fd()),
            tmp.as_str(),
            Some(dir.as_raw_fd()),
            name,
        )
        .map_err(|e| fail("rename into place", describe_errno(e)))
    })();
    if let Err(e) = result {
        let _ = unlinkat(
            Some(dir.as_raw_fd()),
            tmp.as_str(),
            UnlinkatFlags::NoRemoveDir,
        );
        return Err(e);
    }
    crash_hook();
    fsync(dir.as_raw_fd()).map_err(|e| fail("flush the folder of", describe_errno(e)))
}

fn crash_hook() {
    let n = RENAMES.fetch_add(1, Ordering::SeqCst) + 1;
    let limit = std::env::var(ABORT_VAR)
        .ok()
        .and_then(|v| v.parse::<usize>().ok());
    if limit == Some(n) {
        eprintln!("jackin-init: {ABORT_VAR}={n}: aborting after rename {n} (test hook)");
        std::process::abort();
    }
}

/// Keeps a file's content but repairs its owner and mode (0600). Returns
/// `false` when the file does not exist. Refuses a file with several hard
/// links (changing its owner would change another file's owner).
pub fn repair(dir: &OwnedFd, home: &str, comps: &[&str], owner: Owner) -> Result<bool> {
    let name = comps[comps.len() - 1];
    let file = match open_file(dir, name, OFlag::O_RDONLY) {
        Ok(f) => f,
        Err(Errno::ENOENT) => return Ok(false),
        Err(e) => return Err(os_error("open", home, comps, e)),
    };
    let st = fstat(file.as_raw_fd()).map_err(|e| os_error("inspect", home, comps, e))?;
    if st.st_nlink > 1 {
        return Err(hardlink_error(home, comps));
    }
    std::os::unix::fs::fchown(&file, Some(owner.uid), Some(owner.gid)).map_err(|e| {
        Error::new(format!(
            "cannot set the owner of {}: {}",
            at(home, comps),
            describe_io(&e)
        ))
    })?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| {
            Error::new(format!(
                "cannot set the mode of {}: {}",
                at(home, comps),
                describe_io(&e)
            ))
        })?;
    Ok(true)
}

/// Makes the home folder itself belong to the user: an image without the
/// home folder, or with a root-owned one, gives a fresh home volume owned
/// by root, where the agent cannot create its own files (Claude rewrites
/// `~/.claude.json` through a temporary file beside it). Only the folder
/// is changed (not its contents, not its mode). Returns `true` when the
/// owner was changed.
///
/// Errors: the folder cannot be inspected or its owner cannot be set.
pub fn own_home(home_fd: &OwnedFd, home: &str, owner: Owner) -> Result<bool> {
    let st = fstat(home_fd.as_raw_fd()).map_err(|e| os_error("inspect", home, &[], e))?;
    if st.st_uid == owner.uid && st.st_gid == owner.gid {
        return Ok(false);
    }
    fchown(
        home_fd.as_raw_fd(),
        Some(Uid::from_raw(owner.uid)),
        Some(Gid::from_raw(owner.gid)),
    )
    .map_err(|e| os_error("set the owner of", home, &[], e))?;
    Ok(true)
}

/// Deletes a file (the link itself: a symlink is never followed). A file
/// already gone is not an error; the folder is fsynced so the removal
/// survives a crash.
pub fn remove(dir: &OwnedFd, home: &str, comps: &[&str]) -> Result<()> {
    let name = comps[comps.len() - 1];
    match nix::unistd::unlinkat(
        Some(dir.as_raw_fd()),
        name,
        nix::unistd::UnlinkatFlags::NoRemoveDir,
    ) {
        Ok(()) | Err(Errno::ENOENT) => {}
        Err(e) => return Err(os_error("remove", home, comps, e)),
    }
    nix::unistd::fsync(dir.as_raw_fd()).map_err(|e| os_error("sync the folder of", home, comps, e))
}

/// The refusal for a kept file that has several hard links.
pub fn hardlink_error(home: &str, comps: &[&str]) -> Error {
    Error::new(format!(
        "{} has several hard links; jackin-init will not change its owner: \
         replace it with a plain copy and launch again; nothing was applied",
        at(home, comps)
    ))
}

/// Container path of `comps` in `home`, for messages.
pub fn display(home: &str, comps: &[&str]) -> String {
    at(home, comps)
}
