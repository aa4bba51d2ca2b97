use std::collections::BTreeSet;

use std::collections::BTreeMap;

use super::*;
use crate::sim::lab::Role;
use crate::sim::world::RunvarRow;

fn small(seed: u64, flights: u32) -> (Lab, PoolPlan) {
    let lab = Lab::new(seed, 10, 1);
    let params = PlanParams {
        seed,
        pool: 0,
        pools: 1,
        flights,
        first_flight: 100,
        first_task: 10,
        epoch: 1_000_000,
    };
    let plan = plan_pool(&lab, &params);
    (lab, plan)
}

#[test]
fn a_seed_always_gives_the_same_plan() {
    assert_eq!(small(3, 8).1, small(3, 8).1);
    assert_ne!(small(3, 8).1.ops, small(4, 8).1.ops);
}

#[test]
fn every_call_names_a_step_the_world_has() {
    for seed in 0..20 {
        let (_, plan) = small(seed, 8);
        let steps: BTreeSet<(i32, &str, i32)> = plan
            .world
            .steps
            .iter()
            .map(|s| (s.flight, s.job, s.stepno))
            .collect();
        for op in &plan.ops {
            if let Op::Record { at: Some(at), .. } = op {
                let job = &plan.world.jobs[at.job as usize];
                assert!(
                    steps.contains(&(job.flight, job.job, at.stepno)),
                    "seed {seed}: {op:?} names no step"
                );
            }
        }
    }
}

#[test]
fn steps_are_numbered_from_one_without_gaps() {
    let (_, plan) = small(5, 8);
    let mut last: BTreeMap<(i32, &str), i32> = BTreeMap::new();
    for s in &plan.world.steps {
        let prev = last.insert((s.flight, s.job), s.stepno).unwrap_or(0);
        assert_eq!(s.stepno, prev + 1, "{s:?}");
        assert!(s.finished.is_none_or(|f| f >= s.started), "{s:?}");
    }
}

/// The recorder refuses calls by dead tasks and wipes by callers with
/// no row on the host; the plan must never ask for either.
#[test]
fn calls_come_from_live_tasks_and_wipes_follow_own_rows() {
    for seed in 0..20 {
        let (_, plan) = small(seed, 8);
        let mut live = BTreeSet::new();
        let mut has_row = BTreeSet::new();
        for op in &plan.ops {
            match *op {
                Op::TaskLive { flight, live: l } => {
                    if l {
                        live.insert(flight);
                    } else {
                        live.remove(&flight);
                    }
                }
                Op::Record {
                    host, actor, at, ..
                } => {
                    if let Actor::Flight(f) = actor {
                        assert!(live.contains(&f), "seed {seed}: {op:?} by a dead task");
                        assert!(at.is_some());
                    }
                    has_row.insert((host, actor));
                }
                Op::Wipe { host, actor, .. } => {
                    assert!(has_row.contains(&(host, actor)), "seed {seed}: {op:?}");
                    // Only the wiper's rows from its first one on remain.
                    has_row.retain(|&(h, a)| h != host || a == actor);
                }
                _ => {}
            }
        }
    }
}

/// The small preset must exercise what the tests and the demo rely
/// on: wipes, reuse without reinstall, pair jobs, a runner dying, an
/// operator, the early return and hosts busy at the end.
#[test]
fn a_small_plan_shows_every_kind_of_event() {
    let (lab, plan) = small(1, 8);
    let s = &plan.stats;
    assert!(s.flights_crashed >= 1, "{s:?}");
    assert!(s.operator_sessions >= 1, "{s:?}");
    assert!(s.busy_hosts_at_end >= 1, "{s:?}");
    assert!(s.wipe_calls >= 1, "{s:?}");
    let records = |mode: Mode| {
        plan.ops
            .iter()
            .filter_map(move |op| match op {
                Op::Record {
                    mode: m,
                    host,
                    ident,
                    at: Some(at),
                    ..
                } if *m == mode => Some((at.job, *host, *ident)),
                _ => None,
            })
            .collect::<BTreeSet<_>>()
    };
    let preps = records(Mode::SelectPrep);
    let selects = records(Mode::Select);
    let reused = selects.iter().any(|&(job, host, ident)| {
        !preps.contains(&(job, host, ident)) && lab.hosts[host as usize].role == Role::Test
    });
    assert!(reused, "no test host reused without a reinstall");
    assert!(
        selects.iter().any(|&(_, _, i)| i == Ident::Dst),
        "no pair job"
    );
    let twice = plan
        .ops
        .iter()
        .filter(|op| {
            matches!(
                op,
                Op::Record {
                    mode: Mode::Select,
                    ..
                }
            )
        })
        .count()
        > selects.len() + plan.stats.operator_sessions as usize;
    assert!(twice, "no repeated select");
    assert!(plan.world.flights.iter().any(|f| f.blessing == "running"));
    assert!(plan.world.steps.iter().any(|s| s.finished.is_none()));
}

#[test]
fn testids_name_the_host_and_number_repeatable_steps() {
    let (_, plan) = small(1, 8);
    let ids: BTreeSet<&str> = plan.world.steps.iter().map(|s| s.testid.as_ref()).collect();
    for want in [
        "hosts-allocate",
        "host-install(3)",
        "xen-install",
        "xen-boot",
        "host-build-prep",
        "host-install/src_host(3)",
        "guest-migrate/src_host/dst_host",
    ] {
        assert!(ids.contains(want), "{want} missing from {ids:?}");
    }
    assert!(ids.iter().any(|t| t.starts_with("capture-logs(")));
}

/// A plan's runvars by job: (build?, names).
fn runvars_by_job(plan: &PoolPlan) -> BTreeMap<(i32, &'static str), Vec<&RunvarRow>> {
    let mut by_job: BTreeMap<(i32, &str), Vec<&RunvarRow>> = BTreeMap::new();
    for r in &plan.world.runvars {
        by_job.entry((r.flight, r.job)).or_default().push(r);
    }
    by_job
}

#[test]
#[allow(
    clippy::cast_precision_loss,
    reason = "a ratio of a small plan's counts, far below 2^52"
)]
fn runvars_are_many_per_job_and_never_twice() {
    let (_, plan) = small(1, 8);
    let by_job = runvars_by_job(&plan);
    assert_eq!(by_job.len(), plan.world.jobs.len());
    for ((flight, job), vars) in &by_job {
        let names: BTreeSet<&str> = vars.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), vars.len(), "{flight}.{job} has a runvar twice");
    }
    let synth = plan.world.runvars.iter().filter(|r| r.synth).count();
    let per_job = plan.world.runvars.len() as f64 / by_job.len() as f64;
    eprintln!(
        "{per_job:.1} per job, {synth} synth of {}",
        plan.world.runvars.len()
    );
}
