//! The launch handoff over a unix socket: the fast path of `jackin load`.
//!
//! At launch, jackin listens on a unix socket in a folder of its own data
//! directory (`$JACKIN_DATA_DIR/handoff/<instance id>/`, mode 0700) and
//! bind-mounts that folder at [`CONTAINER_DIR`]; the container's entrypoint
//! is `jackin-init run --handoff /jackin/handoff/init.sock …`. `run`
//! connects, reads the bundle (the same tar as `receive`'s stdin) until
//! jackin shuts down its side, applies it exactly like `receive`, answers
//! with [`Reply`] lines, and goes on to exec the agent. This saves the
//! engine exec of `jackin-init receive` (runc's exec costs 50–80 ms here,
//! most of the launch overhead; see README "Performance").
//!
//! The socket is one-shot: jackin closes and unlinks it after the first
//! connection, so the agent cannot reach it later. Secrets only pass
//! through the socket (kernel memory), never a file.
//!
//! When the socket is not offered (jackin fell back to the exec, e.g. the
//! engine runs in a VM that cannot pass a host socket through a bind mount)
//! `run` waits for `/run/jackin/ready` as before and `jackin-init receive`
//! delivers the bundle through `exec`.

use crate::apply::{receive, Report};
use crate::error::{Error, Result};
use crate::root::Root;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// Where jackin bind-mounts the handoff folder inside the container.
pub const CONTAINER_DIR: &str = "/jackin/handoff";
/// The socket's file name in that folder (host and container).
pub const SOCKET_NAME: &str = "init.sock";
/// The socket's path inside the container (`run --handoff`'s argument).
pub const CONTAINER_SOCKET: &str = "/jackin/handoff/init.sock";
/// How long `run` waits for bundle bytes once connected before giving up.
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// At most this many bytes are read past the bundle's end (tar padding).
const MAX_TRAILER: u64 = 1 << 20;

/// One line jackin-init writes back on the socket (JSON, `\n`-terminated):
/// a [`Report`] per agent in manifest order after a successful apply, or
/// a single `{"error":"…"}` when the bundle was refused (nothing applied).
/// Never contains a secret value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Reply<R = Report> {
    /// The bundle was refused; the message says why (as `receive` prints it).
    Error {
        /// The refusal, without the `jackin-init: ` prefix.
        error: String,
    },
    /// One agent's report.
    Agent(R),
}

/// What [`receive_from_socket`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The bundle came over the socket and is applied (`/run/jackin/ready`
    /// exists).
    Applied,
    /// No bundle came: the socket is missing, refused the connection, or
    /// was closed before any byte (jackin chose the exec handoff). The
    /// caller waits for `receive` through `exec` instead.
    NotOffered,
}

/// Tries the socket handoff at `socket` (a container path, mapped through
/// `root`): connects, applies the bundle read from it, writes the
/// [`Reply`] lines back.
///
/// Errors: the connection broke mid-bundle, or the bundle was refused (the
/// refusal is also sent to jackin); nothing is applied then.
pub fn receive_from_socket(root: &Root, socket: &str) -> Result<Outcome> {
    let path = root.path(socket);
    let Ok(mut stream) = UnixStream::connect(&path) else {
        return Ok(Outcome::NotOffered);
    };
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let mut first = [0u8; 1];
    match stream.read(&mut first) {
        Ok(1) => {}
        // Closed (or reset) before any byte: jackin gave up waiting for
        // this connection and delivers through `exec`.
        _ => return Ok(Outcome::NotOffered),
    }
    let result = receive((&first[..]).chain(&mut stream), root);
    // Read up to jackin's end of stream (the tar's trailing padding may be
    // left): closing with unread bytes would reset the connection and
    // could lose the reply.
    let _ = std::io::copy(&mut (&mut stream).take(MAX_TRAILER), &mut std::io::sink());
    let lines: Vec<Reply> = match &result {
        Ok(reports) => reports.iter().cloned().map(Reply::Agent).collect(),
        Err(e) => vec![Reply::Error {
            error: e.message().to_string(),
        }],
    };
    let mut out = Vec::new();
    for line in &lines {
        serde_json::to_writer(&mut out, line).expect("a reply serializes");
        out.push(b'\n');
    }
    // jackin may be gone (killed): the apply stands either way.
    let _ = stream.write_all(&out);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    result.map(|_| Outcome::Applied).map_err(|e| {
        Error::new(format!(
            "the bundle from {} was refused: {}",
            path.display(),
            e.message()
        ))
    })
}
