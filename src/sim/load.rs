//! Bulk rows into the database: the lab's resources, flags and properties
//! before anything else,
//! every pool's flights, jobs, steps and runvars before the replay (binary
//! COPY, one transaction for all pools), and the final touches.
//!
//! Only rows that are not the lifecycle are written here; `host_lifecycle`
//! and the `*_lifecycle` runvars are the recorder's alone.

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use postgres::{Client, GenericClient, Transaction};

use super::SeedError;
use super::catalog::OPERATORS;
use super::lab::{Lab, Role};
use super::world::PoolWorld;
use crate::db::row::RowExt;
use crate::db::txn;

/// osstest's magic tasks, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Magic {
    pub idle: i32,
    pub allocatable: i32,
    pub shared: i32,
    pub preparing: i32,
}

/// What the database gave us to build on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Setup {
    pub magic: Magic,
    /// Operators' static tasks: (taskid, refkey), indexed like OPERATORS.
    pub operators: Vec<(i32, &'static str)>,
    /// The first task id free for flight runners.
    pub first_task: i32,
}

fn check_empty(tx: &mut impl GenericClient) -> Result<(), SeedError> {
    let row = tx.query_one(
        "SELECT (SELECT count(*) FROM flights),
                (SELECT count(*) FROM resources),
                (SELECT count(*) FROM host_lifecycle),
                (SELECT count(*) FROM tasks WHERE type <> 'magic')",
        &[],
    )?;
    let what = ["flights", "resources", "host_lifecycle rows", "tasks"];
    let mut found = Vec::new();
    for (i, what) in what.iter().enumerate() {
        let n: i64 = row.col("emptiness check", i)?;
        if n > 0 {
            found.push(format!("{n} {what}"));
        }
    }
    if found.is_empty() {
        Ok(())
    } else {
        Err(SeedError::NotEmpty(found.join(", ")))
    }
}

fn magic(tx: &mut impl GenericClient) -> Result<Magic, SeedError> {
    let mut find = |refkey: &'static str| -> Result<i32, SeedError> {
        tx.query_opt(
            "SELECT taskid FROM tasks WHERE type = 'magic' AND refkey = $1",
            &[&refkey],
        )?
        .ok_or(SeedError::NoMagicTask(refkey))?
        .col("magic task", 0)
        .map_err(SeedError::from)
    };
    Ok(Magic {
        idle: find("idle")?,
        allocatable: find("allocatable")?,
        shared: find("shared")?,
        preparing: find("preparing")?,
    })
}

/// Check the database is fresh, then add the lab: every host's
/// `resources` row (test hosts idle, build hosts held by `shared`), the
/// build hosts' shares (`allocatable`) and `resource_sharing` rows (to be
/// installed: state `prep`), every host's flags and properties, and the
/// operators' static tasks.
pub(crate) fn prepare(client: &mut Client, lab: &Lab) -> Result<Setup, SeedError> {
    txn::committed(client, |tx| prepare_in(tx, lab))
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    reason = "an operator's index counts within `OPERATORS`, a constant list of three"
)]
fn prepare_in(tx: &mut Transaction<'_>, lab: &Lab) -> Result<Setup, SeedError> {
    check_empty(tx)?;
    let magic = magic(tx)?;
    let max: i32 = tx
        .query_one("SELECT max(taskid) FROM tasks", &[])?
        .col("last task", 0)?;

    let mut operators = Vec::with_capacity(OPERATORS.len());
    for (i, refkey) in OPERATORS.iter().enumerate() {
        let taskid = max + 1 + i as i32;
        let user = refkey.split('@').next().unwrap_or(refkey);
        tx.execute(
            "INSERT INTO tasks (taskid, type, refkey, username, comment, live)
             VALUES ($1, 'static', $2, $3, 'static task', true)",
            &[&taskid, refkey, &user],
        )?;
        operators.push((taskid, *refkey));
    }

    let sink = tx.copy_in(
        "COPY resources (restype, resname, shareix, owntaskid) FROM STDIN (FORMAT binary)",
    )?;
    let mut w = BinaryCopyInWriter::new(sink, &[Type::TEXT, Type::TEXT, Type::INT4, Type::INT4]);
    for host in &lab.hosts {
        match host.role {
            Role::Test => w.write(&[&"host", &host.name, &0i32, &magic.idle])?,
            Role::Build { maxshares, .. } => {
                w.write(&[&"host", &host.name, &0i32, &magic.shared])?;
                for i in 1..=maxshares {
                    w.write(&[&"share-host", &host.name, &i, &magic.allocatable])?;
                }
            }
        }
    }
    w.finish()?;

    // osstest keeps no count of a shared host's shares: it is the number
    // of its `share-host` rows, written above.
    let sink = tx.copy_in(
        "COPY resource_sharing (restype, resname, sharetype, state, wear)
         FROM STDIN (FORMAT binary)",
    )?;
    let types = [Type::TEXT, Type::TEXT, Type::TEXT, Type::TEXT, Type::INT4];
    let mut w = BinaryCopyInWriter::new(sink, &types);
    for host in &lab.hosts {
        if let Role::Build { sharetype, .. } = host.role {
            w.write(&[&"host", &host.name, &sharetype, &"prep", &0i32])?;
        }
    }
    w.finish()?;
    copy_host_facts(tx, lab)?;

    Ok(Setup {
        magic,
        first_task: max + 1 + OPERATORS.len() as i32,
        operators,
    })
}

