//! Test helper: runs one terminal session through the engine trait so tests
//! can drive it over a pipe or a pseudo-terminal.
//!
//! ```text
//! jackin-engine-session podman|docker exec CONTAINER [--user U] -- CMD...
//! jackin-engine-session podman|docker attach CONTAINER
//! ```
//!
//! Exits with the exec's exit code (attach: 0), or 1 with a message.

use jackin::config::EngineKind;
use jackin::engine::ExecSpec;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: jackin-engine-session podman|docker exec CONTAINER [--user U] -- CMD... | attach CONTAINER";
    if args.len() < 3 {
        eprintln!("{usage}");
        std::process::exit(2);
    }
    let kind = match args[0].as_str() {
        "podman" => EngineKind::Podman,
        "docker" => EngineKind::Docker,
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let code = rt.block_on(async {
        let host = jackin_tests::test_host(kind);
        let e = match jackin::engine::connect(Some(kind), host.as_deref()).await {
            Ok(e) => e,
            Err(err) => {
                eprintln!("{err}");
                return 1;
            }
        };
        let container = &args[2];
        let res = match args[1].as_str() {
            "exec" => {
                let mut user = None;
                let mut rest = args[3..].iter();
                let mut cmd = Vec::new();
                while let Some(a) = rest.next() {
                    match a.as_str() {
                        "--user" => user = rest.next().cloned(),
                        "--" => {
                            cmd = rest.cloned().collect();
                            break;
                        }
                        _ => {}
                    }
                }
                let spec = ExecSpec {
                    cmd,
                    user,
                    ..Default::default()
                };
                e.exec_interactive(container, &spec).await
            }
            "attach" => e.attach(container).await.map(|()| 0),
            _ => {
                eprintln!("{usage}");
                return 2;
            }
        };
        match res {
            Ok(code) => code as i32,
            Err(err) => {
                eprintln!("{err}");
                1
            }
        }
    });
    std::process::exit(code);
}
