//! The recorder: selectprep, select and final (spec sections 3 to 5).
//!
//! One call is one serializable transaction: check, scan the host's rows,
//! compute the listing, insert the new row and store the runvar. Either
//! all of it commits or none of it does. [`Recorder`] runs it.

use std::borrow::Cow;

use postgres::GenericClient;
use postgres::types::{ToSql, Type};
use rustc_hash::FxHashSet;
use serde::Serialize;
use tokio_postgres::{Client as AsyncClient, Row, Statement};

use super::Config;
use super::error::{Refusal, Result};
use super::pipelined::Pipelined;
use super::task::{self, Task, TaskRef};
use super::txn;
use crate::lifecycle::{self, ListingContext, Mode, RowJob, ScanRow};

/// A flight and job named by a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRef {
    pub flight: i32,
    pub job: String,
}

/// How a call names its step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepRef {
    Number(i32),
    /// The step of the job whose testid this is (osstest's OSSTEST_TESTID).
    Testid(String),
}

/// One recording call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordCall {
    pub mode: Mode,
    pub host: String,
    pub ident: String,
    pub job: Option<JobRef>,
    pub step: Option<StepRef>,
    pub task: TaskRef,
    /// The host itself runs on a host (a nested guest): skipped entirely.
    pub nested: bool,
}

/// What a recording call did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RecordOutcome {
    /// A nested host: nothing to record.
    Nested,
    /// The runvar already ended with this mode's sigil: nothing written.
    Unchanged { runvar_name: String, runvar: String },
    /// No flight or no step: a task-only row.
    OutOfJob { lcseq: i32, taskid: i32 },
    /// A row and the job's runvar.
    Recorded {
        lcseq: i32,
        taskid: i32,
        stepno: i32,
        runvar_name: String,
        runvar: String,
    },
}

/// Whether a host name is acceptable: non-empty, no whitespace, no
/// control characters.
pub fn check_host_name(host: &str) -> Result<(), Refusal> {
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(Refusal::BadHostName(host.to_owned()))
    } else {
        Ok(())
    }
}

/// A flight's blessing permits lifecycle writes while it is running (or a
/// play flight).
pub fn blessing_allows(blessing: &str) -> bool {
    blessing == "running" || blessing.contains("play")
}

/// The acting task must be live to write.
pub(crate) fn check_live(t: &Task) -> Result<(), Refusal> {
    if t.live {
        Ok(())
    } else {
        Err(Refusal::TaskNotLive(t.label()))
    }
}

/// Insert an out-of-job row (hostname and taskid only).
pub(crate) fn insert_task_row(tx: &mut impl GenericClient, host: &str, taskid: i32) -> Result<i32> {
    Ok(tx
        .query_typed_one(TASK_ROW_SQL, &[(&host, Type::TEXT), (&taskid, Type::INT4)])?
        .get(0))
}

const TASK_ROW_SQL: &str =
    "INSERT INTO host_lifecycle (hostname, taskid) VALUES ($1, $2) RETURNING lcseq";

// No join with tasks: it would cost a hash of every task and a sort of the
// rows the index already gives in lcseq order. Liveness comes from
// `live_sql!`, a set as small as the number of live tasks.
const SCAN_SQL: &str = "SELECT lcseq, taskid, flight, job, stepno, ident, isprep
   FROM host_lifecycle
  WHERE hostname = $1
ORDER BY lcseq";

/// The ids of all live tasks: the few an osstest database has at a time,
/// straight from a partial index. A row's task is live when it is among
/// them; tasks without rows on the host do no harm.
/// (A macro, so that queries can `concat!` it.)
macro_rules! live_sql {
    () => {
        "ARRAY(SELECT taskid FROM tasks WHERE live)"
    };
}

/// The set of live task ids, as `live_sql!` gives it.
type LiveTasks = FxHashSet<i32>;

