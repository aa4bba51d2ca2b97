//! A call's transaction, and a batch's, on the pipelined connection.
//!
//! A single call costs two round trips: BEGIN, the context query and the
//! host's rows go out together, and so do the write and COMMIT. (The rows
//! are read even when the call then returns early, unchanged: that wastes a
//! scan on those calls but saves a round trip on every one that writes.)
//! A batch costs the same two round trips for all of its calls, which are
//! decided in order, each seeing what the ones before it wrote (rows,
//! runvars, static tasks), exactly as if they had been made one at a time.

use std::ops::Range;

use rustc_hash::FxHashMap;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, Row};

use super::context::{ContextArrays, ContextParams, Facts, LiveTasks, live_tasks, scan_row};
use super::sql::{BEGIN_SQL, Statements, scan_col};
use super::{RecordCall, RecordOutcome};
use crate::db::error::{BatchFailure, Error, Result};
use crate::db::row::RowExt;
use crate::db::task;
use crate::lifecycle::Task;
use crate::lifecycle::decide::{Acting, Decision, acting, decide, is_prep};
use crate::lifecycle::{RowJob, ScanRow};

/// A transaction: open until a statement goes out with COMMIT.
struct Tx<'c> {
    client: &'c Client,
    open: bool,
    /// Whether COMMIT may have run: it went out, and the statement sent
    /// with it did not come back with an error from the server. When the
    /// server answers that statement with an error (a FATAL from a
    /// terminated backend included), it never ran COMMIT as a commit: it
    /// stops there, or turns COMMIT into a rollback. Only then is a lost
    /// connection after COMMIT went out known to have written nothing.
    may_have_committed: bool,
    /// A preview: the write is sent as the call would send it, then rolled
    /// back instead of committed, so its outcome is exact and nothing
    /// stays.
    rehearsal: bool,
}

impl<'c> Tx<'c> {
    fn new(client: &'c Client, rehearsal: bool) -> Self {
        Tx {
            client,
            open: true,
            may_have_committed: false,
            rehearsal,
        }
    }

