//! One `record final` call end to end inside the process, over a unix
//! socket to a throwaway cluster, transaction included, on a host that
//! already has N rows. The cost must grow linearly with N.
//!
//! The recorder's statements are prepared once, as a long-lived writer
//! does; it has a connection of its own, as everywhere. Each measured call adds a row; it is removed again outside the
//! timed region so every iteration sees exactly N rows. That reset also
//! vacuums the two tables every 50 calls, as autovacuum keeps up on a live
//! database: otherwise each call would step over the dead versions of all
//! earlier rewrites of the one runvar the benchmark keeps rewriting.
//!
//! Besides criterion's estimates, each size prints the median and 90th
//! percentile of every single timed call (`per-call p50 … p90 …`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "sizes of at most 10,000 rows, and latency quantiles from counts of calls"
)]

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hostlife::db::testdb::TestDb;
use hostlife::lifecycle::Mode;
use hostlife::lifecycle::call::TaskRef;
use hostlife::lifecycle::call::{JobRef, RecordCall, StepRef};

/// A shared build host with `n` rows from jobs across flights (each job
/// preparing, then using the host), plus the caller's job.
fn setup(c: &mut postgres::Client, n: i64) {
    c.batch_execute(
        "INSERT INTO tasks (taskid, type, refkey, live) VALUES (100, 'ownd', 'caller', true);
         INSERT INTO resources (restype, resname, shareix, owntaskid) VALUES ('host', 'bench0', 0, 3);
         INSERT INTO resource_sharing (restype, resname, sharetype, state) VALUES ('host', 'bench0', 'build-amd64', 'ready');
         INSERT INTO flights (flight, blessing, branch) VALUES (1, 'running', 'xen-unstable');
         INSERT INTO jobs (flight, job, recipe, status) VALUES (1, 'caller', 'build', 'running');
         INSERT INTO steps (flight, job, stepno, step, status) VALUES (1, 'caller', 9, 'ts-logs-capture', 'running');",
    )
    .unwrap();
    c.execute(
        "WITH j AS (SELECT g AS i, g / 3 AS job FROM generate_series(0, $1::bigint - 1) g)
         INSERT INTO tasks (taskid, type, refkey, live)
         SELECT DISTINCT 1000 + job, 'ownd', 'bench' || job, job % 11 = 0 FROM j",
        &[&n],
    )
    .unwrap();
    c.execute(
        "WITH j AS (SELECT g AS i, g / 3 AS job FROM generate_series(0, $1::bigint - 1) g)
         INSERT INTO flights (flight, blessing, branch)
         SELECT DISTINCT 100 + job / 40, 'pass', 'xen-unstable' FROM j",
        &[&n],
    )
    .unwrap();
    c.execute(
        "WITH j AS (SELECT g AS i, g / 3 AS job FROM generate_series(0, $1::bigint - 1) g)
         INSERT INTO jobs (flight, job, recipe, status)
         SELECT DISTINCT 100 + job / 40, 'build-' || job, 'build', 'pass' FROM j",
        &[&n],
    )
    .unwrap();
    c.execute(
        "WITH j AS (SELECT g AS i, g / 3 AS job FROM generate_series(0, $1::bigint - 1) g)
         INSERT INTO steps (flight, job, stepno, step, status)
         SELECT 100 + job / 40, 'build-' || job, 2 + i % 3, 'ts-step', 'pass' FROM j",
        &[&n],
    )
    .unwrap();
    c.execute(
        "WITH j AS (SELECT g AS i, g / 3 AS job FROM generate_series(0, $1::bigint - 1) g)
         INSERT INTO host_lifecycle (hostname, taskid, flight, job, stepno, ident, isprep)
         SELECT 'bench0', 1000 + job, 100 + job / 40, 'build-' || job, 2 + i % 3,
                CASE WHEN job % 7 = 0 THEN 'src_host' ELSE 'host' END, i % 3 = 0
           FROM j ORDER BY i",
        &[&n],
    )
    .unwrap();
    c.batch_execute("VACUUM ANALYZE").unwrap();
}

fn record_final(crit: &mut Criterion) {
    let mut g = crit.benchmark_group("record_final");
    g.sample_size(30);
    g.measurement_time(Duration::from_secs(5));
    let call = RecordCall {
        mode: Mode::Final,
        host: "bench0".into(),
        ident: "host".into(),
        job: Some(JobRef {
            flight: 1,
            job: "caller".into(),
        }),
        step: Some(StepRef::Number(9)),
        task: TaskRef::Id { taskid: 100 },
        nested: false,
    };
    for n in [10i64, 100, 1_000, 5_000, 10_000] {
        let db = TestDb::new();
        let mut admin = db.connect();
        setup(&mut admin, n);
        let mut recorder = db.recorder();
        g.throughput(Throughput::Elements(n as u64));
        let mut calls: Vec<Duration> = Vec::new();
        g.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    let out = recorder.record(&call).expect("record final");
                    let took = start.elapsed();
                    total += took;
                    calls.push(took);
                    std::hint::black_box(out);
                    admin
                        .execute("DELETE FROM host_lifecycle WHERE taskid = 100", &[])
                        .unwrap();
                    if calls.len().is_multiple_of(50) {
                        admin
                            .batch_execute("VACUUM host_lifecycle, runvars")
                            .unwrap();
                    }
                }
                total
            });
        });
        if calls.is_empty() {
            // Filtered out on the command line.
            continue;
        }
        calls.sort();
        let at = |q: f64| calls[((calls.len() - 1) as f64 * q) as usize];
        println!(
            "record_final/{n}: per-call p50 {:.2?} p90 {:.2?} over {} calls",
            at(0.5),
            at(0.9),
            calls.len()
        );
    }
    g.finish();
}

criterion_group!(benches, record_final);
criterion_main!(benches);
