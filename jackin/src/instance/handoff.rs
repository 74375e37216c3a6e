//! The launch handoff over a unix socket (host side; the container side
//! and the wire format are `jackin_init::handoff`).
//!
//! `jackin load` gives every container a bind mount of
//! `$JACKIN_DATA_DIR/handoff/<instance id>/` (a 0700 folder that persists
//! with the instance, so the bind source exists whenever the engine starts
//! the container) at `/jackin/handoff`, and `--handoff
//! /jackin/handoff/init.sock` on `jackin-init run`'s command line. Once the
//! container is created, jackin listens on `init.sock` in that folder;
//! after the start it accepts one connection, closes and unlinks the
//! socket, streams the bundle, and reads the per-agent report back. No
//! engine exec is involved, which is most of the launch time it saves.
//!
//! Falls back to the exec of `jackin-init receive` ([`super::provision::deliver`],
//! SPEC §8) when the socket handoff cannot work: `JACKIN_HANDOFF=exec` is
//! set, the socket path is too long for a unix socket, the socket cannot be
//! made, or no connection comes within [`ACCEPT_TIMEOUT`] after the start
//! (an engine in a VM, e.g. Docker Desktop or `podman machine`, cannot pass a
//! host socket through a bind mount).

use super::provision::{self, AgentReport};
use crate::engine::{Bind, Engine};
use crate::plan::LaunchPlan;
use anyhow::{bail, Context, Result};
use jackin_init::handoff::{Reply, CONTAINER_DIR, CONTAINER_SOCKET, SOCKET_NAME};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Env var choosing the handoff: `exec` forces the exec of `jackin-init
/// receive` (the SPEC §8 path); unset or `socket` tries the socket first.
pub const MODE_VAR: &str = "JACKIN_HANDOFF";
/// How long jackin waits, after the container started, for jackin-init to
/// connect before it falls back to the exec. jackin-init connects within
/// milliseconds of the start on a local engine.
pub const ACCEPT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long jackin waits for the report once the bundle is sent (the apply
/// itself takes a few ms; fsync on a busy disk can take longer).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest path `bind(2)` takes for a unix socket (`sun_path` is 108 bytes
/// with the terminating NUL).
const MAX_SOCKET_PATH: usize = 107;

/// Which handoff [`MODE_VAR`] asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// The socket first, the exec as the fallback (unset, empty or `socket`).
    #[default]
    Socket,
    /// The exec of `jackin-init receive` only (`exec`).
    Exec,
}

/// Reads [`MODE_VAR`]. Errors: any other value than `socket` or `exec`
/// (the message names the variable and both values).
pub fn mode_from_env() -> Result<Mode> {
    let Some(raw) = std::env::var_os(MODE_VAR) else {
        return Ok(Mode::Socket);
    };
    match raw.to_str() {
        Some("") | Some("socket") => Ok(Mode::Socket),
        Some("exec") => Ok(Mode::Exec),
        _ => bail!(
            "{MODE_VAR}='{}' is not a handoff: use 'socket' (the default: a unix socket \
             bind-mounted into the container) or 'exec' (an exec of jackin-init receive)",
            raw.to_string_lossy().escape_debug()
        ),
    }
}

/// The host folder bind-mounted at `/jackin/handoff` for instance `id`:
/// `<data_dir>/handoff/<id>`.
pub fn host_dir(data_dir: &Path, id: &str) -> PathBuf {
    data_dir.join("handoff").join(id)
}

/// Whether `id` can name a handoff folder: one path component of ASCII
/// letters, digits, `-` and `_` (jackin's ids are 8 lowercase
/// alphanumerics). Instance ids also come from container labels on a
/// shared engine, which anyone with access to the engine can set: `..`,
/// `.`, `` or `a/b` would name another folder than the instance's.
pub fn is_folder_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Removes the handoff folder of instance `id` (purge). Missing is fine;
/// an id that cannot name a handoff folder ([`is_folder_id`]) removes
/// nothing.
pub fn remove_dir(data_dir: &Path, id: &str) {
    if is_folder_id(id) {
        let _ = std::fs::remove_dir_all(host_dir(data_dir, id));
    }
}

