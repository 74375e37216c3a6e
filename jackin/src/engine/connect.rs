//! Choosing the engine socket (`shared/SPEC.md` §10): `--host`, then
//! `CONTAINER_HOST` (Podman) / `DOCKER_HOST` (Docker), then the standard
//! rootful and rootless locations. Without `--engine`, the first socket that
//! answers wins, Podman's first; a socket's kind is detected from the API it
//! speaks (a Podman socket also answers the Docker API, so it is asked for
//! libpod's `/libpod/_ping` first).

use super::docker::DockerEngine;
use super::podman::PodmanEngine;
use super::{probe_socket, socket_url, start_hint, Engine, EngineError, Result};
use crate::config::EngineKind;
use std::time::Duration;

/// How long one ping may take while choosing a socket.
const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// One socket [`connect`] may try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketCandidate {
    /// The engine expected there.
    pub kind: EngineKind,
    /// `unix:///…`
    pub socket: String,
    /// Where the candidate came from: `--host`, `CONTAINER_HOST`,
    /// `DOCKER_HOST`, `rootful default`, `rootless default`.
    pub source: &'static str,
}

fn runtime_dir() -> String {
    std::env::var("XDG_RUNTIME_DIR")
        .ok()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| format!("/run/user/{}", nix::unistd::getuid()))
}

fn env_host(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

/// The sockets to try for one engine, in order, without `--host`.
/// `CONTAINER_HOST` / `DOCKER_HOST` when set replaces the defaults.
/// Root tries rootful locations first, other users rootless first.
pub fn candidate_sockets(kind: EngineKind) -> Vec<SocketCandidate> {
    let rootful_first = nix::unistd::getuid().is_root();
    let rd = runtime_dir();
    let (var, rootful, rootless): (&str, Vec<String>, Vec<String>) = match kind {
        EngineKind::Podman => (
            "CONTAINER_HOST",
            vec!["/run/podman/podman.sock".into()],
            vec![format!("{rd}/podman/podman.sock")],
        ),
        EngineKind::Docker => (
            "DOCKER_HOST",
            vec!["/var/run/docker.sock".into(), "/run/docker.sock".into()],
            vec![format!("{rd}/docker.sock")],
        ),
    };
    if let Some(h) = env_host(var) {
        return vec![SocketCandidate {
            kind,
            socket: socket_url(&h),
            source: var,
        }];
    }
    let tag = |v: Vec<String>, source: &'static str| {
        v.into_iter()
            .map(move |p| SocketCandidate {
                kind,
                socket: socket_url(&p),
                source,
            })
            .collect::<Vec<_>>()
    };
    let (a, b) = (
        tag(rootful, "rootful default"),
        tag(rootless, "rootless default"),
    );
    if rootful_first {
        a.into_iter().chain(b).collect()
    } else {
        b.into_iter().chain(a).collect()
    }
}

/// Connects to an engine and checks it answers.
///
/// - `kind`: `Some` forces the backend; `None` auto-detects (Podman's
///   sockets first, then Docker's; a socket's kind is read from the API).
/// - `host`: a socket path or `unix://` URL (`--host`); `None` uses the
///   environment and the standard locations ([`candidate_sockets`]).
///
/// Errors: [`EngineError::Unreachable`] naming the socket when the kind was
/// given and one socket was tried, [`EngineError::NoEngine`] listing every
/// socket tried (with why) otherwise.
pub async fn connect(kind: Option<EngineKind>, host: Option<&str>) -> Result<Box<dyn Engine>> {
    let candidates: Vec<SocketCandidate> = match (host, kind) {
        (Some(h), k) => vec![SocketCandidate {
            kind: k.unwrap_or(EngineKind::Podman),
            socket: socket_url(h),
            source: "--host",
        }],
        (None, Some(k)) => candidate_sockets(k),
        (None, None) => {
            let mut c = candidate_sockets(EngineKind::Podman);
            c.extend(candidate_sockets(EngineKind::Docker));
            c
        }
    };
    let mut tried: Vec<(SocketCandidate, String)> = Vec::new();
    let mut seen: Vec<std::path::PathBuf> = Vec::new();
    for cand in &candidates {
        let path = super::socket_path(&cand.socket);
        if let Ok(real) = std::fs::canonicalize(path) {
            if seen.contains(&real) {
                continue;
            }
            seen.push(real);
        }
        match try_socket(kind, cand).await {
            Ok(engine) => {
                warn_skipped_env_hosts(&tried, engine.as_ref());
                return Ok(engine);
            }
            Err(reason) => tried.push((cand.clone(), reason)),
        }
    }
    if let (1, Some(k)) = (tried.len(), kind) {
        let (cand, reason) = tried.remove(0);
        return Err(EngineError::Unreachable {
            engine: k.as_str(),
            socket: cand.socket,
            reason,
            hint: start_hint(k).to_string(),
        });
    }
    let tried = tried
        .iter()
        .map(|(c, r)| match (kind, c.source) {
            (None, "--host") => format!("  {} (--host): {}", c.socket, r),
            _ => format!("  {} {} ({}): {}", c.kind.as_str(), c.socket, c.source, r),
        })
        .collect::<Vec<_>>()
        .join("\n");
    Err(EngineError::NoEngine {
        tried,
        podman_hint: format!("Podman: {}", super::PODMAN_HINT),
        docker_hint: format!("Docker: {}", super::DOCKER_HINT),
    })
}

/// Warns (stderr) when a socket the operator named in `CONTAINER_HOST` /
/// `DOCKER_HOST` did not answer and auto-detection went on to another
/// engine: the operator most likely meant the one named.
fn warn_skipped_env_hosts(tried: &[(SocketCandidate, String)], chosen: &dyn Engine) {
    for (c, reason) in tried {
        if c.source == "CONTAINER_HOST" || c.source == "DOCKER_HOST" {
            tracing::warn!(
                "{}={} does not answer ({reason}); using {} at {} instead (pass --engine to choose)",
                c.source,
                c.socket,
                chosen.kind().as_str(),
                chosen.socket()
            );
        }
    }
}

/// Tries one socket; `Err` is the reason in words.
async fn try_socket(
    forced: Option<EngineKind>,
    cand: &SocketCandidate,
) -> std::result::Result<Box<dyn Engine>, String> {
    probe_socket(&cand.socket)?;
    let podman = || async {
        let e = PodmanEngine::new(&cand.socket).map_err(|e| e.to_string())?;
        ping_within(&e).await?;
        Ok::<Box<dyn Engine>, String>(Box::new(e))
    };
    let docker = || async {
        let e = DockerEngine::new(&cand.socket).map_err(|e| e.to_string())?;
        ping_within(&e).await?;
        Ok::<Box<dyn Engine>, String>(Box::new(e))
    };
    match forced {
        Some(EngineKind::Podman) => podman().await,
        Some(EngineKind::Docker) => docker().await,
        None => match podman().await {
            Ok(e) => Ok(e),
            Err(p) => docker()
                .await
                .map_err(|d| format!("not a Podman API ({p}); not a Docker API ({d})")),
        },
    }
}

async fn ping_within(e: &dyn Engine) -> std::result::Result<(), String> {
    match tokio::time::timeout(PING_TIMEOUT, e.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(EngineError::Unreachable { reason, .. })) => Err(reason),
        Ok(Err(other)) => Err(other.to_string()),
        Err(_) => Err(format!("no answer within {} s", PING_TIMEOUT.as_secs())),
    }
}
