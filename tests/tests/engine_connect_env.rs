//! Auto-detection with nothing reachable. Alone in its own test binary
//! because it sets `CONTAINER_HOST` / `DOCKER_HOST` for the process.

use jackin::engine::connect;

#[test]
fn autodetect_failure_lists_every_socket_tried() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let podman = dir.path().join("podman.sock");
    let docker = dir.path().join("docker.sock");
    // Point both engines' variables at missing sockets.
    std::env::set_var("CONTAINER_HOST", format!("unix://{}", podman.display()));
    std::env::set_var("DOCKER_HOST", format!("unix://{}", docker.display()));
    let res = rt.block_on(connect(None, None));
    std::env::remove_var("CONTAINER_HOST");
    std::env::remove_var("DOCKER_HOST");
    let msg = match res {
        Ok(e) => panic!("connected to {}", e.socket()),
        Err(e) => e.to_string(),
    };
    assert!(msg.contains(&podman.display().to_string()), "{msg}");
    assert!(msg.contains(&docker.display().to_string()), "{msg}");
    assert!(
        msg.contains("CONTAINER_HOST") && msg.contains("DOCKER_HOST"),
        "{msg}"
    );
}
