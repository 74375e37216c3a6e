//! Secrets audit, on both engines, with `oauth_token` (claude), `api_key`
//! (codex) and `sync` (amp, opencode) in play at once: the secret values
//! reach the container (positive control) and appear nowhere else — not in
//! the container's `inspect` JSON, not in any `/proc/*/cmdline` in the
//! container or on the host (sampled all through the launch), not in
//! jackin's stdout/stderr even with `--debug`, and not in any file jackin
//! writes on the host (config.toml holds only `$VAR` references). The load
//! hands the bundle over the socket, `auth sync` through the exec: both
//! handoffs are audited.

mod hardening_common;

use hardening_common::{random_tag, write_host_logins, Instances, Operator, WorkspaceCleanup};
use jackin_tests::{argv, engine, engine_test, ensure_probe_image, wait_for_logs};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Every file under `dir` (recursively) whose content contains a secret:
/// `(path, secret)`.
fn files_containing(dir: &Path, secrets: &[String], skip: &[std::path::PathBuf]) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if m.is_dir() {
                stack.push(p);
            } else if m.is_file() && !skip.contains(&p) {
                let data = std::fs::read(&p).unwrap_or_default();
                let text = String::from_utf8_lossy(&data);
                for s in secrets {
                    if text.contains(s.as_str()) {
                        hits.push(format!("{} contains {s}", p.display()));
                    }
                }
            }
        }
    }
    hits
}

/// Samples every host process's cmdline until stopped; records the ones
/// holding a secret.
struct CmdlineSampler {
    stop: Arc<AtomicBool>,
    hits: Arc<Mutex<Vec<String>>>,
    samples: Arc<Mutex<usize>>,
    /// How many times a running `jackin --debug …` process was seen.
    jackins: Arc<Mutex<usize>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CmdlineSampler {
    fn start(secrets: Vec<String>) -> CmdlineSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let hits = Arc::new(Mutex::new(Vec::new()));
        let samples = Arc::new(Mutex::new(0));
        let jackins = Arc::new(Mutex::new(0));
        let (s, h, n, j) = (stop.clone(), hits.clone(), samples.clone(), jackins.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let mut count = 0;
                for e in std::fs::read_dir("/proc").unwrap().flatten() {
                    let name = e.file_name();
                    if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
                        continue;
                    }
                    let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
                        continue;
                    };
                    count += 1;
                    let text = String::from_utf8_lossy(&cmd).replace('\0', " ");
                    if text.contains(" --debug ") && text.contains("jackin") {
                        *j.lock().unwrap() += 1;
                    }
                    for secret in &secrets {
                        if text.contains(secret.as_str()) {
                            h.lock().unwrap().push(format!("pid {name:?}: {text}"));
                        }
                    }
                }
                *n.lock().unwrap() += usize::from(count > 0);
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        });
        CmdlineSampler {
            stop,
            hits,
            samples,
            jackins,
            thread: Some(thread),
        }
    }

    /// Stops; returns (number of full /proc scans, times a running
    /// `jackin --debug` was caught, hits).
    fn finish(mut self) -> (usize, usize, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
        let n = *self.samples.lock().unwrap();
        let j = *self.jackins.lock().unwrap();
        let hits = self.hits.lock().unwrap().clone();
        (n, j, hits)
    }
}

fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    for s in secrets {
        assert!(
            !text.contains(s.as_str()),
            "a secret ({s}) appears in {what}:\n{text}"
        );
    }
}

