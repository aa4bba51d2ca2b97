//! `Recorder::record_many`: a batch of calls in one transaction gives each
//! call the outcome it would have one at a time, and is all or nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

mod common;

use hostlife::db::Error;
use hostlife::db::testdb::TestDb;
use hostlife::lifecycle::Mode;
use hostlife::lifecycle::Refusal;
use hostlife::lifecycle::call::TaskRef;
use hostlife::lifecycle::call::{JobRef, RecordCall, RecordOutcome, StepRef};
use postgres::Client;

/// Five hosts, some with history,, two jobs of flight 1, and a live task 100
/// running them; job `test-y` already has a final runvar on `h4`.
fn world(c: &mut Client) {
    c.batch_execute(
        "INSERT INTO tasks (taskid, type, refkey, live) VALUES
             (100, 'ownd', 'me', true), (101, 'ownd', 'other', true),
             (102, 'ownd', 'gone', false);
         INSERT INTO resources VALUES ('host', 'h1', 0, 100, ''), ('host', 'h2', 0, 100, ''),
             ('host', 'h3', 0, 100, ''), ('host', 'h4', 0, 100, ''), ('host', 'h5', 0, 100, ''),
             ('host', 'b1', 0, 100, '');
         INSERT INTO resource_sharing (restype, resname, sharetype, state, wear)
             VALUES ('host', 'b1', 'build-amd64', 'ready', 0);
         INSERT INTO flights (flight, blessing, branch) VALUES (1, 'running', 'xen-unstable'), (0, 'running', 'xen-unstable');
         INSERT INTO jobs VALUES (1, 'test-x', 'test', 'running'), (1, 'test-y', 'test', 'running'),
             (1, 'build-a', 'build', 'running'), (0, 'old', 'test', 'pass');
         INSERT INTO steps (flight, job, stepno, step, status, testid) VALUES
             (1, 'test-x', 2, 'ts-a', 'pass', NULL), (1, 'test-x', 3, 'ts-b', 'running', 'guest-start'),
             (1, 'test-y', 4, 'ts-c', 'running', NULL), (1, 'build-a', 1, 'ts-build', 'running', NULL),
             (0, 'old', 1, 'ts-old', 'pass', NULL);
         INSERT INTO host_lifecycle (hostname, taskid, flight, job, stepno, ident, isprep) VALUES
             ('h1', 102, 0, 'old', 1, 'host', true), ('h1', 102, 0, 'old', 1, 'host', false),
             ('h2', 101, NULL, NULL, NULL, NULL, NULL), ('b1', 102, 0, 'old', 1, 'host', false),
             ('h2', 101, 0, 'old', 1, 'src_host', false);
         INSERT INTO runvars VALUES (1, 'test-y', 'host_lifecycle', '0.old:1 @', true);",
    )
    .unwrap();
}

fn call(host: &str, ident: &str, job: &str, step: Option<StepRef>, mode: Mode) -> RecordCall {
    RecordCall {
        mode,
        host: host.into(),
        ident: ident.into(),
        job: Some(JobRef {
            flight: 1,
            job: job.into(),
        }),
        step,
        task: TaskRef::Id { taskid: 100 },
        nested: false,
    }
}

/// An operator's out-of-job use of `host`, by a static task.
fn operator(host: &str) -> RecordCall {
    RecordCall {
        job: None,
        step: None,
        task: TaskRef::Static {
            refkey: "ops@node".into(),
        },
        ..call(host, "host", "test-x", None, Mode::Select)
    }
}

/// One call of every kind, on distinct hosts and runvars.
fn mixed_batch() -> Vec<RecordCall> {
    vec![
        call(
            "h1",
            "host",
            "test-x",
            Some(StepRef::Number(2)),
            Mode::SelectPrep,
        ),
        call(
            "h2",
            "src_host",
            "test-x",
            Some(StepRef::Testid("guest-start".into())),
            Mode::Final,
        ),
        // Already ends with `@`: unchanged.
        call(
            "h4",
            "host",
            "test-y",
            Some(StepRef::Number(4)),
            Mode::SelectPrep,
        ),
        // A nested host: nothing to do, and its host may repeat.
        RecordCall {
            nested: true,
            ..call("h1", "host", "test-y", None, Mode::Select)
        },
        call(
            "b1",
            "host",
            "build-a",
            Some(StepRef::Number(1)),
            Mode::Select,
        ),
        // The same static task, created once, on two hosts.
        operator("h3"),
        RecordCall {
            host: "h5".into(),
            ..operator("h3")
        },
    ]
}

/// What outcomes say apart from lcseq, which depends on the order rows
/// were inserted in.
fn without_lcseq(outcome: RecordOutcome) -> RecordOutcome {
    match outcome {
        RecordOutcome::Recorded {
            taskid,
            stepno,
            runvar_name,
            runvar,
            ..
        } => RecordOutcome::Recorded {
            lcseq: 0,
            taskid,
            stepno,
            runvar_name,
            runvar,
        },
        RecordOutcome::OutOfJob { taskid, .. } => RecordOutcome::OutOfJob { lcseq: 0, taskid },
        other => other,
    }
}

