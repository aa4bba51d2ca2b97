//! Which jobs break hosts: every host install is a trial, its
//! predecessors the jobs that used the host since its previous good
//! install; a job name that precedes failed installs more often than
//! installs fail anyway is a suspect. Pure: `db::insight` reads the
//! hosts' uses, this pairs them into trials ([`trials`]) and ranks them
//! ([`rank`]).
//!
//! The score is the lower bound of the 95% Wilson interval of the failure
//! rate among the trials a job name preceded. It is robust to small
//! counts where the raw rate is not (one failed trial out of one is a
//! rate of 100% but a lower bound of 21%), it never exceeds the rate, and
//! it grows with evidence, so ranking by it puts "often, and many times"
//! first. A name is flagged when even a stricter bound is half again
//! the base rate of the trials ranked: read pessimistically, installs
//! after it fail more often than installs do. The stricter bound is for
//! the many names judged at once: at 95% each, one neutral name in twenty
//! would pass by chance, so each is tested at 99% divided among all the
//! names judged (Bonferroni), and a report flags a neutral name by chance
//! about once in a hundred.
//!
//! A host whose installs fail whatever ran before would make every job
//! that used it look guilty, and a job that breaks hosts would make the
//! hosts it used most look flaky; [`rank`] says how the two are told
//! apart. A host is also reported when its newest installs all failed
//! ([`CONSECUTIVE_FLAG`] or more in a row): it is failing now.

use std::collections::BTreeMap;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use serde::Serialize;

use super::Relation;
pub use super::stats::wilson_lower;
use super::stats::{ratio, wilson, z_flag};
use super::suspect_tasks::{self, Installed};
pub use super::suspect_tasks::{Mentions, TaskBefore, TaskEvidence, TaskPredecessor};
use super::trial_names::{RELATIONS, TrialNames, closeness};

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
    /// The out-of-job tasks (an operator's, mostly) that used the host
    /// before it, as the lifecycle runvars of its job or its
    /// predecessors name them ([`Mentions`]).
    pub tasks: Vec<TaskPredecessor>,
}

/// A job's use of a host under one ident: from its first step's start to
/// its last step's end, with the installs of the host it attempted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    pub host: String,
    pub flight: i32,
    pub job: String,
    pub first: i64,
    pub last: i64,
    pub installs: Vec<Install>,
}

/// A `ts-host-install*` step that passed or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Install {
    pub stepno: i32,
    pub started: i64,
    pub failed: bool,
}

/// Pair every install attempt in `uses` with the jobs that used its host
/// since the host's previous good install: those whose use began before
/// the install and had not ended before that good install began. A
/// predecessor shares the host if it still held it when the install
/// began, prepared it if it installed the host itself, and reused it
/// otherwise. Trials come by host, then in install order; predecessors
/// by flight and job.
///
/// Per host, the good installs cut time into epochs (the `n`th epoch
/// starts at the `n`th good install). A trial in epoch `e` (after `e`
/// good installs) is preceded exactly by the uses that began before it
/// and whose span reaches into epoch `e`, so each use is filed under the
/// epochs it spans (almost always one) and each trial looks only at its
/// own: linear in the uses, where pairing every trial with every use of
/// its host is quadratic. Hosts are independent, so they are paired on
/// every core.
pub fn trials(uses: &[Use], mentions: &Mentions) -> Vec<Trial> {
    let mut by_host: FxHashMap<&str, Vec<&Use>> = FxHashMap::default();
    for u in uses {
        by_host.entry(&u.host).or_default().push(u);
    }
    let mut hosts: Vec<(&str, Vec<&Use>)> = by_host.into_iter().collect();
    hosts.sort_unstable_by_key(|(host, _)| *host);
    hosts
        .into_par_iter()
        .flat_map_iter(|(host, uses)| host_trials(host, &uses, mentions))
        .collect()
}

