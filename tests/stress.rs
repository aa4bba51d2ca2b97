#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]
//! Many writers at once, as a busy lab's osstest makes them: every call
//! commits whole or fails with a clear error, none gives up on transient
//! contention, the table holds exactly the rows the calls say they wrote
//! (less those the wipes say they removed), and every runvar decodes.
//!
//! The size comes from `HOSTLIFE_STRESS_SCALE`: unset, a small run for
//! the normal test suite; `full`, the sizes docs/RELIABILITY.md reports:
//!
//! ```text
//! HOSTLIFE_STRESS_SCALE=full cargo test --test stress -- --nocapture --test-threads 1
//! ```

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use hostlife::db::testdb::TestDb;
use hostlife::db::wipe;
use hostlife::lifecycle::call::{JobRef, RecordCall, RecordOutcome, StepRef, TaskRef, WipeCall};
use hostlife::lifecycle::{self, Mode};

const FLIGHT: i32 = 50;
/// The steps each job calls selectprep, select and final in.
const STEPS: [(Mode, i32); 3] = [(Mode::SelectPrep, 2), (Mode::Select, 3), (Mode::Final, 4)];

struct Size {
    writers: usize,
    /// Calls per writer (three per job).
    calls: usize,
    hosts: usize,
    /// A writer that holds a host wipes it after every this many jobs
    /// (none if 0).
    wipe_every: usize,
}

fn full() -> bool {
    std::env::var("HOSTLIFE_STRESS_SCALE").is_ok_and(|s| s == "full")
}

fn job(writer: usize, n: usize) -> String {
    format!("test-amd64-w{writer}-j{n}")
}

fn taskid(writer: usize) -> i32 {
    100 + i32::try_from(writer).unwrap()
}

/// The operator's task, which holds the hosts and wipes them: it records
/// nothing, so each wipe removes every row the host has.
const OPERATOR: i32 = 99;

/// One running flight with every writer's jobs and their steps, a live
/// task per writer, and the hosts, held by the operator's task.
fn setup(c: &mut postgres::Client, size: &Size) {
    common::busy_flight(c, FLIGHT, size.writers, size.calls.div_ceil(3), job);
    c.execute(
        "INSERT INTO tasks (taskid, type, refkey, live) VALUES ($1, 'static', 'ops@lab', true)",
        &[&OPERATOR],
    )
    .unwrap();
    for k in 0..size.hosts {
        c.execute(
            "INSERT INTO resources (restype, resname, shareix, owntaskid, subtask)
             VALUES ('host', $1, 0, $2, '')",
            &[&host(k), &OPERATOR],
        )
        .unwrap();
    }
}

fn host(k: usize) -> String {
    format!("rack{k}")
}

/// What one writer's calls did.
#[derive(Default)]
struct Tally {
    /// Calls that wrote a row (not the early return of a repeated mode).
    rows_written: u64,
    early_returns: u64,
    rows_wiped: u64,
    wipes: u64,
    /// The out-of-job rows the manual wipes recorded.
    wipe_rows: u64,
    /// Calls that failed, with their errors.
    failures: Vec<String>,
    gave_up: u64,
    slowest: Duration,
}

fn writer(db: &TestDb, size: &Size, w: usize, tally: &Mutex<Tally>) {
    let mut recorder = db.recorder();
    let mut wiper = db.connect();
    let mut mine = Tally::default();
    for i in 0..size.calls {
        let n = i / 3;
        let (mode, stepno) = STEPS[i % 3];
        let call = RecordCall {
            mode,
            host: host((w + n) % size.hosts),
            ident: "host".into(),
            job: Some(JobRef {
                flight: FLIGHT,
                job: job(w, n),
            }),
            step: Some(StepRef::Number(stepno)),
            task: TaskRef::Id { taskid: taskid(w) },
            nested: false,
        };
        let started = Instant::now();
        match recorder.record(&call) {
            Ok(RecordOutcome::Recorded { .. } | RecordOutcome::OutOfJob { .. }) => {
                mine.rows_written += 1;
            }
            Ok(RecordOutcome::Unchanged { .. } | RecordOutcome::Nested) => mine.early_returns += 1,
            Err(e) => {
                mine.gave_up += u64::from(e.is_contended());
                mine.failures.push(format!("writer {w} call {i}: {e}"));
            }
        }
        mine.slowest = mine.slowest.max(started.elapsed());
        // Writer `k` wipes host `k` now and then for the operator, as after
        // a reinstall, while the others go on using it.
        let wipes_now = size.wipe_every > 0 && i % 3 == 2 && (n + 1) % size.wipe_every == 0;
        if wipes_now && w < size.hosts {
            let call = WipeCall {
                host: host(w),
                task: TaskRef::Id { taskid: OPERATOR },
                job: None,
            };
            // A manual wipe, as an operator's after a reinstall by hand:
            // an out-of-job row first, then every row before it goes.
            match wipe::wipe_manual(&mut wiper, &call) {
                Ok(outcome) => {
                    mine.rows_wiped += outcome.deleted;
                    mine.wipe_rows += u64::from(outcome.recorded_lcseq.is_some());
                    mine.wipes += 1;
                }
                Err(e) => {
                    mine.gave_up += u64::from(e.is_contended());
                    mine.failures
                        .push(format!("writer {w} wipe after call {i}: {e}"));
                }
            }
        }
    }
    let mut t = tally.lock().unwrap();
    t.rows_written += mine.rows_written;
    t.early_returns += mine.early_returns;
    t.rows_wiped += mine.rows_wiped;
    t.wipes += mine.wipes;
    t.wipe_rows += mine.wipe_rows;
    t.failures.extend(mine.failures);
    t.gave_up += mine.gave_up;
    t.slowest = t.slowest.max(mine.slowest);
}

