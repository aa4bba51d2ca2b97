//! hostlife on osstest's own layout, as osstest's own roles: `db init`
//! makes exactly spec section 2's tables; every read works as the
//! SELECT-only role `osstest_ro` and every write as the owner `osstest`,
//! also when the installation has more columns than hostlife knows; a
//! role that may not write is told so before anything is tried; a
//! database without what hostlife needs says what is missing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

mod common;

use common::hostlife_at as hostlife;

use hostlife::db::error::Error;
use hostlife::db::testdb::TestDb;
use hostlife::db::wipe;
use hostlife::db::{connect_blocking, probe, read};
use hostlife::lifecycle::Mode;
use hostlife::lifecycle::Refusal;
use hostlife::lifecycle::call::TaskRef;
use hostlife::lifecycle::call::WipeCall;
use hostlife::lifecycle::call::{JobRef, RecordCall, RecordOutcome, StepRef};
use hostlife::sim::{self, Scale, SeedConfig};
use postgres::Client;

fn strings(c: &mut Client, sql: &str) -> Vec<String> {
    c.query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Every column of spec section 2's tables as `db init` made them:
/// `table.column type [null] [= default]`.
fn columns(c: &mut Client) -> Vec<String> {
    strings(
        c,
        "SELECT format('%s.%s %s%s%s', table_name, column_name, data_type,
                       CASE WHEN is_nullable = 'YES' THEN ' null' ELSE '' END,
                       COALESCE(' = ' || column_default, ''))
           FROM information_schema.columns
          WHERE table_schema = 'public'
          ORDER BY table_name, ordinal_position",
    )
}

/// The layout of spec section 2, column by column.
const LAYOUT: &[&str] = &[
    "flights.flight integer = nextval('flights_flight_seq'::regclass)",
    "flights.started integer = 0",
    "flights.blessing text = 'unknown'::text",
    "flights.branch text",
    "flights.intended text null",
    "host_lifecycle.hostname text",
    "host_lifecycle.lcseq integer = nextval('host_lifecycle_lcseq_seq'::regclass)",
    "host_lifecycle.taskid integer",
    "host_lifecycle.flight integer null",
    "host_lifecycle.job text null",
    "host_lifecycle.stepno integer null",
    "host_lifecycle.ident text null",
    "host_lifecycle.isprep boolean null",
    "hostflags.hostname text",
    "hostflags.hostflag text",
    "jobs.flight integer",
    "jobs.job character varying",
    "jobs.recipe text null",
    "jobs.status text = 'stopped'::text",
    "resource_properties.restype text",
    "resource_properties.resname text",
    "resource_properties.name text",
    "resource_properties.val text",
    "resource_sharing.restype text",
    "resource_sharing.resname text",
    "resource_sharing.sharetype text",
    "resource_sharing.wear integer = 0",
    "resource_sharing.state text",
    "resource_sharing.harness character varying null",
    "resources.restype text",
    "resources.resname text",
    "resources.shareix integer = 0",
    "resources.owntaskid integer",
    "resources.subtask text = ''::text",
    "runvars.flight integer",
    "runvars.job character varying",
    "runvars.name character varying",
    "runvars.val character varying null",
    "runvars.synth boolean",
    "steps.flight integer",
    "steps.job character varying",
    "steps.stepno integer",
    "steps.step character varying",
    "steps.status character varying",
    "steps.testid text null",
    "steps.started integer null",
    "steps.finished integer null",
    "tasks.taskid integer = nextval('tasks_taskid_seq'::regclass)",
    "tasks.type text",
    "tasks.refkey text",
    "tasks.username text null",
    "tasks.comment text null",
    "tasks.live boolean",
    "tasks.refinfo text null",
];

