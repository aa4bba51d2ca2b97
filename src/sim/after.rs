//! What the demo does to a seeded lab before showing it: the history moved
//! to end now, and a few hosts allocated to the operator, as `mg-allocate`
//! leaves them, so that a manual wipe can be tried.

use postgres::GenericClient;
use postgres::types::Type;

use crate::db::row::RowExt;
use crate::db::{self, task, txn};
use crate::lifecycle::call::TaskRef;

/// Move every time of the lab (flights started, steps started and
/// finished) by the same amount, so that the last one is `now`. The
/// simulation is planned forward from an epoch, and how long it runs is
/// known only once it has. Returns the shift in seconds.
pub fn end_at(client: &mut impl GenericClient, now: i64) -> db::Result<i64> {
    txn::committed(client, |tx| {
        let last: Option<i32> = tx
            .query_one(
                "SELECT max(t) FROM (
                     SELECT max(started) AS t FROM flights
                     UNION ALL SELECT max(greatest(started, finished)) FROM steps
                 ) AS times",
                &[],
            )?
            .col("the lab's last time", 0)?;
        let Some(last) = last else { return Ok(0) };
        let shift = now - i64::from(last);
        let Ok(by) = i32::try_from(shift) else {
            return Ok(0);
        };
        tx.execute_typed(
            "UPDATE flights SET started = started + $1",
            &[(&by, Type::INT4)],
        )?;
        tx.execute_typed(
            "UPDATE steps SET started = started + $1, finished = finished + $1",
            &[(&by, Type::INT4)],
        )?;
        Ok(shift)
    })
}

/// Allocate up to `count` idle hosts (held by the magic `idle` task) to
/// `operator` (created if it is a static task not yet there), those with
/// the most lifecycle rows first: the hosts a manual wipe would clear.
/// Returns their names.
pub fn allocate_to_operator(
    client: &mut impl GenericClient,
    operator: &TaskRef,
    count: i64,
) -> db::Result<Vec<String>> {
    txn::committed(client, |tx| {
        let me = task::resolve(tx, operator)?;
        let rows = tx.query_typed(
            "UPDATE resources SET owntaskid = $1
              WHERE restype = 'host' AND shareix = 0 AND resname IN (
                  SELECT r.resname
                    FROM resources r
                    JOIN tasks t ON t.taskid = r.owntaskid
                   WHERE r.restype = 'host' AND r.shareix = 0
                     AND t.type = 'magic' AND t.refkey = 'idle'
                   ORDER BY (SELECT count(*) FROM host_lifecycle l
                              WHERE l.hostname = r.resname) DESC,
                            r.resname
                   LIMIT $2)
              RETURNING resname",
            &[(&me.taskid, Type::INT4), (&count, Type::INT8)],
        )?;
        let mut hosts = rows
            .iter()
            .map(|r| r.col("allocated hosts", 0))
            .collect::<db::Result<Vec<String>>>()?;
        hosts.sort();
        Ok(hosts)
    })
}
