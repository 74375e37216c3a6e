//! The credential picker (a variable's value at a chosen env layer, from a
//! chosen source) and the Env tab's form, which is the same picker plus a
//! variable name.
//!
//! Typed text is kept only in memory; a literal is shown as `•` and never
//! pre-filled from the file.

use super::changes::{Change, Layer, LayerExt};
use super::creds::Resolver;
use crate::config::Config;
use crate::env::{self, EnvValue};

/// Where a value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// The typed text itself (a secret: masked on screen).
    Literal,
    /// `$NAME`: the host's variable at launch.
    HostVar,
    /// `op://VAULT/ITEM/FIELD`: 1Password.
    OnePassword,
    /// `keyring:SERVICE/ACCOUNT`: the OS keyring.
    Keyring,
}

impl SourceKind {
    /// In picker order.
    pub const ALL: [SourceKind; 4] = [
        SourceKind::HostVar,
        SourceKind::OnePassword,
        SourceKind::Keyring,
        SourceKind::Literal,
    ];

    /// `literal`, `$HOST_VAR`, `op://`, `keyring:`.
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Literal => "literal",
            SourceKind::HostVar => "$HOST_VAR",
            SourceKind::OnePassword => "op://",
            SourceKind::Keyring => "keyring:",
        }
    }

    /// What to type, shown next to the input.
    pub fn hint(self) -> &'static str {
        match self {
            SourceKind::Literal => "the value itself (stored in config.toml)",
            SourceKind::HostVar => "host variable name, e.g. MY_API_KEY",
            SourceKind::OnePassword => "VAULT/ITEM/FIELD",
            SourceKind::Keyring => "SERVICE/ACCOUNT",
        }
    }

    /// The config value for typed `input` (`MY_KEY` → `$MY_KEY`).
    pub fn compose(self, input: &str) -> String {
        let t = input.trim();
        match self {
            SourceKind::Literal => input.to_string(),
            SourceKind::HostVar if t.starts_with('$') => t.to_string(),
            SourceKind::HostVar => format!("${t}"),
            SourceKind::OnePassword if t.starts_with("op://") => t.to_string(),
            SourceKind::OnePassword => format!("op://{t}"),
            SourceKind::Keyring if t.starts_with("keyring:") => t.to_string(),
            SourceKind::Keyring => format!("keyring:{t}"),
        }
    }
}

/// Picks a layer, a source kind and a value for one variable.
#[derive(Clone)]
pub struct CredPicker {
    pub layers: Vec<Layer>,
    pub layer: usize,
    pub kind: SourceKind,
    /// Typed text; empty means "keep what the layers already hold".
    pub input: String,
    /// Last check: `Ok(description)` or `Err(reason)`; `None` before any.
    pub status: Option<Result<String, String>>,
}

impl CredPicker {
    /// A picker over `layers` (lowest first), starting at `layer`.
    pub fn new(layers: Vec<Layer>, layer: usize) -> CredPicker {
        CredPicker {
            layer: layer.min(layers.len().saturating_sub(1)),
            layers,
            kind: SourceKind::HostVar,
            input: String::new(),
            status: None,
        }
    }

    /// The chosen layer.
    pub fn layer(&self) -> &Layer {
        &self.layers[self.layer]
    }

    /// The typed value as shown: literals masked with `•`.
    pub fn shown_input(&self) -> String {
        match self.kind {
            SourceKind::Literal => "•".repeat(self.input.chars().count()),
            _ => self.input.clone(),
        }
    }

    /// Cycles the layer by `d`.
    pub fn cycle_layer(&mut self, d: isize) {
        self.layer = cycle(self.layer, self.layers.len(), d);
        self.status = None;
    }

    /// Cycles the source kind by `d`.
    pub fn cycle_kind(&mut self, d: isize) {
        let i = SourceKind::ALL
            .iter()
            .position(|k| *k == self.kind)
            .unwrap_or(0);
        self.kind = SourceKind::ALL[cycle(i, SourceKind::ALL.len(), d)];
        self.status = None;
    }

    /// The value to write, parsed: `None` when nothing was typed.
    pub fn value(&self) -> Option<Result<(String, EnvValue), String>> {
        if self.input.trim().is_empty() {
            return None;
        }
        let raw = self.kind.compose(&self.input);
        Some(EnvValue::parse(&raw).map(|v| (raw, v)))
    }
}

