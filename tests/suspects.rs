//! `hostlife suspects` against a real database: a lab small enough to
//! count by hand, through SQL as osstest would have left it, and the
//! simulator's planted causes, which the ranking must find.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

mod common;

use std::io::Read as _;
use std::process::Stdio;

use hostlife::db::insight;
use hostlife::db::testdb::TestDb;
use hostlife::db::txn::{read_only, read_only_on};
use hostlife::lifecycle::Relation;
use hostlife::lifecycle::suspects::{self, Counts};
use hostlife::sim::{self, Scale, SeedConfig};
use serde_json::{Value, json};

/// Two hosts, five installs, every time written out:
///
/// italia0: F1 test-a installs it (pass, 100); F2 test-pair uses it as
/// `src_host` (400-500); F3 test-b's install fails (600); F4 test-b's
/// passes (800).
/// bari0: F2 test-b installs it (pass, 400); F3 test-c uses it from 500
/// to 900; F3 test-pair's install of it as `dst_host` fails at 600, while
/// test-c still holds it.
fn hand_world() -> Value {
    let step = |flight: i32,
                job: &str,
                stepno: i32,
                step: &str,
                status: &str,
                testid: &str,
                t: (i32, i32)| {
        json!({"flight": flight, "job": job, "stepno": stepno, "step": step, "status": status,
               "testid": testid, "started": t.0, "finished": t.1})
    };
    let var = |flight: i32, job: &str, name: &str, val: &str| json!({"flight": flight, "job": job, "name": name, "val": val});
    let jobs = [
        (1, "test-a", "pass"),
        (2, "test-pair", "pass"),
        (2, "test-b", "pass"),
        (3, "test-b", "fail"),
        (3, "test-c", "pass"),
        (3, "test-pair", "broken"),
        (4, "test-b", "running"),
    ];
    json!({
        "flights": (1..=4).map(|f| json!({"flight": f})).collect::<Vec<_>>(),
        "jobs": jobs.iter().map(|(f, j, status)| json!({"flight": f, "job": j, "status": status}))
            .collect::<Vec<_>>(),
        "steps": [
            step(1, "test-a", 1, "ts-host-install-twice", "pass", "host-install(1)", (100, 200)),
            step(1, "test-a", 2, "ts-xen-install", "pass", "xen-install", (200, 300)),
            step(2, "test-pair", 1, "ts-debian-fixup", "pass", "debian-fixup/src_host", (400, 500)),
            step(2, "test-b", 1, "ts-host-install-twice", "pass", "host-install(1)", (400, 450)),
            step(3, "test-b", 1, "ts-host-install-twice", "fail", "host-install(1)", (600, 700)),
            step(3, "test-c", 1, "ts-xen-install", "pass", "xen-install", (500, 900)),
            step(3, "test-pair", 1, "ts-host-install-twice", "fail",
                 "host-install/dst_host(1)", (600, 650)),
            step(4, "test-b", 1, "ts-host-install-twice", "pass", "host-install(1)", (800, 850)),
            // A step that never ran is no use of the host.
            step(4, "test-b", 2, "ts-xen-install", "queued", "xen-install", (0, 0)),
        ],
        "runvars": [
            var(1, "test-a", "host", "italia0"),
            var(2, "test-pair", "src_host", "italia0"),
            var(2, "test-b", "host", "bari0"),
            var(3, "test-b", "host", "italia0"),
            var(3, "test-c", "host", "bari0"),
            var(3, "test-pair", "dst_host", "bari0"),
            var(4, "test-b", "host", "italia0"),
            // Not an ident: its value is no host use.
            var(4, "test-b", "hostflags", "italia0"),
        ],
    })
}

/// A trial as host, flight, job, failed, and its predecessors.
type Summary<'a> = (&'a str, i32, &'a str, bool, Vec<(i32, &'a str, Relation)>);

fn hand_db() -> TestDb {
    let db = TestDb::new();
    let mut c = db.connect();
    common::load_world(&mut c, &hand_world());
    // The step that never ran has no start.
    c.execute(
        "UPDATE steps SET started = NULL, finished = NULL WHERE status = 'queued'",
        &[],
    )
    .unwrap();
    db
}

