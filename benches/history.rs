//! The reads at a small real installation's scale, and what `db upgrade`
//! costs osstest's writers.
//!
//!     cargo bench --bench history [-- --jobs N]
//!
//! Not part of `cargo test`: building the database takes a minute or two.
//! Prints the numbers for docs/PERFORMANCE.md, section "Reads at scale".
//!
//! The database is osstest's layout (`db init`) with 200,000 jobs of 50
//! runvars each (10,000,000 runvars), 4,000 flights of 50 jobs, made with
//! `generate_series` in the server:
//!
//! - per flight, 10 build jobs on 8 shared build hosts (`bhost*`: 5,000
//!   jobs each, the busy hosts), 35 test jobs on 300 test hosts
//!   (`thost*`), and 5 pair jobs naming two test hosts as `src_host` and
//!   `dst_host` (no `host`);
//! - each job: its ident runvars and their `*_lifecycle` runvars, and
//!   filler runvars (revisions, trees, paths; a few NULL) up to 50;
//! - 4 steps per job; `host_lifecycle` rows (prep and use) for the jobs of
//!   the newest 100 flights, with their tasks, the newest 3 flights' live;
//! - a host (`ihost0`) with resources, flags and properties that no
//!   runvar names.
//!
//! Then `VACUUM ANALYZE`, as autovacuum leaves a long-lived database, and,
//! as role `osstest_ro`, each read the way the CLI runs it (one read-only
//! transaction on an open connection), 50 times after a warm-up.
//!
//! Last, the writers beside an upgrade: `runvars_host_idx` is dropped and
//! one connection inserts runvars one row per transaction (as osstest
//! does, autocommit) while `db upgrade` rebuilds it, then while a plain
//! `CREATE INDEX` would, for contrast; each insert's latency is recorded.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use hostlife::db::read;
use hostlife::db::testdb::TestDb;
use hostlife::db::upgrade;

use common::{ms, percentile};

const RUNVARS_PER_JOB: i64 = 50;
const JOBS_PER_FLIGHT: i64 = 50;
const BUILD_HOSTS: i64 = 8;
const TEST_HOSTS: i64 = 300;
/// Flights whose jobs have `host_lifecycle` rows (the rest were wiped).
const LIVE_FLIGHTS: i64 = 100;
const RUNS: usize = 50;
const FIRST_FLIGHT: i64 = 100_000;

/// The runvars a job has besides its idents and their lifecycles, named
/// as osstest names them.
const FILLER: [&str; 48] = [
    "arch",
    "buildjob",
    "kernbuildjob",
    "xenbuildjob",
    "toolstack",
    "enable_xsm",
    "enable_ovmf",
    "kernkind",
    "debian_suite",
    "debian_arch",
    "debian_kernkind",
    "debian_method",
    "all_hostflags",
    "host_hostflags",
    "tree_xen",
    "tree_qemu",
    "tree_qemuu",
    "tree_linux",
    "tree_ovmf",
    "tree_seabios",
    "tree_minios",
    "revision_xen",
    "revision_qemu",
    "revision_qemuu",
    "revision_linux",
    "revision_ovmf",
    "revision_seabios",
    "revision_minios",
    "built_revision_xen",
    "built_revision_qemu",
    "built_revision_qemuu",
    "built_revision_linux",
    "built_revision_ovmf",
    "built_revision_seabios",
    "built_revision_minios",
    "path_xendist",
    "path_kernel",
    "path_xenlptdist",
    "path_dist",
    "path_hvmloader",
    "syslog_server",
    "host_ip",
    "host_power_method",
    "guests_debian_suite",
    "guests_vcpus",
    "guests_memory",
    "test_id",
    "recipe_netboot",
];

