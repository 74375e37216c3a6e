//! Model tests: every edit path of the console, through the same key
//! presses an operator makes, including each refusal; saves go to a real
//! file in a temporary folder.

use super::changes::{Change, DiffLine, Layer};
use super::creds::{check_simple, HostEnv, Resolver};
use super::form::Field;
use super::model::{Console, Overlay, Screen};
use crate::env::EnvValue;
use crate::mode::Mode;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::{Path, PathBuf};

pub const CONFIG: &str = r#"# operator's own notes
[claude]
auth_forward = "sync" # global choice

[env]
OPENAI_API_KEY = "$OPENAI_API_KEY"

[roles.agent-smith]
image = "localhost/jackin/agent-smith:latest"
agents = ["claude", "codex"]

[roles.reviewer]
image = "localhost/jackin/reviewer:latest"
agents = ["codex"]

# the app I work on
[workspaces.my-app]
workdir = "/home/me/src/my-app"
mounts = ["/home/me/src/my-app"]
default_role = "agent-smith"

[workspaces.my-app.codex]
auth_forward = "api_key" # team key

[workspaces.my-app.env]
GH_TOKEN = "op://Work/GitHub/token"

[workspaces.my-app.roles.agent-smith.env]
SECRET_X = "literal-secret-value"

[workspaces.other]
workdir = "/home/me/src/other"
"#;

/// Resolves `$NAME` from its host map and the `op://`/`keyring:`
/// references listed in `good`; everything else fails.
pub struct Fake {
    pub host: HostEnv,
    pub good: Vec<String>,
}

impl Resolver for Fake {
    fn check(&self, v: &EnvValue) -> Result<(), String> {
        if let Some(r) = check_simple(&self.host, v) {
            return r;
        }
        if self.good.contains(&v.reference()) {
            Ok(())
        } else {
            Err(format!("{} cannot be read (fake)", v.reference()))
        }
    }
}