/// The trials of one host, from its `uses`.
fn host_trials(host: &str, uses: &[&Use], mentions: &Mentions) -> Vec<Trial> {
    let mut out = Vec::new();
    // The attempts in order, each with the use that made it.
    let mut attempts: Vec<(&Install, &Use)> = uses
        .iter()
        .flat_map(|u| u.installs.iter().map(move |i| (i, *u)))
        .collect();
    attempts.sort_by_key(|(i, u)| (i.started, u.flight, i.stepno));
    let good: Vec<i64> = attempts
        .iter()
        .filter(|(i, _)| !i.failed)
        .map(|(i, _)| i.started)
        .collect();
    let installers: FxHashSet<(i32, &str)> = attempts
        .iter()
        .map(|(_, u)| (u.flight, u.job.as_str()))
        .collect();
    // The epoch a moment falls in: how many good installs began at or
    // before it.
    let epoch_at = |t: i64| good.partition_point(|&g| g <= t);
    let mut filed: Vec<Vec<&Use>> = vec![Vec::new(); good.len() + 1];
    for u in uses {
        for epoch in &mut filed[epoch_at(u.first)..=epoch_at(u.last)] {
            epoch.push(u);
        }
    }
    let mentioned = mentions.of(host);
    let mut goods_before = 0;
    for (install, by) in attempts {
        let before: Vec<&Use> = filed[goods_before]
            .iter()
            .filter(|u| u.first < install.started && !(u.flight == by.flight && u.job == by.job))
            .copied()
            .collect();
        let predecessors = predecessors(
            before
                .iter()
                .map(|u| (*u, installers.contains(&(u.flight, u.job.as_str())))),
            install.started,
        );
        // The runvars that name tasks before it: those of the jobs
        // that used the host before and had ended when it began (a
        // runvar written later may name tasks that came after). Not
        // its own job's, though a failed install's names the tasks
        // just before it: a passing install wipes the table and its
        // job writes its runvar again, so only failed installs would
        // keep theirs, and the tasks would look guilty for being
        // seen only where installs failed (at `large`, 61-75% of the
        // installs after each operator's tasks "failed", against 9%).
        let tasks = mentioned.map_or_else(Vec::new, |m| {
            let ended = before.iter().filter(|u| u.last < install.started);
            suspect_tasks::named_by(m, mentions, ended.map(|u| (u.flight, u.job.as_str())))
        });
        out.push(Trial {
            host: host.to_owned(),
            flight: by.flight,
            job: by.job.clone(),
            stepno: install.stepno,
            failed: install.failed,
            started: install.started,
            predecessors,
            tasks,
        });
        if !install.failed {
            goods_before += 1;
        }
    }
    out
}

/// `uses` of a host (each with whether its job installed the host) as
/// the predecessors of something that began at `at`: a use still running
/// then shares the host, one whose job installed it prepared it, any
/// other reused it. By flight and job; a job that used the host under two
/// idents is one predecessor.
pub fn predecessors<'a>(uses: impl Iterator<Item = (&'a Use, bool)>, at: i64) -> Vec<Predecessor> {
    let mut out: Vec<Predecessor> = uses
        .map(|(u, installed)| Predecessor {
            flight: u.flight,
            job: u.job.clone(),
            relation: if u.last > at {
                Relation::Share
            } else if installed {
                Relation::Prep
            } else {
                Relation::Reuse
            },
        })
        .collect();
    out.sort_by(|a, b| (a.flight, &a.job).cmp(&(b.flight, &b.job)));
    out.dedup_by(|a, b| a.flight == b.flight && a.job == b.job);
    out
}

/// A job that used the host before a trial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// The failure rate of the trials the job names are ranked on (those
    /// of the hosts not flagged): what `lift` is relative to.
    pub ranked_base_rate: f64,
    /// Job names, most suspect first (flagged ones, then the rest while
    /// they preceded a failure).
    pub suspects: Vec<Suspect>,
    /// Hosts whose installs fail whatever ran before, and those with runs
    /// of failed installs, worst first.
    pub hosts: Vec<HostProblem>,
    /// Trials left out of the job ranking because their host is flagged.
    pub trials_on_flagged_hosts: u64,
    /// The out-of-job tasks before the trials ranked, by what the task
    /// was (`static ian@node`), most installs first: counted, never
    /// scored or flagged ([`TaskBefore`] says why).
    pub tasks: Vec<TaskBefore>,
}

