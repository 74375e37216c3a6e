//! Several agents in one instance, each under its own mode; later sessions
//! (`hardline --new`) and `auth sync` on a running instance. Both engines.

use jackin_tests::sandbox::{agent_env, exec_env, fixture, read_file, run_in_pty, stat, Jackin};
use jackin_tests::{engine, engine_test, PROBE_IMAGE};
use std::collections::BTreeMap;

const KEYS: [&str; 5] = [
    "ANTHROPIC_API_KEY",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "OPENAI_API_KEY",
    "AMP_API_KEY",
    "OPENCODE_API_KEY",
];

/// The credential variables present in `env`.
fn keys(env: &BTreeMap<String, String>) -> Vec<&'static str> {
    KEYS.into_iter().filter(|k| env.contains_key(*k)).collect()
}

/// Host logins for all four agents under `j`'s HOME.
fn host_logins(j: &Jackin) {
    j.write_home(".claude/.credentials.json", &fixture("claude-valid.json"));
    j.write_home(".claude.json", &fixture("claude-account-work.json"));
    j.write_home(".codex/auth.json", &fixture("codex-apikey.json"));
    j.write_home(
        ".local/share/amp/secrets.json",
        &fixture("amp-secrets.json"),
    );
    j.write_home(
        ".local/share/opencode/auth.json",
        &fixture("opencode-auth.json"),
    );
}

