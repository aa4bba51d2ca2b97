//! osstest's vocabulary: host names, branches, build and test jobs, and the
//! steps each kind of job runs. Static data and small pure functions only.
//! The runvars jobs have are in [`runvars`].

pub(crate) mod runvars;

/// The architecture of a physical host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Arch {
    Amd64,
    Arm64,
}

impl Arch {
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// Stems of host names. osstest's x86 hosts are named after grapes (italia,
/// albana, chardonnay, ...); hosts are numbered within a stem. Sorted, so
/// that consecutive hosts (one pool) sort together in the primary keys.
pub(crate) const HOST_STEMS: &[&str] = &[
    "albana",
    "albarino",
    "aligote",
    "arneis",
    "barbera",
    "bonarda",
    "cabernet",
    "carignan",
    "chardonnay",
    "chenin",
    "cinsault",
    "dolcetto",
    "elbling",
    "fiano",
    "furmint",
    "gamay",
    "godello",
    "grenache",
    "huxelrebe",
    "italia",
    "kerner",
    "lagrein",
    "malbec",
    "marsanne",
    "merlot",
    "mourvedre",
    "nebbiolo",
    "picpoul",
    "pinot",
    "riesling",
    "rimava",
    "sabro",
    "sangiovese",
    "semillon",
    "sylvaner",
    "syrah",
    "tannat",
    "verdejo",
    "viognier",
    "zinfandel",
];

/// Branches whose flights a pool runs, one flight at a time per branch, as
/// osstest's cr-daily-branch does.
pub(crate) const BRANCHES: &[&str] = &[
    "xen-unstable",
    "linux-linus",
    "qemu-upstream-unstable",
    "xen-4.19-testing",
    "libvirt",
    "xen-unstable-smoke",
];

/// Operators' static tasks (`user@node`), as `hostlife` would create them.
pub(crate) const OPERATORS: &[&str] = &["iwj@osstest", "roger@osstest", "anthony@osstest"];

/// What a build job builds: decides its build step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BuildKind {
    Xen,
    Kernel,
    Libvirt,
    Previous,
}

/// A build job. Builds run on shared build hosts of their share type.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BuildSpec {
    pub name: &'static str,
    /// The `arch` runvar: what is built for.
    pub arch: &'static str,
    pub host_arch: Arch,
    pub kind: BuildKind,
}

impl BuildSpec {
    /// The share type of the hosts this build runs on.
    pub(crate) fn sharetype(&self) -> &'static str {
        match self.arch {
            "amd64" => "build-amd64",
            "i386" => "build-i386",
            _ => "build-arm64",
        }
    }

    pub(crate) fn recipe(&self) -> &'static str {
        match self.kind {
            BuildKind::Xen => "build",
            BuildKind::Kernel => "build-kern",
            BuildKind::Libvirt => "build-libvirt",
            BuildKind::Previous => "build-prev",
        }
    }

    /// The build step: (script, testid).
    pub(crate) fn step(&self) -> (&'static str, &'static str) {
        match self.kind {
            BuildKind::Xen => ("ts-xen-build", "xen-build"),
            BuildKind::Kernel => ("ts-kernel-build", "kernel-build"),
            BuildKind::Libvirt => ("ts-libvirt-build", "libvirt-build"),
            BuildKind::Previous => ("ts-xen-build", "xen-build-prev"),
        }
    }
}

const fn build(name: &'static str, arch: &'static str, kind: BuildKind) -> BuildSpec {
    let host_arch = if matches!(arch.as_bytes(), b"arm64") {
        Arch::Arm64
    } else {
        Arch::Amd64
    };
    BuildSpec {
        name,
        arch,
        host_arch,
        kind,
    }
}

pub(crate) const BUILDS: &[BuildSpec] = &[
    build("build-amd64", "amd64", BuildKind::Xen),
    build("build-amd64-xsm", "amd64", BuildKind::Xen),
    build("build-amd64-pvops", "amd64", BuildKind::Kernel),
    build("build-amd64-libvirt", "amd64", BuildKind::Libvirt),
    build("build-amd64-prev", "amd64", BuildKind::Previous),
    build("build-i386", "i386", BuildKind::Xen),
    build("build-i386-xsm", "i386", BuildKind::Xen),
    build("build-i386-pvops", "i386", BuildKind::Kernel),
    build("build-i386-libvirt", "i386", BuildKind::Libvirt),
    build("build-i386-prev", "i386", BuildKind::Previous),
    build("build-arm64", "arm64", BuildKind::Xen),
    build("build-arm64-xsm", "arm64", BuildKind::Xen),
    build("build-arm64-pvops", "arm64", BuildKind::Kernel),
    build("build-arm64-libvirt", "arm64", BuildKind::Libvirt),
];

