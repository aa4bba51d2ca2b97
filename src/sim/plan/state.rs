//! The simulation's state: hosts, flights and jobs as the planner tracks
//! them, the event queue, and the loop that drives it.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use rand::seq::index;
use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};

use super::steps::{Step, What, names};
use super::{HOUR, Ident, MAX_SPAN, MINUTE, Op, PlanParams, PlanStats, PoolPlan};
use crate::sim::catalog::runvars::{FlightVals, JobVars};
use crate::sim::catalog::{self, Arch, TestSpec};
use crate::sim::lab::{Lab, Role, VALUES_STREAM};
use crate::sim::world::{
    FlightRow, JobRow, PoolWorld, RunvarRow, StepRow, TaskRow, Val, epoch_secs,
};

/// What happens at a point of simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Ev {
    FlightStart {
        branch: u8,
    },
    StepStart {
        job: u32,
    },
    StepEnd {
        job: u32,
    },
    OperatorStart,
    OperatorEnd {
        host: u32,
        operator: u8,
        reinstall: bool,
    },
}

/// Who is using a test host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum User {
    Job(usize),
    Operator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BuildState {
    /// Needs installing before use (never installed, worn out, or its
    /// install failed or was interrupted).
    Unprepared,
    Prep,
    Ready,
}

#[derive(Debug)]
pub(super) struct BuildHost {
    pub(super) sharetype: &'static str,
    pub(super) state: BuildState,
    /// The job holding share i + 1.
    pub(super) shares: Vec<Option<usize>>,
    pub(super) wear: i32,
    pub(super) wear_limit: i32,
    /// Worn out: no new shares; reinstalled once the last one is returned.
    pub(super) draining: bool,
}

#[derive(Debug)]
pub(super) enum HostKind {
    Test {
        user: Option<User>,
        /// The flight whose job last installed it: that flight may reuse
        /// it without reinstalling.
        prepared_for: Option<usize>,
    },
    Build(BuildHost),
}

#[derive(Debug)]
pub(super) struct HostState {
    /// Index into `Lab::hosts`.
    pub(super) global: u32,
    pub(super) arch: Arch,
    /// When it was last given back: the least recently used idle host is
    /// handed out first, so that work spreads over the pool.
    pub(super) last_used: i64,
    pub(super) kind: HostKind,
    /// The causes planted on it (see `steps::HostHealth`).
    pub(super) health: super::steps::HostHealth,
}

