//! Loading: parse config.toml with `toml_edit` and build the [`Config`]
//! model by walking the document, refusing anything outside the schema of
//! `shared/SPEC.md` §4 with the file, line and column of the offending key
//! or value. Loading never writes.

use super::error::{ConfigError, Pos, Result};
use super::model::*;
use super::validate;
use crate::agents::{self, AGENTS};
use crate::env::{self, EnvValue};
use std::ops::Range;
use std::path::Path;
use toml_edit::{Document, DocumentMut, Item, Key, TableLike};

/// Reads and validates the file at `path`. A missing file is an empty
/// configuration (and an empty document). Errors: [`ConfigError::Read`],
/// [`ConfigError::Parse`], [`ConfigError::Invalid`].
pub fn load_from(path: &Path) -> Result<(Config, DocumentMut)> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_str(path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok((Config::default(), DocumentMut::new()))
        }
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Parses and validates `text` (the content of `path`, used in messages).
pub fn parse_str(path: &Path, text: &str) -> Result<(Config, DocumentMut)> {
    let doc = parse_doc(path, text)?;
    let cfg = Walker { path, text }.root(doc.as_table())?;
    Ok((cfg, doc.into_mut()))
}

/// Like [`load_from`] for read-only callers: the validated [`Config`]
/// only. Skips making the editable document (`into_mut` re-walks and copies
/// every key and value), about a fifth of the time on a large file
/// (`bench/config.sh`). Same errors as [`load_from`].
pub fn read_from(path: &Path) -> Result<Config> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let doc = parse_doc(path, &text)?;
            Walker { path, text: &text }.root(doc.as_table())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn parse_doc<'t>(path: &Path, text: &'t str) -> Result<Document<&'t str>> {
    Document::parse(text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        pos: Pos::at(text, e.span().map(|s| s.start).unwrap_or(0)),
        message: e.message().trim().replace('\n', "; "),
    })
}

struct Walker<'a> {
    path: &'a Path,
    text: &'a str,
}

/// A key of a table with its item, and the dotted path of the key.
struct Entry<'t> {
    key: &'t Key,
    item: &'t Item,
    dotted: String,
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