#[allow(
    clippy::too_many_lines,
    reason = "the database built in the server, one table after another"
)]
fn populate(c: &mut postgres::Client, jobs: i64) {
    let started = Instant::now();
    let filler = FILLER
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(",");
    let flights = jobs / JOBS_PER_FLIGHT;
    let last = FIRST_FLIGHT + flights - 1;
    let live_from = last - LIVE_FLIGHTS + 1;
    // The layout's own index definitions, to build them again after the
    // load (a sorted build is far quicker than 10,000,000 inserts into
    // them).
    let host_idx: String = c
        .query_one("SELECT pg_get_indexdef('runvars_host_idx'::regclass)", &[])
        .expect("runvars_host_idx")
        .get(0);
    let sql = format!(
        "
        SET maintenance_work_mem = '512MB';
        SET synchronous_commit = off;
        -- job j: its flight, name and hosts. k is its place in the flight.
        CREATE TEMP TABLE gen AS
        SELECT j, k, {FIRST_FLIGHT} + j / {JOBS_PER_FLIGHT} AS flight,
               CASE WHEN k < 10 THEN 'build-' || (ARRAY['amd64','i386','arm64','armhf','amd64-xsm'])[k % 5 + 1] || '-' || k
                    WHEN k < 45 THEN 'test-amd64-amd64-' || k
                    ELSE 'test-amd64-amd64-pair-' || k END AS job,
               CASE WHEN k < 10 THEN 'bhost' || (j % {BUILD_HOSTS})
                    ELSE 'thost' || lpad(((j::bigint * 7919) % {TEST_HOSTS})::text, 3, '0') END AS host,
               'thost' || lpad(((j::bigint * 7919 + 1) % {TEST_HOSTS})::text, 3, '0') AS host2
          FROM (SELECT j, j % {JOBS_PER_FLIGHT} AS k FROM generate_series(0, {jobs} - 1) j) s;

        INSERT INTO flights (flight, started, blessing, branch)
        SELECT f, 1600000000 + (f - {FIRST_FLIGHT}) * 3600,
               CASE WHEN f > {last} - 3 THEN 'running' ELSE 'real' END,
               (ARRAY['xen-unstable','linux-linus','qemu-upstream-unstable','osstest'])[f % 4 + 1]
          FROM generate_series({FIRST_FLIGHT}, {last}) f;
        SELECT setval('flights_flight_seq', {last});
        INSERT INTO jobs (flight, job, recipe, status)
        SELECT flight, job, CASE WHEN k < 10 THEN 'build' ELSE 'test-debian' END,
               (ARRAY['pass','pass','pass','fail','broken'])[j % 5 + 1] FROM gen;
        INSERT INTO steps (flight, job, stepno, step, status, testid, started, finished)
        SELECT flight, job, s,
               (ARRAY['hosts-allocate','host-install(3)','xen-install','debian-install'])[s],
               'pass', NULL, 1600000000 + (flight - {FIRST_FLIGHT}) * 3600 + s * 300,
               1600000000 + (flight - {FIRST_FLIGHT}) * 3600 + s * 300 + 240
          FROM gen, generate_series(1, 4) s;

        ALTER TABLE runvars DROP CONSTRAINT runvars_pkey;
        DROP INDEX runvars_host_idx;
        -- Idents: host, or src_host and dst_host for a pair job.
        INSERT INTO runvars (flight, job, name, val, synth)
        SELECT flight, job, i.name, i.val, false
          FROM gen, LATERAL (VALUES ('host', host), ('src_host', host), ('dst_host', host2)) i(name, val)
         WHERE (k < 45) = (i.name = 'host');
        -- Their lifecycles, as the recorder writes them.
        INSERT INTO runvars (flight, job, name, val, synth)
        SELECT flight, job, name || '_lifecycle',
               '@' || (flight - 1) || '.build-amd64-0:2 3 +?' || (j % 97) || ' :2 +', true
          FROM runvars r JOIN gen USING (flight, job)
         WHERE r.name IN ('host', 'src_host', 'dst_host');
        -- Filler up to {RUNVARS_PER_JOB} a job; one in 40 NULL.
        INSERT INTO runvars (flight, job, name, val, synth)
        SELECT flight, job, n.name,
               CASE WHEN (j + n.i) % 40 = 0 THEN NULL
                    WHEN n.name LIKE '%revision%' THEN md5(flight || n.name) || substr(md5(n.name), 1, 8)
                    WHEN n.name LIKE 'path%' THEN '/home/osstest/build.' || flight || '.' || job || '/' || n.name
                    WHEN n.name LIKE 'tree%' THEN 'git://xenbits.xen.org/' || substr(n.name, 6) || '.git'
                    ELSE 'value-' || (j % 13) END,
               n.name LIKE 'built%' OR n.name LIKE 'path%'
          FROM gen, unnest(ARRAY[{filler}]) WITH ORDINALITY n(name, i)
         WHERE n.i <= {RUNVARS_PER_JOB} - CASE WHEN k < 45 THEN 2 ELSE 4 END;
        ALTER TABLE runvars ADD CONSTRAINT runvars_pkey PRIMARY KEY (flight, job, name);
        {host_idx};

        -- The newest flights' tasks and lifecycle rows (prep, then use);
        -- older rows were wiped.
        INSERT INTO tasks (taskid, type, refkey, live)
        SELECT 1000 + j, 'ownd', 'job' || j, flight > {last} - 3 FROM gen WHERE flight >= {live_from};
        SELECT setval('tasks_taskid_seq', (SELECT max(taskid) FROM tasks));
        INSERT INTO host_lifecycle (hostname, lcseq, taskid, flight, job, stepno, ident, isprep)
        SELECT host, 2 * j + s, 1000 + j, flight, job, s + 1, CASE WHEN k < 45 THEN 'host' ELSE 'src_host' END, s = 1
          FROM gen, generate_series(1, 2) s WHERE flight >= {live_from}
         ORDER BY j, s;
        SELECT setval('host_lifecycle_lcseq_seq', (SELECT max(lcseq) FROM host_lifecycle));

        -- Every host: a resources row, flags, properties; build hosts
        -- shared four ways; one host no runvar names.
        CREATE TEMP TABLE hosts AS
        SELECT DISTINCT host AS h FROM gen UNION SELECT 'ihost0';
        INSERT INTO resources (restype, resname, shareix, owntaskid)
        SELECT 'host', h, 0, CASE WHEN h LIKE 'bhost%' THEN 3 ELSE 1 END FROM hosts;
        INSERT INTO resource_sharing (restype, resname, sharetype, state, wear)
        SELECT 'host', h, 'build-amd64', 'ready', 0 FROM hosts WHERE h LIKE 'bhost%';
        INSERT INTO resources (restype, resname, shareix, owntaskid)
        SELECT 'share-host', h, i, 2 FROM hosts, generate_series(1, 4) i WHERE h LIKE 'bhost%';
        INSERT INTO hostflags (hostname, hostflag)
        SELECT h, f FROM hosts,
               unnest(ARRAY['arch-amd64', 'blessed-real', 'equiv-' || substr(h, 1, 5),
                            CASE WHEN h LIKE 'bhost%' THEN 'purpose-build' ELSE 'purpose-test' END]) f;
        INSERT INTO resource_properties (restype, resname, name, val)
        SELECT 'host', h, p, p || '-of-' || h FROM hosts, unnest(ARRAY['Ether', 'PowerMethod', 'Serial']) p;
        DROP TABLE gen, hosts;
        "
    );
    c.batch_execute(&sql).expect("populate");
    c.batch_execute("VACUUM ANALYZE").expect("vacuum");
    let (runvars, size): (i64, String) = c
        .query_one(
            "SELECT count(*), pg_size_pretty(pg_total_relation_size('runvars')) FROM runvars",
            &[],
        )
        .map(|r| (r.get(0), r.get(1)))
        .expect("count");
    let lc: i64 = c
        .query_one("SELECT count(*) FROM host_lifecycle", &[])
        .expect("count")
        .get(0);
    println!(
        "database: {jobs} jobs, {flights} flights, {runvars} runvars ({size} with indexes), \
         {lc} host_lifecycle rows; built in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

struct Stats {
    sorted: Vec<Duration>,
}

impl Stats {
    fn of(mut samples: Vec<Duration>) -> Stats {
        samples.sort();
        Stats { sorted: samples }
    }
    fn at(&self, q: f64) -> Duration {
        percentile(&self.sorted, q)
    }
    fn max(&self) -> Duration {
        *self.sorted.last().expect("samples")
    }
}

/// Time `f` [`RUNS`] times after two warm-up runs; print a row.
fn time<T>(what: &str, mut f: impl FnMut() -> T, describe: impl Fn(&T) -> String) {
    let mut out = f();
    f();
    let samples = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            out = f();
            t.elapsed()
        })
        .collect();
    let s = Stats::of(samples);
    println!(
        "| {what} | {} | {} | {} | {} |",
        ms(s.at(0.5)),
        ms(s.at(0.95)),
        ms(s.max()),
        describe(&out)
    );
}

