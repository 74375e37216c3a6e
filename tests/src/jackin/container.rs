//! Facts read inside a container through the engine API (`exec` as root,
//! or as a process's owner where root may not look), terminal sessions
//! under a pseudo-terminal, the engine CLI, and derived test images.

use super::locked;
use crate::{Engine, EngineKind};
use jackin::engine::ExecSpec;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `cmd` as root in `container`; panics on an engine error.
pub async fn root_exec(
    e: &dyn Engine,
    container: &str,
    cmd: &[&str],
) -> jackin::engine::ExecOutput {
    e.exec(
        container,
        &ExecSpec {
            cmd: cmd.iter().map(|s| s.to_string()).collect(),
            user: Some("0".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|err| panic!("exec {cmd:?} in {container}: {err}"))
}

/// The bytes of `path` in `container`, `None` when it cannot be read.
pub async fn read_file(e: &dyn Engine, container: &str, path: &str) -> Option<Vec<u8>> {
    let o = root_exec(e, container, &["cat", path]).await;
    (o.exit_code == 0).then_some(o.stdout)
}

/// `path` in `container` parsed as JSON; panics when missing or invalid.
pub async fn read_json(e: &dyn Engine, container: &str, path: &str) -> Value {
    let b = read_file(e, container, path)
        .await
        .unwrap_or_else(|| panic!("{path} missing in {container}"));
    serde_json::from_slice(&b).unwrap_or_else(|err| {
        panic!(
            "{path} in {container} is not JSON ({err}): {}",
            String::from_utf8_lossy(&b)
        )
    })
}

/// What `stat` (no link following) says about a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// Permission bits, e.g. `0o600`.
    pub mode: u32,
    /// Owner uid.
    pub uid: u32,
    /// Owner gid.
    pub gid: u32,
    /// `regular file`, `directory`, `symbolic link`, …
    pub kind: String,
}

/// `stat` of `path` in `container`, `None` when it does not exist.
pub async fn stat(e: &dyn Engine, container: &str, path: &str) -> Option<Stat> {
    let o = root_exec(e, container, &["stat", "-c", "%a %u %g %F", path]).await;
    if o.exit_code != 0 {
        return None;
    }
    let s = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let mut it = s.splitn(4, ' ');
    let mode = u32::from_str_radix(it.next().unwrap(), 8).unwrap();
    let uid = it.next().unwrap().parse().unwrap();
    let gid = it.next().unwrap().parse().unwrap();
    let kind = it.next().unwrap_or_default().to_string();
    Some(Stat {
        mode,
        uid,
        gid,
        kind,
    })
}

fn parse_env(bytes: &[u8], sep: u8) -> BTreeMap<String, String> {
    bytes
        .split(|b| *b == sep)
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            let s = String::from_utf8_lossy(l);
            s.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// Every process in `container`: (pid, ppid, argv joined by spaces).
pub async fn processes(e: &dyn Engine, container: &str) -> Vec<(u32, u32, String)> {
    let script = r#"for p in /proc/[0-9]*; do n=${p#/proc/}; [ -r $p/stat ] || continue; pp=$(cut -d' ' -f4 $p/stat 2>/dev/null); c=$(tr '\0' ' ' < $p/cmdline 2>/dev/null); echo "$n|$pp|$c"; done"#;
    let o = root_exec(e, container, &["sh", "-c", script]).await;
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| {
            let mut it = l.splitn(3, '|');
            let pid = it.next()?.parse().ok()?;
            let ppid = it.next()?.parse().ok()?;
            Some((pid, ppid, it.next()?.trim().to_string()))
        })
        .collect()
}

/// The raw `/proc/*/cmdline` of every process in `container` (NUL bytes
/// kept), for "secret appears in no argv" checks.
pub async fn cmdlines(e: &dyn Engine, container: &str) -> Vec<u8> {
    root_exec(e, container, &["sh", "-c", "cat /proc/[0-9]*/cmdline"])
        .await
        .stdout
}

/// The pid of the container's main agent process: the probe's
/// `sleep 1000000` that `jackin-init run` became (parent: the engine's
/// init, pid 1). Waits up to 60 s for it to appear (slow engines under
/// load); panics with the process list otherwise.
pub async fn agent_pid(e: &dyn Engine, container: &str) -> u32 {
    for _ in 0..600 {
        let ps = processes(e, container).await;
        if let Some((pid, _, _)) = ps
            .iter()
            .find(|(_, ppid, c)| *ppid == 1 && c.starts_with("sleep 1000000"))
        {
            return *pid;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "no agent process (sleep 1000000 under pid 1) in {container}: {:?}",
        processes(e, container).await
    )
}

/// The environment of the container's main agent process ([`agent_pid`]).
pub async fn agent_env(e: &dyn Engine, container: &str) -> BTreeMap<String, String> {
    let pid = agent_pid(e, container).await;
    // Root in a container has no CAP_SYS_PTRACE: read it as its owner.
    let proc_dir = format!("/proc/{pid}");
    let owner = stat(e, container, &proc_dir)
        .await
        .expect("agent process")
        .uid;
    let o = e
        .exec(
            container,
            &ExecSpec {
                cmd: vec!["cat".into(), format!("{proc_dir}/environ")],
                user: Some(owner.to_string()),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|err| panic!("exec cat environ in {container}: {err}"));
    assert_eq!(
        o.exit_code,
        0,
        "read environ of {pid} as uid {owner}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    parse_env(&o.stdout, 0)
}

/// The environment `jackin-init exec --agent AGENT -- env` gives a new
/// session of `agent` (what `hardline --new --agent` would start with).
pub async fn exec_env(e: &dyn Engine, container: &str, agent: &str) -> BTreeMap<String, String> {
    let o = root_exec(
        e,
        container,
        &["/jackin/jackin-init", "exec", "--agent", agent, "--", "env"],
    )
    .await;
    assert_eq!(
        o.exit_code,
        0,
        "jackin-init exec --agent {agent} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    parse_env(&o.stdout, b'\n')
}

/// How long a terminal session in a test may take to show what it must:
/// generous, because the engines slow down a lot when the machine is busy
/// (a test stops waiting as soon as the output is complete).
pub const PTY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Runs `cmd` (a shell command line) under a pseudo-terminal with
/// `script -qec CMD /dev/null` in its own process group, collects its
/// output until `done(output)` is true or `timeout` passes, then kills the
/// group. Returns the output (with `\r` removed).
pub fn run_in_pty(
    cmd: &str,
    env: &BTreeMap<String, String>,
    cwd: &Path,
    timeout: std::time::Duration,
    done: impl Fn(&str) -> bool,
) -> String {
    run_in_pty_input(cmd, env, cwd, b"", timeout, done)
}

/// [`run_in_pty`], typing `input` on the terminal first (the pty buffers
/// it until the session reads it).
pub fn run_in_pty_input(
    cmd: &str,
    env: &BTreeMap<String, String>,
    cwd: &Path,
    input: &[u8],
    timeout: std::time::Duration,
    done: impl Fn(&str) -> bool,
) -> String {
    use std::io::{Read, Write};
    use std::os::unix::process::CommandExt;
    let mut child = Command::new("script")
        .args(["-qec", cmd, "/dev/null"])
        .env_clear()
        .envs(env)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("run script(1) (package bsdutils)");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Kept open (no EOF) until the group is killed.
    std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
        let _ = stdin.flush();
        std::thread::sleep(std::time::Duration::from_secs(3600));
        drop(stdin);
    });
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let start = std::time::Instant::now();
    let mut out = Vec::new();
    while start.elapsed() < timeout {
        match rx.recv_timeout(std::time::Duration::from_millis(200)) {
            Ok(b) => out.extend(b),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(_) => break,
        }
        if done(&String::from_utf8_lossy(&out).replace('\r', "")) {
            break;
        }
    }
    // The whole process group (script, jackin, the engine client).
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.wait();
    String::from_utf8_lossy(&out).replace('\r', "")
}

/// The engine's own CLI aimed at `socket` (`podman --remote --url SOCKET` /
/// `docker -H SOCKET`), for facts the engine API layer does not expose
/// (e.g. `volume ls --filter label=…`).
pub fn engine_cli(kind: EngineKind, socket: &str) -> Command {
    match kind {
        EngineKind::Podman => {
            let mut c = Command::new("podman");
            c.args(["--remote", "--url", socket]);
            c
        }
        EngineKind::Docker => {
            let mut c = Command::new("docker");
            c.args(["-H", socket]);
            c
        }
    }
}

/// An image derived from [`crate::PROBE_IMAGE`] by running `shell` (as
/// root) in a container of it and committing the result as
/// `localhost/jackin-test/probe-<tag>:latest` (e.g. an image without the
/// user's home folder). Built once per engine and content (label
/// `io.jackin.test.derived` = base image id + `shell`), under a lock.
pub fn derived_image(kind: EngineKind, tag: &str, shell: &str) -> String {
    derived_image_with(kind, tag, shell, &[])
}

/// [`derived_image`] with extra image config `changes` applied on commit
/// (Containerfile lines such as `ENV NAME=value`).
pub fn derived_image_with(kind: EngineKind, tag: &str, shell: &str, changes: &[&str]) -> String {
    let base = crate::ensure_probe_image(kind);
    let name = format!("localhost/jackin-test/probe-{tag}:latest");
    let (tag, shell) = (tag.to_string(), shell.to_string());
    let changes: Vec<String> = changes.iter().map(|c| c.to_string()).collect();
    let n = name.clone();
    std::thread::spawn(move || {
        locked(
            &format!("jackin-test-derived-{}.lock", kind.as_str()),
            || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("tokio runtime");
                let (socket, base_id, current) = rt.block_on(async {
                    let e = crate::engine(kind).await;
                    let b = e
                        .image_inspect(&base)
                        .await
                        .unwrap()
                        .expect("probe image")
                        .id;
                    let cur = e.image_inspect(&n).await.unwrap();
                    (e.socket().to_string(), b, cur)
                });
                let want = {
                    use std::hash::{Hash, Hasher};
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    shell.hash(&mut h);
                    changes.hash(&mut h);
                    let id = base_id.trim_start_matches("sha256:");
                    format!("{}-{:016x}", &id[..12.min(id.len())], h.finish())
                };
                if current.is_some_and(|i| i.labels.get("io.jackin.test.derived") == Some(&want)) {
                    return;
                }
                let tmp = format!("jackin-test-derive-{tag}-{}", std::process::id());
                let cli = |args: &[&str]| {
                    let o = engine_cli(kind, &socket)
                        .args(args)
                        .output()
                        .expect("engine CLI");
                    assert!(
                        o.status.success(),
                        "{args:?}: {}",
                        String::from_utf8_lossy(&o.stderr)
                    );
                };
                let _ = engine_cli(kind, &socket).args(["rm", "-f", &tmp]).output();
                // The probe image has no USER: the container and exec run as root.
                cli(&["run", "-d", "--name", &tmp, "--network", "none", &base]);
                cli(&["exec", &tmp, "sh", "-c", &shell]);
                let label = format!("LABEL io.jackin.test.derived={want}");
                let mut commit = vec!["commit", "--change", &label];
                for c in &changes {
                    commit.extend(["--change", c.as_str()]);
                }
                commit.extend([tmp.as_str(), n.as_str()]);
                cli(&commit);
                let _ = engine_cli(kind, &socket).args(["rm", "-f", &tmp]).output();
            },
        )
    })
    .join()
    .unwrap_or_else(|p| std::panic::resume_unwind(p));
    name
}
