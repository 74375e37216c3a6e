//! Resolving one operator env value (`shared/SPEC.md` §5): `$NAME` from a
//! snapshot of the host environment, `op://…` through `op read` with a
//! timeout, `keyring:SERVICE/ACCOUNT` through the OS keyring.
//!
//! Every failure is a one-line reason for the operator that never contains
//! the value (a resolved value may be a secret).

use super::{EnvValue, Secret};
use std::collections::BTreeMap;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A snapshot of the host environment: variable name to value. Taken once
/// per launch with [`host_env_snapshot`]; tests build one by hand.
pub type HostEnv = BTreeMap<String, String>;

/// The process environment now, skipping variables whose name or value is
/// not UTF-8.
pub fn host_env_snapshot() -> HostEnv {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// Reads `(service, account)` from a keyring; `Err` is a reason for the
/// operator (no secret in it).
pub type KeyringReader = fn(&str, &str) -> Result<String, String>;

/// Default time `op read` may take before it is killed.
pub const OP_TIMEOUT: Duration = Duration::from_secs(10);

/// Resolves operator env values. Build it with [`Resolver::new`]; the `op`
/// program, its timeout and the keyring reader can be replaced (tests do).
#[derive(Clone)]
pub struct Resolver<'a> {
    /// Host environment `$NAME` reads from.
    pub host_env: &'a HostEnv,
    /// The 1Password CLI: `op` (looked up on the process `PATH`) or a path.
    pub op_program: PathBuf,
    /// How long one `op read` may run.
    pub op_timeout: Duration,
    /// Keyring access; [`os_keyring`] by default.
    pub keyring: KeyringReader,
}

impl<'a> Resolver<'a> {
    /// A resolver over `host_env` using `op` from `PATH`, a 10 s timeout and
    /// the OS keyring.
    pub fn new(host_env: &'a HostEnv) -> Resolver<'a> {
        Resolver {
            host_env,
            op_program: PathBuf::from("op"),
            op_timeout: OP_TIMEOUT,
            keyring: os_keyring,
        }
    }

    /// Resolves one value. Errors (a reason, never the value): a host
    /// variable that is unset or empty, `op` missing / failing / timing out /
    /// printing nothing, a keyring entry that is missing or empty.
    pub fn resolve(&self, value: &EnvValue) -> Result<Secret, String> {
        match value {
            EnvValue::Literal(s) => Ok(Secret::new(s.clone())),
            EnvValue::HostVar(name) => match self.host_env.get(name) {
                None => Err(format!("${name} is not set in the host environment")),
                Some(v) if v.is_empty() => Err(format!("${name} is empty in the host environment")),
                Some(v) => Ok(Secret::new(v.clone())),
            },
            EnvValue::OnePassword(reference) => self.op_read(reference),
            EnvValue::Keyring { service, account } => {
                let v = (self.keyring)(service, account)?;
                if v.is_empty() {
                    Err(format!(
                        "the keyring entry for service '{service}' account '{account}' is empty"
                    ))
                } else {
                    Ok(Secret::new(v))
                }
            }
        }
    }

    /// `op read REFERENCE` (the reference is not a secret; the output is and
    /// stays in memory). One trailing newline is removed.
    fn op_read(&self, reference: &str) -> Result<Secret, String> {
        let prog = self.op_program.display().to_string();
        let child = Command::new(&self.op_program)
            // Its own process group, so a timeout kills `op` and anything it started.
            .process_group(0)
            .arg("read")
            .arg(reference)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => format!(
                    "the 1Password CLI '{prog}' was not found; install it (and sign in) \
                     or replace the reference with another form"
                ),
                _ => format!("could not run '{prog} read': {}", e.kind()),
            })?;
        let pid = child.id();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        let out = match rx.recv_timeout(self.op_timeout) {
            Ok(r) => r.map_err(|e| format!("'{prog} read' failed: {}", e.kind()))?,
            Err(_) => {
                // Kill only the process group this call started.
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(-(pid as i32)),
                    nix::sys::signal::Signal::SIGKILL,
                );
                return Err(format!(
                    "'{prog} read' timed out after {} s (is 1Password unlocked / signed in?)",
                    self.op_timeout.as_secs_f32()
                ));
            }
        };
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            let code = out
                .status
                .code()
                .map_or("a signal".to_string(), |c| format!("status {c}"));
            return Err(if first.is_empty() {
                format!("'{prog} read' exited with {code}")
            } else {
                format!("'{prog} read' exited with {code}: {}", first.trim())
            });
        }
        let mut value = String::from_utf8(out.stdout)
            .map_err(|_| format!("'{prog} read' printed a value that is not UTF-8"))?;
        if value.ends_with('\n') {
            value.pop();
            if value.ends_with('\r') {
                value.pop();
            }
        }
        if value.is_empty() {
            return Err(format!("'{prog} read' printed an empty value"));
        }
        Ok(Secret::new(value))
    }
}

