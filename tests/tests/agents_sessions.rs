//! Agent sessions on a terminal, with the real CLIs of
//! `localhost/jackin/agent-smith:latest`:
//!
//! - C05: Claude in `oauth_token` mode (workspace scope, token from a
//!   workspace env reference) is logged in with the token, gets no
//!   `ANTHROPIC_API_KEY` and no `.credentials.json`, and starts on a TTY
//!   without its first-run wizard or any dialog — both a new session run
//!   through `jackin-init exec` inside the container and the main session
//!   `jackin load` started.
//! - `jackin hardline ID --new --agent opencode` on a real pseudo-terminal,
//!   in an instance launched for Claude: OpenCode is already logged in and
//!   the session ends on its own when OpenCode exits.

use jackin_tests::agents::{
    agent_exec, claude_auth_status, ensure_agent_image, root_exec, screen_text, Out, Sandbox, ROLE,
};
use jackin_tests::{engine, engine_test};
use std::time::{Duration, Instant};

fn show(o: &Out) -> String {
    format!("exit {}:\n{}", o.code, o.text())
}

/// A fake long-lived Claude token (`claude setup-token` shape); it lives
/// only in jackin's process env as `HOST_CLAUDE_TOKEN`.
const TOKEN: &str = "sk-ant-oat01-FAKE-longlived-token-0005";

/// Runs `claude --dangerously-skip-permissions` (jackin's launch command
/// for Claude) in a 120×40 pseudo-terminal inside the container (`script`),
/// with Claude's env, until its screen shows the prompt, a wizard or a
/// dialog, or 90 s pass (Claude's first frame takes 15–20 s offline), then
/// prints the raw screen. `images/README.md`, "Claude's first screens".
const CLAUDE_ON_A_TTY: &str = r#"export TERM=xterm-256color
ts=$(mktemp)
(sleep 120) | script -qfc "stty cols 120 rows 40; claude --dangerously-skip-permissions" "$ts" >/dev/null 2>&1 &
pid=$!
strip() { sed -e "s/\x1b\[[0-9;]*[GC]/ /g; s/\x1b\[[0-9;?<>=]*[a-zA-Z]//g; s/\r//g"; }
for _ in $(seq 180); do
  sleep 0.5
  strip <"$ts" | grep -Eq "bypass permissions on|Welcome to Claude Code|trust this folder|Yes, I accept|Unable to connect|Select login method" && break
done
sleep 1
kill "$pid" 2>/dev/null
cat "$ts""#;

/// Screens Claude must not show when jackin launches it: the first-run
/// wizard (welcome + theme picker), the folder trust dialog, the
/// bypass-permissions warning.
const DIALOGS: [&str; 5] = [
    "Welcome to Claude Code",
    "Choose the text style",
    "Yes, I trust this folder",
    "Yes, I accept",
    "Select login method",
];

