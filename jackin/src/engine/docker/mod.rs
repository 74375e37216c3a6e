//! Docker backend: the Engine API through `bollard`, pinned to API version
//! 1.41 (Docker 20.10) because bollard 0.19 defaults to 1.49, which Docker
//! 20.10 rejects ("client version 1.49 is too new"). Newer daemons accept
//! 1.41 requests too.

mod spec;

use super::tty::{self, Resize, TokioSink};
use super::{
    probe_socket, socket_path, AttachError, BoxFuture, ContainerInfo, ContainerSpec, Engine,
    EngineError, ExecOutput, ExecSpec, ImageInfo, Result, DOCKER_HINT, EXEC_EXIT_POLLS,
    EXEC_EXIT_POLL_DELAY,
};
use crate::config::EngineKind;
use async_trait::async_trait;
use bollard::container::LogOutput;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::VolumeCreateOptions;
use bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptionsBuilder, ListContainersOptionsBuilder,
    LogsOptionsBuilder, RemoveContainerOptionsBuilder, RemoveVolumeOptions,
    ResizeContainerTTYOptionsBuilder, StopContainerOptionsBuilder, WaitContainerOptions,
};
use bollard::{ClientVersion, Docker};
use futures_util::StreamExt;
use std::collections::{BTreeMap, HashMap};

const ENGINE: &str = "docker";

/// The Engine API version jackin speaks (Docker 20.10).
pub const API_VERSION: ClientVersion = ClientVersion {
    major_version: 1,
    minor_version: 41,
};

/// Request timeout in seconds (long: `stop` may wait for the grace period).
const TIMEOUT_SECS: u64 = 300;

/// A Docker daemon reached over its unix socket.
pub struct DockerEngine {
    docker: Docker,
    socket: String,
}

