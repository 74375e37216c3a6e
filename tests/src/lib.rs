//! Shared helpers for jackin's end-to-end tests.
//!
//! - [`engines`]: the engines under test (both; `JACKIN_TEST_ENGINES` may
//!   narrow the list locally, never under `CI=true`).
//! - [`engine`]: a connected [`Engine`] for a kind; an unreachable engine is
//!   a test failure with a message naming the socket, never a skip.
//! - [`engine_test!`]: one test body, one `#[test]` per engine
//!   (`NAME::podman`, `NAME::docker`), so a failure names the engine.
//! - [`image::ensure_probe_image`] / [`image::ensure_probe_node_image`]: the
//!   busybox test images, built in memory and imported once (race-safe).
//! - [`Cleanup`]: removes test containers and volumes even when a test panics.

pub mod agents;
pub mod image;
#[path = "jackin.rs"]
pub mod sandbox; // `jackin` would shadow the jackin crate here

pub use image::{ensure_probe_image, ensure_probe_node_image, PROBE_IMAGE, PROBE_NODE_IMAGE};
pub use jackin::config::EngineKind;
pub use jackin::engine::Engine;

use std::future::Future;

/// Both engine kinds, Podman first.
pub const ALL_ENGINES: [EngineKind; 2] = [EngineKind::Podman, EngineKind::Docker];

/// True when running under CI (`CI=true` or `CI=1`).
pub fn in_ci() -> bool {
    matches!(
        std::env::var("CI").ok().as_deref(),
        Some("true") | Some("1") | Some("TRUE") | Some("True")
    )
}

/// The engines under test. Under `CI=true`: always both. Locally:
/// `JACKIN_TEST_ENGINES=podman|docker|podman,docker` narrows the list
/// (default both). Panics on an unknown name.
pub fn engines() -> Vec<EngineKind> {
    if in_ci() {
        return ALL_ENGINES.to_vec();
    }
    match std::env::var("JACKIN_TEST_ENGINES") {
        Ok(v) if !v.trim().is_empty() => v
            .split(',')
            .map(|s| match s.trim() {
                "podman" => EngineKind::Podman,
                "docker" => EngineKind::Docker,
                other => panic!(
                    "JACKIN_TEST_ENGINES: unknown engine '{other}' (use podman, docker or podman,docker)"
                ),
            })
            .collect(),
        _ => ALL_ENGINES.to_vec(),
    }
}

