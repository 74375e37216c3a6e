//! `jackin config …` as an operator runs it: exit codes, output, and the
//! file on disk.

mod cli_support;
use cli_support::{path_str, Operator};

const COMMENTED: &str = "# my jackin config\nengine = \"podman\" # local\n\n[codex]\nauth_forward = \"sync\" # default\n";

#[test]
fn c12_wrong_mode_for_agent_changes_nothing() {
    // No config yet: still none afterwards.
    let op = Operator::new();
    let r = op.run(&["config", "auth", "set", "oauth_token", "--agent", "codex"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("codex"), "{}", r.stderr);
    assert!(r.stderr.contains("sync, api_key, ignore"), "{}", r.stderr);
    assert!(op.config_bytes().is_none(), "config file was created");

    // An existing, commented config: byte for byte unchanged.
    let op = Operator::new();
    op.write_config(COMMENTED);
    let r = op.run(&["config", "auth", "set", "oauth_token", "--agent", "codex"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.starts_with("error: codex"), "{}", r.stderr);
    assert_eq!(op.config_bytes().unwrap(), COMMENTED.as_bytes());
}

#[test]
fn an_unknown_mode_is_a_usage_error_listing_the_valid_modes() {
    let op = Operator::new();
    let r = op.run(&["config", "auth", "set", "copy"]).expect(2);
    assert!(
        r.stderr.contains("sync, api_key, oauth_token, ignore"),
        "{}",
        r.stderr
    );
    let r = op
        .run(&["config", "auth", "set", "sync", "--agent", "gemini"])
        .expect(2);
    assert!(
        r.stderr.contains("claude") && r.stderr.contains("opencode"),
        "{}",
        r.stderr
    );
    assert!(op.config_bytes().is_none());
}

#[test]
fn auth_set_writes_the_global_table_and_keeps_comments() {
    let op = Operator::new();
    op.write_config(COMMENTED);
    op.run(&["config", "auth", "set", "oauth_token"]).expect(0);
    op.run(&["config", "auth", "set", "ignore", "--agent", "codex"])
        .expect(0);
    assert_eq!(
        op.config_text(),
        "# my jackin config\nengine = \"podman\" # local\n\n[codex]\nauth_forward = \"ignore\" # default\n\n[claude]\nauth_forward = \"oauth_token\"\n"
    );
    let r = op.run(&["config", "auth", "show"]).expect(0);
    let line = |agent: &str| {
        r.stdout
            .lines()
            .find(|l| l.starts_with(agent))
            .unwrap_or_else(|| panic!("no {agent} line in\n{}", r.stdout))
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("claude"), "claude oauth_token");
    assert_eq!(line("codex"), "codex ignore");
    assert_eq!(line("amp"), "amp sync");
    assert_eq!(line("opencode"), "opencode sync");
    op.run(&["config", "auth", "unset", "--agent", "codex"])
        .expect(0);
    assert!(!op.config_text().contains("[codex]\nauth_forward"));
}

#[test]
fn auth_show_traces_every_scope_for_a_workspace_and_role() {
    let op = Operator::new();
    op.with_role_and_workspace();
    op.run(&["config", "auth", "set", "sync"]).expect(0);
    op.run(&[
        "workspace",
        "auth",
        "set",
        "app",
        "api_key",
        "--agent",
        "codex",
    ])
    .expect(0);
    op.run(&[
        "workspace",
        "auth",
        "set",
        "app",
        "ignore",
        "--agent",
        "claude",
        "--role",
        "smith",
    ])
    .expect(0);
    let r = op
        .run(&[
            "config",
            "auth",
            "show",
            "--workspace",
            "app",
            "--role",
            "smith",
        ])
        .expect(0);
    let trace: Vec<Vec<&str>> = r
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("auth_forward resolution"))
        .skip(1)
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .collect();
    let want: Vec<Vec<&str>> = vec![
        vec![
            "claude",
            "workspace × role × claude",
            "-> ignore",
            "<- effective",
        ],
        vec!["workspace × claude", "-> (none)"],
        vec!["global × claude", "-> sync"],
        vec!["codex", "workspace × role × codex", "-> (none)"],
        vec!["workspace × codex", "-> api_key", "<- effective"],
        vec!["global × codex", "-> (none)"],
    ];
    assert_eq!(trace, want, "{}", r.stdout);

    let r = op
        .run(&[
            "config",
            "auth",
            "show",
            "--workspace",
            "app",
            "--role",
            "smith",
            "--json",
        ])
        .expect(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let agents = v["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 2, "the role's agents only");
    assert_eq!(agents[0]["agent"], "claude");
    assert_eq!(agents[0]["mode"], "ignore");
    assert_eq!(
        agents[0]["scope"]["table"],
        "workspaces.app.roles.smith.claude"
    );
    assert_eq!(agents[1]["mode"], "api_key");
    assert_eq!(agents[1]["scope"]["label"], "workspace × codex");
    assert_eq!(agents[1]["trace"].as_array().unwrap().len(), 3);

    // Without the role: the workspace × agent scope decides.
    let r = op
        .run(&["config", "auth", "show", "--workspace", "app", "--json"])
        .expect(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["agents"][0]["mode"], "sync");
    assert_eq!(v["agents"][0]["scope"]["label"], "global × claude");
    assert_eq!(v["agents"][2]["agent"], "amp");
    assert_eq!(v["agents"][2]["scope"]["label"], "default");
    let r = op
        .run(&["config", "auth", "show", "--workspace", "app"])
        .expect(0);
    let trace: Vec<String> = r
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("auth_forward resolution"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let at = trace.iter().position(|l| l.starts_with("amp ")).unwrap();
    assert_eq!(
        trace[at..at + 3],
        [
            "amp workspace × amp -> (none)",
            "global × amp -> (none)",
            "default -> sync <- effective"
        ],
        "{}",
        r.stdout
    );
}

#[test]
fn auth_show_refuses_unknown_workspace_or_role() {
    let op = Operator::new();
    op.with_role_and_workspace();
    let r = op
        .run(&["config", "auth", "show", "--workspace", "nope"])
        .expect(1);
    assert!(
        r.stderr.contains("no workspace named 'nope'"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    let r = op
        .run(&[
            "config",
            "auth",
            "show",
            "--workspace",
            "app",
            "--role",
            "nope",
        ])
        .expect(1);
    assert!(r.stderr.contains("no role named 'nope'"), "{}", r.stderr);
    op.run(&["config", "auth", "show", "--role", "smith"])
        .expect(2);
}

#[test]
fn env_set_list_never_print_a_literal() {
    let op = Operator::new();
    op.with_role_and_workspace();
    let secret = "sk-proj-DO-NOT-PRINT-1234";
    let r = op
        .run(&["config", "env", "set", "OPENAI_API_KEY", secret])
        .expect(0);
    assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret));
    assert!(
        r.stderr.contains("warning:") && r.stderr.contains("literal"),
        "{}",
        r.stderr
    );
    let r = op
        .run(&[
            "config",
            "env",
            "set",
            "ANTHROPIC_API_KEY",
            "$HOST_KEY",
            "--role",
            "smith",
        ])
        .expect(0);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    let r = op.run_stdin(
        &["config", "env", "set", "AMP_API_KEY", "-"],
        "sgamp-secret-from-stdin\n",
    );
    let r = r.expect(0);
    assert!(!r.stdout.contains("sgamp-secret") && !r.stderr.contains("sgamp-secret"));
    assert!(op
        .config_text()
        .contains("AMP_API_KEY = \"sgamp-secret-from-stdin\""));

    let r = op.run(&["config", "env", "list"]).expect(0);
    assert!(!r.stdout.contains(secret));
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("OPENAI_API_KEY") && l.ends_with("literal (****)")),
        "{}",
        r.stdout
    );
    let r = op.run(&["config", "env", "list", "--json"]).expect(0);
    assert!(!r.stdout.contains(secret));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["layer"], "[env]");
    assert_eq!(v["vars"][1]["name"], "OPENAI_API_KEY");
    assert_eq!(v["vars"][1]["value"], "literal");
    let r = op
        .run(&["config", "env", "list", "--role", "smith"])
        .expect(0);
    assert!(
        r.stdout.contains("ANTHROPIC_API_KEY") && r.stdout.contains("$HOST_KEY"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("OPENAI_API_KEY"));

    let r = op
        .run(&["--debug", "config", "env", "set", "OPENAI_API_KEY", secret])
        .expect(0);
    assert!(
        !r.stdout.contains(secret) && !r.stderr.contains(secret),
        "{}",
        r.stderr
    );
    let r = op.run(&["--debug", "config", "env", "list"]).expect(0);
    assert!(!r.stdout.contains(secret) && !r.stderr.contains(secret));
    op.run(&["config", "env", "unset", "OPENAI_API_KEY"])
        .expect(0);
    assert!(!op.config_text().contains(secret));
    let r = op
        .run_stdin(&["config", "env", "set", "EMPTY", "-"], "\n")
        .expect(2);
    assert!(r.stderr.contains("empty value for EMPTY"), "{}", r.stderr);
    op.run(&["config", "env", "set", "X", "1", "--role", "ghost"])
        .expect(1);
}

#[test]
fn reserved_env_names_and_bad_references_are_refused_in_every_layer() {
    let op = Operator::new();
    op.with_role_and_workspace();
    let before = op.config_bytes().unwrap();
    let layers: [&[&str]; 4] = [
        &["config", "env", "set"],
        &["config", "env", "set", "--role", "smith"],
        &["workspace", "env", "set", "app"],
        &["workspace", "env", "set", "app", "--role", "smith"],
    ];
    for layer in layers {
        for name in ["JACKIN_X", "DOCKER_HOST", "CONTAINER_HOST", "9X"] {
            let mut args = layer.to_vec();
            args.extend([name, "v"]);
            let r = op.run(&args).expect(2);
            assert!(r.stderr.contains(name), "{}", r.stderr);
        }
        let mut args = layer.to_vec();
        args.extend(["OK_NAME", "${UNCLOSED"]);
        let r = op.run(&args).expect(2);
        assert!(r.stderr.contains("closing"), "{}", r.stderr);
    }
    assert_eq!(op.config_bytes().unwrap(), before);
}

#[test]
fn source_folder_must_hold_the_agents_login() {
    let op = Operator::new();
    op.with_role_and_workspace();
    let empty = op.dir("claude-empty");
    let r = op
        .run(&["config", "auth", "source", "set", path_str(&empty)])
        .expect(1);
    assert!(r.stderr.contains(".credentials.json"), "{}", r.stderr);
    let stub = op.dir("claude-stub");
    std::fs::write(
        stub.join(".credentials.json"),
        r#"{"claudeAiOauth":{"accessToken":"","refreshToken":"","expiresAt":0}}"#,
    )
    .unwrap();
    op.run(&["config", "auth", "source", "set", path_str(&stub)])
        .expect(1);
    assert!(!op.config_text().contains("sync_source_dir"));

    let work = op.home().join(".claude-work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(
        work.join(".credentials.json"),
        r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-fake","refreshToken":"r"}}"#,
    )
    .unwrap();
    op.run(&["config", "auth", "source", "set", "~/.claude-work"])
        .expect(0);
    op.run(&[
        "config",
        "auth",
        "source",
        "set",
        "~/.claude-work",
        "--workspace",
        "app",
        "--role",
        "smith",
    ])
    .expect(0);
    let text = op.config_text();
    assert!(
        text.contains("[claude]\nsync_source_dir = \"~/.claude-work\""),
        "{text}"
    );
    assert!(
        text.contains("[workspaces.app.roles.smith.claude]\nsync_source_dir = \"~/.claude-work\""),
        "{text}"
    );
    let r = op
        .run(&[
            "config",
            "auth",
            "show",
            "--workspace",
            "app",
            "--role",
            "smith",
            "--json",
        ])
        .expect(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["agents"][0]["source_dir"], path_str(&work));
    assert_eq!(
        v["agents"][0]["source_dir_scope"]["label"],
        "workspace × role × claude"
    );
    // A codex folder is checked for codex's login, not claude's.
    op.run(&[
        "config",
        "auth",
        "source",
        "set",
        "~/.claude-work",
        "--agent",
        "codex",
    ])
    .expect(1);
    op.run(&[
        "config",
        "auth",
        "source",
        "unset",
        "--workspace",
        "app",
        "--role",
        "smith",
    ])
    .expect(0);
    assert!(!op.config_text().contains("workspaces.app.roles"));
}

#[test]
fn a_broken_file_is_reported_with_its_position_and_never_rewritten() {
    let op = Operator::new();
    let broken = "# hand edited\n[claude]\nauth_forward = sync\n";
    op.write_config(broken);
    let r = op.run(&["config", "auth", "set", "ignore"]).expect(1);
    let want = format!("error: {}:3:16: invalid TOML", op.config_path().display());
    assert!(r.stderr.starts_with(&want), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked") && !r.stderr.contains("os error"));
    op.run(&["config", "auth", "show"]).expect(1);
    assert_eq!(op.config_bytes().unwrap(), broken.as_bytes());

    let unknown = "[claude]\nauth_forward = \"sync\"\nsync_dir = \"/x\"\n";
    op.write_config(unknown);
    let r = op.run(&["config", "auth", "show"]).expect(1);
    assert!(
        r.stderr
            .contains(":3:1: claude.sync_dir: unknown key 'sync_dir'"),
        "{}",
        r.stderr
    );
}

#[test]
fn every_command_has_help_and_no_subcommand_is_a_usage_error() {
    let op = Operator::new();
    for args in [
        &["--help"][..],
        &["config", "auth", "set", "--help"],
        &["config", "auth", "show", "--help"],
        &["config", "auth", "source", "set", "--help"],
        &["config", "env", "set", "--help"],
        &["workspace", "create", "--help"],
        &["workspace", "auth", "set", "--help"],
        &["role", "add", "--help"],
    ] {
        let r = op.run(args).expect(0);
        assert!(r.stdout.contains("Usage: jackin"), "{args:?}: {}", r.stdout);
        if args.len() > 1 {
            assert!(r.stdout.contains("Example"), "{args:?}: {}", r.stdout);
        }
    }
    op.run(&[]).expect(2);
    op.run(&["config"]).expect(2);
    let r = op.run(&["config", "path"]).expect(0);
    assert_eq!(r.stdout.trim(), path_str(&op.config_path()));
}
