//! Plan tests: hermetic (temp HOME, host env maps, Config built in code).

mod cases;
mod errors;

use super::*;
use crate::config::{AgentAuth, Role, Workspace, WorkspaceRole};
use crate::discovery::tests::{env_with_home, fixture, full_home, put};
use jackin_init::manifest::FileAction;
use serde_json::json;
use std::path::Path;

const ALL: [&str; 4] = ["claude", "codex", "amp", "opencode"];

fn auth(m: Mode) -> AgentAuth {
    AgentAuth {
        auth_forward: Some(m),
        sync_source_dir: None,
    }
}

/// A config with role `agent-smith` running `agents` and workspace `my-app`.
fn config(agents: &[&str]) -> Config {
    let mut cfg = Config::default();
    cfg.roles.insert(
        "agent-smith".into(),
        Role {
            image: "localhost/jackin/agent-smith:latest".into(),
            agents: agents.iter().map(|a| a.to_string()).collect(),
            default_agent: None,
            env: Default::default(),
        },
    );
    let mut ws = Workspace::default();
    ws.roles
        .insert("agent-smith".into(), WorkspaceRole::default());
    cfg.workspaces.insert("my-app".into(), ws);
    cfg
}

fn ws(cfg: &mut Config) -> &mut Workspace {
    cfg.workspaces.get_mut("my-app").unwrap()
}

fn target() -> LaunchTarget {
    LaunchTarget {
        workdir: Some(WORKDIR.into()),
        ..LaunchTarget::workspace("my-app", "agent-smith")
    }
}

const WORKDIR: &str = "/work/my-app";

/// `extra` plus the keys that mark Claude's first-run screens done for the
/// container's working folder.
pub(super) fn onboarded(mut extra: serde_json::Value) -> serde_json::Value {
    let o = extra.as_object_mut().unwrap();
    o.insert("hasCompletedOnboarding".into(), json!(true));
    o.insert("bypassPermissionsModeAccepted".into(), json!(true));
    o.insert(
        "projects".into(),
        json!({ WORKDIR: {"hasTrustDialogAccepted": true} }),
    );
    extra
}

fn op(path: &str, op: FileAction) -> FileOp {
    FileOp {
        path: path.into(),
        op,
    }
}

fn patch(remove: &[&str], set: serde_json::Value, create: bool) -> FileAction {
    FileAction::PatchJson {
        remove: remove.iter().map(|s| s.to_string()).collect(),
        set: set.as_object().unwrap().clone(),
        create,
    }
}

fn write(entry: &str) -> FileAction {
    FileAction::Write {
        entry: entry.into(),
    }
}

fn env_names(a: &AgentLaunch) -> Vec<&str> {
    a.env.keys().map(String::as_str).collect()
}