pub fn host() -> HostEnv {
    [
        ("HOME", "/home/me"),
        ("MY_ANTHROPIC", "sk-ant-secret-value"),
        ("EMPTY", ""),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

/// A console over [`CONFIG`] at a path that does not exist (render only).
pub fn console() -> Console {
    console_at(Path::new("/home/me/.config/jackin/config.toml"), CONFIG)
}

pub fn console_at(path: &Path, text: &str) -> Console {
    let fake = Fake {
        host: host(),
        good: vec![
            "op://Work/Anthropic/key".into(),
            "keyring:jackin/claude".into(),
        ],
    };
    Console::from_text(path, text, host(), Box::new(fake), None).unwrap()
}

/// A console over a real file in a temporary folder.
pub fn on_disk(text: &str) -> (tempfile::TempDir, PathBuf, Console) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("config.toml");
    std::fs::write(&p, text).unwrap();
    let c = console_at(&p, text);
    (d, p, c)
}

pub fn press(c: &mut Console, keys: &str) {
    for ch in keys.chars() {
        c.key(KeyEvent::new(KeyCode::Char(ch), KeyModifiers::NONE));
    }
}

pub fn key(c: &mut Console, code: KeyCode) {
    c.key(KeyEvent::new(code, KeyModifiers::NONE));
}

/// Selects the Auth row of `agent` at `scope` (`global`, `workspace`,
/// `role NAME`) and opens its form.
pub fn edit_row(c: &mut Console, agent: &str, scope: &str) {
    if c.screen != Screen::Editor {
        key(c, KeyCode::Enter);
    }
    let i = c
        .auth_rows()
        .iter()
        .position(|r| r.agent.name == agent && r.scope_label().starts_with(scope))
        .unwrap_or_else(|| panic!("no row {agent} {scope}"));
    key(c, KeyCode::Home);
    for _ in 0..i {
        press(c, "j");
    }
    key(c, KeyCode::Enter);
}

/// Moves the open form's mode picker to `mode` (`None` = inherit).
pub fn pick_mode(c: &mut Console, mode: Option<Mode>) {
    for _ in 0..6 {
        let Overlay::Auth(f) = &c.overlay else {
            panic!("no form")
        };
        if f.chosen() == mode {
            return;
        }
        key(c, KeyCode::Right);
    }
    panic!("mode {mode:?} not offered");
}

pub fn focus(c: &mut Console, field: Field) {
    for _ in 0..8 {
        let Overlay::Auth(f) = &c.overlay else {
            panic!("no form")
        };
        if f.focus == field {
            return;
        }
        key(c, KeyCode::Down);
    }
    panic!("field {field:?} not shown");
}

pub fn form_error(c: &Console) -> String {
    match &c.overlay {
        Overlay::Auth(f) => f.error.clone().unwrap_or_default(),
        Overlay::Env(f) => f.error.clone().unwrap_or_default(),
        o => panic!("no form open: {o:?}"),
    }
}

pub fn save(c: &mut Console) {
    press(c, "s");
    assert!(
        matches!(c.overlay, Overlay::ConfirmSave(_)),
        "{:?}",
        c.overlay
    );
    press(c, "y");
}

pub fn mode_at(c: &Console, agent: &str, scope: &str) -> (Mode, String) {
    let r = c
        .auth_rows()
        .into_iter()
        .find(|r| r.agent.name == agent && r.scope_label().starts_with(scope))
        .unwrap();
    (r.effective, super::auth::scope_short(&r.from).to_string())
}

#[test]
fn auth_rows_show_global_workspace_and_each_role_that_runs_the_agent() {
    let mut c = console();
    key(&mut c, KeyCode::Enter);
    let rows: Vec<String> = c
        .auth_rows()
        .iter()
        .map(|r| format!("{} {}", r.agent.name, r.scope_label()))
        .collect();
    assert_eq!(
        rows,
        [
            "claude global (read-only)",
            "claude workspace",
            "claude role agent-smith",
            "codex global (read-only)",
            "codex workspace",
            "codex role agent-smith",
            "codex role reviewer",
            "amp global (read-only)",
            "amp workspace",
            "opencode global (read-only)",
            "opencode workspace",
        ]
    );
    assert_eq!(
        mode_at(&c, "codex", "role reviewer"),
        (Mode::ApiKey, "workspace".into())
    );
    assert_eq!(
        mode_at(&c, "claude", "workspace"),
        (Mode::Sync, "global".into())
    );
    assert_eq!(
        mode_at(&c, "amp", "workspace"),
        (Mode::Sync, "default".into())
    );
}

#[test]
fn mode_change_at_workspace_role_agent_is_staged_then_saved_keeping_comments() {
    let (_d, p, mut c) = on_disk(CONFIG);
    edit_row(&mut c, "claude", "role agent-smith");
    pick_mode(&mut c, Some(Mode::Ignore));
    key(&mut c, KeyCode::Enter);
    assert!(matches!(c.overlay, Overlay::None));
    assert_eq!(c.staged.len(), 1);
    assert_eq!(
        mode_at(&c, "claude", "role agent-smith"),
        (Mode::Ignore, "ws × role".into())
    );
    // Nothing written before the save.
    assert_eq!(std::fs::read_to_string(&p).unwrap(), CONFIG);
    save(&mut c);
    assert!(!c.dirty(), "{:?}", c.overlay);
    let text = std::fs::read_to_string(&p).unwrap();
    let (cfg, _) = crate::config::load_from(&p).unwrap();
    let m = crate::resolve::mode(&cfg, Some("my-app"), Some("agent-smith"), "claude");
    assert_eq!(m.value, Mode::Ignore);
    for kept in [
        "# operator's own notes",
        "# global choice",
        "# the app I work on",
        "# team key",
    ] {
        assert!(text.contains(kept), "lost {kept:?}:\n{text}");
    }
}

#[test]
fn mode_picker_offers_only_the_agents_modes() {
    let mut c = console();
    edit_row(&mut c, "codex", "workspace");
    let Overlay::Auth(f) = &c.overlay else {
        panic!()
    };
    assert_eq!(
        f.options,
        [
            None,
            Some(Mode::Sync),
            Some(Mode::ApiKey),
            Some(Mode::Ignore)
        ]
    );
    key(&mut c, KeyCode::Esc);
    key(&mut c, KeyCode::Home);
    edit_row(&mut c, "claude", "workspace");
    let Overlay::Auth(f) = &c.overlay else {
        panic!()
    };
    assert!(f.options.contains(&Some(Mode::OauthToken)));
}

#[test]
fn global_rows_are_read_only() {
    let mut c = console();
    edit_row(&mut c, "claude", "global");
    assert!(matches!(c.overlay, Overlay::None));
    assert!(c.status.contains("read-only"), "{}", c.status);
    assert!(c.status.contains("jackin config auth set"));
}

#[test]
fn api_key_is_refused_until_the_host_variable_resolves() {
    let mut c = console();
    edit_row(&mut c, "claude", "workspace");
    pick_mode(&mut c, Some(Mode::ApiKey));
    key(&mut c, KeyCode::Enter);
    assert!(
        form_error(&c).contains("ANTHROPIC_API_KEY is unset in every layer"),
        "{}",
        form_error(&c)
    );
    focus(&mut c, Field::Value);
    press(&mut c, "NOT_SET");
    key(&mut c, KeyCode::Enter);
    assert!(
        form_error(&c).contains("$NOT_SET is not set"),
        "{}",
        form_error(&c)
    );
    for _ in 0..7 {
        key(&mut c, KeyCode::Backspace);
    }
    press(&mut c, "EMPTY");
    key(&mut c, KeyCode::Enter);
    assert!(form_error(&c).contains("empty"), "{}", form_error(&c));
    assert!(c.staged.is_empty());
    for _ in 0..5 {
        key(&mut c, KeyCode::Backspace);
    }
    press(&mut c, "MY_ANTHROPIC");
    key(&mut c, KeyCode::Enter);
    assert!(matches!(c.overlay, Overlay::None), "{}", c.status);
    assert_eq!(
        c.view.workspaces["my-app"].env["ANTHROPIC_API_KEY"],
        "$MY_ANTHROPIC"
    );
    assert_eq!(mode_at(&c, "claude", "workspace").0, Mode::ApiKey);
}

#[test]
fn existing_credential_in_a_layer_is_enough() {
    // codex at role reviewer: OPENAI_API_KEY = "$OPENAI_API_KEY" globally,
    // which this host does not set; then with a host that does.
    let mut c = console();
    edit_row(&mut c, "codex", "role reviewer");
    pick_mode(&mut c, Some(Mode::ApiKey));
    key(&mut c, KeyCode::Enter);
    assert!(
        form_error(&c).contains("$OPENAI_API_KEY is not set"),
        "{}",
        form_error(&c)
    );
    let mut h = host();
    h.insert("OPENAI_API_KEY".into(), "sk-x".into());
    c.resolver = Box::new(Fake {
        host: h,
        good: vec![],
    });
    key(&mut c, KeyCode::Enter);
    assert!(matches!(c.overlay, Overlay::None));
    assert_eq!(c.staged.len(), 1, "only the mode: {:?}", c.staged);
}

#[test]
fn op_and_keyring_sources_go_through_the_resolver() {
    let mut c = console();
    edit_row(&mut c, "claude", "role agent-smith");
    pick_mode(&mut c, Some(Mode::OauthToken));
    focus(&mut c, Field::Kind);
    key(&mut c, KeyCode::Right); // op://
    focus(&mut c, Field::Value);
    press(&mut c, "Work/Anthropic/nope");
    key(&mut c, KeyCode::Enter);
    assert!(
        form_error(&c).contains("op://Work/Anthropic/nope cannot be read"),
        "{}",
        form_error(&c)
    );
    for _ in 0.."nope".len() {
        key(&mut c, KeyCode::Backspace);
    }
    press(&mut c, "key");
    key(&mut c, KeyCode::Enter);
    assert!(matches!(c.overlay, Overlay::None), "{:?}", c.overlay);
    let want = Change::Env {
        layer: Layer::Workspace("my-app".into()),
        name: "CLAUDE_CODE_OAUTH_TOKEN".into(),
        value: Some("op://Work/Anthropic/key".into()),
    };
    assert!(c.staged.contains(&want), "{:?}", c.staged);

    // keyring, at the workspace × role layer
    edit_row(&mut c, "claude", "workspace");
    pick_mode(&mut c, Some(Mode::ApiKey));
    focus(&mut c, Field::Layer);
    key(&mut c, KeyCode::Right);
    focus(&mut c, Field::Kind);
    key(&mut c, KeyCode::Right);
    key(&mut c, KeyCode::Right);
    focus(&mut c, Field::Value);
    press(&mut c, "jackin/other");
    key(&mut c, KeyCode::Enter);
    assert!(form_error(&c).contains("keyring:jackin/other cannot be read"));
    for _ in 0.."other".len() {
        key(&mut c, KeyCode::Backspace);
    }
    press(&mut c, "claude");
    key(&mut c, KeyCode::Enter);
    assert!(matches!(c.overlay, Overlay::None), "{}", form_error(&c));
    assert_eq!(c.view.env["ANTHROPIC_API_KEY"], "keyring:jackin/claude");
}

#[test]
fn a_higher_layer_that_does_not_resolve_still_refuses() {
    let text = CONFIG.replace(
        "SECRET_X = \"literal-secret-value\"",
        "SECRET_X = \"literal-secret-value\"\nANTHROPIC_API_KEY = \"$GONE\"",
    );
    let mut c = console_at(Path::new("/x/config.toml"), &text);
    edit_row(&mut c, "claude", "role agent-smith");
    pick_mode(&mut c, Some(Mode::ApiKey));
    // The picker starts at the layer that already sets the variable; move
    // to the global layer and give a good value there.
    focus(&mut c, Field::Layer);
    key(&mut c, KeyCode::Right); // wraps: ws×role -> global
    focus(&mut c, Field::Value);
    press(&mut c, "MY_ANTHROPIC");
    key(&mut c, KeyCode::Enter);
    let e = form_error(&c);
    assert!(
        e.contains("[workspaces.my-app.roles.agent-smith.env]") && e.contains("$GONE"),
        "{e}"
    );
}

#[test]
fn literal_is_masked_on_screen_and_in_the_diff() {
    let (_d, p, mut c) = on_disk(CONFIG);
    edit_row(&mut c, "claude", "workspace");
    pick_mode(&mut c, Some(Mode::ApiKey));
    focus(&mut c, Field::Kind);
    for _ in 0..3 {
        key(&mut c, KeyCode::Right); // literal
    }
    focus(&mut c, Field::Value);
    press(&mut c, "sk-ant-LITERAL");
    let screen = super::tests_snap::render(&mut c, 120, 40);
    assert!(!screen.contains("sk-ant-LITERAL"), "{screen}");
    assert!(screen.contains("••••"));
    key(&mut c, KeyCode::Enter);
    press(&mut c, "s");
    let Overlay::ConfirmSave(d) = &c.overlay else {
        panic!("{:?}", c.overlay)
    };
    assert!(
        d.iter()
            .any(|l| *l == DiffLine::Added("ANTHROPIC_API_KEY = \"****\"".into())),
        "{d:?}"
    );
    let screen = super::tests_snap::render(&mut c, 120, 40);
    assert!(!screen.contains("sk-ant-LITERAL"), "{screen}");
    press(&mut c, "y");
    assert!(std::fs::read_to_string(&p)
        .unwrap()
        .contains("sk-ant-LITERAL"));
    key(&mut c, KeyCode::Tab);
    let screen = super::tests_snap::render(&mut c, 120, 40);
    assert!(
        screen.contains("literal (****)") && !screen.contains("sk-ant-LITERAL"),
        "{screen}"
    );
}

#[test]
fn folder_browser_shows_hidden_folders_and_refuses_one_without_a_login() {
    let home = tempfile::tempdir().unwrap();
    let good = home.path().join(".claude-work");
    let empty = home.path().join(".claude-empty");
    std::fs::create_dir_all(&good).unwrap();
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(
        good.join(".credentials.json"),
        r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-fake","refreshToken":"r"}}"#,
    )
    .unwrap();
    let mut c = console();
    c.host
        .insert("HOME".into(), home.path().display().to_string());
    edit_row(&mut c, "claude", "workspace");
    focus(&mut c, Field::Source);
    key(&mut c, KeyCode::Enter);
    let names = |c: &Console| match &c.overlay {
        Overlay::Auth(f) => f.browser.as_ref().unwrap().entries.clone(),
        _ => panic!(),
    };
    use super::fs_browser::Entry;
    assert_eq!(
        names(&c),
        [
            Entry::This,
            Entry::Parent,
            Entry::Dir(".claude-empty".into()),
            Entry::Dir(".claude-work".into())
        ]
    );
    press(&mut c, "jj"); // .claude-empty
    press(&mut c, "s");
    let Overlay::Auth(f) = &c.overlay else {
        panic!()
    };
    let why = f.browser.as_ref().unwrap().error.clone().unwrap();
    assert!(
        why.contains(".credentials.json") && why.contains("missing"),
        "{why}"
    );
    // Enter opens the folder; "." inside it chooses it.
    press(&mut c, "j");
    key(&mut c, KeyCode::Enter);
    key(&mut c, KeyCode::Enter);
    let Overlay::Auth(f) = &c.overlay else {
        panic!()
    };
    assert!(f.browser.is_none());
    key(&mut c, KeyCode::Up);
    key(&mut c, KeyCode::Enter);
    assert!(
        c.staged.contains(&Change::Agent {
            workspace: "my-app".into(),
            role: None,
            agent: "claude".into(),
            key: super::changes::AgentKey::Source,
            value: Some(good.display().to_string()),
        }),
        "{:?}",
        c.staged
    );
    let r = c.auth_rows();
    let ws = r
        .iter()
        .find(|r| r.agent.name == "claude" && r.scope_label() == "workspace")
        .unwrap();
    assert_eq!(ws.source.as_ref().unwrap().to_string(), "~/.claude-work");
    let role = r
        .iter()
        .find(|r| r.agent.name == "claude" && r.scope_label() == "role agent-smith")
        .unwrap();
    assert_eq!(
        role.source.as_ref().unwrap().to_string(),
        "inherited: ~/.claude-work"
    );
}

#[test]
fn clearing_a_source_folder_and_inherit_remove_keys() {
    let text = CONFIG.replace(
        "auth_forward = \"api_key\" # team key",
        "auth_forward = \"sync\" # team key\nsync_source_dir = \"/srv/codex\"",
    );
    let (_d, p, mut c) = on_disk(&text);
    edit_row(&mut c, "codex", "workspace");
    pick_mode(&mut c, None);
    focus(&mut c, Field::Source);
    press(&mut c, "x");
    key(&mut c, KeyCode::Up);
    key(&mut c, KeyCode::Enter);
    assert_eq!(c.staged.len(), 2, "{:?}", c.staged);
    save(&mut c);
    let saved = std::fs::read_to_string(&p).unwrap();
    assert!(
        !saved.contains("[workspaces.my-app.codex]"),
        "emptied table pruned:\n{saved}"
    );
    assert!(saved.contains("[workspaces.my-app]"));
}

#[test]
fn changing_back_to_the_saved_value_unstages() {
    let mut c = console();
    edit_row(&mut c, "codex", "workspace");
    pick_mode(&mut c, Some(Mode::Ignore));
    key(&mut c, KeyCode::Enter);
    assert!(c.dirty());
    edit_row(&mut c, "codex", "workspace");
    pick_mode(&mut c, Some(Mode::ApiKey));
    let mut h = host();
    h.insert("OPENAI_API_KEY".into(), "x".into());
    c.resolver = Box::new(Fake {
        host: h,
        good: vec![],
    });
    key(&mut c, KeyCode::Enter);
    assert!(!c.dirty(), "{:?}", c.staged);
}
