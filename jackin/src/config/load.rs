//! Loading: read config.toml, parse it, and build the [`Config`] model with
//! the schema walk (`config/walk.rs`), refusing anything outside the schema
//! of `shared/SPEC.md` §4 with the file, line and column of the offending
//! key or value. Loading never writes.
//!
//! Two parsers, one walk. The walk always runs over the `toml` crate's
//! spanned [`DeTable`] (borrowed strings, no formatting kept: about half
//! the time of `toml_edit` on the 0.9 MB file of `bench/config.sh`).
//! Callers that edit ([`load_from`], [`parse_str`]) also get the
//! `toml_edit` document, and only they pay for it.
//!
//! Both parsers run the same `toml_parser` (lexer, grammar, string, key and
//! datetime decoding), build tables with the same rules (duplicate keys,
//! tables defined twice, dotted keys into inline tables, …) and keep the
//! first error, worded the same. They differ on numbers: `toml_edit` also
//! refuses integers that overflow `i64` and floats that overflow `f64`,
//! which `DeTable` keeps as text. So:
//! - no file `toml_edit` refuses gets through: the schema has no numbers,
//!   so a `DeTable` the walk accepts has none, and when the walk refuses a
//!   file `toml_edit` is asked first, so its syntax error wins, as it
//!   always has ([`read_str`]; [`parse_str`] parses with both anyway);
//! - a text with an overflowing number and a later syntax error names the
//!   later error (`toml_edit` named the number).
//!
//! `toml_edit` (0.23.10) only ever parses text `DeTable` accepted: on some
//! malformed texts (`a= = {}` then `[a.b]`) it panics instead of returning
//! its error.

use super::error::{ConfigError, Pos, Result};
use super::model::Config;
use super::walk;
use std::path::Path;
use toml::de::DeTable;
use toml::Spanned;
use toml_edit::{Document, DocumentMut};

/// Reads and validates the file at `path`, for callers that edit: the
/// [`Config`] and the `toml_edit` document of the same text. A missing
/// file is an empty configuration (and an empty document). Errors:
/// [`ConfigError::Read`], [`ConfigError::Parse`], [`ConfigError::Invalid`].
pub fn load_from(path: &Path) -> Result<(Config, DocumentMut)> {
    match read_text(path)? {
        Some(text) => parse_str(path, &text),
        None => Ok((Config::default(), DocumentMut::new())),
    }
}

/// Parses and validates `text` (the content of `path`, used in messages):
/// the [`Config`] and the editable `toml_edit` document. A text either
/// parser refuses is [`ConfigError::Parse`] (so an edit never saves a file
/// one of them would refuse), checked before the schema, whose errors are
/// [`ConfigError::Invalid`].
pub fn parse_str(path: &Path, text: &str) -> Result<(Config, DocumentMut)> {
    let table = parse_table(path, text)?;
    let doc = edit_doc(path, text)?;
    let cfg = walk::config(path, text, table.get_ref())?;
    Ok((cfg, doc))
}

/// Like [`load_from`] for read-only callers (`load`, `ps`, `config auth
/// show`, …): the validated [`Config`] only, without building the
/// `toml_edit` document. Same result and same errors as [`load_from`].
pub fn read_from(path: &Path) -> Result<Config> {
    match read_text(path)? {
        Some(text) => read_str(path, &text),
        None => Ok(Config::default()),
    }
}

/// Like [`parse_str`] without the editable document: same [`Config`], same
/// errors. `toml_edit` runs only when the schema walk refuses the text
/// (see the module notes).
pub fn read_str(path: &Path, text: &str) -> Result<Config> {
    let table = parse_table(path, text)?;
    walk::config(path, text, table.get_ref()).map_err(|invalid| {
        // An overflowing number is a schema error to the walk but a syntax
        // error to toml_edit, and syntax errors come first.
        match edit_doc(path, text) {
            Ok(_) => invalid,
            Err(syntax) => syntax,
        }
    })
}

/// Parses `text` into the `toml_edit` document without schema validation
/// (an edit may repair an invalid value; the result is validated as a
/// whole). Errors: [`ConfigError::Parse`], from either parser.
pub(super) fn parse_unvalidated(path: &Path, text: &str) -> Result<DocumentMut> {
    parse_table(path, text)?;
    edit_doc(path, text)
}

/// The text of `path`; `None` when the file does not exist.
fn read_text(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Parses `text` into the spanned table the walk reads. Errors:
/// [`ConfigError::Parse`] at the first problem, `toml_parser`'s message
/// (newlines turned into `; `).
fn parse_table<'t>(path: &Path, text: &'t str) -> Result<Spanned<DeTable<'t>>> {
    DeTable::parse(text).map_err(|e| parse_error(path, text, e.span(), e.message()))
}

/// The `toml_edit` document of `text`, which `DeTable` accepted. Errors:
/// [`ConfigError::Parse`] (an overflowing number).
fn edit_doc(path: &Path, text: &str) -> Result<DocumentMut> {
    Document::parse(text)
        .map(Document::into_mut)
        .map_err(|e| parse_error(path, text, e.span(), e.message()))
}

fn parse_error(
    path: &Path,
    text: &str,
    span: Option<std::ops::Range<usize>>,
    message: &str,
) -> ConfigError {
    ConfigError::Parse {
        path: path.to_path_buf(),
        pos: Pos::at(text, span.map(|s| s.start).unwrap_or(0)),
        message: message.trim().replace('\n', "; "),
    }
}

#[cfg(test)]
mod read_tests {
    use super::*;

    #[test]
    fn read_from_gives_the_same_config_and_errors_as_load_from() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        assert_eq!(read_from(&path).unwrap(), Config::default());
        std::fs::write(
            &path,
            "[roles.r]\nimage = \"i\"\nagents = [\"codex\"]\n[workspaces.w]\nworkdir = \"/w\"\n\
             [workspaces.w.roles.r.codex]\nauth_forward = \"ignore\"\n",
        )
        .unwrap();
        assert_eq!(read_from(&path).unwrap(), load_from(&path).unwrap().0);
        std::fs::write(&path, "[claude]\nsync_dir = 1\n").unwrap();
        assert_eq!(
            read_from(&path).unwrap_err().to_string(),
            load_from(&path).unwrap_err().to_string()
        );
    }
}
