//! The recorder's statements, and the connection settings they assume.
//!
//! Each read and write comes twice: for one call, with scalar parameters
//! (what `hostlife record` sends), and for a batch of calls, with one
//! array per parameter. Both are built from the same text,
//! so that a batch checks exactly what a single call checks.

use tokio_postgres::types::Type;
use tokio_postgres::{Client, Statement};

use crate::db::error::Result;

/// The recorder's session settings; it owns its connection, so no caller's
/// session is changed.
///
/// - Planner costs. Its lookups are primary-key probes of tables that stay
///   in memory; with the default cost of a random page, PostgreSQL prefers
///   a sequential scan of any table of a few pages (tasks, flights), which
///   costs ten times the probe once the statement runs with a generic plan.
/// - lz4 for the runvars it writes, where the server was built with it
///   (PostgreSQL 14 and later list it among the setting's values then).
///   A listing of a thousand rows is several KB of text, compressed on
///   every write: pglz took 0.35 ms of the write at 1,000 rows and 1.1 ms
///   at 5,000, lz4 0.16 and 0.35 ms (`pg_stat_statements`).
/// - Generic plans. The batch statements take arrays, and a generic plan
///   assumes a hundred elements (`unnest`'s estimate): it looks costlier
///   than a custom plan for the few calls of a batch, so PostgreSQL would
///   plan them anew at every execution, for the same plan of probes.
pub(super) const SESSION_SQL: &str = "SET random_page_cost = 1.1;
    SET plan_cache_mode = force_generic_plan;
    SELECT set_config('default_toast_compression', 'lz4', false)
      FROM pg_settings
     WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)";

pub(super) const BEGIN_SQL: &str = "BEGIN ISOLATION LEVEL SERIALIZABLE";

pub(super) const TASK_ROW_SQL: &str =
    "INSERT INTO host_lifecycle (hostname, taskid) VALUES ($1, $2) RETURNING lcseq";

/// The columns of a scanned row, at the positions of [`scan_col`].
macro_rules! scan_columns {
    () => {
        "lcseq, taskid, flight, job, stepno, ident, isprep"
    };
}

/// Where `scan_row` finds each column of `scan_columns!`. By position, not
/// by name: a busy host's scan is thousands of rows, read on every call,
/// and a lookup by name compares strings for every column of every row.
/// The names are checked against the prepared statements by a test.
pub(super) mod scan_col {
    pub const LCSEQ: usize = 0;
    pub const TASKID: usize = 1;
    pub const FLIGHT: usize = 2;
    pub const JOB: usize = 3;
    pub const STEPNO: usize = 4;
    pub const IDENT: usize = 5;
    pub const ISPREP: usize = 6;
    /// `SCAN_MANY_SQL`'s host, after the scanned row's columns.
    pub const HOSTNAME: usize = 7;
}

// No join with tasks: it would cost a hash of every task and a sort of the
// rows the index already gives in lcseq order. Liveness comes from
// `live_sql!`, a set as small as the number of live tasks.
pub(super) const SCAN_SQL: &str = concat!(
    "SELECT ",
    scan_columns!(),
    " FROM host_lifecycle WHERE hostname = $1 ORDER BY lcseq"
);

/// A batch's hosts at once, host by host; the host name comes last, after
/// the columns `scan_row` reads.
pub(super) const SCAN_MANY_SQL: &str = concat!(
    "SELECT ",
    scan_columns!(),
    ", hostname FROM host_lifecycle WHERE hostname = ANY ($1) ORDER BY hostname, lcseq"
);

/// The ids of all live tasks: the few an osstest database has at a time,
/// straight from a partial index. A row's task is live when it is among
/// them; tasks without rows on the host do no harm.
/// (A macro, so that queries can `concat!` it.)
macro_rules! live_sql {
    () => {
        "ARRAY(SELECT taskid FROM tasks WHERE live) AS live_tasks"
    };
}

pub(super) const LIVE_SQL: &str = concat!("SELECT ", live_sql!());

