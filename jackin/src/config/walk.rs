//! The schema walk: turns a parsed config.toml ([`toml::de::DeTable`], with
//! the span of every key and value) into the [`Config`] model, refusing
//! anything outside the schema of `shared/SPEC.md` §4.
//!
//! Tables are visited in the order `toml_edit` iterates them (the order
//! keys are inserted while parsing: a table whose `[header]` comes after
//! its sub-tables sits at its header; jackin enables the `toml` crate's
//! `preserve_order` for this), and the first problem found is the error,
//! so a file with several problems reports the same one as before. Positions
//! come from the parser's spans: a key's own span for unknown keys and bad
//! names, the value's span for wrong values, the table's header (or, for a
//! table that has none, its key in a deeper header) for missing keys.
//! The dotted key path of an error (`workspaces.w.codex.auth_forward`) is
//! built only when an error is reported.

use super::error::{ConfigError, Pos, Result};
use super::model::*;
use super::validate;
use crate::agents;
use crate::env::{self, EnvValue};
use std::ops::Range;
use std::path::Path;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Walks `root` (parsed from `text`, the content of `path`) into a
/// [`Config`], with the built-in roles added. Errors are
/// [`ConfigError::Invalid`] with the position in `text` (from the spans of
/// `root`), the dotted key and what is wrong.
pub(super) fn config<'t>(path: &Path, text: &str, root: &'t DeTable<'t>) -> Result<Config> {
    Walker { path, text }.root(root)
}

struct Walker<'a> {
    path: &'a Path,
    text: &'a str,
}

/// A key of a table with its value; `up` is the entry of the table that
/// holds it (`None` at the root), from which [`Entry::dotted`] builds the
/// key's dotted path when an error needs it.
struct Entry<'t, 'p> {
    key: &'t str,
    key_span: Range<usize>,
    val: &'t Spanned<DeValue<'t>>,
    up: Option<&'p Entry<'t, 'p>>,
}

impl Entry<'_, '_> {
    /// `workspaces.w.codex.auth_forward`: the keys from the root, as parsed
    /// (unquoted, no escaping), joined with `.`.
    fn dotted(&self) -> String {
        let mut keys = vec![self.key];
        let mut up = self.up;
        while let Some(e) = up {
            keys.push(e.key);
            up = e.up;
        }
        keys.reverse();
        keys.join(".")
    }

    fn span(&self) -> Range<usize> {
        self.val.span()
    }
}

/// The entries of `table` in parse order (see the module notes), each
/// pointing `up` to the entry of the table itself.
fn entries<'t, 'p>(
    table: &'t DeTable<'t>,
    up: Option<&'p Entry<'t, 'p>>,
) -> impl Iterator<Item = Entry<'t, 'p>> {
    table.iter().map(move |(k, v)| Entry {
        key: k.get_ref(),
        key_span: k.span(),
        val: v,
        up,
    })
}

/// `fixed` followed by every agent name, for "allowed here" lists.
fn with_agents(fixed: &[&'static str]) -> Vec<&'static str> {
    let mut v = fixed.to_vec();
    v.extend(agents::names());
    v
}

/// A role named by a workspace, checked once every role is known: by
/// `workspaces.W.default_role = "R"` (position: the value) or by a
/// `[workspaces.W.roles.R…]` table (position: the key `R`).
struct RoleRef<'t> {
    ws: &'t str,
    role: &'t str,
    span: Range<usize>,
    default_role: bool,
}

impl RoleRef<'_> {
    /// The dotted key an error names.
    fn key(&self) -> String {
        if self.default_role {
            format!("workspaces.{}.default_role", self.ws)
        } else {
            format!("workspaces.{}.roles.{}", self.ws, self.role)
        }
    }
}

