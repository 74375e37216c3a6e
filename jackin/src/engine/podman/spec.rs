//! Translating jackin's [`ContainerSpec`] / [`ExecSpec`] into libpod
//! request options, and tidying libpod error text.

use crate::engine::{ContainerSpec, ExecSpec};
use podman_api::models::{ContainerMount, NamedVolume, Namespace};
use podman_api::opts::{ContainerCreateOpts, ExecCreateOpts, UserOpt};

/// The libpod `containers/create` body for `spec`: binds and tmpfs as OCI
/// mounts (`rbind` + `ro`/`rw`; tmpfs options split on commas), named
/// volumes, TTY + open stdin together, the engine's init, and the network
/// (`none`/`host`/`private` as a namespace mode, any other value as a
/// network name on a bridge namespace).
pub(super) fn create_opts(spec: &ContainerSpec) -> ContainerCreateOpts {
    let mut mounts: Vec<ContainerMount> = spec
        .binds
        .iter()
        .map(|b| ContainerMount {
            destination: Some(b.dst.clone()),
            options: Some(if b.readonly {
                vec!["rbind".into(), "ro".into()]
            } else {
                vec!["rbind".into(), "rw".into()]
            }),
            source: Some(b.src.clone()),
            _type: Some("bind".into()),
            uid_mappings: None,
            gid_mappings: None,
        })
        .collect();
    mounts.extend(spec.tmpfs.iter().map(|(dst, opts)| {
        ContainerMount {
            destination: Some(dst.clone()),
            options: Some(
                opts.split(',')
                    .filter(|o| !o.is_empty())
                    .map(String::from)
                    .collect(),
            ),
            source: Some("tmpfs".into()),
            _type: Some("tmpfs".into()),
            uid_mappings: None,
            gid_mappings: None,
        }
    }));
    let volumes: Vec<NamedVolume> = spec
        .volumes
        .iter()
        .map(|v| NamedVolume {
            dest: Some(v.dst.clone()),
            is_anonymous: None,
            name: Some(v.name.clone()),
            options: None,
        })
        .collect();
    let mut b = ContainerCreateOpts::builder()
        .name(spec.name.clone())
        .image(spec.image.clone())
        .labels(spec.labels.clone())
        .mounts(mounts)
        .volumes(volumes)
        .terminal(spec.tty)
        .stdin(spec.tty)
        .init(spec.init);
    if !spec.entrypoint.is_empty() {
        b = b.entrypoint(spec.entrypoint.clone());
    }
    if !spec.cmd.is_empty() {
        b = b.command(spec.cmd.clone());
    }
    if let Some(u) = &spec.user {
        b = b.user(u.clone());
    }
    if !spec.env.is_empty() {
        b = b.env(spec.env.iter().cloned());
    }
    if let Some(w) = &spec.workdir {
        b = b.work_dir(w.clone());
    }
    match spec.network.as_deref() {
        None => {}
        Some(mode @ ("none" | "host" | "private")) => {
            b = b.net_namespace(Namespace {
                nsmode: Some(mode.to_string()),
                value: None,
            });
        }
        Some(net) => {
            b = b
                .net_namespace(Namespace {
                    nsmode: Some("bridge".into()),
                    value: None,
                })
                .networks([(net.to_string(), serde_json::json!({}))]);
        }
    }
    b.build()
}

/// The libpod `exec` create body: stdout/stderr always attached, stdin
/// when `stdin`, a TTY when `tty`.
pub(super) fn exec_opts(spec: &ExecSpec, tty: bool, stdin: bool) -> ExecCreateOpts {
    let mut b = ExecCreateOpts::builder()
        .command(spec.cmd.clone())
        .attach_stdout(true)
        .attach_stderr(true)
        .attach_stdin(stdin)
        .tty(tty);
    if !spec.env.is_empty() {
        b = b.env(spec.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
    if let Some(u) = &spec.user {
        b = b.user(UserOpt::User(u.clone()));
    }
    if let Some(w) = &spec.workdir {
        b = b.working_dir(w.clone());
    }
    b.build()
}

/// Podman's errors read `message: cause`, and the message often already
/// ends with the cause: keep one copy.
pub(super) fn dedupe_cause(message: &str) -> String {
    let m = message.trim().trim_end_matches(':').trim();
    match m.rsplit_once(": ") {
        Some((head, tail)) if head.ends_with(tail) => dedupe_cause(head),
        _ => m.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::dedupe_cause;

    #[test]
    fn repeated_cause_is_kept_once() {
        assert_eq!(
            dedupe_cause("statfs /x: no such file or directory: no such file or directory"),
            "statfs /x: no such file or directory"
        );
        assert_eq!(
            dedupe_cause("exec failed: container state improper: container state improper"),
            "exec failed: container state improper"
        );
        assert_eq!(dedupe_cause("plain message"), "plain message");
        assert_eq!(dedupe_cause("a: b"), "a: b");
    }
}
