//! The out-of-job tasks (an operator's, mostly) before host installs:
//! what the lifecycle runvars still say of them once the host's rows are
//! wiped, and their ranking, as the job names' in
//! [`super::suspects`]. Pure.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::Relation;
use super::stats::{ratio, wilson_lower};

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

/// An out-of-job task (by its type and refkey) and the trials it
/// preceded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskSuspect {
    pub task: String,
    pub failures: u64,
    pub uses: u64,
    pub rate: f64,
    pub lift: f64,
    pub score: f64,
    /// The installs it preceded, newest first, a few.
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

/// A task label's counts while ranking, and its evidence with each
/// install's start.
type TaskAcc = ((u64, u64), Vec<(i64, TaskEvidence)>);

/// An install as the tasks' ranking sees it.
pub(super) struct Installed<'a> {
    pub tasks: &'a [TaskPredecessor],
    pub failed: bool,
    pub started: i64,
    pub host: &'a str,
    pub flight: i32,
    pub job: &'a str,
}

/// The tasks before `trials`, by label, scored as job names are, each
/// with its newest `shown` installs as evidence.
pub(super) fn rank(trials: &[Installed<'_>], shown: usize) -> Vec<TaskSuspect> {
    let failed = trials.iter().filter(|t| t.failed).count() as u64;
    let base = ratio(failed, trials.len() as u64);
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
    let mut out: Vec<TaskSuspect> = by
        .into_iter()
        .map(|(task, ((failures, uses), mut evidence))| {
            let rate = ratio(failures, uses);
            evidence.sort_by_key(|e| std::cmp::Reverse(e.0));
            TaskSuspect {
                task: task.to_owned(),
                failures,
                uses,
                rate,
                lift: if base > 0.0 { rate / base } else { 0.0 },
                score: wilson_lower(failures, uses),
                evidence: evidence.into_iter().take(shown).map(|(_, e)| e).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.uses.cmp(&a.uses)));
    out
}
