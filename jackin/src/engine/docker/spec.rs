//! Translating jackin's [`ContainerSpec`] / [`ExecSpec`] into Engine API
//! 1.41 request bodies.

use crate::engine::{env_strings, ContainerSpec, ExecSpec};
use bollard::exec::CreateExecOptions;
use bollard::models::{ContainerCreateBody, HostConfig, Mount, MountTypeEnum};
use std::collections::HashMap;

/// The `containers/create` body for `spec`: binds and named volumes as
/// `Mounts` (a missing bind source is an error, not a new folder), tmpfs
/// as `HostConfig.Tmpfs`, `Init`, `NetworkMode`, and with a TTY also open,
/// attached stdin/stdout/stderr (what `docker run -it` sends).
pub(super) fn create_body(spec: &ContainerSpec) -> ContainerCreateBody {
    let mut mounts: Vec<Mount> = spec
        .binds
        .iter()
        .map(|b| Mount {
            target: Some(b.dst.clone()),
            source: Some(b.src.clone()),
            typ: Some(MountTypeEnum::BIND),
            read_only: Some(b.readonly),
            ..Default::default()
        })
        .collect();
    mounts.extend(spec.volumes.iter().map(|v| Mount {
        target: Some(v.dst.clone()),
        source: Some(v.name.clone()),
        typ: Some(MountTypeEnum::VOLUME),
        read_only: Some(false),
        ..Default::default()
    }));
    let tmpfs: HashMap<String, String> = spec.tmpfs.iter().cloned().collect();
    let host_config = HostConfig {
        mounts: Some(mounts),
        tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
        init: Some(spec.init),
        network_mode: spec.network.clone(),
        ..Default::default()
    };
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        entrypoint: (!spec.entrypoint.is_empty()).then(|| spec.entrypoint.clone()),
        cmd: (!spec.cmd.is_empty()).then(|| spec.cmd.clone()),
        user: spec.user.clone(),
        env: (!spec.env.is_empty()).then(|| env_strings(&spec.env)),
        labels: Some(spec.labels.clone().into_iter().collect()),
        working_dir: spec.workdir.clone(),
        tty: Some(spec.tty),
        open_stdin: Some(spec.tty),
        attach_stdin: Some(spec.tty),
        attach_stdout: Some(spec.tty),
        attach_stderr: Some(spec.tty),
        host_config: Some(host_config),
        ..Default::default()
    }
}

/// The `exec` create body: stdout/stderr always attached, stdin when
/// `stdin`, a TTY when `tty`.
pub(super) fn exec_options(spec: &ExecSpec, tty: bool, stdin: bool) -> CreateExecOptions<String> {
    CreateExecOptions::<String> {
        attach_stdin: Some(stdin),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(tty),
        env: (!spec.env.is_empty()).then(|| env_strings(&spec.env)),
        cmd: Some(spec.cmd.clone()),
        user: spec.user.clone(),
        working_dir: spec.workdir.clone(),
        ..Default::default()
    }
}