fn reads(db: &TestDb) {
    let mut c = postgres::Client::connect(&db.read_only_conninfo(), postgres::NoTls)
        .expect("connect as osstest_ro");
    println!("\nreads, as osstest_ro, {RUNS} runs each:\n");
    println!("| read | p50 | p95 | max | answer |\n| --- | --- | --- | --- | --- |");
    let history = |c: &mut postgres::Client, host: &str, before: Option<i32>| {
        hostlife::db::txn::read_only(c, None, |tx| read::history_page(tx, host, 200, before))
            .expect("history")
    };
    let jobs = |(e, more): &(Vec<hostlife::lifecycle::report::HistoryEntry>, bool)| {
        let flights = e
            .iter()
            .map(|e| e.flight)
            .collect::<std::collections::BTreeSet<_>>();
        format!(
            "{} jobs in {} flights{}",
            e.len(),
            flights.len(),
            if *more { ", more before" } else { "" }
        )
    };
    time(
        "`history bhost0` (busy build host, 200 newest jobs)",
        || history(&mut c, "bhost0", None),
        jobs,
    );
    let (page, _) = history(&mut c, "bhost0", None);
    let before = page.last().map(|e| e.flight);
    time(
        "`history bhost0 --before F` (its next page)",
        || history(&mut c, "bhost0", before),
        jobs,
    );
    time(
        "`history bhost0 --before 100100` (its oldest page)",
        || history(&mut c, "bhost0", Some(100_100)),
        jobs,
    );
    time(
        "`history thost042` (test host, pair jobs too)",
        || history(&mut c, "thost042", None),
        jobs,
    );
    time(
        "`history ihost0` (a host no runvar names)",
        || history(&mut c, "ihost0", None),
        jobs,
    );
    time(
        "`history nosuch` (no such host: the error and its suggestion)",
        || {
            hostlife::db::txn::read_only(&mut c, None, |tx| {
                read::history_page(tx, "nosuch", 200, None)
            })
            .is_err()
        },
        |e| {
            if *e {
                "refused".into()
            } else {
                "answered".into()
            }
        },
    );
    time(
        "`hosts`",
        || hostlife::db::txn::read_only(&mut c, None, |tx| read::hosts(tx)).expect("hosts"),
        |h| format!("{} hosts", h.len()),
    );
    time(
        "`show bhost0`",
        || hostlife::db::txn::read_only(&mut c, None, |tx| read::show(tx, "bhost0")).expect("show"),
        |d| format!("{} rows", d.rows.len()),
    );
    time(
        "`show thost042`",
        || {
            hostlife::db::txn::read_only(&mut c, None, |tx| read::show(tx, "thost042"))
                .expect("show")
        },
        |d| format!("{} rows", d.rows.len()),
    );

    // The plan: through osstest's index, newest first, no sort of the
    // host's every row.
    let explain = format!(
        "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {}",
        read::HISTORY_QUERY
    );
    let plan: Vec<String> = c
        .query(&explain, &[&"bhost0", &i32::MAX, &201i64])
        .expect("explain")
        .iter()
        .map(|r| r.get(0))
        .collect();
    println!("\n`history bhost0`'s query:\n");
    for line in plan {
        println!("    {line}");
    }
}

