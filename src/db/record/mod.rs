//! The recorder: selectprep, select and final (spec sections 3 to 5).
//!
//! One call is one serializable transaction: check, scan the host's rows,
//! compute the listing, insert the new row and store the runvar. Either
//! all of it commits or none of it does. [`Recorder`] runs it, one call at
//! a time or a batch of calls on distinct hosts in one transaction.

mod context;
mod pipeline;
mod sql;

use crate::db::row::RowExt;
use std::time::{Duration, Instant};

use postgres::GenericClient;
use postgres::types::Type;

use super::PgConfig;
use super::connect::Connector;
use super::error::{BatchFailure, Error, Result};
use super::pipelined::Pipelined;
use super::txn;
use crate::lifecycle::Refusal;
use crate::lifecycle::{self, ScanRow};
use sql::{SCAN_SQL, SESSION_SQL, Statements, TASK_ROW_SQL};

use crate::lifecycle::call::{RecordCall, RecordOutcome, StepRef, check_new_host_name};

/// Insert an out-of-job row (hostname and taskid only).
pub(crate) fn insert_task_row(tx: &mut impl GenericClient, host: &str, taskid: i32) -> Result<i32> {
    tx.query_typed_one(TASK_ROW_SQL, &[(&host, Type::TEXT), (&taskid, Type::INT4)])?
        .col("task row", 0)
}

/// A host's rows in lcseq order, each with its task's liveness.
pub fn scan(tx: &mut impl GenericClient, host: &str) -> Result<Vec<ScanRow<'static>>> {
    let live = context::live_tasks(&tx.query_one(sql::LIVE_SQL, &[])?)?;
    // Typed: the statement goes out without a separate prepare round trip.
    let rows = tx.query_typed(SCAN_SQL, &[(&host, Type::TEXT)])?;
    rows.iter()
        .map(|r| context::scan_row(r, &live).map(ScanRow::into_owned))
        .collect()
}

/// Whether the host is shared with a `build-` share type.
pub fn is_build_host(tx: &mut impl GenericClient, host: &str) -> Result<bool> {
    let row = tx.query_opt(
        "SELECT sharetype FROM resource_sharing WHERE restype = 'host' AND resname = $1",
        &[&host],
    )?;
    Ok(match row {
        Some(r) => r.col::<_, &str>("sharetype", 0)?.starts_with("build-"),
        None => false,
    })
}

/// The runvar name for an ident.
pub fn runvar_name(ident: &str) -> String {
    format!("{ident}_lifecycle")
}

fn validate(call: &RecordCall) -> Result<()> {
    check_new_host_name(&call.host)?;
    if !lifecycle::is_valid_name(&call.ident) {
        return Err(Refusal::BadIdent(call.ident.clone()).into());
    }
    if let Some(j) = &call.job
        && !lifecycle::is_valid_name(&j.job)
    {
        return Err(Refusal::BadJobName(j.job.clone()).into());
    }
    lifecycle::call::check_record_lengths(call)?;
    Ok(())
}

/// Records calls: selectprep, select and final, each one serializable
/// transaction on a connection of its own with the statements prepared.
/// Everything that records (`hostlife record`, the TUI's palette, the
/// simulator, the tests) goes through here.
///
/// A call, or a batch, costs two round trips (see [`pipeline`]).
pub struct Recorder {
    conn: Pipelined,
    statements: Statements,
    /// How to connect again when the connection is lost before a call's
    /// COMMIT: the call is then redone on a new one.
    reconnect: Option<Connector>,
}

/// How long a recorder keeps trying to connect again after losing its
/// connection (a server restart takes a few seconds).
const RECONNECT_BUDGET: Duration = Duration::from_secs(15);

impl Recorder {
    /// Connect to `config` and prepare the statements.
    pub fn connect(config: &PgConfig) -> Result<Recorder> {
        Recorder::new(Pipelined::connect(config)?)
    }

    /// Whether the server has closed this recorder's connection.
    pub fn is_closed(&self) -> bool {
        self.conn.client().is_closed()
    }

    /// Prepare the statements on a connection made already (so that the
    /// caller can report a failure to connect in its own words).
    pub fn new(conn: Pipelined) -> Result<Recorder> {
        let statements = conn.block_on(async {
            conn.client().batch_execute(SESSION_SQL).await?;
            Statements::prepare(conn.client()).await
        })?;
        Ok(Recorder {
            conn,
            statements,
            reconnect: None,
        })
    }

    /// The same recorder, which connects again through `connector` when
    /// its connection is lost before a call's COMMIT, and redoes the call
    /// there (nothing of it was written). A loss after COMMIT was sent is
    /// never redone: the call may have been written, and the error says
    /// so ([`Error::OutcomeUnknown`]).
    #[must_use]
    pub fn reconnecting_with(mut self, connector: Connector) -> Recorder {
        self.reconnect = Some(connector);
        self
    }

