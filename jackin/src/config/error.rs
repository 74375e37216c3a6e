//! The error type of config loading and editing.

use std::fmt;
use std::path::PathBuf;

/// A position in config.toml: 1-based line and column (column counted in
/// characters), computed from a byte offset of the parsed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    /// Translates byte `offset` of `text` into a line and column.
    pub fn at(text: &str, offset: usize) -> Pos {
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        Pos {
            line,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Everything that can go wrong reading, validating or saving config.toml.
///
/// Display gives one line for the operator (`path:line:column: what`);
/// [`ConfigError::hint`] gives what to do, when there is something useful.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read (permissions, a folder, …).
    #[error("cannot read {}: {}", path.display(), io_reason(source))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{}:{}:{}: invalid TOML: {}", path.display(), pos.line, pos.column, message)]
    Parse {
        path: PathBuf,
        pos: Pos,
        message: String,
    },
    /// Valid TOML that breaks the schema: an unknown key, a wrong type, a
    /// mode an agent does not support, a reserved env name, …
    /// `key` is the dotted path of the offending key (`workspaces.w.codex.auth_forward`).
    #[error("{}:{}:{}: {}: {}", path.display(), pos.line, pos.column, key, message)]
    Invalid {
        path: PathBuf,
        pos: Pos,
        key: String,
        message: String,
    },
    /// An edit would have produced an invalid file; nothing was written.
    #[error("refusing to save {}: the change would make it invalid: {}", path.display(), inner)]
    EditInvalid {
        path: PathBuf,
        inner: Box<ConfigError>,
    },
    /// Taking the lock, writing the temporary file or renaming it failed.
    #[error("cannot write {}: {}: {}", path.display(), what, io_reason(source))]
    Write {
        path: PathBuf,
        what: &'static str,
        source: std::io::Error,
    },
    /// An edit refused by the command itself (no such workspace, already
    /// exists, …); nothing was written.
    #[error("{message}")]
    Refused {
        message: String,
        hint: Option<String>,
    },
}

impl ConfigError {
    /// A refusal with an optional hint (used by edit closures).
    pub fn refused(message: impl Into<String>, hint: Option<String>) -> ConfigError {
        ConfigError::Refused {
            message: message.into(),
            hint,
        }
    }

    /// What the operator can do about it, if there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            ConfigError::Parse { .. } => {
                Some("fix the file by hand; jackin never overwrites a file it cannot parse".into())
            }
            ConfigError::Invalid { .. } => Some(
                "fix the key by hand, or with the jackin command that sets it (see `jackin --help`)"
                    .into(),
            ),
            ConfigError::Refused { hint, .. } => hint.clone(),
            ConfigError::Read { source, .. } => Some(
                match source.kind() {
                    std::io::ErrorKind::IsADirectory => {
                        "config.toml must be a file: move the folder away (a missing file is an empty configuration)"
                    }
                    std::io::ErrorKind::InvalidData => {
                        "config.toml must be UTF-8 text: fix its encoding by hand"
                    }
                    _ => "check the permissions of the config folder ($JACKIN_CONFIG_DIR)",
                }
                .into(),
            ),
            ConfigError::Write { .. } => {
                Some("check the permissions of the config folder ($JACKIN_CONFIG_DIR)".into())
            }
            ConfigError::EditInvalid { .. } => Some("nothing was written".into()),
        }
    }
}

/// An I/O failure in words (`permission denied`, `is a directory`),
/// without the raw `os error N`.
fn io_reason(e: &std::io::Error) -> String {
    e.kind().to_string()
}

/// Shorthand used across the config module.
pub type Result<T, E = ConfigError> = std::result::Result<T, E>;

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions() {
        let t = "a = 1\nbé = 2\n";
        assert_eq!(Pos::at(t, 0), Pos { line: 1, column: 1 });
        assert_eq!(Pos::at(t, 6), Pos { line: 2, column: 1 });
        // "é" is two bytes; the "=" at byte 10 is the 4th character of line 2.
        assert_eq!(Pos::at(t, 10), Pos { line: 2, column: 4 });
    }
}