/// Insert runvars one per transaction until `stop`; each one's latency.
fn inserter(
    db: &TestDb,
    stop: Arc<AtomicBool>,
    tag: &'static str,
) -> thread::JoinHandle<Vec<Duration>> {
    let mut c = db.connect();
    thread::spawn(move || {
        let insert = c
            .prepare(
                "INSERT INTO runvars (flight, job, name, val, synth) VALUES (1, $1, $2, 'bhost0', false)",
            )
            .expect("prepare");
        let mut waits = Vec::new();
        let mut i = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let name = format!("r{i}_host");
            let t = Instant::now();
            c.execute(&insert, &[&tag, &name]).expect("insert");
            waits.push(t.elapsed());
            i += 1;
        }
        waits
    })
}

/// Run `build` while one connection inserts; print the inserts' waits.
fn beside(db: &TestDb, what: &str, tag: &'static str, build: impl FnOnce() -> String) {
    let stop = Arc::new(AtomicBool::new(false));
    let writer = inserter(db, stop.clone(), tag);
    // Let the writer get going before the build starts.
    thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let done = build();
    let took = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    let waits = Stats::of(writer.join().expect("writer"));
    println!(
        "| {what} | {:.1} s | {} | {} | {} | {} | {done} |",
        took.as_secs_f64(),
        waits.sorted.len(),
        ms(waits.at(0.5)),
        ms(waits.at(0.99)),
        ms(waits.max()),
    );
}

