//! The hosts list: every host, sortable by each column, filtered as you
//! type.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use crossterm::event::KeyEvent;

use super::action::Action;
use super::columns::{self, Col, WHOLE};
use super::cursor::Cursor;
use super::loadable::{Feed, Loadable};
use super::reaction::{Reaction, Target};
use super::table::{self, Sortable};
use crate::lifecycle::health::Health;
use crate::lifecycle::report::{HostSummary, count_rows, set_health};
use crate::lifecycle::suspects::Report;
use crate::lifecycle::{Failure, display, escape};

/// The columns of the hosts table, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Live,
    Host,
    /// `hostlife suspects` flags the host: its installs fail whatever ran
    /// before.
    Suspect,
    Share,
    Flags,
    Holder,
    Rows,
    /// A sparkline of its newest jobs' outcomes.
    Recent,
    /// Jobs since its last good install.
    SinceInstall,
    /// Failed installs in the last week.
    FailedInstalls,
    LastJob,
    LastActivity,
}

/// How many columns the hosts table has.
pub const N: usize = 12;

impl Column {
    /// What an operator needs first comes first: at 80 columns the
    /// rightmost are the ones narrowed past their minimum (the host view
    /// lists the flags and share in full).
    pub const ALL: [Column; N] = [
        Column::Live,
        Column::Host,
        Column::Suspect,
        Column::Recent,
        Column::Rows,
        Column::LastJob,
        Column::LastActivity,
        Column::Holder,
        Column::SinceInstall,
        Column::FailedInstalls,
        Column::Share,
        Column::Flags,
    ];

    pub const fn title(self) -> &'static str {
        match self {
            Column::Live => "live",
            Column::Host => "host",
            Column::Suspect => "!",
            Column::Share => "shared",
            Column::Flags => "flags",
            Column::Holder => "held by",
            Column::Rows => "rows",
            Column::Recent => "recent",
            Column::SinceInstall => "on install",
            Column::FailedInstalls => "bad inst. 7d",
            Column::LastJob => "last job",
            Column::LastActivity => "activity",
        }
    }

    /// The column as the sort menu names it: a glyph header says what it
    /// holds, and the sparkline what it sorts by.
    pub const fn menu_title(self) -> &'static str {
        match self {
            Column::Suspect => "! (suspect host)",
            Column::Recent => "recent (failures among them)",
            other => other.title(),
        }
    }

    /// How the column is sized: a host's name, its row count and the
    /// time are never cut (up to the longest lab host names); the flags,
    /// which the host view lists in full, give way first.
    pub const fn col(self) -> Col {
        match self {
            Column::Live
            | Column::Suspect
            | Column::Rows
            | Column::SinceInstall
            | Column::FailedInstalls
            | Column::LastActivity => Col::new(self.title(), WHOLE),
            Column::Host => Col::new(self.title(), MAX_HOST_WIDTH),
            // Drawn from its newest end: cut, it keeps the latest jobs.
            Column::Recent | Column::Share => Col::new(self.title(), 6),
            Column::Flags => Col::new(self.title(), 5).cut_first(),
            Column::Holder => Col::new(self.title(), 10),
            Column::LastJob => Col::new(self.title(), 12),
        }
    }

    fn compare(self, a: &HostSummary, b: &HostSummary) -> Ordering {
        match self {
            Column::Live => a.live_tasks.cmp(&b.live_tasks),
            Column::Host => a.host.cmp(&b.host),
            Column::Share => a.sharetype.cmp(&b.sharetype),
            Column::Flags => a.flags.cmp(&b.flags),
            Column::Holder => holder_text(a).cmp(&holder_text(b)),
            Column::Rows => a.rows.cmp(&b.rows),
            Column::Suspect => health(a, |h| h.suspect).cmp(&health(b, |h| h.suspect)),
            Column::Recent => health(a, Health::failures).cmp(&health(b, Health::failures)),
            Column::SinceInstall => {
                health(a, |h| h.jobs_since_install).cmp(&health(b, |h| h.jobs_since_install))
            }
            Column::FailedInstalls => health(a, |h| h.failed_installs_recently)
                .cmp(&health(b, |h| h.failed_installs_recently)),
            Column::LastJob => a.last_job.cmp(&b.last_job),
            Column::LastActivity => a.last_activity.cmp(&b.last_activity),
        }
        .then_with(|| a.host.cmp(&b.host))
    }
}

