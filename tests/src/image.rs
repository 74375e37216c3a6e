//! The busybox test images. Nothing can be pulled on the test machines, so
//! a root filesystem is built in memory from the host's static
//! `/bin/busybox` (package `busybox-static`) and imported with the engine's
//! CLI (`podman --remote --url … import` / `docker -H … import`), against the
//! same socket the tests use.
//!
//! Layout of both images:
//! - `/bin/busybox` and a link per applet (`busybox --list-full`), so
//!   `/bin/sh`, `id`, `env`, `cat`, `sha256sum`, `sleep`, … exist;
//! - `/etc/passwd`, `/etc/group` with `root` and the image's user (uid/gid
//!   1000), its home owned 1000:1000 (0755), `/tmp` 1777, `/root` 0700;
//! - `/usr/local/bin/probe`: prints `uid=`, `gid=`, `home=`, `user=`,
//!   `agent=` (the name it was called by), `args=`, then `env:NAME=value`
//!   lines (sorted), then `exec sleep 1000000`; `claude`, `codex`, `amp`,
//!   `opencode` in `/usr/local/bin` are links to it. The image `CMD` is the
//!   probe.
//!
//! [`PROBE_IMAGE`]: user `agent`, home `/home/agent`, no image `USER`.
//! [`PROBE_NODE_IMAGE`] (case C07): user `node`, home `/home/node`, image
//! `USER node`.

use crate::EngineKind;
use std::io::Write;
use std::process::Command;

/// The probe image with user `agent` (uid 1000) and no image `USER`.
pub const PROBE_IMAGE: &str = "localhost/jackin-test/probe:latest";
/// The probe image with user `node` (uid 1000) and image `USER node`.
pub const PROBE_NODE_IMAGE: &str = "localhost/jackin-test/probe-node:latest";
/// Bumped whenever the image content changes; an image carrying another
/// value in its `io.jackin.test.probe-version` label is rebuilt.
pub const PROBE_VERSION: &str = "1";
const VERSION_LABEL: &str = "io.jackin.test.probe-version";

/// The probe script (see the module docs).
pub const PROBE_SCRIPT: &str = r#"#!/bin/sh
echo "uid=$(id -u)"
echo "gid=$(id -g)"
echo "home=$HOME"
echo "user=$(id -un 2>/dev/null)"
echo "agent=$(basename "$0")"
echo "args=$*"
env | sort | sed 's/^/env:/'
exec sleep 1000000
"#;

struct Variant {
    image: &'static str,
    user: &'static str,
    home: &'static str,
    image_user: Option<&'static str>,
}

const AGENT: Variant = Variant {
    image: PROBE_IMAGE,
    user: "agent",
    home: "/home/agent",
    image_user: None,
};

const NODE: Variant = Variant {
    image: PROBE_NODE_IMAGE,
    user: "node",
    home: "/home/node",
    image_user: Some("node"),
};

/// Makes sure [`PROBE_IMAGE`] exists in `kind` (building and importing it
/// if missing or stale) and returns its name. Safe to call from many test
/// threads and processes at once (a lock file in the temp dir), and from
/// sync or async code. Panics with a clear message on failure.
pub fn ensure_probe_image(kind: EngineKind) -> String {
    ensure(kind, &AGENT)
}

/// Same as [`ensure_probe_image`] for [`PROBE_NODE_IMAGE`].
pub fn ensure_probe_node_image(kind: EngineKind) -> String {
    ensure(kind, &NODE)
}

fn ensure(kind: EngineKind, v: &'static Variant) -> String {
    // Own thread + runtime: callable from inside an async test.
    std::thread::spawn(move || ensure_blocking(kind, v))
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
}

fn ensure_blocking(kind: EngineKind, v: &Variant) -> String {
    let lock_path = std::env::temp_dir().join(format!("jackin-test-image-{}.lock", kind.as_str()));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap_or_else(|e| panic!("cannot open lock file {}: {e}", lock_path.display()));
    let _lock = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .unwrap_or_else(|(_, e)| panic!("cannot lock {}: {e}", lock_path.display()));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (socket, current) = rt.block_on(async {
        let e = crate::engine(kind).await;
        let info = e
            .image_inspect(v.image)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        (e.socket().to_string(), info)
    });
    if let Some(info) = current {
        if info.labels.get(VERSION_LABEL).map(String::as_str) == Some(PROBE_VERSION) {
            return v.image.to_string();
        }
    }
    let tar = rootfs_tar(v);
    let mut tmp = tempfile::Builder::new()
        .prefix("jackin-test-rootfs-")
        .suffix(".tar")
        .tempfile()
        .expect("temp file for the root filesystem");
    tmp.write_all(&tar).expect("write root filesystem tar");
    tmp.flush().expect("flush root filesystem tar");
    import(kind, &socket, tmp.path(), v);
    v.image.to_string()
}