fn plan_ok(cfg: &Config, env: &HostEnv) -> LaunchPlan {
    build(cfg, &target(), env).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn sync_with_host_logins_writes_byte_identical_files() {
    let home = full_home();
    let env = env_with_home(home.path(), &[]);
    let plan = plan_ok(&config(&ALL), &env);
    let personal: serde_json::Value =
        serde_json::from_slice(&fixture("claude-account-personal.json")).unwrap();
    let claude = plan.agent("claude").unwrap();
    assert_eq!(claude.action, Action::Synced);
    assert_eq!(
        claude.files,
        vec![
            op(".claude/.credentials.json", write("f0")),
            op(
                ".claude.json",
                patch(
                    &["oauthAccount"],
                    onboarded(json!({"oauthAccount": personal["oauthAccount"]})),
                    true
                )
            ),
        ]
    );
    assert_eq!(
        plan.agent("codex").unwrap().files,
        vec![op(".codex/auth.json", write("f1"))]
    );
    // C09: only secrets.json, never ~/.config/amp/settings.json.
    assert_eq!(
        plan.agent("amp").unwrap().files,
        vec![op(".local/share/amp/secrets.json", write("f2"))]
    );
    assert_eq!(
        plan.agent("opencode").unwrap().files,
        vec![op(".local/share/opencode/auth.json", write("f3"))]
    );
    let payload: Vec<(&str, Vec<u8>)> = plan
        .payload
        .iter()
        .map(|(k, v)| (k.as_str(), v.expose().to_vec()))
        .collect();
    assert_eq!(
        payload,
        vec![
            ("f0", fixture("claude-valid.json")),
            ("f1", fixture("codex-apikey.json")),
            ("f2", fixture("amp-secrets.json")),
            ("f3", fixture("opencode-auth.json")),
        ]
    );
    assert_eq!(
        plan.summary(),
        "auth: claude sync (host login) · codex sync (host login) · amp sync (host login) · opencode sync (host login)"
    );
}

/// C01 and the empty host: `sync` keeps every file, and says why.
#[test]
fn sync_without_host_login_keeps_container_files() {
    let home = tempfile::tempdir().unwrap();
    put(
        home.path(),
        ".claude/.credentials.json",
        &fixture("claude-blank-stub.json"),
    );
    let env = env_with_home(home.path(), &[]);
    let plan = plan_ok(&config(&ALL), &env);
    let claude = plan.agent("claude").unwrap();
    assert_eq!(claude.action, Action::Kept);
    assert_eq!(
        claude.files,
        vec![
            op(".claude/.credentials.json", FileAction::Keep),
            op(".claude.json", FileAction::Keep)
        ]
    );
    assert_eq!(
        plan.agent("amp").unwrap().files,
        vec![op(".local/share/amp/secrets.json", FileAction::Keep)]
    );
    assert!(plan.payload.is_empty());
    let notes = plan.notes().join("\n");
    assert!(
        notes.contains("claude: the host had no usable login"),
        "{notes}"
    );
    assert!(notes.contains("stub"), "{notes}");
    assert!(plan
        .summary()
        .contains("claude sync (no host login, kept container login)"));
}

#[test]
fn env_modes_and_ignore_file_ops_for_every_agent() {
    let home = full_home();
    let env = env_with_home(home.path(), &[]);
    for agent in ALL {
        let spec = agents::find(agent).unwrap();
        for mode in [Mode::ApiKey, Mode::OauthToken, Mode::Ignore] {
            if !spec.supports(mode) {
                continue;
            }
            let mut cfg = config(&[agent]);
            cfg.agents.insert(agent.into(), auth(mode));
            cfg.env.insert(spec.api_key_var.into(), "key-value".into());
            cfg.env
                .insert("CLAUDE_CODE_OAUTH_TOKEN".into(), "oauth-value".into());
            let plan = plan_ok(&cfg, &env);
            let a = plan.agent(agent).unwrap();
            let cred = match agent {
                "claude" => ".claude/.credentials.json",
                "codex" => ".codex/auth.json",
                "amp" => ".local/share/amp/secrets.json",
                _ => ".local/share/opencode/auth.json",
            };
            let revoke = if agent == "codex" {
                FileAction::Remove
            } else {
                FileAction::Clear
            };
            let mut want = vec![op(cred, revoke)];
            if agent == "claude" {
                want.push(op(
                    ".claude.json",
                    match mode {
                        Mode::Ignore => patch(&["oauthAccount"], json!({}), false),
                        _ => patch(&["oauthAccount"], onboarded(json!({})), true),
                    },
                ));
            }
            assert_eq!(a.files, want, "{agent} {mode}");
            assert!(plan.payload.is_empty());
            let creds: Vec<(&str, &str)> = a
                .env
                .iter()
                .filter(|(k, _)| agents::is_credential_var(k))
                .map(|(k, v)| (k.as_str(), v.expose()))
                .collect();
            match mode {
                Mode::ApiKey => {
                    assert_eq!(a.action, Action::Env);
                    assert_eq!(creds, vec![(spec.api_key_var, "key-value")], "{agent}");
                }
                Mode::OauthToken => {
                    assert_eq!(a.action, Action::Env);
                    assert_eq!(creds, vec![("CLAUDE_CODE_OAUTH_TOKEN", "oauth-value")]);
                }
                _ => {
                    assert_eq!(a.action, Action::Revoked);
                    assert!(creds.is_empty(), "{agent}: {creds:?}");
                }
            }
        }
    }
}

#[test]
fn variables_of_one_agent_never_reach_another() {
    let home = full_home();
    let env = env_with_home(home.path(), &[("HOST_OPENAI", "sk-openai".into())]);
    let mut cfg = config(&ALL);
    cfg.agents.insert("claude".into(), auth(Mode::ApiKey));
    ws(&mut cfg)
        .agents
        .insert("codex".into(), auth(Mode::ApiKey));
    cfg.env.insert("ANTHROPIC_API_KEY".into(), "sk-ant".into());
    cfg.env
        .insert("CLAUDE_CODE_OAUTH_TOKEN".into(), "oat".into());
    ws(&mut cfg)
        .env
        .insert("OPENAI_API_KEY".into(), "$HOST_OPENAI".into());
    cfg.env.insert("GIT_AUTHOR_NAME".into(), "Op".into());
    // A credential variable no mode needs is not resolved, so its broken
    // reference does not block the launch.
    cfg.env.insert("AMP_API_KEY".into(), "$NOT_ON_HOST".into());
    let plan = plan_ok(&cfg, &env);
    let names = |a: &str| env_names(plan.agent(a).unwrap());
    assert_eq!(names("claude"), ["ANTHROPIC_API_KEY", "GIT_AUTHOR_NAME"]);
    assert_eq!(names("codex"), ["GIT_AUTHOR_NAME", "OPENAI_API_KEY"]);
    assert_eq!(names("amp"), ["GIT_AUTHOR_NAME"]);
    assert_eq!(
        names("opencode"),
        ["GIT_AUTHOR_NAME", "OPENCODE_PERMISSION"]
    );
    assert_eq!(
        plan.agent("codex").unwrap().env["OPENAI_API_KEY"].expose(),
        "sk-openai"
    );
    let debug = plan.env_debug().join("\n");
    assert!(debug.contains("codex: OPENAI_API_KEY = $HOST_OPENAI from [workspaces.my-app.env]"));
    assert!(debug.contains("claude: ANTHROPIC_API_KEY = literal from [env]"));
    assert!(!debug.contains("sk-") && !format!("{plan:?}").contains("sk-openai"));
}

#[test]
fn summary_line_matches_spec() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    put(
        h,
        ".claude/.credentials.json",
        &fixture("claude-valid.json"),
    );
    let env = env_with_home(h, &[]);
    let mut cfg = config(&ALL);
    ws(&mut cfg)
        .agents
        .insert("codex".into(), auth(Mode::ApiKey));
    ws(&mut cfg)
        .env
        .insert("OPENAI_API_KEY".into(), "sk-x".into());
    cfg.agents.insert("amp".into(), auth(Mode::Ignore));
    let plan = plan_ok(&cfg, &env);
    assert_eq!(
        plan.summary(),
        "auth: claude sync (host login) · codex api_key (OPENAI_API_KEY from workspace) · amp ignore · opencode sync (no host login, kept container login)"
    );
    // No oauthAccount on the host: only onboarding is set, with a warning.
    assert_eq!(
        plan.agent("claude").unwrap().files[1],
        op(".claude.json", patch(&[], onboarded(json!({})), true))
    );
    assert!(plan.notes().join("\n").contains("no account details"));
}

