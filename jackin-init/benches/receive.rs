//! Benchmarks of `jackin-init receive` applying a four-agent bundle
//! (claude, codex, amp, opencode, all `sync`: five files written, one JSON
//! patched) into a temporary container root (`JACKIN_INIT_ROOT`).
//!
//! - `receive/in_process` (criterion): [`jackin_init::apply::receive`]
//!   called in this process, bundle parse + validation + apply.
//! - whole process: the real binary (`$JACKIN_INIT_BIN`, e.g. the static
//!   build from `scripts/build-init.sh`, else cargo's build) spawned with the
//!   bundle on stdin, until it exits; prints the median and p90 wall time in
//!   milliseconds over `JACKIN_BENCH_RUNS` runs (default 200) and the peak
//!   RSS in KiB (`wait4`'s `ru_maxrss`), and the binary's size in bytes.
//!
//! Run: `cargo bench -p jackin-init --bench receive` (as root: `receive`
//! chowns to the bundle's user). `bench/run.sh` runs it with the static binary.

use criterion::Criterion;
use jackin_init::bundle::{write_bundle, BundleFile};
use jackin_init::manifest::{Action, AgentPlan, FileAction, FileOp, Manifest, FORMAT_VERSION};
use jackin_init::root::Root;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const UID: u32 = 4242;
const GID: u32 = 4343;

fn write(path: &str, entry: &str) -> FileOp {
    FileOp {
        path: path.into(),
        op: FileAction::Write {
            entry: entry.into(),
        },
    }
}

fn agent(name: &str, files: Vec<FileOp>) -> AgentPlan {
    AgentPlan {
        agent: name.into(),
        mode: "sync".into(),
        action: Action::Synced,
        files,
        env: Default::default(),
    }
}

