//! Keyboard and mouse input: turns crossterm events into [`Console`]
//! changes. Keys: arrows or `j`/`k` move, Enter opens or edits, Esc goes
//! back, Tab switches tabs, `s` saves (after a confirmation with the diff),
//! `q` quits (asking first when changes are staged), `?` shows help.

use super::form::Field;
use super::model::{Console, Hit, Overlay, Screen, Tab};
use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use std::path::PathBuf;

impl Console {
    /// Handles one key press.
    pub fn key(&mut self, k: KeyEvent) {
        if k.kind == KeyEventKind::Release {
            return;
        }
        let ctrl_c = k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c');
        match &self.overlay {
            Overlay::None => {}
            Overlay::Auth(_) => return self.auth_form_key(k, ctrl_c),
            Overlay::Env(_) => return self.env_form_key(k, ctrl_c),
            Overlay::Help | Overlay::Error(_) => {
                self.overlay = Overlay::None;
                return;
            }
            Overlay::ConfirmSave(_) => {
                match k.code {
                    KeyCode::Char('y') | KeyCode::Enter => self.save(),
                    KeyCode::Char('n') | KeyCode::Esc | KeyCode::Char('q') => {
                        self.quit_after_save = false;
                        self.overlay = Overlay::None;
                        self.status = "save cancelled; changes are still staged".into();
                    }
                    _ => {}
                }
                return;
            }
            Overlay::ConfirmQuit => {
                match k.code {
                    KeyCode::Char('s') | KeyCode::Char('y') => {
                        self.quit_after_save = true;
                        self.ask_save();
                    }
                    KeyCode::Char('d') => self.quit = true,
                    KeyCode::Esc | KeyCode::Char('n') => self.overlay = Overlay::None,
                    _ => {}
                }
                return;
            }
        }
        if ctrl_c {
            return self.request_quit();
        }
        match k.code {
            KeyCode::Char('q') => return self.request_quit(),
            KeyCode::Char('?') => return self.overlay = Overlay::Help,
            KeyCode::Char('s') => return self.ask_save(),
            KeyCode::Char('u') if self.dirty() => {
                self.discard();
                self.clamp();
                self.status = "discarded staged changes".into();
                return;
            }
            _ => {}
        }
        match self.screen {
            Screen::Workspaces => self.list_key(k),
            Screen::Editor => self.editor_key(k),
        }
    }