#[test]
fn the_trials_of_a_hand_made_lab() {
    use Relation::{Prep, Reuse, Share};
    let db = hand_db();
    let trials = insight::trials(&mut db.connect(), None, None, None).unwrap();
    let summary: Vec<Summary<'_>> = trials
        .iter()
        .map(|t| {
            (
                t.host.as_str(),
                t.flight,
                t.job.as_str(),
                t.failed,
                t.predecessors
                    .iter()
                    .map(|p| (p.flight, p.job.as_str(), p.relation))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("bari0", 2, "test-b", false, vec![]),
            (
                "bari0",
                3,
                "test-pair",
                true,
                vec![(2, "test-b", Prep), (3, "test-c", Share)]
            ),
            ("italia0", 1, "test-a", false, vec![]),
            (
                "italia0",
                3,
                "test-b",
                true,
                vec![(1, "test-a", Prep), (2, "test-pair", Reuse)]
            ),
            (
                "italia0",
                4,
                "test-b",
                false,
                vec![
                    (1, "test-a", Prep),
                    (2, "test-pair", Reuse),
                    (3, "test-b", Prep)
                ]
            ),
        ]
    );
    // Filters: one host; installs from 600 on.
    let italia = insight::trials(&mut db.connect(), None, Some("italia0"), None).unwrap();
    assert_eq!(italia.len(), 3);
    let late = insight::trials(&mut db.connect(), None, None, Some(600)).unwrap();
    assert_eq!(
        late.iter()
            .map(|t| (t.flight, t.job.as_str()))
            .collect::<Vec<_>>(),
        [(3, "test-pair"), (3, "test-b"), (4, "test-b")]
    );
}

/// The lifecycle table is a second source while its rows last: a job
/// whose ident runvar no longer names the host (here test-c, on bari0 by
/// its runvar, has a row on italia0) is a predecessor there too.
#[test]
fn the_tables_rows_name_uses_the_runvars_do_not() {
    use Relation::{Prep, Reuse, Share};
    let db = hand_db();
    let mut c = db.connect();
    c.batch_execute(
        "INSERT INTO host_lifecycle (hostname, taskid, flight, job, stepno, ident, isprep)
         VALUES ('italia0', 9, 3, 'test-c', 1, 'host', false),
                ('italia0', 9, 3, 'test-c', 1, 'host', false)",
    )
    .unwrap();
    for host in [None, Some("italia0")] {
        let trials = insight::trials(&mut c, None, host, None).unwrap();
        let f4 = trials
            .iter()
            .find(|t| t.host == "italia0" && t.flight == 4)
            .unwrap();
        let before: Vec<(i32, &str, Relation)> = f4
            .predecessors
            .iter()
            .map(|p| (p.flight, p.job.as_str(), p.relation))
            .collect();
        assert_eq!(
            before,
            [
                (1, "test-a", Prep),
                (2, "test-pair", Reuse),
                (3, "test-b", Prep),
                // It held the host from 500 to 900: still at 800.
                (3, "test-c", Share)
            ],
            "{host:?}"
        );
        // The table adds a use, not a trial.
        assert_eq!(trials.len(), if host.is_some() { 3 } else { 5 });
    }
}

#[test]
fn the_ranking_of_a_hand_made_lab() {
    let db = hand_db();
    let r = suspects::rank(&insight::trials(&mut db.connect(), None, None, None).unwrap());
    assert_eq!((r.trials, r.failed), (5, 2));
    assert!((r.base_rate - 0.4).abs() < 1e-9);
    // test-c: 1 of 1 (shared bari0 during the failed install); the others
    // 1 of 2, tied, by name.
    let ranked: Vec<(&str, u64, u64)> = r
        .suspects
        .iter()
        .map(|s| (s.job.as_str(), s.failures, s.uses))
        .collect();
    assert_eq!(
        ranked,
        [
            ("test-c", 1, 1),
            ("test-a", 1, 2),
            ("test-b", 1, 2),
            ("test-pair", 1, 2)
        ]
    );
    let c = &r.suspects[0];
    assert!((c.score - suspects::wilson_lower(1, 1)).abs() < 1e-12);
    assert!((c.lift - 2.5).abs() < 1e-9);
    assert_eq!(
        c.by_relation["share"],
        Counts {
            failures: 1,
            uses: 1
        }
    );
    assert_eq!(
        (
            c.evidence[0].flight,
            c.evidence[0].job.as_str(),
            c.evidence[0].host.as_str()
        ),
        (3, "test-pair", "bari0")
    );
    assert_eq!(r.suspects[2].by_relation["prep."].uses, 2);
    assert!(
        r.suspects.iter().all(|s| !s.flagged),
        "five trials prove nothing"
    );
    let hosts: Vec<(&str, u64, u64, u64, u64)> = r
        .hosts
        .iter()
        .map(|h| {
            (
                h.host.as_str(),
                h.installs,
                h.failed_installs,
                h.consecutive,
                h.failing_now,
            )
        })
        .collect();
    assert_eq!(hosts, [("bari0", 2, 1, 1, 1), ("italia0", 3, 1, 1, 0)]);
}

/// A trial as host, flight, and the tasks before it.
type TaskSummary<'a> = (&'a str, i32, Vec<(i32, &'a str, Relation)>);

/// The hand-made lab's lifecycle runvars naming out-of-job tasks: test-a
/// (F1, ended 300) names 53; test-pair (F2, ended 500) names 50 on
/// italia0; test-b's failed install (F3) names 51, live then; test-pair's
/// failed install of bari0 names 50; test-c (F3), still holding bari0 at
/// its install, names 52, which may have come after it. Only the runvars
/// of jobs that had ended before an install count for it. Every count
/// by hand.
#[test]
fn out_of_job_tasks_before_installs_counted_by_hand() {
    use Relation::{Reuse, Share};
    let db = hand_db();
    let mut c = db.connect();
    c.batch_execute(
        "INSERT INTO tasks (taskid, type, refkey, live) VALUES
             (50, 'static', 'ian@bench', false), (51, 'static', 'ian@node2', true);
         INSERT INTO runvars (flight, job, name, val, synth) VALUES
             (1, 'test-a', 'host_lifecycle', ':1 ?53', false),
             (2, 'test-pair', 'src_host_lifecycle', '@1.test-a:1 ?53 ?50 :1', false),
             (3, 'test-b', 'host_lifecycle', '@1.test-a:1 2.test-pair:1 +?51 @:1', false),
             (3, 'test-pair', 'dst_host_lifecycle', '@2.test-b:1 ?50 @:1', false),
             (3, 'test-c', 'host_lifecycle', '@2.test-b:1 ?52 :1', false)",
    )
    .unwrap();
    let trials = insight::trials(&mut c, None, None, None).unwrap();
    let tasks: Vec<TaskSummary<'_>> = trials
        .iter()
        .map(|t| {
            (
                t.host.as_str(),
                t.flight,
                t.tasks
                    .iter()
                    .map(|p| (p.taskid, p.task.as_str(), p.relation))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        tasks,
        [
            ("bari0", 2, vec![]),
            // Not its own runvar (only a failed install keeps its own:
            // counting them would tie tasks to failures), nor test-c's,
            // written after the install.
            ("bari0", 3, vec![]),
            ("italia0", 1, vec![]),
            (
                "italia0",
                3,
                vec![(50, "static ian@bench", Reuse), (53, "task 53", Reuse)]
            ),
            // F3's failed install did not wipe: its runvar counts for F4,
            // whose own runvar is written again after its wipe.
            (
                "italia0",
                4,
                vec![
                    (50, "static ian@bench", Reuse),
                    (51, "static ian@node2", Share),
                    (53, "task 53", Reuse)
                ]
            ),
        ]
    );
    // One host only: the same trials of it.
    let one = insight::trials(&mut c, None, Some("italia0"), None).unwrap();
    assert_eq!(one[2].tasks.len(), 3);

    let r = suspects::rank(&trials);
    let counted: Vec<(&str, u64, u64)> = r
        .tasks
        .iter()
        .map(|t| (t.task.as_str(), t.installs, t.failed))
        .collect();
    assert_eq!(
        counted,
        [
            ("static ian@bench", 2, 1),
            ("task 53", 2, 1),
            ("static ian@node2", 1, 0)
        ]
    );
    assert_eq!(
        (
            r.tasks[0].evidence[0].host.as_str(),
            r.tasks[0].evidence[0].install_flight,
            r.tasks[0].evidence[0].failed
        ),
        ("italia0", 4, false),
        "newest first"
    );
    let out = common::hostlife(&db, &["suspects"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Out-of-job tasks"), "{text}");
    assert!(
        text.contains("italia0 4.test-b ✓, italia0 3.test-b ✗"),
        "{text}"
    );
}

#[test]
fn the_json_names_are_the_documented_ones() {
    let db = hand_db();
    let out = common::hostlife(&db, &["suspects", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["trials"].as_u64(), v["failed"].as_u64()),
        (Some(5), Some(2))
    );
    let s = &v["suspects"][0];
    for key in ["job", "failures", "uses", "lift", "score", "evidence"] {
        assert!(s.get(key).is_some(), "suspect without {key}: {s}");
    }
    assert_eq!(s["job"], "test-c");
    assert_eq!(
        s["evidence"][0],
        json!({"flight": 3, "job": "test-pair", "host": "bari0", "install_flight": 3})
    );
    let h = &v["hosts"][0];
    for key in ["host", "failed_installs", "consecutive"] {
        assert!(h.get(key).is_some(), "host without {key}: {h}");
    }
    // --host narrows; --since counts back from now, and these installs are
    // from 1970.
    let out = common::hostlife(&db, &["suspects", "--json", "--host", "italia0"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["trials"], 3);
    let out = common::hostlife(&db, &["suspects", "--since", "1"]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("no ts-host-install step has run yet"),
        "{out:?}"
    );
    let out = common::hostlife(&db, &["suspects", "--host", ""]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

#[test]
fn the_text_shows_counts_lift_and_evidence() {
    let db = hand_db();
    let out = common::hostlife(&db, &["suspects", "--by-relation"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("5 host install trials, 2 failed (40.0%)\n"),
        "{text}"
    );
    let line = text.lines().find(|l| l.contains("test-c")).unwrap();
    for part in ["1/1", "2.5×", "3 → bari0 3.test-pair"] {
        assert!(line.contains(part), "{part} missing from {line:?}");
    }
    assert!(text.contains("SHARE"), "{text}");
    let bari = text.lines().find(|l| l.contains("bari0  ")).unwrap();
    assert!(
        bari.contains("1/2") && bari.ends_with("1 in a row"),
        "{bari:?}"
    );
}

/// The planted causes of the medium lab: the breaker job is the first
/// suspect and flagged, the flaky hosts are host problems, and the job
/// name that preceded the most installs is not flagged.
#[test]
fn the_simulators_planted_causes_are_found() {
    let db = TestDb::new();
    let report = sim::seed(&db.connector(), &SeedConfig::scale(Scale::Medium), &|_| {}).unwrap();
    let trials = insight::trials(&mut db.connect(), None, None, None).unwrap();
    // Read on two connections, as `hostlife suspects` does: the same.
    let mut client = db.connect();
    let mut helper = db.connect();
    let split = read_only(&mut client, None, |tx| {
        insight::trials(tx, Some(&mut helper), None, None)
    })
    .unwrap();
    assert!(split == trials, "the two-connection read differs");
    let r = suspects::rank(&trials);
    assert!(
        r.trials > 100 && r.failed > 10,
        "{} / {}",
        r.failed,
        r.trials
    );
    let first = &r.suspects[0];
    assert_eq!(
        first.job,
        report.planted.breaker_job,
        "{:#?}",
        &r.suspects[..3]
    );
    assert!(first.flagged, "{first:#?}");
    assert!(first.lift > 2.0, "{first:#?}");
    // Hundreds of names are judged at once: none of the neutral ones is
    // flagged by chance.
    let flagged: Vec<&str> = r
        .suspects
        .iter()
        .filter(|s| s.flagged)
        .map(|s| s.job.as_str())
        .collect();
    assert_eq!(
        flagged,
        [report.planted.breaker_job],
        "{:#?}",
        &r.suspects[..4]
    );
    for flaky in &report.planted.flaky_hosts {
        let h = r.hosts.iter().find(|h| &h.host == flaky);
        assert!(
            h.is_some_and(|h| h.flagged),
            "{flaky} not flagged: {:#?}",
            r.hosts
        );
    }
    let flagged_hosts = r.hosts.iter().filter(|h| h.flagged).count();
    assert_eq!(
        flagged_hosts,
        report.planted.flaky_hosts.len(),
        "{:#?}",
        r.hosts
    );
    // Uses of every job name, failed or not, from the trials themselves.
    let mut uses = std::collections::BTreeMap::<&str, u64>::new();
    for t in &trials {
        let names: std::collections::BTreeSet<&str> =
            t.predecessors.iter().map(|p| p.job.as_str()).collect();
        for n in names {
            *uses.entry(n).or_default() += 1;
        }
    }
    let (busiest, n) = uses
        .iter()
        .filter(|(j, _)| **j != report.planted.breaker_job)
        .max_by_key(|(_, n)| **n)
        .unwrap();
    assert!(*n > first.uses, "{busiest} {n}");
    let busiest = r.suspects.iter().find(|s| s.job == *busiest);
    assert!(busiest.is_none_or(|s| !s.flagged), "{busiest:#?}");
}

/// The helper connection reads what the caller's snapshot holds, not
/// what was committed since; a name that is not a snapshot's is refused
/// before it is sent.
#[test]
fn a_helper_reads_on_the_callers_snapshot() {
    let db = hand_db();
    let mut client = db.connect();
    let mut helper = db.connect();
    let mut writer = db.connect();
    let status = "SELECT status FROM jobs WHERE flight = 1 AND job = 'test-a'";
    read_only(&mut client, None, |tx| {
        let before: String = tx.query_one(status, &[])?.get(0);
        let snapshot: String = tx.query_one("SELECT pg_export_snapshot()", &[])?.get(0);
        writer
            .execute(
                "UPDATE jobs SET status = 'broken' WHERE flight = 1 AND job = 'test-a'",
                &[],
            )
            .unwrap();
        let seen: String = read_only_on(&mut helper, &snapshot, |h| {
            Ok(h.query_one(status, &[])?.get(0))
        })?;
        assert_eq!(seen, before);
        let refused = read_only_on(&mut helper, "1'; SET x = '1", |_| Ok(()));
        assert!(
            refused
                .unwrap_err()
                .to_string()
                .contains("not a snapshot name"),
            "refused"
        );
        Ok(())
    })
    .unwrap();
}

/// A helper that cannot join the snapshot (another database: as a
/// multi-host conninfo might reach another server) only costs time.
#[test]
fn a_helper_on_another_database_is_not_used() {
    let db = hand_db();
    let other = TestDb::new();
    let alone = insight::trials(&mut db.connect(), None, None, None).unwrap();
    let mut helper = other.connect();
    let split = read_only(&mut db.connect(), None, |tx| {
        insight::trials(tx, Some(&mut helper), None, None)
    })
    .unwrap();
    assert!(split == alone, "read with a foreign helper differs");
    assert!(!alone.is_empty());
}

/// A role allowed one connection: `hostlife suspects` cannot open its
/// helper, says so, and answers on one connection the same.
#[test]
fn suspects_on_one_connection_when_no_second_is_allowed() {
    let db = hand_db();
    let role = format!("{}_one", db.name());
    let mut admin = db.admin();
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD 'pw' CONNECTION LIMIT 1 IN ROLE osstest_ro"
        ))
        .unwrap();
    let conninfo: Vec<String> = db
        .read_only_conninfo()
        .split(' ')
        .filter(|p| !p.starts_with("password="))
        .map(|p| {
            if p.starts_with("user=") {
                format!("user={role} password=pw")
            } else {
                p.to_owned()
            }
        })
        .collect();
    let conninfo = conninfo.join(" ");
    assert!(conninfo.contains(&role), "{conninfo}");
    let both = common::hostlife(&db, &["suspects", "--json"]);
    let one = common::hostlife_at(&conninfo, &["suspects", "--json"]);
    admin.batch_execute(&format!("DROP ROLE {role}")).ok();
    assert!(one.status.success(), "{one:?}");
    assert_eq!(
        String::from_utf8_lossy(&one.stdout),
        String::from_utf8_lossy(&both.stdout)
    );
    let err = String::from_utf8_lossy(&one.stderr);
    assert!(err.contains("reading on one connection"), "{err}");
}

/// `hostlife ... | head`: the reader goes away, the command ends quietly
/// (no panic, no message, status 0).
#[test]
fn output_closed_early_is_not_a_failure() {
    let db = hand_db();
    // Far more output than a pipe holds: a long runvar, decoded.
    let runvar = "180001.test-a:3 ".repeat(6_000);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hostlife"))
        .args(["--db", &db.conninfo(), "decode", runvar.trim_end()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The hosts' health from the same lab, counted by hand.
#[test]
fn the_health_of_a_hand_made_lab() {
    use hostlife::lifecycle::health::Outcome::{Broken, Fail, Pass, Running};
    let db = hand_db();
    let hosts = [
        "italia0".to_owned(),
        "bari0".to_owned(),
        "nowhere".to_owned(),
    ];
    // A week back from here reaches the installs from 500 on.
    let now = 7 * 86_400 + 500;
    let h = insight::host_health(&mut db.connect(), &hosts, now).unwrap();
    let italia = &h["italia0"];
    assert_eq!(italia.outcomes, [Pass, Pass, Fail, Running]);
    // Reinstalled by flight 4's test-b, the only job since.
    assert_eq!(
        (italia.install_flight, italia.jobs_since_install),
        (Some(4), Some(1))
    );
    assert_eq!(italia.failed_installs_recently, 1);
    let bari = &h["bari0"];
    assert_eq!(bari.outcomes, [Pass, Pass, Broken]);
    assert_eq!(
        (bari.install_flight, bari.jobs_since_install),
        (Some(2), Some(3))
    );
    assert_eq!(bari.failed_installs_recently, 1);
    let nowhere = &h["nowhere"];
    assert!(nowhere.outcomes.is_empty());
    assert_eq!(
        (nowhere.install_flight, nowhere.jobs_since_install),
        (None, None)
    );
    // A day later, the week no longer reaches them.
    let later = insight::host_health(&mut db.connect(), &hosts, now + 86_400).unwrap();
    assert_eq!(later["italia0"].failed_installs_recently, 0);
    // The suspects' hosts: five installs flag nobody.
    assert!(
        insight::suspects(&mut db.connect(), None)
            .unwrap()
            .problem_hosts()
            .next()
            .is_none()
    );
}

/// `hostlife blame` on the hand-made lab: flight 3's test-pair, whose
/// install of bari0 (as `dst_host`) failed while test-c shared it.
#[test]
fn blame_of_a_failed_install_counted_by_hand() {
    let db = hand_db();
    let out = common::hostlife(&db, &["blame", "3", "test-pair", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "broken");
    assert_eq!(
        v["failed_step"],
        json!([1, "ts-host-install-twice", "fail"])
    );
    // Flights 2 and 3: test-b failed, test-pair broke, three passed.
    assert_eq!(v["fleet"], json!({"failed": 2, "ended": 5}));
    let h = &v["hosts"][0];
    assert_eq!(
        (h["ident"].as_str(), h["host"].as_str()),
        (Some("dst_host"), Some("bari0"))
    );
    assert_eq!(
        h["before"],
        json!([
            {"flight": 2, "job": "test-b", "relation": "prep."},
            {"flight": 3, "job": "test-c", "relation": "share"},
        ])
    );
    assert_eq!(h["recent_tally"], json!({"failed": 0, "ended": 2}));
    assert_eq!(h["same_job"][0]["host"], "italia0");
    assert_eq!(h["same_job_tally"], json!({"failed": 0, "ended": 1}));
    assert_eq!(h["verdict"], "unclear");
    assert_eq!(
        h["line"],
        "host bari0 (dst_host): 0 of its last 2 jobs failed, fleet 40%; the same job passed on 1 \
         of 1 other runs in flight 2: the host does not stand out"
    );
    let text = common::hostlife(&db, &["blame", "3", "test-pair"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.starts_with("3.test-pair: broken (step 1 ts-host-install-twice: fail)\n"),
        "{text}"
    );
    assert!(text.contains("    share  3.test-c\n"), "{text}");
    // A job that does not exist is refused, with exit 1.
    let out = common::hostlife(&db, &["blame", "3", "test-nothing"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}