/// Reads a password from the OS keyring (`keyring` crate:
/// `Entry::new(service, account)?.get_password()`).
pub fn os_keyring(service: &str, account: &str) -> Result<String, String> {
    let describe = |e: keyring::Error| match e {
        keyring::Error::NoEntry => {
            format!("no entry for service '{service}' account '{account}' in the OS keyring")
        }
        keyring::Error::BadEncoding(_) => format!(
            "the keyring entry for service '{service}' account '{account}' is not UTF-8 text"
        ),
        other => format!("OS keyring error for '{service}/{account}': {other}"),
    };
    keyring::Entry::new(service, account)
        .map_err(describe)?
        .get_password()
        .map_err(describe)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// Writes an executable fake `op` script into `dir`.
    pub(crate) fn fake_op(dir: &std::path::Path, body: &str) -> PathBuf {
        let p = dir.join("op");
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[test]
    fn host_vars_literals_and_empties() {
        let env: HostEnv = [("A".into(), "x1".into()), ("E".into(), String::new())].into();
        let r = Resolver::new(&env);
        let get = |raw: &str| r.resolve(&EnvValue::parse(raw).unwrap());
        assert_eq!(get("$A").unwrap().expose(), "x1");
        assert_eq!(get("${A}").unwrap().expose(), "x1");
        assert_eq!(get("plain").unwrap().expose(), "plain");
        assert!(get("$MISSING").unwrap_err().contains("$MISSING is not set"));
        assert!(get("$E").unwrap_err().contains("$E is empty"));
    }

    #[test]
    fn op_read_success_failure_timeout_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let env = HostEnv::new();
        let mut r = Resolver::new(&env);
        r.op_program = fake_op(
            dir.path(),
            r#"[ "$1" = read ] || exit 9
case "$2" in
  op://v/item/ok) printf 'sk-from-op\n' ;;
  op://v/item/slow) sleep 5 ;;
  *) echo "[ERROR] could not find item $2" >&2; exit 1 ;;
esac"#,
        );
        r.op_timeout = Duration::from_millis(500);
        let get = |r: &Resolver, raw: &str| r.resolve(&EnvValue::parse(raw).unwrap());
        assert_eq!(get(&r, "op://v/item/ok").unwrap().expose(), "sk-from-op");
        let e = get(&r, "op://v/item/nope").unwrap_err();
        assert!(
            e.contains("exited with status 1") && e.contains("could not find item"),
            "{e}"
        );
        let started = std::time::Instant::now();
        let e = get(&r, "op://v/item/slow").unwrap_err();
        assert!(e.contains("timed out"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(4));
        r.op_program = dir.path().join("no-such-op");
        let e = get(&r, "op://v/item/ok").unwrap_err();
        assert!(e.contains("was not found"), "{e}");
    }

    #[test]
    fn keyring_forms() {
        let env = HostEnv::new();
        let mut r = Resolver::new(&env);
        r.keyring = |s, a| match (s, a) {
            ("svc", "me") => Ok("from-keyring".into()),
            ("svc", "blank") => Ok(String::new()),
            _ => Err(format!("no entry for service '{s}' account '{a}'")),
        };
        let get = |r: &Resolver, raw: &str| r.resolve(&EnvValue::parse(raw).unwrap());
        assert_eq!(get(&r, "keyring:svc/me").unwrap().expose(), "from-keyring");
        assert!(get(&r, "keyring:svc/blank")
            .unwrap_err()
            .contains("is empty"));
        assert!(get(&r, "keyring:svc/x").unwrap_err().contains("no entry"));
        // The real OS keyring has no such entry (or no keyring at all here):
        // either way it is a failure with a reason, not a panic.
        let e = os_keyring("jackin-test-no-such-service", "nobody").unwrap_err();
        assert!(e.contains("jackin-test-no-such-service"), "{e}");
    }

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("sk-very-secret");
        assert!(!format!("{s} {s:?}").contains("sk-very"));
    }
}
