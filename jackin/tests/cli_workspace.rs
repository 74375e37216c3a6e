//! `jackin workspace …` and `jackin role …` round trips, and concurrent
//! edits from separate processes.

mod cli_support;
use cli_support::{path_str, Operator};

#[test]
fn role_add_list_remove_round_trip() {
    let op = Operator::new();
    let r = op
        .run(&[
            "role",
            "add",
            "smith",
            "--image",
            "localhost/smith:1",
            "--agent",
            "codex",
            "--agent",
            "claude",
            "--default-agent",
            "claude",
        ])
        .expect(0);
    assert!(r.stdout.contains("added role 'smith'"), "{}", r.stdout);
    assert_eq!(
        op.config_text(),
        "[roles.smith]\nimage = \"localhost/smith:1\"\nagents = [\"codex\", \"claude\"]\ndefault_agent = \"claude\"\n"
    );
    op.run(&["role", "add", "mini", "--image", "img", "--agent", "amp"])
        .expect(0);
    let r = op.run(&["role", "list", "--json"]).expect(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let by_name = |n: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        by_name("mini")["default_agent"],
        "amp",
        "defaults to the first agent"
    );
    assert_eq!(
        by_name("smith")["agents"],
        serde_json::json!(["codex", "claude"])
    );
    assert_eq!(
        by_name("agent-smith")["builtin"],
        true,
        "the built-in role is listed"
    );
    assert_eq!(by_name("smith")["builtin"], false);
    let r = op.run(&["role", "list"]).expect(0);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["smith", "localhost/smith:1", "codex,claude", "claude"]),
        "{}",
        r.stdout
    );

    // Refusals change nothing.
    let before = op.config_bytes().unwrap();
    op.run(&["role", "add", "smith", "--image", "x", "--agent", "amp"])
        .expect(1);
    op.run(&[
        "role",
        "add",
        "x",
        "--image",
        "x",
        "--agent",
        "amp",
        "--default-agent",
        "codex",
    ])
    .expect(2);
    op.run(&["role", "add", "x", "--image", "x", "--agent", "gemini"])
        .expect(2);
    op.run(&["role", "add", "x", "--image", "x"]).expect(2);
    op.run(&["role", "add", "bad name", "--image", "x", "--agent", "amp"])
        .expect(2);
    op.run(&["role", "remove", "ghost"]).expect(1);
    assert_eq!(op.config_bytes().unwrap(), before);

    op.run(&["role", "remove", "mini"]).expect(0);
    op.run(&["role", "remove", "smith"]).expect(0);
    assert_eq!(op.config_text(), "");
}

