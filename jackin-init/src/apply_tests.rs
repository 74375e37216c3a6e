//! Unit tests of every apply rule of `receive`, against a temporary root.
//! They chown to a fake uid, so they need root (as in CI).

use super::*;
use crate::bundle::{write_bundle, BundleFile};
use crate::manifest::{AgentPlan, FileOp, Manifest, FORMAT_VERSION};
use serde_json::json;
use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

const UID: u32 = 4242;
const GID: u32 = 4343;

struct Fx {
    _dir: tempfile::TempDir,
    root: Root,
    home: PathBuf,
}

fn fx() -> Fx {
    assert!(
        nix::unistd::geteuid().is_root(),
        "apply tests chown files to a fake user and must run as root"
    );
    let dir = tempfile::tempdir().unwrap();
    let root = Root::with_prefix(dir.path().into());
    std::fs::create_dir_all(root.path("/etc")).unwrap();
    std::fs::write(
        root.path("/etc/passwd"),
        format!("root:x:0:0::/root:/bin/sh\nagent:x:{UID}:{GID}::/home/agent:/bin/sh\n"),
    )
    .unwrap();
    std::fs::write(root.path("/etc/group"), format!("agent:x:{GID}:\n")).unwrap();
    std::fs::create_dir_all(root.path("/run/jackin")).unwrap();
    let home = root.path("/home/agent");
    std::fs::create_dir_all(&home).unwrap();
    Fx {
        _dir: dir,
        root,
        home,
    }
}

