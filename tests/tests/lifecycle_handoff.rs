//! The two handoffs of `jackin load` on both engines: the unix socket
//! bind-mounted at `/jackin/handoff` (the default), and the exec of
//! `jackin-init receive` (`JACKIN_HANDOFF=exec`, the fallback). Both give
//! the container the same login; the socket is one-shot (gone once the
//! agent runs, and its folder closed to the agent's user); purge removes
//! the instance's handoff folder on the host.

use jackin_tests::sandbox::{derived_image_with, fixture, read_file, root_exec, Jackin};
use jackin_tests::{engine, engine_test, PROBE_IMAGE};

/// Whether the container was made for the socket handoff: the bind of the
/// handoff folder and `--handoff` on `jackin-init run`'s command line.
async fn made_for_socket(e: &dyn jackin_tests::Engine, container: &str) -> (bool, bool) {
    let doc = e
        .inspect_container_json(container)
        .await
        .unwrap()
        .expect("container exists")
        .to_string();
    (
        doc.contains("/jackin/handoff\""),
        doc.contains("\"--handoff\""),
    )
}

engine_test!(socket_and_exec_handoffs_give_the_same_login, |kind| {
    let e = engine(kind).await;
    let mut j = Jackin::new(kind, "handoff");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude", "codex"]);
    let claude = fixture("claude-valid.json");
    j.write_home(".claude/.credentials.json", &claude);
    j.write_home(".codex/auth.json", &fixture("codex-apikey.json"));

    // The socket handoff (default).
    let l = j.load(&role, &[]);
    assert_eq!(l.report("claude")["result"], "synced", "{}", l.json);
    assert_eq!(l.report("codex")["result"], "synced", "{}", l.json);
    assert_eq!(made_for_socket(&*e, &l.container).await, (true, true));
    let creds = "/home/agent/.claude/.credentials.json";
    assert_eq!(read_file(&*e, &l.container, creds).await, Some(claude));
    // One-shot: no socket left, and the folder is closed to the agent.
    let o = root_exec(&*e, &l.container, &["sh", "-c", "ls -A /jackin/handoff"]).await;
    assert_eq!((o.exit_code, o.stdout.as_slice()), (0, &b""[..]));
    let o = e
        .exec(
            &l.container,
            &jackin::engine::ExecSpec {
                cmd: vec!["ls".into(), "/jackin/handoff".into()],
                user: Some("1000".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_ne!(
        o.exit_code, 0,
        "the agent's user can list the handoff folder"
    );
    let host_dir = j.data_dir.join("handoff").join(&l.id);
    assert!(host_dir.is_dir(), "{}", host_dir.display());
    j.ok(&["eject", &l.id, "--engine", kind.as_str()]);

    // The exec handoff, forced: a new host login reaches the same home.
    j.env.insert("JACKIN_HANDOFF".into(), "exec".into());
    let newer = br#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-exec-handoff","refreshToken":"sk-ant-ort01-exec-handoff","expiresAt":4102444800000,"scopes":["user:inference"]}}"#;
    j.write_home(".claude/.credentials.json", newer);
    let l2 = j.load(&role, &[]);
    assert_eq!(l2.id, l.id, "the instance is reused");
    assert_eq!(l2.report("claude")["result"], "synced", "{}", l2.json);
    assert_eq!(made_for_socket(&*e, &l2.container).await, (false, false));
    assert_eq!(
        read_file(&*e, &l2.container, creds).await.as_deref(),
        Some(&newer[..])
    );

    j.ok(&["eject", &l.id, "--purge", "--engine", kind.as_str()]);
    assert!(!host_dir.exists(), "purge left {}", host_dir.display());
});

// jackin-init cannot start (the image sets its wait to garbage: a usage
// error before it connects): the load fails at once with the container's
// own words, instead of waiting for a connection that cannot come, and
// leaves nothing behind.
engine_test!(
    a_container_that_exits_before_the_handoff_fails_the_load_clearly,
    |kind| {
        let e = engine(kind).await;
        let image = derived_image_with(
            kind,
            "badinitenv",
            "true",
            &["ENV JACKIN_INIT_TIMEOUT_SECS=soon"],
        );
        let j = Jackin::new(kind, "exitearly");
        let role = format!("r-{}", j.name);
        j.add_role(&role, &image, &["claude"]);
        j.write_home(".claude/.credentials.json", &fixture("claude-valid.json"));
        let (r, v) = j.load_raw(&role, &[]);
        assert!(v.is_none(), "{}", r.stdout);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stderr
                .contains("exited (code 2) before jackin-init took the bundle")
                && r.stderr
                    .contains("JACKIN_INIT_TIMEOUT_SECS=`soon` is not a whole number"),
            "{}",
            r.stderr
        );
        let cs = e
            .list_containers(&[("io.jackin.role", Some(role.as_str()))])
            .await
            .unwrap();
        assert!(cs.is_empty(), "{cs:?}");
    }
);

// The handoff folder is what the engine binds: with a relative
// `JACKIN_DATA_DIR` it must still be an absolute path (podman resolves a
// relative one against its own service's folder, docker refuses it), and
// a handoff folder that is a symbolic link is not followed (no chmod of,
// no bind of its target): the load falls back to the exec.
engine_test!(handoff_folder_is_absolute_and_never_a_link, |kind| {
    use std::os::unix::fs::PermissionsExt;
    let e = engine(kind).await;
    let mut j = Jackin::new(kind, "handofffolder");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude"]);
    j.write_home(".claude/.credentials.json", &fixture("claude-valid.json"));

    // `cwd` is `<root>/work`, the data folder `<root>/data`.
    j.env.insert("JACKIN_DATA_DIR".into(), "../data".into());
    let l = j.load(&role, &[]);
    assert_eq!(l.report("claude")["result"], "synced", "{}", l.json);
    assert_eq!(made_for_socket(&*e, &l.container).await, (true, true));
    let host_dir = j.data_dir.join("handoff").join(&l.id);
    assert!(host_dir.is_dir(), "{}", host_dir.display());
    j.ok(&["eject", &l.id, "--engine", kind.as_str()]);

    // The instance's handoff folder replaced by a link to another folder.
    let elsewhere = j.root().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("private"), "not for the container").unwrap();
    std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::remove_dir_all(&host_dir).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &host_dir).unwrap();
    let l2 = j.load(&role, &[]);
    assert_eq!(l2.id, l.id, "the instance is reused");
    assert_eq!(l2.report("claude")["result"], "synced", "{}", l2.json);
    assert_eq!(made_for_socket(&*e, &l2.container).await, (false, false));
    let mode = std::fs::metadata(&elsewhere).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o755, "the link's target was chmod-ed");
    j.ok(&["eject", &l.id, "--purge", "--engine", kind.as_str()]);
    assert!(
        elsewhere.join("private").exists(),
        "purge followed the link"
    );
});

