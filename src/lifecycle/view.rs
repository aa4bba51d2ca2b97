//! The per-job view of a runvar: which jobs could have affected this one,
//! and how (what osstest's job report lists).

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

/// Group resolved entries by (flight, job), in order of first appearance.
pub fn job_view(entries: &[Resolved]) -> Vec<JobRelation> {
    let mut out: Vec<JobRelation> = Vec::new();
    for e in entries {
        match &e.kind {
            ResolvedKind::Step {
                flight,
                job,
                stepno,
                prep,
                own,
                ..
            } => {
                let existing = out.iter_mut().find_map(|r| match r {
                    JobRelation::Job {
                        flight: f,
                        job: j,
                        relation,
                        steps,
                        ..
                    } if f == flight && j == job => Some((relation, steps)),
                    _ => None,
                });
                let relation = relation_of(*prep, e.concurrent);
                match existing {
                    Some((r, steps)) => {
                        steps.push(*stepno);
                        *r = stronger(*r, relation);
                    }
                    None => out.push(JobRelation::Job {
                        flight: *flight,
                        job: job.clone(),
                        own: *own,
                        relation,
                        steps: vec![*stepno],
                    }),
                }
            }
            ResolvedKind::Task { taskid } => out.push(JobRelation::Task {
                taskid: *taskid,
                relation: relation_of(false, e.concurrent),
            }),
            ResolvedKind::Elided { count } => out.push(JobRelation::Elided { count: *count }),
        }
    }
    out
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
