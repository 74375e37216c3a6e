//! Launch errors: the §6 rendering, several problems at once, bad targets.

use super::*;

/// C11, exactly the SPEC §6 shape.
#[test]
fn c11_missing_credential_renders_the_spec_error() {
    let home = full_home();
    let env = env_with_home(home.path(), &[]);
    let mut cfg = config(&["claude", "codex"]);
    cfg.agents.insert("claude".into(), auth(Mode::Sync));
    ws(&mut cfg)
        .agents
        .insert("codex".into(), auth(Mode::ApiKey));
    let err = build(&cfg, &target(), &env).unwrap_err();
    assert_eq!(
        err.to_string(),
        "\
error: cannot launch codex in workspace 'my-app' with role 'agent-smith'
  codex auth_forward = api_key needs OPENAI_API_KEY, which is unset

auth_forward resolution (most specific first):
  claude  workspace × role × claude   -> (none)
          workspace × claude          -> (none)
          global × claude             -> sync        <- effective
  codex   workspace × role × codex    -> (none)
          workspace × codex           -> api_key     <- effective
          global × codex              -> (none)
OPENAI_API_KEY in operator env (lowest -> highest):
  [env]                                   unset
  [roles.agent-smith.env]                 unset
  [workspaces.my-app.env]                 unset
  [workspaces.my-app.roles.agent-smith.env] unset
fix: jackin workspace env set my-app OPENAI_API_KEY <value>, or set another mode
     jackin config env set OPENAI_API_KEY <value>   (every workspace)
     jackin workspace auth set my-app sync --agent codex   (another mode)"
    );
}

#[test]
fn several_failures_are_reported_together() {
    let home = full_home();
    let env = env_with_home(home.path(), &[("EMPTY", String::new())]);
    let mut cfg = config(&ALL);
    ws(&mut cfg)
        .agents
        .insert("codex".into(), auth(Mode::ApiKey));
    ws(&mut cfg).agents.insert("amp".into(), auth(Mode::ApiKey));
    cfg.agents.insert("claude".into(), auth(Mode::OauthToken));
    cfg.env.insert("OPENAI_API_KEY".into(), "sk-lower".into());
    ws(&mut cfg)
        .roles
        .get_mut("agent-smith")
        .unwrap()
        .env
        .insert("OPENAI_API_KEY".into(), "$NOPE".into());
    cfg.roles
        .get_mut("agent-smith")
        .unwrap()
        .env
        .insert("CLAUDE_CODE_OAUTH_TOKEN".into(), String::new());
    ws(&mut cfg).env.insert("GH_TOKEN".into(), "$EMPTY".into());
    let dir = tempfile::tempdir().unwrap();
    let mut r = Resolver::new(&env);
    r.op_program = dir.path().join("op");
    let text = build_with(&cfg, &target(), &r).unwrap_err().to_string();
    assert!(
        text.starts_with("error: cannot launch claude, codex, amp in workspace 'my-app'"),
        "{text}"
    );
    for line in [
        "  claude auth_forward = oauth_token needs CLAUDE_CODE_OAUTH_TOKEN, which is empty (set in [roles.agent-smith.env])",
        "  codex auth_forward = api_key needs OPENAI_API_KEY, which failed: $NOPE is not set in the host environment ($NOPE in [workspaces.my-app.roles.agent-smith.env])",
        "  amp auth_forward = api_key needs AMP_API_KEY, which is unset",
        "  operator env GH_TOKEN (passed to every agent) failed: $EMPTY is empty in the host environment ($EMPTY in [workspaces.my-app.env])",
        "OPENAI_API_KEY in operator env (lowest -> highest):",
        "  [env]                                   resolved (literal)",
        "  [workspaces.my-app.roles.agent-smith.env] failed: $NOPE is not set in the host environment",
        "     jackin workspace env set my-app OPENAI_API_KEY <value> --role agent-smith, or set another mode",
        "fix: jackin config env set CLAUDE_CODE_OAUTH_TOKEN <value> --role agent-smith, or set another mode",
        "  [roles.agent-smith.env]                 failed: the value is empty",
        "     jackin workspace env set my-app GH_TOKEN <value>, or remove it: jackin workspace env unset my-app GH_TOKEN",
    ] {
        assert!(text.lines().any(|l| l == line), "missing line {line:?} in\n{text}");
    }
    for var in ["CLAUDE_CODE_OAUTH_TOKEN", "AMP_API_KEY", "GH_TOKEN"] {
        assert!(text.contains(&format!("{var} in operator env (lowest -> highest):")));
    }
    assert!(!text.contains("sk-lower"));
}

