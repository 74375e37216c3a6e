//! `jackin-init run` / `exec` as processes: wait for `receive`, load one
//! agent's env, really drop to the target uid/gid, exec the command.

mod common;
use common::*;
use jackin_init::manifest::Action;
use std::process::Stdio;
use std::time::{Duration, Instant};

const PROBE: &str = "echo uid=$(id -u) gid=$(id -g) groups=$(id -G); \
    echo HOME=$HOME USER=$USER LOGNAME=$LOGNAME; \
    echo CLAUDE=${ANTHROPIC_API_KEY:-none} CODEX=${OPENAI_API_KEY:-none} KEEP=${KEEP_ME:-none}";

fn two_agents() -> Container {
    let c = Container::new();
    let m = manifest(vec![
        plan(
            "claude",
            "api_key",
            Action::Env,
            vec![],
            &[("ANTHROPIC_API_KEY", "sk-claude")],
        ),
        plan(
            "codex",
            "api_key",
            Action::Env,
            vec![],
            &[("OPENAI_API_KEY", "sk-codex")],
        ),
    ]);
    let out = c.receive(&bundle(&m, &[]));
    assert!(out.status.success(), "{}", stderr(&out));
    c
}

fn probe(c: &Container, args: &[&str]) -> String {
    let out = c.cmd(args).env("KEEP_ME", "yes").output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn run_execs_the_command_as_the_user_with_only_its_agent_env() {
    let c = two_agents();
    let out = probe(
        &c,
        &["run", "--agent", "claude", "--", "/bin/sh", "-c", PROBE],
    );
    assert_eq!(
        out,
        format!(
            "uid={UID} gid={GID} groups={GID}\nHOME=/home/agent USER=agent LOGNAME=agent\n\
             CLAUDE=sk-claude CODEX=none KEEP=yes\n"
        )
    );
    let out = probe(&c, &["run", "--agent=codex", "/bin/sh", "-c", PROBE]);
    assert!(
        out.ends_with("CLAUDE=none CODEX=sk-codex KEEP=yes\n"),
        "{out}"
    );
}

#[test]
fn exec_without_agent_is_a_plain_session_as_the_user() {
    let c = two_agents();
    let out = probe(&c, &["exec", "--", "sh", "-c", PROBE]);
    assert!(
        out.starts_with(&format!("uid={UID} gid={GID} groups={GID}\n")),
        "{out}"
    );
    assert!(out.ends_with("CLAUDE=none CODEX=none KEEP=yes\n"), "{out}");
    // No command: the user's login shell from /etc/passwd reads stdin.
    let mut child = c
        .cmd(&["exec"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"id -u\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), format!("{UID}\n"));
}

#[test]
fn run_waits_for_receive_then_starts() {
    let c = Container::new();
    let child = c
        .cmd(&[
            "run",
            "--agent",
            "claude",
            "--",
            "sh",
            "-c",
            "echo key=$ANTHROPIC_API_KEY",
        ])
        .env("JACKIN_INIT_TIMEOUT_SECS", "20")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let m = manifest(vec![plan(
        "claude",
        "api_key",
        Action::Env,
        vec![],
        &[("ANTHROPIC_API_KEY", "late")],
    )]);
    assert!(c.receive(&bundle(&m, &[])).status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "key=late\n");
}

#[test]
fn run_times_out_with_a_message_saying_what_to_do() {
    let c = Container::new();
    let start = Instant::now();
    let out = c
        .cmd(&["run", "--", "true"])
        .env("JACKIN_INIT_TIMEOUT_SECS", "1")
        .output()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("jackin-init: timed out after 1 s"), "{err}");
    assert!(
        err.contains("jackin never ran `jackin-init receive`") && err.contains("jackin load"),
        "{err}"
    );
    let out = c
        .cmd(&["run", "--", "true"])
        .env("JACKIN_INIT_TIMEOUT_SECS", "soon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn missing_command_or_agent_is_named() {
    let c = two_agents();
    let out = c
        .cmd(&[
            "run",
            "--agent",
            "claude",
            "--",
            "no-such-agent-cli",
            "--flag",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("command `no-such-agent-cli` was not found"),
        "{}",
        stderr(&out)
    );
    let out = c
        .cmd(&["exec", "--agent", "amp", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("agent `amp` was not in the bundle"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn ci_runs_these_tests_as_root() {
    // With CI=true, lacking root is a failure, never a skip.
    if std::env::var("CI").as_deref() == Ok("true") {
        require_root();
    }
    assert!(
        bin().exists(),
        "binary under test missing: {}",
        bin().display()
    );
}

#[test]
fn run_replaces_itself_with_the_command() {
    // exec, not spawn: the command keeps jackin-init's pid, so the engine's
    // init forwards signals straight to the agent.
    let c = two_agents();
    let child = c
        .cmd(&["run", "--", "sh", "-c", "echo pid=$$"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), format!("pid={pid}\n"));
}
