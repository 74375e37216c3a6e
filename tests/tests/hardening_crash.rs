//! Crash safety of `jackin-init receive` (the static binary): killed at many
//! points during an apply that rewrites existing credential files, every
//! credential file is then its old or its new content — never truncated,
//! never empty — and a rerun completes.
//!
//! Two ways of dying: the test-only hook `JACKIN_INIT_TEST_ABORT_AFTER_WRITES
//! =N` (abort right after the N-th rename, for every N until the apply
//! completes), and a real SIGKILL after random delays.

mod hardening_common;

use hardening_common::init_bin;
use jackin_init::bundle::{write_bundle, BundleFile};
use jackin_init::manifest::{Action, AgentPlan, FileAction, FileOp, Manifest, FORMAT_VERSION};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

const UID: u32 = 4242;
const GID: u32 = 4343;

/// Home-relative credential files and their content before the apply.
fn old_files() -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        (
            ".claude/.credentials.json",
            r#"{"claudeAiOauth":{"accessToken":"OLD-claude"}}"#.to_string(),
        ),
        (
            ".claude.json",
            r#"{"oauthAccount":{"emailAddress":"old@example.com"},"numStartups":7}"#.to_string(),
        ),
        (
            ".codex/auth.json",
            r#"{"OPENAI_API_KEY":"OLD-codex"}"#.to_string(),
        ),
        (
            ".local/share/amp/secrets.json",
            r#"{"apiKey@https://ampcode.com/":"OLD-amp"}"#.to_string(),
        ),
        (
            ".local/share/opencode/auth.json",
            r#"{"anthropic":{"type":"api","key":"OLD-opencode"}}"#.to_string(),
        ),
    ])
}

fn write_op(path: &str, entry: &str) -> FileOp {
    FileOp {
        path: path.into(),
        op: FileAction::Write {
            entry: entry.into(),
        },
    }
}

