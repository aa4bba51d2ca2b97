//! A host's archaeology: the jobs whose runvars name it, newest first,
//! read from runvars so it survives wipes.

use std::time::Instant;

use super::action::Action;
use super::cursor::Cursor;
use super::loadable::Feed;
use super::reaction::{Reaction, Target};
use crate::lifecycle::Failure;
use crate::lifecycle::report::HistoryEntry;

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryView {
    pub host: String,
    pub feed: Feed<Vec<HistoryEntry>>,
    /// Whether flights older than the last shown name the host too.
    pub more: bool,
    pub cursor: Cursor,
}

impl HistoryView {
    pub fn new(host: String) -> Self {
        HistoryView {
            host,
            feed: Feed::loading(),
            more: false,
            cursor: Cursor::default(),
        }
    }

    pub fn accept(
        &mut self,
        result: Result<(Vec<HistoryEntry>, bool), Failure>,
        now: Instant,
    ) -> Option<Failure> {
        let result = result.map(|(entries, more)| {
            self.more = more;
            entries
        });
        let msg = self.feed.finish(result, now);
        self.cursor.clamp(self.feed.loaded().map_or(0, Vec::len));
        msg
    }

    pub fn selected(&self) -> Option<&HistoryEntry> {
        self.feed.loaded()?.get(self.cursor.selected)
    }

    pub fn handle(&mut self, action: Action, page: usize) -> Reaction {
        let len = self.feed.loaded().map_or(0, Vec::len);
        if self.cursor.apply(action, len, page) {
            return Reaction::Used;
        }
        match action {
            Action::Open => self.selected().map_or(Reaction::Used, |e| {
                Reaction::Open(Target::Runvars {
                    flight: e.flight,
                    job: e.job.clone(),
                })
            }),
            Action::Copy => self.selected().map_or(Reaction::Used, |e| {
                Reaction::Copy(
                    [
                        e.flight.to_string(),
                        e.job.clone(),
                        e.ident.clone(),
                        e.runvar.clone().unwrap_or_default(),
                    ]
                    .join("\t"),
                )
            }),
            _ => Reaction::Ignored,
        }
    }
}