/// Every host's `hostflags` and `resource_properties`, as a lab's host
/// configuration gives them.
fn copy_host_facts(tx: &mut postgres::Transaction<'_>, lab: &Lab) -> Result<(), SeedError> {
    let sink = tx.copy_in("COPY hostflags (hostname, hostflag) FROM STDIN (FORMAT binary)")?;
    let mut w = BinaryCopyInWriter::new(sink, &[Type::TEXT, Type::TEXT]);
    for host in &lab.hosts {
        for flag in &host.flags {
            w.write(&[&host.name, &flag.as_ref()])?;
        }
    }
    w.finish()?;

    let sink = tx.copy_in(
        "COPY resource_properties (restype, resname, name, val) FROM STDIN (FORMAT binary)",
    )?;
    let mut w = BinaryCopyInWriter::new(sink, &[Type::TEXT; 4]);
    for host in &lab.hosts {
        for (name, val) in host.props.rows() {
            w.write(&[&"host", &host.name, &name, &val])?;
        }
    }
    w.finish()?;
    Ok(())
}

/// Rows written between two progress reports.
const TICK_ROWS: u64 = 20_000;

/// Empty `table` with TRUNCATE if it has no rows, and say whether it did:
/// COPY may then write the rows frozen (`FREEZE` wants a table truncated
/// or created in the same transaction), on pages marked all-visible, which
/// leaves autovacuum nothing to do once they are in. Otherwise, at
/// `large`, autovacuum scans the 1.7 GB of fresh runvars while the replay
/// runs, on the same two cores.
fn truncate_if_empty(tx: &mut postgres::Transaction<'_>, table: &str) -> Result<bool, SeedError> {
    let empty: bool = tx
        .query_one(&format!("SELECT NOT EXISTS (SELECT 1 FROM {table})"), &[])?
        .col("empty table", 0)?;
    if empty {
        tx.batch_execute(&format!("TRUNCATE {table}"))?;
    }
    Ok(empty)
}

/// Copy `rows` into `table` with binary COPY, reporting progress. `write`
/// writes one row's values, in `columns`' order. With `owner` (the session
/// owns the tables and has set their foreign keys aside), an empty table
/// takes its rows frozen.
fn copy<'a, T: 'a>(
    tx: &mut postgres::Transaction<'_>,
    owner: bool,
    table: &str,
    columns: &[(&str, Type)],
    rows: impl Iterator<Item = &'a T>,
    write: impl Fn(&mut BinaryCopyInWriter<'_>, &'a T) -> Result<(), postgres::Error>,
    tick: &mut dyn FnMut(u64),
) -> Result<(), SeedError> {
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let types: Vec<Type> = columns.iter().map(|(_, t)| t.clone()).collect();
    let freeze = owner && truncate_if_empty(tx, table)?;
    let sink = tx.copy_in(&format!(
        "COPY {table} ({}) FROM STDIN (FORMAT binary{})",
        names.join(", "),
        if freeze { ", FREEZE" } else { "" }
    ))?;
    let mut w = BinaryCopyInWriter::new(sink, &types);
    let mut unreported = 0;
    for row in rows {
        write(&mut w, row)?;
        unreported += 1;
        if unreported == TICK_ROWS {
            tick(unreported);
            unreported = 0;
        }
    }
    w.finish()?;
    tick(unreported);
    Ok(())
}