/// A bundle that rewrites every file above: claude and codex synced, amp
/// revoked (`ignore`: the file becomes `{}`), opencode synced, and
/// `.claude.json` patched.
fn rewrite_bundle() -> Vec<u8> {
    let plan = |agent: &str, mode: &str, action, files| AgentPlan {
        agent: agent.into(),
        mode: mode.into(),
        action,
        files,
        env: Default::default(),
    };
    let patch = serde_json::json!({"oauthAccount": {"emailAddress": "new@example.com"}, "hasCompletedOnboarding": true});
    let m = Manifest {
        version: FORMAT_VERSION,
        user: Some("agent".into()),
        agents: vec![
            plan(
                "claude",
                "sync",
                Action::Synced,
                vec![
                    write_op(".claude/.credentials.json", "c"),
                    FileOp {
                        path: ".claude.json".into(),
                        op: FileAction::PatchJson {
                            remove: vec![],
                            set: patch.as_object().unwrap().clone(),
                            create: true,
                        },
                    },
                ],
            ),
            plan(
                "codex",
                "sync",
                Action::Synced,
                vec![write_op(".codex/auth.json", "x")],
            ),
            plan(
                "amp",
                "ignore",
                Action::Revoked,
                vec![FileOp {
                    path: ".local/share/amp/secrets.json".into(),
                    op: FileAction::Clear,
                }],
            ),
            plan(
                "opencode",
                "sync",
                Action::Synced,
                vec![write_op(".local/share/opencode/auth.json", "o")],
            ),
        ],
    };
    let f = |entry: &str, data: &str| BundleFile {
        entry: entry.into(),
        data: data.as_bytes().to_vec(),
    };
    let files = [
        f(
            "c",
            r#"{"claudeAiOauth":{"accessToken":"NEW-claude","refreshToken":"NEW-r","scopes":["user:inference"]}}"#,
        ),
        f("x", r#"{"OPENAI_API_KEY":"NEW-codex"}"#),
        f("o", r#"{"anthropic":{"type":"api","key":"NEW-opencode"}}"#),
    ];
    let mut out = Vec::new();
    write_bundle(&m, &files, &mut out).unwrap();
    out
}

/// A container root whose home already holds [`old_files`].
fn lived_in_root() -> tempfile::TempDir {
    assert!(
        nix::unistd::geteuid().is_root(),
        "this test runs jackin-init receive, which chowns: run it as root (CI does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let p = |rel: &str| dir.path().join(rel);
    std::fs::create_dir_all(p("etc")).unwrap();
    std::fs::write(
        p("etc/passwd"),
        format!("root:x:0:0:root:/root:/bin/sh\nagent:x:{UID}:{GID}::/home/agent:/bin/sh\n"),
    )
    .unwrap();
    std::fs::write(p("etc/group"), format!("root:x:0:\nagent:x:{GID}:\n")).unwrap();
    std::fs::create_dir_all(p("run/jackin")).unwrap();
    std::fs::set_permissions(p("run/jackin"), std::fs::Permissions::from_mode(0o700)).unwrap();
    for (rel, content) in old_files() {
        let f = p("home/agent").join(rel);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(&f, content).unwrap();
    }
    std::os::unix::fs::chown(p("home/agent"), Some(UID), Some(GID)).unwrap();
    dir
}

fn receive(root: &Path, bundle: &[u8], env: &[(&str, &str)]) -> std::process::Child {
    let mut child = Command::new(init_bin())
        .arg("receive")
        .env("JACKIN_INIT_ROOT", root)
        .env_remove("JACKIN_INIT_TEST_ABORT_AFTER_WRITES")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", init_bin().display()));
    let _ = child.stdin.take().unwrap().write_all(bundle);
    child
}

fn home_files(root: &Path) -> BTreeMap<&'static str, Option<Vec<u8>>> {
    old_files()
        .keys()
        .map(|rel| (*rel, std::fs::read(root.join("home/agent").join(rel)).ok()))
        .collect()
}

/// Every credential file is exactly its old or its new content.
fn assert_old_or_new(
    root: &Path,
    new: &BTreeMap<&'static str, Option<Vec<u8>>>,
    when: &str,
) -> usize {
    let old = old_files();
    let mut changed = 0;
    for (rel, now) in home_files(root) {
        let now = now.unwrap_or_else(|| panic!("{when}: {rel} disappeared"));
        assert!(!now.is_empty(), "{when}: {rel} is empty");
        let is_old = now == old[rel].as_bytes();
        let is_new = Some(&now) == new[rel].as_ref();
        assert!(
            is_old || is_new,
            "{when}: {rel} is neither old nor new: {:?}",
            String::from_utf8_lossy(&now)
        );
        changed += usize::from(is_new && !is_old);
    }
    changed
}

/// The files after a complete apply, from a reference run.
fn new_files(bundle: &[u8]) -> BTreeMap<&'static str, Option<Vec<u8>>> {
    let root = lived_in_root();
    let out = receive(root.path(), bundle, &[])
        .wait_with_output()
        .unwrap();
    assert!(
        out.status.success(),
        "reference apply failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = home_files(root.path());
    for (rel, content) in &files {
        let c = content.as_ref().unwrap();
        assert_ne!(
            c.as_slice(),
            old_files()[rel].as_bytes(),
            "{rel} was not rewritten"
        );
    }
    files
}

fn rerun_completes(root: &Path, bundle: &[u8], new: &BTreeMap<&'static str, Option<Vec<u8>>>) {
    let out = receive(root, bundle, &[]).wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the rerun failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(&home_files(root), new, "after the rerun every file is new");
    assert!(
        root.join("run/jackin/ready").exists(),
        "ready after the rerun"
    );
}

#[test]
fn abort_after_each_rename_leaves_old_or_new_and_a_rerun_completes() {
    let bundle = rewrite_bundle();
    let new = new_files(&bundle);
    let mut aborted = 0;
    for n in 1..=64 {
        let root = lived_in_root();
        let out = receive(
            root.path(),
            &bundle,
            &[("JACKIN_INIT_TEST_ABORT_AFTER_WRITES", &n.to_string())],
        )
        .wait_with_output()
        .unwrap();
        if out.status.success() {
            // N is past the last rename: the apply completed.
            assert_eq!(home_files(root.path()), new, "N={n}: complete apply");
            break;
        }
        aborted += 1;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("aborting after rename {n}")),
            "N={n}: {stderr}"
        );
        let changed = assert_old_or_new(root.path(), &new, &format!("abort after rename {n}"));
        // `ready` is renamed last: when it exists the apply was complete.
        if root.path().join("run/jackin/ready").exists() {
            assert_eq!(
                home_files(root.path()),
                new,
                "N={n}: ready before a complete apply"
            );
        }
        // Renames of credential files happen in order: at most n are new.
        assert!(changed <= n, "N={n}: {changed} files changed");
        rerun_completes(root.path(), &bundle, &new);
    }
    // Five credential files plus the env and user files on the tmpfs.
    assert!(
        aborted >= 5,
        "only {aborted} crash points: the hook did not fire per write"
    );
}

#[test]
fn sigkill_at_random_moments_leaves_old_or_new_and_a_rerun_completes() {
    let bundle = rewrite_bundle();
    let new = new_files(&bundle);
    let mut seen_partial_or_killed = 0;
    // Delays from 0 to ~3 ms spread over the apply (a complete receive takes
    // about a millisecond or two here).
    for i in 0..40u64 {
        let root = lived_in_root();
        let mut child = receive(root.path(), &bundle, &[]);
        std::thread::sleep(std::time::Duration::from_micros(i * 75));
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
        let status = child.wait().unwrap();
        if !status.success() {
            seen_partial_or_killed += 1;
        }
        assert_old_or_new(root.path(), &new, &format!("SIGKILL after {} µs", i * 75));
        rerun_completes(root.path(), &bundle, &new);
    }
    assert!(
        seen_partial_or_killed > 0,
        "no run was killed: the delays are too long"
    );
}
