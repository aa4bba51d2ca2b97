//! What a call reads before it decides: the context row (its task, flight,
//! job, step, runvar and host) and the host's rows.

use std::borrow::Cow;

use postgres::types::ToSql;
use rustc_hash::FxHashSet;
use tokio_postgres::Row;

use super::sql::scan_col;
use super::{RecordCall, StepRef};
use crate::db::error::Result;
use crate::db::row::RowExt;
use crate::db::task;
use crate::lifecycle::call::TaskRef;
use crate::lifecycle::{RowJob, ScanRow};

/// The set of live task ids, as `live_sql!` gives it.
pub(super) type LiveTasks = FxHashSet<i32>;

/// The live set from an array column.
pub(super) fn live_tasks(row: &Row) -> Result<LiveTasks> {
    Ok(row
        .col::<_, Vec<i32>>("live tasks", "live_tasks")?
        .into_iter()
        .collect())
}

/// One scanned row, borrowing its names from the database's row. Reads
/// the columns of `scan_columns!` and ignores any after them.
pub(super) fn scan_row<'r>(r: &'r Row, live: &LiveTasks) -> Result<ScanRow<'r>> {
    const Q: &str = "host rows";
    let taskid: i32 = r.col(Q, scan_col::TASKID)?;
    let flight: Option<i32> = r.col(Q, scan_col::FLIGHT)?;
    Ok(ScanRow {
        lcseq: r.col(Q, scan_col::LCSEQ)?,
        taskid,
        live: live.contains(&taskid),
        job: match flight {
            None => None,
            Some(flight) => Some(RowJob {
                flight,
                job: Cow::Borrowed(r.col(Q, scan_col::JOB)?),
                stepno: r.col(Q, scan_col::STEPNO)?,
                ident: Cow::Borrowed(r.col(Q, scan_col::IDENT)?),
                isprep: r.col(Q, scan_col::ISPREP)?,
            }),
        },
    })
}

pub(super) use crate::lifecycle::decide::Facts;

impl Facts {
    /// The columns of `context_sql!`, before any it adds.
    pub fn from_row(row: &Row) -> Result<Facts> {
        const Q: &str = "record context";
        let rv_val: Option<String> = row.col(Q, "runvar_val")?;
        let flight_exists: bool = row.col(Q, "flight_exists")?;
        Ok(Facts {
            task: task::from_row_opt(row)?,
            blessing: if flight_exists {
                Some(row.col(Q, "blessing")?)
            } else {
                None
            },
            job_exists: row.col(Q, "job_exists")?,
            stepno: row.col(Q, "stepno")?,
            runvar: match rv_val {
                Some(v) => Some((v, row.col(Q, "runvar_synth")?)),
                None => None,
            },
            host_known: row.col(Q, "host_known")?,
            sharetype: row.col(Q, "sharetype")?,
        })
    }
}

/// The context statement's parameters, in its order: a value each for one
/// call ([`ContextParams`]), an array each for a batch ([`ContextArrays`]).
pub(super) struct Columns<Int, OptStr, Str> {
    taskid: Int,
    static_refkey: OptStr,
    flight: Int,
    job: OptStr,
    stepno: Int,
    testid: OptStr,
    runvar_name: Str,
    host: Str,
}

pub(super) type ContextParams<'a> = Columns<Option<i32>, Option<&'a str>, &'a str>;

pub(super) type ContextArrays<'a> = Columns<Vec<Option<i32>>, Vec<Option<&'a str>>, Vec<&'a str>>;

impl<Int, OptStr, Str> Columns<Int, OptStr, Str>
where
    Int: ToSql + Sync,
    OptStr: ToSql + Sync,
    Str: ToSql + Sync,
{
    pub fn values(&self) -> [&(dyn ToSql + Sync); 8] {
        [
            &self.taskid,
            &self.static_refkey,
            &self.flight,
            &self.job,
            &self.stepno,
            &self.testid,
            &self.runvar_name,
            &self.host,
        ]
    }
}

impl<'a> ContextParams<'a> {
    pub fn of(call: &'a RecordCall, runvar_name: &'a str) -> Self {
        let (taskid, static_refkey) = match &call.task {
            TaskRef::Id { taskid } | TaskRef::Spec { taskid, .. } => (Some(*taskid), None),
            TaskRef::Static { refkey } => (None, Some(refkey.as_str())),
        };
        let (stepno, testid) = match &call.step {
            Some(StepRef::Number(n)) => (Some(*n), None),
            Some(StepRef::Testid(t)) => (None, Some(t.as_str())),
            None => (None, None),
        };
        Columns {
            taskid,
            static_refkey,
            flight: call.job.as_ref().map(|j| j.flight),
            job: call.job.as_ref().map(|j| j.job.as_str()),
            stepno,
            testid,
            runvar_name,
            host: &call.host,
        }
    }
}

impl<'a> ContextArrays<'a> {
    pub fn of(calls: impl ExactSizeIterator<Item = (&'a RecordCall, &'a str)>) -> Self {
        let n = calls.len();
        let mut a = Columns {
            taskid: Vec::with_capacity(n),
            static_refkey: Vec::with_capacity(n),
            flight: Vec::with_capacity(n),
            job: Vec::with_capacity(n),
            stepno: Vec::with_capacity(n),
            testid: Vec::with_capacity(n),
            runvar_name: Vec::with_capacity(n),
            host: Vec::with_capacity(n),
        };
        for (call, name) in calls {
            let p = ContextParams::of(call, name);
            a.taskid.push(p.taskid);
            a.static_refkey.push(p.static_refkey);
            a.flight.push(p.flight);
            a.job.push(p.job);
            a.stepno.push(p.stepno);
            a.testid.push(p.testid);
            a.runvar_name.push(p.runvar_name);
            a.host.push(p.host);
        }
        a
    }
}
