//! The recorder: selectprep, select and final (spec sections 3 to 5).
//!
//! One call is one serializable transaction: check, scan the host's rows,
//! compute the listing, insert the new row and store the runvar. Either
//! all of it commits or none of it does.

use postgres::{Client, GenericClient, Transaction};
use serde::Serialize;

use super::error::{Refusal, Result};
use super::task::{self, Task, TaskRef};
use super::txn;
use crate::lifecycle::{self, ListingContext, Mode, RowJob, ScanRow};

/// A flight and job named by a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRef {
    pub flight: i32,
    pub job: String,
}

/// How a call names its step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepRef {
    Number(i32),
    /// The step of the job whose testid this is (osstest's OSSTEST_TESTID).
    Testid(String),
}

/// One recording call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordCall {
    pub mode: Mode,
    pub host: String,
    pub ident: String,
    pub job: Option<JobRef>,
    pub step: Option<StepRef>,
    pub task: TaskRef,
    /// The host itself runs on a host (a nested guest): skipped entirely.
    pub nested: bool,
}

/// What a recording call did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RecordOutcome {
    /// A nested host: nothing to record.
    Nested,
    /// The runvar already ended with this mode's sigil: nothing written.
    Unchanged { runvar_name: String, runvar: String },
    /// No flight or no step: a task-only row.
    OutOfJob { lcseq: i32, taskid: i32 },
    /// A row and the job's runvar.
    Recorded {
        lcseq: i32,
        taskid: i32,
        stepno: i32,
        runvar_name: String,
        runvar: String,
    },
}

/// Whether a host name is acceptable: non-empty, no whitespace, no
/// control characters.
pub fn check_host_name(host: &str) -> Result<(), Refusal> {
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(Refusal::BadHostName(host.to_owned()))
    } else {
        Ok(())
    }
}

/// A flight's blessing permits lifecycle writes while it is running (or a
/// play flight).
pub fn blessing_allows(blessing: &str) -> bool {
    blessing == "running" || blessing.contains("play")
}

/// Check that `flight` exists and, with `need_running`, that its blessing
/// allows writes.
pub(crate) fn check_flight(
    tx: &mut impl GenericClient,
    flight: i32,
    need_running: bool,
) -> Result<()> {
    let row = tx
        .query_opt("SELECT blessing FROM flights WHERE flight = $1", &[&flight])?
        .ok_or(Refusal::FlightUnknown(flight))?;
    let blessing: Option<String> = row.get(0);
    let blessing = blessing.unwrap_or_default();
    if need_running && !blessing_allows(&blessing) {
        return Err(Refusal::FlightNotRunning { flight, blessing }.into());
    }
    Ok(())
}

/// Check the job exists and resolve the step, if one was named.
fn resolve_step(
    tx: &mut impl GenericClient,
    job: &JobRef,
    step: Option<&StepRef>,
) -> Result<Option<i32>> {
    let exists = tx
        .query_opt(
            "SELECT 1 FROM jobs WHERE flight = $1 AND job = $2",
            &[&job.flight, &job.job],
        )?
        .is_some();
    if !exists {
        return Err(Refusal::JobUnknown {
            flight: job.flight,
            job: job.job.clone(),
        }
        .into());
    }
    match step {
        None => Ok(None),
        Some(StepRef::Number(n)) => {
            let found = tx
                .query_opt(
                    "SELECT 1 FROM steps WHERE flight = $1 AND job = $2 AND stepno = $3",
                    &[&job.flight, &job.job, n],
                )?
                .is_some();
            if found {
                Ok(Some(*n))
            } else {
                Err(Refusal::StepUnknown {
                    flight: job.flight,
                    job: job.job.clone(),
                    stepno: *n,
                }
                .into())
            }
        }
        Some(StepRef::Testid(t)) => {
            let row = tx.query_opt(
                "SELECT stepno FROM steps WHERE flight = $1 AND job = $2 AND testid = $3
                 ORDER BY stepno LIMIT 1",
                &[&job.flight, &job.job, t],
            )?;
            match row {
                Some(r) => Ok(Some(r.get(0))),
                None => Err(Refusal::TestidUnknown {
                    flight: job.flight,
                    job: job.job.clone(),
                    testid: t.clone(),
                }
                .into()),
            }
        }
    }
}

/// The host must be a known resource.
pub(crate) fn check_host_known(tx: &mut impl GenericClient, host: &str) -> Result<()> {
    let known = tx
        .query_opt(
            "SELECT 1 FROM resources WHERE restype = 'host' AND resname = $1 AND shareix = 0",
            &[&host],
        )?
        .is_some();
    if known {
        Ok(())
    } else {
        Err(Refusal::HostUnknown(host.to_owned()).into())
    }
}

/// The acting task must be live to write.
pub(crate) fn check_live(t: &Task) -> Result<()> {
    if t.live {
        Ok(())
    } else {
        Err(Refusal::TaskNotLive(t.label()).into())
    }
}

/// Insert an out-of-job row (hostname and taskid only).
pub(crate) fn insert_task_row(tx: &mut impl GenericClient, host: &str, taskid: i32) -> Result<i32> {
    Ok(tx
        .query_one(
            "INSERT INTO host_lifecycle (hostname, taskid) VALUES ($1, $2) RETURNING lcseq",
            &[&host, &taskid],
        )?
        .get(0))
}

