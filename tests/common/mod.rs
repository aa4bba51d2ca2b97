//! Shared by the integration tests: loading a scenario's world into a
//! fresh database, and small queries for assertions.
#![allow(dead_code)]

use std::process::{Command, Output};

use hostlife::db::testdb::TestDb;
use hostlife::lifecycle::Mode;
use hostlife::lifecycle::call::RecordCall;
use postgres::Client;
use serde_json::Value;

fn opt_str(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn opt_i32(v: &Value, key: &str) -> Option<i32> {
    v.get(key)
        .and_then(Value::as_i64)
        .map(|n| i32::try_from(n).unwrap())
}

fn int(v: &Value, key: &str) -> i32 {
    opt_i32(v, key).unwrap_or_else(|| panic!("{key} missing in {v}"))
}

fn rows<'a>(world: &'a Value, table: &str) -> impl Iterator<Item = &'a Value> {
    world
        .get(table)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// Replace the database's contents with a scenario's `world`.
#[allow(
    clippy::too_many_lines,
    reason = "a scenario's tables loaded one after another, in order"
)]
pub fn load_world(c: &mut Client, world: &Value) {
    let mut tx = c.transaction().unwrap();
    tx.batch_execute(
        "DELETE FROM host_lifecycle; DELETE FROM runvars; DELETE FROM steps; DELETE FROM jobs;
         DELETE FROM flights; DELETE FROM resources; DELETE FROM resource_sharing;
         DELETE FROM tasks;",
    )
    .unwrap();
    for t in rows(world, "tasks") {
        tx.execute(
            "INSERT INTO tasks (taskid, type, refkey, live, username, comment)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &int(t, "taskid"),
                &opt_str(t, "type").unwrap(),
                &opt_str(t, "refkey").unwrap(),
                &t["live"].as_bool().unwrap(),
                &opt_str(t, "username"),
                &opt_str(t, "comment"),
            ],
        )
        .unwrap();
    }
    // Columns a scenario leaves out take osstest's default (COALESCE with
    // it); NOT NULL ones without a default take a placeholder.
    for f in rows(world, "flights") {
        tx.execute(
            "INSERT INTO flights (flight, blessing, branch, intended, started)
             VALUES ($1, COALESCE($2, 'unknown'), COALESCE($3, 'xen-unstable'), $4,
                     COALESCE($5, 0))",
            &[
                &int(f, "flight"),
                &opt_str(f, "blessing"),
                &opt_str(f, "branch"),
                &opt_str(f, "intended"),
                &opt_i32(f, "started"),
            ],
        )
        .unwrap();
    }
    for j in rows(world, "jobs") {
        tx.execute(
            "INSERT INTO jobs (flight, job, recipe, status)
             VALUES ($1, $2, $3, COALESCE($4, 'stopped'))",
            &[
                &int(j, "flight"),
                &opt_str(j, "job").unwrap(),
                &opt_str(j, "recipe"),
                &opt_str(j, "status"),
            ],
        )
        .unwrap();
    }
    for s in rows(world, "steps") {
        tx.execute(
            "INSERT INTO steps (flight, job, stepno, step, status, testid, started, finished)
             VALUES ($1, $2, $3, COALESCE($4, 'ts-step'), COALESCE($5, 'running'), $6, $7, $8)",
            &[
                &int(s, "flight"),
                &opt_str(s, "job").unwrap(),
                &int(s, "stepno"),
                &opt_str(s, "step"),
                &opt_str(s, "status"),
                &opt_str(s, "testid"),
                &opt_i32(s, "started"),
                &opt_i32(s, "finished"),
            ],
        )
        .unwrap();
    }
    for r in rows(world, "runvars") {
        tx.execute(
            "INSERT INTO runvars (flight, job, name, val, synth) VALUES ($1, $2, $3, $4, $5)",
            &[
                &int(r, "flight"),
                &opt_str(r, "job").unwrap(),
                &opt_str(r, "name").unwrap(),
                // NULL is a valid value
                &opt_str(r, "val"),
                &r.get("synth").and_then(Value::as_bool).unwrap_or(false),
            ],
        )
        .unwrap();
    }
    for r in rows(world, "resources") {
        tx.execute(
            "INSERT INTO resources (restype, resname, shareix, owntaskid, subtask)
             VALUES ($1, $2, COALESCE($3, 0), $4, COALESCE($5, ''))",
            &[
                &opt_str(r, "restype").unwrap(),
                &opt_str(r, "resname").unwrap(),
                &opt_i32(r, "shareix"),
                &int(r, "owntaskid"),
                &opt_str(r, "subtask"),
            ],
        )
        .unwrap();
    }
    for r in rows(world, "resource_sharing") {
        tx.execute(
            "INSERT INTO resource_sharing (restype, resname, sharetype, state, wear)
             VALUES ($1, $2, $3, COALESCE($4, 'ready'), COALESCE($5, 0))",
            &[
                &opt_str(r, "restype").unwrap(),
                &opt_str(r, "resname").unwrap(),
                &opt_str(r, "sharetype").unwrap(),
                &opt_str(r, "state"),
                &opt_i32(r, "wear"),
            ],
        )
        .unwrap();
    }
    for h in rows(world, "host_lifecycle") {
        let flight = opt_i32(h, "flight");
        tx.execute(
            "INSERT INTO host_lifecycle (hostname, lcseq, taskid, flight, job, stepno, ident, isprep)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &opt_str(h, "hostname").unwrap(),
                &int(h, "lcseq"),
                &int(h, "taskid"),
                &flight,
                &opt_str(h, "job"),
                &opt_i32(h, "stepno"),
                &flight.map(|_| opt_str(h, "ident").unwrap_or_else(|| "host".into())),
                &h.get("isprep").and_then(Value::as_bool),
            ],
        )
        .unwrap();
    }
    tx.batch_execute(
        "SELECT setval('tasks_taskid_seq', GREATEST((SELECT max(taskid) FROM tasks), 1));
         SELECT setval('flights_flight_seq', GREATEST((SELECT max(flight) FROM flights), 1));
         SELECT setval('host_lifecycle_lcseq_seq',
                       GREATEST((SELECT max(lcseq) FROM host_lifecycle), 1),
                       (SELECT count(*) > 0 FROM host_lifecycle));",
    )
    .unwrap();
    tx.commit().unwrap();
}

