//! osstest's runvars, by name, and plausible values: what `make-flight`
//! sets when it builds a flight (`synth` false), and what jobs record as
//! they run (`synth` true): what a build built and where, what hosts a
//! job was given and how to reach them.
//!
//! Every runvar name the simulator writes is here, apart from the ident
//! runvars (`host`, `src_host`, `dst_host`), which the planner writes as it
//! allocates hosts and the lifecycle code reads, and the `*_lifecycle`
//! ones, which only the recorder writes. No name here ends in `_host` or
//! `_lifecycle`, or it would be taken for one of those (the planner's
//! `catalog_names_are_not_idents_or_lifecycles` checks).
//!
//! Values shared by many rows are shared, not copied: a constant is a
//! `&'static str`, a flight's revisions and a host's properties are one
//! `Arc<str>` each. Only a build's paths are formatted per job.

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

use rand::{RngExt, rngs::ChaCha8Rng};

use super::{Arch, BUILDS, BuildKind, BuildSpec, TestKind, TestSpec};
use crate::sim::lab::HostProps;
use crate::sim::world::{RunvarRow, Val};

/// A source tree: its URL is `tree_<name>`, the revision a flight asks
/// for `revision_<name>`, the one a build checked out
/// `built_revision_<name>`.
#[derive(Debug)]
#[allow(
    clippy::struct_field_names,
    reason = "each name field is called after its runvar's prefix: `tree_`, `revision_`, `built_revision_`"
)]
pub(crate) struct Tree {
    pub tree: &'static str,
    pub revision: &'static str,
    pub built: &'static str,
    pub url: &'static str,
}

macro_rules! tree {
    ($name:literal, $url:literal) => {
        Tree {
            tree: concat!("tree_", $name),
            revision: concat!("revision_", $name),
            built: concat!("built_revision_", $name),
            url: $url,
        }
    };
}

/// Every tree a build checks out. Xen's first: a flight's `revision_xen`
/// is the revision the planner has drawn since before there were more.
pub(crate) const TREES: &[Tree] = &[
    tree!("xen", "git://xenbits.xen.org/xen.git"),
    tree!("qemu", "git://xenbits.xen.org/qemu-xen-traditional.git"),
    tree!("qemuu", "git://xenbits.xen.org/qemu-xen.git"),
    tree!("seabios", "git://xenbits.xen.org/osstest/seabios.git"),
    tree!("ovmf", "git://xenbits.xen.org/osstest/ovmf.git"),
    tree!("minios", "git://xenbits.xen.org/mini-os.git"),
    tree!("linux", "git://xenbits.xen.org/linux-pvops.git"),
    tree!(
        "linuxfirmware",
        "git://xenbits.xen.org/osstest/linux-firmware.git"
    ),
    tree!("libvirt", "git://xenbits.xen.org/libvirt.git"),
    tree!(
        "libvirt_keycodemapdb",
        "https://gitlab.com/keycodemap/keycodemapdb.git"
    ),
];

/// The trees of each kind of build, as indices into [`TREES`].
fn trees(kind: BuildKind) -> Range<usize> {
    match kind {
        BuildKind::Xen | BuildKind::Previous => 0..6,
        BuildKind::Kernel => 6..8,
        BuildKind::Libvirt => 8..10,
    }
}

/// What is the same for every job of a flight: the revisions it tests
/// (and, for migration tests, those of the previous release), and where
/// its jobs send their hosts' logs.
#[derive(Debug)]
pub(crate) struct FlightVals {
    /// Indexed like [`TREES`].
    current: Vec<Arc<str>>,
    previous: Vec<Arc<str>>,
    syslog_server: Arc<str>,
}

/// A git revision: 40 hex digits.
fn revision(rng: &mut ChaCha8Rng) -> Arc<str> {
    let mut s = String::with_capacity(40);
    for _ in 0..5 {
        let _ = write!(s, "{:08x}", rng.random::<u32>());
    }
    s.into()
}