/// A socket handoff being prepared for one container.
#[derive(Debug)]
pub struct SocketHandoff {
    dir: PathBuf,
    /// The listener and the (device, inode) of its socket file: only that
    /// file is ever unlinked (a later load of the same instance may have
    /// bound a new one at the same path).
    listener: Option<(tokio::net::UnixListener, (u64, u64))>,
}

impl SocketHandoff {
    /// Makes the instance's handoff folder (0700) so that it can be
    /// bind-mounted. `None` when the exec handoff is to be used instead
    /// ([`MODE_VAR`] is `exec`, the socket path would be too long, or the
    /// folder cannot be made); the reason is logged at debug level.
    pub fn prepare(mode: Mode, data_dir: &Path, id: &str) -> Option<SocketHandoff> {
        if mode == Mode::Exec {
            tracing::debug!("handoff: {MODE_VAR}=exec: the bundle goes through an exec");
            return None;
        }
        if !is_folder_id(id) {
            tracing::debug!(
                "handoff: instance id '{}' cannot name a folder: the bundle goes through an exec",
                id.escape_debug()
            );
            return None;
        }
        // The engine resolves a relative bind source against its own
        // working folder (podman) or refuses it (docker): the folder must
        // be absolute. A bind source travels as a string: a path that is
        // not UTF-8 would name another folder.
        let dir = match std::path::absolute(host_dir(data_dir, id)) {
            Ok(d) if d.to_str().is_some() => d,
            Ok(d) => {
                tracing::debug!(
                    "handoff: {} is not valid UTF-8: the bundle goes through an exec",
                    d.display()
                );
                return None;
            }
            Err(e) => {
                tracing::debug!(
                    "handoff: cannot make {} absolute: {e}: the bundle goes through an exec",
                    data_dir.display()
                );
                return None;
            }
        };
        let socket = dir.join(SOCKET_NAME);
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            tracing::debug!(
                "handoff: {} is longer than a unix socket path may be: the bundle goes through an exec",
                socket.display()
            );
            return None;
        }
        if let Err(e) = make_private_dir(&dir) {
            tracing::debug!(
                "handoff: cannot make {}: {e}: the bundle goes through an exec",
                dir.display()
            );
            return None;
        }
        Some(SocketHandoff {
            dir,
            listener: None,
        })
    }

    /// The bind mount of the handoff folder (read-only: connecting to a
    /// socket does not write to its file system).
    pub fn bind(&self) -> Bind {
        Bind {
            src: self.dir.display().to_string(),
            dst: CONTAINER_DIR.to_string(),
            readonly: true,
        }
    }

    /// The arguments `jackin-init run` takes to use this handoff.
    pub fn run_args() -> [String; 2] {
        ["--handoff".into(), CONTAINER_SOCKET.into()]
    }

    fn socket(&self) -> PathBuf {
        self.dir.join(SOCKET_NAME)
    }

    /// Starts listening. Call after the container is created (its name is
    /// then this load's), before it starts. On failure the delivery falls
    /// back to the exec (logged at debug level).
    pub fn listen(&mut self) {
        let socket = self.socket();
        let _ = std::fs::remove_file(&socket);
        match tokio::net::UnixListener::bind(&socket).and_then(|l| Ok((l, file_id(&socket)?))) {
            Ok(bound) => self.listener = Some(bound),
            Err(e) => tracing::debug!(
                "handoff: cannot listen on {}: {e}: the bundle goes through an exec",
                socket.display()
            ),
        }
    }

    /// Unlinks the socket file if it is still the one this handoff bound.
    fn unlink(&self, ours: (u64, u64)) {
        let socket = self.socket();
        if file_id(&socket).is_ok_and(|id| id == ours) {
            let _ = std::fs::remove_file(socket);
        }
    }

    /// Hands `plan` to the started container `id` (whose user is `user`):
    /// over the socket when jackin-init connects within [`ACCEPT_TIMEOUT`],
    /// else through the exec of `jackin-init receive`. Returns the
    /// per-agent report.
    ///
    /// Errors: the bundle was refused in the container (jackin-init's
    /// reason), the connection closed without a report (the container
    /// stopped), or the exec fallback's errors.
    pub async fn deliver(
        mut self,
        engine: &dyn Engine,
        id: &str,
        plan: &LaunchPlan,
        user: &str,
    ) -> Result<Vec<AgentReport>> {
        let t = Instant::now();
        let Some((listener, ours)) = self.listener.take() else {
            // Never listened (the reason is logged by `listen`).
            return provision::deliver(engine, id, plan, user).await;
        };
        let accepted = accept_unless_exited(&listener, engine, id).await;
        // One-shot: nothing else may connect once the container is in.
        drop(listener);
        self.unlink(ours);
        match accepted? {
            Some(Ok((stream, _))) => {
                super::load::phase("handoff accept", t);
                exchange(stream, provision::encode(plan, user)?).await
            }
            Some(Err(e)) => {
                tracing::debug!("handoff: accept failed: {e}: the bundle goes through an exec");
                provision::deliver(engine, id, plan, user).await
            }
            None => {
                tracing::warn!(
                    "jackin-init did not connect to the handoff socket within {} s, so the logins \
                     went through an exec instead; if the engine runs in a VM (Docker Desktop, \
                     podman machine), set JACKIN_HANDOFF=exec to skip this wait",
                    ACCEPT_TIMEOUT.as_secs()
                );
                provision::deliver(engine, id, plan, user).await
            }
        }
    }
}

