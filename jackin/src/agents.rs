//! The table of supported agents: the one place that knows where each agent
//! keeps its login, which variables relocate it, which env vars carry its
//! credentials, and which modes it supports.
//!
//! Adding a fifth agent means adding one [`AgentSpec`] to [`AGENTS`].
//! Facts come from `shared/SPEC.md` §2 and `shared/FIELD-NOTES.md`.

use crate::mode::Mode;
use serde_json::Value;

/// How an agent's config folder is located, on the host and in the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigDir {
    /// Variable that relocates the folder (`CLAUDE_CONFIG_DIR`, `CODEX_HOME`,
    /// `XDG_DATA_HOME`).
    pub env: &'static str,
    /// Sub-folder appended to the variable's value: `""` when the variable
    /// names the folder itself (`CODEX_HOME`), `"amp"` for `$XDG_DATA_HOME/amp`.
    pub env_suffix: &'static str,
    /// The folder relative to `$HOME` when the variable is unset
    /// (`.claude`, `.codex`, `.local/share/amp`).
    pub default: &'static str,
}

/// Where a login file lives relative to the agent's config folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Always inside the config folder (`~/.claude/.credentials.json`).
    InConfigDir,
    /// In `$HOME` by default, inside the config folder when it is relocated
    /// or a source folder is given (Claude's `~/.claude.json` vs
    /// `$CLAUDE_CONFIG_DIR/.claude.json`).
    HomeUnlessRelocated,
}

/// What a file holds, which decides how it is forwarded and revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A JSON credential file: copied byte for byte by `sync`, replaced by
    /// `{}` on revoke.
    Credential,
    /// Claude's account metadata (`.claude.json`): `sync` merges the host's
    /// `oauthAccount` into the container's file (keeping the container's own
    /// keys); revoke removes `oauthAccount`; `oauth_token` sets
    /// `hasCompletedOnboarding: true`.
    ClaudeAccount,
}

/// How a credential file is revoked (`ignore`, and the switch to an env mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoke {
    /// Replace it with `{}` (SPEC §3), which the agent reads as logged out.
    EmptyObject,
    /// Delete it: the agent reads `{}` as a login. Codex 0.171 reports
    /// `Logged in using ChatGPT` for an `auth.json` of `{}` and `Not logged
    /// in` only when the file is missing (`images/README.md`, surprises).
    Remove,
}

/// One file of an agent's login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFile {
    /// File name (`.credentials.json`, `auth.json`, `secrets.json`).
    pub name: &'static str,
    pub placement: Placement,
    pub kind: FileKind,
    /// How a credential file is revoked (unused for [`FileKind::ClaudeAccount`]).
    pub revoke: Revoke,
}

/// Everything jackin knows about one agent.
#[derive(Debug, Clone, Copy)]
pub struct AgentSpec {
    /// Name used in config and on the command line (`claude`).
    pub name: &'static str,
    /// Human name (`Claude Code`).
    pub display: &'static str,
    /// Modes this agent accepts, in the order shown to operators.
    pub modes: &'static [Mode],
    /// Variable read by the agent for an API key (`ANTHROPIC_API_KEY`).
    pub api_key_var: &'static str,
    /// Variable for a long-lived OAuth token (Claude only:
    /// `CLAUDE_CODE_OAUTH_TOKEN`).
    pub oauth_var: Option<&'static str>,
    pub config_dir: ConfigDir,
    /// The login files; the first is the credential that decides whether a
    /// login exists.
    pub files: &'static [LoginFile],
    /// Decides whether the parsed credential file holds a usable login (a
    /// blanked stub with empty tokens does not).
    pub has_login: fn(&Value) -> bool,
    /// Command that starts the agent inside the container, skipping the
    /// agent's own permission prompts (safe only inside the container).
    pub launch: &'static [&'static str],
    /// Extra environment for the agent process inside the container
    /// (non-secret, e.g. OpenCode's inline permission config).
    pub launch_env: &'static [(&'static str, &'static str)],
    /// macOS Keychain item holding the login when no file exists
    /// (service name; the account is the login user).
    pub macos_keychain_service: Option<&'static str>,
}

impl AgentSpec {
    /// Variables this agent may receive from operator env, in any mode.
    pub fn credential_vars(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.api_key_var).chain(self.oauth_var)
    }

    /// The variable a credential mode needs, `None` for `sync`/`ignore`
    /// (and for `oauth_token` on an agent without an OAuth variable).
    pub fn var_for(&self, mode: Mode) -> Option<&'static str> {
        match mode {
            Mode::ApiKey => Some(self.api_key_var),
            Mode::OauthToken => self.oauth_var,
            Mode::Sync | Mode::Ignore => None,
        }
    }

    /// Whether this agent accepts `mode`.
    pub fn supports(&self, mode: Mode) -> bool {
        self.modes.contains(&mode)
    }

    /// The credential file (the first login file).
    pub fn credential_file(&self) -> &'static LoginFile {
        &self.files[0]
    }
}

