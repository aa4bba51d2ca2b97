//! The reads behind blame: every host install attempt with the jobs that
//! used the host since its previous good install, from `steps` and the
//! ident runvars (`host`, `*_host`), which survive wipes. The pairing is
//! done in SQL (one pass, window functions), the ranking in
//! [`crate::lifecycle::suspects`].

use postgres::GenericClient;

use super::error::Result;
use super::row::RowExt;
use crate::lifecycle::Relation;
use crate::lifecycle::suspects::{Predecessor, Trial};

const TRIALS: &str = "install trials";

/// Each row: a trial and one predecessor (none: NULLs).
///
/// - `uses`: every job's use of a host under an ident, from its first
///   step's start to its last step's end.
/// - `installs`: `ts-host-install*` steps that passed or failed, with the
///   host of the ident their testid names (`host-install/dst_host(4)`;
///   plain `host-install(2)` is ident `host`).
/// - `since`: the host's previous good install.
/// - A predecessor is another job whose use of the host began before the
///   install and had not ended before that good install; it shares if it
///   still held the host when the install began, prepared it if it
///   installed the host itself, and reused it otherwise.
pub const TRIALS_QUERY: &str = "WITH uses AS MATERIALIZED (
         SELECT r.val AS host, r.flight, r.job, r.name AS ident,
                min(s.started) AS first, max(coalesce(s.finished, s.started)) AS last
           FROM runvars r
           JOIN steps s ON s.flight = r.flight AND s.job = r.job
          WHERE (r.name = 'host' OR r.name LIKE '%\\_host') AND r.val IS NOT NULL
            AND s.started IS NOT NULL
          GROUP BY r.val, r.flight, r.job, r.name
     ), installs AS MATERIALIZED (
         SELECT u.host, s.flight, s.job, s.stepno, s.started, s.status <> 'pass' AS failed
           FROM steps s
           JOIN uses u ON u.flight = s.flight AND u.job = s.job
            AND u.ident = coalesce(substring(s.testid FROM '^host-install/([^(]+)'), 'host')
          WHERE s.step LIKE 'ts-host-install%'
            AND s.status IN ('pass', 'fail', 'broken')
            AND s.started IS NOT NULL
     ), trials AS (
         SELECT i.*,
                max(i.started) FILTER (WHERE NOT i.failed) OVER (
                    PARTITION BY i.host ORDER BY i.started, i.flight, i.stepno
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS since
           FROM installs i
     )
     SELECT t.host, t.flight, t.job, t.stepno, t.started, t.failed,
            u.flight AS pflight, u.job AS pjob,
            CASE WHEN u.flight IS NULL THEN NULL
                 WHEN u.last > t.started THEN 'share'
                 WHEN EXISTS (SELECT 1 FROM installs p
                               WHERE p.host = t.host AND p.flight = u.flight AND p.job = u.job)
                      THEN 'prep'
                 ELSE 'reuse' END AS relation
       FROM trials t
       LEFT JOIN uses u ON u.host = t.host
        AND NOT (u.flight = t.flight AND u.job = t.job)
        AND u.first < t.started
        AND u.last >= coalesce(t.since, -2147483648)
      WHERE ($1::text IS NULL OR t.host = $1)
        AND ($2::integer IS NULL OR t.started >= $2)
      ORDER BY t.host, t.started, t.flight, t.stepno, u.flight, u.job";

/// The install trials, on `host` only if given, started at or after
/// `since` (epoch seconds) if given.
pub fn trials(
    client: &mut impl GenericClient,
    host: Option<&str>,
    since: Option<i32>,
) -> Result<Vec<Trial>> {
    let rows = client.query(TRIALS_QUERY, &[&host, &since])?;
    let mut out: Vec<Trial> = Vec::new();
    for r in &rows {
        let host: String = r.col(TRIALS, "host")?;
        let flight: i32 = r.col(TRIALS, "flight")?;
        let job: String = r.col(TRIALS, "job")?;
        let stepno: i32 = r.col(TRIALS, "stepno")?;
        let same = out.last().is_some_and(|t: &Trial| {
            t.host == host && t.flight == flight && t.job == job && t.stepno == stepno
        });
        if !same {
            out.push(Trial {
                host,
                flight,
                job,
                stepno,
                failed: r.col(TRIALS, "failed")?,
                started: i64::from(r.col::<_, i32>(TRIALS, "started")?),
                predecessors: Vec::new(),
            });
        }
        let relation: Option<&str> = r.col(TRIALS, "relation")?;
        let (Some(relation), Some(trial)) = (relation, out.last_mut()) else {
            continue;
        };
        trial.predecessors.push(Predecessor {
            flight: r.col(TRIALS, "pflight")?,
            job: r.col(TRIALS, "pjob")?,
            relation: match relation {
                "share" => Relation::Share,
                "prep" => Relation::Prep,
                _ => Relation::Reuse,
            },
        });
    }
    Ok(out)
}
