//! `wiped`: the host was just reinstalled, so the rows from before the
//! caller's own first row on it no longer describe it (spec section 6).
//!
//! A batch of wipes on different hosts ([`wipe_many`]) is one
//! transaction of a handful of statements whatever its size: the checks
//! of every call read in one, the deletes in another, each call's values
//! passed as arrays. A single [`wipe`] is a batch of one. The checks
//! themselves are plain functions of what was read (`lifecycle::wipe`).
//!
//! The statements are sent typed: one round trip each, where an untyped
//! query first asks the server to describe it. A writer that wipes again
//! and again prepares them once instead ([`wipe_many_prepared`]).

use postgres::types::{ToSql, Type};
use postgres::{Client, GenericClient, Row, Statement};
use rustc_hash::{FxHashMap, FxHashSet};

use super::error::{BatchFailure, Error, Result};
use super::record::insert_task_row;
use super::row::RowExt;
use super::task;
use super::txn;
use crate::lifecycle::TaskLabel;
use crate::lifecycle::call::TaskRef;

use crate::lifecycle::call::{WipeCall, WipeOutcome, WipePlan, check_wipe_lengths};
use crate::lifecycle::report::HostDetail;

use crate::lifecycle::wipe::{CallState, Checked, Holding, HostRow, check_call};

/// Create the static tasks the calls name that do not exist yet, each
/// once, in the order of the first call naming it. One statement, and
/// none without static tasks.
fn create_static_tasks(
    tx: &mut impl GenericClient,
    via: Via<'_>,
    calls: &[WipeCall],
) -> Result<()> {
    let mut seen = FxHashSet::default();
    let refkeys: Vec<&str> = calls
        .iter()
        .filter_map(|c| match &c.task {
            TaskRef::Static { refkey } => Some(refkey.as_str()),
            _ => None,
        })
        .filter(|r| seen.insert(*r))
        .collect();
    if refkeys.is_empty() {
        return Ok(());
    }
    let users: Vec<&str> = refkeys.iter().map(|r| task::static_user(r)).collect();
    via.query(
        tx,
        |s| &s.create_statics,
        task::CREATE_STATICS_SQL,
        &[(&refkeys, Type::TEXT_ARRAY), (&users, Type::TEXT_ARRAY)],
    )?;
    Ok(())
}

/// Everything the checks read, one row per call in the calls' order: the
/// caller's task, the flight's blessing, the host's holder and every
/// share, each with its task (NULL columns for a task that no longer
/// exists, as [`task::label`] describes it), and the host's lifecycle
/// rows. Static tasks exist by now. Every lookup is a `LATERAL` probe of
/// a primary key, so the planner does not hash all of `tasks` once per
/// share, and the plan is the same whatever the sizes of the tables.
pub(crate) const READ_SQL: &str = "
SELECT t.taskid, t.type, t.refkey, t.username, t.comment, t.live,
       f.flight IS NOT NULL AS flight_exists, f.blessing,
       r.owntaskid AS holder, ht.type AS holder_type, ht.refkey AS holder_refkey,
       ht.username AS holder_username, COALESCE(ht.live, false) AS holder_live,
       COALESCE(sh.owners, '{}') AS share_owners, COALESCE(sh.kinds, '{}') AS share_types,
       COALESCE(sh.refkeys, '{}') AS share_refkeys,
       COALESCE(sh.usernames, '{}') AS share_usernames, COALESCE(sh.lives, '{}') AS share_lives,
       COALESCE(lc.tids, '{}') AS row_tids, COALESCE(lc.lcseqs, '{}') AS row_lcseqs,
       COALESCE(lc.taskids, '{}') AS row_taskids
  FROM unnest($1::int4[], $2::text[], $3::int4[], $4::text[])
       WITH ORDINALITY AS c(taskid, refkey, flight, host, ord)
  LEFT JOIN LATERAL (
        SELECT * FROM tasks
         WHERE taskid = COALESCE(c.taskid,
                   (SELECT taskid FROM tasks WHERE type = 'static' AND refkey = c.refkey))
         LIMIT 1) t ON true
  LEFT JOIN LATERAL (
        SELECT flight, blessing FROM flights WHERE flight = c.flight LIMIT 1) f ON true
  LEFT JOIN LATERAL (
        SELECT owntaskid FROM resources
         WHERE restype = 'host' AND resname = c.host AND shareix = 0 LIMIT 1) r ON true
  LEFT JOIN LATERAL (
        SELECT * FROM tasks WHERE taskid = r.owntaskid LIMIT 1) ht ON true
  LEFT JOIN LATERAL (
        SELECT array_agg(s.owntaskid ORDER BY s.shareix) AS owners,
               array_agg(st.type ORDER BY s.shareix) AS kinds,
               array_agg(st.refkey ORDER BY s.shareix) AS refkeys,
               array_agg(st.username ORDER BY s.shareix) AS usernames,
               array_agg(COALESCE(st.live, false) ORDER BY s.shareix) AS lives
          FROM resources s
          LEFT JOIN LATERAL (
                SELECT * FROM tasks WHERE taskid = s.owntaskid LIMIT 1) st ON true
         WHERE s.restype = 'share-host' AND s.resname = c.host) sh ON true
  LEFT JOIN LATERAL (
        SELECT array_agg(h.ctid::text) AS tids, array_agg(h.lcseq) AS lcseqs,
               array_agg(h.taskid) AS taskids
          FROM (SELECT ctid, lcseq, taskid FROM host_lifecycle
                 WHERE hostname = c.host ORDER BY lcseq) h) lc ON true
 ORDER BY c.ord";

