//! `jackin console` outside a terminal: its help explains the keys, it
//! refuses to start without a TTY, and an invalid config.toml is reported
//! (file, line, column) before the terminal is touched.

use std::process::{Command, Stdio};

fn jackin(cfg: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_jackin"))
        .args(args)
        .env("JACKIN_CONFIG_DIR", cfg)
        .env("HOME", cfg)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn help_explains_the_keys() {
    let d = tempfile::tempdir().unwrap();
    let o = jackin(d.path(), &["console", "--help"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    for k in ["Enter", "Esc", "Tab", "?", "NO_COLOR", "save", "quit"] {
        assert!(out.contains(k), "--help mentions {k}:\n{out}");
    }
}

#[test]
fn refuses_without_a_terminal() {
    let d = tempfile::tempdir().unwrap();
    let o = jackin(d.path(), &["console"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("needs an interactive terminal"), "{err}");
}

#[test]
fn invalid_config_is_reported_with_its_position() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("config.toml"),
        "[claude]\nauth_forward = \"bogus\"\n",
    )
    .unwrap();
    let o = jackin(d.path(), &["console"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("config.toml:2:"), "{err}");
}
