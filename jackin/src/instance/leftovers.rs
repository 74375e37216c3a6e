//! What a failed `load` could not remove because the engine stopped
//! answering (its socket went away mid-launch): the half-made container
//! and, for a fresh instance, its new home volume.
//!
//! A failed load removes what it made. When that removal itself fails, the
//! names are recorded in the index (`leftovers` in `instances.json`, no
//! secret) and the next jackin command that reaches the same engine kind
//! (`load`, `ps`, `eject`, `hardline`, `auth sync`, `purge`) removes them
//! first, so no half-made instance is ever listed or blocks a later load.

use super::Store;
use crate::engine::{Engine, EngineError};
use anyhow::Result;
use serde::{Deserialize, Serialize};

/// Engine objects left by a failed load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leftover {
    /// `podman` or `docker`.
    pub engine: String,
    /// Container name (`jk-<id>-<role>`) to remove, forced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Volume name (`jk-<id>-home`) to remove: only a volume the failed load
    /// created for a fresh instance, never a durable home in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<String>,
}

/// Removes `l` from `engine`; a container or volume already gone counts as
/// removed. Errors: the engine's (e.g. [`EngineError::Unreachable`]).
pub async fn remove(engine: &dyn Engine, l: &Leftover) -> Result<(), EngineError> {
    if let Some(c) = &l.container {
        match engine.remove_container(c, true).await {
            Ok(()) | Err(EngineError::ContainerNotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    if let Some(v) = &l.volume {
        engine.volume_remove(v).await?;
    }
    Ok(())
}

/// Tries to remove `l` now; when the engine does not answer, records it in
/// the index for [`sweep`]. Returns a note for the operator when something
/// was left, e.g. `note: the half-made container jk-ab12cd34-smith could
/// not be removed (the engine stopped answering); jackin removes them the
/// next time it reaches podman (e.g. 'jackin ps')`.
pub async fn remove_or_record(engine: &dyn Engine, store: &Store, l: Leftover) -> Option<String> {
    if l.container.is_none() && l.volume.is_none() {
        return None;
    }
    let err = remove(engine, &l).await.err()?;
    let what = [
        l.container.as_deref().map(|c| format!("container {c}")),
        l.volume.as_deref().map(|v| format!("volume {v}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" and ");
    let why = match &err {
        EngineError::Unreachable { .. } => "the engine stopped answering".to_string(),
        other => other.to_string(),
    };
    let kind = l.engine.clone();
    let saved = store.update(|idx| {
        if !idx.leftovers.contains(&l) {
            idx.leftovers.push(l);
        }
        Ok(())
    });
    Some(match saved {
        Ok(()) => format!(
            "note: the half-made {what} could not be removed ({why}); jackin removes them the next time it reaches {kind} (e.g. 'jackin ps')"
        ),
        Err(e) => format!(
            "note: the half-made {what} could not be removed ({why}) nor recorded ({e:#}); remove them with '{kind} rm -f' / '{kind} volume rm'"
        ),
    })
}

/// Removes every recorded leftover of `engine`'s kind; those that still
/// fail stay recorded. Errors: only reading or saving the index.
pub async fn sweep(engine: &dyn Engine, store: &Store) -> Result<()> {
    let kind = engine.kind().as_str();
    let pending: Vec<Leftover> = store
        .read()?
        .leftovers
        .into_iter()
        .filter(|l| l.engine == kind)
        .collect();
    for l in pending {
        if remove(engine, &l).await.is_ok() {
            store.update(|idx| {
                idx.leftovers.retain(|x| x != &l);
                Ok(())
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_without_leftovers_still_reads_and_leftovers_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("instances.json"), r#"{"instances":[]}"#).unwrap();
        let s = Store::new(dir.path());
        assert!(s.read().unwrap().leftovers.is_empty());
        let l = Leftover {
            engine: "podman".into(),
            container: Some("jk-abcdefgh-r".into()),
            volume: None,
        };
        s.update(|idx| {
            idx.leftovers.push(l.clone());
            Ok(())
        })
        .unwrap();
        assert_eq!(s.read().unwrap().leftovers, vec![l]);
        let text = std::fs::read_to_string(dir.path().join("instances.json")).unwrap();
        assert!(!text.contains("volume"), "{text}");
    }
}