impl Drop for SocketHandoff {
    fn drop(&mut self) {
        if let Some((_, ours)) = self.listener.take() {
            self.unlink(ours);
        }
    }
}

/// (device, inode) of `path` itself (a link is not followed).
fn file_id(path: &Path) -> std::io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::symlink_metadata(path)?;
    Ok((m.dev(), m.ino()))
}

/// Waits for jackin-init's connection, at most [`ACCEPT_TIMEOUT`] (`None`:
/// none came). Errors at once when the container exits first (jackin-init
/// could not run, or died): there is nobody left to hand the bundle to.
async fn accept_unless_exited(
    l: &tokio::net::UnixListener,
    engine: &dyn Engine,
    id: &str,
) -> Result<Option<std::io::Result<(tokio::net::UnixStream, tokio::net::unix::SocketAddr)>>> {
    let deadline = tokio::time::sleep(ACCEPT_TIMEOUT);
    tokio::pin!(deadline);
    let exited = engine.wait_container(id);
    tokio::pin!(exited);
    let mut watching = true;
    loop {
        tokio::select! {
            biased;
            a = l.accept() => return Ok(Some(a)),
            w = &mut exited, if watching => match w {
                Ok(code) => bail!(
                    "the container exited (code {code}) before jackin-init took the bundle{}",
                    last_output(engine, id).await
                ),
                // The wait itself failed: keep waiting for the connection.
                Err(e) => {
                    tracing::debug!("handoff: cannot watch the container: {e}");
                    watching = false;
                }
            },
            _ = &mut deadline => return Ok(None),
        }
    }
}

/// What the container printed, as `; it printed: …`: jackin-init's own
/// `jackin-init: …` error lines when there are any, else the last 5 lines
/// (empty when it printed nothing). Only used before the bundle is sent:
/// the output cannot hold a secret then.
async fn last_output(engine: &dyn Engine, id: &str) -> String {
    let Ok(bytes) = engine.container_logs(id).await else {
        return String::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let ours: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.trim_start().starts_with("jackin-init: "))
        .collect();
    let shown = if ours.is_empty() {
        &lines[lines.len().saturating_sub(5)..]
    } else {
        &ours[..]
    };
    match shown {
        [] => String::new(),
        _ => format!("; it printed:\n  {}", shown.join("\n  ")),
    }
}

