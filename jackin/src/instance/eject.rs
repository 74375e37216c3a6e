//! `jackin eject` (stop and remove the container, keep the home volume
//! unless `--purge`) and `jackin purge` (delete the durable state; refuses
//! while the container exists). SPEC §9.

use super::select::select;
use super::Store;
use crate::engine::Engine;
use anyhow::{bail, Result};

/// What one eject/purge did, per instance.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Done {
    pub id: String,
    pub container_removed: bool,
    pub volume_removed: bool,
}

/// Stops and removes the containers of the selected instances; with
/// `purge`, also their home volumes and index entries.
pub async fn eject(
    engine: &dyn Engine,
    store: &Store,
    selector: &str,
    all: bool,
    purge: bool,
) -> Result<Vec<Done>> {
    let mut out = Vec::new();
    for f in select(engine, store, Some(selector), all).await? {
        let mut d = Done {
            id: f.instance.id.clone(),
            container_removed: false,
            volume_removed: false,
        };
        if let Some(c) = &f.container {
            if c.running {
                engine.stop_container(&c.id, 5).await?;
            }
            engine.remove_container(&c.id, true).await?;
            d.container_removed = true;
        }
        if purge {
            engine.volume_remove(&f.instance.volume_name()).await?;
            store.remove(&f.instance.id)?;
            d.volume_removed = true;
        }
        out.push(d);
    }
    Ok(out)
}

/// Deletes the home volume and index entry of the selected instances.
/// Refuses (changing nothing) while any selected container exists.
pub async fn purge(
    engine: &dyn Engine,
    store: &Store,
    selector: &str,
    all: bool,
) -> Result<Vec<Done>> {
    let found = select(engine, store, Some(selector), all).await?;
    if let Some(f) = found.iter().find(|f| f.container.is_some()) {
        bail!(
            "instance {} still has its container {} ({}): eject it first with 'jackin eject {}' (or 'jackin eject --purge {}')",
            f.instance.id,
            f.instance.container_name(),
            f.state(),
            f.instance.id,
            f.instance.id
        );
    }
    let mut out = Vec::new();
    for f in found {
        engine.volume_remove(&f.instance.volume_name()).await?;
        store.remove(&f.instance.id)?;
        out.push(Done {
            id: f.instance.id.clone(),
            container_removed: false,
            volume_removed: true,
        });
    }
    Ok(out)
}