/// One call's row of [`READ_SQL`].
fn call_state(row: &postgres::Row) -> Result<CallState> {
    const Q: &str = "wipe state";
    let task = task::from_row_opt(row)?;
    let blessing = if row.col::<_, bool>(Q, "flight_exists")? {
        Some(row.col(Q, "blessing")?)
    } else {
        None
    };
    let holder = task::holder_from_row(row, Q)?;
    let owners: Vec<i32> = row.col(Q, "share_owners")?;
    let kinds: Vec<Option<String>> = row.col(Q, "share_types")?;
    let refkeys: Vec<Option<String>> = row.col(Q, "share_refkeys")?;
    let usernames: Vec<Option<String>> = row.col(Q, "share_usernames")?;
    let lives: Vec<bool> = row.col(Q, "share_lives")?;
    let tids: Vec<String> = row.col(Q, "row_tids")?;
    let lcseqs: Vec<i32> = row.col(Q, "row_lcseqs")?;
    let taskids: Vec<i32> = row.col(Q, "row_taskids")?;
    let shares = owners
        .into_iter()
        .zip(kinds)
        .zip(refkeys)
        .zip(usernames)
        .zip(lives)
        .map(|((((taskid, kind), refkey), username), live)| TaskLabel {
            taskid,
            kind,
            refkey,
            username,
            live,
        })
        .collect();
    let rows = tids
        .into_iter()
        .zip(lcseqs)
        .zip(taskids)
        .map(|((tid, lcseq), taskid)| HostRow { tid, lcseq, taskid })
        .collect();
    Ok(CallState {
        task,
        blessing,
        holding: Holding { holder, shares },
        rows,
    })
}

/// Read what every call's checks need, in one statement.
fn read_states(
    tx: &mut impl GenericClient,
    via: Via<'_>,
    calls: &[WipeCall],
) -> Result<Vec<CallState>> {
    let taskids: Vec<Option<i32>> = calls
        .iter()
        .map(|c| match &c.task {
            TaskRef::Id { taskid } | TaskRef::Spec { taskid, .. } => Some(*taskid),
            TaskRef::Static { .. } => None,
        })
        .collect();
    let refkeys: Vec<Option<&str>> = calls
        .iter()
        .map(|c| match &c.task {
            TaskRef::Static { refkey } => Some(refkey.as_str()),
            _ => None,
        })
        .collect();
    let flights: Vec<Option<i32>> = calls
        .iter()
        .map(|c| c.job.as_ref().map(|j| j.flight))
        .collect();
    let hosts: Vec<&str> = calls.iter().map(|c| c.host.as_str()).collect();
    let rows = via.query(
        tx,
        |s| &s.read,
        READ_SQL,
        &[
            (&taskids, Type::INT4_ARRAY),
            (&refkeys, Type::TEXT_ARRAY),
            (&flights, Type::INT4_ARRAY),
            (&hosts, Type::TEXT_ARRAY),
        ],
    )?;
    rows.iter().map(call_state).collect()
}

/// Check every call as [`wipe`] would check it alone, creating the static
/// tasks they name; the callers' tasks, in order. A batch's calls are on
/// different hosts, and the only thing one call's check could see of
/// another is a static task both name, which exists either way, so each
/// call is refused for what it would be refused for alone. The first call
/// refused is reported.
fn prepare(
    tx: &mut impl GenericClient,
    via: Via<'_>,
    calls: &[WipeCall],
) -> Result<Vec<Checked>, BatchFailure> {
    // Before anything is sent: a static task's refkey too long for its
    // index would otherwise fail the batch inside the server.
    for (i, call) in calls.iter().enumerate() {
        check_wipe_lengths(call).map_err(|r| BatchFailure::at(i, r))?;
    }
    create_static_tasks(tx, via, calls).map_err(BatchFailure::whole)?;
    let states = read_states(tx, via, calls).map_err(BatchFailure::whole)?;
    calls
        .iter()
        .zip(states)
        .enumerate()
        .map(|(i, (call, state))| check_call(call, state).map_err(|r| BatchFailure::at(i, r)))
        .collect()
}

