//! Snapshot tests: every screen and form state rendered with ratatui's
//! `TestBackend` at 80×24 and 120×40, compared with the text files in
//! `snapshots/`. `UPDATE_SNAPSHOTS=1 cargo test` rewrites them (review the
//! diff before committing); a missing or different snapshot fails.

use super::form::Field;
use super::model::{Console, Instance, Overlay};
use super::tests::{console, edit_row, key, pick_mode, press};
use crate::mode::Mode;
use crossterm::event::KeyCode;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;
use std::path::PathBuf;

/// Draws `c` on a `w`×`h` test terminal, records the click areas, and
/// returns the screen as text (one line per row, trailing spaces cut).
pub fn render(c: &mut Console, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut hits = Vec::new();
    term.draw(|f| hits = super::ui::draw(f, c)).unwrap();
    c.hits = hits;
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn colors_used(c: &mut Console) -> bool {
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| {
        super::ui::draw(f, c);
    })
    .unwrap();
    let buf = term.backend().buffer();
    buf.content()
        .iter()
        .any(|cell| cell.fg != Color::Reset || cell.bg != Color::Reset)
}

/// Compares both sizes of `c` with `snapshots/{name}.{w}x{h}.txt`.
fn check(name: &str, c: &mut Console) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/console/snapshots");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    for (w, h) in [(80, 24), (120, 40)] {
        let got = render(c, w, h);
        let file = dir.join(format!("{name}.{w}x{h}.txt"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&file, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&file) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!(
                "{} differs.\n--- want\n{want}\n--- got\n{got}",
                file.display()
            )),
            Err(_) => failures.push(format!(
                "{} is missing (run with UPDATE_SNAPSHOTS=1). Rendered:\n{got}",
                file.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn instances() -> Option<Vec<Instance>> {
    Some(vec![Instance {
        workspace: "my-app".into(),
        id: "a1b2c3d4".into(),
        role: "agent-smith".into(),
        state: "running".into(),
    }])
}

#[test]
fn workspace_list_without_engine() {
    check("workspaces", &mut console());
}

#[test]
fn workspace_list_with_instances() {
    let mut c = console();
    c.instances = instances();
    check("workspaces-instances", &mut c);
}

#[test]
fn workspace_list_empty() {
    let mut c = super::tests::console_at(
        std::path::Path::new("/home/me/.config/jackin/config.toml"),
        "",
    );
    check("workspaces-empty", &mut c);
}

#[test]
fn auth_tab() {
    let mut c = console();
    key(&mut c, KeyCode::Enter);
    press(&mut c, "jjjj");
    check("auth", &mut c);
}

#[test]
fn env_tab() {
    let mut c = console();
    key(&mut c, KeyCode::Enter);
    key(&mut c, KeyCode::Tab);
    check("env", &mut c);
    for (w, h) in [(80, 24), (120, 40)] {
        let s = render(&mut c, w, h);
        assert!(
            s.contains("literal (****)") && !s.contains("literal-secret-value"),
            "{s}"
        );
    }
}

#[test]
fn help_overlay() {
    let mut c = console();
    press(&mut c, "?");
    check("help", &mut c);
}

#[test]
fn form_sync_with_source_folder() {
    let mut c = console();
    edit_row(&mut c, "claude", "role agent-smith");
    check("form-sync", &mut c);
}

#[test]
fn form_api_key_credential_picker_and_refusal() {
    let mut c = console();
    edit_row(&mut c, "claude", "workspace");
    pick_mode(&mut c, Some(Mode::ApiKey));
    key(&mut c, KeyCode::Down);
    check("form-api-key", &mut c);
    key(&mut c, KeyCode::Enter);
    check("form-api-key-refused", &mut c);
    key(&mut c, KeyCode::Down);
    key(&mut c, KeyCode::Down);
    press(&mut c, "MY_ANTHROPIC");
    check("form-api-key-typed", &mut c);
}

#[test]
fn form_literal_is_masked() {
    let mut c = console();
    edit_row(&mut c, "claude", "workspace");
    pick_mode(&mut c, Some(Mode::OauthToken));
    key(&mut c, KeyCode::Down);
    key(&mut c, KeyCode::Down);
    key(&mut c, KeyCode::Left); // literal
    key(&mut c, KeyCode::Down);
    press(&mut c, "sk-ant-oat01-secret");
    check("form-literal", &mut c);
}

#[test]
fn form_ignore() {
    let mut c = console();
    edit_row(&mut c, "codex", "role reviewer");
    pick_mode(&mut c, Some(Mode::Ignore));
    check("form-ignore", &mut c);
}

#[test]
fn folder_browser_refusal() {
    let root = tempfile::Builder::new()
        .prefix("jkb")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::create_dir_all(root.path().join(".hidden-login")).unwrap();
    std::fs::create_dir_all(root.path().join("visible")).unwrap();
    let mut c = console();
    c.host
        .insert("HOME".into(), root.path().display().to_string());
    edit_row(&mut c, "claude", "workspace");
    key(&mut c, KeyCode::Down);
    let Overlay::Auth(f) = &c.overlay else {
        panic!()
    };
    assert_eq!(f.focus, Field::Source);
    key(&mut c, KeyCode::Enter);
    press(&mut c, "jjs");
    // The temporary folder's random name is the only variable part.
    let name = root
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let fixed = |s: String| s.replace(&name, "jkbXXXXXX");
    for (w, h) in [(80, 24), (120, 40)] {
        let got = fixed(render(&mut c, w, h));
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(format!("src/console/snapshots/browser.{w}x{h}.txt"));
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&file, &got).unwrap();
        } else {
            let want = std::fs::read_to_string(&file).unwrap_or_default();
            assert_eq!(got, want, "{} differs", file.display());
        }
    }
}

#[test]
fn save_confirmation_shows_the_diff() {
    let mut c = console();
    edit_row(&mut c, "claude", "role agent-smith");
    pick_mode(&mut c, Some(Mode::Ignore));
    key(&mut c, KeyCode::Enter);
    press(&mut c, "s");
    check("confirm-save", &mut c);
}

#[test]
fn quit_question() {
    let mut c = console();
    edit_row(&mut c, "codex", "workspace");
    pick_mode(&mut c, Some(Mode::Ignore));
    key(&mut c, KeyCode::Enter);
    press(&mut c, "q");
    check("confirm-quit", &mut c);
}

#[test]
fn env_form_add() {
    let mut c = console();
    key(&mut c, KeyCode::Enter);
    key(&mut c, KeyCode::Tab);
    press(&mut c, "a");
    key(&mut c, KeyCode::Down);
    press(&mut c, "GH_TOKEN");
    check("env-add", &mut c);
}

#[test]
fn too_small_terminal_says_so() {
    let mut c = console();
    let s = render(&mut c, 40, 10);
    assert!(s.contains("terminal too small: 40×10"), "{s}");
}

#[test]
fn no_color_uses_no_colours_but_keeps_the_selection_visible() {
    let mut c = console();
    key(&mut c, KeyCode::Enter);
    assert!(colors_used(&mut c), "colour is on by default");
    c.color = false;
    assert!(!colors_used(&mut c));
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| {
        super::ui::draw(f, &c);
    })
    .unwrap();
    let reversed = term
        .backend()
        .buffer()
        .content()
        .iter()
        .filter(|cell| cell.modifier.contains(ratatui::style::Modifier::REVERSED))
        .count();
    assert!(reversed > 20, "the selected row is drawn in reverse video");
}