#[test]
fn workspace_create_show_edit_remove_round_trip() {
    let op = Operator::new();
    op.run(&[
        "role", "add", "smith", "--image", "i", "--agent", "claude", "--agent", "codex",
    ])
    .expect(0);
    let src = op.dir("src/app");
    let data = op.dir("data");
    let r = op
        .run(&[
            "workspace",
            "create",
            "app",
            "--workdir",
            "src/app",
            "--default-role",
            "smith",
        ])
        .expect(0);
    assert!(r.stdout.contains("created workspace 'app'"), "{}", r.stdout);
    let r = op
        .run(&["-q", "workspace", "auth", "set", "app", "ignore"])
        .expect(0);
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str()),
        ("", ""),
        "-q prints nothing"
    );
    op.run(&["workspace", "auth", "unset", "app"]).expect(0);
    let r = op
        .run(&["workspace", "show", "app", "--json", "-q"])
        .expect(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v["workdir"],
        path_str(&src),
        "relative workdir made absolute"
    );
    assert_eq!(
        v["mounts"][0]["src"],
        path_str(&src),
        "default mount is the workdir"
    );
    assert_eq!(v["mounts"][0]["dst"], path_str(&src));
    assert_eq!(v["default_role"], "smith");

    // Refusals: duplicate, missing mount source, unknown role, bad mount, bad name.
    let before = op.config_bytes().unwrap();
    op.run(&["workspace", "create", "app", "--workdir", "/x"])
        .expect(1);
    let r = op
        .run(&[
            "workspace",
            "create",
            "w2",
            "--workdir",
            "/x",
            "--mount",
            "/does/not/exist",
        ])
        .expect(1);
    assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
    op.run(&[
        "workspace",
        "create",
        "w2",
        "--workdir",
        path_str(&src),
        "--default-role",
        "ghost",
    ])
    .expect(1);
    op.run(&[
        "workspace",
        "create",
        "w2",
        "--workdir",
        path_str(&src),
        "--mount",
        "/tmp:relative",
    ])
    .expect(2);
    op.run(&["workspace", "create", "a/b", "--workdir", path_str(&src)])
        .expect(2);
    let r = op
        .run(&["workspace", "create", "w2", "--workdir", "/no/such/dir"])
        .expect(1);
    assert!(
        r.stderr.contains("not a folder on this host") && r.stderr.contains("hint:"),
        "{}",
        r.stderr
    );
    op.run(&["workspace", "edit", "app"]).expect(2);
    op.run(&["workspace", "edit", "ghost", "--workdir", "/x"])
        .expect(1);
    assert_eq!(op.config_bytes().unwrap(), before);

    let data_spec = format!("{}:/data:ro", path_str(&data));
    op.run(&[
        "workspace",
        "edit",
        "app",
        "--add-mount",
        &data_spec,
        "--workdir",
        "/work",
    ])
    .expect(0);
    let r = op.run(&["workspace", "show", "app", "--json"]).expect(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["workdir"], "/work");
    assert_eq!(v["mounts"][1]["dst"], "/data");
    assert_eq!(v["mounts"][1]["readonly"], true);
    op.run(&[
        "workspace",
        "edit",
        "app",
        "--remove-mount",
        path_str(&data),
        "--no-default-role",
    ])
    .expect(0);
    op.run(&["workspace", "edit", "app", "--remove-mount", "/nope"])
        .expect(1);
    let r = op.run(&["workspace", "list", "--json"]).expect(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["mounts"].as_array().unwrap().len(), 1);
    assert_eq!(v[0]["default_role"], serde_json::Value::Null);

    // A role in use cannot be removed; the workspace can.
    op.run(&[
        "workspace",
        "auth",
        "set",
        "app",
        "ignore",
        "--role",
        "smith",
    ])
    .expect(0);
    let r = op.run(&["role", "remove", "smith"]).expect(1);
    assert!(
        r.stderr.contains("used by workspace(s): app"),
        "{}",
        r.stderr
    );
    op.run(&["workspace", "remove", "app"]).expect(0);
    op.run(&["workspace", "remove", "app"]).expect(1);
    assert!(!op.config_text().contains("workspaces"));
    op.run(&["role", "remove", "smith"]).expect(0);
}

#[test]
fn workspace_auth_and_env_at_workspace_and_role_scopes() {
    let op = Operator::new();
    op.with_role_and_workspace();
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
        "oauth_token",
        "--role",
        "smith",
    ])
    .expect(0);
    let before = op.config_bytes().unwrap();
    let r = op
        .run(&[
            "workspace",
            "auth",
            "set",
            "app",
            "oauth_token",
            "--agent",
            "codex",
            "--role",
            "smith",
        ])
        .expect(2);
    assert!(
        r.stderr.contains("codex") && r.stderr.contains("sync, api_key, ignore"),
        "{}",
        r.stderr
    );
    op.run(&[
        "workspace",
        "auth",
        "set",
        "app",
        "ignore",
        "--agent",
        "amp",
        "--role",
        "smith",
    ])
    .expect(1);
    op.run(&["workspace", "auth", "set", "ghost", "ignore"])
        .expect(1);
    op.run(&[
        "workspace",
        "auth",
        "set",
        "app",
        "ignore",
        "--role",
        "ghost",
    ])
    .expect(1);
    assert_eq!(op.config_bytes().unwrap(), before);

    op.run(&[
        "workspace",
        "env",
        "set",
        "app",
        "OPENAI_API_KEY",
        "$WORK_KEY",
    ])
    .expect(0);
    op.run(&[
        "workspace",
        "env",
        "set",
        "app",
        "CLAUDE_CODE_OAUTH_TOKEN",
        "keyring:claude/me",
        "--role",
        "smith",
    ])
    .expect(0);
    let text = op.config_text();
    assert!(
        text.contains("[workspaces.app.codex]\nauth_forward = \"api_key\""),
        "{text}"
    );
    assert!(
        text.contains("[workspaces.app.roles.smith.claude]\nauth_forward = \"oauth_token\""),
        "{text}"
    );
    assert!(
        text.contains("[workspaces.app.env]\nOPENAI_API_KEY = \"$WORK_KEY\""),
        "{text}"
    );
    assert!(
        text.contains(
            "[workspaces.app.roles.smith.env]\nCLAUDE_CODE_OAUTH_TOKEN = \"keyring:claude/me\""
        ),
        "{text}"
    );

    let r = op
        .run(&[
            "workspace",
            "env",
            "list",
            "app",
            "--role",
            "smith",
            "--json",
        ])
        .expect(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["vars"][0]["value"], "keyring:claude/me");
    let r = op.run(&["workspace", "show", "app"]).expect(0);
    assert!(
        r.stdout.contains("OPENAI_API_KEY = $WORK_KEY"),
        "{}",
        r.stdout
    );

    op.run(&["workspace", "auth", "unset", "app", "--role", "smith"])
        .expect(0);
    op.run(&[
        "workspace",
        "env",
        "unset",
        "app",
        "CLAUDE_CODE_OAUTH_TOKEN",
        "--role",
        "smith",
    ])
    .expect(0);
    op.run(&["workspace", "auth", "unset", "app", "--agent", "codex"])
        .expect(0);
    op.run(&["workspace", "env", "unset", "app", "OPENAI_API_KEY"])
        .expect(0);
    let text = op.config_text();
    assert!(
        !text.contains("workspaces.app."),
        "emptied tables are pruned:\n{text}"
    );
    assert!(
        text.contains("[workspaces.app]"),
        "the workspace stays:\n{text}"
    );
}

