//! Reaching an engine: ping, kind detection, and errors that name the socket.

use jackin::engine::{connect, EngineError};
use jackin_tests::{engine, engine_test, EngineKind};

engine_test!(ping_answers_and_kind_is_right, |kind| {
    let e = engine(kind).await;
    assert_eq!(e.kind(), kind);
    assert!(e.socket().starts_with("unix:///"), "socket {}", e.socket());
    e.ping().await.expect("ping");
});

engine_test!(autodetect_on_a_socket_reads_its_kind, |kind| {
    // A Podman socket also answers the Docker API; auto-detection must
    // still say podman.
    let socket = engine(kind).await.socket().to_string();
    let e = connect(None, Some(&socket)).await.expect("autodetect");
    assert_eq!(e.kind(), kind, "socket {socket} detected as {:?}", e.kind());
});

engine_test!(
    missing_socket_error_names_socket_and_what_to_start,
    |kind| {
        let path = format!(
            "/tmp/jackin-test-no-such-{}-{}.sock",
            kind.as_str(),
            std::process::id()
        );
        let err = match connect(Some(kind), Some(&path)).await {
            Ok(_) => panic!("connected to a socket that does not exist"),
            Err(e) => e,
        };
        assert!(matches!(err, EngineError::Unreachable { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains(&format!("unix://{path}")), "{msg}");
        assert!(msg.contains(kind.as_str()), "{msg}");
        assert!(msg.contains("no such socket file"), "{msg}");
        let hint = match kind {
            EngineKind::Podman => "podman system service",
            EngineKind::Docker => "dockerd",
        };
        assert!(msg.contains(hint), "{msg}");
    }
);

engine_test!(refused_socket_error_says_refused, |kind| {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dead.sock");
    // A socket file nobody listens on: bind, then close the listener.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let path = path.to_str().unwrap().to_string();
    let err = match connect(Some(kind), Some(&path)).await {
        Ok(_) => panic!("connected to a dead socket"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(msg.contains(&path), "{msg}");
    assert!(msg.contains("connection refused"), "{msg}");
});
