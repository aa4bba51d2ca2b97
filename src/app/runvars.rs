//! A job's `*_lifecycle` runvars, each decoded into entries joined with
//! their steps, jobs and flights, under the per-job view. Enter follows an
//! entry to that job's own runvars, so the chain of jobs that shared a
//! host can be walked (Esc walks back).

use std::time::Instant;

use super::action::Action;
use super::columns::{Col, WHOLE};
use super::cursor::Cursor;
use super::host::{entry_cells, step_texts};
use super::loadable::Feed;
use super::reaction::{Reaction, Target};
use super::sort_menu::titles;
use super::table::{Sortable, Table};
use crate::db::worker::Request;
use crate::lifecycle::Failure;
use crate::lifecycle::display::job_label;
use crate::lifecycle::report::{EntryDetail, JobRunvar};
use crate::lifecycle::{JobRelation, ResolvedKind, job_view};

/// What the screen decodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunvarSource {
    /// Every lifecycle runvar of a job.
    Job { flight: i32, job: String },
    /// A runvar typed into the palette, read as (flight, job)'s.
    Text {
        flight: i32,
        job: String,
        runvar: String,
    },
}

impl RunvarSource {
    pub fn request(&self) -> Request {
        match self {
            RunvarSource::Job { flight, job } => Request::JobRunvars {
                flight: *flight,
                job: job.clone(),
            },
            RunvarSource::Text {
                flight,
                job,
                runvar,
            } => Request::DecodeRunvar {
                flight: *flight,
                job: job.clone(),
                runvar: runvar.clone(),
            },
        }
    }

    pub fn label(&self) -> String {
        match self {
            RunvarSource::Job { flight, job } => format!("{flight}.{job}"),
            // Typed text decoded for no job in particular: its own
            // entries stay "this job", and the title does not invent one.
            RunvarSource::Text { flight: 0, job, .. } if job.is_empty() => "(typed text)".into(),
            RunvarSource::Text { flight, job, .. } => {
                format!("decode as {}", job_label(*flight, job))
            }
        }
    }

    /// Whether an answer to `request` is about this source.
    pub fn answers(&self, request: &Request) -> bool {
        &self.request() == request
    }
}

/// One runvar with its per-job view.
#[derive(Debug, Clone, PartialEq)]
pub struct RunvarData {
    pub runvar: JobRunvar,
    pub view: Vec<JobRelation>,
}

impl RunvarData {
    pub fn new(runvar: JobRunvar) -> Self {
        let view = match &runvar.entries {
            Ok(entries) => job_view(&entries.iter().map(|e| e.entry.clone()).collect::<Vec<_>>()),
            Err(_) => Vec::new(),
        };
        RunvarData { runvar, view }
    }

