//! Which jobs break hosts: every host install is a trial, its
//! predecessors the jobs that used the host since its previous good
//! install; a job name that precedes failed installs more often than
//! installs fail anyway is a suspect. Pure: `db::insight` gathers the
//! trials, this ranks them.
//!
//! The score is the lower bound of the 95% Wilson interval of the failure
//! rate among the trials a job name preceded. It is robust to small
//! counts where the raw rate is not (one failed trial out of one is a
//! rate of 100% but a lower bound of 21%), it never exceeds the rate, and
//! it grows with evidence, so ranking by it puts "often, and many times"
//! first. A name is flagged when even the stricter 99% bound is above
//! the base rate of all trials: read pessimistically, installs after it
//! fail more often than installs do. The stricter bound is for the many
//! names judged at once: at 95%, one neutral name in twenty would pass by
//! chance.
//!
//! A host whose installs fail whatever ran before would make every job
//! that used it look guilty, so hosts are judged first, the same way
//! (their own install failure rate against the base rate, and runs of
//! consecutive failures), and a flagged host's trials are left out of the
//! job ranking.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::Relation;

/// The z of a two-sided 95% interval: the score.
const Z: f64 = 1.96;
/// The z of a two-sided 99% interval: the flag.
const Z_FLAG: f64 = 2.576;

/// A host install attempt: a `ts-host-install*` step that passed or
/// failed, and the jobs that used the host since its previous good
/// install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trial {
    pub host: String,
    pub flight: i32,
    pub job: String,
    pub stepno: i32,
    /// Failed or broken.
    pub failed: bool,
    /// When the install started (epoch seconds).
    pub started: i64,
    pub predecessors: Vec<Predecessor>,
}

/// A job that used the host before a trial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predecessor {
    pub flight: i32,
    pub job: String,
    pub relation: Relation,
}

/// What `hostlife suspects` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub trials: u64,
    pub failed: u64,
    /// `failed / trials`.
    pub base_rate: f64,
    /// Job names, most suspect first (flagged ones, then the rest while
    /// they preceded a failure).
    pub suspects: Vec<Suspect>,
    /// Hosts whose installs fail whatever ran before, and those with runs
    /// of failed installs, worst first.
    pub hosts: Vec<HostProblem>,
    /// Trials left out of the job ranking because their host is flagged.
    pub trials_on_flagged_hosts: u64,
}

/// A job name and the trials it preceded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suspect {
    pub job: String,
    /// Failed trials it preceded.
    pub failures: u64,
    /// Trials it preceded.
    pub uses: u64,
    pub rate: f64,
    /// `rate / base_rate`.
    pub lift: f64,
    /// The 95% Wilson lower bound of `rate` (see the module's text).
    pub score: f64,
    /// Whether even the 99% bound is above the base rate.
    pub flagged: bool,
    /// The same counts by how it touched the host.
    pub by_relation: BTreeMap<&'static str, Counts>,
    /// The failed installs it preceded, newest first.
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    pub failures: u64,
    pub uses: u64,
}

/// A failed install a suspect preceded: the suspect's own run (`flight`),
/// the job whose install failed, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The flight in which the suspect ran.
    pub flight: i32,
    /// The job whose install failed after it.
    pub job: String,
    pub host: String,
    /// The flight of the failed install.
    pub install_flight: i32,
}

/// A host's installs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostProblem {
    pub host: String,
    pub installs: u64,
    pub failed_installs: u64,
    /// The longest run of consecutive failed installs.
    pub consecutive: u64,
    /// Whether its newest install failed (it may be failing now).
    pub failing_now: bool,
    /// The Wilson lower bound of its install failure rate.
    pub score: f64,
    /// Installs fail here more than anywhere, whatever ran before.
    pub flagged: bool,
}

/// The lower bound of the 95% Wilson score interval for `k` of `n`.
pub fn wilson_lower(k: u64, n: u64) -> f64 {
    wilson(k, n, Z)
}

fn wilson(k: u64, n: u64, z: f64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let spread = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - spread) / (1.0 + z2 / n)).max(0.0)
}

#[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
fn ratio(k: u64, n: u64) -> f64 {
    if n == 0 { 0.0 } else { k as f64 / n as f64 }
}

/// Runs of consecutive failed installs that make a host a problem even
/// when its overall rate is not.
pub const CONSECUTIVE_FLAG: u64 = 3;

/// How many failed installs a suspect lists as evidence.
pub const EVIDENCE: usize = 10;

/// One job name's trials while ranking.
#[derive(Default)]
struct Acc {
    all: Counts,
    by: BTreeMap<&'static str, Counts>,
    /// With the failed install's start, to keep the newest.
    evidence: Vec<(i64, Evidence)>,
}

