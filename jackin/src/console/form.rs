//! The Auth edit form for one row (workspace × agent, or workspace × role
//! × agent): a mode picker offering only the agent's modes, a credential
//! picker for `api_key`/`oauth_token`, and a source folder for `sync`.
//! [`AuthForm::submit`] turns it into staged changes, or refuses with the
//! reason (an unresolvable credential, a folder without a login).

use super::auth::{AuthRow, RowScope};
use super::changes::{AgentKey, Change, Layer, LayerExt};
use super::cred_picker::{check_var, cycle, CredPicker, SourceKind};
use super::creds::Resolver;
use super::fs_browser::{FsBrowser, Outcome};
use crate::agents::AgentSpec;
use crate::config::Config;
use crate::discovery::check_source_dir;
use crate::mode::Mode;
use std::path::{Path, PathBuf};

/// A form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Mode,
    Layer,
    Kind,
    Value,
    Source,
}

/// What happens to `sync_source_dir` at this scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceEdit {
    /// Leave it as it is.
    Keep,
    /// Set it to this folder (already checked for a login).
    Set(PathBuf),
    /// Remove it at this scope.
    Clear,
}

/// The edit form's state.
#[derive(Debug, Clone)]
pub struct AuthForm {
    pub workspace: String,
    pub scope: RowScope,
    pub agent: &'static AgentSpec,
    /// `None` = inherit (remove the setting at this scope), then the agent's modes.
    pub options: Vec<Option<Mode>>,
    pub mode_idx: usize,
    /// The mode set at this scope when the form opened.
    pub original: Option<Mode>,
    /// What "inherit" resolves to, and from where (`sync from global`).
    pub inherited: String,
    /// Whether "inherit" resolves to `sync`.
    pub inherits_sync: bool,
    /// The source folder set at this scope when the form opened.
    pub source_here: Option<PathBuf>,
    /// The source folder shown for the row (`default: ~/.claude`, …).
    pub source_shown: String,
    pub cred: CredPicker,
    pub source: SourceEdit,
    pub browser: Option<FsBrowser>,
    pub focus: Field,
    /// Why the last submit or choice was refused.
    pub error: Option<String>,
}

impl AuthForm {
    /// Opens the form for `row`. `inherited` is the (mode, scope label) a
    /// removal at this scope would give; `source_here` the folder set at
    /// this scope; `source_shown` the folder a `sync` launch would use;
    /// `cfg` the staged configuration.
    pub fn open(
        workspace: &str,
        row: &AuthRow,
        inherited: (Mode, String),
        source_here: Option<PathBuf>,
        source_shown: String,
        cfg: &Config,
    ) -> AuthForm {
        let mut options = vec![None];
        options.extend(row.agent.modes.iter().copied().map(Some));
        let mode_idx = options.iter().position(|o| *o == row.set_here).unwrap_or(0);
        let layers = Layer::order(workspace, row.scope.role());
        let var = row
            .agent
            .var_for(row.effective)
            .unwrap_or(row.agent.api_key_var);
        // Start at the layer that already sets the variable, else the workspace layer.
        let start = super::cred_picker::effective(cfg, &layers, var)
            .map(|(l, _)| l.clone())
            .unwrap_or(Layer::Workspace(workspace.into()));
        let layer = layers.iter().position(|l| *l == start).unwrap_or(0);
        AuthForm {
            workspace: workspace.into(),
            scope: row.scope.clone(),
            agent: row.agent,
            options,
            mode_idx,
            original: row.set_here,
            inherits_sync: inherited.0 == Mode::Sync,
            inherited: format!("{} from {}", inherited.0, inherited.1),
            source_here,
            source_shown,
            cred: CredPicker::new(layers, layer),
            source: SourceEdit::Keep,
            browser: None,
            focus: Field::Mode,
            error: None,
        }
    }

    /// The chosen option (`None` = inherit).
    pub fn chosen(&self) -> Option<Mode> {
        self.options[self.mode_idx]
    }

