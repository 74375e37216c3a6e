//! The `jackin-init` binary: `receive`, `run`, `exec` (see the crate docs
//! and `shared/SPEC.md` §8). Argv is parsed by hand to keep the static
//! binary small.

use jackin_init::launch::{launch, timeout_from_env, Kind, Launch, EXEC_TIMEOUT, RUN_TIMEOUT};
use jackin_init::root::Root;
use std::ffi::OsString;
use std::io::Write;
use std::process::exit;

const USAGE: &str = "usage:
  jackin-init receive                          read a bundle on stdin and apply it
  jackin-init run  [--agent A] [--handoff SOCKET] [--] [CMD...]
                                               take the bundle (from SOCKET if jackin offers it,
                                               else from `receive`), then exec CMD as the container user
  jackin-init exec [--agent A] [--] [CMD...]   the same for a later session (short wait)
CMD defaults to the user's login shell. Exit codes: 0 ok, 1 failure, 2 usage.";

fn usage(msg: &str) -> ! {
    eprintln!("jackin-init: {msg}\n{USAGE}");
    exit(2)
}

fn fail(e: jackin_init::error::Error) -> ! {
    eprintln!("jackin-init: {e}");
    exit(1)
}

fn parse_launch(kind: Kind, args: &[OsString]) -> Launch {
    let mut agent = None;
    let mut handoff = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].to_string_lossy();
        if a == "--" {
            i += 1;
            break;
        } else if a == "--agent" {
            let v = args
                .get(i + 1)
                .unwrap_or_else(|| usage("--agent needs a value"));
            agent = Some(v.to_string_lossy().into_owned());
            i += 2;
        } else if let Some(v) = a.strip_prefix("--agent=") {
            agent = Some(v.to_string());
            i += 1;
        } else if a == "--handoff" && kind == Kind::Run {
            let v = args
                .get(i + 1)
                .unwrap_or_else(|| usage("--handoff needs a socket path"));
            handoff = Some(v.to_string_lossy().into_owned());
            i += 2;
        } else if a.starts_with('-') {
            usage(&format!("unknown option `{a}`"));
        } else {
            break;
        }
    }
    let default = if kind == Kind::Run {
        RUN_TIMEOUT
    } else {
        EXEC_TIMEOUT
    };
    let timeout = timeout_from_env(default).unwrap_or_else(|e| usage(e.message()));
    Launch {
        kind,
        agent,
        command: args[i..].to_vec(),
        timeout,
        handoff,
    }
}

fn main() {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let Some(sub) = args.first().map(|s| s.to_string_lossy().into_owned()) else {
        usage("missing subcommand");
    };
    let root = Root::from_env();
    match sub.as_str() {
        "receive" => {
            if args.len() > 1 {
                usage("`receive` takes no arguments (the bundle comes on stdin)");
            }
            let reports = jackin_init::apply::receive(std::io::stdin().lock(), &root)
                .unwrap_or_else(|e| fail(e));
            let mut out = std::io::stdout().lock();
            for r in &reports {
                let line = serde_json::to_string(r).expect("a report serializes");
                let _ = writeln!(out, "{line}");
            }
            let _ = out.flush();
        }
        "run" => fail(launch(&root, &parse_launch(Kind::Run, &args[1..]))),
        "exec" => fail(launch(&root, &parse_launch(Kind::Exec, &args[1..]))),
        "-h" | "--help" | "help" => println!("{USAGE}"),
        "-V" | "--version" => println!("jackin-init {}", env!("CARGO_PKG_VERSION")),
        other => usage(&format!("unknown subcommand `{other}`")),
    }
}
