//! Engine faults during `jackin load`, on both engines, injected by a small
//! unix-socket proxy in front of the real engine socket (`--host`):
//!
//! - the socket goes away mid-launch (the proxy drops every connection and
//!   its socket after N bytes of requests, at several points of a launch);
//! - the container exits during the socket handoff (the proxy kills it
//!   once it has started, before jackin hears that it started);
//! - with the exec handoff (`JACKIN_HANDOFF=exec`, the fallback when the
//!   socket cannot be used): the exec of `jackin-init receive` fails (the
//!   proxy answers the exec create with a 500), and the container exits
//!   during that handoff (the proxy kills it just before forwarding the
//!   exec create).
//!
//! After each: a clear error (exit 1, `error: …`, naming the socket when it
//! is gone, no panic), no half-made instance in `jackin ps --json` or the
//! index, and the next normal `load` works.

mod hardening_common;

use hardening_common::{random_tag, write_host_logins, Instances, Operator, WorkspaceCleanup};
use jackin_tests::{engine_test, ensure_probe_image, EngineKind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Forward everything (and count the request bytes).
    None,
    /// Drop every connection and the socket after this many request bytes.
    CutAfter(usize),
    /// Answer the exec create (`POST …/containers/ID/exec`) with a 500.
    FailExecCreate,
    /// Kill the container, then forward the exec create.
    KillOnExec,
    /// Forward a container start; kill the container once the engine has
    /// answered, then forward the answer.
    KillAfterStart,
    /// Drop every connection and the socket at the first copy out of a
    /// container (`GET …/containers/ID/archive`: the image-user probe).
    CutOnArchive,
}

struct State {
    fault: Fault,
    upstream: PathBuf,
    path: PathBuf,
    sent: AtomicUsize,
    fired: AtomicBool,
    gone: tokio::sync::watch::Sender<bool>,
}

struct Proxy {
    state: Arc<State>,
    _dir: tempfile::TempDir,
}