/// Everything a call checks, one row per call: primary-key probes (the
/// job's own only when its step is not found: a step's job exists). The
/// joins are `LATERAL ... LIMIT 1` so that they stay probes: the batch
/// form's generic plan, which cannot see how many calls there are, would
/// otherwise hash all of `tasks`, `flights` and the hosts' `resources`
/// for every batch, and scan `resource_sharing` for every call.
/// `$calls` is a row source
/// named `c` with the columns `taskid`, `static_refkey`, `flight`, `job`,
/// `stepno`, `testid`, `runvar_name` and `host`; `$extra` adds columns
/// after the checks, `$tail` ends the statement.
macro_rules! context_sql {
    ($extra:expr, $calls:expr, $tail:expr) => {
        concat!(
            "SELECT t.taskid, t.type, t.refkey, t.username, t.comment, t.live,
                    f.flight IS NOT NULL AS flight_exists, f.blessing,
                    CASE WHEN s.stepno IS NOT NULL THEN true
                         ELSE EXISTS (SELECT 1 FROM jobs WHERE flight = c.flight AND job = c.job)
                    END AS job_exists,
                    s.stepno, rv.val AS runvar_val, rv.synth AS runvar_synth,
                    h.known IS NOT NULL AS host_known, rs.sharetype",
            $extra,
            "
               FROM ",
            $calls,
            "
          LEFT JOIN LATERAL (
                  SELECT * FROM tasks
                   WHERE taskid = COALESCE(c.taskid,
                             (SELECT taskid FROM tasks
                               WHERE type = 'static' AND refkey = c.static_refkey))
                   LIMIT 1) t ON true
          LEFT JOIN LATERAL (
                  SELECT flight, blessing FROM flights WHERE flight = c.flight LIMIT 1) f ON true
          LEFT JOIN LATERAL (
                  SELECT COALESCE(
                      (SELECT stepno FROM steps
                        WHERE flight = c.flight AND job = c.job AND stepno = c.stepno),
                      (SELECT stepno FROM steps
                        WHERE flight = c.flight AND job = c.job AND testid = c.testid
                        ORDER BY stepno LIMIT 1)) AS stepno
                  OFFSET 0) s ON true
          LEFT JOIN LATERAL (
                  SELECT val, synth FROM runvars
                   WHERE flight = c.flight AND job = c.job AND name = c.runvar_name
                   LIMIT 1) rv ON true
          LEFT JOIN LATERAL (
                  SELECT true AS known FROM resources
                   WHERE restype = 'host' AND resname = c.host AND shareix = 0
                   LIMIT 1) h ON true
          LEFT JOIN LATERAL (
                  SELECT sharetype FROM resource_sharing
                   WHERE restype = 'host' AND resname = c.host
                   LIMIT 1) rs ON true",
            $tail
        )
    };
}

/// One call. The live set comes with it, as of the same snapshot, to spare
/// the scan a join and the call a statement.
pub(super) const CONTEXT_SQL: &str = context_sql!(
    concat!(", ", live_sql!()),
    "(SELECT $1::int4 AS taskid, $2::text AS static_refkey, $3::int4 AS flight,
             $4::text AS job, $5::int4 AS stepno, $6::text AS testid,
             $7::text AS runvar_name, $8::text AS host) AS c",
    ""
);

/// A batch, in the order of its calls. The live set comes from `LIVE_SQL`.
pub(super) const CONTEXT_MANY_SQL: &str = context_sql!(
    "",
    "unnest($1::int4[], $2::text[], $3::int4[], $4::text[], $5::int4[], $6::text[],
            $7::text[], $8::text[])
       WITH ORDINALITY AS c(taskid, static_refkey, flight, job, stepno, testid,
                            runvar_name, host, ord)",
    " ORDER BY c.ord"
);

// The row and the runvar in one statement: one round trip.
pub(super) const WRITE_SQL: &str = "WITH row AS (
                 INSERT INTO host_lifecycle
                        (hostname, taskid, flight, job, isprep, ident, stepno)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
              RETURNING lcseq)
             INSERT INTO runvars (flight, job, name, val, synth)
             VALUES ($3, $4, $8, $9, true)
             ON CONFLICT (flight, job, name) DO UPDATE SET val = EXCLUDED.val
             RETURNING (SELECT lcseq FROM row)";

