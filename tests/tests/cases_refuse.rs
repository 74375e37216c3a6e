//! Cases C11–C13 of `shared/cases/README.md`: refusals that change nothing,
//! on both engines.

use jackin::engine::ExecSpec;
use jackin_tests::sandbox::{engine_cli, root_exec, Jackin};
use jackin_tests::{engine, engine_test, Engine, PROBE_IMAGE};

// C11: a mode that needs a credential nobody set: refused before anything
// exists, with the mode trace and the four env layers.
engine_test!(
    c11_missing_credential_refused_before_any_container,
    |kind| {
        let e = engine(kind).await;
        let mut j = Jackin::new(kind, "c11");
        j.env.remove("OPENAI_API_KEY");
        let role = format!("r-{}", j.name);
        j.add_role(&role, PROBE_IMAGE, &["claude", "codex"]);
        let ws = format!("ws-{}", j.name);
        let cwd = j.cwd.display().to_string();
        j.ok(&[
            "workspace",
            "create",
            &ws,
            "--workdir",
            &cwd,
            "--mount",
            &cwd,
        ]);
        j.ok(&[
            "workspace",
            "auth",
            "set",
            &ws,
            "api_key",
            "--agent",
            "codex",
        ]);
        let (r, v) = j.load_raw(&role, &[&ws]);
        assert!(v.is_none());
        assert_eq!(r.code, 1, "{}", r.stderr);
        let err = &r.stderr;
        for want in [
            "cannot launch codex",
            "OPENAI_API_KEY",
            "auth_forward resolution",
            "workspace × codex",
            "api_key     <- effective",
            "sync        <- effective",
            "(lowest -> highest)",
            "fix:",
        ] {
            assert!(err.contains(want), "missing {want:?} in:\n{err}");
        }
        let layers = [
            "[env]".to_string(),
            format!("[roles.{role}.env]"),
            format!("[workspaces.{ws}.env]"),
            format!("[workspaces.{ws}.roles.{role}.env]"),
        ];
        let mut at = 0;
        for l in &layers {
            let line = err[at..]
                .lines()
                .find(|x| x.trim_start().starts_with(l.as_str()))
                .unwrap_or_else(|| panic!("layer {l} missing (in order) in:\n{err}"));
            assert!(line.trim_end().ends_with("unset"), "{line}");
            at = err.find(line).unwrap() + line.len();
        }
        // Nothing exists: no container, no volume, no index entry.
        let cs = e
            .list_containers(&[("io.jackin.role", Some(role.as_str()))])
            .await
            .unwrap();
        assert!(cs.is_empty(), "{cs:?}");
        let vols = engine_cli(kind, e.socket())
            .args([
                "volume",
                "ls",
                "-q",
                "--filter",
                &format!("label=io.jackin.role={role}"),
            ])
            .output()
            .unwrap();
        assert!(vols.status.success());
        assert_eq!(
            String::from_utf8_lossy(&vols.stdout).trim(),
            "",
            "volumes left"
        );
        let ps = j.ok(&["ps", "--json", "--engine", kind.as_str()]);
        assert!(!ps.stdout.contains(&role), "{}", ps.stdout);
        let index = std::fs::read_to_string(j.data_dir.join("instances.json")).unwrap_or_default();
        assert!(!index.contains(&role), "index entry left: {index}");
    }
);