/// A host's rows in lcseq order, each with its task's liveness.
pub fn scan(tx: &mut impl GenericClient, host: &str) -> Result<Vec<ScanRow>> {
    let rows = tx.query(
        "SELECT h.lcseq, h.taskid, COALESCE(t.live, false), h.flight, h.job, h.stepno,
                h.ident, h.isprep
           FROM host_lifecycle h
      LEFT JOIN tasks t ON t.taskid = h.taskid
          WHERE h.hostname = $1
       ORDER BY h.lcseq",
        &[&host],
    )?;
    Ok(rows
        .iter()
        .map(|r| {
            let flight: Option<i32> = r.get(3);
            ScanRow {
                lcseq: r.get(0),
                taskid: r.get(1),
                live: r.get(2),
                job: flight.map(|flight| RowJob {
                    flight,
                    job: r.get(4),
                    stepno: r.get(5),
                    ident: r.get(6),
                    isprep: r.get(7),
                }),
            }
        })
        .collect())
}

/// Whether the host is shared with a `build-` share type.
pub fn is_build_host(tx: &mut impl GenericClient, host: &str) -> Result<bool> {
    let row = tx.query_opt(
        "SELECT sharetype FROM resource_sharing WHERE restype = 'host' AND resname = $1",
        &[&host],
    )?;
    Ok(row.is_some_and(|r| r.get::<_, String>(0).starts_with("build-")))
}

/// The runvar name for an ident.
pub fn runvar_name(ident: &str) -> String {
    format!("{ident}_lifecycle")
}

fn validate(call: &RecordCall) -> Result<()> {
    check_host_name(&call.host)?;
    if !lifecycle::is_valid_name(&call.ident) {
        return Err(Refusal::BadIdent(call.ident.clone()).into());
    }
    if let Some(j) = &call.job
        && !lifecycle::is_valid_name(&j.job)
    {
        return Err(Refusal::BadJobName(j.job.clone()).into());
    }
    Ok(())
}

/// Record one call. See the module documentation.
pub fn record(client: &mut Client, call: &RecordCall) -> Result<RecordOutcome> {
    validate(call)?;
    if call.nested {
        return Ok(RecordOutcome::Nested);
    }
    txn::serializable(client, |tx| record_in(tx, call))
}

fn record_in(tx: &mut Transaction<'_>, call: &RecordCall) -> Result<RecordOutcome> {
    let me = task::resolve(tx, &call.task)?;
    let stepno = match &call.job {
        Some(job) => {
            check_flight(tx, job.flight, false)?;
            let stepno = resolve_step(tx, job, call.step.as_ref())?;
            if stepno.is_some() {
                check_flight(tx, job.flight, true)?;
            }
            stepno
        }
        None => None,
    };
    let (Some(job), Some(stepno)) = (&call.job, stepno) else {
        check_host_known(tx, &call.host)?;
        check_live(&me)?;
        let lcseq = insert_task_row(tx, &call.host, me.taskid)?;
        return Ok(RecordOutcome::OutOfJob {
            lcseq,
            taskid: me.taskid,
        });
    };

    let name = runvar_name(&call.ident);
    let current = tx.query_opt(
        "SELECT val, synth FROM runvars WHERE flight = $1 AND job = $2 AND name = $3",
        &[&job.flight, &job.job, &name],
    )?;
    if let Some(row) = &current {
        let val: String = row.get(0);
        let synth: bool = row.get(1);
        if !synth {
            return Err(Refusal::RunvarNotSynth {
                flight: job.flight,
                job: job.job.clone(),
                name,
            }
            .into());
        }
        let sigil = call.mode.sigil().map(|s| s.as_char());
        if sigil.is_some() && lifecycle::sigil_of_last_token(&val) == sigil {
            return Ok(RecordOutcome::Unchanged {
                runvar_name: name,
                runvar: val,
            });
        }
    }

    check_host_known(tx, &call.host)?;
    check_live(&me)?;

    let rows = scan(tx, &call.host)?;
    let build_host = is_build_host(tx, &call.host)?;
    let listing = lifecycle::listing(
        &rows,
        ListingContext {
            flight: Some(job.flight),
            job: &job.job,
            build_host,
        },
    );
    let runvar = listing.runvar(call.mode.sigil());
    let lcseq: i32 = tx
        .query_one(
            "INSERT INTO host_lifecycle (hostname, taskid, flight, job, isprep, ident, stepno)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING lcseq",
            &[
                &call.host,
                &me.taskid,
                &job.flight,
                &job.job,
                &(call.mode == Mode::SelectPrep),
                &call.ident,
                &stepno,
            ],
        )?
        .get(0);
    tx.execute(
        "INSERT INTO runvars (flight, job, name, val, synth) VALUES ($1, $2, $3, $4, true)
         ON CONFLICT (flight, job, name) DO UPDATE SET val = EXCLUDED.val",
        &[&job.flight, &job.job, &name, &runvar],
    )?;
    Ok(RecordOutcome::Recorded {
        lcseq,
        taskid: me.taskid,
        stepno,
        runvar_name: name,
        runvar,
    })
}
