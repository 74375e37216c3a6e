//! Bad input (shared/SPEC.md §11) from the command line, no engine needed:
//! every case must print a clear `error: …` (what failed, where, what to
//! do), exit 1 (failure) or 2 (usage), print no backtrace, and change
//! nothing on disk (config byte-identical, no index written).

mod cli_support;
use cli_support::{path_str, Operator, Run};
use std::path::PathBuf;

/// A socket path nothing listens on.
const NOPE_SOCK: &str = "unix:///tmp/jackin-newcomer-nope.sock";

/// `load nc-smith WORK --detach --host NOPE_SOCK`: a load that must be
/// refused before the (missing) engine is contacted.
fn load_args(work: &std::path::Path) -> [&str; 6] {
    [
        "load",
        "nc-smith",
        path_str(work),
        "--detach",
        "--host",
        NOPE_SOCK,
    ]
}

const CONFIG: &str = "# mine\n[roles.nc-smith]\nimage = \"localhost/jackin-test/probe:latest\" # probe\nagents = [\"claude\", \"codex\"]\n\n[codex]\nauth_forward = \"sync\"\n";

/// An operator with a commented config and its own (empty) data folder.
struct Op {
    op: Operator,
}

impl Op {
    fn new() -> Op {
        let op = Operator::new();
        op.write_config(CONFIG);
        Op { op }
    }

    fn data_dir(&self) -> PathBuf {
        self.op.root.path().join("data")
    }

    /// Runs jackin with `JACKIN_DATA_DIR` set, no engine variables, and
    /// the extra `env`.
    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = self.op.command(args);
        c.env("JACKIN_DATA_DIR", self.data_dir())
            .env_remove("CONTAINER_HOST")
            .env_remove("DOCKER_HOST")
            .env_remove("JACKIN_ENGINE")
            .env_remove("JACKIN_NETWORK")
            .env_remove("RUST_BACKTRACE");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap().into()
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Runs, expects `code`, a one-`error:` report without a panic, and
    /// an unchanged config and data folder.
    #[track_caller]
    fn refused(&self, args: &[&str], code: i32) -> Run {
        self.refused_env(args, &[], code)
    }

    #[track_caller]
    fn refused_env(&self, args: &[&str], env: &[(&str, &str)], code: i32) -> Run {
        let before = self.op.config_bytes();
        let r = self.run_env(args, env).expect(code);
        assert!(
            r.stderr.starts_with("error: "),
            "{args:?}: stderr does not start with 'error: ':\n{}",
            r.stderr
        );
        for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
            assert!(!r.stderr.contains(bad), "{args:?}: {bad} in:\n{}", r.stderr);
        }
        assert_eq!(
            self.op.config_bytes(),
            before,
            "{args:?} changed config.toml"
        );
        assert!(
            !self.data_dir().join("instances.json").exists(),
            "{args:?} wrote an instance index"
        );
        r
    }
}

