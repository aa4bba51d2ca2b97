#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]
//! Writes under faults: backends terminated at random moments by an
//! administrator, and the server restarted under a write loop. Whatever
//! the moment, a call's row and its job's runvar are written together or
//! not at all: no row is without its runvar, and no runvar lists a step
//! of its own job that has no row. A call either succeeds (redone on a
//! new connection if its connection was lost before COMMIT) or says
//! plainly that its outcome is unknown.
//!
//! `HOSTLIFE_FAULTS_SCALE=full` runs the sizes docs/RELIABILITY.md
//! reports:
//!
//! ```text
//! HOSTLIFE_FAULTS_SCALE=full cargo test --test faults -- --nocapture --test-threads 1
//! ```

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hostlife::db::Error;
use hostlife::db::connect::Connector;
use hostlife::db::record::Recorder;
use hostlife::db::testdb::TestDb;
use hostlife::lifecycle::call::{JobRef, RecordCall, StepRef, TaskRef};
use hostlife::lifecycle::{self, Mode, ResolvedKind};

const FLIGHT: i32 = 70;
const STEPS: [(Mode, i32); 3] = [(Mode::SelectPrep, 2), (Mode::Select, 3), (Mode::Final, 4)];

fn full() -> bool {
    std::env::var("HOSTLIFE_FAULTS_SCALE").is_ok_and(|s| s == "full")
}

fn job(writer: usize, n: usize) -> String {
    format!("test-amd64-f{writer}-j{n}")
}

fn taskid(writer: usize) -> i32 {
    100 + i32::try_from(writer).unwrap()
}

fn setup(db: &TestDb, writers: usize, calls: usize) {
    let mut c = db.connect();
    common::busy_flight(&mut c, FLIGHT, writers, calls.div_ceil(3), job);
    c.execute(
        "INSERT INTO resources (restype, resname, shareix, owntaskid, subtask)
         VALUES ('host', 'rack0', 0, 100, '')",
        &[],
    )
    .unwrap();
}

/// What a writer's calls came to.
#[derive(Default, Debug)]
struct Outcomes {
    ok: u64,
    unknown: u64,
    /// Anything else: each must still be a clear error, and is counted.
    other: Vec<String>,
}

/// Calls selectprep, select and final for one job after another on the
/// one host, redoing on a new connection what was lost before COMMIT.
fn write_loop(db: &TestDb, w: usize, calls: usize, progress: &AtomicU64) -> Outcomes {
    let mut recorder = Recorder::connect(db.config())
        .unwrap()
        .reconnecting_with(Connector::plain(db.config().clone()));
    let mut out = Outcomes::default();
    for i in 0..calls {
        let (mode, stepno) = STEPS[i % 3];
        let call = RecordCall {
            mode,
            host: "rack0".into(),
            ident: "host".into(),
            job: Some(JobRef {
                flight: FLIGHT,
                job: job(w, i / 3),
            }),
            step: Some(StepRef::Number(stepno)),
            task: TaskRef::Id { taskid: taskid(w) },
            nested: false,
        };
        match recorder.record(&call) {
            Ok(_) => out.ok += 1,
            Err(e @ Error::OutcomeUnknown { .. }) => {
                assert!(e.to_string().contains("hostlife show rack0"), "{e}");
                out.unknown += 1;
            }
            Err(e) => out.other.push(e.to_string()),
        }
        progress.fetch_add(1, Ordering::Relaxed);
    }
    out
}

/// The invariant: rows and runvars agree, job by job. A call writes its
/// row and rewrites its job's runvar to the listing of the rows before
/// it, then its sigil. So whichever calls of a job committed, its runvar
/// exists exactly when it has rows, carries the sigil of the call that
/// wrote its last row (`@` selectprep, `+` select, none for final), and
/// lists as its own the steps of every other row of the job. A row whose
/// runvar was not written, or a runvar whose row was not, breaks one of
/// these. Returns the number of rows and of runvars checked.
fn check_rows_match_runvars(db: &TestDb) -> (usize, usize) {
    let mut c = db.connect();
    let mut rows: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
    for r in c
        .query(
            "SELECT job, stepno FROM host_lifecycle WHERE flight = $1 AND ident = 'host'",
            &[&FLIGHT],
        )
        .unwrap()
    {
        rows.entry(r.get(0)).or_default().insert(r.get(1));
    }
    let runvars = c
        .query(
            "SELECT job, val FROM runvars WHERE flight = $1 AND name = 'host_lifecycle'",
            &[&FLIGHT],
        )
        .unwrap();
    let mut checked = BTreeSet::new();
    for r in &runvars {
        let (job, val): (String, Option<String>) = (r.get(0), r.get(1));
        let val = val.unwrap_or_else(|| panic!("{job}: NULL runvar"));
        let decoded = lifecycle::decode(&val).unwrap_or_else(|e| panic!("{job}: {val:?}: {e}"));
        let own: BTreeSet<i32> = decoded
            .resolve(FLIGHT, &job)
            .into_iter()
            .filter_map(|e| match e.kind {
                ResolvedKind::Step {
                    stepno, own: true, ..
                } => Some(stepno),
                _ => None,
            })
            .collect();
        let steps = rows
            .get(&job)
            .unwrap_or_else(|| panic!("{job}: runvar {val:?} without any row"));
        let last = *steps.last().unwrap();
        let before: BTreeSet<i32> = steps.iter().copied().filter(|&s| s != last).collect();
        assert_eq!(
            own, before,
            "{job}: rows at steps {steps:?}, runvar {val:?}"
        );
        let sigil = STEPS
            .iter()
            .find(|(_, s)| *s == last)
            .and_then(|(mode, _)| mode.sigil());
        assert_eq!(
            decoded.sigil, sigil,
            "{job}: last row at step {last}, runvar {val:?}"
        );
        checked.insert(job);
    }
    for job in rows.keys() {
        assert!(
            checked.contains(job),
            "{job}: rows {:?} without a runvar",
            rows[job]
        );
    }
    (rows.values().map(BTreeSet::len).sum(), runvars.len())
}