impl Report {
    /// The hosts it reports as problems: flagged (their installs fail
    /// whatever ran before) or stuck (failing now).
    pub fn problem_hosts(&self) -> impl Iterator<Item = &str> {
        self.hosts
            .iter()
            .filter(|h| h.flagged || h.stuck)
            .map(|h| h.host.as_str())
    }
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
    /// Whether even the stricter bound (divided among the names judged)
    /// is half again the base rate.
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
    /// How many of its newest installs failed in a row (0: the newest
    /// passed).
    pub failing_now: u64,
    /// Its installs that no flagged job preceded, and how many failed:
    /// what it is judged on.
    pub unexplained: Counts,
    /// The Wilson lower bound of the failure rate of those installs.
    pub score: f64,
    /// A host problem: its installs fail whatever ran before.
    pub flagged: bool,
    /// Failing now: [`CONSECUTIVE_FLAG`] or more failed installs in a
    /// row, the newest among them.
    pub stuck: bool,
}

/// How much more often than the installs around them the installs after
/// a job must fail, read pessimistically, for the job to be flagged. Not
/// 1: a failed install leaves the host's table unwiped, so the next
/// install's window holds more jobs, and every job is a little more often
/// before a failure than its share of installs; with thousands of uses
/// that small bias alone passes the flag's test. Half again as often is a
/// difference worth an operator's look.
pub const MIN_LIFT: f64 = 1.5;

/// Runs of consecutive failed installs that make a host a problem even
/// when its overall rate is not.
pub const CONSECUTIVE_FLAG: u64 = 3;

/// How many failed installs a suspect lists as evidence.
pub const EVIDENCE: usize = 10;

/// One job name's trials while ranking.
#[derive(Default, Clone)]
struct Acc {
    all: Counts,
    /// By relation, in [`closeness`] order.
    by: [Counts; 3],
    /// The failed installs it preceded: the install's start (to keep the
    /// newest), the trial's index, the flight of the name's run.
    evidence: Vec<(i64, usize, i32)>,
}

/// Rank `trials` (in any order).
///
/// Jobs and hosts confound each other: a flaky host makes every job that
/// used it look guilty, and a job that breaks hosts makes the hosts it
/// used most look flaky. So the ranking goes in three steps: job names
/// are ranked on every trial, to learn which stand out; hosts are judged
/// on the trials none of those preceded; and job names are ranked again
/// on the trials of the hosts that were not flagged.
pub fn rank(trials: &[Trial]) -> Report {
    let total = trials.len() as u64;
    let failed = trials.iter().filter(|t| t.failed).count() as u64;
    let names = TrialNames::of(trials.iter().map(|t| {
        t.predecessors
            .iter()
            .map(|p| (p.job.as_str(), p.relation, p.flight))
    }));
    let all: Vec<usize> = (0..trials.len()).collect();
    let breakers = flags(trials, &names, &all);
    let hosts = host_problems(trials, &names, &breakers);
    let flagged: FxHashSet<&str> = hosts
        .iter()
        .filter(|h| h.flagged)
        .map(|h| h.host.as_str())
        .collect();
    let kept: Vec<usize> = all
        .into_iter()
        .filter(|&i| !flagged.contains(trials[i].host.as_str()))
        .collect();
    let ranked_failed = kept.iter().filter(|&&i| trials[i].failed).count() as u64;
    Report {
        trials: total,
        failed,
        base_rate: ratio(failed, total),
        ranked_base_rate: ratio(ranked_failed, kept.len() as u64),
        suspects: rank_jobs(trials, &names, &kept),
        hosts,
        trials_on_flagged_hosts: total - kept.len() as u64,
        tasks: suspect_tasks::tally(
            &kept
                .iter()
                .map(|&i| {
                    let t = &trials[i];
                    Installed {
                        tasks: &t.tasks,
                        failed: t.failed,
                        started: t.started,
                        host: &t.host,
                        flight: t.flight,
                        job: &t.job,
                    }
                })
                .collect::<Vec<_>>(),
            EVIDENCE,
        ),
    }
}