/// Part of a host's health, `None` (first, ascending) while unread.
fn health<T>(h: &HostSummary, part: impl Fn(&Health) -> T) -> Option<T> {
    h.health.as_ref().map(part)
}

/// The hosts table's columns, in display order.
pub const COLUMNS: [Col; N] = {
    let mut cols = [Column::Live.col(); N];
    let mut i = 0;
    while i < N {
        cols[i] = Column::ALL[i].col();
        i += 1;
    }
    cols
};

/// The widest a host name is kept whole at the expense of other columns:
/// the longest names labs use.
pub const MAX_HOST_WIDTH: u16 = 24;

/// Room in each header for the sort arrow (" ▲"), so that it shows on
/// whichever column sorts.
const ARROW_WIDTH: u16 = 2;

/// A host's cells, unescaped and whole, in [`Column::ALL`] order; the
/// last activity as an age when the wall clock `now` is known.
pub fn cells(h: &HostSummary, now: Option<i64>) -> [String; N] {
    Column::ALL.map(|c| match c {
        Column::Live if h.live_tasks > 0 => format!("● {}", h.live_tasks),
        Column::Live => "○".to_owned(),
        Column::Host => h.host.clone(),
        Column::Suspect if health(h, |h| h.suspect) == Some(true) => "!".to_owned(),
        Column::Suspect => String::new(),
        Column::Share => match (&h.sharetype, h.shares) {
            (Some(s), Some(n)) => format!("{s} ×{n}"),
            (Some(s), None) => s.clone(),
            _ => String::new(),
        },
        Column::Flags => flags_text(h),
        Column::Holder => holder_text(h),
        // Counted after the list arrives.
        Column::Rows => h.rows.map_or_else(|| "…".to_owned(), |n| n.to_string()),
        // Read after the list, like the counts.
        Column::Recent => health(h, Health::sparkline).unwrap_or_else(|| "…".to_owned()),
        Column::SinceInstall => match &h.health {
            Some(health) => health
                .jobs_since_install
                .map_or_else(|| "never".to_owned(), |n| n.to_string()),
            None => "…".to_owned(),
        },
        Column::FailedInstalls => health(h, |h| match h.failed_installs_recently {
            0 => String::new(),
            n => n.to_string(),
        })
        .unwrap_or_else(|| "…".to_owned()),
        Column::LastJob => h.last_job.clone().unwrap_or_default(),
        Column::LastActivity => match (h.last_activity, now) {
            (Some(t), Some(now)) => crate::timefmt::ago(t, now),
            (Some(t), None) => crate::timefmt::utc_zoned(t),
            (None, _) => String::new(),
        },
    })
}

