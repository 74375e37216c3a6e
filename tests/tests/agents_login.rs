//! The real agent CLIs (image `localhost/jackin/agent-smith:latest`) judge
//! what jackin handed them: each test loads an instance with the real
//! `jackin` binary, then runs each CLI's own offline login check through
//! `jackin-init exec --agent A`, i.e. as a later session of that agent sees
//! it. Patterns are the ones measured in `images/README.md` ("Offline login
//! checks"); fake values come from `shared/cases/fixtures/`.
//!
//! - sync → every CLI is logged in with the host's login; then ignore on
//!   the same instance and home → every CLI is logged out (SPEC §3).
//! - sync then api_key → the CLIs use the env key, no credential file is
//!   left (SPEC §3, §5).
//! - C03: the host's `CLAUDE_CONFIG_DIR` account wins over `~/.claude`.

use jackin_tests::agents::{
    agent_exec, amp_tool_count, claude_auth_status, ensure_agent_image, root_exec, Out, Sandbox,
    AMP_CHECK,
};
use jackin_tests::{engine_test, EngineKind};

const AGENTS: [&str; 4] = ["claude", "codex", "amp", "opencode"];

/// Host login files for all four agents, at their Linux default places.
fn put_all_host_logins(s: &Sandbox) {
    s.put(".claude/.credentials.json", "claude-valid.json");
    s.put(".claude.json", "claude-account-work.json");
    s.put(".codex/auth.json", "codex-apikey.json");
    s.put(".local/share/amp/secrets.json", "amp-secrets.json");
    s.put(".local/share/opencode/auth.json", "opencode-auth.json");
}

/// Each CLI's offline login check, run concurrently in `container`:
/// (claude auth status, codex login status, amp tools list, opencode auth list).
async fn login_checks(kind: EngineKind, container: &str) -> (Out, Out, Out, Out) {
    tokio::join!(
        claude_auth_status(kind, container),
        agent_exec(kind, container, "codex", "codex login status"),
        agent_exec(kind, container, "amp", AMP_CHECK),
        agent_exec(kind, container, "opencode", "opencode auth list"),
    )
}

fn show(o: &Out) -> String {
    format!("exit {}:\n{}", o.code, o.text())
}