/// Rank `trials` (in any order).
pub fn rank(trials: &[Trial]) -> Report {
    let total = trials.len() as u64;
    let failed = trials.iter().filter(|t| t.failed).count() as u64;
    let base = ratio(failed, total);
    let hosts = host_problems(trials, base);
    let flagged: BTreeSet<&str> = hosts
        .iter()
        .filter(|h| h.flagged)
        .map(|h| h.host.as_str())
        .collect();

    let mut acc: HashMap<&str, Acc> = HashMap::new();
    let mut left_out = 0;
    for t in trials {
        if flagged.contains(t.host.as_str()) {
            left_out += 1;
            continue;
        }
        // A job name counts once per trial, however many of its runs
        // used the host; its relation is the closest one it had.
        let mut seen: HashMap<&str, (&Predecessor, Relation)> = HashMap::new();
        for p in &t.predecessors {
            let e = seen.entry(p.job.as_str()).or_insert((p, p.relation));
            if closeness(p.relation) > closeness(e.1) {
                *e = (p, p.relation);
            }
        }
        for (name, (p, relation)) in seen {
            let a = acc.entry(name).or_default();
            let by = a.by.entry(relation.label()).or_default();
            a.all.uses += 1;
            by.uses += 1;
            if t.failed {
                a.all.failures += 1;
                by.failures += 1;
                a.evidence.push((
                    t.started,
                    Evidence {
                        flight: p.flight,
                        job: t.job.clone(),
                        host: t.host.clone(),
                        install_flight: t.flight,
                    },
                ));
            }
        }
    }
    let mut suspects: Vec<Suspect> = acc
        .into_iter()
        .filter(|(_, a)| a.all.failures > 0)
        .map(|(job, mut a)| {
            let rate = ratio(a.all.failures, a.all.uses);
            let score = wilson_lower(a.all.failures, a.all.uses);
            a.evidence.sort_by_key(|e| std::cmp::Reverse(e.0));
            Suspect {
                job: job.to_owned(),
                failures: a.all.failures,
                uses: a.all.uses,
                rate,
                lift: if base > 0.0 { rate / base } else { 0.0 },
                score,
                flagged: wilson(a.all.failures, a.all.uses, Z_FLAG) > base,
                by_relation: a.by,
                evidence: a
                    .evidence
                    .into_iter()
                    .take(EVIDENCE)
                    .map(|(_, e)| e)
                    .collect(),
            }
        })
        .collect();
    suspects.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.failures.cmp(&a.failures))
            .then(a.job.cmp(&b.job))
    });
    Report {
        trials: total,
        failed,
        base_rate: base,
        suspects,
        hosts,
        trials_on_flagged_hosts: left_out,
    }
}

/// Closer relations win when one job name touched a host several ways:
/// sharing it while it was installed, then having prepared it, then
/// having used it earlier.
fn closeness(r: Relation) -> u8 {
    match r {
        Relation::Reuse => 0,
        Relation::Prep => 1,
        Relation::Share => 2,
    }
}

