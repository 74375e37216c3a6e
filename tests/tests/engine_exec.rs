//! Non-interactive exec: stdin streamed in and closed, stdout/stderr and
//! exit codes back, and secrets only through stdin (never in inspect).

use jackin::engine::ExecSpec;
use jackin_tests::{argv, engine, engine_test, start_probe_container, unique_name, Cleanup};

/// 1 MiB covering every byte value, from a fixed xorshift sequence.
fn payload() -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

fn host_sha256(data: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("host sha256sum");
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

engine_test!(stdin_round_trip_1mib, |kind| {
    let e = engine(kind).await;
    let name = unique_name("exec-stdin", kind);
    let mut clean = Cleanup::new(kind);
    clean.containers.push(name.clone());
    let id = start_probe_container(e.as_ref(), &name).await;
    let data = payload();

    let cat = e
        .exec(
            &id,
            &ExecSpec {
                cmd: argv(&["cat"]),
                stdin: Some(data.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("exec cat");
    assert_eq!(
        cat.exit_code,
        0,
        "stderr: {}",
        String::from_utf8_lossy(&cat.stderr)
    );
    assert_eq!(cat.stdout.len(), data.len());
    assert!(cat.stdout == data, "cat returned different bytes");

    let sum = e
        .exec(
            &id,
            &ExecSpec {
                cmd: argv(&["sha256sum"]),
                stdin: Some(data.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("exec sha256sum");
    assert_eq!(sum.exit_code, 0);
    let got = String::from_utf8_lossy(&sum.stdout);
    assert_eq!(
        got.split_whitespace().next(),
        Some(host_sha256(&data).as_str())
    );
});

engine_test!(exit_codes_and_stderr_come_back, |kind| {
    let e = engine(kind).await;
    let name = unique_name("exec-codes", kind);
    let mut clean = Cleanup::new(kind);
    clean.containers.push(name.clone());
    let id = start_probe_container(e.as_ref(), &name).await;

    let out = e
        .exec(
            &id,
            &ExecSpec {
                cmd: argv(&["sh", "-c", "echo out; echo oops >&2; exit 7"]),
                ..Default::default()
            },
        )
        .await
        .expect("exec");
    assert_eq!(out.exit_code, 7);
    assert_eq!(out.stdout, b"out\n");
    assert_eq!(out.stderr, b"oops\n");

    // stdin given but not read: still the process's own exit code.
    let out = e
        .exec(
            &id,
            &ExecSpec {
                cmd: argv(&["false"]),
                stdin: Some(vec![1; 1000]),
                ..Default::default()
            },
        )
        .await
        .expect("exec false");
    assert_eq!(out.exit_code, 1);

    // A command that does not exist fails with the engine's code.
    let out = e
        .exec(
            &id,
            &ExecSpec {
                cmd: argv(&["/no/such/cmd"]),
                ..Default::default()
            },
        )
        .await;
    match out {
        Ok(o) => assert_ne!(o.exit_code, 0, "a missing command exited 0"),
        Err(err) => assert!(
            err.to_string().contains(&name) || err.to_string().contains(&id),
            "{err}"
        ),
    }
});

engine_test!(exec_user_env_workdir, |kind| {
    let e = engine(kind).await;
    let name = unique_name("exec-user", kind);
    let mut clean = Cleanup::new(kind);
    clean.containers.push(name.clone());
    let id = start_probe_container(e.as_ref(), &name).await;

    let out = e
        .exec(
            &id,
            &ExecSpec {
                cmd: argv(&["sh", "-c", "echo $(id -u):$(id -g):$FOO:$(pwd)"]),
                user: Some("1000".into()),
                env: vec![("FOO".into(), "bar baz".into())],
                workdir: Some("/tmp".into()),
                stdin: None,
            },
        )
        .await
        .expect("exec");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "1000:1000:bar baz:/tmp\n"
    );

    let out = e
        .exec(
            &id,
            &ExecSpec {
                cmd: argv(&["id", "-un"]),
                user: Some("agent".into()),
                ..Default::default()
            },
        )
        .await
        .expect("exec");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "agent\n");
});

engine_test!(secret_via_stdin_is_not_in_inspect, |kind| {
    let e = engine(kind).await;
    let name = unique_name("exec-secret", kind);
    let mut clean = Cleanup::new(kind);
    clean.containers.push(name.clone());
    let id = start_probe_container(e.as_ref(), &name).await;
    let secret = format!(
        "sk-ant-api03-jackin-test-{}-{}",
        std::process::id(),
        kind.as_str()
    );

    let out = e
        .exec(
            &id,
            &ExecSpec {
                cmd: argv(&["sh", "-c", "umask 077; cat > /tmp/handoff"]),
                stdin: Some(secret.clone().into_bytes()),
                ..Default::default()
            },
        )
        .await
        .expect("exec");
    assert_eq!(out.exit_code, 0);
    let back = e
        .exec(
            &id,
            &ExecSpec {
                cmd: argv(&["cat", "/tmp/handoff"]),
                ..Default::default()
            },
        )
        .await
        .expect("exec");
    assert_eq!(
        String::from_utf8_lossy(&back.stdout),
        secret,
        "the secret did not arrive"
    );

    let inspect = e
        .inspect_container_json(&id)
        .await
        .expect("inspect")
        .expect("container exists");
    let text = inspect.to_string();
    assert!(
        text.contains(&name),
        "inspect JSON does not describe the container"
    );
    assert!(
        !text.contains(&secret),
        "the secret is in the container's inspect output"
    );
});