/// [`prepare`] for one call.
fn prepare_one(tx: &mut impl GenericClient, call: &WipeCall) -> Result<Checked> {
    let mut checked = prepare(tx, Via::Typed, std::slice::from_ref(call)).map_err(|f| *f.error)?;
    Ok(checked.remove(0))
}

/// Delete rows by where they are. The TID scan is the one plan for it,
/// generic or not, on an empty table or a large one.
pub(crate) const DELETE_SQL: &str =
    "DELETE FROM host_lifecycle WHERE ctid = ANY ($1::text[]::tid[]) RETURNING lcseq";

/// Delete the rows read at `tids`, in one statement (none for no rows).
fn delete_rows(tx: &mut impl GenericClient, via: Via<'_>, tids: &[&str]) -> Result<()> {
    if tids.is_empty() {
        return Ok(());
    }
    let deleted = via
        .query(tx, |s| &s.delete, DELETE_SQL, &[(&tids, Type::TEXT_ARRAY)])?
        .len();
    // Every row was read in this transaction's snapshot, and a row
    // deleted by another transaction since fails the DELETE with a
    // serialization error: anything else is a bug, not a race.
    if deleted != tids.len() {
        return Err(Error::Other(format!(
            "wipe: deleted {deleted} lifecycle rows where {} were read",
            tids.len()
        )));
    }
    Ok(())
}

/// A batch's hosts must be distinct: its calls are checked against one
/// snapshot, which a wipe earlier in the batch would make stale for a
/// later one on the same host.
fn check_distinct_hosts(calls: &[WipeCall]) -> Result<(), BatchFailure> {
    let mut first = FxHashMap::default();
    for (i, call) in calls.iter().enumerate() {
        if let Some(j) = first.insert(call.host.as_str(), i) {
            return Err(BatchFailure::whole(Error::Other(format!(
                "host {} is wiped by calls {} and {} of the batch: each call of a batch must be on a different host",
                call.host,
                j + 1,
                i + 1
            ))));
        }
    }
    Ok(())
}

/// The batch's checks and deletes, inside its transaction. A caller with
/// no row on the host deletes nothing.
fn wipe_in(
    tx: &mut impl GenericClient,
    via: Via<'_>,
    calls: &[WipeCall],
) -> Result<Vec<WipeOutcome>, BatchFailure> {
    let checked = prepare(tx, via, calls)?;
    let doomed: Vec<usize> = checked.iter().map(|c| c.doomed(false)).collect();
    let tids: Vec<&str> = checked
        .iter()
        .zip(&doomed)
        .flat_map(|(c, &n)| c.tids(n))
        .collect();
    delete_rows(tx, via, &tids).map_err(BatchFailure::whole)?;
    Ok(checked
        .iter()
        .zip(doomed)
        .map(|(c, n)| WipeOutcome {
            taskid: c.task.taskid,
            deleted: n as u64,
            kept: (c.rows.len() - n) as u64,
            recorded_lcseq: None,
        })
        .collect())
}

/// Wipe many hosts, each as [`wipe`] would, in one serializable
/// transaction (redone on a conflict): all of them, or, when any call is
/// refused, none, with the first refused call's index and refusal. The
/// hosts must be distinct. A handful of statements whatever the size of
/// the batch.
pub fn wipe_many(
    client: &mut Client,
    calls: &[WipeCall],
) -> Result<Vec<WipeOutcome>, BatchFailure> {
    wipe_many_via(client, Via::Typed, calls)
}

/// [`wipe_many`] with statements prepared on `client` beforehand, for a
/// writer that wipes again and again: the typed statements are planned at
/// every use, which for a batch's read costs more than running it.
pub fn wipe_many_prepared(
    client: &mut Client,
    statements: &WipeStatements,
    calls: &[WipeCall],
) -> Result<Vec<WipeOutcome>, BatchFailure> {
    wipe_many_via(client, Via::Prepared(statements), calls)
}

fn wipe_many_via(
    client: &mut Client,
    via: Via<'_>,
    calls: &[WipeCall],
) -> Result<Vec<WipeOutcome>, BatchFailure> {
    if calls.is_empty() {
        return Ok(Vec::new());
    }
    check_distinct_hosts(calls)?;
    let hosts: Vec<&str> = calls.iter().map(|c| c.host.as_str()).collect();
    txn::serializable(client, &hosts.join(" "), |tx| wipe_in(tx, via, calls))
}