impl std::fmt::Debug for CredPicker {
    /// Never shows the typed text (it may be a literal secret).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredPicker")
            .field("layer", self.layer())
            .field("kind", &self.kind)
            .field(
                "input",
                &format_args!("<{} chars>", self.input.chars().count()),
            )
            .finish()
    }
}

/// `(i + d) mod n`, for pickers.
pub fn cycle(i: usize, n: usize, d: isize) -> usize {
    if n == 0 {
        return 0;
    }
    (i as isize + d).rem_euclid(n as isize) as usize
}

/// The value of `var` a launch would use over `layers` (lowest first):
/// the highest layer that sets it, with its raw value.
pub fn effective<'l>(cfg: &Config, layers: &'l [Layer], var: &str) -> Option<(&'l Layer, String)> {
    layers
        .iter()
        .rev()
        .find_map(|l| Some((l, l.vars(cfg)?.get(var)?.clone())))
}

/// Checks that `var` resolves over `layers` in `cfg`; `Ok` describes where
/// it comes from (`$MY_KEY from [workspaces.w.env]`), never the value.
pub fn check_var(
    cfg: &Config,
    layers: &[Layer],
    var: &str,
    resolver: &dyn Resolver,
) -> Result<String, String> {
    let Some((layer, raw)) = effective(cfg, layers, var) else {
        let names: Vec<String> = layers.iter().map(Layer::table).collect();
        return Err(format!(
            "{var} is unset in every layer ({})",
            names.join(", ")
        ));
    };
    let v = EnvValue::parse(&raw).map_err(|e| format!("{var} in {}: {e}", layer.table()))?;
    resolver
        .check(&v)
        .map(|()| format!("{var} resolves ({} from {})", v.reference(), layer.table()))
        .map_err(|e| format!("{var} from {}: {e}", layer.table()))
}

/// The Env tab's add/edit form.
#[derive(Debug, Clone)]
pub struct EnvForm {
    /// `Some` when editing an existing variable (name and layer fixed).
    pub existing: Option<(Layer, String)>,
    pub name: String,
    pub picker: CredPicker,
    /// 0 = layer, 1 = name, 2 = source, 3 = value (only 2..4 when editing).
    pub focus: usize,
    pub error: Option<String>,
}

impl EnvForm {
    /// Form for a new variable at one of `layers`.
    pub fn add(layers: Vec<Layer>, layer: usize) -> EnvForm {
        EnvForm {
            existing: None,
            name: String::new(),
            picker: CredPicker::new(layers, layer),
            focus: 0,
            error: None,
        }
    }

    /// Form for changing `name` at `layer`; the current value is not
    /// pre-filled when it is a literal.
    pub fn edit(layer: Layer, name: String, current: &str) -> EnvForm {
        let mut picker = CredPicker::new(vec![layer.clone()], 0);
        match EnvValue::parse(current) {
            Ok(EnvValue::HostVar(n)) => picker.input = n,
            Ok(EnvValue::OnePassword(r)) => {
                picker.kind = SourceKind::OnePassword;
                picker.input = r.trim_start_matches("op://").to_string();
            }
            Ok(EnvValue::Keyring { service, account }) => {
                picker.kind = SourceKind::Keyring;
                picker.input = format!("{service}/{account}");
            }
            _ => picker.kind = SourceKind::Literal,
        }
        EnvForm {
            existing: Some((layer, name.clone())),
            name,
            picker,
            focus: 2,
            error: None,
        }
    }

    /// Focusable fields in order.
    pub fn fields(&self) -> std::ops::Range<usize> {
        if self.existing.is_some() {
            2..4
        } else {
            0..4
        }
    }

    /// The staged change, or why not: the name must be valid and not
    /// reserved, the value must parse. (Resolution is shown, not required:
    /// a variable may be meant for a host where it resolves.)
    pub fn submit(&self) -> Result<Change, String> {
        let name = self.name.trim();
        env::check_name(name)?;
        let (raw, _) = match self.picker.value() {
            None => return Err(format!("enter a value for {name}")),
            Some(r) => r?,
        };
        Ok(Change::Env {
            layer: self.picker.layer().clone(),
            name: name.to_string(),
            value: Some(raw),
        })
    }
}