/// The job names that stand out on the trials of `pool`, in the order found.
///
/// Names that ran near each other share their trials: a job that often
/// runs just before the breaker on the same hosts precedes the same
/// failed installs. So flags are given one at a time, explaining away:
/// the name with the best score among those the flag's test passes is taken,
/// the trials it preceded are set aside, and the rest are tested again,
/// until no name stands out among the installs still unexplained.
fn flags(trials: &[Trial], names: &TrialNames<'_>, pool: &[usize]) -> Vec<u32> {
    let mut flagged: Vec<u32> = Vec::new();
    let mut pool: Vec<usize> = pool.to_vec();
    loop {
        let pool_base = ratio(
            pool.iter().filter(|&&i| trials[i].failed).count() as u64,
            pool.len() as u64,
        );
        let counts = counts(trials, names, &pool);
        let judged: Vec<(u32, Counts)> = (0..)
            .zip(counts)
            .filter(|(name, c)| !flagged.contains(name) && c.failures > 0)
            .collect();
        let z = z_flag(judged.len());
        let next = judged
            .into_iter()
            .filter(|(_, c)| wilson(c.failures, c.uses, z) > pool_base * MIN_LIFT)
            .map(|(name, c)| (wilson_lower(c.failures, c.uses), name))
            .max_by(|a, b| {
                a.0.total_cmp(&b.0)
                    .then(names.name(b.1).cmp(names.name(a.1)))
            });
        let Some((_, name)) = next else { break };
        flagged.push(name);
        pool.retain(|&i| !names.any_before(i, &[name]));
    }
    flagged
}

/// Job names ranked on the trials of `pool`, against their failure rate: those
/// [`flags`] finds first, then the rest. The counts each name shows are
/// over all of them.
fn rank_jobs(trials: &[Trial], names: &TrialNames<'_>, pool: &[usize]) -> Vec<Suspect> {
    let failed = pool.iter().filter(|&&i| trials[i].failed).count() as u64;
    let base = ratio(failed, pool.len() as u64);
    let flagged = flags(trials, names, pool);
    let mut suspects: Vec<Suspect> = (0..)
        .zip(tally(trials, names, pool))
        .filter(|(_, a)| a.all.failures > 0)
        .map(|(name, mut a)| {
            let rate = ratio(a.all.failures, a.all.uses);
            let score = wilson_lower(a.all.failures, a.all.uses);
            a.evidence.sort_by_key(|e| std::cmp::Reverse(e.0));
            Suspect {
                job: names.name(name).to_owned(),
                failures: a.all.failures,
                uses: a.all.uses,
                rate,
                lift: if base > 0.0 { rate / base } else { 0.0 },
                score,
                flagged: flagged.contains(&name),
                by_relation: RELATIONS
                    .iter()
                    .zip(a.by)
                    .filter(|(_, c)| c.uses > 0)
                    .map(|(r, c)| (r.label(), c))
                    .collect(),
                evidence: a
                    .evidence
                    .into_iter()
                    .take(EVIDENCE)
                    .map(|(_, i, flight)| Evidence {
                        flight,
                        job: trials[i].job.clone(),
                        host: trials[i].host.clone(),
                        install_flight: trials[i].flight,
                    })
                    .collect(),
            }
        })
        .collect();
    // The flagged first, in the order they were found; then the rest.
    let order = |s: &Suspect| {
        flagged
            .iter()
            .position(|&f| names.name(f) == s.job)
            .unwrap_or(usize::MAX)
    };
    suspects.sort_by(|a, b| {
        order(a)
            .cmp(&order(b))
            .then(b.score.total_cmp(&a.score))
            .then(b.failures.cmp(&a.failures))
            .then(a.job.cmp(&b.job))
    });
    suspects
}

/// Each job name's counts over the trials of `pool`, by number: what
/// [`flags`] tests, without the relations and evidence [`tally`] keeps.
fn counts(trials: &[Trial], names: &TrialNames<'_>, pool: &[usize]) -> Vec<Counts> {
    let mut counts = vec![Counts::default(); names.len()];
    for &i in pool {
        let failed = u64::from(trials[i].failed);
        for b in names.of_trial(i) {
            let c = &mut counts[b.name as usize];
            c.uses += 1;
            c.failures += failed;
        }
    }
    counts
}

