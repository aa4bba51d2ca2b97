//! The TUI's state and its one state transition, [`update`].
//!
//! Each screen keeps its own state ([`hosts`], [`host`], [`runvars`],
//! [`history`], [`timeline`]); dialogs likewise ([`palette`], [`confirm`],
//! [`help`]).
//! [`App`] only routes: the focused dialog or screen sees a key first and
//! says whether it used it, then the global keys apply. `update` does no
//! I/O: it returns [`Effect`]s that the loop in [`crate::tui`] carries out.
//!
//! - [`event`]: what the loop feeds in and what `update` asks for.
//! - [`action`], [`keymap`]: typed actions and the keys bound to them.
//! - [`table`]: a table's rows as text with its cursor, filter and sort,
//!   which every table but the hosts list keeps; [`sort_menu`] picks the
//!   sort.
//! - [`loadable`], [`cursor`], [`layout`], [`columns`], [`fuzzy`]: small
//!   shared pieces.
//! - [`screen`], [`reaction`]: the screen stack, and what a view's
//!   handling of an action asks of the app.
//!
//! The data the views show is `lifecycle`'s; `db` is reached only through
//! the worker's requests and answers.

pub mod action;
pub mod columns;
pub mod confirm;
pub mod cursor;
pub mod event;
pub mod export;
pub mod fuzzy;
pub mod help;
pub mod history;
pub mod host;
pub mod hosts;
pub mod keymap;
pub mod layout;
pub mod loadable;
pub mod messages;
pub mod palette;
pub mod reaction;
pub mod report;
pub mod runvars;
pub mod screen;
pub mod sort_menu;
pub mod table;
pub mod timeline;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};

use crate::db::probe::Probe;
use crate::db::worker::{self, Answer, Connection, Reply, Request, RequestId, Slot};
use crate::lifecycle::call::TaskRef;
use crate::lifecycle::call::{RecordCall, RecordOutcome};
use crate::lifecycle::call::{WipeCall, WipeOutcome};
use action::Action;
use confirm::{ConfirmOutcome, ConfirmView, WipePreview, Write};
pub use event::{Effect, Event};
use help::{HelpOutcome, HelpView};
use history::HistoryView;
use host::{HostPane, HostView};
use hosts::HostsView;
use keymap::Scope;
use loadable::Loadable;
use messages::{Log, Message, MessagesOutcome, MessagesView};
use palette::{Command, JobCheck, Palette, PaletteOutcome};
use reaction::{Reaction, Target};
use runvars::{RunvarPane, RunvarSource, RunvarsView};
use screen::Screen;
use sort_menu::{SortMenu, SortOutcome};
use table::Sortable;
use timeline::TimelineView;

/// What the app needs to know from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Where the database is, for the header (no password).
    pub db_label: String,
    pub read_only: bool,
    pub refresh: Duration,
    /// Who writes: the operator's task.
    pub operator_task: TaskRef,
}

/// A dialog over the screens; it gets keys first.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help(HelpView),
    Messages(MessagesView),
    Palette(Box<Palette>),
    Confirm(Box<ConfirmView>),
    Sort(SortMenu),
    Report(report::ReportView),
}

/// A message for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// Request ids and, per slot, the one whose answer is still wanted; and
/// how long each slot's answers take, to pace its refreshes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Requests {
    next: RequestId,
    pending: HashMap<Slot, Pending>,
    /// How long the last answer taken for each slot took to come back,
    /// to the clock's resolution (a tick).
    took: HashMap<Slot, Duration>,
}

/// A request whose answer is still wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    id: RequestId,
    request: Request,
    since: Instant,
}

impl Requests {
    /// Tag a request sent at `now` with a fresh id; older requests for its
    /// slot go stale.
    pub fn issue(&mut self, request: Request, now: Instant) -> Effect {
        self.next += 1;
        self.pending.insert(
            request.slot(),
            Pending {
                id: self.next,
                request: request.clone(),
                since: now,
            },
        );
        Effect::Request(self.next, request)
    }

    /// Whether an answer arriving at `now` is the one wanted for its slot
    /// (and if so, the slot is no longer waiting). Stale answers are to be
    /// dropped.
    pub fn accept(&mut self, answer: &Answer, now: Instant) -> bool {
        let slot = answer.reply.slot();
        match self.pending.get(&slot) {
            Some(p) if p.id == answer.id => {
                self.took
                    .insert(slot, now.saturating_duration_since(p.since));
                self.pending.remove(&slot);
                true
            }
            _ => false,
        }
    }

    pub fn waiting(&self, slot: Slot) -> bool {
        self.pending.contains_key(&slot)
    }

    /// Whether this very request is still on its way.
    pub fn in_flight(&self, request: &Request) -> bool {
        self.pending
            .get(&request.slot())
            .is_some_and(|p| &p.request == request)
    }

    pub fn any_waiting(&self) -> bool {
        !self.pending.is_empty()
    }

    /// How long the last answer for `slot` took.
    pub fn took(&self, slot: Slot) -> Option<Duration> {
        self.took.get(&slot).copied()
    }

    /// The request that has waited longest for its answer, and since
    /// when, if any has waited at least `after` by `now`.
    pub fn oldest_waiting(&self, after: Duration, now: Instant) -> Option<(Slot, Duration)> {
        self.pending
            .iter()
            .map(|(&slot, p)| (slot, now.saturating_duration_since(p.since)))
            .filter(|&(_, waited)| waited >= after)
            .max_by_key(|&(_, waited)| waited)
    }
}

/// A refresh may keep the database worker busy at most 1/`STRETCH` of the
/// time: when answers take longer than that share of the configured
/// interval, the view refreshes every `STRETCH` answer-times instead, so a
/// slow query never runs back to back.
pub const STRETCH: u32 = 4;

/// The longest a stretched refresh interval gets (unless the configured
/// one is longer): after a stall, the first answer took as long as the
/// stall did, and four times that would leave the screen stale for
/// minutes once the network is back.
pub const MAX_STRETCHED: Duration = Duration::from_secs(30);

