//! `wiped`: the host was just reinstalled, so the rows from before the
//! caller's own first row on it no longer describe it (spec section 6).
//!
//! Its statements are few and cheap to plan, so each is sent typed: one
//! round trip, where an untyped query first asks the server to describe
//! it.

use postgres::types::Type;
use postgres::{Client, GenericClient, Transaction};
use serde::Serialize;

use super::error::{Refusal, Result};
use super::record::{
    JobRef, check_flight, check_host_known, check_host_name, check_live, insert_task_row,
};
use super::task::{self, Task, TaskRef};
use super::txn;

/// One `wiped` call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WipeCall {
    pub host: String,
    pub task: TaskRef,
    /// The job doing the reinstall, if any: its flight must be running.
    pub job: Option<JobRef>,
}

/// What a `wiped` call did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WipeOutcome {
    pub taskid: i32,
    /// Rows removed.
    pub deleted: u64,
    /// Rows left (the caller's first row and everything after it).
    pub kept: u64,
    /// The out-of-job row recorded first (manual wipes only).
    pub recorded_lcseq: Option<i32>,
}

/// The rows a wipe by `taskid` would remove and keep, without writing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WipePlan {
    pub task: Task,
    /// lcseq of the caller's first row, if it has one on the host.
    pub first_own: Option<i32>,
    pub remove: Vec<i32>,
    pub keep: Vec<i32>,
}

/// Check that the caller alone holds the host: its own `resources` row,
/// or for a shared host one of the shares, with no other share held by a
/// live task other than the magic `preparing` task.
fn check_holder(tx: &mut impl GenericClient, host: &str, me: &Task) -> Result<()> {
    let row = tx.query_typed_opt(
        "SELECT owntaskid FROM resources WHERE restype = 'host' AND resname = $1 AND shareix = 0",
        &[(&host, Type::TEXT)],
    )?;
    let Some(row) = row else {
        return Err(Refusal::HostUnknown(host.to_owned()).into());
    };
    let holder_id: i32 = row.get(0);
    let holder = task::label(tx, holder_id)?;
    if holder_id == me.taskid {
        return if holder.live {
            Ok(())
        } else {
            Err(Refusal::HolderDead {
                host: host.to_owned(),
                holder,
            }
            .into())
        };
    }
    let shared = task::get(tx, holder_id)?.is_some_and(|t| t.is_magic("shared") && t.live);
    if !shared {
        return Err(if holder.live {
            Refusal::HeldByOther {
                host: host.to_owned(),
                holder,
            }
        } else {
            Refusal::HolderDead {
                host: host.to_owned(),
                holder,
            }
        }
        .into());
    }
    let shares = tx.query_typed(
        "SELECT r.owntaskid, COALESCE(t.live, false), t.type, t.refkey
           FROM resources r LEFT JOIN tasks t ON t.taskid = r.owntaskid
          WHERE r.restype = 'share-host' AND r.resname = $1
       ORDER BY r.shareix",
        &[(&host, Type::TEXT)],
    )?;
    if !shares.iter().any(|r| r.get::<_, i32>(0) == me.taskid) {
        return Err(Refusal::NoShare {
            host: host.to_owned(),
            taskid: me.taskid,
        }
        .into());
    }
    let mut others = Vec::new();
    for r in &shares {
        let owner: i32 = r.get(0);
        let live: bool = r.get(1);
        let kind: Option<String> = r.get(2);
        let refkey: Option<String> = r.get(3);
        let preparing = kind.as_deref() == Some("magic") && refkey.as_deref() == Some("preparing");
        if owner != me.taskid && live && !preparing {
            others.push(task::label(tx, owner)?);
        }
    }
    if others.is_empty() {
        Ok(())
    } else {
        Err(Refusal::OthersHoldShares {
            host: host.to_owned(),
            others,
        }
        .into())
    }
}

fn prepare(tx: &mut impl GenericClient, call: &WipeCall) -> Result<Task> {
    check_host_name(&call.host)?;
    let me = task::resolve(tx, &call.task)?;
    if let Some(job) = &call.job {
        check_flight(tx, job.flight, true)?;
    }
    check_host_known(tx, &call.host)?;
    check_live(&me)?;
    check_holder(tx, &call.host, &me)?;
    Ok(me)
}

fn delete_before_first(tx: &mut Transaction<'_>, host: &str, taskid: i32) -> Result<(u64, u64)> {
    let deleted = tx.execute_typed(
        "DELETE FROM host_lifecycle
          WHERE hostname = $1
            AND lcseq < (SELECT min(lcseq) FROM host_lifecycle
                          WHERE hostname = $1 AND taskid = $2)",
        &[(&host, Type::TEXT), (&taskid, Type::INT4)],
    )?;
    let kept: i64 = tx
        .query_typed_one(
            "SELECT count(*) FROM host_lifecycle WHERE hostname = $1",
            &[(&host, Type::TEXT)],
        )?
        .get(0);
    Ok((deleted, kept as u64))
}

/// Wipe the host's history before the caller's first row on it. Refused,
/// changing nothing, unless the caller alone holds the host.
pub fn wipe(client: &mut Client, call: &WipeCall) -> Result<WipeOutcome> {
    txn::serializable(client, |tx| {
        let me = prepare(tx, call)?;
        let (deleted, kept) = delete_before_first(tx, &call.host, me.taskid)?;
        Ok(WipeOutcome {
            taskid: me.taskid,
            deleted,
            kept,
            recorded_lcseq: None,
        })
    })
}

/// An operator's "I reinstalled this host by hand": record an out-of-job
/// use unless the task already has a row on the host, then wipe; one
/// transaction.
pub fn wipe_manual(client: &mut Client, call: &WipeCall) -> Result<WipeOutcome> {
    txn::serializable(client, |tx| {
        let me = prepare(tx, call)?;
        let has_row = tx
            .query_typed_opt(
                "SELECT 1 FROM host_lifecycle WHERE hostname = $1 AND taskid = $2 LIMIT 1",
                &[(&call.host, Type::TEXT), (&me.taskid, Type::INT4)],
            )?
            .is_some();
        let recorded_lcseq = if has_row {
            None
        } else {
            Some(insert_task_row(tx, &call.host, me.taskid)?)
        };
        let (deleted, kept) = delete_before_first(tx, &call.host, me.taskid)?;
        Ok(WipeOutcome {
            taskid: me.taskid,
            deleted,
            kept,
            recorded_lcseq,
        })
    })
}

/// What a manual wipe ([`wipe_manual`]) by the caller would do, checking
/// everything the wipe checks but writing nothing.
pub fn plan_manual(client: &mut Client, call: &WipeCall) -> Result<WipePlan> {
    let mut tx = client.transaction()?;
    let me = prepare(&mut tx, call)?;
    let rows: Vec<(i32, i32)> = tx
        .query_typed(
            "SELECT lcseq, taskid FROM host_lifecycle WHERE hostname = $1 ORDER BY lcseq",
            &[(&call.host, Type::TEXT)],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    // Roll back: resolving a static task may have created it.
    tx.rollback()?;
    let first_own = rows.iter().find(|&&(_, t)| t == me.taskid).map(|&(l, _)| l);
    let lcseqs = rows.iter().map(|&(l, _)| l);
    // Without a row of ours, the wipe first records one after all the
    // others, so every row there now goes.
    let (remove, keep) = lcseqs.partition(|&l| first_own.is_none_or(|f| l < f));
    Ok(WipePlan {
        task: me,
        first_own,
        remove,
        keep,
    })
}
