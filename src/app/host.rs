//! One host: its lifecycle rows with task liveness, beside the listing a
//! `final` call by an outside observer would compute now.

use std::time::Instant;

use super::action::Action;
use super::cursor::Cursor;
use super::loadable::Feed;
use super::reaction::{Reaction, Target};
use crate::lifecycle::report::{HostDetail, RowView};
use crate::lifecycle::{self, DecodeError, Resolved, ResolvedKind};
use crate::lifecycle::{Failure, display, escape};

/// The host's data with its listing decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct HostData {
    pub detail: HostDetail,
    /// The listing decoded as an outside observer's (flight 0, no job):
    /// every entry names its flight, so none is "own".
    pub listing: Result<Vec<Resolved>, DecodeError>,
    /// Rows whose task is live, counted once rather than every frame.
    pub live_rows: usize,
}

impl HostData {
    pub fn new(detail: HostDetail) -> Self {
        let listing = lifecycle::decode(&detail.listing).map(|r| r.resolve(0, ""));
        let live_rows = detail
            .rows
            .iter()
            .filter(|r| r.task.as_ref().is_some_and(|t| t.live))
            .count();
        HostData {
            detail,
            listing,
            live_rows,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostPane {
    #[default]
    Rows,
    Listing,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HostView {
    pub host: String,
    pub feed: Feed<HostData>,
    pub pane: HostPane,
    pub rows: Cursor,
    pub listing: Cursor,
}

impl HostView {
    /// A record call for the selected row's job, as the palette takes it:
    /// the same host, ident, flight, job and step, mode `select` (the
    /// operator changes what differs). Out of job when the row has none.
    fn record_line(&self) -> String {
        let host = escape(&self.host);
        match self.selected_row().and_then(|r| r.job.as_ref()) {
            Some(j) if self.pane == HostPane::Rows => format!(
                "select {host} --ident {} --flight {} --job {} --step {} ",
                j.ident, j.flight, j.job, j.stepno
            ),
            _ => format!("select {host} "),
        }
    }

    pub fn new(host: String) -> Self {
        HostView {
            host,
            feed: Feed::loading(),
            pane: HostPane::Rows,
            rows: Cursor::default(),
            listing: Cursor::default(),
        }
    }

    pub fn accept(&mut self, result: Result<HostDetail, Failure>, now: Instant) -> Option<Failure> {
        let msg = self.feed.finish(result.map(HostData::new), now);
        if let Some(d) = self.feed.loaded() {
            self.rows.clamp(d.detail.rows.len());
            self.listing.clamp(d.listing.as_ref().map_or(0, Vec::len));
        }
        msg
    }

    pub fn selected_row(&self) -> Option<&RowView> {
        self.feed.loaded()?.detail.rows.get(self.rows.selected)
    }

    pub fn selected_entry(&self) -> Option<&Resolved> {
        self.feed
            .loaded()?
            .listing
            .as_ref()
            .ok()?
            .get(self.listing.selected)
    }

    pub fn handle(&mut self, action: Action, page: usize) -> Reaction {
        let (nrows, nentries) = self.feed.loaded().map_or((0, 0), |d| {
            (d.detail.rows.len(), d.listing.as_ref().map_or(0, Vec::len))
        });
        let moved = match self.pane {
            HostPane::Rows => self.rows.apply(action, nrows, page),
            HostPane::Listing => self.listing.apply(action, nentries, page),
        };
        if moved {
            return Reaction::Used;
        }
        match action {
            Action::NextPane => {
                self.pane = match self.pane {
                    HostPane::Rows => HostPane::Listing,
                    HostPane::Listing => HostPane::Rows,
                };
                Reaction::Used
            }
            Action::History => Reaction::Open(Target::History(self.host.clone())),
            Action::Wipe => Reaction::Wipe(self.host.clone()),
            Action::Record => Reaction::Prefill(self.record_line()),
            Action::Open => {
                let job = match self.pane {
                    HostPane::Rows => self
                        .selected_row()
                        .and_then(|r| r.job.as_ref())
                        .map(|j| (j.flight, j.job.to_string())),
                    HostPane::Listing => self.selected_entry().and_then(|e| match &e.kind {
                        ResolvedKind::Step { flight, job, .. } => Some((*flight, job.clone())),
                        _ => None,
                    }),
                };
                match job {
                    Some((flight, job)) => Reaction::Open(Target::Runvars { flight, job }),
                    None => Reaction::Used,
                }
            }
            Action::Copy => match self.pane {
                HostPane::Rows => self
                    .selected_row()
                    .map_or(Reaction::Used, |r| Reaction::Copy(row_text(r))),
                HostPane::Listing => self
                    .feed
                    .loaded()
                    .map_or(Reaction::Used, |d| Reaction::Copy(d.detail.listing.clone())),
            },
            _ => Reaction::Ignored,
        }
    }
}

/// Flags of a row as words and glyphs, never colour alone.
pub fn row_flags(r: &RowView) -> String {
    let mut s = String::new();
    if r.concurrent {
        s.push('+');
    }
    if r.job.as_ref().is_some_and(|j| j.isprep) {
        s.push('@');
    }
    if r.later_notprep {
        s.push('✗');
    }
    s
}

/// A row as copied: tab-separated, the way a spreadsheet pastes it.
pub fn row_text(r: &RowView) -> String {
    let task = display::task_cell(r.taskid, r.task.as_ref());
    let job = r.job.as_ref().map_or(String::new(), |j| {
        format!("{}.{}:{},{}", j.flight, j.job, j.stepno, j.ident)
    });
    [r.lcseq.to_string(), task, job, row_flags(r)].join("\t")
}