    fn list_key(&mut self, k: KeyEvent) {
        let n = self.workspaces().len();
        match k.code {
            KeyCode::Up | KeyCode::Char('k') => self.ws_sel = self.ws_sel.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.ws_sel = (self.ws_sel + 1).min(n.saturating_sub(1))
            }
            KeyCode::Enter | KeyCode::Right | KeyCode::Char('l') if n > 0 => self.open_editor(),
            _ => {}
        }
    }

    /// Opens the selected workspace's editor on the Auth tab.
    pub fn open_editor(&mut self) {
        self.screen = Screen::Editor;
        self.tab = Tab::Auth;
        self.auth_sel = 0;
        self.env_sel = 0;
        self.status.clear();
    }

    fn editor_key(&mut self, k: KeyEvent) {
        let n = match self.tab {
            Tab::Auth => self.auth_rows().len(),
            Tab::Env => self.env_rows().len(),
        };
        let sel = match self.tab {
            Tab::Auth => &mut self.auth_sel,
            Tab::Env => &mut self.env_sel,
        };
        match k.code {
            KeyCode::Up | KeyCode::Char('k') => *sel = sel.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => *sel = (*sel + 1).min(n.saturating_sub(1)),
            KeyCode::PageUp => *sel = sel.saturating_sub(10),
            KeyCode::PageDown => *sel = (*sel + 10).min(n.saturating_sub(1)),
            KeyCode::Home => *sel = 0,
            KeyCode::End => *sel = n.saturating_sub(1),
            KeyCode::Tab | KeyCode::BackTab => {
                self.tab = match self.tab {
                    Tab::Auth => Tab::Env,
                    Tab::Env => Tab::Auth,
                }
            }
            KeyCode::Esc | KeyCode::Left | KeyCode::Char('h') => {
                self.screen = Screen::Workspaces;
                self.status.clear();
            }
            KeyCode::Enter | KeyCode::Char('e') => match self.tab {
                Tab::Auth => self.open_auth_form(),
                Tab::Env => self.open_env_edit(),
            },
            KeyCode::Char('a') if self.tab == Tab::Env => self.open_env_add(),
            KeyCode::Char('d') | KeyCode::Delete if self.tab == Tab::Env => self.remove_env(),
            _ => {}
        }
    }

    fn auth_form_key(&mut self, k: KeyEvent, ctrl_c: bool) {
        let home = PathBuf::from(self.host.get("HOME").cloned().unwrap_or_else(|| "/".into()));
        let Overlay::Auth(form) = &mut self.overlay else {
            return;
        };
        if ctrl_c {
            self.overlay = Overlay::None;
            return;
        }
        if let Some(b) = form.browser.as_mut() {
            match k.code {
                KeyCode::Up | KeyCode::Char('k') => b.step(-1),
                KeyCode::Down | KeyCode::Char('j') => b.step(1),
                KeyCode::PageUp => b.step(-10),
                KeyCode::PageDown => b.step(10),
                KeyCode::Backspace | KeyCode::Left | KeyCode::Char('h') => b.up(),
                KeyCode::Enter | KeyCode::Right | KeyCode::Char('l') => form.browser_enter(),
                KeyCode::Char('s') | KeyCode::Char(' ') => form.browser_choose(),
                KeyCode::Esc => form.browser = None,
                _ => {}
            }
            return;
        }
        let typing = form.focus == Field::Value;
        form.error = None;
        match k.code {
            KeyCode::Esc => {
                self.overlay = Overlay::None;
                self.status = "edit cancelled".into();
            }
            KeyCode::Up | KeyCode::BackTab => form.move_focus(-1),
            KeyCode::Down | KeyCode::Tab => form.move_focus(1),
            KeyCode::Char('k') if !typing => form.move_focus(-1),
            KeyCode::Char('j') if !typing => form.move_focus(1),
            KeyCode::Left => form.cycle(-1),
            KeyCode::Right => form.cycle(1),
            KeyCode::Char('h') if !typing => form.cycle(-1),
            KeyCode::Char('l') if !typing => form.cycle(1),
            KeyCode::Enter if form.focus == Field::Source => form.open_browser(&home),
            KeyCode::Delete | KeyCode::Backspace | KeyCode::Char('x')
                if form.focus == Field::Source =>
            {
                form.source = super::form::SourceEdit::Clear
            }
            KeyCode::Enter => self.submit_auth_form(),
            KeyCode::Backspace if typing => {
                form.cred.input.pop();
                form.cred.status = None;
            }
            KeyCode::Char(c) if typing => {
                form.cred.input.push(c);
                form.cred.status = None;
            }
            _ => {}
        }
    }

    fn env_form_key(&mut self, k: KeyEvent, ctrl_c: bool) {
        let Overlay::Env(form) = &mut self.overlay else {
            return;
        };
        if ctrl_c || k.code == KeyCode::Esc {
            self.overlay = Overlay::None;
            return;
        }
        let fields = form.fields();
        form.error = None;
        let typing = form.focus == 1 || form.focus == 3;
        let step = |f: usize, d: isize| {
            let n = fields.len() as isize;
            fields.start + ((f - fields.start) as isize + d).rem_euclid(n) as usize
        };
        match k.code {
            KeyCode::Up | KeyCode::BackTab => form.focus = step(form.focus, -1),
            KeyCode::Down | KeyCode::Tab => form.focus = step(form.focus, 1),
            KeyCode::Left | KeyCode::Right => {
                let d = if k.code == KeyCode::Left { -1 } else { 1 };
                match form.focus {
                    0 => form.picker.cycle_layer(d),
                    2 => form.picker.cycle_kind(d),
                    _ => {}
                }
            }
            KeyCode::Enter => self.submit_env_form(),
            KeyCode::Backspace if typing => {
                if form.focus == 1 {
                    form.name.pop();
                } else {
                    form.picker.input.pop();
                }
            }
            KeyCode::Char(c) if typing => {
                if form.focus == 1 {
                    form.name.push(c);
                } else {
                    form.picker.input.push(c);
                }
            }
            KeyCode::Char('k') => form.focus = step(form.focus, -1),
            KeyCode::Char('j') => form.focus = step(form.focus, 1),
            _ => {}
        }
    }

    /// Handles a mouse event against the areas of the last draw: a click
    /// selects (a second click on the selection opens it), the wheel moves.
    pub fn mouse(&mut self, m: MouseEvent) {
        let hit = self
            .hits
            .iter()
            .rev()
            .find(|(r, _)| {
                m.column >= r.x
                    && m.column < r.x + r.width
                    && m.row >= r.y
                    && m.row < r.y + r.height
            })
            .map(|(_, h)| *h);
        match m.kind {
            MouseEventKind::ScrollDown => self.scroll(1),
            MouseEventKind::ScrollUp => self.scroll(-1),
            MouseEventKind::Down(MouseButton::Left) => {
                if let Some(h) = hit {
                    self.click(h)
                }
            }
            _ => {}
        }
    }

    fn scroll(&mut self, d: isize) {
        let code = if d > 0 { KeyCode::Down } else { KeyCode::Up };
        self.key(KeyEvent::new(code, KeyModifiers::NONE));
    }

    /// Acts on a clicked area.
    pub fn click(&mut self, h: Hit) {
        match (h, &mut self.overlay) {
            (Hit::Workspace(i), Overlay::None) => {
                if self.ws_sel == i {
                    self.open_editor();
                } else {
                    self.ws_sel = i;
                }
            }
            (Hit::Tab(t), Overlay::None) => self.tab = t,
            (Hit::AuthRow(i), Overlay::None) => {
                if self.auth_sel == i {
                    self.open_auth_form();
                } else {
                    self.auth_sel = i;
                }
            }
            (Hit::EnvRow(i), Overlay::None) => {
                if self.env_sel == i {
                    self.open_env_edit();
                } else {
                    self.env_sel = i;
                }
            }
            (Hit::FormField(f), Overlay::Auth(form)) if form.browser.is_none() => {
                if form.focus == f && f == Field::Mode {
                    form.cycle(1);
                }
                form.focus = f;
            }
            (Hit::BrowserEntry(i), Overlay::Auth(form)) => {
                if let Some(b) = form.browser.as_mut() {
                    if b.sel == i {
                        form.browser_enter();
                    } else {
                        b.sel = i;
                    }
                }
            }
            _ => {}
        }
    }
}
