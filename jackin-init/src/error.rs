//! The one error type of `jackin-init`: a complete sentence for the operator.

use std::fmt;

/// A user-facing failure: what failed, where, and what to do.
///
/// `main` prints it on stderr prefixed `jackin-init: ` and exits 1. The text
/// never contains a secret (env values and file contents are never quoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    msg: String,
}

/// Result alias used across the crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error with the given message.
    pub fn new(msg: impl Into<String>) -> Self {
        Error { msg: msg.into() }
    }

    /// The message (without the `jackin-init: ` prefix).
    pub fn message(&self) -> &str {
        &self.msg
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for Error {}

/// Describes an OS error in words, without the bare `(os error N)` suffix.
pub fn describe_io(err: &std::io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => describe_errno(nix::errno::Errno::from_raw(code)),
        None => err.to_string(),
    }
}

/// Describes an errno in words (e.g. `permission denied (EACCES)`).
pub fn describe_errno(errno: nix::errno::Errno) -> String {
    let desc = errno.desc();
    let mut words = desc.to_string();
    if let Some(first) = words.get_mut(0..1) {
        first.make_ascii_lowercase();
    }
    format!("{words} ({errno:?})")
}