/// Every host with a failed install: its counts and whether it is a host
/// problem (its own install failures above the base rate even read
/// pessimistically, or a run of [`CONSECUTIVE_FLAG`] failures).
fn host_problems(trials: &[Trial], base: f64) -> Vec<HostProblem> {
    let mut by_host: BTreeMap<&str, Vec<&Trial>> = BTreeMap::new();
    for t in trials {
        by_host.entry(&t.host).or_default().push(t);
    }
    let mut out: Vec<HostProblem> = by_host
        .into_iter()
        .filter_map(|(host, mut ts)| {
            ts.sort_by_key(|t| (t.started, t.flight, t.stepno));
            let installs = ts.len() as u64;
            let failed = ts.iter().filter(|t| t.failed).count() as u64;
            if failed == 0 {
                return None;
            }
            let (mut run, mut longest) = (0, 0);
            for t in &ts {
                run = if t.failed { run + 1 } else { 0 };
                longest = longest.max(run);
            }
            let score = wilson_lower(failed, installs);
            Some(HostProblem {
                host: host.to_owned(),
                installs,
                failed_installs: failed,
                consecutive: longest,
                failing_now: ts.last().is_some_and(|t| t.failed),
                score,
                flagged: wilson(failed, installs, Z_FLAG) > base || longest >= CONSECUTIVE_FLAG,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.flagged
            .cmp(&a.flagged)
            .then(b.score.total_cmp(&a.score))
            .then(a.host.cmp(&b.host))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(host: &str, flight: i32, failed: bool, before: &[(&str, Relation)]) -> Trial {
        Trial {
            host: host.into(),
            flight,
            job: "test-x".into(),
            stepno: 2,
            failed,
            started: i64::from(flight) * 1000,
            predecessors: before
                .iter()
                .map(|&(job, relation)| Predecessor {
                    flight: flight - 1,
                    job: job.into(),
                    relation,
                })
                .collect(),
        }
    }

    #[test]
    fn the_wilson_bound_is_pessimistic_and_grows_with_evidence() {
        assert!(wilson_lower(0, 0).abs() < f64::EPSILON);
        assert!(wilson_lower(0, 10).abs() < f64::EPSILON);
        let one = wilson_lower(1, 1);
        assert!((one - 0.2065).abs() < 1e-3, "{one}");
        assert!(wilson_lower(10, 10) > one);
        assert!(wilson_lower(50, 100) < 0.5);
        assert!(wilson_lower(50, 100) > wilson_lower(5, 10));
    }

    /// Every number by hand: four hosts, eight trials.
    #[test]
    fn a_small_lab_counted_by_hand() {
        use Relation::{Prep, Reuse, Share};
        let trials = [
            // h1: pair fails twice after it, passes once without it.
            trial("h1", 10, true, &[("pair", Reuse), ("xl", Reuse)]),
            trial("h1", 11, true, &[("pair", Prep), ("pair", Reuse)]),
            trial("h1", 12, false, &[("xl", Reuse)]),
            // h2: xl before a pass and a failure.
            trial("h2", 10, false, &[("xl", Reuse)]),
            trial("h2", 11, true, &[("xl", Share)]),
            trial("h2", 12, false, &[("pair", Reuse)]),
            // h3: clean.
            trial("h3", 10, false, &[("xl", Reuse)]),
            trial("h3", 11, false, &[]),
        ];
        let r = rank(&trials);
        assert_eq!((r.trials, r.failed), (8, 3));
        assert!((r.base_rate - 0.375).abs() < 1e-9);
        assert_eq!(r.trials_on_flagged_hosts, 0);
        let pair = &r.suspects[0];
        assert_eq!(pair.job, "pair");
        // Trials 10, 11 on h1 (failed) and 12 on h2 (passed): three uses,
        // counted once in trial 11 although it ran twice there.
        assert_eq!((pair.failures, pair.uses), (2, 3));
        assert!((pair.rate - 2.0 / 3.0).abs() < 1e-9);
        assert!((pair.lift - (2.0 / 3.0) / 0.375).abs() < 1e-9);
        assert_eq!(
            pair.by_relation["reuse"],
            Counts {
                failures: 1,
                uses: 2
            }
        );
        assert_eq!(
            pair.by_relation["prep."],
            Counts {
                failures: 1,
                uses: 1
            }
        );
        assert_eq!(pair.evidence.len(), 2);
        assert_eq!(pair.evidence[0].install_flight, 11, "newest first");
        assert_eq!(pair.evidence[0].flight, 10);
        let xl = &r.suspects[1];
        assert_eq!(xl.job, "xl");
        // h1 10 (fail), h1 12, h2 10, h2 11 (fail), h3 10.
        assert_eq!((xl.failures, xl.uses), (2, 5));
        assert_eq!(
            xl.by_relation["share"],
            Counts {
                failures: 1,
                uses: 1
            }
        );
        // With so few trials nothing is flagged: the evidence is thin.
        assert!(!pair.flagged && !xl.flagged);
        // Hosts with a failure: h1 (2 of 3, two in a row), h2 (1 of 3).
        assert_eq!(r.hosts.len(), 2);
        assert_eq!(r.hosts[0].host, "h1");
        assert_eq!(
            (
                r.hosts[0].installs,
                r.hosts[0].failed_installs,
                r.hosts[0].consecutive
            ),
            (3, 2, 2)
        );
        assert!(!r.hosts[0].failing_now);
        assert!(!r.hosts[1].failing_now && r.hosts[1].consecutive == 1);
    }

    #[test]
    fn a_flagged_host_is_left_out_of_the_job_ranking() {
        let mut trials: Vec<Trial> = (0..20)
            .map(|i| trial("good", i, i % 10 == 0, &[("xl", Relation::Reuse)]))
            .collect();
        trials.extend((0..4).map(|i| trial("bad", i, true, &[("xl", Relation::Reuse)])));
        let r = rank(&trials);
        assert_eq!(r.hosts[0].host, "bad");
        assert!(r.hosts[0].flagged);
        assert_eq!(r.hosts[0].consecutive, 4);
        assert_eq!(r.trials_on_flagged_hosts, 4);
        assert_eq!((r.suspects[0].failures, r.suspects[0].uses), (2, 20));
        assert!(!r.suspects[0].flagged);
    }
}