// README's example with the built-in role, which has no [roles.agent-smith]
// table: every agent of it can be set per workspace × role, a missing
// role is still refused.
#[test]
fn workspace_auth_set_with_the_built_in_role() {
    let op = Operator::new();
    op.with_role_and_workspace();
    for agent in ["claude", "codex", "amp", "opencode"] {
        op.run(&[
            "workspace",
            "auth",
            "set",
            "app",
            "ignore",
            "--agent",
            agent,
            "--role",
            "agent-smith",
        ])
        .expect(0);
    }
    let text = op.config_text();
    assert!(
        text.contains("[workspaces.app.roles.agent-smith.opencode]\nauth_forward = \"ignore\""),
        "{text}"
    );
    assert!(!text.contains("[roles.agent-smith]"), "{text}");
    let r = op
        .run(&[
            "config",
            "auth",
            "show",
            "--workspace",
            "app",
            "--role",
            "agent-smith",
        ])
        .expect(0);
    assert!(
        r.stdout.contains("workspace × role × claude"),
        "{}",
        r.stdout
    );
    let before = op.config_bytes();
    op.run(&[
        "workspace",
        "auth",
        "set",
        "app",
        "ignore",
        "--agent",
        "claude",
        "--role",
        "agent-smyth",
    ])
    .expect(1);
    assert_eq!(op.config_bytes(), before);
}

#[test]
fn concurrent_workspace_auth_set_from_eight_processes_all_land() {
    let op = Operator::new();
    op.with_role_and_workspace();
    let src = op.dir("src/other");
    op.run(&["workspace", "create", "other", "--workdir", path_str(&src)])
        .expect(0);
    // 2 workspaces × 4 agents = 8 distinct settings, written at once.
    let mut jobs = Vec::new();
    for ws in ["app", "other"] {
        for agent in ["claude", "codex", "amp", "opencode"] {
            let child = op
                .command(&["workspace", "auth", "set", ws, "ignore", "--agent", agent])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            jobs.push((ws, agent, child));
        }
    }
    for (ws, agent, child) in jobs {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{ws}/{agent}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let r = op.run(&["workspace", "show", "app", "--json"]).expect(0);
    let app: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let r = op.run(&["workspace", "show", "other", "--json"]).expect(0);
    let other: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    for v in [app, other] {
        for agent in ["claude", "codex", "amp", "opencode"] {
            assert_eq!(
                v["agents"][agent]["auth_forward"], "ignore",
                "{agent} lost in {v}"
            );
        }
    }
    let leftovers: Vec<_> = std::fs::read_dir(op.config_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "config.toml" && n != "config.toml.lock")
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}
