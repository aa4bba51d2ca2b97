//! The message log: every status-line message of the session, newest
//! first, so that a write's result can be read again after the status
//! line has moved on.

use std::collections::VecDeque;
use std::time::Instant;

use crossterm::event::KeyEvent;

use super::action::Action;
use super::keymap::{self, Scope};

/// The most messages kept; older ones are dropped.
pub const KEPT: usize = 500;

/// One message, as the status line showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub at: Instant,
    pub text: String,
    pub error: bool,
}

/// The session's messages, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Log {
    messages: VecDeque<Message>,
}

impl Log {
    pub fn push(&mut self, message: Message) {
        if self.messages.len() == KEPT {
            self.messages.pop_front();
        }
        self.messages.push_back(message);
    }

    /// Newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = &Message> {
        self.messages.iter().rev()
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

/// The log overlay's state: how far it is scrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessagesView {
    pub scroll: usize,
}

/// Whether the log is still open after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessagesOutcome {
    Used,
    Close,
}

impl MessagesView {
    pub fn key(&mut self, key: &KeyEvent, len: usize) -> MessagesOutcome {
        match keymap::lookup(Scope::Messages, key) {
            Some(Action::Cancel) => return MessagesOutcome::Close,
            Some(Action::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Action::Down) => self.scroll = (self.scroll + 1).min(len.saturating_sub(1)),
            Some(Action::Top) => self.scroll = 0,
            _ => {}
        }
        MessagesOutcome::Used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_newest() {
        let at = Instant::now();
        let mut log = Log::default();
        for i in 0..KEPT + 3 {
            log.push(Message {
                at,
                text: i.to_string(),
                error: false,
            });
        }
        assert_eq!(log.len(), KEPT);
        let texts: Vec<_> = log.newest_first().map(|m| m.text.clone()).collect();
        assert_eq!(texts[0], (KEPT + 2).to_string());
        assert_eq!(texts[KEPT - 1], "3");
    }
}
