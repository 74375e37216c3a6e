//! The container user's home (SPEC §2, §8): it belongs to the user even
//! when the image has no home folder or a root-owned one, and `receive`
//! follows no symbolic link the container left in it. Both engines.

use jackin::engine::ExecSpec;
use jackin_tests::sandbox::{derived_image, fixture, read_file, stat, Jackin};
use jackin_tests::{engine, engine_test, Engine, PROBE_IMAGE};

/// Runs `sh -c script` in `c` as uid 1000 (the image user).
async fn as_user(e: &dyn Engine, c: &str, script: &str) -> jackin::engine::ExecOutput {
    e.exec(
        c,
        &ExecSpec {
            cmd: vec!["sh".into(), "-c".into(), script.into()],
            user: Some("1000".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

async fn home_is_the_users(kind: jackin_tests::EngineKind, tag: &str, shell: &str) {
    let e = engine(kind).await;
    let image = derived_image(kind, tag, shell);
    let j = Jackin::new(kind, tag);
    let role = format!("r-{}", j.name);
    j.add_role(&role, &image, &["claude"]);
    let valid = fixture("claude-valid.json");
    j.write_home(".claude/.credentials.json", &valid);
    let l = j.load(&role, &[]);
    let c = l.container.as_str();
    let home = stat(&*e, c, "/home/agent").await.expect("home exists");
    assert_eq!(
        (home.uid, home.gid),
        (1000, 1000),
        "{tag}: home owner {home:?}"
    );
    // What Claude does on every start: rewrite ~/.claude.json through a
    // temporary file beside it.
    let o = as_user(
        &*e,
        c,
        "echo '{\"numStartups\":1}' > ~/.claude.json.tmp && mv ~/.claude.json.tmp ~/.claude.json",
    )
    .await;
    assert_eq!(
        o.exit_code,
        0,
        "{tag}: the agent cannot write its home: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        read_file(&*e, c, "/home/agent/.claude/.credentials.json")
            .await
            .as_deref(),
        Some(&valid[..])
    );
}

engine_test!(home_belongs_to_the_user_when_the_image_has_none, |kind| {
    home_is_the_users(kind, "nohome", "rm -rf /home/agent").await;
});

engine_test!(
    home_belongs_to_the_user_when_the_image_has_it_root_owned,
    |kind| {
        home_is_the_users(
            kind,
            "roothome",
            "chown 0:0 /home/agent && chmod 0755 /home/agent",
        )
        .await;
    }
);

// A link the container planted where a credential goes: auth sync refuses
// and writes nothing through it.
engine_test!(receive_follows_no_link_in_the_home, |kind| {
    let e = engine(kind).await;
    let j = Jackin::new(kind, "links");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude", "codex"]);
    j.write_home(".claude/.credentials.json", &fixture("claude-valid.json"));
    j.write_home(".codex/auth.json", &fixture("codex-apikey.json"));
    let l = j.load(&role, &[]);
    let c = l.container.as_str();
    let passwd = read_file(&*e, c, "/etc/passwd").await.unwrap();
    let shadow_target = "/tmp/jackin-target";
    let o = as_user(
        &*e,
        c,
        &format!(
            "rm -f ~/.claude/.credentials.json && ln -s /etc/passwd ~/.claude/.credentials.json && \
             rm -rf ~/.codex && ln -s {shadow_target} ~/.codex"
        ),
    )
    .await;
    assert_eq!(o.exit_code, 0, "{}", String::from_utf8_lossy(&o.stderr));
    let _ = jackin_tests::sandbox::root_exec(&*e, c, &["mkdir", "-p", shadow_target]).await;

    let r = j.run(&["auth", "sync", &l.id, "--engine", kind.as_str()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
    assert_eq!(read_file(&*e, c, "/etc/passwd").await.unwrap(), passwd);
    assert_eq!(
        stat(&*e, c, &format!("{shadow_target}/auth.json")).await,
        None
    );
    let st = stat(&*e, c, "/etc/passwd").await.unwrap();
    assert_eq!((st.uid, st.gid), (0, 0), "owner of /etc/passwd changed");
});

// The container jackin makes (SPEC §8 step 1): the engine's init as pid 1,
// jackin-init read-only, a 0700 tmpfs at /run/jackin, the workspace
// mounted at the workdir, a TTY, the agent as the image user.
engine_test!(container_layout_follows_the_spec, |kind| {
    let e = engine(kind).await;
    let j = Jackin::new(kind, "layout");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude"]);
    std::fs::write(j.cwd.join("from-host.txt"), b"workspace file\n").unwrap();
    let l = j.load(&role, &[]);
    let c = l.container.as_str();
    let mounts = String::from_utf8(read_file(&*e, c, "/proc/mounts").await.unwrap()).unwrap();
    let run = mounts
        .lines()
        .find(|m| m.split_whitespace().nth(1) == Some("/run/jackin"))
        .unwrap_or_else(|| panic!("no /run/jackin mount:\n{mounts}"));
    assert!(run.starts_with("tmpfs "), "{run}");
    let st = stat(&*e, c, "/run/jackin").await.unwrap();
    assert_eq!((st.mode, st.uid), (0o700, 0));
    let init = mounts
        .lines()
        .find(|m| m.split_whitespace().nth(1) == Some("/jackin/jackin-init"))
        .unwrap_or_else(|| panic!("jackin-init not mounted:\n{mounts}"));
    assert!(
        init.split_whitespace()
            .nth(3)
            .unwrap()
            .split(',')
            .any(|o| o == "ro"),
        "{init}"
    );
    let cwd = j.cwd.display().to_string();
    assert_eq!(
        read_file(&*e, c, &format!("{cwd}/from-host.txt"))
            .await
            .as_deref(),
        Some(&b"workspace file\n"[..])
    );
    // The agent, as the engine init's child (agent_pid waits for it).
    let agent = jackin_tests::sandbox::agent_pid(&*e, c).await;
    let ps = jackin_tests::sandbox::processes(&*e, c).await;
    let pid1 = &ps.iter().find(|p| p.0 == 1).unwrap().2;
    assert!(pid1.contains("init"), "pid 1 is the engine's init: {pid1}");
    let proc_dir = format!("/proc/{agent}");
    assert_eq!(stat(&*e, c, &proc_dir).await.unwrap().uid, 1000);
    // Root in the container may not look into another user's process.
    let o = as_user(&*e, c, &format!("readlink {proc_dir}/cwd")).await;
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        cwd,
        "agent runs in the workdir"
    );
    let o = as_user(&*e, c, &format!("readlink {proc_dir}/fd/0")).await;
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("/dev/pts/"),
        "agent has a TTY"
    );
});

// A role that relocates Claude's folder inside the container (SPEC §2:
// "honouring the same relocation variables if the role sets them"): the
// files land there and Claude's env names it as an absolute path (no
// program expands a literal `~` in an env value).
engine_test!(
    relocation_set_by_the_role_is_honoured_in_the_container,
    |kind| {
        let e = engine(kind).await;
        let j = Jackin::new(kind, "reloc");
        let role = format!("r-{}", j.name);
        j.add_role(&role, PROBE_IMAGE, &["claude", "amp"]);
        let valid = fixture("claude-valid.json");
        let amp = fixture("amp-secrets.json");
        j.write_home(".claude/.credentials.json", &valid);
        j.write_home(".local/share/amp/secrets.json", &amp);
        j.ok(&[
            "config",
            "env",
            "set",
            "CLAUDE_CONFIG_DIR",
            "~/.claude-ctr",
            "--role",
            &role,
        ]);
        j.ok(&[
            "config",
            "env",
            "set",
            "XDG_DATA_HOME",
            "/home/agent/xdg",
            "--role",
            &role,
        ]);
        let l = j.load(&role, &[]);
        let c = l.container.as_str();
        assert_eq!(
            read_file(&*e, c, "/home/agent/.claude-ctr/.credentials.json")
                .await
                .as_deref(),
            Some(&valid[..])
        );
        assert_eq!(
            read_file(&*e, c, "/home/agent/xdg/amp/secrets.json")
                .await
                .as_deref(),
            Some(&amp[..])
        );
        assert_eq!(
            stat(&*e, c, "/home/agent/.claude/.credentials.json").await,
            None
        );
        let env = jackin_tests::sandbox::agent_env(&*e, c).await;
        assert_eq!(
            env.get("CLAUDE_CONFIG_DIR").map(String::as_str),
            Some("/home/agent/.claude-ctr")
        );
        assert_eq!(
            env.get("XDG_DATA_HOME").map(String::as_str),
            Some("/home/agent/xdg")
        );
        // auth sync places them the same way.
        j.ok(&["auth", "sync", &l.id, "--engine", kind.as_str()]);
        let env = jackin_tests::sandbox::exec_env(&*e, c, "claude").await;
        assert_eq!(
            env.get("CLAUDE_CONFIG_DIR").map(String::as_str),
            Some("/home/agent/.claude-ctr")
        );
    }
);

// A handoff that receive refuses (the image plants a link where Claude's
// folder goes): load fails with receive's reason, attached or detached,
// and leaves no container, volume or index entry behind.
engine_test!(refused_handoff_leaves_nothing_behind, |kind| {
    let e = engine(kind).await;
    let image = derived_image(kind, "linkedclaude", "ln -s /etc /home/agent/.claude");
    let j = Jackin::new(kind, "refusedhandoff");
    let role = format!("r-{}", j.name);
    j.add_role(&role, &image, &["claude"]);
    j.write_home(".claude/.credentials.json", &fixture("claude-valid.json"));
    let (r, v) = j.load_raw(&role, &[]);
    assert!(v.is_none());
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("symbolic link") && r.stderr.contains(".claude"),
        "{}",
        r.stderr
    );

    let bin = jackin_tests::sandbox::jackin_bin().display().to_string();
    let cmd = format!(
        "{bin} load {role} --network none --engine {}; echo \"jackin-exit=$?\"",
        kind.as_str()
    );
    let out = jackin_tests::sandbox::run_in_pty(
        &cmd,
        &j.env,
        &j.cwd,
        jackin_tests::sandbox::PTY_TIMEOUT,
        |o| o.contains("jackin-exit="),
    );
    assert!(out.contains("symbolic link"), "{out}");
    assert!(out.contains("jackin-exit=1"), "{out}");

    let cs = e
        .list_containers(&[("io.jackin.role", Some(role.as_str()))])
        .await
        .unwrap();
    assert!(cs.is_empty(), "{cs:?}");
    let index = std::fs::read_to_string(j.data_dir.join("instances.json")).unwrap_or_default();
    assert!(!index.contains(&role), "{index}");
    let vols = jackin_tests::sandbox::engine_cli(kind, e.socket())
        .args([
            "volume",
            "ls",
            "-q",
            "--filter",
            &format!("label=io.jackin.role={role}"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&vols.stdout).trim(),
        "",
        "volumes left"
    );
});
