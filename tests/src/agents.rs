//! Fixture for the end-to-end tests with the REAL agent CLIs
//! (`tests/tests/agents_*.rs`): the default role image
//! [`AGENT_IMAGE`] (Claude Code, Codex, Amp, OpenCode at pinned versions,
//! see `images/README.md`), the real `jackin` binary, and the CLIs' own
//! offline login checks run the way a later session of the agent sees them.
//!
//! - [`ensure_agent_image`]: the image must be in the engine's store. Under
//!   `CI=true` a missing image is a test failure naming the command that
//!   builds it; locally it is built once with `scripts/build-image.sh
//!   --engine <kind>` under a file lock.
//! - [`Sandbox`]: one operator per test — temporary `HOME`,
//!   `JACKIN_CONFIG_DIR`, `JACKIN_DATA_DIR` and working folder, an env map
//!   (nothing leaks in from the test process but `PATH`), the engine under
//!   test passed as `--engine`. Dropping it runs `jackin eject ID --purge`
//!   for every instance it loaded (also when the test panics).
//! - [`agent_exec`]: `jackin-init exec --agent A -- bash -c CMD` through the
//!   engine API as root, i.e. CMD as the container user with exactly agent
//!   A's provisioned env (SPEC §8 step 4).
//! - [`Sandbox::run_pty`]: `jackin hardline …` on a real
//!   pseudo-terminal (nix `openpty`), with a deadline.
//! - [`screen_text`]: terminal output with ANSI sequences removed.
//!
//! Fake credential values come from `shared/cases/fixtures/` ([`fixture`]).

use crate::EngineKind;
use jackin::engine::ExecSpec;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The default role's image, built by `scripts/build-image.sh`.
pub const AGENT_IMAGE: &str = "localhost/jackin/agent-smith:latest";
/// The built-in role that runs [`AGENT_IMAGE`] with all four agents.
pub const ROLE: &str = "agent-smith";
/// Where jackin-init sits inside every container.
pub const INIT_IN_CONTAINER: &str = "/jackin/jackin-init";

use crate::sandbox::locked;
pub use crate::sandbox::{fixture, init_bin, jackin_bin, workspace_root};

