//! The container user of an image: name, uid, gid and home, read from the
//! image's own `/etc/passwd` (never assumed to be `/home/agent`,
//! `shared/SPEC.md` §2). jackin needs the home before it creates the
//! instance's container, to mount the home volume there.
//!
//! Read by creating (not starting) a throwaway container `jk-probe-<rand>`
//! and copying `/etc/passwd` and `/etc/group` out of it; cached per image id
//! in `$JACKIN_DATA_DIR/images.json`, so only the first launch of an image
//! pays for it. When the engine stops answering before that container is
//! removed, it is recorded as a leftover (see [`super::leftovers`]) and the
//! next command removes it.

use super::leftovers::{self, Leftover};
use super::Store;
use crate::engine::{ContainerSpec, Engine};
use anyhow::{anyhow, Context, Result};
use jackin_init::passwd::{resolve_user, TargetUser};
use std::collections::BTreeMap;
use std::io::Read;

/// The user an image's agents run as: the image's `USER` when set (name or
/// uid), else its first user with uid ≥ 1000 and a home.
pub async fn image_user(
    engine: &dyn Engine,
    image: &str,
    image_id: &str,
    config_user: Option<&str>,
    store: &Store,
) -> Result<TargetUser> {
    let data_dir = store.dir();
    let cache_file = data_dir.join("images.json");
    let key = format!("{}:{}", engine.kind().as_str(), image_id);
    let mut cache: BTreeMap<String, TargetUser> = std::fs::read(&cache_file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    if let Some(u) = cache.get(&key) {
        return Ok(u.clone());
    }
    let name = format!("jk-probe-{}", super::index::new_id());
    let created = engine
        .create_container(&ContainerSpec {
            name: name.clone(),
            image: image.to_string(),
            entrypoint: vec!["/jackin-none".into()],
            network: Some("none".into()),
            ..Default::default()
        })
        .await;
    let copied = match &created {
        Ok(id) => Some((
            engine.copy_from_container(id, "/etc/passwd").await,
            engine.copy_from_container(id, "/etc/group").await,
        )),
        Err(_) => None,
    };
    // Removed by name, also when the create's answer was lost; recorded
    // for the next command when the engine does not answer.
    let left = Leftover {
        engine: engine.kind().as_str().to_string(),
        container: Some(name),
        volume: None,
    };
    let note = leftovers::remove_or_record(engine, store, left).await;
    let with_note = |e: anyhow::Error| match &note {
        Some(n) => anyhow!("{e:#}\n{n}"),
        None => e,
    };
    created
        .with_context(|| format!("cannot read the users of image '{image}'"))
        .map_err(with_note)?;
    let (passwd, group) = copied.expect("copied when created");
    let passwd = single_file(&passwd.map_err(|e| with_note(e.into())).with_context(|| {
        format!("image '{image}' has no readable /etc/passwd: add one with a non-root user")
    })?)?;
    let group = group
        .ok()
        .and_then(|g| single_file(&g).ok())
        .unwrap_or_default();
    // `USER` may be `name`, `uid`, or `user:group`; the group comes from passwd.
    let config_user = config_user
        .map(|u| u.split(':').next().unwrap_or(u))
        .filter(|u| !u.is_empty());
    let user = resolve_user(config_user, &passwd, &group)
        .map_err(|e| anyhow!("image '{image}': {}", e.message()))?;
    cache.insert(key, user.clone());
    if std::fs::create_dir_all(data_dir).is_ok() {
        if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(data_dir) {
            if serde_json::to_writer(&mut tmp, &cache).is_ok() {
                let _ = tmp.persist(&cache_file);
            }
        }
    }
    Ok(user)
}

/// The text of the first regular file in a tar archive.
fn single_file(tar_bytes: &[u8]) -> Result<String> {
    let mut ar = tar::Archive::new(tar_bytes);
    for entry in ar.entries()? {
        let mut e = entry?;
        if e.header().entry_type().is_file() {
            let mut s = String::new();
            e.read_to_string(&mut s)?;
            return Ok(s);
        }
    }
    Err(anyhow!("the archive holds no file"))
}
