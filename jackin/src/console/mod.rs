//! `jackin console`: the terminal UI over the same configuration the CLI
//! edits (`shared/SPEC.md` §4, §7).
//!
//! A workspace list (with the engine's instances when the caller supplies
//! them), and per workspace an editor with an Auth tab (global mode
//! read-only, workspace mode, per-role overrides; effective mode, the scope
//! that set it, the `sync` source folder) and an Env tab (operator env
//! layers). Edits are staged and written only on an explicit save, after a
//! confirmation showing the diff, through [`crate::config::edit`].
//!
//! Layout: [`model`] (state, staging, save), [`keys`] (input),
//! [`changes`] (staged edits and the diff), [`auth`] (Auth rows),
//! [`form`] / [`cred_picker`] / [`fs_browser`] (edit forms), [`creds`]
//! (does a credential resolve), [`ui`] / [`ui_overlay`] (drawing),
//! [`app`] (terminal and event loop).
//!
//! Entry point for callers: [`run`].

pub mod app;
pub mod auth;
pub mod changes;
pub mod cred_picker;
pub mod creds;
pub mod form;
pub mod fs_browser;
pub mod keys;
pub mod model;
pub mod ui;
pub mod ui_overlay;

pub use model::{Console, Instance};

use std::path::Path;

/// Whether colour is allowed: off when `NO_COLOR` is set to a non-empty
/// value (<https://no-color.org>).
pub fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Opens the console on config.toml at `path`. `instances`: the engine's
/// instances (`None` shows "engine: not connected"). Errors: the file
/// cannot be read or is invalid (nothing is shown), or the terminal fails.
pub fn run(path: &Path, instances: Option<Vec<Instance>>) -> anyhow::Result<()> {
    let resolver = creds::SystemResolver::from_process();
    let host = resolver.host.clone();
    let mut console = Console::load(path, host, Box::new(resolver), instances)?;
    console.color = color_allowed();
    app::run(&mut console)?;
    Ok(())
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_edit;
#[cfg(test)]
mod tests_snap;