/// Every supported agent, in display order.
pub const AGENTS: &[AgentSpec] = &[
    AgentSpec {
        name: "claude",
        display: "Claude Code",
        modes: &[Mode::Sync, Mode::ApiKey, Mode::OauthToken, Mode::Ignore],
        api_key_var: "ANTHROPIC_API_KEY",
        oauth_var: Some("CLAUDE_CODE_OAUTH_TOKEN"),
        config_dir: ConfigDir {
            env: "CLAUDE_CONFIG_DIR",
            env_suffix: "",
            default: ".claude",
        },
        files: &[
            LoginFile {
                name: ".credentials.json",
                placement: Placement::InConfigDir,
                kind: FileKind::Credential,
                revoke: Revoke::EmptyObject,
            },
            LoginFile {
                name: ".claude.json",
                placement: Placement::HomeUnlessRelocated,
                kind: FileKind::ClaudeAccount,
                revoke: Revoke::EmptyObject,
            },
        ],
        has_login: claude_has_login,
        launch: &["claude", "--dangerously-skip-permissions"],
        launch_env: &[],
        macos_keychain_service: Some("Claude Code-credentials"),
    },
    AgentSpec {
        name: "codex",
        display: "Codex",
        modes: &[Mode::Sync, Mode::ApiKey, Mode::Ignore],
        api_key_var: "OPENAI_API_KEY",
        oauth_var: None,
        config_dir: ConfigDir {
            env: "CODEX_HOME",
            env_suffix: "",
            default: ".codex",
        },
        files: &[LoginFile {
            name: "auth.json",
            placement: Placement::InConfigDir,
            kind: FileKind::Credential,
            revoke: Revoke::Remove,
        }],
        has_login: codex_has_login,
        launch: &["codex", "--dangerously-bypass-approvals-and-sandbox"],
        launch_env: &[],
        macos_keychain_service: None,
    },
    AgentSpec {
        name: "amp",
        display: "Amp",
        modes: &[Mode::Sync, Mode::ApiKey, Mode::Ignore],
        api_key_var: "AMP_API_KEY",
        oauth_var: None,
        config_dir: ConfigDir {
            env: "XDG_DATA_HOME",
            env_suffix: "amp",
            default: ".local/share/amp",
        },
        files: &[LoginFile {
            name: "secrets.json",
            placement: Placement::InConfigDir,
            kind: FileKind::Credential,
            revoke: Revoke::EmptyObject,
        }],
        has_login: any_nonempty_string,
        launch: &["amp", "--dangerously-allow-all"],
        launch_env: &[],
        macos_keychain_service: None,
    },
    AgentSpec {
        name: "opencode",
        display: "OpenCode",
        modes: &[Mode::Sync, Mode::ApiKey, Mode::Ignore],
        api_key_var: "OPENCODE_API_KEY",
        oauth_var: None,
        config_dir: ConfigDir {
            env: "XDG_DATA_HOME",
            env_suffix: "opencode",
            default: ".local/share/opencode",
        },
        files: &[LoginFile {
            name: "auth.json",
            placement: Placement::InConfigDir,
            kind: FileKind::Credential,
            revoke: Revoke::EmptyObject,
        }],
        has_login: any_nonempty_string,
        launch: &["opencode"],
        launch_env: &[("OPENCODE_PERMISSION", r#"{"*":"allow"}"#)],
        macos_keychain_service: None,
    },
];

/// Looks an agent up by its config name.
pub fn find(name: &str) -> Option<&'static AgentSpec> {
    AGENTS.iter().find(|a| a.name == name)
}

/// Names of all agents, for error messages (`claude, codex, amp, opencode`).
pub fn names() -> Vec<&'static str> {
    AGENTS.iter().map(|a| a.name).collect()
}

/// Whether `name` is a credential variable of any agent (such variables are
/// only ever exported to the agent whose mode needs them).
pub fn is_credential_var(name: &str) -> bool {
    AGENTS
        .iter()
        .any(|a| a.credential_vars().any(|v| v == name))
}

fn nonempty_str(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::String(s)) if !s.trim().is_empty())
}

/// Claude: `claudeAiOauth.accessToken` or `refreshToken` non-empty.
fn claude_has_login(v: &Value) -> bool {
    let o = &v["claudeAiOauth"];
    nonempty_str(o.get("accessToken")) || nonempty_str(o.get("refreshToken"))
}

/// Codex: a non-empty `OPENAI_API_KEY`, or ChatGPT tokens with a non-empty
/// access or refresh token.
fn codex_has_login(v: &Value) -> bool {
    let t = &v["tokens"];
    nonempty_str(v.get("OPENAI_API_KEY"))
        || nonempty_str(t.get("access_token"))
        || nonempty_str(t.get("refresh_token"))
}

/// Amp and OpenCode: any non-empty string anywhere in the object.
fn any_nonempty_string(v: &Value) -> bool {
    match v {
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => a.iter().any(any_nonempty_string),
        Value::Object(o) => o.values().any(any_nonempty_string),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blank_stubs_are_not_logins() {
        let claude = find("claude").unwrap();
        assert!(!(claude.has_login)(&json!({})));
        assert!(!(claude.has_login)(
            &json!({"claudeAiOauth":{"accessToken":"","refreshToken":""}})
        ));
        assert!((claude.has_login)(
            &json!({"claudeAiOauth":{"accessToken":"sk-ant-oat01-x","refreshToken":""}})
        ));
        let codex = find("codex").unwrap();
        assert!(!(codex.has_login)(&json!({"OPENAI_API_KEY": null})));
        assert!((codex.has_login)(&json!({"OPENAI_API_KEY": "sk-1"})));
        let amp = find("amp").unwrap();
        assert!(!(amp.has_login)(
            &json!({"apiKey@https://ampcode.com/": ""})
        ));
        assert!((amp.has_login)(
            &json!({"apiKey@https://ampcode.com/": "sgamp"})
        ));
    }

    #[test]
    fn only_claude_supports_oauth_token() {
        for a in AGENTS {
            assert_eq!(a.supports(Mode::OauthToken), a.name == "claude");
            assert_eq!(a.var_for(Mode::OauthToken).is_some(), a.name == "claude");
        }
    }
}
