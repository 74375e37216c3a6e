//! The four operator env layers (`shared/SPEC.md` §5), later wins:
//! global `[env]` < `[roles.R.env]` < `[workspaces.W.env]` <
//! `[workspaces.W.roles.R.env]`. Without a saved workspace only the first
//! two apply.
//!
//! [`resolve`] resolves the winning value of each wanted variable (in
//! parallel, so several slow `op read`s cost one timeout) and collects every
//! failure; [`trace_var`] shows one variable at every layer for errors;
//! [`sources`] lists references and layers for `--debug` without resolving.

use super::{EnvValue, Resolver, Secret};
use crate::config::{Config, EnvMap};
use std::collections::BTreeMap;
use std::fmt;

/// One operator env layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layer {
    /// `[env]`
    Global,
    /// `[roles.R.env]`
    Role { role: String },
    /// `[workspaces.W.env]`
    Workspace { workspace: String },
    /// `[workspaces.W.roles.R.env]`
    WorkspaceRole { workspace: String, role: String },
}

impl Layer {
    /// The TOML table: `[env]`, `[roles.R.env]`, `[workspaces.W.env]`,
    /// `[workspaces.W.roles.R.env]`.
    pub fn table(&self) -> String {
        match self {
            Layer::Global => "[env]".into(),
            Layer::Role { role } => format!("[roles.{role}.env]"),
            Layer::Workspace { workspace } => format!("[workspaces.{workspace}.env]"),
            Layer::WorkspaceRole { workspace, role } => {
                format!("[workspaces.{workspace}.roles.{role}.env]")
            }
        }
    }

    /// Short name for the launch summary: `global`, `role`, `workspace`,
    /// `workspace × role`.
    pub fn short(&self) -> &'static str {
        match self {
            Layer::Global => "global",
            Layer::Role { .. } => "role",
            Layer::Workspace { .. } => "workspace",
            Layer::WorkspaceRole { .. } => "workspace × role",
        }
    }
}

/// The layers that apply to a launch of `role` in `workspace` (`None`: ad
/// hoc), lowest first, each with its table if the config has one.
pub fn layers<'a>(
    cfg: &'a Config,
    workspace: Option<&str>,
    role: &str,
) -> Vec<(Layer, Option<&'a EnvMap>)> {
    let mut out = vec![
        (Layer::Global, Some(&cfg.env)),
        (
            Layer::Role { role: role.into() },
            cfg.roles.get(role).map(|r| &r.env),
        ),
    ];
    if let Some(w) = workspace {
        let ws = cfg.workspaces.get(w);
        out.push((
            Layer::Workspace {
                workspace: w.into(),
            },
            ws.map(|ws| &ws.env),
        ));
        out.push((
            Layer::WorkspaceRole {
                workspace: w.into(),
                role: role.into(),
            },
            ws.and_then(|ws| ws.roles.get(role)).map(|wr| &wr.env),
        ));
    }
    out
}

/// Where an effective variable comes from, for `--debug`: never the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvSource {
    pub name: String,
    /// `$NAME`, `op://…`, `keyring:S/A` or `literal`
    /// ([`EnvValue::reference`]); `invalid` for an unparsable value.
    pub reference: String,
    /// The layer that wins.
    pub layer: Layer,
}

impl fmt::Display for EnvSource {
    /// `NAME = $REF from [workspaces.W.env]`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} = {} from {}",
            self.name,
            self.reference,
            self.layer.table()
        )
    }
}

/// The winning raw value of every variable set in any layer.
fn winners(cfg: &Config, workspace: Option<&str>, role: &str) -> BTreeMap<String, (Layer, String)> {
    let mut out = BTreeMap::new();
    for (layer, map) in layers(cfg, workspace, role) {
        for (name, raw) in map.into_iter().flatten() {
            out.insert(name.clone(), (layer.clone(), raw.clone()));
        }
    }
    out
}

