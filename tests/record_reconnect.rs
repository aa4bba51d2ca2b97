//! A write whose connection is gone: redone on a new one when nothing was
//! sent that could have committed, reported as such otherwise, and the
//! browser's first write after the server dropped it goes through.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

mod common;

use std::sync::mpsc;
use std::time::Duration;

use hostlife::db::Error;
use hostlife::db::connect::Connector;
use hostlife::db::record::Recorder;
use hostlife::db::testdb::TestDb;
use hostlife::db::worker::{Event as DbEvent, Reply, Request, Worker};
use hostlife::lifecycle::Mode;
use hostlife::lifecycle::call::RecordOutcome;

/// Ends every connection to the test's database but the admin's own, as
/// a server restart or an administrator would.
fn drop_every_connection(db: &TestDb) -> u64 {
    db.admin()
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get::<_, i64>(0)
        .try_into()
        .unwrap()
}

fn world() -> TestDb {
    let db = TestDb::new();
    let mut c = db.connect();
    let text = std::fs::read_to_string("tests/data/vectors/spec-s7.json").expect("fixture");
    let scenario: serde_json::Value = serde_json::from_str(&text).expect("json");
    common::load_world(&mut c, &scenario["world"]);
    db
}

fn rows(db: &TestDb, host: &str) -> i64 {
    db.connect()
        .query_one(
            "SELECT count(*) FROM host_lifecycle WHERE hostname = $1",
            &[&host],
        )
        .unwrap()
        .get(0)
}

/// The three uses of h1 in turn, each of which writes a row: build-a's
/// preparation and use, then build-b's use.
fn call(n: usize) -> hostlife::lifecycle::call::RecordCall {
    let uses = [
        ("h1", "host", "build-a", 2, Mode::SelectPrep, 7),
        ("h1", "host", "build-a", 5, Mode::Select, 7),
        ("h1", "host", "build-b", 3, Mode::Select, 8),
    ];
    common::use_call(100, uses[n])
}

#[test]
fn a_call_on_a_dropped_connection_is_redone_on_a_new_one() {
    let db = world();
    let mut recorder = Recorder::connect(db.config())
        .unwrap()
        .reconnecting_with(Connector::plain(db.config().clone()));
    recorder.record(&call(0)).unwrap();
    assert!(drop_every_connection(&db) >= 1);
    let outcome = recorder.record(&call(1)).unwrap();
    assert!(
        matches!(outcome, RecordOutcome::Recorded { .. }),
        "{outcome:?}"
    );
    assert_eq!(rows(&db, "h1"), 2);
    // The new connection stays in use.
    recorder.record(&call(2)).unwrap();
    assert_eq!(rows(&db, "h1"), 3);
}

#[test]
fn without_a_way_to_reconnect_the_error_says_nothing_was_written() {
    let db = world();
    let mut recorder = Recorder::connect(db.config()).unwrap();
    recorder.record(&call(0)).unwrap();
    drop_every_connection(&db);
    let e = recorder.record(&call(1)).unwrap_err();
    assert!(e.is_lost_before_commit(), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("the connection was lost before COMMIT was sent, so nothing was written"),
        "{e}"
    );
    assert_eq!(rows(&db, "h1"), 1);
}

/// A loss after COMMIT was sent is never guessed at: the classifier, fed
/// a real lost-connection error from the server, says the outcome is
/// unknown and where to look.
#[test]
fn a_loss_after_commit_is_reported_as_outcome_unknown() {
    let db = world();
    let mut c = db.connect();
    drop_every_connection(&db);
    let lost = c.simple_query("SELECT 1").unwrap_err();
    assert!(hostlife::db::error::is_connection_loss(&lost), "{lost:?}");
    let e = Error::from(lost).on_lost_connection(true, "h1");
    let text = e.to_string();
    assert!(text.starts_with("outcome unknown:"), "{text}");
    assert!(text.contains("check with `hostlife show h1`"), "{text}");
    assert!(!e.is_lost_before_commit());
    // Not a connection problem: left as it was.
    let refused = Error::Other("x".into()).on_lost_connection(true, "h1");
    assert_eq!(refused.to_string(), "x");
}

#[test]
fn the_browsers_first_writes_after_the_server_dropped_it_go_through() {
    let db = world();
    let (tx, rx) = mpsc::channel();
    let worker = Worker::spawn(db.config().clone(), move |e| tx.send(e).is_ok()).unwrap();
    let answer = || loop {
        if let DbEvent::Answer(a) = rx.recv_timeout(Duration::from_secs(30)).expect("an event") {
            return a;
        }
    };
    // The recorder's connection is made by the first record request.
    worker.send(1, Request::Record(call(0)));
    assert!(answer().reply.failure().is_none());
    worker.send(2, Request::Hosts);
    assert!(answer().reply.failure().is_none());

    drop_every_connection(&db);
    worker.send(3, Request::Record(call(1)));
    let a = answer();
    assert!(
        matches!(&a.reply, Reply::Recorded { result: Ok(_), .. }),
        "{:?}",
        a.reply
    );
    assert_eq!(rows(&db, "h1"), 2);
}
