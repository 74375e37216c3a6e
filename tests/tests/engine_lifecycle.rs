//! Container lifecycle through the trait: create with everything jackin
//! uses (labels, binds, a named volume, a 0700 tmpfs, TTY, init, network
//! none), start, inspect, list by label, stop, remove; images and volumes.

use jackin::engine::{Bind, ContainerSpec, EngineError, ExecSpec, VolumeMount};
use jackin_tests::{
    argv, engine, engine_test, ensure_probe_image, ensure_probe_node_image, unique_name, Cleanup,
    PROBE_IMAGE, PROBE_NODE_IMAGE,
};
use std::collections::BTreeMap;

async fn sh(e: &dyn jackin::engine::Engine, id: &str, script: &str) -> (i64, String) {
    let out = e
        .exec(
            id,
            &ExecSpec {
                cmd: argv(&["sh", "-c", script]),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|err| panic!("exec {script}: {err}"));
    (
        out.exit_code,
        String::from_utf8_lossy(&out.stdout).trim_end().to_string(),
    )
}

engine_test!(image_inspect_reports_user_and_missing, |kind| {
    let e = engine(kind).await;
    assert_eq!(ensure_probe_image(kind), PROBE_IMAGE);
    assert_eq!(ensure_probe_node_image(kind), PROBE_NODE_IMAGE);
    let probe = e
        .image_inspect(PROBE_IMAGE)
        .await
        .unwrap()
        .expect("probe image present");
    assert!(!probe.id.is_empty());
    assert_eq!(probe.user, None);
    let node = e
        .image_inspect(PROBE_NODE_IMAGE)
        .await
        .unwrap()
        .expect("node image present");
    assert_eq!(node.user.as_deref(), Some("node"));
    assert_ne!(node.id, probe.id);

    let missing = "localhost/jackin-test/no-such-image:latest";
    assert_eq!(e.image_inspect(missing).await.unwrap(), None);
    let spec = ContainerSpec {
        name: unique_name("missing-image", kind),
        image: missing.into(),
        ..Default::default()
    };
    let err = e
        .create_container(&spec)
        .await
        .expect_err("created from a missing image");
    assert!(matches!(err, EngineError::ImageNotFound { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(missing) && msg.contains(kind.as_str()) && msg.contains(e.socket()),
        "{msg}"
    );
    assert!(
        e.inspect_container(&spec.name).await.unwrap().is_none(),
        "a container was left behind"
    );
});

engine_test!(full_lifecycle, |kind| {
    let e = engine(kind).await;
    let image = ensure_probe_image(kind);
    let name = unique_name("lifecycle", kind);
    let volume = format!("{name}-home");
    let mut clean = Cleanup::new(kind);
    clean.containers.push(name.clone());
    clean.volumes.push(volume.clone());
    let _ = e.remove_container(&name, true).await;

    let host = tempfile::tempdir().unwrap();
    std::fs::write(host.path().join("hello.txt"), "from the host\n").unwrap();
    let rw = tempfile::tempdir().unwrap();
    let run_id = format!("{}-{}", std::process::id(), kind.as_str());
    let mut labels = BTreeMap::new();
    labels.insert("io.jackin.instance".to_string(), run_id.clone());
    labels.insert("io.jackin.role".to_string(), "probe".to_string());
    let mut vlabels = BTreeMap::new();
    vlabels.insert("io.jackin.instance".to_string(), run_id.clone());
    e.volume_create(&volume, &vlabels)
        .await
        .expect("volume create");

    let spec = ContainerSpec {
        name: name.clone(),
        image: image.clone(),
        entrypoint: argv(&["/usr/local/bin/probe"]),
        cmd: argv(&["--from-cmd"]),
        user: Some("0".into()),
        env: vec![("JACKIN_TEST".into(), "visible".into())],
        labels: labels.clone(),
        binds: vec![
            Bind {
                src: host.path().display().to_string(),
                dst: "/workspace".into(),
                readonly: true,
            },
            Bind {
                src: rw.path().display().to_string(),
                dst: "/scratch".into(),
                readonly: false,
            },
        ],
        volumes: vec![VolumeMount {
            name: volume.clone(),
            dst: "/home/agent".into(),
        }],
        tmpfs: vec![("/run/jackin".into(), "mode=0700".into())],
        workdir: Some("/workspace".into()),
        tty: true,
        init: true,
        network: Some("none".into()),
    };
    let id = e.create_container(&spec).await.expect("create");
    let created = e
        .inspect_container(&name)
        .await
        .unwrap()
        .expect("created container");
    assert_eq!(created.id, id);
    assert_eq!(created.name, name);
    assert!(!created.running);
    assert_eq!(created.state, "created");
    assert!(!created.created.is_empty());
    assert!(
        created.image.contains("jackin-test/probe"),
        "image {}",
        created.image
    );

    e.start_container(&id).await.expect("start");
    let info = e
        .inspect_container(&id)
        .await
        .unwrap()
        .expect("running container");
    assert!(info.running, "state {}", info.state);
    assert_eq!(info.state, "running");
    for (k, v) in &labels {
        assert_eq!(info.labels.get(k), Some(v), "label {k}");
    }

    // What the container sees.
    assert_eq!(sh(e.as_ref(), &id, "id -u").await, (0, "0".into()));
    assert_eq!(sh(e.as_ref(), &id, "pwd").await, (0, "/workspace".into()));
    assert_eq!(
        sh(e.as_ref(), &id, "cat /workspace/hello.txt").await,
        (0, "from the host".into())
    );
    assert_ne!(
        sh(e.as_ref(), &id, "echo x > /workspace/new 2>/dev/null")
            .await
            .0,
        0,
        "read-only bind is writable"
    );
    assert_eq!(
        sh(e.as_ref(), &id, "echo y > /scratch/out && echo ok").await,
        (0, "ok".into())
    );
    assert_eq!(
        std::fs::read_to_string(rw.path().join("out")).unwrap(),
        "y\n"
    );
    assert_eq!(
        sh(e.as_ref(), &id, "stat -c %a /run/jackin").await,
        (0, "700".into())
    );
    assert_eq!(
        sh(
            e.as_ref(),
            &id,
            "grep ' /run/jackin ' /proc/mounts | cut -d' ' -f3"
        )
        .await,
        (0, "tmpfs".into())
    );
    assert_eq!(
        sh(
            e.as_ref(),
            &id,
            "echo kept > /home/agent/state && cat /home/agent/state"
        )
        .await,
        (0, "kept".into())
    );
    assert_eq!(
        sh(e.as_ref(), &id, "ls /sys/class/net").await,
        (0, "lo".into())
    );
    assert_eq!(
        sh(e.as_ref(), &id, "echo $JACKIN_TEST").await,
        (0, "visible".into())
    );
    // PID 1 is the engine's init (catatonit / docker-init), not the probe.
    let (_, pid1) = sh(
        e.as_ref(),
        &id,
        "tr '\\0' '\\n' < /proc/1/cmdline | head -1",
    )
    .await;
    assert!(pid1.ends_with("init"), "pid 1 is {pid1}");
    let (_, probe) = sh(
        e.as_ref(),
        &id,
        "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done",
    )
    .await;
    assert!(
        probe.contains("sleep 1000000"),
        "the probe is not running: {probe}"
    );
    let json = e
        .inspect_container_json(&id)
        .await
        .unwrap()
        .unwrap()
        .to_string();
    assert!(json.contains("\"Tty\":true"), "no TTY in inspect: {json}");

    // List by label: key=value, key only, and a non-matching value.
    let by_value = e
        .list_containers(&[("io.jackin.instance", Some(&run_id))])
        .await
        .unwrap();
    assert_eq!(
        by_value.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        vec![name.as_str()]
    );
    assert!(by_value[0].running);
    assert_eq!(
        by_value[0].labels.get("io.jackin.role").map(String::as_str),
        Some("probe")
    );
    let by_key = e
        .list_containers(&[
            ("io.jackin.instance", None),
            ("io.jackin.role", Some("probe")),
        ])
        .await
        .unwrap();
    assert!(by_key.iter().any(|c| c.id == id));
    let none = e
        .list_containers(&[("io.jackin.instance", Some("no-such-instance"))])
        .await
        .unwrap();
    assert!(none.is_empty(), "{none:?}");

    // Stop (twice: already stopped is fine), then it is listed as stopped.
    e.stop_container(&id, 2).await.expect("stop");
    e.stop_container(&id, 2)
        .await
        .expect("stop a stopped container");
    let stopped = e.inspect_container(&id).await.unwrap().unwrap();
    assert!(!stopped.running);
    assert_eq!(stopped.state, "exited");
    let listed = e
        .list_containers(&[("io.jackin.instance", Some(&run_id))])
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "stopped containers are listed too");
    assert!(!listed[0].running);

    // The volume is in use: removing it fails and says so.
    assert!(
        e.volume_remove(&volume).await.is_err(),
        "removed a volume in use"
    );

    e.remove_container(&id, false).await.expect("remove");
    assert!(e.inspect_container(&id).await.unwrap().is_none());
    let err = e
        .remove_container(&id, false)
        .await
        .expect_err("removed twice");
    assert!(
        matches!(err, EngineError::ContainerNotFound { .. }),
        "{err:?}"
    );

    // The volume outlives the container (the durable home).
    assert!(e.volume_exists(&volume).await.unwrap());
    e.volume_remove(&volume).await.expect("volume remove");
    assert!(!e.volume_exists(&volume).await.unwrap());
});

engine_test!(wait_returns_exit_code, |kind| {
    let e = engine(kind).await;
    let image = ensure_probe_image(kind);
    let name = unique_name("wait", kind);
    let mut clean = Cleanup::new(kind);
    clean.containers.push(name.clone());
    let _ = e.remove_container(&name, true).await;
    let spec = ContainerSpec {
        name: name.clone(),
        image,
        cmd: argv(&["sh", "-c", "exit 5"]),
        network: Some("none".into()),
        ..Default::default()
    };
    let id = e.create_container(&spec).await.expect("create");
    e.start_container(&id).await.expect("start");
    assert_eq!(e.wait_container(&id).await.expect("wait"), 5);
    e.remove_container(&id, true).await.expect("remove");
});

engine_test!(volumes_create_exists_remove, |kind| {
    let e = engine(kind).await;
    let name = unique_name("volume", kind);
    let mut clean = Cleanup::new(kind);
    clean.volumes.push(name.clone());
    let _ = e.volume_remove(&name).await;
    assert!(!e.volume_exists(&name).await.unwrap());
    let mut labels = BTreeMap::new();
    labels.insert("io.jackin.instance".to_string(), "test".to_string());
    e.volume_create(&name, &labels).await.expect("create");
    assert!(e.volume_exists(&name).await.unwrap());
    e.volume_create(&name, &labels)
        .await
        .expect("create again is fine");
    e.volume_remove(&name).await.expect("remove");
    assert!(!e.volume_exists(&name).await.unwrap());
    e.volume_remove(&name)
        .await
        .expect("remove a missing volume is fine");
});
