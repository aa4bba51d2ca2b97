//! `wipe_many`: a batch of wipes on different hosts does what the same
//! wipes one at a time do, or nothing at all.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

use hostlife::db::Error;
use hostlife::db::testdb::TestDb;
use hostlife::db::wipe;
use hostlife::lifecycle::Refusal;
use hostlife::lifecycle::call::JobRef;
use hostlife::lifecycle::call::TaskRef;
use hostlife::lifecycle::call::WipeCall;
use postgres::Client;
use serde_json::Value;

/// Hosts of every kind a wipe meets, with rows of several tasks on each:
///
/// - p1, p2, p3: plain hosts held by live tasks 100, 101, 102; q1 held by
///   106, which no call uses;
/// - b1, b2, b3: shared build hosts; b1's shares are 103's and one being
///   prepared, b2's 105's (dead) and 104's, b3's 103's and 104's;
/// - s1: held by the existing static task ian@lab (110);
/// - n1, n3 and n2: held by the static tasks new1@lab (200) and
///   new2@lab (201), which calls name by their refkey. (A holder must
///   exist: resources.owntaskid references tasks.)
///
/// Flights: 1 running, 2 blessed `real`, 3 a play flight.
fn world(c: &mut Client) {
    c.batch_execute(
        "INSERT INTO tasks (taskid, type, refkey, live, username) VALUES
             (100, 'ownd', 'r100', true, NULL), (101, 'ownd', 'r101', true, NULL),
             (102, 'ownd', 'r102', true, NULL), (103, 'ownd', 'r103', true, NULL),
             (104, 'ownd', 'r104', true, NULL), (105, 'ownd', 'r105', false, NULL),
             (106, 'ownd', 'r106', true, NULL), (110, 'static', 'ian@lab', true, 'ian'),
             (200, 'static', 'new1@lab', true, 'new1'), (201, 'static', 'new2@lab', true, 'new2');
         SELECT setval('tasks_taskid_seq', 201);
         INSERT INTO flights (flight, blessing, branch) VALUES (1, 'running', 'b'), (2, 'real', 'b'), (3, 'play', 'b');
         INSERT INTO jobs VALUES (1, 'build-a', 'build', 'running'), (2, 'old', 'build', 'pass'),
                                 (3, 'test-b', 'test', 'running');
         INSERT INTO steps (flight, job, stepno, step, status) VALUES
             (1, 'build-a', 1, 'ts-host-install', 'pass'), (3, 'test-b', 2, 'ts-xen-build', 'pass');
         INSERT INTO resources (restype, resname, shareix, owntaskid)
         SELECT 'host', h, 0, t FROM (VALUES ('p1', 100), ('p2', 101), ('p3', 102), ('q1', 106),
                                             ('s1', 110), ('n1', 200), ('n2', 201), ('n3', 200)) v(h, t);
         INSERT INTO resources (restype, resname, shareix, owntaskid)
         SELECT 'host', h, 0, (SELECT taskid FROM tasks WHERE type = 'magic' AND refkey = 'shared')
           FROM unnest(ARRAY['b1', 'b2', 'b3']) h;
         INSERT INTO resources (restype, resname, shareix, owntaskid) VALUES
             ('share-host', 'b1', 1, 103),
             ('share-host', 'b1', 2, (SELECT taskid FROM tasks WHERE type = 'magic' AND refkey = 'preparing')),
             ('share-host', 'b2', 1, 105), ('share-host', 'b2', 2, 104),
             ('share-host', 'b3', 1, 103), ('share-host', 'b3', 2, 104);
         INSERT INTO resource_sharing (restype, resname, sharetype, state)
         SELECT 'host', h, 'build-amd64-1', 'ready' FROM unnest(ARRAY['b1', 'b2', 'b3']) h;",
    )
    .unwrap();
    // Each host's rows, oldest first; `j` marks a row in a job's step.
    let rows: &[(&str, &[&str])] = &[
        ("p1", &["106", "105", "100j", "106", "100"]),
        ("p2", &["106", "102"]),
        ("p3", &["100", "101", "102", "106"]),
        ("q1", &["106", "100"]),
        ("b1", &["104", "103j", "106", "103"]),
        ("b2", &["103", "104j", "105"]),
        ("b3", &["103", "104"]),
        ("s1", &["100", "110", "100"]),
        ("n1", &["100", "101"]),
        ("n3", &["102"]),
    ];
    // Round robin over the hosts, so that their lcseqs interleave as a
    // lab's do.
    let longest = rows.iter().map(|(_, r)| r.len()).max().unwrap();
    for i in 0..longest {
        for (host, tasks) in rows {
            if let Some(t) = tasks.get(i) {
                insert_row(c, host, t);
            }
        }
    }
}

