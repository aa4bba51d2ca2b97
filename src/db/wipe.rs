//! `wiped`: the host was just reinstalled, so the rows from before the
//! caller's own first row on it no longer describe it (spec section 6).
//!
//! A batch of wipes on different hosts ([`wipe_many`]) is one
//! transaction of a handful of statements whatever its size: the checks
//! of every call read in one, the deletes in another, each call's values
//! passed as arrays. A single [`wipe`] is a batch of one. The checks
//! themselves are plain functions of what was read ([`check_holder`]).
//!
//! The statements are sent typed: one round trip each, where an untyped
//! query first asks the server to describe it. A writer that wipes again
//! and again prepares them once instead ([`wipe_many_prepared`]).

use postgres::types::{ToSql, Type};
use postgres::{Client, GenericClient, IsolationLevel, Row, Statement};
use rustc_hash::{FxHashMap, FxHashSet};

use super::error::{BatchFailure, Error, Refusal, Result, TaskLabel};
use super::record::{blessing_allows, check_host_name, check_live, insert_task_row};
use super::row::RowExt;
use super::task::{self, Task, TaskRef};
use super::txn;

pub use crate::lifecycle::call::{WipeCall, WipeOutcome, WipePlan};

/// Who holds a host, as the holder check needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    /// The task on the host's own `resources` row (share index 0); `None`
    /// when the host has no such row.
    pub holder: Option<TaskLabel>,
    /// The task on each of the host's `share-host` rows, by share index.
    pub shares: Vec<TaskLabel>,
}

/// Check that the caller alone holds the host: its own `resources` row,
/// or for a shared host one of the shares, with no other share held by a
/// live task other than the magic `preparing` task.
pub fn check_holder(host: &str, me: &Task, holding: &Holding) -> Result<(), Refusal> {
    let Some(holder) = &holding.holder else {
        return Err(Refusal::HostUnknown(host.to_owned()));
    };
    let not_mine = || {
        let (host, holder) = (host.to_owned(), holder.clone());
        if holder.live {
            Refusal::HeldByOther { host, holder }
        } else {
            Refusal::HolderDead { host, holder }
        }
    };
    if holder.taskid == me.taskid {
        // Ours, but a dead task's hold is stale whoever it is.
        return if holder.live { Ok(()) } else { Err(not_mine()) };
    }
    if !(holder.is_magic("shared") && holder.live) {
        return Err(not_mine());
    }
    if !holding.shares.iter().any(|s| s.taskid == me.taskid) {
        return Err(Refusal::NoShare {
            host: host.to_owned(),
            taskid: me.taskid,
        });
    }
    // A share being prepared belongs to no job yet: it does not count.
    let others: Vec<TaskLabel> = holding
        .shares
        .iter()
        .filter(|s| s.taskid != me.taskid && s.live && !s.is_magic("preparing"))
        .cloned()
        .collect();
    if others.is_empty() {
        Ok(())
    } else {
        Err(Refusal::OthersHoldShares {
            host: host.to_owned(),
            others,
        })
    }
}

/// The flight of a call's job must exist and be running. `blessing` is
/// `None` when there is no such flight, `Some(None)` for a flight without
/// a blessing.
fn check_running(flight: i32, blessing: Option<Option<String>>) -> Result<(), Refusal> {
    let blessing = blessing.ok_or(Refusal::FlightUnknown(flight))?;
    let blessing = blessing.unwrap_or_default();
    if blessing_allows(&blessing) {
        Ok(())
    } else {
        Err(Refusal::FlightNotRunning { flight, blessing })
    }
}

/// What one call's checks read from the database.
#[derive(Debug)]
struct CallState {
    /// The task the call names, if there is one.
    task: Option<Task>,
    /// The blessing of the call's flight: `None` when there is no job or
    /// no such flight, `Some(None)` for a flight without a blessing.
    blessing: Option<Option<String>>,
    holding: Holding,
    /// The host's lifecycle rows, oldest first.
    rows: Vec<HostRow>,
}

