//! Instances and durable state (SPEC §9): eject / purge / eject --purge,
//! id and home reuse, a second load while running, --new-instance, and
//! selectors matching several instances. Both engines.

use jackin_tests::sandbox::{read_file, root_exec, Jackin};
use jackin_tests::{engine, engine_test, Engine, PROBE_IMAGE};

/// What exists of instance `id`: (container exists, volume exists, in the
/// sandbox's index).
async fn state(e: &dyn Engine, j: &Jackin, id: &str) -> (bool, bool, bool) {
    let cs = e
        .list_containers(&[("io.jackin.instance", Some(id))])
        .await
        .unwrap();
    let vol = e.volume_exists(&format!("jk-{id}-home")).await.unwrap();
    let index = std::fs::read_to_string(j.data_dir.join("instances.json")).unwrap_or_default();
    let in_index = serde_json::from_str::<serde_json::Value>(&index)
        .ok()
        .and_then(|v| v["instances"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .any(|i| i["id"] == id);
    (!cs.is_empty(), vol, in_index)
}

fn ps_state(j: &Jackin, id: &str) -> Option<String> {
    let r = j.ok(&["ps", "--json", "--engine", j.kind.as_str()]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .map(|i| i["state"].as_str().unwrap().to_string())
}

// eject keeps the home; load reuses id and home; purge refuses while the
// container exists, then removes volume and index entry.
engine_test!(eject_keeps_home_purge_removes_it, |kind| {
    let e = engine(kind).await;
    let j = Jackin::new(kind, "eject");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude"]);
    let k = kind.as_str();
    let l1 = j.load(&role, &[]);
    assert_eq!(l1.id.len(), 8);
    assert!(l1
        .id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    assert_eq!(l1.container, format!("jk-{}-{role}", l1.id));
    let info = e.inspect_container(&l1.container).await.unwrap().unwrap();
    assert_eq!(info.labels.get("io.jackin.instance"), Some(&l1.id));
    assert_eq!(info.labels.get("io.jackin.role"), Some(&role));
    assert_eq!(
        info.labels.get("io.jackin.agents").map(String::as_str),
        Some("claude")
    );
    assert!(info.labels.contains_key("io.jackin.workspace"));
    assert_eq!(ps_state(&j, &l1.id).as_deref(), Some("running"));
    // A mark in the durable home.
    let o = root_exec(
        &*e,
        &l1.container,
        &["sh", "-c", "echo kept > /home/agent/mark"],
    )
    .await;
    assert_eq!(o.exit_code, 0);

    // purge refuses while the container exists, and changes nothing.
    let r = j.run(&["purge", &l1.id, "--engine", k]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("eject"), "{}", r.stderr);
    assert_eq!(state(&*e, &j, &l1.id).await, (true, true, true));

    j.ok(&["eject", &l1.id, "--engine", k]);
    assert_eq!(
        state(&*e, &j, &l1.id).await,
        (false, true, true),
        "eject keeps volume + index"
    );
    assert_eq!(ps_state(&j, &l1.id).as_deref(), Some("ejected"));

    let l2 = j.load(&role, &[]);
    assert_eq!(l2.id, l1.id, "same (workspace, role) reuses the id");
    assert_eq!(
        read_file(&*e, &l2.container, "/home/agent/mark")
            .await
            .as_deref(),
        Some(&b"kept\n"[..]),
        "and the home volume"
    );
    j.ok(&["eject", &role, "--engine", k]);
    j.ok(&["purge", &role, "--engine", k]);
    assert_eq!(
        state(&*e, &j, &l1.id).await,
        (false, false, false),
        "purge removes everything"
    );
    assert_eq!(ps_state(&j, &l1.id), None);

    // After a purge the next load starts over with a new id and empty home.
    let l3 = j.load(&role, &[]);
    assert_ne!(l3.id, l1.id);
    assert_eq!(
        read_file(&*e, &l3.container, "/home/agent/mark").await,
        None
    );
    j.ok(&["eject", &l3.id, "--purge", "--engine", k]);
    assert_eq!(
        state(&*e, &j, &l3.id).await,
        (false, false, false),
        "eject --purge"
    );
});

// A second load while running points to hardline; --new-instance gives a
// second id and home; a role selector then matches both.
engine_test!(second_load_and_new_instance_and_selectors, |kind| {
    let e = engine(kind).await;
    let j = Jackin::new(kind, "second");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude"]);
    let k = kind.as_str();
    let l1 = j.load(&role, &[]);

    let (r, v) = j.load_raw(&role, &[]);
    assert!(
        v.is_none(),
        "a second load while running must not start anything"
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    // Docker's instances need --engine: without it jackin looks at Podman.
    let hardline = match kind.as_str() {
        "docker" => format!("'jackin hardline {} --engine docker'", l1.id),
        _ => format!("'jackin hardline {}'", l1.id),
    };
    assert!(
        r.stderr.contains(&hardline) && r.stderr.contains("--new-instance"),
        "{}",
        r.stderr
    );
    let info = e.inspect_container(&l1.container).await.unwrap().unwrap();
    assert!(info.running, "the running instance is untouched");

    let l2 = j.load(&role, &["--new-instance"]);
    assert_ne!(l2.id, l1.id);
    assert_ne!(l2.container, l1.container);
    assert_eq!(state(&*e, &j, &l2.id).await, (true, true, true));

    for cmd in [&["eject"][..], &["purge"], &["auth", "sync"], &["hardline"]] {
        let mut a = cmd.to_vec();
        a.extend([role.as_str(), "--engine", k]);
        let r = j.run(&a);
        assert_ne!(r.code, 0, "{a:?} with two matches must fail");
        assert!(
            r.stderr.contains(&l1.id) && r.stderr.contains(&l2.id) && r.stderr.contains("--all"),
            "{a:?} lists the matches: {}",
            r.stderr
        );
    }
    assert_eq!(state(&*e, &j, &l1.id).await, (true, true, true));
    assert_eq!(state(&*e, &j, &l2.id).await, (true, true, true));

    let r = j.run(&["eject", "no-such-instance-xyz", "--engine", k]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no-such-instance-xyz"), "{}", r.stderr);

    j.ok(&["eject", &role, "--all", "--purge", "--engine", k]);
    assert_eq!(state(&*e, &j, &l1.id).await, (false, false, false));
    assert_eq!(state(&*e, &j, &l2.id).await, (false, false, false));
});

// A stopped instance (its agent exited): ps says so, hardline and auth sync
// refuse with what to do, and load starts it again with the same id and home.
engine_test!(stopped_instance_is_reported_and_reloaded, |kind| {
    let e = engine(kind).await;
    let j = Jackin::new(kind, "stopped");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude"]);
    let k = kind.as_str();
    let l1 = j.load(&role, &[]);
    let o = root_exec(
        &*e,
        &l1.container,
        &["sh", "-c", "echo kept > /home/agent/mark"],
    )
    .await;
    assert_eq!(o.exit_code, 0);
    e.stop_container(&l1.container, 2).await.unwrap();
    let st = ps_state(&j, &l1.id).expect("still listed");
    assert!(st != "running" && st != "ejected", "state {st}");
    for args in [
        vec!["hardline", l1.id.as_str()],
        vec!["auth", "sync", l1.id.as_str()],
    ] {
        let mut a = args.clone();
        a.extend(["--engine", k]);
        let r = j.run(&a);
        assert_eq!(r.code, 1, "{a:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("not running") && r.stderr.contains("jackin load"),
            "{}",
            r.stderr
        );
    }
    let l2 = j.load(&role, &[]);
    assert_eq!(l2.id, l1.id);
    assert_eq!(ps_state(&j, &l2.id).as_deref(), Some("running"));
    assert_eq!(
        read_file(&*e, &l2.container, "/home/agent/mark")
            .await
            .as_deref(),
        Some(&b"kept\n"[..])
    );
});

// Two `jackin load` of the same role and workspace at once: one starts the
// instance, the other points to hardline; the winner's home and index
// entry survive the loser's cleanup.
engine_test!(concurrent_loads_start_one_instance, |kind| {
    let e = engine(kind).await;
    let j = Jackin::new(kind, "concurrent");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude"]);
    let args = [
        "load",
        role.as_str(),
        "--json",
        "--network",
        "none",
        "--engine",
        kind.as_str(),
    ];
    let a = j
        .command(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let b = j
        .command(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    let ok: Vec<_> = outs.iter().filter(|o| o.status.success()).collect();
    let failed: Vec<_> = outs.iter().filter(|o| !o.status.success()).collect();
    assert_eq!(
        ok.len(),
        1,
        "exactly one load starts the instance: {outs:?}"
    );
    let v: serde_json::Value = serde_json::from_slice(&ok[0].stdout).unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    j.track(&id);
    let err = String::from_utf8_lossy(&failed[0].stderr);
    assert_eq!(failed[0].status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("jackin hardline {id}")),
        "the other points to hardline: {err}"
    );
    assert_eq!(
        state(&*e, &j, &id).await,
        (true, true, true),
        "container, home and index entry"
    );
    assert_eq!(ps_state(&j, &id).as_deref(), Some("running"));
});

// hardline without a terminal (a script, a pipe): refused before any
// session starts, so no shell is left waiting in the container.
engine_test!(
    hardline_without_a_terminal_is_refused_and_leaves_nothing,
    |kind| {
        let e = engine(kind).await;
        let j = Jackin::new(kind, "notty");
        let role = format!("r-{}", j.name);
        j.add_role(&role, PROBE_IMAGE, &["claude"]);
        let l = j.load(&role, &[]);
        for session in [&["--shell"][..], &[]] {
            let mut a = vec!["hardline", l.id.as_str(), "--engine", kind.as_str()];
            a.extend(session);
            let r = j.run(&a);
            assert_eq!(r.code, 1, "{a:?}: {}", r.stderr);
            assert!(
                r.stderr.contains("hardline needs an interactive terminal"),
                "{a:?}: {}",
                r.stderr
            );
        }
        let ps = jackin_tests::sandbox::processes(&*e, &l.container).await;
        assert!(
            !ps.iter().any(|(_, _, cmd)| cmd.ends_with(" -l")),
            "a login shell was left: {ps:?}"
        );
    }
);
