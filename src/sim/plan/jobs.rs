//! Flights and jobs: starting them, running their steps (and the
//! lifecycle calls those steps make), their runners dying, finishing.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use rand::RngExt;
use rand::seq::index;

use super::state::{BuildState, Ev, Flight, HostKind, Job, JobState, Sim, StepRec};
use super::steps::What;
use super::steps::{BREAKER_JOB, HostHealth, Step, duration, fails};
use super::{Actor, At, HOUR, Holder, Ident, MINUTE, Op};
use crate::lifecycle::Mode;
use crate::sim::catalog::runvars::{self, FlightVals, JobVars};
use crate::sim::catalog::{self, BuildSpec, durations as dur};

impl Sim<'_> {
    pub(super) fn start_flight(&mut self, branch: u8) {
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
        let count = (test_hosts * 3 / 4).max(3).min(self.tests.len());
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

        // Drawn from the simulation's own stream, as it was when Xen's was
        // the only revision, so that the history does not change; the
        // other values come from the values stream.
        let revision = (0..5).fold(String::with_capacity(40), |mut s, _| {
            let _ = write!(s, "{:08x}", self.rng.random::<u32>());
            s
        });
        let vals = FlightVals::draw(&mut self.values_rng, revision);
        let first_job = self.jobs.len();
        let mut runvars = Vec::new();
        for b in &builds {
            self.jobs.push(Job::new(fi, b.name, What::Build(b)));
            let mut v = JobVars {
                flight: number,
                job: b.name,
                rows: &mut runvars,
            };
            runvars::build_config(&mut v, b, &vals);
        }
        for &t in &picked {
            let spec = &self.tests[t];
            let mut job = Job::new(fi, spec.name, What::Test(t));
            job.deps_left = spec.builds.len() as u32;
            let mut v = JobVars {
                flight: number,
                job: spec.name,
                rows: &mut runvars,
            };
            runvars::test_config(&mut v, spec);
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
            vals,
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
            self.end = Some(self.now + self.between((90 * MINUTE, 3 * HOUR)));
        }
    }

    pub(super) fn end_flight(&mut self, fi: usize) {
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
    pub(super) fn crash_flight(&mut self, fi: usize) {
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

    pub(super) fn live(&self, ji: usize) -> bool {
        let f = &self.flights[self.jobs[ji].flight];
        !f.crashed && self.jobs[ji].state != JobState::Done("broken")
    }

    pub(super) fn actor(&self, ji: usize) -> Actor {
        Actor::Flight(self.jobs[ji].flight as u32)
    }

    pub(super) fn host_of(&self, ji: usize, ident: Ident) -> usize {
        let job = &self.jobs[ji];
        match job.share {
            Some((h, _)) => h,
            None => job.hosts.iter().find(|(i, _)| *i == ident).map_or_else(
                || unreachable!("{} has no {ident:?}", job.name),
                |&(_, h)| h,
            ),
        }
    }

    pub(super) fn record(&mut self, ji: usize, mode: Mode, ident: Ident) {
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

    pub(super) fn step_start(&mut self, ji: usize) {
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
            if let What::Test(t) = job.what {
                // Its builds have all passed: it records what they made.
                let (name, spec) = (job.name, &self.tests[t]);
                self.flights[job.flight].add_vars(name, |v, vals| {
                    runvars::test_inputs(v, spec, vals);
                });
            }
        }
        let job = &mut self.jobs[ji];
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

    pub(super) fn step_end(&mut self, ji: usize) {
        if !self.live(ji) {
            return;
        }
        let step = self.jobs[ji].script[self.jobs[ji].next];
        let health = match step {
            Step::HostInstall(ident) => self.hosts[self.host_of(ji, ident)].health,
            _ => HostHealth::default(),
        };
        let failed = fails(&mut self.rng, step, health);
        if let Some(rec) = self.jobs[ji].steps.last_mut() {
            rec.finished = Some(self.now);
            rec.status = if failed { "fail" } else { "pass" };
        }
        if let Step::HostInstall(ident) = step {
            self.installed(ji, ident, !failed);
        }
        if let (Step::Build, What::Build(spec), false) = (step, self.jobs[ji].what, failed) {
            let (fi, name) = (self.jobs[ji].flight, self.jobs[ji].name);
            self.flights[fi].add_vars(name, |v, vals| runvars::build_outputs(v, spec, vals));
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
    pub(super) fn installed(&mut self, ji: usize, ident: Ident, ok: bool) {
        let h = self.host_of(ji, ident);
        let fi = self.jobs[ji].flight;
        if ok {
            // A good install undoes what the breaker left.
            self.hosts[h].health.poisoned = false;
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

    pub(super) fn finish_job(&mut self, ji: usize) {
        let job = &mut self.jobs[ji];
        let status = match (job.broken, job.failed) {
            (true, _) => "broken",
            (false, true) => "fail",
            (false, false) => "pass",
        };
        job.state = JobState::Done(status);
        if job.name == BREAKER_JOB {
            let used: Vec<usize> = job
                .hosts
                .iter()
                .map(|&(_, h)| h)
                .chain(job.share.map(|(h, _)| h))
                .collect();
            for h in used {
                self.hosts[h].health.poisoned = true;
            }
        }
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
}
