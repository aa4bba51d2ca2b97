//! The recorder sends BEGIN, the context query and the scan together, and
//! the write with COMMIT. When one statement fails, those after it in the
//! transaction fail too ("current transaction is aborted"): the caller
//! must hear the first failure, and the connection must be left out of
//! the transaction for the next call. A role without one privilege makes
//! a chosen statement fail.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

mod common;

use hostlife::db::record::Recorder;
use hostlife::db::testdb::TestDb;
use hostlife::lifecycle::Mode;
use hostlife::lifecycle::call::RecordOutcome;

/// [`common::one_job`], and a recorder connected as a role with the rights
/// it needs except `revoke`.
fn world(revoke: &str) -> (TestDb, postgres::Client, String, Recorder) {
    let db = TestDb::new();
    let mut c = db.connect();
    common::one_job(&mut c);
    let role = format!("{}_writer", db.name());
    // Roles are the administrator's to make; the grants are the owner's,
    // `osstest`.
    db.admin()
        .batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD 'pw'"))
        .unwrap();
    c.batch_execute(&format!(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
         GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role};
         REVOKE {revoke} FROM {role};"
    ))
    .unwrap();
    let mut config = db.config().clone();
    config.user(&role).password("pw");
    let recorder = Recorder::connect(&config).unwrap();
    (db, c, role, recorder)
}

/// Two calls in a row fail with `want` (the second proves the first left
/// no transaction behind to be "aborted").
fn fails_twice(recorder: &mut Recorder, want: &str) {
    for _ in 0..2 {
        let e = recorder
            .record(&common::one_job_call(Mode::Select))
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{e}");
        assert!(!e.contains("aborted"), "{e}");
    }
}

/// Once `grant` is given back, the same recorder records; then the role
/// goes.
fn records_after(
    db: &TestDb,
    c: &mut postgres::Client,
    role: &str,
    mut recorder: Recorder,
    grant: &str,
) {
    c.batch_execute(&format!("GRANT {grant} TO {role}"))
        .unwrap();
    let out = recorder
        .record(&common::one_job_call(Mode::Select))
        .unwrap();
    assert!(matches!(out, RecordOutcome::Recorded { .. }), "{out:?}");
    drop(recorder);
    db.admin()
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .unwrap();
}

#[test]
fn a_failing_read_reports_its_own_error_and_leaves_the_connection_usable() {
    // The context query fails when it runs, after BEGIN and before the
    // scan that was sent with it.
    let (db, mut c, role, mut recorder) = world("SELECT ON flights");
    fails_twice(&mut recorder, "permission denied for table flights");
    // Had the failed transaction been left open, this call would run in
    // it and fail as aborted.
    records_after(&db, &mut c, &role, recorder, "SELECT ON flights");
}

#[test]
fn a_failing_write_rolls_back_and_leaves_the_connection_usable() {
    // The write fails; the COMMIT sent with it becomes a rollback.
    let (db, mut c, role, mut recorder) = world("INSERT ON host_lifecycle");
    fails_twice(&mut recorder, "permission denied for table host_lifecycle");
    assert_eq!(
        c.query_one("SELECT count(*) FROM runvars", &[])
            .unwrap()
            .get::<_, i64>(0),
        0,
        "nothing written"
    );
    records_after(&db, &mut c, &role, recorder, "INSERT ON host_lifecycle");
}
