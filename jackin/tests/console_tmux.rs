//! End to end: the real `jackin console` binary in a tmux pane of 80×24,
//! driven with `send-keys` and read with `capture-pane`, changes a
//! workspace × role × agent mode, saves after the diff confirmation,
//! quits, and config.toml is checked afterwards (new value, comments and
//! everything else kept). Also: quitting with unsaved changes asks first,
//! and the terminal is restored on exit.
//!
//! Needs tmux. Outside CI a missing tmux skips with a message; with
//! `CI=true` it fails.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const CONFIG: &str = r#"# jackin config (hand-written; comments must survive)
engine = "podman"

[claude]
auth_forward = "sync" # global default

[roles.agent-smith]
image = "localhost/jackin/agent-smith:latest"
agents = ["claude", "codex"]

# my main project
[workspaces.my-app]
workdir = "/home/me/src/my-app"
mounts = ["/home/me/src/my-app"]
default_role = "agent-smith"

[workspaces.my-app.codex]
auth_forward = "api_key" # team key via env
"#;

/// A private tmux server (own socket) with one 80×24 session.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null"]);
        c
    }

    /// `name` keeps tests running in parallel on separate servers.
    fn start(name: &str, shell_cmd: &str) -> Tmux {
        let t = Tmux {
            socket: format!("jackin-console-{name}-{}", std::process::id()),
        };
        let ok = t
            .cmd()
            .args([
                "new-session",
                "-d",
                "-s",
                "t",
                "-x",
                "80",
                "-y",
                "24",
                shell_cmd,
            ])
            .status()
            .expect("run tmux")
            .success();
        assert!(ok, "tmux new-session failed");
        t
    }

    fn keys(&self, keys: &[&str]) {
        let ok = self
            .cmd()
            .args(["send-keys", "-t", "t"])
            .args(keys)
            .status()
            .unwrap()
            .success();
        assert!(ok, "send-keys {keys:?}");
    }

    fn screen(&self) -> String {
        let o = self
            .cmd()
            .args(["capture-pane", "-p", "-t", "t"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Waits (up to 15 s) until the pane shows `text`; returns the screen.
    #[track_caller]
    fn wait_for(&self, text: &str) -> String {
        self.wait_until(text, |s| s.contains(text))
    }

    /// Waits (up to 15 s) until `ok(screen)`; returns the screen.
    #[track_caller]
    fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(15) {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn resize(&self, w: u16, h: u16) {
        let ok = self
            .cmd()
            .args([
                "resize-window",
                "-t",
                "t",
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
            ])
            .status()
            .unwrap()
            .success();
        assert!(ok, "resize-window {w}x{h}");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

fn tmux_available() -> bool {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "tmux is required for the console end-to-end test (CI=true): apt-get install -y tmux"
        );
        eprintln!("SKIP: tmux not installed (this test fails instead when CI=true)");
    }
    found
}

fn setup() -> (tempfile::TempDir, PathBuf, String) {
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    let cfg = root.path().join("cfg");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&cfg).unwrap();
    let path = cfg.join("config.toml");
    std::fs::write(&path, CONFIG).unwrap();
    let cmd = format!(
        "env HOME={} JACKIN_CONFIG_DIR={} TERM=xterm-256color {} console; echo JACKIN_EXIT=$?; sleep 60",
        home.display(),
        cfg.display(),
        env!("CARGO_BIN_EXE_jackin"),
    );
    (root, path, cmd)
}

fn open_codex_role_row(t: &Tmux) {
    t.wait_for("Workspaces (1)");
    t.keys(&["Enter"]);
    t.wait_for("Auth modes");
    // Rows: claude global/workspace/role, codex global/workspace/role.
    for _ in 0..5 {
        t.keys(&["j"]);
    }
    t.wait_for("chain: workspace × role × codex");
    t.keys(&["Enter"]);
    t.wait_for("codex · workspace my-app × role agent-smith");
}

#[test]
fn console_changes_a_workspace_role_agent_mode_and_saves_it() {
    if !tmux_available() {
        return;
    }
    let (_root, path, cmd) = setup();
    let t = Tmux::start("save", &cmd);
    open_codex_role_row(&t);
    // The picker offers codex's modes only: inherit, sync, api_key, ignore.
    let s = t.wait_for("[inherit]");
    assert!(
        !s.contains("oauth_token"),
        "codex offers no oauth_token:\n{s}"
    );
    t.keys(&["Right", "Right", "Right"]);
    t.wait_for("[ignore]");
    t.keys(&["Enter"]);
    t.wait_for("● 1 staged");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        CONFIG,
        "nothing written before save"
    );
    t.keys(&["s"]);
    let s = t.wait_for("y/Enter save");
    assert!(
        s.contains("+ [workspaces.my-app.roles.agent-smith.codex]"),
        "diff shown:\n{s}"
    );
    assert!(
        s.contains("+ auth_forward = \"ignore\""),
        "diff shown:\n{s}"
    );
    t.keys(&["y"]);
    t.wait_for("saved 1 change");
    t.keys(&["q"]);
    let s = t.wait_for("JACKIN_EXIT=");
    assert!(s.contains("JACKIN_EXIT=0"), "clean exit:\n{s}");
    assert!(
        !s.contains("Auth modes"),
        "alternate screen left on exit:\n{s}"
    );

    let text = std::fs::read_to_string(&path).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let got = doc["workspaces"]["my-app"]["roles"]["agent-smith"]["codex"]["auth_forward"].as_str();
    assert_eq!(got, Some("ignore"), "{text}");
    assert_eq!(
        doc["workspaces"]["my-app"]["codex"]["auth_forward"].as_str(),
        Some("api_key")
    );
    assert_eq!(doc["claude"]["auth_forward"].as_str(), Some("sync"));
    for comment in [
        "# jackin config (hand-written; comments must survive)",
        "# global default",
        "# my main project",
        "# team key via env",
    ] {
        assert!(text.contains(comment), "comment {comment:?} lost:\n{text}");
    }
    // The saved file is what jackin itself resolves.
    let (cfg, _) = jackin::config::load_from(&path).unwrap();
    let m = jackin::resolve::mode(&cfg, Some("my-app"), Some("agent-smith"), "codex");
    assert_eq!(m.value, jackin::mode::Mode::Ignore);
    assert_mode_0600(&path);
}

fn assert_mode_0600(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "saved atomically with mode 0600");
}