/// One scanned row, borrowing its names from the database's row.
fn scan_row<'r>(r: &'r postgres::Row, live: &LiveTasks) -> ScanRow<'r> {
    let taskid: i32 = r.get(1);
    let flight: Option<i32> = r.get(2);
    ScanRow {
        lcseq: r.get(0),
        taskid,
        live: live.contains(&taskid),
        job: flight.map(|flight| RowJob {
            flight,
            job: Cow::Borrowed(r.get(3)),
            stepno: r.get(4),
            ident: Cow::Borrowed(r.get(5)),
            isprep: r.get(6),
        }),
    }
}

/// A host's rows in lcseq order, each with its task's liveness.
pub fn scan(tx: &mut impl GenericClient, host: &str) -> Result<Vec<ScanRow<'static>>> {
    let live: Vec<i32> = tx.query_one(concat!("SELECT ", live_sql!()), &[])?.get(0);
    let live: LiveTasks = live.into_iter().collect();
    // Typed: the statement goes out without a separate prepare round trip.
    let rows = tx.query_typed(SCAN_SQL, &[(&host, Type::TEXT)])?;
    Ok(rows
        .iter()
        .map(|r| scan_row(r, &live).into_owned())
        .collect())
}

/// Whether the host is shared with a `build-` share type.
pub fn is_build_host(tx: &mut impl GenericClient, host: &str) -> Result<bool> {
    let row = tx.query_opt(
        "SELECT sharetype FROM resource_sharing WHERE restype = 'host' AND resname = $1",
        &[&host],
    )?;
    Ok(row.is_some_and(|r| r.get::<_, String>(0).starts_with("build-")))
}

/// The runvar name for an ident.
pub fn runvar_name(ident: &str) -> String {
    format!("{ident}_lifecycle")
}

fn validate(call: &RecordCall) -> Result<()> {
    check_host_name(&call.host)?;
    if !lifecycle::is_valid_name(&call.ident) {
        return Err(Refusal::BadIdent(call.ident.clone()).into());
    }
    if let Some(j) = &call.job
        && !lifecycle::is_valid_name(&j.job)
    {
        return Err(Refusal::BadJobName(j.job.clone()).into());
    }
    Ok(())
}

/// The recorder's statements, prepared once per connection: planning the
/// context query costs more than running it.
struct Statements {
    context: Statement,
    scan: Statement,
    write: Statement,
    task_row: Statement,
}

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
const SESSION_SQL: &str = "SET random_page_cost = 1.1;
    SELECT set_config('default_toast_compression', 'lz4', false)
      FROM pg_settings
     WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)";

const BEGIN_SQL: &str = "BEGIN ISOLATION LEVEL SERIALIZABLE";

impl Statements {
    async fn prepare(client: &AsyncClient) -> Result<Statements> {
        use Type as T;
        // Sent together: one round trip for all four.
        let (context, scan, write, task_row) = tokio::try_join!(
            client.prepare_typed(
                CONTEXT_SQL,
                &[
                    T::INT4,
                    T::TEXT,
                    T::INT4,
                    T::TEXT,
                    T::INT4,
                    T::TEXT,
                    T::TEXT,
                    T::TEXT,
                ],
            ),
            client.prepare_typed(SCAN_SQL, &[T::TEXT]),
            client.prepare_typed(
                WRITE_SQL,
                &[
                    T::TEXT,
                    T::INT4,
                    T::INT4,
                    T::TEXT,
                    T::BOOL,
                    T::TEXT,
                    T::INT4,
                    T::TEXT,
                    T::TEXT,
                ],
            ),
            client.prepare_typed(TASK_ROW_SQL, &[T::TEXT, T::INT4]),
        )?;
        Ok(Statements {
            context,
            scan,
            write,
            task_row,
        })
    }
}

/// Records calls: selectprep, select and final, each one serializable
/// transaction on a connection of its own with the statements prepared.
/// Everything that records (`hostlife record`, the TUI's palette, the
/// simulator, the tests) goes through here.
///
/// A call costs two round trips: BEGIN, the context query and the host's
/// rows go out together, and so do the write and COMMIT. (The rows are
/// read even when the call then returns early, unchanged: that wastes a
/// scan on those calls but saves a round trip on every one that writes.)
pub struct Recorder {
    conn: Pipelined,
    statements: Statements,
}

