//! The console's state: the configuration as loaded, the staged changes
//! and the configuration they produce, what is selected, which overlay is
//! open. No terminal here: [`super::keys`] changes it, [`super::ui`] draws it.

use super::auth::{self, AuthRow, RowScope};
use super::changes::{self, Change, DiffLine, Layer, LayerExt};
use super::cred_picker::EnvForm;
use super::creds::{HostEnv, Resolver};
use super::form::AuthForm;
use crate::config::{self, Config, ConfigError};
use crate::resolve;
use ratatui::layout::Rect;
use std::path::{Path, PathBuf};

/// A running (or stopped) instance, as reported by the engine; supplied by
/// the caller (`None` in [`Console::instances`] means no engine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// The saved workspace key it belongs to.
    pub workspace: String,
    /// 8-character instance id.
    pub id: String,
    pub role: String,
    /// Engine state (`running`, `exited`, …).
    pub state: String,
}

/// Top-level screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Workspaces,
    Editor,
}

/// Tabs of the workspace editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Auth,
    Env,
}

impl Tab {
    /// In display order.
    pub const ALL: [Tab; 2] = [Tab::Auth, Tab::Env];

    /// The tab's label (`Auth`, `Env`).
    pub fn title(self) -> &'static str {
        match self {
            Tab::Auth => "Auth",
            Tab::Env => "Env",
        }
    }
}

/// What is drawn over the screen and gets the keys.
#[derive(Debug, Clone)]
pub enum Overlay {
    None,
    Help,
    Auth(Box<AuthForm>),
    Env(Box<EnvForm>),
    /// The save confirmation with the diff of config.toml.
    ConfirmSave(Vec<DiffLine>),
    /// Quitting with staged changes.
    ConfirmQuit,
    /// A refusal or failure to read before going on.
    Error(String),
}

/// A clickable area recorded by the last draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    Workspace(usize),
    Tab(Tab),
    AuthRow(usize),
    EnvRow(usize),
    FormField(super::form::Field),
    BrowserEntry(usize),
}

/// One row of the Env tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRow {
    pub layer: Layer,
    pub name: String,
    /// The unresolved value as written (shown only through [`changes::shown`]).
    pub raw: String,
}

/// The whole console state.
pub struct Console {
    /// config.toml.
    pub path: PathBuf,
    /// The configuration as last loaded or saved.
    pub base: Config,
    /// The file's text as last loaded or saved (for the diff).
    pub base_text: String,
    /// Staged changes, oldest first; at most one per key.
    pub staged: Vec<Change>,
    /// `base` with `staged` applied: what every screen shows.
    pub view: Config,
    /// Instances from the engine; `None` = engine not connected.
    pub instances: Option<Vec<Instance>>,
    /// Host environment (`HOME`, relocation variables, `$NAME` checks).
    pub host: HostEnv,
    pub resolver: Box<dyn Resolver>,
    pub screen: Screen,
    pub tab: Tab,
    pub ws_sel: usize,
    pub auth_sel: usize,
    pub env_sel: usize,
    pub overlay: Overlay,
    /// One-line message in the footer.
    pub status: String,
    /// Set when the console should exit.
    pub quit: bool,
    /// Quit once the pending save succeeds.
    pub quit_after_save: bool,
    /// Colour on (off with `NO_COLOR`).
    pub color: bool,
    /// Clickable areas of the last draw.
    pub hits: Vec<(Rect, Hit)>,
}

impl Console {
    /// A console over `text` (the content of `path`; empty when the file
    /// does not exist). Errors when the text is not a valid configuration.
    pub fn from_text(
        path: &Path,
        text: &str,
        host: HostEnv,
        resolver: Box<dyn Resolver>,
        instances: Option<Vec<Instance>>,
    ) -> Result<Console, ConfigError> {
        let base = config::parse_str(path, text)?.0;
        Ok(Console {
            path: path.to_path_buf(),
            view: base.clone(),
            base,
            base_text: text.to_string(),
            staged: Vec::new(),
            instances,
            host,
            resolver,
            screen: Screen::Workspaces,
            tab: Tab::Auth,
            ws_sel: 0,
            auth_sel: 0,
            env_sel: 0,
            overlay: Overlay::None,
            status: String::new(),
            quit: false,
            quit_after_save: false,
            color: true,
            hits: Vec::new(),
        })
    }

    /// Reads `path` (a missing file is an empty configuration).
    pub fn load(
        path: &Path,
        host: HostEnv,
        resolver: Box<dyn Resolver>,
        instances: Option<Vec<Instance>>,
    ) -> Result<Console, ConfigError> {
        let text = read_text(path)?;
        Console::from_text(path, &text, host, resolver, instances)
    }

