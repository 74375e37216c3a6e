//! The bundle manifest: the first entry (`manifest.json`) of the tar stream
//! that `jackin` sends to `jackin-init receive` (`shared/SPEC.md` §8).
//!
//! This is the one definition of the format: the host builds it with
//! [`crate::bundle::write_bundle`] and the container reads it with
//! [`crate::bundle::read_bundle`]. The manifest carries env values (secrets);
//! it only ever exists in memory and on the `/run/jackin` tmpfs.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the bundle format. `receive` refuses any other version.
pub const FORMAT_VERSION: u32 = 1;

/// Name of the first tar entry.
pub const MANIFEST_ENTRY: &str = "manifest.json";

/// The whole handoff for one launch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Must equal [`FORMAT_VERSION`].
    pub version: u32,
    /// The container user that owns the files and runs the agents: a user
    /// name or a numeric uid from the image's `/etc/passwd`. `None` lets
    /// `jackin-init` pick the image's first user with uid ≥ 1000.
    pub user: Option<String>,
    /// One plan per agent of the role, applied independently.
    pub agents: Vec<AgentPlan>,
}

/// What happens to one agent's login in this launch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentPlan {
    /// Agent name (`claude`, `codex`, `amp`, `opencode`).
    pub agent: String,
    /// The resolved mode (`sync`, `api_key`, `oauth_token`, `ignore`), for
    /// the report.
    pub mode: String,
    /// The result the report announces for this agent.
    pub action: Action,
    /// File operations, paths relative to the container user's home.
    pub files: Vec<FileOp>,
    /// Environment for this agent's process only (credential variable of
    /// its mode plus operator env). Written to `/run/jackin/env/<agent>.json`.
    pub env: BTreeMap<String, String>,
}

/// The per-agent outcome reported by `receive` as one JSON line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Host login files were written.
    Synced,
    /// The host had no usable login; the container's login was kept.
    Kept,
    /// Forwarded files were revoked (`ignore`).
    Revoked,
    /// Credentials come from env (`api_key`, `oauth_token`); files revoked.
    Env,
}

/// One file operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileOp {
    /// Path relative to the container user's home, `/`-separated, no `..`,
    /// not absolute (e.g. `.claude/.credentials.json`).
    pub path: String,
    pub op: FileAction,
}

/// How one file changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum FileAction {
    /// Replace the file with the bytes of tar entry `entry` (atomically).
    Write { entry: String },
    /// Leave the content; if the file exists, repair owner (target user) and
    /// mode (0600).
    Keep,
    /// If the file exists, replace it with `{}`.
    Clear,
    /// If the file exists, delete it (for agents that read `{}` as a login:
    /// Codex's `auth.json`, see `images/README.md`).
    Remove,
    /// Treat the file as a JSON object (missing or unparsable = `{}`),
    /// remove the `remove` keys, then merge the `set` keys (objects merge
    /// key by key, recursively; anything else replaces), and write it back
    /// atomically. Skipped when the file is missing and `create` is false.
    PatchJson {
        #[serde(default)]
        remove: Vec<String>,
        #[serde(default)]
        set: serde_json::Map<String, serde_json::Value>,
        #[serde(default)]
        create: bool,
    },
}
