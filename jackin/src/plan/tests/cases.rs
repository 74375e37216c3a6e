//! The operator cases of `shared/cases/README.md` that the plan decides
//! (the engine tests check the container side).

use super::*;

/// C05: Claude `oauth_token` from a host variable: only
/// `CLAUDE_CODE_OAUTH_TOKEN`, credentials cleared, onboarding marked.
#[test]
fn c05_claude_oauth_token() {
    let home = full_home();
    let env = env_with_home(
        home.path(),
        &[("HOST_CLAUDE_TOKEN", "sk-ant-oat01-long".to_string())],
    );
    let mut cfg = config(&["claude", "codex"]);
    ws(&mut cfg)
        .agents
        .insert("claude".into(), auth(Mode::OauthToken));
    ws(&mut cfg).env.insert(
        "CLAUDE_CODE_OAUTH_TOKEN".into(),
        "$HOST_CLAUDE_TOKEN".into(),
    );
    cfg.env
        .insert("ANTHROPIC_API_KEY".into(), "sk-ant-api-unused".into());
    let plan = plan_ok(&cfg, &env);
    let claude = plan.agent("claude").unwrap();
    assert_eq!(env_names(claude), ["CLAUDE_CODE_OAUTH_TOKEN"]);
    assert_eq!(
        claude.env["CLAUDE_CODE_OAUTH_TOKEN"].expose(),
        "sk-ant-oat01-long"
    );
    assert_eq!(
        claude.files,
        vec![
            op(".claude/.credentials.json", FileAction::Clear),
            op(
                ".claude.json",
                patch(&["oauthAccount"], super::onboarded(json!({})), true)
            ),
        ]
    );
    assert!(plan
        .summary()
        .starts_with("auth: claude oauth_token (CLAUDE_CODE_OAUTH_TOKEN from workspace) · codex sync (host login)"));
}

/// C06: workspace × role × codex `api_key` over a host login, key from a
/// role literal: the old file is cleared and the new key is in the env.
#[test]
fn c06_switch_sync_to_api_key() {
    let home = full_home();
    let env = env_with_home(home.path(), &[]);
    let mut cfg = config(&["codex"]);
    ws(&mut cfg)
        .roles
        .get_mut("agent-smith")
        .unwrap()
        .agents
        .insert("codex".into(), auth(Mode::ApiKey));
    cfg.roles
        .get_mut("agent-smith")
        .unwrap()
        .env
        .insert("OPENAI_API_KEY".into(), "sk-new-literal".into());
    let plan = plan_ok(&cfg, &env);
    let codex = plan.agent("codex").unwrap();
    assert_eq!(
        codex.files,
        vec![op(".codex/auth.json", FileAction::Remove)]
    );
    assert_eq!(codex.env["OPENAI_API_KEY"].expose(), "sk-new-literal");
    assert!(plan.payload.is_empty(), "the host file is not forwarded");
    assert_eq!(
        plan.summary(),
        "auth: codex api_key (OPENAI_API_KEY from role)"
    );
}

/// C10: global `ignore` revokes even though the host has a login.
#[test]
fn c10_ignore_revokes() {
    let home = full_home();
    let env = env_with_home(home.path(), &[]);
    let mut cfg = config(&["claude"]);
    cfg.agents.insert("claude".into(), auth(Mode::Ignore));
    let plan = plan_ok(&cfg, &env);
    let claude = plan.agent("claude").unwrap();
    assert_eq!(claude.action, Action::Revoked);
    assert_eq!(
        claude.files,
        vec![
            op(".claude/.credentials.json", FileAction::Clear),
            op(".claude.json", patch(&["oauthAccount"], json!({}), false)),
        ]
    );
    assert!(claude.env.is_empty());
    assert_eq!(plan.summary(), "auth: claude ignore");
}

/// C04 through the plan: host `XDG_DATA_HOME` logins land at the default
/// container paths, byte-identical.
#[test]
fn c04_xdg_logins_forwarded() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    put(h, "xdg/amp/secrets.json", &fixture("amp-secrets.json"));
    put(h, "xdg/opencode/auth.json", &fixture("opencode-auth.json"));
    let env = env_with_home(h, &[("XDG_DATA_HOME", h.join("xdg").display().to_string())]);
    let plan = plan_ok(&config(&["amp", "opencode"]), &env);
    assert_eq!(
        plan.agent("amp").unwrap().files,
        vec![op(".local/share/amp/secrets.json", write("f0"))]
    );
    assert_eq!(plan.payload["f0"].expose(), fixture("amp-secrets.json"));
    assert_eq!(plan.payload["f1"].expose(), fixture("opencode-auth.json"));
}

/// C02 through the plan: a symlinked credential is forwarded as its
/// target's bytes; a dangling one keeps the container's login and says why.
#[test]
fn c02_symlinked_credentials() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let target = put(
        h,
        "dotfiles/claude/credentials.json",
        &fixture("claude-valid.json"),
    );
    std::fs::create_dir_all(h.join(".claude")).unwrap();
    std::os::unix::fs::symlink(&target, h.join(".claude/.credentials.json")).unwrap();
    let env = env_with_home(h, &[]);
    let plan = plan_ok(&config(&["claude"]), &env);
    assert_eq!(plan.payload["f0"].expose(), fixture("claude-valid.json"));
    std::fs::remove_file(&target).unwrap();
    let plan = plan_ok(&config(&["claude"]), &env);
    assert_eq!(plan.agent("claude").unwrap().action, Action::Kept);
    assert!(plan.notes()[0].contains("dangling"), "{:?}", plan.notes());
}
