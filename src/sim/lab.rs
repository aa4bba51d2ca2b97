//! The simulated test lab: its hosts, what each is for, and how they are
//! split into pools. Pure: a function of the configuration and the seed.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

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
    /// Its `hostflags`, sorted.
    pub flags: Vec<Cow<'static, str>>,
    pub props: HostProps,
}

/// A host's `resource_properties`, as an osstest lab's host configuration
/// sets them. Shared: the runvars of the jobs that use the host repeat
/// them (`host_ip`, `host_power_method`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostProps {
    pub cpus: &'static str,
    pub disk: &'static str,
    pub ether: Arc<str>,
    pub ip: Arc<str>,
    pub memory: &'static str,
    pub power_method: Arc<str>,
    pub serial: Arc<str>,
    /// The `equiv-` flag's group: hosts of one model.
    pub equiv: Arc<str>,
}

impl HostProps {
    /// (name, value) as `resource_properties` rows, sorted by name.
    pub(crate) fn rows(&self) -> [(&'static str, &str); 7] {
        [
            ("Cpus", self.cpus),
            ("DiskDevice", self.disk),
            ("Ether", &self.ether),
            ("IpAddr", &self.ip),
            ("MemoryMiB", self.memory),
            ("PowerMethod", &self.power_method),
            ("Serial", &self.serial),
        ]
    }
}

/// The chip vendor of a model of host (a stem): decides `hvm-amd` or
/// `hvm-intel`, and the network card's vendor prefix.
fn intel(stem: usize) -> bool {
    stem % 3 != 1
}

/// A host's properties, from its place in the lab: the `i`th host, of
/// stem `stem`. Unique where they must be (addresses), without drawing
/// from the PRNG, so that the lab's layout is what it was before hosts
/// had properties.
fn props(seed: u64, i: usize, name: &str, stem: usize, arch: Arch) -> HostProps {
    // Multiplying by an odd number and adding a constant, modulo 2^24,
    // maps distinct hosts to distinct addresses.
    let nic = (i as u64)
        .wrapping_mul(0x9e_3779)
        .wrapping_add(seed.wrapping_mul(0x5851_f42d))
        & 0xff_ffff;
    let vendor = match arch {
        Arch::Arm64 => "40:8d:5c",
        Arch::Amd64 if intel(stem) => "0c:c4:7a",
        Arch::Amd64 => "3c:ec:ef",
    };
    let ether = format!(
        "{vendor}:{:02x}:{:02x}:{:02x}",
        nic >> 16,
        (nic >> 8) & 0xff,
        nic & 0xff
    );
    // osstest's lab network: a /24 per 250 hosts.
    let ip = format!("172.16.{}.{}", 146 + i / 250, 2 + i % 250);
    let (power_method, serial) = if stem.is_multiple_of(2) {
        (
            format!("ipmi {name}-mgmt.test-lab.xenproject.org"),
            "ipmi-sol".to_owned(),
        )
    } else {
        (
            format!("msw pdu{} {:02}", 1 + i / 16, 1 + i % 16),
            format!("sympathy serial{} ttyS{}", 1 + i / 32, i % 32),
        )
    };
    let arch = match arch {
        Arch::Amd64 => "amd64",
        Arch::Arm64 => "arm64",
    };
    // One model, one size.
    let (cpus, memory) = [
        ("8", "16384"),
        ("16", "32768"),
        ("24", "65536"),
        ("32", "131072"),
        ("48", "262144"),
    ][stem % 5];
    HostProps {
        cpus,
        memory,
        disk: if stem % 4 == 3 {
            "/dev/nvme0n1"
        } else {
            "/dev/sda"
        },
        ether: ether.into(),
        ip: ip.into(),
        power_method: power_method.into(),
        serial: serial.into(),
        equiv: format!("{}-{arch}", HOST_STEMS[stem]).into(),
    }
}

/// A host's flags: what it can run (`arch-*`, `hvm-*`, `iommu`), what it
/// is for (`purpose-*`), which flights may use it (`blessed-*`), and its
/// model (`equiv-*`, hosts interchangeable for a bisection).
fn flags(i: usize, stem: usize, arch: Arch, build: bool, equiv: &str) -> Vec<Cow<'static, str>> {
    let mut f: Vec<Cow<'static, str>> = Vec::with_capacity(12);
    let fixed: &[&'static str] = match arch {
        Arch::Amd64 => &["arch-amd64", "arch-i386", "arch-xen-amd64", "hvm"],
        Arch::Arm64 => &["arch-arm64", "arch-xen-arm64"],
    };
    f.extend(fixed.iter().map(|&s| Cow::Borrowed(s)));
    if arch == Arch::Amd64 {
        f.push(Cow::Borrowed(if intel(stem) {
            "hvm-intel"
        } else {
            "hvm-amd"
        }));
    }
    if i % 8 != 5 {
        f.push(Cow::Borrowed("iommu"));
    }
    f.push(Cow::Borrowed(if build {
        "purpose-build"
    } else {
        "purpose-test"
    }));
    f.push(Cow::Borrowed("suite-bookworm"));
    f.push(Cow::Borrowed("blessed-real"));
    if i.is_multiple_of(3) {
        f.push(Cow::Borrowed("blessed-real-bisect"));
    }
    if i % 10 == 7 {
        f.push(Cow::Borrowed("blessed-play"));
    }
    if i % 50 == 49 {
        f.push(Cow::Borrowed("blessed-commissioning"));
    }
    f.push(Cow::Owned(format!("equiv-{equiv}")));
    f.sort_unstable();
    f
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

/// Pool `p` draws its runvars' values (revisions and the like) from
/// stream `VALUES_STREAM + p`, apart from the stream its history comes
/// from: what runvars say changes nothing of what happens.
pub(crate) const VALUES_STREAM: u64 = 1 << 32;

/// Hosts per stem: at least two (osstest's hosts come in pairs: italia0,
/// italia1).
fn per_stem(count: usize) -> usize {
    count.div_ceil(HOST_STEMS.len()).max(2)
}

/// Host names: each stem numbered from 0.
fn host_names(count: usize) -> Vec<String> {
    let per_stem = per_stem(count);
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
    /// Whether host `i` is the flaky one of its pool, whose installs fail
    /// whatever ran before: the second test host of each pool (the first
    /// stays sound, so a pool's single-host jobs still run).
    pub(crate) fn flaky(&self, i: usize) -> bool {
        self.pools.iter().any(|range| {
            range
                .clone()
                .filter(|&h| matches!(self.hosts[h].role, Role::Test))
                .nth(1)
                == Some(i)
        })
    }

    /// The names of the flaky hosts, pool by pool.
    pub(crate) fn flaky_hosts(&self) -> Vec<String> {
        (0..self.hosts.len())
            .filter(|&i| self.flaky(i))
            .map(|i| self.hosts[i].name.clone())
            .collect()
    }

    /// Lay out `hosts` hosts in `pools` pools. The caller has checked that
    /// every pool gets at least [`super::MIN_HOSTS_PER_POOL`] hosts.
    pub(crate) fn new(seed: u64, hosts: usize, pools: usize) -> Lab {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(LAB_STREAM);
        let names = host_names(hosts);
        let per_stem = per_stem(hosts);
        let mut specs = Vec::with_capacity(hosts);
        let mut ranges = Vec::with_capacity(pools);
        let mut start = 0;
        for p in 0..pools {
            let end = hosts * (p + 1) / pools;
            let mut kinds = roles(end - start);
            // Which names get which role is arbitrary; shuffle so that build
            // hosts are not all at the front of the alphabet.
            kinds.shuffle(&mut rng);
            for (i, (name, (arch, build))) in (start..end).zip(names[start..end].iter().zip(kinds))
            {
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
                let stem = i / per_stem;
                let props = props(seed, i, name, stem, arch);
                specs.push(HostSpec {
                    name: name.clone(),
                    arch,
                    flags: flags(i, stem, arch, build, &props.equiv),
                    props,
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

    #[test]
    fn hosts_have_flags_and_unique_addresses() {
        let lab = Lab::new(1, 1000, 10);
        for h in &lab.hosts {
            let has = |prefix: &str| h.flags.iter().any(|f| f.starts_with(prefix));
            assert!(has("arch-") && has("purpose-") && has("equiv-"), "{h:?}");
            assert!(h.flags.iter().any(|f| f == "blessed-real"), "{h:?}");
            assert!(h.flags.windows(2).all(|w| w[0] < w[1]), "{h:?}");
        }
        let ip = |h: &HostSpec| h.props.ip.clone();
        let ether = |h: &HostSpec| h.props.ether.clone();
        for prop in [ip, ether] {
            let mut all: Vec<_> = lab.hosts.iter().map(prop).collect();
            all.sort_unstable();
            all.dedup();
            assert_eq!(all.len(), 1000);
        }
    }
}
