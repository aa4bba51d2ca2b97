//! A host's archaeology: the jobs whose runvars name it, newest first,
//! read from runvars so it survives wipes.

use std::time::Instant;

use super::action::Action;
use super::columns::{Col, WHOLE};
use super::loadable::Feed;
use super::reaction::{Reaction, Target};
use super::table::Table;
use crate::lifecycle::report::{Decoded, HistoryEntry};
use crate::lifecycle::{Failure, ResolvedKind};
use crate::timefmt;

/// The history's columns: which job, then what its lifecycle says, the
/// runvar itself last.
pub const COLUMNS: [Col; 8] = [
    Col::new("flight", WHOLE),
    Col::new("job", 12),
    Col::new("ident", 5),
    Col::new("blessing", 7),
    Col::new("started", WHOLE),
    Col::new("status", WHOLE),
    Col::new("lifecycle", 12),
    Col::new("runvar", 8).cut_first(),
];

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryView {
    pub host: String,
    pub feed: Feed<Vec<HistoryEntry>>,
    /// Whether flights older than the last shown name the host too.
    pub more: bool,
    pub table: Table<8>,
}

impl HistoryView {
    pub fn new(host: String) -> Self {
        HistoryView {
            host,
            feed: Feed::loading(),
            more: false,
            table: Table::new(COLUMNS.map(|c| c.title)),
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
        if let Some(entries) = self.feed.loaded() {
            self.table
                .set_rows(entries.iter().map(entry_texts).collect());
        }
        msg
    }

    pub fn selected(&self) -> Option<&HistoryEntry> {
        self.feed.loaded()?.get(self.table.selected()?)
    }

    pub fn handle(&mut self, action: Action, page: usize) -> Reaction {
        if self.table.handle(action, page) {
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

/// A history entry's cells, unescaped and whole.
pub fn entry_texts(e: &HistoryEntry) -> [String; 8] {
    [
        e.flight.to_string(),
        e.job.clone(),
        e.ident.clone(),
        e.blessing.clone().unwrap_or_default(),
        e.started.map(timefmt::utc_zoned).unwrap_or_default(),
        e.job_status.clone(),
        summary(e),
        e.runvar.clone().unwrap_or_default(),
    ]
}

/// What a job's lifecycle runvar says, in a few words.
fn summary(e: &HistoryEntry) -> String {
    match &e.decoded {
        None => "no lifecycle recorded".to_owned(),
        Some(Decoded::Malformed(err)) => format!("✗ {err}"),
        Some(Decoded::Entries {
            entries,
            incomplete,
        }) => {
            let others = entries
                .iter()
                .filter(|r| !matches!(&r.kind, ResolvedKind::Step { own: true, .. }))
                .count();
            let concurrent = entries.iter().filter(|r| r.concurrent).count();
            let mut s = format!("{others} others, {concurrent} concurrent");
            if *incomplete {
                s.push_str(", incomplete");
            }
            s
        }
    }
}
