//! Bad input that needs a running engine (shared/SPEC.md §11), run through
//! the real `jackin` binary as an operator would: a role whose image is
//! missing, a corrupt instance index, and selectors that match nothing or
//! several instances. Each must exit 1 with a clear message, print no
//! backtrace, and leave nothing behind: config byte-identical, no index
//! entry, no container or volume.

use jackin::instance::LABEL_ROLE;
use jackin_tests::{engine, engine_test, ensure_probe_image, test_host, EngineKind};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The `jackin` binary of this workspace, built once per test process.
fn jackin_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("current test executable");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test executable lives in target/<profile>/deps")
            .to_path_buf();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .args(["build", "-q", "-p", "jackin", "--bin", "jackin"])
            .current_dir(root)
            .output()
            .expect("run cargo build -p jackin");
        assert!(
            out.status.success(),
            "cargo build -p jackin failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bin = profile_dir.join("jackin");
        assert!(bin.is_file(), "{} missing after cargo build", bin.display());
        bin
    })
}

/// An operator with its own HOME, config and data folders, and one role
/// named uniquely for this test and engine.
struct Op {
    root: tempfile::TempDir,
    kind: EngineKind,
    role: String,
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Op {
    fn new(tag: &str, kind: EngineKind, image: &str) -> Op {
        let root = tempfile::tempdir().unwrap();
        for d in ["home", "cfg", "data", "work"] {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
        }
        let role = format!("nc-{tag}-{}-{}", kind.as_str(), std::process::id());
        let op = Op { root, kind, role };
        std::fs::write(
            op.config(),
            format!(
                "# newcomer\n[roles.{}]\nimage = \"{image}\" # test\nagents = [\"codex\"]\n\n[codex]\nauth_forward = \"ignore\"\n",
                op.role
            ),
        )
        .unwrap();
        op
    }

    fn config(&self) -> PathBuf {
        self.root.path().join("cfg/config.toml")
    }

    fn index(&self) -> PathBuf {
        self.root.path().join("data/instances.json")
    }

    /// Runs `jackin ARGS --engine KIND [--host …]` in the work folder.
    fn run(&self, args: &[&str]) -> Out {
        let mut c = Command::new(jackin_bin());
        c.args(args).args(["--engine", self.kind.as_str()]);
        if let Some(h) = test_host(self.kind) {
            c.args(["--host", &h]);
        }
        let r = self.root.path();
        let o = c
            .env("HOME", r.join("home"))
            .env("JACKIN_CONFIG_DIR", r.join("cfg"))
            .env("JACKIN_DATA_DIR", r.join("data"))
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("JACKIN_ENGINE")
            .env_remove("RUST_BACKTRACE")
            .current_dir(r.join("work"))
            .output()
            .expect("run jackin");
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Runs, expects exit 1 with one `error:` report and no backtrace, and
    /// checks config.toml and the index are byte-identical afterwards.
    fn refused(&self, args: &[&str]) -> Out {
        let (cfg, idx) = (
            std::fs::read(self.config()).ok(),
            std::fs::read(self.index()).ok(),
        );
        let o = self.run(args);
        assert_eq!(
            o.code, 1,
            "{args:?}\nstdout:\n{}\nstderr:\n{}",
            o.stdout, o.stderr
        );
        assert!(o.stderr.starts_with("error: "), "{args:?}: {}", o.stderr);
        for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace", "os error"] {
            assert!(!o.stderr.contains(bad), "{args:?}: {bad} in {}", o.stderr);
        }
        assert_eq!(
            std::fs::read(self.config()).ok(),
            cfg,
            "{args:?} changed config.toml"
        );
        assert_eq!(
            std::fs::read(self.index()).ok(),
            idx,
            "{args:?} changed the index"
        );
        o
    }

    /// Containers of this test's role on the engine (there must be none).
    async fn containers(&self) -> Vec<String> {
        let e = engine(self.kind).await;
        e.list_containers(&[(LABEL_ROLE, Some(&self.role))])
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect()
    }

    /// Writes an index holding `ids` as ejected instances of this role.
    fn write_index(&self, ids: &[&str]) -> Vec<u8> {
        let list: Vec<_> = ids
            .iter()
            .map(|id| {
                serde_json::json!({
                    "id": id, "role": self.role, "workspace": format!("dir:/nc/{id}"),
                    "engine": self.kind.as_str(), "created": 1
                })
            })
            .collect();
        let text = serde_json::to_vec_pretty(&serde_json::json!({ "instances": list })).unwrap();
        std::fs::write(self.index(), &text).unwrap();
        text
    }
}

engine_test!(newcomer_missing_image_creates_nothing, |kind| {
    let image = format!("localhost/jackin-newcomer/nope-{}:1", std::process::id());
    let op = Op::new("noimg", kind, &image);
    let o = op.refused(&["load", &op.role, "--detach", "--network", "none"]);
    assert!(
        o.stderr
            .contains(&format!("image '{image}' of role '{}'", op.role)),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains(&format!("is not in {}", kind.as_str())),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains(&format!("[roles.{}]", op.role)),
        "{}",
        o.stderr
    );
    assert!(!op.index().exists(), "an index was written");
    assert_eq!(op.containers().await, Vec::<String>::new());
    // --json too: stdout stays empty.
    let o = op.refused(&["load", &op.role, "--json", "--network", "none"]);
    assert!(o.stdout.is_empty(), "{}", o.stdout);
});

engine_test!(newcomer_corrupt_index_is_named_and_left_alone, |kind| {
    let image = ensure_probe_image(kind);
    let op = Op::new("badidx", kind, &image);
    std::fs::write(op.index(), "{\"instances\": [ {oops\n").unwrap();
    for args in [
        &["load", op.role.as_str(), "--detach", "--network", "none"][..],
        &["ps"],
        &["ps", "--json"],
        &["eject", op.role.as_str()],
        &["purge", op.role.as_str()],
        &["auth", "sync", op.role.as_str()],
    ] {
        let o = op.refused(args);
        assert!(
            o.stderr.contains(&op.index().display().to_string())
                && o.stderr.contains("not valid JSON")
                && o.stderr.contains("move it away"),
            "{args:?}: {}",
            o.stderr
        );
        assert!(o.stdout.is_empty(), "{args:?}: {}", o.stdout);
    }
    assert_eq!(op.containers().await, Vec::<String>::new());

    // A directory in place of the index.
    std::fs::remove_file(op.index()).unwrap();
    std::fs::create_dir(op.index()).unwrap();
    let o = op.refused(&["ps"]);
    assert!(
        o.stderr.contains("cannot read the instance index"),
        "{}",
        o.stderr
    );
    let o = op.refused(&["load", &op.role, "--detach", "--network", "none"]);
    assert!(
        o.stderr.contains("cannot read the instance index"),
        "{}",
        o.stderr
    );
    assert!(op.index().is_dir());
    assert_eq!(op.containers().await, Vec::<String>::new());
});

engine_test!(newcomer_selector_matching_nothing_or_several, |kind| {
    let op = Op::new("sel", kind, "localhost/unused:1");
    let missing = format!("{}-none", op.role);
    for args in [
        vec!["eject", missing.as_str()],
        vec!["purge", missing.as_str()],
        vec!["auth", "sync", missing.as_str()],
        vec!["hardline", missing.as_str(), "--shell"],
    ] {
        let o = op.refused(&args);
        assert!(
            o.stderr.contains(&format!(
                "no instance matches '{missing}' on {}",
                kind.as_str()
            )) && o.stderr.contains("jackin ps"),
            "{args:?}: {}",
            o.stderr
        );
    }
    // Two ejected instances of the same role: the role name matches both.
    op.write_index(&["ncaaaaa1", "ncaaaaa2"]);
    for args in [
        vec!["purge", op.role.as_str()],
        vec!["eject", op.role.as_str()],
        vec!["eject", op.role.as_str(), "--purge", "--json"],
    ] {
        let o = op.refused(&args);
        assert!(
            o.stderr.contains("matches 2 instances")
                && o.stderr.contains("ncaaaaa1")
                && o.stderr.contains("ncaaaaa2")
                && o.stderr.contains("--all"),
            "{args:?}: {}",
            o.stderr
        );
        assert!(o.stdout.is_empty(), "{args:?}: {}", o.stdout);
    }
    // Naming one by id works and touches only that one.
    let o = op.run(&["purge", "ncaaaaa1"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let idx = std::fs::read_to_string(op.index()).unwrap();
    assert!(
        !idx.contains("ncaaaaa1") && idx.contains("ncaaaaa2"),
        "{idx}"
    );
});

engine_test!(
    newcomer_role_selector_skips_containers_of_another_data_folder,
    |kind| {
        // A jackin-labelled container this operator's index does not hold
        // (another operator's data folder on the same engine).
        let op = Op::new("foreign", kind, "localhost/unused:1");
        let e = engine(kind).await;
        let image = ensure_probe_image(kind);
        let id = format!("n{:07}", std::process::id() % 10_000_000);
        let name = format!("jk-{id}-{}", op.role);
        let mut cleanup = jackin_tests::Cleanup::new(kind);
        cleanup.containers.push(name.clone());
        let _ = e.remove_container(&name, true).await;
        let labels = [
            (jackin::instance::LABEL_INSTANCE, id.as_str()),
            (LABEL_ROLE, op.role.as_str()),
            (jackin::instance::LABEL_WORKSPACE, "dir:/elsewhere"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let spec = jackin::engine::ContainerSpec {
            name: name.clone(),
            image,
            labels,
            network: Some("none".into()),
            init: true,
            ..Default::default()
        };
        let cid = e.create_container(&spec).await.unwrap();
        e.start_container(&cid).await.unwrap();

        // ps shows it; a role name or "the only running one" does not pick it.
        let o = op.run(&["ps", "--json"]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(o.stdout.contains(&id), "{}", o.stdout);
        for args in [
            vec!["auth", "sync", op.role.as_str(), "--all"],
            vec!["eject", op.role.as_str(), "--all"],
        ] {
            let o = op.refused(&args);
            assert!(
                o.stderr.contains("no instance matches"),
                "{args:?}: {}",
                o.stderr
            );
        }
        assert_eq!(op.containers().await, vec![name.clone()]);
        // Named exactly, it is still reachable.
        let o = op.run(&["eject", &name]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert_eq!(op.containers().await, Vec::<String>::new());
    }
);

engine_test!(newcomer_hardline_without_selector_and_two_running, |kind| {
    let op = Op::new("two", kind, "localhost/unused:1");
    let e = engine(kind).await;
    let image = ensure_probe_image(kind);
    let pid = std::process::id() % 1_000_000;
    let ids = [format!("a{pid:06}x"), format!("b{pid:06}x")];
    let mut cleanup = jackin_tests::Cleanup::new(kind);
    for id in &ids {
        let name = format!("jk-{id}-{}", op.role);
        cleanup.containers.push(name.clone());
        let _ = e.remove_container(&name, true).await;
        let labels = [
            (jackin::instance::LABEL_INSTANCE, id.as_str()),
            (LABEL_ROLE, op.role.as_str()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let spec = jackin::engine::ContainerSpec {
            name,
            image: image.clone(),
            labels,
            network: Some("none".into()),
            init: true,
            ..Default::default()
        };
        let cid = e.create_container(&spec).await.unwrap();
        e.start_container(&cid).await.unwrap();
    }
    op.write_index(&[&ids[0], &ids[1]]);
    let o = op.refused(&["hardline", "--shell"]);
    assert!(
        o.stderr.contains("2 instances are running")
            && o.stderr.contains(&ids[0])
            && o.stderr.contains(&ids[1])
            && o.stderr.contains("name one by id")
            && !o.stderr.contains("--all"),
        "{}",
        o.stderr
    );
});

engine_test!(
    newcomer_longest_role_name_and_unicode_folder_with_spaces,
    |kind| {
        let image = ensure_probe_image(kind);
        let mut op = Op::new("long", kind, &image);
        // The longest role name allowed (63), in a folder with spaces and
        // non-ASCII letters: the container name is jk-<id>-<63 chars>.
        let long = format!(
            "{:x<63}",
            format!("nc-long-{}-{}-", kind.as_str(), std::process::id())
        );
        assert_eq!(long.len(), 63);
        let text = std::fs::read_to_string(op.config()).unwrap();
        std::fs::write(op.config(), text.replace(&op.role, &long)).unwrap();
        op.role = long.clone();
        let folder = op.root.path().join("wörk spåce");
        std::fs::create_dir(&folder).unwrap();
        let mut cleanup = jackin_tests::Cleanup::new(kind);
        let o = op.run(&[
            "load",
            &long,
            folder.to_str().unwrap(),
            "--json",
            "--network",
            "none",
        ]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
        let id = v["id"].as_str().unwrap().to_string();
        let container = format!("jk-{id}-{long}");
        cleanup.containers.push(container.clone());
        cleanup.volumes.push(format!("jk-{id}-home"));
        assert_eq!(v["container"], container.as_str(), "{}", o.stdout);
        assert_eq!(
            v["workspace"],
            format!("dir:{}", folder.canonicalize().unwrap().display()).as_str()
        );
        assert_eq!(op.containers().await, vec![container.clone()]);
        let o = op.run(&["eject", &long, "--purge"]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert_eq!(op.containers().await, Vec::<String>::new());
        let e = engine(kind).await;
        assert!(!e.volume_exists(&format!("jk-{id}-home")).await.unwrap());
    }
);

engine_test!(newcomer_an_ejected_instance_says_how_to_start_it, |kind| {
    let op = Op::new("ejected", kind, "localhost/unused:1");
    let id = format!("e{:06}x", std::process::id() % 1_000_000);
    op.write_index(&[&id]);
    for args in [
        vec!["hardline", id.as_str(), "--shell"],
        vec!["auth", "sync", id.as_str()],
    ] {
        let o = op.refused(&args);
        assert!(
            o.stderr.contains(&format!(
                "instance {id} is not running (ejected): start it with 'jackin load {} /nc/{id}'",
                op.role
            )),
            "{args:?}: {}",
            o.stderr
        );
    }
});

// CONTAINER_HOST names a socket that does not answer and no --engine is
// given: auto-detection goes on to Docker, and says so instead of silently
// using another engine than the one the operator named.
#[test]
fn newcomer_dead_container_host_warns_when_docker_is_used_instead() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let mut c = Command::new(jackin_bin());
    c.args(["ps", "--json"])
        .env("HOME", r)
        .env("JACKIN_CONFIG_DIR", r.join("cfg"))
        .env("JACKIN_DATA_DIR", r.join("data"))
        .env("CONTAINER_HOST", "unix:///nonexistent/podman.sock")
        .env_remove("JACKIN_ENGINE")
        .env_remove("RUST_LOG")
        .env_remove("DOCKER_HOST")
        .current_dir(r);
    if let Some(h) = test_host(EngineKind::Docker) {
        c.env("DOCKER_HOST", h);
    }
    let o = c.output().expect("run jackin");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "CONTAINER_HOST=unix:///nonexistent/podman.sock does not answer (no such socket file); using docker at unix://"
        ),
        "{stderr}"
    );
}