/// Sends the bundle, closes the write side, reads the reply lines.
async fn exchange(mut stream: tokio::net::UnixStream, bundle: Vec<u8>) -> Result<Vec<AgentReport>> {
    let t = Instant::now();
    let mut reply = Vec::new();
    let io = async {
        stream.write_all(&bundle).await?;
        stream.shutdown().await?;
        stream.read_to_end(&mut reply).await
    };
    match tokio::time::timeout(REPLY_TIMEOUT, io).await {
        Ok(Ok(_)) => {}
        // A broken pipe or reset: jackin-init is gone; say so below.
        Ok(Err(e)) => tracing::debug!("handoff: socket error: {e}"),
        Err(_) => bail!(
            "jackin-init did not answer on the handoff socket within {} s: see 'jackin ps' and try again",
            REPLY_TIMEOUT.as_secs()
        ),
    }
    super::load::phase("handoff stream + apply", t);
    parse_reply(&String::from_utf8_lossy(&reply))
}

/// Parses the socket reply: one [`AgentReport`] per line, or a single
/// `{"error":…}` line (the bundle was refused).
pub fn parse_reply(text: &str) -> Result<Vec<AgentReport>> {
    let mut reports = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Reply<AgentReport>>(line).with_context(|| {
            format!("unexpected line from jackin-init on the handoff socket: {line}")
        })? {
            Reply::Error { error } => {
                bail!("jackin-init could not apply the bundle in the container: {error}")
            }
            Reply::Agent(r) => reports.push(r),
        }
    }
    if reports.is_empty() {
        bail!(
            "jackin-init closed the handoff socket without a report (the container stopped, \
             or jackin-init was killed): see 'jackin ps' and try again"
        );
    }
    Ok(reports)
}

