//! Cases C01–C10 of `shared/cases/README.md` that need no real agent CLI,
//! on both engines: `jackin load --detach` of a role on the probe image,
//! then the files, owners, modes and agent env inside the container.

use jackin_tests::sandbox::{agent_env, exec_env, fixture, read_file, read_json, stat, Jackin};
use jackin_tests::{engine, engine_test, PROBE_IMAGE, PROBE_NODE_IMAGE};

const CRED: &str = "/home/agent/.claude/.credentials.json";
const CLAUDE_JSON: &str = "/home/agent/.claude.json";

/// Creates a saved workspace named after the sandbox, on its working folder.
fn workspace(j: &Jackin) -> String {
    let ws = format!("ws-{}", j.name);
    let cwd = j.cwd.display().to_string();
    j.ok(&[
        "workspace",
        "create",
        &ws,
        "--workdir",
        &cwd,
        "--mount",
        &cwd,
    ]);
    ws
}

// C01: a blanked stub on the host never wipes the container's login.
engine_test!(c01_blank_stub_keeps_container_login, |kind| {
    let e = engine(kind).await;
    let j = Jackin::new(kind, "c01");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude"]);
    let valid = fixture("claude-valid.json");
    j.write_home(".claude/.credentials.json", &valid);
    let l1 = j.load(&role, &[]);
    assert_eq!(l1.report("claude")["result"], "synced");
    assert_eq!(
        read_file(&*e, &l1.container, CRED).await.as_deref(),
        Some(&valid[..])
    );
    j.ok(&["eject", &l1.id, "--engine", kind.as_str()]);

    j.write_home(
        ".claude/.credentials.json",
        &fixture("claude-blank-stub.json"),
    );
    let l2 = j.load(&role, &[]);
    assert_eq!(l2.id, l1.id, "eject + load reuses the instance");
    assert_eq!(
        read_file(&*e, &l2.container, CRED).await.as_deref(),
        Some(&valid[..]),
        "the container keeps the load-1 login"
    );
    assert_eq!(l2.report("claude")["result"], "kept");
    let notes = l2.json["notes"].to_string() + &l2.json["summary"].to_string();
    assert!(
        notes.contains("claude") && notes.contains("no usable login"),
        "the report says the host had no usable login: {notes}"
    );
});

// C02: a dotfile-manager symlink is forwarded as a regular file.
engine_test!(c02_symlinked_credentials_become_a_regular_file, |kind| {
    let e = engine(kind).await;
    let j = Jackin::new(kind, "c02");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude"]);
    let valid = fixture("claude-valid.json");
    let target = j.write_home("dotfiles/claude/credentials.json", &valid);
    std::fs::create_dir_all(j.home.join(".claude")).unwrap();
    std::os::unix::fs::symlink(&target, j.home.join(".claude/.credentials.json")).unwrap();
    let l = j.load(&role, &[]);
    let st = stat(&*e, &l.container, CRED)
        .await
        .expect("credentials in container");
    assert_eq!(st.kind, "regular file");
    assert_eq!(st.mode, 0o600);
    assert_eq!(
        read_file(&*e, &l.container, CRED).await.as_deref(),
        Some(&valid[..])
    );
});