/// Each job name's counts over the trials of `pool`, by number: once per
/// trial, however many of its runs used the host, under the closest
/// relation it had.
fn tally(trials: &[Trial], names: &TrialNames<'_>, pool: &[usize]) -> Vec<Acc> {
    let mut acc = vec![Acc::default(); names.len()];
    for &i in pool {
        let t = &trials[i];
        for b in names.of_trial(i) {
            let a = &mut acc[b.name as usize];
            let by = &mut a.by[usize::from(closeness(b.relation))];
            a.all.uses += 1;
            by.uses += 1;
            if t.failed {
                a.all.failures += 1;
                by.failures += 1;
                a.evidence.push((t.started, i, b.flight));
            }
        }
    }
    acc
}

/// Every host with a failed install: its counts, and whether it is a
/// host problem: its installs that none of `breakers` preceded fail more
/// often than such installs do elsewhere, even read pessimistically (the
/// flag's bound, divided among the hosts judged). Separately, whether it is failing now: its newest
/// [`CONSECUTIVE_FLAG`] installs or more all failed, each leaving its
/// prep entries behind with no wipe ("total host failure").
fn host_problems(trials: &[Trial], names: &TrialNames<'_>, breakers: &[u32]) -> Vec<HostProblem> {
    let clean: Vec<bool> = (0..trials.len())
        .map(|i| !names.any_before(i, breakers))
        .collect();
    let (clean_n, clean_failed) = (0..trials.len())
        .filter(|&i| clean[i])
        .fold((0, 0), |(n, f), i| (n + 1, f + u64::from(trials[i].failed)));
    let base = ratio(clean_failed, clean_n);
    // By host, each host's in install order (as `trials` gives them, so
    // the sort mostly finds them in order).
    let mut order: Vec<usize> = (0..trials.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&trials[a], &trials[b]);
        (a.host.as_str(), a.started, a.flight, a.stepno).cmp(&(
            b.host.as_str(),
            b.started,
            b.flight,
            b.stepno,
        ))
    });
    let by_host: Vec<&[usize]> = order
        .chunk_by(|&a, &b| trials[a].host == trials[b].host)
        .collect();
    // The hosts judged at once: those with an unexplained failed install.
    let z = z_flag(
        by_host
            .iter()
            .filter(|ts| ts.iter().any(|&i| clean[i] && trials[i].failed))
            .count(),
    );
    let mut out: Vec<HostProblem> = by_host
        .into_iter()
        .filter_map(|ts| {
            let installs = ts.len() as u64;
            let failed = ts.iter().filter(|&&i| trials[i].failed).count() as u64;
            if failed == 0 {
                return None;
            }
            let (mut run, mut longest) = (0, 0);
            for &i in ts {
                run = if trials[i].failed { run + 1 } else { 0 };
                longest = longest.max(run);
            }
            let unexplained = ts.iter().filter(|&&i| clean[i]).count() as u64;
            let unexplained_failed =
                ts.iter().filter(|&&i| clean[i] && trials[i].failed).count() as u64;
            Some(HostProblem {
                host: trials[ts[0]].host.clone(),
                installs,
                failed_installs: failed,
                consecutive: longest,
                failing_now: run,
                unexplained: Counts {
                    failures: unexplained_failed,
                    uses: unexplained,
                },
                score: wilson_lower(unexplained_failed, unexplained),
                flagged: wilson(unexplained_failed, unexplained, z) > base * MIN_LIFT,
                stuck: run >= CONSECUTIVE_FLAG,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (b.flagged || b.stuck)
            .cmp(&(a.flagged || a.stuck))
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
            tasks: vec![],
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
            // Two runs of pair: it counts once, as the closer (prep.).
            trial("h1", 11, true, &[("pair", Reuse), ("pair", Prep)]),
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
        assert_eq!(r.hosts[0].failing_now, 0);
        assert_eq!((r.hosts[1].failing_now, r.hosts[1].consecutive), (0, 1));
    }

    #[test]
    fn a_flagged_host_is_left_out_of_the_job_ranking() {
        let mut trials: Vec<Trial> = (0..40)
            .map(|i| trial("good", i, i % 10 == 0, &[("xl", Relation::Reuse)]))
            .collect();
        trials.extend((0..6).map(|i| trial("bad", i, true, &[("xl", Relation::Reuse)])));
        let r = rank(&trials);
        assert_eq!(r.hosts[0].host, "bad");
        assert!(r.hosts[0].flagged && r.hosts[0].stuck);
        assert_eq!((r.hosts[0].consecutive, r.hosts[0].failing_now), (6, 6));
        assert_eq!(r.trials_on_flagged_hosts, 6);
        assert_eq!((r.suspects[0].failures, r.suspects[0].uses), (4, 40));
        assert!(!r.suspects[0].flagged);
        assert!((r.ranked_base_rate - 0.1).abs() < 1e-9);
    }

    /// A job that keeps company with the breaker precedes the same failed
    /// installs; once the breaker's are set aside, it is ordinary.
    #[test]
    fn a_breakers_companion_is_explained_away() {
        use Relation::Reuse;
        let mut trials = Vec::new();
        let mut flight = 0;
        let mut add = |n: i32, fail_every: i32, before: &[(&str, Relation)]| {
            for i in 0..n {
                flight += 1;
                let host = format!("h{}", flight % 7);
                trials.push(trial(&host, flight, i % fail_every == 0, before));
            }
        };
        // The breaker, with its companion in most of its trials: 2 in 3
        // fail.
        add(30, 1, &[("pair", Reuse), ("buddy", Reuse)]);
        add(30, 3, &[("pair", Reuse), ("buddy", Reuse)]);
        add(15, 1, &[("pair", Reuse)]);
        // The companion alone, and everything else: 1 in 20 fail.
        add(40, 20, &[("buddy", Reuse)]);
        add(400, 20, &[("xl", Reuse)]);
        let r = rank(&trials);
        let get = |job: &str| r.suspects.iter().find(|s| s.job == job).unwrap();
        let (pair, buddy) = (get("pair"), get("buddy"));
        assert!(pair.flagged, "{pair:?}");
        assert_eq!(r.suspects[0].job, "pair");
        // On its own counts the companion would be flagged: 52 of 100.
        assert_eq!((buddy.failures, buddy.uses), (30 + 10 + 2, 100));
        assert!(wilson(buddy.failures, buddy.uses, z_flag(3)) > r.ranked_base_rate * MIN_LIFT);
        assert!(!buddy.flagged, "{buddy:?}");
        assert!(!get("xl").flagged);
        assert!(r.hosts.iter().all(|h| !h.flagged), "{:?}", r.hosts);
    }

    fn used(host: &str, flight: i32, job: &str, span: (i64, i64), installs: &[(i64, bool)]) -> Use {
        Use {
            host: host.into(),
            flight,
            job: job.into(),
            first: span.0,
            last: span.1,
            installs: installs
                .iter()
                .map(|&(started, failed)| Install {
                    stepno: 2,
                    started,
                    failed,
                })
                .collect(),
        }
    }

    /// Epochs by hand: good installs at 100 and 500 cut h's time in three.
    #[test]
    fn uses_pair_with_the_installs_after_them() {
        use Relation::{Prep, Reuse, Share};
        type Seen = (i32, bool, Vec<(i32, Relation)>);
        let uses = [
            used("h", 1, "a", (50, 300), &[(100, false)]),
            // Runs across b's install: shares it.
            used("h", 2, "long", (200, 450), &[]),
            used("h", 3, "b", (350, 400), &[(360, true)]),
            used("h", 4, "c", (480, 700), &[(500, false)]),
            // Began before the good install at 500 but after it ended? No:
            // ended before 500, so not before d's install at 800.
            used("h", 5, "d", (750, 900), &[(800, true)]),
            // Another host's use is never a predecessor here.
            used("g", 6, "x", (0, 1000), &[]),
        ];
        let trials = trials(&uses, &Mentions::default());
        let on_h: Vec<Seen> = trials
            .iter()
            .filter(|t| t.host == "h")
            .map(|t| {
                (
                    t.flight,
                    t.failed,
                    t.predecessors
                        .iter()
                        .map(|p| (p.flight, p.relation))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            on_h,
            [
                (1, false, vec![]),
                // a installed h (prep); long still holds it at 360.
                (3, true, vec![(1, Prep), (2, Share)]),
                // Since the good install at 100: a, long and b (which
                // tried to install it: prep).
                (4, false, vec![(1, Prep), (2, Reuse), (3, Prep)]),
                // Since 500: c, whose span reaches past it.
                (5, true, vec![(4, Prep)]),
            ]
        );
        assert!(trials.iter().all(|t| t.host != "g"), "g had no install");
    }
}
