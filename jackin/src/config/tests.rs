//! Loader and editor tests: every error kind with its position, unknown
//! keys at every level, and the write path (comments kept, atomic, never
//! overwriting an unparsable file).

use super::*;
use crate::mode::Mode;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const EXAMPLE: &str = r#"engine = "podman"                 # or "docker"

[claude]                          # global × agent
auth_forward = "sync"
sync_source_dir = "~/.claude-work"

[env]                             # global operator env
OPENAI_API_KEY = "$OPENAI_API_KEY"

[roles.agent-smith]
image = "localhost/jackin/agent-smith:latest"
agents = ["claude", "codex", "amp", "opencode"]
default_agent = "claude"
[roles.agent-smith.env]           # role operator env
AMP_API_KEY = "op://dev/amp/key"

[workspaces.my-app]
workdir = "/home/me/src/my-app"
mounts = ["/home/me/src/my-app", "~/data:/data:ro"]  # src[:dst][:ro]
default_role = "agent-smith"
[workspaces.my-app.codex]         # workspace × agent
auth_forward = "api_key"
[workspaces.my-app.env]           # workspace operator env
X = "keyring:svc/acct"
[workspaces.my-app.roles.agent-smith.claude]   # workspace × role × agent
auth_forward = "ignore"
[workspaces.my-app.roles.agent-smith.env]      # workspace × role operator env
CLAUDE_CODE_OAUTH_TOKEN = "${HOST_TOKEN}"
"#;

fn p() -> PathBuf {
    PathBuf::from("/cfg/config.toml")
}

fn home() -> PathBuf {
    paths::home_dir().expect("a home folder")
}

/// Parses `text` and expects an error; returns (line, column, key, message).
fn bad(text: &str) -> (usize, usize, String, String) {
    match parse_str(&p(), text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(ConfigError::Invalid {
            pos, key, message, ..
        }) => (pos.line, pos.column, key, message),
        Err(e) => panic!("unexpected error kind: {e}"),
    }
}

#[test]
fn the_spec_example_loads_into_the_model() {
    let (cfg, _) = parse_str(&p(), EXAMPLE).unwrap();
    assert_eq!(cfg.engine, Some(EngineKind::Podman));
    let claude = &cfg.agents["claude"];
    assert_eq!(claude.auth_forward, Some(Mode::Sync));
    assert_eq!(claude.sync_source_dir, Some(home().join(".claude-work")));
    assert_eq!(cfg.env["OPENAI_API_KEY"], "$OPENAI_API_KEY");
    let role = &cfg.roles["agent-smith"];
    assert_eq!(role.agents, ["claude", "codex", "amp", "opencode"]);
    assert_eq!(role.default_agent(), Some("claude"));
    assert_eq!(role.env["AMP_API_KEY"], "op://dev/amp/key");
    let ws = &cfg.workspaces["my-app"];
    assert_eq!(ws.workdir, Path::new("/home/me/src/my-app"));
    assert_eq!(ws.mounts.len(), 2);
    assert_eq!(ws.mounts[1].src, home().join("data"));
    assert_eq!(ws.mounts[1].dst, Path::new("/data"));
    assert!(ws.mounts[1].readonly && !ws.mounts[0].readonly);
    assert_eq!(ws.default_role.as_deref(), Some("agent-smith"));
    assert_eq!(ws.agents["codex"].auth_forward, Some(Mode::ApiKey));
    let wr = &ws.roles["agent-smith"];
    assert_eq!(wr.agents["claude"].auth_forward, Some(Mode::Ignore));
    assert_eq!(wr.env["CLAUDE_CODE_OAUTH_TOKEN"], "${HOST_TOKEN}");
}

#[test]
fn a_missing_file_is_an_empty_config() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, doc) = load_from(&dir.path().join("config.toml")).unwrap();
    assert_eq!(cfg, Config::default());
    assert_eq!(doc.to_string(), "");
}