/// The value of a runvar, if set.
pub fn runvar(c: &mut Client, flight: i32, job: &str, name: &str) -> Option<String> {
    c.query_opt(
        "SELECT val FROM runvars WHERE flight = $1 AND job = $2 AND name = $3",
        &[&flight, &job, &name],
    )
    .unwrap()
    .map(|r| r.get(0))
}

pub fn count_rows(c: &mut Client) -> i64 {
    c.query_one("SELECT count(*) FROM host_lifecycle", &[])
        .unwrap()
        .get(0)
}

pub fn set_live(c: &mut Client, taskid: i32, live: bool) {
    c.execute(
        "UPDATE tasks SET live = $2 WHERE taskid = $1",
        &[&taskid, &live],
    )
    .unwrap();
}

pub fn alloc(c: &mut Client, restype: &str, resname: &str, shareix: i32, taskid: i32) {
    c.execute(
        "INSERT INTO resources (restype, resname, shareix, owntaskid) VALUES ($1, $2, $3, $4)
         ON CONFLICT (restype, resname, shareix) DO UPDATE SET owntaskid = EXCLUDED.owntaskid",
        &[&restype, &resname, &shareix, &taskid],
    )
    .unwrap();
}

/// Every `host_lifecycle` row as JSON (lcseq left out), by host then lcseq.
pub fn dump_rows(c: &mut Client) -> Vec<Value> {
    c.query(
        "SELECT hostname, taskid, flight, job, stepno, ident, isprep FROM host_lifecycle
         ORDER BY hostname, lcseq",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| {
        serde_json::json!({
            "hostname": r.get::<_, String>(0),
            "taskid": r.get::<_, i32>(1),
            "flight": r.get::<_, Option<i32>>(2),
            "job": r.get::<_, Option<String>>(3),
            "stepno": r.get::<_, Option<i32>>(4),
            "ident": r.get::<_, Option<String>>(5),
            "isprep": r.get::<_, Option<bool>>(6),
        })
    })
    .collect()
}

/// Every `*_lifecycle` runvar as JSON.
pub fn dump_runvars(c: &mut Client) -> Vec<Value> {
    c.query(
        "SELECT flight, job, name, val, synth FROM runvars WHERE name LIKE '%\\_lifecycle'
         ORDER BY flight, job, name",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| {
        serde_json::json!({
            "flight": r.get::<_, i32>(0),
            "job": r.get::<_, String>(1),
            "name": r.get::<_, String>(2),
            "val": r.get::<_, String>(3),
            "synth": r.get::<_, bool>(4),
        })
    })
    .collect()
}