// C03: CLAUDE_CONFIG_DIR on the host picks the work account.
engine_test!(c03_claude_config_dir_forwards_the_work_account, |kind| {
    let e = engine(kind).await;
    let mut j = Jackin::new(kind, "c03");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude"]);
    let valid = fixture("claude-valid.json");
    j.write_home(".claude-work/.credentials.json", &valid);
    j.write_home(
        ".claude-work/.claude.json",
        &fixture("claude-account-work.json"),
    );
    j.write_home(".claude/.credentials.json", br#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-personal","refreshToken":"sk-ant-ort01-personal","expiresAt":4102444800000,"scopes":["user:inference"]}}"#);
    j.write_home(".claude.json", &fixture("claude-account-personal.json"));
    let dir = j.home.join(".claude-work").display().to_string();
    j.env.insert("CLAUDE_CONFIG_DIR".into(), dir);
    let l = j.load(&role, &[]);
    let work: serde_json::Value =
        serde_json::from_slice(&fixture("claude-account-work.json")).unwrap();
    let want = work["oauthAccount"]["emailAddress"].as_str().unwrap();
    let got = read_json(&*e, &l.container, CLAUDE_JSON).await;
    assert_eq!(got["oauthAccount"]["emailAddress"], want);
    assert_eq!(
        read_file(&*e, &l.container, CRED).await.as_deref(),
        Some(&valid[..])
    );
});

// C04: XDG_DATA_HOME on the host: amp and opencode logins found there.
engine_test!(c04_xdg_data_home_forwards_amp_and_opencode, |kind| {
    let e = engine(kind).await;
    let mut j = Jackin::new(kind, "c04");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["amp", "opencode"]);
    let amp = fixture("amp-secrets.json");
    let oc = fixture("opencode-auth.json");
    j.write_home("xdg/amp/secrets.json", &amp);
    j.write_home("xdg/opencode/auth.json", &oc);
    let xdg = j.home.join("xdg").display().to_string();
    j.env.insert("XDG_DATA_HOME".into(), xdg);
    assert!(!j.home.join(".local/share").exists());
    let l = j.load(&role, &[]);
    let c = &l.container;
    assert_eq!(
        read_file(&*e, c, "/home/agent/.local/share/amp/secrets.json")
            .await
            .as_deref(),
        Some(&amp[..])
    );
    assert_eq!(
        read_file(&*e, c, "/home/agent/.local/share/opencode/auth.json")
            .await
            .as_deref(),
        Some(&oc[..])
    );
});

// C05: Claude long-lived token from a workspace env reference.
engine_test!(c05_oauth_token_mode, |kind| {
    let e = engine(kind).await;
    let mut j = Jackin::new(kind, "c05");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude"]);
    j.write_home(".claude/.credentials.json", &fixture("claude-valid.json"));
    let ws = workspace(&j);
    j.ok(&[
        "workspace",
        "auth",
        "set",
        &ws,
        "oauth_token",
        "--agent",
        "claude",
    ]);
    j.ok(&[
        "workspace",
        "env",
        "set",
        &ws,
        "CLAUDE_CODE_OAUTH_TOKEN",
        "$HOST_CLAUDE_TOKEN",
    ]);
    let token = format!("sk-ant-oat01-c05-{}", j.name);
    j.env.insert("HOST_CLAUDE_TOKEN".into(), token.clone());
    let l = j.load(&role, &[&ws]);
    let env = agent_env(&*e, &l.container).await;
    assert_eq!(env.get("CLAUDE_CODE_OAUTH_TOKEN"), Some(&token));
    assert!(!env.contains_key("ANTHROPIC_API_KEY"), "{env:?}");
    assert_eq!(
        stat(&*e, &l.container, CRED).await,
        None,
        "no .credentials.json"
    );
    let cj = read_json(&*e, &l.container, CLAUDE_JSON).await;
    assert_eq!(cj["hasCompletedOnboarding"], true, "{cj}");
});