/// The tables `load` fills, as an SQL list.
const LOADED_TABLES: &str = "'tasks'::regclass, 'flights'::regclass, 'jobs'::regclass,
     'steps'::regclass, 'runvars'::regclass";

/// Whether this session owns every loaded table and every table with a
/// foreign key to one, as dropping and adding their constraints and
/// indexes requires.
fn owns_loaded_tables(tx: &mut impl GenericClient) -> Result<bool, SeedError> {
    let sql = format!(
        "SELECT bool_and(pg_has_role(relowner, 'USAGE')) FROM pg_class
          WHERE oid IN ({LOADED_TABLES})
             OR oid IN (SELECT conrelid FROM pg_constraint
                         WHERE contype = 'f' AND confrelid IN ({LOADED_TABLES}))"
    );
    Ok(tx.query_one(&sql, &[])?.col("table ownership", 0)?)
}

/// The query for [`set_aside_statements`], as errors name it.
const SET_ASIDE: &str = "keys and indexes to set aside";

/// The statements that drop, then restore, the loaded tables' keys, the
/// foreign keys to and from them, and their other indexes, from the
/// catalog's own definitions: names and definitions come back exactly as
/// they were. Foreign keys go first and come back last, as they stand on
/// the keys they reference.
fn set_aside_statements(
    tx: &mut impl GenericClient,
) -> Result<(Vec<String>, Vec<String>), SeedError> {
    let sql = format!(
        "SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname),
                format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname,
                       pg_get_constraintdef(oid)),
                CASE contype WHEN 'f' THEN 1 ELSE 0 END AS restore_order
           FROM pg_constraint
          WHERE (contype = 'f' AND (conrelid IN ({LOADED_TABLES})
                                    OR confrelid IN ({LOADED_TABLES})))
             OR (contype IN ('p', 'u') AND conrelid IN ({LOADED_TABLES}))
         UNION ALL
         SELECT format('DROP INDEX %s', i.indexrelid::regclass),
                pg_get_indexdef(i.indexrelid),
                0
           FROM pg_index i
          WHERE i.indrelid IN ({LOADED_TABLES})
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                             WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
          ORDER BY 3, 2"
    );
    let rows = tx.query(&sql, &[])?;
    let mut drop: Vec<String> = Vec::with_capacity(rows.len());
    let mut restore = Vec::with_capacity(rows.len());
    for r in &rows {
        drop.push(r.col(SET_ASIDE, 0)?);
        restore.push(r.col(SET_ASIDE, 1)?);
    }
    drop.reverse();
    Ok((drop, restore))
}

/// Load every pool's rows, in one transaction.
///
/// A foreign key checks each new row with its own query; an index that
/// grows row by row cannot order its insertions. The database was found
/// empty (`prepare`), so the loaded tables' keys and indexes, and the
/// foreign keys to and from them, are dropped in this transaction and
/// made again from the catalog's definitions after the rows are in, which
/// checks each foreign key with one join and builds each index from all
/// its rows at once, sorted (by parallel workers, when the server has
/// them to spare). DDL is transactional: a load that fails leaves the
/// schema as it was. A session that does not own the tables (and may
/// not alter them) loads with the constraints in place.
///
/// Flights are loaded `running` (the recorder refuses any other) and
/// blessed after the replay; tasks are loaded not live and made live as
/// their flight starts.
pub(crate) fn load(
    client: &mut Client,
    worlds: &[&PoolWorld],
    tick: &mut dyn FnMut(u64),
) -> Result<(), SeedError> {
    txn::committed(client, |tx| load_in(tx, worlds, tick))
}