// Instance ids also come from container labels (a container only the
// engine knows is listed and can be ejected by its name), and anyone with
// access to a shared engine can set a label. Ejecting such a container
// with `--purge` must not turn its id into a path: `..` named the data
// folder itself, and `eject --purge` deleted it (the index, the image
// cache, every instance's handoff folder).
engine_test!(a_labelled_id_never_names_a_folder_to_remove, |kind| {
    let e = engine(kind).await;
    let j = Jackin::new(kind, "labelledid");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude"]);
    j.write_home(".claude/.credentials.json", &fixture("claude-valid.json"));
    let l = j.load(&role, &[]);
    let host_dir = j.data_dir.join("handoff").join(&l.id);
    assert!(host_dir.is_dir());

    let name = format!("jk-foreign-{}", j.name);
    let _ = e.remove_container(&name, true).await;
    let spec = jackin::engine::ContainerSpec {
        name: name.clone(),
        image: PROBE_IMAGE.to_string(),
        network: Some("none".into()),
        labels: [
            ("io.jackin.instance".to_string(), "..".to_string()),
            ("io.jackin.role".to_string(), role.clone()),
        ]
        .into(),
        ..Default::default()
    };
    e.create_container(&spec).await.unwrap();
    let r = j.run_e(&["eject", &name, "--purge"]);
    let _ = e.remove_container(&name, true).await;
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        j.data_dir.join("instances.json").is_file(),
        "eject --purge of {name} removed the data folder"
    );
    assert!(
        host_dir.is_dir(),
        "eject --purge of {name} removed {}",
        host_dir.display()
    );
    let ps = j.ok(&["ps", "--engine", kind.as_str()]);
    assert!(ps.stdout.contains(&l.id), "{}", ps.stdout);
});