/// A batch's rows (job rows and task-only rows alike) and runvars, in one
/// statement. The rows go in in the calls' order, so each host's new
/// lcseqs rise in the order of its calls; each runvar comes once (its last
/// value), as `ON CONFLICT` may update a row only once per statement.
pub(super) const WRITE_MANY_SQL: &str = "WITH row AS (
                 INSERT INTO host_lifecycle
                        (hostname, taskid, flight, job, isprep, ident, stepno)
                 SELECT hostname, taskid, flight, job, isprep, ident, stepno
                   FROM unnest($1::text[], $2::int4[], $3::int4[], $4::text[],
                               $5::bool[], $6::text[], $7::int4[])
                        WITH ORDINALITY
                        AS r(hostname, taskid, flight, job, isprep, ident, stepno, ord)
                  ORDER BY ord
              RETURNING hostname, lcseq),
             var AS (
                 INSERT INTO runvars (flight, job, name, val, synth)
                 SELECT v.*, true
                   FROM unnest($8::int4[], $9::text[], $10::text[], $11::text[])
                        AS v(flight, job, name, val)
                 ON CONFLICT (flight, job, name) DO UPDATE SET val = EXCLUDED.val)
             SELECT hostname, lcseq FROM row";

/// The recorder's statements, prepared once per connection: planning the
/// context query costs more than running it.
pub(super) struct Statements {
    pub context: Statement,
    pub scan: Statement,
    pub write: Statement,
    pub task_row: Statement,
    pub context_many: Statement,
    pub scan_many: Statement,
    pub live: Statement,
    pub write_many: Statement,
}

impl Statements {
    pub async fn prepare(client: &Client) -> Result<Statements> {
        use Type as T;
        let context_types = [
            T::INT4,
            T::TEXT,
            T::INT4,
            T::TEXT,
            T::INT4,
            T::TEXT,
            T::TEXT,
            T::TEXT,
        ];
        let many_types = [
            T::INT4_ARRAY,
            T::TEXT_ARRAY,
            T::INT4_ARRAY,
            T::TEXT_ARRAY,
            T::INT4_ARRAY,
            T::TEXT_ARRAY,
            T::TEXT_ARRAY,
            T::TEXT_ARRAY,
        ];
        let write_types = [
            T::TEXT,
            T::INT4,
            T::INT4,
            T::TEXT,
            T::BOOL,
            T::TEXT,
            T::INT4,
            T::TEXT,
            T::TEXT,
        ];
        let write_many_types = [
            T::TEXT_ARRAY,
            T::INT4_ARRAY,
            T::INT4_ARRAY,
            T::TEXT_ARRAY,
            T::BOOL_ARRAY,
            T::TEXT_ARRAY,
            T::INT4_ARRAY,
            T::INT4_ARRAY,
            T::TEXT_ARRAY,
            T::TEXT_ARRAY,
            T::TEXT_ARRAY,
        ];
        // Sent together: one round trip for all of them.
        let (context, scan, write, task_row, context_many, scan_many, live, write_many) = tokio::try_join!(
            client.prepare_typed(CONTEXT_SQL, &context_types),
            client.prepare_typed(SCAN_SQL, &[T::TEXT]),
            client.prepare_typed(WRITE_SQL, &write_types),
            client.prepare_typed(TASK_ROW_SQL, &[T::TEXT, T::INT4]),
            client.prepare_typed(CONTEXT_MANY_SQL, &many_types),
            client.prepare_typed(SCAN_MANY_SQL, &[T::TEXT_ARRAY]),
            client.prepare_typed(LIVE_SQL, &[]),
            client.prepare_typed(WRITE_MANY_SQL, &write_many_types),
        )?;
        Ok(Statements {
            context,
            scan,
            write,
            task_row,
            context_many,
            scan_many,
            live,
            write_many,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testdb::TestDb;

    /// `scan_row` reads by position: each position names its column in
    /// both scans, as the server describes the prepared statements.
    #[test]
    fn the_scan_positions_name_their_columns() {
        let db = TestDb::new();
        let mut client = db.connect();
        let expected = [
            (scan_col::LCSEQ, "lcseq"),
            (scan_col::TASKID, "taskid"),
            (scan_col::FLIGHT, "flight"),
            (scan_col::JOB, "job"),
            (scan_col::STEPNO, "stepno"),
            (scan_col::IDENT, "ident"),
            (scan_col::ISPREP, "isprep"),
        ];
        let mut names_of = |sql: &str| -> Vec<String> {
            let statement = client.prepare(sql).unwrap();
            statement
                .columns()
                .iter()
                .map(|c| c.name().to_owned())
                .collect()
        };
        let one = names_of(SCAN_SQL);
        let many = names_of(SCAN_MANY_SQL);
        for names in [&one, &many] {
            for (position, name) in expected {
                assert_eq!(
                    names.get(position).map(String::as_str),
                    Some(name),
                    "{names:?}"
                );
            }
        }
        assert_eq!(many[scan_col::HOSTNAME], "hostname");
    }
}