fn import(kind: EngineKind, socket: &str, tar: &std::path::Path, v: &Variant) {
    let mut cmd = match kind {
        EngineKind::Podman => {
            let mut c = Command::new("podman");
            c.args(["--remote", "--url", socket]);
            c
        }
        EngineKind::Docker => {
            let mut c = Command::new("docker");
            c.args(["-H", socket]);
            c
        }
    };
    cmd.arg("import")
        .args(["--change", r#"CMD ["/usr/local/bin/probe"]"#])
        .args([
            "--change",
            &format!("LABEL {VERSION_LABEL}={PROBE_VERSION}"),
        ]);
    if let Some(u) = v.image_user {
        cmd.args(["--change", &format!("USER {u}")]);
    }
    cmd.arg(tar).arg(v.image);
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run the {} CLI to import the test image: {e} (install it: .ci/engines.sh)",
            kind.as_str()
        )
    });
    assert!(
        out.status.success(),
        "importing {} into {} at {socket} failed: {}",
        v.image,
        kind.as_str(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The root filesystem of a variant as an in-memory tar.
fn rootfs_tar(v: &Variant) -> Vec<u8> {
    let busybox = std::fs::read("/bin/busybox").unwrap_or_else(|e| {
        panic!("cannot read /bin/busybox ({e}): install busybox-static (.ci/engines.sh)")
    });
    let list = Command::new("/bin/busybox")
        .arg("--list-full")
        .output()
        .expect("run /bin/busybox --list-full");
    let applets = String::from_utf8_lossy(&list.stdout).to_string();

    let mut b = tar::Builder::new(Vec::new());
    let dirs: &[(&str, u32, u64)] = &[
        ("bin", 0o755, 0),
        ("sbin", 0o755, 0),
        ("usr", 0o755, 0),
        ("usr/bin", 0o755, 0),
        ("usr/sbin", 0o755, 0),
        ("usr/local", 0o755, 0),
        ("usr/local/bin", 0o755, 0),
        ("etc", 0o755, 0),
        ("home", 0o755, 0),
        ("root", 0o700, 0),
        ("tmp", 0o1777, 0),
        ("var", 0o755, 0),
        ("var/tmp", 0o1777, 0),
        ("run", 0o755, 0),
        ("proc", 0o755, 0),
        ("sys", 0o755, 0),
        ("dev", 0o755, 0),
    ];
    for (path, mode, uid) in dirs {
        dir(&mut b, path, *mode, *uid);
    }
    dir(&mut b, v.home.trim_start_matches('/'), 0o755, 1000);
    file(&mut b, "bin/busybox", &busybox, 0o755);
    for applet in applets.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if applet == "bin/busybox" {
            continue;
        }
        link(&mut b, applet, "/bin/busybox");
    }
    let passwd = format!(
        "root:x:0:0:root:/root:/bin/sh\n{u}:x:1000:1000::{h}:/bin/sh\n",
        u = v.user,
        h = v.home
    );
    let group = format!("root:x:0:\n{u}:x:1000:\n", u = v.user);
    file(&mut b, "etc/passwd", passwd.as_bytes(), 0o644);
    file(&mut b, "etc/group", group.as_bytes(), 0o644);
    file(
        &mut b,
        "usr/local/bin/probe",
        PROBE_SCRIPT.as_bytes(),
        0o755,
    );
    for agent in ["claude", "codex", "amp", "opencode"] {
        link(&mut b, &format!("usr/local/bin/{agent}"), "probe");
    }
    b.into_inner().expect("finish root filesystem tar")
}

fn header(kind: tar::EntryType, mode: u32, uid: u64, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_uid(uid);
    h.set_gid(uid);
    h.set_size(size);
    h.set_mtime(0);
    h
}

fn dir(b: &mut tar::Builder<Vec<u8>>, path: &str, mode: u32, uid: u64) {
    let mut h = header(tar::EntryType::Directory, mode, uid, 0);
    b.append_data(&mut h, format!("{path}/"), std::io::empty())
        .expect("tar dir");
}

fn file(b: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8], mode: u32) {
    let mut h = header(tar::EntryType::Regular, mode, 0, data.len() as u64);
    b.append_data(&mut h, path, data).expect("tar file");
}

fn link(b: &mut tar::Builder<Vec<u8>>, path: &str, target: &str) {
    let mut h = header(tar::EntryType::Symlink, 0o777, 0, 0);
    b.append_link(&mut h, path, target).expect("tar symlink");
}