impl<'a> Walker<'a> {
    fn err_at(&self, span: Range<usize>, key: String, msg: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            pos: Pos::at(self.text, span.start),
            key,
            message: msg.into(),
        }
    }

    /// An error about entry `e`, at `span`.
    fn err(&self, span: Range<usize>, e: &Entry, msg: impl Into<String>) -> ConfigError {
        self.err_at(span, e.dotted(), msg)
    }

    fn unknown(&self, e: &Entry, allowed: &[&str]) -> ConfigError {
        self.err(
            e.key_span.clone(),
            e,
            format!(
                "unknown key '{}' (allowed here: {})",
                e.key,
                allowed.join(", ")
            ),
        )
    }

    fn table<'t>(&self, e: &Entry<'t, '_>) -> Result<&'t DeTable<'t>> {
        e.val
            .get_ref()
            .as_table()
            .ok_or_else(|| self.err(e.span(), e, "must be a table"))
    }

    fn string<'t>(&self, e: &Entry<'t, '_>) -> Result<&'t str> {
        e.val
            .get_ref()
            .as_str()
            .ok_or_else(|| self.err(e.span(), e, "must be a string"))
    }

    /// Every item of a list of strings, with its span; the first item that
    /// is not a string (or a value that is not a list) is the error, before
    /// any item is checked further.
    fn strings<'t>(&self, e: &Entry<'t, '_>) -> Result<Vec<(&'t str, Range<usize>)>> {
        let arr = e
            .val
            .get_ref()
            .as_array()
            .ok_or_else(|| self.err(e.span(), e, "must be a list of strings"))?;
        arr.iter()
            .map(|v| match v.get_ref().as_str() {
                Some(s) => Ok((s, v.span())),
                None => Err(self.err(v.span(), e, "must be a list of strings")),
            })
            .collect()
    }

    fn root<'t>(&self, t: &'t DeTable<'t>) -> Result<Config> {
        let mut cfg = Config::default();
        let mut role_refs: Vec<RoleRef<'t>> = Vec::new();
        for e in entries(t, None) {
            match e.key {
                "engine" => {
                    cfg.engine = Some(match self.string(&e)? {
                        "podman" => EngineKind::Podman,
                        "docker" => EngineKind::Docker,
                        other => {
                            return Err(self.err(
                                e.span(),
                                &e,
                                format!("unknown engine '{other}' (valid: podman, docker)"),
                            ))
                        }
                    })
                }
                "env" => cfg.env = self.env(&e)?,
                "roles" => {
                    for r in entries(self.table(&e)?, Some(&e)) {
                        self.name("role", &r)?;
                        let role = self.role(&r)?;
                        cfg.roles.insert(r.key.to_owned(), role);
                    }
                }
                "workspaces" => {
                    for w in entries(self.table(&e)?, Some(&e)) {
                        self.name("workspace", &w)?;
                        let ws = self.workspace(&w, &mut role_refs)?;
                        cfg.workspaces.insert(w.key.to_owned(), ws);
                    }
                }
                name if agents::find(name).is_some() => {
                    let auth = self.agent_auth(&e)?;
                    cfg.agents.insert(name.to_owned(), auth);
                }
                _ => {
                    return Err(
                        self.unknown(&e, &with_agents(&["engine", "env", "roles", "workspaces"]))
                    )
                }
            }
        }
        super::builtin::add_builtin_roles(&mut cfg);
        for r in role_refs {
            if cfg.roles.contains_key(r.role) {
                continue;
            }
            let known: Vec<&str> = cfg.roles.keys().map(String::as_str).collect();
            return Err(self.err_at(
                r.span.clone(),
                r.key(),
                format!(
                    "no role named '{}' is defined (roles: {})",
                    r.role,
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }
        Ok(cfg)
    }

    fn name(&self, kind: &str, e: &Entry) -> Result<()> {
        validate::entity_name(kind, e.key).map_err(|m| self.err(e.key_span.clone(), e, m))
    }

    /// `[claude]`, `[workspaces.W.codex]`, `[workspaces.W.roles.R.amp]`.
    fn agent_auth(&self, e: &Entry) -> Result<AgentAuth> {
        let spec = agents::find(e.key).expect("caller checked the agent");
        let mut auth = AgentAuth::default();
        for f in entries(self.table(e)?, Some(e)) {
            match f.key {
                "auth_forward" => {
                    let raw = self.string(&f)?;
                    let mode = validate::mode_str_for_agent(spec, raw)
                        .map_err(|m| self.err(f.span(), &f, m))?;
                    auth.auth_forward = Some(mode);
                }
                "sync_source_dir" => {
                    let raw = self.string(&f)?;
                    let p = validate::absolute_path(raw).map_err(|m| self.err(f.span(), &f, m))?;
                    auth.sync_source_dir = Some(p);
                }
                _ => return Err(self.unknown(&f, &["auth_forward", "sync_source_dir"])),
            }
        }
        Ok(auth)
    }

    /// `[env]` and the other env layers: names checked, values parsed.
    fn env(&self, e: &Entry) -> Result<EnvMap> {
        let mut out = EnvMap::new();
        for v in entries(self.table(e)?, Some(e)) {
            env::check_name(v.key).map_err(|m| self.err(v.key_span.clone(), &v, m))?;
            let raw = self.string(&v)?;
            EnvValue::parse(raw).map_err(|m| self.err(v.span(), &v, m))?;
            out.insert(v.key.to_owned(), raw.to_owned());
        }
        Ok(out)
    }

    fn role(&self, e: &Entry) -> Result<Role> {
        let t = self.table(e)?;
        let mut role = Role::default();
        let mut image = None;
        let mut agents_seen = false;
        let mut default = None;
        for f in entries(t, Some(e)) {
            match f.key {
                "image" => {
                    let s = self.string(&f)?;
                    if s.trim().is_empty() {
                        return Err(self.err(f.span(), &f, "must not be empty"));
                    }
                    validate::image(s).map_err(|m| self.err(f.span(), &f, m))?;
                    image = Some(s.to_owned());
                }
                "agents" => {
                    let list = self.strings(&f)?;
                    if list.is_empty() {
                        return Err(self.err(
                            f.span(),
                            &f,
                            format!(
                                "must name at least one agent ({})",
                                agents::names().join(", ")
                            ),
                        ));
                    }
                    for (a, span) in list {
                        validate::agent(a).map_err(|m| self.err(span.clone(), &f, m))?;
                        if role.agents.iter().any(|x| x == a) {
                            return Err(self.err(span, &f, format!("agent '{a}' is listed twice")));
                        }
                        role.agents.push(a.to_owned());
                    }
                    agents_seen = true;
                }
                "default_agent" => {
                    // Checked against the agents after the loop.
                    default = Some((self.string(&f)?, f.span()));
                }
                "env" => role.env = self.env(&f)?,
                _ => return Err(self.unknown(&f, &["image", "agents", "default_agent", "env"])),
            }
        }
        role.image = image.ok_or_else(|| self.err(e.span(), e, "missing required key 'image'"))?;
        if !agents_seen {
            return Err(self.err(e.span(), e, "missing required key 'agents'"));
        }
        if let Some((d, span)) = default {
            if !role.agents.iter().any(|a| a == d) {
                return Err(self.err_at(
                    span,
                    format!("{}.default_agent", e.dotted()),
                    format!(
                        "default_agent '{d}' is not one of the role's agents ({})",
                        role.agents.join(", ")
                    ),
                ));
            }
            role.default_agent = Some(d.to_owned());
        }
        Ok(role)
    }

    fn workspace<'t>(
        &self,
        e: &Entry<'t, '_>,
        role_refs: &mut Vec<RoleRef<'t>>,
    ) -> Result<Workspace> {
        let t = self.table(e)?;
        let mut ws = Workspace::default();
        let mut workdir = None;
        for f in entries(t, Some(e)) {
            match f.key {
                "workdir" => {
                    let raw = self.string(&f)?;
                    workdir =
                        Some(validate::absolute_path(raw).map_err(|m| self.err(f.span(), &f, m))?);
                }
                "mounts" => {
                    for (raw, span) in self.strings(&f)? {
                        let m = validate::mount(raw).map_err(|m| self.err(span.clone(), &f, m))?;
                        if ws.mounts.iter().any(|o| o.dst == m.dst) {
                            return Err(self.err(
                                span,
                                &f,
                                format!("two mounts target {}", m.dst.display()),
                            ));
                        }
                        ws.mounts.push(m);
                    }
                }
                "default_role" => {
                    let r = self.string(&f)?;
                    role_refs.push(RoleRef {
                        ws: e.key,
                        role: r,
                        span: f.span(),
                        default_role: true,
                    });
                    ws.default_role = Some(r.to_owned());
                }
                "env" => ws.env = self.env(&f)?,
                "roles" => {
                    for r in entries(self.table(&f)?, Some(&f)) {
                        role_refs.push(RoleRef {
                            ws: e.key,
                            role: r.key,
                            span: r.key_span.clone(),
                            default_role: false,
                        });
                        ws.roles.insert(r.key.to_owned(), self.workspace_role(&r)?);
                    }
                }
                name if agents::find(name).is_some() => {
                    ws.agents.insert(name.to_owned(), self.agent_auth(&f)?);
                }
                _ => {
                    return Err(self.unknown(
                        &f,
                        &with_agents(&["workdir", "mounts", "default_role", "env", "roles"]),
                    ))
                }
            }
        }
        ws.workdir =
            workdir.ok_or_else(|| self.err(e.span(), e, "missing required key 'workdir'"))?;
        Ok(ws)
    }

    fn workspace_role(&self, e: &Entry) -> Result<WorkspaceRole> {
        let mut wr = WorkspaceRole::default();
        for f in entries(self.table(e)?, Some(e)) {
            match f.key {
                "env" => wr.env = self.env(&f)?,
                name if agents::find(name).is_some() => {
                    wr.agents.insert(name.to_owned(), self.agent_auth(&f)?);
                }
                _ => return Err(self.unknown(&f, &with_agents(&["env"]))),
            }
        }
        Ok(wr)
    }
}
