//! Shared helpers of the integration tests: a temporary container root
//! (fake `/etc/passwd`, home, `/run/jackin`), the binary under test, and
//! hand-made tar streams for hostile bundles.
#![allow(dead_code)]

use jackin_init::bundle::{write_bundle, BundleFile};
use jackin_init::manifest::{Action, AgentPlan, FileAction, FileOp, Manifest, FORMAT_VERSION};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const UID: u32 = 4242;
pub const GID: u32 = 4343;

/// The binary under test: `JACKIN_INIT_BIN` (e.g. the static build from
/// `scripts/build-init.sh --test`) or cargo's build of this crate.
pub fn bin() -> PathBuf {
    std::env::var_os("JACKIN_INIT_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_jackin-init").into())
}

/// These tests chown and setuid: root is required (CI runs them as root).
pub fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "jackin-init integration tests must run as root (they chown files and drop privileges)"
    );
}

pub struct Container {
    pub dir: tempfile::TempDir,
}

impl Container {
    pub fn new() -> Self {
        require_root();
        let dir = tempfile::tempdir().unwrap();
        let c = Container { dir };
        std::fs::create_dir_all(c.path("etc")).unwrap();
        std::fs::write(
            c.path("etc/passwd"),
            format!(
                "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n\
                 agent:x:{UID}:{GID}:Agent:/home/agent:/bin/sh\n"
            ),
        )
        .unwrap();
        std::fs::write(
            c.path("etc/group"),
            format!("root:x:0:\nagent:x:{GID}:\nextra:x:777:agent\n"),
        )
        .unwrap();
        std::fs::create_dir_all(c.path("run/jackin")).unwrap();
        std::fs::set_permissions(c.path("run/jackin"), std::fs::Permissions::from_mode(0o700))
            .unwrap();
        std::fs::create_dir_all(c.path("home/agent")).unwrap();
        std::os::unix::fs::chown(c.path("home/agent"), Some(UID), Some(GID)).unwrap();
        c
    }

    /// Real path of a container path (without leading `/`).
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn home(&self, rel: &str) -> PathBuf {
        self.path("home/agent").join(rel)
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.args(args)
            .env("JACKIN_INIT_ROOT", self.dir.path())
            .env_remove("JACKIN_INIT_TIMEOUT_SECS")
            .env_remove("JACKIN_INIT_TEST_ABORT_AFTER_WRITES")
            .current_dir("/");
        c
    }

    /// Runs `jackin-init receive` with `bundle` on stdin.
    pub fn receive(&self, bundle: &[u8]) -> Output {
        self.receive_with(bundle, &[])
    }

    pub fn receive_with(&self, bundle: &[u8], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.cmd(&["receive"]);
        cmd.envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        // The binary may refuse early and close stdin: ignore broken pipes.
        let _ = child.stdin.take().unwrap().write_all(bundle);
        child.wait_with_output().unwrap()
    }

    /// Every path under the root with mode, owner and content, to prove
    /// that a refused bundle changed nothing.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, (u32, u32, u32, Vec<u8>)> {
        let mut out = BTreeMap::new();
        snap(self.dir.path(), self.dir.path(), &mut out);
        out
    }
}

fn snap(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, (u32, u32, u32, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let m = std::fs::symlink_metadata(&p).unwrap();
        let content = if m.is_file() {
            std::fs::read(&p).unwrap()
        } else if m.file_type().is_symlink() {
            std::fs::read_link(&p)
                .unwrap()
                .into_os_string()
                .into_encoded_bytes()
        } else {
            Vec::new()
        };
        out.insert(
            p.strip_prefix(base).unwrap().into(),
            (m.mode(), m.uid(), m.gid(), content),
        );
        if m.is_dir() {
            snap(base, &p, out);
        }
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn plan(
    agent: &str,
    mode: &str,
    action: Action,
    files: Vec<FileOp>,
    env: &[(&str, &str)],
) -> AgentPlan {
    AgentPlan {
        agent: agent.into(),
        mode: mode.into(),
        action,
        files,
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

pub fn write_op(path: &str, entry: &str) -> FileOp {
    FileOp {
        path: path.into(),
        op: FileAction::Write {
            entry: entry.into(),
        },
    }
}

pub fn manifest(agents: Vec<AgentPlan>) -> Manifest {
    Manifest {
        version: FORMAT_VERSION,
        user: None,
        agents,
    }
}

/// A well-formed bundle made with the library's own writer.
pub fn bundle(m: &Manifest, files: &[(&str, &[u8])]) -> Vec<u8> {
    let files: Vec<BundleFile> = files
        .iter()
        .map(|(e, d)| BundleFile {
            entry: e.to_string(),
            data: d.to_vec(),
        })
        .collect();
    let mut buf = Vec::new();
    write_bundle(m, &files, &mut buf).unwrap();
    buf
}

/// A hand-made ustar header: any name, type flag and size field (so
/// hostile shapes the `tar` crate's builder would refuse can be made).
pub fn raw_header(name: &str, typeflag: u8, size_field: &str, link: &str) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000600\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..124 + size_field.len()].copy_from_slice(size_field.as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = typeflag;
    h[157..157 + link.len()].copy_from_slice(link.as_bytes());
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| *b as u32).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// A raw regular-file entry (header + padded data).
pub fn raw_file(name: &str, data: &[u8]) -> Vec<u8> {
    let mut v = raw_header(name, b'0', &format!("{:011o}", data.len()), "").to_vec();
    v.extend_from_slice(data);
    v.resize(v.len().div_ceil(512) * 512, 0);
    v
}

/// The manifest entry of `m`, raw.
pub fn raw_manifest(m: &Manifest) -> Vec<u8> {
    raw_file("manifest.json", &serde_json::to_vec(m).unwrap())
}

/// Ends a raw stream with the two zero blocks.
pub fn end(mut v: Vec<u8>) -> Vec<u8> {
    v.extend_from_slice(&[0u8; 1024]);
    v
}
