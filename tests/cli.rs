//! The `hostlife` binary end to end against a real database: every command
//! and every refusal, with exit statuses and JSON output.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

mod common;

use common::hostlife;

use std::process::{Command, Output};

use hostlife::db::testdb::TestDb;
use serde_json::{Value, json};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", stdout(o), stderr(o)))
}

/// The spec's worked example world (section 8), without any rows.
fn spec_world(db: &TestDb) -> postgres::Client {
    let mut c = db.connect();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/vectors/spec-s7.json"
    ))
    .unwrap();
    let scenario: Value = serde_json::from_str(&text).unwrap();
    common::load_world(&mut c, &scenario["world"]);
    c
}

/// The spec's worked example up to build-c's selectprep: build-a prepared
/// and used h1, build-b used it (both tasks since ended), build-c is
/// preparing it.
fn worked_example_to_build_c(db: &TestDb, c: &mut postgres::Client) {
    for (mode, job, step, task) in [
        ("selectprep", "build-a", "2", "7"),
        ("select", "build-a", "5", "7"),
        ("select", "build-b", "3", "8"),
    ] {
        let o = record(db, mode, job, step, task);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    common::set_live(c, 7, false);
    common::set_live(c, 8, false);
    assert!(
        record(db, "selectprep", "build-c", "3", "9")
            .status
            .success()
    );
}

fn record(db: &TestDb, mode: &str, job: &str, step: &str, task: &str) -> Output {
    hostlife(
        db,
        &[
            "record", mode, "h1", "--flight", "100", "--job", job, "--step", step, "--taskid", task,
        ],
    )
}

#[test]
fn worked_example_through_the_cli() {
    let db = TestDb::new();
    let mut c = spec_world(&db);
    worked_example_to_build_c(&db, &mut c);
    let o = record(&db, "selectprep", "build-d", "4", "10");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "host_lifecycle = @build-a:2 5 [1] +@build-c:3 @\n"
    );
    assert_eq!(
        common::runvar(&mut c, 100, "build-d", "host_lifecycle").as_deref(),
        Some("@build-a:2 5 [1] +@build-c:3 @")
    );

    // Same sigil again: the early return, nothing written.
    let rows = common::count_rows(&mut c);
    let o = hostlife(
        &db,
        &[
            "record",
            "selectprep",
            "h1",
            "--flight",
            "100",
            "--job",
            "build-d",
            "--step",
            "4",
            "--taskid",
            "10",
            "--json",
        ],
    );
    assert!(o.status.success());
    assert_eq!(json(&o)["outcome"], "unchanged");
    assert_eq!(common::count_rows(&mut c), rows);
}