/// A lifecycle row as a wipe sees it: enough to find the caller's first
/// row and to delete those before it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostRow {
    /// Where the row is (`ctid`, as text). The wipe deletes by it, so
    /// that its DELETE is a TID scan whatever the planner knows of the
    /// table; rows of a snapshot stay where they are while it is in use.
    tid: String,
    lcseq: i32,
    taskid: i32,
}

/// A call that passed its checks.
#[derive(Debug, PartialEq)]
struct Checked {
    task: Task,
    rows: Vec<HostRow>,
}

impl Checked {
    /// How many of the host's rows come before the caller's first row on
    /// it; `None` when the caller has no row there.
    fn before_first_own(&self) -> Option<usize> {
        self.rows.iter().position(|r| r.taskid == self.task.taskid)
    }

    /// How many of the host's rows, oldest first, the wipe deletes: those
    /// before the caller's first row. A caller with no row there deletes
    /// nothing, unless it is about to record one (a manual wipe), which
    /// comes after all of them: then they all go.
    fn doomed(&self, recording: bool) -> usize {
        match self.before_first_own() {
            Some(n) => n,
            None if recording => self.rows.len(),
            None => 0,
        }
    }

    /// Where the first `n` rows are, for [`delete_rows`].
    fn tids(&self, n: usize) -> impl Iterator<Item = &str> {
        self.rows[..n].iter().map(|r| r.tid.as_str())
    }
}