/// How long an answer may take before the banner says the connection
/// looks stalled. The browser's connect timeout is 5 s and its reads
/// take milliseconds on osstest's tables; twice the one is far beyond the
/// other, yet short enough that an operator is not left guessing.
pub const STALLED_AFTER: Duration = Duration::from_secs(10);

/// The live-update clock and connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    pub now: Instant,
    pub paused: bool,
    pub last_refresh: Instant,
    /// `None` until the worker first reports.
    pub connection: Option<Connection>,
    /// Advances every tick; drives the spinner.
    pub ticks: u64,
    /// What the current connection found; `None` until it reports.
    pub probe: Option<Probe>,
    /// The wall clock at an instant, so that times can be shown as ages
    /// ("3h ago"); `None` shows them as dates. Set by the loop (and by
    /// tests, to a fixed time), never read from the system here.
    pub wall: Option<(Instant, i64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub settings: Settings,
    pub hosts: HostsView,
    /// Screens drilled into, above the hosts list; the last is shown.
    pub stack: Vec<Screen>,
    pub overlay: Option<Overlay>,
    /// Palette lines run, oldest first: this session's, after those a
    /// previous one left (the loop loads them).
    pub commands: Vec<String>,
    pub requests: Requests,
    pub live: Live,
    pub status: Option<Status>,
    /// Every message the status line has shown.
    pub log: Log,
    pub mouse: bool,
    pub size: (u16, u16),
}

impl App {
    /// A new app and its first requests.
    pub fn new(settings: Settings, mouse: bool, now: Instant) -> (App, Vec<Effect>) {
        let mut app = App {
            settings,
            hosts: HostsView::new(),
            stack: Vec::new(),
            overlay: None,
            commands: Vec::new(),
            requests: Requests::default(),
            live: Live {
                now,
                paused: false,
                last_refresh: now,
                connection: None,
                ticks: 0,
                probe: None,
                wall: None,
            },
            status: None,
            log: Log::default(),
            mouse,
            size: (layout::MIN_WIDTH, layout::MIN_HEIGHT),
        };
        let effects = vec![app.requests.issue(Request::Hosts, now)];
        (app, effects)
    }

    /// Let the app know the wall clock: `unix` seconds at `at`.
    pub fn set_wall_clock(&mut self, at: Instant, unix: i64) {
        self.live.wall = Some((at, unix));
        self.hosts.set_now(self.wall_now());
    }

    /// The wall clock now, in unix seconds, if known.
    pub fn wall_now(&self) -> Option<i64> {
        let (at, unix) = self.live.wall?;
        let since = self.live.now.saturating_duration_since(at).as_secs();
        Some(unix.saturating_add(i64::try_from(since).unwrap_or(i64::MAX)))
    }

    /// The context of the screen shown.
    pub fn screen_context(&self) -> Scope {
        self.stack.last().map_or(Scope::Hosts, Screen::context)
    }

    /// Whether the list keys (filter, sort, export) apply: not in the
    /// timeline, which is a picture with its own moving keys.
    fn list_keys(&self) -> bool {
        !matches!(self.stack.last(), Some(Screen::Timeline(_)))
    }

    /// The contexts whose keys apply now, most specific first.
    pub fn contexts(&self) -> Vec<Scope> {
        match &self.overlay {
            Some(Overlay::Help(_)) => vec![Scope::Help],
            Some(Overlay::Messages(_)) => vec![Scope::Messages],
            Some(Overlay::Palette(_)) => vec![Scope::Palette],
            Some(Overlay::Confirm(_)) => vec![Scope::Confirm],
            Some(Overlay::Sort(_)) => vec![Scope::Sort],
            Some(Overlay::Report(_)) => vec![Scope::Report],
            None if self.focused_table_ref().is_some_and(Sortable::editing) => vec![Scope::Filter],
            None if !self.list_keys() => vec![self.screen_context(), Scope::Global],
            None => vec![self.screen_context(), Scope::List, Scope::Global],
        }
    }

    /// When the shown screen's data last arrived.
    pub fn updated(&self) -> Option<Instant> {
        match self.stack.last() {
            Some(s) => s.updated(),
            None => self.hosts.feed.updated,
        }
    }

    /// What the banner over every screen says, if anything: the database
    /// unreachable, or not usable as it is (the probe's one line, instead
    /// of an SQL error in every view).
    pub fn banner(&self) -> Option<String> {
        if let Some(Connection::Down { error, retry_in }) = &self.live.connection {
            return Some(format!(
                " ✗ database unreachable: {error} — reconnecting (next try within {} s); showing the last data ",
                retry_in.as_secs().max(1)
            ));
        }
        if let Some(why) = self.live.probe.as_ref().and_then(Probe::unusable) {
            return Some(format!(" ✗ {why} "));
        }
        let (slot, waited) = self.requests.oldest_waiting(STALLED_AFTER, self.live.now)?;
        Some(format!(
            " ⧗ no answer from the database for {} s ({}): the connection may be stalled; \
             showing the last data ",
            waited.as_secs(),
            slot_label(slot)
        ))
    }

    /// How many lines the banner takes on a screen of `area`: all of its
    /// text, up to a third of the screen.
    pub fn banner_height(&self, area: ratatui::layout::Rect) -> u16 {
        self.banner().map_or(0, |text| {
            let lines = ratatui::text::Line::from(text)
                .width()
                .div_ceil(usize::from(area.width.max(1)));
            u16::try_from(lines)
                .unwrap_or(u16::MAX)
                .clamp(1, (area.height / 3).max(1))
        })
    }

    /// Why writes are refused, if they are: `--read-only`, or a role the
    /// connection's probe found may not write.
    pub fn read_only_reason(&self) -> Option<String> {
        if self.settings.read_only {
            return Some("writes are disabled (--read-only)".to_owned());
        }
        self.live.probe.as_ref()?.read_only_reason()
    }

