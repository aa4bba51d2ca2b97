//! The per-job view of a runvar: which jobs could have affected this one,
//! and how (what osstest's job report lists).

use std::collections::HashMap;

use serde::Serialize;

use super::{Resolved, ResolvedKind};

/// How another job (or task) touched the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    /// It prepared (installed) the host.
    #[serde(rename = "prep.")]
    Prep,
    /// It used the host concurrently with this job.
    Share,
    /// It used the host earlier.
    Reuse,
}

impl Relation {
    pub fn label(self) -> &'static str {
        match self {
            Relation::Prep => "prep.",
            Relation::Share => "share",
            Relation::Reuse => "reuse",
        }
    }
}

/// One line of the per-job view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobRelation {
    Job {
        #[serde(serialize_with = "super::runvar::own_flight")]
        flight: i32,
        #[serde(serialize_with = "super::runvar::own_job")]
        job: String,
        own: bool,
        relation: Relation,
        /// Step numbers in runvar order.
        steps: Vec<i32>,
    },
    Task {
        taskid: i32,
        relation: Relation,
    },
    /// `count` earlier jobs left out.
    Elided {
        count: u32,
    },
}

/// Entries grouped as the per-job view lists them: each job's entries,
/// by (flight, job), at its first appearance; each task and placeholder
/// on its own. The job report groups the same way, with more per line.
pub(super) enum Group<'a> {
    Job {
        flight: i32,
        job: &'a str,
        own: bool,
        /// Of all its entries: prep. over share over reuse.
        relation: Relation,
        /// Its entries, as indices into the entries grouped.
        members: Vec<usize>,
    },
    Task {
        taskid: i32,
        relation: Relation,
        at: usize,
    },
    Elided {
        count: u32,
    },
}

/// Group `entries` (linear: a long runvar has hundreds of entries).
pub(super) fn groups<'a>(entries: impl IntoIterator<Item = &'a Resolved>) -> Vec<Group<'a>> {
    let mut out: Vec<Group<'a>> = Vec::new();
    // (flight, job) → its group's index.
    let mut index: HashMap<(i32, &'a str), usize> = HashMap::new();
    for (i, e) in entries.into_iter().enumerate() {
        match &e.kind {
            ResolvedKind::Step {
                flight,
                job,
                prep,
                own,
                ..
            } => {
                let rel = relation_of(*prep, e.concurrent);
                let at = *index.entry((*flight, job.as_str())).or_insert_with(|| {
                    out.push(Group::Job {
                        flight: *flight,
                        job,
                        own: *own,
                        relation: rel,
                        members: Vec::new(),
                    });
                    out.len() - 1
                });
                if let Group::Job {
                    relation, members, ..
                } = &mut out[at]
                {
                    *relation = stronger(*relation, rel);
                    members.push(i);
                }
            }
            ResolvedKind::Task { taskid } => out.push(Group::Task {
                taskid: *taskid,
                relation: relation_of(false, e.concurrent),
                at: i,
            }),
            ResolvedKind::Elided { count } => out.push(Group::Elided { count: *count }),
        }
    }
    out
}

/// Group resolved entries by (flight, job), in order of first appearance.
pub fn job_view(entries: &[Resolved]) -> Vec<JobRelation> {
    let stepno = |i: usize| match entries[i].kind {
        ResolvedKind::Step { stepno, .. } => Some(stepno),
        ResolvedKind::Task { .. } | ResolvedKind::Elided { .. } => None,
    };
    groups(entries)
        .into_iter()
        .map(|g| match g {
            Group::Job {
                flight,
                job,
                own,
                relation,
                members,
            } => JobRelation::Job {
                flight,
                job: job.to_owned(),
                own,
                relation,
                steps: members.into_iter().filter_map(stepno).collect(),
            },
            Group::Task {
                taskid, relation, ..
            } => JobRelation::Task { taskid, relation },
            Group::Elided { count } => JobRelation::Elided { count },
        })
        .collect()
}

/// How one entry touched the host.
pub(super) fn relation_of(prep: bool, concurrent: bool) -> Relation {
    if prep {
        Relation::Prep
    } else if concurrent {
        Relation::Share
    } else {
        Relation::Reuse
    }
}

/// A job's relation from all its entries: prep. over share over reuse.
pub(super) fn stronger(a: Relation, b: Relation) -> Relation {
    use Relation::{Prep, Reuse, Share};
    match (a, b) {
        (Prep, _) | (_, Prep) => Prep,
        (Share, _) | (_, Share) => Share,
        _ => Reuse,
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode;
    use super::*;

    #[test]
    fn prep_wins_then_share_then_reuse() {
        let r = decode("@build-a:2 +5 [1] +build-c:3 x:1 ?7").unwrap();
        let v = job_view(&r.resolve(100, "build-d"));
        let rel: Vec<_> = v
            .iter()
            .map(|x| match x {
                JobRelation::Job {
                    job,
                    relation,
                    steps,
                    ..
                } => {
                    format!("{job}:{}:{steps:?}", relation.label())
                }
                JobRelation::Task { taskid, relation } => format!("?{taskid}:{}", relation.label()),
                JobRelation::Elided { count } => format!("[{count}]"),
            })
            .collect();
        assert_eq!(
            rel,
            [
                "build-a:prep.:[2, 5]",
                "[1]",
                "build-c:share:[3]",
                "x:reuse:[1]",
                "?7:reuse"
            ]
        );
    }
}