#[test]
fn malformed_toml_gives_file_line_column() {
    let text = "engine = \"podman\"\n[claude]\nauth_forward = sync\n";
    match parse_str(&p(), text) {
        Err(e @ ConfigError::Parse { .. }) => {
            let ConfigError::Parse { pos, .. } = &e else {
                unreachable!()
            };
            assert_eq!((pos.line, pos.column), (3, 16));
            assert!(
                e.to_string()
                    .starts_with("/cfg/config.toml:3:16: invalid TOML"),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_keys_are_refused_at_every_level() {
    let cases: &[(&str, (usize, usize), &str)] = &[
        ("engin = \"podman\"\n", (1, 1), "engin"),
        ("[claude]\nauth_fwd = \"sync\"\n", (2, 1), "claude.auth_fwd"),
        ("[gemini]\nauth_forward = \"sync\"\n", (1, 2), "gemini"),
        (
            "[roles.r]\nimage = \"i\"\nagents = [\"claude\"]\n  imag = \"x\"\n",
            (4, 3),
            "roles.r.imag",
        ),
        (
            "[workspaces.w]\nworkdir = \"/w\"\nmount = []\n",
            (3, 1),
            "workspaces.w.mount",
        ),
        (
            "[workspaces.w]\nworkdir = \"/w\"\n[workspaces.w.codex]\nmode = \"sync\"\n",
            (4, 1),
            "workspaces.w.codex.mode",
        ),
        (
            "[roles.r]\nimage = \"i\"\nagents = [\"claude\"]\n[workspaces.w]\nworkdir = \"/w\"\n[workspaces.w.roles.r]\nfoo = 1\n",
            (7, 1),
            "workspaces.w.roles.r.foo",
        ),
        (
            "[roles.r]\nimage = \"i\"\nagents = [\"claude\"]\n[workspaces.w]\nworkdir = \"/w\"\n[workspaces.w.roles.r.amp]\nsync_source = \"/x\"\n",
            (7, 1),
            "workspaces.w.roles.r.amp.sync_source",
        ),
    ];
    for (text, (line, col), key) in cases {
        let (l, c, k, m) = bad(text);
        assert_eq!((l, c, k.as_str()), (*line, *col, *key), "{text}");
        assert!(m.starts_with("unknown key"), "{m}");
        assert!(m.contains("allowed here"), "{m}");
    }
    // The unknown top-level key message lists every agent from the table.
    let (_, _, _, m) = bad("x = 1\n");
    for a in crate::agents::AGENTS {
        assert!(m.contains(a.name), "{m}");
    }
}

#[test]
fn a_mode_the_agent_does_not_support_is_refused_at_every_scope() {
    let scopes = [
        ("[codex]\nauth_forward = \"oauth_token\"\n", (2, 16)),
        (
            "[workspaces.w]\nworkdir = \"/w\"\n[workspaces.w.codex]\nauth_forward = \"oauth_token\"\n",
            (4, 16),
        ),
        (
            "[roles.r]\nimage = \"i\"\nagents = [\"codex\"]\n[workspaces.w]\nworkdir = \"/w\"\n[workspaces.w.roles.r.codex]\nauth_forward = \"oauth_token\"\n",
            (7, 16),
        ),
    ];
    for (text, pos) in scopes {
        let (l, c, k, m) = bad(text);
        assert_eq!((l, c), pos, "{text}");
        assert!(k.ends_with("codex.auth_forward"), "{k}");
        assert!(
            m.contains("codex") && m.contains("sync, api_key, ignore"),
            "{m}"
        );
    }
    // Claude accepts it.
    parse_str(&p(), "[claude]\nauth_forward = \"oauth_token\"\n").unwrap();
}

#[test]
fn an_unknown_mode_lists_the_valid_ones() {
    let (l, c, _, m) = bad("[amp]\nauth_forward = \"copy\"\n");
    assert_eq!((l, c), (2, 16));
    assert!(m.contains("sync, api_key, oauth_token, ignore"), "{m}");
}

#[test]
fn reserved_and_invalid_env_names_are_refused_in_every_layer() {
    let prefix =
        "[roles.r]\nimage = \"i\"\nagents = [\"claude\"]\n[workspaces.w]\nworkdir = \"/w\"\n";
    for table in [
        "env",
        "roles.r.env",
        "workspaces.w.env",
        "workspaces.w.roles.r.env",
    ] {
        for name in ["JACKIN_HOME", "DOCKER_HOST", "CONTAINER_HOST", "1BAD"] {
            let text = format!("{prefix}[{table}]\n{name} = \"x\"\n");
            let (l, c, k, _) = bad(&text);
            assert_eq!((l, c), (7, 1), "{text}");
            assert_eq!(k, format!("{table}.{name}"));
        }
    }
}

#[test]
fn malformed_env_references_and_types_are_refused() {
    let (l, c, _, m) = bad("[env]\nA = \"${B\"\n");
    assert_eq!((l, c), (2, 5));
    assert!(m.contains("closing"), "{m}");
    let (_, _, _, m) = bad("[env]\nA = \"op://only/two\"\n");
    assert!(m.contains("op://VAULT/ITEM/FIELD"), "{m}");
    let (_, _, _, m) = bad("[env]\nA = 3\n");
    assert_eq!(m, "must be a string");
    let (_, _, _, m) = bad("engine = \"lxc\"\n");
    assert!(m.contains("podman, docker"), "{m}");
    let (_, _, _, m) = bad("env = 1\n");
    assert_eq!(m, "must be a table");
}

#[test]
fn role_schema_is_enforced() {
    let (l, c, _, m) = bad("[roles.r]\nagents = [\"claude\"]\n");
    assert_eq!((l, c), (1, 1));
    assert!(m.contains("'image'"), "{m}");
    let (_, _, _, m) = bad("[roles.r]\nimage = \"i\"\n");
    assert!(m.contains("'agents'"), "{m}");
    let (_, _, _, m) = bad("[roles.r]\nimage = \"i\"\nagents = []\n");
    assert!(m.contains("at least one"), "{m}");
    let (l, c, _, m) = bad("[roles.r]\nimage = \"i\"\nagents = [\"claude\", \"gpt\"]\n");
    assert_eq!((l, c), (3, 21));
    assert!(m.contains("unknown agent 'gpt'"), "{m}");
    let (_, _, _, m) =
        bad("[roles.r]\nimage = \"i\"\nagents = [\"claude\"]\ndefault_agent = \"codex\"\n");
    assert!(m.contains("not one of the role's agents"), "{m}");
    let (_, _, _, m) = bad("[roles.\"a b\"]\nimage = \"i\"\nagents = [\"claude\"]\n");
    assert!(m.contains("not a valid role name"), "{m}");
}

#[test]
fn workspace_schema_is_enforced() {
    let (_, _, _, m) = bad("[workspaces.w]\nmounts = []\n");
    assert!(m.contains("'workdir'"), "{m}");
    let (_, _, _, m) = bad("[workspaces.w]\nworkdir = \"rel/dir\"\n");
    assert!(m.contains("not an absolute path"), "{m}");
    let (l, c, _, m) = bad("[workspaces.w]\nworkdir = \"/w\"\nmounts = [\"/a\", \"rel\"]\n");
    assert_eq!((l, c), (3, 17));
    assert!(m.contains("mount 'rel'"), "{m}");
    let (_, _, _, m) = bad("[workspaces.w]\nworkdir = \"/w\"\nmounts = [\"/a:/x\", \"/b:/x\"]\n");
    assert!(m.contains("two mounts"), "{m}");
    let (l, c, k, m) = bad("[workspaces.w]\nworkdir = \"/w\"\ndefault_role = \"ghost\"\n");
    assert_eq!((l, c, k.as_str()), (3, 16, "workspaces.w.default_role"));
    assert!(m.contains("no role named 'ghost'"), "{m}");
    let (_, _, k, _) = bad("[workspaces.w]\nworkdir = \"/w\"\n[workspaces.w.roles.ghost.claude]\nauth_forward = \"sync\"\n");
    assert_eq!(k, "workspaces.w.roles.ghost");
    let (_, _, _, m) = bad("[claude]\nsync_source_dir = \"relative\"\n");
    assert!(m.contains("not an absolute path"), "{m}");
}

#[test]
fn inline_tables_are_read_like_tables() {
    let (cfg, _) = parse_str(
        &p(),
        "codex = { auth_forward = \"ignore\" }\nenv = { A = \"$B\" }\n",
    )
    .unwrap();
    assert_eq!(cfg.agents["codex"].auth_forward, Some(Mode::Ignore));
    assert_eq!(cfg.env["A"], "$B");
    let (_, _, k, _) = bad("codex = { auth = \"ignore\" }\n");
    assert_eq!(k, "codex.auth");
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn edits_keep_comments_and_order_and_leave_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, EXAMPLE).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = edit(&path, |doc| {
        let t = edit::ensure_table(doc, &["workspaces", "my-app", "codex"])?;
        edit::set_value(t, "auth_forward", "ignore");
        let t = edit::ensure_table(doc, &["amp"])?;
        edit::set_value(t, "auth_forward", "api_key");
        Ok(())
    })
    .unwrap();
    assert!(out.written);
    assert_eq!(
        out.config.workspaces["my-app"].agents["codex"].auth_forward,
        Some(Mode::Ignore)
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let want = EXAMPLE.replace(
        "[workspaces.my-app.codex]         # workspace × agent\nauth_forward = \"api_key\"",
        "[workspaces.my-app.codex]         # workspace × agent\nauth_forward = \"ignore\"",
    );
    assert_eq!(text, format!("{want}\n[amp]\nauth_forward = \"api_key\"\n"));
    assert_eq!(files_in(dir.path()), ["config.toml", "config.toml.lock"]);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn an_unparsable_file_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let broken = "# mine\n[claude\nauth_forward = \"sync\"\n";
    std::fs::write(&path, broken).unwrap();
    let mut ran = false;
    let err = edit(&path, |_| {
        ran = true;
        Ok(())
    })
    .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Parse {
                pos: Pos { line: 2, .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(!ran, "the change must not run on an unparsable file");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
}

#[test]
fn an_edit_that_breaks_the_schema_or_is_refused_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, EXAMPLE).unwrap();
    let err = edit(&path, |doc| {
        let t = edit::ensure_table(doc, &["codex"])?;
        edit::set_value(t, "auth_forward", "oauth_token");
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(err, ConfigError::EditInvalid { .. }), "{err}");
    assert!(err.to_string().contains("codex"), "{err}");
    let err = edit(&path, |doc| {
        edit::ensure_table(doc, &["roles"])?.remove("agent-smith");
        Err::<(), _>(ConfigError::refused("no", None))
    })
    .unwrap_err();
    assert!(matches!(err, ConfigError::Refused { .. }));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), EXAMPLE);
    assert_eq!(files_in(dir.path()), ["config.toml", "config.toml.lock"]);
}

#[test]
fn an_edit_can_repair_an_invalid_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[codex] # keep me\nauth_forward = \"oauth_token\"\n").unwrap();
    assert!(load_from(&path).is_err());
    edit(&path, |doc| {
        let t = edit::ensure_table(doc, &["codex"])?;
        edit::set_value(t, "auth_forward", "api_key");
        Ok(())
    })
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "[codex] # keep me\nauth_forward = \"api_key\"\n"
    );
}

#[test]
fn a_no_op_edit_does_not_create_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("config.toml");
    let out = edit(&path, |doc| {
        Ok(edit::remove_key(doc, &["claude"], "auth_forward", 0))
    })
    .unwrap();
    assert!(!out.written && !out.value);
    assert!(!path.exists());
}

