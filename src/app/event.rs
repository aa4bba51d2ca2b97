//! What the event loop receives and what `update` asks it to do.

use std::time::Instant;

use crossterm::event::{KeyEvent, MouseEvent};

use crate::db::worker::{self, Request, RequestId};

/// Everything the loop reacts to, from one channel.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// The clock: drives refreshes, "updated N s ago" and the spinner.
    Tick(Instant),
    Db(worker::Event),
    /// The process was asked to end (SIGTERM, SIGHUP, SIGINT): quit as
    /// `q` does, so the terminal is put back.
    Terminate,
}

/// I/O that `update` wants done; the loop carries it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Request(RequestId, Request),
    /// Put text on the clipboard (OSC 52, so it works over ssh and tmux).
    Copy(String),
    SetMouse(bool),
    /// Keep a palette command for later sessions.
    Remember(String),
    /// Write `content` to a new file `name` in the current directory (an
    /// existing one is left alone); the loop reports back through
    /// [`crate::app::App::exported`].
    Export {
        name: String,
        content: String,
        rows: usize,
    },
    Quit,
}
