//! "Was it the host?" for a failed job: per host it used, what touched
//! the host before it, how the host's other recent jobs fared against
//! the fleet, and how the same job name fared on other hosts; one line
//! of verdict with its numbers. Pure: `db::insight::blame` reads the
//! parts.

use std::fmt::Write as _;

use serde::Serialize;

use super::health::Outcome;
use super::suspects::{Predecessor, Use, predecessors, wilson_lower};

/// A job's run, as the evidence lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    pub flight: i32,
    pub job: String,
    pub host: String,
    pub outcome: Outcome,
}

/// Failed and ended jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Tally {
    pub failed: u64,
    pub ended: u64,
}

impl Tally {
    pub fn of<'a>(runs: impl IntoIterator<Item = &'a Outcome>) -> Tally {
        let mut t = Tally::default();
        for o in runs {
            match o {
                Outcome::Fail | Outcome::Broken => {
                    t.failed += 1;
                    t.ended += 1;
                }
                Outcome::Pass => t.ended += 1,
                Outcome::Running | Outcome::Other => {}
            }
        }
        t
    }

    #[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    pub fn rate(self) -> f64 {
        if self.ended == 0 {
            0.0
        } else {
            self.failed as f64 / self.ended as f64
        }
    }
}

/// What one host says about the job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostBlame {
    pub ident: String,
    pub host: String,
    /// The jobs that used the host before this job, since its previous
    /// good install, with how (prep. / share / reuse).
    pub before: Vec<Predecessor>,
    /// The host's other newest jobs, up to this job's flight, newest
    /// first.
    pub recent: Vec<Run>,
    pub recent_tally: Tally,
    /// The same job name on other hosts in this and recent flights,
    /// newest first.
    pub same_job: Vec<Run>,
    pub same_job_tally: Tally,
    pub verdict: Verdict,
    /// The verdict with its numbers, in a line.
    pub line: String,
}

/// Whether the host looks to blame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Its jobs fail well above the fleet's rate, and the same job does
    /// not fail elsewhere.
    LikelyTheHost,
    /// The same job fails on other hosts too.
    LikelyTheJob,
    /// Neither stands out.
    Unclear,
}

/// The uses of `host` that came before `(flight, job)`'s own, since the
/// host's previous good install before it: those that began before it and
/// had not ended before that install began. A use still running when
/// this job's began shares the host; one that installed it prepared it.
pub fn before(uses: &[Use], flight: i32, job: &str) -> Vec<Predecessor> {
    let Some(own) = uses.iter().find(|u| u.flight == flight && u.job == job) else {
        return Vec::new();
    };
    let since = uses
        .iter()
        .flat_map(|u| u.installs.iter())
        .filter(|i| !i.failed && i.started <= own.first)
        .map(|i| i.started)
        .max();
    predecessors(
        uses.iter()
            .filter(|u| !(u.flight == flight && u.job == job))
            .filter(|u| u.first < own.first && since.is_none_or(|s| u.last >= s))
            .map(|u| (u, !u.installs.is_empty())),
        own.first,
    )
}

/// How many of a host's recent jobs must have failed before it is
/// blamed, whatever the rates say.
pub const MIN_HOST_FAILURES: u64 = 3;

/// The verdict on `host` and its line: the host is likely to blame when
/// even the pessimistic (95% lower bound) failure rate of its recent jobs
/// is twice the fleet's and the same job passed elsewhere; the job is
/// when it failed on other hosts as often as not.
pub fn judge(
    host: &str,
    recent: Tally,
    same_job: Tally,
    same_job_flights: &[i32],
    fleet: Tally,
) -> (Verdict, String) {
    let fleet_rate = fleet.rate();
    let mut line = format!(
        "host {host}: {} of its last {} jobs failed, fleet {:.0}%",
        recent.failed,
        recent.ended,
        fleet_rate * 100.0
    );
    let passed = same_job.ended - same_job.failed;
    if same_job.ended > 0 {
        let mut flights: Vec<i32> = same_job_flights.to_vec();
        flights.sort_unstable();
        flights.dedup();
        let flights = match (flights.first(), flights.last()) {
            (Some(a), Some(b)) if a == b => format!("flight {a}"),
            (Some(a), Some(b)) => format!("flights {a}–{b}"),
            _ => String::new(),
        };
        let _ = write!(
            line,
            "; the same job passed on {passed} of {} other runs in {flights}",
            same_job.ended
        );
    } else {
        line.push_str("; the same job has not run elsewhere lately");
    }
    let host_bad = recent.failed >= MIN_HOST_FAILURES
        && wilson_lower(recent.failed, recent.ended) > 2.0 * fleet_rate;
    let job_bad = same_job.ended > 0 && same_job.failed * 2 >= same_job.ended;
    let verdict = match (host_bad, job_bad) {
        (_, true) => Verdict::LikelyTheJob,
        (true, false) => Verdict::LikelyTheHost,
        (false, false) => Verdict::Unclear,
    };
    line.push_str(match verdict {
        Verdict::LikelyTheHost => ": likely the host",
        Verdict::LikelyTheJob => ": likely the job, not the host",
        Verdict::Unclear => ": the host does not stand out",
    });
    (verdict, line)
}

/// `hostlife blame FLIGHT JOB`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blame {
    pub flight: i32,
    pub job: String,
    pub status: String,
    /// Its first failed (or broken) step: number, script, status.
    pub failed_step: Option<(i32, String, String)>,
    /// The jobs that ended in the flights the hosts' recent jobs span.
    pub fleet: Tally,
    pub hosts: Vec<HostBlame>,
}