#[test]
fn removing_the_last_key_prunes_empty_tables_but_keeps_commented_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[amp]\nauth_forward = \"ignore\"\n\n# my codex\n[codex]\nauth_forward = \"ignore\"\n",
    )
    .unwrap();
    edit(&path, |doc| {
        edit::remove_key(doc, &["amp"], "auth_forward", 0);
        edit::remove_key(doc, &["codex"], "auth_forward", 0);
        Ok(())
    })
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "\n# my codex\n[codex]\n"
    );
}

#[test]
fn scope_api_refuses_bad_input_before_touching_the_file() {
    use scope::*;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let global = AgentScope::default();
    let err = set_auth(&path, &global, "codex", Some(Mode::OauthToken)).unwrap_err();
    assert!(
        err.to_string()
            .contains("codex supports: sync, api_key, ignore"),
        "{err}"
    );
    let err = set_env(&path, &EnvLayer::Global, "CONTAINER_HOST", Some("x")).unwrap_err();
    assert!(err.to_string().contains("reserved"), "{err}");
    let ws = AgentScope {
        workspace: Some("w".into()),
        role: None,
    };
    let err = set_auth(&path, &ws, "claude", Some(Mode::Ignore)).unwrap_err();
    assert!(err.to_string().contains("no workspace named 'w'"), "{err}");
    assert!(!path.exists());

    set_auth(&path, &global, "amp", Some(Mode::ApiKey)).unwrap();
    set_env(&path, &EnvLayer::Global, "AMP_API_KEY", Some("$AMP")).unwrap();
    let (cfg, _) = load_from(&path).unwrap();
    assert_eq!(cfg.agents["amp"].auth_forward, Some(Mode::ApiKey));
    assert_eq!(cfg.env["AMP_API_KEY"], "$AMP");
    assert!(set_auth(&path, &global, "amp", None).unwrap().value);
    assert!(!set_auth(&path, &global, "amp", None).unwrap().value);
}

