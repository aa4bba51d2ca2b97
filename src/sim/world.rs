//! The rows a simulation adds besides the lifecycle: tasks, flights, jobs,
//! steps and runvars (a pool's), and the lab's resources. Plain data; the
//! planner makes them and `load` copies them into the database.
//!
//! Rows hold their final values (a step's status, a job's outcome): they
//! are loaded before the lifecycle calls are replayed, because every call
//! names a step that must exist. Flights are the exception, loaded as
//! `running` and blessed once their pool has been replayed, since the
//! recorder refuses to record in a flight that is not running.

use std::borrow::Cow;
use std::sync::Arc;

/// A `tasks` row for a flight's runner (type `ownd`). Loaded not live; the
/// replay makes it live while its flight runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TaskRow {
    pub taskid: i32,
    pub refkey: String,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FlightRow {
    pub flight: i32,
    pub started: i32,
    /// The blessing at the end of the simulation.
    pub blessing: &'static str,
    pub intended: &'static str,
    pub branch: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobRow {
    pub flight: i32,
    pub job: &'static str,
    pub recipe: &'static str,
    pub status: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StepRow {
    pub flight: i32,
    pub job: &'static str,
    pub stepno: i32,
    pub step: &'static str,
    pub status: &'static str,
    pub testid: Cow<'static, str>,
    pub started: i32,
    /// `None` while the step is still running (or its runner died).
    pub finished: Option<i32>,
}

/// A `runvars` row. `large` makes 17 million of them, so a row
/// is kept small (64 bytes) and its value is shared wherever many rows
/// have the same one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunvarRow {
    pub flight: i32,
    /// osstest's `synth`: set by a job as it runs (what it built, where
    /// its hosts are), not by the flight's construction.
    pub synth: bool,
    pub job: &'static str,
    pub name: &'static str,
    pub val: Val,
}

// Every byte a row grows by costs 17 MB at `large`.
const _: () = assert!(std::mem::size_of::<RunvarRow>() == 64);

/// A runvar's value: a constant (a tree's URL), one shared by many rows
/// (a flight's revision, a host's address), or one row's own (a build's
/// paths, a host's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Val {
    Static(&'static str),
    Shared(Arc<str>),
    Own(Box<str>),
}

impl Val {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Val::Static(s) => s,
            Val::Shared(s) => s,
            Val::Own(s) => s,
        }
    }
}

impl From<&'static str> for Val {
    fn from(s: &'static str) -> Val {
        Val::Static(s)
    }
}

impl From<&Arc<str>> for Val {
    fn from(s: &Arc<str>) -> Val {
        Val::Shared(Arc::clone(s))
    }
}

impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Own(s.into_boxed_str())
    }
}

/// One pool's rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PoolWorld {
    /// Indexed like `flights`: task i runs flight i.
    pub tasks: Vec<TaskRow>,
    pub flights: Vec<FlightRow>,
    pub jobs: Vec<JobRow>,
    pub steps: Vec<StepRow>,
    pub runvars: Vec<RunvarRow>,
}

impl PoolWorld {
    pub(crate) fn row_count(&self) -> u64 {
        [
            self.tasks.len(),
            self.flights.len(),
            self.jobs.len(),
            self.steps.len(),
            self.runvars.len(),
        ]
        .iter()
        .map(|&n| n as u64)
        .sum()
    }
}

/// The planner's clock (i64 seconds) as osstest stores times: `integer`
/// epoch seconds. [`super::SeedConfig::validate`] keeps the simulated span
/// inside that range; past it a time saturates rather than wraps.
pub(crate) fn epoch_secs(t: i64) -> i32 {
    i32::try_from(t).unwrap_or(if t < 0 { 0 } else { i32::MAX })
}
