//! Where config.toml lives, and `~` expansion of paths written in it.

use std::path::{Path, PathBuf};

/// The user's home folder: `$HOME`, else the platform's notion of it.
pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(std::env::home_dir)
}

/// The folder holding config.toml: `$JACKIN_CONFIG_DIR`, else
/// `$XDG_CONFIG_HOME/jackin`, else `~/.config/jackin` (`shared/SPEC.md` §4).
pub fn config_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("JACKIN_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        let x = PathBuf::from(x);
        if x.is_absolute() {
            return x.join("jackin");
        }
    }
    home_dir()
        .unwrap_or_else(|| PathBuf::from("/"))
        .join(".config")
        .join("jackin")
}

/// The path of config.toml (see [`config_dir`]). A missing file is an
/// empty configuration.
pub fn path() -> PathBuf {
    config_dir().join("config.toml")
}

/// Expands a leading `~` or `~/` to the home folder; other paths are
/// returned unchanged. `~user` forms are not supported (returned as is,
/// and then refused as not absolute by the callers that need that).
pub fn expand_tilde(raw: &str) -> PathBuf {
    if raw == "~" {
        if let Some(h) = home_dir() {
            return h;
        }
    }
    if let Some(rest) = raw.strip_prefix("~/") {
        if let Some(h) = home_dir() {
            return h.join(rest);
        }
    }
    PathBuf::from(raw)
}

/// Turns an operator-typed host path into the form stored in config.toml:
/// `~…` is kept as typed (portable across machines), an absolute path is
/// kept, and a relative path is made absolute against the current folder.
pub fn absolutize_for_config(raw: &str) -> String {
    if raw == "~" || raw.starts_with("~/") || Path::new(raw).is_absolute() {
        return raw.to_string();
    }
    match std::env::current_dir() {
        Ok(cwd) => normalize(&cwd.join(raw)).display().to_string(),
        Err(_) => raw.to_string(),
    }
}

/// Removes `.` and resolves `..` lexically (no symlinks are followed).
fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_become_absolute_and_tilde_stays() {
        assert_eq!(absolutize_for_config("~/x"), "~/x");
        assert_eq!(absolutize_for_config("/a/b"), "/a/b");
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            absolutize_for_config("./y/../z"),
            cwd.join("z").display().to_string()
        );
    }
}