engine_test!(
    c05_oauth_token_logs_claude_in_without_the_first_run_wizard,
    |kind| {
        ensure_agent_image(kind).await;
        let mut s = Sandbox::new(kind, "c05");
        // A host login exists and must not be forwarded in oauth_token mode.
        s.put(".claude/.credentials.json", "claude-valid.json");
        s.put(".claude.json", "claude-account-work.json");
        s.env.insert("HOST_CLAUDE_TOKEN".into(), TOKEN.into());
        let workdir = s.work.display().to_string();
        s.ok(&["workspace", "create", "c05", "--workdir", &workdir]);
        s.ok(&[
            "workspace",
            "auth",
            "set",
            "c05",
            "oauth_token",
            "--agent",
            "claude",
        ]);
        s.ok(&[
            "workspace",
            "env",
            "set",
            "c05",
            "CLAUDE_CODE_OAUTH_TOKEN",
            "$HOST_CLAUDE_TOKEN",
        ]);
        let l = s.load(&[ROLE, "c05"]);
        assert_eq!(l.report("claude")["mode"], "oauth_token", "{}", l.json);
        let c = l.container.as_str();

        let (status, env, tty) = tokio::join!(
            claude_auth_status(kind, c),
            agent_exec(
                kind,
                c,
                "claude",
                r#"echo "oauth=${#CLAUDE_CODE_OAUTH_TOKEN}:${CLAUDE_CODE_OAUTH_TOKEN:0:13} api=${ANTHROPIC_API_KEY+set}""#,
            ),
            agent_exec(kind, c, "claude", CLAUDE_ON_A_TTY),
        );
        assert_eq!(status.code, 0, "claude auth status {}", show(&status));
        assert!(
            status.text().contains(r#""authMethod": "oauth_token""#),
            "claude does not use the token: {}",
            show(&status)
        );
        assert!(
            !status.text().contains("work@example.com"),
            "{}",
            show(&status)
        );
        assert_eq!(
            env.stdout.trim(),
            format!("oauth={}:{} api=", TOKEN.len(), &TOKEN[..13]),
            "Claude's env must hold the token and no ANTHROPIC_API_KEY"
        );

        let files = root_exec(
        kind,
        c,
        "test -e /home/agent/.claude/.credentials.json && echo PRESENT; cat /home/agent/.claude.json",
    )
    .await;
        assert!(
            !files.stdout.contains("PRESENT"),
            ".credentials.json exists in oauth_token mode"
        );
        let cj = files.stdout.trim_start_matches("PRESENT").trim();
        let cj: serde_json::Value = serde_json::from_str(cj)
            .unwrap_or_else(|e| panic!(".claude.json is not JSON ({e}): {cj}"));
        assert_eq!(cj["hasCompletedOnboarding"], true, ".claude.json: {cj}");
        assert_eq!(
            cj["projects"][workdir.as_str()]["hasTrustDialogAccepted"],
            true,
            ".claude.json: {cj}"
        );
        assert!(
            cj.get("oauthAccount").is_none_or(|v| v.is_null()),
            "the host account was forwarded: {cj}"
        );

        // A new session on a terminal: straight to the prompt.
        let screen = screen_text(&tty.stdout);
        for d in DIALOGS {
            assert!(
                !screen.contains(d),
                "claude showed {d:?} on a terminal:\n{screen}"
            );
        }
        assert!(
            screen.contains("bypass permissions on"),
            "claude did not reach its prompt within 90 s:\n{screen}"
        );

        // The main session (what `jackin load` attaches to): the same.
        let e = engine(kind).await;
        let start = Instant::now();
        let main = loop {
            let logs = e.container_logs(c).await.expect("container logs");
            let text = screen_text(&String::from_utf8_lossy(&logs));
            if text.contains("bypass permissions on") || start.elapsed() > Duration::from_secs(90) {
                break text;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        for d in DIALOGS {
            assert!(!main.contains(d), "the main claude showed {d:?}:\n{main}");
        }
        assert!(
            main.contains("bypass permissions on"),
            "the main claude did not reach its prompt within 90 s:\n{main}"
        );
    }
);

engine_test!(
    hardline_new_opencode_in_a_claude_instance_is_logged_in,
    |kind| {
        ensure_agent_image(kind).await;
        let s = Sandbox::new(kind, "hardline");
        s.put(".claude/.credentials.json", "claude-valid.json");
        s.put(".claude.json", "claude-account-work.json");
        s.put(".local/share/opencode/auth.json", "opencode-auth.json");
        let l = s.load(&[]);
        assert_eq!(l.json["agent"], "claude", "{}", l.json);
        assert_eq!(l.report("opencode")["result"], "synced", "{}", l.json);

        let (code, raw) = tokio::task::spawn_blocking({
            let id = l.id.clone();
            move || {
                s.run_pty(
                    &[
                        "hardline",
                        &id,
                        "--new",
                        "--agent",
                        "opencode",
                        "--engine",
                        kind.as_str(),
                        "--",
                        "auth",
                        "list",
                    ],
                    90,
                )
            }
        })
        .await
        .expect("hardline thread");
        let screen = screen_text(&raw);
        assert_eq!(code, 0, "hardline exited {code}:\n{screen}");
        assert!(
            screen.contains("2 credentials")
                && screen.contains("Anthropic api")
                && screen.contains("OpenAI oauth"),
            "opencode in a hardline session is not logged in:\n{screen}"
        );
    }
);
