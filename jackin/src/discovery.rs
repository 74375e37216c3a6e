//! Host login discovery: where each agent's login lives on this host and
//! whether it is usable (`shared/SPEC.md` §2, §3).

use crate::agents::{AgentSpec, LoginFile, Placement};
use crate::env::HostEnv;
use std::path::{Path, PathBuf};

/// Checks that `dir` (an agent's own config folder, e.g. a
/// `CLAUDE_CONFIG_DIR`) holds a usable login for `spec`: its credential
/// file exists (symlinks are followed), parses as JSON and is not a blanked
/// stub. The error names the folder and what is missing.
pub fn check_source_dir(spec: &AgentSpec, dir: &Path) -> Result<(), String> {
    if !dir.is_dir() {
        return Err(format!("{} is not a folder", dir.display()));
    }
    let cred = dir.join(spec.credential_file().name);
    let bytes = std::fs::read(&cred).map_err(|e| {
        format!(
            "{} holds no {} login: {} is missing or unreadable ({})",
            dir.display(),
            spec.display,
            cred.display(),
            e.kind()
        )
    })?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| {
        format!(
            "{} holds no {} login: {} is not valid JSON",
            dir.display(),
            spec.display,
            cred.display()
        )
    })?;
    if (spec.has_login)(&value) {
        Ok(())
    } else {
        Err(format!(
            "{} holds no {} login: {} has no token or key (empty or logged-out stub)",
            dir.display(),
            spec.display,
            cred.display()
        ))
    }
}

/// Credential file contents read from the host: kept in memory only.
/// `Debug` shows the length, never the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Wraps bytes read from a login file.
    pub fn new(bytes: Vec<u8>) -> SecretBytes {
        SecretBytes(bytes)
    }

    /// The bytes, for the in-memory bundle only.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBytes(<{} bytes redacted>)", self.0.len())
    }
}

/// One login file found on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    /// Which file of the agent's login this is.
    pub file: LoginFile,
    /// Where it was read (the path as named, before following a symlink), or
    /// `keychain:<service>` on macOS.
    pub path: PathBuf,
    /// Its content, byte for byte (a symlink's target content).
    pub bytes: SecretBytes,
}

/// An agent's login on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostLogin {
    /// A usable login. `files` holds the credential file first, then any
    /// other login file that exists and is valid JSON (Claude's
    /// `.claude.json`); `from` is the agent's config folder it was read from.
    Found {
        files: Vec<FoundFile>,
        from: PathBuf,
        /// Non-fatal problems (e.g. `.claude.json` is a dangling symlink).
        warnings: Vec<String>,
    },
    /// No usable login; `reason` says what was looked at and what was wrong
    /// (missing, dangling symlink, empty, invalid JSON, logged-out stub).
    Absent { reason: String },
}

/// Largest login file jackin reads (larger is refused as not a login).
pub const MAX_LOGIN_FILE: u64 = 1 << 20;

/// Where an agent's login lives on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginLocation {
    /// The agent's config folder.
    pub dir: PathBuf,
    /// Whether `dir` came from a source folder or a relocation variable
    /// (then Claude's `.claude.json` lives inside it, not in `$HOME`).
    pub relocated: bool,
    /// `$HOME`.
    pub home: PathBuf,
    /// How the folder was chosen, for messages (`sync_source_dir`,
    /// `$CLAUDE_CONFIG_DIR`, `default`).
    pub how: String,
}

impl LoginLocation {
    /// Host path of one of the agent's login files.
    pub fn path_of(&self, file: &LoginFile) -> PathBuf {
        match (file.placement, self.relocated) {
            (Placement::HomeUnlessRelocated, false) => self.home.join(file.name),
            _ => self.dir.join(file.name),
        }
    }
}