/// Every effective variable with its reference and winning layer, sorted by
/// name. Resolves nothing (for `--debug`).
pub fn sources(cfg: &Config, workspace: Option<&str>, role: &str) -> Vec<EnvSource> {
    winners(cfg, workspace, role)
        .into_iter()
        .map(|(name, (layer, raw))| EnvSource {
            name,
            reference: EnvValue::parse(&raw)
                .map(|v| v.reference())
                .unwrap_or_else(|_| "invalid".into()),
            layer,
        })
        .collect()
}

/// A variable whose winning value resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedVar {
    pub value: Secret,
    pub layer: Layer,
    /// [`EnvValue::reference`] of the winning value.
    pub reference: String,
}

/// A variable whose winning value did not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedVar {
    pub layer: Layer,
    pub reference: String,
    /// One line, no secret (`$X is not set in the host environment`).
    pub why: String,
}

/// The outcome of resolving the effective operator env of a launch.
#[derive(Debug, Clone, Default)]
pub struct ResolvedEnv {
    /// Variables that resolved, by name.
    pub values: BTreeMap<String, ResolvedVar>,
    /// Variables that failed, by name (all of them, not only the first).
    pub failures: BTreeMap<String, FailedVar>,
}

/// Outcome of resolving one raw config value.
fn resolve_raw(resolver: &Resolver, raw: &str, name: &str) -> (String, Result<Secret, String>) {
    if let Err(e) = super::check_name(name) {
        return ("invalid".into(), Err(e));
    }
    match EnvValue::parse(raw) {
        Ok(v) => (v.reference(), resolver.resolve(&v)),
        Err(e) => ("invalid".into(), Err(e)),
    }
}

/// Resolves the winning value of every variable for which `wanted(name)` is
/// true. Resolution runs in parallel; every failure is collected.
pub fn resolve(
    cfg: &Config,
    workspace: Option<&str>,
    role: &str,
    resolver: &Resolver,
    wanted: impl Fn(&str) -> bool,
) -> ResolvedEnv {
    let todo: Vec<(String, Layer, String)> = winners(cfg, workspace, role)
        .into_iter()
        .filter(|(name, _)| wanted(name))
        .map(|(name, (layer, raw))| (name, layer, raw))
        .collect();
    let results: Vec<(String, Layer, String, Result<Secret, String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = todo
            .into_iter()
            .map(|(name, layer, raw)| {
                s.spawn(move || {
                    let (reference, r) = resolve_raw(resolver, &raw, &name);
                    (name, layer, reference, r)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("env resolution thread panicked"))
            .collect()
    });
    let mut out = ResolvedEnv::default();
    for (name, layer, reference, r) in results {
        match r {
            Ok(value) => {
                out.values.insert(
                    name,
                    ResolvedVar {
                        value,
                        layer,
                        reference,
                    },
                );
            }
            Err(why) => {
                out.failures.insert(
                    name,
                    FailedVar {
                        layer,
                        reference,
                        why,
                    },
                );
            }
        }
    }
    out
}

/// What one layer holds for one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerStatus {
    /// Not set at this layer.
    Unset,
    /// Set and resolvable; the reference (`literal`, `$NAME`, `op://…`,
    /// `keyring:S/A`).
    Resolved { reference: String },
    /// Set but not resolvable.
    Failed { reference: String, why: String },
}

impl fmt::Display for LayerStatus {
    /// `unset`, `resolved (literal)`, `resolved ($NAME)`, `failed: <why>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerStatus::Unset => f.write_str("unset"),
            LayerStatus::Resolved { reference } => write!(f, "resolved ({reference})"),
            LayerStatus::Failed { why, .. } => write!(f, "failed: {why}"),
        }
    }
}

/// One line of a variable's trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerTrace {
    pub layer: Layer,
    pub status: LayerStatus,
}