engine_test!(secrets_appear_nowhere_but_in_the_container, |kind| {
    let image = ensure_probe_image(kind);
    let e = engine(kind).await;
    let mut op = Operator::new();
    let ws = format!("audit-{}", random_tag());
    let _leftovers = WorkspaceCleanup {
        kind,
        workspace: ws.clone(),
    };
    let (t_oauth, t_key, t_file) = (random_tag(), random_tag(), random_tag());
    let oauth = format!("sk-ant-oat01-audit-{t_oauth}");
    let openai = format!("sk-audit-openai-{t_key}");
    op.env.push(("JK_AUDIT_OAUTH".into(), oauth.clone()));
    op.env.push(("JK_AUDIT_OPENAI".into(), openai.clone()));
    write_host_logins(&op.home(), &t_file);
    // The random tags are what must never leak; the host files hold t_file.
    let secrets = vec![t_oauth.clone(), t_key.clone(), t_file.clone()];
    let host_logins: Vec<_> = [
        ".claude/.credentials.json",
        ".claude.json",
        ".codex/auth.json",
        ".local/share/amp/secrets.json",
        ".local/share/opencode/auth.json",
    ]
    .iter()
    .map(|r| op.home().join(r))
    .collect();
    let logins_before: Vec<_> = host_logins
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();

    let work = op.work().display().to_string();
    let mut outputs = String::new();
    for args in [
        vec![
            "role", "add", "audit", "--image", &image, "--agent", "claude", "--agent", "codex",
            "--agent", "amp", "--agent", "opencode",
        ],
        vec!["workspace", "create", &ws, "--workdir", &work],
        vec!["config", "auth", "set", "oauth_token"],
        vec!["config", "auth", "set", "api_key", "--agent", "codex"],
        vec!["workspace", "auth", "set", &ws, "sync", "--agent", "amp"],
        vec![
            "config",
            "env",
            "set",
            "CLAUDE_CODE_OAUTH_TOKEN",
            "$JK_AUDIT_OAUTH",
        ],
        vec![
            "workspace",
            "env",
            "set",
            &ws,
            "OPENAI_API_KEY",
            "${JK_AUDIT_OPENAI}",
        ],
    ] {
        outputs.push_str(&op.ok(&args));
    }

    let sampler = CmdlineSampler::start(secrets.clone());
    let eng = Operator::engine_args(kind);
    let mut args = vec![
        "--debug",
        "load",
        "audit",
        &ws,
        "--json",
        "--network",
        "none",
    ];
    args.extend(eng.iter().map(String::as_str));
    let out = op.run(&args);
    let loaded: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|err| {
        panic!(
            "load --json: {err}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let id = loaded["id"].as_str().unwrap().to_string();
    let _cleanup = Instances {
        op: &op,
        kind,
        ids: vec![id.clone()],
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let container = loaded["container"].as_str().unwrap().to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        stderr.contains("DEBUG"),
        "--debug printed no traces:\n{stderr}"
    );
    assert!(
        stderr.contains("JK_AUDIT_OAUTH"),
        "--debug shows the reference:\n{stderr}"
    );
    // This load used the socket handoff; `auth sync` below uses the exec.
    assert!(
        stderr.contains("timing: handoff accept"),
        "the load did not use the socket handoff:\n{stderr}"
    );
    outputs.push_str(&String::from_utf8_lossy(&out.stdout));
    outputs.push_str(&stderr);

    // Positive controls: the values did reach the container.
    // Wait for the line asserted on: the probe prints it after `agent=`.
    let logs = wait_for_logs(e.as_ref(), &container, "env:CLAUDE_CODE_OAUTH_TOKEN=", 30).await;
    assert!(
        logs.contains(&format!("env:CLAUDE_CODE_OAUTH_TOKEN={oauth}")),
        "claude got no token:\n{logs}"
    );
    assert!(
        !logs.contains(&openai),
        "codex's key leaked into claude's env"
    );
    let codex_env = e
        .exec(
            &container,
            &jackin::engine::ExecSpec {
                cmd: argv(&["cat", "/run/jackin/env/codex.json"]),
                user: Some("0".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&codex_env.stdout).contains(&openai),
        "codex env file lacks its key"
    );
    let amp = e
        .exec(
            &container,
            &jackin::engine::ExecSpec {
                cmd: argv(&["cat", "/home/agent/.local/share/amp/secrets.json"]),
                user: Some("0".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&amp.stdout).contains(&t_file),
        "amp's login was not synced"
    );

    // A re-provision and read-only commands, with --debug, while sampling.
    let mut args = vec!["--debug", "auth", "sync", id.as_str()];
    args.extend(eng.iter().map(String::as_str));
    let sync = op.run(&args);
    assert!(
        sync.status.success(),
        "{}",
        String::from_utf8_lossy(&sync.stderr)
    );
    outputs.push_str(&String::from_utf8_lossy(&sync.stdout));
    outputs.push_str(&String::from_utf8_lossy(&sync.stderr));
    for args in [
        vec!["--debug", "config", "env", "list", "--json"],
        vec!["--debug", "workspace", "env", "list", &ws],
        vec![
            "--debug",
            "config",
            "auth",
            "show",
            "--workspace",
            &ws,
            "--role",
            "audit",
            "--json",
        ],
        vec!["--debug", "workspace", "show", &ws, "--json"],
    ] {
        let o = op.run(&args);
        outputs.push_str(&String::from_utf8_lossy(&o.stdout));
        outputs.push_str(&String::from_utf8_lossy(&o.stderr));
    }
    let (scans, jackins, hits) = sampler.finish();
    assert!(
        jackins >= 1,
        "the sampler never caught a running jackin ({scans} scans of /proc)"
    );
    assert!(
        hits.is_empty(),
        "secrets in host process command lines:\n{}",
        hits.join("\n")
    );
    assert_clean("jackin's output (with --debug)", &outputs, &secrets);

    // The container's configuration.
    let inspect = e
        .inspect_container_json(&container)
        .await
        .unwrap()
        .expect("container exists");
    assert_clean("inspect JSON", &inspect.to_string(), &secrets);

    // Every process's argv inside the container.
    let cmdlines = e
        .exec(
            &container,
            &jackin::engine::ExecSpec {
                cmd: argv(&[
                    "sh",
                    "-c",
                    "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done",
                ]),
                user: Some("0".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&cmdlines.stdout);
    assert!(
        text.contains("sleep"),
        "the probe's processes were not listed:\n{text}"
    );
    assert_clean("container /proc/*/cmdline", &text, &secrets);

    // Files jackin wrote on the host: config and data folders, and anything
    // new or changed in HOME (the host logins themselves are the test's).
    let config = std::fs::read_to_string(op.config_dir().join("config.toml")).unwrap();
    assert!(
        config.contains("$JK_AUDIT_OAUTH") && config.contains("${JK_AUDIT_OPENAI}"),
        "{config}"
    );
    let mut hits = files_containing(&op.config_dir(), &secrets, &[]);
    hits.extend(files_containing(&op.data_dir(), &secrets, &[]));
    hits.extend(files_containing(&op.home(), &secrets, &host_logins));
    hits.extend(files_containing(&op.work(), &secrets, &[]));
    assert!(
        hits.is_empty(),
        "secrets in files on the host:\n{}",
        hits.join("\n")
    );
    let logins_after: Vec<_> = host_logins
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert_eq!(
        logins_before, logins_after,
        "jackin changed the host's login files"
    );
});
