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

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunvarRow {
    pub flight: i32,
    pub job: &'static str,
    pub name: &'static str,
    pub val: String,
    pub synth: bool,
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
