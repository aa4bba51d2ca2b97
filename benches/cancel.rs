//! What a cancel costs the browser: from asking for it to the cancelled
//! statement's error reaching the client, each way.
//!
//!     cargo bench --bench cancel
//!
//! Prints the numbers for docs/PERFORMANCE.md, section "Cancelling a read".
//!
//! - *packet*: the connection library's cancel request packet, which
//!   returns once the packet is written (the server may act on it later,
//!   and up to PostgreSQL 17 signals twice);
//! - *second connection*: [`Session::cancel`], `pg_cancel_backend()` on a
//!   connection opened for it, as the worker cancels.
//!
//! Each is timed 50 times on a local socket, against `SELECT
//! pg_sleep(30)`; a throwaway server, trust authentication.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

mod common;

use std::thread;
use std::time::{Duration, Instant};

use hostlife::db::cancel::{Cancelled, Session};
use hostlife::db::testdb::TestDb;

use common::{ms, percentile};

const RUNS: usize = 50;

/// Time from `cancel` being called to the sleeping statement failing.
fn timed(
    db: &TestDb,
    cancel: &dyn Fn(&mut postgres::Client) -> Box<dyn FnOnce() + Send>,
) -> Duration {
    let mut client = db.connect();
    let go = cancel(&mut client);
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    let sleep = thread::spawn(move || {
        let failed = client.batch_execute("SELECT pg_sleep(30)").is_err();
        (failed, Instant::now())
    });
    let mut watch = db.connect();
    while watch
        .query_opt(
            "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'PgSleep'",
            &[&pid],
        )
        .unwrap()
        .is_none()
    {
        thread::sleep(Duration::from_millis(2));
    }
    let asked = Instant::now();
    go();
    let (failed, at) = sleep.join().unwrap();
    assert!(failed, "the sleep was cancelled");
    at - asked
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:>18}: p50 {}, p90 {}, max {}",
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.9)),
        ms(percentile(&samples, 1.0)),
    );
}

fn main() {
    let db = TestDb::new();
    let packet: Vec<_> = (0..RUNS)
        .map(|_| {
            timed(&db, &|c| {
                let token = c.cancel_token();
                Box::new(move || token.cancel_query(postgres::NoTls).unwrap())
            })
        })
        .collect();
    let second: Vec<_> = (0..RUNS)
        .map(|_| {
            timed(&db, &|c| {
                let session = Session::of(c).unwrap();
                let connector = db.connector();
                Box::new(move || assert_eq!(session.cancel(&connector), Cancelled::Signalled))
            })
        })
        .collect();
    println!("cancelling SELECT pg_sleep(30), {RUNS} times each, local socket:");
    report("packet", packet);
    report("second connection", second);
}
