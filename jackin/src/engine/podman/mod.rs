//! Podman backend: the libpod REST API (`/v4.3.1/libpod/…`) through the
//! `podman-api` crate. Tested against Podman 4.3.1 (rootful service).

mod spec;

use super::tty::{self, FuturesSink, Resize};
use super::{
    probe_socket, socket_path, AttachError, BoxFuture, ContainerInfo, ContainerSpec, Engine,
    EngineError, ExecOutput, ExecSpec, ImageInfo, Result, EXEC_EXIT_POLLS, EXEC_EXIT_POLL_DELAY,
    PODMAN_HINT,
};
use crate::config::EngineKind;
use async_trait::async_trait;
use futures_util::StreamExt;
use podman_api::conn::TtyChunk;
use podman_api::opts::{
    ContainerAttachOpts, ContainerDeleteOpts, ContainerListFilter, ContainerListOpts,
    ContainerLogsOpts, ContainerStopOpts, ExecStartOpts, VolumeCreateOpts,
};
use podman_api::Podman;
use std::collections::{BTreeMap, HashMap};

const ENGINE: &str = "podman";

/// A Podman service reached over its unix socket.
pub struct PodmanEngine {
    podman: Podman,
    socket: String,
}

impl PodmanEngine {
    /// A client for `socket` (`unix:///run/podman/podman.sock`). Does not
    /// connect yet; call [`Engine::ping`].
    pub fn new(socket: &str) -> Result<PodmanEngine> {
        if !socket.starts_with("unix://") {
            return Err(EngineError::Unreachable {
                engine: ENGINE,
                socket: socket.to_string(),
                reason: "only unix:// sockets are supported".into(),
                hint: PODMAN_HINT.into(),
            });
        }
        Ok(PodmanEngine {
            podman: Podman::unix(socket_path(socket)),
            socket: socket.to_string(),
        })
    }

    /// Turns a podman-api error into an [`EngineError`] naming `op`.
    fn err(&self, op: impl Into<String>, e: podman_api::Error) -> EngineError {
        if !matches!(e, podman_api::Error::Fault { .. }) {
            if let Err(reason) = probe_socket(&self.socket) {
                return self.unreachable(reason);
            }
        }
        let message = match e {
            podman_api::Error::Fault { code, message } => {
                format!("{} ({})", spec::dedupe_cause(&message), code.as_u16())
            }
            other => other.to_string(),
        };
        EngineError::Api {
            op: op.into(),
            engine: ENGINE,
            socket: self.socket.clone(),
            message,
        }
    }

    fn unreachable(&self, reason: String) -> EngineError {
        EngineError::Unreachable {
            engine: ENGINE,
            socket: self.socket.clone(),
            reason,
            hint: PODMAN_HINT.into(),
        }
    }

    fn not_found(&self, container: &str) -> EngineError {
        EngineError::ContainerNotFound {
            container: container.to_string(),
            engine: ENGINE,
            socket: self.socket.clone(),
        }
    }

    /// Exit code of a finished exec (the exec may still read as running for
    /// a moment after its stream ends).
    async fn exec_exit_code(&self, exec_id: &str) -> Result<i64> {
        let exec = self.podman.execs().get(exec_id);
        for _ in 0..EXEC_EXIT_POLLS {
            let v = exec
                .inspect()
                .await
                .map_err(|e| self.err(format!("inspect exec {exec_id}"), e))?;
            if v["Running"].as_bool() != Some(true) {
                return Ok(v["ExitCode"].as_i64().unwrap_or(-1));
            }
            tokio::time::sleep(EXEC_EXIT_POLL_DELAY).await;
        }
        Err(EngineError::Api {
            op: format!("exec {exec_id}"),
            engine: ENGINE,
            socket: self.socket.clone(),
            message: "the exec's output ended but the process still runs".into(),
        })
    }
}

fn is_404(e: &podman_api::Error) -> bool {
    matches!(e, podman_api::Error::Fault { code, .. } if code.as_u16() == 404)
}

/// 304: already in the asked-for state (start a running container).
fn is_304(e: &podman_api::Error) -> bool {
    matches!(e, podman_api::Error::Fault { code, .. } if code.as_u16() == 304)
}

/// A 404 about the container itself (not, say, its network or image).
fn no_such_container(e: &podman_api::Error) -> bool {
    matches!(e, podman_api::Error::Fault { code, message }
        if code.as_u16() == 404 && message.to_lowercase().contains("no such container"))
}

fn btree(m: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    m.unwrap_or_default().into_iter().collect()
}

fn chunk_bytes(c: TtyChunk) -> Vec<u8> {
    c.into()
}