engine_test!(
    sync_logs_every_cli_in_then_ignore_logs_every_cli_out,
    |kind| {
        ensure_agent_image(kind).await;
        let s = Sandbox::new(kind, "sync-ignore");
        put_all_host_logins(&s);

        let l1 = s.load(&[]);
        for a in AGENTS {
            assert_eq!(l1.report(a)["result"], "synced", "{a}: {}", l1.json);
        }
        let (claude, codex, amp, opencode) = login_checks(kind, &l1.container).await;
        assert_eq!(claude.code, 0, "claude auth status {}", show(&claude));
        assert!(
            claude.text().contains(r#""loggedIn": true"#),
            "{}",
            show(&claude)
        );
        assert!(
            claude.text().contains(r#""email": "work@example.com""#),
            "claude does not report the forwarded account: {}",
            show(&claude)
        );
        assert_eq!(codex.code, 0, "codex login status {}", show(&codex));
        assert!(
            codex
                .text()
                .lines()
                .any(|l| l.starts_with("API key configured - sk-fake-***bcdef")),
            "codex does not show the forwarded key (masked): {}",
            show(&codex)
        );
        assert_eq!(amp.code, 0, "amp tools list {}", show(&amp));
        assert!(
            amp_tool_count(&amp.text()).is_some_and(|n| n > 0),
            "amp does not list its tools: {}",
            show(&amp)
        );
        assert_eq!(opencode.code, 0, "opencode auth list {}", show(&opencode));
        let t = opencode.text();
        assert!(
            t.contains("2 credentials")
                && t.contains("Anthropic api")
                && t.contains("OpenAI oauth"),
            "opencode does not list the forwarded providers: {}",
            show(&opencode)
        );

        // Same workspace and role: the same instance and home, now revoked.
        s.eject(&l1.id);
        for a in AGENTS {
            s.ok(&["config", "auth", "set", "ignore", "--agent", a]);
        }
        let l2 = s.load(&[]);
        assert_eq!(l2.id, l1.id, "eject + load must reuse the instance");
        for a in AGENTS {
            assert_eq!(l2.report(a)["mode"], "ignore", "{a}: {}", l2.json);
            assert_eq!(l2.report(a)["result"], "revoked", "{a}: {}", l2.json);
        }
        let (claude, codex, amp, opencode) = login_checks(kind, &l2.container).await;
        assert_eq!(claude.code, 1, "claude auth status {}", show(&claude));
        assert!(
            claude.text().contains(r#""loggedIn": false"#),
            "claude is still logged in after ignore: {}",
            show(&claude)
        );
        assert!(
            !claude.text().contains("work@example.com"),
            "{}",
            show(&claude)
        );
        assert_eq!(codex.code, 1, "codex login status {}", show(&codex));
        assert!(
            codex.text().lines().any(|l| l.starts_with("Not logged in")),
            "codex is still logged in after ignore: {}",
            show(&codex)
        );
        assert_eq!(amp.code, 124, "amp must wait for a login: {}", show(&amp));
        assert!(
            amp.text().contains("No API key found"),
            "amp is still logged in after ignore: {}",
            show(&amp)
        );
        assert!(
            opencode.text().contains("0 credentials"),
            "opencode still lists credentials after ignore: {}",
            show(&opencode)
        );
        // What the CLIs read: Codex's file is gone (Codex reads `{}` as
        // logged in), Claude's account metadata is dropped.
        let o = root_exec(
            kind,
            &l2.container,
            "test -e /home/agent/.codex/auth.json && echo CODEX-FILE; cat /home/agent/.claude.json",
        )
        .await;
        assert!(
            !o.stdout.contains("CODEX-FILE"),
            "codex auth.json survives ignore"
        );
        let account: serde_json::Value = serde_json::from_str(o.stdout.trim())
            .unwrap_or_else(|e| panic!(".claude.json is not JSON ({e}): {}", o.stdout));
        assert!(
            account.get("oauthAccount").is_none_or(|v| v.is_null()),
            ".claude.json keeps the account after ignore: {account}"
        );
    }
);

engine_test!(
    api_key_after_sync_uses_the_env_and_leaves_no_credential_file,
    |kind| {
        ensure_agent_image(kind).await;
        let mut s = Sandbox::new(kind, "api-key");
        put_all_host_logins(&s);
        let l1 = s.load(&[]);
        for a in AGENTS {
            assert_eq!(l1.report(a)["result"], "synced", "{a}: {}", l1.json);
        }
        s.eject(&l1.id);

        // Keys live only in jackin's process env; config.toml holds references.
        for (var, host, value) in [
            (
                "ANTHROPIC_API_KEY",
                "HOST_ANTHROPIC",
                "sk-ant-api03-FAKE-env-0001",
            ),
            (
                "OPENAI_API_KEY",
                "HOST_OPENAI",
                "sk-fake-env-key-0000000000000002",
            ),
            ("AMP_API_KEY", "HOST_AMP", "sgamp_user_FAKE_env_0000000003"),
            (
                "OPENCODE_API_KEY",
                "HOST_OPENCODE",
                "sk-opencode-FAKE-env-0004",
            ),
        ] {
            s.env.insert(host.into(), value.into());
            s.ok(&["config", "env", "set", var, &format!("${host}")]);
        }
        for a in AGENTS {
            s.ok(&["config", "auth", "set", "api_key", "--agent", a]);
        }
        let l2 = s.load(&[]);
        assert_eq!(l2.id, l1.id, "eject + load must reuse the instance");
        for a in AGENTS {
            assert_eq!(l2.report(a)["mode"], "api_key", "{a}: {}", l2.json);
        }
        let c = l2.container.as_str();
        let (claude, codex, amp, opencode) = tokio::join!(
            claude_auth_status(kind, c),
            agent_exec(kind, c, "codex", "codex doctor --json"),
            agent_exec(kind, c, "amp", AMP_CHECK),
            agent_exec(kind, c, "opencode", "opencode auth list"),
        );
        let t = claude.text();
        assert_eq!(claude.code, 0, "claude auth status {}", show(&claude));
        assert!(
            t.contains(r#""authMethod": "api_key""#)
                && t.contains(r#""apiKeySource": "ANTHROPIC_API_KEY""#),
            "claude does not use the env key: {}",
            show(&claude)
        );
        assert!(!t.contains("work@example.com"), "{}", show(&claude));

        let doctor: serde_json::Value = serde_json::from_str(&codex.stdout)
            .unwrap_or_else(|e| panic!("codex doctor --json is not JSON ({e}): {}", show(&codex)));
        let auth = find_check(&doctor, "auth.credentials")
            .unwrap_or_else(|| panic!("no auth.credentials check: {}", show(&codex)));
        assert_eq!(
            auth["summary"], "auth is provided by environment",
            "codex doctor: {auth}"
        );
        assert_eq!(auth["status"], "ok", "codex doctor: {auth}");

        assert_eq!(amp.code, 0, "amp tools list {}", show(&amp));
        assert!(
            amp_tool_count(&amp.text()).is_some_and(|n| n > 0),
            "amp does not take AMP_API_KEY: {}",
            show(&amp)
        );

        let t = opencode.text();
        assert!(
            t.lines()
                .any(|l| l.contains("OpenCode Zen") && l.contains("OPENCODE_API_KEY")),
            "opencode does not list the env provider: {}",
            show(&opencode)
        );
        assert!(
            t.contains("0 credentials") && !t.contains("Anthropic api"),
            "opencode still has the synced file's providers: {}",
            show(&opencode)
        );
        // Claude's key is exported to Claude only (SPEC §3): OpenCode, which
        // would list it under Environment, does not see it.
        assert!(
            !t.contains("ANTHROPIC_API_KEY"),
            "Claude's ANTHROPIC_API_KEY reached opencode: {}",
            show(&opencode)
        );

        // The files the first (sync) launch wrote are revoked: absent, or `{}`.
        for (path, how) in [
            (".claude/.credentials.json", "empty"),
            (".codex/auth.json", "absent"),
            (".local/share/amp/secrets.json", "empty"),
            (".local/share/opencode/auth.json", "empty"),
        ] {
            let o = root_exec(
                kind,
                c,
                &format!(
                    "f=/home/agent/{path}; if [ -e \"$f\" ]; then cat \"$f\"; else echo ABSENT; fi"
                ),
            )
            .await;
            let body = o.stdout.trim();
            match how {
                "absent" => assert_eq!(body, "ABSENT", "{path} must be removed, holds: {body}"),
                _ => assert!(
                    body == "ABSENT"
                        || serde_json::from_str::<serde_json::Value>(body).ok()
                            == Some(serde_json::json!({})),
                    "{path} still holds a credential: {body}"
                ),
            }
        }
        let o = root_exec(kind, c, "cat /home/agent/.claude.json").await;
        let account: serde_json::Value = serde_json::from_str(&o.stdout)
            .unwrap_or_else(|e| panic!(".claude.json is not JSON ({e}): {}", o.stdout));
        assert!(
            account.get("oauthAccount").is_none_or(|v| v.is_null()),
            ".claude.json keeps the synced account: {account}"
        );
    }
);

/// The check named `name` in `codex doctor --json` output, whether
/// `checks` is a map by name or a list of objects with an `id`/`name`.
fn find_check<'a>(doctor: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    let checks = &doctor["checks"];
    if let Some(c) = checks.get(name) {
        return Some(c);
    }
    checks
        .as_array()?
        .iter()
        .find(|c| c["id"] == name || c["name"] == name)
}

engine_test!(c03_claude_config_dir_account_wins_over_dot_claude, |kind| {
    ensure_agent_image(kind).await;
    let mut s = Sandbox::new(kind, "c03");
    s.put(".claude-work/.credentials.json", "claude-valid.json");
    s.put(".claude-work/.claude.json", "claude-account-work.json");
    s.put(".claude/.credentials.json", "claude-valid.json");
    s.put(".claude.json", "claude-account-personal.json");
    let dir = s.home.join(".claude-work").display().to_string();
    s.env.insert("CLAUDE_CONFIG_DIR".into(), dir);
    let l = s.load(&[]);
    assert_eq!(l.report("claude")["result"], "synced", "{}", l.json);
    let o = claude_auth_status(kind, &l.container).await;
    assert_eq!(o.code, 0, "claude auth status {}", show(&o));
    assert!(
        o.text().contains(r#""email": "work@example.com""#),
        "claude does not report the CLAUDE_CONFIG_DIR account: {}",
        show(&o)
    );
    assert!(
        !o.text().contains("personal@example.com"),
        "claude reports the ~/.claude account: {}",
        show(&o)
    );
});
