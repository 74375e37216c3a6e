//! Shared helpers of the hardening tests (`hardening_*.rs`): the `jackin`
//! and static `jackin-init` binaries, a throwaway operator (HOME, config and
//! data folders) that runs the real CLI, and instance cleanup by id.
#![allow(dead_code)]

use jackin_tests::{test_host, EngineKind};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The `jackin` CLI: `$JACKIN_BIN`, else cargo's debug build, built once per
/// test process (`cargo build -p jackin --bin jackin`, a no-op when fresh).
pub fn jackin_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("JACKIN_BIN").filter(|p| !p.is_empty()) {
            return PathBuf::from(p);
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let st = Command::new(cargo)
            .args(["build", "-q", "-p", "jackin", "--bin", "jackin"])
            .current_dir(repo())
            .status()
            .expect("cannot run cargo to build the jackin CLI");
        assert!(st.success(), "cargo build -p jackin failed");
        repo().join("target/debug/jackin")
    })
}

/// The static jackin-init: `$JACKIN_INIT_BIN`, else the output of
/// `scripts/build-init.sh`. Missing is a failure naming the build command.
pub fn init_bin() -> PathBuf {
    let p = std::env::var_os("JACKIN_INIT_BIN")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/x86_64-unknown-linux-gnu/init-release/jackin-init"));
    assert!(
        p.is_file(),
        "the static jackin-init is needed at {}: run 'bash scripts/build-init.sh' (or set JACKIN_INIT_BIN)",
        p.display()
    );
    p
}

/// A throwaway operator: its own HOME, JACKIN_CONFIG_DIR, JACKIN_DATA_DIR
/// and a workdir, all under one temp folder.
pub struct Operator {
    pub dir: tempfile::TempDir,
    /// Extra environment for every command (e.g. the values `$VAR`s name).
    pub env: Vec<(String, String)>,
}

impl Operator {
    pub fn new() -> Operator {
        let dir = tempfile::Builder::new()
            .prefix("jackin-hardening-")
            .tempdir()
            .unwrap();
        for d in ["home", "config", "data", "work"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        Operator {
            dir,
            env: Vec::new(),
        }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// `jackin ARGS` with this operator's environment (and nothing of the
    /// test process's engine or agent variables).
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(jackin_bin());
        c.args(args)
            .env("HOME", self.home())
            .env("JACKIN_CONFIG_DIR", self.config_dir())
            .env("JACKIN_DATA_DIR", self.data_dir())
            .env("JACKIN_INIT_BIN", init_bin())
            .env("NO_COLOR", "1")
            .current_dir(self.work());
        for v in [
            "CONTAINER_HOST",
            "DOCKER_HOST",
            "JACKIN_ENGINE",
            "JACKIN_NETWORK",
            "XDG_CONFIG_HOME",
            "XDG_DATA_HOME",
            "CLAUDE_CONFIG_DIR",
            "CODEX_HOME",
            "JACKIN_HANDOFF",
        ] {
            c.env_remove(v);
        }
        c.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        c
    }

    /// Runs `jackin ARGS`; returns the output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("cannot run jackin")
    }

    /// Runs `jackin ARGS` and panics with its stderr unless it exits 0.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "jackin {} failed ({}):\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Engine flags for `kind`: `--engine K` (and `--host` when the tests
    /// point at another socket).
    pub fn engine_args(kind: EngineKind) -> Vec<String> {
        let mut v = vec!["--engine".to_string(), kind.as_str().to_string()];
        if let Some(h) = test_host(kind) {
            v.push("--host".into());
            v.push(h);
        }
        v
    }

    /// `jackin load ROLE WORKSPACE --json --network none` on `kind` (plus
    /// `extra`); returns the output.
    pub fn load(&self, kind: EngineKind, role: &str, ws: &str, extra: &[&str]) -> Output {
        let eng = Self::engine_args(kind);
        let mut args = vec!["load", role, ws, "--json", "--network", "none"];
        args.extend(eng.iter().map(String::as_str));
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// `jackin ps --json` on `kind`, as JSON rows.
    pub fn ps(&self, kind: EngineKind) -> Vec<serde_json::Value> {
        let eng = Self::engine_args(kind);
        let mut args = vec!["ps", "--json"];
        args.extend(eng.iter().map(String::as_str));
        let out = self.ok(&args);
        match serde_json::from_str::<serde_json::Value>(&out).expect("ps --json is JSON") {
            serde_json::Value::Array(rows) => rows,
            other => panic!("ps --json: expected an array, got {other}"),
        }
    }
}

/// Ejects and purges the listed instance ids when dropped (also when the
/// test panics), by id only: the engines are shared with other tests.
pub struct Instances<'a> {
    pub op: &'a Operator,
    pub kind: EngineKind,
    pub ids: Vec<String>,
}

impl Drop for Instances<'_> {
    fn drop(&mut self) {
        let eng = Operator::engine_args(self.kind);
        for id in &self.ids {
            let mut args = vec!["eject", id.as_str(), "--purge"];
            args.extend(eng.iter().map(String::as_str));
            let _ = self.op.run(&args);
        }
    }
}

/// On drop (also after a failed assertion), removes every container
/// labelled with this test's own workspace and its home volume, so a
/// failing run leaves nothing behind on the shared engines.
pub struct WorkspaceCleanup {
    pub kind: EngineKind,
    pub workspace: String,
}

impl Drop for WorkspaceCleanup {
    fn drop(&mut self) {
        let (kind, ws) = (self.kind, self.workspace.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let host = jackin_tests::test_host(kind);
                let Ok(e) = jackin::engine::connect(Some(kind), host.as_deref()).await else {
                    return;
                };
                let label = jackin::instance::LABEL_WORKSPACE;
                let Ok(list) = e.list_containers(&[(label, Some(ws.as_str()))]).await else {
                    return;
                };
                for c in list {
                    let _ = e.remove_container(&c.id, true).await;
                    if let Some(id) = c.labels.get(jackin::instance::LABEL_INSTANCE) {
                        let _ = e.volume_remove(&format!("jk-{id}-home")).await;
                    }
                }
            })
        })
        .join();
    }
}

/// Writes fake host logins of all four agents into `home` (shapes from
/// FIELD-NOTES.md), each carrying `tag` in its secret values.
pub fn write_host_logins(home: &Path, tag: &str) {
    let files = [
        (
            ".claude/.credentials.json",
            format!(
                r#"{{"claudeAiOauth":{{"accessToken":"sk-ant-oat01-{tag}","refreshToken":"sk-ant-ort01-{tag}","expiresAt":4102444800000,"scopes":["user:inference","user:profile"],"subscriptionType":"max"}}}}"#
            ),
        ),
        (
            ".claude.json",
            r#"{"oauthAccount":{"accountUuid":"u","emailAddress":"someone@example.com","organizationUuid":"o","organizationName":"Example"}}"#.to_string(),
        ),
        (".codex/auth.json", format!(r#"{{"OPENAI_API_KEY":"sk-codex-{tag}"}}"#)),
        (
            ".local/share/amp/secrets.json",
            format!(r#"{{"apiKey@https://ampcode.com/":"sgamp_user_{tag}"}}"#),
        ),
        (
            ".local/share/opencode/auth.json",
            format!(r#"{{"anthropic":{{"type":"api","key":"sk-opencode-{tag}"}}}}"#),
        ),
    ];
    for (rel, content) in files {
        let p = home.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
}

/// A random lowercase tag (secret values, names).
pub fn random_tag() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 12];
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut bytes)
        .unwrap();
    bytes.iter().map(|b| (b'a' + b % 26) as char).collect()
}