/// A host's flags as the table shows them: the prefixes every lab uses
/// (`arch-`, `purpose-`, `blessed-`) left out, so that more fit; the host
/// view shows them in full.
pub fn flags_text(h: &HostSummary) -> String {
    h.flags
        .iter()
        .map(|f| {
            ["arch-", "purpose-", "blessed-"]
                .iter()
                .find_map(|p| f.strip_prefix(p))
                .unwrap_or(f)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The holder as the table shows it: `taskid type refkey`.
pub fn holder_text(h: &HostSummary) -> String {
    h.holder
        .as_ref()
        .map(display::label_cell)
        .unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: Column,
    pub descending: bool,
}

/// The hosts list's state. `filter` and `sort` are read freely but
/// changed only through the methods here, which keep `shown` in step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HostsView {
    pub feed: Feed<Vec<HostSummary>>,
    pub filter: String,
    /// The filter input has the keyboard.
    pub editing: bool,
    pub sort: Sort,
    pub cursor: Cursor,
    /// Indices into [`HostsView::all`] of the hosts shown, in order:
    /// filtered and sorted once when the data, filter or sort change, not
    /// on every key and frame.
    shown: Vec<usize>,
    /// How many hosts have live tasks.
    live: usize,
    /// The wall clock at the last answer, for ages.
    now: Option<i64>,
    /// The width each column's values want, over the hosts shown: a
    /// column the filter leaves blank gives its room to the others.
    wanted: [u16; N],
    /// When the health last arrived.
    health_at: Option<Instant>,
    /// The latest suspects ranking (its problem hosts are marked here;
    /// the `!` overlay shares it), and when it arrived.
    pub suspects: Option<Arc<Report>>,
    suspects_at: Option<Instant>,
}

/// Whether something last read `at` (never: `None`) is due at `now`,
/// read every `every`.
fn due(at: Option<Instant>, now: Instant, every: std::time::Duration) -> bool {
    at.is_none_or(|at| now.saturating_duration_since(at) >= every)
}

/// How often the suspects ranking is read again for the hosts' marks: it
/// reads every install in the database (3 s at the simulator's `large`).
pub const SUSPECTS_REFRESH: std::time::Duration = std::time::Duration::from_mins(10);

/// How often the hosts' health is read again: it ranks every install in
/// the database, which is not worth doing at every refresh of the list.
pub const HEALTH_REFRESH: std::time::Duration = std::time::Duration::from_mins(1);

impl Default for Sort {
    fn default() -> Self {
        Sort {
            column: Column::Host,
            descending: false,
        }
    }
}

impl HostsView {
    pub fn new() -> Self {
        HostsView {
            feed: Feed::loading(),
            ..Default::default()
        }
    }

    pub fn all(&self) -> &[HostSummary] {
        self.feed.loaded().map_or(&[], Vec::as_slice)
    }

    /// Host names, for completion.
    pub fn names(&self) -> Vec<String> {
        self.all().iter().map(|h| h.host.clone()).collect()
    }

    /// Take an answer to the hosts query (see [`Feed::finish`]).
    pub fn accept(
        &mut self,
        result: Result<Vec<HostSummary>, Failure>,
        now: Instant,
    ) -> Option<Failure> {
        // The list comes before its counts: until they do, each host
        // keeps the count it had, rather than blanking the column at
        // every refresh.
        let result = result.map(|mut hosts| {
            if let Some(old) = self.feed.loaded() {
                let had: HashMap<&str, i64> = old
                    .iter()
                    .filter_map(|h| Some((h.host.as_str(), h.rows?)))
                    .collect();
                for h in hosts.iter_mut().filter(|h| h.rows.is_none()) {
                    h.rows = had.get(h.host.as_str()).copied();
                }
                let health: HashMap<&str, &Health> = old
                    .iter()
                    .filter_map(|h| Some((h.host.as_str(), h.health.as_ref()?)))
                    .collect();
                for h in hosts.iter_mut().filter(|h| h.health.is_none()) {
                    h.health = health.get(h.host.as_str()).map(|&h| h.clone());
                }
            }
            hosts
        });
        let note = self.feed.finish(result, now);
        self.live = self.all().iter().filter(|h| h.live_tasks > 0).count();
        self.reindex();
        note
    }

    /// The hosts' row counts, which follow the list. A host with no rows
    /// has none to count. A failure leaves the counts as they were and is
    /// returned for the status bar.
    pub fn accept_counts(
        &mut self,
        result: Result<HashMap<String, i64>, Failure>,
    ) -> Option<Failure> {
        let counts = match result {
            Ok(c) => c,
            Err(e) => return Some(e),
        };
        if let Loadable::Loaded(hosts) = &mut self.feed.data {
            count_rows(hosts, &counts);
        }
        self.reindex();
        None
    }

    /// The hosts' health, which follows the list less often than the
    /// counts (it reads every install). A failure leaves it as it was.
    pub fn accept_health(
        &mut self,
        result: Result<HashMap<String, Health>, Failure>,
        now: Instant,
    ) -> Option<Failure> {
        let health = match result {
            Ok(h) => h,
            Err(e) => return Some(e),
        };
        if let Loadable::Loaded(hosts) = &mut self.feed.data {
            set_health(hosts, &health);
        }
        self.health_at = Some(now);
        self.mark_suspects();
        None
    }

    /// The suspects ranking, which follows the health least often (it
    /// reads every install). A failure leaves the marks as they were.
    pub fn accept_suspects(
        &mut self,
        result: Result<Report, Failure>,
        now: Instant,
    ) -> Option<Failure> {
        match result {
            Ok(report) => self.suspects = Some(Arc::new(report)),
            Err(e) => return Some(e),
        }
        self.suspects_at = Some(now);
        self.mark_suspects();
        None
    }

    /// Whether the suspects are due again (see [`SUSPECTS_REFRESH`]).
    pub fn suspects_due(&self, now: Instant) -> bool {
        due(self.suspects_at, now, SUSPECTS_REFRESH)
    }

    /// Mark the hosts' health with the latest suspects, then sort again
    /// (the marks are a column).
    fn mark_suspects(&mut self) {
        if let (Loadable::Loaded(hosts), Some(report)) = (&mut self.feed.data, &self.suspects) {
            let suspects: std::collections::BTreeSet<&str> = report.problem_hosts().collect();
            for h in hosts {
                if let Some(health) = &mut h.health {
                    health.suspect = suspects.contains(h.host.as_str());
                }
            }
        }
        self.reindex();
    }

    /// Whether the health is due again: never read, or read longer than
    /// [`HEALTH_REFRESH`] ago.
    pub fn health_due(&self, now: Instant) -> bool {
        due(self.health_at, now, HEALTH_REFRESH)
    }

    /// Filter (case-insensitive substring of the host, share type, a
    /// flag, the holder or the last job) and sort again, keeping the
    /// cursor in the list.
    fn reindex(&mut self) {
        let needle = self.filter.to_lowercase();
        let all: &[HostSummary] = self.feed.loaded().map_or(&[], Vec::as_slice);
        let mut shown: Vec<usize> = (0..all.len())
            .filter(|&i| {
                let h = &all[i];
                needle.is_empty()
                    || [
                        h.host.as_str(),
                        h.sharetype.as_deref().unwrap_or(""),
                        &holder_text(h),
                        h.last_job.as_deref().unwrap_or(""),
                    ]
                    .iter()
                    .chain(
                        h.flags
                            .iter()
                            .map(String::as_str)
                            .collect::<Vec<_>>()
                            .iter(),
                    )
                    .any(|s| s.to_lowercase().contains(&needle))
            })
            .collect();
        let sort = self.sort;
        shown.sort_by(|&a, &b| {
            let o = sort.column.compare(&all[a], &all[b]);
            if sort.descending { o.reverse() } else { o }
        });
        self.shown = shown;
        self.cursor.clamp(self.shown.len());
        let cells: Vec<[String; N]> = self
            .shown
            .iter()
            .map(|&i| cells(&all[i], self.now))
            .collect();
        self.wanted = columns::wanted(&COLUMNS, &cells);
    }

    /// The wall clock, for the hosts' ages; taken with each answer (which
    /// measures the columns again).
    pub fn set_now(&mut self, now: Option<i64>) {
        self.now = now;
    }

    /// The wall clock the ages are counted from.
    pub fn now(&self) -> Option<i64> {
        self.now
    }

    /// The columns' widths in a table `total` cells wide, the sorting one
    /// with room for its arrow.
    pub fn widths(&self, total: u16) -> [u16; N] {
        let mut wanted = self.wanted;
        if let Some(i) = Column::ALL.iter().position(|&c| c == self.sort.column) {
            let title = columns::shown_width(COLUMNS[i].title) + ARROW_WIDTH;
            wanted[i] = wanted[i].max(title);
        }
        columns::widths(&COLUMNS, &wanted, total)
    }

    /// How many hosts are shown (after the filter).
    pub fn shown_len(&self) -> usize {
        self.shown.len()
    }

    /// The `i`th host shown.
    pub fn shown(&self, i: usize) -> Option<&HostSummary> {
        self.all().get(*self.shown.get(i)?)
    }

    /// How many hosts have live tasks.
    pub fn live_count(&self) -> usize {
        self.live
    }

    /// The hosts shown: filtered, then sorted.
    pub fn visible(&self) -> Vec<&HostSummary> {
        let all = self.all();
        self.shown.iter().map(|&i| &all[i]).collect()
    }

    pub fn selected(&self) -> Option<&HostSummary> {
        self.shown(self.cursor.selected)
    }

    /// Sort by `column`, or flip the direction if it is already the key.
    pub fn sort_by(&mut self, column: Column) {
        if self.sort.column == column {
            self.sort.descending = !self.sort.descending;
        } else {
            self.sort = Sort {
                column,
                descending: false,
            };
        }
        self.reindex();
    }

    pub fn handle(&mut self, action: Action, page: usize) -> Reaction {
        if self.cursor.apply(action, self.shown.len(), page) {
            return Reaction::Used;
        }
        match action {
            Action::Open => match self.selected() {
                Some(h) => Reaction::Open(Target::Host(h.host.clone())),
                None => Reaction::Used,
            },
            Action::History => match self.selected() {
                Some(h) => Reaction::Open(Target::History(h.host.clone())),
                None => Reaction::Used,
            },
            Action::Timeline => match self.selected() {
                Some(h) => Reaction::Open(Target::Timeline(h.host.clone())),
                None => Reaction::Used,
            },
            Action::Wipe => match self.selected() {
                Some(h) => Reaction::Wipe(h.host.clone()),
                None => Reaction::Used,
            },
            Action::Record => match self.selected() {
                Some(h) => Reaction::Prefill(format!("select {} ", escape(&h.host))),
                None => Reaction::Used,
            },
            Action::Filter => {
                self.editing = true;
                Reaction::Used
            }
            Action::ReverseSort => {
                self.sort.descending = !self.sort.descending;
                self.reindex();
                Reaction::Used
            }
            Action::Copy => match self.selected() {
                Some(h) => Reaction::Copy(
                    [
                        h.host.clone(),
                        h.sharetype.clone().unwrap_or_default(),
                        holder_text(h),
                        h.rows.map(|n| n.to_string()).unwrap_or_default(),
                        h.live_tasks.to_string(),
                        h.last_job.clone().unwrap_or_default(),
                    ]
                    .join("\t"),
                ),
                None => Reaction::Used,
            },
            // Esc clears a filter; with none, it is not ours.
            Action::Back if !self.filter.is_empty() => {
                self.filter.clear();
                self.cursor = Cursor::default();
                self.reindex();
                Reaction::Used
            }
            _ => Reaction::Ignored,
        }
    }

    /// A key while the filter input has the keyboard. Always used: typing
    /// must not trigger commands.
    pub fn filter_key(&mut self, key: &KeyEvent) {
        table::edit_filter(&mut self.filter, &mut self.editing, key);
        // The filter changed what is shown; start at the top.
        self.cursor = Cursor::default();
        self.reindex();
    }
}

impl Sortable for HostsView {
    fn titles(&self) -> Vec<&'static str> {
        Column::ALL.iter().map(|c| c.menu_title()).collect()
    }

    fn sort(&self) -> Option<table::Sort> {
        Some(table::Sort {
            column: Column::ALL.iter().position(|&c| c == self.sort.column)?,
            descending: self.sort.descending,
        })
    }

    fn sort_by(&mut self, column: usize) {
        if let Some(&c) = Column::ALL.get(column) {
            HostsView::sort_by(self, c);
        }
    }

    fn editing(&self) -> bool {
        self.editing
    }

    fn filter_key(&mut self, key: &KeyEvent) {
        HostsView::filter_key(self, key);
    }

    fn rows_shown(&self) -> (Vec<&'static str>, Vec<Vec<String>>) {
        (
            Column::ALL.iter().map(|c| c.title()).collect(),
            self.visible()
                .into_iter()
                .map(|h| cells(h, self.now).to_vec())
                .collect(),
        )
    }
}
