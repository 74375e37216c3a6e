//! Secrets stay secret (SPEC §5, §8): with `api_key`, `oauth_token` and
//! `sync` in one launch, no credential value appears in the container's
//! configuration (`inspect`), in any process's argv inside the container,
//! in jackin's output (also with `--debug`), or in any file jackin wrote
//! under its config and data folders. Both engines.

use jackin_tests::sandbox::{agent_env, cmdlines, exec_env, fixture, read_file, Jackin, Run};
use jackin_tests::{engine, engine_test, PROBE_IMAGE};
use std::path::Path;

fn assert_clean(what: &str, hay: &[u8], secrets: &[(&str, String)]) {
    for (name, s) in secrets {
        assert!(
            !hay.windows(s.len()).any(|w| w == s.as_bytes()),
            "the {name} secret appears in {what}"
        );
    }
}

fn assert_run_clean(what: &str, r: &Run, secrets: &[(&str, String)]) {
    assert_clean(&format!("{what} output"), r.all().as_bytes(), secrets);
}

/// Every file under `dir`, recursively (symlinks not followed).
fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let t = e.file_type().unwrap();
        if t.is_dir() {
            files(&e.path(), out);
        } else if t.is_file() {
            out.push(e.path());
        }
    }
}

engine_test!(secrets_appear_nowhere_but_the_agent, |kind| {
    let e = engine(kind).await;
    let mut j = Jackin::new(kind, "secrets");
    let role = format!("r-{}", j.name);
    let k = kind.as_str();
    j.add_role(&role, PROBE_IMAGE, &["claude", "codex", "amp"]);
    // sync: amp's file holds a secret; claude's host login must not leak
    // either (it is not forwarded under oauth_token).
    let amp = fixture("amp-secrets.json");
    let amp_secret = serde_json::from_slice::<serde_json::Value>(&amp).unwrap()
        ["apiKey@https://ampcode.com/"]
        .as_str()
        .unwrap()
        .to_string();
    j.write_home(".local/share/amp/secrets.json", &amp);
    let claude_file = fixture("claude-valid.json");
    let claude_access = serde_json::from_slice::<serde_json::Value>(&claude_file).unwrap()
        ["claudeAiOauth"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    j.write_home(".claude/.credentials.json", &claude_file);
    j.ok(&["config", "auth", "set", "oauth_token", "--agent", "claude"]);
    j.ok(&["config", "auth", "set", "api_key", "--agent", "codex"]);
    j.ok(&[
        "config",
        "env",
        "set",
        "CLAUDE_CODE_OAUTH_TOKEN",
        "$HOST_TOKEN",
    ]);
    j.ok(&[
        "config",
        "env",
        "set",
        "OPENAI_API_KEY",
        "${HOST_OPENAI}",
        "--role",
        &role,
    ]);
    let token = format!("sk-ant-oat01-SECRET-token-{}", j.name);
    let openai = format!("sk-proj-SECRET-openai-{}", j.name);
    j.env.insert("HOST_TOKEN".into(), token.clone());
    j.env.insert("HOST_OPENAI".into(), openai.clone());
    let secrets = [
        ("oauth_token", token.clone()),
        ("api_key", openai.clone()),
        ("amp sync file", amp_secret.clone()),
        ("claude host file", claude_access.clone()),
    ];

    let l = j.load(&role, &["--debug"]);
    let c = l.container.as_str();
    assert!(
        l.run.stderr.contains("DEBUG") || l.run.stderr.contains("debug"),
        "--debug printed traces: {}",
        l.run.stderr
    );
    assert_run_clean("load --json --debug", &l.run, &secrets);
    let r = j.ok(&[
        "--debug",
        "load",
        &role,
        "--engine",
        k,
        "--network",
        "none",
        "--detach",
        "--new-instance",
    ]);
    assert_run_clean("load --detach --debug", &r, &secrets);
    let second = r
        .stdout
        .lines()
        .chain(r.stderr.lines())
        .find_map(|l| l.strip_prefix("started instance "))
        .and_then(|l| l.split_whitespace().next())
        .expect("load --detach names the instance")
        .to_string();
    j.track(&second);
    for args in [
        vec!["--debug", "auth", "sync", &l.id, "--engine", k],
        vec!["--debug", "ps", "--json", "--engine", k],
        vec!["--debug", "config", "auth", "show", "--json"],
        vec!["--debug", "config", "env", "list"],
        vec!["--debug", "config", "env", "list", "--role", &role],
    ] {
        let r = j.ok(&args);
        assert_run_clean(&format!("{args:?}"), &r, &secrets);
    }

    // Also with every crate's trace logs on (RUST_LOG overrides the filter
    // when --debug is not given): HTTP clients must not dump the bundle.
    j.env.insert("RUST_LOG".into(), "trace".into());
    let r = j.ok(&["auth", "sync", &l.id, "--engine", k]);
    assert!(
        r.stderr.lines().count() > 10,
        "RUST_LOG=trace logs: {}",
        r.stderr
    );
    assert_run_clean("auth sync with RUST_LOG=trace", &r, &secrets);
    j.env.remove("RUST_LOG");

    // The launch really used the secrets (so the checks below can fail).
    let claude_env = agent_env(&*e, c).await;
    assert_eq!(claude_env.get("CLAUDE_CODE_OAUTH_TOKEN"), Some(&token));
    assert_eq!(
        exec_env(&*e, c, "codex").await.get("OPENAI_API_KEY"),
        Some(&openai)
    );
    assert_eq!(
        read_file(&*e, c, "/home/agent/.local/share/amp/secrets.json")
            .await
            .as_deref(),
        Some(&amp[..])
    );

    for id in [l.container.clone(), format!("jk-{second}-{role}")] {
        let inspect = e
            .inspect_container_json(&id)
            .await
            .unwrap()
            .expect("container");
        assert_clean(
            &format!("inspect of {id}"),
            inspect.to_string().as_bytes(),
            &secrets,
        );
        assert_clean(
            &format!("argv in {id}"),
            &cmdlines(&*e, &id).await,
            &secrets,
        );
    }

    let mut all = Vec::new();
    files(&j.config_dir, &mut all);
    files(&j.data_dir, &mut all);
    assert!(!all.is_empty());
    for f in all {
        let bytes = std::fs::read(&f).unwrap();
        assert_clean(&f.display().to_string(), &bytes, &secrets);
    }
    // No bundle or temp file left anywhere under the sandbox but the
    // operator's own host logins.
    let mut rest = Vec::new();
    files(j.root(), &mut rest);
    for f in rest {
        if f.starts_with(&j.home) {
            continue;
        }
        assert_clean(
            &f.display().to_string(),
            &std::fs::read(&f).unwrap(),
            &secrets,
        );
    }
});
