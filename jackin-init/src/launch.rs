//! `jackin-init run` and `jackin-init exec`: wait for `receive`, load one
//! agent's env, drop to the target user, `exec` the command.

use crate::error::{describe_errno, describe_io, Error, Result};
use crate::passwd::TargetUser;
use crate::root::{Root, READY_FILE, USER_FILE};
use crate::validate::check_agent_name;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

/// Env var overriding the wait for `/run/jackin/ready`, in whole seconds.
pub const TIMEOUT_VAR: &str = "JACKIN_INIT_TIMEOUT_SECS";
/// Default wait of `run` (the container is starting; jackin is about to
/// deliver the bundle).
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);
/// Default wait of `exec` (a later session: the bundle should be there).
pub const EXEC_TIMEOUT: Duration = Duration::from_secs(5);

/// Which subcommand is launching (changes the default wait and messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `jackin-init run`: the container's entrypoint.
    Run,
    /// `jackin-init exec`: a later session in a running container.
    Exec,
}

/// A parsed `run`/`exec` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// `run` or `exec`.
    pub kind: Kind,
    /// Agent whose env file is loaded; `None` = no agent env (plain session).
    pub agent: Option<String>,
    /// Program and arguments; empty = the user's login shell.
    pub command: Vec<OsString>,
    /// How long to wait for `/run/jackin/ready`.
    pub timeout: Duration,
    /// `run --handoff SOCKET`: try the socket handoff first
    /// ([`crate::handoff`]); `None`: wait for `receive` through `exec`.
    pub handoff: Option<String>,
}

/// Reads [`TIMEOUT_VAR`]; falls back to `default`.
///
/// Errors: the variable is set but not a whole number of seconds.
pub fn timeout_from_env(default: Duration) -> Result<Duration> {
    match std::env::var(TIMEOUT_VAR) {
        Err(_) => Ok(default),
        Ok(v) => v
            .trim()
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| {
                Error::new(format!(
                    "{TIMEOUT_VAR}=`{v}` is not a whole number of seconds"
                ))
            }),
    }
}

/// How often [`wait_ready`] looks for the ready marker. A `stat` on the
/// tmpfs costs microseconds; a coarse interval would add half of itself to
/// every launch on average (50 ms cost ~25 ms per launch in bench/launch.sh).
pub const READY_POLL: Duration = Duration::from_millis(5);

/// Waits until `/run/jackin/ready` exists, polling every [`READY_POLL`], at
/// most `timeout`. The timeout error says jackin never delivered the bundle.
pub fn wait_ready(root: &Root, kind: Kind, timeout: Duration) -> Result<()> {
    let ready = root.path(READY_FILE);
    let start = Instant::now();
    loop {
        if ready.exists() {
            return Ok(());
        }
        if start.elapsed() >= timeout {
            let what = match kind {
                Kind::Run => "start the container with `jackin load` (not directly with podman or docker)",
                Kind::Exec => "run `jackin auth sync` for this instance, or restart it with `jackin eject` then `jackin load`",
            };
            return Err(Error::new(format!(
                "timed out after {} s waiting for jackin to deliver the login bundle: jackin never \
                 ran `jackin-init receive` in this container ({READY_FILE} is missing); {what}",
                timeout.as_secs()
            )));
        }
        std::thread::sleep(READY_POLL);
    }
}

fn read_json<T: serde::de::DeserializeOwned>(root: &Root, abs: &str, what: &str) -> Result<T> {
    let path = root.path(abs);
    let bytes = std::fs::read(&path).map_err(|e| {
        Error::new(format!(
            "cannot read {what} {}: {}",
            path.display(),
            describe_io(&e)
        ))
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::new(format!(
            "{what} {} is corrupt ({e}); run `jackin auth sync`",
            path.display()
        ))
    })
}

/// The target user written by `receive` (`/run/jackin/user.json`).
pub fn read_user(root: &Root) -> Result<TargetUser> {
    read_json(root, USER_FILE, "the target user file")
}

/// The env of `agent` (`/run/jackin/env/<agent>.json`, name → value).
///
/// Errors: a bad agent name, or no env file (the bundle had no such agent).
pub fn load_env(root: &Root, agent: &str) -> Result<BTreeMap<String, String>> {
    check_agent_name(agent).map_err(|_| {
        Error::new(format!(
            "`{}` is not a valid agent name",
            agent.escape_debug()
        ))
    })?;
    let path = root.env_file(agent);
    if !path.exists() {
        return Err(Error::new(format!(
            "agent `{agent}` was not in the bundle jackin delivered ({} is missing): \
             check that the role lists this agent",
            path.display()
        )));
    }
    read_json(
        root,
        &format!("{}/{agent}.json", crate::root::ENV_DIR),
        "the env file",
    )
}