/// Makes sure [`AGENT_IMAGE`] is in `kind`'s store and returns its name.
/// Missing under `CI=true`: panics with the command that builds it.
/// Missing locally: runs `bash scripts/build-image.sh --engine <kind>`
/// (about 2 minutes from scratch) under a lock, then checks again.
pub async fn ensure_agent_image(kind: EngineKind) -> &'static str {
    let e = crate::engine(kind).await;
    let present = |info: Option<jackin::engine::ImageInfo>| {
        info.is_some_and(|i| i.labels.get("io.jackin.role").map(String::as_str) == Some(ROLE))
    };
    let info = e
        .image_inspect(AGENT_IMAGE)
        .await
        .unwrap_or_else(|err| panic!("inspect {AGENT_IMAGE} in {}: {err}", kind.as_str()));
    if present(info) {
        return AGENT_IMAGE;
    }
    let cmd = format!("bash scripts/build-image.sh --engine {}", kind.as_str());
    assert!(
        !crate::in_ci(),
        "{AGENT_IMAGE} is not in {}'s store (or lacks io.jackin.role={ROLE}): build it with '{cmd}' (as root, from {})",
        kind.as_str(),
        workspace_root().display()
    );
    let root = workspace_root();
    tokio::task::spawn_blocking(move || {
        locked("jackin-test-build-agent-image.lock", || {
            let out = Command::new("bash")
                .args(["scripts/build-image.sh", "--engine", kind.as_str()])
                .current_dir(&root)
                .output()
                .expect("run scripts/build-image.sh");
            assert!(
                out.status.success(),
                "'{cmd}' failed:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        })
    })
    .await
    .expect("image build thread");
    let info = e.image_inspect(AGENT_IMAGE).await.ok().flatten();
    assert!(present(info), "{AGENT_IMAGE} still missing after the build");
    AGENT_IMAGE
}

/// What one process did: exit code and output.
#[derive(Debug, Clone)]
pub struct Out {
    /// Exit code (-1 when killed by a signal).
    pub code: i64,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Out {
    /// stdout then stderr, ANSI sequences removed ([`screen_text`]).
    pub fn text(&self) -> String {
        screen_text(&format!("{}\n{}", self.stdout, self.stderr))
    }
}

/// Runs `bash -c CMD` in `container` as the container user with exactly
/// agent `agent`'s provisioned env: `jackin-init exec --agent AGENT --
/// bash -c CMD` executed as root (`user "0"`) through the engine API, no
/// stdin. Panics on an engine error (not on a non-zero exit).
pub async fn agent_exec(kind: EngineKind, container: &str, agent: &str, cmd: &str) -> Out {
    let e = crate::engine(kind).await;
    let argv = [
        INIT_IN_CONTAINER,
        "exec",
        "--agent",
        agent,
        "--",
        "bash",
        "-c",
        cmd,
    ];
    let o = e
        .exec(
            container,
            &ExecSpec {
                cmd: argv.iter().map(|s| s.to_string()).collect(),
                user: Some("0".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|err| panic!("exec {argv:?} in {container}: {err}"));
    Out {
        code: o.exit_code,
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// `claude auth status` in `container` with Claude's env ([`agent_exec`]),
/// whose stdout must be JSON with a `loggedIn` key. Claude renders this JSON through Ink; in
/// one run out of many under heavy load it printed a frame with only `{`
/// and `}`. Such an answer (no `loggedIn` key) is asked again, up to three
/// times in all; any well-formed answer is returned as it is, whatever it
/// says. Panics if no run gave one.
pub async fn claude_auth_status(kind: EngineKind, container: &str) -> Out {
    let mut tries = Vec::new();
    for _ in 0..3 {
        let o = agent_exec(kind, container, "claude", "claude auth status").await;
        if let Ok(v) = serde_json::from_str::<Value>(o.stdout.trim()) {
            if v.get("loggedIn").is_some() {
                return o;
            }
        }
        tries.push(format!(
            "exit {}: stdout {:?} stderr {:?}",
            o.code, o.stdout, o.stderr
        ));
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!(
        "claude auth status gave no status in {container}:\n{}",
        tries.join("\n")
    )
}

/// Runs `sh -c CMD` in `container` as root (to look at files as they are).
pub async fn root_exec(kind: EngineKind, container: &str, cmd: &str) -> Out {
    let e = crate::engine(kind).await;
    let o = e
        .exec(
            container,
            &ExecSpec {
                cmd: vec!["sh".into(), "-c".into(), cmd.into()],
                user: Some("0".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|err| panic!("exec sh -c {cmd:?} in {container}: {err}"));
    Out {
        code: o.exit_code,
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Terminal output as text: CSI sequences (`ESC [ … final`) become one
/// space when they move the cursor right or to a column (`C`, `G`) and
/// vanish otherwise; OSC (`ESC ] … BEL|ESC \`) and two-byte escapes vanish;
/// `\r` is dropped; runs of spaces and tabs collapse to one space. The
/// result is for substring checks, not for layout.
pub fn screen_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut it = raw.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\u{1b}' => match it.next() {
                Some('[') => {
                    let mut last = None;
                    for d in it.by_ref() {
                        if ('\u{40}'..='\u{7e}').contains(&d) {
                            last = Some(d);
                            break;
                        }
                    }
                    if matches!(last, Some('C') | Some('G')) {
                        out.push(' ');
                    }
                }
                Some(']') => {
                    while let Some(d) = it.next() {
                        if d == '\u{7}' {
                            break;
                        }
                        if d == '\u{1b}' && it.peek() == Some(&'\\') {
                            it.next();
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' => {}
            '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    let mut collapsed = String::with_capacity(out.len());
    for c in out.chars() {
        if c == ' ' && collapsed.ends_with(' ') {
            continue;
        }
        collapsed.push(c);
    }
    collapsed
}

/// The number N of a line reading `N tools available` (Amp's `tools
/// list`), if any.
pub fn amp_tool_count(text: &str) -> Option<u32> {
    text.lines().find_map(|l| {
        l.trim()
            .strip_suffix(" tools available")
            .and_then(|n| n.trim().parse().ok())
    })
}

/// A bash command for [`agent_exec`] that runs Amp's offline login check,
/// `amp tools list` (stdin `/dev/null`), for at most 30 s: exits with
/// Amp's own code when it ends (0 and `N tools available` when logged in),
/// or with 124 as soon as Amp asks for a pasted login code (it prints `No
/// API key found` and then waits forever; `images/README.md`).
pub const AMP_CHECK: &str = r#"out=$(mktemp); timeout 30 amp tools list </dev/null >"$out" 2>&1 & p=$!
while kill -0 "$p" 2>/dev/null; do
  if grep -q "paste your code" "$out"; then kill "$p"; wait "$p"; cat "$out"; echo; echo "[amp waits for a login code]"; exit 124; fi
  sleep 0.2
done
wait "$p"; rc=$?; cat "$out"; exit "$rc""#;

/// What one `jackin` run did.
#[derive(Debug, Clone)]
pub struct Run {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

/// A successful `jackin load --json`.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Instance id (8 lowercase alphanumerics).
    pub id: String,
    /// Container name `jk-<id>-<role>`.
    pub container: String,
    /// The whole JSON jackin printed (`summary`, `notes`, `report`, …).
    pub json: Value,
}

impl Loaded {
    /// The `report` entry of `agent` (`mode`, `result`, `files`, `env`).
    pub fn report(&self, agent: &str) -> Value {
        self.json["report"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["agent"] == agent))
            .cloned()
            .unwrap_or_else(|| panic!("no report for {agent}: {}", self.json))
    }
}

/// One operator on the host (see the module docs).
pub struct Sandbox {
    /// Engine under test.
    pub kind: EngineKind,
    root: tempfile::TempDir,
    /// The operator's `$HOME`.
    pub home: PathBuf,
    /// The folder `jackin` runs in (the ad-hoc workspace).
    pub work: PathBuf,
    /// The whole environment of every `jackin` run (add host variables
    /// here: they reach jackin's process only).
    pub env: BTreeMap<String, String>,
    loaded: Mutex<Vec<String>>,
}

impl Sandbox {
    /// A fresh operator for `kind`; `tag` names the test.
    pub fn new(kind: EngineKind, tag: &str) -> Sandbox {
        let root = tempfile::Builder::new()
            .prefix(&format!("jackin-agents-{tag}-{}-", kind.as_str()))
            .tempdir()
            .expect("temp dir");
        let home = root.path().join("home");
        let work = root.path().join("work");
        let config = root.path().join("config");
        let data = root.path().join("data");
        for d in [&home, &work, &config, &data] {
            std::fs::create_dir_all(d).expect("create sandbox folder");
        }
        let mut env = BTreeMap::new();
        env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
        env.insert("HOME".into(), home.display().to_string());
        env.insert("JACKIN_CONFIG_DIR".into(), config.display().to_string());
        env.insert("JACKIN_DATA_DIR".into(), data.display().to_string());
        env.insert("JACKIN_INIT_BIN".into(), init_bin().display().to_string());
        if let Some(h) = crate::test_host(kind) {
            let var = match kind {
                EngineKind::Podman => "CONTAINER_HOST",
                EngineKind::Docker => "DOCKER_HOST",
            };
            env.insert(var.into(), h);
        }
        Sandbox {
            kind,
            root,
            home,
            work,
            env,
            loaded: Mutex::new(Vec::new()),
        }
    }

    /// The sandbox's root folder (parent of home, work, config, data).
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Copies fixture `name` to `$HOME/REL` (folders created), mode 0600.
    pub fn put(&self, rel: &str, name: &str) -> PathBuf {
        let p = self.home.join(rel);
        std::fs::create_dir_all(p.parent().expect("a file has a parent")).unwrap();
        std::fs::write(&p, fixture(name)).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p
    }

    /// `jackin ARGS…` as a ready [`Command`]: env cleared and set to
    /// [`Sandbox::env`], cwd [`Sandbox::work`], stdin `/dev/null`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(jackin_bin());
        c.env_clear()
            .envs(&self.env)
            .current_dir(&self.work)
            .args(args)
            .stdin(Stdio::null());
        c
    }

    /// Runs `jackin ARGS…` and panics unless it exits 0.
    pub fn ok(&self, args: &[&str]) -> Run {
        let o = self.command(args).output().expect("run jackin");
        let r = Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        };
        assert_eq!(
            r.code, 0,
            "jackin {args:?} failed ({}):\nstdout: {}\nstderr: {}",
            r.code, r.stdout, r.stderr
        );
        r
    }

    /// `jackin load ARGS… --json --network none --engine KIND` (detached);
    /// panics unless it succeeds. The instance is purged on drop.
    pub fn load(&self, args: &[&str]) -> Loaded {
        let mut a = vec!["load"];
        a.extend(args);
        a.extend([
            "--json",
            "--network",
            "none",
            "--engine",
            self.kind.as_str(),
        ]);
        let r = self.ok(&a);
        let json: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("load --json printed no JSON ({e}): {}", r.stdout));
        let id = json["id"].as_str().expect("load json has id").to_string();
        let container = json["container"]
            .as_str()
            .expect("load json has container")
            .to_string();
        let mut loaded = self.loaded.lock().unwrap();
        if !loaded.contains(&id) {
            loaded.push(id.clone());
        }
        Loaded {
            id,
            container,
            json,
        }
    }

    /// `jackin eject ID --engine KIND` (container removed, home kept).
    pub fn eject(&self, id: &str) {
        self.ok(&["eject", id, "--engine", self.kind.as_str()]);
    }

    /// Runs `jackin ARGS…` with stdin, stdout and stderr on a new
    /// pseudo-terminal (120×40) and returns its exit code and everything
    /// it wrote there. Panics if it has not exited after `secs` seconds
    /// (it is killed first).
    pub fn run_pty(&self, args: &[&str], secs: u64) -> (i32, String) {
        let ws = nix::pty::Winsize {
            ws_row: 40,
            ws_col: 120,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = nix::pty::openpty(Some(&ws), None).expect("openpty");
        let mut cmd = self.command(args);
        cmd.stdin(Stdio::from(pty.slave.try_clone().expect("dup pty")))
            .stdout(Stdio::from(pty.slave.try_clone().expect("dup pty")))
            .stderr(Stdio::from(pty.slave));
        let mut child = cmd.spawn().expect("spawn jackin on a pty");
        // The child holds the only slave ends now: reading the master ends
        // (EIO) once jackin and everything it started have closed them.
        drop(cmd);
        let mut master = std::fs::File::from(pty.master);
        let reader = std::thread::spawn(move || {
            let mut all = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match master.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => all.extend_from_slice(&buf[..n]),
                }
            }
            all
        });
        let start = Instant::now();
        let code = loop {
            if let Some(st) = child.try_wait().expect("wait for jackin") {
                break st.code().unwrap_or(-1);
            }
            if start.elapsed() > Duration::from_secs(secs) {
                let _ = child.kill();
                let _ = child.wait();
                let out = reader.join().unwrap_or_default();
                panic!(
                    "jackin {args:?} did not exit within {secs} s on a terminal; it printed:\n{}",
                    screen_text(&String::from_utf8_lossy(&out))
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let out = reader.join().unwrap_or_default();
        (code, String::from_utf8_lossy(&out).into_owned())
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let ids = std::mem::take(&mut *self.loaded.lock().unwrap_or_else(|e| e.into_inner()));
        for id in ids {
            let _ = self
                .command(&["eject", &id, "--purge", "--engine", self.kind.as_str()])
                .output();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screen_text_reads_a_terminal_frame() {
        let raw = "\u{1b}[31mWelcome\u{1b}[9Gto\u{1b}[12GClaude\u{1b}[39m\r\n\u{1b}]0;title\u{7}\u{1b}[2Gbypass\u{1b}[1Cpermissions   on\r\n";
        assert_eq!(
            screen_text(raw),
            "Welcome to Claude\n bypass permissions on\n"
        );
    }

    #[test]
    fn amp_tool_count_reads_the_summary_line() {
        assert_eq!(amp_tool_count("Bash ...\n14 tools available\n"), Some(14));
        assert_eq!(
            amp_tool_count("No API key found. Starting login flow...\n"),
            None
        );
    }
}