// C06: switching codex from sync to api_key revokes the synced file.
engine_test!(c06_sync_then_api_key_revokes_the_file, |kind| {
    let e = engine(kind).await;
    let j = Jackin::new(kind, "c06");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["codex", "claude"]);
    let old = fixture("codex-apikey.json");
    let old_key = serde_json::from_slice::<serde_json::Value>(&old).unwrap()["OPENAI_API_KEY"]
        .as_str()
        .unwrap()
        .to_string();
    j.write_home(".codex/auth.json", &old);
    let ws = workspace(&j);
    let l1 = j.load(&role, &[&ws]);
    let auth = "/home/agent/.codex/auth.json";
    assert_eq!(
        read_file(&*e, &l1.container, auth).await.as_deref(),
        Some(&old[..])
    );
    j.ok(&["eject", &l1.id, "--engine", kind.as_str()]);

    j.ok(&[
        "workspace",
        "auth",
        "set",
        &ws,
        "api_key",
        "--agent",
        "codex",
        "--role",
        &role,
    ]);
    let new_key = format!("sk-new-c06-{}", j.name);
    j.ok(&[
        "config",
        "env",
        "set",
        "OPENAI_API_KEY",
        &new_key,
        "--role",
        &role,
    ]);
    let l2 = j.load(&role, &[&ws]);
    assert_eq!(l2.id, l1.id);
    let now = read_file(&*e, &l2.container, auth)
        .await
        .unwrap_or_default();
    assert!(
        !String::from_utf8_lossy(&now).contains(&old_key),
        "auth.json still holds the old key: {}",
        String::from_utf8_lossy(&now)
    );
    let env = agent_env(&*e, &l2.container).await;
    assert_eq!(
        env.get("OPENAI_API_KEY"),
        Some(&new_key),
        "codex (main agent) env"
    );
    assert_eq!(
        exec_env(&*e, &l2.container, "codex")
            .await
            .get("OPENAI_API_KEY"),
        Some(&new_key)
    );
});

// C07: an image whose user is `node` gets the files under /home/node.
engine_test!(c07_node_user_home, |kind| {
    let e = engine(kind).await;
    let j = Jackin::new(kind, "c07");
    jackin_tests::ensure_probe_node_image(kind);
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_NODE_IMAGE, &["claude", "codex"]);
    let valid = fixture("claude-valid.json");
    let codex = fixture("codex-apikey.json");
    j.write_home(".claude/.credentials.json", &valid);
    j.write_home(".codex/auth.json", &codex);
    let l = j.load(&role, &[]);
    let c = &l.container;
    let cred = "/home/node/.claude/.credentials.json";
    assert_eq!(read_file(&*e, c, cred).await.as_deref(), Some(&valid[..]));
    assert_eq!(
        read_file(&*e, c, "/home/node/.codex/auth.json")
            .await
            .as_deref(),
        Some(&codex[..])
    );
    let st = stat(&*e, c, cred).await.unwrap();
    assert_eq!((st.uid, st.gid, st.mode), (1000, 1000, 0o600));
    assert_eq!(
        stat(&*e, c, "/home/agent").await,
        None,
        "nothing under /home/agent"
    );
    let env = agent_env(&*e, c).await;
    assert_eq!(env.get("HOME").map(String::as_str), Some("/home/node"));
});

// C08: loose host permissions become 0600 / 0700 owned by the image user.
engine_test!(c08_loose_host_permissions_are_tightened, |kind| {
    let e = engine(kind).await;
    let j = Jackin::new(kind, "c08");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude"]);
    let p = j.write_home(".claude/.credentials.json", &fixture("claude-valid.json"));
    jackin_tests::sandbox::set_mode(&p, 0o644);
    jackin_tests::sandbox::set_mode(p.parent().unwrap(), 0o755);
    let l = j.load(&role, &[]);
    let f = stat(&*e, &l.container, CRED).await.unwrap();
    assert_eq!((f.mode, f.uid, f.gid), (0o600, 1000, 1000), "{f:?}");
    let d = stat(&*e, &l.container, "/home/agent/.claude")
        .await
        .unwrap();
    assert_eq!((d.mode, d.uid, d.gid), (0o700, 1000, 1000), "{d:?}");
});

