//! The operator's terminal during `jackin load` (attached) and `jackin
//! hardline`: raw mode (restored on return, error and panic unwind), stdin
//! forwarded to the container, output written to stdout, the initial size
//! and every resize (SIGWINCH) forwarded. Engine-neutral: the backends give
//! [`session`] an output stream, an input [`Sink`] and a resize callback.

use super::{EngineError, Result};
use async_trait::async_trait;
use futures_util::future::BoxFuture;
use futures_util::{Stream, StreamExt};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// Puts the terminal in raw mode while alive, if stdin is a terminal.
/// Dropping it (also during a panic unwind) restores the previous mode.
pub struct RawGuard {
    active: bool,
}

impl RawGuard {
    /// Enters raw mode when stdin is a terminal; otherwise does nothing.
    pub fn enter() -> Result<RawGuard> {
        if !std::io::stdin().is_terminal() {
            return Ok(RawGuard { active: false });
        }
        crossterm::terminal::enable_raw_mode()
            .map_err(|e| EngineError::Terminal(format!("cannot enter raw mode: {e}")))?;
        Ok(RawGuard { active: true })
    }
}

impl Drop for RawGuard {
    fn drop(&mut self) {
        if self.active {
            let _ = crossterm::terminal::disable_raw_mode();
        }
    }
}

/// The terminal size as (columns, rows), if stdout is a terminal.
pub fn terminal_size() -> Option<(u16, u16)> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    crossterm::terminal::size()
        .ok()
        .filter(|(w, h)| *w > 0 && *h > 0)
}

/// Reads stdin on a thread of its own (a blocking read cannot be cancelled
/// in tokio); the thread polls every 100 ms and ends when this is dropped,
/// so no keystroke is stolen after the session.
pub struct StdinPump {
    rx: mpsc::Receiver<Vec<u8>>,
    stop: Arc<AtomicBool>,
}

impl StdinPump {
    /// Starts the reader thread. The channel closes on EOF or read error.
    pub fn spawn() -> StdinPump {
        let (tx, rx) = mpsc::channel::<Vec<u8>>(16);
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        std::thread::spawn(move || {
            use nix::poll::{poll, PollFd, PollFlags};
            use std::os::fd::AsFd;
            let stdin = std::io::stdin();
            let mut buf = vec![0u8; 8192];
            while !stop2.load(Ordering::Relaxed) {
                let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
                match poll(&mut fds, 100u16) {
                    Ok(0) => continue,
                    Ok(_) => {}
                    Err(nix::errno::Errno::EINTR) => continue,
                    Err(_) => break,
                }
                match nix::unistd::read(0, &mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if tx.blocking_send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                    Err(nix::errno::Errno::EINTR) | Err(nix::errno::Errno::EAGAIN) => continue,
                    Err(_) => break,
                }
            }
        });
        StdinPump { rx, stop }
    }
}

impl Drop for StdinPump {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Where terminal input goes: the write half of an attach or exec stream.
#[async_trait]
pub trait Sink: Send {
    /// Writes all bytes and flushes.
    async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()>;
    /// Closes the write direction (the process sees EOF on stdin).
    async fn close(&mut self) -> std::io::Result<()>;
}

/// A [`Sink`] over a `tokio::io::AsyncWrite` (bollard's streams).
pub struct TokioSink<W>(pub W);

#[async_trait]
impl<W: tokio::io::AsyncWrite + Unpin + Send> Sink for TokioSink<W> {
    async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.0.write_all(bytes).await?;
        self.0.flush().await
    }
    async fn close(&mut self) -> std::io::Result<()> {
        self.0.shutdown().await
    }
}

/// A [`Sink`] over a `futures::io::AsyncWrite` (podman-api's streams).
pub struct FuturesSink<W>(pub W);

#[async_trait]
impl<W: futures_util::io::AsyncWrite + Unpin + Send> Sink for FuturesSink<W> {
    async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use futures_util::io::AsyncWriteExt as _;
        self.0.write_all(bytes).await?;
        self.0.flush().await
    }
    async fn close(&mut self) -> std::io::Result<()> {
        use futures_util::io::AsyncWriteExt as _;
        self.0.close().await
    }
}

/// Resize callback: (columns, rows). Errors are ignored (a resize racing the
/// process's exit is harmless).
pub type Resize = Box<dyn FnMut(u16, u16) -> BoxFuture<'static, ()> + Send>;

/// Runs one terminal session until `output` ends (the process or container
/// exited, or the engine closed the stream). Raw mode is on for the
/// duration when stdin is a terminal. When stdin reaches EOF (a pipe), input
/// stops but the session goes on until the process ends.
pub async fn session<O>(mut output: O, mut input: Box<dyn Sink>, mut resize: Resize) -> Result<()>
where
    O: Stream<Item = std::result::Result<Vec<u8>, String>> + Unpin + Send,
{
    let _raw = RawGuard::enter()?;
    if let Some((w, h)) = terminal_size() {
        resize(w, h).await;
    }
    let mut winch =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()).ok();
    let mut stdin = StdinPump::spawn();
    let mut stdin_open = true;
    let mut stdout = tokio::io::stdout();
    loop {
        tokio::select! {
            chunk = output.next() => match chunk {
                Some(Ok(bytes)) => {
                    stdout.write_all(&bytes).await.map_err(|e| EngineError::Terminal(format!("cannot write to stdout: {e}")))?;
                    stdout.flush().await.map_err(|e| EngineError::Terminal(format!("cannot write to stdout: {e}")))?;
                }
                Some(Err(e)) => return Err(EngineError::Terminal(format!("session stream failed: {e}"))),
                None => break,
            },
            data = stdin.rx.recv(), if stdin_open => match data {
                Some(bytes) => {
                    if input.send(&bytes).await.is_err() {
                        stdin_open = false;
                    }
                }
                // EOF on stdin is not passed on as a close: on a TTY session
                // Docker then closes the output too, cutting off whatever the
                // process still prints. A terminal's own EOF is ^D, which
                // arrives as a byte.
                None => stdin_open = false,
            },
            _ = async { match winch.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending::<()>().await } } => {
                if let Some((w, h)) = terminal_size() {
                    resize(w, h).await;
                }
            }
        }
    }
    Ok(())
}