/// Ends every connection to the test's database but the admin's own.
fn terminate_all(admin: &mut postgres::Client) -> u64 {
    admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .map_or(0, |r| u64::try_from(r.get::<_, i64>(0)).unwrap())
}

/// A small fast generator: the moments need only be spread, not secret.
struct Moments(u64);

impl Moments {
    fn next_ms(&mut self, max: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % max
    }
}

#[test]
fn terminated_backends_never_split_a_row_from_its_runvar() {
    let (writers, calls) = if full() { (4, 600) } else { (2, 90) };
    let db = TestDb::new();
    setup(&db, writers, calls);
    let stop = AtomicBool::new(false);
    let kills = AtomicU64::new(0);
    let started = Instant::now();
    let outcomes: Vec<Outcomes> = std::thread::scope(|s| {
        let killer = s.spawn(|| {
            let mut admin = db.admin();
            let mut moments = Moments(0x9e37_79b9_7f4a_7c15);
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1 + moments.next_ms(40)));
                kills.fetch_add(terminate_all(&mut admin), Ordering::Relaxed);
            }
        });
        let loops: Vec<_> = (0..writers)
            .map(|w| {
                let db = &db;
                s.spawn(move || write_loop(db, w, calls, &AtomicU64::new(0)))
            })
            .collect();
        let outcomes = loops.into_iter().map(|h| h.join().unwrap()).collect();
        stop.store(true, Ordering::Relaxed);
        killer.join().unwrap();
        outcomes
    });
    let elapsed = started.elapsed();
    let (rows, runvars) = check_rows_match_runvars(&db);
    let ok: u64 = outcomes.iter().map(|o| o.ok).sum();
    let unknown: u64 = outcomes.iter().map(|o| o.unknown).sum();
    let other: Vec<&String> = outcomes.iter().flat_map(|o| &o.other).collect();
    let kills = kills.load(Ordering::Relaxed);
    eprintln!(
        "terminations: {writers} writers x {calls} calls, {kills} backends terminated: \
         {ok} calls done, {unknown} outcome unknown, {} other errors; \
         {rows} rows, {runvars} runvars, all agreeing; {:.1} s",
        other.len(),
        elapsed.as_secs_f64()
    );
    assert!(kills > 0, "nothing was terminated: the test tried no fault");
    // Each call either went through, or said it may have; a loss before
    // COMMIT is redone, never reported.
    assert!(other.is_empty(), "{other:#?}");
    assert!(ok > 0);
    // Every call reported done wrote its row; of those whose outcome was
    // unknown, some may have.
    let rows = u64::try_from(rows).unwrap();
    assert!(
        ok <= rows && rows <= ok + unknown,
        "{ok} done, {unknown} unknown, {rows} rows"
    );
}

#[test]
fn a_server_restart_under_a_write_loop_never_splits_a_row_from_its_runvar() {
    let calls = if full() { 900 } else { 150 };
    let db = TestDb::on_own_server();
    setup(&db, 1, calls);
    let started = Instant::now();
    let progress = AtomicU64::new(0);
    let (outcome, at_restart) = std::thread::scope(|s| {
        let writer = s.spawn(|| write_loop(&db, 0, calls, &progress));
        // A third of the way in: the write loop is busy when the server
        // goes, and has calls left to make while it is down.
        while progress.load(Ordering::Relaxed) < u64::try_from(calls / 3).unwrap() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let at_restart = progress.load(Ordering::Relaxed);
        db.restart_server();
        (writer.join().unwrap(), at_restart)
    });
    assert!(
        at_restart < u64::try_from(calls).unwrap(),
        "the loop had ended before the restart"
    );
    let elapsed = started.elapsed();
    let (rows, runvars) = check_rows_match_runvars(&db);
    eprintln!(
        "restart: 1 writer x {calls} calls, one restart after {at_restart}: {} calls done, {} outcome unknown, \
         {} other errors; {rows} rows, {runvars} runvars, all agreeing; {:.1} s",
        outcome.ok,
        outcome.unknown,
        outcome.other.len(),
        elapsed.as_secs_f64()
    );
    assert!(outcome.other.is_empty(), "{:#?}", outcome.other);
    let rows = u64::try_from(rows).unwrap();
    assert!(
        outcome.ok <= rows && rows <= outcome.ok + outcome.unknown,
        "{outcome:?}, {rows} rows"
    );
    assert_eq!(outcome.ok + outcome.unknown, u64::try_from(calls).unwrap());
}
