//! The calls hostlife carries out, as plain data with their own checks:
//! record and wipe calls, the task, job and step they name, and what each
//! did. The CLI and the palette build them; `db` runs them.

use serde::Serialize;

use super::{Mode, Refusal, Task, limits};

/// How a caller names its task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum TaskRef {
    /// By id alone.
    Id { taskid: i32 },
    /// `taskid type refkey`, as osstest passes it in `OSSTEST_TASK`; all
    /// three must agree with the tasks table.
    Spec {
        taskid: i32,
        kind: String,
        refkey: String,
    },
    /// An operator's static task `user@node`, created (live) if missing.
    Static { refkey: String },
}

impl TaskRef {
    /// Parse osstest's `OSSTEST_TASK` form: `taskid type refkey`.
    pub fn parse_spec(s: &str) -> std::result::Result<TaskRef, String> {
        let mut parts = s.splitn(3, ' ');
        let (Some(id), Some(kind), Some(refkey)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("task {s:?}: expected `TASKID TYPE REFKEY`"));
        };
        let taskid = id
            .parse()
            .map_err(|_| format!("task {s:?}: {id:?} is not a task id"))?;
        Ok(TaskRef::Spec {
            taskid,
            kind: kind.to_owned(),
            refkey: refkey.to_owned(),
        })
    }
}

impl std::fmt::Display for TaskRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TaskRef::Id { taskid } => write!(f, "{taskid}"),
            TaskRef::Spec {
                taskid,
                kind,
                refkey,
            } => write!(f, "{taskid} {kind} {refkey}"),
            TaskRef::Static { refkey } => write!(f, "static {refkey}"),
        }
    }
}

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
    /// The step of the job whose testid this is (osstest's `OSSTEST_TESTID`).
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

/// Whether a host name may be looked up: non-empty and no longer than a
/// DNS name. A read is a parameter to a query, so any name the database
/// holds can be asked for, however odd; it shows escaped.
pub fn check_lookup_name(host: &str) -> Result<(), Refusal> {
    if host.is_empty() {
        return Err(Refusal::BadHostName(host.to_owned()));
    }
    limits::check("host", host, limits::HOST_NAME)
}

/// Whether a host name may be wiped: as for a lookup, with no whitespace
/// and no control characters.
pub fn check_host_name(host: &str) -> Result<(), Refusal> {
    check_lookup_name(host)?;
    if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Refusal::BadHostName(host.to_owned()));
    }
    Ok(())
}

/// Whether a host name may be recorded: as for a wipe, and it holds no
/// character that cannot be seen (a bidirectional control, a zero-width
/// space), since two hosts whose names look the same would be blamed for
/// each other. A host already in the database with such a name can still
/// be looked up, and shows escaped.
pub fn check_new_host_name(host: &str) -> Result<(), Refusal> {
    check_host_name(host)?;
    if host.chars().any(super::is_invisible) {
        return Err(Refusal::HostNameInvisible(host.to_owned()));
    }
    Ok(())
}

/// A flight's blessing permits lifecycle writes while it is running (or a
/// play flight).
pub fn blessing_allows(blessing: &str) -> bool {
    blessing == "running" || blessing.contains("play")
}

/// One `wiped` call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WipeCall {
    pub host: String,
    pub task: TaskRef,
    /// The job doing the reinstall, if any: its flight must be running.
    pub job: Option<JobRef>,
}

/// What a `wiped` call did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WipeOutcome {
    pub taskid: i32,
    /// Rows removed.
    pub deleted: u64,
    /// Rows left (the caller's first row and everything after it).
    pub kept: u64,
    /// The out-of-job row recorded first (manual wipes only).
    pub recorded_lcseq: Option<i32>,
}

/// The rows a wipe by `taskid` would remove and keep, without writing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WipePlan {
    pub task: Task,
    /// lcseq of the caller's first row, if it has one on the host.
    pub first_own: Option<i32>,
    pub remove: Vec<i32>,
    pub keep: Vec<i32>,
}

/// The acting task must be live to write.
pub fn check_live(t: &Task) -> Result<(), Refusal> {
    if t.live {
        Ok(())
    } else {
        Err(Refusal::TaskNotLive(t.label()))
    }
}

/// Whether `found`, the task row looked up for `task`, is the caller's
/// task: it must exist and, named by a spec, agree with it.
pub fn check_found(task: &TaskRef, found: Option<Task>) -> Result<Task, Refusal> {
    let t = found.ok_or_else(|| Refusal::TaskUnknown(task.to_string()))?;
    if let TaskRef::Spec {
        taskid,
        kind,
        refkey,
    } = task
        && (&t.kind != kind || &t.refkey != refkey)
    {
        return Err(Refusal::TaskMismatch {
            taskid: *taskid,
            given: format!("{kind} {refkey}"),
            actual: format!("{} {}", t.kind, t.refkey),
        });
    }
    Ok(t)
}

fn check_task_lengths(task: &TaskRef) -> Result<(), Refusal> {
    match task {
        TaskRef::Id { .. } => Ok(()),
        TaskRef::Spec { kind, refkey, .. } => {
            limits::check("task type", kind, limits::NAME)?;
            limits::check("task refkey", refkey, limits::NAME)
        }
        TaskRef::Static { refkey } => limits::check("static task", refkey, limits::NAME),
    }
}

/// Every name of a record call, within [`limits`].
pub fn check_record_lengths(call: &RecordCall) -> Result<(), Refusal> {
    limits::check("host", &call.host, limits::HOST_NAME)?;
    limits::check("ident", &call.ident, limits::NAME)?;
    if let Some(job) = &call.job {
        limits::check("job", &job.job, limits::NAME)?;
    }
    if let Some(StepRef::Testid(testid)) = &call.step {
        limits::check("testid", testid, limits::NAME)?;
    }
    check_task_lengths(&call.task)
}

/// Every name of a wipe call, within [`limits`].
pub fn check_wipe_lengths(call: &WipeCall) -> Result<(), Refusal> {
    limits::check("host", &call.host, limits::HOST_NAME)?;
    if let Some(job) = &call.job {
        limits::check("job", &job.job, limits::NAME)?;
    }
    check_task_lengths(&call.task)
}
