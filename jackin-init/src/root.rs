//! Where `jackin-init` finds the container's files: `/etc/passwd`,
//! `/etc/group`, the runtime folder `/run/jackin`, and the user's home.
//!
//! **Test-only hook:** the env var `JACKIN_INIT_ROOT`, when set, prefixes
//! every absolute path `jackin-init` touches, so integration tests can run the
//! real binary against a temporary folder. jackin never sets it in a
//! container; it is not part of the product.

use std::path::PathBuf;

/// The runtime folder: a 0700 tmpfs made by the engine (SPEC §8).
pub const RUN_DIR: &str = "/run/jackin";
/// Folder of the per-agent env files, `<agent>.json` (0600, root-owned).
pub const ENV_DIR: &str = "/run/jackin/env";
/// The resolved target user, written by `receive` (see [`crate::passwd::TargetUser`]).
pub const USER_FILE: &str = "/run/jackin/user.json";
/// Marker written last by a fully successful `receive`; `run` waits for it.
pub const READY_FILE: &str = "/run/jackin/ready";
/// The image's user database.
pub const PASSWD_FILE: &str = "/etc/passwd";
/// The image's group database.
pub const GROUP_FILE: &str = "/etc/group";
/// Name of the test-only root-prefix variable.
pub const ROOT_VAR: &str = "JACKIN_INIT_ROOT";

/// Maps container paths to real paths (identity in production).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Root {
    prefix: Option<PathBuf>,
}

impl Root {
    /// Reads the test-only `JACKIN_INIT_ROOT`; unset or empty = the real `/`.
    pub fn from_env() -> Self {
        match std::env::var_os(ROOT_VAR) {
            Some(p) if !p.is_empty() => Root::with_prefix(PathBuf::from(p)),
            _ => Root::default(),
        }
    }

    /// A root that prefixes every absolute path with `prefix` (tests).
    pub fn with_prefix(prefix: PathBuf) -> Self {
        Root {
            prefix: Some(prefix),
        }
    }

    /// The real path of the absolute container path `abs`.
    pub fn path(&self, abs: &str) -> PathBuf {
        match &self.prefix {
            Some(p) => p.join(abs.trim_start_matches('/')),
            None => PathBuf::from(abs),
        }
    }

    /// The env file of `agent` (`/run/jackin/env/<agent>.json`).
    pub fn env_file(&self, agent: &str) -> PathBuf {
        self.path(&format!("{ENV_DIR}/{agent}.json"))
    }
}
