//! Who gets which host: shares of build hosts (installing one when none
//! of the right type is ready), test hosts (a flight's own installed hosts
//! first), waiting queues, and giving hosts back.

use std::collections::BTreeSet;

use rand::RngExt;

use super::state::{BuildState, Ev, HostKind, HostState, Sim, User, runvar};
use super::steps::Step;
use super::steps::What;
use super::{Holder, Ident, Op};
use crate::sim::catalog::runvars;
use crate::sim::catalog::{Arch, BuildSpec, durations as dur};

impl Sim<'_> {
    pub(super) fn release(&mut self, ji: usize) {
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

    /// The host arch a job needs, and whether it wants a build share.
    pub(super) fn needs(&self, ji: usize) -> (Arch, bool) {
        match self.jobs[ji].what {
            What::Build(b) => (b.host_arch, true),
            What::Test(t) => (self.tests[t].host_arch, false),
        }
    }

    pub(super) fn idents(&self, ji: usize) -> &'static [Ident] {
        match self.jobs[ji].what {
            What::Test(t) if self.tests[t].is_pair() => &[Ident::Src, Ident::Dst],
            _ => &[Ident::Host],
        }
    }

    /// Give the job its hosts if they are free; on success the allocation
    /// step ends shortly.
    pub(super) fn try_allocate(&mut self, ji: usize) -> bool {
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
                let spec = &self.lab.hosts[self.hosts[h].global as usize];
                self.flights[fi].runvars.push(runvar(
                    number,
                    name,
                    ident.name(),
                    spec.name.clone(),
                ));
                self.flights[fi].add_vars(name, |v, _| {
                    runvars::host_facts(v, ident.vars(), &spec.props);
                });
            }
            self.flights[fi].add_vars(name, runvars::job_facts);
            let d = self.between(dur::ALLOCATE);
            self.at(self.now + d, Ev::StepEnd { job: ji as u32 });
        }
        ok
    }

    pub(super) fn allocate_share(&mut self, ji: usize, spec: &'static BuildSpec) -> bool {
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
        let (h, prep) = if let Some(h) = ready {
            (h, false)
        } else {
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
    pub(super) fn free_test_hosts(&self, arch: Arch, fi: usize) -> Vec<usize> {
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

    pub(super) fn allocate_test_hosts(&mut self, ji: usize) -> bool {
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
    pub(super) fn dispatch_tests(&mut self, arch: Arch) {
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
                    && h.arch == arch
                {
                    free += 1;
                    reusable.extend(prepared_for);
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

    pub(super) fn dispatch_builds(&mut self, arch: Arch) {
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
}
