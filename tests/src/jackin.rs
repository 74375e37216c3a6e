//! Driving the real `jackin` binary against a real engine, and looking
//! inside the containers it makes.
//!
//! - [`Jackin`]: one operator sandbox per test — a temp `HOME`,
//!   `JACKIN_CONFIG_DIR`, `JACKIN_DATA_DIR` and working folder, an env map
//!   (nothing leaks in from the test process but `PATH`), and the engine
//!   under test passed as `--engine`. Runs `target/debug/jackin` (built
//!   once per test process with `cargo build -p jackin --bin jackin`, so a
//!   stale binary is never tested) with `JACKIN_INIT_BIN` pointing at the
//!   static jackin-init (built once with `scripts/build-init.sh` unless the
//!   test process already has `JACKIN_INIT_BIN`). Dropping it ejects and
//!   purges every instance it loaded (`jackin eject ID --purge`, then a
//!   forced engine-level removal), also when the test panics.
//! - [`read_file`], [`stat`], [`agent_env`], [`exec_env`], [`cmdlines`]:
//!   facts read inside a container through the engine API (`exec` as root).
//! - [`fixture`]: the bytes of a file in `shared/cases/fixtures/`.

use crate::{Engine, EngineKind};
use jackin::engine::ExecSpec;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The workspace root (the folder holding the top `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Bytes of `shared/cases/fixtures/NAME` (`$JACKIN_CASES_DIR/fixtures` if
/// set, else `/work/shared/cases/fixtures`). Panics when missing.
pub fn fixture(name: &str) -> Vec<u8> {
    let dir = std::env::var("JACKIN_CASES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/work/shared/cases"));
    let p = dir.join("fixtures").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

fn locked<T>(lock_name: &str, f: impl FnOnce() -> T) -> T {
    let lock_path = std::env::temp_dir().join(lock_name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap_or_else(|e| panic!("cannot open lock file {}: {e}", lock_path.display()));
    let _lock = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .unwrap_or_else(|(_, e)| panic!("cannot lock {}: {e}", lock_path.display()));
    f()
}

/// Path of the `jackin` binary under test: `target/<profile>/jackin` beside
/// the test executable's `deps/` folder, brought up to date once per test
/// process by `cargo build -p jackin --bin jackin` (a no-op when fresh).
pub fn jackin_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("current test executable");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test executable lives in target/<profile>/deps")
            .to_path_buf();
        let bin = profile_dir.join("jackin");
        locked("jackin-test-build-jackin.lock", || {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_string());
            let out = Command::new(cargo)
                .args(["build", "-q", "-p", "jackin", "--bin", "jackin"])
                .current_dir(workspace_root())
                .output()
                .expect("run cargo build -p jackin");
            assert!(
                out.status.success(),
                "cargo build -p jackin failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        });
        assert!(bin.is_file(), "{} missing after cargo build", bin.display());
        bin
    })
}

/// Path of the static jackin-init: `$JACKIN_INIT_BIN` if set, else built
/// once (under a lock) with `scripts/build-init.sh`.
pub fn init_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("JACKIN_INIT_BIN").filter(|p| !p.is_empty()) {
            return PathBuf::from(p);
        }
        let root = workspace_root();
        locked("jackin-test-build-init.lock", || {
            let out = Command::new("bash")
                .arg("scripts/build-init.sh")
                .current_dir(&root)
                .output()
                .expect("run scripts/build-init.sh");
            assert!(
                out.status.success(),
                "scripts/build-init.sh failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        });
        root.join("target/x86_64-unknown-linux-gnu/init-release/jackin-init")
    })
}

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

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
    /// stdout and stderr together (for "appears nowhere" checks).
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// One operator sandbox (see the module docs).
pub struct Jackin {
    /// Engine under test; every command gets `--engine` where it takes one.
    pub kind: EngineKind,
    root: tempfile::TempDir,
    /// The operator's `$HOME`.
    pub home: PathBuf,
    /// `$JACKIN_CONFIG_DIR`.
    pub config_dir: PathBuf,
    /// `$JACKIN_DATA_DIR`.
    pub data_dir: PathBuf,
    /// The working folder `jackin` runs in (the ad-hoc workspace).
    pub cwd: PathBuf,
    /// The whole environment of every `jackin` run (edit freely).
    pub env: BTreeMap<String, String>,
    /// A name unique to this test, engine and process, for roles and
    /// workspaces: `<tag>-<engine>-<pid>`.
    pub name: String,
    loaded: std::sync::Mutex<Vec<String>>,
}

impl Jackin {
    /// A fresh sandbox for `kind`; `tag` names the test (lowercase, `-`).
    pub fn new(kind: EngineKind, tag: &str) -> Jackin {
        crate::image::ensure_probe_image(kind);
        let root = tempfile::Builder::new()
            .prefix(&format!("jackin-e2e-{tag}-"))
            .tempdir()
            .expect("temp dir");
        let home = root.path().join("home");
        let config_dir = root.path().join("config");
        let data_dir = root.path().join("data");
        let cwd = root.path().join("work");
        for d in [&home, &config_dir, &data_dir, &cwd] {
            std::fs::create_dir_all(d).expect("create sandbox folder");
        }
        let mut env = BTreeMap::new();
        env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
        env.insert("HOME".into(), home.display().to_string());
        env.insert("JACKIN_CONFIG_DIR".into(), config_dir.display().to_string());
        env.insert("JACKIN_DATA_DIR".into(), data_dir.display().to_string());
        env.insert("JACKIN_INIT_BIN".into(), init_bin().display().to_string());
        match (kind, crate::test_host(kind)) {
            (EngineKind::Podman, Some(h)) => {
                env.insert("CONTAINER_HOST".into(), h);
            }
            (EngineKind::Docker, Some(h)) => {
                env.insert("DOCKER_HOST".into(), h);
            }
            _ => {}
        }
        Jackin {
            kind,
            name: format!("{tag}-{}-{}", kind.as_str(), std::process::id()),
            root,
            home,
            config_dir,
            data_dir,
            cwd,
            env,
            loaded: Default::default(),
        }
    }

    /// The sandbox's root folder (parent of home, config, data, work).
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// `jackin ARGS…` as a ready [`Command`] (env cleared and set, cwd set).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(jackin_bin());
        c.env_clear()
            .envs(&self.env)
            .current_dir(&self.cwd)
            .args(args)
            .stdin(Stdio::null());
        c
    }

    /// Runs `jackin ARGS…` and returns what it did.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("run jackin"))
    }

    /// Runs `jackin ARGS…` and panics unless it exits 0.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(
            r.code, 0,
            "jackin {args:?} failed ({}):\nstdout: {}\nstderr: {}",
            r.code, r.stdout, r.stderr
        );
        r
    }

    /// `ARGS… --engine KIND`.
    pub fn run_e(&self, args: &[&str]) -> Run {
        let mut a = args.to_vec();
        a.extend(["--engine", self.kind.as_str()]);
        self.run(&a)
    }

    /// Adds role `role` on the probe image with `agents` (first is default).
    pub fn add_role(&self, role: &str, image: &str, agents: &[&str]) {
        let mut a = vec!["role", "add", role, "--image", image];
        for ag in agents {
            a.extend(["--agent", ag]);
        }
        self.ok(&a);
    }

    /// `jackin load ROLE EXTRA… --json --network none --engine KIND`,
    /// remembered for cleanup. Returns the run and, on success, the parsed
    /// JSON (`id`, `container`, `summary`, `notes`, `report`, …).
    pub fn load_raw(&self, role: &str, extra: &[&str]) -> (Run, Option<Value>) {
        let mut a = vec!["load", role];
        a.extend(extra);
        a.extend([
            "--json",
            "--network",
            "none",
            "--engine",
            self.kind.as_str(),
        ]);
        let r = self.run(&a);
        let v = if r.code == 0 {
            let v: Value = serde_json::from_str(&r.stdout)
                .unwrap_or_else(|e| panic!("load --json printed no JSON ({e}): {}", r.stdout));
            let id = v["id"].as_str().expect("load json has id").to_string();
            self.loaded.lock().unwrap().push(id);
            Some(v)
        } else {
            None
        };
        (r, v)
    }

    /// Like [`Jackin::load_raw`] but panics unless the load succeeds.
    pub fn load(&self, role: &str, extra: &[&str]) -> Loaded {
        let (r, v) = self.load_raw(role, extra);
        let v = v.unwrap_or_else(|| {
            panic!(
                "jackin load {role} failed ({}):\n{}\n{}",
                r.code, r.stdout, r.stderr
            )
        });
        Loaded {
            id: v["id"].as_str().unwrap().to_string(),
            container: v["container"].as_str().unwrap().to_string(),
            json: v,
            run: r,
        }
    }

    /// Writes `bytes` at `$HOME/REL` (folders created), mode 0600.
    pub fn write_home(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.home.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        set_mode(&p, 0o600);
        p
    }

    /// Adds instance `id` (loaded by hand) to what the sandbox cleans up.
    pub fn track(&self, id: &str) {
        self.loaded.lock().unwrap().push(id.to_string());
    }

    /// Instance ids this sandbox loaded.
    pub fn loaded_ids(&self) -> Vec<String> {
        self.loaded.lock().unwrap().clone()
    }
}

/// `chmod MODE PATH`.
pub fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

impl Drop for Jackin {
    fn drop(&mut self) {
        let mut ids = self.loaded_ids();
        // Also what was loaded outside `load` (under a pty, by hand).
        let index =
            std::fs::read_to_string(self.data_dir.join("instances.json")).unwrap_or_default();
        if let Ok(v) = serde_json::from_str::<Value>(&index) {
            for i in v["instances"].as_array().into_iter().flatten() {
                if let Some(id) = i["id"].as_str().filter(|id| !ids.iter().any(|x| x == id)) {
                    ids.push(id.to_string());
                }
            }
        }
        if ids.is_empty() {
            return;
        }
        for id in &ids {
            let _ = self.run_e(&["eject", id, "--purge"]);
        }
        // Whatever the CLI left (e.g. when eject itself is what broke).
        let kind = self.kind;
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            rt.block_on(async {
                let host = crate::test_host(kind);
                let Ok(e) = jackin::engine::connect(Some(kind), host.as_deref()).await else {
                    return;
                };
                for id in &ids {
                    if let Ok(cs) = e
                        .list_containers(&[("io.jackin.instance", Some(id.as_str()))])
                        .await
                    {
                        for c in cs {
                            let _ = e.remove_container(&c.id, true).await;
                        }
                    }
                    let _ = e.volume_remove(&format!("jk-{id}-home")).await;
                }
            })
        })
        .join();
    }
}

/// A successful `jackin load --json`.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Instance id (8 lowercase alphanumerics).
    pub id: String,
    /// Container name `jk-<id>-<role>`.
    pub container: String,
    /// The whole JSON jackin printed.
    pub json: Value,
    /// The run itself (stderr holds notes and logs).
    pub run: Run,
}

impl Loaded {
    /// The `report` line of `agent` (`result`, `mode`, `files`, `env`).
    pub fn report(&self, agent: &str) -> Value {
        self.json["report"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["agent"] == agent))
            .cloned()
            .unwrap_or_else(|| panic!("no report for {agent}: {}", self.json))
    }
}

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

/// The environment of the container's main agent process: the probe's
/// `sleep 1000000` that `jackin-init run` became (parent: the engine's init,
/// pid 1). Waits up to 10 s for it to appear.
pub async fn agent_env(e: &dyn Engine, container: &str) -> BTreeMap<String, String> {
    for _ in 0..100 {
        let ps = processes(e, container).await;
        if let Some((pid, _, _)) = ps
            .iter()
            .find(|(_, ppid, c)| *ppid == 1 && c.starts_with("sleep 1000000"))
        {
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
            return parse_env(&o.stdout, 0);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "no agent process (sleep 1000000 under pid 1) in {container}: {:?}",
        processes(e, container).await
    )
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
    let base = crate::ensure_probe_image(kind);
    let name = format!("localhost/jackin-test/probe-{tag}:latest");
    let (tag, shell) = (tag.to_string(), shell.to_string());
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
                cli(&["commit", "--change", &label, &tmp, &n]);
                let _ = engine_cli(kind, &socket).args(["rm", "-f", &tmp]).output();
            },
        )
    })
    .join()
    .unwrap_or_else(|p| std::panic::resume_unwind(p));
    name
}