    /// Send `last` and COMMIT together and wait for both. If `last` fails
    /// the server turns COMMIT into a rollback; either way the transaction
    /// is over.
    async fn commit_with<T>(
        &mut self,
        last: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T> {
        self.open = false;
        let end = if self.rehearsal { "ROLLBACK" } else { "COMMIT" };
        let (value, committed) = tokio::join!(last, self.client.batch_execute(end));
        self.may_have_committed = !self.rehearsal
            && value
                .as_ref()
                .err()
                .is_none_or(|e| e.as_db_error().is_none());
        let value = value?;
        committed?;
        Ok(value)
    }

    /// End the transaction after `outcome`: roll back unless it committed
    /// (refused, unchanged or failed before COMMIT). A read-only transaction
    /// loses nothing by rolling back; if the connection is gone, the error
    /// that got us here says more than this one.
    async fn end<T, E: From<Error>>(self, outcome: Result<T, E>) -> Result<T, E> {
        if self.open {
            let rolled_back = self.client.batch_execute("ROLLBACK").await;
            if let (Ok(_), Err(e)) = (&outcome, rolled_back) {
                return Err(Error::from(e).into());
            }
        }
        outcome
    }
}

/// Create an operator's static task, live, in the call's transaction.
async fn create_static(client: &Client, refkey: &str) -> Result<Task> {
    let user = task::static_user(refkey);
    let row = client
        .query_typed_one(
            task::CREATE_STATIC_SQL,
            &[(&refkey, Type::TEXT), (&user, Type::TEXT)],
        )
        .await?;
    task::from_row(&row)
}

/// Whether a call reads its host's rows: one without a job and a step
/// records a task-only row.
fn wants_rows(call: &RecordCall) -> bool {
    call.job.is_some() && call.step.is_some()
}

/// One try at a call's transaction. It ends committed (the write and
/// COMMIT went out together) or rolled back (anything else).
pub(super) async fn attempt(
    client: &Client,
    statements: &Statements,
    call: &RecordCall,
    name: &str,
    rehearsal: bool,
) -> Result<RecordOutcome> {
    let mut tx = Tx::new(client, rehearsal);
    let outcome = record_in(&mut tx, statements, call, name).await;
    let commit_sent = tx.may_have_committed;
    tx.end(outcome)
        .await
        .map_err(|e| e.on_lost_connection(commit_sent, &call.host))
}

/// BEGIN, the context and (for a call that may write a job's row) the
/// host's rows, sent together. Every answer is awaited before any error is
/// returned, so the error is the first statement's that failed rather than
/// a later one's "transaction is aborted".
async fn read(
    client: &Client,
    statements: &Statements,
    call: &RecordCall,
    runvar_name: &str,
) -> Result<(Row, Option<Vec<Row>>)> {
    let params = ContextParams::of(call, runvar_name);
    let scan = async {
        if wants_rows(call) {
            client
                .query(&statements.scan, &[&call.host])
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    };
    let values = params.values();
    let (began, context, rows) = tokio::join!(
        client.batch_execute(BEGIN_SQL),
        client.query_one(&statements.context, &values),
        scan,
    );
    began?;
    Ok((context?, rows?))
}

async fn record_in(
    tx: &mut Tx<'_>,
    statements: &Statements,
    call: &RecordCall,
    name: &str,
) -> Result<RecordOutcome> {
    let client = tx.client;
    let (row, scanned) = read(client, statements, call, name).await?;
    let mut ctx = Facts::from_row(&row)?;
    let live = live_tasks(&row)?;
    let me = match acting(ctx.task.take(), call)? {
        Acting::Known(t) => t,
        Acting::CreateStatic(refkey) => create_static(client, refkey).await?,
    };
    let rows: Option<Vec<ScanRow<'_>>> = scanned
        .as_ref()
        .map(|rows| rows.iter().map(|r| scan_row(r, &live)).collect())
        .transpose()?;
    match decide(call, name, &ctx, &me, rows.as_deref())? {
        Decision::Unchanged { runvar } => Ok(RecordOutcome::Unchanged {
            runvar_name: name.to_owned(),
            runvar,
        }),
        Decision::TaskRow => {
            let row = tx
                .commit_with(client.query_one(&statements.task_row, &[&call.host, &me.taskid]))
                .await?;
            Ok(RecordOutcome::OutOfJob {
                lcseq: row.col("task row", 0)?,
                taskid: me.taskid,
            })
        }
        Decision::Write { stepno, runvar } => {
            #[expect(clippy::expect_used, reason = "only calls with a job get here")]
            let job = call.job.as_ref().expect("a job's row has a job");
            let lcseq: i32 = tx
                .commit_with(client.query_one(
                    &statements.write,
                    &[
                        &call.host,
                        &me.taskid,
                        &job.flight,
                        &job.job,
                        &is_prep(call),
                        &call.ident,
                        &stepno,
                        &name,
                        &runvar,
                    ],
                ))
                .await?
                .col("write", 0)?;
            Ok(RecordOutcome::Recorded {
                lcseq,
                taskid: me.taskid,
                stepno,
                runvar_name: name.to_owned(),
                runvar,
            })
        }
    }
}

/// A call of a batch: the call and its runvar's name.
pub(super) type BatchCall<'a> = (&'a RecordCall, &'a str);

/// One try at a batch's transaction: every call's outcome, in order, or
/// nothing written.
pub(super) async fn attempt_many(
    client: &Client,
    statements: &Statements,
    calls: &[BatchCall<'_>],
) -> Result<Vec<RecordOutcome>, BatchFailure> {
    let mut tx = Tx::new(client, false);
    let outcome = record_many_in(&mut tx, statements, calls).await;
    let commit_sent = tx.may_have_committed;
    tx.end(outcome).await.map_err(|f| {
        let mut hosts: Vec<&str> = calls.iter().map(|(c, _)| c.host.as_str()).collect();
        hosts.sort_unstable();
        hosts.dedup();
        BatchFailure {
            index: f.index,
            error: Box::new(f.error.on_lost_connection(commit_sent, &hosts.join(" "))),
        }
    })
}

/// What a batch read: a context row per call, the live set, and every
/// host's rows (host by host).
struct BatchRead {
    contexts: Vec<Row>,
    live: LiveTasks,
    rows: Vec<Row>,
    /// Each host's range in `rows`.
    ranges: FxHashMap<String, Range<usize>>,
}

impl BatchRead {
    /// Host `host`'s rows as read.
    fn rows_of(&self, host: &str) -> Result<Vec<ScanRow<'_>>> {
        let range = self.ranges.get(host).cloned().unwrap_or_default();
        self.rows[range]
            .iter()
            .map(|r| scan_row(r, &self.live))
            .collect()
    }
}

/// Where each host's rows are in `rows`, sorted by host.
fn host_ranges(rows: &[Row]) -> Result<FxHashMap<String, Range<usize>>> {
    const Q: &str = "hosts' rows";
    let mut ranges: FxHashMap<String, Range<usize>> = FxHashMap::default();
    let mut start = 0;
    for i in 1..=rows.len() {
        let host: &str = rows[start].col(Q, scan_col::HOSTNAME)?;
        if i == rows.len() || rows[i].col::<_, &str>(Q, scan_col::HOSTNAME)? != host {
            ranges.insert(host.to_owned(), start..i);
            start = i;
        }
    }
    Ok(ranges)
}

/// BEGIN, the contexts, the live set and the hosts' rows, sent together
/// (see [`read`]).
async fn read_many(
    client: &Client,
    statements: &Statements,
    calls: &[BatchCall<'_>],
) -> Result<BatchRead> {
    let arrays = ContextArrays::of(calls.iter().copied());
    let values = arrays.values();
    let hosts: Vec<&str> = calls
        .iter()
        .filter(|(c, _)| wants_rows(c))
        .map(|(c, _)| c.host.as_str())
        .collect();
    let scan = async {
        if hosts.is_empty() {
            Ok(Vec::new())
        } else {
            client.query(&statements.scan_many, &[&hosts]).await
        }
    };
    let (began, contexts, live, rows) = tokio::join!(
        client.batch_execute(BEGIN_SQL),
        client.query(&statements.context_many, &values),
        client.query_one(&statements.live, &[]),
        scan,
    );
    began?;
    let (contexts, live, rows) = (contexts?, live?, rows?);
    if contexts.len() != calls.len() {
        return Err(Error::Other(format!(
            "the batch's context query gave {} rows for {} calls",
            contexts.len(),
            calls.len()
        )));
    }
    Ok(BatchRead {
        ranges: if rows.is_empty() {
            FxHashMap::default()
        } else {
            host_ranges(&rows)?
        },
        contexts,
        live: live_tasks(&live)?,
        rows,
    })
}

/// The batch's writes: one array per column of the rows and of the
/// runvars.
#[derive(Default)]
struct BatchWrites<'a> {
    host: Vec<&'a str>,
    taskid: Vec<i32>,
    flight: Vec<Option<i32>>,
    job: Vec<Option<&'a str>>,
    isprep: Vec<Option<bool>>,
    ident: Vec<Option<&'a str>>,
    stepno: Vec<Option<i32>>,
    var_flight: Vec<i32>,
    var_job: Vec<&'a str>,
    var_name: Vec<&'a str>,
    var_val: Vec<String>,
}

impl<'a> BatchWrites<'a> {
    fn task_row(&mut self, call: &'a RecordCall, taskid: i32) {
        self.host.push(&call.host);
        self.taskid.push(taskid);
        self.flight.push(None);
        self.job.push(None);
        self.isprep.push(None);
        self.ident.push(None);
        self.stepno.push(None);
    }

    fn job_row(&mut self, call: &'a RecordCall, taskid: i32, stepno: i32) {
        #[expect(clippy::expect_used, reason = "only calls with a job get here")]
        let job = call.job.as_ref().expect("a job's row has a job");
        self.host.push(&call.host);
        self.taskid.push(taskid);
        self.flight.push(Some(job.flight));
        self.job.push(Some(&job.job));
        self.isprep.push(Some(is_prep(call)));
        self.ident.push(Some(&call.ident));
        self.stepno.push(Some(stepno));
    }

    fn runvar(&mut self, (flight, job, name): RunvarKey<'a>, val: String) {
        self.var_flight.push(flight);
        self.var_job.push(job);
        self.var_name.push(name);
        self.var_val.push(val);
    }
}

/// A runvar: flight, job and name.
type RunvarKey<'a> = (i32, &'a str, &'a str);

#[allow(
    clippy::too_many_lines,
    reason = "the calls decided in order, each seeing what those before it wrote"
)]
async fn record_many_in(
    tx: &mut Tx<'_>,
    statements: &Statements,
    calls: &[BatchCall<'_>],
) -> Result<Vec<RecordOutcome>, BatchFailure> {
    let client = tx.client;
    let read = read_many(client, statements, calls)
        .await
        .map_err(BatchFailure::whole)?;
    // What the calls before wrote, which the calls after must see as they
    // would one at a time: static tasks created, rows per host (their
    // tasks are live: they just passed the check), runvars' last values.
    let mut created: FxHashMap<&str, Task> = FxHashMap::default();
    let mut added: FxHashMap<&str, Vec<ScanRow<'_>>> = FxHashMap::default();
    let mut runvars: FxHashMap<RunvarKey<'_>, String> = FxHashMap::default();
    let mut writes = BatchWrites::default();
    // Per call: its task, and its outcome but for the lcseq of its row.
    let mut decided = Vec::with_capacity(calls.len());
    for (i, (&(call, name), row)) in calls.iter().zip(&read.contexts).enumerate() {
        let at = |e| BatchFailure::at(i, e);
        let mut ctx = Facts::from_row(row).map_err(at)?;
        let me = match acting(ctx.task.take(), call).map_err(|r| at(r.into()))? {
            Acting::Known(t) => t,
            Acting::CreateStatic(refkey) => {
                if let Some(t) = created.get(refkey) {
                    t.clone()
                } else {
                    let t = create_static(client, refkey).await.map_err(at)?;
                    created.insert(refkey, t.clone());
                    t
                }
            }
        };
        let key = call.job.as_ref().map(|j| (j.flight, j.job.as_str(), name));
        if let Some(val) = key.and_then(|k| runvars.get(&k)) {
            ctx.runvar = Some((val.clone(), true));
        }
        let rows: Option<Vec<ScanRow<'_>>> = if wants_rows(call) {
            let mut rows = read.rows_of(&call.host).map_err(at)?;
            rows.extend(added.get(call.host.as_str()).into_iter().flatten().cloned());
            Some(rows)
        } else {
            None
        };
        let decision = decide(call, name, &ctx, &me, rows.as_deref()).map_err(|r| at(r.into()))?;
        let new_row = match &decision {
            Decision::Unchanged { .. } => None,
            Decision::TaskRow => {
                writes.task_row(call, me.taskid);
                Some(None)
            }
            Decision::Write { stepno, runvar } => {
                writes.job_row(call, me.taskid, *stepno);
                #[expect(clippy::expect_used, reason = "only calls with a job get here")]
                let (key, job) = key.zip(call.job.as_ref()).expect("a job's row has a job");
                runvars.insert(key, runvar.clone());
                Some(Some(RowJob {
                    flight: job.flight,
                    job: job.job.as_str().into(),
                    stepno: *stepno,
                    ident: call.ident.as_str().into(),
                    isprep: is_prep(call),
                }))
            }
        };
        if let Some(job) = new_row {
            added.entry(&call.host).or_default().push(ScanRow {
                // Not known before the write, and not read by the listing,
                // which goes by position.
                lcseq: 0,
                taskid: me.taskid,
                live: true,
                job,
            });
        }
        decided.push((me.taskid, decision));
    }
    // One write per runvar: ON CONFLICT may update a row once a statement.
    for (key, val) in runvars {
        writes.runvar(key, val);
    }

    // Each host's new lcseqs, in the order of its calls.
    let mut lcseqs: FxHashMap<String, std::vec::IntoIter<i32>> = FxHashMap::default();
    if !writes.host.is_empty() {
        let w = &writes;
        let rows = tx
            .commit_with(client.query(
                &statements.write_many,
                &[
                    &w.host,
                    &w.taskid,
                    &w.flight,
                    &w.job,
                    &w.isprep,
                    &w.ident,
                    &w.stepno,
                    &w.var_flight,
                    &w.var_job,
                    &w.var_name,
                    &w.var_val,
                ],
            ))
            .await
            .map_err(BatchFailure::whole)?;
        let mut by_host: FxHashMap<String, Vec<i32>> = FxHashMap::default();
        for r in &rows {
            let host: String = r
                .col("batch write", "hostname")
                .map_err(BatchFailure::whole)?;
            let lcseq: i32 = r.col("batch write", "lcseq").map_err(BatchFailure::whole)?;
            by_host.entry(host).or_default().push(lcseq);
        }
        // The rows are inserted in the calls' order, so lcseqs rise with it.
        lcseqs = by_host
            .into_iter()
            .map(|(host, mut l)| {
                l.sort_unstable();
                (host, l.into_iter())
            })
            .collect();
    }
    let mut lcseq_of = |call: &RecordCall| {
        lcseqs
            .get_mut(&call.host)
            .and_then(Iterator::next)
            .ok_or_else(|| {
                BatchFailure::whole(Error::Other(format!(
                    "the batch's write gave too few rows for host {}",
                    call.host
                )))
            })
    };
    calls
        .iter()
        .zip(decided)
        .map(|(&(call, name), (taskid, decision))| {
            Ok(match decision {
                Decision::Unchanged { runvar } => RecordOutcome::Unchanged {
                    runvar_name: name.to_owned(),
                    runvar,
                },
                Decision::TaskRow => RecordOutcome::OutOfJob {
                    lcseq: lcseq_of(call)?,
                    taskid,
                },
                Decision::Write { stepno, runvar } => RecordOutcome::Recorded {
                    lcseq: lcseq_of(call)?,
                    taskid,
                    stepno,
                    runvar_name: name.to_owned(),
                    runvar,
                },
            })
        })
        .collect()
}