#[test]
fn db_init_makes_osstests_layout() {
    let db = TestDb::new();
    let mut c = db.connect();
    let mut want: Vec<String> = LAYOUT.iter().map(ToString::to_string).collect();
    want.sort();
    let mut got = columns(&mut c);
    got.sort();
    assert_eq!(got, want);

    // The constraints and indexes spec section 2 names, by definition.
    let indexes = strings(
        &mut c,
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname",
    );
    for want in [
        "CREATE UNIQUE INDEX tasks_type_refkey_live_index ON public.tasks USING btree (type, refkey) WHERE live",
        "CREATE INDEX tasks_type_taskid ON public.tasks USING btree (type, taskid)",
        "CREATE INDEX runvars_host_idx ON public.runvars USING btree (val, flight) WHERE (((name)::text = 'host'::text) OR ((name)::text ~~ '%\\_host'::text))",
        "CREATE UNIQUE INDEX steps_flight_job_testid_key ON public.steps USING btree (flight, job, testid)",
        "CREATE UNIQUE INDEX host_lifecycle_pkey ON public.host_lifecycle USING btree (hostname, lcseq)",
    ] {
        assert!(
            indexes.iter().any(|i| i == want),
            "no {want} in {indexes:#?}"
        );
    }
    // No UNIQUE (type, refkey) on tasks: a dead task's refkey is reused.
    let unique_tasks = strings(
        &mut c,
        "SELECT conname::text FROM pg_constraint
          WHERE conrelid = 'tasks'::regclass AND contype = 'u'",
    );
    assert_eq!(unique_tasks, Vec::<String>::new());
    let hostflag_indexes = strings(
        &mut c,
        "SELECT pg_get_indexdef(indexrelid) FROM pg_index
          WHERE indrelid = 'hostflags'::regclass ORDER BY 1",
    );
    assert_eq!(hostflag_indexes.len(), 2, "{hostflag_indexes:?}");
    let checks = strings(
        &mut c,
        "SELECT conrelid::regclass::text || ' ' || contype::text FROM pg_constraint
          WHERE contype IN ('c', 'f') ORDER BY 1",
    );
    for want in [
        "host_lifecycle c",
        "host_lifecycle f",
        "resources c",
        "resources f",
        "steps f",
    ] {
        assert!(checks.iter().any(|c| c == want), "no {want} in {checks:?}");
    }
    // Owned by osstest, as on a real installation.
    let owners = strings(
        &mut c,
        "SELECT DISTINCT tableowner::text FROM pg_tables WHERE schemaname = 'public'",
    );
    assert_eq!(owners, ["osstest"]);
}

/// A seeded lab, with what a real installation has and hostlife's own
/// writes never make: columns hostlife does not know, NULL runvar values
/// (on a lifecycle runvar and an ident runvar).
fn lab() -> TestDb {
    let db = TestDb::new();
    sim::seed(&db.connector(), &SeedConfig::scale(Scale::Small), &|_| {})
        .unwrap_or_else(|e| panic!("seed: {e}"));
    let mut c = db.connect();
    c.batch_execute(
        "ALTER TABLE runvars ADD COLUMN annotation text;
         ALTER TABLE tasks ADD COLUMN extra integer DEFAULT 7;
         ALTER TABLE steps ADD COLUMN note character varying;
         ALTER TABLE host_lifecycle ADD COLUMN seen timestamptz DEFAULT now();
         GRANT SELECT ON ALL TABLES IN SCHEMA public TO osstest_ro;
         INSERT INTO runvars (flight, job, name, val, synth)
         SELECT flight, job, 'spare_lifecycle', NULL, false FROM jobs ORDER BY flight, job LIMIT 1;
         INSERT INTO runvars (flight, job, name, val, synth)
         SELECT flight, job, 'spare_host', NULL, false FROM jobs ORDER BY flight DESC, job LIMIT 1;",
    )
    .unwrap();
    db
}