/// Test jobs, `test-<host arch>-<dom0 arch>-<variant>`. Which builds a test
/// needs, its recipe and its steps all follow from the name.
pub(crate) const TESTS: &[&str] = &[
    "test-amd64-amd64-xl",
    "test-amd64-amd64-xl-credit1",
    "test-amd64-amd64-xl-credit2",
    "test-amd64-amd64-xl-rtds",
    "test-amd64-amd64-xl-multivcpu",
    "test-amd64-amd64-xl-shadow",
    "test-amd64-amd64-xl-pvshim",
    "test-amd64-amd64-xl-xsm",
    "test-amd64-amd64-xl-pvhv2-amd",
    "test-amd64-amd64-xl-pvhv2-intel",
    "test-amd64-amd64-xl-qemuu-debianhvm-amd64",
    "test-amd64-amd64-xl-qemuu-debianhvm-amd64-shadow",
    "test-amd64-amd64-xl-qemuu-debianhvm-i386-xsm",
    "test-amd64-amd64-xl-qemut-debianhvm-i386-xsm",
    "test-amd64-amd64-xl-qemuu-ovmf-amd64",
    "test-amd64-amd64-xl-qemuu-win7-amd64",
    "test-amd64-amd64-xl-qemuu-ws16-amd64",
    "test-amd64-amd64-xl-qemut-win7-amd64",
    "test-amd64-amd64-xl-qemut-ws16-amd64",
    "test-amd64-amd64-xl-qemut-stubdom-debianhvm-amd64-xsm",
    "test-amd64-amd64-xl-qemuu-dmrestrict-amd64-dmrestrict",
    "test-amd64-amd64-xl-vhd",
    "test-amd64-amd64-xl-qcow2",
    "test-amd64-amd64-libvirt",
    "test-amd64-amd64-libvirt-xsm",
    "test-amd64-amd64-libvirt-vhd",
    "test-amd64-amd64-libvirt-qcow2",
    "test-amd64-amd64-libvirt-raw",
    "test-amd64-amd64-pygrub",
    "test-amd64-amd64-amd64-pvgrub",
    "test-amd64-amd64-i386-pvgrub",
    "test-amd64-amd64-qemuu-nested-amd",
    "test-amd64-amd64-qemuu-nested-intel",
    "test-amd64-amd64-qemuu-freebsd11-amd64",
    "test-amd64-amd64-qemuu-freebsd12-amd64",
    "test-amd64-amd64-dom0pvh-xl-amd",
    "test-amd64-amd64-dom0pvh-xl-intel",
    "test-amd64-amd64-examine",
    "test-amd64-amd64-examine-bios",
    "test-amd64-amd64-examine-uefi",
    "test-amd64-amd64-pair",
    "test-amd64-amd64-libvirt-pair",
    "test-amd64-amd64-migrupgrade",
    "test-amd64-i386-xl",
    "test-amd64-i386-xl-shadow",
    "test-amd64-i386-xl-pvshim",
    "test-amd64-i386-xl-xsm",
    "test-amd64-i386-xl-qemuu-debianhvm-amd64",
    "test-amd64-i386-xl-qemuu-debianhvm-i386-xsm",
    "test-amd64-i386-xl-qemut-debianhvm-amd64",
    "test-amd64-i386-xl-qemuu-win7-amd64",
    "test-amd64-i386-xl-qemut-win7-amd64",
    "test-amd64-i386-xl-qemuu-ws16-amd64",
    "test-amd64-i386-xl-vhd",
    "test-amd64-i386-xl-raw",
    "test-amd64-i386-libvirt",
    "test-amd64-i386-libvirt-xsm",
    "test-amd64-i386-freebsd10-amd64",
    "test-amd64-i386-freebsd10-i386",
    "test-amd64-i386-qemuu-rhel6hvm-amd",
    "test-amd64-i386-qemuu-rhel6hvm-intel",
    "test-amd64-i386-examine",
    "test-amd64-i386-pair",
    "test-amd64-i386-libvirt-pair",
    "test-amd64-i386-migrupgrade",
    "test-arm64-arm64-xl",
    "test-arm64-arm64-xl-credit1",
    "test-arm64-arm64-xl-credit2",
    "test-arm64-arm64-xl-xsm",
    "test-arm64-arm64-xl-thunderx",
    "test-arm64-arm64-xl-seattle",
    "test-arm64-arm64-xl-vhd",
    "test-arm64-arm64-libvirt-raw",
    "test-arm64-arm64-examine",
];

