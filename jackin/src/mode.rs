//! Auth-forwarding modes (`shared/SPEC.md` §3).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How an agent's login reaches the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Copy the host login files; keep the container's login when the host has none.
    Sync,
    /// Export the agent's API-key variable; revoke synced files.
    ApiKey,
    /// Claude only: export `CLAUDE_CODE_OAUTH_TOKEN`; revoke synced files.
    OauthToken,
    /// Forward nothing and revoke what earlier launches forwarded.
    Ignore,
}

impl Mode {
    /// All modes, in the order shown to operators.
    pub const ALL: [Mode; 4] = [Mode::Sync, Mode::ApiKey, Mode::OauthToken, Mode::Ignore];

    /// The config spelling (`sync`, `api_key`, `oauth_token`, `ignore`).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Sync => "sync",
            Mode::ApiKey => "api_key",
            Mode::OauthToken => "oauth_token",
            Mode::Ignore => "ignore",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for an unknown mode name; its message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown auth mode '{0}' (valid modes: sync, api_key, oauth_token, ignore)")]
pub struct UnknownMode(pub String);

impl FromStr for Mode {
    type Err = UnknownMode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownMode(s.to_string()))
    }
}