// C09: Amp's settings.json (no token) is not forwarded; secrets.json is.
engine_test!(c09_amp_only_secrets_forwarded, |kind| {
    let e = engine(kind).await;
    let j = Jackin::new(kind, "c09");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["amp"]);
    let secrets = fixture("amp-secrets.json");
    j.write_home(".config/amp/settings.json", &fixture("amp-settings.json"));
    j.write_home(".local/share/amp/secrets.json", &secrets);
    let l = j.load(&role, &[]);
    let c = &l.container;
    assert_eq!(
        read_file(&*e, c, "/home/agent/.local/share/amp/secrets.json")
            .await
            .as_deref(),
        Some(&secrets[..])
    );
    assert_eq!(
        stat(&*e, c, "/home/agent/.config/amp/settings.json").await,
        None
    );
    assert_eq!(stat(&*e, c, "/home/agent/.config/amp").await, None);
});

// C10: global `ignore` after a `sync` launch revokes the login.
engine_test!(c10_ignore_revokes_an_earlier_sync, |kind| {
    let e = engine(kind).await;
    let j = Jackin::new(kind, "c10");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude"]);
    j.write_home(".claude/.credentials.json", &fixture("claude-valid.json"));
    j.write_home(".claude.json", &fixture("claude-account-work.json"));
    let l1 = j.load(&role, &[]);
    let cj = read_json(&*e, &l1.container, CLAUDE_JSON).await;
    assert!(
        cj.get("oauthAccount").is_some(),
        "load 1 forwarded the account: {cj}"
    );
    j.ok(&["eject", &l1.id, "--engine", kind.as_str()]);

    j.ok(&["config", "auth", "set", "ignore", "--agent", "claude"]);
    let l2 = j.load(&role, &[]);
    assert_eq!(l2.id, l1.id);
    assert_eq!(l2.report("claude")["result"], "revoked");
    let cred = read_json(&*e, &l2.container, CRED).await;
    assert_eq!(cred, serde_json::json!({}));
    let cj = read_json(&*e, &l2.container, CLAUDE_JSON).await;
    assert!(cj.get("oauthAccount").is_none(), "{cj}");
    let env = agent_env(&*e, &l2.container).await;
    assert!(
        !env.contains_key("ANTHROPIC_API_KEY") && !env.contains_key("CLAUDE_CODE_OAUTH_TOKEN"),
        "{env:?}"
    );
});

// Claude's .claude.json belongs to the container too: sync sets only the
// account (and onboarding), ignore drops only the account; the keys Claude
// itself wrote there survive both, across eject + load.
engine_test!(claude_json_keeps_the_containers_own_keys, |kind| {
    let e = engine(kind).await;
    let j = Jackin::new(kind, "claudejson");
    let role = format!("r-{}", j.name);
    let k = kind.as_str();
    j.add_role(&role, PROBE_IMAGE, &["claude"]);
    j.write_home(".claude/.credentials.json", &fixture("claude-valid.json"));
    j.write_home(".claude.json", &fixture("claude-account-work.json"));
    let l1 = j.load(&role, &[]);
    let o = jackin_tests::sandbox::root_exec(
        &*e,
        &l1.container,
        &[
            "sh",
            "-c",
            "printf '{\"numStartups\":5,\"theme\":\"dark\",\"oauthAccount\":{\"emailAddress\":\"old@example.com\"}}' > /home/agent/.claude.json",
        ],
    )
    .await;
    assert_eq!(o.exit_code, 0);
    j.ok(&["eject", &l1.id, "--engine", k]);
    let l2 = j.load(&role, &[]);
    let cj = read_json(&*e, &l2.container, CLAUDE_JSON).await;
    let work: serde_json::Value =
        serde_json::from_slice(&fixture("claude-account-work.json")).unwrap();
    assert_eq!(cj["oauthAccount"], work["oauthAccount"], "{cj}");
    assert_eq!(
        (cj["numStartups"].clone(), cj["theme"].clone()),
        (5.into(), "dark".into()),
        "{cj}"
    );
    j.ok(&["eject", &l2.id, "--engine", k]);
    j.ok(&["config", "auth", "set", "ignore", "--agent", "claude"]);
    let l3 = j.load(&role, &[]);
    let cj = read_json(&*e, &l3.container, CLAUDE_JSON).await;
    assert!(cj.get("oauthAccount").is_none(), "{cj}");
    assert_eq!(
        (cj["numStartups"].clone(), cj["theme"].clone()),
        (5.into(), "dark".into()),
        "{cj}"
    );
    let st = stat(&*e, &l3.container, CLAUDE_JSON).await.unwrap();
    assert_eq!((st.uid, st.mode), (1000, 0o600));
});