/// `name` at every layer, lowest first, resolving each value that is set
/// (used for launch errors, so a failing variable shows which layers could
/// be fixed). Values are resolved and dropped; only the status is kept. An
/// empty value counts as failed (`failed: the value is empty`): a variable
/// is traced only when it stops a launch.
///
/// `known`, when given, is the outcome of an earlier [`resolve`]: the
/// winning layer's status is taken from it instead of resolving again (a
/// timed-out `op read` is not waited for twice).
pub fn trace_var(
    cfg: &Config,
    workspace: Option<&str>,
    role: &str,
    name: &str,
    resolver: &Resolver,
    known: Option<&ResolvedEnv>,
) -> Vec<LayerTrace> {
    let reuse = |layer: &Layer| -> Option<LayerStatus> {
        let k = known?;
        if let Some(f) = k.failures.get(name).filter(|f| f.layer == *layer) {
            return Some(LayerStatus::Failed {
                reference: f.reference.clone(),
                why: f.why.clone(),
            });
        }
        let v = k.values.get(name).filter(|v| v.layer == *layer)?;
        Some(if v.value.is_blank() {
            LayerStatus::Failed {
                reference: v.reference.clone(),
                why: "the value is empty".into(),
            }
        } else {
            LayerStatus::Resolved {
                reference: v.reference.clone(),
            }
        })
    };
    std::thread::scope(|s| {
        let handles: Vec<_> = layers(cfg, workspace, role)
            .into_iter()
            .map(|(layer, map)| {
                let raw = map.and_then(|m| m.get(name)).cloned();
                let reused = reuse(&layer);
                s.spawn(move || {
                    let status = match (raw, reused) {
                        (_, Some(status)) => status,
                        (None, None) => LayerStatus::Unset,
                        (Some(raw), None) => match resolve_raw(resolver, &raw, name) {
                            (reference, Ok(v)) if v.is_blank() => LayerStatus::Failed {
                                reference,
                                why: "the value is empty".into(),
                            },
                            (reference, Ok(_)) => LayerStatus::Resolved { reference },
                            (reference, Err(why)) => LayerStatus::Failed { reference, why },
                        },
                    };
                    LayerTrace { layer, status }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("env trace thread panicked"))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Role, Workspace, WorkspaceRole};
    use crate::env::HostEnv;

    /// A config with `var` set at the layers whose bit is set in `bits`
    /// (1 global, 2 role, 4 workspace, 8 workspace × role), each to a
    /// literal naming the layer.
    fn layered(var: &str, bits: u8) -> Config {
        let mut cfg = Config::default();
        let mut role = Role::default();
        let mut ws = Workspace::default();
        let mut wr = WorkspaceRole::default();
        if bits & 1 != 0 {
            cfg.env.insert(var.into(), "global".into());
        }
        if bits & 2 != 0 {
            role.env.insert(var.into(), "role".into());
        }
        if bits & 4 != 0 {
            ws.env.insert(var.into(), "workspace".into());
        }
        if bits & 8 != 0 {
            wr.env.insert(var.into(), "workspace-role".into());
        }
        cfg.roles.insert("r".into(), role);
        ws.roles.insert("r".into(), wr);
        cfg.workspaces.insert("w".into(), ws);
        cfg
    }

    #[test]
    fn later_layer_wins_for_every_combination() {
        let env = HostEnv::new();
        let r = Resolver::new(&env);
        for bits in 0..16u8 {
            let cfg = layered("V", bits);
            let got = resolve(&cfg, Some("w"), "r", &r, |_| true);
            let want = ["workspace-role", "workspace", "role", "global"]
                .into_iter()
                .zip([8, 4, 2, 1])
                .find(|(_, b)| bits & b != 0)
                .map(|(v, _)| v);
            assert_eq!(
                got.values.get("V").map(|v| v.value.expose()),
                want,
                "bits {bits}"
            );
            // Ad hoc: only global and role apply.
            let adhoc = resolve(&cfg, None, "r", &r, |_| true);
            let want = [("role", 2), ("global", 1)]
                .into_iter()
                .find(|(_, b)| bits & b != 0)
                .map(|(v, _)| v);
            assert_eq!(adhoc.values.get("V").map(|v| v.value.expose()), want);
        }
    }

    #[test]
    fn every_form_and_all_failures_reported_together() {
        let dir = tempfile::tempdir().unwrap();
        let env: HostEnv = [("HOST_TOKEN".into(), "tok-1".into())].into();
        let mut r = Resolver::new(&env);
        r.op_program = crate::env::sources::tests::fake_op(
            dir.path(),
            r#"case "$2" in op://v/i/good) echo op-val ;; *) echo "no such item" >&2; exit 1 ;; esac"#,
        );
        r.keyring = |_, a| {
            if a == "ok" {
                Ok("kr-val".into())
            } else {
                Err("no entry in the OS keyring".into())
            }
        };
        let mut cfg = layered("LIT", 1);
        cfg.env.insert("HOSTV".into(), "${HOST_TOKEN}".into());
        cfg.env.insert("OPV".into(), "op://v/i/good".into());
        cfg.env.insert("KRV".into(), "keyring:svc/ok".into());
        cfg.env.insert("BAD1".into(), "$NOT_THERE".into());
        cfg.env.insert("BAD2".into(), "op://v/i/bad".into());
        cfg.env.insert("BAD3".into(), "keyring:svc/missing".into());
        cfg.env.insert("SKIPPED".into(), "$ALSO_NOT_THERE".into());
        let got = resolve(&cfg, Some("w"), "r", &r, |n| n != "SKIPPED");
        let v = |n: &str| got.values[n].value.expose().to_string();
        assert_eq!(
            (v("LIT"), v("HOSTV"), v("OPV"), v("KRV")),
            (
                "global".into(),
                "tok-1".into(),
                "op-val".into(),
                "kr-val".into()
            )
        );
        assert_eq!(got.values["OPV"].reference, "op://v/i/good");
        let failed: Vec<&str> = got.failures.keys().map(String::as_str).collect();
        assert_eq!(failed, ["BAD1", "BAD2", "BAD3"]);
        assert!(got.failures["BAD1"].why.contains("$NOT_THERE is not set"));
        assert!(got.failures["BAD2"].why.contains("no such item"));
        assert!(got.failures["BAD3"].why.contains("no entry"));
        // Nothing printable carries a value.
        let dbg = format!("{got:?}");
        assert!(!dbg.contains("tok-1") && !dbg.contains("op-val") && !dbg.contains("kr-val"));
    }

    #[test]
    fn trace_shows_each_layer() {
        let env: HostEnv = [("SET".into(), "x".into())].into();
        let mut r = Resolver::new(&env);
        r.op_program = "/nonexistent/op".into();
        let mut cfg = layered("V", 0b0001);
        cfg.roles
            .get_mut("r")
            .unwrap()
            .env
            .insert("V".into(), "$SET".into());
        cfg.workspaces
            .get_mut("w")
            .unwrap()
            .env
            .insert("V".into(), "op://v/i/f".into());
        let t = trace_var(&cfg, Some("w"), "r", "V", &r, None);
        let lines: Vec<String> = t
            .iter()
            .map(|l| format!("{} {}", l.layer.table(), l.status))
            .collect();
        assert_eq!(lines[0], "[env] resolved (literal)");
        assert_eq!(lines[1], "[roles.r.env] resolved ($SET)");
        assert!(lines[2].starts_with("[workspaces.w.env] failed: the 1Password CLI"));
        assert_eq!(lines[3], "[workspaces.w.roles.r.env] unset");
        // The real OS keyring has no such entry (or there is no keyring
        // service at all): the layer says `failed: …`.
        cfg.workspaces
            .get_mut("w")
            .unwrap()
            .roles
            .get_mut("r")
            .unwrap()
            .env
            .insert(
                "V".into(),
                "keyring:jackin-test-no-such-service/nobody".into(),
            );
        let t = trace_var(&cfg, Some("w"), "r", "V", &Resolver::new(&env), None);
        let last = t[3].status.to_string();
        assert!(
            last.starts_with("failed: ") && last.contains("jackin-test-no-such-service"),
            "{last}"
        );
        // Reserved names are refused in every layer.
        cfg.env.insert("JACKIN_X".into(), "x".into());
        let got = resolve(&cfg, Some("w"), "r", &r, |n| n == "JACKIN_X");
        assert!(got.failures["JACKIN_X"].why.contains("reserved"));
        cfg.env.remove("JACKIN_X");
        let src = sources(&cfg, Some("w"), "r");
        assert_eq!(
            src[0].to_string(),
            "V = keyring:jackin-test-no-such-service/nobody from [workspaces.w.roles.r.env]"
        );
    }
}
