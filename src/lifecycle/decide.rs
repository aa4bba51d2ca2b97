//! What a record call does, decided from what it read: the checks of spec
//! section 3 in the order osstest makes them, the sigil's early return,
//! and the listing. No I/O: `db` reads the [`Facts`] and the host's rows
//! (in one call or a batch) and carries the decision out.

use super::call::{RecordCall, StepRef, TaskRef, blessing_allows, check_live};
use super::{self as lifecycle, ListingContext, Mode, Refusal, ScanRow, Task};

/// Everything a call checks, as `db` reads it in one statement.
#[derive(Debug)]
pub struct Facts {
    pub task: Option<Task>,
    /// `None`: no such flight; `Some(None)`: a flight without blessing.
    pub blessing: Option<Option<String>>,
    pub job_exists: bool,
    pub stepno: Option<i32>,
    pub runvar: Option<(String, bool)>,
    pub host_known: bool,
    pub sharetype: Option<String>,
}

/// Who the call acts as.
#[derive(Debug)]
pub enum Acting<'c> {
    Known(Task),
    /// An operator's static task that does not exist yet: created, live,
    /// in the call's transaction.
    CreateStatic(&'c str),
}

/// The task the context found, checked against how the call named it.
pub fn acting(found: Option<Task>, call: &RecordCall) -> Result<Acting<'_>, Refusal> {
    match (found, &call.task) {
        (Some(t), TaskRef::Spec { kind, refkey, .. }) if (&t.kind, &t.refkey) != (kind, refkey) => {
            Err(Refusal::TaskMismatch {
                taskid: t.taskid,
                given: format!("{kind} {refkey}"),
                actual: format!("{} {}", t.kind, t.refkey),
            })
        }
        (Some(t), _) => Ok(Acting::Known(t)),
        (None, TaskRef::Static { refkey }) => Ok(Acting::CreateStatic(refkey)),
        (None, other) => Err(Refusal::TaskUnknown(other.to_string())),
    }
}

/// What a call that was not refused does.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// The runvar already ends with the mode's sigil: nothing to write.
    Unchanged { runvar: String },
    /// No flight or no step: a task-only row.
    TaskRow,
    /// A job's row and its runvar.
    Write { stepno: i32, runvar: String },
}

/// Decide call `call` (whose runvar is `name`) acting as `me`, from its
/// context and, for a call with a job and a step, its host's rows.
pub fn decide(
    call: &RecordCall,
    name: &str,
    ctx: &Facts,
    me: &Task,
    rows: Option<&[ScanRow<'_>]>,
) -> Result<Decision, Refusal> {
    let mut stepno = None;
    if let Some(job) = &call.job {
        let Some(blessing) = &ctx.blessing else {
            return Err(Refusal::FlightUnknown(job.flight));
        };
        if !ctx.job_exists {
            return Err(Refusal::JobUnknown {
                flight: job.flight,
                job: job.job.clone(),
            });
        }
        stepno = match (&call.step, ctx.stepno) {
            (None, _) => None,
            (Some(_), Some(n)) => Some(n),
            (Some(StepRef::Number(n)), None) => {
                return Err(Refusal::StepUnknown {
                    flight: job.flight,
                    job: job.job.clone(),
                    stepno: *n,
                });
            }
            (Some(StepRef::Testid(t)), None) => {
                return Err(Refusal::TestidUnknown {
                    flight: job.flight,
                    job: job.job.clone(),
                    testid: t.clone(),
                });
            }
        };
        let blessing = blessing.clone().unwrap_or_default();
        if stepno.is_some() && !blessing_allows(&blessing) {
            return Err(Refusal::FlightNotRunning {
                flight: job.flight,
                blessing,
            });
        }
    }
    let host_known = || -> Result<(), Refusal> {
        if ctx.host_known {
            Ok(())
        } else {
            Err(Refusal::HostUnknown(call.host.clone()))
        }
    };
    let (Some(job), Some(stepno)) = (&call.job, stepno) else {
        host_known()?;
        check_live(me)?;
        return Ok(Decision::TaskRow);
    };

    if let Some((val, synth)) = &ctx.runvar {
        if !synth {
            return Err(Refusal::RunvarNotSynth {
                flight: job.flight,
                job: job.job.clone(),
                name: name.to_owned(),
            });
        }
        let sigil = call.mode.sigil().map(lifecycle::Sigil::as_char);
        if sigil.is_some() && lifecycle::sigil_of_last_token(val) == sigil {
            return Ok(Decision::Unchanged {
                runvar: val.clone(),
            });
        }
    }

    host_known()?;
    check_live(me)?;

    #[expect(
        clippy::expect_used,
        reason = "the caller reads the rows of every call with a job and a step"
    )]
    let rows = rows.expect("a call with a job and a step reads the host's rows");
    let build_host = ctx
        .sharetype
        .as_deref()
        .is_some_and(|t| t.starts_with("build-"));
    let listing = lifecycle::listing(
        rows,
        ListingContext {
            flight: Some(job.flight),
            job: &job.job,
            build_host,
        },
    );
    Ok(Decision::Write {
        stepno,
        runvar: listing.runvar(call.mode.sigil()),
    })
}

/// Whether a call's row is a prep row.
pub fn is_prep(call: &RecordCall) -> bool {
    call.mode == Mode::SelectPrep
}
