//! How long `hostlife suspects` and the hosts' health take on the
//! simulator's data.
//!
//!     cargo bench --bench insight -- [small|medium|large] [--db CONN]
//!
//! Seeds a throwaway database at the scale (default `large`: about
//! 380,000 jobs and 17 million runvars, three to four minutes), or uses
//! the already seeded database `CONN`; `VACUUM ANALYZE`s it, then, 10
//! times after a warm-up, reads the hosts' uses the way the CLI does (one
//! read-only transaction), pairs them into install trials, ranks them,
//! and reads the health of every host with a failed install. Prints the
//! numbers for docs/PERFORMANCE.md, section "Insight".

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

mod common;

use std::time::{Duration, Instant};

use hostlife::db::insight;
use hostlife::db::testdb::TestDb;
use hostlife::db::txn::read_only;
use hostlife::lifecycle::suspects;
use hostlife::sim::{self, Scale, SeedConfig};
use postgres::Client;

use common::{ms, percentile};

const RUNS: usize = 10;

/// Each part's time, per run.
#[derive(Default)]
struct Times {
    read: Vec<Duration>,
    pairing: Vec<Duration>,
    ranking: Vec<Duration>,
    health: Vec<Duration>,
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn row(what: &str, d: &[Duration]) {
    let mut d = d.to_vec();
    d.sort();
    println!(
        "| {what} | {} | {} | {} |",
        ms(percentile(&d, 0.5)),
        ms(percentile(&d, 0.95)),
        ms(*d.last().expect("runs"))
    );
}

/// A database to measure: `CONN`, or a throwaway one seeded at `scale`
/// (kept alive by the returned `TestDb`).
fn database(scale: Scale, conninfo: Option<String>) -> (Option<TestDb>, String) {
    if let Some(c) = conninfo {
        return (None, c);
    }
    let db = TestDb::new();
    let (seeded, took) = timed(|| sim::seed(&db.connector(), &SeedConfig::scale(scale), &|_| {}));
    seeded.expect("seed");
    eprintln!("seeded in {:.1} s", took.as_secs_f64());
    let info = db.read_only_conninfo();
    (Some(db), info)
}

fn describe(client: &mut Client) {
    let counts = client
        .query_one(
            "SELECT (SELECT count(*) FROM jobs), (SELECT count(*) FROM runvars),
                    (SELECT count(*) FROM steps)",
            &[],
        )
        .expect("count");
    println!(
        "{} jobs, {} runvars, {} steps",
        counts.get::<_, i64>(0),
        counts.get::<_, i64>(1),
        counts.get::<_, i64>(2)
    );
}

fn main() {
    let mut scale = Scale::Large;
    let mut conninfo = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bench" => {}
            "small" => scale = Scale::Small,
            "medium" => scale = Scale::Medium,
            "large" => scale = Scale::Large,
            "--db" => conninfo = Some(args.next().expect("--db CONN")),
            other => panic!("unknown argument {other}"),
        }
    }
    let (_db, conninfo) = database(scale, conninfo);
    let mut client = Client::connect(&conninfo, postgres::NoTls).expect("connect");
    // `hostlife suspects` reads the whole lab on two connections.
    let mut helper = Client::connect(&conninfo, postgres::NoTls).expect("connect");
    // As autovacuum would have left a long-lived database.
    client.batch_execute("VACUUM ANALYZE").ok();
    describe(&mut client);
    let mut times = Times::default();
    let mut last = None;
    for run in 0..=RUNS {
        // The reads `insight::trials` makes: the uses, then the runvars
        // that name out-of-job tasks.
        let ((uses, mentions), read) = timed(|| {
            read_only(&mut client, None, |tx| {
                let uses = insight::uses(tx, Some(&mut helper), None)?;
                Ok((uses, insight::mentions(tx, None)?))
            })
            .expect("uses")
        });
        let (trials, pairing) = timed(|| suspects::trials(&uses, &mentions));
        let (report, ranking) = timed(|| suspects::rank(&trials));
        let hosts: Vec<String> = report.hosts.iter().map(|h| h.host.clone()).collect();
        let now = trials.iter().map(|t| t.started).max().unwrap_or(0);
        let (_, health) = timed(|| {
            read_only(&mut client, None, |tx| {
                insight::host_health(tx, &hosts, now)
            })
            .expect("health")
        });
        // The first run warms the caches.
        if run > 0 {
            times.read.push(read);
            times.pairing.push(pairing);
            times.ranking.push(ranking);
            times.health.push(health);
        }
        let pairs = trials.iter().map(|t| t.predecessors.len()).sum::<usize>();
        let tasks = trials.iter().map(|t| t.tasks.len()).sum::<usize>();
        last = Some((uses.len(), trials.len(), pairs, tasks, report));
    }
    let (uses, trials, pairs, tasks, report) = last.expect("runs");
    println!(
        "{uses} host uses, {trials} trials ({} failed), {pairs} trial-predecessor pairs, \
         {tasks} trial-task pairs, {} job names with a failure, {} hosts with failed installs\n",
        report.failed,
        report.suspects.len(),
        report.hosts.len()
    );
    println!("| part ({RUNS} runs) | p50 | p95 | max |\n| --- | --- | --- | --- |");
    let total: Vec<Duration> = (0..RUNS)
        .map(|i| times.read[i] + times.pairing[i] + times.ranking[i])
        .collect();
    row(
        "`db::insight::uses` and `mentions` (the reads)",
        &times.read,
    );
    row("`suspects::trials` (pairing)", &times.pairing);
    row("`suspects::rank`", &times.ranking);
    row("all three: `hostlife suspects`", &total);
    row(
        "`db::insight::host_health`, every host with a failed install",
        &times.health,
    );
    let flagged: Vec<&str> = report
        .suspects
        .iter()
        .filter(|s| s.flagged)
        .map(|s| s.job.as_str())
        .collect();
    let hosts = report.hosts.iter().filter(|h| h.flagged).count();
    println!("\nflagged: {flagged:?}; {hosts} hosts flagged");
}