fn insert_row(c: &mut Client, host: &str, row: &str) {
    let taskid: i32 = row.trim_end_matches('j').parse().unwrap();
    if !row.ends_with('j') {
        c.execute(
            "INSERT INTO host_lifecycle (hostname, taskid) VALUES ($1, $2)",
            &[&host, &taskid],
        )
        .unwrap();
        return;
    }
    let (flight, job, stepno) = if host == "b2" {
        (3, "test-b", 2)
    } else {
        (1, "build-a", 1)
    };
    c.execute(
        "INSERT INTO host_lifecycle (hostname, taskid, flight, job, stepno, ident, isprep)
         VALUES ($1, $2, $3, $4, $5, 'host', false)",
        &[&host, &taskid, &flight, &job, &stepno],
    )
    .unwrap();
}

fn db_with_world() -> (TestDb, Client) {
    let db = TestDb::new();
    let mut c = db.connect();
    world(&mut c);
    (db, c)
}

fn by_id(host: &str, taskid: i32) -> WipeCall {
    WipeCall {
        host: host.into(),
        task: TaskRef::Id { taskid },
        job: None,
    }
}

fn by_static(host: &str, refkey: &str) -> WipeCall {
    WipeCall {
        host: host.into(),
        task: TaskRef::Static {
            refkey: refkey.into(),
        },
        job: None,
    }
}

fn in_job(call: WipeCall, flight: i32, job: &str) -> WipeCall {
    WipeCall {
        job: Some(JobRef {
            flight,
            job: job.into(),
        }),
        ..call
    }
}

/// Every task row, as JSON.
fn dump_tasks(c: &mut Client) -> Vec<Value> {
    c.query(
        "SELECT taskid, type, refkey, username, comment, live FROM tasks ORDER BY taskid",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| {
        serde_json::json!([
            r.get::<_, i32>(0),
            r.get::<_, String>(1),
            r.get::<_, String>(2),
            r.get::<_, Option<String>>(3),
            r.get::<_, Option<String>>(4),
            r.get::<_, bool>(5),
        ])
    })
    .collect()
}

