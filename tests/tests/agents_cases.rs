//! Operator cases (`shared/cases/README.md`) judged by the real agent CLIs
//! of `localhost/jackin/agent-smith:latest`, plus `jackin auth sync`:
//!
//! - C01: a blanked host stub after a failed refresh does not log the
//!   container out: Claude still reports the load-1 account.
//! - C04: with the host's `XDG_DATA_HOME`, Amp and OpenCode are logged in.
//! - `jackin auth sync` pushes a changed host login into a running
//!   instance: Claude reports the new account without a restart.

use jackin_tests::agents::{
    agent_exec, amp_tool_count, claude_auth_status, ensure_agent_image, root_exec, Out, Sandbox,
    AMP_CHECK,
};
use jackin_tests::engine_test;

fn show(o: &Out) -> String {
    format!(
        "exit {}:\n{}\n(raw stdout {:?}, stderr {:?})",
        o.code,
        o.text(),
        o.stdout,
        o.stderr
    )
}

engine_test!(c01_blank_host_stub_keeps_the_container_login, |kind| {
    ensure_agent_image(kind).await;
    let s = Sandbox::new(kind, "c01");
    s.put(".claude/.credentials.json", "claude-valid.json");
    s.put(".claude.json", "claude-account-work.json");
    let l1 = s.load(&[]);
    assert_eq!(l1.report("claude")["result"], "synced", "{}", l1.json);
    s.eject(&l1.id);

    s.put(".claude/.credentials.json", "claude-blank-stub.json");
    let l2 = s.load(&[]);
    assert_eq!(l2.id, l1.id, "eject + load must reuse the instance");
    assert_eq!(l2.report("claude")["result"], "kept", "{}", l2.json);
    let notes = l2.json["notes"].to_string();
    assert!(
        notes.contains("claude") && notes.contains("no usable login"),
        "the launch must say the host had no usable login: {notes}"
    );
    let o = claude_auth_status(kind, &l2.container).await;
    assert_eq!(o.code, 0, "claude auth status {}", show(&o));
    assert!(
        o.text().contains(r#""email": "work@example.com""#),
        "the container lost its login to a blank host stub: {}",
        show(&o)
    );
});

engine_test!(c04_xdg_data_home_logs_amp_and_opencode_in, |kind| {
    ensure_agent_image(kind).await;
    let mut s = Sandbox::new(kind, "c04");
    s.put("xdg/amp/secrets.json", "amp-secrets.json");
    s.put("xdg/opencode/auth.json", "opencode-auth.json");
    let xdg = s.home.join("xdg").display().to_string();
    s.env.insert("XDG_DATA_HOME".into(), xdg);
    // Claude, the role's default agent, has no login here and exits
    // offline after its first-run screen, which would stop the container.
    // Not OpenCode either: as the main process it may rewrite its own
    // auth.json offline (dropping the OAuth entry it cannot refresh) while
    // this test reads it. Amp as the main process leaves both files alone.
    let l = s.load(&["--agent", "amp"]);
    for a in ["amp", "opencode"] {
        assert_eq!(l.report(a)["result"], "synced", "{a}: {}", l.json);
    }
    let (amp, opencode) = tokio::join!(
        agent_exec(kind, &l.container, "amp", AMP_CHECK),
        agent_exec(kind, &l.container, "opencode", "opencode auth list"),
    );
    assert_eq!(amp.code, 0, "amp tools list {}", show(&amp));
    assert!(
        amp_tool_count(&amp.text()).is_some_and(|n| n > 0),
        "amp is not logged in from $XDG_DATA_HOME/amp: {}",
        show(&amp)
    );
    let t = opencode.text();
    assert!(
        t.contains("2 credentials") && t.contains("Anthropic api") && t.contains("OpenAI oauth"),
        "opencode is not logged in from $XDG_DATA_HOME/opencode: {}",
        show(&opencode)
    );
});

engine_test!(
    auth_sync_pushes_a_new_host_login_into_a_running_instance,
    |kind| {
        ensure_agent_image(kind).await;
        let s = Sandbox::new(kind, "auth-sync");
        s.put(".claude/.credentials.json", "claude-valid.json");
        s.put(".claude.json", "claude-account-work.json");
        // Not Claude as the main process: a running Claude rewrites its
        // in-memory .claude.json (more than once while it starts) and would
        // put the old account back over the sync. Amp leaves Claude's files
        // alone; Claude is checked with its own CLI in the running instance.
        let l = s.load(&["--agent", "amp"]);
        let before = claude_auth_status(kind, &l.container).await;
        assert!(
            before.text().contains(r#""email": "work@example.com""#),
            "{}",
            show(&before)
        );

        // The operator logs in to another account on the host.
        s.put(".claude.json", "claude-account-personal.json");
        s.ok(&["auth", "sync", &l.id, "--engine", kind.as_str()]);
        let after = claude_auth_status(kind, &l.container).await;
        let file = root_exec(kind, &l.container, "cat /home/agent/.claude.json").await;
        assert_eq!(
            after.code,
            0,
            "claude auth status {}\n.claude.json: {}",
            show(&after),
            file.stdout
        );
        assert!(
            after.text().contains(r#""email": "personal@example.com""#)
                && !after.text().contains("work@example.com"),
            "auth sync did not refresh the running instance: {}\n.claude.json: {}",
            show(&after),
            file.stdout
        );
    }
);