    /// Saved workspace names, sorted.
    pub fn workspaces(&self) -> Vec<&str> {
        self.view.workspaces.keys().map(String::as_str).collect()
    }

    /// The selected workspace's name.
    pub fn workspace(&self) -> Option<&str> {
        self.workspaces().get(self.ws_sel).copied()
    }

    /// Instances of `workspace` (empty without an engine).
    pub fn instances_of(&self, workspace: &str) -> Vec<&Instance> {
        self.instances
            .iter()
            .flatten()
            .filter(|i| i.workspace == workspace)
            .collect()
    }

    /// The Auth tab's rows for the selected workspace.
    pub fn auth_rows(&self) -> Vec<AuthRow> {
        match self.workspace() {
            Some(w) => auth::rows(&self.view, w, &self.host),
            None => Vec::new(),
        }
    }

    /// The env layers that concern the selected workspace, lowest first:
    /// global, each role, the workspace, each workspace × role.
    pub fn env_layers(&self) -> Vec<Layer> {
        let Some(w) = self.workspace() else {
            return Vec::new();
        };
        let roles: Vec<&String> = self.view.roles.keys().collect();
        let mut v = vec![Layer::Global];
        v.extend(roles.iter().map(|r| Layer::Role((*r).clone())));
        v.push(Layer::Workspace(w.into()));
        v.extend(
            roles
                .iter()
                .map(|r| Layer::WorkspaceRole(w.into(), (*r).clone())),
        );
        v
    }

    /// The Env tab's rows: every variable of [`Console::env_layers`].
    pub fn env_rows(&self) -> Vec<EnvRow> {
        let mut out = Vec::new();
        for layer in self.env_layers() {
            if let Some(vars) = layer.vars(&self.view) {
                for (name, raw) in vars.iter() {
                    out.push(EnvRow {
                        layer: layer.clone(),
                        name: name.clone(),
                        raw: raw.clone(),
                    });
                }
            }
        }
        out
    }

    /// Whether anything is staged.
    pub fn dirty(&self) -> bool {
        !self.staged.is_empty()
    }

    /// Stages `changes`: each replaces an older change of the same key,
    /// and a change back to the saved value drops out of the list.
    pub fn stage(&mut self, changes: Vec<Change>) {
        for c in changes {
            self.staged.retain(|s| !s.same_target(&c));
            let mut probe = self.base.clone();
            c.apply_config(&mut probe);
            if probe != self.base {
                self.staged.push(c);
            }
        }
        self.rebuild();
    }

    /// Drops every staged change.
    pub fn discard(&mut self) {
        self.staged.clear();
        self.rebuild();
    }

    fn rebuild(&mut self) {
        let mut v = self.base.clone();
        for c in &self.staged {
            c.apply_config(&mut v);
        }
        self.view = v;
    }

    /// The file as it would be after saving (applied to the text as loaded).
    pub fn preview(&self) -> Result<String, ConfigError> {
        let mut doc: toml_edit::DocumentMut = self
            .base_text
            .parse()
            .map_err(|_| ConfigError::refused("config.toml no longer parses", None))?;
        for c in &self.staged {
            c.apply_doc(&mut doc)?;
        }
        Ok(doc.to_string())
    }

    /// Opens the save confirmation with the diff (or says there is nothing to save).
    pub fn ask_save(&mut self) {
        if !self.dirty() {
            self.status = "nothing to save".into();
            return;
        }
        self.overlay = match self.preview() {
            Ok(after) => Overlay::ConfirmSave(changes::diff(&self.base_text, &after, 2)),
            Err(e) => Overlay::Error(e.to_string()),
        };
    }

    /// Writes the staged changes through [`config::edit`] (lock, re-read,
    /// apply, validate the whole file, atomic rename). On failure nothing
    /// is written, the changes stay staged, and the error is shown.
    pub fn save(&mut self) {
        let staged = self.staged.clone();
        let res = config::edit(&self.path, |doc| {
            for c in &staged {
                c.apply_doc(doc)?;
            }
            Ok(())
        });
        match res.and_then(|e| Ok((e.config, read_text(&self.path)?))) {
            Ok((cfg, text)) => {
                let n = self.staged.len();
                self.base = cfg;
                self.base_text = text;
                self.staged.clear();
                self.rebuild();
                self.overlay = Overlay::None;
                self.status = format!(
                    "saved {n} change{} to {}",
                    if n == 1 { "" } else { "s" },
                    self.path.display()
                );
                if self.quit_after_save {
                    self.quit = true;
                }
            }
            Err(e) => {
                self.quit_after_save = false;
                let hint = e.hint().map(|h| format!("\nhint: {h}")).unwrap_or_default();
                self.overlay = Overlay::Error(format!("not saved: {e}{hint}"));
            }
        }
        self.clamp();
    }

