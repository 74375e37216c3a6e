//! The container engine jackin talks to (`shared/SPEC.md` §10): one small
//! async trait, [`Engine`], with a Podman backend ([`podman`], libpod REST API
//! through `podman-api`) and a Docker backend ([`docker`], Engine API 1.41
//! through `bollard`). [`connect`] picks the socket and the backend.
//!
//! Words follow the engines' own: image, container, exec, attach, volume,
//! bind, tmpfs, label. Every error names the operation, the engine and the
//! socket ([`EngineError`]).

pub mod connect;
pub mod docker;
pub mod podman;
pub mod tty;

pub use connect::{candidate_sockets, connect, SocketCandidate};

use crate::config::EngineKind;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future (the `before` step of [`Engine::attach_after`]).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A bind mount of a host path into the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    /// Absolute host path.
    pub src: String,
    /// Absolute path inside the container.
    pub dst: String,
    /// Mount read-only (`ro`).
    pub readonly: bool,
}

/// A named volume mounted into the container (created on demand by the engine
/// if missing; [`Engine::volume_create`] creates it with labels first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeMount {
    /// Volume name, e.g. `jk-<id>-home`.
    pub name: String,
    /// Absolute path inside the container.
    pub dst: String,
}

/// What [`Engine::create_container`] creates. Secrets never go here: the
/// whole spec is visible in the container's inspect output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerSpec {
    /// Container name (`jk-<id>-<role>`).
    pub name: String,
    /// Image reference, e.g. `localhost/jackin-test/probe:latest`.
    pub image: String,
    /// Overrides the image's entrypoint when not empty.
    pub entrypoint: Vec<String>,
    /// Overrides the image's command when not empty.
    pub cmd: Vec<String>,
    /// User for the entrypoint (`"0"`: jackin-init starts as root and drops
    /// privileges itself); `None` keeps the image's `USER`.
    pub user: Option<String>,
    /// Non-secret environment, in order.
    pub env: Vec<(String, String)>,
    /// Labels (`io.jackin.*`).
    pub labels: BTreeMap<String, String>,
    /// Host bind mounts.
    pub binds: Vec<Bind>,
    /// Named volumes.
    pub volumes: Vec<VolumeMount>,
    /// tmpfs mounts: (container path, options such as `mode=0700`).
    pub tmpfs: Vec<(String, String)>,
    /// Working directory inside the container.
    pub workdir: Option<String>,
    /// Allocate a TTY (and keep stdin open) for the main process.
    pub tty: bool,
    /// Run the engine's own init (catatonit / tini) as PID 1.
    pub init: bool,
    /// Network mode or network name; `None` keeps the engine default.
    /// `"none"` gives no network at all.
    pub network: Option<String>,
}

/// An image as the engine describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// Image id (`sha256:…` on Docker, bare hex on Podman).
    pub id: String,
    /// The image config's `USER`, `None` when unset or empty.
    pub user: Option<String>,
    /// The image config's labels.
    pub labels: BTreeMap<String, String>,
}

/// A container as [`Engine::inspect_container`] / [`Engine::list_containers`]
/// report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    /// Full container id.
    pub id: String,
    /// Name without a leading `/`.
    pub name: String,
    /// The image reference the container was created from.
    pub image: String,
    /// Engine state word: `created`, `running`, `exited`, `paused`, …
    pub state: String,
    /// True while the main process runs.
    pub running: bool,
    /// Container labels.
    pub labels: BTreeMap<String, String>,
    /// Creation time, RFC 3339 (UTC), as reported by the engine.
    pub created: String,
}

/// One process to run inside a running container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecSpec {
    /// argv; never put a secret here.
    pub cmd: Vec<String>,
    /// User (`"0"`, `"1000"`, `"agent"`); `None`: the container's user.
    pub user: Option<String>,
    /// Extra non-secret environment.
    pub env: Vec<(String, String)>,
    /// Working directory; `None`: the container's.
    pub workdir: Option<String>,
    /// Bytes streamed to the process's stdin, which is then closed (EOF).
    /// This is the only channel for secrets. `None`: no stdin.
    pub stdin: Option<Vec<u8>>,
}

/// Result of a non-interactive [`Engine::exec`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// The process's exit code.
    pub exit_code: i64,
    /// Everything written to stdout.
    pub stdout: Vec<u8>,
    /// Everything written to stderr.
    pub stderr: Vec<u8>,
}

