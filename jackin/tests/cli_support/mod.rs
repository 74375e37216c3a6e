//! Runs the built `jackin` binary against a private HOME and
//! JACKIN_CONFIG_DIR, so CLI tests observe exactly what an operator would:
//! exit code, stdout, stderr and the file on disk.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A throwaway operator: its own HOME and config folder.
pub struct Operator {
    pub root: tempfile::TempDir,
}

/// What one run of jackin produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics with the full output unless the exit code is `code`.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Operator {
    pub fn new() -> Operator {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("home")).unwrap();
        Operator { root }
    }

    pub fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    pub fn config_dir(&self) -> PathBuf {
        self.root.path().join("cfg")
    }

    pub fn config_path(&self) -> PathBuf {
        self.config_dir().join("config.toml")
    }

    /// The config file's bytes, `None` when it does not exist.
    pub fn config_bytes(&self) -> Option<Vec<u8>> {
        std::fs::read(self.config_path()).ok()
    }

    pub fn config_text(&self) -> String {
        std::fs::read_to_string(self.config_path()).unwrap()
    }

    pub fn write_config(&self, text: &str) {
        std::fs::create_dir_all(self.config_dir()).unwrap();
        std::fs::write(self.config_path(), text).unwrap();
    }

    /// A folder under the temporary root (created).
    pub fn dir(&self, rel: &str) -> PathBuf {
        let p = self.root.path().join(rel);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_jackin"));
        c.args(args)
            .env("HOME", self.home())
            .env("JACKIN_CONFIG_DIR", self.config_dir())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("RUST_LOG")
            .current_dir(self.root.path());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.command(args).output().unwrap().into()
    }

    /// Runs with `input` on stdin.
    pub fn run_stdin(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap().into()
    }

    /// A role `smith` running claude and codex, and a workspace `app`
    /// (workdir = a real folder) whose default role is smith.
    pub fn with_role_and_workspace(&self) -> PathBuf {
        self.run(&[
            "role",
            "add",
            "smith",
            "--image",
            "localhost/smith:1",
            "--agent",
            "claude",
            "--agent",
            "codex",
        ])
        .expect(0);
        let src = self.dir("src/app");
        self.run(&[
            "workspace",
            "create",
            "app",
            "--workdir",
            path_str(&src),
            "--default-role",
            "smith",
        ])
        .expect(0);
        src
    }
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}