/// What a test job does, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TestKind {
    Debian,
    DebianHvm,
    Windows,
    FreeBsd,
    Nested,
    Examine,
    Pair,
    MigrUpgrade,
}

/// A test job's shape, derived from its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TestSpec {
    pub name: &'static str,
    pub host_arch: Arch,
    /// The dom0 architecture (`arch` runvar), e.g. `i386` on amd64 hosts.
    pub arch: &'static str,
    pub kind: TestKind,
    /// Build jobs whose outputs this test installs; the first is the
    /// `buildjob` runvar, the last the `kernbuildjob`.
    pub builds: Vec<&'static str>,
}

impl TestSpec {
    pub(crate) fn from_name(name: &'static str) -> TestSpec {
        let mut parts = name.splitn(4, '-');
        let _test = parts.next();
        let host_arch = match parts.next() {
            Some("arm64") => Arch::Arm64,
            _ => Arch::Amd64,
        };
        let arch = match parts.next() {
            Some("i386") => "i386",
            Some("arm64") => "arm64",
            _ => "amd64",
        };
        let variant = parts.next().unwrap_or("");
        let kind = if variant.ends_with("pair") {
            TestKind::Pair
        } else if variant == "migrupgrade" {
            TestKind::MigrUpgrade
        } else if variant.starts_with("examine") {
            TestKind::Examine
        } else if variant.contains("nested") {
            TestKind::Nested
        } else if variant.contains("win7") || variant.contains("ws16") {
            TestKind::Windows
        } else if variant.contains("freebsd") {
            TestKind::FreeBsd
        } else if variant.contains("hvm") || variant.contains("ovmf") {
            TestKind::DebianHvm
        } else {
            TestKind::Debian
        };
        let xen = match (arch, variant.contains("xsm")) {
            ("amd64", false) => "build-amd64",
            ("amd64", true) => "build-amd64-xsm",
            ("i386", false) => "build-i386",
            ("i386", true) => "build-i386-xsm",
            (_, false) => "build-arm64",
            (_, true) => "build-arm64-xsm",
        };
        let mut builds = vec![xen];
        if variant.contains("libvirt") {
            builds.push(match arch {
                "amd64" => "build-amd64-libvirt",
                "i386" => "build-i386-libvirt",
                _ => "build-arm64-libvirt",
            });
        }
        if kind == TestKind::MigrUpgrade {
            builds.push(match arch {
                "i386" => "build-i386-prev",
                _ => "build-amd64-prev",
            });
        }
        builds.push(match host_arch {
            Arch::Amd64 => "build-amd64-pvops",
            Arch::Arm64 => "build-arm64-pvops",
        });
        TestSpec {
            name,
            host_arch,
            arch,
            kind,
            builds,
        }
    }

    pub(crate) fn is_pair(&self) -> bool {
        matches!(self.kind, TestKind::Pair | TestKind::MigrUpgrade)
    }

