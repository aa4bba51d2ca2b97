//! The terminal: raw mode and the alternate screen through ratatui's
//! `try_init`/`restore`, mouse capture, and putting it all back on quit,
//! on error and on a panic.

use std::io;
use std::thread;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use ratatui::DefaultTerminal;

use crate::db::worker;

/// Put the terminal back as it was: mouse capture off (ratatui leaves it
/// to us), then ratatui's restore (raw mode, alternate screen). Safe to
/// call more than once, and from the panic hook.
pub fn restore() {
    let _ = execute!(io::stdout(), DisableMouseCapture);
    ratatui::restore();
}

/// The terminal in raw mode on the alternate screen; restored when
/// dropped, on quit, on error, and when a panic unwinds through the loop.
pub struct Screen {
    pub terminal: DefaultTerminal,
}

impl Screen {
    pub fn enter(mouse: bool) -> io::Result<Screen> {
        let terminal = ratatui::try_init()?;
        // ratatui's hook restores the terminal on any panic; ours, around
        // it, lets the database worker's pass.
        install_panic_hook();
        let mut screen = Screen { terminal };
        screen.set_mouse(mouse)?;
        screen.terminal.clear()?;
        Ok(screen)
    }

    #[allow(
        clippy::unused_self,
        reason = "the screen owns the terminal: only its holder writes escapes to it"
    )]
    pub fn set_mouse(&mut self, on: bool) -> io::Result<()> {
        if on {
            execute!(io::stdout(), EnableMouseCapture)
        } else {
            execute!(io::stdout(), DisableMouseCapture)
        }
    }

    /// Ask the terminal to put `text` on the clipboard (OSC 52). Terminals,
    /// tmux (with `set-clipboard on`) and ssh pass it through, so copying
    /// works on a remote session.
    #[allow(
        clippy::unused_self,
        reason = "the screen owns the terminal: only its holder writes escapes to it"
    )]
    pub fn copy(&mut self, text: &str) -> io::Result<()> {
        execute!(
            io::stdout(),
            crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
        )
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
    }
}

/// Chain a panic hook that leaves the database worker's panics alone and
/// passes every other to the previous hooks: ratatui's, which restores the
/// terminal, then color-eyre's, which prints its report on a sane screen.
///
/// The worker catches its panics, reports them in the browser and starts
/// again. Restoring the terminal there would leave the browser running on
/// a cooked terminal (keys echoed and line-buffered, `q` waiting for
/// Enter), and a report printed over the alternate screen would only
/// garble it. Mouse capture is turned off here too, which ratatui's
/// restore does not do.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if thread::current().name() == Some(worker::THREAD_NAME) {
            return;
        }
        let _ = execute!(io::stdout(), DisableMouseCapture);
        previous(info);
    }));
}
