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
//! - [`read_file`], [`stat`], [`agent_env`], [`exec_env`], [`cmdlines`],
//!   [`processes`]: facts read inside a container through the engine API
//!   (`exec` as root; a process's env as its owner, since root in a
//!   container may not read another user's `/proc/PID/environ`).
//! - [`run_in_pty`] / [`run_in_pty_input`]: a command under a
//!   pseudo-terminal (`script(1)`), for `load` attached and `hardline`.
//! - [`derived_image`]: a probe image variant made by `exec` + `commit`.
//! - [`fixture`]: the bytes of a file in `shared/cases/fixtures/`.
//!
//! Module name: `jackin` would shadow the `jackin` crate inside this
//! crate, so `lib.rs` mounts this file as `sandbox`.

use crate::EngineKind;
use serde_json::Value;

#[path = "jackin/container.rs"]
mod container;
pub use container::*;
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

/// Bytes of `shared/cases/fixtures/NAME`. The cases folder is
/// `$JACKIN_CASES_DIR` if set, else `shared/cases` beside the checkout
/// (where CI and the developers' machines put `shared/`). Panics when
/// missing, naming the path.
pub fn fixture(name: &str) -> Vec<u8> {
    let dir = std::env::var("JACKIN_CASES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace_root().join("../shared/cases"));
    let p = dir.join("fixtures").join(name);
    std::fs::read(&p).unwrap_or_else(|e| {
        panic!(
            "fixture {}: {e} (set JACKIN_CASES_DIR to the shared/cases folder)",
            p.display()
        )
    })
}

/// Runs `f` holding an exclusive `flock` on `$TMPDIR/<lock_name>` (shared
/// by every test process on the machine).
pub(crate) fn locked<T>(lock_name: &str, f: impl FnOnce() -> T) -> T {
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
            let mut args = vec!["build", "-q", "-p", "jackin", "--bin", "jackin"];
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                args.push("--release");
            }
            let out = Command::new(cargo)
                .args(&args)
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