fn op(path: &str, op: FileAction) -> FileOp {
    FileOp {
        path: path.into(),
        op,
    }
}
fn write(path: &str, entry: &str) -> FileOp {
    op(
        path,
        FileAction::Write {
            entry: entry.into(),
        },
    )
}
fn patch(path: &str, remove: &[&str], set: Value, create: bool) -> FileOp {
    let set = set.as_object().unwrap().clone();
    let remove = remove.iter().map(|s| s.to_string()).collect();
    op(
        path,
        FileAction::PatchJson {
            remove,
            set,
            create,
        },
    )
}
fn agent(
    name: &str,
    mode: &str,
    action: Action,
    files: Vec<FileOp>,
    env: &[(&str, &str)],
) -> AgentPlan {
    AgentPlan {
        agent: name.into(),
        mode: mode.into(),
        action,
        files,
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn run(fx: &Fx, agents: Vec<AgentPlan>, files: &[(&str, &[u8])]) -> Result<Vec<Report>> {
    let m = Manifest {
        version: FORMAT_VERSION,
        user: None,
        agents,
    };
    let files: Vec<BundleFile> = files
        .iter()
        .map(|(e, d)| BundleFile {
            entry: e.to_string(),
            data: d.to_vec(),
        })
        .collect();
    let mut buf = Vec::new();
    write_bundle(&m, &files, &mut buf).unwrap();
    receive(&buf[..], &fx.root)
}

fn meta(p: &Path) -> (u32, u32, u32) {
    let m = std::fs::symlink_metadata(p).unwrap();
    (m.permissions().mode() & 0o7777, m.uid(), m.gid())
}
fn json_at(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

const CREDS: &[u8] = br#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-x","refreshToken":"r"}}"#;

#[test]
fn sync_writes_files_0600_in_new_0700_folders_owned_by_the_user() {
    let fx = fx();
    std::fs::write(fx.home.join(".claude.json"), br#"{"theme":"dark"}"#).unwrap();
    let reports = run(
        &fx,
        vec![agent(
            "claude",
            "sync",
            Action::Synced,
            vec![
                write(".claude/.credentials.json", "claude-0"),
                patch(
                    ".claude.json",
                    &[],
                    json!({"oauthAccount":{"emailAddress":"w@x"},"hasCompletedOnboarding":true}),
                    true,
                ),
            ],
            &[],
        )],
        &[("claude-0", CREDS)],
    )
    .unwrap();
    let creds = fx.home.join(".claude/.credentials.json");
    assert_eq!(std::fs::read(&creds).unwrap(), CREDS);
    assert_eq!(meta(&creds), (0o600, UID, GID));
    assert_eq!(meta(&fx.home.join(".claude")), (0o700, UID, GID));
    assert_eq!(
        json_at(&fx.home.join(".claude.json")),
        json!({"theme":"dark","oauthAccount":{"emailAddress":"w@x"},"hasCompletedOnboarding":true})
    );
    assert_eq!(meta(&fx.home.join(".claude.json")), (0o600, UID, GID));
    assert_eq!(reports[0].result, Action::Synced);
    assert_eq!(
        reports[0].files,
        [".claude/.credentials.json", ".claude.json"]
    );
    let leftovers: Vec<_> = std::fs::read_dir(fx.home.join(".claude"))
        .unwrap()
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary file may remain");
}

#[test]
fn sync_replaces_an_existing_file_and_leaves_existing_folders_alone() {
    let fx = fx();
    std::fs::create_dir(fx.home.join(".codex")).unwrap();
    std::fs::set_permissions(
        fx.home.join(".codex"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::fs::write(fx.home.join(".codex/auth.json"), "old").unwrap();
    run(
        &fx,
        vec![agent(
            "codex",
            "sync",
            Action::Synced,
            vec![write(".codex/auth.json", "c")],
            &[],
        )],
        &[("c", br#"{"OPENAI_API_KEY":"sk-new"}"#)],
    )
    .unwrap();
    assert_eq!(
        std::fs::read(fx.home.join(".codex/auth.json")).unwrap(),
        br#"{"OPENAI_API_KEY":"sk-new"}"#
    );
    assert_eq!(meta(&fx.home.join(".codex")).0, 0o755);
}

#[test]
fn sync_without_host_login_keeps_content_and_repairs_owner_and_mode() {
    let fx = fx();
    std::fs::create_dir(fx.home.join(".codex")).unwrap();
    let f = fx.home.join(".codex/auth.json");
    std::fs::write(&f, "container login").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    let reports = run(
        &fx,
        vec![agent(
            "codex",
            "sync",
            Action::Kept,
            vec![
                op(".codex/auth.json", FileAction::Keep),
                op(".amp/none.json", FileAction::Keep),
            ],
            &[],
        )],
        &[],
    )
    .unwrap();
    assert_eq!(std::fs::read(&f).unwrap(), b"container login");
    assert_eq!(meta(&f), (0o600, UID, GID));
    assert!(!fx.home.join(".amp").exists(), "keep creates nothing");
    assert_eq!(reports[0].result, Action::Kept);
    assert_eq!(reports[0].files, [".codex/auth.json"]);
}

#[test]
fn keep_refuses_a_file_with_several_hard_links() {
    let fx = fx();
    std::fs::write(fx.home.join("other"), "x").unwrap();
    std::fs::hard_link(fx.home.join("other"), fx.home.join("auth.json")).unwrap();
    let e = run(
        &fx,
        vec![agent(
            "codex",
            "sync",
            Action::Kept,
            vec![op("auth.json", FileAction::Keep)],
            &[],
        )],
        &[],
    )
    .unwrap_err();
    assert!(e.message().contains("several hard links"), "{e}");
    assert_eq!(meta(&fx.home.join("other")).1, 0, "owner unchanged");
}

#[test]
fn ignore_blanks_credential_files_and_drops_the_claude_account() {
    let fx = fx();
    std::fs::create_dir(fx.home.join(".claude")).unwrap();
    std::fs::write(fx.home.join(".claude/.credentials.json"), CREDS).unwrap();
    std::fs::write(
        fx.home.join(".claude.json"),
        br#"{"oauthAccount":{"emailAddress":"a@b"},"numStartups":3}"#,
    )
    .unwrap();
    let reports = run(
        &fx,
        vec![
            agent(
                "claude",
                "ignore",
                Action::Revoked,
                vec![
                    op(".claude/.credentials.json", FileAction::Clear),
                    patch(".claude.json", &["oauthAccount"], json!({}), false),
                ],
                &[],
            ),
            agent(
                "codex",
                "ignore",
                Action::Revoked,
                vec![op(".codex/auth.json", FileAction::Clear)],
                &[],
            ),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(
        std::fs::read(fx.home.join(".claude/.credentials.json")).unwrap(),
        b"{}"
    );
    assert_eq!(
        json_at(&fx.home.join(".claude.json")),
        json!({"numStartups":3})
    );
    assert!(!fx.home.join(".codex").exists(), "clear creates nothing");
    assert_eq!(reports[0].result, Action::Revoked);
    assert_eq!(reports[1].files, Vec::<String>::new());
}

#[test]
fn oauth_token_revokes_files_marks_onboarding_and_puts_the_token_in_run_only() {
    let fx = fx();
    std::fs::create_dir(fx.home.join(".claude")).unwrap();
    std::fs::write(fx.home.join(".claude/.credentials.json"), CREDS).unwrap();
    let reports = run(
        &fx,
        vec![agent(
            "claude",
            "oauth_token",
            Action::Env,
            vec![
                op(".claude/.credentials.json", FileAction::Clear),
                patch(
                    ".claude.json",
                    &["oauthAccount"],
                    json!({"hasCompletedOnboarding":true}),
                    true,
                ),
            ],
            &[("CLAUDE_CODE_OAUTH_TOKEN", "sk-ant-oat01-secret")],
        )],
        &[],
    )
    .unwrap();
    assert_eq!(
        std::fs::read(fx.home.join(".claude/.credentials.json")).unwrap(),
        b"{}"
    );
    assert_eq!(
        json_at(&fx.home.join(".claude.json")),
        json!({"hasCompletedOnboarding":true})
    );
    let env_file = fx.root.env_file("claude");
    let env: BTreeMap<String, String> =
        serde_json::from_slice(&std::fs::read(&env_file).unwrap()).unwrap();
    assert_eq!(env["CLAUDE_CODE_OAUTH_TOKEN"], "sk-ant-oat01-secret");
    assert_eq!(meta(&env_file).0, 0o600);
    assert_eq!(meta(&fx.root.path("/run/jackin/env")).0, 0o700);
    assert_eq!(reports[0].env, ["CLAUDE_CODE_OAUTH_TOKEN"]);
    let line = serde_json::to_string(&reports[0]).unwrap();
    assert!(
        !line.contains("secret"),
        "report must not carry values: {line}"
    );
    for f in walk(&fx.home) {
        assert!(
            !std::fs::read(&f)
                .unwrap()
                .windows(6)
                .any(|w| w == b"secret"),
            "{f:?} holds the token"
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn runtime_files_are_written_and_stale_agent_env_is_removed() {
    let fx = fx();
    std::fs::create_dir_all(fx.root.path("/run/jackin/env")).unwrap();
    std::fs::write(fx.root.env_file("amp"), r#"{"AMP_API_KEY":"old"}"#).unwrap();
    run(
        &fx,
        vec![agent(
            "codex",
            "api_key",
            Action::Env,
            vec![],
            &[("OPENAI_API_KEY", "k")],
        )],
        &[],
    )
    .unwrap();
    assert!(!fx.root.env_file("amp").exists());
    assert!(fx.root.path("/run/jackin/ready").exists());
    let user: crate::passwd::TargetUser =
        serde_json::from_slice(&std::fs::read(fx.root.path("/run/jackin/user.json")).unwrap())
            .unwrap();
    assert_eq!(
        (user.name.as_str(), user.uid, user.gid, user.home.as_str()),
        ("agent", UID, GID, "/home/agent")
    );
}

#[test]
fn a_symlink_in_the_home_refuses_the_whole_bundle() {
    let fx = fx();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), fx.home.join(".claude")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("x"), fx.home.join(".claude.json")).unwrap();
    let codex = agent(
        "codex",
        "sync",
        Action::Synced,
        vec![write(".codex/auth.json", "c")],
        &[],
    );
    for (path, shown) in [
        (".claude/.credentials.json", "/home/agent/.claude"),
        (".claude.json", "/home/agent/.claude.json"),
    ] {
        let claude = agent(
            "claude",
            "sync",
            Action::Synced,
            vec![write(path, "e")],
            &[],
        );
        let e = run(
            &fx,
            vec![codex.clone(), claude],
            &[("c", b"{}"), ("e", CREDS)],
        )
        .unwrap_err();
        assert!(
            e.message()
                .starts_with(&format!("{shown} is a symbolic link")),
            "{e}"
        );
        assert!(e.message().contains("nothing was applied"), "{e}");
    }
    assert!(
        !fx.home.join(".codex").exists(),
        "the earlier agent was not applied"
    );
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    assert!(!fx.root.path("/run/jackin/ready").exists());
    assert!(!fx.root.path("/run/jackin/env").exists());
}

#[test]
fn a_file_where_a_folder_is_needed_is_refused() {
    let fx = fx();
    std::fs::write(fx.home.join(".claude"), "not a folder").unwrap();
    let e = run(
        &fx,
        vec![agent(
            "claude",
            "sync",
            Action::Synced,
            vec![write(".claude/c.json", "e")],
            &[],
        )],
        &[("e", b"{}")],
    )
    .unwrap_err();
    assert!(
        e.message().contains("/home/agent/.claude is not a folder"),
        "{e}"
    );
}

#[test]
fn missing_runtime_folder_or_home_is_a_clear_error() {
    let fx = fx();
    std::fs::remove_dir(fx.home.clone()).unwrap();
    let e = run(&fx, vec![], &[]).unwrap_err();
    assert!(e.message().contains("home folder of user `agent`"), "{e}");
    std::fs::remove_dir(fx.root.path("/run/jackin")).unwrap();
    let e = run(&fx, vec![], &[]).unwrap_err();
    assert!(
        e.message()
            .contains("runs only in a container made by jackin"),
        "{e}"
    );
}

#[test]
fn remove_deletes_the_file_and_nothing_else() {
    let fx = fx();
    std::fs::create_dir(fx.home.join(".codex")).unwrap();
    std::fs::write(
        fx.home.join(".codex/auth.json"),
        br#"{"OPENAI_API_KEY":"sk-old"}"#,
    )
    .unwrap();
    std::fs::write(fx.home.join(".codex/config.toml"), b"model = \"x\"\n").unwrap();
    let reports = run(
        &fx,
        vec![agent(
            "codex",
            "ignore",
            Action::Revoked,
            vec![op(".codex/auth.json", FileAction::Remove)],
            &[],
        )],
        &[],
    )
    .unwrap();
    assert!(!fx.home.join(".codex/auth.json").exists());
    assert!(fx.home.join(".codex/config.toml").exists());
    assert_eq!(reports[0].files, vec![".codex/auth.json".to_string()]);
    // Removing a file that is not there changes nothing and lists nothing.
    let reports = run(
        &fx,
        vec![agent(
            "codex",
            "ignore",
            Action::Revoked,
            vec![op(".codex/auth.json", FileAction::Remove)],
            &[],
        )],
        &[],
    )
    .unwrap();
    assert!(reports[0].files.is_empty());
}

#[test]
fn set_merges_objects_recursively_and_keeps_other_projects() {
    let fx = fx();
    std::fs::write(
        fx.home.join(".claude.json"),
        br#"{"projects":{"/a":{"hasTrustDialogAccepted":false,"history":[1]}},"theme":"dark"}"#,
    )
    .unwrap();
    run(
        &fx,
        vec![agent(
            "claude",
            "sync",
            Action::Synced,
            vec![patch(
                ".claude.json",
                &[],
                json!({"projects":{"/a":{"hasTrustDialogAccepted":true},"/b":{"hasTrustDialogAccepted":true}}}),
                true,
            )],
            &[],
        )],
        &[],
    )
    .unwrap();
    assert_eq!(
        json_at(&fx.home.join(".claude.json")),
        json!({"projects":{"/a":{"hasTrustDialogAccepted":true,"history":[1]},"/b":{"hasTrustDialogAccepted":true}},"theme":"dark"})
    );
}

#[test]
fn a_root_owned_home_is_given_to_the_user_but_not_by_a_refused_bundle() {
    let fx = fx();
    std::fs::set_permissions(&fx.home, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(meta(&fx.home), (0o755, 0, 0));
    // Refused (symlink on the way): the home keeps its owner.
    std::os::unix::fs::symlink("/etc", fx.home.join(".codex")).unwrap();
    let bad = agent(
        "codex",
        "sync",
        Action::Synced,
        vec![write(".codex/auth.json", "a")],
        &[],
    );
    assert!(run(&fx, vec![bad], &[("a", b"{}")]).is_err());
    assert_eq!(meta(&fx.home), (0o755, 0, 0));
    std::fs::remove_file(fx.home.join(".codex")).unwrap();
    // Applied: the home folder itself now belongs to the user, mode kept.
    let ok = agent("claude", "ignore", Action::Revoked, vec![], &[]);
    run(&fx, vec![ok], &[]).unwrap();
    assert_eq!(meta(&fx.home), (0o755, UID, GID));
}
