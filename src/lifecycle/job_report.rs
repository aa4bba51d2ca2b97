//! A job's report of the tasks that might have affected its hosts: per
//! ident and host, every job and task its lifecycle runvar names, with
//! how it touched the host (prep. / share / reuse), the idents it used
//! the host as, when its prep and its use started, when its last step
//! ended and how it ended. Pure: `db::read::job_report` reads the parts.

use std::collections::HashMap;
use std::hash::BuildHasher;

use serde::Serialize;

use super::report::{EntryDetail, JobRunvar, Task};
use super::view::{Group, groups};
use super::{DecodeError, Relation, ResolvedKind};

/// The whole report of one job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobReport {
    pub flight: i32,
    pub job: String,
    pub job_status: String,
    /// One per lifecycle runvar, by ident.
    pub hosts: Vec<HostSection>,
}

/// What one lifecycle runvar (`<ident>_lifecycle`) says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostSection {
    pub ident: String,
    /// The host the job's `<ident>` runvar names, if it still does.
    pub host: Option<String>,
    pub runvar: String,
    /// The job's last call was not final: the list may be incomplete.
    pub incomplete: bool,
    /// `null` when the runvar is malformed (see `malformed`).
    pub lines: Option<Vec<ReportLine>>,
    pub malformed: Option<DecodeError>,
}

/// One line of a host's section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReportLine {
    Job {
        relation: Relation,
        flight: i32,
        job: String,
        /// The report's own job (its place in the list says what ran
        /// before and alongside it).
        own: bool,
        /// The idents the job used the host as, in runvar order.
        roles: Vec<String>,
        /// When the earliest of its prep steps started.
        prep_started: Option<i64>,
        /// When the earliest of its other steps on the host started.
        use_started: Option<i64>,
        /// When the last of all its steps ended.
        last_ended: Option<i64>,
        /// `None` when the job no longer exists.
        job_status: Option<String>,
    },
    Task {
        relation: Relation,
        taskid: i32,
        /// The task row, while it exists.
        task: Option<Task>,
    },
    /// `count` earlier non-concurrent jobs left out (a `build-` host).
    Elided { count: u32 },
}

impl ReportLine {
    pub fn relation(&self) -> Option<Relation> {
        match self {
            ReportLine::Job { relation, .. } | ReportLine::Task { relation, .. } => Some(*relation),
            ReportLine::Elided { .. } => None,
        }
    }
}

/// Assemble the report from the job's decoded and looked-up runvars,
/// its ident runvars (`ident → host`) and each named job's last step end.
pub fn build<S: BuildHasher>(
    flight: i32,
    job: &str,
    job_status: String,
    runvars: Vec<JobRunvar>,
    hosts: &HashMap<String, String, S>,
    last_ended: &HashMap<(i32, String), i64, S>,
) -> JobReport {
    let hosts = runvars
        .into_iter()
        .map(|r| {
            let ident = r
                .name
                .strip_suffix("_lifecycle")
                .unwrap_or(&r.name)
                .to_owned();
            let (lines, malformed) = match r.entries {
                Ok(entries) => (Some(lines(&entries, last_ended)), None),
                Err(e) => (None, Some(e)),
            };
            HostSection {
                host: hosts.get(&ident).cloned(),
                ident,
                runvar: r.runvar,
                incomplete: r.incomplete,
                lines,
                malformed,
            }
        })
        .collect();
    JobReport {
        flight,
        job: job.to_owned(),
        job_status,
        hosts,
    }
}

fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The entries grouped as the per-job view groups them, with each job's
/// roles, times and status.
fn lines<S: BuildHasher>(
    entries: &[EntryDetail],
    last_ended: &HashMap<(i32, String), i64, S>,
) -> Vec<ReportLine> {
    groups(entries.iter().map(|d| &d.entry))
        .into_iter()
        .map(|g| match g {
            Group::Job {
                flight,
                job,
                own,
                relation,
                members,
            } => {
                let mut roles: Vec<String> = Vec::new();
                let (mut prep_started, mut use_started) = (None, None);
                for d in members.iter().map(|&i| &entries[i]) {
                    let ResolvedKind::Step { ident, prep, .. } = &d.entry.kind else {
                        continue;
                    };
                    if !roles.contains(ident) {
                        roles.push(ident.clone());
                    }
                    let started = d.step.as_ref().and_then(|s| s.started);
                    if *prep {
                        prep_started = earliest(prep_started, started);
                    } else {
                        use_started = earliest(use_started, started);
                    }
                }
                ReportLine::Job {
                    relation,
                    flight,
                    job: job.to_owned(),
                    own,
                    roles,
                    prep_started,
                    use_started,
                    last_ended: last_ended.get(&(flight, job.to_owned())).copied(),
                    job_status: entries[members[0]].job_status.clone(),
                }
            }
            Group::Task {
                taskid,
                relation,
                at,
            } => ReportLine::Task {
                relation,
                taskid,
                task: entries[at].task.clone(),
            },
            Group::Elided { count } => ReportLine::Elided { count },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::decode;
    use super::super::report::StepInfo;
    use super::*;

    fn detail(e: super::super::Resolved, started: Option<i64>, status: &str) -> EntryDetail {
        EntryDetail {
            step: started.map(|t| StepInfo {
                step: "ts-x".into(),
                testid: None,
                status: "pass".into(),
                started: Some(t),
                finished: None,
            }),
            job_status: (!status.is_empty()).then(|| status.to_owned()),
            blessing: None,
            task: None,
            entry: e,
        }
    }

    /// A compressed entry after an own one belongs to the job before the
    /// own one (spec section 7): `+3` here is build-amd64's step 3, so
    /// build-amd64 has a prep and a use and this job only its own.
    #[test]
    fn compressed_after_own_entry_is_the_earlier_jobs() {
        let r = decode("@build-amd64:2 :2 +3 +build-b:4,src_host [2] ?7").unwrap();
        let entries: Vec<EntryDetail> = r
            .resolve(100, "test-x")
            .into_iter()
            .zip([Some(20), Some(30), Some(40), Some(50), None, None])
            .map(|(e, t)| detail(e, t, "pass"))
            .collect();
        let ended = HashMap::from([((100, "build-amd64".to_owned()), 99)]);
        let got = lines(&entries, &ended);
        assert_eq!(
            got[0],
            ReportLine::Job {
                relation: Relation::Prep,
                flight: 100,
                job: "build-amd64".into(),
                own: false,
                roles: vec!["host".into()],
                prep_started: Some(20),
                use_started: Some(40),
                last_ended: Some(99),
                job_status: Some("pass".into()),
            }
        );
        let ReportLine::Job {
            own,
            relation,
            use_started,
            prep_started,
            ..
        } = &got[1]
        else {
            panic!("{got:?}")
        };
        assert!(*own);
        assert_eq!(*relation, Relation::Reuse);
        assert_eq!((*prep_started, *use_started), (None, Some(30)));
        let ReportLine::Job {
            job,
            relation,
            roles,
            last_ended,
            ..
        } = &got[2]
        else {
            panic!("{got:?}")
        };
        assert_eq!(job, "build-b");
        assert_eq!(*relation, Relation::Share);
        assert_eq!(roles, &["src_host".to_owned()]);
        assert_eq!(*last_ended, None);
        assert_eq!(got[3], ReportLine::Elided { count: 2 });
        assert!(matches!(
            got[4],
            ReportLine::Task {
                taskid: 7,
                relation: Relation::Reuse,
                task: None
            }
        ));
        assert_eq!(got.len(), 5, "{got:?}");
    }
}
