//! The recorder sends BEGIN, the context query and the scan together.
//! When one of them fails, the ones after it fail too ("current
//! transaction is aborted"); the caller must hear the first failure, and
//! the connection must be left out of the transaction for the next call.

use hostlife::db::record::{JobRef, RecordCall, RecordOutcome, Recorder, StepRef};
use hostlife::db::task::TaskRef;
use hostlife::db::testdb::TestDb;
use hostlife::lifecycle::Mode;

#[test]
fn a_failing_read_reports_its_own_error_and_leaves_the_connection_usable() {
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
    // A role that may do everything the recorder does except read
    // flights: the context query fails when it runs, after BEGIN and
    // before the scan that was sent with it.
    let role = format!("{}_writer", db.name());
    c.batch_execute(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD 'pw';
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
         GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role};
         REVOKE SELECT ON flights FROM {role};"
    ))
    .unwrap();
    let mut config = db.config().clone();
    config.user(&role).password("pw");
    let mut recorder = Recorder::connect(&config).unwrap();
    let call = RecordCall {
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
    };

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
