//! Checks shared by the loader and the commands, so a value refused on the
//! command line and the same value found in config.toml get the same message.

use super::model::Mount;
use super::paths::expand_tilde;
use crate::agents::{self, AgentSpec};
use crate::mode::Mode;
use std::path::{Path, PathBuf};

/// Looks up an agent by name; the error lists the known agents.
pub fn agent(name: &str) -> Result<&'static AgentSpec, String> {
    agents::find(name).ok_or_else(|| {
        format!(
            "unknown agent '{name}' (known agents: {})",
            agents::names().join(", ")
        )
    })
}

/// The modes `spec` supports, comma separated (`sync, api_key, ignore`).
pub fn modes_of(spec: &AgentSpec) -> String {
    spec.modes
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Refuses a mode the agent does not support, naming the agent and the
/// modes it does support (`shared/SPEC.md` §3, case C12).
pub fn mode_for_agent(spec: &AgentSpec, mode: Mode) -> Result<(), String> {
    if spec.supports(mode) {
        Ok(())
    } else {
        Err(format!(
            "{} does not support auth mode '{}' ({} supports: {})",
            spec.name,
            mode,
            spec.name,
            modes_of(spec)
        ))
    }
}

/// Parses a mode name and checks it against the agent in one step.
pub fn mode_str_for_agent(spec: &AgentSpec, raw: &str) -> Result<Mode, String> {
    let mode: Mode = raw
        .parse()
        .map_err(|e: crate::mode::UnknownMode| e.to_string())?;
    mode_for_agent(spec, mode)?;
    Ok(mode)
}

/// Checks a role or workspace name: 1 to 63 characters, ASCII letters,
/// digits, `_`, `-`, starting with a letter or digit (the name ends up in
/// container names and labels, and as a bare key in config.toml).
pub fn entity_name(kind: &str, name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = name.len() <= 63
        && matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{name}' is not a valid {kind} name (1-63 of A-Z a-z 0-9 _ -, starting with a letter or digit)"
        ))
    }
}

/// Checks a role's image reference: not empty, no whitespace or control
/// characters, not starting with `-` (the engine would refuse it later,
/// after jackin had already printed its plan).
pub fn image(raw: &str) -> Result<(), String> {
    if raw.is_empty() {
        return Err("the image reference must not be empty".into());
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) || raw.starts_with('-') {
        return Err(format!(
            "{raw:?} is not an image reference (no spaces or control characters, not starting with '-'; e.g. localhost/jackin/agent-smith:latest)"
        ));
    }
    Ok(())
}

/// Parses an absolute path as written in config (after `~` expansion).
pub fn absolute_path(raw: &str) -> Result<PathBuf, String> {
    let p = expand_tilde(raw);
    if p.is_absolute() {
        Ok(p)
    } else {
        Err(format!("'{raw}' is not an absolute path (or ~/…)"))
    }
}

/// Parses a mount `src[:dst][:ro]`: `src` is an absolute host path (or
/// `~/…`), `dst` an absolute container path (defaults to `src`), `ro`
/// makes it read-only (`rw`, the default, is also accepted).
pub fn mount(raw: &str) -> Result<Mount, String> {
    let mut parts: Vec<&str> = raw.split(':').collect();
    let mut readonly = false;
    if parts.len() > 1 {
        match *parts.last().unwrap() {
            "ro" => {
                readonly = true;
                parts.pop();
            }
            "rw" => {
                parts.pop();
            }
            _ => {}
        }
    }
    let bad = || format!("mount '{raw}' is not src[:dst][:ro] with absolute paths");
    let (src, dst) = match parts.as_slice() {
        [src] => (*src, None),
        [src, dst] => (*src, Some(*dst)),
        _ => return Err(bad()),
    };
    if src.is_empty() || dst == Some("") {
        return Err(bad());
    }
    let src = absolute_path(src).map_err(|e| format!("mount '{raw}': host path {e}"))?;
    let dst = match dst {
        Some(d) if d.starts_with('/') => PathBuf::from(d),
        Some(d) => {
            return Err(format!(
                "mount '{raw}': container path '{d}' is not absolute"
            ))
        }
        None => src.clone(),
    };
    reserved_dst(raw, &dst)?;
    Ok(Mount { src, dst, readonly })
}

/// Container paths a workspace mount may not use: `/` itself, and
/// `/jackin` and `/run/jackin` (and below), where jackin bind-mounts
/// `jackin-init` and keeps the agents' secrets on a tmpfs. Docker silently
/// drops a bind there and Podman refuses to start; a bind over
/// `/run/jackin` could put secrets on the host disk. `..` is refused so
/// the check cannot be walked around.
fn reserved_dst(raw: &str, dst: &Path) -> Result<(), String> {
    use std::path::Component;
    if dst.components().any(|c| c == Component::ParentDir) {
        return Err(format!(
            "mount '{raw}': container path {} contains '..'",
            dst.display()
        ));
    }
    let clean: PathBuf = dst.components().collect();
    let reserved = ["/jackin", "/run/jackin"];
    if clean == Path::new("/") || reserved.iter().any(|r| clean.starts_with(r)) {
        return Err(format!(
            "mount '{raw}': container path {} is reserved by jackin (/, /jackin, /run/jackin); mount it somewhere else, e.g. SRC:/data",
            dst.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts() {
        let m = mount("/a").unwrap();
        assert_eq!(
            (m.src.to_str(), m.dst.to_str(), m.readonly),
            (Some("/a"), Some("/a"), false)
        );
        let m = mount("/a:/b:ro").unwrap();
        assert_eq!(
            (m.src.to_str(), m.dst.to_str(), m.readonly),
            (Some("/a"), Some("/b"), true)
        );
        let m = mount("/a:ro").unwrap();
        assert_eq!((m.dst.to_str(), m.readonly), (Some("/a"), true));
        assert!(mount("rel").is_err());
        assert!(mount("/a:rel").is_err());
        assert!(mount("/a:/b:/c").is_err());
        assert!(mount("").is_err());
    }

    #[test]
    fn names_and_modes() {
        assert!(entity_name("role", "agent-smith").is_ok());
        assert!(entity_name("role", "-x").is_err());
        assert!(entity_name("role", "a b").is_err());
        assert!(entity_name("role", "a.b").is_err());
        let codex = agent("codex").unwrap();
        let e = mode_for_agent(codex, Mode::OauthToken).unwrap_err();
        assert!(
            e.contains("codex") && e.contains("sync, api_key, ignore"),
            "{e}"
        );
        assert!(agent("nope")
            .unwrap_err()
            .contains("claude, codex, amp, opencode"));
    }
}
