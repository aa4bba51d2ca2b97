//! What happens when: a discrete-event simulation of one pool of hosts, its
//! flights, their jobs and the operators who borrow hosts, driven by a
//! seeded PRNG and a simulated clock.
//!
//! The planner performs no I/O. It yields the rows to load (`world`) and
//! the ordered list of operations to replay against the database (`ops`):
//! lifecycle calls, and the changes of task liveness and resource holding
//! that the recorder's checks depend on. Everything is ordered by
//! simulated time, ties broken by event creation order, and every
//! collection that is iterated is ordered, so a seed always yields the
//! same plan.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use rand::seq::index;
use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};

use super::catalog::{self, Arch, BuildSpec, TestSpec, durations as dur};
use super::lab::{Lab, Role};
use super::world::{FlightRow, JobRow, PoolWorld, RunvarRow, StepRow, TaskRow};
use crate::lifecycle::Mode;

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
/// No simulation runs longer than this (simulated) time.
const MAX_SPAN: i64 = 10 * 365 * 24 * HOUR;

/// Which of a job's hosts a call is about (osstest's ident).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Ident {
    Host,
    Src,
    Dst,
}

impl Ident {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Ident::Host => "host",
            Ident::Src => "src_host",
            Ident::Dst => "dst_host",
        }
    }
}

/// Who holds a resource row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holder {
    /// The magic `idle` task: a free test host.
    Idle,
    /// The magic `allocatable` task: a free share of a ready build host.
    Allocatable,
    /// The magic `preparing` task: a share of a build host being installed.
    Preparing,
    /// The task running this pool's flight (index into `world.flights`).
    Flight(u32),
    /// An operator's static task (index into [`catalog::OPERATORS`]).
    Operator(u8),
}

/// Who makes a lifecycle call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Actor {
    Flight(u32),
    Operator(u8),
}

/// A job and step a call is made from: index into `world.jobs`, stepno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct At {
    pub job: u32,
    pub stepno: i32,
}

/// One thing to do to the database, in order. Hosts are indices into
/// `Lab::hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    TaskLive {
        flight: u32,
        live: bool,
    },
    /// Change who holds a host (`shareix` 0) or one of its shares.
    Hold {
        host: u32,
        shareix: i32,
        holder: Holder,
    },
    /// A build host's `resource_sharing` row.
    Sharing {
        host: u32,
        sharetype: &'static str,
        state: &'static str,
        wear: i32,
    },
    /// selectprep / select / final; `at: None` is an out-of-job use.
    Record {
        mode: Mode,
        host: u32,
        ident: Ident,
        at: Option<At>,
        actor: Actor,
    },
    /// `wiped`, after a reinstall; `job: None` for an operator.
    Wipe {
        host: u32,
        job: Option<u32>,
        actor: Actor,
    },
}

/// What the planner was asked to simulate for one pool.
#[derive(Debug, Clone)]
pub(crate) struct PlanParams {
    pub seed: u64,
    pub pool: usize,
    pub pools: usize,
    /// Flights this pool runs.
    pub flights: u32,
    /// Flight numbers and task ids are `first + k * pools + pool` for the
    /// pool's k-th flight: unique across pools, and roughly in time order.
    pub first_flight: i32,
    pub first_task: i32,
    /// The simulated clock's start, seconds since the Unix epoch.
    pub epoch: i64,
}

impl PlanParams {
    fn global(&self, k: usize) -> i32 {
        // Bounded by the caller (SeedConfig::validate keeps ids in i32).
        (k * self.pools + self.pool) as i32
    }
}

/// Counts the planner knows; the replay adds what the database did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PlanStats {
    pub flights_crashed: u32,
    pub operator_sessions: u32,
    /// Hosts held by a live task when the simulation stops.
    pub busy_hosts_at_end: u32,
    pub record_calls: u64,
    pub wipe_calls: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PoolPlan {
    pub world: PoolWorld,
    pub ops: Vec<Op>,
    pub stats: PlanStats,
}

/// Simulate one pool of `lab`.
pub(crate) fn plan_pool(lab: &Lab, params: &PlanParams) -> PoolPlan {
    Sim::new(lab, params).run()
}