// A dangling host symlink is "no usable login", never a dangling link in
// the container, and the container's own login stays.
engine_test!(dangling_host_symlink_keeps_the_container_login, |kind| {
    let e = engine(kind).await;
    let j = Jackin::new(kind, "dangling");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["claude"]);
    let valid = fixture("claude-valid.json");
    j.write_home(".claude/.credentials.json", &valid);
    let l1 = j.load(&role, &[]);
    j.ok(&["eject", &l1.id, "--engine", kind.as_str()]);
    std::fs::remove_file(j.home.join(".claude/.credentials.json")).unwrap();
    std::os::unix::fs::symlink(
        j.home.join("dotfiles/gone.json"),
        j.home.join(".claude/.credentials.json"),
    )
    .unwrap();
    let l2 = j.load(&role, &[]);
    assert_eq!(l2.report("claude")["result"], "kept");
    let st = stat(&*e, &l2.container, CRED).await.unwrap();
    assert_eq!(st.kind, "regular file");
    assert_eq!(
        read_file(&*e, &l2.container, CRED).await.as_deref(),
        Some(&valid[..])
    );
});

// A source folder (sync_source_dir) replaces the default host folder and
// never falls back to the default account, also when it loses its login.
engine_test!(
    source_folder_never_falls_back_to_the_default_account,
    |kind| {
        let e = engine(kind).await;
        let j = Jackin::new(kind, "srcdir");
        let role = format!("r-{}", j.name);
        j.add_role(&role, PROBE_IMAGE, &["claude"]);
        let work = fixture("claude-valid.json");
        let personal = br#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-personal","refreshToken":"sk-ant-ort01-personal","expiresAt":4102444800000,"scopes":["user:inference"]}}"#;
        j.write_home(".claude/.credentials.json", personal);
        j.write_home(".claude.json", &fixture("claude-account-personal.json"));
        j.write_home(".claude-work/.credentials.json", &work);
        j.write_home(
            ".claude-work/.claude.json",
            &fixture("claude-account-work.json"),
        );
        // A folder without a login is refused, and nothing is written.
        std::fs::create_dir_all(j.home.join("empty")).unwrap();
        let empty = j.home.join("empty").display().to_string();
        let r = j.run(&["config", "auth", "source", "set", &empty]);
        assert_ne!(r.code, 0);
        assert!(
            !j.config_dir.join("config.toml").exists()
                || !std::fs::read_to_string(j.config_dir.join("config.toml"))
                    .unwrap()
                    .contains("empty")
        );
        let src = j.home.join(".claude-work").display().to_string();
        j.ok(&["config", "auth", "source", "set", &src]);
        let l1 = j.load(&role, &[]);
        assert_eq!(
            read_file(&*e, &l1.container, CRED).await.as_deref(),
            Some(&work[..])
        );
        let cj = read_json(&*e, &l1.container, CLAUDE_JSON).await;
        let want: serde_json::Value =
            serde_json::from_slice(&fixture("claude-account-work.json")).unwrap();
        assert_eq!(cj["oauthAccount"], want["oauthAccount"]);
        j.ok(&["eject", &l1.id, "--engine", kind.as_str()]);

        j.write_home(
            ".claude-work/.credentials.json",
            &fixture("claude-blank-stub.json"),
        );
        let l2 = j.load(&role, &[]);
        assert_eq!(l2.report("claude")["result"], "kept");
        assert_eq!(
            read_file(&*e, &l2.container, CRED).await.as_deref(),
            Some(&work[..]),
            "kept the container's work login, not the default (personal) one"
        );
    }
);