fn run(name: &str, size: &Size) {
    let db = TestDb::new();
    let mut c = db.connect();
    setup(&mut c, size);
    let tally = Mutex::new(Tally::default());
    let started = Instant::now();
    std::thread::scope(|s| {
        for w in 0..size.writers {
            let (db, tally) = (&db, &tally);
            s.spawn(move || writer(db, size, w, tally));
        }
    });
    let elapsed = started.elapsed();
    let t = tally.into_inner().unwrap();

    assert_eq!(
        t.gave_up, 0,
        "calls gave up on contention: {:#?}",
        t.failures
    );
    assert!(t.failures.is_empty(), "{:#?}", t.failures);
    assert_eq!(
        t.rows_written + t.early_returns,
        u64::try_from(size.writers * size.calls).unwrap(),
        "every call accounted for"
    );
    let rows: i64 = c
        .query_one("SELECT count(*) FROM host_lifecycle", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        u64::try_from(rows).unwrap(),
        t.rows_written + t.wipe_rows - t.rows_wiped,
        "rows = rows written by committed calls and wipes - rows the wipes removed"
    );
    // Each row a call wrote has its runvar, and each runvar decodes.
    let runvars = c
        .query(
            "SELECT job, name, val FROM runvars WHERE flight = $1 AND name LIKE '%\\_lifecycle'",
            &[&FLIGHT],
        )
        .unwrap();
    let jobs_used = size.writers * size.calls.div_ceil(3);
    assert_eq!(runvars.len(), jobs_used, "one runvar per job");
    for r in &runvars {
        let (job, val): (String, Option<String>) = (r.get(0), r.get(2));
        let val = val.unwrap_or_else(|| panic!("{job}: NULL runvar"));
        lifecycle::decode(&val).unwrap_or_else(|e| panic!("{job}: {val:?}: {e}"));
    }
    let orphans: i64 = c
        .query_one(
            "SELECT count(*) FROM host_lifecycle l WHERE l.flight IS NOT NULL AND NOT EXISTS
               (SELECT 1 FROM runvars r WHERE r.flight = l.flight AND r.job = l.job
                   AND r.name = l.ident || '_lifecycle')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(orphans, 0, "rows without their runvar");
    let calls = size.writers * size.calls;
    eprintln!(
        "{name}: {} writers x {} calls on {} host(s): {calls} calls, {} wipes, \
         {} rows written by calls and {} by wipes, {} removed by wipes, {} early returns, 0 given up; \
         {:.1} s, {:.0} calls/s, slowest call {} ms",
        size.writers,
        size.calls,
        size.hosts,
        t.wipes,
        t.rows_written,
        t.wipe_rows,
        t.rows_wiped,
        t.early_returns,
        elapsed.as_secs_f64(),
        f64::from(u32::try_from(calls).unwrap()) / elapsed.as_secs_f64(),
        t.slowest.as_millis(),
    );
}

#[test]
fn many_writers_on_three_hosts_with_wipes() {
    let size = if full() {
        Size {
            writers: 16,
            calls: 200,
            hosts: 3,
            wipe_every: 5,
        }
    } else {
        Size {
            writers: 6,
            calls: 30,
            hosts: 3,
            wipe_every: 3,
        }
    };
    run("three hosts with wipes", &size);
}

#[test]
fn many_writers_on_one_host() {
    let size = if full() {
        Size {
            writers: 32,
            calls: 100,
            hosts: 1,
            wipe_every: 0,
        }
    } else {
        Size {
            writers: 12,
            calls: 15,
            hosts: 1,
            wipe_every: 0,
        }
    };
    run("one host", &size);
}