/// The agent's environment: the container's own env (without
/// `JACKIN_INIT_*` knobs), then `HOME`, `USER`, `LOGNAME` of the target
/// user, then the agent's env file (which wins).
pub fn child_env(
    base: impl Iterator<Item = (OsString, OsString)>,
    user: &TargetUser,
    agent_env: &BTreeMap<String, String>,
) -> BTreeMap<OsString, OsString> {
    let mut env: BTreeMap<OsString, OsString> = base
        .filter(|(k, _)| !k.to_string_lossy().starts_with("JACKIN_INIT_"))
        .collect();
    env.insert("HOME".into(), user.home.clone().into());
    env.insert("USER".into(), user.name.clone().into());
    env.insert("LOGNAME".into(), user.name.clone().into());
    for (k, v) in agent_env {
        env.insert(k.into(), v.into());
    }
    env
}

/// Drops to `user`: supplementary groups cleared, then gid, then uid.
/// Without root, only proceeds when already running as that uid.
fn drop_privileges(user: &TargetUser) -> Result<()> {
    use nix::unistd::{geteuid, setgid, setgroups, setuid, Gid, Uid};
    if !geteuid().is_root() {
        if geteuid().as_raw() == user.uid {
            return Ok(());
        }
        return Err(Error::new(format!(
            "jackin-init must start as root to switch to user `{}` (uid {}), but runs as uid {}: \
             do not set a user on the container; jackin-init drops privileges itself",
            user.name,
            user.uid,
            geteuid()
        )));
    }
    let fail = |what: &str, e| {
        Error::new(format!(
            "cannot {what} for user `{}`: {}",
            user.name,
            describe_errno(e)
        ))
    };
    setgroups(&[]).map_err(|e| fail("clear supplementary groups", e))?;
    setgid(Gid::from_raw(user.gid)).map_err(|e| fail("set the group id", e))?;
    setuid(Uid::from_raw(user.uid)).map_err(|e| fail("set the user id", e))?;
    Ok(())
}

