//! The workload simulator against a real database: a seeded database keeps
//! the lifecycle's invariants, and a seed always gives the same database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

use std::collections::{BTreeMap, BTreeSet};

use hostlife::db::testdb::TestDb;
use hostlife::lifecycle::{self, ResolvedKind};
use hostlife::sim::{self, Scale, SeedConfig, SeedError, SeedReport};
use postgres::Client;

fn seeded(cfg: &SeedConfig) -> (TestDb, SeedReport) {
    let db = TestDb::new();
    let report = sim::seed(&db.connector(), cfg, &|_| {}).unwrap_or_else(|e| panic!("seed: {e}"));
    (db, report)
}

fn small() -> SeedConfig {
    SeedConfig::scale(Scale::Small)
}

fn strings(c: &mut Client, sql: &str) -> Vec<String> {
    c.query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Every table, row by row, in key order. `host_lifecycle` rows carry
/// their rank within the host instead of lcseq when `exact_lcseq` is off.
fn dump(c: &mut Client, exact_lcseq: bool) -> Vec<String> {
    let lcseq = if exact_lcseq {
        "lcseq"
    } else {
        "rank() OVER (PARTITION BY hostname ORDER BY lcseq)"
    };
    let queries = [
        "SELECT t::text FROM tasks t ORDER BY taskid".to_owned(),
        "SELECT t::text FROM flights t ORDER BY flight".to_owned(),
        "SELECT t::text FROM jobs t ORDER BY flight, job".to_owned(),
        "SELECT t::text FROM steps t ORDER BY flight, job, stepno".to_owned(),
        "SELECT t::text FROM runvars t ORDER BY flight, job, name".to_owned(),
        "SELECT t::text FROM resources t ORDER BY restype, resname, shareix".to_owned(),
        "SELECT t::text FROM resource_sharing t ORDER BY restype, resname".to_owned(),
        "SELECT t::text FROM hostflags t ORDER BY hostname, hostflag".to_owned(),
        "SELECT t::text FROM resource_properties t ORDER BY restype, resname, name".to_owned(),
        format!(
            "SELECT concat_ws(' ', hostname, {lcseq}, taskid, flight, job, stepno, ident, isprep)
               FROM host_lifecycle ORDER BY hostname, lcseq"
        ),
    ];
    queries.iter().flat_map(|q| strings(c, q)).collect()
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one seed, checked invariant by invariant"
)]
fn a_small_seed_keeps_the_lifecycle_invariants() {
    let (db, report) = seeded(&small());
    let mut c = db.connect();

    // The seed did something of every kind.
    assert!(report.lifecycle_rows > 100, "{report:?}");
    assert!(report.wipes > 0 && report.rows_wiped > 0, "{report:?}");
    assert!(report.flights_crashed > 0, "{report:?}");
    assert!(report.operator_sessions > 0, "{report:?}");
    assert!(report.unchanged > 0, "{report:?}");
    let kept: i64 = c
        .query_one("SELECT count(*) FROM host_lifecycle", &[])
        .unwrap()
        .get(0);
    assert_eq!(u64::try_from(kept).unwrap(), report.lifecycle_rows_kept);
    assert_eq!(
        report.lifecycle_rows - report.rows_wiped,
        report.lifecycle_rows_kept
    );

    // Every lifecycle runvar decodes, and every step it names exists.
    let steps: BTreeSet<(i32, String, i32)> = c
        .query("SELECT flight, job, stepno FROM steps", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let runvars = c
        .query(
            "SELECT flight, job, name, val, synth FROM runvars
              WHERE name LIKE '%\\_lifecycle' ORDER BY flight, job, name",
            &[],
        )
        .unwrap();
    assert!(runvars.len() > 20);
    for r in &runvars {
        let (flight, job, name, val): (i32, String, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        assert!(r.get::<_, bool>(4), "{flight}.{job} {name} not synth");
        let decoded = lifecycle::decode(&val)
            .unwrap_or_else(|e| panic!("{flight}.{job} {name}={val:?}: {e}"));
        assert_eq!(decoded.to_string(), val);
        for entry in decoded.resolve(flight, &job) {
            match entry.kind {
                ResolvedKind::Step {
                    flight: f,
                    job: j,
                    stepno,
                    ..
                } => assert!(
                    steps.contains(&(f, j.clone(), stepno)),
                    "{flight}.{job} {name}={val:?}: no step {f}.{j}:{stepno}"
                ),
                ResolvedKind::Elided { .. } | ResolvedKind::Task { .. } => {}
            }
        }
    }

    // Every row names a known host and a task of the right kind: flight
    // runners inside jobs, operators' static tasks outside.
    let orphans = strings(
        &mut c,
        "SELECT h.hostname || ' ' || h.lcseq FROM host_lifecycle h
          WHERE NOT EXISTS (SELECT 1 FROM resources r WHERE r.restype = 'host'
                               AND r.resname = h.hostname AND r.shareix = 0)
             OR NOT EXISTS (SELECT 1 FROM tasks t WHERE t.taskid = h.taskid
                               AND t.type = CASE WHEN h.flight IS NULL
                                                 THEN 'static' ELSE 'ownd' END)",
    );
    assert!(orphans.is_empty(), "rows without host or task: {orphans:?}");
    // ... and a job row was written while its flight ran: every flight is
    // either still running or was blessed after its last row.
    let blessings = strings(
        &mut c,
        "SELECT DISTINCT f.blessing FROM host_lifecycle h JOIN flights f USING (flight)",
    );
    for b in &blessings {
        assert!(["running", "real", "broken"].contains(&b.as_str()), "{b}");
    }

    // After a host's last wipe, nothing older than the wiper's first row
    // is left, and that row is still there.
    assert!(!report.last_wipes.is_empty());
    for w in &report.last_wipes {
        let rows = c
            .query(
                "SELECT lcseq, taskid FROM host_lifecycle WHERE hostname = $1 ORDER BY lcseq",
                &[&w.host],
            )
            .unwrap();
        let first: Option<(i32, i32)> = rows.first().map(|r| (r.get(0), r.get(1)));
        assert_eq!(first, Some((w.first_lcseq, w.taskid)), "{w:?}");
    }

    // Hosts are held as osstest holds them.
    let bad = strings(
        &mut c,
        "SELECT r.resname FROM resources r JOIN tasks t ON t.taskid = r.owntaskid
          WHERE (r.restype = 'host' AND r.resname IN (SELECT resname FROM resource_sharing)
                 AND NOT (t.type = 'magic' AND t.refkey = 'shared'))
             OR (r.restype = 'share-host' AND t.type = 'magic'
                 AND t.refkey NOT IN ('allocatable', 'preparing'))",
    );
    assert!(bad.is_empty(), "wrongly held: {bad:?}");
    let busy: i64 = c
        .query_one(
            "SELECT count(DISTINCT r.resname) FROM resources r
               JOIN tasks t ON t.taskid = r.owntaskid
              WHERE t.live AND t.type <> 'magic'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(u64::try_from(busy).unwrap(), report.busy_hosts);
    assert!(busy > 0, "no host busy at the end");
    let running: i64 = c
        .query_one(
            "SELECT count(*) FROM flights f WHERE blessing = 'running'
               AND EXISTS (SELECT 1 FROM steps s WHERE s.flight = f.flight
                              AND s.finished IS NULL)",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(running > 0, "no flight under way at the end");

    // `hostlife history HOST` finds jobs by their host runvars.
    let by_host: i64 = c
        .query_one(
            "SELECT count(*) FROM runvars WHERE name IN ('host', 'src_host', 'dst_host')
                AND NOT synth AND val IN (SELECT resname FROM resources)",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(by_host > 20);
}

fn count(c: &mut Client, sql: &str) -> i64 {
    c.query_one(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

/// Jobs have tens of runvars, as osstest's do, about half of them synth;
/// builds name their trees and revisions, tests their builds.
#[test]
#[allow(
    clippy::cast_precision_loss,
    reason = "ratios of a small seed's row counts, far below 2^52"
)]
fn a_small_seed_gives_jobs_the_runvars_osstest_gives_them() {
    let (db, report) = seeded(&small());
    let mut c = db.connect();
    let jobs = count(&mut c, "SELECT count(*) FROM jobs");
    let runvars = count(
        &mut c,
        "SELECT count(*) FROM runvars WHERE name NOT LIKE '%\\_lifecycle'",
    );
    assert_eq!(u64::try_from(runvars).unwrap(), report.runvars);
    let per_job = runvars as f64 / jobs as f64;
    assert!(
        (40.0..=60.0).contains(&per_job),
        "{per_job:.1} runvars a job"
    );
    let synth = count(
        &mut c,
        "SELECT count(*) FROM runvars WHERE synth AND name NOT LIKE '%\\_lifecycle'",
    );
    let share = synth as f64 / runvars as f64;
    assert!((0.3..=0.7).contains(&share), "{synth} of {runvars} synth");

    let builds = count(&mut c, "SELECT count(*) FROM jobs WHERE job LIKE 'build-%'");
    assert!(
        builds > 10 && builds < jobs,
        "{builds} builds of {jobs} jobs"
    );
    let lacking = strings(
        &mut c,
        "SELECT flight || '.' || job FROM jobs j
          WHERE job LIKE 'build-%' AND (
                NOT EXISTS (SELECT 1 FROM runvars r WHERE (r.flight, r.job) = (j.flight, j.job)
                               AND r.name LIKE 'revision\\_%' AND NOT r.synth AND r.val ~ '^[0-9a-f]{40}$')
             OR NOT EXISTS (SELECT 1 FROM runvars r WHERE (r.flight, r.job) = (j.flight, j.job)
                               AND r.name LIKE 'tree\\_%' AND NOT r.synth AND r.val LIKE '%://%'))
         UNION ALL
         SELECT flight || '.' || job FROM jobs j
          WHERE job LIKE 'test-%' AND NOT EXISTS (
                SELECT 1 FROM runvars r JOIN jobs b ON (b.flight, b.job) = (r.flight, r.val)
                 WHERE (r.flight, r.job) = (j.flight, j.job) AND r.name = 'buildjob')",
    );
    assert!(
        lacking.is_empty(),
        "jobs without their runvars: {lacking:?}"
    );
    // A build that passed says what it built, and where.
    let unrecorded = strings(
        &mut c,
        "SELECT flight || '.' || job FROM jobs j
          WHERE job LIKE 'build-%' AND status = 'pass' AND (
                NOT EXISTS (SELECT 1 FROM runvars r WHERE (r.flight, r.job) = (j.flight, j.job)
                               AND r.name LIKE 'built\\_revision\\_%' AND r.synth)
             OR NOT EXISTS (SELECT 1 FROM runvars r WHERE (r.flight, r.job) = (j.flight, j.job)
                               AND r.name LIKE 'path\\_%' AND r.synth
                               AND r.val LIKE '/home/osstest/build.' || j.flight || '.' || j.job || '/%'))",
    );
    assert!(
        unrecorded.is_empty(),
        "passed builds without outputs: {unrecorded:?}"
    );
}

/// Every host has flags and properties, and the runvars of the jobs that
/// used a host agree with them and with its lifecycle rows.
#[test]
fn a_small_seed_gives_hosts_flags_and_properties_that_jobs_agree_with() {
    let (db, _) = seeded(&small());
    let mut c = db.connect();
    let bare = strings(
        &mut c,
        "SELECT resname FROM resources r WHERE restype = 'host' AND shareix = 0 AND (
                NOT EXISTS (SELECT 1 FROM hostflags f WHERE f.hostname = r.resname
                               AND f.hostflag LIKE 'arch-%')
             OR NOT EXISTS (SELECT 1 FROM hostflags f WHERE f.hostname = r.resname
                               AND f.hostflag LIKE 'purpose-%')
             OR NOT EXISTS (SELECT 1 FROM resource_properties p WHERE p.restype = 'host'
                               AND p.resname = r.resname))",
    );
    assert!(
        bare.is_empty(),
        "hosts without flags or properties: {bare:?}"
    );
    let hosts = count(
        &mut c,
        "SELECT count(*) FROM resources WHERE restype = 'host' AND shareix = 0",
    );
    assert!(hosts >= 10, "{hosts} hosts");

    // Each lifecycle row in a job is named by the job's ident runvar.
    let unnamed = strings(
        &mut c,
        "SELECT h.hostname || ' ' || h.flight || '.' || h.job || ' ' || h.ident
           FROM host_lifecycle h
          WHERE h.flight IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM runvars r WHERE (r.flight, r.job, r.name) = (h.flight, h.job, h.ident)
                   AND r.val = h.hostname AND NOT r.synth)",
    );
    assert!(
        unnamed.is_empty(),
        "rows no ident runvar names: {unnamed:?}"
    );
    // Each ident runvar comes with the host's address, as the host's
    // properties give it.
    let idents = count(
        &mut c,
        "SELECT count(*) FROM runvars WHERE name IN ('host', 'src_host', 'dst_host')",
    );
    let addressed = count(
        &mut c,
        "SELECT count(*) FROM runvars i
           JOIN runvars a ON (a.flight, a.job, a.name) = (i.flight, i.job, i.name || '_ip')
           JOIN resource_properties p ON p.restype = 'host' AND p.resname = i.val
                                     AND p.name = 'IpAddr' AND p.val = a.val
          WHERE i.name IN ('host', 'src_host', 'dst_host') AND a.synth",
    );
    assert!(idents > 20, "{idents} ident runvars");
    assert_eq!(
        addressed, idents,
        "ident runvars without their host's address"
    );
}

#[test]
fn the_same_seed_gives_the_same_database() {
    let (a, ra) = seeded(&small());
    let (b, rb) = seeded(&small());
    let dump_a = dump(&mut a.connect(), true);
    assert_eq!(dump_a, dump(&mut b.connect(), true));
    assert_eq!(ra.last_wipes, rb.last_wipes);
    assert_eq!(ra.lifecycle_rows, rb.lifecycle_rows);

    // A short run suffices to tell another seed apart.
    let (c, _) = seeded(&SeedConfig {
        seed: 2,
        flights: 2,
        ..small()
    });
    assert_ne!(dump_a, dump(&mut c.connect(), true));
}

/// Threads change which transaction commits first, hence lcseq numbers,
/// and nothing else.
#[test]
fn threads_change_only_lcseq_numbering() {
    let cfg = SeedConfig {
        pools: 2,
        flights: 4,
        ..small()
    };
    let (a, _) = seeded(&SeedConfig {
        threads: 1,
        ..cfg.clone()
    });
    let (b, _) = seeded(&SeedConfig { threads: 2, ..cfg });
    assert_eq!(dump(&mut a.connect(), false), dump(&mut b.connect(), false));
}

/// A round's calls in one transaction (`Recorder::record_many`) leave the
/// same database as one transaction per call: the lab's pools share no
/// host and no flight, so no call of a round reads what another writes.
#[test]
fn batching_changes_only_lcseq_numbering() {
    let cfg = SeedConfig {
        pools: 4,
        hosts: 24,
        flights: 40,
        threads: 1,
        ..small()
    };
    let (a, ra) = seeded(&SeedConfig {
        batched: false,
        ..cfg.clone()
    });
    let (b, rb) = seeded(&SeedConfig {
        batched: true,
        ..cfg
    });
    // Enough happened for rounds of several calls of each kind.
    assert!(ra.lifecycle_rows > 400 && ra.wipes > 40, "{ra:?}");
    assert_eq!(
        (ra.lifecycle_rows, ra.unchanged, ra.rows_wiped),
        (rb.lifecycle_rows, rb.unchanged, rb.rows_wiped)
    );
    assert_eq!(dump(&mut a.connect(), false), dump(&mut b.connect(), false));
}

#[test]
fn refuses_a_database_that_is_not_empty() {
    let db = TestDb::new();
    let mut c = db.connect();
    c.batch_execute(
        "INSERT INTO flights (flight, blessing, branch) VALUES (1, 'real', 'xen-unstable')",
    )
    .unwrap();
    match sim::seed(&db.connector(), &small(), &|_| {}) {
        Err(SeedError::NotEmpty(what)) => assert_eq!(what, "1 flights"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let rows: i64 = c
        .query_one("SELECT count(*) FROM resources", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 0, "a refused seed wrote rows");
}

#[test]
fn progress_is_reported_in_stage_order() {
    let db = TestDb::new();
    let seen = std::sync::Mutex::new(Vec::new());
    let cfg = SeedConfig {
        flights: 2,
        ..small()
    };
    sim::seed(&db.connector(), &cfg, &|p| {
        seen.lock().unwrap().push(p);
    })
    .unwrap();
    let seen = seen.into_inner().unwrap();
    let stages: Vec<_> = seen.iter().map(|p| p.stage).collect();
    let mut order = stages.clone();
    order.dedup();
    assert_eq!(
        order,
        [
            sim::Stage::Plan,
            sim::Stage::Load,
            sim::Stage::Record,
            sim::Stage::Finish
        ]
    );
    let last_record = seen
        .iter()
        .rfind(|p| p.stage == sim::Stage::Record)
        .unwrap();
    assert_eq!(last_record.done, last_record.total);
    let mut per_stage: BTreeMap<String, u64> = BTreeMap::new();
    for p in &seen {
        let before = per_stage.insert(format!("{:?}", p.stage), p.done);
        assert!(before.is_none_or(|b| b <= p.done), "progress went back");
    }
}

/// The catalog's keys, foreign keys and indexes, by name and definition.
fn schema_objects(c: &mut Client) -> Vec<String> {
    strings(
        c,
        "SELECT concat_ws(' ', conrelid::regclass, conname, pg_get_constraintdef(oid))
           FROM pg_constraint WHERE connamespace = 'public'::regnamespace
         UNION ALL
         SELECT pg_get_indexdef(i.indexrelid)
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE c.relnamespace = 'public'::regnamespace
          ORDER BY 1",
    )
}

/// The load sets keys, foreign keys and indexes aside while it copies
/// rows in: every one of them comes back as it was, validated.
#[test]
fn the_load_puts_back_every_key_and_index() {
    let fresh = schema_objects(&mut TestDb::new().connect());
    assert!(
        fresh.iter().any(|o| o.contains("steps_pkey PRIMARY KEY"))
            && fresh
                .iter()
                .any(|o| o.contains("host_lifecycle_flight_job_stepno_fkey")),
        "{fresh:#?}"
    );
    let (db, _) = seeded(&small());
    assert_eq!(schema_objects(&mut db.connect()), fresh);
}
