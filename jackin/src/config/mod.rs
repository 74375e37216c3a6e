//! `config.toml`: location, loading with validation, and atomic edits
//! (`shared/SPEC.md` §4).
//!
//! - [`path`]: where the file is (`$JACKIN_CONFIG_DIR/config.toml`, default
//!   `~/.config/jackin/config.toml`).
//! - [`read`] / [`read_from`] / [`read_str`]: parse and validate into the
//!   read-only [`Config`] model; [`load()`] / [`load_from`] / [`parse_str`]
//!   also give the `toml_edit` document, for edits. Never writes.
//!   Parsing and the schema walk: [`load`](mod@load) and `walk`.
//! - [`edit`]: the one way to change the file (lock, re-read, change,
//!   validate the whole document, atomic replace).
//!
//! Errors are [`ConfigError`]; their Display names the file, line and
//! column, and [`ConfigError::hint`] says what to do.

pub mod builtin;
pub mod edit;
pub mod error;
pub mod load;
pub mod model;
pub mod paths;
pub mod scope;
pub mod validate;
mod walk;

pub use edit::{edit, Edited};
pub use error::{ConfigError, Pos};
pub use load::{load_from, parse_str, read_from, read_str};
pub use model::*;
pub use paths::path;

/// Reads the validated configuration from [`path()`] (no editable
/// document); see [`read_from`].
pub fn read() -> Result<Config, ConfigError> {
    read_from(&path())
}

/// Loads the configuration from [`path()`]; see [`load_from`].
pub fn load() -> Result<(Config, toml_edit::DocumentMut), ConfigError> {
    load_from(&path())
}

#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod tests;