/// C03 through the plan: the work account's metadata is forwarded.
#[test]
fn c03_host_claude_config_dir_forwards_work_account() {
    let home = full_home();
    let h = home.path();
    put(
        h,
        ".claude-work/.credentials.json",
        &fixture("claude-valid.json"),
    );
    put(
        h,
        ".claude-work/.claude.json",
        &fixture("claude-account-work.json"),
    );
    let env = env_with_home(
        h,
        &[(
            "CLAUDE_CONFIG_DIR",
            h.join(".claude-work").display().to_string(),
        )],
    );
    let plan = plan_ok(&config(&["claude"]), &env);
    let FileAction::PatchJson { set, .. } = &plan.agent("claude").unwrap().files[1].op else {
        panic!("expected a patch")
    };
    assert_eq!(set["oauthAccount"]["emailAddress"], "work@example.com");
    // The container side is not relocated by the host's variable.
    assert_eq!(
        plan.agent("claude").unwrap().files[0].path,
        ".claude/.credentials.json"
    );
}

#[test]
fn operator_env_relocates_container_paths() {
    let home = full_home();
    let env = env_with_home(home.path(), &[]);
    let mut cfg = config(&ALL);
    cfg.env
        .insert("CLAUDE_CONFIG_DIR".into(), "~/.claude-work".into());
    ws(&mut cfg)
        .env
        .insert("XDG_DATA_HOME".into(), "/home/node/xdg".into());
    let mut t = target();
    t.container_home = Some("/home/node".into());
    let plan = build(&cfg, &t, &env).unwrap();
    let paths = |a: &str| -> Vec<String> {
        plan.agent(a)
            .unwrap()
            .files
            .iter()
            .map(|f| f.path.clone())
            .collect()
    };
    assert_eq!(
        paths("claude"),
        [
            ".claude-work/.credentials.json",
            ".claude-work/.claude.json"
        ]
    );
    assert_eq!(paths("codex"), [".codex/auth.json"]);
    assert_eq!(paths("amp"), ["xdg/amp/secrets.json"]);
    assert_eq!(paths("opencode"), ["xdg/opencode/auth.json"]);
    let claude = plan.agent("claude").unwrap();
    assert_eq!(
        claude.env["CLAUDE_CONFIG_DIR"].expose(),
        "/home/node/.claude-work"
    );
    assert_eq!(claude.env["XDG_DATA_HOME"].expose(), "/home/node/xdg");

    // Without a known home an absolute path cannot be placed; outside the
    // home it never can.
    let err = build(&cfg, &target(), &env).unwrap_err().to_string();
    assert!(err.contains("cannot place amp's login in the container: XDG_DATA_HOME (from [workspaces.my-app.env])"), "{err}");
    t.container_home = Some("/home/agent".into());
    let err = build(&cfg, &t, &env).unwrap_err().to_string();
    assert!(
        err.contains("outside the container user's home (/home/agent)"),
        "{err}"
    );
}

#[test]
fn source_folder_is_used_without_fallback() {
    let home = full_home();
    let h = home.path();
    let env = env_with_home(h, &[]);
    let mut cfg = config(&["codex"]);
    ws(&mut cfg).agents.insert(
        "codex".into(),
        AgentAuth {
            auth_forward: None,
            sync_source_dir: Some(h.join("codex-work")),
        },
    );
    let plan = plan_ok(&cfg, &env);
    assert_eq!(plan.agent("codex").unwrap().action, Action::Kept);
    put(
        h,
        "codex-work/auth.json",
        br#"{"OPENAI_API_KEY":"sk-work"}"#,
    );
    let plan = plan_ok(&cfg, &env);
    assert_eq!(
        plan.payload["f0"].expose(),
        br#"{"OPENAI_API_KEY":"sk-work"}"#
    );
    assert_eq!(
        plan.summary(),
        format!(
            "auth: codex sync (host login from {})",
            h.join("codex-work").display()
        )
    );
}