impl Recorder {
    /// Connect to `config` and prepare the statements.
    pub fn connect(config: &Config) -> Result<Recorder> {
        Recorder::new(Pipelined::connect(config)?)
    }

    /// Prepare the statements on a connection made already (so that the
    /// caller can report a failure to connect in its own words).
    pub fn new(conn: Pipelined) -> Result<Recorder> {
        let statements = conn.block_on(async {
            conn.client().batch_execute(SESSION_SQL).await?;
            Statements::prepare(conn.client()).await
        })?;
        Ok(Recorder { conn, statements })
    }

    /// Record one call. See the module documentation.
    pub fn record(&mut self, call: &RecordCall) -> Result<RecordOutcome> {
        validate(call)?;
        if call.nested {
            return Ok(RecordOutcome::Nested);
        }
        let name = runvar_name(&call.ident);
        let (conn, statements) = (&self.conn, &self.statements);
        txn::retry(|| conn.block_on(attempt(conn.client(), statements, call, &name)))
    }
}

/// One try at a call's transaction. It ends committed (the write and
/// COMMIT went out together) or rolled back (anything else).
async fn attempt(
    client: &AsyncClient,
    statements: &Statements,
    call: &RecordCall,
    name: &str,
) -> Result<RecordOutcome> {
    let mut tx = Tx { client, open: true };
    let outcome = record_in(&mut tx, statements, call, name).await;
    if tx.open {
        // Refused, unchanged or failed before COMMIT. A read-only
        // transaction loses nothing by rolling back; if the connection is
        // gone, the error that got us here says more than this one.
        let rolled_back = client.batch_execute("ROLLBACK").await;
        if let (Ok(_), Err(e)) = (&outcome, rolled_back) {
            return Err(e.into());
        }
    }
    outcome
}

/// The call's transaction: open until a statement goes out with COMMIT.
struct Tx<'c> {
    client: &'c AsyncClient,
    open: bool,
}

impl Tx<'_> {
    /// Send `last` and COMMIT together and wait for both. If `last` fails
    /// the server turns COMMIT into a rollback; either way the transaction
    /// is over.
    async fn commit_with<T>(
        &mut self,
        last: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T> {
        self.open = false;
        let (value, committed) = tokio::join!(last, self.client.batch_execute("COMMIT"));
        let value = value?;
        committed?;
        Ok(value)
    }
}

const CONTEXT_SQL: &str = concat!(
    "SELECT t.taskid, t.type, t.refkey, t.username, t.comment, t.live,
                f.flight IS NOT NULL, f.blessing,
                EXISTS (SELECT 1 FROM jobs WHERE flight = $3 AND job = $4),
                COALESCE(
                    (SELECT stepno FROM steps WHERE flight = $3 AND job = $4 AND stepno = $5),
                    (SELECT stepno FROM steps WHERE flight = $3 AND job = $4 AND testid = $6
                      ORDER BY stepno LIMIT 1)),
                rv.val, rv.synth,
                EXISTS (SELECT 1 FROM resources
                         WHERE restype = 'host' AND resname = $8 AND shareix = 0),
                (SELECT sharetype FROM resource_sharing WHERE restype = 'host' AND resname = $8),
                ",
    // The live set as of this snapshot, read here to spare the scan a join.
    live_sql!(),
    "
           FROM (SELECT 1) AS one
      LEFT JOIN tasks t ON t.taskid = COALESCE($1,
                    (SELECT taskid FROM tasks WHERE type = 'static' AND refkey = $2))
      LEFT JOIN flights f ON f.flight = $3
      LEFT JOIN runvars rv ON rv.flight = $3 AND rv.job = $4 AND rv.name = $7"
);

// The row and the runvar in one statement: one round trip.
const WRITE_SQL: &str = "WITH row AS (
                 INSERT INTO host_lifecycle
                        (hostname, taskid, flight, job, isprep, ident, stepno)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
              RETURNING lcseq)
             INSERT INTO runvars (flight, job, name, val, synth)
             VALUES ($3, $4, $8, $9, true)
             ON CONFLICT (flight, job, name) DO UPDATE SET val = EXCLUDED.val
             RETURNING (SELECT lcseq FROM row)";