fn upgrade_beside_writers(db: &TestDb) {
    let mut admin = db.admin();
    let drop = |admin: &mut postgres::Client| {
        admin
            .batch_execute("DROP INDEX runvars_host_idx")
            .expect("drop runvars_host_idx");
    };
    println!("\nrunvars inserts (one a transaction) beside index builds on runvars:\n");
    println!(
        "| beside | build took | inserts | insert p50 | p99 | max | done |\n| --- | --- | --- | --- | --- | --- | --- |"
    );
    beside(db, "nothing (5 s)", "idle", || {
        thread::sleep(Duration::from_secs(5));
        "-".into()
    });
    drop(&mut admin);
    beside(
        db,
        "`db upgrade` (CREATE INDEX CONCURRENTLY)",
        "upgrade",
        || {
            let mut owner = db.connect();
            let report = upgrade::upgrade(&mut owner, false).expect("upgrade");
            report
                .steps
                .iter()
                .map(|s| s.what.clone())
                .collect::<Vec<_>>()
                .join("; ")
        },
    );
    drop(&mut admin);
    beside(db, "a plain CREATE INDEX, for contrast", "plain", || {
        let mut owner = db.connect();
        owner
            .batch_execute(
                "CREATE INDEX runvars_host_idx ON runvars (val, flight)
                  WHERE name::text = 'host'::text OR name::text ~~ '%\\_host'::text",
            )
            .expect("create index");
        "built".into()
    });
}

fn main() {
    let mut jobs = 200_000;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bench" => {}
            "--jobs" => jobs = args.next().and_then(|n| n.parse().ok()).expect("--jobs N"),
            other => panic!("unknown argument {other}"),
        }
    }
    let db = TestDb::new();
    let mut owner = db.connect();
    populate(&mut owner, jobs);
    reads(&db);
    upgrade_beside_writers(&db);
}