impl FlightVals {
    /// Draw a flight's values from `rng`; `xen` is its Xen revision.
    pub(crate) fn draw(rng: &mut ChaCha8Rng, xen: String) -> FlightVals {
        let mut current = vec![Arc::from(xen)];
        current.extend((1..TREES.len()).map(|_| revision(rng)));
        let previous = (0..trees(BuildKind::Previous).len())
            .map(|_| revision(rng))
            .collect();
        // osstest runs a syslog server per flight, on a port of its own.
        let port = rng.random_range(30_000..60_000u32);
        FlightVals {
            current,
            previous,
            syslog_server: format!("172.16.146.1:{port}").into(),
        }
    }

    fn revision(&self, kind: BuildKind, tree: usize) -> &Arc<str> {
        match kind {
            BuildKind::Previous => &self.previous[tree - trees(kind).start],
            _ => &self.current[tree],
        }
    }
}

/// A job's runvars, as they are added: appended to a flight's rows.
pub(crate) struct JobVars<'a> {
    pub flight: i32,
    pub job: &'static str,
    pub rows: &'a mut Vec<RunvarRow>,
}

impl JobVars<'_> {
    fn put(&mut self, synth: bool, name: &'static str, val: impl Into<Val>) {
        self.rows.push(RunvarRow {
            flight: self.flight,
            synth,
            job: self.job,
            name,
            val: val.into(),
        });
    }

    fn set(&mut self, name: &'static str, val: impl Into<Val>) {
        self.put(false, name, val);
    }

    fn synth(&mut self, name: &'static str, val: impl Into<Val>) {
        self.put(true, name, val);
    }

    /// Where the job builds, on its build host.
    fn build_dir(&self) -> String {
        format!("/home/osstest/build.{}.{}", self.flight, self.job)
    }
}

/// A path a build makes, under its build directory, and whether the test
/// jobs that install the build record it too (a path every kind of build
/// has, `path_dist`, would clash between a test's builds).
struct Output {
    name: &'static str,
    path: &'static str,
    to_tests: bool,
}

macro_rules! output {
    ($name:literal, $path:literal, $to_tests:literal $(,)?) => {
        Output {
            name: $name,
            path: $path,
            to_tests: $to_tests,
        }
    };
}

fn outputs(spec: &BuildSpec) -> &'static [Output] {
    match (spec.kind, spec.host_arch) {
        (BuildKind::Xen, Arch::Amd64) => &[
            output!("path_dist", "xen/dist", false),
            output!("path_xendist", "xendist.tar.gz", true),
            output!("path_xenlptdist", "xenlptdist.tar.gz", true),
            output!(
                "path_hvmloader",
                "xen/tools/firmware/hvmloader/hvmloader",
                true,
            ),
        ],
        (BuildKind::Xen, Arch::Arm64) => &[
            output!("path_dist", "xen/dist", false),
            output!("path_xendist", "xendist.tar.gz", true),
            output!("path_xenlptdist", "xenlptdist.tar.gz", true),
        ],
        (BuildKind::Previous, _) => &[
            output!("path_dist", "xen/dist", false),
            output!("path_xendist", "xendist.tar.gz", false),
        ],
        (BuildKind::Kernel, Arch::Amd64) => &[
            output!("path_dist", "linux/dist", false),
            output!("path_kernel", "linux/arch/x86/boot/bzImage", true),
            output!("path_kerndist", "kerndist.tar.gz", true),
        ],
        (BuildKind::Kernel, Arch::Arm64) => &[
            output!("path_dist", "linux/dist", false),
            output!("path_kernel", "linux/arch/arm64/boot/Image", true),
            output!("path_kerndist", "kerndist.tar.gz", true),
        ],
        (BuildKind::Libvirt, _) => &[
            output!("path_dist", "libvirt/dist", false),
            output!("path_libvirtdist", "libvirtdist.tar.gz", true),
        ],
    }
}