// C12: a mode the agent does not support: usage error, file untouched.
engine_test!(c12_wrong_mode_for_agent_changes_nothing, |kind| {
    let _ = kind;
    let j = Jackin::new(kind, "c12");
    j.ok(&["config", "auth", "set", "sync", "--agent", "claude"]);
    let path = j.config_dir.join("config.toml");
    let before = std::fs::read(&path).unwrap();
    let r = j.run(&["config", "auth", "set", "oauth_token", "--agent", "codex"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("codex"), "{}", r.stderr);
    for m in ["sync", "api_key", "ignore"] {
        assert!(r.stderr.contains(m), "modes listed: {}", r.stderr);
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "config.toml changed");

    // The same through a workspace, and through a hand edit: refused at
    // config time, naming the agent, the file and line.
    let ws = format!("ws-{}", j.name);
    let cwd = j.cwd.display().to_string();
    j.ok(&[
        "workspace",
        "create",
        &ws,
        "--workdir",
        &cwd,
        "--mount",
        &cwd,
    ]);
    let before = std::fs::read(&path).unwrap();
    let r = j.run(&[
        "workspace",
        "auth",
        "set",
        &ws,
        "oauth_token",
        "--agent",
        "codex",
    ]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("codex") && r.stderr.contains("api_key"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&path).unwrap(), before, "config.toml changed");
    let mut edited = before.clone();
    edited.extend_from_slice(b"\n[codex]\nauth_forward = \"oauth_token\"\n");
    std::fs::write(&path, &edited).unwrap();
    let role = format!("r-{}", j.name);
    let r = j.run(&["load", &role, "--detach", "--engine", kind.as_str()]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("codex") && r.stderr.contains("config.toml"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("sync, api_key, ignore") || r.stderr.contains("api_key"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        edited,
        "an invalid config is never rewritten"
    );
    assert!(j.loaded_ids().is_empty());
});

fn header(name: &[u8], kind: tar::EntryType, size: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(0o600);
    h.set_mtime(0);
    // Raw name bytes: tar::Header::set_path refuses `..` and absolute paths.
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_cksum();
    h
}

fn manifest(path: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "version": 1,
        "user": "agent",
        "agents": [{
            "agent": "claude",
            "mode": "sync",
            "action": "synced",
            "files": [{"path": path, "op": {"kind": "write", "entry": "good"}}],
            "env": {"C13_MARK": "applied"}
        }]
    }))
    .unwrap()
}

const GOOD: &[u8] = br#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-c13"}}"#;

/// manifest.json (writing `path` from entry `good`), entry `good`, then
/// `hostile` (raw header bytes and data) if any.
fn bundle(path: &str, hostile: Option<(tar::Header, Vec<u8>)>) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let m = manifest(path);
    b.append(
        &header(b"manifest.json", tar::EntryType::Regular, m.len() as u64),
        &m[..],
    )
    .unwrap();
    b.append(
        &header(b"good", tar::EntryType::Regular, GOOD.len() as u64),
        GOOD,
    )
    .unwrap();
    if let Some((h, data)) = hostile {
        let out = b.get_mut();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(&data);
        let pad = (512 - data.len() % 512) % 512;
        out.extend(std::iter::repeat_n(0u8, pad));
    }
    b.into_inner().unwrap()
}

async fn receive(e: &dyn Engine, c: &str, bytes: Vec<u8>) -> jackin::engine::ExecOutput {
    e.exec(
        c,
        &ExecSpec {
            cmd: vec!["/jackin/jackin-init".into(), "receive".into()],
            user: Some("0".into()),
            stdin: Some(bytes),
            ..Default::default()
        },
    )
    .await
    .expect("exec jackin-init receive")
}

/// Everything a bundle could have touched: /etc/passwd, the home tree, the
/// runtime folder.
async fn snapshot(e: &dyn Engine, c: &str) -> String {
    let o = root_exec(
        e,
        c,
        &[
            "sh",
            "-c",
            "sha256sum /etc/passwd; ls -laR /home/agent /run/jackin /etc /tmp; \
             find /home/agent /run/jackin -type f -exec sha256sum {} +",
        ],
    )
    .await;
    String::from_utf8_lossy(&o.stdout).into_owned()
}

