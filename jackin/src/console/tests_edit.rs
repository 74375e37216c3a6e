//! Model tests, part two: saving (confirm, cancel, refusals), quitting
//! with staged changes, the Env tab, instances, mouse, the diff.

use super::changes::{diff, DiffLine};
use super::model::{Console, Hit, Instance, Overlay, Screen, Tab};
use super::tests::{console, edit_row, form_error, key, on_disk, pick_mode, press, save, CONFIG};
use crate::mode::Mode;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[test]
fn quitting_with_staged_changes_asks_first() {
    let (_d, p, mut c) = on_disk(CONFIG);
    edit_row(&mut c, "codex", "workspace");
    pick_mode(&mut c, Some(Mode::Ignore));
    key(&mut c, KeyCode::Enter);
    press(&mut c, "q");
    assert!(matches!(c.overlay, Overlay::ConfirmQuit) && !c.quit);
    key(&mut c, KeyCode::Esc);
    assert!(!c.quit && c.dirty());
    c.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(matches!(c.overlay, Overlay::ConfirmQuit));
    press(&mut c, "d");
    assert!(c.quit);
    assert_eq!(std::fs::read_to_string(&p).unwrap(), CONFIG);

    // "s" from the question saves (after the diff) and then quits.
    let (_d, p, mut c) = on_disk(CONFIG);
    edit_row(&mut c, "codex", "workspace");
    pick_mode(&mut c, Some(Mode::Ignore));
    key(&mut c, KeyCode::Enter);
    press(&mut c, "qs");
    assert!(matches!(c.overlay, Overlay::ConfirmSave(_)));
    press(&mut c, "y");
    assert!(c.quit);
    assert!(std::fs::read_to_string(&p)
        .unwrap()
        .contains("auth_forward = \"ignore\""));

    let mut c = console();
    press(&mut c, "q");
    assert!(c.quit, "nothing staged: quits at once");
}

#[test]
fn cancelled_save_writes_nothing_and_keeps_the_changes() {
    let (_d, p, mut c) = on_disk(CONFIG);
    edit_row(&mut c, "codex", "workspace");
    pick_mode(&mut c, Some(Mode::Ignore));
    key(&mut c, KeyCode::Enter);
    press(&mut c, "s");
    press(&mut c, "n");
    assert!(c.dirty());
    assert_eq!(std::fs::read_to_string(&p).unwrap(), CONFIG);
}

#[test]
fn save_is_refused_when_the_file_became_invalid_and_nothing_is_written() {
    let (_d, p, mut c) = on_disk(CONFIG);
    edit_row(&mut c, "codex", "workspace");
    pick_mode(&mut c, Some(Mode::Ignore));
    key(&mut c, KeyCode::Enter);
    let broken = format!("{CONFIG}\n[oops\n");
    std::fs::write(&p, &broken).unwrap();
    save(&mut c);
    let Overlay::Error(msg) = &c.overlay else {
        panic!("{:?}", c.overlay)
    };
    assert!(
        msg.contains("not saved") && msg.contains("invalid TOML"),
        "{msg}"
    );
    assert_eq!(std::fs::read_to_string(&p).unwrap(), broken);
    assert!(c.dirty());

    // The workspace removed meanwhile: refused by the same edit.
    let (_d, p, mut c) = on_disk(CONFIG);
    edit_row(&mut c, "codex", "workspace");
    pick_mode(&mut c, Some(Mode::Ignore));
    key(&mut c, KeyCode::Enter);
    let mut doc: toml_edit::DocumentMut = CONFIG.parse().unwrap();
    doc["workspaces"]
        .as_table_like_mut()
        .unwrap()
        .remove("my-app");
    let gone = doc.to_string();
    std::fs::write(&p, &gone).unwrap();
    save(&mut c);
    let Overlay::Error(msg) = &c.overlay else {
        panic!("{:?}", c.overlay)
    };
    assert!(msg.contains("no workspace named 'my-app'"), "{msg}");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), gone);
}

