//! The simulated test lab: its hosts, what each is for, and how they are
//! split into pools. Pure: a function of the configuration and the seed.

use std::ops::Range;

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};

use super::catalog::{Arch, HOST_STEMS};

/// What a host is used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Role {
    /// A test host: one job at a time, reused within a flight.
    Test,
    /// A shared build host (`resource_sharing`): up to `maxshares` build
    /// jobs at once, of the host's share type.
    Build {
        maxshares: i32,
        sharetype: &'static str,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostSpec {
    pub name: String,
    pub arch: Arch,
    pub role: Role,
}

/// All hosts, and which belong to which pool. Pools are disjoint, and each
/// is a contiguous run of `hosts`, so a pool's hosts sort together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lab {
    pub hosts: Vec<HostSpec>,
    pub pools: Vec<Range<usize>>,
}

/// The PRNG stream the lab layout draws from; pool `p` plans from stream
/// `p + 1`, so adding a pool never changes another pool's history.
pub(crate) const LAB_STREAM: u64 = 0;

/// Host names: each stem numbered from 0, at least two per stem (osstest's
/// hosts come in pairs: italia0, italia1).
fn host_names(count: usize) -> Vec<String> {
    let per_stem = count.div_ceil(HOST_STEMS.len()).max(2);
    (0..count)
        .map(|i| format!("{}{}", HOST_STEMS[i / per_stem], i % per_stem))
        .collect()
}

/// How many hosts of each kind a pool of `n` hosts has: Arm hosts only in
/// pools big enough to give Arm jobs a build host and two test hosts.
fn roles(n: usize) -> Vec<(Arch, bool)> {
    let arm = if n >= 16 { n / 6 } else { 0 };
    let arm_build = if arm > 0 { (arm / 4).max(1) } else { 0 };
    let amd = n - arm;
    let amd_build = (amd / 5).max(1);
    let mut out = Vec::with_capacity(n);
    out.extend(std::iter::repeat_n((Arch::Amd64, true), amd_build));
    out.extend(std::iter::repeat_n((Arch::Amd64, false), amd - amd_build));
    out.extend(std::iter::repeat_n((Arch::Arm64, true), arm_build));
    out.extend(std::iter::repeat_n((Arch::Arm64, false), arm - arm_build));
    out
}

impl Lab {
    /// Lay out `hosts` hosts in `pools` pools. The caller has checked that
    /// every pool gets at least [`super::MIN_HOSTS_PER_POOL`] hosts.
    pub(crate) fn new(seed: u64, hosts: usize, pools: usize) -> Lab {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(LAB_STREAM);
        let names = host_names(hosts);
        let mut specs = Vec::with_capacity(hosts);
        let mut ranges = Vec::with_capacity(pools);
        let mut start = 0;
        for p in 0..pools {
            let end = hosts * (p + 1) / pools;
            let mut kinds = roles(end - start);
            // Which names get which role is arbitrary; shuffle so that build
            // hosts are not all at the front of the alphabet.
            kinds.shuffle(&mut rng);
            for (name, (arch, build)) in names[start..end].iter().zip(kinds) {
                let role = if build {
                    let sharetype = match arch {
                        Arch::Arm64 => "build-arm64",
                        Arch::Amd64 if rng.random_ratio(1, 3) => "build-i386",
                        Arch::Amd64 => "build-amd64",
                    };
                    Role::Build {
                        maxshares: rng.random_range(4..=8),
                        sharetype,
                    }
                } else {
                    Role::Test
                };
                specs.push(HostSpec {
                    name: name.clone(),
                    arch,
                    role,
                });
            }
            ranges.push(start..end);
            start = end;
        }
        Lab {
            hosts: specs,
            pools: ranges,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_pools_cover_all_hosts() {
        let lab = Lab::new(7, 1000, 10);
        let mut names: Vec<_> = lab.hosts.iter().map(|h| h.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 1000);
        assert_eq!(lab.pools.first().map(|r| r.start), Some(0));
        assert_eq!(lab.pools.last().map(|r| r.end), Some(1000));
        assert!(lab.pools.windows(2).all(|w| w[0].end == w[1].start));
    }

    #[test]
    fn every_pool_can_run_builds_and_tests() {
        for (hosts, pools) in [(4, 1), (10, 1), (40, 2), (1000, 10)] {
            let lab = Lab::new(1, hosts, pools);
            for r in &lab.pools {
                let pool = &lab.hosts[r.clone()];
                let builds = pool.iter().filter(|h| h.role != Role::Test).count();
                let tests = pool.iter().filter(|h| h.role == Role::Test).count();
                assert!(builds >= 1 && tests >= 2, "{hosts}/{pools}: {pool:?}");
            }
        }
    }

    #[test]
    fn small_labs_have_paired_names() {
        let lab = Lab::new(1, 4, 1);
        let names: Vec<_> = lab.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["albana0", "albana1", "albarino0", "albarino1"]);
    }
}