/// A failed engine operation. Messages name what failed, the engine, the
/// socket, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The socket does not answer (missing, refused, permission denied).
    #[error("cannot reach {engine} at {socket}: {reason} — {hint}")]
    Unreachable {
        /// `podman` or `docker`.
        engine: &'static str,
        /// `unix:///…`
        socket: String,
        /// Why, in words (`connection refused`, `no such socket`).
        reason: String,
        /// What to start.
        hint: String,
    },
    /// Auto-detection found no engine; lists every socket tried and why.
    #[error("no container engine is reachable; tried:\n{tried}\nstart one ({podman_hint}; or {docker_hint}), or pass --engine/--host")]
    NoEngine {
        /// One line per socket: `  podman unix:///…: reason`.
        tried: String,
        /// How to start Podman.
        podman_hint: String,
        /// How to start Docker.
        docker_hint: String,
    },
    /// The image is not in the engine's local store.
    #[error("image '{image}' not found in {engine} at {socket} — build it with '{engine} build -t {image} …' (or '{engine} pull {image}'), or pass another role image")]
    ImageNotFound {
        /// The reference asked for.
        image: String,
        /// `podman` or `docker`.
        engine: &'static str,
        /// `unix:///…`
        socket: String,
    },
    /// The named container does not exist.
    #[error("container '{container}' not found in {engine} at {socket}")]
    ContainerNotFound {
        /// Name or id asked for.
        container: String,
        /// `podman` or `docker`.
        engine: &'static str,
        /// `unix:///…`
        socket: String,
    },
    /// The engine answered with an error.
    #[error("{op} failed in {engine} at {socket}: {message}")]
    Api {
        /// What jackin tried, e.g. `create container 'jk-ab12cd34-dev'`.
        op: String,
        /// `podman` or `docker`.
        engine: &'static str,
        /// `unix:///…`
        socket: String,
        /// The engine's message.
        message: String,
    },
    /// The local terminal could not be set up or restored.
    #[error("terminal: {0}")]
    Terminal(String),
}

/// Why [`Engine::attach_after`] failed: the engine, or the `before` step.
#[derive(Debug)]
pub(crate) enum AttachError {
    /// Connecting or the session failed.
    Engine(EngineError),
    /// The `before` step failed; its error is passed on unchanged.
    Before(anyhow::Error),
}

impl From<EngineError> for AttachError {
    fn from(e: EngineError) -> Self {
        AttachError::Engine(e)
    }
}

impl AttachError {
    /// The error as `anyhow`, `before`'s own error unchanged.
    pub(crate) fn into_anyhow(self) -> anyhow::Error {
        match self {
            AttachError::Engine(e) => e.into(),
            AttachError::Before(e) => e,
        }
    }
}

/// Result alias for engine operations.
pub type Result<T> = std::result::Result<T, EngineError>;

/// A container engine. Object-safe: use it as `Box<dyn Engine>` from
/// [`connect`]. All ids are the engine's full ids; names work wherever
/// `id` is taken.
#[async_trait]
pub trait Engine: Send + Sync {
    /// Which engine this is (detected, not just asked for).
    fn kind(&self) -> EngineKind;
    /// The socket URL, `unix:///run/podman/podman.sock`.
    fn socket(&self) -> &str;
    /// Checks the engine answers. Errors: [`EngineError::Unreachable`].
    async fn ping(&self) -> Result<()>;
    /// The local image, or `None` if it is not in the store.
    async fn image_inspect(&self, image: &str) -> Result<Option<ImageInfo>>;
    /// Creates (does not start) a container; returns its id. A missing image
    /// is [`EngineError::ImageNotFound`] (nothing is pulled).
    async fn create_container(&self, spec: &ContainerSpec) -> Result<String>;
    /// Starts a created or stopped container.
    async fn start_container(&self, id: &str) -> Result<()>;
    /// Stops a container: SIGTERM, then SIGKILL after `timeout_secs`.
    /// Stopping a stopped container is not an error.
    async fn stop_container(&self, id: &str, timeout_secs: u32) -> Result<()>;
    /// Removes a container (`force`: even if running). Missing is
    /// [`EngineError::ContainerNotFound`].
    async fn remove_container(&self, id: &str, force: bool) -> Result<()>;
    /// The container, or `None` if it does not exist.
    async fn inspect_container(&self, name_or_id: &str) -> Result<Option<ContainerInfo>>;
    /// The engine's inspect document as JSON, or `None` if missing. Used to
    /// check that no secret reached a container's configuration. It is the
    /// client library's typed model serialized back (field names as the
    /// engine spells them; fields the model does not know are left out).
    async fn inspect_container_json(&self, name_or_id: &str) -> Result<Option<serde_json::Value>>;
    /// Containers in any state whose labels match every filter: `(key,
    /// None)` means the label is present, `(key, Some(v))` means equal to v.
    async fn list_containers(&self, labels: &[(&str, Option<&str>)]) -> Result<Vec<ContainerInfo>>;
    /// What the container's main process printed so far (stdout and stderr
    /// interleaved as the engine stored them; a TTY container's output as
    /// the terminal saw it). Missing: [`EngineError::ContainerNotFound`].
    async fn container_logs(&self, id: &str) -> Result<Vec<u8>>;
    /// Waits until the container's main process exits; returns its exit code.
    async fn wait_container(&self, id: &str) -> Result<i64>;
    /// Runs a process without a TTY, streams `spec.stdin` into it and closes
    /// its stdin, collects stdout/stderr and the exit code.
    async fn exec(&self, id: &str, spec: &ExecSpec) -> Result<ExecOutput>;
    /// Runs a process on a TTY bound to this process's terminal (raw mode,
    /// size and resizes forwarded); returns its exit code. `spec.stdin` is
    /// ignored: input comes from the terminal.
    async fn exec_interactive(&self, id: &str, spec: &ExecSpec) -> Result<i64>;
    /// Attaches this terminal to the container's main process (created with
    /// `tty: true`) until it exits or the stream ends.
    async fn attach(&self, id: &str) -> Result<()>;
    /// Attaches this terminal to the main process of container `id`
    /// *before* running `before` (which starts the container and hands the
    /// bundle over), then runs the session like [`Engine::attach`]. Nothing
    /// the main process prints after `before` is lost (the output waits in
    /// the attach stream), as with `docker run -it`; a plain attach after
    /// the start would miss an agent's first screen.
    ///
    /// Errors: the attach fails (engine error), or `before` fails (its
    /// error, unchanged; no session is started).
    async fn attach_after<'a>(
        &'a self,
        id: &'a str,
        before: BoxFuture<'a, anyhow::Result<()>>,
    ) -> anyhow::Result<()>;
    /// Creates a named volume with labels (exists already: not an error).
    async fn volume_create(&self, name: &str, labels: &BTreeMap<String, String>) -> Result<()>;
    /// Whether the named volume exists.
    async fn volume_exists(&self, name: &str) -> Result<bool>;
    /// Removes the named volume (missing: not an error; in use: error).
    async fn volume_remove(&self, name: &str) -> Result<()>;
    /// A tar archive of `path` in the container (created or running), as
    /// the engine's archive endpoint returns it. jackin reads an image's
    /// `/etc/passwd` this way, from a created-but-never-started container.
    async fn copy_from_container(&self, id: &str, path: &str) -> Result<Vec<u8>>;
}