/// A build job's runvars as `make-flight` sets them.
pub(crate) fn build_config(v: &mut JobVars<'_>, spec: &BuildSpec, vals: &FlightVals) {
    v.set("arch", spec.arch);
    v.set(
        "host_hostflags",
        match spec.arch {
            "amd64" => "share-build-bookworm-amd64,arch-amd64,suite-bookworm,purpose-build",
            "i386" => "share-build-bookworm-i386,arch-i386,suite-bookworm,purpose-build",
            _ => "share-build-bookworm-arm64,arch-arm64,suite-bookworm,purpose-build",
        },
    );
    v.set("build_lvextend_max", "50");
    v.set(
        "recipe_make_jobs",
        if spec.host_arch == Arch::Arm64 {
            "4"
        } else {
            "8"
        },
    );
    match spec.kind {
        BuildKind::Xen | BuildKind::Previous => {
            let xsm = spec.name.ends_with("-xsm");
            v.set("enable_xsm", if xsm { "true" } else { "false" });
            // Release builds of the previous version; debug ones of this.
            v.set(
                "enable_debug",
                if spec.kind == BuildKind::Previous {
                    "false"
                } else {
                    "true"
                },
            );
            v.set(
                "enable_ovmf",
                if spec.arch == "arm64" {
                    "false"
                } else {
                    "true"
                },
            );
            v.set(
                "enable_livepatch",
                if spec.arch == "amd64" {
                    "true"
                } else {
                    "false"
                },
            );
            v.set("recipe_build_targets", "dist");
            v.set(
                "recipe_configure_args",
                "--prefix=/usr/local --enable-systemd --with-system-seabios=/usr/share/seabios/bios.bin",
            );
        }
        BuildKind::Kernel => {
            v.set("kernkind", "pvops");
            v.set(
                "recipe_build_targets",
                if spec.host_arch == Arch::Arm64 {
                    "Image modules dtbs"
                } else {
                    "bzImage modules"
                },
            );
            v.set("recipe_configure_args", "xen.config");
            v.set(
                "kconfig_override_y",
                "CONFIG_EXT4_FS,CONFIG_XEN_GNTDEV,CONFIG_XEN_BLKDEV_BACKEND",
            );
            v.set(
                "kconfig_override_m",
                "CONFIG_XEN_NETDEV_BACKEND,CONFIG_XEN_PCIDEV_BACKEND",
            );
        }
        BuildKind::Libvirt => {
            let xen = BUILDS
                .iter()
                .find(|b| b.kind == BuildKind::Xen && b.arch == spec.arch)
                .map_or("build-amd64", |b| b.name);
            v.set("buildjob", xen);
            v.set("recipe_build_targets", "install");
            v.set(
                "recipe_configure_args",
                "--with-libxl --without-xen --prefix=/usr/local",
            );
        }
    }
    for t in trees(spec.kind) {
        v.set(TREES[t].tree, TREES[t].url);
        v.set(TREES[t].revision, vals.revision(spec.kind, t));
    }
}

/// What a build job records once its build has passed: the revisions it
/// built and the paths of what it made.
pub(crate) fn build_outputs(v: &mut JobVars<'_>, spec: &BuildSpec, vals: &FlightVals) {
    for t in trees(spec.kind) {
        v.synth(TREES[t].built, vals.revision(spec.kind, t));
    }
    let dir = v.build_dir();
    for out in outputs(spec) {
        v.synth(out.name, format!("{dir}/{}", out.path));
    }
}

/// Whether the test's guests are HVM: on hosts with the `hvm` flag.
fn hvm(kind: TestKind) -> bool {
    matches!(
        kind,
        TestKind::DebianHvm | TestKind::Windows | TestKind::FreeBsd | TestKind::Nested
    )
}

/// A test job's runvars as `make-flight` sets them.
pub(crate) fn test_config(v: &mut JobVars<'_>, spec: &TestSpec) {
    let name = spec.name;
    let xen = spec.builds[0];
    v.set("arch", spec.arch);
    v.set("buildjob", xen);
    v.set("xenbuildjob", xen);
    v.set("kernbuildjob", spec.builds[spec.builds.len() - 1]);
    if let Some(libvirt) = spec.builds.iter().find(|b| b.ends_with("-libvirt")) {
        v.set("libvirtbuildjob", *libvirt);
    }
    v.set("toolstack", spec.toolstack());
    v.set(
        "enable_xsm",
        if name.contains("xsm") {
            "true"
        } else {
            "false"
        },
    );
    v.set("kernkind", "pvops");
    v.set(
        "all_hostflags",
        match (spec.host_arch, spec.arch, hvm(spec.kind)) {
            (Arch::Arm64, ..) => "arch-arm64,arch-xen-arm64,suite-bookworm,purpose-test",
            (_, "i386", false) => "arch-i386,arch-xen-amd64,suite-bookworm,purpose-test",
            (_, "i386", true) => "arch-i386,arch-xen-amd64,suite-bookworm,purpose-test,hvm",
            (_, _, false) => "arch-amd64,arch-xen-amd64,suite-bookworm,purpose-test",
            (_, _, true) => "arch-amd64,arch-xen-amd64,suite-bookworm,purpose-test,hvm",
        },
    );
    debian_config(v, spec);
    boot_config(v, spec);
    guests_config(v, spec);
    kind_config(v, spec);
}

