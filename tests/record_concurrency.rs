//! Writers racing on one host. Each call's scan and write must behave as
//! if the calls ran one after another: PostgreSQL's serializable isolation
//! aborts one of two calls that would not, and the recorder redoes it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

mod common;

use std::collections::BTreeMap;

use hostlife::db::record;
use hostlife::db::testdb::TestDb;
use hostlife::lifecycle::call::TaskRef;
use hostlife::lifecycle::call::{JobRef, RecordCall, RecordOutcome, StepRef};
use hostlife::lifecycle::{self, ListingContext, Mode};

const WRITERS: usize = 3;
const CALLS: usize = 25;
const FLIGHT: i32 = 10;

fn job(writer: usize, call: usize) -> String {
    format!("test-w{writer}-{call}")
}

/// One running flight whose jobs (one per call) each have steps 2 to 4
/// (the calls use 2); one live task per writer; the shared test host.
fn setup(c: &mut postgres::Client) {
    common::busy_flight(c, FLIGHT, WRITERS, CALLS, job);
    c.batch_execute("INSERT INTO resources VALUES ('host', 'rack1', 0, 2, '');")
        .unwrap();
}

#[test]
fn racing_calls_on_one_host_each_see_exactly_the_rows_before_their_own() {
    let db = TestDb::new();
    let mut c = db.connect();
    setup(&mut c);

    // Each writer records its calls as fast as it can, all on one host,
    // alternating selectprep and select.
    let outcomes: Vec<(String, Mode, RecordOutcome)> = std::thread::scope(|s| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let db = &db;
                s.spawn(move || {
                    let mut recorder = db.recorder();
                    (0..CALLS)
                        .map(|i| {
                            let mode = [Mode::SelectPrep, Mode::Select][i % 2];
                            let call = RecordCall {
                                mode,
                                host: "rack1".into(),
                                ident: "host".into(),
                                job: Some(JobRef {
                                    flight: FLIGHT,
                                    job: job(w, i),
                                }),
                                step: Some(StepRef::Number(2)),
                                task: TaskRef::Id {
                                    taskid: 100 + i32::try_from(w).unwrap(),
                                },
                                nested: false,
                            };
                            let out = recorder
                                .record(&call)
                                .unwrap_or_else(|e| panic!("writer {w} call {i}: {e}"));
                            (job(w, i), mode, out)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        writers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });

    let mut tx = c.transaction().unwrap();
    let rows = record::scan(&mut tx, "rack1").unwrap();
    assert_eq!(rows.len(), WRITERS * CALLS, "one row per call");
    let stored: BTreeMap<String, String> = tx
        .query(
            "SELECT job, val FROM runvars WHERE flight = $1 AND name = 'host_lifecycle'",
            &[&FLIGHT],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();

    for (job, mode, out) in outcomes {
        let RecordOutcome::Recorded { lcseq, runvar, .. } = out else {
            panic!("{job}: {out:?}");
        };
        // What the call would have listed had it run alone, just after
        // every call whose row comes before its own.
        let before: Vec<_> = rows.iter().filter(|r| r.lcseq < lcseq).cloned().collect();
        let alone = lifecycle::listing(
            &before,
            ListingContext {
                flight: Some(FLIGHT),
                job: &job,
                build_host: false,
            },
        )
        .runvar(mode.sigil());
        assert_eq!(runvar, alone, "{job} (lcseq {lcseq})");
        assert_eq!(stored.get(&job), Some(&runvar), "{job}: stored runvar");
    }
}