/// Record `calls` one at a time on one database and as one batch on
/// another, both holding [`world`]: the outcomes (but for lcseq), rows and
/// runvars must agree, and each batch outcome's lcseq must name its own
/// row. Returns both databases (one at a time, batched) and the batch's
/// outcomes.
fn against_one_at_a_time(calls: &[RecordCall]) -> (TestDb, TestDb, Vec<RecordOutcome>) {
    let (alone, batched) = (TestDb::new(), TestDb::new());
    let (mut a, mut b) = (alone.connect(), batched.connect());
    world(&mut a);
    world(&mut b);
    let mut recorder = alone.recorder();
    let one_by_one: Vec<RecordOutcome> = calls
        .iter()
        .map(|c| recorder.record(c).unwrap_or_else(|e| panic!("{c:?}: {e}")))
        .collect();
    let outcomes = batched
        .recorder()
        .record_many(calls)
        .unwrap_or_else(|e| panic!("{e}"));
    let strip = |o: &[RecordOutcome]| o.iter().cloned().map(without_lcseq).collect::<Vec<_>>();
    assert_eq!(strip(&outcomes), strip(&one_by_one));
    assert_eq!(common::dump_rows(&mut a), common::dump_rows(&mut b));
    assert_eq!(common::dump_runvars(&mut a), common::dump_runvars(&mut b));
    for (call, outcome) in calls.iter().zip(&outcomes) {
        let (lcseq, stepno) = match outcome {
            RecordOutcome::Recorded { lcseq, stepno, .. } => (lcseq, Some(*stepno)),
            RecordOutcome::OutOfJob { lcseq, .. } => (lcseq, None),
            _ => continue,
        };
        let row = b
            .query_one(
                "SELECT hostname, stepno FROM host_lifecycle WHERE lcseq = $1",
                &[lcseq],
            )
            .unwrap();
        assert_eq!(
            (row.get::<_, String>(0), row.get::<_, Option<i32>>(1)),
            (call.host.clone(), stepno)
        );
    }
    (alone, batched, outcomes)
}

#[test]
fn a_batch_gives_each_call_its_outcome_alone() {
    let calls = mixed_batch();
    let (alone, batched, outcomes) = against_one_at_a_time(&calls);
    // Every kind of outcome is there.
    assert!(matches!(outcomes[0], RecordOutcome::Recorded { .. }));
    assert!(matches!(outcomes[2], RecordOutcome::Unchanged { .. }));
    assert!(matches!(outcomes[3], RecordOutcome::Nested));
    assert!(matches!(outcomes[5], RecordOutcome::OutOfJob { .. }));
    let statics = "SELECT count(*) FROM tasks WHERE type = 'static'";
    let count = |c: &mut Client| c.query_one(statics, &[]).unwrap().get::<_, i64>(0);
    assert_eq!(
        (count(&mut alone.connect()), count(&mut batched.connect())),
        (1, 1)
    );
}

#[test]
fn a_refused_call_fails_the_whole_batch_and_says_which() {
    let db = TestDb::new();
    let mut c = db.connect();
    world(&mut c);
    let (rows, runvars) = (common::dump_rows(&mut c), common::dump_runvars(&mut c));
    let mut calls = mixed_batch();
    calls[4] = call(
        "b1",
        "host",
        "build-a",
        Some(StepRef::Number(9)),
        Mode::Select,
    );

    let failure = db.recorder().record_many(&calls).unwrap_err();
    assert_eq!(failure.index, Some(4));
    assert!(
        matches!(
            *failure.error,
            Error::Refused(Refusal::StepUnknown { stepno: 9, .. })
        ),
        "{failure}"
    );
    assert_eq!(common::dump_rows(&mut c), rows);
    assert_eq!(common::dump_runvars(&mut c), runvars);
    let statics: i64 = c
        .query_one("SELECT count(*) FROM tasks WHERE type = 'static'", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        statics, 0,
        "the static task created before the refusal stays"
    );
}

/// Calls on one host or one runvar in one batch: each sees the rows and
/// runvar the calls before it wrote, as one at a time.
#[test]
fn calls_in_a_batch_see_what_the_calls_before_them_wrote() {
    let step = |n| Some(StepRef::Number(n));
    let calls = vec![
        call("h1", "host", "test-x", step(2), Mode::SelectPrep),
        call("h1", "host", "test-x", step(3), Mode::Select),
        call("h2", "src_host", "test-x", step(3), Mode::Select),
        // Its runvar now ends with the sigil the call before wrote.
        call("h1", "host", "test-x", step(3), Mode::Select),
        call("b1", "host", "build-a", step(1), Mode::Select),
        call("h1", "host", "test-y", step(4), Mode::Final),
        operator("h3"),
        operator("h3"),
        call("h3", "host", "test-y", step(4), Mode::SelectPrep),
        call("h1", "host", "test-x", step(3), Mode::Final),
    ];
    let (_, _, outcomes) = against_one_at_a_time(&calls);
    assert!(matches!(outcomes[3], RecordOutcome::Unchanged { .. }));
    let db = TestDb::new();
    assert_eq!(db.recorder().record_many(&[]).unwrap(), vec![]);
}