// Four agents, four modes: files and env of each are right and isolated.
engine_test!(four_agents_each_get_their_own_mode, |kind| {
    let e = engine(kind).await;
    let mut j = Jackin::new(kind, "four");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude", "codex", "amp", "opencode"]);
    host_logins(&j);
    j.ok(&["config", "auth", "set", "sync", "--agent", "claude"]);
    j.ok(&["config", "auth", "set", "api_key", "--agent", "codex"]);
    j.ok(&["config", "auth", "set", "ignore", "--agent", "amp"]);
    j.ok(&["config", "auth", "set", "api_key", "--agent", "opencode"]);
    j.ok(&["config", "env", "set", "OPENAI_API_KEY", "$HOST_OPENAI"]);
    j.ok(&[
        "config",
        "env",
        "set",
        "OPENCODE_API_KEY",
        "$HOST_OPENCODE",
        "--role",
        &role,
    ]);
    let openai = format!("sk-four-openai-{}", j.name);
    let opencode = format!("oc-four-{}", j.name);
    j.env.insert("HOST_OPENAI".into(), openai.clone());
    j.env.insert("HOST_OPENCODE".into(), opencode.clone());

    let l = j.load(&role, &[]);
    let c = l.container.as_str();
    let summary = l.json["summary"].as_str().unwrap();
    for s in [
        "claude sync",
        "codex api_key",
        "amp ignore",
        "opencode api_key",
    ] {
        assert!(summary.contains(s), "summary {summary:?} lacks {s:?}");
    }
    assert_eq!(l.report("claude")["result"], "synced");
    assert_eq!(l.report("codex")["result"], "env");
    assert_eq!(l.report("amp")["result"], "revoked");
    assert_eq!(l.report("opencode")["result"], "env");

    // Files: only claude's login was forwarded.
    assert_eq!(
        read_file(&*e, c, "/home/agent/.claude/.credentials.json")
            .await
            .as_deref(),
        Some(&fixture("claude-valid.json")[..])
    );
    for p in [
        "/home/agent/.codex/auth.json",
        "/home/agent/.local/share/amp/secrets.json",
        "/home/agent/.local/share/opencode/auth.json",
    ] {
        assert_eq!(stat(&*e, c, p).await, None, "{p} must not exist");
    }

    // Env: each agent only its own variable.
    let claude = agent_env(&*e, c).await;
    assert_eq!(keys(&claude), Vec::<&str>::new(), "claude (main process)");
    let codex = exec_env(&*e, c, "codex").await;
    assert_eq!(keys(&codex), vec!["OPENAI_API_KEY"]);
    assert_eq!(codex["OPENAI_API_KEY"], openai);
    let amp = exec_env(&*e, c, "amp").await;
    assert_eq!(keys(&amp), Vec::<&str>::new(), "amp");
    let oc = exec_env(&*e, c, "opencode").await;
    assert_eq!(keys(&oc), vec!["OPENCODE_API_KEY"]);
    assert_eq!(oc["OPENCODE_API_KEY"], opencode);
    // The agents all run as uid 1000: none of them can read another
    // agent's env from the runtime folder, directly or through jackin-init.
    for script in [
        "cat /run/jackin/env/codex.json".to_string(),
        "ls /run/jackin".to_string(),
        "/jackin/jackin-init exec --agent codex -- env".to_string(),
    ] {
        let o = e
            .exec(
                c,
                &jackin::engine::ExecSpec {
                    cmd: vec!["sh".into(), "-c".into(), script.clone()],
                    user: Some("1000".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            !out.contains(&openai),
            "uid 1000 read codex's key with {script:?}"
        );
        assert_ne!(o.exit_code, 0, "{script:?} as the agent user: {out}");
    }
    for (name, env) in [("codex", &codex), ("amp", &amp), ("opencode", &oc)] {
        assert_eq!(
            env.get("HOME").map(String::as_str),
            Some("/home/agent"),
            "{name}"
        );
        assert_eq!(env.get("USER").map(String::as_str), Some("agent"), "{name}");
    }
});

// `hardline ID --new --agent A` under a real pseudo-terminal: the new
// session runs as the image user with its own agent's env, and can read
// its own files.
engine_test!(hardline_new_agent_session_is_logged_in, |kind| {
    let e = engine(kind).await;
    let mut j = Jackin::new(kind, "hardline");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude", "codex", "opencode"]);
    host_logins(&j);
    j.ok(&["config", "auth", "set", "api_key", "--agent", "opencode"]);
    j.ok(&["config", "env", "set", "OPENCODE_API_KEY", "$HOST_OPENCODE"]);
    let opencode = format!("oc-hardline-{}", j.name);
    j.env.insert("HOST_OPENCODE".into(), opencode.clone());
    let l = j.load(&role, &[]);
    let bin = jackin_tests::sandbox::jackin_bin().display().to_string();
    let session = |agent: &str| {
        let cmd = format!(
            "{bin} hardline {} --new --agent {agent} --engine {} -- --probe-arg",
            l.id,
            kind.as_str()
        );
        run_in_pty(
            &cmd,
            &j.env,
            &j.cwd,
            jackin_tests::sandbox::PTY_TIMEOUT,
            |o| o.contains("env:USER=agent\n"),
        )
    };

    let out = session("codex");
    assert!(
        out.lines()
            .any(|l| l.starts_with("args=") && l.ends_with(" --probe-arg")),
        "extra args after -- reach the agent:\n{out}"
    );
    for want in ["uid=1000", "gid=1000", "home=/home/agent", "agent=codex"] {
        assert!(
            out.lines().any(|l| l == want),
            "{want} missing in codex session:\n{out}"
        );
    }
    assert!(out.contains("env:HOME=/home/agent\n"), "{out}");
    for k in KEYS {
        assert!(
            !out.contains(&format!("env:{k}=")),
            "codex session has {k}:\n{out}"
        );
    }
    // Its files: readable by that session's user, byte-identical.
    let o = e
        .exec(
            &l.container,
            &jackin::engine::ExecSpec {
                cmd: [
                    "/jackin/jackin-init",
                    "exec",
                    "--agent",
                    "codex",
                    "--",
                    "cat",
                    "/home/agent/.codex/auth.json",
                ]
                .map(String::from)
                .to_vec(),
                user: Some("0".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(o.exit_code, 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.stdout, fixture("codex-apikey.json"));

    let out = session("opencode");
    assert!(out.lines().any(|l| l == "agent=opencode"), "{out}");
    assert!(
        out.contains(&format!("env:OPENCODE_API_KEY={opencode}\n")),
        "{out}"
    );
    assert!(!out.contains("env:OPENAI_API_KEY="), "{out}");

    // An agent the role does not run is refused, naming the agents it has.
    let r = j.run(&[
        "hardline",
        &l.id,
        "--new",
        "--agent",
        "amp",
        "--engine",
        kind.as_str(),
    ]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("amp") && r.stderr.contains("claude,codex,opencode"),
        "{}",
        r.stderr
    );
});

// `jackin auth sync` re-provisions a running instance without a restart.
engine_test!(auth_sync_updates_a_running_instance, |kind| {
    let e = engine(kind).await;
    let mut j = Jackin::new(kind, "authsync");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude", "codex"]);
    j.write_home(".claude/.credentials.json", &fixture("claude-valid.json"));
    j.ok(&["config", "auth", "set", "api_key", "--agent", "codex"]);
    j.ok(&["config", "env", "set", "OPENAI_API_KEY", "$HOST_OPENAI"]);
    j.env.insert("HOST_OPENAI".into(), "sk-authsync-old".into());
    let l = j.load(&role, &[]);
    let c = l.container.as_str();
    let cred = "/home/agent/.claude/.credentials.json";
    let started = e.inspect_container_json(c).await.unwrap().unwrap()["State"]["StartedAt"].clone();
    let pid_before = jackin_tests::sandbox::agent_pid(&*e, c).await;

    let fresh = br#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-refreshed","refreshToken":"sk-ant-ort01-refreshed","expiresAt":4102444800000,"scopes":["user:inference","user:profile"],"subscriptionType":"max"}}"#;
    j.write_home(".claude/.credentials.json", fresh);
    j.env.insert("HOST_OPENAI".into(), "sk-authsync-new".into());
    j.ok(&["auth", "sync", &l.id, "--engine", kind.as_str()]);

    assert_eq!(read_file(&*e, c, cred).await.as_deref(), Some(&fresh[..]));
    assert_eq!(
        exec_env(&*e, c, "codex").await["OPENAI_API_KEY"],
        "sk-authsync-new"
    );
    let after = e.inspect_container_json(c).await.unwrap().unwrap()["State"]["StartedAt"].clone();
    assert_eq!(after, started, "the container was restarted");
    assert_eq!(
        jackin_tests::sandbox::agent_pid(&*e, c).await,
        pid_before,
        "the agent was restarted"
    );

    // A credential that no longer resolves: refused with the trace, and
    // the running instance keeps what it has.
    j.env.remove("HOST_OPENAI");
    j.write_home(".claude/.credentials.json", &fixture("claude-valid.json"));
    let r = j.run(&["auth", "sync", &l.id, "--engine", kind.as_str()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("OPENAI_API_KEY") && r.stderr.contains("auth_forward resolution"),
        "{}",
        r.stderr
    );
    assert_eq!(
        read_file(&*e, c, cred).await.as_deref(),
        Some(&fresh[..]),
        "nothing applied"
    );
    assert_eq!(
        exec_env(&*e, c, "codex").await["OPENAI_API_KEY"],
        "sk-authsync-new"
    );
    j.env.insert("HOST_OPENAI".into(), "sk-authsync-new".into());

    // `ignore` after `sync`, then auth sync: revoked in the running container.
    j.ok(&["config", "auth", "set", "ignore", "--agent", "claude"]);
    j.ok(&["auth", "sync", &l.id, "--engine", kind.as_str()]);
    assert_eq!(read_file(&*e, c, cred).await.as_deref(), Some(&b"{}"[..]));
});

// `jackin load` attached to a terminal shows the agent from its very first
// output (a TUI agent draws its first screen right after the handoff).
engine_test!(load_attached_shows_the_agents_first_output, |kind| {
    let j = Jackin::new(kind, "attached");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude", "codex"]);
    let bin = jackin_tests::sandbox::jackin_bin().display().to_string();
    let cmd = format!(
        "{bin} load {role} --agent codex --network none --engine {}",
        kind.as_str()
    );
    let out = run_in_pty(
        &cmd,
        &j.env,
        &j.cwd,
        jackin_tests::sandbox::PTY_TIMEOUT,
        |o| o.contains("env:USER=agent\n"),
    );
    for want in ["uid=1000", "home=/home/agent", "agent=codex"] {
        assert!(
            out.lines().any(|l| l == want),
            "{want} missing from the attached load:\n{out}"
        );
    }
    assert!(out.contains("auth: claude sync"), "summary first:\n{out}");
    let r = j.ok(&["ps", "--json", "--engine", kind.as_str()]);
    assert!(r.stdout.contains(&role), "the instance runs: {}", r.stdout);
});

// `hardline --shell`: a shell as the image user in the workdir; its exit
// status becomes jackin's.
engine_test!(
    hardline_shell_runs_as_the_user_and_passes_the_exit_status,
    |kind| {
        let j = Jackin::new(kind, "shell");
        let role = format!("r-{}", j.name);
        j.add_role(&role, PROBE_IMAGE, &["claude"]);
        let l = j.load(&role, &[]);
        let bin = jackin_tests::sandbox::jackin_bin().display().to_string();
        let cmd = format!(
            "{bin} hardline {} --shell --engine {}; echo \"jackin-exit=$?\"",
            l.id,
            kind.as_str()
        );
        let out = jackin_tests::sandbox::run_in_pty_input(
            &cmd,
            &j.env,
            &j.cwd,
            b"echo \"id=$(id -u):$(id -g) home=$HOME pwd=$(pwd)\"; exit 7\n",
            jackin_tests::sandbox::PTY_TIMEOUT,
            |o| o.contains("jackin-exit="),
        );
        let want = format!("id=1000:1000 home=/home/agent pwd={}", j.cwd.display());
        assert!(
            out.lines().any(|l| l.trim() == want),
            "{want} missing:\n{out}"
        );
        assert!(out.contains("jackin-exit=7"), "exit status:\n{out}");
        for k in KEYS {
            assert!(
                !out.contains(&format!("{k}=")),
                "a shell gets no agent credential:\n{out}"
            );
        }
    }
);

// Only the variable of the chosen mode reaches the agent, even when the
// operator env defines both of Claude's (an API key in the env must not
// silently override a subscription login).
engine_test!(only_the_modes_variable_is_exported, |kind| {
    let e = engine(kind).await;
    let mut j = Jackin::new(kind, "onlyvar");
    let roles: Vec<String> = ["sync", "api_key", "oauth_token"]
        .iter()
        .map(|m| format!("{}-{}", m.replace('_', ""), j.name))
        .collect();
    for r in &roles {
        j.add_role(r, PROBE_IMAGE, &["claude"]);
    }
    j.write_home(".claude/.credentials.json", &fixture("claude-valid.json"));
    j.ok(&[
        "config",
        "env",
        "set",
        "ANTHROPIC_API_KEY",
        "$HOST_ANTHROPIC",
    ]);
    j.ok(&[
        "config",
        "env",
        "set",
        "CLAUDE_CODE_OAUTH_TOKEN",
        "$HOST_TOKEN",
    ]);
    j.env
        .insert("HOST_ANTHROPIC".into(), "sk-ant-api03-onlyvar".into());
    j.env
        .insert("HOST_TOKEN".into(), "sk-ant-oat01-onlyvar".into());
    let ws = format!("ws-{}", j.name);
    let cwd = j.cwd.display().to_string();
    j.ok(&[
        "workspace",
        "create",
        &ws,
        "--workdir",
        &cwd,
        "--mount",
        &cwd,
    ]);
    j.ok(&[
        "workspace",
        "auth",
        "set",
        &ws,
        "api_key",
        "--agent",
        "claude",
        "--role",
        &roles[1],
    ]);
    j.ok(&[
        "workspace",
        "auth",
        "set",
        &ws,
        "oauth_token",
        "--agent",
        "claude",
        "--role",
        &roles[2],
    ]);
    for (role, want) in roles.iter().zip([
        vec![],
        vec!["ANTHROPIC_API_KEY"],
        vec!["CLAUDE_CODE_OAUTH_TOKEN"],
    ]) {
        let l = j.load(role, &[&ws]);
        let env = agent_env(&*e, &l.container).await;
        assert_eq!(keys(&env), want, "role {role}");
        let has_file = stat(&*e, &l.container, "/home/agent/.claude/.credentials.json")
            .await
            .is_some();
        assert_eq!(
            has_file,
            want.is_empty(),
            "role {role}: credentials file only under sync"
        );
    }
});

// An agent that cannot start: the attached load shows jackin-init's reason
// and exits non-zero (it used to print nothing and exit 0).
engine_test!(load_attached_reports_an_agent_that_cannot_start, |kind| {
    let image =
        jackin_tests::sandbox::derived_image(kind, "noclaude", "rm -f /usr/local/bin/claude");
    let j = Jackin::new(kind, "noclaude");
    let role = format!("r-{}", j.name);
    j.add_role(&role, &image, &["claude"]);
    let bin = jackin_tests::sandbox::jackin_bin().display().to_string();
    let cmd = format!(
        "{bin} load {role} --network none --engine {}; echo \"jackin-exit=$?\"",
        kind.as_str()
    );
    let out = run_in_pty(
        &cmd,
        &j.env,
        &j.cwd,
        jackin_tests::sandbox::PTY_TIMEOUT,
        |o| o.contains("jackin-exit="),
    );
    assert!(
        out.contains("`claude` was not found"),
        "the reason is shown:\n{out}"
    );
    assert!(out.contains("the agent exited with status"), "{out}");
    let code = out
        .lines()
        .find_map(|l| l.strip_prefix("jackin-exit="))
        .expect("jackin exited");
    assert_ne!(code.trim(), "0", "{out}");
});

// `hardline --shell` opens the user's own shell from the image's
// /etc/passwd (it used to be a fixed /bin/sh).
engine_test!(hardline_shell_is_the_users_login_shell, |kind| {
    let image = jackin_tests::sandbox::derived_image(
        kind,
        "ashuser",
        "sed -i 's#^agent:\\(.*\\):/bin/sh$#agent:\\1:/bin/ash#' /etc/passwd && grep -q ':/bin/ash$' /etc/passwd",
    );
    let j = Jackin::new(kind, "ashuser");
    let role = format!("r-{}", j.name);
    j.add_role(&role, &image, &["claude"]);
    let l = j.load(&role, &[]);
    let bin = jackin_tests::sandbox::jackin_bin().display().to_string();
    let cmd = format!(
        "{bin} hardline {} --shell --engine {}; echo \"jackin-exit=$?\"",
        l.id,
        kind.as_str()
    );
    let out = jackin_tests::sandbox::run_in_pty_input(
        &cmd,
        &j.env,
        &j.cwd,
        b"echo \"shell=$0 user=$(id -un)\"; exit 0\n",
        jackin_tests::sandbox::PTY_TIMEOUT,
        |o| o.contains("jackin-exit="),
    );
    assert!(
        out.lines().any(|l| l.trim() == "shell=/bin/ash user=agent"),
        "{out}"
    );
    assert!(out.contains("jackin-exit=0"), "{out}");
});
