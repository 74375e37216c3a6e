//! Makes sure the busybox probe image (`localhost/jackin-test/probe:latest`)
//! exists in the engines named on the command line (`podman`, `docker`;
//! default both), building and importing it when missing, and prints its
//! name. Used by `bench/launch.sh`; the tests call
//! [`jackin_tests::ensure_probe_image`] directly.

use jackin_tests::{ensure_probe_image, EngineKind};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kinds: Vec<EngineKind> = if args.is_empty() {
        jackin_tests::ALL_ENGINES.to_vec()
    } else {
        args.iter()
            .map(|a| match a.as_str() {
                "podman" => EngineKind::Podman,
                "docker" => EngineKind::Docker,
                other => {
                    eprintln!(
                        "jackin-probe-image: unknown engine '{other}' (use podman or docker)"
                    );
                    std::process::exit(2)
                }
            })
            .collect()
    };
    for k in kinds {
        println!("{}: {}", k.as_str(), ensure_probe_image(k));
    }
}
