//! `jackin-init receive` as a process, against a temporary root: the good
//! path, every hostile shape of case C13, and crash safety.

mod common;
use common::*;
use jackin_init::manifest::{Action, FileAction, FileOp};
use serde_json::{json, Value};
use std::os::unix::fs::MetadataExt;

const CREDS: &[u8] = br#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-x","refreshToken":"sk-ant-ort01-y","scopes":["user:inference"]}}"#;

fn sync_bundle() -> Vec<u8> {
    let m = manifest(vec![
        plan(
            "claude",
            "sync",
            Action::Synced,
            vec![
                write_op(".claude/.credentials.json", "claude-0"),
                FileOp {
                    path: ".claude.json".into(),
                    op: FileAction::PatchJson {
                        remove: vec![],
                        set: json!({"oauthAccount":{"emailAddress":"someone@example.com"},"hasCompletedOnboarding":true})
                            .as_object()
                            .unwrap()
                            .clone(),
                        create: true,
                    },
                },
            ],
            &[],
        ),
        plan("codex", "api_key", Action::Env, vec![FileOp { path: ".codex/auth.json".into(), op: FileAction::Clear }], &[("OPENAI_API_KEY", "sk-codex-secret")]),
    ]);
    bundle(&m, &[("claude-0", CREDS)])
}

#[test]
fn receive_applies_a_bundle_and_reports_one_line_per_agent() {
    let c = Container::new();
    let out = c.receive(&sync_bundle());
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            json!({"agent":"claude","mode":"sync","result":"synced","files":[".claude/.credentials.json",".claude.json"],"env":[]}),
            json!({"agent":"codex","mode":"api_key","result":"env","files":[],"env":["OPENAI_API_KEY"]}),
        ]
    );
    assert!(!stdout(&out).contains("secret"));
    let creds = c.home(".claude/.credentials.json");
    assert_eq!(std::fs::read(&creds).unwrap(), CREDS);
    let m = std::fs::metadata(&creds).unwrap();
    assert_eq!((m.mode() & 0o777, m.uid(), m.gid()), (0o600, UID, GID));
    let d = std::fs::metadata(c.home(".claude")).unwrap();
    assert_eq!((d.mode() & 0o777, d.uid(), d.gid()), (0o700, UID, GID));
    let env: Value =
        serde_json::from_slice(&std::fs::read(c.path("run/jackin/env/codex.json")).unwrap())
            .unwrap();
    assert_eq!(env, json!({"OPENAI_API_KEY":"sk-codex-secret"}));
    assert!(c.path("run/jackin/ready").exists());
}

/// Asserts a refusal: exit 1, `jackin-init: ` + `expect` on stderr, and
/// not one byte, mode or owner changed under the root.
fn assert_refused(c: &Container, bundle: &[u8], expect: &str) {
    let before = c.snapshot();
    let out = c.receive(bundle);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.starts_with("jackin-init: "), "{err}");
    assert!(err.contains(expect), "expected `{expect}` in: {err}");
    assert!(stdout(&out).is_empty(), "no report on refusal");
    assert_eq!(c.snapshot(), before, "a refused bundle changed the disk");
}

/// A container that already holds a login, so "nothing changed" is meaningful.
fn lived_in() -> Container {
    let c = Container::new();
    assert!(c.receive(&sync_bundle()).status.success());
    c
}

#[test]
fn c13_dotdot_path_in_manifest_and_in_tar_entry() {
    let c = lived_in();
    let m = manifest(vec![plan(
        "claude",
        "sync",
        Action::Synced,
        vec![write_op("../../etc/passwd", "e")],
        &[],
    )]);
    assert_refused(
        &c,
        &bundle(&m, &[("e", b"root::0:0::/:/bin/sh\n")]),
        "path `../../etc/passwd` contains `..`",
    );
    let m = manifest(vec![plan(
        "claude",
        "sync",
        Action::Synced,
        vec![write_op(".x", "../../etc/passwd")],
        &[],
    )]);
    let raw = end([raw_manifest(&m), raw_file("../../etc/passwd", b"x")].concat());
    assert_refused(&c, &raw, "tar entry `../../etc/passwd` contains `..`");
}

