//! The recorder sends BEGIN, the context query and the scan together, and
//! the write with COMMIT. When one statement fails, those after it in the
//! transaction fail too ("current transaction is aborted"): the caller
//! must hear the first failure, and the connection must be left out of
//! the transaction for the next call. A role without one privilege makes
//! a chosen statement fail.

use hostlife::db::record::{JobRef, RecordCall, RecordOutcome, Recorder, StepRef};
use hostlife::db::task::TaskRef;
use hostlife::db::testdb::TestDb;
use hostlife::lifecycle::Mode;

/// A world where task 100 may record `test-x` step 3 on h1, and a role
/// with the rights the recorder needs except `revoke`; its recorder.
fn world(revoke: &str) -> (TestDb, postgres::Client, String, Recorder) {
    let db = TestDb::new();
    let mut c = db.connect();
    c.batch_execute(
        "INSERT INTO tasks (taskid, type, refkey, live) VALUES (100, 'ownd', 'me', true);
         INSERT INTO resources VALUES ('host', 'h1', 0, 100, NULL);
         INSERT INTO flights (flight, blessing) VALUES (1, 'running');
         INSERT INTO jobs VALUES (1, 'test-x', 'test', 'running');
         INSERT INTO steps (flight, job, stepno, step, status) VALUES (1, 'test-x', 3, 'ts-x', 'running');",
    )
    .unwrap();
    let role = format!("{}_writer", db.name());
    c.batch_execute(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD 'pw';
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
         GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role};
         REVOKE {revoke} FROM {role};"
    ))
    .unwrap();
    let mut config = db.config().clone();
    config.user(&role).password("pw");
    let recorder = Recorder::connect(&config).unwrap();
    (db, c, role, recorder)
}

fn call() -> RecordCall {
    RecordCall {
        mode: Mode::Select,
        host: "h1".into(),
        ident: "host".into(),
        job: Some(JobRef {
            flight: 1,
            job: "test-x".into(),
        }),
        step: Some(StepRef::Number(3)),
        task: TaskRef::Id { taskid: 100 },
        nested: false,
    }
}

#[test]
fn a_failing_read_reports_its_own_error_and_leaves_the_connection_usable() {
    // The context query fails when it runs, after BEGIN and before the
    // scan that was sent with it.
    let (_db, mut c, role, mut recorder) = world("SELECT ON flights");
    let call = call();
    for _ in 0..2 {
        let e = recorder.record(&call).unwrap_err().to_string();
        assert!(e.contains("permission denied for table flights"), "{e}");
        assert!(!e.contains("aborted"), "{e}");
    }
    // Had the failed transaction been left open, this call would run in
    // it and fail as aborted.
    c.batch_execute(&format!("GRANT SELECT ON flights TO {role}"))
        .unwrap();
    let out = recorder.record(&call).unwrap();
    assert!(matches!(out, RecordOutcome::Recorded { .. }), "{out:?}");

    drop(recorder);
    c.batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .unwrap();
}

#[test]
fn a_failing_write_rolls_back_and_leaves_the_connection_usable() {
    // The write fails; the COMMIT sent with it becomes a rollback.
    let (_db, mut c, role, mut recorder) = world("INSERT ON host_lifecycle");
    let call = call();
    for _ in 0..2 {
        let e = recorder.record(&call).unwrap_err().to_string();
        assert!(
            e.contains("permission denied for table host_lifecycle"),
            "{e}"
        );
    }
    assert_eq!(
        c.query_one("SELECT count(*) FROM runvars", &[])
            .unwrap()
            .get::<_, i64>(0),
        0,
        "nothing written"
    );
    c.batch_execute(&format!("GRANT INSERT ON host_lifecycle TO {role}"))
        .unwrap();
    let out = recorder.record(&call).unwrap();
    assert!(matches!(out, RecordOutcome::Recorded { .. }), "{out:?}");

    drop(recorder);
    c.batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .unwrap();
}