/// Makes `dir` and its parents, owner-only (0700) for `dir` itself.
///
/// Errors: `dir` exists but is a symbolic link or not a folder (binding
/// it would hand the container, and the chmod, whatever it points to), or
/// belongs to another user than jackin's (who could connect to the socket
/// before jackin-init does and take the bundle).
fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.file_type().is_dir() {
        return Err(std::io::Error::other(
            "it is a symbolic link, not a folder: remove it",
        ));
    }
    let me = nix::unistd::geteuid().as_raw();
    if meta.uid() != me {
        return Err(std::io::Error::other(format!(
            "it belongs to uid {}, not to jackin's user (uid {me}): remove it",
            meta.uid()
        )));
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_lines_parse_to_reports_or_the_refusal() {
        let ok = r#"{"agent":"claude","mode":"sync","result":"synced","files":[".claude.json"],"env":[]}
{"agent":"codex","mode":"ignore","result":"revoked","files":[],"env":[]}
"#;
        let r = parse_reply(ok).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[1].agent.as_str(), r[1].result.as_str()),
            ("codex", "revoked")
        );
        let e = parse_reply("{\"error\":\"`.claude` is a symbolic link\"}\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "jackin-init could not apply the bundle in the container: `.claude` is a symbolic link"
        );
        let e = parse_reply("").unwrap_err();
        assert!(e.to_string().contains("without a report"), "{e}");
        assert!(parse_reply("garbage\n").is_err());
    }

    #[test]
    fn prepare_makes_an_owner_only_folder_or_declines() {
        use std::os::unix::fs::PermissionsExt;
        let data = tempfile::tempdir().unwrap();
        let h = SocketHandoff::prepare(Mode::Socket, data.path(), "abcd1234").unwrap();
        let dir = host_dir(data.path(), "abcd1234");
        assert_eq!(h.bind().src, dir.display().to_string());
        assert_eq!(h.bind().dst, "/jackin/handoff");
        assert!(h.bind().readonly);
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        // A data folder so deep that the socket path cannot be bound.
        let deep = data.path().join("d".repeat(120));
        assert!(SocketHandoff::prepare(Mode::Socket, &deep, "abcd1234").is_none());
        assert!(SocketHandoff::prepare(Mode::Exec, data.path(), "abcd1234").is_none());
        remove_dir(data.path(), "abcd1234");
        assert!(!dir.exists());
    }

    #[test]
    fn prepare_declines_a_folder_that_is_a_link_a_file_or_someone_elses() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let data = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::set_permissions(elsewhere.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir_all(data.path().join("handoff")).unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), host_dir(data.path(), "linked01")).unwrap();
        assert!(SocketHandoff::prepare(Mode::Socket, data.path(), "linked01").is_none());
        assert_eq!(
            mode(elsewhere.path()),
            0o755,
            "the link's target was chmod-ed"
        );
        std::fs::write(host_dir(data.path(), "file0001"), "").unwrap();
        assert!(SocketHandoff::prepare(Mode::Socket, data.path(), "file0001").is_none());
        if nix::unistd::geteuid().is_root() {
            let foreign = host_dir(data.path(), "foreign1");
            std::fs::create_dir(&foreign).unwrap();
            std::os::unix::fs::chown(&foreign, Some(1000), Some(1000)).unwrap();
            assert!(SocketHandoff::prepare(Mode::Socket, data.path(), "foreign1").is_none());
        }
    }

    #[test]
    fn an_id_that_is_not_a_plain_name_removes_nothing() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        std::fs::create_dir_all(host_dir(&data, "abcd1234")).unwrap();
        std::fs::write(data.join("instances.json"), "{}").unwrap();
        for id in ["", ".", "..", "../..", "a/../..", "/tmp"] {
            assert!(!is_folder_id(id), "{id:?}");
            remove_dir(&data, id);
            assert!(SocketHandoff::prepare(Mode::Socket, &data, id).is_none());
        }
        assert!(
            data.join("instances.json").exists(),
            "the data folder was removed"
        );
        assert!(
            host_dir(&data, "abcd1234").is_dir(),
            "another instance's folder was removed"
        );
        assert!(is_folder_id("abcd1234"));
        remove_dir(&data, "abcd1234");
        assert!(!host_dir(&data, "abcd1234").exists());
    }

    #[test]
    fn prepare_binds_an_absolute_utf8_folder() {
        use std::os::unix::ffi::OsStrExt;
        let data = tempfile::tempdir().unwrap();
        // The same data folder, named relative to the current folder.
        let cwd = std::env::current_dir().unwrap();
        let up = "../".repeat(cwd.components().count() - 1);
        let rel = PathBuf::from(format!(
            "{up}{}",
            data.path().display().to_string().trim_start_matches('/')
        ));
        assert!(rel.is_relative() && rel.is_dir(), "{}", rel.display());
        let h = SocketHandoff::prepare(Mode::Socket, &rel, "abcd1234").unwrap();
        assert!(Path::new(&h.bind().src).is_absolute(), "{}", h.bind().src);
        assert!(host_dir(data.path(), "abcd1234").is_dir());
        // A bind source is a string: a folder whose name is not UTF-8
        // cannot be bound as itself.
        let bad = data.path().join(std::ffi::OsStr::from_bytes(b"bad\xff"));
        assert!(SocketHandoff::prepare(Mode::Socket, &bad, "abcd1234").is_none());
    }

    #[tokio::test]
    async fn the_socket_is_one_shot_and_gone_after_delivery_or_drop() {
        let data = tempfile::tempdir().unwrap();
        let mut h = SocketHandoff::prepare(Mode::Socket, data.path(), "abcd1234").unwrap();
        h.listen();
        let sock = h.socket();
        assert!(sock.exists());
        drop(h);
        assert!(!sock.exists(), "a dropped handoff leaves its socket");

        // A later load bound its own socket at the same path: dropping the
        // earlier handoff leaves that one alone.
        let mut first = SocketHandoff::prepare(Mode::Socket, data.path(), "abcd1234").unwrap();
        first.listen();
        let mut second = SocketHandoff::prepare(Mode::Socket, data.path(), "abcd1234").unwrap();
        second.listen();
        drop(first);
        assert!(sock.exists(), "the later load's socket was unlinked");
        drop(second);
        assert!(!sock.exists());
    }
}