/// The socket to test `kind` on: `JACKIN_TEST_PODMAN_HOST` /
/// `JACKIN_TEST_DOCKER_HOST` if set, else `None` (jackin's own lookup:
/// `CONTAINER_HOST` / `DOCKER_HOST`, then the standard locations).
pub fn test_host(kind: EngineKind) -> Option<String> {
    let var = match kind {
        EngineKind::Podman => "JACKIN_TEST_PODMAN_HOST",
        EngineKind::Docker => "JACKIN_TEST_DOCKER_HOST",
    };
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

/// Connects to `kind` through jackin's own [`jackin::engine::connect`].
/// Panics (test failure) with jackin's message when the engine is missing.
pub async fn engine(kind: EngineKind) -> Box<dyn Engine> {
    let host = test_host(kind);
    match jackin::engine::connect(Some(kind), host.as_deref()).await {
        Ok(e) => {
            assert_eq!(e.kind(), kind, "connected to the wrong engine kind at {}", e.socket());
            e
        }
        Err(e) => panic!(
            "{} is needed by this test and is not reachable: {e}\n(run .ci/engines.sh as root to install and start both engines; locally JACKIN_TEST_ENGINES can narrow the engines tested)",
            kind.as_str()
        ),
    }
}

/// Runs one async test body for `kind` on a fresh runtime. A kind left out
/// by `JACKIN_TEST_ENGINES` (never under CI) passes with a note on stderr.
pub fn run_for<F, Fut>(kind: EngineKind, body: F)
where
    F: FnOnce(EngineKind) -> Fut,
    Fut: Future<Output = ()>,
{
    if !engines().contains(&kind) {
        eprintln!(
            "{} not selected by JACKIN_TEST_ENGINES; not run",
            kind.as_str()
        );
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(body(kind))
}

/// Defines one test per engine from one async body:
///
/// ```no_run
/// use jackin_tests::{engine, engine_test};
///
/// engine_test!(ping_answers, |kind| {
///     let e = engine(kind).await;
///     e.ping().await.unwrap();
/// });
/// # fn main() {}
/// ```
///
/// expands to a module `ping_answers` with `#[test] fn podman()` and
/// `#[test] fn docker()`; the body is an `async move` block with `kind:
/// EngineKind` in scope.
#[macro_export]
macro_rules! engine_test {
    ($name:ident, |$kind:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn podman() {
                $crate::run_for($crate::EngineKind::Podman, |$kind| async move $body);
            }

            #[test]
            fn docker() {
                $crate::run_for($crate::EngineKind::Docker, |$kind| async move $body);
            }
        }
    };
}

/// A name unique to this test, engine and process:
/// `jackin-test-<tag>-<engine>-<pid>`.
pub fn unique_name(tag: &str, kind: EngineKind) -> String {
    format!("jackin-test-{tag}-{}-{}", kind.as_str(), std::process::id())
}

/// Removes the listed containers (forced) and volumes when dropped, also
/// when the test panics. Uses its own thread and runtime, so it works from
/// inside an async test.
pub struct Cleanup {
    kind: EngineKind,
    /// Container names or ids to remove.
    pub containers: Vec<String>,
    /// Volume names to remove (after the containers).
    pub volumes: Vec<String>,
}

impl Cleanup {
    /// Nothing to clean yet.
    pub fn new(kind: EngineKind) -> Cleanup {
        Cleanup {
            kind,
            containers: Vec::new(),
            volumes: Vec::new(),
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if self.containers.is_empty() && self.volumes.is_empty() {
            return;
        }
        let kind = self.kind;
        let containers = std::mem::take(&mut self.containers);
        let volumes = std::mem::take(&mut self.volumes);
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            rt.block_on(async {
                let host = test_host(kind);
                let Ok(e) = jackin::engine::connect(Some(kind), host.as_deref()).await else {
                    return;
                };
                for c in &containers {
                    let _ = e.remove_container(c, true).await;
                }
                for v in &volumes {
                    let _ = e.volume_remove(v).await;
                }
            })
        })
        .join();
    }
}

/// Creates and starts a plain probe container named `name` from
/// [`PROBE_IMAGE`] (network `none`, the engine's init, no TTY) and returns
/// its id. A leftover container of the same name is removed first.
pub async fn start_probe_container(e: &dyn Engine, name: &str) -> String {
    let image = ensure_probe_image(e.kind());
    let _ = e.remove_container(name, true).await;
    let spec = jackin::engine::ContainerSpec {
        name: name.to_string(),
        image,
        network: Some("none".into()),
        init: true,
        ..Default::default()
    };
    let id = e
        .create_container(&spec)
        .await
        .unwrap_or_else(|err| panic!("create {name}: {err}"));
    e.start_container(&id)
        .await
        .unwrap_or_else(|err| panic!("start {name}: {err}"));
    id
}

/// `argv` as an owned command line for [`jackin::engine::ExecSpec`].
pub fn argv(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Polls the container's logs until they contain `needle` (up to `secs`
/// seconds) and returns them as text; panics with the logs so far on
/// timeout.
pub async fn wait_for_logs(e: &dyn Engine, id: &str, needle: &str, secs: u64) -> String {
    let start = std::time::Instant::now();
    loop {
        let logs = e
            .container_logs(id)
            .await
            .unwrap_or_else(|err| panic!("logs of {id}: {err}"));
        let text = String::from_utf8_lossy(&logs).to_string();
        if text.contains(needle) {
            return text;
        }
        if start.elapsed() > std::time::Duration::from_secs(secs) {
            panic!("{needle:?} not in the logs of {id} after {secs} s:\n{text}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