/// A slow or failing `op read` is run once per reference, even though the
/// error shows it again in the layer trace; all op references run in
/// parallel, so two timeouts cost one.
#[test]
fn op_failures_are_not_resolved_twice() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls");
    let env = env_with_home(Path::new("/nonexistent-home"), &[]);
    let mut r = Resolver::new(&env);
    r.op_program = crate::env::sources::tests::fake_op(
        dir.path(),
        &format!("echo \"$2\" >> {}; sleep 5", log.display()),
    );
    r.op_timeout = std::time::Duration::from_millis(1500);
    let mut cfg = config(&["codex", "amp"]);
    cfg.agents.insert("codex".into(), auth(Mode::ApiKey));
    cfg.agents.insert("amp".into(), auth(Mode::ApiKey));
    cfg.env
        .insert("OPENAI_API_KEY".into(), "op://v/openai/key".into());
    cfg.env
        .insert("AMP_API_KEY".into(), "op://v/amp/key".into());
    let started = std::time::Instant::now();
    let text = build_with(&cfg, &target(), &r).unwrap_err().to_string();
    assert!(started.elapsed() < std::time::Duration::from_millis(2900));
    assert!(
        text.contains("  [env]                                   failed: '"),
        "{text}"
    );
    assert!(text.contains("read' timed out after 1.5 s"), "{text}");
    let mut calls: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    calls.sort();
    assert_eq!(calls, ["op://v/amp/key", "op://v/openai/key"]);
}

#[test]
fn ad_hoc_target_skips_workspace_scopes() {
    let env = env_with_home(Path::new("/nonexistent-home"), &[]);
    let mut cfg = config(&["codex"]);
    cfg.agents.insert("codex".into(), auth(Mode::ApiKey));
    let text = build(&cfg, &LaunchTarget::ad_hoc("agent-smith"), &env)
        .unwrap_err()
        .to_string();
    assert_eq!(
        text,
        "\
error: cannot launch codex in the current directory (no saved workspace) with role 'agent-smith'
  codex auth_forward = api_key needs OPENAI_API_KEY, which is unset

auth_forward resolution (most specific first):
  codex  global × codex   -> api_key     <- effective
OPENAI_API_KEY in operator env (lowest -> highest):
  [env]                                   unset
  [roles.agent-smith.env]                 unset
fix: jackin config env set OPENAI_API_KEY <value>, or set another mode
     jackin config auth set sync --agent codex   (another mode)"
    );
}

#[test]
fn default_mode_is_shown_when_no_scope_sets_one() {
    let env = env_with_home(Path::new("/nonexistent-home"), &[]);
    let mut cfg = config(&["claude", "opencode"]);
    ws(&mut cfg)
        .agents
        .insert("opencode".into(), auth(Mode::ApiKey));
    let text = build(&cfg, &target(), &env).unwrap_err().to_string();
    assert!(text.contains(
        "  claude    workspace × role × claude     -> (none)\n            workspace × claude            -> (none)\n            global × claude               -> (none)\n            default                       -> sync        <- effective\n"
    ), "{text}");
}

#[test]
fn bad_targets_are_clear_errors() {
    let env = HostEnv::new();
    let cfg = config(&["claude"]);
    let e = build(&cfg, &LaunchTarget::ad_hoc("nope"), &env)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "error: no role 'nope' in the config (roles: agent-smith); add one with `jackin role add`"
    );
    let e = build(&cfg, &LaunchTarget::workspace("x", "agent-smith"), &env)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no saved workspace 'x' (workspaces: my-app)"),
        "{e}"
    );
    let mut cfg = config(&["codex"]);
    cfg.agents.insert("codex".into(), auth(Mode::OauthToken));
    let e = build(&cfg, &target(), &env).unwrap_err().to_string();
    assert_eq!(
        e,
        "error: codex does not support auth_forward = oauth_token (set in [codex]); codex supports: sync, api_key, ignore"
    );
    let e = build(&config(&["vim"]), &target(), &env)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown agent 'vim'"), "{e}");
}
