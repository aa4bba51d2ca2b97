//! The pure core: what a lifecycle row is, how a listing is computed from
//! a host's rows, the grammar of the `<ident>_lifecycle` runvar, and the
//! domain's vocabulary: the calls ([`call`]), refusals, and what the reads
//! report ([`report`]).
//!
//! Nothing in here performs I/O, so every rule of the specification can be
//! unit- and property-tested without a database. `db` feeds it rows it has
//! read; `app` and the CLI feed it runvars they have fetched.

pub mod blame;
pub mod call;
pub mod decide;
pub mod display;
pub mod elided;

mod escape;
mod failure;
pub mod health;
pub mod job_report;
pub mod limits;
mod listing;
mod refusal;
pub mod report;
mod runvar;
mod stats;
mod suggest;
mod suspect_tasks;
pub mod suspects;
pub mod suspects_text;
mod text;
pub mod timeline;
mod trial_names;
mod view;
pub mod wipe;

pub use escape::{escape, escape_owned, is_invisible};
pub use failure::Failure;
pub use listing::{Listing, ListingContext, ListingFlags, later_notprep, listing};
pub use refusal::{Refusal, TaskLabel};
pub use report::Task;
pub use runvar::{DecodeError, Entry, Marks, Resolved, ResolvedKind, Runvar, Token, decode};
pub use suggest::suggest;
pub use text::{count, is_valid_name, sigil_of_last_token};
pub use view::{JobRelation, Relation, job_view};

use std::borrow::Cow;

use serde::Serialize;

/// The ident osstest gives a job's main host; it is left out of runvars.
pub const DEFAULT_IDENT: &str = "host";

/// One of the three recording modes (the fourth, `wiped`, deletes rows
/// instead of adding one, and lives in `db::wipe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The host was selected in order to install it (`@`).
    SelectPrep,
    /// The host was selected in order to use it (`+`).
    Select,
    /// Log capture at the end of the job (no sigil).
    Final,
}

impl Mode {
    /// The sigil this mode leaves at the end of the runvar, if any.
    pub fn sigil(self) -> Option<Sigil> {
        match self {
            Mode::SelectPrep => Some(Sigil::Prep),
            Mode::Select => Some(Sigil::Use),
            Mode::Final => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::SelectPrep => "selectprep",
            Mode::Select => "select",
            Mode::Final => "final",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "selectprep" => Ok(Mode::SelectPrep),
            "select" => Ok(Mode::Select),
            "final" => Ok(Mode::Final),
            other => Err(format!(
                "unknown mode `{other}` (expected selectprep, select or final)"
            )),
        }
    }
}

/// The mark a runvar ends with while its job has not called `final`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Sigil {
    /// `@`: the last call was selectprep.
    Prep,
    /// `+`: the last call was select.
    Use,
}

impl Sigil {
    pub fn as_char(self) -> char {
        match self {
            Sigil::Prep => '@',
            Sigil::Use => '+',
        }
    }
}

/// The job part of a lifecycle row: set for every row written from inside
/// a job, absent (all NULL in the table) for an out-of-job use.
///
/// The names may borrow: the recorder lists straight out of the rows the
/// database sent, without a string allocated per row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RowJob<'a> {
    pub flight: i32,
    pub job: Cow<'a, str>,
    pub stepno: i32,
    pub ident: Cow<'a, str>,
    pub isprep: bool,
}

impl RowJob<'_> {
    pub fn into_owned(self) -> RowJob<'static> {
        RowJob {
            flight: self.flight,
            job: Cow::Owned(self.job.into_owned()),
            stepno: self.stepno,
            ident: Cow::Owned(self.ident.into_owned()),
            isprep: self.isprep,
        }
    }
}

/// A `host_lifecycle` row as the recorder scans it: in lcseq order, with the
/// liveness of its task (a deleted task is not live).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanRow<'a> {
    pub lcseq: i32,
    pub taskid: i32,
    pub live: bool,
    pub job: Option<RowJob<'a>>,
}

impl ScanRow<'_> {
    pub fn into_owned(self) -> ScanRow<'static> {
        ScanRow {
            lcseq: self.lcseq,
            taskid: self.taskid,
            live: self.live,
            job: self.job.map(RowJob::into_owned),
        }
    }
}