#[test]
fn c13_absolute_path_in_manifest_and_in_tar_entry() {
    let c = lived_in();
    let m = manifest(vec![plan(
        "claude",
        "sync",
        Action::Synced,
        vec![write_op("/etc/passwd", "e")],
        &[],
    )]);
    assert_refused(
        &c,
        &bundle(&m, &[("e", b"x")]),
        "path `/etc/passwd` is absolute",
    );
    let m = manifest(vec![plan(
        "claude",
        "sync",
        Action::Synced,
        vec![write_op(".x", "/etc/passwd")],
        &[],
    )]);
    let raw = end([raw_manifest(&m), raw_file("/etc/passwd", b"x")].concat());
    assert_refused(&c, &raw, "tar entry `/etc/passwd` is absolute");
}

#[test]
fn c13_symlink_hardlink_and_device_entries() {
    let c = lived_in();
    let m = manifest(vec![plan(
        "claude",
        "sync",
        Action::Synced,
        vec![write_op(".claude/.credentials.json", "e")],
        &[],
    )]);
    for (flag, link, what) in [
        (b'2', "/etc/shadow", "is a symbolic link"),
        (b'1', "/etc/shadow", "is a hard link"),
        (b'3', "", "is a device"),
        (b'4', "", "is a device"),
        (b'6', "", "is a FIFO"),
        (b'5', "", "is a folder"),
        (b'L', "", "is not a regular file"),
        (b'x', "", "is not a regular file"),
    ] {
        let raw = end([
            raw_manifest(&m),
            raw_header("e", flag, "00000000000", link).to_vec(),
        ]
        .concat());
        assert_refused(
            &c,
            &raw,
            &format!("tar entry `e` {what} (only regular files are accepted)"),
        );
    }
}

#[test]
fn c13_two_gib_size_header_is_refused_without_reading_it() {
    let c = lived_in();
    let m = manifest(vec![plan(
        "claude",
        "sync",
        Action::Synced,
        vec![write_op(".claude/.credentials.json", "e")],
        &[],
    )]);
    // 2 GiB = 0o20000000000; no data follows: a reader that tried to
    // allocate or read it would fail differently (or exhaust memory).
    let raw = [
        raw_manifest(&m),
        raw_header("e", b'0', "20000000000", "").to_vec(),
    ]
    .concat();
    assert_refused(
        &c,
        &raw,
        "tar entry `e` declares 2147483648 bytes (limit 1048576)",
    );
    // The manifest itself is limited too.
    let raw = raw_header("manifest.json", b'0', "20000000000", "").to_vec();
    assert_refused(
        &c,
        &raw,
        "tar entry `manifest.json` declares 2147483648 bytes",
    );
}

#[test]
fn c13_duplicate_paths_and_entries() {
    let c = lived_in();
    let m = manifest(vec![
        plan(
            "claude",
            "sync",
            Action::Synced,
            vec![write_op(".claude/.credentials.json", "a")],
            &[],
        ),
        plan(
            "codex",
            "sync",
            Action::Synced,
            vec![write_op(".claude/.credentials.json", "b")],
            &[],
        ),
    ]);
    assert_refused(
        &c,
        &bundle(&m, &[("a", b"{}"), ("b", b"{}")]),
        "duplicate path `.claude/.credentials.json`",
    );
    let m = manifest(vec![plan(
        "claude",
        "sync",
        Action::Synced,
        vec![write_op(".x", "a")],
        &[],
    )]);
    let raw = end([raw_manifest(&m), raw_file("a", b"1"), raw_file("a", b"2")].concat());
    assert_refused(&c, &raw, "duplicate tar entry `a`");
}

#[test]
fn c13_unknown_version_names_both_versions() {
    let c = lived_in();
    let mut m = serde_json::to_value(manifest(vec![])).unwrap();
    m["version"] = json!(99);
    m["future_field"] = json!(true);
    let raw = end(raw_file("manifest.json", &serde_json::to_vec(&m).unwrap()));
    assert_refused(
        &c,
        &raw,
        "bundle format version 99 is not supported by this jackin-init (it reads version 1)",
    );
}

#[test]
fn c13_symlink_already_in_home() {
    let c = lived_in();
    let outside = tempfile::tempdir().unwrap();
    std::fs::remove_dir_all(c.home(".codex")).ok();
    std::os::unix::fs::symlink(outside.path(), c.home(".codex")).unwrap();
    let m = manifest(vec![
        plan(
            "claude",
            "sync",
            Action::Synced,
            vec![write_op(".claude/.credentials.json", "a")],
            &[],
        ),
        plan(
            "codex",
            "sync",
            Action::Synced,
            vec![write_op(".codex/auth.json", "b")],
            &[],
        ),
    ]);
    assert_refused(
        &c,
        &bundle(&m, &[("a", b"{\"new\":1}"), ("b", b"{}")]),
        "/home/agent/.codex is a symbolic link",
    );
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    assert_eq!(
        std::fs::read(c.home(".claude/.credentials.json")).unwrap(),
        CREDS
    );
}

