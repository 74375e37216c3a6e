//! Terminal sessions (`exec_interactive`, `attach`) driven through the
//! `jackin-engine-session` helper binary, over a pipe and over a real
//! pseudo-terminal (raw mode, size forwarding, mode restored on exit).

use jackin::engine::ContainerSpec;
use jackin_tests::{
    argv, engine, engine_test, ensure_probe_image, start_probe_container, unique_name, Cleanup,
    EngineKind,
};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_jackin-engine-session");

fn wait_with_timeout(child: &mut std::process::Child, secs: u64) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("the session did not end within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs the helper with `input` on a pipe; returns (exit code, stdout).
fn over_pipe(kind: EngineKind, args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .arg(kind.as_str())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn jackin-engine-session");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let code = wait_with_timeout(&mut child, 60);
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (code, out, err)
}

engine_test!(exec_interactive_over_a_pipe, |kind| {
    let e = engine(kind).await;
    let name = unique_name("session-pipe", kind);
    let mut clean = Cleanup::new(kind);
    clean.containers.push(name.clone());
    start_probe_container(e.as_ref(), &name).await;
    let (code, out, err) = tokio::task::spawn_blocking({
        let name = name.clone();
        move || {
            over_pipe(
                kind,
                &["exec", &name, "--user", "1000", "--", "sh"],
                "echo uid-$(id -u)-$((6*7)); exit 3\n",
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(code, 3, "stdout: {out}\nstderr: {err}");
    assert!(out.contains("uid-1000-42"), "stdout: {out}\nstderr: {err}");
});

engine_test!(attach_to_a_tty_container_until_it_exits, |kind| {
    let e = engine(kind).await;
    let image = ensure_probe_image(kind);
    let name = unique_name("session-attach", kind);
    let mut clean = Cleanup::new(kind);
    clean.containers.push(name.clone());
    let _ = e.remove_container(&name, true).await;
    let spec = ContainerSpec {
        name: name.clone(),
        image,
        cmd: argv(&["sh"]),
        tty: true,
        init: true,
        network: Some("none".into()),
        ..Default::default()
    };
    let id = e.create_container(&spec).await.expect("create");
    e.start_container(&id).await.expect("start");
    let (code, out, err) = tokio::task::spawn_blocking({
        let name = name.clone();
        move || over_pipe(kind, &["attach", &name], "echo attached-$((6*7)); exit 4\n")
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    assert!(out.contains("attached-42"), "stdout: {out}\nstderr: {err}");
    assert_eq!(e.wait_container(&id).await.expect("wait"), 4);
});

engine_test!(exec_interactive_on_a_pty_raw_mode_and_size, |kind| {
    use nix::pty::{openpty, Winsize};
    use nix::sys::termios::{tcgetattr, LocalFlags};
    let e = engine(kind).await;
    let name = unique_name("session-pty", kind);
    let mut clean = Cleanup::new(kind);
    clean.containers.push(name.clone());
    start_probe_container(e.as_ref(), &name).await;

    let ws = Winsize {
        ws_row: 33,
        ws_col: 101,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = openpty(Some(&ws), None).expect("openpty");
    let before = tcgetattr(&pty.slave).expect("tcgetattr");
    assert!(before
        .local_flags
        .contains(LocalFlags::ICANON | LocalFlags::ECHO));

    let mut child = Command::new(BIN)
        .args([
            kind.as_str(),
            "exec",
            &name,
            "--",
            "sh",
            "-c",
            "read x; stty size; echo got-$x-$((6*7)); exit 5",
        ])
        .stdin(Stdio::from(pty.slave.try_clone().unwrap()))
        .stdout(Stdio::from(pty.slave.try_clone().unwrap()))
        .stderr(Stdio::from(pty.slave.try_clone().unwrap()))
        .spawn()
        .expect("spawn jackin-engine-session");
    let output = Arc::new(Mutex::new(Vec::new()));
    let mut master_r = std::fs::File::from(pty.master.try_clone().unwrap());
    let sink = output.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = master_r.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    // Typed before the shell reads: the container's TTY buffers it. The
    // size is read after the line, once jackin has sent it (Docker applies
    // an exec's size only after the exec starts).
    let mut master_w = std::fs::File::from(pty.master.try_clone().unwrap());
    master_w.write_all(b"abc\r").unwrap();
    let code = tokio::task::spawn_blocking(move || wait_with_timeout(&mut child, 60))
        .await
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let text = String::from_utf8_lossy(&output.lock().unwrap()).to_string();
    assert_eq!(code, 5, "output: {text}");
    assert!(text.contains("got-abc-42"), "output: {text}");
    assert!(
        text.contains("33 101"),
        "terminal size not forwarded: {text}"
    );
    let after = tcgetattr(&pty.slave).expect("tcgetattr");
    assert_eq!(
        after.local_flags, before.local_flags,
        "terminal mode not restored"
    );
    assert_eq!(
        after.input_flags, before.input_flags,
        "terminal mode not restored"
    );
});