/// A call's checks, in osstest's order (so that a call with several
/// faults is refused for the same one each time): host name, task,
/// flight, host known, task live, holder. The caller's task if they pass.
fn check_call(call: &WipeCall, state: CallState) -> Result<Checked, Refusal> {
    check_host_name(&call.host)?;
    let me = task::check_found(&call.task, state.task)?;
    if let Some(job) = &call.job {
        check_running(job.flight, state.blessing)?;
    }
    if state.holding.holder.is_none() {
        return Err(Refusal::HostUnknown(call.host.clone()));
    }
    check_live(&me)?;
    check_holder(&call.host, &me, &state.holding)?;
    Ok(Checked {
        task: me,
        rows: state.rows,
    })
}

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
       f.flight IS NOT NULL, f.blessing,
       r.owntaskid, ht.type, ht.refkey, ht.username, COALESCE(ht.live, false),
       COALESCE(sh.owners, '{}'), COALESCE(sh.kinds, '{}'), COALESCE(sh.refkeys, '{}'),
       COALESCE(sh.usernames, '{}'), COALESCE(sh.lives, '{}'),
       COALESCE(lc.tids, '{}'), COALESCE(lc.lcseqs, '{}'), COALESCE(lc.taskids, '{}')
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
    let blessing = match row.col::<_, bool>(Q, 6)? {
        true => Some(row.col(Q, 7)?),
        false => None,
    };
    let holder = match row.col::<_, Option<i32>>(Q, 8)? {
        Some(taskid) => Some(TaskLabel {
            taskid,
            kind: row.col(Q, 9)?,
            refkey: row.col(Q, 10)?,
            username: row.col(Q, 11)?,
            live: row.col(Q, 12)?,
        }),
        None => None,
    };
    let owners: Vec<i32> = row.col(Q, 13)?;
    let kinds: Vec<Option<String>> = row.col(Q, 14)?;
    let refkeys: Vec<Option<String>> = row.col(Q, 15)?;
    let usernames: Vec<Option<String>> = row.col(Q, 16)?;
    let lives: Vec<bool> = row.col(Q, 17)?;
    let tids: Vec<String> = row.col(Q, 18)?;
    let lcseqs: Vec<i32> = row.col(Q, 19)?;
    let taskids: Vec<i32> = row.col(Q, 20)?;
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
    txn::retry(|| {
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::Serializable)
            .start()
            .map_err(BatchFailure::whole)?;
        // On an error the transaction is dropped, which rolls it back.
        let outcomes = wipe_in(&mut tx, via, calls)?;
        tx.commit().map_err(BatchFailure::whole)?;
        Ok(outcomes)
    })
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
    txn::serializable(client, |tx| {
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
    let mut tx = client.transaction()?;
    let checked = prepare_one(&mut tx, call)?;
    // Roll back: resolving a static task may have created it.
    tx.rollback()?;
    let first = checked.before_first_own();
    let doomed = checked.doomed(true);
    let lcseqs = |rows: &[HostRow]| rows.iter().map(|r| r.lcseq).collect();
    Ok(WipePlan {
        first_own: first.map(|i| checked.rows[i].lcseq),
        remove: lcseqs(&checked.rows[..doomed]),
        keep: lcseqs(&checked.rows[doomed..]),
        task: checked.task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::call::JobRef;

    fn label(taskid: i32, kind: &str, refkey: &str, live: bool) -> TaskLabel {
        TaskLabel {
            taskid,
            kind: Some(kind.into()),
            refkey: Some(refkey.into()),
            username: None,
            live,
        }
    }

    fn deleted(taskid: i32) -> TaskLabel {
        TaskLabel {
            taskid,
            kind: None,
            refkey: None,
            username: None,
            live: false,
        }
    }

    fn me() -> Task {
        Task {
            taskid: 7,
            kind: "ownd".into(),
            refkey: "r7".into(),
            username: None,
            comment: None,
            live: true,
        }
    }

    fn shared() -> TaskLabel {
        label(2, "magic", "shared", true)
    }

    fn preparing() -> TaskLabel {
        label(3, "magic", "preparing", true)
    }

    fn holding(holder: TaskLabel, shares: Vec<TaskLabel>) -> Holding {
        Holding {
            holder: Some(holder),
            shares,
        }
    }

    fn check(h: &Holding) -> Result<(), Refusal> {
        check_holder("h1", &me(), h)
    }

    #[test]
    fn the_caller_holding_the_host_may_wipe_it() {
        assert_eq!(
            check(&holding(label(7, "ownd", "r7", true), vec![])),
            Ok(())
        );
    }

    #[test]
    fn an_unknown_host_is_refused() {
        let h = Holding {
            holder: None,
            shares: vec![],
        };
        assert_eq!(check(&h), Err(Refusal::HostUnknown("h1".into())));
    }

    #[test]
    fn a_host_held_by_another_task_names_it_and_whether_it_is_live() {
        let other = label(8, "ownd", "r8", true);
        assert_eq!(
            check(&holding(other.clone(), vec![])),
            Err(Refusal::HeldByOther {
                host: "h1".into(),
                holder: other,
            })
        );
        for holder in [label(8, "ownd", "r8", false), deleted(8)] {
            assert_eq!(
                check(&holding(holder.clone(), vec![])),
                Err(Refusal::HolderDead {
                    host: "h1".into(),
                    holder,
                })
            );
        }
    }

    #[test]
    fn the_callers_own_hold_counts_only_while_live() {
        let stale = label(7, "ownd", "r7", false);
        assert_eq!(
            check(&holding(stale.clone(), vec![])),
            Err(Refusal::HolderDead {
                host: "h1".into(),
                holder: stale,
            })
        );
    }

    #[test]
    fn a_shared_host_needs_the_magic_shared_task_live() {
        let dead_shared = label(2, "magic", "shared", false);
        assert_eq!(
            check(&holding(
                dead_shared.clone(),
                vec![label(7, "ownd", "r7", true)]
            )),
            Err(Refusal::HolderDead {
                host: "h1".into(),
                holder: dead_shared,
            })
        );
    }

    #[test]
    fn a_shared_host_needs_a_share_of_the_caller() {
        let h = holding(shared(), vec![preparing(), label(9, "ownd", "r9", false)]);
        assert_eq!(
            check(&h),
            Err(Refusal::NoShare {
                host: "h1".into(),
                taskid: 7,
            })
        );
    }

    #[test]
    fn shares_being_prepared_or_of_dead_tasks_do_not_count() {
        let h = holding(
            shared(),
            vec![
                preparing(),
                label(7, "ownd", "r7", true),
                label(9, "ownd", "r9", false),
                deleted(10),
            ],
        );
        assert_eq!(check(&h), Ok(()));
    }

    #[test]
    fn live_shares_of_others_are_all_named_in_share_order() {
        let (a, b) = (
            label(12, "ownd", "r12", true),
            label(11, "static", "ian@lab", true),
        );
        let h = holding(
            shared(),
            vec![
                a.clone(),
                preparing(),
                label(7, "ownd", "r7", true),
                b.clone(),
            ],
        );
        assert_eq!(
            check(&h),
            Err(Refusal::OthersHoldShares {
                host: "h1".into(),
                others: vec![a, b],
            })
        );
    }

    fn call(host: &str) -> WipeCall {
        WipeCall {
            host: host.into(),
            task: TaskRef::Id { taskid: 7 },
            job: Some(JobRef {
                flight: 5,
                job: "build-a".into(),
            }),
        }
    }

    fn state(
        task: Option<Task>,
        blessing: Option<Option<&str>>,
        holder: Option<TaskLabel>,
    ) -> CallState {
        CallState {
            task,
            blessing: blessing.map(|b| b.map(str::to_owned)),
            holding: Holding {
                holder,
                shares: vec![],
            },
            rows: vec![],
        }
    }

    #[test]
    fn a_call_is_refused_for_its_first_fault_in_osstests_order() {
        let dead = Task {
            live: false,
            ..me()
        };
        let other = Some(label(8, "ownd", "r8", true));
        let cases = [
            (call("a b"), state(None, None, None), "invalid host name"),
            (call("h1"), state(None, None, None), "task 7 does not exist"),
            (
                call("h1"),
                state(Some(dead.clone()), None, None),
                "flight 5 does not exist",
            ),
            (
                call("h1"),
                state(Some(dead.clone()), Some(Some("real")), None),
                "blessing \"real\"",
            ),
            (
                call("h1"),
                state(Some(dead.clone()), Some(None), None),
                "blessing \"\"",
            ),
            (
                call("h1"),
                state(Some(dead.clone()), Some(Some("running")), None),
                "not a known host",
            ),
            (
                call("h1"),
                state(Some(dead), Some(Some("play")), other.clone()),
                "task 7 (ownd r7, not live) is not live",
            ),
            (
                call("h1"),
                state(Some(me()), Some(Some("running")), other),
                "held by task 8",
            ),
        ];
        for (call, state, want) in cases {
            let got = check_call(&call, state).unwrap_err().to_string();
            assert!(got.contains(want), "want {want:?}, got {got:?}");
        }
    }

    #[test]
    fn a_call_without_a_job_does_not_look_at_flights() {
        let call = WipeCall {
            job: None,
            ..call("h1")
        };
        let mine = Some(label(7, "ownd", "r7", true));
        assert_eq!(
            check_call(&call, state(Some(me()), None, mine)).map(|c| c.task),
            Ok(me())
        );
    }

    #[test]
    fn the_rows_to_delete_are_those_before_the_callers_first() {
        let rows = |taskids: &[i32]| -> Vec<HostRow> {
            (0..)
                .zip(taskids)
                .map(|(i, &taskid)| HostRow {
                    tid: format!("(0,{})", i + 1),
                    lcseq: 10 + i,
                    taskid,
                })
                .collect()
        };
        let checked = |taskids: &[i32]| Checked {
            task: me(),
            rows: rows(taskids),
        };
        assert_eq!(checked(&[3, 4, 7, 3, 7]).before_first_own(), Some(2));
        assert_eq!(checked(&[7, 3]).before_first_own(), Some(0));
        assert_eq!(checked(&[3, 4]).before_first_own(), None);
        assert_eq!(checked(&[]).before_first_own(), None);
        // A wipe deletes only before the caller's own row; a manual wipe,
        // which records one at the end when there is none, deletes all.
        for (taskids, wipe, manual) in [
            (&[3, 4, 7, 3][..], 2, 2),
            (&[3, 4][..], 0, 2),
            (&[][..], 0, 0),
        ] {
            let c = checked(taskids);
            assert_eq!((c.doomed(false), c.doomed(true)), (wipe, manual));
            assert_eq!(c.tids(wipe).count(), wipe);
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