#[test]
fn an_unknown_mode_lists_the_valid_ones_everywhere() {
    let op = Op::new();
    op.op.with_role_and_workspace();
    for args in [
        &["config", "auth", "set", "copy"][..],
        &["workspace", "auth", "set", "app", "copy"],
        &["workspace", "auth", "set", "app", "SYNC", "--role", "smith"],
    ] {
        let r = op.refused(args, 2);
        assert!(
            r.stderr
                .contains("valid modes: sync, api_key, oauth_token, ignore"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn a_mode_the_agent_does_not_support_names_the_agent_and_its_modes() {
    let op = Op::new();
    op.op.with_role_and_workspace();
    for args in [
        &["config", "auth", "set", "oauth_token", "--agent", "amp"][..],
        &[
            "workspace",
            "auth",
            "set",
            "app",
            "oauth_token",
            "--agent",
            "codex",
        ],
        &[
            "workspace",
            "auth",
            "set",
            "app",
            "oauth_token",
            "--agent",
            "codex",
            "--role",
            "smith",
        ],
    ] {
        let r = op.refused(args, 2);
        assert!(
            r.stderr
                .contains("does not support auth mode 'oauth_token'")
                && r.stderr.contains("supports: sync, api_key, ignore"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn malformed_toml_names_file_line_and_column_for_every_command() {
    let op = Op::new();
    op.op
        .write_config("# mine\n[codex]\nauth_forward = \"sync\n");
    let want = format!("{}:3:", path_str(&op.op.config_path()));
    for args in [
        &["config", "auth", "show"][..],
        &["config", "auth", "set", "ignore"],
        &["role", "list"],
        &["role", "add", "x", "--image", "i", "--agent", "claude"],
        &["workspace", "list"],
        &["ps", "--host", NOPE_SOCK],
        &["load", "--detach", "--host", NOPE_SOCK],
        &["eject", "x", "--host", NOPE_SOCK],
    ] {
        let r = op.refused(args, 1);
        assert!(r.stderr.contains(&want), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("invalid TOML"), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn an_unknown_key_is_named_with_its_line_and_the_allowed_keys() {
    let op = Op::new();
    op.op
        .write_config("[roles.r]\nimage = \"i\"\nagents = [\"claude\"]\nimgae = \"typo\"\n");
    let r = op.refused(&["role", "list"], 1);
    assert!(
        r.stderr
            .contains("config.toml:4:1: roles.r.imgae: unknown key 'imgae'"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("image, agents, default_agent"),
        "{}",
        r.stderr
    );
}

#[test]
fn reserved_env_names_are_refused_in_every_layer() {
    let op = Op::new();
    op.op.with_role_and_workspace();
    for name in ["JACKIN_X", "DOCKER_HOST", "CONTAINER_HOST", "HOME", "PATH"] {
        for args in [
            vec!["config", "env", "set", name, "v"],
            vec!["config", "env", "set", name, "v", "--role", "smith"],
            vec!["workspace", "env", "set", "app", name, "v"],
            vec![
                "workspace",
                "env",
                "set",
                "app",
                name,
                "v",
                "--role",
                "smith",
            ],
        ] {
            let r = op.refused(&args, 2);
            assert!(
                r.stderr.contains(&format!("'{name}' is reserved")),
                "{args:?}: {}",
                r.stderr
            );
        }
    }
    // Written by hand: loading names the line.
    op.op
        .write_config("[env]\nOK = \"1\"\nJACKIN_ENGINE = \"docker\"\n");
    let r = op.refused(&["config", "env", "list"], 1);
    assert!(
        r.stderr.contains("config.toml:3:1: env.JACKIN_ENGINE"),
        "{}",
        r.stderr
    );
}

#[test]
fn malformed_env_references_are_usage_errors() {
    let op = Op::new();
    for (value, why) in [
        ("${OPEN", "without a closing '}'"),
        ("op://vault", "op://VAULT/ITEM/FIELD"),
        ("keyring:service", "keyring:SERVICE/ACCOUNT"),
        ("keyring:", "keyring:SERVICE/ACCOUNT"),
    ] {
        let r = op.refused(&["config", "env", "set", "OPENAI_API_KEY", value], 2);
        assert!(r.stderr.contains(why), "{value}: {}", r.stderr);
    }
}

/// Unresolvable references stop `load` before any engine is contacted:
/// the SPEC §6 report names the variable, the layer and why.
#[test]
fn unresolvable_env_references_stop_load_before_the_engine() {
    for (reference, why) in [
        (
            "$JACKIN_NEWCOMER_UNSET",
            "is not set in the host environment",
        ),
        (
            "${JACKIN_NEWCOMER_UNSET}",
            "is not set in the host environment",
        ),
        ("op://vault/item/field", "1Password"),
        ("keyring:jackin-newcomer-svc/nobody", "keyring"),
    ] {
        let op = Op::new();
        op.op.write_config(
            &format!("{CONFIG}\n[env]\nOPENAI_API_KEY = \"{reference}\"\n")
                .replace("auth_forward = \"sync\"", "auth_forward = \"api_key\""),
        );
        let work = op.op.dir("work");
        let r = op.refused_env(&load_args(&work), &[("PATH", "/usr/bin:/bin")], 1);
        assert!(
            r.stderr
                .contains("codex auth_forward = api_key needs OPENAI_API_KEY"),
            "{reference}: {}",
            r.stderr
        );
        assert!(r.stderr.contains(why), "{reference}: {}", r.stderr);
        assert!(!r.stderr.contains("cannot reach"), "{}", r.stderr);
        // The ad-hoc target is named as the folder given, not "the current
        // directory" (the command ran elsewhere).
        assert!(r.stderr.contains(path_str(&work)), "{}", r.stderr);
    }
}

#[test]
fn a_source_folder_without_a_login_says_what_is_missing() {
    let op = Op::new();
    let empty = op.op.dir("empty folder");
    let r = op.refused(&["config", "auth", "source", "set", path_str(&empty)], 1);
    assert!(r.stderr.contains(".credentials.json"), "{}", r.stderr);
    assert!(r.stderr.contains("empty folder"), "{}", r.stderr);
    let r = op.refused(
        &[
            "config",
            "auth",
            "source",
            "set",
            path_str(&empty),
            "--agent",
            "amp",
        ],
        1,
    );
    assert!(r.stderr.contains("secrets.json"), "{}", r.stderr);
    let missing = op.op.root.path().join("no-such-folder");
    let r = op.refused(
        &[
            "config",
            "auth",
            "source",
            "set",
            path_str(&missing),
            "--agent",
            "codex",
        ],
        1,
    );
    assert!(r.stderr.contains("no-such-folder"), "{}", r.stderr);
    // A stub with empty tokens is no login either.
    std::fs::write(
        empty.join(".credentials.json"),
        r#"{"claudeAiOauth":{"accessToken":"","refreshToken":""}}"#,
    )
    .unwrap();
    op.refused(&["config", "auth", "source", "set", path_str(&empty)], 1);
}

#[test]
fn an_engine_that_is_not_running_is_named_with_what_to_start() {
    let op = Op::new();
    let sock = NOPE_SOCK.trim_start_matches("unix://");
    for (args, env) in [
        (vec!["ps", "--host", NOPE_SOCK], vec![]),
        (vec!["ps", "--json", "--host", NOPE_SOCK], vec![]),
        (
            vec!["ps", "--engine", "podman", "--host", NOPE_SOCK],
            vec![],
        ),
        (vec!["eject", "nc-smith", "--host", NOPE_SOCK], vec![]),
        (
            vec!["auth", "sync", "nc-smith", "--json", "--host", NOPE_SOCK],
            vec![],
        ),
        (
            vec!["ps", "--engine", "docker"],
            vec![("DOCKER_HOST", NOPE_SOCK)],
        ),
        (
            vec!["ps", "--engine", "podman"],
            vec![("CONTAINER_HOST", NOPE_SOCK)],
        ),
    ] {
        let r = op.refused_env(&args, &env, 1);
        assert!(r.stderr.contains(sock), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("start"), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}: stdout {}", r.stdout);
    }
}

#[test]
fn a_directory_in_place_of_config_toml_is_an_error_and_left_alone() {
    let op = Operator::new();
    std::fs::create_dir_all(op.config_path()).unwrap();
    let op = Op { op };
    for args in [
        &["config", "auth", "show"][..],
        &["config", "auth", "set", "ignore"],
        &["role", "add", "r", "--image", "i", "--agent", "claude"],
        &["ps", "--host", NOPE_SOCK],
    ] {
        let r = op.refused(args, 1);
        assert!(
            r.stderr.contains(path_str(&op.op.config_path())) && r.stderr.contains("directory"),
            "{args:?}: {}",
            r.stderr
        );
    }
    assert!(op.op.config_path().is_dir());
    let r = op.refused(&["role", "list"], 1);
    assert!(
        r.stderr.contains("hint: config.toml must be a file"),
        "{}",
        r.stderr
    );

    // Not UTF-8: said so, and left alone.
    std::fs::remove_dir(op.op.config_path()).unwrap();
    op.op.write_config("");
    std::fs::write(op.op.config_path(), b"\xff\xfe[env]\n").unwrap();
    let r = op.refused(&["config", "env", "set", "A", "b"], 1);
    assert!(r.stderr.contains("UTF-8"), "{}", r.stderr);
}

#[test]
fn empty_strings_are_usage_errors() {
    let op = Op::new();
    op.op.with_role_and_workspace();
    for args in [
        &["workspace", "create", "w", "--workdir", ""][..],
        &[
            "workspace",
            "create",
            "w",
            "--workdir",
            "/tmp",
            "--mount",
            "",
        ],
        &["workspace", "edit", "app", "--add-mount", ""],
        &["workspace", "edit", "app", "--workdir", ""],
        &["config", "auth", "source", "set", ""],
        &["role", "add", "r", "--image", "", "--agent", "claude"],
        &["config", "env", "set", "", "v"],
        &["config", "env", "set", "A", ""],
        &["load", "", "--detach", "--host", NOPE_SOCK],
        &["load", "nc-smith", "", "--detach", "--host", NOPE_SOCK],
        &[
            "load", "nc-smith", "--agent", "", "--detach", "--host", NOPE_SOCK,
        ],
        &[
            "load",
            "nc-smith",
            "--network",
            "",
            "--detach",
            "--host",
            NOPE_SOCK,
        ],
        &["ps", "--host", ""],
        &["eject", "", "--host", NOPE_SOCK],
        &["purge", "", "--host", NOPE_SOCK],
        &["auth", "sync", "", "--host", NOPE_SOCK],
        &["hardline", "", "--shell", "--host", NOPE_SOCK],
    ] {
        op.refused(args, 2);
    }
}

#[test]
fn long_and_unicode_names_are_refused_with_the_rule() {
    let op = Op::new();
    let long = "a".repeat(64);
    for name in [
        long.as_str(),
        "agënt",
        "пространство",
        "smith🤖",
        "-x",
        "a b",
        "a/b",
    ] {
        let r = op.refused(
            &[
                "role", "add", "--image", "i", "--agent", "claude", "--", name,
            ],
            2,
        );
        assert!(
            r.stderr.contains("1-63 of A-Z a-z 0-9 _ -"),
            "{name}: {}",
            r.stderr
        );
        let r = op.refused(&["workspace", "create", "--workdir", "/tmp", "--", name], 2);
        assert!(
            r.stderr.contains("1-63 of A-Z a-z 0-9 _ -"),
            "{name}: {}",
            r.stderr
        );
    }
    // 63 is the limit, not one less.
    let ok = "b".repeat(63);
    op.run(&["role", "add", &ok, "--image", "i", "--agent", "claude"])
        .expect(0);
}

#[test]
fn an_image_reference_with_spaces_is_refused() {
    let op = Op::new();
    for image in ["bad image", " localhost/x:1", "localhost/x:1\n", "-rm"] {
        let r = op.refused(
            &[
                "role",
                "add",
                "r",
                "--agent",
                "claude",
                &format!("--image={image}"),
            ],
            2,
        );
        assert!(r.stderr.contains("image"), "{image:?}: {}", r.stderr);
    }
    op.op
        .write_config("[roles.r]\nimage = \"bad image\"\nagents = [\"claude\"]\n");
    let r = op.refused(&["role", "list"], 1);
    assert!(
        r.stderr.contains("config.toml:2:9: roles.r.image"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_unknown_agent_for_load_or_hardline_is_a_usage_error() {
    let op = Op::new();
    let r = op.refused(
        &[
            "load", "nc-smith", "--agent", "gemini", "--detach", "--host", NOPE_SOCK,
        ],
        2,
    );
    assert!(
        r.stderr.contains("claude, codex, amp, opencode"),
        "{}",
        r.stderr
    );
    op.refused(
        &[
            "hardline", "x", "--new", "--agent", "gemini", "--host", NOPE_SOCK,
        ],
        2,
    );
}

#[test]
fn paths_with_spaces_round_trip() {
    let op = Op::new();
    let dir = op.op.dir("my src/app");
    let data = op.op.dir("my data");
    let mount = format!("{}:/data:ro", path_str(&data));
    op.run(&[
        "workspace",
        "create",
        "spaced",
        "--workdir",
        path_str(&dir),
        "--mount",
        path_str(&dir),
        "--mount",
        &mount,
    ])
    .expect(0);
    let r = op.run(&["workspace", "show", "spaced", "--json"]).expect(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["workdir"], path_str(&dir), "{}", r.stdout);
    assert_eq!(v["mounts"][0]["src"], path_str(&dir), "{}", r.stdout);
    assert_eq!(v["mounts"][1]["src"], path_str(&data), "{}", r.stdout);
    assert_eq!(v["mounts"][1]["dst"], "/data", "{}", r.stdout);
    assert_eq!(v["mounts"][1]["readonly"], true, "{}", r.stdout);
}

#[test]
fn json_errors_leave_stdout_empty() {
    let op = Op::new();
    op.op.write_config("[codex\n");
    for args in [
        &["role", "list", "--json"][..],
        &["workspace", "list", "--json"],
        &["config", "auth", "show", "--json"],
        &["config", "env", "list", "--json"],
        &["ps", "--json", "--host", NOPE_SOCK],
        &["load", "--json", "--host", NOPE_SOCK],
    ] {
        let r = op.refused(args, 1);
        assert!(r.stdout.is_empty(), "{args:?}: stdout {}", r.stdout);
    }
}

#[test]
fn a_workspace_whose_folder_is_gone_is_refused_before_the_engine() {
    let op = Op::new();
    let gone = op.op.dir("gone");
    op.run(&[
        "workspace",
        "create",
        "gws",
        "--workdir",
        path_str(&gone),
        "--default-role",
        "nc-smith",
    ])
    .expect(0);
    std::fs::remove_dir(&gone).unwrap();
    let r = op.refused(
        &["load", "nc-smith", "gws", "--detach", "--host", NOPE_SOCK],
        1,
    );
    assert!(
        r.stderr.contains(&format!(
            "workspace 'gws' mounts {}, which does not exist",
            path_str(&gone)
        )) && r
            .stderr
            .contains("jackin workspace edit gws --remove-mount"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_workspace_given_as_the_role_says_which_argument_is_which() {
    let op = Op::new();
    let dir = op.op.dir("app");
    op.run(&[
        "workspace",
        "create",
        "my-app",
        "--workdir",
        path_str(&dir),
        "--default-role",
        "nc-smith",
    ])
    .expect(0);
    let r = op.refused(&["load", "my-app", "--detach", "--host", NOPE_SOCK], 1);
    assert!(
        r.stderr
            .contains("'my-app' is a saved workspace, not a role")
            && r.stderr.contains("jackin load nc-smith my-app"),
        "{}",
        r.stderr
    );
}

/// `jackin … | head -1`: a closed stdout ends jackin quietly (exit 0), no
/// panic or backtrace.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let op = Op::new();
    for args in [
        &["config", "path"][..],
        &["role", "list"],
        &["role", "list", "--json"],
        &["config", "auth", "show", "--json"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut c = op.op.command(args);
        let o = c
            .env("JACKIN_DATA_DIR", op.data_dir())
            .env_remove("RUST_BACKTRACE")
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

/// Mounting over `/`, `/jackin` or `/run/jackin` (jackin-init and the
/// secrets tmpfs) is refused: Docker silently dropped such a bind and
/// Podman wrote mount points into the host folder.
#[test]
fn a_mount_over_jackins_own_paths_is_refused() {
    let op = Op::new();
    let src = op.op.dir("src");
    for dst in [
        "/",
        "/jackin",
        "/jackin/x",
        "/run/jackin",
        "/run/jackin/",
        "//run//jackin/env",
        "/data/../run/jackin",
    ] {
        let spec = format!("{}:{dst}", path_str(&src));
        let r = op.refused(
            &[
                "workspace",
                "create",
                "w",
                "--workdir",
                path_str(&src),
                "--mount",
                &spec,
            ],
            2,
        );
        assert!(
            r.stderr.contains("is reserved by jackin") || r.stderr.contains("contains '..'"),
            "{dst}: {}",
            r.stderr
        );
    }
    op.run(&["workspace", "create", "w", "--workdir", path_str(&src)])
        .expect(0);
    op.refused(
        &[
            "workspace",
            "edit",
            "w",
            "--add-mount",
            &format!("{}:/run/jackin:ro", path_str(&src)),
        ],
        2,
    );
    // /run/jackinx and /data are fine.
    op.run(&[
        "workspace",
        "edit",
        "w",
        "--add-mount",
        &format!("{}:/run/jackinx", path_str(&src)),
    ])
    .expect(0);
    // Written by hand: the line is named.
    op.op.write_config(&format!(
        "[workspaces.h]\nworkdir = \"/tmp\"\nmounts = [\"{}:/jackin\"]\n",
        path_str(&src)
    ));
    let r = op.refused(&["workspace", "list"], 1);
    assert!(r.stderr.contains("config.toml:3:"), "{}", r.stderr);
    assert!(r.stderr.contains("reserved by jackin"), "{}", r.stderr);
}

#[test]
fn an_unknown_handoff_is_refused_before_the_engine() {
    let op = Op::new();
    let work = op.op.dir("work");
    // The engine socket does not exist: the refusal must come first.
    let r = op.refused_env(&load_args(&work), &[("JACKIN_HANDOFF", "fast")], 2);
    assert!(
        r.stderr.contains("JACKIN_HANDOFF='fast' is not a handoff")
            && r.stderr.contains("'socket'")
            && r.stderr.contains("'exec'"),
        "{}",
        r.stderr
    );
    // Not UTF-8: refused too, not taken as unset.
    use std::os::unix::ffi::OsStrExt;
    let mut c = op.op.command(&load_args(&work));
    c.env("JACKIN_DATA_DIR", op.data_dir())
        .env("JACKIN_HANDOFF", std::ffi::OsStr::from_bytes(b"ex\xffec"));
    let r: Run = c.output().unwrap().into();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("is not a handoff"), "{}", r.stderr);
}

#[test]
fn hardline_arguments_without_new_are_a_usage_error() {
    let op = Op::new();
    let r = op.refused(
        &[
            "hardline", "x", "--shell", "--host", NOPE_SOCK, "--", "-c", "echo HI",
        ],
        2,
    );
    assert!(
        r.stderr
            .contains("arguments after `--` (-c echo HI) are for a new agent session"),
        "{}",
        r.stderr
    );
}