#[test]
fn testid_and_task_spec_resolve() {
    let db = TestDb::new();
    let mut c = spec_world(&db);
    let o = hostlife(
        &db,
        &[
            "record",
            "select",
            "h1",
            "--flight",
            "100",
            "--job",
            "build-a",
            "--testid",
            "a5",
            "--task",
            "7 ownd r7",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["outcome"], "recorded");
    assert_eq!(v["stepno"], 5);
    assert_eq!(v["runvar"], "+");
    assert_eq!(common::count_rows(&mut c), 1);
}

#[test]
fn out_of_job_use_as_static_task_then_wiped() {
    let db = TestDb::new();
    let mut c = spec_world(&db);
    let o = hostlife(
        &db,
        &[
            "record",
            "select",
            "h1",
            "--static-task",
            "ian@lab",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["outcome"], "out_of_job");
    let taskid = i32::try_from(v["taskid"].as_i64().unwrap()).unwrap();
    // h1 is shared: held by the magic shared task, and ian holds no share.
    let o = hostlife(&db, &["record", "wiped", "h1", "--static-task", "ian@lab"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("holds none of its shares"),
        "{}",
        stderr(&o)
    );
    c.batch_execute(
        "DELETE FROM resource_sharing; DELETE FROM resources WHERE restype = 'share-host'",
    )
    .unwrap();
    common::alloc(&mut c, "host", "h1", 0, taskid);
    let o = hostlife(
        &db,
        &[
            "record",
            "wiped",
            "h1",
            "--static-task",
            "ian@lab",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&o)["deleted"], 0);
}

#[test]
fn refusals_exit_1_and_write_nothing() {
    let db = TestDb::new();
    let mut c = spec_world(&db);
    c.batch_execute(
        "INSERT INTO flights (flight, blessing, branch) VALUES (99, 'real', 'xen-unstable');
         INSERT INTO jobs VALUES (99, 'old', 'build', 'pass');
         INSERT INTO steps (flight, job, stepno, step, status) VALUES (99, 'old', 1, 'ts-x', 'pass');
         INSERT INTO runvars VALUES (100, 'build-a', 'host_lifecycle', 'by hand', false);
         INSERT INTO tasks (taskid, type, refkey, live) VALUES (50, 'ownd', 'dead', false);",
    )
    .unwrap();
    let base = [
        "--flight", "100", "--job", "build-b", "--step", "3", "--taskid", "8",
    ];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--taskid", "999"], "does not exist"),
        (vec!["--taskid", "50"], "not live"),
        (vec!["--task", "8 ownd wrong"], "is ownd r8, not ownd wrong"),
        (vec!["--flight", "100"], "without a job"),
        (vec!["--job", "build-b"], "without a flight"),
        (
            vec![
                "--flight", "7", "--job", "x", "--step", "1", "--taskid", "8",
            ],
            "flight 7 does not exist",
        ),
        (
            vec![
                "--flight", "100", "--job", "nope", "--step", "1", "--taskid", "8",
            ],
            "job 100.nope does not exist",
        ),
        (
            vec![
                "--flight", "100", "--job", "build-b", "--step", "9", "--taskid", "8",
            ],
            "has no step 9",
        ),
        (
            vec![
                "--flight", "100", "--job", "build-b", "--testid", "zz", "--taskid", "8",
            ],
            "testid \"zz\"",
        ),
        (
            vec![
                "--flight", "99", "--job", "old", "--step", "1", "--taskid", "8",
            ],
            "blessing \"real\"",
        ),
        (
            vec![
                "--flight", "100", "--job", "build-a", "--step", "2", "--taskid", "7",
            ],
            "not synthetic",
        ),
    ];
    for (extra, want) in cases {
        let mut args = vec!["record", "select", "h1"];
        if extra.iter().any(|a| *a == "--flight" || *a == "--job") {
            args.extend(&extra);
        } else {
            args.extend(&base[..6]);
            args.extend(&extra);
        }
        let o = hostlife(&db, &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(want),
            "{args:?}: want {want:?}, got {}",
            stderr(&o)
        );
    }
    for (host, want) in [
        ("", "invalid host name"),
        ("a b", "invalid host name"),
        ("ghost", "no resources row"),
    ] {
        let o = hostlife(&db, &["record", "select", host, "--taskid", "8"]);
        assert_eq!(o.status.code(), Some(1), "{host:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{}", stderr(&o));
    }
    // A static task is created inside the call's transaction, which the
    // refusal (after its creation) rolls back.
    let o = hostlife(
        &db,
        &["record", "select", "ghost", "--static-task", "new@lab"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("no resources row"), "{}", stderr(&o));
    // wiped while others hold shares of the build host.
    let o = hostlife(&db, &["record", "wiped", "h1", "--taskid", "8", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["kind"], "refused");
    assert_eq!(v["detail"]["refusal"], "others_hold_shares");
    assert_eq!(common::count_rows(&mut c), 0);
    // The operator's static task was not left behind by a refused call.
    let n: i64 = c
        .query_one("SELECT count(*) FROM tasks WHERE type = 'static'", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[test]
fn wiped_names_the_holder_and_nested_records_nothing() {
    let db = TestDb::new();
    let mut c = spec_world(&db);
    c.batch_execute(
        "INSERT INTO tasks (taskid, type, refkey, live, username)
              VALUES (60, 'static', 'ian@lab', true, 'ian');
         INSERT INTO resources VALUES ('host', 'pinot0', 0, 60, '');",
    )
    .unwrap();
    let o = hostlife(&db, &["record", "wiped", "pinot0", "--taskid", "7"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("held by task 60 (static ian@lab, user ian)"),
        "{}",
        stderr(&o)
    );
    let o = hostlife(
        &db,
        &[
            "record", "select", "l1", "--nested", "--flight", "100", "--job", "build-a", "--step",
            "5", "--taskid", "7",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "nested host: nothing recorded\n");
    assert_eq!(common::count_rows(&mut c), 0);
}

#[test]
fn connection_failure_exits_2_without_password() {
    let o = Command::new(env!("CARGO_BIN_EXE_hostlife"))
        .args([
            "hosts",
            "--db",
            "host=/nonexistent port=1 user=u password=sekrit dbname=x",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!stderr(&o).contains("sekrit"));
    assert!(stderr(&o).contains("cannot connect"), "{}", stderr(&o));
}

#[test]
fn decode_offline_and_malformed() {
    let o = Command::new(env!("CARGO_BIN_EXE_hostlife"))
        .args([
            "decode",
            "@build-amd64:2 :2 +3",
            "--flight",
            "100",
            "--job",
            "build-i386",
            "--json",
        ])
        .env_remove("HOSTLIFE_DB")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["entries"][2]["job"], "build-amd64");
    assert_eq!(v["entries"][2]["stepno"], 3);
    assert_eq!(v["entries"][1]["own"], true);
    assert_eq!(v["entries"][1]["job"], "build-i386");
    // Without --job an own entry is "this job", unnamed: null, not a
    // flight 0 or an empty name that no job has.
    let o = Command::new(env!("CARGO_BIN_EXE_hostlife"))
        .args(["decode", "@build-amd64:2 :2", "--json"])
        .env_remove("HOSTLIFE_DB")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["entries"][1]["own"], true);
    assert_eq!(v["entries"][1]["flight"], json!(null));
    assert_eq!(v["entries"][1]["job"], json!(null));
    assert_eq!(v["entries"][0]["flight"], json!(null));
    assert_eq!(v["entries"][0]["job"], "build-amd64");
    assert_eq!(v["jobs"][1]["job"], json!(null));
    let o = Command::new(env!("CARGO_BIN_EXE_hostlife"))
        .args(["decode", "x:2 @+y:3"])
        .env_remove("HOSTLIFE_DB")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("`@+y:3` at byte 4"), "{}", stderr(&o));
}

#[test]
fn reads_hosts_show_history_and_lookup() {
    let db = TestDb::new();
    let mut c = spec_world(&db);
    assert!(
        record(&db, "selectprep", "build-a", "2", "7")
            .status
            .success()
    );
    assert!(record(&db, "select", "build-a", "5", "7").status.success());
    c.batch_execute(
        "INSERT INTO runvars VALUES (100, 'build-a', 'host', 'h1', false);
         INSERT INTO hostflags VALUES ('h1', 'purpose-build'), ('h1', 'arch-amd64');
         INSERT INTO resource_properties VALUES
             ('host', 'h1', 'Serial', 'ttyS0'), ('host', 'h1', 'Ether', '52:54:00:00:00:01');",
    )
    .unwrap();

    let v = json(&hostlife(&db, &["hosts", "--json"]));
    let h1 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["host"] == "h1")
        .unwrap();
    assert_eq!(h1["rows"], 2);
    assert_eq!(h1["live_tasks"], 1);
    assert_eq!(h1["sharetype"], "build-amd64");
    // Flags and properties, sorted, as the host view lists them.
    assert_eq!(h1["flags"], json!(["arch-amd64", "purpose-build"]));
    assert_eq!(
        h1["properties"],
        json!([
            {"name": "Ether", "val": "52:54:00:00:00:01"},
            {"name": "Serial", "val": "ttyS0"}
        ])
    );
    assert!(stdout(&hostlife(&db, &["hosts"])).contains("1 host, 1 with live tasks"));

    let v = json(&hostlife(&db, &["show", "h1", "--json"]));
    assert_eq!(v["rows"][0]["later_notprep"], true);
    assert_eq!(v["rows"][0]["step"]["testid"], "a2");
    assert_eq!(v["listing"], "@100.build-a:2 +5");
    assert!(stdout(&hostlife(&db, &["show", "h1"])).contains("@ superseded"));

    let v = json(&hostlife(&db, &["history", "h1", "--json"]));
    assert_eq!(v["host"], "h1");
    assert_eq!(v["more"], false);
    assert_eq!(v["next_before"], json!(null));
    let job = &v["jobs"][0];
    assert_eq!(job["job"], "build-a");
    assert_eq!(job["runvar"], "@:2 +");
    // The decoded runvar is one object, not `entries` inside `entries`.
    assert_eq!(job["decoded"]["kind"], "entries");
    assert_eq!(job["decoded"]["entries"][0]["job"], "build-a");
    assert_eq!(job["decoded"]["incomplete"], true);
    let text = stdout(&hostlife(&db, &["history", "h1"]));
    assert!(text.starts_with("h1: 1 job named this host\n"), "{text}");
    assert!(
        text.contains("prep.  100.build-a (this job) (step 2)"),
        "{text}"
    );
    assert!(text.contains("this job incomplete"), "{text}");

    let o = hostlife(
        &db,
        &[
            "decode",
            "@build-a:2 +5",
            "--flight",
            "100",
            "--job",
            "build-d",
        ],
    );
    let text = stdout(&o);
    assert!(text.contains("ts-xen-build"), "{text}{}", stderr(&o));
}

/// A page of a longer history says it is the newest part, not the whole,
/// and where the next page starts.
#[test]
fn history_pages_say_there_is_more() {
    let db = TestDb::new();
    let mut c = spec_world(&db);
    for flight in 101..=103 {
        c.batch_execute(&format!(
            "INSERT INTO flights (flight, blessing, branch, intended, started)
                  VALUES ({flight}, 'real', 'xen-unstable', 'real', 0);
             INSERT INTO jobs (flight, job, status) VALUES ({flight}, 'test-x', 'pass');
             INSERT INTO runvars VALUES ({flight}, 'test-x', 'host', 'h1', false);"
        ))
        .unwrap();
    }
    let o = hostlife(&db, &["history", "h1", "--limit", "2"]);
    let text = stdout(&o);
    assert!(
        text.starts_with("h1: the newest 2 jobs that named this host\n"),
        "{text}{}",
        stderr(&o)
    );
    assert!(
        text.contains("older jobs: hostlife history h1 --before 102 --limit 2"),
        "{text}"
    );
    let v = json(&hostlife(&db, &["history", "h1", "--limit", "2", "--json"]));
    assert_eq!(v["more"], true);
    assert_eq!(v["next_before"], 102);
    assert_eq!(v["jobs"].as_array().unwrap().len(), 2);
    let text = stdout(&hostlife(&db, &["history", "h1", "--limit", "9"]));
    assert!(text.starts_with("h1: 3 jobs named this host\n"), "{text}");
}

#[test]
fn db_seed_fills_a_fresh_database_and_refuses_a_used_one() {
    let db = TestDb::new();
    let o = hostlife(&db, &["db", "seed", "--scale", "small", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = json(&o);
    let mut c = db.connect();
    assert_eq!(
        report["lifecycle_rows_kept"].as_i64().unwrap(),
        common::count_rows(&mut c)
    );
    assert!(report["hosts"].as_i64().unwrap() > 0);
    let o = hostlife(&db, &["db", "seed"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("not empty"), "{}", stderr(&o));
}

/// Without a terminal the demo prints where its database is and a hosts
/// summary, then removes its cluster.
#[test]
fn demo_without_a_terminal_prints_a_summary_and_cleans_up() {
    let o = Command::new(env!("CARGO_BIN_EXE_hostlife"))
        .arg("demo")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let conninfo = text
        .lines()
        .find_map(|l| l.strip_prefix("demo database: "))
        .unwrap_or_else(|| panic!("no connection line in {text}"));
    assert!(text.contains("with live tasks"), "{text}");
    let dir = conninfo
        .split(' ')
        .find_map(|kv| kv.strip_prefix("host="))
        .unwrap();
    assert!(!std::path::Path::new(dir).exists(), "{dir} left behind");
}

/// A write under `--read-only` is refused before any connection is made
/// (exit 1, not 2, with no server there); reads still work, in a
/// read-only session.
#[test]
fn read_only_refuses_writes_before_connecting_and_still_reads() {
    for args in [
        &["--read-only", "record", "select", "h1", "--taskid", "7"][..],
        &["--read-only", "record", "wiped", "h1", "--taskid", "7"],
        &["--read-only", "db", "init"],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_hostlife"))
            .args(args)
            .args(["--db", "host=/nonexistent port=1 user=u dbname=x"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("--read-only"), "{}", stderr(&o));
    }
    let db = TestDb::new();
    let o = hostlife(&db, &["--read-only", "hosts", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    json(&o);
}

/// The exit contract, as README "Exit status" states it: 0 done, 1
/// refused, 2 no database, 3 the database failed, 64 a command line that
/// does not parse; each failure with its JSON object under `--json`.
#[test]
fn each_exit_status_with_its_json_object() {
    let db = TestDb::new();
    let _c = spec_world(&db);
    let expect = |o: &Output, code: i32, kind: Option<&str>| {
        assert_eq!(o.status.code(), Some(code), "{}{}", stdout(o), stderr(o));
        let v = json(o);
        match kind {
            Some(kind) => {
                assert_eq!(v["kind"], kind, "{v}");
                assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
            }
            None => assert!(v.get("error").is_none(), "{v}"),
        }
    };

    expect(&hostlife(&db, &["hosts", "--json"]), 0, None);
    expect(
        &hostlife(
            &db,
            &["record", "select", "nohost", "--taskid", "7", "--json"],
        ),
        1,
        Some("refused"),
    );
    expect(
        &hostlife(
            &db,
            &["hosts", "--json", "--db", "host=/nonexistent port=1"],
        ),
        2,
        Some("connect"),
    );

    // A lock the read cannot get in time: the database's own failure.
    let mut holder = db.connect();
    let mut lock = holder.transaction().unwrap();
    lock.batch_execute("LOCK TABLE host_lifecycle IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let impatient = format!("{} options='-c lock_timeout=50'", db.conninfo());
    expect(
        &hostlife(&db, &["hosts", "--json", "--db", &impatient]),
        3,
        Some("failed"),
    );
    lock.rollback().unwrap();

    for args in [
        &["hosts", "--json", "--no-such-flag"][..],
        &["record", "--json"],
        &["--json", "no-such-command"],
        &["history", "--json", "--limit", "many", "h1"],
    ] {
        let o = hostlife(&db, args);
        expect(&o, 64, Some("usage"));
        assert!(stderr(&o).starts_with("error:"), "{args:?}: {}", stderr(&o));
    }
    // Asking for help is not a failure.
    let o = hostlife(&db, &["record", "--help"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("Usage"));
}

/// Writing commands given `target_session_attrs=read-only` over a standby
/// and its primary write to the primary (reads may come from the standby;
/// a write there could only fail).
#[test]
fn writes_find_the_primary_when_reads_aim_at_a_standby() {
    let db = TestDb::on_own_server();
    let mut c = spec_world(&db);
    c.batch_execute(
        "INSERT INTO tasks (taskid, type, refkey, live, username)
              VALUES (60, 'static', 'ian@lab', true, 'ian');
         INSERT INTO resources VALUES ('host', 'pinot0', 0, 60, '');",
    )
    .unwrap();
    let standby = db.start_standby();
    let tokio_postgres::config::Host::Unix(primary) = &db.config().get_hosts()[0] else {
        panic!("the test server listens on a socket")
    };
    let port = db.config().get_ports()[0];
    let conninfo = format!(
        "host={},{} port={},{port} user=osstest dbname=osstest target_session_attrs=read-only",
        standby.dir().display(),
        primary.display(),
        standby.port()
    );
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_hostlife"))
            .args(args)
            .env("HOSTLIFE_DB", &conninfo)
            .env_remove("OSSTEST_FLIGHT")
            .env_remove("OSSTEST_JOB")
            .env_remove("OSSTEST_TASK")
            .output()
            .unwrap()
    };
    let o = run(&["record", "select", "pinot0", "--taskid", "60"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(common::count_rows(&mut c), 1);
    let o = run(&["record", "wiped", "pinot0", "--taskid", "60"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Reads still work, from the standby.
    let o = run(&["hosts"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("pinot0"), "{}", stdout(&o));
}

/// The worked example's build-d after its final call, which found an
/// operator's static task too, with the steps' times.
fn report_world(db: &TestDb) -> postgres::Client {
    let mut c = spec_world(db);
    for (mode, job, step, task) in [
        ("selectprep", "build-a", "2", "7"),
        ("select", "build-a", "5", "7"),
        ("select", "build-b", "3", "8"),
    ] {
        assert!(record(db, mode, job, step, task).status.success());
    }
    common::set_live(&mut c, 7, false);
    common::set_live(&mut c, 8, false);
    assert!(
        record(db, "selectprep", "build-c", "3", "9")
            .status
            .success()
    );
    assert!(
        record(db, "selectprep", "build-d", "4", "10")
            .status
            .success()
    );
    c.batch_execute(
        "INSERT INTO tasks (taskid, type, refkey, username, live)
              VALUES (20, 'static', 'ian@bench', 'ian', true);
         UPDATE runvars SET val = '@build-a:2 5 [1] +@build-c:3 +?20'
          WHERE flight = 100 AND job = 'build-d' AND name = 'host_lifecycle';
         INSERT INTO runvars VALUES (100, 'build-d', 'host', 'h1', false);
         UPDATE steps SET started = 1000 * stepno, finished = 1000 * stepno + 500
          WHERE job = 'build-a';
         UPDATE jobs SET status = 'fail' WHERE job = 'build-d';",
    )
    .unwrap();

    c
}

/// The job report of the spec's worked example (section 8): per ident
/// and host, each job with its relation, roles, times and status, the
/// elided build job, an operator task, and "incomplete" — in text, JSON,
/// CSV and HTML, from the runvar and the steps, jobs and tasks tables.
#[test]
fn report_lists_what_might_have_affected_the_job() {
    let db = TestDb::new();
    let mut c = report_world(&db);
    let o = hostlife(&db, &["report", "100", "build-d", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["job_status"], "fail");
    let host = &v["hosts"][0];
    assert_eq!(host["ident"], "host");
    assert_eq!(host["host"], "h1");
    assert_eq!(host["runvar"], "@build-a:2 5 [1] +@build-c:3 +?20");
    assert_eq!(host["incomplete"], false);
    assert_eq!(
        host["lines"][0],
        json!({"kind": "job", "relation": "prep.", "flight": 100, "job": "build-a",
               "own": false, "roles": ["host"], "prep_started": 2000,
               "use_started": 5000, "last_ended": 5500, "job_status": "running"})
    );
    assert_eq!(host["lines"][1], json!({"kind": "elided", "count": 1}));
    assert_eq!(host["lines"][2]["job"], "build-c");
    assert_eq!(host["lines"][2]["relation"], "prep.");
    assert_eq!(host["lines"][2]["use_started"], json!(null));
    assert_eq!(host["lines"][3]["kind"], "task");
    assert_eq!(host["lines"][3]["relation"], "share");
    assert_eq!(host["lines"][3]["task"]["refkey"], "ian@bench");
    assert_eq!(host["lines"].as_array().unwrap().len(), 4);

    let text = stdout(&hostlife(&db, &["report", "100", "build-d"]));
    assert!(
        text.starts_with("Tasks which might have affected the host(s) of\n100.build-d\njob "),
        "{text}"
    );
    assert!(text.contains("host = h1\n"), "{text}");
    let words = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.lines().any(|l| words(l)
            == "prep. 100 build-a host 1970-01-01 00:33 1970-01-01 01:23 1970-01-01 01:31 running"),
        "{text}"
    );
    assert!(text.contains("1 earlier job elided"), "{text}");
    assert!(
        text.contains("task 20: static ian@bench (ian), live"),
        "{text}"
    );

    let csv = stdout(&hostlife(
        &db,
        &["report", "100", "build-d", "--format", "csv"],
    ));
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "IDENT,HOST,RELATION,FLIGHT,JOB,ROLES,PREP STARTED,USE STARTED,LAST STEP ENDED,JOB STATUS"
    );
    assert!(
        lines[1].starts_with("host,h1,prep.,100,build-a,host,"),
        "{csv}"
    );
    assert_eq!(lines.len(), 6, "{csv}");

    let html = stdout(&hostlife(
        &db,
        &["report", "100", "build-d", "--format", "html"],
    ));
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(
        html.contains("<h1>Tasks which might have affected the host(s) of 100.build-d (job "),
        "a page's heading is one line: {html}"
    );
    assert_eq!(html.matches("<table>").count(), 1, "{html}");
    assert_eq!(html.matches("<tr class=").count(), 4, "{html}");
    assert!(html.contains("<td>build-a</td>"), "{html}");
    assert!(
        !html.contains("http"),
        "a standalone page links nowhere: {html}"
    );

    // The job's own last call was selectprep: incomplete. A job that
    // does not exist is refused.
    c.batch_execute(
        "UPDATE runvars SET val = '@build-a:2 5 @'
          WHERE flight = 100 AND job = 'build-d' AND name = 'host_lifecycle'",
    )
    .unwrap();
    let text = stdout(&hostlife(&db, &["report", "100", "build-d"]));
    assert!(text.contains("this job incomplete"), "{text}");
    let o = hostlife(&db, &["report", "100", "build-zz"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

/// Split CSV (RFC 4180: quoted fields may hold commas, quotes and line
/// breaks; records end in CRLF) into records of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (vec![], vec![], String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF: {text}");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (_, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "unterminated: {text}"
    );
    records
}

/// Every read command prints its main table as CSV with --format csv:
/// a header, then every row, cells whole (a comma quoted), control
/// characters escaped; `--json` is `--format json`, and both at once is
/// a usage error.
#[test]
fn every_read_takes_format_csv() {
    let db = TestDb::new();
    let mut c = report_world(&db);
    c.batch_execute(
        "INSERT INTO hostflags VALUES ('h1', 'purpose-build'), ('h1', 'arch-amd64');
         UPDATE steps SET testid = E'c\\x1b]0;x' WHERE job = 'build-c';",
    )
    .unwrap();
    let csv = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--format", "csv"]);
        let o = hostlife(&db, &all);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        parse_csv(&stdout(&o))
    };

    let hosts = csv(&["hosts"]);
    assert_eq!(hosts[0][0], "HOST");
    let h1 = hosts.iter().find(|r| r[0] == "h1").unwrap();
    assert_eq!(h1[3], "arch-amd64,purpose-build");
    assert_eq!(hosts.len(), 2, "{hosts:?}");

    let show = csv(&["show", "h1"]);
    assert_eq!(show[0][..2], ["LCSEQ", "TASK"]);
    assert_eq!(
        show.len() - 1,
        usize::try_from(common::count_rows(&mut c)).unwrap()
    );
    let c9 = show.iter().find(|r| r[4] == "build-c").unwrap();
    assert_eq!(c9[10], r"c\e]0;x", "escaped: {c9:?}");

    let history = csv(&["history", "h1"]);
    assert_eq!(history[0][..3], ["FLIGHT", "JOB", "IDENT"]);
    assert_eq!(history[1][..3], ["100", "build-d", "host"]);
    assert_eq!(history[1][6], "@build-a:2 5 [1] +@build-c:3 +?20");

    let decoded = hostlife_offline(&["decode", "@a:2 5 [1]", "--format", "csv"]);
    let decoded = parse_csv(&decoded);
    assert_eq!(decoded.len(), 4, "{decoded:?}");
    assert_eq!(decoded[2][..3], ["(this)", "a", "5"]);

    let blame = csv(&["blame", "100", "build-d"]);
    assert_eq!(blame[0][..3], ["IDENT", "HOST", "VERDICT"]);
    assert_eq!(blame[1][..2], ["host", "h1"]);

    let suspects = csv(&["suspects"]);
    assert_eq!(suspects[0][..2], ["!", "SCORE"]);

    assert_eq!(
        json(&hostlife(&db, &["hosts", "--format", "json"])),
        json(&hostlife(&db, &["hosts", "--json"]))
    );
    let o = hostlife(&db, &["hosts", "--json", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(64), "{}", stderr(&o));
}

/// `hostlife` without any database in reach.
fn hostlife_offline(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_hostlife"))
        .args(args)
        .env_remove("HOSTLIFE_DB")
        .env("PGHOST", "/nonexistent")
        .output()
        .unwrap();
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

/// The worked example's h1 with times: build-a installs it (1000-5500),
/// build-b (2500), build-c (no step times, and only in the table: no
/// ident runvar), build-d's install fails
/// (4000), build-z has nothing to place it by; an operator's task
/// uses it after build-d's row, its task live. Returns the operator's
/// taskid.
fn timeline_world(db: &TestDb) -> (postgres::Client, i32) {
    let mut c = report_world(db);
    c.batch_execute(
        "INSERT INTO runvars VALUES (100, 'build-a', 'host', 'h1', false),
                                    (100, 'build-b', 'host', 'h1', false);
         -- A job with no steps, no row in the table, and a flight not
         -- started: nothing to place it by.
         INSERT INTO jobs (flight, job, recipe, status) VALUES (100, 'build-z', 'build', 'queued');
         INSERT INTO runvars VALUES (100, 'build-z', 'host', 'h1', false);
         UPDATE steps SET started = 2500, finished = 2600 WHERE job = 'build-b';
         UPDATE steps SET started = 4000, finished = 4100, status = 'fail' WHERE job = 'build-d';
         UPDATE steps SET status = 'pass' WHERE job = 'build-a' AND stepno = 2;
         UPDATE jobs SET status = 'pass' WHERE job IN ('build-a', 'build-b', 'build-c');",
    )
    .unwrap();
    assert!(
        hostlife(
            db,
            &["record", "select", "h1", "--static-task", "ian@bench"]
        )
        .status
        .success()
    );
    let operator = c
        .query_one(
            "SELECT max(taskid) FROM host_lifecycle WHERE flight IS NULL",
            &[],
        )
        .unwrap()
        .get(0);
    (c, operator)
}

/// A host's timeline from the ident runvars and steps: one lane per job
/// in order of start, the install marked, a job with no step times and
/// an out-of-job task from the table placed after the row before them;
/// as JSON and as SVG written to a file whole.
#[test]
fn timeline_draws_each_job_in_its_lane() {
    let db = TestDb::new();
    let (mut c, operator) = timeline_world(&db);
    // Nothing runs and no task is live: the window ends at the newest step.
    common::set_live(&mut c, operator, false);
    let o = hostlife(&db, &["timeline", "h1", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["to"], 5500, "{v}");
    let bars: Vec<(u64, &str)> = v["bars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["lane"].as_u64().unwrap(), b["job"].as_str().unwrap()))
        .collect();
    assert_eq!(
        bars,
        [
            (0, "build-a"),
            (1, "build-b"),
            (2, "build-c"),
            (3, "build-d")
        ]
    );
    assert_eq!(v["bars"][0]["prep_end"], 2500);
    assert_eq!(v["bars"][0]["end"], 5500);
    // build-c's steps have no times: it is placed after the table's row
    // before its own, build-b's.
    assert_eq!(
        (&v["bars"][2]["start"], &v["bars"][2]["timed"]),
        (&2500.into(), &false.into())
    );
    assert_eq!(v["unplaced"], 1, "build-z");
    let kinds: Vec<&str> = v["markers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["install", "failed_install", "task"], "{v}");
    assert_eq!(v["markers"][2]["at"], 4000, "after build-d's row: {v}");
    assert_eq!(v["markers"][2]["open"], false, "{v}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("h1.svg");
    let o = hostlife(&db, &["timeline", "h1", "--svg", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("h1: 4 jobs drawn to "),
        "{}",
        stdout(&o)
    );
    let svg = std::fs::read_to_string(&file).unwrap();
    assert!(svg.starts_with("<svg xmlns="), "{svg}");
    assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
    assert_eq!(svg.matches("<g class=\"job ").count(), 4, "{svg}");
    assert!(svg.contains("(1 with no times to place them by)"), "{svg}");
    assert_eq!(svg.matches("<rect class=\"prep\"").count(), 2, "{svg}");
    assert_eq!(svg.matches("<g class=\"marker task\"").count(), 1, "{svg}");
    assert!(!svg.contains("href"), "self-contained: {svg}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// While a live task holds the host (an operator's, or a running job's),
/// the timeline ends now and they reach it; a job osstest still calls
/// running whose task has ended (its flight killed) holds nothing.
#[test]
fn timeline_reaches_now_while_the_host_is_held() {
    let db = TestDb::new();
    let (mut c, operator) = timeline_world(&db);
    let o = hostlife(&db, &["timeline", "h1", "--json"]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let to = json(&o)["to"].as_u64().unwrap();
    assert!(now.abs_diff(to) < 60, "{to} is not now: {}", stderr(&o));
    // The steps as if in the last hours, to see them in a window to now.
    c.batch_execute(&format!(
        "UPDATE steps SET started = started + {0}, finished = finished + {0}",
        to - 6000
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("h1.svg");
    let o = hostlife(&db, &["timeline", "h1", "--svg", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = std::fs::read_to_string(&file).unwrap();
    assert_eq!(svg.matches("<line class=\"held\"").count(), 1, "{svg}");

    common::set_live(&mut c, operator, false);
    c.batch_execute("UPDATE jobs SET status = 'running' WHERE job = 'build-d'")
        .unwrap();
    let open = |c: &mut postgres::Client, live: bool| {
        common::set_live(c, 10, live);
        let v = json(&hostlife(&db, &["timeline", "h1", "--json"]));
        v["bars"][3]["open"].as_bool().unwrap()
    };
    assert!(open(&mut c, true));
    assert!(!open(&mut c, false));
}

/// `[1]` in the worked example's build-d stands for build-b: found again
/// from the table while build-d's rows are there; once they are gone,
/// wiped, and by the passing install after build-d when there is one.
#[test]
fn elided_placeholder_expands_to_its_jobs_until_wiped() {
    use hostlife::lifecycle::elided::{Expansion, Reinstall};
    let db = TestDb::new();
    let mut c = spec_world(&db);
    worked_example_to_build_c(&db, &mut c);
    // build-x uses h1 alongside (its task live): build-d's runvar names
    // it. Its task ends later, after which today's listing would elide
    // it — but it is not what the `[1]` stood for.
    c.batch_execute(
        "INSERT INTO tasks (taskid, type, refkey, live) VALUES (11, 'ownd', 'x', true);
         INSERT INTO jobs (flight, job, recipe, status) VALUES (100, 'build-x', 'build', 'running');
         INSERT INTO steps (flight, job, stepno, step, status) VALUES
             (100, 'build-x', 1, 'ts-xen-build', 'running')",
    )
    .unwrap();
    assert!(record(&db, "select", "build-x", "1", "11").status.success());
    assert!(
        record(&db, "selectprep", "build-d", "4", "10")
            .status
            .success()
    );
    assert!(
        common::runvar(&mut c, 100, "build-d", "host_lifecycle")
            .is_some_and(|r| r.contains("[1]") && r.contains("+build-x:1"))
    );
    common::set_live(&mut c, 11, false);
    c.batch_execute(
        "INSERT INTO runvars (flight, job, name, val, synth) VALUES
             (100, 'build-d', 'host', 'h1', false)",
    )
    .unwrap();
    let e = hostlife::db::insight::elided(&mut c, 100, "build-d", "host_lifecycle", 1).unwrap();
    assert_eq!(e.host.as_deref(), Some("h1"));
    let Expansion::Listed { jobs } = &e.expansion else {
        panic!("{e:?}");
    };
    let got: Vec<_> = jobs
        .iter()
        .map(|j| (j.flight, j.job.as_str(), j.stepno, j.status.as_deref()))
        .collect();
    assert_eq!(
        got,
        [(100, "build-b", 3, c_status(&mut c, "build-b").as_deref())]
    );
    assert!(e.lines().iter().any(|l| l.contains("100.build-b  step 3")));

    // A runvar of no ident the job has: nothing to look up.
    let e = hostlife::db::insight::elided(&mut c, 100, "build-d", "src_host_lifecycle", 1).unwrap();
    assert_eq!(e.expansion, Expansion::NoHost);

    // The rows go (a wipe): wiped, by an unknown hand.
    c.batch_execute("DELETE FROM host_lifecycle WHERE hostname = 'h1'")
        .unwrap();
    let e = hostlife::db::insight::elided(&mut c, 100, "build-d", "host_lifecycle", 1).unwrap();
    assert_eq!(e.expansion, Expansion::Wiped { by: None });

    // A later job's passing install of h1 after build-d's last step.
    c.batch_execute(
        "UPDATE steps SET started = 1000, finished = 1100 WHERE flight = 100 AND job = 'build-d';
         INSERT INTO flights (flight, blessing, branch) VALUES (101, 'running', 'xen-unstable');
         INSERT INTO jobs (flight, job, recipe, status) VALUES (101, 'build-e', 'build', 'pass');
         INSERT INTO steps (flight, job, stepno, step, status, started, finished) VALUES
             (101, 'build-e', 1, 'ts-host-install-twice', 'pass', 1200, 1500),
             (101, 'build-e', 2, 'ts-host-install-twice', 'pass', 1600, 1900);
         INSERT INTO runvars (flight, job, name, val, synth) VALUES
             (101, 'build-e', 'host', 'h1', false);
         -- A pair job before it had h1 as its src_host, and installed
         -- its dst_host only: that did not wipe h1.
         INSERT INTO jobs (flight, job, recipe, status) VALUES (101, 'test-pair', 'pair', 'pass');
         INSERT INTO steps (flight, job, stepno, step, status, testid, started, finished) VALUES
             (101, 'test-pair', 1, 'ts-host-install-twice', 'pass', 'host-install/dst_host(1)',
              1110, 1150);
         INSERT INTO runvars (flight, job, name, val, synth) VALUES
             (101, 'test-pair', 'src_host', 'h1', false),
             (101, 'test-pair', 'dst_host', 'h2', false)",
    )
    .unwrap();
    let e = hostlife::db::insight::elided(&mut c, 100, "build-d", "host_lifecycle", 1).unwrap();
    assert_eq!(
        e.expansion,
        Expansion::Wiped {
            by: Some(Reinstall {
                flight: 101,
                job: "build-e".into(),
                finished: 1500
            })
        }
    );
}

fn c_status(c: &mut postgres::Client, job: &str) -> Option<String> {
    c.query_opt(
        "SELECT status FROM jobs WHERE flight = 100 AND job = $1",
        &[&job],
    )
    .unwrap()
    .map(|r| r.get(0))
}