// C13: hostile bundles are refused whole, with a clear message.
engine_test!(
    c13_hostile_bundles_are_refused_and_nothing_applied,
    |kind| {
        let e = engine(kind).await;
        let j = Jackin::new(kind, "c13");
        let role = format!("r-{}", j.name);
        j.add_role(&role, PROBE_IMAGE, &["claude"]);
        let l = j.load(&role, &[]);
        let c = l.container.as_str();
        let cred = ".claude/.credentials.json";
        let before = snapshot(&*e, c).await;
        assert!(!before.contains(".credentials.json"), "{before}");

        let reg = tar::EntryType::Regular;
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "manifest path with ..",
                bundle("../../etc/passwd", None),
                "../../etc/passwd",
            ),
            (
                "absolute manifest path",
                bundle("/etc/passwd", None),
                "/etc/passwd",
            ),
            (
                "tar entry ../../etc/passwd",
                bundle(
                    cred,
                    Some((header(b"../../etc/passwd", reg, 5), b"evil\n".to_vec())),
                ),
                "../../etc/passwd",
            ),
            (
                "absolute tar entry",
                bundle(
                    cred,
                    Some((header(b"/etc/passwd", reg, 5), b"evil\n".to_vec())),
                ),
                "/etc/passwd",
            ),
            (
                "symlink entry",
                bundle(
                    cred,
                    Some((
                        {
                            let mut h = header(b"link", tar::EntryType::Symlink, 0);
                            h.set_link_name("/etc/passwd").unwrap();
                            h.set_cksum();
                            h
                        },
                        vec![],
                    )),
                ),
                "symbolic link",
            ),
            (
                "2 GiB size header",
                bundle(cred, Some((header(b"big", reg, 2 << 30), vec![]))),
                "2147483648",
            ),
        ];
        for (what, bytes, needle) in cases {
            let o = receive(&*e, c, bytes).await;
            let err = String::from_utf8_lossy(&o.stderr);
            assert_ne!(o.exit_code, 0, "{what}: accepted");
            assert!(
                err.contains("refused") && err.contains(needle),
                "{what}: unclear message: {err}"
            );
            assert!(!err.contains("panicked"), "{what}: {err}");
            assert_eq!(
                snapshot(&*e, c).await,
                before,
                "{what}: something was applied"
            );
        }
        // Control: the same bundle without the hostile part is applied.
        let o = receive(&*e, c, bundle(cred, None)).await;
        assert_eq!(o.exit_code, 0, "{}", String::from_utf8_lossy(&o.stderr));
        let got =
            jackin_tests::sandbox::read_file(&*e, c, "/home/agent/.claude/.credentials.json").await;
        assert_eq!(got.as_deref(), Some(GOOD));
    }
);

// SPEC §10/§11: an engine that is not running and a missing image are
// clear errors that create nothing.
engine_test!(
    missing_engine_or_image_is_a_clear_error_and_creates_nothing,
    |kind| {
        let j = Jackin::new(kind, "noengine");
        let role = format!("r-{}", j.name);
        j.add_role(&role, PROBE_IMAGE, &["claude"]);
        let sock = j.root().join("no-such.sock");
        let host = format!("unix://{}", sock.display());
        let r = j.run(&[
            "load",
            &role,
            "--detach",
            "--network",
            "none",
            "--engine",
            kind.as_str(),
            "--host",
            &host,
        ]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stderr.contains(&sock.display().to_string()),
            "names the socket: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("start"),
            "says what to start: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("os error"), "{}", r.stderr);

        let missing = format!("localhost/jackin-test/missing-{}:latest", j.name);
        let role2 = format!("m-{}", j.name);
        j.add_role(&role2, &missing, &["claude"]);
        let (r, v) = j.load_raw(&role2, &[]);
        assert!(v.is_none());
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stderr.contains(&missing) && r.stderr.contains(kind.as_str()),
            "{}",
            r.stderr
        );
        let index = std::fs::read_to_string(j.data_dir.join("instances.json")).unwrap_or_default();
        assert!(!index.contains(&role) && !index.contains(&role2), "{index}");
        let e = engine(kind).await;
        for r in [&role, &role2] {
            let cs = e
                .list_containers(&[("io.jackin.role", Some(r.as_str()))])
                .await
                .unwrap();
            assert!(cs.is_empty(), "{cs:?}");
        }
    }
);