impl<'a> Walker<'a> {
    fn err(&self, span: Option<Range<usize>>, key: &str, msg: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            pos: Pos::at(self.text, span.map(|s| s.start).unwrap_or(0)),
            key: key.to_string(),
            message: msg.into(),
        }
    }

    fn entries<'t>(&self, prefix: &str, t: &'t dyn TableLike) -> Vec<Entry<'t>> {
        t.iter()
            .filter_map(|(k, _)| t.get_key_value(k))
            .map(|(key, item)| Entry {
                key,
                item,
                dotted: join(prefix, key.get()),
            })
            .collect()
    }

    fn unknown(&self, e: &Entry, allowed: &[&str]) -> ConfigError {
        self.err(
            e.key.span(),
            &e.dotted,
            format!(
                "unknown key '{}' (allowed here: {})",
                e.key.get(),
                allowed.join(", ")
            ),
        )
    }

    fn value_span(e: &Entry) -> Option<Range<usize>> {
        e.item.span().or_else(|| e.key.span())
    }

    fn table<'t>(&self, e: &Entry<'t>) -> Result<&'t dyn TableLike> {
        match e.item.as_table_like() {
            Some(t) => Ok(t),
            None => Err(self.err(Self::value_span(e), &e.dotted, "must be a table")),
        }
    }

    fn string<'t>(&self, e: &Entry<'t>) -> Result<&'t str> {
        e.item
            .as_str()
            .ok_or_else(|| self.err(Self::value_span(e), &e.dotted, "must be a string"))
    }

    fn strings(&self, e: &Entry) -> Result<Vec<(String, Option<Range<usize>>)>> {
        let arr = e
            .item
            .as_array()
            .ok_or_else(|| self.err(Self::value_span(e), &e.dotted, "must be a list of strings"))?;
        arr.iter()
            .map(|v| match v.as_str() {
                Some(s) => Ok((s.to_string(), v.span())),
                None => Err(self.err(v.span(), &e.dotted, "must be a list of strings")),
            })
            .collect()
    }

    fn root(&self, t: &dyn TableLike) -> Result<Config> {
        let mut cfg = Config::default();
        let mut allowed = vec!["engine", "env", "roles", "workspaces"];
        allowed.extend(agents::names());
        // Role references are checked once every role is known.
        let mut role_refs: Vec<(String, Option<Range<usize>>, String)> = Vec::new();
        for e in self.entries("", t) {
            match e.key.get() {
                "engine" => {
                    cfg.engine = Some(match self.string(&e)? {
                        "podman" => EngineKind::Podman,
                        "docker" => EngineKind::Docker,
                        other => {
                            return Err(self.err(
                                Self::value_span(&e),
                                &e.dotted,
                                format!("unknown engine '{other}' (valid: podman, docker)"),
                            ))
                        }
                    })
                }
                "env" => cfg.env = self.env(&e)?,
                "roles" => {
                    for r in self.entries(&e.dotted, self.table(&e)?) {
                        self.name("role", &r)?;
                        let role = self.role(&r)?;
                        cfg.roles.insert(r.key.get().to_string(), role);
                    }
                }
                "workspaces" => {
                    for w in self.entries(&e.dotted, self.table(&e)?) {
                        self.name("workspace", &w)?;
                        let ws = self.workspace(&w, &mut role_refs)?;
                        cfg.workspaces.insert(w.key.get().to_string(), ws);
                    }
                }
                name if agents::find(name).is_some() => {
                    let auth = self.agent_auth(&e)?;
                    cfg.agents.insert(name.to_string(), auth);
                }
                _ => return Err(self.unknown(&e, &allowed)),
            }
        }
        super::builtin::add_builtin_roles(&mut cfg);
        for (key, span, role) in role_refs {
            if !cfg.roles.contains_key(&role) {
                let known: Vec<&str> = cfg.roles.keys().map(String::as_str).collect();
                return Err(self.err(
                    span,
                    &key,
                    format!(
                        "no role named '{role}' is defined (roles: {})",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
        }
        Ok(cfg)
    }

    fn name(&self, kind: &str, e: &Entry) -> Result<()> {
        validate::entity_name(kind, e.key.get()).map_err(|m| self.err(e.key.span(), &e.dotted, m))
    }

    /// `[claude]`, `[workspaces.W.codex]`, `[workspaces.W.roles.R.amp]`.
    fn agent_auth(&self, e: &Entry) -> Result<AgentAuth> {
        let spec = agents::find(e.key.get()).expect("caller checked the agent");
        let mut auth = AgentAuth::default();
        for f in self.entries(&e.dotted, self.table(e)?) {
            match f.key.get() {
                "auth_forward" => {
                    let raw = self.string(&f)?;
                    let mode = validate::mode_str_for_agent(spec, raw)
                        .map_err(|m| self.err(Self::value_span(&f), &f.dotted, m))?;
                    auth.auth_forward = Some(mode);
                }
                "sync_source_dir" => {
                    let raw = self.string(&f)?;
                    let p = validate::absolute_path(raw)
                        .map_err(|m| self.err(Self::value_span(&f), &f.dotted, m))?;
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
        for v in self.entries(&e.dotted, self.table(e)?) {
            env::check_name(v.key.get()).map_err(|m| self.err(v.key.span(), &v.dotted, m))?;
            let raw = self.string(&v)?;
            EnvValue::parse(raw).map_err(|m| self.err(Self::value_span(&v), &v.dotted, m))?;
            out.insert(v.key.get().to_string(), raw.to_string());
        }
        Ok(out)
    }

    fn role(&self, e: &Entry) -> Result<Role> {
        let t = self.table(e)?;
        let mut role = Role::default();
        let mut image = None;
        let mut agents_seen = None;
        let mut default = None;
        for f in self.entries(&e.dotted, t) {
            match f.key.get() {
                "image" => {
                    let s = self.string(&f)?;
                    if s.trim().is_empty() {
                        return Err(self.err(Self::value_span(&f), &f.dotted, "must not be empty"));
                    }
                    validate::image(s).map_err(|m| self.err(Self::value_span(&f), &f.dotted, m))?;
                    image = Some(s.to_string());
                }
                "agents" => {
                    let list = self.strings(&f)?;
                    if list.is_empty() {
                        return Err(self.err(
                            Self::value_span(&f),
                            &f.dotted,
                            format!(
                                "must name at least one agent ({})",
                                agents::names().join(", ")
                            ),
                        ));
                    }
                    for (a, span) in &list {
                        validate::agent(a).map_err(|m| self.err(span.clone(), &f.dotted, m))?;
                        if role.agents.contains(a) {
                            return Err(self.err(
                                span.clone(),
                                &f.dotted,
                                format!("agent '{a}' is listed twice"),
                            ));
                        }
                        role.agents.push(a.clone());
                    }
                    agents_seen = Some(());
                }
                "default_agent" => {
                    default = Some((self.string(&f)?.to_string(), Self::value_span(&f), f.dotted));
                }
                "env" => role.env = self.env(&f)?,
                _ => return Err(self.unknown(&f, &["image", "agents", "default_agent", "env"])),
            }
        }
        let header = e.item.span().or_else(|| e.key.span());
        role.image = image
            .ok_or_else(|| self.err(header.clone(), &e.dotted, "missing required key 'image'"))?;
        if agents_seen.is_none() {
            return Err(self.err(header, &e.dotted, "missing required key 'agents'"));
        }
        if let Some((d, span, key)) = default {
            if !role.agents.contains(&d) {
                return Err(self.err(
                    span,
                    &key,
                    format!(
                        "default_agent '{d}' is not one of the role's agents ({})",
                        role.agents.join(", ")
                    ),
                ));
            }
            role.default_agent = Some(d);
        }
        Ok(role)
    }

    fn workspace(
        &self,
        e: &Entry,
        role_refs: &mut Vec<(String, Option<Range<usize>>, String)>,
    ) -> Result<Workspace> {
        let t = self.table(e)?;
        let mut ws = Workspace::default();
        let mut workdir = None;
        let mut allowed = vec!["workdir", "mounts", "default_role", "env", "roles"];
        allowed.extend(agents::names());
        for f in self.entries(&e.dotted, t) {
            match f.key.get() {
                "workdir" => {
                    let raw = self.string(&f)?;
                    workdir = Some(
                        validate::absolute_path(raw)
                            .map_err(|m| self.err(Self::value_span(&f), &f.dotted, m))?,
                    );
                }
                "mounts" => {
                    for (raw, span) in self.strings(&f)? {
                        let m = validate::mount(&raw)
                            .map_err(|m| self.err(span.clone(), &f.dotted, m))?;
                        if ws.mounts.iter().any(|o| o.dst == m.dst) {
                            return Err(self.err(
                                span,
                                &f.dotted,
                                format!("two mounts target {}", m.dst.display()),
                            ));
                        }
                        ws.mounts.push(m);
                    }
                }
                "default_role" => {
                    let r = self.string(&f)?.to_string();
                    role_refs.push((f.dotted.clone(), Self::value_span(&f), r.clone()));
                    ws.default_role = Some(r);
                }
                "env" => ws.env = self.env(&f)?,
                "roles" => {
                    for r in self.entries(&f.dotted, self.table(&f)?) {
                        role_refs.push((r.dotted.clone(), r.key.span(), r.key.get().to_string()));
                        ws.roles
                            .insert(r.key.get().to_string(), self.workspace_role(&r)?);
                    }
                }
                name if agents::find(name).is_some() => {
                    ws.agents.insert(name.to_string(), self.agent_auth(&f)?);
                }
                _ => return Err(self.unknown(&f, &allowed)),
            }
        }
        ws.workdir = workdir.ok_or_else(|| {
            self.err(
                e.item.span().or_else(|| e.key.span()),
                &e.dotted,
                "missing required key 'workdir'",
            )
        })?;
        Ok(ws)
    }

    fn workspace_role(&self, e: &Entry) -> Result<WorkspaceRole> {
        let mut wr = WorkspaceRole::default();
        let mut allowed = vec!["env"];
        allowed.extend(AGENTS.iter().map(|a| a.name));
        for f in self.entries(&e.dotted, self.table(e)?) {
            match f.key.get() {
                "env" => wr.env = self.env(&f)?,
                name if agents::find(name).is_some() => {
                    wr.agents.insert(name.to_string(), self.agent_auth(&f)?);
                }
                _ => return Err(self.unknown(&f, &allowed)),
            }
        }
        Ok(wr)
    }
}

#[cfg(test)]
mod read_tests {
    use super::*;

    #[test]
    fn read_from_gives_the_same_config_and_errors_as_load_from() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        assert_eq!(read_from(&path).unwrap(), Config::default());
        std::fs::write(
            &path,
            "[roles.r]\nimage = \"i\"\nagents = [\"codex\"]\n[workspaces.w]\nworkdir = \"/w\"\n\
             [workspaces.w.roles.r.codex]\nauth_forward = \"ignore\"\n",
        )
        .unwrap();
        assert_eq!(read_from(&path).unwrap(), load_from(&path).unwrap().0);
        std::fs::write(&path, "[claude]\nsync_dir = 1\n").unwrap();
        assert_eq!(
            read_from(&path).unwrap_err().to_string(),
            load_from(&path).unwrap_err().to_string()
        );
    }
}
