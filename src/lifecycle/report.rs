//! What the reads report: hosts, their rows, history entries, decoded
//! runvars and tasks, as plain data that the views show and the CLI prints
//! or serialises. `db` fills them in; nothing here does I/O.

use serde::Serialize;

use super::{self as lifecycle, DecodeError, Resolved, RowJob, TaskLabel};

/// A task row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub taskid: i32,
    #[serde(rename = "type")]
    pub kind: String,
    pub refkey: String,
    pub username: Option<String>,
    pub comment: Option<String>,
    pub live: bool,
}

impl Task {
    pub fn label(&self) -> TaskLabel {
        TaskLabel {
            taskid: self.taskid,
            kind: Some(self.kind.clone()),
            refkey: Some(self.refkey.clone()),
            username: self.username.clone(),
            live: self.live,
        }
    }

    pub fn is_magic(&self, refkey: &str) -> bool {
        self.kind == "magic" && self.refkey == refkey
    }
}

/// One host, as the hosts list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostSummary {
    pub host: String,
    /// Share type when the host is shared (`resource_sharing`).
    pub sharetype: Option<String>,
    pub share_state: Option<String>,
    /// A shared host's number of shares: its `share-host` rows.
    pub shares: Option<i64>,
    /// Who holds the host's `resources` row now.
    pub holder: Option<TaskLabel>,
    /// The host's `hostflags`, sorted.
    pub flags: Vec<String>,
    /// The host's `resource_properties`, by name.
    pub properties: Vec<Property>,
    /// Rows since the last wipe. `None` until counted: the browser's list
    /// comes first and its counts after.
    pub rows: Option<i64>,
    /// Distinct live tasks among those rows.
    pub live_tasks: i64,
    /// The newest row: its job (if any) and when its step started.
    pub last_lcseq: Option<i32>,
    pub last_job: Option<String>,
    pub last_activity: Option<i64>,
    /// Its recent outcomes and installs. `None` until read: like the
    /// counts, it follows the list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<super::health::Health>,
}

/// Fill in the hosts' health from `health` (by host; a host absent from
/// it has none to show).
pub fn set_health<S: std::hash::BuildHasher>(
    hosts: &mut [HostSummary],
    health: &std::collections::HashMap<String, super::health::Health, S>,
) {
    for h in hosts {
        h.health = health.get(&h.host).cloned();
    }
}

/// Fill in the hosts' row counts from `counts` (by host; a host absent
/// from it has no rows).
pub fn count_rows<S: std::hash::BuildHasher>(
    hosts: &mut [HostSummary],
    counts: &std::collections::HashMap<String, i64, S>,
) {
    for h in hosts {
        h.rows = Some(counts.get(&h.host).copied().unwrap_or(0));
    }
}

/// A step's own facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepInfo {
    pub step: String,
    pub testid: Option<String>,
    pub status: String,
    /// Epoch seconds (osstest's `integer`).
    pub started: Option<i64>,
    pub finished: Option<i64>,
}

/// One lifecycle row with what explains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowView {
    pub lcseq: i32,
    pub taskid: i32,
    /// `None` when the task was deleted.
    pub task: Option<Task>,
    pub job: Option<RowJob<'static>>,
    pub step: Option<StepInfo>,
    pub later_notprep: bool,
    /// Concurrent as an outside observer sees it now.
    pub concurrent: bool,
}

/// A host's `resource_properties` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Property {
    pub name: String,
    pub val: String,
}

/// Everything `show HOST` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostDetail {
    pub host: String,
    pub build_host: bool,
    /// The host's `hostflags`, sorted.
    pub flags: Vec<String>,
    /// The host's `resource_properties`, by name.
    pub properties: Vec<Property>,
    pub rows: Vec<RowView>,
    /// The listing a `final` call by an outside observer would compute now.
    pub listing: String,
}

/// A job that used the host, with its lifecycle runvar decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub flight: i32,
    pub job: String,
    pub ident: String,
    pub blessing: Option<String>,
    pub branch: Option<String>,
    pub started: Option<i64>,
    pub job_status: String,
    /// `None` when the job named the host but never recorded a lifecycle.
    pub runvar: Option<String>,
    pub decoded: Option<Decoded>,
}

/// A runvar decoded against its job, or why it could not be.
///
/// In JSON, `{"kind": "entries", "entries": [...], "incomplete": ...}` or
/// `{"kind": "malformed", "token": ..., "offset": ..., "reason": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decoded {
    Entries {
        entries: Vec<Resolved>,
        incomplete: bool,
    },
    Malformed(DecodeError),
}

impl Decoded {
    pub fn of(runvar: &str, flight: i32, job: &str) -> Decoded {
        match lifecycle::decode(runvar) {
            Ok(r) => Decoded::Entries {
                entries: r.resolve(flight, job),
                incomplete: r.sigil.is_some(),
            },
            Err(e) => Decoded::Malformed(e),
        }
    }
}

/// A resolved entry with the database's facts about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryDetail {
    #[serde(flatten)]
    pub entry: Resolved,
    pub step: Option<StepInfo>,
    pub job_status: Option<String>,
    pub blessing: Option<String>,
    /// For task entries: the task, if it still exists.
    pub task: Option<Task>,
}

/// A job's lifecycle runvar with every entry looked up.
///
/// In JSON the entries are a list (`null` when the runvar is malformed)
/// and `malformed` says why (`null` when it is not), rather than serde's
/// `{"Ok": ...}` for a `Result`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRunvar {
    pub flight: i32,
    pub job: String,
    pub name: String,
    pub runvar: String,
    pub incomplete: bool,
    pub entries: Result<Vec<EntryDetail>, DecodeError>,
}

impl Serialize for JobRunvar {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("JobRunvar", 7)?;
        st.serialize_field("flight", &self.flight)?;
        st.serialize_field("job", &self.job)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("runvar", &self.runvar)?;
        st.serialize_field("incomplete", &self.incomplete)?;
        st.serialize_field("entries", &self.entries.as_ref().ok())?;
        st.serialize_field("malformed", &self.entries.as_ref().err())?;
        st.end()
    }
}