    pub(crate) fn recipe(&self) -> &'static str {
        match self.kind {
            TestKind::Debian => "test-debian",
            TestKind::DebianHvm => "test-debianhvm",
            TestKind::Windows => "test-win",
            TestKind::FreeBsd => "test-freebsd",
            TestKind::Nested => "test-nested",
            TestKind::Examine => "test-examine",
            TestKind::Pair => "test-pair",
            TestKind::MigrUpgrade => "test-migrupgrade",
        }
    }

    pub(crate) fn toolstack(&self) -> &'static str {
        if self.name.contains("libvirt") {
            "libvirt"
        } else {
            "xl"
        }
    }

    /// The steps between booting Xen and capturing logs: (script, testid).
    /// Pair tests name their hosts in the testid, as osstest does.
    pub(crate) fn test_steps(&self) -> &'static [(&'static str, &'static str)] {
        match self.kind {
            TestKind::Debian => &[
                ("ts-debian-install", "debian-install"),
                ("ts-debian-fixup", "debian-fixup"),
                ("ts-guest-start", "guest-start"),
                ("ts-guest-saverestore", "guest-saverestore"),
                ("ts-guest-localmigrate", "guest-localmigrate"),
                ("ts-guest-stop", "guest-stop"),
            ],
            TestKind::DebianHvm => &[
                ("ts-debian-hvm-install", "debian-hvm-install"),
                ("ts-guest-saverestore", "guest-saverestore"),
                ("ts-guest-localmigrate", "guest-localmigrate"),
                ("ts-guest-stop", "guest-stop"),
            ],
            TestKind::Windows => &[
                ("ts-windows-install", "windows-install"),
                ("ts-guest-saverestore", "guest-saverestore"),
                ("ts-guest-stop", "guest-stop"),
            ],
            TestKind::FreeBsd => &[
                ("ts-freebsd-install", "freebsd-install"),
                ("ts-guest-localmigrate", "guest-localmigrate"),
                ("ts-guest-stop", "guest-stop"),
            ],
            TestKind::Nested => &[
                ("ts-debian-hvm-install", "debian-hvm-install"),
                ("ts-nested-setup", "nested-setup"),
                ("ts-xen-install", "xen-install/l1"),
                ("ts-host-reboot", "xen-boot/l1"),
                ("ts-guest-stop", "guest-stop"),
            ],
            TestKind::Examine => &[
                ("ts-examine-serial-pre", "examine-serial/bootloader"),
                ("ts-examine-serial-post", "examine-serial/kernel"),
                ("ts-examine-iommu", "examine-iommu"),
            ],
            TestKind::Pair | TestKind::MigrUpgrade => &[
                ("ts-debian-install", "debian-install/dst_host"),
                ("ts-guest-start", "guest-start/src_host"),
                ("ts-guest-migrate", "guest-migrate/src_host/dst_host"),
                ("ts-guest-migrate", "guest-migrate/dst_host/src_host"),
                ("ts-guest-stop", "guest-stop/src_host"),
            ],
        }
    }
}

/// Typical durations, in seconds, of the steps of a job: (least, most).
pub(crate) mod durations {
    pub const BUILD_CHECK: (i64, i64) = (5, 40);
    pub const ALLOCATE: (i64, i64) = (10, 90);
    pub const HOST_INSTALL: (i64, i64) = (540, 1500);
    pub const BUILD_PREP: (i64, i64) = (240, 600);
    pub const BUILD: (i64, i64) = (1200, 3600);
    pub const XEN_INSTALL: (i64, i64) = (240, 600);
    pub const XEN_BOOT: (i64, i64) = (120, 360);
    pub const TEST_STEP: (i64, i64) = (60, 900);
    pub const CAPTURE_LOGS: (i64, i64) = (60, 300);
    /// Between two steps of a job.
    pub const GAP: (i64, i64) = (1, 15);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build_named(name: &str) -> Option<&'static BuildSpec> {
        BUILDS.iter().find(|b| b.name == name)
    }

    #[test]
    fn stems_are_sorted_so_pools_are_contiguous_in_key_order() {
        assert!(HOST_STEMS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn every_test_needs_only_known_builds_on_its_own_host_arch() {
        for name in TESTS {
            let t = TestSpec::from_name(name);
            for b in &t.builds {
                let b = build_named(b).unwrap_or_else(|| panic!("{name}: {b} unknown"));
                assert_eq!(b.host_arch, t.host_arch, "{name} needs {}", b.name);
            }
        }
    }

    #[test]
    fn names_decide_shape() {
        let pair = TestSpec::from_name("test-amd64-i386-migrupgrade");
        assert!(pair.is_pair());
        assert_eq!(pair.arch, "i386");
        assert_eq!(
            pair.builds,
            ["build-i386", "build-i386-prev", "build-amd64-pvops"]
        );
        let arm = TestSpec::from_name("test-arm64-arm64-libvirt-raw");
        assert_eq!(arm.host_arch, Arch::Arm64);
        assert_eq!(arm.toolstack(), "libvirt");
        assert_eq!(
            arm.builds,
            ["build-arm64", "build-arm64-libvirt", "build-arm64-pvops"]
        );
    }
}