/// The four-agent bundle, as jackin would stream it.
fn four_agent_bundle() -> Vec<u8> {
    let patch = serde_json::json!({
        "oauthAccount": {"accountUuid": "u", "emailAddress": "someone@example.com"},
        "hasCompletedOnboarding": true
    });
    let manifest = Manifest {
        version: FORMAT_VERSION,
        user: Some("agent".into()),
        agents: vec![
            agent(
                "claude",
                vec![
                    write(".claude/.credentials.json", "claude-0"),
                    FileOp {
                        path: ".claude.json".into(),
                        op: FileAction::PatchJson {
                            remove: vec![],
                            set: patch.as_object().unwrap().clone(),
                            create: true,
                        },
                    },
                ],
            ),
            agent("codex", vec![write(".codex/auth.json", "codex-0")]),
            agent("amp", vec![write(".local/share/amp/secrets.json", "amp-0")]),
            agent(
                "opencode",
                vec![write(".local/share/opencode/auth.json", "opencode-0")],
            ),
        ],
    };
    let file = |entry: &str, data: &str| BundleFile {
        entry: entry.into(),
        data: data.as_bytes().to_vec(),
    };
    let files = vec![
        file(
            "claude-0",
            r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-bench","refreshToken":"sk-ant-ort01-bench","expiresAt":4102444800000,"scopes":["user:inference","user:profile"],"subscriptionType":"max"}}"#,
        ),
        file("codex-0", r#"{"OPENAI_API_KEY":"sk-bench"}"#),
        file(
            "amp-0",
            r#"{"apiKey@https://ampcode.com/":"sgamp_user_bench"}"#,
        ),
        file(
            "opencode-0",
            r#"{"anthropic":{"type":"api","key":"sk-bench"}}"#,
        ),
    ];
    let mut out = Vec::new();
    write_bundle(&manifest, &files, &mut out).expect("bundle");
    out
}

/// A container root: `/etc/passwd`, `/etc/group`, `/run/jackin` (0700),
/// the user's home owned by the user.
fn container_root() -> TempRoot {
    assert!(
        nix::unistd::geteuid().is_root(),
        "the receive benchmark must run as root (receive chowns files to the container user)"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let p = |rel: &str| dir.path().join(rel);
    std::fs::create_dir_all(p("etc")).unwrap();
    std::fs::write(
        p("etc/passwd"),
        format!("root:x:0:0:root:/root:/bin/sh\nagent:x:{UID}:{GID}::/home/agent:/bin/sh\n"),
    )
    .unwrap();
    std::fs::write(p("etc/group"), format!("root:x:0:\nagent:x:{GID}:\n")).unwrap();
    // In a container `/run/jackin` is a tmpfs and the home a volume on disk:
    // the same here (the tmpfs from /dev/shm when there is one).
    std::fs::create_dir_all(p("run")).unwrap();
    let shm = Path::new("/dev/shm");
    let run = if shm.is_dir() {
        let t = tempfile::tempdir_in(shm).expect("temp dir in /dev/shm");
        std::os::unix::fs::symlink(t.path(), p("run/jackin")).unwrap();
        Some(t)
    } else {
        std::fs::create_dir_all(p("run/jackin")).unwrap();
        None
    };
    std::fs::set_permissions(p("run/jackin"), std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::create_dir_all(p("home/agent")).unwrap();
    std::os::unix::fs::chown(p("home/agent"), Some(UID), Some(GID)).unwrap();
    TempRoot { dir, _run: run }
}

/// A temporary container root (and its tmpfs part), removed on drop.
struct TempRoot {
    dir: tempfile::TempDir,
    _run: Option<tempfile::TempDir>,
}

impl TempRoot {
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn binary() -> PathBuf {
    std::env::var_os("JACKIN_INIT_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // benches run from target/release/deps; cargo's build is beside it.
            let exe = std::env::current_exe().unwrap();
            exe.parent().unwrap().parent().unwrap().join("jackin-init")
        })
}

/// One whole-process run: wall time and peak RSS (KiB) of the child. The
/// child is reaped with `wait4` (for its rusage), not `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run_once(bin: &Path, root: &Path, bundle: &[u8]) -> (Duration, i64) {
    let start = Instant::now();
    let mut child = Command::new(bin)
        .arg("receive")
        .env("JACKIN_INIT_ROOT", root)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    child.stdin.take().unwrap().write_all(bundle).unwrap();
    let pid = child.id() as nix::libc::pid_t;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value; wait4 fills it for our child.
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own un-reaped child; the pointers are valid.
    let r = unsafe { nix::libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = start.elapsed();
    assert_eq!(r, pid, "wait4 failed");
    assert!(
        nix::libc::WIFEXITED(status) && nix::libc::WEXITSTATUS(status) == 0,
        "receive failed (status {status}): {}",
        {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut s);
            s
        }
    );
    (elapsed, usage.ru_maxrss)
}

fn whole_process(bundle: &[u8]) {
    let bin = binary();
    let runs: usize = std::env::var("JACKIN_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let root = container_root();
    // Warm-up (page cache, first-write folder creation).
    for _ in 0..5 {
        run_once(&bin, root.path(), bundle);
    }
    let mut times = Vec::with_capacity(runs);
    let mut peak = 0;
    for _ in 0..runs {
        let (t, rss) = run_once(&bin, root.path(), bundle);
        times.push(t.as_secs_f64() * 1000.0);
        peak = peak.max(rss);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = times[times.len() / 2];
    let p90 = times[times.len() * 9 / 10];
    let size = std::fs::metadata(&bin).map(|m| m.len()).unwrap_or(0);
    println!(
        "receive/whole_process: binary {} ({size} bytes, {:.2} MiB), {runs} runs, bundle {} bytes: \
         median {median:.3} ms, p90 {p90:.3} ms, min {:.3} ms; peak RSS {peak} KiB",
        bin.display(),
        size as f64 / 1048576.0,
        bundle.len(),
        times[0],
    );
}

fn in_process(c: &mut Criterion, bundle: &[u8]) {
    let root = container_root();
    let r = Root::with_prefix(root.path().to_path_buf());
    c.bench_function("receive/in_process", |b| {
        b.iter(|| {
            let reports = jackin_init::apply::receive(bundle, &r).expect("receive");
            assert_eq!(reports.len(), 4);
        })
    });
}

fn main() {
    let bundle = four_agent_bundle();
    // `cargo test --benches` runs benches once in test mode: keep it short.
    let test_mode = std::env::args().any(|a| a == "--test");
    if test_mode {
        std::env::set_var("JACKIN_BENCH_RUNS", "3");
    }
    whole_process(&bundle);
    let mut c = Criterion::default()
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    in_process(&mut c, &bundle);
    c.final_summary();
}