    pub fn connection_down(&self) -> bool {
        matches!(self.live.connection, Some(Connection::Down { .. }))
    }

    fn page(&self) -> usize {
        usize::from(self.size.1.saturating_sub(8)).max(1)
    }

    /// Warnings from before the browser started (an insecure password
    /// file, an unreadable osstest config), for the status line: stderr is
    /// hidden behind the browser's screen.
    pub fn warn(&mut self, warnings: &[String]) {
        if !warnings.is_empty() {
            self.say(format!("warning: {}", warnings.join("; ")), true);
        }
    }

    fn say(&mut self, text: impl Into<String>, error: bool) {
        let text = text.into();
        self.log.push(Message {
            at: self.live.now,
            text: text.clone(),
            error,
        });
        self.status = Some(Status { text, error });
    }

    /// The request that reloads what is shown.
    fn shown_request(&self) -> Request {
        self.stack.last().map_or(Request::Hosts, Screen::request)
    }

    /// How often what is shown refreshes: the configured interval,
    /// stretched while its answers are slow (see [`STRETCH`]).
    pub fn refresh_interval(&self) -> Duration {
        let took: Option<Duration> = self
            .shown_slots()
            .iter()
            .filter_map(|&s| self.requests.took(s))
            .reduce(|a, b| a + b);
        match took {
            Some(took) if took * STRETCH > self.settings.refresh => {
                (took * STRETCH).min(MAX_STRETCHED.max(self.settings.refresh))
            }
            _ => self.settings.refresh,
        }
    }

    /// The requests a refresh of the view on screen makes: the hosts
    /// list is two (the list, then its row counts).
    fn shown_slots(&self) -> Vec<Slot> {
        match self.shown_request().slot() {
            Slot::Hosts => vec![Slot::Hosts, Slot::HostCounts],
            slot => vec![slot],
        }
    }

    /// Whether slow answers stretched the refresh interval.
    pub fn refresh_stretched(&self) -> bool {
        self.refresh_interval() > self.settings.refresh
    }

    fn issue(&mut self, request: Request) -> Effect {
        self.requests.issue(request, self.live.now)
    }

    /// Ask the worker about the job the palette's line names, if it has
    /// not been asked yet.
    fn check_palette_job(&mut self) -> Vec<Effect> {
        let Some(Overlay::Palette(p)) = &mut self.overlay else {
            return Vec::new();
        };
        let Some(job) = p.job_to_check() else {
            return Vec::new();
        };
        p.checking(job.clone());
        let (flight, job) = job;
        vec![self.issue(Request::CheckJob { flight, job })]
    }

    fn job_checked(&mut self, job: (i32, String), result: worker::Outcome<()>) {
        let Some(Overlay::Palette(p)) = &mut self.overlay else {
            return;
        };
        let check = match result {
            Ok(()) => Some(JobCheck::Exists),
            Err(f) if f.is_refusal() => Some(JobCheck::Unknown(f.to_string())),
            // Not connected, or the query failed: the line stays as it
            // is, and Enter will say what is wrong.
            Err(_) => None,
        };
        let names = self.hosts.names();
        p.checked(job, check, &names);
    }

    /// Reload what is shown, unless that very request is on its way: its
    /// answer will do, and asking again would only queue the same query
    /// behind it.
    fn refresh(&mut self) -> Vec<Effect> {
        self.live.last_refresh = self.live.now;
        let request = self.shown_request();
        if self.requests.in_flight(&request) {
            return Vec::new();
        }
        vec![self.issue(request)]
    }

    /// Reload what is shown even if a reload is on its way: after a write,
    /// a query that started before it would show the data before it.
    fn reload(&mut self) -> Vec<Effect> {
        self.live.last_refresh = self.live.now;
        let request = self.shown_request();
        vec![self.issue(request)]
    }

    fn open(&mut self, target: Target) -> Vec<Effect> {
        let screen = match target {
            Target::Host(host) => Screen::Host(HostView::new(host)),
            Target::History(host) => Screen::History(HistoryView::new(host)),
            Target::Timeline(host) => Screen::Timeline(TimelineView::new(host)),
            Target::Runvars { flight, job } => {
                Screen::Runvars(RunvarsView::new(RunvarSource::Job { flight, job }))
            }
        };
        self.show(screen)
    }

    /// Show `screen` above the current one and ask for its data.
    fn show(&mut self, screen: Screen) -> Vec<Effect> {
        let request = screen.request();
        self.stack.push(screen);
        // A message about the view left behind would read as about this
        // one; it stays in the log (`m`).
        self.status = None;
        vec![self.issue(request)]
    }

    fn back(&mut self) -> Vec<Effect> {
        self.stack.pop();
        self.status = None;
        // The screen returned to may be stale, or still waiting on an
        // answer that a newer request made stale.
        self.refresh()
    }