/// How to start Podman's API service, for error messages.
pub const PODMAN_HINT: &str = "start it with 'systemctl start podman.socket' (rootless: 'systemctl --user start podman.socket') or 'podman system service --time=0 unix:///run/podman/podman.sock &'";
/// How to start Docker, for error messages.
pub const DOCKER_HINT: &str =
    "start it with 'systemctl start docker' (rootless: 'systemctl --user start docker') or 'dockerd &'";

/// Logs at debug level how long the exec phase `name` took since `since`
/// (`timing: exec start 3.1 ms`) and returns now, for the next phase.
pub(crate) fn exec_phase(name: &str, since: std::time::Instant) -> std::time::Instant {
    let now = std::time::Instant::now();
    tracing::debug!(
        "timing: exec {name} {:.1} ms",
        (now - since).as_secs_f64() * 1000.0
    );
    now
}

/// The start hint for an engine.
pub fn start_hint(kind: EngineKind) -> &'static str {
    match kind {
        EngineKind::Podman => PODMAN_HINT,
        EngineKind::Docker => DOCKER_HINT,
    }
}

/// Strips `unix://` from a socket URL: `unix:///run/x.sock` → `/run/x.sock`.
pub fn socket_path(socket: &str) -> &str {
    socket.strip_prefix("unix://").unwrap_or(socket)
}

/// Turns a bare path into a socket URL: `/run/x.sock` → `unix:///run/x.sock`.
pub fn socket_url(path_or_url: &str) -> String {
    if path_or_url.contains("://") {
        path_or_url.to_string()
    } else {
        format!("unix://{path_or_url}")
    }
}

/// Checks, without HTTP, that a unix socket accepts connections; the error
/// is a short reason in words (`no such socket file`, `connection refused`,
/// `permission denied`).
pub fn probe_socket(socket: &str) -> std::result::Result<(), String> {
    if !socket.starts_with("unix://") && socket.contains("://") {
        return Err(format!(
            "only unix:// sockets are supported, got '{socket}'"
        ));
    }
    let path = socket_path(socket);
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Ok(()),
        Err(e) => Err(match e.kind() {
            std::io::ErrorKind::NotFound => "no such socket file".to_string(),
            std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        }),
    }
}

/// `[(k, v)]` → `k=v` strings for engine env lists.
pub(crate) fn env_strings(env: &[(String, String)]) -> Vec<String> {
    env.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// Exit-code polling after an exec stream ends: the engine may still report
/// the exec as running for a moment.
pub(crate) const EXEC_EXIT_POLLS: usize = 50;
/// Delay between [`EXEC_EXIT_POLLS`].
pub(crate) const EXEC_EXIT_POLL_DELAY: std::time::Duration = std::time::Duration::from_millis(20);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_urls_and_paths() {
        assert_eq!(socket_url("/run/x.sock"), "unix:///run/x.sock");
        assert_eq!(socket_url("unix:///run/x.sock"), "unix:///run/x.sock");
        assert_eq!(socket_path("unix:///run/x.sock"), "/run/x.sock");
        assert_eq!(socket_path("/run/x.sock"), "/run/x.sock");
    }

    #[test]
    fn probe_socket_says_why() {
        assert_eq!(
            probe_socket("unix:///nonexistent/jackin.sock"),
            Err("no such socket file".to_string())
        );
        assert!(probe_socket("tcp://127.0.0.1:2375")
            .unwrap_err()
            .contains("only unix://"));
    }
}
