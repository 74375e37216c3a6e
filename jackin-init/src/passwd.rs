//! The target user, read from the image's own `/etc/passwd` and `/etc/group`.
//!
//! Parsed directly: a static glibc binary must not use NSS (`getpwnam`), see
//! `shared/FIELD-NOTES.md`.

use crate::error::{describe_io, Error, Result};
use crate::root::{Root, GROUP_FILE, PASSWD_FILE};
use serde::{Deserialize, Serialize};

/// The user the agents run as. `receive` writes it to `/run/jackin/user.json`;
/// `run` and `exec` read it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetUser {
    /// Login name (passwd field 1).
    pub name: String,
    /// Numeric user id (passwd field 3).
    pub uid: u32,
    /// Primary group id (passwd field 4).
    pub gid: u32,
    /// Name of the primary group from `/etc/group`, if listed there.
    pub group: Option<String>,
    /// Home folder as the container sees it (passwd field 6), absolute.
    pub home: String,
    /// Login shell (passwd field 7); `/bin/sh` when empty.
    pub shell: String,
}

/// One parsed `/etc/passwd` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    /// Login name (field 1).
    pub name: String,
    /// User id (field 3).
    pub uid: u32,
    /// Primary group id (field 4).
    pub gid: u32,
    /// Home folder (field 6), as written in the file.
    pub home: String,
    /// Login shell (field 7), possibly empty.
    pub shell: String,
}

/// Parses `/etc/passwd` text: `name:pw:uid:gid:gecos:home:shell` per line.
/// Blank lines, comments and malformed lines are skipped.
pub fn parse_passwd(text: &str) -> Vec<PasswdEntry> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 7 || f[0].is_empty() {
                return None;
            }
            Some(PasswdEntry {
                name: f[0].to_string(),
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
                home: f[5].to_string(),
                shell: f[6].to_string(),
            })
        })
        .collect()
}

/// Parses `/etc/group` text into `(name, gid)` pairs (`name:pw:gid:members`).
pub fn parse_group(text: &str) -> Vec<(String, u32)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 3 || f[0].is_empty() {
                return None;
            }
            Some((f[0].to_string(), f[2].parse().ok()?))
        })
        .collect()
}

/// Picks the target user.
///
/// `spec` is the manifest's `user`: a name, or a numeric uid, looked up in
/// `passwd`. `None` picks the first entry with uid ≥ 1000 (not `nobody`,
/// 65534) whose home is an absolute folder other than `/` and `/nonexistent`.
///
/// Errors: the user is not listed, or no user qualifies, or its home is not
/// absolute; the message says what the image must contain.
pub fn resolve_user(spec: Option<&str>, passwd: &str, group: &str) -> Result<TargetUser> {
    let users = parse_passwd(passwd);
    let usable_home = |h: &str| h.starts_with('/') && h != "/" && h != "/nonexistent";
    let entry = match spec {
        Some(s) => {
            let by_uid = s.parse::<u32>().ok();
            users
                .iter()
                .find(|u| u.name == s)
                .or_else(|| by_uid.and_then(|id| users.iter().find(|u| u.uid == id)))
                .ok_or_else(|| {
                    Error::new(format!(
                        "user `{s}` is not listed in the image's {PASSWD_FILE}: \
                         add it to the image or set the role's user to one that exists"
                    ))
                })?
        }
        None => users
            .iter()
            .find(|u| u.uid >= 1000 && u.uid != 65534 && usable_home(&u.home))
            .ok_or_else(|| {
                Error::new(format!(
                    "the image's {PASSWD_FILE} has no user with uid >= 1000 and a home folder: \
                     add one (e.g. `agent:x:1000:1000::/home/agent:/bin/sh`) or set the role's user"
                ))
            })?,
    };
    if !entry.home.starts_with('/') {
        return Err(Error::new(format!(
            "user `{}` in the image's {PASSWD_FILE} has no absolute home folder (`{}`): \
             fix its passwd line",
            entry.name, entry.home
        )));
    }
    let group_name = parse_group(group)
        .into_iter()
        .find(|(_, gid)| *gid == entry.gid)
        .map(|(n, _)| n);
    Ok(TargetUser {
        name: entry.name.clone(),
        uid: entry.uid,
        gid: entry.gid,
        group: group_name,
        home: entry.home.clone(),
        shell: if entry.shell.is_empty() {
            "/bin/sh".to_string()
        } else {
            entry.shell.clone()
        },
    })
}

/// Reads `/etc/passwd` and `/etc/group` under `root` and resolves `spec`
/// with [`resolve_user`]. A missing `/etc/group` counts as empty.
pub fn load_target_user(root: &Root, spec: Option<&str>) -> Result<TargetUser> {
    let passwd_path = root.path(PASSWD_FILE);
    let passwd = std::fs::read_to_string(&passwd_path).map_err(|e| {
        Error::new(format!(
            "cannot read {}: {}; the image must provide a user database",
            passwd_path.display(),
            describe_io(&e)
        ))
    })?;
    let group = std::fs::read_to_string(root.path(GROUP_FILE)).unwrap_or_default();
    resolve_user(spec, &passwd, &group)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
        nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
        # comment\n\
        broken line\n\
        svc:x:1001:1001::/:/bin/false\n\
        agent:x:1000:1000::/home/agent:\n\
        dev:x:1500:100:Dev:/srv/dev:/bin/zsh\n";
    const GROUP: &str = "root:x:0:\nagent:x:1000:\nusers:x:100:dev\n";

    #[test]
    fn default_user_is_first_uid_1000_with_a_home() {
        let u = resolve_user(None, PASSWD, GROUP).unwrap();
        assert_eq!(u.name, "agent");
        assert_eq!((u.uid, u.gid), (1000, 1000));
        assert_eq!(u.home, "/home/agent");
        assert_eq!(u.group.as_deref(), Some("agent"));
        assert_eq!(u.shell, "/bin/sh");
    }

    #[test]
    fn user_by_name_and_by_uid() {
        let u = resolve_user(Some("dev"), PASSWD, GROUP).unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (1500, 100, "/srv/dev"));
        assert_eq!(u.group.as_deref(), Some("users"));
        let u = resolve_user(Some("1500"), PASSWD, GROUP).unwrap();
        assert_eq!(u.name, "dev");
        let u = resolve_user(Some("root"), PASSWD, "").unwrap();
        assert_eq!((u.uid, u.group), (0, None));
    }

    #[test]
    fn unknown_user_and_no_candidate_are_clear_errors() {
        let e = resolve_user(Some("ghost"), PASSWD, GROUP).unwrap_err();
        assert!(e.message().contains("`ghost` is not listed"), "{e}");
        let e = resolve_user(None, "root:x:0:0::/root:/bin/sh\n", "").unwrap_err();
        assert!(e.message().contains("no user with uid >= 1000"), "{e}");
    }
}