fn load_in(
    tx: &mut Transaction<'_>,
    worlds: &[&PoolWorld],
    tick: &mut dyn FnMut(u64),
) -> Result<(), SeedError> {
    let owner = owns_loaded_tables(tx)?;
    let (drop, restore) = if owner {
        set_aside_statements(tx)?
    } else {
        (Vec::new(), Vec::new())
    };
    for sql in &drop {
        tx.batch_execute(sql)?;
    }
    copy_rows(tx, owner, worlds, tick)?;
    // Index entries are sorted in memory when they fit (steps' keys, the
    // runvars' host index). The runvars' primary key, 17 million entries
    // at `large`, does not; a fifth of `large` built it no faster with
    // 1 GB (3.8 s) than with 256 MB (3.6 s).
    tx.batch_execute("SET LOCAL maintenance_work_mem = '256MB'")?;
    for sql in &restore {
        tx.batch_execute(sql)?;
    }
    Ok(())
}

/// The COPYs themselves, table by table, every pool's rows in turn.
fn copy_rows(
    tx: &mut postgres::Transaction<'_>,
    owner: bool,
    worlds: &[&PoolWorld],
    tick: &mut dyn FnMut(u64),
) -> Result<(), SeedError> {
    use Type as T;
    copy(
        tx,
        owner,
        "tasks",
        &[
            ("taskid", T::INT4),
            ("type", T::TEXT),
            ("refkey", T::TEXT),
            ("username", T::TEXT),
            ("comment", T::TEXT),
            ("live", T::BOOL),
        ],
        worlds.iter().flat_map(|w| &w.tasks),
        |w, t| {
            w.write(&[
                &t.taskid, &"ownd", &t.refkey, &"osstest", &t.comment, &false,
            ])
        },
        tick,
    )?;
    copy(
        tx,
        owner,
        "flights",
        &[
            ("flight", T::INT4),
            ("started", T::INT4),
            ("blessing", T::TEXT),
            ("intended", T::TEXT),
            ("branch", T::TEXT),
        ],
        worlds.iter().flat_map(|w| &w.flights),
        |w, f| w.write(&[&f.flight, &f.started, &"running", &f.intended, &f.branch]),
        tick,
    )?;
    copy(
        tx,
        owner,
        "jobs",
        &[
            ("flight", T::INT4),
            ("job", T::TEXT),
            ("recipe", T::TEXT),
            ("status", T::TEXT),
        ],
        worlds.iter().flat_map(|w| &w.jobs),
        |w, j| w.write(&[&j.flight, &j.job, &j.recipe, &j.status]),
        tick,
    )?;
    copy(
        tx,
        owner,
        "steps",
        &[
            ("flight", T::INT4),
            ("job", T::TEXT),
            ("stepno", T::INT4),
            ("step", T::TEXT),
            ("status", T::TEXT),
            ("testid", T::TEXT),
            ("started", T::INT4),
            ("finished", T::INT4),
        ],
        worlds.iter().flat_map(|w| &w.steps),
        |w, s| {
            w.write(&[
                &s.flight,
                &s.job,
                &s.stepno,
                &s.step,
                &s.status,
                &s.testid,
                &s.started,
                &s.finished,
            ])
        },
        tick,
    )?;
    copy(
        tx,
        owner,
        "runvars",
        &[
            ("flight", T::INT4),
            ("job", T::TEXT),
            ("name", T::TEXT),
            ("val", T::TEXT),
            ("synth", T::BOOL),
        ],
        worlds.iter().flat_map(|w| &w.runvars),
        |w, r| w.write(&[&r.flight, &r.job, &r.name, &r.val.as_str(), &r.synth]),
        tick,
    )
}

/// After every pool's replay: move the sequences past the ids we chose,
/// refresh the planner's statistics, and count the rows left.
pub(crate) fn finish(client: &mut Client) -> Result<u64, SeedError> {
    client.batch_execute(
        "SELECT setval('tasks_taskid_seq', (SELECT max(taskid) FROM tasks));
         SELECT setval('flights_flight_seq', (SELECT max(flight) FROM flights));
         ANALYZE;",
    )?;
    let kept: i64 = client
        .query_one("SELECT count(*) FROM host_lifecycle", &[])?
        .col("rows kept", 0)?;
    Ok(u64::try_from(kept).unwrap_or(0))
}