// ---------------------------------------------------------------------
// Simulation state

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum User {
    Job(usize),
    Operator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BuildState {
    /// Needs installing before use (never installed, worn out, or its
    /// install failed or was interrupted).
    Unprepared,
    Prep,
    Ready,
}

#[derive(Debug)]
struct BuildHost {
    sharetype: &'static str,
    state: BuildState,
    /// The job holding share i + 1.
    shares: Vec<Option<usize>>,
    wear: i32,
    wear_limit: i32,
    /// Worn out: no new shares; reinstalled once the last one is returned.
    draining: bool,
}

#[derive(Debug)]
enum HostKind {
    Test {
        user: Option<User>,
        /// The flight whose job last installed it: that flight may reuse
        /// it without reinstalling.
        prepared_for: Option<usize>,
    },
    Build(BuildHost),
}

#[derive(Debug)]
struct HostState {
    global: u32,
    arch: Arch,
    last_used: i64,
    kind: HostKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    BuildCheck,
    Allocate,
    HostInstall(Ident),
    BuildPrep,
    Build,
    XenInstall(Ident),
    XenBoot(Ident),
    Test(usize),
    CaptureLogs(Ident),
}

#[derive(Debug)]
struct StepRec {
    step: Step,
    started: i64,
    finished: Option<i64>,
    status: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    Build(&'static BuildSpec),
    /// Index into `Sim::tests`.
    Test(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobState {
    /// Waiting for its builds, or never started.
    Queued,
    Running,
    Done(&'static str),
}

#[derive(Debug)]
struct Job {
    flight: usize,
    name: &'static str,
    what: What,
    state: JobState,
    deps_left: u32,
    dependents: Vec<usize>,
    script: Vec<Step>,
    next: usize,
    steps: Vec<StepRec>,
    hosts: Vec<(Ident, usize)>,
    /// A build job's share: (host, index into its shares).
    share: Option<(usize, usize)>,
    failed: bool,
    broken: bool,
    /// Key in the waiting queue while waiting for hosts.
    waiting: Option<u64>,
}

#[derive(Debug)]
struct Flight {
    number: i32,
    branch: u8,
    started: i64,
    jobs: Vec<usize>,
    remaining: usize,
    crashed: bool,
    ended: bool,
    /// The runner dies after this many step starts, if set.
    crash_after: Option<u32>,
    step_starts: u32,
    runvars: Vec<RunvarRow>,
}

struct Sim<'a> {
    params: &'a PlanParams,
    lab: &'a Lab,
    rng: ChaCha8Rng,
    now: i64,
    seq: u64,
    events: BinaryHeap<Reverse<(i64, u64, Ev)>>,
    hosts: Vec<HostState>,
    tests: Vec<TestSpec>,
    flights: Vec<Flight>,
    jobs: Vec<Job>,
    /// Jobs waiting for hosts, per arch, in arrival order.
    waiting_tests: [BTreeMap<u64, usize>; 2],
    waiting_builds: [BTreeMap<u64, usize>; 2],
    crashing: BTreeSet<usize>,
    end: Option<i64>,
    ops: Vec<Op>,
    stats: PlanStats,
}

fn fails(rng: &mut ChaCha8Rng, step: Step) -> bool {
    let per_mille = match step {
        Step::HostInstall(_) => 30,
        Step::Build => 40,
        Step::XenBoot(_) => 10,
        Step::Test(_) => 15,
        Step::BuildPrep | Step::XenInstall(_) => 5,
        Step::BuildCheck | Step::Allocate | Step::CaptureLogs(_) => 0,
    };
    rng.random_ratio(per_mille, 1000)
}

impl<'a> Sim<'a> {
    fn new(lab: &'a Lab, params: &'a PlanParams) -> Sim<'a> {
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        rng.set_stream(super::lab::LAB_STREAM + 1 + params.pool as u64);
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

    fn at(&mut self, when: i64, ev: Ev) {
        self.seq += 1;
        self.events.push(Reverse((when, self.seq, ev)));
    }

    fn between(&mut self, (lo, hi): (i64, i64)) -> i64 {
        self.rng.random_range(lo..=hi)
    }

    fn run(mut self) -> PoolPlan {
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

    // -----------------------------------------------------------------
    // Flights

    fn start_flight(&mut self, branch: u8) {
        let k = self.flights.len();
        if k >= self.params.flights as usize {
            return;
        }
        let number = self.params.first_flight + self.params.global(k);
        let fi = k;
        self.ops.push(Op::TaskLive {
            flight: fi as u32,
            live: true,
        });

        // The flight's tests: a random selection of what the pool can run,
        // sized to the pool; then the builds they need.
        let test_hosts = self
            .hosts
            .iter()
            .filter(|h| matches!(h.kind, HostKind::Test { .. }))
            .count();
        let count = (test_hosts * 3 / 4).clamp(3, self.tests.len());
        let mut picked = index::sample(&mut self.rng, self.tests.len(), count).into_vec();
        picked.sort_unstable();
        let builds: Vec<&'static BuildSpec> = catalog::BUILDS
            .iter()
            .filter(|b| {
                picked
                    .iter()
                    .any(|&t| self.tests[t].builds.contains(&b.name))
            })
            .collect();

        let revision: String = (0..5)
            .map(|_| format!("{:08x}", self.rng.random::<u32>()))
            .collect();
        let first_job = self.jobs.len();
        let mut runvars = Vec::new();
        for b in &builds {
            self.jobs.push(Job::new(fi, b.name, What::Build(b)));
            for (name, val) in [
                ("arch", b.arch.to_owned()),
                ("revision_xen", revision.clone()),
            ] {
                runvars.push(runvar(number, b.name, name, val));
            }
        }
        for &t in &picked {
            let spec = &self.tests[t];
            let mut job = Job::new(fi, spec.name, What::Test(t));
            job.deps_left = spec.builds.len() as u32;
            for (name, val) in [
                ("arch", spec.arch),
                ("buildjob", spec.builds[0]),
                ("kernbuildjob", spec.builds[spec.builds.len() - 1]),
                ("toolstack", spec.toolstack()),
            ] {
                runvars.push(runvar(number, spec.name, name, val.to_owned()));
            }
            let ji = self.jobs.len();
            for dep in &spec.builds {
                if let Some(b) = builds.iter().position(|b| b.name == *dep) {
                    self.jobs[first_job + b].dependents.push(ji);
                }
            }
            self.jobs.push(job);
        }
        let jobs: Vec<usize> = (first_job..self.jobs.len()).collect();
        let crash_after = self
            .crashing
            .contains(&k)
            .then(|| self.rng.random_range(3..=20));
        self.flights.push(Flight {
            number,
            branch,
            started: self.now,
            remaining: jobs.len(),
            jobs,
            crashed: false,
            ended: false,
            crash_after,
            step_starts: 0,
            runvars,
        });
        for b in 0..builds.len() {
            let t = self.now + self.between((0, 2 * MINUTE));
            self.at(
                t,
                Ev::StepStart {
                    job: (first_job + b) as u32,
                },
            );
        }
        if self.flights.len() == self.params.flights as usize {
            // Stop while the last flights are under way, so that some hosts
            // are held by live tasks at the end.
            self.end = Some(self.now + self.between((2 * HOUR, 4 * HOUR)));
        }
    }

    fn end_flight(&mut self, fi: usize) {
        let f = &mut self.flights[fi];
        f.ended = true;
        let branch = f.branch;
        self.ops.push(Op::TaskLive {
            flight: fi as u32,
            live: false,
        });
        let t = self.now + self.between((10 * MINUTE, 2 * HOUR));
        self.at(t, Ev::FlightStart { branch });
    }

    /// The flight's runner dies: its task is no longer live, its jobs stop
    /// where they are (no `final`), and the hosts they held are free again
    /// although the `resources` rows still name the dead task, as they do
    /// in osstest until the allocator hands the host to someone else.
    fn crash_flight(&mut self, fi: usize) {
        self.flights[fi].crashed = true;
        self.stats.flights_crashed += 1;
        self.ops.push(Op::TaskLive {
            flight: fi as u32,
            live: false,
        });
        let mut archs = BTreeSet::new();
        for ji in self.flights[fi].jobs.clone() {
            if self.jobs[ji].state != JobState::Running {
                continue;
            }
            self.jobs[ji].state = JobState::Done("broken");
            if let Some(key) = self.jobs[ji].waiting.take() {
                for q in self
                    .waiting_tests
                    .iter_mut()
                    .chain(&mut self.waiting_builds)
                {
                    q.remove(&key);
                }
            }
            for (_, h) in std::mem::take(&mut self.jobs[ji].hosts) {
                let host = &mut self.hosts[h];
                host.last_used = self.now;
                if let HostKind::Test { user, prepared_for } = &mut host.kind {
                    *user = None;
                    *prepared_for = None;
                }
                archs.insert(host.arch);
            }
            if let Some((h, i)) = self.jobs[ji].share.take() {
                let host = &mut self.hosts[h];
                if let HostKind::Build(b) = &mut host.kind {
                    b.shares[i] = None;
                    if b.state == BuildState::Prep {
                        b.state = BuildState::Unprepared;
                    }
                }
                archs.insert(host.arch);
            }
        }
        let branch = self.flights[fi].branch;
        let t = self.now + self.between((30 * MINUTE, 3 * HOUR));
        self.at(t, Ev::FlightStart { branch });
        for arch in archs {
            self.dispatch_tests(arch);
            self.dispatch_builds(arch);
        }
    }

    // -----------------------------------------------------------------
    // Jobs and steps

    fn live(&self, ji: usize) -> bool {
        let f = &self.flights[self.jobs[ji].flight];
        !f.crashed && self.jobs[ji].state != JobState::Done("broken")
    }

    fn actor(&self, ji: usize) -> Actor {
        Actor::Flight(self.jobs[ji].flight as u32)
    }

    fn host_of(&self, ji: usize, ident: Ident) -> usize {
        let job = &self.jobs[ji];
        match job.share {
            Some((h, _)) => h,
            None => job
                .hosts
                .iter()
                .find(|(i, _)| *i == ident)
                .map(|&(_, h)| h)
                .unwrap_or_else(|| unreachable!("{} has no {ident:?}", job.name)),
        }
    }

    fn record(&mut self, ji: usize, mode: Mode, ident: Ident) {
        let h = self.host_of(ji, ident);
        let stepno = self.jobs[ji].steps.len() as i32;
        self.stats.record_calls += 1;
        self.ops.push(Op::Record {
            mode,
            host: self.hosts[h].global,
            ident,
            at: Some(At {
                job: ji as u32,
                stepno,
            }),
            actor: self.actor(ji),
        });
    }

    fn step_start(&mut self, ji: usize) {
        if !self.live(ji) {
            return;
        }
        let job = &mut self.jobs[ji];
        if job.state == JobState::Queued {
            job.state = JobState::Running;
            job.script = match job.what {
                What::Build(_) => vec![Step::Allocate],
                What::Test(_) => vec![Step::BuildCheck, Step::Allocate],
            };
        }
        let step = job.script[job.next];
        job.steps.push(StepRec {
            step,
            started: self.now,
            finished: None,
            status: "running",
        });
        match step {
            Step::HostInstall(ident) => self.record(ji, Mode::SelectPrep, ident),
            Step::BuildPrep => self.record(ji, Mode::Select, Ident::Host),
            Step::XenInstall(ident) => self.record(ji, Mode::Select, ident),
            Step::Test(0) if self.rng.random_ratio(1, 20) => {
                // Test scripts select their host again; the recorder sees
                // the `+` already there and writes nothing.
                let ident = self.jobs[ji].hosts[0].0;
                self.record(ji, Mode::Select, ident);
            }
            Step::CaptureLogs(ident) => self.record(ji, Mode::Final, ident),
            _ => {}
        }

        let fi = self.jobs[ji].flight;
        let f = &mut self.flights[fi];
        f.step_starts += 1;
        if f.crash_after == Some(f.step_starts) {
            self.crash_flight(fi);
            return;
        }
        if step == Step::Allocate {
            if !self.try_allocate(ji) {
                self.seq += 1;
                let key = self.seq;
                self.jobs[ji].waiting = Some(key);
                let (arch, build) = self.needs(ji);
                let q = if build {
                    &mut self.waiting_builds
                } else {
                    &mut self.waiting_tests
                };
                q[arch.index()].insert(key, ji);
            }
            return;
        }
        let d = self.between(duration(step));
        self.at(self.now + d, Ev::StepEnd { job: ji as u32 });
    }

    fn step_end(&mut self, ji: usize) {
        if !self.live(ji) {
            return;
        }
        let step = self.jobs[ji].script[self.jobs[ji].next];
        let failed = fails(&mut self.rng, step);
        if let Some(rec) = self.jobs[ji].steps.last_mut() {
            rec.finished = Some(self.now);
            rec.status = if failed { "fail" } else { "pass" };
        }
        if let Step::HostInstall(ident) = step {
            self.installed(ji, ident, !failed);
        }
        let job = &mut self.jobs[ji];
        job.next += 1;
        if failed {
            job.failed = true;
            job.broken |= matches!(step, Step::HostInstall(_));
            // After a failure only the log capture still runs.
            if let Some(i) = job.script[job.next..]
                .iter()
                .position(|s| matches!(s, Step::CaptureLogs(_)))
            {
                job.next += i;
            }
        }
        if job.next >= job.script.len() {
            self.finish_job(ji);
        } else {
            let t = self.now + self.between(dur::GAP);
            self.at(t, Ev::StepStart { job: ji as u32 });
        }
    }

    /// A host install finished: on success the job calls `wiped`.
    fn installed(&mut self, ji: usize, ident: Ident, ok: bool) {
        let h = self.host_of(ji, ident);
        let fi = self.jobs[ji].flight;
        if ok {
            self.stats.wipe_calls += 1;
            self.ops.push(Op::Wipe {
                host: self.hosts[h].global,
                job: Some(ji as u32),
                actor: self.actor(ji),
            });
        }
        let global = self.hosts[h].global;
        let mut ops = Vec::new();
        match &mut self.hosts[h].kind {
            HostKind::Test { prepared_for, .. } => {
                *prepared_for = ok.then_some(fi);
            }
            HostKind::Build(b) => {
                b.state = if ok {
                    BuildState::Ready
                } else {
                    BuildState::Unprepared
                };
                if ok {
                    ops.push(Op::Sharing {
                        host: global,
                        sharetype: b.sharetype,
                        state: "ready",
                        wear: b.wear,
                    });
                }
                // The other shares were held by `preparing`; hand them out.
                for (i, s) in b.shares.iter().enumerate() {
                    if s.is_none() {
                        ops.push(Op::Hold {
                            host: global,
                            shareix: i as i32 + 1,
                            holder: Holder::Allocatable,
                        });
                    }
                }
            }
        }
        self.ops.extend(ops);
        if ok {
            let arch = self.hosts[h].arch;
            self.dispatch_builds(arch);
        }
    }

    fn finish_job(&mut self, ji: usize) {
        let job = &mut self.jobs[ji];
        let status = match (job.broken, job.failed) {
            (true, _) => "broken",
            (false, true) => "fail",
            (false, false) => "pass",
        };
        job.state = JobState::Done(status);
        self.release(ji);
        let fi = self.jobs[ji].flight;
        self.flights[fi].remaining -= 1;
        for d in self.jobs[ji].dependents.clone() {
            if self.jobs[d].state != JobState::Queued || self.jobs[d].deps_left == 0 {
                continue;
            }
            if status == "pass" {
                self.jobs[d].deps_left -= 1;
                if self.jobs[d].deps_left == 0 {
                    let t = self.now + self.between((5, 60));
                    self.at(t, Ev::StepStart { job: d as u32 });
                }
            } else {
                self.jobs[d].state = JobState::Done("blocked");
                self.flights[fi].remaining -= 1;
            }
        }
        if self.flights[fi].remaining == 0 {
            self.end_flight(fi);
        }
    }

    fn release(&mut self, ji: usize) {
        let mut test_archs = BTreeSet::new();
        for (_, h) in std::mem::take(&mut self.jobs[ji].hosts) {
            let host = &mut self.hosts[h];
            host.last_used = self.now;
            if let HostKind::Test { user, .. } = &mut host.kind {
                *user = None;
            }
            test_archs.insert(host.arch);
            self.ops.push(Op::Hold {
                host: host.global,
                shareix: 0,
                holder: Holder::Idle,
            });
        }
        for arch in test_archs {
            self.dispatch_tests(arch);
        }
        if let Some((h, i)) = self.jobs[ji].share.take() {
            let host = &mut self.hosts[h];
            host.last_used = self.now;
            let global = host.global;
            let arch = host.arch;
            if let HostKind::Build(b) = &mut host.kind {
                b.shares[i] = None;
                self.ops.push(Op::Hold {
                    host: global,
                    shareix: i as i32 + 1,
                    holder: Holder::Allocatable,
                });
                if b.state == BuildState::Ready {
                    b.wear += 1;
                    self.ops.push(Op::Sharing {
                        host: global,
                        sharetype: b.sharetype,
                        state: "ready",
                        wear: b.wear,
                    });
                    b.draining |= b.wear >= b.wear_limit;
                }
                if b.draining && b.shares.iter().all(Option::is_none) {
                    b.state = BuildState::Unprepared;
                    b.draining = false;
                }
            }
            self.dispatch_builds(arch);
        }
    }

    // -----------------------------------------------------------------
    // Allocation

    /// The host arch a job needs, and whether it wants a build share.
    fn needs(&self, ji: usize) -> (Arch, bool) {
        match self.jobs[ji].what {
            What::Build(b) => (b.host_arch, true),
            What::Test(t) => (self.tests[t].host_arch, false),
        }
    }

    fn idents(&self, ji: usize) -> &'static [Ident] {
        match self.jobs[ji].what {
            What::Test(t) if self.tests[t].is_pair() => &[Ident::Src, Ident::Dst],
            _ => &[Ident::Host],
        }
    }

    /// Give the job its hosts if they are free; on success the allocation
    /// step ends shortly.
    fn try_allocate(&mut self, ji: usize) -> bool {
        let ok = match self.jobs[ji].what {
            What::Build(spec) => self.allocate_share(ji, spec),
            What::Test(_) => self.allocate_test_hosts(ji),
        };
        if ok {
            self.jobs[ji].waiting = None;
            let number = self.flights[self.jobs[ji].flight].number;
            let name = self.jobs[ji].name;
            let mut rows = Vec::new();
            for &(ident, h) in &self.jobs[ji].hosts {
                rows.push((ident, h));
            }
            if let Some((h, _)) = self.jobs[ji].share {
                rows.push((Ident::Host, h));
            }
            let fi = self.jobs[ji].flight;
            for (ident, h) in rows {
                let host = self.lab.hosts[self.hosts[h].global as usize].name.clone();
                self.flights[fi]
                    .runvars
                    .push(runvar(number, name, ident.name(), host));
            }
            let d = self.between(dur::ALLOCATE);
            self.at(self.now + d, Ev::StepEnd { job: ji as u32 });
        }
        ok
    }

    fn allocate_share(&mut self, ji: usize, spec: &'static BuildSpec) -> bool {
        let sharetype = spec.sharetype();
        let fits = |h: &HostState| h.arch == spec.host_arch;
        // A ready host of the right type with a free share...
        let ready = self.hosts.iter().position(|h| {
            fits(h)
                && matches!(&h.kind, HostKind::Build(b)
                    if b.state == BuildState::Ready && !b.draining && b.sharetype == sharetype
                        && b.shares.contains(&None))
        });
        // ... or else an idle one to (re)install with this share type: one
        // that needs installing anyway, or else one ready for another share
        // type that nobody is using; least recently used first.
        let (h, prep) = match ready {
            Some(h) => (h, false),
            None => {
                let idle = self
                    .hosts
                    .iter()
                    .enumerate()
                    .filter_map(|(i, h)| match &h.kind {
                        HostKind::Build(b)
                            if fits(h)
                                && b.state != BuildState::Prep
                                && b.shares.iter().all(Option::is_none) =>
                        {
                            Some((b.state == BuildState::Ready, h.last_used, i))
                        }
                        _ => None,
                    })
                    .min()
                    .map(|(_, _, i)| i);
                match idle {
                    Some(h) => (h, true),
                    None => return false,
                }
            }
        };
        let flight = self.jobs[ji].flight as u32;
        let global = self.hosts[h].global;
        let wear_limit_factor = self.rng.random_range(2..=12);
        let HostKind::Build(b) = &mut self.hosts[h].kind else {
            unreachable!("share of a test host")
        };
        let Some(i) = b.shares.iter().position(Option::is_none) else {
            unreachable!("host chosen without a free share")
        };
        b.shares[i] = Some(ji);
        if prep {
            b.sharetype = sharetype;
            b.state = BuildState::Prep;
            b.wear = 0;
            b.wear_limit = b.shares.len() as i32 * wear_limit_factor;
            self.ops.push(Op::Sharing {
                host: global,
                sharetype,
                state: "prep",
                wear: 0,
            });
            // While one job installs the host, nobody else may use it.
            for j in (0..b.shares.len()).filter(|&j| j != i) {
                self.ops.push(Op::Hold {
                    host: global,
                    shareix: j as i32 + 1,
                    holder: Holder::Preparing,
                });
            }
        }
        self.ops.push(Op::Hold {
            host: global,
            shareix: i as i32 + 1,
            holder: Holder::Flight(flight),
        });
        let job = &mut self.jobs[ji];
        job.share = Some((h, i));
        if prep {
            job.script.push(Step::HostInstall(Ident::Host));
        }
        job.script
            .extend([Step::BuildPrep, Step::Build, Step::CaptureLogs(Ident::Host)]);
        true
    }

    /// Free test hosts of `arch` for flight `fi`: those it installed
    /// itself first (reuse), then the others, least recently used first.
    fn free_test_hosts(&self, arch: Arch, fi: usize) -> Vec<usize> {
        let mut free: Vec<(bool, i64, usize)> = self
            .hosts
            .iter()
            .enumerate()
            .filter_map(|(i, h)| match h.kind {
                HostKind::Test {
                    user: None,
                    prepared_for,
                } if h.arch == arch => Some((prepared_for != Some(fi), h.last_used, i)),
                _ => None,
            })
            .collect();
        free.sort_unstable();
        free.into_iter().map(|(_, _, i)| i).collect()
    }

    fn allocate_test_hosts(&mut self, ji: usize) -> bool {
        let (arch, _) = self.needs(ji);
        let idents = self.idents(ji);
        let fi = self.jobs[ji].flight;
        let free = self.free_test_hosts(arch, fi);
        if free.len() < idents.len() {
            return false;
        }
        let mut installs = Vec::new();
        for (&ident, &h) in idents.iter().zip(&free) {
            let reinstall = self.rng.random_ratio(1, 30);
            let host = &mut self.hosts[h];
            let HostKind::Test { user, prepared_for } = &mut host.kind else {
                unreachable!("free_test_hosts returns test hosts")
            };
            *user = Some(User::Job(ji));
            if *prepared_for != Some(fi) || reinstall {
                installs.push(ident);
            }
            self.ops.push(Op::Hold {
                host: host.global,
                shareix: 0,
                holder: Holder::Flight(fi as u32),
            });
            self.jobs[ji].hosts.push((ident, h));
        }
        let What::Test(t) = self.jobs[ji].what else {
            unreachable!("a test job")
        };
        let job = &mut self.jobs[ji];
        job.script
            .extend(installs.iter().map(|&i| Step::HostInstall(i)));
        job.script
            .extend(idents.iter().map(|&i| Step::XenInstall(i)));
        job.script.extend(idents.iter().map(|&i| Step::XenBoot(i)));
        job.script
            .extend((0..self.tests[t].test_steps().len()).map(Step::Test));
        job.script
            .extend(idents.iter().map(|&i| Step::CaptureLogs(i)));
        true
    }

    /// Hand free test hosts of `arch` to waiting jobs: a job whose flight
    /// installed a free host first (it can reuse it), else the longest
    /// waiting job that fits.
    fn dispatch_tests(&mut self, arch: Arch) {
        loop {
            if self.waiting_tests[arch.index()].is_empty() {
                return;
            }
            let mut free = 0;
            let mut reusable = BTreeSet::new();
            for h in &self.hosts {
                if let HostKind::Test {
                    user: None,
                    prepared_for,
                } = h.kind
                {
                    if h.arch == arch {
                        free += 1;
                        reusable.extend(prepared_for);
                    }
                }
            }
            let mut reuse = None;
            let mut fits = None;
            for &ji in self.waiting_tests[arch.index()].values() {
                if free < self.idents(ji).len() {
                    continue;
                }
                fits.get_or_insert(ji);
                if reusable.contains(&self.jobs[ji].flight) {
                    reuse = Some(ji);
                    break;
                }
            }
            let Some(ji) = reuse.or(fits) else { return };
            if let Some(key) = self.jobs[ji].waiting {
                self.waiting_tests[arch.index()].remove(&key);
            }
            let ok = self.try_allocate(ji);
            debug_assert!(ok, "a fitting job must get its hosts");
        }
    }

    fn dispatch_builds(&mut self, arch: Arch) {
        if self.waiting_builds[arch.index()].is_empty() {
            return;
        }
        let waiting: Vec<(u64, usize)> = self.waiting_builds[arch.index()]
            .iter()
            .map(|(&k, &j)| (k, j))
            .collect();
        for (key, ji) in waiting {
            if self.try_allocate(ji) {
                self.waiting_builds[arch.index()].remove(&key);
            }
        }
    }

    // -----------------------------------------------------------------
    // Operators

    /// An operator takes a free test host to their static task and uses it
    /// by hand.
    fn operator_start(&mut self) {
        let free: Vec<usize> = (0..self.hosts.len())
            .filter(|&h| matches!(self.hosts[h].kind, HostKind::Test { user: None, .. }))
            .collect();
        if free.is_empty() {
            let t = self.now + 30 * MINUTE;
            self.at(t, Ev::OperatorStart);
            return;
        }
        let h = free[self.rng.random_range(0..free.len())];
        let operator = self.rng.random_range(0..catalog::OPERATORS.len()) as u8;
        let reinstall = self.rng.random_bool(0.5);
        if let HostKind::Test { user, .. } = &mut self.hosts[h].kind {
            *user = Some(User::Operator);
        }
        let global = self.hosts[h].global;
        self.stats.operator_sessions += 1;
        self.stats.record_calls += 1;
        self.ops.push(Op::Hold {
            host: global,
            shareix: 0,
            holder: Holder::Operator(operator),
        });
        self.ops.push(Op::Record {
            mode: Mode::Select,
            host: global,
            ident: Ident::Host,
            at: None,
            actor: Actor::Operator(operator),
        });
        let t = self.now + self.between((30 * MINUTE, 4 * HOUR));
        self.at(
            t,
            Ev::OperatorEnd {
                host: h as u32,
                operator,
                reinstall,
            },
        );
    }

    /// The operator is done: perhaps reinstalls and wipes, then gives the
    /// host back.
    fn operator_end(&mut self, h: usize, operator: u8, reinstall: bool) {
        let global = self.hosts[h].global;
        if reinstall {
            self.stats.wipe_calls += 1;
            self.ops.push(Op::Wipe {
                host: global,
                job: None,
                actor: Actor::Operator(operator),
            });
        }
        let host = &mut self.hosts[h];
        host.last_used = self.now;
        if let HostKind::Test { user, prepared_for } = &mut host.kind {
            *user = None;
            if reinstall {
                *prepared_for = None;
            }
        }
        let arch = host.arch;
        self.ops.push(Op::Hold {
            host: global,
            shareix: 0,
            holder: Holder::Idle,
        });
        self.dispatch_tests(arch);
        let t = self.now + self.between((4 * HOUR, 30 * HOUR));
        self.at(t, Ev::OperatorStart);
    }

    // -----------------------------------------------------------------
    // The end

    fn finish(mut self) -> PoolPlan {
        self.stats.busy_hosts_at_end = self
            .hosts
            .iter()
            .filter(|h| match &h.kind {
                HostKind::Test { user, .. } => user.is_some(),
                HostKind::Build(b) => b.shares.iter().any(Option::is_some),
            })
            .count() as u32;
        let mut world = PoolWorld::default();
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
                started: f.started,
                blessing: match (f.crashed, f.ended) {
                    (true, _) => "broken",
                    (false, true) => "real",
                    (false, false) => "running",
                },
                intended: "real",
                branch: catalog::BRANCHES[f.branch as usize % catalog::BRANCHES.len()],
            });
            world.runvars.append(&mut f.runvars);
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
                    started: rec.started,
                    finished: rec.finished,
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
    fn new(flight: usize, name: &'static str, what: What) -> Job {
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

fn runvar(flight: i32, job: &'static str, name: &'static str, val: String) -> RunvarRow {
    RunvarRow {
        flight,
        job,
        name,
        val,
        synth: false,
    }
}

fn duration(step: Step) -> (i64, i64) {
    match step {
        Step::BuildCheck => dur::BUILD_CHECK,
        Step::Allocate => dur::ALLOCATE,
        Step::HostInstall(_) => dur::HOST_INSTALL,
        Step::BuildPrep => dur::BUILD_PREP,
        Step::Build => dur::BUILD,
        Step::XenInstall(_) => dur::XEN_INSTALL,
        Step::XenBoot(_) => dur::XEN_BOOT,
        Step::Test(_) => dur::TEST_STEP,
        Step::CaptureLogs(_) => dur::CAPTURE_LOGS,
    }
}

/// A step's script and testid, as osstest names them: steps a job may run
/// more than once carry their step number, and pair jobs name the host.
fn names(
    step: Step,
    what: What,
    tests: &[TestSpec],
    pair: bool,
    stepno: i32,
) -> (&'static str, Cow<'static, str>) {
    let on = |ident: Ident, single: &'static str, src: &'static str, dst: &'static str| {
        Cow::Borrowed(match (pair, ident) {
            (false, _) | (true, Ident::Host) => single,
            (true, Ident::Src) => src,
            (true, Ident::Dst) => dst,
        })
    };
    let numbered = |base: &str, ident: Ident| {
        Cow::Owned(if pair {
            format!("{base}/{}({stepno})", ident.name())
        } else {
            format!("{base}({stepno})")
        })
    };
    match step {
        Step::BuildCheck => (
            "ts-build-check",
            Cow::Owned(format!("build-check({stepno})")),
        ),
        Step::Allocate => (
            "ts-hosts-allocate-Executive",
            Cow::Borrowed("hosts-allocate"),
        ),
        Step::HostInstall(i) => ("ts-host-install-twice", numbered("host-install", i)),
        Step::BuildPrep => ("ts-xen-build-prep", Cow::Borrowed("host-build-prep")),
        Step::Build => match what {
            What::Build(b) => {
                let (script, testid) = b.step();
                (script, Cow::Borrowed(testid))
            }
            What::Test(_) => unreachable!("only build jobs build"),
        },
        Step::XenInstall(i) => (
            "ts-xen-install",
            on(
                i,
                "xen-install",
                "xen-install/src_host",
                "xen-install/dst_host",
            ),
        ),
        Step::XenBoot(i) => (
            "ts-host-reboot",
            on(i, "xen-boot", "xen-boot/src_host", "xen-boot/dst_host"),
        ),
        Step::Test(k) => match what {
            What::Test(t) => {
                let (script, testid) = tests[t].test_steps()[k];
                (script, Cow::Borrowed(testid))
            }
            What::Build(_) => unreachable!("only test jobs test"),
        },
        Step::CaptureLogs(i) => ("ts-logs-capture", numbered("capture-logs", i)),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

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
}