    pub fn entries(&self) -> &[EntryDetail] {
        self.runvar.entries.as_deref().unwrap_or(&[])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunvarPane {
    Jobs,
    #[default]
    Entries,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunvarsView {
    pub source: RunvarSource,
    pub feed: Feed<Vec<RunvarData>>,
    /// Which of the job's runvars (one per ident) is shown.
    pub tab: usize,
    pub pane: RunvarPane,
    pub jobs: Cursor,
    /// The shown runvar's entries.
    pub entries: Table<9>,
}

/// The entries' columns: who, in which step, and what it means.
pub const ENTRY_COLUMNS: [Col; 9] = [
    Col::new("", WHOLE),
    Col::new("job / task", 12),
    Col::new("#", WHOLE),
    Col::new("step", 8),
    Col::new("testid", 6),
    Col::new("status", WHOLE),
    Col::new("ident", 5),
    Col::new("meaning", 10),
    Col::new("details", 8).cut_first(),
];

/// An entry's cells, unescaped and whole.
pub fn entry_texts(e: &EntryDetail) -> [String; 9] {
    let [marks, who, stepno, ident, meaning] = entry_cells(&e.entry);
    let [step, testid, status] = step_texts(e.step.as_ref());
    let detail = match &e.entry.kind {
        ResolvedKind::Task { .. } => match &e.task {
            Some(task) => format!(
                "{} {} {}",
                task.kind,
                task.refkey,
                if task.live { "● live" } else { "○ dead" }
            ),
            None => "⊘ task deleted".to_owned(),
        },
        ResolvedKind::Elided { .. } => String::new(),
        ResolvedKind::Step { .. } => match &e.job_status {
            None => "? job not in database".to_owned(),
            Some(status) => format!("job {status}"),
        },
    };
    [
        marks, who, stepno, step, testid, status, ident, meaning, detail,
    ]
}

impl RunvarsView {
    pub fn new(source: RunvarSource) -> Self {
        RunvarsView {
            source,
            feed: Feed::loading(),
            tab: 0,
            pane: RunvarPane::default(),
            jobs: Cursor::default(),
            entries: Table::new(titles(ENTRY_COLUMNS.map(|c| c.title), "marks")),
        }
    }

    pub fn accept(
        &mut self,
        result: Result<Vec<JobRunvar>, Failure>,
        now: Instant,
    ) -> Option<Failure> {
        let msg = self.feed.finish(
            result.map(|v| v.into_iter().map(RunvarData::new).collect()),
            now,
        );
        if let Some(all) = self.feed.loaded() {
            self.tab = self.tab.min(all.len().saturating_sub(1));
        }
        self.clamp();
        msg
    }

    pub fn current(&self) -> Option<&RunvarData> {
        self.feed.loaded()?.get(self.tab)
    }

    /// After new data or another tab: the jobs cursor inside the list,
    /// the entries table on the shown runvar's entries.
    fn clamp(&mut self) {
        let (j, texts) = self.current().map_or((0, Vec::new()), |d| {
            (d.view.len(), d.entries().iter().map(entry_texts).collect())
        });
        self.jobs.clamp(j);
        self.entries.set_rows(texts);
    }

    /// The table of the pane with the keyboard; the jobs pane is a short
    /// summary with no columns to sort or filter.
    pub fn focused(&mut self) -> Option<&mut dyn Sortable> {
        match self.pane {
            RunvarPane::Jobs => None,
            RunvarPane::Entries => Some(&mut self.entries),
        }
    }

    fn target(&self) -> Option<Target> {
        let d = self.current()?;
        match self.pane {
            RunvarPane::Jobs => match d.view.get(self.jobs.selected)? {
                JobRelation::Job {
                    flight, job, own, ..
                } if !own => Some(Target::Runvars {
                    flight: *flight,
                    job: job.clone(),
                }),
                _ => None,
            },
            RunvarPane::Entries => match &d.entries().get(self.entries.selected()?)?.entry.kind {
                ResolvedKind::Step {
                    flight, job, own, ..
                } if !own => Some(Target::Runvars {
                    flight: *flight,
                    job: job.clone(),
                }),
                _ => None,
            },
        }
    }

    /// The placeholder under the cursor, `[n]`, to be expanded.
    fn expand(&self) -> Option<Reaction> {
        let d = self.current()?;
        let count = match self.pane {
            RunvarPane::Jobs => match d.view.get(self.jobs.selected)? {
                JobRelation::Elided { count } => *count,
                _ => return None,
            },
            RunvarPane::Entries => match &d.entries().get(self.entries.selected()?)?.entry.kind {
                ResolvedKind::Elided { count } => *count,
                _ => return None,
            },
        };
        Some(Reaction::Expand {
            flight: d.runvar.flight,
            job: d.runvar.job.clone(),
            name: d.runvar.name.clone(),
            count,
        })
    }

    pub fn handle(&mut self, action: Action, page: usize) -> Reaction {
        let nj = self.current().map_or(0, |d| d.view.len());
        let moved = match self.pane {
            RunvarPane::Jobs => self.jobs.apply(action, nj, page),
            RunvarPane::Entries => self.entries.handle(action, page),
        };
        if moved {
            return Reaction::Used;
        }
        let tabs = self.feed.loaded().map_or(0, Vec::len);
        match action {
            Action::NextPane => {
                self.pane = match self.pane {
                    RunvarPane::Jobs => RunvarPane::Entries,
                    RunvarPane::Entries => RunvarPane::Jobs,
                };
                Reaction::Used
            }
            Action::NextRunvar | Action::PrevRunvar if tabs > 0 => {
                self.tab = if action == Action::NextRunvar {
                    (self.tab + 1) % tabs
                } else {
                    (self.tab + tabs - 1) % tabs
                };
                self.jobs = Cursor::default();
                self.entries.cursor = Cursor::default();
                self.clamp();
                Reaction::Used
            }
            Action::Open => self
                .expand()
                .or_else(|| self.target().map(Reaction::Open))
                .unwrap_or(Reaction::Used),
            Action::Blame => {
                let (RunvarSource::Job { flight, job } | RunvarSource::Text { flight, job, .. }) =
                    &self.source;
                Reaction::Blame {
                    flight: *flight,
                    job: job.clone(),
                }
            }
            Action::Copy => self
                .current()
                .map_or(Reaction::Used, |d| Reaction::Copy(d.runvar.runvar.clone())),
            _ => Reaction::Ignored,
        }
    }
}