fn status(e: &bollard::errors::Error) -> Option<u16> {
    match e {
        bollard::errors::Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// A 404 about the container itself (not, say, its network or image).
fn no_such_container(e: &bollard::errors::Error) -> bool {
    matches!(e, bollard::errors::Error::DockerResponseServerError { status_code: 404, message }
        if message.to_lowercase().contains("no such container"))
}

fn btree(m: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    m.unwrap_or_default().into_iter().collect()
}

/// A date from bollard's models (a String, chrono or time value depending
/// on bollard's features) as RFC 3339 text.
fn date_string<T: serde::Serialize>(d: &T) -> String {
    match serde_json::to_value(d) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn log_bytes(o: LogOutput) -> Vec<u8> {
    o.into_bytes().to_vec()
}

impl DockerEngine {
    /// A client for `socket` (`unix:///run/docker.sock`), API 1.41. Does not
    /// connect yet; call [`Engine::ping`].
    pub fn new(socket: &str) -> Result<DockerEngine> {
        let unreachable = |reason: String| EngineError::Unreachable {
            engine: ENGINE,
            socket: socket.to_string(),
            reason,
            hint: DOCKER_HINT.into(),
        };
        if !socket.starts_with("unix://") {
            return Err(unreachable("only unix:// sockets are supported".into()));
        }
        let docker = Docker::connect_with_unix(socket_path(socket), TIMEOUT_SECS, &API_VERSION)
            .map_err(|e| match e {
                bollard::errors::Error::SocketNotFoundError(_) => {
                    unreachable("no such socket file".into())
                }
                other => unreachable(other.to_string()),
            })?;
        Ok(DockerEngine {
            docker,
            socket: socket.to_string(),
        })
    }

    fn err(&self, op: impl Into<String>, e: bollard::errors::Error) -> EngineError {
        let message = match e {
            bollard::errors::Error::DockerResponseServerError {
                status_code,
                message,
            } => format!("{} ({status_code})", message.trim()),
            other => {
                if let Err(reason) = probe_socket(&self.socket) {
                    return self.unreachable(reason);
                }
                other.to_string()
            }
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
            hint: DOCKER_HINT.into(),
        }
    }

    fn not_found(&self, container: &str) -> EngineError {
        EngineError::ContainerNotFound {
            container: container.to_string(),
            engine: ENGINE,
            socket: self.socket.clone(),
        }
    }

    async fn create_exec(
        &self,
        id: &str,
        spec: &ExecSpec,
        tty: bool,
        stdin: bool,
    ) -> Result<String> {
        let opts = spec::exec_options(spec, tty, stdin);
        match self.docker.create_exec(id, opts).await {
            Ok(r) => Ok(r.id),
            Err(e) if no_such_container(&e) => Err(self.not_found(id)),
            Err(e) => Err(self.err(format!("exec in container '{id}'"), e)),
        }
    }

    async fn exec_exit_code(&self, exec_id: &str) -> Result<i64> {
        for _ in 0..EXEC_EXIT_POLLS {
            let r = self
                .docker
                .inspect_exec(exec_id)
                .await
                .map_err(|e| self.err(format!("inspect exec {exec_id}"), e))?;
            if r.running != Some(true) {
                return Ok(r.exit_code.unwrap_or(-1));
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

    async fn start_exec(&self, id: &str, exec_id: &str, tty: bool) -> Result<StartExecResults> {
        let opts = StartExecOptions {
            detach: false,
            tty,
            output_capacity: None,
        };
        self.docker
            .start_exec(exec_id, Some(opts))
            .await
            .map_err(|e| self.err(format!("exec in container '{id}'"), e))
    }
}

#[async_trait]
impl Engine for DockerEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Docker
    }

    fn socket(&self) -> &str {
        &self.socket
    }

    async fn ping(&self) -> Result<()> {
        probe_socket(&self.socket).map_err(|r| self.unreachable(r))?;
        self.docker.ping().await.map(|_| ()).map_err(|e| {
            self.unreachable(format!(
                "the socket does not answer the Docker API 1.41 ({e})"
            ))
        })
    }

    async fn image_inspect(&self, image: &str) -> Result<Option<ImageInfo>> {
        match self.docker.inspect_image(image).await {
            Ok(i) => {
                let config = i.config.unwrap_or_default();
                Ok(Some(ImageInfo {
                    id: i.id.unwrap_or_default(),
                    user: config.user.filter(|u| !u.is_empty()),
                    labels: btree(config.labels),
                }))
            }
            Err(e) if status(&e) == Some(404) => Ok(None),
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
        let body = spec::create_body(spec);
        let opts = CreateContainerOptionsBuilder::default()
            .name(&spec.name)
            .build();
        self.docker
            .create_container(Some(opts), body)
            .await
            .map(|r| r.id)
            .map_err(|e| self.err(format!("create container '{}'", spec.name), e))
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        match self
            .docker
            .start_container(id, None::<bollard::query_parameters::StartContainerOptions>)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if status(&e) == Some(304) => Ok(()),
            Err(e) if no_such_container(&e) => Err(self.not_found(id)),
            Err(e) => Err(self.err(format!("start container '{id}'"), e)),
        }
    }

    async fn stop_container(&self, id: &str, timeout_secs: u32) -> Result<()> {
        let opts = StopContainerOptionsBuilder::default()
            .t(timeout_secs as i32)
            .build();
        match self.docker.stop_container(id, Some(opts)).await {
            Ok(()) => Ok(()),
            Err(e) if status(&e) == Some(304) => Ok(()),
            Err(e) if no_such_container(&e) => Err(self.not_found(id)),
            Err(e) => Err(self.err(format!("stop container '{id}'"), e)),
        }
    }

    async fn remove_container(&self, id: &str, force: bool) -> Result<()> {
        let opts = RemoveContainerOptionsBuilder::default()
            .force(force)
            .build();
        match self.docker.remove_container(id, Some(opts)).await {
            Ok(()) => Ok(()),
            Err(e) if no_such_container(&e) => Err(self.not_found(id)),
            Err(e) => Err(self.err(format!("remove container '{id}'"), e)),
        }
    }

    async fn inspect_container(&self, name_or_id: &str) -> Result<Option<ContainerInfo>> {
        let r = match self
            .docker
            .inspect_container(
                name_or_id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
        {
            Ok(r) => r,
            Err(e) if status(&e) == Some(404) => return Ok(None),
            Err(e) => return Err(self.err(format!("inspect container '{name_or_id}'"), e)),
        };
        let state = r.state.unwrap_or_default();
        let config = r.config.unwrap_or_default();
        Ok(Some(ContainerInfo {
            id: r.id.unwrap_or_default(),
            name: r
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            image: config.image.or(r.image).unwrap_or_default(),
            running: state.running.unwrap_or(false),
            state: state.status.map(|s| s.to_string()).unwrap_or_default(),
            labels: btree(config.labels),
            created: r.created.as_ref().map(date_string).unwrap_or_default(),
        }))
    }

    async fn inspect_container_json(&self, name_or_id: &str) -> Result<Option<serde_json::Value>> {
        match self
            .docker
            .inspect_container(
                name_or_id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
        {
            Ok(r) => serde_json::to_value(r)
                .map(Some)
                .map_err(|e| EngineError::Api {
                    op: format!("inspect container '{name_or_id}'"),
                    engine: ENGINE,
                    socket: self.socket.clone(),
                    message: e.to_string(),
                }),
            Err(e) if status(&e) == Some(404) => Ok(None),
            Err(e) => Err(self.err(format!("inspect container '{name_or_id}'"), e)),
        }
    }

    async fn list_containers(&self, labels: &[(&str, Option<&str>)]) -> Result<Vec<ContainerInfo>> {
        let label_filters: Vec<String> = labels
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k.to_string(),
            })
            .collect();
        let mut filters: HashMap<String, Vec<String>> = HashMap::new();
        if !label_filters.is_empty() {
            filters.insert("label".into(), label_filters);
        }
        let opts = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let list = self
            .docker
            .list_containers(Some(opts))
            .await
            .map_err(|e| self.err("list containers", e))?;
        // The list's `Created` is Unix seconds; inspect each for the same
        // shape as `inspect_container` (a container gone meanwhile is skipped).
        let mut out = Vec::with_capacity(list.len());
        for c in list {
            if let Some(id) = c.id {
                if let Some(info) = self.inspect_container(&id).await? {
                    out.push(info);
                }
            }
        }
        Ok(out)
    }

    async fn container_logs(&self, id: &str) -> Result<Vec<u8>> {
        let opts = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .build();
        let mut stream = self.docker.logs(id, Some(opts));
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(o) => out.extend_from_slice(&log_bytes(o)),
                Err(e) if no_such_container(&e) => return Err(self.not_found(id)),
                Err(e) => return Err(self.err(format!("read logs of container '{id}'"), e)),
            }
        }
        Ok(out)
    }

    async fn wait_container(&self, id: &str) -> Result<i64> {
        let mut s = self.docker.wait_container(id, None::<WaitContainerOptions>);
        match s.next().await {
            Some(Ok(r)) => Ok(r.status_code),
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(e)) if no_such_container(&e) => Err(self.not_found(id)),
            Some(Err(e)) => Err(self.err(format!("wait for container '{id}'"), e)),
            None => Err(EngineError::Api {
                op: format!("wait for container '{id}'"),
                engine: ENGINE,
                socket: self.socket.clone(),
                message: "the engine closed the wait without a status".into(),
            }),
        }
    }

    async fn exec(&self, id: &str, spec: &ExecSpec) -> Result<ExecOutput> {
        let t = std::time::Instant::now();
        let exec_id = self
            .create_exec(id, spec, false, spec.stdin.is_some())
            .await?;
        let t = super::exec_phase("create", t);
        let (mut output, input) = match self.start_exec(id, &exec_id, false).await? {
            StartExecResults::Attached { output, input } => (output, input),
            StartExecResults::Detached => {
                return Err(EngineError::Api {
                    op: format!("exec in container '{id}'"),
                    engine: ENGINE,
                    socket: self.socket.clone(),
                    message: "the exec did not attach".into(),
                })
            }
        };
        let write = async move {
            let mut sink = TokioSink(input);
            if let Some(data) = &spec.stdin {
                // A process that exits without reading all of stdin is not
                // an error here; its exit code tells.
                let _ = tty::Sink::send(&mut sink, data).await;
            }
            let _ = tty::Sink::close(&mut sink).await;
        };
        let read = async {
            let mut out = ExecOutput::default();
            while let Some(chunk) = output.next().await {
                match chunk {
                    Ok(LogOutput::StdOut { message }) | Ok(LogOutput::Console { message }) => {
                        out.stdout.extend_from_slice(&message)
                    }
                    Ok(LogOutput::StdErr { message }) => out.stderr.extend_from_slice(&message),
                    Ok(LogOutput::StdIn { .. }) => {}
                    Err(e) => return Err(self.err(format!("exec in container '{id}'"), e)),
                }
            }
            Ok(out)
        };
        let t = super::exec_phase("start", t);
        let ((), out) = futures_util::join!(write, read);
        let mut out = out?;
        let t = super::exec_phase("stream (stdin in, output until exit)", t);
        out.exit_code = self.exec_exit_code(&exec_id).await?;
        super::exec_phase("exit code", t);
        Ok(out)
    }

    async fn exec_interactive(&self, id: &str, spec: &ExecSpec) -> Result<i64> {
        let exec_id = self.create_exec(id, spec, true, true).await?;
        let (output, input) = match self.start_exec(id, &exec_id, true).await? {
            StartExecResults::Attached { output, input } => (output, input),
            StartExecResults::Detached => {
                return Err(EngineError::Api {
                    op: format!("exec in container '{id}'"),
                    engine: ENGINE,
                    socket: self.socket.clone(),
                    message: "the exec did not attach".into(),
                })
            }
        };
        let docker = self.docker.clone();
        let rid = exec_id.clone();
        let resize: Resize = Box::new(move |w, h| {
            let docker = docker.clone();
            let rid = rid.clone();
            Box::pin(async move {
                let opts = bollard::exec::ResizeExecOptions {
                    width: w,
                    height: h,
                };
                let _ = docker.resize_exec(&rid, opts).await;
            })
        });
        let output = output.map(|c| c.map(log_bytes).map_err(|e| e.to_string()));
        tty::session(output, Box::new(TokioSink(input)), resize).await?;
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
        let opts = VolumeCreateOptions {
            name: Some(name.to_string()),
            labels: Some(labels.clone().into_iter().collect()),
            ..Default::default()
        };
        self.docker
            .create_volume(opts)
            .await
            .map(|_| ())
            .map_err(|e| self.err(format!("create volume '{name}'"), e))
    }

    async fn volume_exists(&self, name: &str) -> Result<bool> {
        match self.docker.inspect_volume(name).await {
            Ok(_) => Ok(true),
            Err(e) if status(&e) == Some(404) => Ok(false),
            Err(e) => Err(self.err(format!("check volume '{name}'"), e)),
        }
    }

    async fn volume_remove(&self, name: &str) -> Result<()> {
        match self
            .docker
            .remove_volume(name, None::<RemoveVolumeOptions>)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if status(&e) == Some(404) => Ok(()),
            Err(e) => Err(self.err(format!("remove volume '{name}'"), e)),
        }
    }

    async fn copy_from_container(&self, id: &str, path: &str) -> Result<Vec<u8>> {
        let opts = bollard::query_parameters::DownloadFromContainerOptionsBuilder::default()
            .path(path)
            .build();
        let mut stream = self.docker.download_from_container(id, Some(opts));
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk =
                chunk.map_err(|e| self.err(format!("copy '{path}' from container '{id}'"), e))?;
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

impl DockerEngine {
    /// [`Engine::attach`] / [`Engine::attach_after`]: connect, run `before`, then the session.
    async fn attach_inner(
        &self,
        id: &str,
        before: Option<BoxFuture<'_, anyhow::Result<()>>>,
    ) -> std::result::Result<(), AttachError> {
        let opts = AttachContainerOptionsBuilder::default()
            .stdin(true)
            .stdout(true)
            .stderr(true)
            .stream(true)
            .build();
        let r = match self.docker.attach_container(id, Some(opts)).await {
            Ok(r) => r,
            Err(e) if no_such_container(&e) => return Err(self.not_found(id).into()),
            Err(e) => return Err(self.err(format!("attach to container '{id}'"), e).into()),
        };
        if let Some(before) = before {
            before.await.map_err(AttachError::Before)?;
        }
        let docker = self.docker.clone();
        let cid = id.to_string();
        let resize: Resize = Box::new(move |w, h| {
            let docker = docker.clone();
            let cid = cid.clone();
            Box::pin(async move {
                let opts = ResizeContainerTTYOptionsBuilder::default()
                    .w(w as i32)
                    .h(h as i32)
                    .build();
                let _ = docker.resize_container_tty(&cid, opts).await;
            })
        });
        let output = r
            .output
            .map(|c| c.map(log_bytes).map_err(|e| e.to_string()));
        Ok(tty::session(output, Box::new(TokioSink(r.input)), resize).await?)
    }
}
