//! `jackin-init`: the bundle format shared with the host, and the code that
//! applies a bundle inside a container (`shared/SPEC.md` §3, §8).
//!
//! Host side: build a [`manifest::Manifest`] and stream it with
//! [`bundle::write_bundle`]. Container side: [`apply::receive`] reads
//! ([`bundle::read_bundle`]) and applies a bundle; [`launch::launch`]
//! starts a command as the target user.
//!
//! # CLI contract (the binary)
//!
//! - `jackin-init receive` — bundle on stdin (runs as root). Prints one JSON
//!   line per agent on stdout, in manifest order:
//!   `{"agent":"claude","mode":"sync","result":"synced","files":[".claude/.credentials.json",".claude.json"],"env":["ANTHROPIC_API_KEY"]}`
//!   (`result` ∈ `synced`, `kept`, `revoked`, `env`; `files` = home-relative
//!   paths written or repaired; `env` = variable names, never values).
//! - `jackin-init run [--agent A] [--handoff SOCKET] [--] [CMD…]` — with
//!   `--handoff`, first takes the bundle over that unix socket if jackin
//!   offers it ([`handoff`]: same bundle, same apply, report lines sent
//!   back); otherwise (or without `--handoff`) waits for
//!   `/run/jackin/ready` (default 120 s). Then loads A's env, sets `HOME`,
//!   `USER`, `LOGNAME`, clears supplementary groups, sets gid then uid, and
//!   execs CMD (default: the user's login shell).
//! - `jackin-init exec [--agent A] [--] [CMD…]` — the same for a later
//!   session; waits at most 5 s. Without `--agent`, no agent env is loaded.
//! - Exit codes: 0 ok, 1 failure (message on stderr prefixed
//!   `jackin-init: `), 2 usage. `run`/`exec` do not return on success.
//!
//! Files under `/run/jackin` (a 0700 tmpfs made by the engine), written by
//! `receive` as root: `env/<agent>.json` (0600, JSON object name → value,
//! one per agent of the bundle; others removed), `user.json` (0600,
//! [`passwd::TargetUser`]), and last `ready` (0600, written only after a
//! fully successful apply).
//!
//! Env knobs: `JACKIN_INIT_TIMEOUT_SECS` (wait of `run`/`exec`, seconds).
//! Test-only, never set by jackin: `JACKIN_INIT_ROOT` (prefix of every
//! absolute path, see [`root`]) and `JACKIN_INIT_TEST_ABORT_AFTER_WRITES=N`
//! (abort right after the N-th rename, see [`home::ABORT_VAR`]).

pub mod apply;
pub mod bundle;
pub mod error;
pub mod handoff;
pub mod home;
pub mod launch;
pub mod manifest;
pub mod passwd;
pub mod root;
pub mod validate;