/// Everything a call checks, read in one round trip.
struct Context {
    task: Option<Task>,
    /// `None`: no such flight; `Some(None)`: a flight without blessing.
    blessing: Option<Option<String>>,
    job_exists: bool,
    stepno: Option<i32>,
    runvar: Option<(String, bool)>,
    host_known: bool,
    sharetype: Option<String>,
    live: LiveTasks,
}

/// The context query's parameters for a call.
struct ContextParams<'a> {
    taskid: Option<i32>,
    static_refkey: Option<&'a str>,
    flight: Option<i32>,
    job: Option<&'a str>,
    stepno: Option<i32>,
    testid: Option<&'a str>,
    runvar_name: &'a str,
    host: &'a str,
}

impl<'a> ContextParams<'a> {
    fn of(call: &'a RecordCall, runvar_name: &'a str) -> Self {
        let (taskid, static_refkey) = match &call.task {
            TaskRef::Id { taskid } | TaskRef::Spec { taskid, .. } => (Some(*taskid), None),
            TaskRef::Static { refkey } => (None, Some(refkey.as_str())),
        };
        let (stepno, testid) = match &call.step {
            Some(StepRef::Number(n)) => (Some(*n), None),
            Some(StepRef::Testid(t)) => (None, Some(t.as_str())),
            None => (None, None),
        };
        ContextParams {
            taskid,
            static_refkey,
            flight: call.job.as_ref().map(|j| j.flight),
            job: call.job.as_ref().map(|j| j.job.as_str()),
            stepno,
            testid,
            runvar_name,
            host: &call.host,
        }
    }

    fn values(&self) -> [&(dyn ToSql + Sync); 8] {
        [
            &self.taskid,
            &self.static_refkey,
            &self.flight,
            &self.job,
            &self.stepno,
            &self.testid,
            &self.runvar_name,
            &self.host,
        ]
    }
}

impl Context {
    fn from_row(row: &Row) -> Context {
        let taskid: Option<i32> = row.get(0);
        let rv_val: Option<String> = row.get(10);
        Context {
            task: taskid.map(|taskid| Task {
                taskid,
                kind: row.get(1),
                refkey: row.get(2),
                username: row.get(3),
                comment: row.get(4),
                live: row.get(5),
            }),
            blessing: row.get::<_, bool>(6).then(|| row.get(7)),
            job_exists: row.get(8),
            stepno: row.get(9),
            runvar: rv_val.map(|v| (v, row.get(11))),
            host_known: row.get(12),
            sharetype: row.get(13),
            live: row.get::<_, Vec<i32>>(14).into_iter().collect(),
        }
    }
}

/// BEGIN, the context and (for a call that may write a job's row) the
/// host's rows, sent together. Every answer is awaited before any error is
/// returned, so the error is the first statement's that failed rather than
/// a later one's "transaction is aborted".
async fn read(
    client: &AsyncClient,
    statements: &Statements,
    call: &RecordCall,
    runvar_name: &str,
) -> Result<(Context, Option<Vec<Row>>)> {
    let params = ContextParams::of(call, runvar_name);
    // Without a job and a step the call records a task-only row and
    // needs no rows.
    let wants_rows = call.job.is_some() && call.step.is_some();
    let scan = async {
        match wants_rows {
            true => client
                .query(&statements.scan, &[&call.host])
                .await
                .map(Some),
            false => Ok(None),
        }
    };
    let values = params.values();
    let (began, context, rows) = tokio::join!(
        client.batch_execute(BEGIN_SQL),
        client.query_one(&statements.context, &values),
        scan,
    );
    began?;
    let context = Context::from_row(&context?);
    Ok((context, rows?))
}

