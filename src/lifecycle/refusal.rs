//! Why a call is refused (nothing is written), and the task it names, as
//! an operator reads them. Plain data: `db` decides, everyone reports.

use std::fmt;

use serde::Serialize;

/// A task as shown in messages: enough for an operator to find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskLabel {
    pub taskid: i32,
    /// `None` when the task no longer exists.
    pub kind: Option<String>,
    pub refkey: Option<String>,
    pub username: Option<String>,
    pub live: bool,
}

impl TaskLabel {
    /// Whether this is osstest's magic task `refkey` (`shared`,
    /// `preparing`, ...).
    pub fn is_magic(&self, refkey: &str) -> bool {
        self.kind.as_deref() == Some("magic") && self.refkey.as_deref() == Some(refkey)
    }
}

impl fmt::Display for TaskLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.taskid)?;
        match (&self.kind, &self.refkey) {
            (Some(kind), Some(refkey)) => write!(f, " ({kind} {refkey}")?,
            _ => return write!(f, " (deleted)"),
        }
        if let Some(user) = &self.username {
            write!(f, ", user {user}")?;
        }
        if !self.live {
            write!(f, ", not live")?;
        }
        write!(f, ")")
    }
}

/// Why a call was refused. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    #[error(
        "invalid host name {0:?}: it must be non-empty, without whitespace or control characters"
    )]
    BadHostName(String),
    #[error(
        "invalid host name {0:?}: it holds a bidirectional control or a zero-width character, so it could pass for another name"
    )]
    HostNameInvisible(String),
    #[error("{field} is {length} bytes long; the limit is {limit} bytes")]
    TooLong {
        field: &'static str,
        limit: usize,
        length: usize,
    },
    #[error("invalid ident {0:?}: use letters, digits, `-`, `_` and `.`")]
    BadIdent(String),
    #[error("invalid job name {0:?}: use letters, digits, `-`, `_` and `.`")]
    BadJobName(String),
    #[error("task {0} does not exist")]
    TaskUnknown(String),
    #[error("task {taskid} is {actual}, not {given}")]
    TaskMismatch {
        taskid: i32,
        given: String,
        actual: String,
    },
    #[error("{0} has ended; only a live task may write lifecycle rows")]
    TaskNotLive(TaskLabel),
    #[error("host {0} has no resources row (restype host): not a known host")]
    HostUnknown(String),
    #[error("flight {0} does not exist")]
    FlightUnknown(i32),
    /// A read named a host the database knows nothing of: no resources
    /// row, no `resource_sharing` row, no lifecycle rows (and, for
    /// history, no runvar names it).
    #[error("no host named {host}{}", did_you_mean.as_deref().map(|s| format!("; did you mean {s}?")).unwrap_or_default())]
    NoSuchHost {
        host: String,
        did_you_mean: Option<String>,
    },
    #[error("flight {flight} has blessing {blessing:?}; lifecycle records need a running flight")]
    FlightNotRunning { flight: i32, blessing: String },
    #[error("job {flight}.{job} does not exist")]
    JobUnknown { flight: i32, job: String },
    #[error("job {flight}.{job} has no step {stepno}")]
    StepUnknown {
        flight: i32,
        job: String,
        stepno: i32,
    },
    #[error("job {flight}.{job} has no step with testid {testid:?}")]
    TestidUnknown {
        flight: i32,
        job: String,
        testid: String,
    },
    #[error("runvar {name} of {flight}.{job} exists and is not synthetic; not overwriting it")]
    RunvarNotSynth {
        flight: i32,
        job: String,
        name: String,
    },
    #[error(
        "not an osstest database: table runvars is missing (db upgrade adds to osstest's tables; db init makes them in an empty database)"
    )]
    NotOsstest,
    #[error("db upgrade must run as the owner of osstest's tables, {owner} (you are {user})")]
    NotOwner { owner: String, user: String },
    #[error(
        "host {host} is held by {holder}, not by the caller: wipe as that task, or once it has freed the host, allocate the host to yourself (mg-allocate {host}) and wipe again"
    )]
    HeldByOther { host: String, holder: TaskLabel },
    #[error(
        "host {host} is held by {holder}, so nobody holds it for a reinstall: allocate it to yourself (mg-allocate {host}) and wipe again"
    )]
    HolderDead { host: String, holder: TaskLabel },
    #[error(
        "host {host} is shared and the caller, task {taskid}, holds none of its shares: wipe as a task that holds one, or once the shares are freed, allocate the host to yourself (mg-allocate {host}) and wipe again"
    )]
    NoShare { host: String, taskid: i32 },
    #[error(
        "host {host} is shared and other tasks hold shares of it: {}; wipe once they have freed them",
        list(others)
    )]
    OthersHoldShares {
        host: String,
        others: Vec<TaskLabel>,
    },
}

fn list(tasks: &[TaskLabel]) -> String {
    tasks
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