#[test]
fn a_symlinked_config_stays_a_symlink_and_its_target_is_updated() {
    let dir = tempfile::tempdir().unwrap();
    let dotfiles = dir.path().join("dotfiles");
    std::fs::create_dir(&dotfiles).unwrap();
    let target = dotfiles.join("jackin.toml");
    std::fs::write(&target, "# tracked in git\n").unwrap();
    let cfg_dir = dir.path().join("cfg");
    std::fs::create_dir(&cfg_dir).unwrap();
    let link = cfg_dir.join("config.toml");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    edit(&link, |doc| {
        edit::set_value(
            edit::ensure_table(doc, &["codex"])?,
            "auth_forward",
            "ignore",
        );
        Ok(())
    })
    .unwrap();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "# tracked in git\n[codex]\nauth_forward = \"ignore\"\n"
    );
    assert_eq!(files_in(&dotfiles), ["jackin.toml"]);
}

#[test]
fn an_edit_on_an_invalid_file_reports_the_files_own_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let text = "# top\n\n[codex]\nauth_forward = \"oauth_token\"\n";
    std::fs::write(&path, text).unwrap();
    let err = edit(&path, |doc| {
        edit::set_value(edit::ensure_table(doc, &["amp"])?, "auth_forward", "ignore");
        Ok(())
    })
    .unwrap_err();
    match err {
        ConfigError::Invalid { pos, key, .. } => {
            assert_eq!(
                (pos.line, pos.column, key.as_str()),
                (4, 16, "codex.auth_forward")
            )
        }
        other => panic!("{other}"),
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn the_spec_section_4_example_loads_verbatim() {
    let spec = r#"engine = "podman"                 # or "docker"; optional, auto-detected

[claude]                          # global × agent
auth_forward = "sync"
# sync_source_dir = "~/.claude-work"

[env]                             # global operator env
OPENAI_API_KEY = "$OPENAI_API_KEY"

[roles.agent-smith]
image = "localhost/jackin/agent-smith:latest"
agents = ["claude", "codex", "amp", "opencode"]
default_agent = "claude"
[roles.agent-smith.env]           # role operator env

[workspaces.my-app]
workdir = "/home/me/src/my-app"
mounts = ["/home/me/src/my-app"]  # src[:dst][:ro]
default_role = "agent-smith"
[workspaces.my-app.codex]         # workspace × agent
auth_forward = "api_key"
[workspaces.my-app.env]           # workspace operator env
[workspaces.my-app.roles.agent-smith.claude]   # workspace × role × agent
auth_forward = "ignore"
[workspaces.my-app.roles.agent-smith.env]      # workspace × role operator env
"#;
    let (cfg, doc) = parse_str(&p(), spec).unwrap();
    assert_eq!(doc.to_string(), spec, "the document round-trips unchanged");
    let r = crate::resolve::mode(&cfg, Some("my-app"), Some("agent-smith"), "claude");
    assert_eq!(r.value, Mode::Ignore);
    let r = crate::resolve::mode(&cfg, Some("my-app"), Some("agent-smith"), "codex");
    assert_eq!(r.value, Mode::ApiKey);
}

#[test]
fn unreadable_paths_are_reported_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_from(dir.path()).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("is a directory") && !msg.contains("os error"),
        "{msg}"
    );
}