    /// Keeps selections inside their lists.
    pub fn clamp(&mut self) {
        let n = self.workspaces().len();
        self.ws_sel = self.ws_sel.min(n.saturating_sub(1));
        self.auth_sel = self.auth_sel.min(self.auth_rows().len().saturating_sub(1));
        self.env_sel = self.env_sel.min(self.env_rows().len().saturating_sub(1));
    }

    /// Opens the edit form for the selected Auth row (global rows are
    /// read-only: the footer says how to change them).
    pub fn open_auth_form(&mut self) {
        let rows = self.auth_rows();
        let (Some(row), Some(w)) = (rows.get(self.auth_sel), self.workspace()) else {
            return;
        };
        if !row.editable() {
            self.status = format!(
                "global modes are read-only here: jackin config auth set MODE --agent {}",
                row.agent.name
            );
            return;
        }
        let w = w.to_string();
        let role = row.scope.role();
        let mut without = self.view.clone();
        Change::Agent {
            workspace: w.clone(),
            role: role.map(str::to_string),
            agent: row.agent.name.into(),
            key: changes::AgentKey::Mode,
            value: None,
        }
        .apply_config(&mut without);
        let inh = resolve::mode(&without, Some(&w), role, row.agent.name);
        let ws = &self.view.workspaces[&w];
        let table = match &row.scope {
            RowScope::Role(r) => ws.roles.get(r).map(|wr| &wr.agents),
            _ => Some(&ws.agents),
        };
        let source_here = table
            .and_then(|t| t.get(row.agent.name))
            .and_then(|a| a.sync_source_dir.clone());
        let shown = auth::source_of(&self.view, Some(&w), role, row.agent, &self.host);
        let form = AuthForm::open(
            &w,
            row,
            (inh.value, auth::scope_short(&inh.scope).to_string()),
            source_here,
            shown.to_string(),
            &self.view,
        );
        self.overlay = Overlay::Auth(Box::new(form));
    }

    /// Submits the open Auth form: stages its changes and closes it, or
    /// keeps it open with the reason.
    pub fn submit_auth_form(&mut self) {
        let Overlay::Auth(form) = &mut self.overlay else {
            return;
        };
        match form.submit(&self.view, self.resolver.as_ref()) {
            Ok(ch) if ch.is_empty() => {
                self.overlay = Overlay::None;
                self.status = "no change".into();
            }
            Ok(ch) => {
                let n = ch.len();
                self.overlay = Overlay::None;
                self.stage(ch);
                self.status = format!(
                    "staged {n} change{}; s to save",
                    if n == 1 { "" } else { "s" }
                );
            }
            Err(e) => form.error = Some(e),
        }
    }

    /// Submits the open Env form.
    pub fn submit_env_form(&mut self) {
        let Overlay::Env(form) = &mut self.overlay else {
            return;
        };
        match form.submit() {
            Ok(c) => {
                self.overlay = Overlay::None;
                self.status = format!("staged: {}; s to save", c.describe());
                self.stage(vec![c]);
            }
            Err(e) => form.error = Some(e),
        }
    }

    /// Opens the Env form for a new variable (default layer: the workspace).
    pub fn open_env_add(&mut self) {
        let layers = self.env_layers();
        let start = layers
            .iter()
            .position(|l| matches!(l, Layer::Workspace(_)))
            .unwrap_or(0);
        if !layers.is_empty() {
            self.overlay = Overlay::Env(Box::new(EnvForm::add(layers, start)));
        }
    }

    /// Opens the Env form for the selected variable.
    pub fn open_env_edit(&mut self) {
        if let Some(r) = self.env_rows().get(self.env_sel).cloned() {
            self.overlay = Overlay::Env(Box::new(EnvForm::edit(r.layer, r.name, &r.raw)));
        }
    }

    /// Stages the removal of the selected variable.
    pub fn remove_env(&mut self) {
        if let Some(r) = self.env_rows().get(self.env_sel).cloned() {
            let c = Change::Env {
                layer: r.layer,
                name: r.name,
                value: None,
            };
            self.status = format!("staged: {}; s to save", c.describe());
            self.stage(vec![c]);
            self.clamp();
        }
    }

    /// Quit, asking first when changes are staged.
    pub fn request_quit(&mut self) {
        if self.dirty() {
            self.overlay = Overlay::ConfirmQuit;
        } else {
            self.quit = true;
        }
    }
}

/// The file's text; a missing file is empty.
fn read_text(path: &Path) -> Result<String, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}