/// Runs the whole launch. Returns only on failure (on success the process
/// has become the command).
pub fn launch(root: &Root, req: &Launch) -> Error {
    match try_launch(root, req) {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

/// The command for "no command given": the user's own shell from
/// `/etc/passwd` as a login shell (`-l`, understood by sh, dash, ash, bash,
/// zsh and fish); `/bin/sh -l` when the account's shell refuses logins
/// (`nologin`, `false`) or is empty.
pub fn login_shell(shell: &str) -> Vec<OsString> {
    let base = shell.rsplit('/').next().unwrap_or("");
    let shell = if shell.is_empty() || base == "nologin" || base == "false" {
        "/bin/sh"
    } else {
        shell
    };
    vec![OsString::from(shell), OsString::from("-l")]
}

fn try_launch(root: &Root, req: &Launch) -> Result<std::convert::Infallible> {
    let applied = match &req.handoff {
        Some(socket) => crate::handoff::receive_from_socket(root, socket)?,
        None => crate::handoff::Outcome::NotOffered,
    };
    if applied == crate::handoff::Outcome::NotOffered {
        wait_ready(root, req.kind, req.timeout)?;
    }
    let user = read_user(root)?;
    let agent_env = match &req.agent {
        Some(a) => load_env(root, a)?,
        None => BTreeMap::new(),
    };
    let env = child_env(std::env::vars_os(), &user, &agent_env);
    let command = if req.command.is_empty() {
        login_shell(&user.shell)
    } else {
        req.command.clone()
    };
    drop_privileges(&user)?;
    let program = &command[0];
    let shown = program.to_string_lossy();
    let path_var = env.get(std::ffi::OsStr::new("PATH"));
    let resolved = find_program(program, path_var.map(|p| p.as_os_str())).ok_or_else(|| {
        Error::new(format!(
            "command `{shown}` was not found (PATH={}) for user `{}`: install it in the image \
             or fix the role's command",
            path_var
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|| "unset".into()),
            user.name
        ))
    })?;
    let err = std::process::Command::new(&resolved)
        .arg0(program)
        .args(&command[1..])
        .env_clear()
        .envs(&env)
        .exec();
    Err(Error::new(match err.kind() {
        std::io::ErrorKind::PermissionDenied => format!(
            "command `{shown}` ({}) cannot be executed by user `{}` (permission denied): check its mode",
            resolved.display(),
            user.name
        ),
        _ => format!("cannot execute `{shown}` ({}): {}", resolved.display(), describe_io(&err)),
    }))
}

/// Finds `program` like `execvp` would, as the current user: a name with a
/// `/` is used as is; otherwise the first executable regular file in
/// `path` (default `/usr/local/bin:/usr/bin:/bin`). Unreadable PATH folders
/// are skipped.
pub fn find_program(
    program: &std::ffi::OsStr,
    path: Option<&std::ffi::OsStr>,
) -> Option<std::path::PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    if program.as_bytes().contains(&b'/') {
        return Some(program.into());
    }
    if program.is_empty() {
        return None;
    }
    let path = path.unwrap_or(std::ffi::OsStr::new("/usr/local/bin:/usr/bin:/bin"));
    std::env::split_paths(path)
        .map(|dir| {
            if dir.as_os_str().is_empty() {
                ".".into()
            } else {
                dir
            }
            .join(program)
        })
        .find(|cand| {
            std::fs::metadata(cand)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> TargetUser {
        TargetUser {
            name: "agent".into(),
            uid: 1000,
            gid: 1000,
            group: None,
            home: "/home/agent".into(),
            shell: "/bin/sh".into(),
        }
    }

    #[test]
    fn child_env_sets_identity_and_agent_env_and_drops_knobs() {
        let base = vec![
            ("PATH".into(), "/usr/bin".into()),
            ("HOME".into(), "/root".into()),
            ("JACKIN_INIT_ROOT".into(), "/tmp/x".into()),
        ];
        let agent: BTreeMap<String, String> =
            [("ANTHROPIC_API_KEY".to_string(), "k".to_string())].into();
        let env = child_env(base.into_iter(), &user(), &agent);
        let get = |k: &str| {
            env.get(std::ffi::OsStr::new(k))
                .map(|v| v.to_str().unwrap())
        };
        assert_eq!(get("HOME"), Some("/home/agent"));
        assert_eq!(get("USER"), Some("agent"));
        assert_eq!(get("LOGNAME"), Some("agent"));
        assert_eq!(get("PATH"), Some("/usr/bin"));
        assert_eq!(get("ANTHROPIC_API_KEY"), Some("k"));
        assert_eq!(get("JACKIN_INIT_ROOT"), None);
    }

    #[test]
    fn wait_ready_times_out_with_a_message_naming_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::with_prefix(dir.path().into());
        let e = wait_ready(&root, Kind::Run, Duration::ZERO).unwrap_err();
        assert!(
            e.message()
                .contains("jackin never ran `jackin-init receive`"),
            "{e}"
        );
        assert!(e.message().contains("jackin load"), "{e}");
        std::fs::create_dir_all(root.path("/run/jackin")).unwrap();
        std::fs::write(root.path(READY_FILE), "ok").unwrap();
        wait_ready(&root, Kind::Exec, Duration::ZERO).unwrap();
    }

    #[test]
    fn load_env_refuses_bad_names_and_missing_agents() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::with_prefix(dir.path().into());
        assert!(load_env(&root, "../x")
            .unwrap_err()
            .message()
            .contains("not a valid agent name"));
        let e = load_env(&root, "codex").unwrap_err();
        assert!(
            e.message().contains("agent `codex` was not in the bundle"),
            "{e}"
        );
    }

    #[test]
    fn find_program_searches_path_like_execvp() {
        use std::ffi::OsStr;
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("tool");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        std::fs::write(dir.path().join("plain"), "").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = format!("/nonexistent:{}", dir.path().display());
        assert_eq!(
            find_program(OsStr::new("tool"), Some(OsStr::new(&path))),
            Some(exe)
        );
        assert_eq!(
            find_program(OsStr::new("plain"), Some(OsStr::new(&path))),
            None
        );
        assert_eq!(
            find_program(OsStr::new("missing"), Some(OsStr::new(&path))),
            None
        );
        assert_eq!(find_program(OsStr::new("./x"), None), Some("./x".into()));
    }

    #[test]
    fn no_command_means_the_users_own_login_shell() {
        let v = |s: &str| login_shell(s);
        assert_eq!(
            v("/bin/bash"),
            vec![OsString::from("/bin/bash"), "-l".into()]
        );
        assert_eq!(v("/usr/bin/zsh")[0], OsString::from("/usr/bin/zsh"));
        for refusing in ["", "/usr/sbin/nologin", "/bin/false", "/sbin/nologin"] {
            assert_eq!(
                v(refusing),
                vec![OsString::from("/bin/sh"), "-l".into()],
                "{refusing:?}"
            );
        }
    }
}