/// Locates `spec`'s config folder: `source_dir` (an explicit
/// `sync_source_dir`) > the relocation variable in `host_env`
/// (`CLAUDE_CONFIG_DIR`, `CODEX_HOME`, `$XDG_DATA_HOME/amp`; relative values
/// are ignored, as XDG requires) > `$HOME/<default>`. Errors when `HOME` is
/// unset or relative.
pub fn locate(
    spec: &AgentSpec,
    source_dir: Option<&Path>,
    host_env: &HostEnv,
) -> Result<LoginLocation, String> {
    let home = match host_env.get("HOME") {
        Some(h) if Path::new(h).is_absolute() => PathBuf::from(h),
        _ => return Err("HOME is not set to an absolute path on the host".into()),
    };
    if let Some(dir) = source_dir {
        return Ok(LoginLocation {
            dir: dir.to_path_buf(),
            relocated: true,
            home,
            how: "sync_source_dir".into(),
        });
    }
    let var = spec.config_dir.env;
    if let Some(v) = host_env.get(var).filter(|v| Path::new(v).is_absolute()) {
        let mut dir = PathBuf::from(v);
        if !spec.config_dir.env_suffix.is_empty() {
            dir.push(spec.config_dir.env_suffix);
        }
        return Ok(LoginLocation {
            dir,
            relocated: true,
            home,
            how: format!("${var}"),
        });
    }
    Ok(LoginLocation {
        dir: home.join(spec.config_dir.default),
        relocated: false,
        home,
        how: "default".into(),
    })
}

/// Reads one login file as a JSON object's bytes. `Err` is the reason it
/// does not count (no secret in it).
fn read_json_file(path: &Path) -> Result<(Vec<u8>, serde_json::Value), String> {
    let shown = path.display();
    let meta = std::fs::symlink_metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{shown} does not exist"),
        k => format!("{shown} cannot be read ({k})"),
    })?;
    if meta.file_type().is_symlink() && !path.exists() {
        let target = std::fs::read_link(path)
            .map(|t| t.display().to_string())
            .unwrap_or_else(|_| "?".into());
        return Err(format!(
            "{shown} is a symlink to {target}, which does not exist (dangling link)"
        ));
    }
    let meta =
        std::fs::metadata(path).map_err(|e| format!("{shown} cannot be read ({})", e.kind()))?;
    if !meta.is_file() {
        return Err(format!("{shown} is not a regular file"));
    }
    if meta.len() > MAX_LOGIN_FILE {
        return Err(format!(
            "{shown} is larger than {} KiB, not a login file",
            MAX_LOGIN_FILE / 1024
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| format!("{shown} cannot be read ({})", e.kind()))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(format!("{shown} is empty"));
    }
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| format!("{shown} is not valid JSON"))?;
    if !value.is_object() {
        return Err(format!("{shown} is not a JSON object"));
    }
    Ok((bytes, value))
}

/// Finds `spec`'s login on the host (see [`locate`] for where). The
/// credential file decides: missing, a dangling symlink, empty, not JSON or
/// a logged-out stub (`has_login` false) make the login [`HostLogin::Absent`]
/// with the reason. Symlinks are read through (the target's bytes). Other
/// login files (Claude's `.claude.json`) are added when valid and otherwise
/// noted in `warnings`. An explicit `source_dir` never falls back to the
/// default folder. On macOS only, a Claude login with no credential file
/// (and no source folder) is read from the Keychain.
pub fn discover(spec: &AgentSpec, source_dir: Option<&Path>, host_env: &HostEnv) -> HostLogin {
    let loc = match locate(spec, source_dir, host_env) {
        Ok(l) => l,
        Err(reason) => return HostLogin::Absent { reason },
    };
    let cred = spec.credential_file();
    let cred_path = loc.path_of(cred);
    let first = match read_json_file(&cred_path) {
        Ok((bytes, value)) => {
            if !(spec.has_login)(&value) {
                return HostLogin::Absent {
                    reason: format!(
                        "{} holds no token or key (a blanked or logged-out stub)",
                        cred_path.display()
                    ),
                };
            }
            FoundFile {
                file: *cred,
                path: cred_path,
                bytes: SecretBytes::new(bytes),
            }
        }
        Err(reason) => {
            let missing = !cred_path.exists() && std::fs::symlink_metadata(&cred_path).is_err();
            if cfg!(target_os = "macos") && missing && source_dir.is_none() {
                if let Some(found) = macos_keychain(spec, host_env) {
                    return found;
                }
            }
            return HostLogin::Absent { reason };
        }
    };
    let mut files = vec![first];
    let mut warnings = Vec::new();
    for file in &spec.files[1..] {
        let path = loc.path_of(file);
        match read_json_file(&path) {
            Ok((bytes, _)) => files.push(FoundFile {
                file: *file,
                path,
                bytes: SecretBytes::new(bytes),
            }),
            Err(reason) if path.exists() || std::fs::symlink_metadata(&path).is_ok() => {
                warnings.push(format!("{reason}; not forwarded"))
            }
            Err(_) => {}
        }
    }
    HostLogin::Found {
        files,
        from: loc.dir,
        warnings,
    }
}

