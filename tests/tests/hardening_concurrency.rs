//! Concurrency: 8 `jackin load --detach` of different roles in one
//! workspace at once, while 8 `workspace auth set` edits run concurrently.
//! Every load and edit succeeds or fails with a clear error; config.toml
//! stays valid and holds every acknowledged edit; each instance has its own
//! id, home volume and provisioned files.

mod hardening_common;

use hardening_common::{random_tag, write_host_logins, Instances, Operator, WorkspaceCleanup};
use jackin_tests::{argv, engine, engine_test, ensure_probe_image};

const N: usize = 8;

engine_test!(eight_loads_and_eight_edits_at_once, |kind| {
    let image = ensure_probe_image(kind);
    let e = engine(kind).await;
    let mut op = Operator::new();
    let ws = format!("conc-{}", random_tag());
    let _leftovers = WorkspaceCleanup {
        kind,
        workspace: ws.clone(),
    };
    // A load may see its role's codex already switched to api_key.
    op.env
        .push(("JK_CONC_OPENAI".into(), format!("sk-conc-{}", random_tag())));
    let tag = random_tag();
    write_host_logins(&op.home(), &tag);
    let work = op.work().display().to_string();
    op.ok(&["config", "env", "set", "OPENAI_API_KEY", "$JK_CONC_OPENAI"]);
    op.ok(&["workspace", "create", &ws, "--workdir", &work]);
    for r in 0..N {
        op.ok(&[
            "role",
            "add",
            &format!("r{r}"),
            "--image",
            &image,
            "--agent",
            "claude",
            "--agent",
            "codex",
            "--agent",
            "amp",
        ]);
    }

    let eng = Operator::engine_args(kind);
    let mut loads = Vec::new();
    let mut edits = Vec::new();
    for r in 0..N {
        let role = format!("r{r}");
        let mut args: Vec<String> = ["load", &role, &ws, "--json", "--network", "none"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(eng.iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        loads.push((
            role.clone(),
            op.cmd(&args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        ));
        // Each edit sets its own key, so every acknowledged one must survive.
        let mode = if r % 2 == 0 { "ignore" } else { "api_key" };
        let edit = [
            "workspace",
            "auth",
            "set",
            &ws,
            mode,
            "--agent",
            "codex",
            "--role",
            &role,
        ];
        let child = op
            .cmd(&edit)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        edits.push((role, mode, child));
    }

    let mut ids = Vec::new();
    let mut load_results = Vec::new();
    for (role, child) in loads {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout) {
            if let Some(id) = v["id"].as_str() {
                ids.push(id.to_string());
            }
            load_results.push((role, out.status.success(), stderr, Some(v)));
        } else {
            load_results.push((role, out.status.success(), stderr, None));
        }
    }
    let _cleanup = Instances {
        op: &op,
        kind,
        ids: ids.clone(),
    };
    let mut acknowledged = Vec::new();
    for (role, mode, child) in edits {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        if out.status.success() {
            acknowledged.push((role, mode));
        } else {
            assert!(
                stderr.starts_with("error: ") && !stderr.contains("panicked"),
                "unclear edit failure: {stderr}"
            );
        }
    }
    // A lock serialises the edits: none needs to fail.
    assert_eq!(
        acknowledged.len(),
        N,
        "edits failed although each sets its own key"
    );

    for (role, ok, stderr, _) in &load_results {
        assert!(*ok, "load of {role} failed:\n{stderr}");
    }

    // config.toml is valid and holds every acknowledged edit.
    let path = op.config_dir().join("config.toml");
    let (cfg, _) = jackin::config::load::load_from(&path)
        .unwrap_or_else(|err| panic!("config.toml is broken after concurrent edits: {err}"));
    for (role, mode) in &acknowledged {
        let m = jackin::resolve::mode(&cfg, Some(ws.as_str()), Some(role), "codex");
        assert_eq!(
            m.value.to_string(),
            *mode,
            "edit for {role} lost:\n{}",
            std::fs::read_to_string(&path).unwrap()
        );
    }
    for r in 0..N {
        assert!(cfg.roles.contains_key(&format!("r{r}")), "role r{r} lost");
    }

    // Eight distinct instances, each with its own home volume and files.
    let mut uniq = ids.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), N, "instance ids are not distinct: {ids:?}");
    let rows = op.ps(kind);
    for (role, _, _, v) in &load_results {
        let v = v.as_ref().unwrap();
        let id = v["id"].as_str().unwrap();
        let container = v["container"].as_str().unwrap();
        assert!(
            rows.iter()
                .any(|r| r["id"] == id && r["role"].as_str() == Some(role)),
            "{id} ({role}) not in ps: {rows:?}"
        );
        let inspect = e
            .inspect_container_json(container)
            .await
            .unwrap()
            .expect("container exists");
        let text = inspect.to_string();
        assert!(
            text.contains(&format!("jk-{id}-home")),
            "{container} does not mount its own home volume"
        );
        // A marker written into this home is visible only here.
        let mark = e
            .exec(container, &jackin::engine::ExecSpec {
                cmd: argv(&["sh", "-c", &format!("cat /home/agent/.claude/.credentials.json && ls /home/agent && touch /home/agent/only-{id}")]),
                user: Some("0".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        let out = String::from_utf8_lossy(&mark.stdout);
        assert!(
            out.contains(&format!("sk-ant-oat01-{tag}")),
            "{container} lacks the synced claude login: {out}"
        );
        assert!(
            !out.contains("only-"),
            "{container} sees another instance's home: {out}"
        );
    }
});