/// The checks of spec section 3, in the order osstest makes them: the
/// task, the job and its step, the flight's blessing, then (after the
/// early return) the host and the task's liveness.
async fn record_in(
    tx: &mut Tx<'_>,
    statements: &Statements,
    call: &RecordCall,
    name: &str,
) -> Result<RecordOutcome> {
    let client = tx.client;
    let (ctx, scanned) = read(client, statements, call, name).await?;
    let me = match (ctx.task, &call.task) {
        (Some(t), TaskRef::Spec { kind, refkey, .. }) if (&t.kind, &t.refkey) != (kind, refkey) => {
            return Err(Refusal::TaskMismatch {
                taskid: t.taskid,
                given: format!("{kind} {refkey}"),
                actual: format!("{} {}", t.kind, t.refkey),
            }
            .into());
        }
        (Some(t), _) => t,
        (None, TaskRef::Static { refkey }) => {
            let user = task::static_user(refkey);
            let row = client
                .query_typed_one(
                    task::CREATE_STATIC_SQL,
                    &[(refkey, Type::TEXT), (&user, Type::TEXT)],
                )
                .await?;
            task::from_row(&row)
        }
        (None, other) => return Err(Refusal::TaskUnknown(other.to_string()).into()),
    };
    let mut stepno = None;
    if let Some(job) = &call.job {
        let Some(blessing) = &ctx.blessing else {
            return Err(Refusal::FlightUnknown(job.flight).into());
        };
        if !ctx.job_exists {
            return Err(Refusal::JobUnknown {
                flight: job.flight,
                job: job.job.clone(),
            }
            .into());
        }
        stepno = match (&call.step, ctx.stepno) {
            (None, _) => None,
            (Some(_), Some(n)) => Some(n),
            (Some(StepRef::Number(n)), None) => {
                return Err(Refusal::StepUnknown {
                    flight: job.flight,
                    job: job.job.clone(),
                    stepno: *n,
                }
                .into());
            }
            (Some(StepRef::Testid(t)), None) => {
                return Err(Refusal::TestidUnknown {
                    flight: job.flight,
                    job: job.job.clone(),
                    testid: t.clone(),
                }
                .into());
            }
        };
        let blessing = blessing.clone().unwrap_or_default();
        if stepno.is_some() && !blessing_allows(&blessing) {
            return Err(Refusal::FlightNotRunning {
                flight: job.flight,
                blessing,
            }
            .into());
        }
    }
    let host_known = || -> Result<()> {
        if ctx.host_known {
            Ok(())
        } else {
            Err(Refusal::HostUnknown(call.host.clone()).into())
        }
    };
    let (Some(job), Some(stepno)) = (&call.job, stepno) else {
        host_known()?;
        check_live(&me)?;
        let row = tx
            .commit_with(client.query_one(&statements.task_row, &[&call.host, &me.taskid]))
            .await?;
        return Ok(RecordOutcome::OutOfJob {
            lcseq: row.get(0),
            taskid: me.taskid,
        });
    };

    if let Some((val, synth)) = ctx.runvar {
        if !synth {
            return Err(Refusal::RunvarNotSynth {
                flight: job.flight,
                job: job.job.clone(),
                name: name.to_owned(),
            }
            .into());
        }
        let sigil = call.mode.sigil().map(|s| s.as_char());
        if sigil.is_some() && lifecycle::sigil_of_last_token(&val) == sigil {
            return Ok(RecordOutcome::Unchanged {
                runvar_name: name.to_owned(),
                runvar: val,
            });
        }
    }

    host_known()?;
    check_live(&me)?;

    let scanned = scanned.expect("a call with a job and a step reads the host's rows");
    let rows: Vec<ScanRow<'_>> = scanned.iter().map(|r| scan_row(r, &ctx.live)).collect();
    let build_host = ctx.sharetype.is_some_and(|t| t.starts_with("build-"));
    let listing = lifecycle::listing(
        &rows,
        ListingContext {
            flight: Some(job.flight),
            job: &job.job,
            build_host,
        },
    );
    let runvar = listing.runvar(call.mode.sigil());
    let lcseq: i32 = tx
        .commit_with(client.query_one(
            &statements.write,
            &[
                &call.host,
                &me.taskid,
                &job.flight,
                &job.job,
                &(call.mode == Mode::SelectPrep),
                &call.ident,
                &stepno,
                &name,
                &runvar,
            ],
        ))
        .await?
        .get(0);
    Ok(RecordOutcome::Recorded {
        lcseq,
        taskid: me.taskid,
        stepno,
        runvar_name: name.to_owned(),
        runvar,
    })
}