    /// The variable the chosen mode needs (`api_key`, `oauth_token`).
    pub fn needed_var(&self) -> Option<&'static str> {
        self.chosen().and_then(|m| self.agent.var_for(m))
    }

    /// Whether the chosen mode ends up as `sync` (the source folder applies).
    pub fn is_sync(&self) -> bool {
        match self.chosen() {
            Some(m) => m == Mode::Sync,
            None => self.inherits_sync,
        }
    }

    /// Visible fields, top to bottom.
    pub fn fields(&self) -> Vec<Field> {
        let mut v = vec![Field::Mode];
        if self.needed_var().is_some() {
            v.extend([Field::Layer, Field::Kind, Field::Value]);
        }
        if self.is_sync() {
            v.push(Field::Source);
        }
        v
    }

    /// Moves focus by `d` among visible fields.
    pub fn move_focus(&mut self, d: isize) {
        let f = self.fields();
        let i = f.iter().position(|x| *x == self.focus).unwrap_or(0);
        self.focus = f[cycle(i, f.len(), d)];
    }

    /// Left/right on the focused picker.
    pub fn cycle(&mut self, d: isize) {
        match self.focus {
            Field::Mode => {
                self.mode_idx = cycle(self.mode_idx, self.options.len(), d);
                self.error = None;
            }
            Field::Layer => self.cred.cycle_layer(d),
            Field::Kind => self.cred.cycle_kind(d),
            Field::Value | Field::Source => {}
        }
    }

    /// Opens the folder browser at the current source folder (or `home`).
    pub fn open_browser(&mut self, home: &Path) {
        let start = match &self.source {
            SourceEdit::Set(p) => p.clone(),
            _ => self
                .source_here
                .clone()
                .unwrap_or_else(|| home.to_path_buf()),
        };
        self.browser = Some(FsBrowser::open(&start));
    }

    /// Enter in the browser: opens a folder, or checks and takes the
    /// chosen one (the browser stays open with the reason when it holds no
    /// login for this agent).
    pub fn browser_enter(&mut self) {
        let Some(b) = self.browser.as_mut() else {
            return;
        };
        if let Outcome::Chosen(p) = b.enter() {
            self.take_folder(p);
        }
    }

    /// `s` in the browser: checks and takes the highlighted folder.
    pub fn browser_choose(&mut self) {
        if let Some(p) = self.browser.as_ref().map(FsBrowser::choose) {
            self.take_folder(p);
        }
    }

    fn take_folder(&mut self, p: PathBuf) {
        match check_source_dir(self.agent, &p) {
            Ok(()) => {
                self.source = SourceEdit::Set(p);
                self.browser = None;
                self.error = None;
            }
            Err(why) => {
                if let Some(b) = self.browser.as_mut() {
                    b.error = Some(why);
                }
            }
        }
    }

    /// The staged changes this form makes, or why it refuses. A mode that
    /// needs a variable is refused until the variable resolves (the typed
    /// value at the chosen layer, or what the layers already hold).
    pub fn submit(&self, cfg: &Config, resolver: &dyn Resolver) -> Result<Vec<Change>, String> {
        let role = self.scope.role().map(str::to_string);
        let agent_change = |key, value| Change::Agent {
            workspace: self.workspace.clone(),
            role: role.clone(),
            agent: self.agent.name.to_string(),
            key,
            value,
        };
        let mut out = Vec::new();
        if self.chosen() != self.original {
            out.push(agent_change(
                AgentKey::Mode,
                self.chosen().map(|m| m.as_str().to_string()),
            ));
        }
        if let Some(var) = self.needed_var() {
            let mut staged = cfg.clone();
            if let Some(v) = self.cred.value() {
                let (raw, parsed) = v.map_err(|e| format!("{var}: {e}"))?;
                resolver
                    .check(&parsed)
                    .map_err(|e| format!("{var} does not resolve: {e}"))?;
                let c = Change::Env {
                    layer: self.cred.layer().clone(),
                    name: var.to_string(),
                    value: Some(raw),
                };
                c.apply_config(&mut staged);
                out.push(c);
            }
            check_var(&staged, &self.cred.layers, var, resolver).map_err(|e| {
                if self.cred.input.trim().is_empty() {
                    format!("{e}; choose a source and enter a value")
                } else {
                    e
                }
            })?;
        }
        if self.is_sync() {
            match &self.source {
                SourceEdit::Keep => {}
                SourceEdit::Set(p) => out.push(agent_change(
                    AgentKey::Source,
                    Some(p.display().to_string()),
                )),
                SourceEdit::Clear if self.source_here.is_some() => {
                    out.push(agent_change(AgentKey::Source, None))
                }
                SourceEdit::Clear => {}
            }
        }
        Ok(out)
    }

    /// The source folder line as shown in the form.
    pub fn source_line(&self, home: Option<&str>) -> String {
        match &self.source {
            SourceEdit::Keep => self.source_shown.clone(),
            SourceEdit::Set(p) => format!("{} (new)", super::auth::tilde(p, home)),
            SourceEdit::Clear => "cleared at this scope (inherit)".into(),
        }
    }

    /// Source kind label of the picker.
    pub fn kind_label(&self) -> &'static str {
        self.cred.kind.label()
    }

    /// True when the value being typed is a literal (masked).
    pub fn literal(&self) -> bool {
        self.cred.kind == SourceKind::Literal
    }
}