impl Blame {
    /// The report as lines of text, as `hostlife blame` prints it and the
    /// browser shows it: the job, the fleet's rate, then per host its
    /// verdict line, what came before it there and the evidence.
    pub fn lines(&self) -> Vec<String> {
        let mut head = format!("{}.{}: {}", self.flight, self.job, self.status);
        if let Some((stepno, step, status)) = &self.failed_step {
            let _ = write!(head, " (step {stepno} {step}: {status})");
        }
        let mut out = vec![
            head,
            format!(
                "fleet: {} of the {} jobs that ended in the flights below failed ({:.1}%)",
                self.fleet.failed,
                self.fleet.ended,
                self.fleet.rate() * 100.0
            ),
        ];
        if self.failed_step.is_none() {
            out.push(
                "it has no failed step: the verdicts below say how its hosts fare, not why it failed"
                    .to_owned(),
            );
        }
        if self.hosts.is_empty() {
            out.push(String::new());
            out.push("it used no host (no host or *_host runvar)".to_owned());
        }
        for h in &self.hosts {
            out.push(String::new());
            out.push(h.line.clone());
            if h.before.is_empty() {
                out.push("  before it, since the host's last good install: nothing".to_owned());
            } else {
                out.push("  before it, since the host's last good install:".to_owned());
                for p in &h.before {
                    out.push(format!(
                        "    {:<6} {}.{}",
                        p.relation.label(),
                        p.flight,
                        p.job
                    ));
                }
            }
            if !h.recent.is_empty() {
                out.push(format!(
                    "  its other recent jobs, newest first: {}",
                    runs(&h.recent, false)
                ));
            }
            if !h.same_job.is_empty() {
                out.push(format!(
                    "  the same job elsewhere, newest first: {}",
                    runs(&h.same_job, true)
                ));
            }
        }
        out
    }
}

/// Runs as `flight.job status` (or `flight host status`), comma-separated.
fn runs(runs: &[Run], with_host: bool) -> String {
    runs.iter()
        .map(|r| {
            if with_host {
                format!("{} {} {}", r.flight, r.host, r.outcome.word())
            } else {
                format!("{}.{} {}", r.flight, r.job, r.outcome.word())
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::Relation;
    use crate::lifecycle::suspects::Install;

    fn used(flight: i32, job: &str, span: (i64, i64), install: Option<bool>) -> Use {
        Use {
            host: "h".into(),
            flight,
            job: job.into(),
            first: span.0,
            last: span.1,
            installs: install
                .map(|failed| Install {
                    stepno: 2,
                    started: span.0 + 1,
                    failed,
                })
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn what_came_before_since_the_last_good_install() {
        let uses = [
            used(1, "old", (0, 50), None),
            used(2, "installer", (100, 200), Some(false)),
            used(3, "reuser", (250, 300), None),
            used(4, "sharer", (280, 500), None),
            used(4, "me", (400, 600), None),
            used(5, "later", (700, 800), None),
        ];
        let b = before(&uses, 4, "me");
        let got: Vec<(i32, &str, Relation)> = b
            .iter()
            .map(|p| (p.flight, p.job.as_str(), p.relation))
            .collect();
        assert_eq!(
            got,
            [
                (2, "installer", Relation::Prep),
                (3, "reuser", Relation::Reuse),
                (4, "sharer", Relation::Share),
            ]
        );
        assert!(before(&uses, 9, "absent").is_empty());
    }

    #[test]
    fn the_verdict_and_its_numbers() {
        let fleet = Tally {
            failed: 11,
            ended: 100,
        };
        let (v, line) = judge(
            "italia0",
            Tally {
                failed: 5,
                ended: 7,
            },
            Tally {
                failed: 0,
                ended: 3,
            },
            &[180_043, 180_041],
            fleet,
        );
        assert_eq!(v, Verdict::LikelyTheHost);
        assert_eq!(
            line,
            "host italia0: 5 of its last 7 jobs failed, fleet 11%; the same job passed on 3 of 3 \
             other runs in flights 180041–180043: likely the host"
        );
        let (v, _) = judge(
            "h",
            Tally {
                failed: 5,
                ended: 7,
            },
            Tally {
                failed: 2,
                ended: 3,
            },
            &[7],
            fleet,
        );
        assert_eq!(v, Verdict::LikelyTheJob);
        let (v, line) = judge(
            "h",
            Tally {
                failed: 1,
                ended: 7,
            },
            Tally::default(),
            &[],
            fleet,
        );
        assert_eq!(v, Verdict::Unclear);
        assert!(line.contains("has not run elsewhere"), "{line}");
        assert_eq!(
            Tally::of(&[
                Outcome::Pass,
                Outcome::Fail,
                Outcome::Running,
                Outcome::Broken
            ]),
            Tally {
                failed: 2,
                ended: 3
            }
        );
    }

    #[test]
    fn a_job_that_did_not_fail_says_so() {
        let b = Blame {
            flight: 7,
            job: "test-x".into(),
            status: "pass".into(),
            failed_step: None,
            fleet: Tally {
                failed: 1,
                ended: 4,
            },
            hosts: Vec::new(),
        };
        assert_eq!(
            b.lines(),
            [
                "7.test-x: pass",
                "fleet: 1 of the 4 jobs that ended in the flights below failed (25.0%)",
                "it has no failed step: the verdicts below say how its hosts fare, not why it failed",
                "",
                "it used no host (no host or *_host runvar)",
            ]
        );
    }
}
