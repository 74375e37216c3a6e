//! Operator env values (`shared/SPEC.md` §5): the forms a value can take,
//! the names no layer may set, and resolution: [`sources`] turns one value
//! into a [`Secret`] (host env, `op read`, keyring), [`layers`] merges the
//! four config layers and resolves the winners with a per-layer trace.

pub mod layers;
pub mod sources;

pub use layers::{EnvSource, FailedVar, Layer, LayerStatus, LayerTrace, ResolvedEnv, ResolvedVar};
pub use sources::{host_env_snapshot, HostEnv, Resolver};

use std::fmt;

/// A resolved operator env value (an API key, a token, or any other value).
///
/// `Debug` and `Display` print `<redacted>`, never the value; only
/// [`Secret::expose`] gives it, for the bundle that goes to the container.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a resolved value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself: only for the in-memory bundle, never for output.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty or only whitespace.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An unresolved operator env value, as written in config.toml.
#[derive(Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// `$NAME` or `${NAME}`: the host's environment variable at launch.
    HostVar(String),
    /// `op://vault/item/field`: read with the 1Password CLI (`op read`).
    OnePassword(String),
    /// `keyring:SERVICE/ACCOUNT`: the OS keyring.
    Keyring { service: String, account: String },
    /// Anything else, used as is.
    Literal(String),
}

impl fmt::Debug for EnvValue {
    /// Never shows a literal's value (it may be a secret).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvValue::Literal(_) => f.write_str("Literal(<redacted>)"),
            other => f.write_str(&other.reference()),
        }
    }
}

impl EnvValue {
    /// Parses a config value. Errors (a message for the operator) on a
    /// malformed reference: `$` with an invalid name, `${` without `}`,
    /// `op://` with fewer than three path parts, `keyring:` without
    /// `SERVICE/ACCOUNT`.
    pub fn parse(raw: &str) -> Result<EnvValue, String> {
        if let Some(rest) = raw.strip_prefix("${") {
            let name = rest
                .strip_suffix('}')
                .ok_or_else(|| format!("'{raw}': '${{' without a closing '}}'"))?;
            return host_var(raw, name);
        }
        if let Some(name) = raw.strip_prefix('$') {
            return host_var(raw, name);
        }
        if let Some(path) = raw.strip_prefix("op://") {
            let parts: Vec<&str> = path.split('/').collect();
            if parts.len() < 3 || parts.iter().any(|p| p.is_empty()) {
                return Err(format!(
                    "'{raw}': a 1Password reference is op://VAULT/ITEM/FIELD"
                ));
            }
            return Ok(EnvValue::OnePassword(raw.to_string()));
        }
        if let Some(rest) = raw.strip_prefix("keyring:") {
            return match rest.split_once('/') {
                Some((s, a)) if !s.is_empty() && !a.is_empty() => Ok(EnvValue::Keyring {
                    service: s.to_string(),
                    account: a.to_string(),
                }),
                _ => Err(format!(
                    "'{raw}': a keyring reference is keyring:SERVICE/ACCOUNT"
                )),
            };
        }
        Ok(EnvValue::Literal(raw.to_string()))
    }

    /// A printable description that never contains a secret:
    /// `$NAME`, `op://…`, `keyring:S/A`, or `literal`.
    pub fn reference(&self) -> String {
        match self {
            EnvValue::HostVar(n) => format!("${n}"),
            EnvValue::OnePassword(r) => r.clone(),
            EnvValue::Keyring { service, account } => format!("keyring:{service}/{account}"),
            EnvValue::Literal(_) => "literal".to_string(),
        }
    }
}

fn host_var(raw: &str, name: &str) -> Result<EnvValue, String> {
    if is_var_name(name) {
        Ok(EnvValue::HostVar(name.to_string()))
    } else {
        Err(format!(
            "'{raw}': '{name}' is not a valid variable name (letters, digits, '_'; not starting with a digit)"
        ))
    }
}

/// Whether `name` is a valid environment variable name.
pub fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Names jackin or the engine own at runtime; refused in every env layer.
pub const RESERVED: &[&str] = &[
    "DOCKER_HOST",
    "CONTAINER_HOST",
    "HOME",
    "USER",
    "LOGNAME",
    "PATH",
];

/// Checks an operator env name: valid syntax, not reserved (`JACKIN_*`
/// and [`RESERVED`]). The error says why.
pub fn check_name(name: &str) -> Result<(), String> {
    if !is_var_name(name) {
        return Err(format!(
            "'{name}' is not a valid variable name (letters, digits, '_'; not starting with a digit)"
        ));
    }
    if name.starts_with("JACKIN_") || RESERVED.contains(&name) {
        return Err(format!(
            "'{name}' is reserved for jackin's runtime and cannot be set in operator env \
             (reserved: JACKIN_*, {})",
            RESERVED.join(", ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(
            EnvValue::parse("$A_1").unwrap(),
            EnvValue::HostVar("A_1".into())
        );
        assert_eq!(
            EnvValue::parse("${B}").unwrap(),
            EnvValue::HostVar("B".into())
        );
        assert!(EnvValue::parse("${B").is_err());
        assert!(EnvValue::parse("$1X").is_err());
        assert_eq!(
            EnvValue::parse("op://v/i/f").unwrap(),
            EnvValue::OnePassword("op://v/i/f".into())
        );
        assert!(EnvValue::parse("op://v/i").is_err());
        assert_eq!(
            EnvValue::parse("keyring:svc/acct").unwrap(),
            EnvValue::Keyring {
                service: "svc".into(),
                account: "acct".into()
            }
        );
        assert!(EnvValue::parse("keyring:svc").is_err());
        assert_eq!(
            EnvValue::parse("sk-x").unwrap(),
            EnvValue::Literal("sk-x".into())
        );
        assert!(!format!("{:?}", EnvValue::parse("sk-secret").unwrap()).contains("sk-secret"));
    }

    #[test]
    fn reserved_names() {
        assert!(check_name("JACKIN_X").is_err());
        assert!(check_name("DOCKER_HOST").is_err());
        assert!(check_name("CONTAINER_HOST").is_err());
        assert!(check_name("OPENAI_API_KEY").is_ok());
        assert!(check_name("9X").is_err());
    }
}