/// Claude's macOS Keychain item (service `Claude Code-credentials`, account
/// = the login user from `USER`). Only called on macOS; compiled everywhere.
fn macos_keychain(spec: &AgentSpec, host_env: &HostEnv) -> Option<HostLogin> {
    let service = spec.macos_keychain_service?;
    let user = host_env.get("USER")?;
    let text = keyring::Entry::new(service, user)
        .ok()?
        .get_password()
        .ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    if !(spec.has_login)(&value) {
        return None;
    }
    let home = PathBuf::from(host_env.get("HOME")?);
    let mut files = vec![FoundFile {
        file: *spec.credential_file(),
        path: PathBuf::from(format!("keychain:{service}")),
        bytes: SecretBytes::new(text.into_bytes()),
    }];
    for file in &spec.files[1..] {
        let path = home.join(file.name);
        if let Ok((bytes, _)) = read_json_file(&path) {
            files.push(FoundFile {
                file: *file,
                path,
                bytes: SecretBytes::new(bytes),
            });
        }
    }
    Some(HostLogin::Found {
        files,
        from: PathBuf::from(format!("keychain:{service}")),
        warnings: Vec::new(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::agents::find;
    use std::path::PathBuf;

    /// The shared fixture folder (`shared/cases/fixtures`, beside the repo).
    pub(crate) fn fixture(name: &str) -> Vec<u8> {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/cases/fixtures")
            .join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
    }

    /// Writes `bytes` to `root/rel`, creating folders.
    /// A HOME holding a valid login of every agent (and Amp's settings, C09).
    pub(crate) fn full_home() -> tempfile::TempDir {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        put(
            h,
            ".claude/.credentials.json",
            &fixture("claude-valid.json"),
        );
        put(h, ".claude.json", &fixture("claude-account-personal.json"));
        put(h, ".codex/auth.json", &fixture("codex-apikey.json"));
        put(
            h,
            ".local/share/amp/secrets.json",
            &fixture("amp-secrets.json"),
        );
        put(
            h,
            ".config/amp/settings.json",
            &fixture("amp-settings.json"),
        );
        put(
            h,
            ".local/share/opencode/auth.json",
            &fixture("opencode-auth.json"),
        );
        home
    }

    pub(crate) fn put(root: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    pub(crate) fn env_with_home(home: &Path, extra: &[(&str, String)]) -> HostEnv {
        let mut env: HostEnv = [("HOME".to_string(), home.display().to_string())].into();
        for (k, v) in extra {
            env.insert(k.to_string(), v.clone());
        }
        env
    }

    type Found = (Vec<(String, Vec<u8>)>, PathBuf, Vec<String>);

    fn found(login: HostLogin) -> Found {
        match login {
            HostLogin::Found {
                files,
                from,
                warnings,
            } => (
                files
                    .into_iter()
                    .map(|f| (f.path.display().to_string(), f.bytes.expose().to_vec()))
                    .collect(),
                from,
                warnings,
            ),
            HostLogin::Absent { reason } => panic!("expected a login, got absent: {reason}"),
        }
    }

    fn absent(login: HostLogin) -> String {
        match login {
            HostLogin::Absent { reason } => reason,
            other => panic!("expected absent, got {other:?}"),
        }
    }

    #[test]
    fn default_paths_for_every_agent() {
        let home = full_home();
        let h = home.path();
        let env = env_with_home(h, &[]);
        let hs = h.display();

        let (files, from, warnings) = found(discover(find("claude").unwrap(), None, &env));
        assert_eq!(from, h.join(".claude"));
        assert!(warnings.is_empty());
        assert_eq!(
            files,
            vec![
                (
                    format!("{hs}/.claude/.credentials.json"),
                    fixture("claude-valid.json")
                ),
                (
                    format!("{hs}/.claude.json"),
                    fixture("claude-account-personal.json")
                ),
            ]
        );
        for (agent, rel, fix) in [
            ("codex", ".codex/auth.json", "codex-apikey.json"),
            ("amp", ".local/share/amp/secrets.json", "amp-secrets.json"),
            (
                "opencode",
                ".local/share/opencode/auth.json",
                "opencode-auth.json",
            ),
        ] {
            let (files, _, _) = found(discover(find(agent).unwrap(), None, &env));
            assert_eq!(
                files,
                vec![(format!("{hs}/{rel}"), fixture(fix))],
                "{agent}"
            );
        }
    }

    /// C03: `CLAUDE_CONFIG_DIR` holds the work login and its `.claude.json`;
    /// the default folder's other account is not used.
    #[test]
    fn c03_claude_config_dir_relocates_both_files() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        put(
            h,
            ".claude/.credentials.json",
            br#"{"claudeAiOauth":{"accessToken":"other"}}"#,
        );
        put(h, ".claude.json", &fixture("claude-account-personal.json"));
        put(
            h,
            ".claude-work/.credentials.json",
            &fixture("claude-valid.json"),
        );
        put(
            h,
            ".claude-work/.claude.json",
            &fixture("claude-account-work.json"),
        );
        let env = env_with_home(
            h,
            &[(
                "CLAUDE_CONFIG_DIR",
                h.join(".claude-work").display().to_string(),
            )],
        );
        let (files, from, _) = found(discover(find("claude").unwrap(), None, &env));
        assert_eq!(from, h.join(".claude-work"));
        assert_eq!(files[0].1, fixture("claude-valid.json"));
        assert_eq!(
            files[1].0,
            h.join(".claude-work/.claude.json").display().to_string()
        );
        assert_eq!(files[1].1, fixture("claude-account-work.json"));
    }

    /// C04: `XDG_DATA_HOME` relocates Amp and OpenCode; nothing under
    /// `~/.local/share`.
    #[test]
    fn c04_xdg_data_home() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        put(h, "xdg/amp/secrets.json", &fixture("amp-secrets.json"));
        put(h, "xdg/opencode/auth.json", &fixture("opencode-auth.json"));
        let env = env_with_home(h, &[("XDG_DATA_HOME", h.join("xdg").display().to_string())]);
        let (amp, from, _) = found(discover(find("amp").unwrap(), None, &env));
        assert_eq!(
            (amp[0].1.clone(), from),
            (fixture("amp-secrets.json"), h.join("xdg/amp"))
        );
        let (oc, _, _) = found(discover(find("opencode").unwrap(), None, &env));
        assert_eq!(oc[0].1, fixture("opencode-auth.json"));
        // Without the variable the default folder is empty: absent.
        let reason = absent(discover(find("amp").unwrap(), None, &env_with_home(h, &[])));
        assert!(
            reason.contains(".local/share/amp/secrets.json does not exist"),
            "{reason}"
        );
    }

    /// C02: a dotfile-manager symlink is read through; a dangling one is absent.
    #[test]
    fn c02_symlinks() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        let target = put(
            h,
            "dotfiles/claude/credentials.json",
            &fixture("claude-valid.json"),
        );
        std::fs::create_dir_all(h.join(".claude")).unwrap();
        std::os::unix::fs::symlink(&target, h.join(".claude/.credentials.json")).unwrap();
        let env = env_with_home(h, &[]);
        let (files, _, _) = found(discover(find("claude").unwrap(), None, &env));
        assert_eq!(files[0].1, fixture("claude-valid.json"));

        std::fs::remove_file(&target).unwrap();
        let reason = absent(discover(find("claude").unwrap(), None, &env));
        assert!(reason.contains("dangling"), "{reason}");
        // A dangling `.claude.json` beside a valid login is a warning only.
        put(
            h,
            ".claude-x/.credentials.json",
            &fixture("claude-valid.json"),
        );
        std::os::unix::fs::symlink(h.join("gone.json"), h.join(".claude-x/.claude.json")).unwrap();
        let (files, _, warnings) = found(discover(
            find("claude").unwrap(),
            Some(&h.join(".claude-x")),
            &env,
        ));
        assert_eq!(files.len(), 1);
        assert!(warnings[0].contains("dangling"), "{warnings:?}");
    }

    /// C01 and its kind: blanked stub, `{}`, empty file, invalid JSON.
    #[test]
    fn c01_unusable_files_are_absent_with_reason() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        let env = env_with_home(h, &[]);
        let claude = find("claude").unwrap();
        for (content, want) in [
            (fixture("claude-blank-stub.json"), "stub"),
            (b"{}".to_vec(), "stub"),
            (b"".to_vec(), "is empty"),
            (b" \n".to_vec(), "is empty"),
            (b"{not json".to_vec(), "not valid JSON"),
            (b"[1]".to_vec(), "not a JSON object"),
        ] {
            put(h, ".claude/.credentials.json", &content);
            let reason = absent(discover(claude, None, &env));
            assert!(reason.contains(want), "{want}: {reason}");
            assert!(reason.contains(".credentials.json"), "{reason}");
        }
        let reason = absent(discover(find("codex").unwrap(), None, &env));
        assert!(reason.contains("does not exist"), "{reason}");
    }

    #[test]
    fn source_folder_never_falls_back() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        put(h, ".codex/auth.json", &fixture("codex-apikey.json"));
        std::fs::create_dir_all(h.join("codex-work")).unwrap();
        let env = env_with_home(h, &[]);
        let codex = find("codex").unwrap();
        let reason = absent(discover(codex, Some(&h.join("codex-work")), &env));
        assert!(
            reason.contains("codex-work/auth.json does not exist"),
            "{reason}"
        );
        put(
            h,
            "codex-work/auth.json",
            br#"{"OPENAI_API_KEY":"sk-work"}"#,
        );
        let (files, from, _) = found(discover(codex, Some(&h.join("codex-work")), &env));
        assert_eq!(
            (files[0].1.as_slice(), from),
            (
                &br#"{"OPENAI_API_KEY":"sk-work"}"#[..],
                h.join("codex-work")
            )
        );
        // A source folder for Claude holds `.claude.json` too.
        put(h, "cw/.credentials.json", &fixture("claude-valid.json"));
        put(h, "cw/.claude.json", &fixture("claude-account-work.json"));
        put(h, ".claude.json", &fixture("claude-account-personal.json"));
        let (files, _, _) = found(discover(find("claude").unwrap(), Some(&h.join("cw")), &env));
        assert_eq!(files[1].1, fixture("claude-account-work.json"));
    }

    #[test]
    fn no_home_and_redacted_debug() {
        let reason = absent(discover(find("claude").unwrap(), None, &HostEnv::new()));
        assert!(reason.contains("HOME"));
        let s = SecretBytes::new(b"sk-secret".to_vec());
        assert!(!format!("{s:?}").contains("sk-secret"));
    }
}