#[derive(Debug)]
pub(super) struct StepRec {
    pub(super) step: Step,
    pub(super) started: i64,
    pub(super) finished: Option<i64>,
    pub(super) status: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JobState {
    /// Waiting for its builds, or never started.
    Queued,
    Running,
    Done(&'static str),
}

#[derive(Debug)]
pub(super) struct Job {
    pub(super) flight: usize,
    pub(super) name: &'static str,
    pub(super) what: What,
    pub(super) state: JobState,
    pub(super) deps_left: u32,
    pub(super) dependents: Vec<usize>,
    /// The steps to run. Complete once the job has its hosts, which
    /// decide whether it installs them.
    pub(super) script: Vec<Step>,
    /// The next step of `script` to start.
    pub(super) next: usize,
    /// Steps started so far; step number = index + 1.
    pub(super) steps: Vec<StepRec>,
    pub(super) hosts: Vec<(Ident, usize)>,
    /// A build job's share: (host, index into its shares).
    pub(super) share: Option<(usize, usize)>,
    pub(super) failed: bool,
    pub(super) broken: bool,
    /// Key in the waiting queue while waiting for hosts.
    pub(super) waiting: Option<u64>,
}

#[derive(Debug)]
pub(super) struct Flight {
    pub(super) number: i32,
    pub(super) branch: u8,
    pub(super) started: i64,
    pub(super) jobs: Vec<usize>,
    /// Jobs neither finished nor blocked.
    pub(super) remaining: usize,
    pub(super) crashed: bool,
    pub(super) ended: bool,
    /// The runner dies after this many step starts, if set.
    pub(super) crash_after: Option<u32>,
    pub(super) step_starts: u32,
    /// Its jobs' runvars, added as the jobs are made and as they run.
    pub(super) runvars: Vec<RunvarRow>,
    /// What its runvars' values are made of.
    pub(super) vals: FlightVals,
}

impl Flight {
    /// Add runvars to its job `job`, made from the flight's values.
    pub(super) fn add_vars(
        &mut self,
        job: &'static str,
        add: impl FnOnce(&mut JobVars<'_>, &FlightVals),
    ) {
        let mut vars = JobVars {
            flight: self.number,
            job,
            rows: &mut self.runvars,
        };
        add(&mut vars, &self.vals);
    }
}

/// One pool's simulation.
pub(super) struct Sim<'a> {
    pub(super) params: &'a PlanParams,
    pub(super) lab: &'a Lab,
    pub(super) rng: ChaCha8Rng,
    /// Where runvars' values are drawn from (see [`VALUES_STREAM`]).
    pub(super) values_rng: ChaCha8Rng,
    pub(super) now: i64,
    pub(super) seq: u64,
    pub(super) events: BinaryHeap<Reverse<(i64, u64, Ev)>>,
    pub(super) hosts: Vec<HostState>,
    pub(super) tests: Vec<TestSpec>,
    pub(super) flights: Vec<Flight>,
    pub(super) jobs: Vec<Job>,
    /// Jobs waiting for hosts, per arch, in arrival order.
    pub(super) waiting_tests: [BTreeMap<u64, usize>; 2],
    pub(super) waiting_builds: [BTreeMap<u64, usize>; 2],
    pub(super) crashing: BTreeSet<usize>,
    pub(super) end: Option<i64>,
    pub(super) ops: Vec<Op>,
    pub(super) stats: PlanStats,
}

impl<'a> Sim<'a> {
    pub(super) fn new(lab: &'a Lab, params: &'a PlanParams) -> Sim<'a> {
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        rng.set_stream(crate::sim::lab::LAB_STREAM + 1 + params.pool as u64);
        let mut values_rng = ChaCha8Rng::seed_from_u64(params.seed);
        values_rng.set_stream(VALUES_STREAM + params.pool as u64);
        let range = lab.pools[params.pool].clone();
        let hosts: Vec<HostState> = range
            .map(|i| {
                let spec = &lab.hosts[i];
                let kind = match &spec.role {
                    Role::Test => HostKind::Test {
                        user: None,
                        prepared_for: None,
                    },
                    Role::Build {
                        maxshares,
                        sharetype,
                    } => HostKind::Build(BuildHost {
                        sharetype,
                        state: BuildState::Unprepared,
                        shares: vec![None; *maxshares as usize],
                        wear: 0,
                        wear_limit: 0,
                        draining: false,
                    }),
                };
                HostState {
                    global: i as u32,
                    arch: spec.arch,
                    last_used: 0,
                    kind,
                    health: super::steps::HostHealth {
                        flaky: lab.flaky(i),
                        poisoned: false,
                    },
                }
            })
            .collect();
        // Tests this pool can run: it has test and build hosts of the arch.
        let has = |arch: Arch, build: bool| {
            hosts
                .iter()
                .any(|h| h.arch == arch && matches!(h.kind, HostKind::Build(_)) == build)
        };
        let tests = catalog::TESTS
            .iter()
            .map(|name| TestSpec::from_name(name))
            .filter(|t| has(t.host_arch, true) && has(t.host_arch, false))
            .collect();
        // A few flights lose their runner mid-job. Never the last two, so
        // that the flights still running at the end have live tasks.
        let n = params.flights as usize;
        let crashing = if n >= 3 {
            let count = (n * 3 / 100).max(1);
            index::sample(&mut rng, n - 2, count).into_iter().collect()
        } else {
            BTreeSet::new()
        };
        Sim {
            params,
            lab,
            rng,
            values_rng,
            now: params.epoch,
            seq: 0,
            events: BinaryHeap::new(),
            hosts,
            tests,
            flights: Vec::new(),
            jobs: Vec::new(),
            waiting_tests: [BTreeMap::new(), BTreeMap::new()],
            waiting_builds: [BTreeMap::new(), BTreeMap::new()],
            crashing,
            end: None,
            ops: Vec::new(),
            stats: PlanStats::default(),
        }
    }

    pub(super) fn at(&mut self, when: i64, ev: Ev) {
        self.seq += 1;
        self.events.push(Reverse((when, self.seq, ev)));
    }

    pub(super) fn between(&mut self, (lo, hi): (i64, i64)) -> i64 {
        self.rng.random_range(lo..=hi)
    }

    pub(super) fn run(mut self) -> PoolPlan {
        let branches = match self.hosts.len() {
            0..16 => 2,
            16..48 => 3,
            _ => 4,
        };
        for branch in 0..branches {
            let t = self.now + self.between((0, 30 * MINUTE));
            self.at(t, Ev::FlightStart { branch });
        }
        let t = self.now + self.between((HOUR, 6 * HOUR));
        self.at(t, Ev::OperatorStart);

        // A safety net: the flights always get their hosts in the end, but
        // operators would come back for ever if they did not.
        let horizon = self.now + MAX_SPAN;
        while let Some(Reverse((when, _, ev))) = self.events.pop() {
            if self.end.is_some_and(|end| when > end) || when > horizon {
                break;
            }
            self.now = when;
            match ev {
                Ev::FlightStart { branch } => self.start_flight(branch),
                Ev::StepStart { job } => self.step_start(job as usize),
                Ev::StepEnd { job } => self.step_end(job as usize),
                Ev::OperatorStart => self.operator_start(),
                Ev::OperatorEnd {
                    host,
                    operator,
                    reinstall,
                } => self.operator_end(host as usize, operator, reinstall),
            }
        }
        self.finish()
    }

    pub(super) fn finish(mut self) -> PoolPlan {
        self.stats.busy_hosts_at_end = self
            .hosts
            .iter()
            .filter(|h| match &h.kind {
                HostKind::Test { user, .. } => user.is_some(),
                HostKind::Build(b) => b.shares.iter().any(Option::is_some),
            })
            .count() as u32;
        let mut world = PoolWorld::default();
        // Tens of millions of runvars at `large`: one allocation of the
        // final size, and each flight's freed as it is moved, rather than
        // doubling as they come and keeping both.
        world
            .runvars
            .reserve_exact(self.flights.iter().map(|f| f.runvars.len()).sum());
        for (fi, f) in self.flights.iter_mut().enumerate() {
            let taskid = self.params.first_task + self.params.global(fi);
            world.tasks.push(TaskRow {
                taskid,
                // osstest's flight runner: its pid (made up, but unique).
                refkey: (20_000 + 7 * i64::from(taskid)).to_string(),
                comment: format!("sg-execute-flight {}", f.number),
            });
            world.flights.push(FlightRow {
                flight: f.number,
                started: epoch_secs(f.started),
                blessing: match (f.crashed, f.ended) {
                    (true, _) => "broken",
                    (false, true) => "real",
                    (false, false) => "running",
                },
                intended: "real",
                branch: catalog::BRANCHES[f.branch as usize % catalog::BRANCHES.len()],
            });
            world.runvars.extend(std::mem::take(&mut f.runvars));
        }
        for job in &self.jobs {
            let number = self.flights[job.flight].number;
            let (recipe, pair) = match job.what {
                What::Build(b) => (b.recipe(), false),
                What::Test(t) => (self.tests[t].recipe(), self.tests[t].is_pair()),
            };
            world.jobs.push(JobRow {
                flight: number,
                job: job.name,
                recipe,
                status: match job.state {
                    JobState::Queued => "queued",
                    JobState::Running => "running",
                    JobState::Done(s) => s,
                },
            });
            for (i, rec) in job.steps.iter().enumerate() {
                let stepno = i as i32 + 1;
                let (step, testid) = names(rec.step, job.what, &self.tests, pair, stepno);
                world.steps.push(StepRow {
                    flight: number,
                    job: job.name,
                    stepno,
                    step,
                    status: rec.status,
                    testid,
                    started: epoch_secs(rec.started),
                    finished: rec.finished.map(epoch_secs),
                });
            }
        }
        PoolPlan {
            world,
            ops: self.ops,
            stats: self.stats,
        }
    }
}

impl Job {
    pub(super) fn new(flight: usize, name: &'static str, what: What) -> Job {
        Job {
            flight,
            name,
            what,
            state: JobState::Queued,
            deps_left: 0,
            dependents: Vec::new(),
            script: Vec::new(),
            next: 0,
            steps: Vec::new(),
            hosts: Vec::new(),
            share: None,
            failed: false,
            broken: false,
            waiting: None,
        }
    }
}

pub(super) fn runvar(flight: i32, job: &'static str, name: &'static str, val: String) -> RunvarRow {
    RunvarRow {
        flight,
        job,
        name,
        val: Val::from(val),
        synth: false,
    }
}
