//! The terminal side: raw mode, alternate screen, mouse capture, the event
//! loop, and restoring the terminal on every exit path (normal return,
//! error, panic).

use super::model::Console;
use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{self, IsTerminal};

/// Puts the terminal back: raw mode off, main screen, no mouse capture.
/// Safe to call more than once.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), DisableMouseCapture, LeaveAlternateScreen);
}

/// Restores the terminal when dropped (error returns included).
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Runs `console` until it quits. Errors when stdin/stdout is not a
/// terminal or the terminal cannot be set up or read.
pub fn run(console: &mut Console) -> io::Result<()> {
    if !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        return Err(io::Error::other(
            "jackin console needs an interactive terminal (stdin and stdout must be a TTY)",
        ));
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    enable_raw_mode()?;
    let _guard = Guard;
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    while !console.quit {
        let mut hits = Vec::new();
        terminal.draw(|f| hits = super::ui::draw(f, console))?;
        console.hits = hits;
        match event::read()? {
            Event::Key(k) => console.key(k),
            Event::Mouse(m) => console.mouse(m),
            Event::Resize(_, _) => terminal.autoresize()?,
            _ => {}
        }
    }
    terminal.show_cursor()?;
    Ok(())
}