#[test]
fn env_tab_adds_edits_and_removes_and_refuses_reserved_names() {
    let (_d, p, mut c) = on_disk(CONFIG);
    key(&mut c, KeyCode::Enter);
    key(&mut c, KeyCode::Tab);
    assert_eq!(c.tab, Tab::Env);
    assert_eq!(c.env_rows().len(), 3);
    press(&mut c, "a");
    key(&mut c, KeyCode::Down);
    press(&mut c, "JACKIN_X");
    key(&mut c, KeyCode::Down);
    key(&mut c, KeyCode::Down);
    press(&mut c, "V");
    key(&mut c, KeyCode::Enter);
    assert!(form_error(&c).contains("reserved"), "{}", form_error(&c));
    key(&mut c, KeyCode::Up);
    key(&mut c, KeyCode::Up);
    for _ in 0.."JACKIN_X".len() {
        key(&mut c, KeyCode::Backspace);
    }
    press(&mut c, "NEW_TOKEN");
    key(&mut c, KeyCode::Enter);
    assert!(matches!(c.overlay, Overlay::None), "{:?}", c.overlay);
    assert_eq!(c.view.workspaces["my-app"].env["NEW_TOKEN"], "$V");
    // Edit the global one to a 1Password reference, remove the new one.
    key(&mut c, KeyCode::Home);
    key(&mut c, KeyCode::Enter);
    let Overlay::Env(f) = &c.overlay else {
        panic!()
    };
    assert_eq!(
        f.picker.input, "OPENAI_API_KEY",
        "references are pre-filled"
    );
    key(&mut c, KeyCode::Right);
    key(&mut c, KeyCode::Down);
    for _ in 0.."OPENAI_API_KEY".len() {
        key(&mut c, KeyCode::Backspace);
    }
    press(&mut c, "Work/OpenAI/key");
    key(&mut c, KeyCode::Enter);
    assert_eq!(c.view.env["OPENAI_API_KEY"], "op://Work/OpenAI/key");
    press(&mut c, "jjd");
    assert!(!c.view.workspaces["my-app"].env.contains_key("NEW_TOKEN"));
    assert!(c.view.workspaces["my-app"].env.contains_key("GH_TOKEN"));
    assert_eq!(
        c.staged.len(),
        1,
        "add then remove cancels out: {:?}",
        c.staged
    );
    save(&mut c);
    let saved = std::fs::read_to_string(&p).unwrap();
    assert!(
        saved.contains("OPENAI_API_KEY = \"op://Work/OpenAI/key\""),
        "{saved}"
    );
}

#[test]
fn instances_are_listed_per_workspace_when_given() {
    let mut c = console();
    let screen = super::tests_snap::render(&mut c, 80, 24);
    assert!(screen.contains("engine: not connected"));
    c.instances = Some(vec![
        Instance {
            workspace: "my-app".into(),
            id: "a1b2c3d4".into(),
            role: "agent-smith".into(),
            state: "running".into(),
        },
        Instance {
            workspace: "other".into(),
            id: "zzzz9999".into(),
            role: "reviewer".into(),
            state: "exited".into(),
        },
    ]);
    let screen = super::tests_snap::render(&mut c, 80, 24);
    assert!(
        screen.contains("a1b2c3d4  agent-smith  running"),
        "{screen}"
    );
    assert!(!screen.contains("zzzz9999"));
    assert!(
        screen.contains("1 running / 1") && screen.contains("0 running / 1"),
        "{screen}"
    );
}

#[test]
fn mouse_clicks_select_then_open() {
    let mut c = console();
    super::tests_snap::render(&mut c, 80, 24);
    let ws1 = c
        .hits
        .iter()
        .find(|(_, h)| *h == Hit::Workspace(1))
        .unwrap()
        .0;
    let click = |c: &mut Console, r: ratatui::layout::Rect| {
        c.mouse(crossterm::event::MouseEvent {
            kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
            column: r.x + 1,
            row: r.y,
            modifiers: KeyModifiers::NONE,
        })
    };
    click(&mut c, ws1);
    assert_eq!((c.ws_sel, c.screen), (1, Screen::Workspaces));
    click(&mut c, ws1);
    assert_eq!(c.screen, Screen::Editor);
    super::tests_snap::render(&mut c, 80, 24);
    let env = c
        .hits
        .iter()
        .find(|(_, h)| *h == Hit::Tab(Tab::Env))
        .unwrap()
        .0;
    click(&mut c, env);
    assert_eq!(c.tab, Tab::Env);
}

#[test]
fn diff_keeps_context_and_marks_changes() {
    let d = diff("a\nb\nc\nd\ne\nf\n", "a\nb\nc\nX\ne\nf\n", 1);
    assert_eq!(
        d,
        [
            DiffLine::Same("c".into()),
            DiffLine::Removed("d".into()),
            DiffLine::Added("X".into()),
            DiffLine::Same("e".into()),
        ]
    );
}
