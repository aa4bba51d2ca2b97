//! `db upgrade` on osstest's layout: what it adds, what it reuses, what it
//! refuses, and that osstest's writers go on while it builds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use hostlife::db::testdb::TestDb;
use postgres::Client;
use serde_json::Value;

fn command(conninfo: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hostlife"));
    c.args(args).env("HOSTLIFE_DB", conninfo);
    c
}

fn hostlife(conninfo: &str, args: &[&str]) -> Output {
    command(conninfo, args).output().expect("run hostlife")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn upgrade_json(db: &TestDb, extra: &[&str]) -> Value {
    let mut args = vec!["db", "upgrade", "--json"];
    args.extend_from_slice(extra);
    let o = hostlife(&db.conninfo(), &args);
    assert!(o.status.success(), "{}", text(&o));
    serde_json::from_slice(&o.stdout).expect("upgrade --json")
}

fn steps(report: &Value) -> Vec<String> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["what"].as_str().unwrap().to_owned())
        .collect()
}

fn notes(report: &Value) -> Vec<String> {
    report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

fn exists(c: &mut Client, name: &str) -> bool {
    c.query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])
        .unwrap()
        .get(0)
}

/// (name, valid) of every index on `table`, by name.
fn indexes(c: &mut Client, table: &str) -> Vec<(String, bool)> {
    c.query(
        "SELECT c.relname::text, i.indisvalid FROM pg_index i
           JOIN pg_class c ON c.oid = i.indexrelid
          WHERE i.indrelid = $1::text::regclass ORDER BY 1",
        &[&table],
    )
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

/// What an existing installation without hostlife looks like: osstest's
/// tables, no `host_lifecycle`, none of hostlife's indexes, and (an older
/// one) no `runvars_host_idx`.
fn strip(c: &mut Client) {
    c.batch_execute(
        "DROP TABLE host_lifecycle;
         DROP INDEX runvars_host_idx, tasks_live_idx",
    )
    .unwrap();
}

#[test]
fn a_fresh_database_needs_nothing() {
    let db = TestDb::new();
    let report = upgrade_json(&db, &[]);
    assert_eq!(steps(&report), Vec::<String>::new());
    assert_eq!(report["owner"], "osstest");
    assert!(
        notes(&report).contains(&"runvars_host_idx: uses runvars_host_idx".to_owned()),
        "{report}"
    );
    let o = hostlife(&db.conninfo(), &["db", "upgrade"]);
    assert!(text(&o).contains("nothing to do"), "{}", text(&o));
    let o = hostlife(&db.conninfo(), &["db", "init"]);
    assert_eq!(o.status.code(), Some(3), "init over osstest's tables fails");
}

#[test]
fn adds_what_is_missing_with_runvars_grants_then_nothing() {
    let db = TestDb::new();
    let mut c = db.connect();
    strip(&mut c);

    let o = hostlife(&db.conninfo(), &["db", "upgrade", "--dry-run"]);
    let dry = text(&o);
    assert!(o.status.success(), "{dry}");
    for sql in [
        "CREATE TABLE host_lifecycle",
        "GRANT SELECT ON host_lifecycle TO \"osstest_ro\";",
        "CREATE INDEX CONCURRENTLY runvars_host_idx ON runvars (val, flight) WHERE name = 'host' OR name LIKE '%\\_host';",
        "CREATE INDEX CONCURRENTLY tasks_live_idx",
        "CREATE INDEX CONCURRENTLY host_lifecycle_task_idx",
    ] {
        assert!(dry.contains(sql), "dry run lacks {sql:?}:\n{dry}");
    }
    assert!(
        !exists(&mut c, "host_lifecycle"),
        "--dry-run changed nothing"
    );
    assert!(!exists(&mut c, "runvars_host_idx"));

    let report = upgrade_json(&db, &[]);
    let done = steps(&report);
    assert_eq!(done.len(), 6, "table, grants, four indexes: {done:?}");
    assert!(done[0].starts_with("create host_lifecycle"), "{done:?}");
    assert!(done[1].contains("osstest_ro"), "{done:?}");
    for name in [
        "runvars_host_idx",
        "tasks_live_idx",
        "host_lifecycle_task_idx",
        "host_lifecycle_taskid_idx",
    ] {
        assert!(exists(&mut c, name), "{name} built");
    }
    assert!(indexes(&mut c, "runvars").iter().all(|(_, valid)| *valid));

    // The read-only role reads the new table: the TUI's and the CLI's
    // reads work as it, and its writes are refused for want of INSERT.
    let o = hostlife(&db.read_only_conninfo(), &["hosts", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let mut ro = hostlife::db::connect_blocking(db.read_only_config()).unwrap();
    ro.batch_execute("SELECT count(*) FROM host_lifecycle")
        .unwrap();
    // The owner writes it, sequence and all.
    c.batch_execute("INSERT INTO host_lifecycle (hostname, taskid) VALUES ('h', 1)")
        .unwrap();

    let again = upgrade_json(&db, &[]);
    assert_eq!(steps(&again), Vec::<String>::new(), "{again}");
}

#[test]
fn an_equivalent_index_under_another_name_is_used_not_doubled() {
    let db = TestDb::new();
    let mut c = db.connect();
    c.batch_execute(
        "DROP INDEX runvars_host_idx;
         CREATE INDEX lab_hosts ON runvars (val, flight)
             WHERE name::text = 'host'::text OR name::text ~~ '%\\_host'::text",
    )
    .unwrap();
    let before = indexes(&mut c, "runvars");
    let report = upgrade_json(&db, &[]);
    assert_eq!(steps(&report), Vec::<String>::new(), "{report}");
    assert!(
        notes(&report).contains(&"runvars_host_idx: uses lab_hosts".to_owned()),
        "{report}"
    );
    assert_eq!(indexes(&mut c, "runvars"), before);
}

#[test]
fn an_index_left_invalid_by_an_interrupted_build_is_rebuilt() {
    let db = TestDb::new();
    let mut c = db.connect();
    // What a cancelled CREATE INDEX CONCURRENTLY leaves behind.
    db.admin()
        .batch_execute(
            "UPDATE pg_index SET indisvalid = false
              WHERE indexrelid = 'runvars_host_idx'::regclass",
        )
        .unwrap();
    let report = upgrade_json(&db, &[]);
    let done = steps(&report);
    assert_eq!(done.len(), 1, "{done:?}");
    assert!(done[0].starts_with("rebuild runvars_host_idx"), "{done:?}");
    assert_eq!(
        indexes(&mut c, "runvars"),
        vec![
            ("runvars_host_idx".to_owned(), true),
            ("runvars_lifecycle_tasks_idx".to_owned(), true),
            ("runvars_pkey".to_owned(), true)
        ]
    );
}

#[test]
fn another_index_by_that_name_is_left_alone_and_said() {
    let db = TestDb::new();
    let mut c = db.connect();
    c.batch_execute(
        "DROP INDEX tasks_live_idx;
         CREATE INDEX tasks_live_idx ON tasks (refkey)",
    )
    .unwrap();
    let report = upgrade_json(&db, &[]);
    assert_eq!(steps(&report), Vec::<String>::new(), "{report}");
    assert!(
        notes(&report)
            .iter()
            .any(|n| n.starts_with("tasks_live_idx: an index of that name exists")),
        "{report}"
    );
}

#[test]
fn a_role_that_does_not_own_the_tables_is_told_which_does() {
    let db = TestDb::new();
    strip(&mut db.connect());
    let o = hostlife(&db.read_only_conninfo(), &["db", "upgrade"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(
            "db upgrade must run as the owner of osstest's tables, osstest (you are osstest_ro)"
        ),
        "{}",
        text(&o)
    );
    assert!(!exists(&mut db.connect(), "host_lifecycle"));
    // A member of the owning role acts as it: what it makes is osstest's.
    let mut admin = db.admin();
    admin
        .batch_execute("CREATE ROLE lab_admin LOGIN IN ROLE osstest")
        .or_else(|_| admin.batch_execute("GRANT osstest TO lab_admin"))
        .unwrap();
    let conninfo = db.conninfo().replace("user=osstest", "user=lab_admin");
    let o = hostlife(&conninfo, &["db", "upgrade"]);
    assert!(o.status.success(), "{}", text(&o));
    let owner: String = db
        .connect()
        .query_one(
            "SELECT pg_get_userbyid(relowner)::text FROM pg_class WHERE relname = 'host_lifecycle'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(owner, "osstest");
}

#[test]
fn a_database_without_osstest_tables_is_refused() {
    let db = TestDb::new();
    db.connect()
        .batch_execute("DROP TABLE runvars CASCADE")
        .unwrap();
    let o = hostlife(&db.conninfo(), &["db", "upgrade"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("not an osstest database: table runvars is missing"),
        "{}",
        text(&o)
    );
}

/// Wait until `pid`'s backend is running a statement starting `prefix`
/// and waiting on a lock; panic (naming what it was doing) after a
/// minute, so a broken upgrade fails the test rather than hanging it.
fn wait_for_build(watch: &mut Client, upgrade: &mut Child, prefix: &str) -> i32 {
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        let row = watch
            .query_opt(
                "SELECT pid FROM pg_stat_activity
                  WHERE query LIKE $1 || '%' AND wait_event_type = 'Lock'",
                &[&prefix],
            )
            .unwrap();
        if let Some(row) = row {
            return row.get(0);
        }
        if let Some(status) = upgrade.try_wait().unwrap() {
            panic!("upgrade ended ({status}) before it waited mid-build");
        }
        assert!(
            Instant::now() < deadline,
            "the upgrade never reached `{prefix}`"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn osstest_writes_runvars_while_the_index_is_built() {
    let db = TestDb::new();
    let mut c = db.connect();
    c.batch_execute(
        "DROP INDEX runvars_host_idx;
         INSERT INTO flights (flight, blessing, branch) VALUES (1, 'running', 'xen-unstable');
         INSERT INTO jobs (flight, job) VALUES (1, 'build-amd64');",
    )
    .unwrap();
    // A writer in the middle of a transaction: the concurrent build waits
    // for it to end before it can finish, so the build is held mid-way.
    let mut held = db.connect();
    held.batch_execute(
        "BEGIN; INSERT INTO runvars VALUES (1, 'build-amd64', 'host', 'italia0', false)",
    )
    .unwrap();

    let mut upgrade = command(&db.conninfo(), &["db", "upgrade"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut watch = db.connect();
    let pid = wait_for_build(
        &mut watch,
        &mut upgrade,
        "CREATE INDEX CONCURRENTLY runvars_host_idx",
    );

    // osstest goes on writing: another job's runvars commit while the
    // build waits. (A guard, not a timing: a blocked insert fails.)
    let mut writer = db.connect();
    writer
        .batch_execute(
            "SET statement_timeout = '30s';
             INSERT INTO jobs (flight, job) VALUES (1, 'test-amd64-amd64-xl');
             INSERT INTO runvars VALUES (1, 'test-amd64-amd64-xl', 'host', 'elbling1', false);
             UPDATE runvars SET val = 'elbling0' WHERE job = 'test-amd64-amd64-xl'",
        )
        .expect("a runvars write commits during the build");

    // What the upgrade holds on runvars: nothing that conflicts with the
    // ROW EXCLUSIVE lock of osstest's writes.
    let modes: Vec<String> = watch
        .query(
            "SELECT mode FROM pg_locks
              WHERE pid = $1 AND granted AND relation = 'runvars'::regclass",
            &[&pid],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(!modes.is_empty(), "the build holds a lock on runvars");
    for mode in &modes {
        assert!(
            [
                "AccessShareLock",
                "RowShareLock",
                "RowExclusiveLock",
                "ShareUpdateExclusiveLock"
            ]
            .contains(&mode.as_str()),
            "the upgrade holds {mode} on runvars, which blocks osstest's writers"
        );
    }

    held.batch_execute("COMMIT").unwrap();
    let out = upgrade.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        indexes(&mut c, "runvars").contains(&("runvars_host_idx".to_owned(), true)),
        "the index is valid"
    );
    // And it answers for the rows written during the build.
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM runvars WHERE (name = 'host' OR name LIKE '%\\_host')
               AND val IN ('italia0', 'elbling0')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
}