/// A host's use in a job: host, ident, job, step number, mode, task id.
pub type Use<'a> = (&'a str, &'a str, &'a str, i32, Mode, i32);

/// The call recording `use` in a job of `flight`, by task id.
pub fn use_call(flight: i32, (host, ident, job, stepno, mode, taskid): Use<'_>) -> RecordCall {
    use hostlife::lifecycle::call::TaskRef;
    use hostlife::lifecycle::call::{JobRef, StepRef};
    RecordCall {
        mode,
        host: host.into(),
        ident: ident.into(),
        job: Some(JobRef {
            flight,
            job: job.into(),
        }),
        step: Some(StepRef::Number(stepno)),
        task: TaskRef::Id { taskid },
        nested: false,
    }
}

/// Record each use, in order, in jobs of `flight`, through the recorder as
/// `hostlife record` would.
pub fn record_uses(db: &hostlife::db::testdb::TestDb, flight: i32, uses: &[Use<'_>]) {
    let mut recorder = db.recorder();
    for &u in uses {
        let (host, _, job, ..) = u;
        let call = use_call(flight, u);
        recorder
            .record(&call)
            .unwrap_or_else(|e| panic!("record {host} {job}: {e}"));
    }
}

/// The smallest world a call can record in: live task 100 holding host
/// `h1`, running flight 1 with job `test-x` and its step 3.
pub fn one_job(c: &mut Client) {
    c.batch_execute(
        "INSERT INTO tasks (taskid, type, refkey, live) VALUES (100, 'ownd', 'me', true);
         INSERT INTO resources VALUES ('host', 'h1', 0, 100, '');
         INSERT INTO flights (flight, blessing, branch) VALUES (1, 'running', 'xen-unstable');
         INSERT INTO jobs VALUES (1, 'test-x', 'test', 'running');
         INSERT INTO steps (flight, job, stepno, step, status) VALUES (1, 'test-x', 3, 'ts-x', 'running');",
    )
    .unwrap();
}

/// A call by task 100 on `h1` in [`one_job`]'s step.
pub fn one_job_call(mode: Mode) -> RecordCall {
    use_call(1, ("h1", "host", "test-x", 3, mode, 100))
}

/// Run the `hostlife` binary on `conninfo`, with none of osstest's job
/// variables set, as an operator's shell would.
pub fn hostlife_at(conninfo: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hostlife"))
        .args(args)
        .env("HOSTLIFE_DB", conninfo)
        .env_remove("OSSTEST_FLIGHT")
        .env_remove("OSSTEST_JOB")
        .env_remove("OSSTEST_TESTID")
        .env_remove("OSSTEST_TASK")
        .output()
        .expect("run hostlife")
}

/// [`hostlife_at`] on `db`.
pub fn hostlife(db: &TestDb, args: &[&str]) -> Output {
    hostlife_at(&db.conninfo(), args)
}

/// A running flight `flight` for `writers` writers, each with a live task
/// (`100 + w`, refkey `writer<w>`) and `jobs` jobs named by `job(w, n)`,
/// each job with steps 2, 3 and 4 (selectprep, select, final): a busy
/// lab for many writers at once.
pub fn busy_flight(
    c: &mut Client,
    flight: i32,
    writers: usize,
    jobs: usize,
    job: impl Fn(usize, usize) -> String,
) {
    c.execute(
        "INSERT INTO flights (flight, blessing, branch) VALUES ($1, 'running', 'xen-unstable')",
        &[&flight],
    )
    .unwrap();
    for w in 0..writers {
        c.execute(
            "INSERT INTO tasks (taskid, type, refkey, live) VALUES ($1, 'ownd', $2, true)",
            &[&(100 + i32::try_from(w).unwrap()), &format!("writer{w}")],
        )
        .unwrap();
        let names: Vec<String> = (0..jobs).map(|n| job(w, n)).collect();
        c.execute(
            "INSERT INTO jobs (flight, job, recipe, status)
             SELECT $1, j, 'test', 'running' FROM unnest($2::text[]) j",
            &[&flight, &names],
        )
        .unwrap();
        c.execute(
            "INSERT INTO steps (flight, job, stepno, step, status)
             SELECT $1, j, s, 'ts-xen-install', 'running'
               FROM unnest($2::text[]) j, generate_series(2, 4) s",
            &[&flight, &names],
        )
        .unwrap();
    }
}