// C01 for every agent: an empty, `{}` or blanked host file is "no usable
// login", and each container keeps its load-1 login.
engine_test!(
    blank_host_files_of_every_agent_keep_the_container_logins,
    |kind| {
        let e = engine(kind).await;
        let j = Jackin::new(kind, "blankall");
        let role = format!("r-{}", j.name);
        j.add_role(&role, PROBE_IMAGE, &["claude", "codex", "amp", "opencode"]);
        let files = [
            (
                "claude",
                ".claude/.credentials.json",
                fixture("claude-valid.json"),
                fixture("claude-blank-stub.json"),
            ),
            (
                "codex",
                ".codex/auth.json",
                fixture("codex-apikey.json"),
                br#"{"OPENAI_API_KEY":null,"tokens":null}"#.to_vec(),
            ),
            (
                "amp",
                ".local/share/amp/secrets.json",
                fixture("amp-secrets.json"),
                b"{}".to_vec(),
            ),
            (
                "opencode",
                ".local/share/opencode/auth.json",
                fixture("opencode-auth.json"),
                Vec::new(),
            ),
        ];
        for (_, rel, valid, _) in &files {
            j.write_home(rel, valid);
        }
        let l1 = j.load(&role, &[]);
        for (agent, _, _, _) in &files {
            assert_eq!(l1.report(agent)["result"], "synced", "{agent}");
        }
        j.ok(&["eject", &l1.id, "--engine", kind.as_str()]);
        for (_, rel, _, blank) in &files {
            j.write_home(rel, blank);
        }
        let l2 = j.load(&role, &[]);
        for (agent, rel, valid, _) in &files {
            assert_eq!(l2.report(agent)["result"], "kept", "{agent}: {}", l2.json);
            assert_eq!(
                read_file(&*e, &l2.container, &format!("/home/agent/{rel}"))
                    .await
                    .as_deref(),
                Some(&valid[..]),
                "{agent} keeps its login"
            );
        }
    }
);

// C06 the other way: api_key -> sync drops the variable, writes the file.
engine_test!(api_key_then_sync_drops_the_variable, |kind| {
    let e = engine(kind).await;
    let mut j = Jackin::new(kind, "c06back");
    let role = format!("r-{}", j.name);
    j.add_role(&role, PROBE_IMAGE, &["codex"]);
    j.ok(&["config", "auth", "set", "api_key", "--agent", "codex"]);
    j.ok(&["config", "env", "set", "OPENAI_API_KEY", "$HOST_OPENAI"]);
    j.env.insert("HOST_OPENAI".into(), "sk-c06back-env".into());
    let l1 = j.load(&role, &[]);
    assert_eq!(
        agent_env(&*e, &l1.container)
            .await
            .get("OPENAI_API_KEY")
            .map(String::as_str),
        Some("sk-c06back-env")
    );
    j.ok(&["eject", &l1.id, "--engine", kind.as_str()]);
    let file = fixture("codex-apikey.json");
    j.write_home(".codex/auth.json", &file);
    j.ok(&["config", "auth", "set", "sync", "--agent", "codex"]);
    let l2 = j.load(&role, &[]);
    assert_eq!(l2.id, l1.id);
    assert!(!agent_env(&*e, &l2.container)
        .await
        .contains_key("OPENAI_API_KEY"));
    assert!(!exec_env(&*e, &l2.container, "codex")
        .await
        .contains_key("OPENAI_API_KEY"));
    assert_eq!(
        read_file(&*e, &l2.container, "/home/agent/.codex/auth.json")
            .await
            .as_deref(),
        Some(&file[..])
    );
});