#[test]
fn other_hostile_shapes_are_refused() {
    let c = lived_in();
    let ok = manifest(vec![]);
    assert_refused(
        &c,
        &end(raw_file("e", b"x")),
        "the first tar entry is `e`, not `manifest.json`",
    );
    assert_refused(&c, b"", "the bundle is empty");
    assert_refused(
        &c,
        &end(raw_file("manifest.json", b"{nope")),
        "manifest.json is not valid JSON",
    );
    let mut corrupt = end(raw_manifest(&ok));
    corrupt[0] ^= 1;
    assert_refused(&c, &corrupt, "corrupt tar stream");
    let many: Vec<u8> = (0..64)
        .flat_map(|i| raw_file(&format!("f{i}"), b""))
        .collect();
    assert_refused(
        &c,
        &end([raw_manifest(&ok), many].concat()),
        "more than 64 tar entries",
    );
    let big = vec![b' '; 1 << 20];
    let parts: Vec<u8> = (0..16)
        .flat_map(|i| raw_file(&format!("f{i}"), &big))
        .collect();
    assert_refused(
        &c,
        &end([raw_manifest(&ok), parts].concat()),
        "exceed 16777216 bytes in total",
    );
    let m = manifest(vec![plan(
        "claude",
        "sync",
        Action::Synced,
        vec![write_op(".x", "missing")],
        &[],
    )]);
    assert_refused(
        &c,
        &bundle(&m, &[]),
        "names tar entry `missing`, which the bundle does not contain",
    );
    let mut m = manifest(vec![]);
    m.user = Some("ghost".into());
    assert_refused(&c, &bundle(&m, &[]), "user `ghost` is not listed");
}

#[test]
fn a_crash_between_renames_leaves_each_file_old_or_new() {
    let c = lived_in();
    let m = manifest(vec![
        plan(
            "claude",
            "sync",
            Action::Synced,
            vec![write_op(".claude/.credentials.json", "a")],
            &[],
        ),
        plan(
            "amp",
            "sync",
            Action::Synced,
            vec![write_op(".local/share/amp/secrets.json", "b")],
            &[],
        ),
    ]);
    std::fs::remove_file(c.path("run/jackin/ready")).unwrap();
    let new_creds = br#"{"claudeAiOauth":{"accessToken":"new"}}"#;
    let out = c.receive_with(
        &bundle(
            &m,
            &[
                ("a", new_creds),
                ("b", br#"{"apiKey@https://ampcode.com/":"k"}"#),
            ],
        ),
        &[("JACKIN_INIT_TEST_ABORT_AFTER_WRITES", "1")],
    );
    assert!(!out.status.success());
    assert_eq!(
        std::fs::read(c.home(".claude/.credentials.json")).unwrap(),
        new_creds
    );
    assert!(!c.home(".local/share/amp/secrets.json").exists());
    assert!(
        !c.path("run/jackin/ready").exists(),
        "ready only after a full apply"
    );
    let leftovers: Vec<_> = std::fs::read_dir(c.home(".claude"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn usage_errors_exit_2() {
    let c = Container::new();
    for args in [
        &[][..],
        &["bogus"][..],
        &["receive", "extra"][..],
        &["run", "--agent"][..],
        &["exec", "--what"][..],
    ] {
        let out = c.cmd(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("usage:"), "{args:?}");
    }
}

#[test]
fn fuzz_seeds_are_valid_bundles_written_by_another_tar_implementation() {
    // The seeds (made with Python's tarfile) keep the fuzzer starting from
    // real bundles; they must stay accepted as the format evolves.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/bundle_reader");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let data = std::fs::read(e.path()).unwrap();
        let b = jackin_init::bundle::read_bundle(&data[..])
            .unwrap_or_else(|err| panic!("{:?}: {err}", e.path()));
        assert!(!b.manifest.agents.is_empty());
        n += 1;
    }
    assert!(n >= 2, "seeds missing in {}", dir.display());
}
