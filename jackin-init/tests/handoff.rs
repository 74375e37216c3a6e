//! `jackin-init run --handoff SOCKET` as a process: the bundle over a unix
//! socket (jackin's side played by the test), the reply lines, the agent
//! started after the apply; the fallback to `receive` when no bundle is
//! offered; a refused bundle over the socket changes nothing.

mod common;
use common::*;
use jackin_init::manifest::Action;
use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::process::{Child, Stdio};
use std::time::Duration;

const SOCKET: &str = "/jackin/handoff/init.sock";
const PROBE: &str = "echo uid=$(id -u) KEY=${ANTHROPIC_API_KEY:-none}";

fn login_bundle() -> Vec<u8> {
    let m = manifest(vec![plan(
        "claude",
        "sync",
        Action::Synced,
        vec![write_op(".claude/.credentials.json", "c")],
        &[("ANTHROPIC_API_KEY", "sk-handoff")],
    )]);
    bundle(&m, &[("c", b"{\"token\":\"new\"}")])
}

fn listen(c: &Container) -> UnixListener {
    let path = c.path(SOCKET.trim_start_matches('/'));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    UnixListener::bind(&path).unwrap()
}

fn spawn_run(c: &Container, timeout_secs: &str) -> Child {
    c.cmd(&[
        "run",
        "--agent",
        "claude",
        "--handoff",
        SOCKET,
        "--",
        "/bin/sh",
        "-c",
        PROBE,
    ])
    .env("JACKIN_INIT_TIMEOUT_SECS", timeout_secs)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap()
}

/// Plays jackin: accepts one connection, sends `bundle`, closes the write
/// side, returns the reply.
fn serve(listener: &UnixListener, bundle: &[u8]) -> String {
    let (mut s, _) = listener.accept().unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(bundle).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    reply
}

#[test]
fn the_bundle_over_the_socket_is_applied_reported_and_the_agent_starts() {
    let c = Container::new();
    let listener = listen(&c);
    let child = spawn_run(&c, "5");
    let reply = serve(&listener, &login_bundle());
    assert_eq!(
        reply,
        "{\"agent\":\"claude\",\"mode\":\"sync\",\"result\":\"synced\",\
         \"files\":[\".claude/.credentials.json\"],\"env\":[\"ANTHROPIC_API_KEY\"]}\n"
    );
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("uid={UID} KEY=sk-handoff\n"));
    assert_eq!(
        std::fs::read(c.home(".claude/.credentials.json")).unwrap(),
        b"{\"token\":\"new\"}"
    );
    assert!(c.path("run/jackin/ready").exists());
    // A later session finds the same bundle applied.
    let later = c
        .cmd(&["exec", "--agent", "claude", "--", "/bin/sh", "-c", PROBE])
        .output()
        .unwrap();
    assert_eq!(stdout(&later), stdout(&out));
}

/// `run` (already spawned) is waiting for `receive`: deliver through it
/// and check that the agent then starts with the bundle's env.
fn receive_then_agent_runs(c: &Container, run: Child) {
    std::thread::sleep(Duration::from_millis(200));
    let r = c.receive(&login_bundle());
    assert!(r.status.success(), "{}", stderr(&r));
    let out = run.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("uid={UID} KEY=sk-handoff\n"));
}

#[test]
fn no_socket_or_a_closed_one_falls_back_to_receive() {
    // No socket at all: `run` waits for `receive`.
    let c = Container::new();
    let run = spawn_run(&c, "20");
    receive_then_agent_runs(&c, run);

    // jackin accepts and closes without a byte (it gave up and uses the
    // exec): the same fallback.
    let c = Container::new();
    let listener = listen(&c);
    let run = spawn_run(&c, "20");
    drop(listener.accept().unwrap());
    receive_then_agent_runs(&c, run);
}

#[test]
fn a_refused_bundle_over_the_socket_is_answered_and_changes_nothing() {
    let c = Container::new();
    std::fs::create_dir_all(c.home(".claude")).unwrap();
    std::fs::write(c.home(".claude/.credentials.json"), "{\"token\":\"old\"}").unwrap();
    let listener = listen(&c);
    let before = c.snapshot();
    let child = spawn_run(&c, "5");
    let m = manifest(vec![plan(
        "claude",
        "sync",
        Action::Synced,
        vec![write_op(".claude/.credentials.json", "c")],
        &[],
    )]);
    let hostile = end([raw_manifest(&m), raw_file("../../etc/passwd", b"x")].concat());
    let reply = serve(&listener, &hostile);
    let v: serde_json::Value = serde_json::from_str(reply.trim()).unwrap();
    let msg = v["error"].as_str().unwrap_or_else(|| panic!("{reply}"));
    assert!(msg.contains(".."), "{msg}");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("jackin-init: the bundle from "),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "", "the agent must not start");
    assert_eq!(c.snapshot(), before, "a refused bundle changed the root");
}

#[test]
fn handoff_is_an_option_of_run_only() {
    let c = Container::new();
    let out = c
        .cmd(&["exec", "--handoff", SOCKET, "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = c.cmd(&["run", "--handoff"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--handoff needs a socket path"));
}