    /// A key for the open dialog, if one is open: it takes every key.
    fn overlay_key(&mut self, key: &KeyEvent) -> Option<Vec<Effect>> {
        let effects = match self.overlay.as_mut()? {
            Overlay::Help(h) => {
                if h.key(key) == HelpOutcome::Close {
                    self.overlay = None;
                }
                Vec::new()
            }
            Overlay::Messages(m) => {
                if m.key(key, self.log.len()) == MessagesOutcome::Close {
                    self.overlay = None;
                }
                Vec::new()
            }
            Overlay::Report(r) => {
                if r.key(key) == report::ReportOutcome::Close {
                    self.overlay = None;
                }
                Vec::new()
            }
            Overlay::Palette(p) => {
                let names = self.hosts.names();
                match p.key(key, &self.commands, &names) {
                    PaletteOutcome::Used => self.check_palette_job(),
                    PaletteOutcome::Close => {
                        self.overlay = None;
                        Vec::new()
                    }
                    PaletteOutcome::Run(command, line) => {
                        let mut effects = Vec::new();
                        if self.commands.last() != Some(&line) {
                            self.commands.push(line.clone());
                            effects.push(Effect::Remember(line));
                        }
                        self.overlay = None;
                        effects.extend(self.command(command));
                        effects
                    }
                }
            }
            Overlay::Sort(menu) => {
                match menu.key(key) {
                    SortOutcome::Used => {}
                    SortOutcome::Close => self.overlay = None,
                    SortOutcome::Pick(column) => {
                        self.overlay = None;
                        if let Some(t) = self.focused_table() {
                            t.sort_by(column);
                        }
                    }
                }
                Vec::new()
            }
            Overlay::Confirm(c) => match c.key(key) {
                ConfirmOutcome::Used => Vec::new(),
                ConfirmOutcome::Cancel => {
                    self.overlay = None;
                    self.say("cancelled; nothing written", false);
                    Vec::new()
                }
                ConfirmOutcome::Go => {
                    let request = c.write.request();
                    let host = c.write.host().to_owned();
                    self.overlay = None;
                    self.say(format!("writing {host}…"), false);
                    vec![self.issue(request)]
                }
            },
        };
        Some(effects)
    }

    fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        if let Some(effects) = self.overlay_key(&key) {
            return effects;
        }
        if let Some(t) = self.focused_table()
            && t.editing()
        {
            t.filter_key(&key);
            return Vec::new();
        }
        let context = self.screen_context();
        let action = keymap::lookup(context, &key).or_else(|| {
            self.list_keys()
                .then(|| keymap::lookup(Scope::List, &key))?
        });
        if action == Some(Action::Sort) {
            self.open_sort_menu();
            return Vec::new();
        }
        match action {
            Some(Action::ExportCsv) => return self.export(export::Format::Csv),
            Some(Action::ExportJson) => return self.export(export::Format::Json),
            _ => {}
        }
        if let Some(action) = action {
            match self.screen_action(action) {
                Reaction::Ignored if action == Action::Back && !self.stack.is_empty() => {
                    return self.back();
                }
                Reaction::Ignored => {}
                Reaction::Used => return Vec::new(),
                Reaction::Open(target) => return self.open(target),
                Reaction::Copy(text) => {
                    self.say(format!("copied {} characters", text.chars().count()), false);
                    return vec![Effect::Copy(text)];
                }
                Reaction::Wipe(host) => {
                    if let Some(why) = self.read_only_reason() {
                        self.say(format!("cannot wipe: read-only: {why}"), true);
                        return Vec::new();
                    }
                    return self.command(Command::Wiped { host });
                }
                Reaction::Prefill(line) => {
                    self.open_palette(line);
                    return Vec::new();
                }
                Reaction::Reload => return self.reload(),
                Reaction::Expand {
                    flight,
                    job,
                    name,
                    count,
                } => {
                    let view = report::ReportView::elided(flight, job, name, count);
                    let request = view.request();
                    self.overlay = Some(Overlay::Report(view));
                    return request.map(|r| self.issue(r)).into_iter().collect();
                }
                Reaction::Blame { flight, job } => {
                    self.overlay = Some(Overlay::Report(report::ReportView::blame(
                        flight,
                        job.clone(),
                    )));
                    return vec![self.issue(Request::Blame { flight, job })];
                }
            }
        }
        if let Some(action) = keymap::lookup(Scope::Global, &key) {
            self.global(action)
        } else {
            self.nothing_bound(&key, action);
            Vec::new()
        }
    }

    /// Say that a key did nothing, so a mistyped key is not taken for a
    /// frozen screen. Esc with nothing to go back to, and keys that are
    /// not characters or function keys (modifiers, media keys), stay
    /// quiet.
    fn nothing_bound(&mut self, key: &KeyEvent, action: Option<Action>) {
        if action == Some(Action::Back) || !matches!(key.code, KeyCode::Char(_) | KeyCode::F(_)) {
            return;
        }
        let name = keymap::event_label(key);
        let help = keymap::key_for(Scope::Global, Action::Help)
            .map_or_else(String::new, keymap::Key::label);
        self.say(
            format!("{name} does nothing here ({help} lists this view's keys)"),
            false,
        );
    }

    /// The table that has the keyboard: the hosts list, or the focused
    /// pane of the screen shown. `None` for a pane that is not a table.
    fn focused_table(&mut self) -> Option<&mut dyn Sortable> {
        match self.stack.last_mut() {
            None => Some(&mut self.hosts),
            Some(Screen::Host(v)) => Some(v.focused()),
            Some(Screen::Runvars(v)) => v.focused(),
            Some(Screen::History(v)) => Some(&mut v.table),
            Some(Screen::Timeline(_)) => None,
        }
    }

    fn focused_table_ref(&self) -> Option<&dyn Sortable> {
        match self.stack.last() {
            None => Some(&self.hosts),
            Some(Screen::Host(v)) => Some(match v.pane {
                HostPane::Rows => &v.rows,
                HostPane::Listing => &v.listing,
            }),
            Some(Screen::Runvars(v)) => (v.pane == RunvarPane::Entries).then_some(&v.entries as _),
            Some(Screen::History(v)) => Some(&v.table),
            Some(Screen::Timeline(_)) => None,
        }
    }

    /// What the focused table is, for an export's file name.
    fn export_subject(&self) -> String {
        match self.stack.last() {
            None => "hosts".to_owned(),
            Some(Screen::Host(v)) => match v.pane {
                HostPane::Rows => format!("{}-rows", v.host),
                HostPane::Listing => format!("{}-listing", v.host),
            },
            Some(Screen::Runvars(v)) => match &v.source {
                runvars::RunvarSource::Job { flight, job }
                | runvars::RunvarSource::Text { flight, job, .. } => {
                    format!("{flight}.{job}-runvar")
                }
            },
            Some(Screen::History(v)) => format!("{}-history", v.host),
            Some(Screen::Timeline(v)) => format!("{}-timeline", v.host),
        }
    }

    /// Every row the focused table shows (filtered, sorted), written out
    /// by the loop.
    fn export(&mut self, format: export::Format) -> Vec<Effect> {
        let Some(t) = self.focused_table_ref() else {
            self.say(
                "this pane has no rows to export (Tab moves to the entries)",
                false,
            );
            return Vec::new();
        };
        let (titles, rows) = t.rows_shown();
        let content = export::render(format, &titles, &rows);
        let name = export::file_name(&self.export_subject(), format, self.wall_now());
        vec![Effect::Export {
            name,
            content,
            rows: rows.len(),
        }]
    }

    /// The loop wrote an export (or could not).
    pub fn exported(
        &mut self,
        name: &str,
        rows: usize,
        result: std::io::Result<std::path::PathBuf>,
    ) {
        match result {
            // In the current directory: its name alone is short enough
            // for the status line at 80 columns.
            Ok(path) => {
                let file = path
                    .file_name()
                    .map_or_else(|| path.clone().into_os_string(), ToOwned::to_owned);
                self.say(
                    format!("{rows} rows written to ./{}", file.to_string_lossy()),
                    false,
                );
            }
            Err(e) => self.say(format!("export {name} not written: {e}"), true),
        }
    }

    fn open_sort_menu(&mut self) {
        let Some(t) = self.focused_table() else {
            self.say(
                "this pane has no columns to sort (Tab moves to the entries)",
                false,
            );
            return;
        };
        let menu = SortMenu::new(t.titles(), t.sort());
        self.overlay = Some(Overlay::Sort(menu));
    }

    fn screen_action(&mut self, action: Action) -> Reaction {
        let page = self.page();
        match self.stack.last_mut() {
            None => self.hosts.handle(action, page),
            Some(Screen::Host(v)) => v.handle(action, page),
            Some(Screen::Runvars(v)) => v.handle(action, page),
            Some(Screen::History(v)) => v.handle(action, page),
            Some(Screen::Timeline(v)) => v.handle(action, page),
        }
    }

    fn global(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Quit => vec![Effect::Quit],
            Action::Help => {
                self.overlay = Some(Overlay::Help(HelpView::new(self.contexts())));
                Vec::new()
            }
            Action::Palette => {
                self.open_palette(String::new());
                Vec::new()
            }
            Action::Messages => {
                self.overlay = Some(Overlay::Messages(MessagesView::default()));
                Vec::new()
            }
            Action::Suspects => {
                let view = report::ReportView::suspects(self.hosts.suspects.clone());
                let ask = view.data.loaded().is_none() && !self.requests.waiting(Slot::Suspects);
                self.overlay = Some(Overlay::Report(view));
                if ask {
                    vec![self.issue(Request::Suspects)]
                } else {
                    Vec::new()
                }
            }
            Action::Refresh => self.refresh(),
            Action::Pause => {
                self.live.paused = !self.live.paused;
                let text = if self.live.paused {
                    "auto-refresh paused (p resumes)"
                } else {
                    "auto-refresh resumed"
                };
                self.say(text, false);
                Vec::new()
            }
            Action::ToggleMouse => {
                self.mouse = !self.mouse;
                let text = if self.mouse {
                    "mouse on: click headers to sort, wheel scrolls (M: off)"
                } else {
                    "mouse off: the terminal selects text again"
                };
                self.say(text, false);
                vec![Effect::SetMouse(self.mouse)]
            }
            _ => Vec::new(),
        }
    }

    /// Open the palette with `line` typed.
    fn open_palette(&mut self, line: String) {
        let names = self.hosts.names();
        let selected = match self.stack.last() {
            None => self.hosts.selected().map(|h| h.host.clone()),
            Some(Screen::Host(v)) => Some(v.host.clone()),
            Some(Screen::History(v)) => Some(v.host.clone()),
            Some(Screen::Timeline(v)) => Some(v.host.clone()),
            Some(Screen::Runvars(_)) => None,
        };
        let mut palette = Palette::new(self.read_only_reason(), &names, selected);
        if !line.is_empty() {
            palette.set_input(line, &names);
        }
        self.overlay = Some(Overlay::Palette(Box::new(palette)));
    }

    fn command(&mut self, command: Command) -> Vec<Effect> {
        let task = self.settings.operator_task.clone();
        match command {
            Command::Record {
                mode,
                host,
                ident,
                job,
                step,
            } => {
                let call = RecordCall {
                    mode,
                    host,
                    ident,
                    job,
                    step,
                    task,
                    nested: false,
                };
                let view = ConfirmView::new(Write::Record(call));
                let check = view.check();
                self.overlay = Some(Overlay::Confirm(Box::new(view)));
                vec![self.issue(check)]
            }
            Command::Wiped { host } => {
                let call = WipeCall {
                    host,
                    task,
                    job: None,
                };
                let view = ConfirmView::new(Write::Wipe(call));
                let check = view.check();
                self.overlay = Some(Overlay::Confirm(Box::new(view)));
                vec![self.issue(check)]
            }
            // `goto` jumps: the trail is the hosts list and the host, not
            // every host gone to before.
            Command::Goto { host } => {
                self.stack.clear();
                self.open(Target::Host(host))
            }
            Command::Decode(source) => self.show(Screen::Runvars(RunvarsView::new(source))),
            Command::Refresh => self.refresh(),
            Command::Help => self.global(Action::Help),
            Command::Quit => vec![Effect::Quit],
        }
    }

    fn mouse_event(&mut self, m: MouseEvent) -> Vec<Effect> {
        if self.overlay.is_some() {
            return Vec::new();
        }
        match m.kind {
            MouseEventKind::ScrollUp => {
                self.screen_action(Action::Up);
            }
            MouseEventKind::ScrollDown => {
                self.screen_action(Action::Down);
            }
            MouseEventKind::Down(MouseButton::Left) if self.stack.is_empty() => {
                let area = ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1);
                let body = layout::areas(area, self.banner_height(area)).body;
                let widths = self.hosts.widths(body.width.saturating_sub(2));
                if let Some(i) = layout::header_column(body, &widths, m.column, m.row) {
                    self.hosts.sort_by(hosts::Column::ALL[i]);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn tick(&mut self, now: Instant) -> Vec<Effect> {
        self.live.now = now;
        self.live.ticks += 1;
        let due = now.saturating_duration_since(self.live.last_refresh) >= self.refresh_interval();
        // While down the worker reconnects by itself and says so; asking
        // meanwhile would only collect errors. While an answer for the
        // view is awaited (even for another host), a refresh would only
        // queue behind it.
        let waiting = self.shown_slots().iter().any(|&s| self.requests.waiting(s));
        if due && !self.live.paused && !self.connection_down() && !waiting {
            self.refresh()
        } else {
            Vec::new()
        }
    }

    fn connection(&mut self, c: Connection) -> Vec<Effect> {
        let was_down = self.connection_down();
        let up = c == Connection::Up;
        self.live.connection = Some(c);
        if was_down && up {
            self.say("reconnected", false);
            let mut effects = self.refresh();
            // A write's check that found no connection is asked again, as
            // its dialog said it would be.
            if let Some(Overlay::Confirm(c)) = &mut self.overlay
                && let Some(check) = c.recheck()
            {
                effects.push(self.issue(check));
            }
            effects
        } else {
            Vec::new()
        }
    }

    fn probed(&mut self, probe: Probe) -> Vec<Effect> {
        let before = self.read_only_reason();
        self.live.probe = Some(probe);
        match self.read_only_reason() {
            Some(why) if before.is_none() => self.say(format!("read-only: {why}"), false),
            _ => {}
        }
        Vec::new()
    }

    /// The hosts list arrived: on screen at once; its row counts, which
    /// take longer, follow, and its health and suspects when due.
    fn hosts_answered(
        &mut self,
        result: Result<Vec<crate::lifecycle::report::HostSummary>, crate::lifecycle::Failure>,
        now: Instant,
    ) -> (Option<String>, Vec<Effect>) {
        let mut effects = Vec::new();
        if result.is_ok() && !self.requests.waiting(Slot::HostCounts) {
            effects.push(self.issue(Request::HostCounts));
        }
        self.hosts.set_now(self.wall_now());
        let note = self.hosts.accept(result, now).map(|f| f.to_string());
        if let Some(wall) = self.wall_now()
            && self.hosts.feed.loaded().is_some()
            && self.hosts.health_due(now)
            && !self.requests.waiting(Slot::HostHealth)
        {
            let hosts = self.hosts.names();
            effects.push(self.issue(Request::HostHealth { hosts, now: wall }));
        }
        if self.hosts.feed.loaded().is_some()
            && self.hosts.suspects_due(now)
            && !self.requests.waiting(Slot::Suspects)
        {
            effects.push(self.issue(Request::Suspects));
        }
        (note, effects)
    }

    /// A report arrived: into its overlay if that is still open on it.
    fn blame_answered(
        &mut self,
        flight: i32,
        job: &str,
        result: Result<crate::lifecycle::blame::Blame, crate::lifecycle::Failure>,
    ) -> Option<String> {
        if let Some(Overlay::Report(r)) = &mut self.overlay
            && r.is_blame_of(flight, job)
        {
            r.data = match result {
                Ok(b) => Loadable::Loaded(report::Content::Blame(b)),
                Err(f) => Loadable::Failed(f),
            };
        }
        None
    }

    /// What follows the hosts list: its counts, health and suspects.
    fn hosts_part(&mut self, reply: Reply, now: Instant) -> Option<String> {
        match reply {
            Reply::Suspects(result) => {
                let failure = self.hosts.accept_suspects(result, now);
                // An open ranking overlay shows it too, where it was
                // scrolled; a failure there only while it has nothing else
                // to show (the status line says it either way).
                if let Some(Overlay::Report(r)) = &mut self.overlay
                    && r.subject == report::Subject::Suspects
                {
                    match (&failure, &self.hosts.suspects) {
                        (None, Some(latest)) => {
                            r.data = Loadable::Loaded(report::Content::Suspects(latest.clone()));
                        }
                        (Some(f), _) if r.data.loaded().is_none() => {
                            r.data = Loadable::Failed(f.clone());
                        }
                        _ => {}
                    }
                }
                failure.map(|f| format!("ranking the suspects: {f}"))
            }
            Reply::HostHealth(result) => self
                .hosts
                .accept_health(result, now)
                .map(|f| format!("reading the hosts' health: {f}")),
            Reply::HostCounts(result) => self
                .hosts
                .accept_counts(result)
                .map(|f| format!("counting the hosts' rows: {f}")),
            _ => None,
        }
    }

    /// An answer for a screen about one host: to the newest such screen
    /// of that host, if one is still open. Moved, not cloned, into it: a
    /// host's rows are the biggest answer there is.
    fn host_screen_answered(&mut self, reply: Reply, now: Instant) -> Option<String> {
        let mut screens = self.stack.iter_mut().rev();
        let failure = match reply {
            Reply::Host { host, result } => screens
                .find_map(|s| match s {
                    Screen::Host(v) if v.host == host => Some(v),
                    _ => None,
                })?
                .accept(result, now),
            Reply::History { host, result } => screens
                .find_map(|s| match s {
                    Screen::History(v) if v.host == host => Some(v),
                    _ => None,
                })?
                .accept(result, now),
            Reply::Timeline { host, result, .. } => screens
                .find_map(|s| match s {
                    Screen::Timeline(v) if v.host == host => Some(v),
                    _ => None,
                })?
                .accept(result, now),
            _ => None,
        };
        failure.map(|f| f.to_string())
    }

    fn answer(&mut self, answer: Answer) -> Vec<Effect> {
        if !self.requests.accept(&answer, self.live.now) {
            return Vec::new();
        }
        let now = self.live.now;
        let mut effects = Vec::new();
        let note = match answer.reply {
            Reply::Hosts(result) => {
                let note;
                (note, effects) = self.hosts_answered(result, now);
                note
            }
            part @ (Reply::HostCounts(_) | Reply::HostHealth(_) | Reply::Suspects(_)) => {
                self.hosts_part(part, now)
            }
            reply @ (Reply::Host { .. } | Reply::History { .. } | Reply::Timeline { .. }) => {
                self.host_screen_answered(reply, now)
            }
            Reply::Elided { request, result } => {
                if let Some(Overlay::Report(r)) = &mut self.overlay
                    && r.request().as_ref() == Some(&request)
                {
                    r.data = match result {
                        Ok(e) => Loadable::Loaded(report::Content::Elided(e)),
                        Err(f) => Loadable::Failed(f),
                    };
                }
                None
            }
            Reply::Blame {
                flight,
                job,
                result,
            } => self.blame_answered(flight, &job, result),
            Reply::JobChecked {
                flight,
                job,
                result,
            } => {
                self.job_checked((flight, job), result);
                None
            }
            Reply::Runvars { request, result } => {
                match self.stack.iter_mut().rev().find_map(|s| match s {
                    Screen::Runvars(v) if v.source.answers(&request) => Some(v),
                    _ => None,
                }) {
                    Some(v) => v.accept(result, now).map(|f| f.to_string()),
                    None => None,
                }
            }
            Reply::WipePlan { call, result } => {
                if let Some(Overlay::Confirm(c)) = &mut self.overlay
                    && c.write == Write::Wipe(call)
                {
                    c.plan = match result {
                        Ok((plan, detail)) => Loadable::Loaded(WipePreview { plan, detail }),
                        Err(f) => Loadable::Failed(f),
                    };
                }
                None
            }
            Reply::RecordPlan { call, result } => {
                if let Some(Overlay::Confirm(c)) = &mut self.overlay
                    && c.write == Write::Record(call)
                {
                    c.rehearsal = match result {
                        Ok(outcome) => Loadable::Loaded(outcome),
                        Err(f) => Loadable::Failed(f),
                    };
                }
                None
            }
            Reply::Wiped { call, result } => {
                match result {
                    Ok(o) => self.say(wiped_message(&call.host, &o), false),
                    Err(f) => self.say(format!("wiped {}: {f}", call.host), true),
                }
                effects = self.reload();
                None
            }
            Reply::Recorded { call, result } => {
                match result {
                    Ok(o) => self.say(recorded_message(&call, &o), false),
                    Err(f) => self.say(format!("{} {}: {f}", call.mode.name(), call.host), true),
                }
                effects = self.reload();
                None
            }
        };
        if let Some(e) = note {
            self.say(format!("refresh failed, showing earlier data: {e}"), true);
        }
        effects
    }
}

/// What a request is for, in a banner.
fn slot_label(slot: Slot) -> &'static str {
    match slot {
        Slot::Hosts => "hosts list",
        Slot::HostCounts => "row counts",
        Slot::HostHealth => "host health",
        Slot::Suspects => "suspects",
        Slot::Blame => "was it the host?",
        Slot::Host => "host rows",
        Slot::History => "host history",
        Slot::Timeline => "timeline",
        Slot::Elided => "elided jobs",
        Slot::Runvars => "runvars",
        Slot::Check => "job check",
        Slot::Plan => "wipe preview",
        Slot::Write => "a write",
    }
}

fn wiped_message(host: &str, o: &WipeOutcome) -> String {
    let recorded = match o.recorded_lcseq {
        Some(l) => format!(" (recorded row {l} first)"),
        None => String::new(),
    };
    format!(
        "wiped {host} as task {}: removed {}, kept {}{recorded}",
        o.taskid,
        crate::lifecycle::count(o.deleted, "row"),
        o.kept
    )
}

fn recorded_message(call: &RecordCall, o: &RecordOutcome) -> String {
    let what = format!("{} {}", call.mode.name(), call.host);
    match o {
        RecordOutcome::Nested => format!("{what}: nested host, nothing recorded"),
        RecordOutcome::Unchanged { runvar_name, .. } => {
            format!("{what}: {runvar_name} already ends with this mark; nothing written")
        }
        RecordOutcome::OutOfJob { lcseq, taskid } => {
            format!("{what}: recorded out-of-job row {lcseq} as task {taskid}")
        }
        RecordOutcome::Recorded {
            lcseq,
            runvar_name,
            runvar,
            ..
        } => format!("{what}: row {lcseq}; {runvar_name} = {runvar}"),
    }
}

/// The one state transition: apply an event, return the I/O to do.
pub fn update(app: &mut App, event: Event) -> Vec<Effect> {
    match event {
        Event::Key(k) => app.key(k),
        Event::Mouse(m) => app.mouse_event(m),
        Event::Resize(w, h) => {
            app.size = (w, h);
            Vec::new()
        }
        Event::Tick(now) => app.tick(now),
        Event::Db(worker::Event::Connection(c)) => app.connection(c),
        Event::Db(worker::Event::Answer(a)) => app.answer(*a),
        Event::Db(worker::Event::Probed(p)) => app.probed(p),
        Event::Terminate => vec![Effect::Quit],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn app(refresh: Duration, t0: Instant) -> (App, Effect) {
        let config = Settings {
            db_label: "test".to_owned(),
            read_only: true,
            refresh,
            operator_task: TaskRef::Static {
                refkey: "op@test".to_owned(),
            },
        };
        let (app, mut effects) = App::new(config, false, t0);
        (app, effects.remove(0))
    }

    fn hosts_answer(effect: Effect) -> Event {
        let Effect::Request(id, request) = effect else {
            panic!("not a request: {effect:?}")
        };
        let reply = match request {
            Request::HostCounts => Reply::HostCounts(Ok(HashMap::new())),
            Request::HostHealth { .. } => Reply::HostHealth(Ok(HashMap::new())),
            Request::Suspects => Reply::Suspects(Ok(crate::lifecycle::suspects::rank(&[]))),
            _ => Reply::Hosts(Ok(Vec::new())),
        };
        Event::Db(worker::Event::Answer(Box::new(Answer { id, reply })))
    }

    /// Answer the hosts list, and at once what it asks for next (its
    /// counts; its health and suspects when due).
    fn answer_hosts(app: &mut App, effect: Effect) {
        for next in update(app, hosts_answer(effect)) {
            assert!(
                matches!(
                    &next,
                    Effect::Request(
                        _,
                        Request::HostCounts | Request::HostHealth { .. } | Request::Suspects
                    )
                ),
                "{next:?}"
            );
            assert!(update(app, hosts_answer(next)).is_empty());
        }
    }

    /// The refresh key.
    fn r() -> Event {
        Event::Key(KeyEvent::new(KeyCode::Char('R'), KeyModifiers::SHIFT))
    }

    #[test]
    fn a_refresh_in_flight_is_not_sent_again() {
        let t0 = Instant::now();
        let (mut app, first) = app(Duration::from_secs(5), t0);
        assert!(update(&mut app, Event::Tick(t0 + Duration::from_secs(6))).is_empty());
        assert!(update(&mut app, r()).is_empty());
        update(&mut app, hosts_answer(first));
        assert_eq!(update(&mut app, r()).len(), 1);
    }

    #[test]
    fn slow_answers_stretch_the_refresh_interval() {
        let t0 = Instant::now();
        let (mut app, first) = app(Duration::from_secs(5), t0);
        assert!(!app.refresh_stretched());
        // The answer comes 6 s after the request: more than a quarter of
        // the 5 s interval, so the view refreshes every 24 s.
        update(&mut app, Event::Tick(t0 + Duration::from_secs(6)));
        answer_hosts(&mut app, first);
        assert_eq!(app.refresh_interval(), Duration::from_secs(24));
        assert!(app.refresh_stretched());
        assert!(update(&mut app, Event::Tick(t0 + Duration::from_secs(23))).is_empty());
        let again = update(&mut app, Event::Tick(t0 + Duration::from_secs(24)));
        assert_eq!(again.len(), 1);
        // A fast answer brings the configured interval back.
        answer_hosts(&mut app, again.into_iter().next().unwrap());
        assert_eq!(app.refresh_interval(), Duration::from_secs(5));
    }

    #[test]
    fn a_stall_stretches_the_interval_to_the_cap_only() {
        let t0 = Instant::now();
        let (mut app, first) = app(Duration::from_secs(5), t0);
        // The network stalls for 75 s: four times that would be 300 s.
        update(&mut app, Event::Tick(t0 + Duration::from_secs(75)));
        answer_hosts(&mut app, first);
        assert_eq!(app.refresh_interval(), MAX_STRETCHED);
        let again = update(
            &mut app,
            Event::Tick(t0 + Duration::from_secs(75) + MAX_STRETCHED),
        );
        assert_eq!(again.len(), 1);
        answer_hosts(&mut app, again.into_iter().next().unwrap());
        assert_eq!(app.refresh_interval(), Duration::from_secs(5));
    }

    #[test]
    fn a_configured_interval_beyond_the_cap_is_kept() {
        let t0 = Instant::now();
        let (mut app, first) = app(Duration::from_mins(1), t0);
        update(&mut app, Event::Tick(t0 + Duration::from_secs(20)));
        answer_hosts(&mut app, first);
        assert_eq!(app.refresh_interval(), Duration::from_mins(1));
    }

    #[test]
    fn an_answer_late_past_its_time_shows_as_a_stall_until_it_comes() {
        let t0 = Instant::now();
        let (mut app, first) = app(Duration::from_secs(5), t0);
        update(&mut app, Event::Tick(t0 + Duration::from_secs(9)));
        assert_eq!(app.banner(), None);
        update(
            &mut app,
            Event::Tick(t0 + STALLED_AFTER + Duration::from_secs(2)),
        );
        let banner = app.banner().expect("a stall banner");
        assert!(
            banner.contains("no answer from the database for 12 s (hosts list)"),
            "{banner}"
        );
        answer_hosts(&mut app, first);
        assert_eq!(app.banner(), None);
    }

    /// The restart race: a wipe's check asked while the worker is between
    /// retries fails "not connected; retrying"; once the worker is back
    /// the dialog asks again by itself, and the answer is shown.
    #[test]
    fn a_wipe_check_that_found_no_connection_is_asked_again_on_reconnect() {
        let t0 = Instant::now();
        let (mut app, first) = app(Duration::from_secs(5), t0);
        answer_hosts(&mut app, first);
        let down = Connection::Down {
            error: "the database system is shutting down".to_owned(),
            retry_in: Duration::from_secs(1),
        };
        assert!(update(&mut app, Event::Db(worker::Event::Connection(down))).is_empty());
        let mut asked = app.command(Command::Wiped {
            host: "h1".to_owned(),
        });
        let Some(Effect::Request(id, request @ Request::PlanWipe(_))) = asked.pop() else {
            panic!("no check asked: {asked:?}")
        };
        let refused = Reply::failed(
            request.clone(),
            crate::lifecycle::Failure::NotConnected {
                cause: Some("the database system is shutting down".to_owned()),
                retry_in: Some(Duration::from_secs(1)),
            },
        );
        update(
            &mut app,
            Event::Db(worker::Event::Answer(Box::new(Answer {
                id,
                reply: refused,
            }))),
        );
        let again = update(
            &mut app,
            Event::Db(worker::Event::Connection(Connection::Up)),
        );
        assert!(
            again
                .iter()
                .any(|e| matches!(e, Effect::Request(_, r) if *r == request)),
            "{again:?}"
        );
        let Some(Overlay::Confirm(c)) = &app.overlay else {
            panic!("the dialog closed")
        };
        assert_eq!(c.plan, Loadable::Loading);
    }
}