    /// Replace the connection with a new one, trying for a while: the
    /// server may be starting up again.
    fn reconnect(&mut self, lost: &Error) -> Result<()> {
        let Some(connector) = self.reconnect.clone() else {
            return Err(Error::Other(lost.to_string()));
        };
        let started = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            let why = match connector.pipelined() {
                Ok(conn) => match Recorder::new(conn) {
                    Ok(fresh) => {
                        *self = fresh.reconnecting_with(connector);
                        return Ok(());
                    }
                    Err(e) => e.to_string(),
                },
                Err(e) => e.to_string(),
            };
            if started.elapsed() + pause > RECONNECT_BUDGET {
                return Err(Error::Other(format!(
                    "{lost}; connecting again failed for {} s: {why}",
                    RECONNECT_BUDGET.as_secs()
                )));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    /// `once`, redone on a new connection each time its connection is lost
    /// before COMMIT (which wrote nothing), for as long as
    /// [`RECONNECT_BUDGET`] allows: an administrator ending backends, or a
    /// server restarting, may take the new connection too. A recorder
    /// without a way to reconnect, and any other error, return at once.
    fn redoing_lost<T, E>(
        &mut self,
        once: impl Fn(&Recorder) -> Result<T, E>,
        error_of: fn(&E) -> &Error,
        wrap: impl Fn(Error) -> E,
    ) -> Result<T, E> {
        let started = Instant::now();
        loop {
            let failure = match once(self) {
                Err(failure) => failure,
                done => return done,
            };
            let redo = self.reconnect.is_some() && started.elapsed() < RECONNECT_BUDGET;
            let lost = error_of(&failure);
            if !(redo && lost.is_lost_before_commit()) {
                return Err(failure);
            }
            self.reconnect(lost).map_err(&wrap)?;
        }
    }

    /// What this connection's role may do ([`crate::db::probe`]), on the
    /// recorder's own connection: one round trip.
    pub fn probe(&self) -> Result<crate::db::probe::Probe> {
        let (tables, columns) = crate::db::probe::params();
        let rows = self.conn.block_on(
            self.conn
                .client()
                .query(crate::db::probe::PROBE_SQL, &[&tables, &columns]),
        )?;
        crate::db::probe::from_rows(&rows)
    }

    /// Record one call. See the module documentation.
    pub fn record(&mut self, call: &RecordCall) -> Result<RecordOutcome> {
        validate(call)?;
        if call.nested {
            return Ok(RecordOutcome::Nested);
        }
        self.attempt(call, false)
    }

    /// What [`Recorder::record`] would do, with every check it makes and
    /// the very statements it sends, rolled back at the end instead of
    /// committed: a preview that cannot differ from the call. (A static
    /// task it would create, and a sequence number it would take, go with
    /// the rollback; a sequence number is not given back.)
    pub fn rehearse(&mut self, call: &RecordCall) -> Result<RecordOutcome> {
        validate(call)?;
        if call.nested {
            return Ok(RecordOutcome::Nested);
        }
        self.attempt(call, true)
    }

    fn attempt(&mut self, call: &RecordCall, rehearsal: bool) -> Result<RecordOutcome> {
        let name = runvar_name(&call.ident);
        let once = |r: &Recorder| {
            let (conn, statements) = (&r.conn, &r.statements);
            txn::retry(|| {
                conn.block_on(pipeline::attempt(
                    conn.client(),
                    statements,
                    call,
                    &name,
                    rehearsal,
                ))
            })
        };
        self.redoing_lost(once, |e| e, |e| e)
    }

    /// Record a batch of calls in one serializable transaction: each call
    /// checked and decided as [`Recorder::record`] would, in order, each
    /// seeing what the calls before it wrote (rows, runvars, static
    /// tasks), so the outcomes are those of the same calls one at a time.
    /// All of them are written, or none if any is refused (the failure
    /// names it). A batch costs about what one call does in round trips
    /// and statements, which is what makes replaying a simulated lab fast.
    pub fn record_many(
        &mut self,
        calls: &[RecordCall],
    ) -> Result<Vec<RecordOutcome>, BatchFailure> {
        let names: Vec<String> = calls.iter().map(|c| runvar_name(&c.ident)).collect();
        let mut outcomes: Vec<Option<RecordOutcome>> = vec![None; calls.len()];
        let mut batch = Vec::with_capacity(calls.len());
        let mut at = Vec::with_capacity(calls.len());
        for (i, call) in calls.iter().enumerate() {
            validate(call).map_err(|e| BatchFailure::at(i, e))?;
            if call.nested {
                outcomes[i] = Some(RecordOutcome::Nested);
            } else {
                batch.push((call, names[i].as_str()));
                at.push(i);
            }
        }
        if !batch.is_empty() {
            let once = |r: &Recorder| {
                let (conn, statements) = (&r.conn, &r.statements);
                txn::retry(|| {
                    conn.block_on(pipeline::attempt_many(conn.client(), statements, &batch))
                })
            };
            let done = self
                .redoing_lost(once, |f| &f.error, BatchFailure::whole)
                .map_err(|f| BatchFailure {
                    index: f.index.map(|k| at[k]),
                    error: f.error,
                })?;
            for (k, outcome) in done.into_iter().enumerate() {
                outcomes[at[k]] = Some(outcome);
            }
        }
        #[expect(
            clippy::expect_used,
            reason = "the batch answers every call or fails as a whole"
        )]
        let outcomes = outcomes
            .into_iter()
            .map(|o| o.expect("every call of the batch has an outcome"))
            .collect();
        Ok(outcomes)
    }
}
