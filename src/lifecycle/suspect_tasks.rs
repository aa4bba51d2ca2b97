//! The out-of-job tasks (an operator's, mostly) before host installs:
//! what the lifecycle runvars still say of them once the host's rows are
//! wiped, and how many installs each came before. Pure.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::Relation;

/// An out-of-job task that used the host before a trial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskPredecessor {
    pub taskid: i32,
    /// `static ian@node`, or `task 42` once the task row is gone.
    pub task: String,
    /// Share: it was live when the runvar was written; else reuse.
    pub relation: Relation,
}

/// One host's mentions: by the (flight, job) whose runvar names them,
/// each task with whether it was live when written.
pub(super) type ByJob = FxHashMap<(i32, String), Vec<(i32, bool)>>;

/// The out-of-job tasks the lifecycle runvars name, by the host and the
/// job whose runvar names them: what survives of an operator's use of a
/// host once its rows are wiped. A runvar lists the host's rows since
/// its last wipe, so one written before an install names the tasks that
/// used the host since the previous good install.
#[derive(Debug, Clone, Default)]
pub struct Mentions {
    by_host: FxHashMap<String, ByJob>,
    labels: FxHashMap<i32, String>,
}

impl Mentions {
    /// `(flight, job)`'s runvar for `host` names `tasks`, each with
    /// whether it was live (concurrent) when written.
    pub fn insert(&mut self, host: &str, flight: i32, job: &str, tasks: Vec<(i32, bool)>) {
        self.by_host
            .entry(host.to_owned())
            .or_default()
            .entry((flight, job.to_owned()))
            .or_default()
            .extend(tasks);
    }

    /// What to call task `taskid` (its type and refkey).
    pub fn label(&mut self, taskid: i32, label: String) {
        self.labels.insert(taskid, label);
    }

    /// The taskids named.
    pub fn taskids(&self) -> Vec<i32> {
        let mut ids: Vec<i32> = self
            .by_host
            .values()
            .flat_map(|m| m.values().flatten().map(|&(t, _)| t))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    pub(super) fn of(&self, host: &str) -> Option<&ByJob> {
        self.by_host.get(host)
    }

    fn task_label(&self, taskid: i32) -> String {
        self.labels
            .get(&taskid)
            .cloned()
            .unwrap_or_else(|| format!("task {taskid}"))
    }
}

/// The tasks that `jobs`' runvars for one host name, by taskid: shared
/// when any of those runvars was written while the task was live.
/// Which runvars count for an install is the caller's rule
/// ([`super::suspects::trials`]).
pub(super) fn named_by<'a>(
    mentioned: &ByJob,
    mentions: &Mentions,
    jobs: impl Iterator<Item = (i32, &'a str)>,
) -> Vec<TaskPredecessor> {
    let mut named: BTreeMap<i32, bool> = BTreeMap::new();
    for (flight, job) in jobs {
        for &(taskid, live) in mentioned
            .get(&(flight, job.to_owned()))
            .into_iter()
            .flatten()
        {
            *named.entry(taskid).or_default() |= live;
        }
    }
    named
        .into_iter()
        .map(|(taskid, live)| TaskPredecessor {
            taskid,
            task: mentions.task_label(taskid),
            relation: if live {
                Relation::Share
            } else {
                Relation::Reuse
            },
        })
        .collect()
}

/// An out-of-job task (by its type and refkey) and the installs it came
/// before, as far as the runvars still tell. Counted, not scored: what
/// keeps a task in a runvar is a table no good install has wiped since,
/// so the tasks seen are mostly those before installs that failed (on
/// the simulator's `large` lab, whose operators break nothing, 40-70% of
/// the installs after each operator's tasks failed, against 9% in all).
/// A rate of these would blame the operator for the failures that kept
/// the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskBefore {
    pub task: String,
    /// Installs it came before, and how many of them failed.
    pub installs: u64,
    pub failed: u64,
    /// The installs it came before, newest first, a few.
    pub evidence: Vec<TaskEvidence>,
}

/// An install a task preceded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskEvidence {
    pub taskid: i32,
    pub host: String,
    pub install_flight: i32,
    pub job: String,
    pub failed: bool,
}

/// A task label's failed and all installs while counting, and its
/// evidence with each install's start.
type TaskAcc = ((u64, u64), Vec<(i64, TaskEvidence)>);

/// An install as the tasks' tally sees it.
pub(super) struct Installed<'a> {
    pub tasks: &'a [TaskPredecessor],
    pub failed: bool,
    pub started: i64,
    pub host: &'a str,
    pub flight: i32,
    pub job: &'a str,
}

/// The tasks before `trials`, by label, most installs first, each with
/// its newest `shown` installs as evidence.
pub(super) fn tally(trials: &[Installed<'_>], shown: usize) -> Vec<TaskBefore> {
    let mut by: BTreeMap<&str, TaskAcc> = BTreeMap::new();
    for t in trials {
        let mut seen: Vec<&str> = Vec::new();
        for p in t.tasks {
            if seen.contains(&p.task.as_str()) {
                continue;
            }
            seen.push(&p.task);
            let ((failures, uses), evidence) = by.entry(&p.task).or_default();
            *uses += 1;
            *failures += u64::from(t.failed);
            evidence.push((
                t.started,
                TaskEvidence {
                    taskid: p.taskid,
                    host: t.host.to_owned(),
                    install_flight: t.flight,
                    job: t.job.to_owned(),
                    failed: t.failed,
                },
            ));
        }
    }
    let mut out: Vec<TaskBefore> = by
        .into_iter()
        .map(|(task, ((failed, installs), mut evidence))| {
            evidence.sort_by_key(|e| std::cmp::Reverse(e.0));
            TaskBefore {
                task: task.to_owned(),
                installs,
                failed,
                evidence: evidence.into_iter().take(shown).map(|(_, e)| e).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.installs.cmp(&a.installs).then(a.task.cmp(&b.task)));
    out
}
