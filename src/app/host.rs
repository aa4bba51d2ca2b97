//! One host: its lifecycle rows with task liveness, beside the listing a
//! `final` call by an outside observer would compute now.

use std::time::Instant;

use super::action::Action;
use super::columns::{Col, WHOLE};
use super::loadable::Feed;
use super::reaction::{Reaction, Target};
use super::sort_menu::titles;
use super::table::{Sortable, Table};
use crate::lifecycle::report::{HostDetail, RowView, StepInfo};
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

/// The rows table's columns: which row, then who wrote it and in what
/// step, the free text last.
pub const ROW_COLUMNS: [Col; 10] = [
    Col::new("", WHOLE),
    Col::new("lcseq", WHOLE),
    Col::new("flags", WHOLE),
    // The task's refkey often repeats the job; it gives way first.
    Col::new("task", 8).cut_first(),
    Col::new("job", 12),
    Col::new("#", WHOLE),
    Col::new("step", 8),
    Col::new("testid", 6),
    Col::new("status", WHOLE),
    Col::new("ident", 5),
];

/// The listing's columns, its meaning last.
pub const LISTING_COLUMNS: [Col; 5] = [
    Col::new("", WHOLE),
    Col::new("job / task", 12),
    Col::new("#", WHOLE),
    Col::new("ident", 5),
    Col::new("meaning", 10),
];

#[derive(Debug, Clone, PartialEq)]
pub struct HostView {
    pub host: String,
    pub feed: Feed<HostData>,
    pub pane: HostPane,
    pub rows: Table<10>,
    pub listing: Table<5>,
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
            rows: Table::new(titles(ROW_COLUMNS.map(|c| c.title), "live")),
            listing: Table::new(titles(LISTING_COLUMNS.map(|c| c.title), "marks")),
        }
    }

    pub fn accept(&mut self, result: Result<HostDetail, Failure>, now: Instant) -> Option<Failure> {
        let msg = self.feed.finish(result.map(HostData::new), now);
        if let Some(d) = self.feed.loaded() {
            let rows = d.detail.rows.iter().map(row_texts).collect();
            let entries = d
                .listing
                .as_ref()
                .map_or_else(|_| Vec::new(), |l| l.iter().map(entry_cells).collect());
            self.rows.set_rows(rows);
            self.listing.set_rows(entries);
        }
        msg
    }

    pub fn selected_row(&self) -> Option<&RowView> {
        self.feed.loaded()?.detail.rows.get(self.rows.selected()?)
    }

    pub fn selected_entry(&self) -> Option<&Resolved> {
        self.feed
            .loaded()?
            .listing
            .as_ref()
            .ok()?
            .get(self.listing.selected()?)
    }

    /// The table of the pane with the keyboard.
    pub fn focused(&mut self) -> &mut dyn Sortable {
        match self.pane {
            HostPane::Rows => &mut self.rows,
            HostPane::Listing => &mut self.listing,
        }
    }

    pub fn handle(&mut self, action: Action, page: usize) -> Reaction {
        let used = match self.pane {
            HostPane::Rows => self.rows.handle(action, page),
            HostPane::Listing => self.listing.handle(action, page),
        };
        if used {
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
            Action::Timeline => Reaction::Open(Target::Timeline(self.host.clone())),
            Action::Wipe => Reaction::Wipe(self.host.clone()),
            Action::Record => Reaction::Prefill(self.record_line()),
            Action::Open | Action::Blame => {
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
                    Some((flight, job)) if action == Action::Blame => {
                        Reaction::Blame { flight, job }
                    }
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

/// A lifecycle row's cells, unescaped and whole.
pub fn row_texts(r: &RowView) -> [String; 10] {
    let (job, stepno, ident) = match &r.job {
        Some(j) => (
            format!("{}.{}", j.flight, j.job),
            j.stepno.to_string(),
            j.ident.to_string(),
        ),
        None => ("(out of job)".to_owned(), String::new(), String::new()),
    };
    let [step, testid, status] = step_texts(r.step.as_ref());
    [
        liveness_glyph(r).to_owned(),
        r.lcseq.to_string(),
        row_flags(r),
        display::task_cell(r.taskid, r.task.as_ref()),
        job,
        stepno,
        step,
        testid,
        status,
        ident,
    ]
}

/// A step's name, testid and status as cells; blank when the step is not
/// in the database.
pub fn step_texts(step: Option<&StepInfo>) -> [String; 3] {
    step.map_or_else(Default::default, |s| {
        [
            s.step.clone(),
            s.testid.clone().unwrap_or_default(),
            s.status.clone(),
        ]
    })
}

/// A row's task liveness as a glyph (never colour alone).
pub fn liveness_glyph(r: &RowView) -> &'static str {
    match &r.task {
        Some(task) if task.live => LIVE,
        Some(_) => DEAD,
        None => DELETED,
    }
}

/// Live tasks glyph and word: never colour alone.
pub const LIVE: &str = "●";
pub const DEAD: &str = "○";
pub const DELETED: &str = "⊘";

/// A listing entry's cells: marks, who, step, ident, and what it means.
pub fn entry_cells(e: &Resolved) -> [String; 5] {
    let marks = |prep: bool| {
        format!(
            "{}{}",
            if e.concurrent { "+" } else { "" },
            if prep { "@" } else { "" }
        )
    };
    match &e.kind {
        ResolvedKind::Step {
            flight,
            job,
            stepno,
            ident,
            prep,
            ..
        } => [
            marks(*prep),
            display::job_label(*flight, job),
            stepno.to_string(),
            ident.clone(),
            display::entry_meaning(e),
        ],
        ResolvedKind::Task { taskid } => [
            marks(false),
            format!("?{taskid}"),
            String::new(),
            String::new(),
            display::entry_meaning(e),
        ],
        ResolvedKind::Elided { count } => [
            String::new(),
            format!("[{count}]"),
            String::new(),
            String::new(),
            display::entry_meaning(e),
        ],
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
