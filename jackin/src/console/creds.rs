//! Does a credential resolve? The console's check before it stages a mode
//! that needs a variable (`shared/SPEC.md` §5, §6).
//!
//! [`Resolver`] answers yes or why not, and never hands the value back: the
//! console has no way to show a secret. [`SystemResolver`] is the real one
//! (host env, `op read` with a timeout, the OS keyring); tests inject their
//! own.

use crate::env::EnvValue;
use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Answers whether an env value resolves to a non-empty string.
pub trait Resolver {
    /// `Ok(())` when `value` resolves to something non-empty; otherwise a
    /// short reason for the operator (`OPENAI_KEY is not set in the host
    /// environment`). Must never include the resolved value.
    fn check(&self, value: &EnvValue) -> Result<(), String>;
}

/// The host environment as the console sees it (injected for tests).
pub type HostEnv = BTreeMap<String, String>;

/// Checks `$NAME` against `host`, literals for non-emptiness, `op://` with
/// `op read` (bounded by `op_timeout`), `keyring:` with the OS keyring.
pub struct SystemResolver {
    pub host: HostEnv,
    pub op_timeout: Duration,
}

impl SystemResolver {
    /// A resolver over the current process environment, `op read` bounded to 10 s.
    pub fn from_process() -> SystemResolver {
        SystemResolver {
            host: std::env::vars().collect(),
            op_timeout: Duration::from_secs(10),
        }
    }
}

/// `$NAME` and literal checks shared by every resolver.
pub fn check_simple(host: &HostEnv, value: &EnvValue) -> Option<Result<(), String>> {
    match value {
        EnvValue::Literal(s) if s.is_empty() => Some(Err("the literal value is empty".into())),
        EnvValue::Literal(_) => Some(Ok(())),
        EnvValue::HostVar(n) => Some(match host.get(n) {
            Some(v) if !v.is_empty() => Ok(()),
            Some(_) => Err(format!("${n} is empty in the host environment")),
            None => Err(format!("${n} is not set in the host environment")),
        }),
        _ => None,
    }
}

impl Resolver for SystemResolver {
    fn check(&self, value: &EnvValue) -> Result<(), String> {
        if let Some(r) = check_simple(&self.host, value) {
            return r;
        }
        match value {
            EnvValue::OnePassword(r) => op_read(r, self.op_timeout),
            EnvValue::Keyring { service, account } => {
                let entry = keyring::Entry::new(service, account)
                    .map_err(|e| format!("keyring:{service}/{account}: {e}"))?;
                match entry.get_password() {
                    Ok(p) if !p.is_empty() => Ok(()),
                    Ok(_) => Err(format!("keyring:{service}/{account} is empty")),
                    Err(keyring::Error::NoEntry) => {
                        Err(format!("keyring:{service}/{account}: no such entry"))
                    }
                    Err(e) => Err(format!("keyring:{service}/{account}: {e}")),
                }
            }
            _ => unreachable!("handled by check_simple"),
        }
    }
}

/// Runs `op read REF` (the reference is not a secret; the value comes back
/// on stdout and is dropped after checking its length). Stops it after
/// `timeout`.
fn op_read(reference: &str, timeout: Duration) -> Result<(), String> {
    let mut child = Command::new("op")
        .args(["read", "--no-newline", reference])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                "the 1Password CLI `op` is not installed (or not on PATH)".to_string()
            }
            _ => format!("cannot run `op read`: {e}"),
        })?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`op read {reference}` timed out after {} s (is 1Password unlocked?)",
                    timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("waiting for `op read`: {e}")),
        }
    };
    let mut out = Vec::new();
    let mut err = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_end(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    let nonempty = out.iter().any(|b| !b.is_ascii_whitespace());
    out.fill(0);
    if !status.success() {
        let why = err.lines().last().unwrap_or("").trim();
        return Err(format!("`op read {reference}` failed: {why}"));
    }
    if nonempty {
        Ok(())
    } else {
        Err(format!("{reference} is empty"))
    }
}