/// How dom0 (and the Debian guests) are installed.
fn debian_config(v: &mut JobVars<'_>, spec: &TestSpec) {
    v.set("debian_suite", "bookworm");
    v.set("debian_arch", spec.arch);
    v.set("debian_kernkind", "pvops");
    v.set("debian_method", "netboot");
    v.set("debian_di_version", "2024-06-01-bookworm");
    v.set("debian_mirror", "http://ftp.debian.org/debian");
}

/// What the hosts boot with.
fn boot_config(v: &mut JobVars<'_>, spec: &TestSpec) {
    let arm = spec.host_arch == Arch::Arm64;
    v.set(
        "kern_console",
        if arm {
            "ttyAMA0,115200"
        } else {
            "ttyS0,115200n8"
        },
    );
    v.set(
        "kern_boot_append",
        if arm {
            "earlycon"
        } else {
            "console=hvc0 earlyprintk=xen"
        },
    );
    v.set("xen_console", if arm { "dtuart" } else { "com1" });
    let name = spec.name;
    v.set(
        "xen_boot_append",
        if name.contains("credit1") {
            "dom0_mem=1024M,max:1024M sched=credit"
        } else if name.contains("credit2") {
            "dom0_mem=1024M,max:1024M sched=credit2"
        } else if name.contains("rtds") {
            "dom0_mem=1024M,max:1024M sched=rtds"
        } else if name.contains("dom0pvh") {
            "dom0_mem=1024M,max:1024M dom0=pvh"
        } else {
            "dom0_mem=1024M,max:1024M"
        },
    );
}

/// The test's guests.
fn guests_config(v: &mut JobVars<'_>, spec: &TestSpec) {
    let name = spec.name;
    v.set(
        "guests_vcpus",
        if name.contains("multivcpu") { "4" } else { "2" },
    );
    v.set(
        "guests_memory",
        match spec.kind {
            TestKind::Windows => "4096",
            TestKind::Nested => "3072",
            k if hvm(k) => "2048",
            _ => "512",
        },
    );
    v.set(
        "guests_diskfmt",
        if name.ends_with("-vhd") {
            "vhd"
        } else if name.ends_with("-qcow2") {
            "qcow2"
        } else if name.ends_with("-raw") {
            "raw"
        } else {
            "lvm"
        },
    );
    v.set(
        "guests_disk_size",
        if spec.kind == TestKind::Windows {
            "20G"
        } else {
            "10G"
        },
    );
    v.set("guests_networking", "bridge");
    v.set("guests_suite", "bookworm");
    v.set(
        "guests_bootloader",
        if name.contains("pygrub") {
            "pygrub"
        } else if name.contains("pvgrub") {
            "pvgrub"
        } else if hvm(spec.kind) {
            "hvmloader"
        } else {
            "direct"
        },
    );
}

/// What only some kinds of test have: HVM guests' firmware and device
/// model, the images Windows and FreeBSD guests install from.
fn kind_config(v: &mut JobVars<'_>, spec: &TestSpec) {
    let name = spec.name;
    if hvm(spec.kind) {
        v.set(
            "bios",
            if name.contains("ovmf") {
                "ovmf"
            } else {
                "seabios"
            },
        );
        v.set(
            "device_model_version",
            if name.contains("qemut") {
                "qemu-xen-traditional"
            } else {
                "qemu-xen"
            },
        );
    }
    match spec.kind {
        TestKind::DebianHvm | TestKind::Nested => {
            v.set(
                "debianhvm_image",
                if name.contains("-i386") {
                    "debian-12.5.0-i386-netinst.iso"
                } else {
                    "debian-12.5.0-amd64-netinst.iso"
                },
            );
        }
        TestKind::Windows => {
            v.set(
                "win_image",
                if name.contains("ws16") {
                    "ws16-x64.iso"
                } else {
                    "win7-x64.iso"
                },
            );
        }
        TestKind::FreeBsd => {
            let (version, arch) = FREEBSD
                .iter()
                .find(|(variant, ..)| name.contains(variant))
                .map_or(("12.4-RELEASE", "amd64"), |&(_, version, arch)| {
                    (version, arch)
                });
            v.set("freebsd_version", version);
            v.set("freebsd_arch", arch);
            v.set("freebsd_image", format!("FreeBSD-{version}-{arch}.raw.xz"));
            v.set(
                "freebsd_distpath",
                format!("/home/osstest/freebsd/{version}/{arch}"),
            );
        }
        _ => {}
    }
}