/// What every read command reads, for every host and some jobs, as JSON
/// text: equal as owner and as `osstest_ro`.
fn read_everything(c: &mut Client, hosts: &[String], jobs: &[(i32, String)]) -> Vec<String> {
    let mut out = Vec::new();
    hostlife::db::txn::read_only(c, None, |tx| {
        let json = |v: &dyn erased::Json| v.text();
        out.push(json(&read::hosts(tx)?));
        for host in hosts {
            out.push(json(&read::show(tx, host)?));
            // Page through the whole history, a few flights at a time.
            let mut before = None;
            loop {
                let (page, more) = read::history_page(tx, host, 4, before)?;
                out.push(json(&page));
                if !more {
                    break;
                }
                before = page.last().map(|e| e.flight);
            }
        }
        for (flight, job) in jobs {
            out.push(json(&read::job_runvars(tx, *flight, job)?));
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    out
}

/// Serialising the read answers without naming each type.
mod erased {
    pub trait Json {
        fn text(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn text(&self) -> String {
            serde_json::to_string(self).unwrap()
        }
    }
}

#[test]
fn every_read_works_as_the_read_only_role_and_reads_what_the_owner_does() {
    let db = lab();
    let mut owner = db.connect();
    let mut ro = connect_blocking(db.read_only_config()).unwrap();

    let found = probe::probe(&mut ro).unwrap();
    assert_eq!(found.user, "osstest_ro");
    assert_eq!(found.owner.as_deref(), Some("osstest"));
    assert_eq!(found.unusable(), None, "{found:?}");
    assert_eq!(
        found.read_only_reason().as_deref(),
        Some("user osstest_ro may read but not write host_lifecycle")
    );
    let as_owner = probe::probe(&mut owner).unwrap();
    assert_eq!(as_owner.read_only_reason(), None, "{as_owner:?}");

    let hosts = strings(
        &mut owner,
        "SELECT resname FROM resources WHERE restype = 'host' ORDER BY resname",
    );
    assert!(hosts.len() > 5, "{hosts:?}");
    let jobs: Vec<(i32, String)> = owner
        .query(
            "SELECT DISTINCT flight, job::text FROM runvars WHERE name LIKE '%\\_lifecycle'
              ORDER BY flight, job LIMIT 40",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let with_null: Vec<(i32, String)> = owner
        .query(
            "SELECT flight, job::text FROM runvars WHERE val IS NULL AND name = 'spare_lifecycle'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(with_null.len(), 1);
    let jobs: Vec<_> = jobs.into_iter().chain(with_null).collect();

    let read_as_ro = read_everything(&mut ro, &hosts, &jobs);
    let read_as_owner = read_everything(&mut owner, &hosts, &jobs);
    assert_eq!(read_as_ro, read_as_owner);

    // The history reads every job whose ident runvars name the host: the
    // pages together hold each (flight, job) once.
    let busiest = &strings(
        &mut owner,
        "SELECT val FROM runvars WHERE (name = 'host' OR name LIKE '%\\_host') AND val IS NOT NULL
          GROUP BY val ORDER BY count(DISTINCT (flight, job)) DESC, val LIMIT 1",
    )[0];
    let want: i64 = owner
        .query_one(
            "SELECT count(DISTINCT (flight, job)) FROM runvars
              WHERE (name = 'host' OR name LIKE '%\\_host') AND val = $1",
            &[busiest],
        )
        .unwrap()
        .get(0);
    let mut seen = std::collections::BTreeSet::new();
    let mut before = None;
    loop {
        let (page, more) = read::history_page(&mut ro, busiest, 3, before).unwrap();
        for e in &page {
            assert!(seen.insert((e.flight, e.job.clone())), "twice: {e:?}");
        }
        if !more {
            break;
        }
        before = page.last().map(|e| e.flight);
    }
    assert_eq!(i64::try_from(seen.len()).unwrap(), want, "{busiest}");
    assert!(want > 3, "the busiest host is not busy: {want}");
}

#[test]
fn unknown_names_are_refused_with_a_suggestion() {
    let db = lab();
    let mut ro = connect_blocking(db.read_only_config()).unwrap();
    let host = strings(
        &mut ro,
        "SELECT resname FROM resources WHERE restype = 'host' ORDER BY resname LIMIT 1",
    )
    .remove(0);
    let typo = &host[..host.len() - 1];
    for e in [
        read::show(&mut ro, typo).unwrap_err(),
        read::history(&mut ro, typo, 10, None).unwrap_err(),
    ] {
        let Error::Refused(Refusal::NoSuchHost { did_you_mean, .. }) = &e else {
            panic!("not a refusal: {e}");
        };
        assert!(did_you_mean.is_some(), "{e}");
        assert!(e.to_string().contains("did you mean"), "{e}");
    }
    let e = read::job_runvars(&mut ro, 1, "no-such-job").unwrap_err();
    assert!(matches!(e, Error::Refused(_)), "{e}");
}

/// A call in the first running flight's first job that has a step, on a
/// host its task holds.
fn running_job(c: &mut Client) -> (i32, String, i32, String, i32) {
    let r = c
        .query_one(
            "SELECT s.flight, s.job::text, s.stepno, r.resname, r.owntaskid
               FROM steps s JOIN flights f USING (flight)
               CROSS JOIN LATERAL (SELECT resname, owntaskid FROM resources r
                                    JOIN tasks t ON t.taskid = r.owntaskid
                                   WHERE r.restype = 'host' AND t.live AND t.type = 'ownd'
                                   ORDER BY resname LIMIT 1) r
              WHERE f.blessing = 'running'
              ORDER BY s.flight DESC, s.job, s.stepno LIMIT 1",
            &[],
        )
        .expect("a running flight with a step, and a host held by a live ownd task");
    (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))
}

#[test]
fn every_write_works_as_the_owner_and_none_as_the_read_only_role() {
    let db = lab();
    let mut owner = db.connect();
    let (flight, job, stepno, host, taskid) = running_job(&mut owner);
    let call = |mode| RecordCall {
        mode,
        host: host.clone(),
        ident: "host".into(),
        job: Some(JobRef {
            flight,
            job: job.clone(),
        }),
        step: Some(StepRef::Number(stepno)),
        task: TaskRef::Id { taskid },
        nested: false,
    };
    let before = common::dump_rows(&mut owner);

    // As osstest_ro: the probe says no, and the server agrees.
    let mut ro = hostlife::db::record::Recorder::connect(db.read_only_config()).unwrap();
    assert_eq!(
        ro.probe().unwrap().read_only_reason().as_deref(),
        Some("user osstest_ro may read but not write host_lifecycle")
    );
    let denied = ro.record(&call(Mode::Select)).unwrap_err();
    assert!(denied.to_string().contains("permission denied"), "{denied}");
    let mut ro_client = connect_blocking(db.read_only_config()).unwrap();
    let wipe_call = WipeCall {
        host: host.clone(),
        task: TaskRef::Id { taskid },
        job: None,
    };
    // A manual wipe by an operator's new static task: it would create the
    // task first, which the role may not.
    let by_operator = WipeCall {
        task: TaskRef::Static {
            refkey: "ro@lab".into(),
        },
        ..wipe_call.clone()
    };
    let r = wipe::wipe_manual(&mut ro_client, &by_operator);
    assert!(
        r.as_ref()
            .is_err_and(|e| e.to_string().contains("permission denied")),
        "{r:?}"
    );
    assert_eq!(common::dump_rows(&mut owner), before, "osstest_ro wrote");

    // As osstest, every write mode, one call and a batch, on a layout
    // with columns hostlife does not know.
    let mut rec = db.recorder();
    for mode in [Mode::SelectPrep, Mode::Select, Mode::Final] {
        let out = rec
            .record(&call(mode))
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert!(
            matches!(
                out,
                RecordOutcome::Recorded { .. } | RecordOutcome::Unchanged { .. }
            ),
            "{mode:?}: {out:?}"
        );
    }
    let out_of_job = RecordCall {
        job: None,
        step: None,
        ..call(Mode::Select)
    };
    let batch = rec
        .record_many(&[out_of_job, call(Mode::Final)])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(batch[0], RecordOutcome::OutOfJob { .. }),
        "{batch:?}"
    );
    let runvar = common::runvar(&mut owner, flight, &job, "host_lifecycle");
    assert!(runvar.is_some_and(|v| !v.is_empty()));

    let plan = wipe::plan_manual(&mut owner, &wipe_call).unwrap_or_else(|e| panic!("{e}"));
    let done = wipe::wipe_manual(&mut owner, &wipe_call).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(usize::try_from(done.deleted).unwrap(), plan.remove.len());
    let again = wipe::wipe_many(&mut owner, std::slice::from_ref(&wipe_call))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again[0].deleted, 0);
    let extra: i32 = owner
        .query_one(
            "SELECT count(*)::int FROM host_lifecycle WHERE hostname = $1 AND seen IS NOT NULL",
            &[&host],
        )
        .unwrap()
        .get(0);
    assert!(
        extra >= 1,
        "the rows left were not written by osstest's layout"
    );
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn the_cli_reads_as_osstest_ro_and_refuses_its_writes_before_trying() {
    let db = TestDb::new();
    let mut c = db.connect();
    common::one_job(&mut c);
    let ro = db.read_only_conninfo();
    for args in [
        &["hosts", "--json"][..],
        &["show", "h1"],
        &["history", "h1"],
        &["decode", "+test-x:3", "--flight", "1", "--job", "test-x"],
    ] {
        let o = hostlife(&ro, args);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
    }
    let before = common::dump_rows(&mut c);
    for args in [
        &[
            "record", "select", "h1", "--flight", "1", "--job", "test-x", "--step", "3",
            "--taskid", "100",
        ][..],
        &["record", "wiped", "h1", "--taskid", "100"],
    ] {
        let o = hostlife(&ro, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(
            err.contains("user osstest_ro may read but not write host_lifecycle"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("permission denied"), "tried anyway: {err}");
    }
    assert_eq!(common::dump_rows(&mut c), before);
    // The owner may.
    let o = hostlife(
        &db.conninfo(),
        &[
            "record", "select", "h1", "--flight", "1", "--job", "test-x", "--step", "3",
            "--taskid", "100",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));

    let o = hostlife(&ro, &["show", "h2"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("no host named h2; did you mean h1?"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_database_without_what_hostlife_needs_says_what_is_missing() {
    let db = TestDb::new();
    let mut c = db.connect();
    common::one_job(&mut c);
    c.batch_execute("DROP TABLE host_lifecycle").unwrap();
    for conninfo in [db.conninfo(), db.read_only_conninfo()] {
        let o = hostlife(&conninfo, &["hosts"]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(
            err.contains(
                "host_lifecycle is missing: run `hostlife db upgrade` as the owner of the database, osstest"
            ),
            "{err}"
        );
        assert!(!err.contains("ERROR"), "an SQL error, not a probe: {err}");
    }

    let db = TestDb::new();
    let mut c = db.connect();
    c.batch_execute("ALTER TABLE steps DROP COLUMN testid")
        .unwrap();
    let o = hostlife(&db.read_only_conninfo(), &["show", "h1"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("column steps.testid"),
        "{}",
        text(&o.stderr)
    );

    // A table the role may not read: which GRANT, from whom.
    let db = TestDb::new();
    let mut c = db.connect();
    c.batch_execute("REVOKE SELECT ON hostflags FROM osstest_ro")
        .unwrap();
    let o = hostlife(&db.read_only_conninfo(), &["hosts"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("ask osstest to GRANT SELECT ON hostflags TO osstest_ro"),
        "{}",
        text(&o.stderr)
    );
}

/// `history` reads through osstest's `runvars_host_idx`, in both its
/// scans: its condition is the index's, word for word. (With sequential
/// scans priced out, a condition the planner cannot prove within the
/// partial index leaves it nothing but a sequential scan.)
#[test]
fn history_reads_through_runvars_host_idx() {
    let db = lab();
    let mut ro = connect_blocking(db.read_only_config()).unwrap();
    let mut tx = ro.transaction().unwrap();
    tx.batch_execute("SET LOCAL enable_seqscan = off").unwrap();
    let plan = tx
        .query(
            &format!("EXPLAIN (COSTS OFF) {}", read::HISTORY_QUERY),
            &[&"italia0", &i32::MAX, &201i64],
        )
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0) + "\n")
        .collect::<String>();
    let scans = plan.matches("using runvars_host_idx").count();
    assert_eq!(scans, 2, "{plan}");
    assert!(!plan.contains("Seq Scan on runvars"), "{plan}");
}