/// A batch's statements, prepared once on a connection (see
/// [`wipe_many_prepared`]); valid on that connection only.
pub struct WipeStatements {
    create_statics: Statement,
    read: Statement,
    delete: Statement,
}

impl WipeStatements {
    pub fn prepare(client: &mut Client) -> Result<WipeStatements> {
        use Type as T;
        Ok(WipeStatements {
            create_statics: client
                .prepare_typed(task::CREATE_STATICS_SQL, &[T::TEXT_ARRAY, T::TEXT_ARRAY])?,
            read: client.prepare_typed(
                READ_SQL,
                &[T::INT4_ARRAY, T::TEXT_ARRAY, T::INT4_ARRAY, T::TEXT_ARRAY],
            )?,
            delete: client.prepare_typed(DELETE_SQL, &[T::TEXT_ARRAY])?,
        })
    }
}

/// How a batch's statements go out: typed (parsed and planned at each
/// use, but no round trip to prepare them: a one-off call), or prepared.
#[derive(Clone, Copy)]
enum Via<'s> {
    Typed,
    Prepared(&'s WipeStatements),
}

impl Via<'_> {
    fn query(
        self,
        tx: &mut impl GenericClient,
        prepared: impl Fn(&WipeStatements) -> &Statement,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Vec<Row>> {
        Ok(match self {
            Via::Typed => tx.query_typed(sql, params)?,
            Via::Prepared(s) => {
                let values: Vec<&(dyn ToSql + Sync)> = params.iter().map(|&(v, _)| v).collect();
                tx.query(prepared(s), &values)?
            }
        })
    }
}

/// Wipe the host's history before the caller's first row on it. Refused,
/// changing nothing, unless the caller alone holds the host.
pub fn wipe(client: &mut Client, call: &WipeCall) -> Result<WipeOutcome> {
    let mut outcomes = wipe_many(client, std::slice::from_ref(call)).map_err(|f| *f.error)?;
    Ok(outcomes.remove(0))
}

/// An operator's "I reinstalled this host by hand": record an out-of-job
/// use unless the task already has a row on the host, then wipe; one
/// transaction.
pub fn wipe_manual(client: &mut Client, call: &WipeCall) -> Result<WipeOutcome> {
    txn::serializable(client, &call.host, |tx| {
        let checked = prepare_one(tx, call)?;
        let taskid = checked.task.taskid;
        let recorded_lcseq = match checked.before_first_own() {
            Some(_) => None,
            None => Some(insert_task_row(tx, &call.host, taskid)?),
        };
        let doomed = checked.doomed(true);
        delete_rows(tx, Via::Typed, &checked.tids(doomed).collect::<Vec<_>>())?;
        Ok(WipeOutcome {
            taskid,
            deleted: doomed as u64,
            kept: (checked.rows.len() - doomed + usize::from(recorded_lcseq.is_some())) as u64,
            recorded_lcseq,
        })
    })
}

/// What a manual wipe ([`wipe_manual`]) by the caller would do, checking
/// everything the wipe checks but writing nothing.
pub fn plan_manual(client: &mut Client, call: &WipeCall) -> Result<WipePlan> {
    Ok(preview_manual(client, call)?.0)
}

/// [`plan_manual`], and the host's rows as `show` reads them, from one
/// snapshot: every row the plan names is among them.
pub fn preview_manual(client: &mut Client, call: &WipeCall) -> Result<(WipePlan, HostDetail)> {
    // Rehearsed: resolving a static task may have created it.
    let (checked, detail) = txn::rehearse(client, |tx| {
        let checked = prepare_one(tx, call)?;
        Ok((checked, super::read::show(tx, &call.host)?))
    })?;
    let first = checked.before_first_own();
    let doomed = checked.doomed(true);
    let lcseqs = |rows: &[HostRow]| rows.iter().map(|r| r.lcseq).collect();
    let plan = WipePlan {
        first_own: first.map(|i| checked.rows[i].lcseq),
        remove: lcseqs(&checked.rows[..doomed]),
        keep: lcseqs(&checked.rows[doomed..]),
        task: checked.task,
    };
    Ok((plan, detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only the host matters here.
    fn call(host: &str) -> WipeCall {
        WipeCall {
            host: host.into(),
            task: TaskRef::Id { taskid: 7 },
            job: None,
        }
    }

    #[test]
    fn repeated_hosts_are_refused_naming_both_calls() {
        let calls = [call("h1"), call("h2"), call("h1")];
        let err = check_distinct_hosts(&calls).unwrap_err();
        assert_eq!(err.index, None);
        let msg = err.to_string();
        assert!(
            msg.contains("host h1") && msg.contains("calls 1 and 3"),
            "{msg}"
        );
        assert!(check_distinct_hosts(&calls[..2]).is_ok());
    }
}