/// Everything a wipe can change: the rows, with their lcseqs, and the
/// tasks.
fn dump(c: &mut Client) -> (Vec<(String, i32, i32)>, Vec<Value>) {
    let rows = c
        .query(
            "SELECT hostname, lcseq, taskid FROM host_lifecycle ORDER BY hostname, lcseq",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    (rows, dump_tasks(c))
}

/// Calls of every kind, all allowed.
fn good_calls() -> Vec<WipeCall> {
    vec![
        in_job(by_id("p1", 100), 1, "build-a"),
        in_job(
            WipeCall {
                task: TaskRef::Spec {
                    taskid: 103,
                    kind: "ownd".into(),
                    refkey: "r103".into(),
                },
                ..by_id("b1", 0)
            },
            1,
            "build-a",
        ),
        by_static("s1", "ian@lab"),
        by_id("p2", 101),
        by_static("n1", "new1@lab"),
        in_job(by_id("b2", 104), 3, "test-b"),
        by_static("n2", "new2@lab"),
        by_static("n3", "new1@lab"),
        by_id("p3", 102),
    ]
}

#[test]
fn a_batch_does_what_the_same_wipes_one_at_a_time_do() {
    let calls = good_calls();
    let (_one, mut one) = db_with_world();
    let singles: Vec<_> = calls
        .iter()
        .map(|call| wipe::wipe(&mut one, call).unwrap_or_else(|e| panic!("{call:?}: {e}")))
        .collect();
    let (_many, mut many) = db_with_world();
    let batch = wipe::wipe_many(&mut many, &calls).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(batch, singles);
    assert_eq!(dump(&mut many), dump(&mut one));

    // And what they do is the wipe: rows before each caller's first row
    // go, and the static tasks named by refkey are found, not made again.
    let counts: Vec<(i32, u64, u64)> = batch
        .iter()
        .map(|o| (o.taskid, o.deleted, o.kept))
        .collect();
    assert_eq!(
        counts,
        [
            (100, 2, 3),
            (103, 1, 3),
            (110, 1, 2),
            (101, 0, 2),
            (200, 0, 2),
            (104, 1, 2),
            (201, 0, 0),
            (200, 0, 1),
            (102, 2, 2),
        ]
    );
    let statics: Vec<(i32, String, Option<String>)> = many
        .query(
            "SELECT taskid, refkey, username FROM tasks WHERE taskid >= 200 ORDER BY taskid",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        statics,
        [
            (200, "new1@lab".into(), Some("new1".into())),
            (201, "new2@lab".into(), Some("new2".into())),
        ]
    );
    assert!(batch.iter().all(|o| o.recorded_lcseq.is_none()));
}

/// The refused call is put third among allowed calls, with a call after
/// it that would be refused too.
#[test]
fn a_refused_call_fails_the_batch_naming_it_and_writes_nothing() {
    let (_db, mut c) = db_with_world();
    let before = dump(&mut c);
    let refused: Vec<(WipeCall, &str)> = vec![
        (by_id("q1", 100), "held by task 106 (ownd r106)"),
        (by_id("p1", 999), "task 999 does not exist"),
        (
            WipeCall {
                task: TaskRef::Spec {
                    taskid: 100,
                    kind: "ownd".into(),
                    refkey: "wrong".into(),
                },
                ..by_id("p1", 0)
            },
            "task 100 is ownd r100, not ownd wrong",
        ),
        (in_job(by_id("p1", 100), 2, "old"), "blessing \"real\""),
        (in_job(by_id("p1", 100), 7, "x"), "flight 7 does not exist"),
        (by_id("ghost", 100), "not a known host"),
        (by_id("p1", 105), "task 105 (ownd r105, not live) has ended"),
        (by_id("b1", 104), "task 104, holds none of its shares"),
        (by_id("b3", 103), "other tasks hold shares of it: task 104"),
        (by_id("n2", 100), "held by task 201 (static new2@lab"),
        (
            by_static("s1", "new9@lab"),
            "held by task 110 (static ian@lab",
        ),
    ];
    for (call, want) in refused {
        let batch = vec![
            by_static("n1", "new1@lab"),
            by_id("p3", 102),
            call.clone(),
            by_id("p2", 101),
            by_id("a b", 100),
        ];
        let failure = wipe::wipe_many(&mut c, &batch).unwrap_err();
        assert_eq!(failure.index, Some(2), "{call:?}: {failure}");
        let Error::Refused(got) = &*failure.error else {
            panic!("{call:?}: not a refusal: {failure}");
        };
        assert!(
            got.to_string().contains(want),
            "{call:?}: want {want:?}, got {got}"
        );
        assert!(
            failure.to_string().starts_with("call 3 of the batch: "),
            "{failure}"
        );
        assert_eq!(dump(&mut c), before, "{call:?}: the batch wrote");
        // The same refusal as the call alone gets.
        match wipe::wipe(&mut c, &call) {
            Err(Error::Refused(alone)) => assert_eq!(&alone, got),
            other => panic!("{call:?} alone: {other:?}"),
        }
        assert_eq!(dump(&mut c), before, "{call:?} alone wrote");
    }
}

#[test]
fn the_first_refused_call_is_the_one_reported() {
    let (_db, mut c) = db_with_world();
    let before = dump(&mut c);
    // The later call fails an earlier check (its host name) than the
    // earlier call (its holder).
    let batch = [by_id("p1", 100), by_id("q1", 100), by_id("", 100)];
    let failure = wipe::wipe_many(&mut c, &batch).unwrap_err();
    assert_eq!(failure.index, Some(1), "{failure}");
    assert!(
        matches!(*failure.error, Error::Refused(Refusal::HeldByOther { .. })),
        "{failure}"
    );
    assert_eq!(dump(&mut c), before);
}

/// A connection whose server end is gone: any statement sent on it fails.
fn dead_connection(db: &TestDb) -> Client {
    let mut victim = db.connect();
    let pid: i32 = victim
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    let mut admin = db.connect();
    admin
        .execute("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap();
    // The backend ends on its own time: wait for it.
    while admin
        .query_opt("SELECT 1 FROM pg_stat_activity WHERE pid = $1", &[&pid])
        .unwrap()
        .is_some()
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    victim
}

#[test]
fn a_repeated_host_fails_the_whole_batch_before_any_statement() {
    let (db, mut c) = db_with_world();
    let before = dump(&mut c);
    let batch = [by_id("p1", 100), by_id("p2", 101), by_id("p1", 100)];
    let failure = wipe::wipe_many(&mut c, &batch).unwrap_err();
    assert_eq!(failure.index, None);
    let Error::Other(msg) = &*failure.error else {
        panic!("not Error::Other: {failure}");
    };
    assert!(
        msg.contains("host p1") && msg.contains("calls 1 and 3"),
        "{msg}"
    );
    assert_eq!(dump(&mut c), before);

    // On a connection where any statement would fail, it is still this
    // error: nothing was sent.
    let mut dead = dead_connection(&db);
    let failure = wipe::wipe_many(&mut dead, &batch).unwrap_err();
    assert!(matches!(*failure.error, Error::Other(_)), "{failure}");
    // A batch that is sent finds the connection gone before COMMIT: it
    // says nothing was written.
    let failure = wipe::wipe_many(&mut dead, &batch[..2]).unwrap_err();
    assert!(failure.error.is_lost_before_commit(), "{failure}");
}

#[test]
fn an_empty_batch_does_nothing_and_sends_nothing() {
    let (db, mut c) = db_with_world();
    let before = dump(&mut c);
    assert!(wipe::wipe_many(&mut c, &[]).unwrap().is_empty());
    assert_eq!(dump(&mut c), before);
    let mut dead = dead_connection(&db);
    assert!(wipe::wipe_many(&mut dead, &[]).unwrap().is_empty());
}
