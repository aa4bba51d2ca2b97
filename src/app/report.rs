//! A report overlay: "was it the host?" for a job, asked of the worker
//! and shown as text lines when it comes.

use crossterm::event::KeyEvent;

use super::action::Action;
use super::keymap::{self, Scope};
use super::loadable::Loadable;
use crate::lifecycle::blame::Blame;

/// The overlay's state: which job, its report once read, how far it is
/// scrolled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportView {
    pub flight: i32,
    pub job: String,
    pub data: Loadable<Blame>,
    pub scroll: usize,
}

/// Whether the report is still open after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOutcome {
    Used,
    Close,
}

impl ReportView {
    pub fn loading(flight: i32, job: String) -> ReportView {
        ReportView {
            flight,
            job,
            data: Loadable::Loading,
            scroll: 0,
        }
    }

    /// The report's lines (none until it comes).
    pub fn lines(&self) -> Vec<String> {
        match &self.data {
            Loadable::Loaded(b) => b.lines(),
            _ => Vec::new(),
        }
    }

    pub fn key(&mut self, key: &KeyEvent) -> ReportOutcome {
        let len = self.lines().len();
        match keymap::lookup(Scope::Report, key) {
            Some(Action::Cancel) => return ReportOutcome::Close,
            Some(Action::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Action::Down) => self.scroll = (self.scroll + 1).min(len.saturating_sub(1)),
            Some(Action::Top) => self.scroll = 0,
            _ => {}
        }
        ReportOutcome::Used
    }
}