#[test]
fn resizing_redraws_and_quitting_with_unsaved_changes_asks_then_discards() {
    if !tmux_available() {
        return;
    }
    let (_root, path, cmd) = setup();
    let t = Tmux::start("quit", &cmd);
    open_codex_role_row(&t);
    t.keys(&["Right", "Right", "Right", "Enter"]);
    t.wait_for("● 1 staged");
    // Resizing redraws at the new size; too small says so; back again.
    t.resize(120, 40);
    t.wait_until("a 120-column redraw", |s| {
        s.lines()
            .any(|l| l.starts_with("┌ Auth modes") && l.chars().count() == 120)
    });
    t.resize(50, 12);
    t.wait_for("terminal too small: 50×12");
    t.resize(80, 24);
    t.wait_for("● 1 staged");
    t.keys(&["q"]);
    t.wait_for("1 staged change is not saved.");
    t.keys(&["Escape"]);
    // Still running, change still staged.
    std::thread::sleep(Duration::from_millis(300));
    let s = t.wait_for("● 1 staged");
    assert!(!s.contains("JACKIN_EXIT"), "{s}");
    t.keys(&["q"]);
    t.wait_for("discard and quit");
    t.keys(&["d"]);
    let s = t.wait_for("JACKIN_EXIT=");
    assert!(s.contains("JACKIN_EXIT=0"), "{s}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), CONFIG);
}
