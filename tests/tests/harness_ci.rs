//! The harness under CI: every engine is tested, and a missing engine is a
//! failure with a message naming the socket, never a skip. Alone in its own
//! test binary because it sets process environment variables.

use jackin_tests::{engine, engines, EngineKind};

#[test]
fn under_ci_all_engines_run_and_a_missing_engine_fails() {
    std::env::set_var("CI", "true");
    std::env::set_var("JACKIN_TEST_ENGINES", "docker");
    assert_eq!(engines(), vec![EngineKind::Podman, EngineKind::Docker]);
    std::env::remove_var("CI");
    assert_eq!(engines(), vec![EngineKind::Docker]);
    std::env::remove_var("JACKIN_TEST_ENGINES");

    let dead = format!("/tmp/jackin-test-dead-{}.sock", std::process::id());
    std::env::set_var("JACKIN_TEST_PODMAN_HOST", &dead);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(engine(EngineKind::Podman));
    }))
    .expect_err("an unreachable engine must fail the test");
    std::env::remove_var("JACKIN_TEST_PODMAN_HOST");
    let msg = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains(&dead), "{msg}");
    assert!(msg.contains("engines.sh"), "{msg}");
}