impl Proxy {
    async fn start(upstream: &Path, fault: Fault) -> Proxy {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("engine.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let (gone, _) = tokio::sync::watch::channel(false);
        let state = Arc::new(State {
            fault,
            upstream: upstream.to_path_buf(),
            path,
            sent: AtomicUsize::new(0),
            fired: AtomicBool::new(false),
            gone,
        });
        let st = state.clone();
        tokio::spawn(async move {
            let mut gone = st.gone.subscribe();
            loop {
                tokio::select! {
                    _ = gone.changed() => return,
                    c = listener.accept() => {
                        let Ok((client, _)) = c else { return };
                        tokio::spawn(conn(client, st.clone()));
                    }
                }
            }
        });
        Proxy { state, _dir: dir }
    }

    fn url(&self) -> String {
        format!("unix://{}", self.state.path.display())
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.state.gone.send(true);
    }
}

/// `(API prefix, container id)` of a `POST …/containers/ID/<verb>` request.
fn container_of(verb: &str, chunk: &[u8]) -> Option<(String, String)> {
    let text = String::from_utf8_lossy(chunk);
    let line = text.lines().next()?;
    let path = line.strip_prefix("POST ")?.strip_suffix(" HTTP/1.1")?;
    let path = path.split('?').next()?;
    let (prefix, rest) = path.split_once("/containers/")?;
    let id = rest.strip_suffix(verb)?.strip_suffix('/')?;
    Some((prefix.to_string(), id.to_string()))
}

fn is_archive_get(chunk: &[u8]) -> bool {
    let text = String::from_utf8_lossy(chunk);
    text.lines().next().is_some_and(|l| {
        l.starts_with("GET ") && l.contains("/containers/") && l.contains("/archive?")
    })
}

fn container_of_exec(chunk: &[u8]) -> Option<(String, String)> {
    container_of("exec", chunk)
}

async fn kill(upstream: &Path, prefix: &str, id: &str) {
    let mut s = UnixStream::connect(upstream).await.unwrap();
    let req = format!("POST {prefix}/containers/{id}/kill?signal=KILL HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp).await;
    let text = String::from_utf8_lossy(&resp);
    assert!(text.starts_with("HTTP/1.1 2"), "kill {id} failed: {text}");
    // Let the engine notice the exit.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
}

async fn conn(mut client: UnixStream, st: Arc<State>) {
    let mut gone = st.gone.subscribe();
    if *gone.borrow() {
        return;
    }
    let Ok(mut server) = UnixStream::connect(&st.upstream).await else {
        return;
    };
    let (mut cr, mut cw) = client.split();
    let (mut sr, mut sw) = server.split();
    let (mut cb, mut sb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    // The client half-closes after an exec's stdin: pass that on and keep
    // relaying the answer.
    let mut client_done = false;
    // KillAfterStart: the started container to kill before its answer.
    let mut kill_before_answer: Option<(String, String)> = None;
    loop {
        tokio::select! {
            _ = gone.changed() => return,
            n = cr.read(&mut cb), if !client_done => {
                let n = match n {
                    Ok(0) => {
                        client_done = true;
                        let _ = sw.shutdown().await;
                        continue;
                    }
                    Err(_) => return,
                    Ok(n) => n,
                };
                let mut chunk = &cb[..n];
                let before = st.sent.fetch_add(n, Ordering::SeqCst);
                match st.fault {
                    Fault::CutAfter(limit) if before + n > limit => {
                        chunk = &chunk[..limit.saturating_sub(before)];
                        let _ = sw.write_all(chunk).await;
                        st.fired.store(true, Ordering::SeqCst);
                        let _ = std::fs::remove_file(&st.path);
                        let _ = st.gone.send(true);
                        return;
                    }
                    Fault::CutOnArchive if is_archive_get(chunk) => {
                        st.fired.store(true, Ordering::SeqCst);
                        let _ = std::fs::remove_file(&st.path);
                        let _ = st.gone.send(true);
                        return;
                    }
                    Fault::FailExecCreate if container_of_exec(chunk).is_some() => {
                        st.fired.store(true, Ordering::SeqCst);
                        let body = r#"{"cause":"injected","message":"injected exec failure","response":500}"#;
                        let resp = format!("HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                        let _ = cw.write_all(resp.as_bytes()).await;
                        return;
                    }
                    Fault::KillOnExec => {
                        if let Some((prefix, id)) = container_of_exec(chunk) {
                            st.fired.store(true, Ordering::SeqCst);
                            kill(&st.upstream, &prefix, &id).await;
                        }
                    }
                    Fault::KillAfterStart => {
                        if let Some(c) = container_of("start", chunk) {
                            kill_before_answer = Some(c);
                        }
                    }
                    _ => {}
                }
                if sw.write_all(chunk).await.is_err() { return }
            }
            n = sr.read(&mut sb) => {
                let n = match n { Ok(0) | Err(_) => return, Ok(n) => n };
                if let Some((prefix, id)) = kill_before_answer.take() {
                    st.fired.store(true, Ordering::SeqCst);
                    kill(&st.upstream, &prefix, &id).await;
                }
                if cw.write_all(&sb[..n]).await.is_err() { return }
            }
        }
    }
}

fn real_socket(kind: EngineKind) -> PathBuf {
    let url = jackin_tests::test_host(kind).unwrap_or_else(|| match kind {
        EngineKind::Podman => "unix:///run/podman/podman.sock".into(),
        EngineKind::Docker => "unix:///run/docker.sock".into(),
    });
    PathBuf::from(url.trim_start_matches("unix://"))
}

/// `jackin load` through `proxy` (with the extra `env`); returns (exit
/// code, stderr, stdout).
fn load_via(
    op: &Operator,
    kind: EngineKind,
    proxy: &Proxy,
    ws: &str,
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let url = proxy.url();
    let mut cmd = op.cmd(&[
        "load",
        "fault",
        ws,
        "--json",
        "--network",
        "none",
        "--engine",
        kind.as_str(),
        "--host",
        &url,
    ]);
    let out = cmd.envs(env.iter().copied()).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// No instance of workspace `ws` is listed by `ps`, and the index is empty.
fn assert_no_half_made(op: &Operator, kind: EngineKind, ws: &str, what: &str) {
    let rows = op.ps(kind);
    let mine: Vec<_> = rows.iter().filter(|r| r["workspace"] == ws).collect();
    assert!(mine.is_empty(), "{what}: half-made instance left: {mine:?}");
    let index = std::fs::read_to_string(op.data_dir().join("instances.json")).unwrap_or_default();
    assert!(
        !index.contains(ws),
        "{what}: the index still lists it:\n{index}"
    );
}

/// The next normal load works; its instance is then ejected and purged.
fn next_load_works(op: &Operator, kind: EngineKind, ws: &str, what: &str) {
    let out = op.load(kind, "fault", ws, &[]);
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    let id = v["id"].as_str().map(str::to_string);
    let _cleanup = Instances {
        op,
        kind,
        ids: id.into_iter().collect(),
    };
    assert!(
        out.status.success(),
        "{what}: the next load failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn assert_clear(code: i32, stderr: &str, stdout: &str, what: &str) {
    eprintln!("--- {what}:\n{stderr}");
    assert_eq!(
        code, 1,
        "{what}: exit code {code}\nstdout: {stdout}\nstderr: {stderr}"
    );
    assert!(stderr.starts_with("error: "), "{what}: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{what}: {stderr}"
    );
}

engine_test!(engine_faults_leave_no_half_made_instance, |kind| {
    let image = ensure_probe_image(kind);
    let op = Operator::new();
    write_host_logins(&op.home(), &random_tag());
    let ws = format!("faults-{}", random_tag());
    let _leftovers = WorkspaceCleanup {
        kind,
        workspace: ws.clone(),
    };
    let work = op.work().display().to_string();
    op.ok(&["workspace", "create", &ws, "--workdir", &work]);
    op.ok(&[
        "role", "add", "fault", "--image", &image, "--agent", "claude", "--agent", "codex",
    ]);
    let upstream = real_socket(kind);

    // Clean launches through the proxy: how many request bytes one takes
    // (the second, once the image's user is cached like in later loads).
    let mut total = 0;
    for _ in 0..2 {
        let proxy = Proxy::start(&upstream, Fault::None).await;
        let (code, stderr, stdout) =
            tokio::task::block_in_place(|| load_via(&op, kind, &proxy, &ws, &[]));
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
        let _cleanup = Instances {
            op: &op,
            kind,
            ids: v["id"].as_str().map(str::to_string).into_iter().collect(),
        };
        assert_eq!(
            code, 0,
            "a launch through the pass-through proxy failed: {stderr}"
        );
        total = proxy.state.sent.load(Ordering::SeqCst);
    }
    assert!(total > 1000, "only {total} request bytes");

    // The socket disappears at several points of the launch.
    for tenth in [1, 3, 5, 7, 9] {
        let cut = total * tenth / 10;
        let what = format!("socket gone after {cut} of {total} request bytes");
        let proxy = Proxy::start(&upstream, Fault::CutAfter(cut)).await;
        let (code, stderr, stdout) =
            tokio::task::block_in_place(|| load_via(&op, kind, &proxy, &ws, &[]));
        assert!(
            proxy.state.fired.load(Ordering::SeqCst),
            "{what}: the cut did not happen"
        );
        assert_clear(code, &stderr, &stdout, &what);
        assert!(
            stderr.contains(&proxy.state.path.display().to_string()),
            "{what}: the error does not name the socket: {stderr}"
        );
        tokio::task::block_in_place(|| {
            assert_no_half_made(&op, kind, &ws, &what);
            next_load_works(&op, kind, &ws, &what);
        });
    }

    // The socket goes away while jackin reads the image's users from a
    // throwaway container (first launch of an image): that container is
    // recorded and removed by the next command.
    std::fs::remove_file(op.data_dir().join("images.json")).unwrap();
    let proxy = Proxy::start(&upstream, Fault::CutOnArchive).await;
    let (code, stderr, stdout) =
        tokio::task::block_in_place(|| load_via(&op, kind, &proxy, &ws, &[]));
    assert!(proxy.state.fired.load(Ordering::SeqCst), "no copy was made");
    assert_clear(
        code,
        &stderr,
        &stdout,
        "socket gone during the image-user probe",
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(op.data_dir().join("instances.json")).unwrap())
            .unwrap();
    let probe = index["leftovers"]
        .as_array()
        .and_then(|l| l.iter().find_map(|x| x["container"].as_str()))
        .unwrap_or_else(|| panic!("the probe container is not recorded: {index}"))
        .to_string();
    assert!(probe.starts_with("jk-probe-"), "{probe}");
    drop(proxy);
    tokio::task::block_in_place(|| {
        assert_no_half_made(&op, kind, &ws, "probe cut");
        next_load_works(&op, kind, &ws, "probe cut");
    });
    let e = jackin_tests::engine(kind).await;
    assert!(
        e.inspect_container(&probe).await.unwrap().is_none(),
        "{probe} is still there"
    );

    // The container exits during the socket handoff.
    let proxy = Proxy::start(&upstream, Fault::KillAfterStart).await;
    let (code, stderr, stdout) =
        tokio::task::block_in_place(|| load_via(&op, kind, &proxy, &ws, &[]));
    assert!(
        proxy.state.fired.load(Ordering::SeqCst),
        "no start was made"
    );
    assert_clear(
        code,
        &stderr,
        &stdout,
        "container exiting during the socket handoff",
    );
    assert!(stderr.contains("stopped during the handoff"), "{stderr}");
    drop(proxy);
    tokio::task::block_in_place(|| {
        assert_no_half_made(&op, kind, &ws, "container exiting (socket)");
        next_load_works(&op, kind, &ws, "container exiting (socket)");
    });

    // The exec handoff (the fallback): the exec of jackin-init receive fails.
    let exec = [("JACKIN_HANDOFF", "exec")];
    let proxy = Proxy::start(&upstream, Fault::FailExecCreate).await;
    let (code, stderr, stdout) =
        tokio::task::block_in_place(|| load_via(&op, kind, &proxy, &ws, &exec));
    assert!(proxy.state.fired.load(Ordering::SeqCst), "no exec was made");
    assert_clear(code, &stderr, &stdout, "exec failing");
    assert!(
        stderr.contains("injected exec failure") && stderr.contains("receive"),
        "{stderr}"
    );
    drop(proxy);
    tokio::task::block_in_place(|| {
        assert_no_half_made(&op, kind, &ws, "exec failing");
        next_load_works(&op, kind, &ws, "exec failing");
    });

    // The container exits during the exec handoff.
    let proxy = Proxy::start(&upstream, Fault::KillOnExec).await;
    let (code, stderr, stdout) =
        tokio::task::block_in_place(|| load_via(&op, kind, &proxy, &ws, &exec));
    assert!(proxy.state.fired.load(Ordering::SeqCst), "no exec was made");
    assert_clear(
        code,
        &stderr,
        &stdout,
        "container exiting during the handoff",
    );
    assert!(stderr.contains("stopped during the handoff"), "{stderr}");
    drop(proxy);
    tokio::task::block_in_place(|| {
        assert_no_half_made(&op, kind, &ws, "container exiting");
        next_load_works(&op, kind, &ws, "container exiting");
    });
});
