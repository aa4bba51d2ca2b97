//! A report overlay: "was it the host?" for a job, asked of the worker
//! and shown as text lines when it comes; or the whole suspects ranking,
//! the latest the hosts list has (it asks for one if it has none yet).

use std::sync::Arc;

use crossterm::event::KeyEvent;

use super::action::Action;
use super::keymap::{self, Scope};
use super::loadable::Loadable;
use crate::db::worker::Request;
use crate::lifecycle::blame::Blame;
use crate::lifecycle::elided::Elided;
use crate::lifecycle::suspects::Report;

/// What a report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// "Was it the host?" for this job.
    Blame { flight: i32, job: String },
    /// Which job names break hosts, and which hosts fail on their own.
    Suspects,
    /// The build jobs `[count]` in `(flight, job)`'s runvar `name` stands
    /// for.
    Elided {
        flight: i32,
        job: String,
        name: String,
        count: u32,
    },
}

/// A report, once read.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Blame(Blame),
    /// The hosts list's latest ranking, shared.
    Suspects(Arc<Report>),
    Elided(Elided),
}

/// The overlay's state: what it reports on, the report once read, how
/// far it is scrolled.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportView {
    pub subject: Subject,
    pub data: Loadable<Content>,
    pub scroll: usize,
}

/// Whether the report is still open after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOutcome {
    Used,
    Close,
}

impl ReportView {
    /// "Was it the host?" for a job, until the worker answers.
    pub fn blame(flight: i32, job: String) -> ReportView {
        ReportView {
            subject: Subject::Blame { flight, job },
            data: Loadable::Loading,
            scroll: 0,
        }
    }

    /// The suspects ranking: `latest` if there is one, else loading.
    pub fn suspects(latest: Option<Arc<Report>>) -> ReportView {
        ReportView {
            subject: Subject::Suspects,
            data: latest.map_or(Loadable::Loading, |r| {
                Loadable::Loaded(Content::Suspects(r))
            }),
            scroll: 0,
        }
    }

    /// `[n]` expanded, until the worker answers.
    pub fn elided(flight: i32, job: String, name: String, count: u32) -> ReportView {
        ReportView {
            subject: Subject::Elided {
                flight,
                job,
                name,
                count,
            },
            data: Loadable::Loading,
            scroll: 0,
        }
    }

    /// The request that reads what this overlay shows, for the reports
    /// read on their own (a blame's and the suspects' come with theirs).
    pub fn request(&self) -> Option<Request> {
        match &self.subject {
            Subject::Elided {
                flight,
                job,
                name,
                count,
            } => Some(Request::Elided {
                flight: *flight,
                job: job.clone(),
                name: name.clone(),
                count: *count,
            }),
            _ => None,
        }
    }

    /// Whether this overlay waits for (or shows) the blame of `(flight,
    /// job)`.
    pub fn is_blame_of(&self, flight: i32, job: &str) -> bool {
        matches!(&self.subject, Subject::Blame { flight: f, job: j } if *f == flight && j == job)
    }

    /// The report's lines (none until it comes).
    pub fn lines(&self) -> Vec<String> {
        match &self.data {
            Loadable::Loaded(Content::Blame(b)) => b.lines(),
            Loadable::Loaded(Content::Suspects(r)) => {
                r.lines().into_iter().map(|(_, line)| line).collect()
            }
            Loadable::Loaded(Content::Elided(e)) => e.lines(),
            _ => Vec::new(),
        }
    }

    pub fn key(&mut self, key: &KeyEvent) -> ReportOutcome {
        let len = self.lines().len();
        match keymap::lookup(Scope::Report, key) {
            Some(Action::Cancel) => return ReportOutcome::Close,
            Some(Action::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Action::Down) => self.scroll = (self.scroll + 1).min(len.saturating_sub(1)),
            Some(Action::PageUp) => self.scroll = self.scroll.saturating_sub(PAGE),
            Some(Action::PageDown) => self.scroll = (self.scroll + PAGE).min(len.saturating_sub(1)),
            Some(Action::Top) => self.scroll = 0,
            _ => {}
        }
        ReportOutcome::Used
    }
}

/// How many lines a page key scrolls.
const PAGE: usize = 10;