#[async_trait]
impl Engine for PodmanEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Podman
    }

    fn socket(&self) -> &str {
        &self.socket
    }

    async fn ping(&self) -> Result<()> {
        probe_socket(&self.socket).map_err(|r| self.unreachable(r))?;
        self.podman.ping().await.map(|_| ()).map_err(|e| {
            self.unreachable(format!("the socket does not speak the libpod API ({e})"))
        })
    }

    async fn image_inspect(&self, image: &str) -> Result<Option<ImageInfo>> {
        match self.podman.images().get(image).inspect().await {
            Ok(d) => {
                let (cuser, clabels) = d.config.map(|c| (c.user, c.labels)).unwrap_or((None, None));
                let user = cuser.or(d.user).filter(|u| !u.is_empty());
                let labels = btree(d.labels.or(clabels));
                Ok(Some(ImageInfo {
                    id: d.id.unwrap_or_default(),
                    user,
                    labels,
                }))
            }
            Err(e) if is_404(&e) => Ok(None),
            Err(e) => Err(self.err(format!("inspect image '{image}'"), e)),
        }
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String> {
        if self.image_inspect(&spec.image).await?.is_none() {
            return Err(EngineError::ImageNotFound {
                image: spec.image.clone(),
                engine: ENGINE,
                socket: self.socket.clone(),
            });
        }
        let opts = spec::create_opts(spec);
        let created = self
            .podman
            .containers()
            .create(&opts)
            .await
            .map_err(|e| self.err(format!("create container '{}'", spec.name), e))?;
        Ok(created.id)
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        match self.podman.containers().get(id).start(None).await {
            Ok(()) => Ok(()),
            Err(e) if is_304(&e) => Ok(()),
            Err(e) if no_such_container(&e) => Err(self.not_found(id)),
            Err(e) => Err(self.err(format!("start container '{id}'"), e)),
        }
    }

    async fn stop_container(&self, id: &str, timeout_secs: u32) -> Result<()> {
        let opts = ContainerStopOpts::builder()
            .timeout(timeout_secs as usize)
            .ignore(true)
            .build();
        match self.podman.containers().get(id).stop(&opts).await {
            Ok(()) => Ok(()),
            Err(e) if is_304(&e) => Ok(()),
            Err(e) if no_such_container(&e) => Err(self.not_found(id)),
            Err(e) => Err(self.err(format!("stop container '{id}'"), e)),
        }
    }

    async fn remove_container(&self, id: &str, force: bool) -> Result<()> {
        // Forced removal kills at once, as Docker's does (Podman would
        // otherwise wait its stop timeout for a PID 1 that ignores SIGTERM).
        let mut opts = ContainerDeleteOpts::builder().force(force);
        if force {
            opts = opts.timeout(0);
        }
        let opts = opts.build();
        match self.podman.containers().get(id).delete(&opts).await {
            Ok(()) => Ok(()),
            Err(e) if no_such_container(&e) => Err(self.not_found(id)),
            Err(e) => Err(self.err(format!("remove container '{id}'"), e)),
        }
    }

    async fn inspect_container(&self, name_or_id: &str) -> Result<Option<ContainerInfo>> {
        let d = match self.podman.containers().get(name_or_id).inspect().await {
            Ok(d) => d,
            Err(e) if is_404(&e) => return Ok(None),
            Err(e) => return Err(self.err(format!("inspect container '{name_or_id}'"), e)),
        };
        let (running, state) = d
            .state
            .map(|s| (s.running.unwrap_or(false), s.status.unwrap_or_default()))
            .unwrap_or_default();
        let (cimage, labels) = d.config.map(|c| (c.image, c.labels)).unwrap_or_default();
        Ok(Some(ContainerInfo {
            id: d.id.unwrap_or_default(),
            name: d
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            image: d.image_name.or(cimage).unwrap_or_default(),
            running,
            state,
            labels: btree(labels),
            created: d.created.map(|c| c.to_rfc3339()).unwrap_or_default(),
        }))
    }

    async fn inspect_container_json(&self, name_or_id: &str) -> Result<Option<serde_json::Value>> {
        match self.podman.containers().get(name_or_id).inspect().await {
            Ok(d) => serde_json::to_value(d)
                .map(Some)
                .map_err(|e| EngineError::Api {
                    op: format!("inspect container '{name_or_id}'"),
                    engine: ENGINE,
                    socket: self.socket.clone(),
                    message: e.to_string(),
                }),
            Err(e) if is_404(&e) => Ok(None),
            Err(e) => Err(self.err(format!("inspect container '{name_or_id}'"), e)),
        }
    }

    async fn list_containers(&self, labels: &[(&str, Option<&str>)]) -> Result<Vec<ContainerInfo>> {
        let filters = labels.iter().map(|(k, v)| match v {
            Some(v) => ContainerListFilter::LabelKeyVal(k.to_string(), v.to_string()),
            None => ContainerListFilter::LabelKey(k.to_string()),
        });
        let opts = ContainerListOpts::builder()
            .all(true)
            .filter(filters)
            .build();
        let list = self
            .podman
            .containers()
            .list(&opts)
            .await
            .map_err(|e| self.err("list containers", e))?;
        Ok(list
            .into_iter()
            .map(|c| {
                let state = c.state.unwrap_or_default();
                ContainerInfo {
                    id: c.id.unwrap_or_default(),
                    name: c
                        .names
                        .and_then(|n| n.into_iter().next())
                        .unwrap_or_default(),
                    image: c.image.unwrap_or_default(),
                    running: state == "running",
                    state,
                    labels: btree(c.labels),
                    created: c.created.map(|t| t.to_rfc3339()).unwrap_or_default(),
                }
            })
            .collect())
    }

    async fn container_logs(&self, id: &str) -> Result<Vec<u8>> {
        // The logs stream wraps HTTP errors; look the container up first so
        // a missing one is reported as such.
        if self.inspect_container(id).await?.is_none() {
            return Err(self.not_found(id));
        }
        let c = self.podman.containers().get(id);
        let opts = ContainerLogsOpts::builder()
            .stdout(true)
            .stderr(true)
            .build();
        let mut stream = c.logs(&opts);
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.err(format!("read logs of container '{id}'"), e))?;
            out.extend_from_slice(&chunk_bytes(chunk));
        }
        Ok(out)
    }

    async fn wait_container(&self, id: &str) -> Result<i64> {
        let c = self.podman.containers().get(id);
        match c.wait(&Default::default()).await {
            Ok(()) => {}
            Err(e) if no_such_container(&e) => return Err(self.not_found(id)),
            Err(e) => return Err(self.err(format!("wait for container '{id}'"), e)),
        }
        let d = c
            .inspect()
            .await
            .map_err(|e| self.err(format!("inspect container '{id}'"), e))?;
        Ok(d.state.and_then(|s| s.exit_code).unwrap_or(-1) as i64)
    }

    async fn exec(&self, id: &str, spec: &ExecSpec) -> Result<ExecOutput> {
        let t = std::time::Instant::now();
        let op = || format!("exec in container '{id}'");
        let c = self.podman.containers().get(id);
        let exec = match c
            .create_exec(&spec::exec_opts(spec, false, spec.stdin.is_some()))
            .await
        {
            Ok(x) => x,
            Err(e) if no_such_container(&e) => return Err(self.not_found(id)),
            Err(e) => return Err(self.err(op(), e)),
        };
        let t = super::exec_phase("create", t);
        let mux = exec
            .start(&ExecStartOpts::builder().build())
            .await
            .map_err(|e| self.err(op(), e))?
            .ok_or_else(|| EngineError::Api {
                op: op(),
                engine: ENGINE,
                socket: self.socket.clone(),
                message: "the exec did not attach".into(),
            })?;
        let (mut reader, writer) = mux.split();
        let write = async move {
            if let Some(data) = &spec.stdin {
                let mut sink = FuturesSink(writer);
                // A process that exits without reading all of stdin is
                // not an error here; its exit code tells.
                let _ = tty::Sink::send(&mut sink, data).await;
                let _ = tty::Sink::close(&mut sink).await;
            } else {
                drop(writer);
            }
        };
        let read = async {
            let mut out = ExecOutput::default();
            while let Some(chunk) = reader.next().await {
                match chunk {
                    Ok(TtyChunk::StdOut(b)) => out.stdout.extend_from_slice(&b),
                    Ok(TtyChunk::StdErr(b)) => out.stderr.extend_from_slice(&b),
                    Ok(TtyChunk::StdIn(_)) => {}
                    Err(e) => return Err(self.err(op(), e.into())),
                }
            }
            Ok(out)
        };
        let t = super::exec_phase("start", t);
        let ((), out) = futures_util::join!(write, read);
        let mut out = out?;
        let t = super::exec_phase("stream (stdin in, output until exit)", t);
        out.exit_code = self.exec_exit_code(exec.id().as_ref()).await?;
        super::exec_phase("exit code", t);
        Ok(out)
    }

    async fn exec_interactive(&self, id: &str, spec: &ExecSpec) -> Result<i64> {
        let op = || format!("exec in container '{id}'");
        let c = self.podman.containers().get(id);
        let exec = match c.create_exec(&spec::exec_opts(spec, true, true)).await {
            Ok(x) => x,
            Err(e) if no_such_container(&e) => return Err(self.not_found(id)),
            Err(e) => return Err(self.err(op(), e)),
        };
        let mut start = ExecStartOpts::builder().tty(true);
        if let Some((w, h)) = tty::terminal_size() {
            start = start.width(w as usize).height(h as usize);
        }
        let mux = exec
            .start(&start.build())
            .await
            .map_err(|e| self.err(op(), e))?
            .ok_or_else(|| EngineError::Api {
                op: op(),
                engine: ENGINE,
                socket: self.socket.clone(),
                message: "the exec did not attach".into(),
            })?;
        let (reader, writer) = mux.split();
        let exec_id = exec.id().to_string();
        let podman = self.podman.clone();
        let rid = exec_id.clone();
        let resize: Resize = Box::new(move |w, h| {
            let exec = podman.execs().get(rid.clone());
            Box::pin(async move {
                let _ = exec.resize(w as usize, h as usize).await;
            })
        });
        let output = Box::pin(reader.map(|c| c.map(chunk_bytes).map_err(|e| e.to_string())));
        tty::session(output, Box::new(FuturesSink(Box::pin(writer))), resize).await?;
        self.exec_exit_code(&exec_id).await
    }

    async fn attach(&self, id: &str) -> Result<()> {
        self.attach_inner(id, None).await.map_err(|e| match e {
            AttachError::Engine(e) => e,
            AttachError::Before(_) => unreachable!("no before step"),
        })
    }

    async fn attach_after<'a>(
        &'a self,
        id: &'a str,
        before: BoxFuture<'a, anyhow::Result<()>>,
    ) -> anyhow::Result<()> {
        self.attach_inner(id, Some(before))
            .await
            .map_err(AttachError::into_anyhow)
    }

    async fn volume_create(&self, name: &str, labels: &BTreeMap<String, String>) -> Result<()> {
        if self.volume_exists(name).await? {
            return Ok(());
        }
        let opts = VolumeCreateOpts::builder()
            .name(name)
            .labels(labels.clone())
            .build();
        match self.podman.volumes().create(&opts).await {
            Ok(_) => Ok(()),
            // Created by a concurrent `jackin load` between the check and
            // the create: Podman 4.3 answers 500 "volume already exists".
            Err(e) if e.to_string().contains("already exists") => Ok(()),
            Err(e) => Err(self.err(format!("create volume '{name}'"), e)),
        }
    }

    async fn volume_exists(&self, name: &str) -> Result<bool> {
        self.podman
            .volumes()
            .get(name)
            .exists()
            .await
            .map_err(|e| self.err(format!("check volume '{name}'"), e))
    }

    async fn volume_remove(&self, name: &str) -> Result<()> {
        // Not `remove()`: podman-api 0.11 sends `force=true` there, which
        // also removes every container using the volume.
        match self.podman.volumes().get(name).delete().await {
            Ok(()) => Ok(()),
            Err(e) if is_404(&e) => Ok(()),
            Err(e) => Err(self.err(format!("remove volume '{name}'"), e)),
        }
    }

    async fn copy_from_container(&self, id: &str, path: &str) -> Result<Vec<u8>> {
        let container = self.podman.containers().get(id);
        let mut stream = Box::pin(container.copy_from(path));
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk =
                chunk.map_err(|e| self.err(format!("copy '{path}' from container '{id}'"), e))?;
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

impl PodmanEngine {
    /// [`Engine::attach`] / [`Engine::attach_after`]: connect, run `before`, then the session.
    async fn attach_inner(
        &self,
        id: &str,
        before: Option<BoxFuture<'_, anyhow::Result<()>>>,
    ) -> std::result::Result<(), AttachError> {
        let c = self.podman.containers().get(id);
        let opts = ContainerAttachOpts::builder()
            .stdin(true)
            .stdout(true)
            .stderr(true)
            .build();
        let mux = match c.attach(&opts).await {
            Ok(m) => m,
            Err(e) if no_such_container(&e) => return Err(self.not_found(id).into()),
            Err(e) => return Err(self.err(format!("attach to container '{id}'"), e).into()),
        };
        if let Some(before) = before {
            before.await.map_err(AttachError::Before)?;
        }
        let (reader, writer) = mux.split();
        let podman = self.podman.clone();
        let cid = id.to_string();
        let resize: Resize = Box::new(move |w, h| {
            let c = podman.containers().get(cid.clone());
            Box::pin(async move {
                let _ = c.resize(w as usize, h as usize).await;
            })
        });
        let output = Box::pin(reader.map(|c| c.map(chunk_bytes).map_err(|e| e.to_string())));
        Ok(tty::session(output, Box::new(FuturesSink(Box::pin(writer))), resize).await?)
    }
}