/// FreeBSD guests: (what the test's name says, release, arch).
const FREEBSD: &[(&str, &str, &str)] = &[
    ("freebsd10-amd64", "10.4-RELEASE", "amd64"),
    ("freebsd10-i386", "10.4-RELEASE", "i386"),
    ("freebsd11-amd64", "11.4-RELEASE", "amd64"),
    ("freebsd12-amd64", "12.4-RELEASE", "amd64"),
];

/// What a test job records when it starts, from the builds it installs:
/// the revisions they built and the paths it installs from; and the MAC
/// address its guests get, one of Xen's (00:16:3e), unique to the job
/// within the flight.
pub(crate) fn test_inputs(v: &mut JobVars<'_>, spec: &TestSpec, vals: &FlightVals) {
    let flight = v.flight;
    let nic = guest_nic(spec.name);
    v.synth(
        "guests_ether",
        format!(
            "00:16:3e:{:02x}:{:02x}:{:02x}",
            nic >> 16,
            (nic >> 8) & 0xff,
            nic & 0xff
        ),
    );
    for build in spec
        .builds
        .iter()
        .filter_map(|b| BUILDS.iter().find(|s| s.name == *b))
    {
        // The previous release's build is installed by name, not copied.
        if build.kind == BuildKind::Previous {
            continue;
        }
        for t in trees(build.kind) {
            v.synth(TREES[t].built, vals.revision(build.kind, t));
        }
        for out in outputs(build).iter().filter(|o| o.to_tests) {
            let path = format!("/home/osstest/build.{flight}.{}/{}", build.name, out.path);
            v.synth(out.name, path);
        }
    }
}

/// 24 bits from a job's name (FNV-1a): stable from flight to flight, as
/// osstest's guests' addresses are.
fn guest_nic(job: &str) -> u32 {
    let hash = job.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash & 0xff_ffff
}

/// The runvars a job records about one of its hosts: the host under
/// `host`, `src_host` or `dst_host`.
#[derive(Debug)]
pub(crate) struct IdentVars {
    pub ip: &'static str,
    pub ether: &'static str,
    pub power_method: &'static str,
    pub serial: &'static str,
    pub equiv: &'static str,
    pub cpus: &'static str,
    pub memory: &'static str,
}

macro_rules! ident_vars {
    ($ident:literal) => {
        IdentVars {
            ip: concat!($ident, "_ip"),
            ether: concat!($ident, "_ether"),
            power_method: concat!($ident, "_power_method"),
            serial: concat!($ident, "_serial"),
            equiv: concat!($ident, "_equiv"),
            cpus: concat!($ident, "_cpus"),
            memory: concat!($ident, "_memory"),
        }
    };
}

pub(crate) const HOST_VARS: IdentVars = ident_vars!("host");
pub(crate) const SRC_HOST_VARS: IdentVars = ident_vars!("src_host");
pub(crate) const DST_HOST_VARS: IdentVars = ident_vars!("dst_host");

/// What a job records when it is given a host: the host's properties,
/// under the host's ident.
pub(crate) fn host_facts(v: &mut JobVars<'_>, names: &IdentVars, props: &HostProps) {
    v.synth(names.ip, &props.ip);
    v.synth(names.ether, &props.ether);
    v.synth(names.power_method, &props.power_method);
    v.synth(names.serial, &props.serial);
    v.synth(names.equiv, &props.equiv);
    v.synth(names.cpus, props.cpus);
    v.synth(names.memory, props.memory);
}

/// What a job records once it has its hosts, whatever their number.
pub(crate) fn job_facts(v: &mut JobVars<'_>, vals: &FlightVals) {
    v.synth("syslog_server", &vals.syslog_server);
}
