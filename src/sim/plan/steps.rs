//! The steps of a job: what each is called in osstest (script and
//! testid), how long it takes, and how often it fails.

use std::borrow::Cow;

use rand::{RngExt, rngs::ChaCha8Rng};

use super::Ident;
use crate::sim::catalog::{BuildSpec, TestSpec, durations as dur};

/// What a job does: a build, or one of the test catalogue's tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum What {
    Build(&'static BuildSpec),
    /// Index into `Sim::tests`.
    Test(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
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

/// How a host stands for its next install: the causes the simulator
/// plants, so that `hostlife suspects` has something true to find.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct HostHealth {
    /// A flaky host: its installs fail whatever ran before.
    pub(super) flaky: bool,
    /// The breaker job used it since its last good install.
    pub(super) poisoned: bool,
}

/// The chance, per mille, that an install fails: the background rate, a
/// flaky host's, or a host the breaker job left behind.
pub const INSTALL_FAILS: u32 = 30;
pub(super) const FLAKY_INSTALL_FAILS: u32 = 500;
pub(super) const POISONED_INSTALL_FAILS: u32 = 700;

/// The job name that leaves hosts hard to reinstall (as osstest's pair
/// tests once did, leaving LVs behind): the next install on each host it
/// used fails with [`POISONED_INSTALL_FAILS`].
pub const BREAKER_JOB: &str = "test-amd64-amd64-pair";

pub(super) fn fails(rng: &mut ChaCha8Rng, step: Step, host: HostHealth) -> bool {
    let per_mille = match step {
        Step::HostInstall(_) if host.flaky => FLAKY_INSTALL_FAILS,
        Step::HostInstall(_) if host.poisoned => POISONED_INSTALL_FAILS,
        Step::HostInstall(_) => INSTALL_FAILS,
        Step::Build => 40,
        Step::XenBoot(_) => 10,
        Step::Test(_) => 15,
        Step::BuildPrep | Step::XenInstall(_) => 5,
        Step::BuildCheck | Step::Allocate | Step::CaptureLogs(_) => 0,
    };
    rng.random_ratio(per_mille, 1000)
}

pub(super) fn duration(step: Step) -> (i64, i64) {
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
pub(super) fn names(
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
