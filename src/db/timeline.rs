//! The read behind a host's timeline: every job its ident runvars name
//! (they survive wipes) or its lifecycle rows do with its span, install steps and status, and the
//! lifecycle table's out-of-job rows, for the pure
//! [`crate::lifecycle::timeline`] to lay out.

use postgres::{GenericClient, Row};

use super::error::Result;
use super::insight::{IDENT, install_ident};
use super::row::RowExt;
use crate::lifecycle::timeline::{self, JobSpan, TaskUse, Timeline};

const TIMELINE: &str = "host timeline";

/// What `lifecycle::timeline` draws for `host`: every job its ident
/// runvars (they survive wipes) or lifecycle rows name, with its span, prep. end, status and
/// install attempts, and the out-of-job task rows the lifecycle table
/// still has, each placed after the row before it; laid out over the
/// `window` seconds before the newest of them, or before now while one
/// runs. A host the database does not know is refused.
pub fn timeline(client: &mut impl GenericClient, host: &str, window: i64) -> Result<Timeline> {
    super::read::check_host_known(client, host)?;
    let mut spans = Vec::new();
    let mut unplaced = 0;
    for r in &client.query(&jobs_query(), &[&host])? {
        match span_of(r)? {
            Some(span) => spans.push(span),
            None => unplaced += 1,
        }
    }
    let tasks = task_uses(client, host)?;
    // The server's clock: what a running job's bar reaches.
    let now: i64 = client
        .query_one("SELECT extract(epoch FROM now())::bigint AS now", &[])?
        .col(TIMELINE, "now")?;
    let mut t = timeline::build(host, spans, tasks, window, now);
    t.unplaced = unplaced;
    Ok(t)
}

/// Each job the host's ident runvars or lifecycle rows name: its status, whether a live
/// task of it holds a row of the table, its span and install steps.
fn jobs_query() -> String {
    format!(
        "WITH used AS (
                 SELECT flight, job, array_agg(DISTINCT ident ORDER BY ident) AS idents
                   FROM (SELECT r.flight, r.job, r.name::text AS ident
                           FROM runvars r WHERE {IDENT} AND r.val = $1
                         -- The table's rows, while they last, whatever the
                         -- runvars say.
                         UNION
                         SELECT l.flight, l.job, l.ident FROM host_lifecycle l
                          WHERE l.hostname = $1 AND l.flight IS NOT NULL) e
                  GROUP BY flight, job)
             SELECT u.flight, u.job, u.idents, j.status, f.started AS flight_started,
                    EXISTS (SELECT 1 FROM host_lifecycle l JOIN tasks t ON t.taskid = l.taskid
                             WHERE l.hostname = $1 AND l.flight = u.flight
                               AND l.job = u.job AND t.live) AS live,
                    coalesce(max(s.finished) FILTER (WHERE s.step LIKE 'ts-hosts-allocate%'),
                             min(s.started)) AS first,
                    max(coalesce(s.finished, s.started)) AS last,
                    -- No step of it has a time: where its first row of the
                    -- table falls, after the row before it.
                    CASE WHEN min(s.started) IS NULL THEN
                        (SELECT ps.started FROM host_lifecycle p
                           JOIN steps ps ON ps.flight = p.flight AND ps.job = p.job
                                        AND ps.stepno = p.stepno
                          WHERE p.hostname = $1 AND ps.started IS NOT NULL
                            AND p.lcseq < (SELECT min(o.lcseq) FROM host_lifecycle o
                                            WHERE o.hostname = $1 AND o.flight = u.flight
                                              AND o.job = u.job)
                          ORDER BY p.lcseq DESC LIMIT 1)
                    END AS after,
                    coalesce(array_agg(s.started ORDER BY s.stepno)
                        FILTER (WHERE s.step LIKE 'ts-host-install%'), '{{}}') AS inst_at,
                    coalesce(array_agg(s.finished ORDER BY s.stepno)
                        FILTER (WHERE s.step LIKE 'ts-host-install%'), '{{}}') AS inst_end,
                    coalesce(array_agg(s.status ORDER BY s.stepno)
                        FILTER (WHERE s.step LIKE 'ts-host-install%'), '{{}}') AS inst_status,
                    coalesce(array_agg(s.testid ORDER BY s.stepno)
                        FILTER (WHERE s.step LIKE 'ts-host-install%'), '{{}}') AS inst_testid
               FROM used u
               JOIN jobs j ON j.flight = u.flight AND j.job = u.job
               LEFT JOIN flights f ON f.flight = u.flight
               LEFT JOIN steps s ON s.flight = u.flight AND s.job = u.job
                                AND s.started IS NOT NULL
              GROUP BY u.flight, u.job, u.idents, j.status, f.started"
    )
}

/// One job's span from its row of [`jobs_query`]; none when nothing
/// places it in time.
fn span_of(r: &Row) -> Result<Option<JobSpan>> {
    let first: Option<i32> = r.col(TIMELINE, "first")?;
    let last: Option<i32> = r.col(TIMELINE, "last")?;
    let after: Option<i32> = r.col(TIMELINE, "after")?;
    // osstest's flights.started is 0 for a flight not started.
    let flight_started = r
        .col::<_, Option<i32>>(TIMELINE, "flight_started")?
        .filter(|&t| t > 0);
    let (first, last, timed) = match (first, last, after.or(flight_started)) {
        (Some(first), Some(last), _) => (first, last, true),
        (_, _, Some(at)) => (at, at, false),
        _ => return Ok(None),
    };
    let idents: Vec<String> = r.col(TIMELINE, "idents")?;
    let at: Vec<i32> = r.col(TIMELINE, "inst_at")?;
    let end: Vec<Option<i32>> = r.col(TIMELINE, "inst_end")?;
    let status: Vec<String> = r.col(TIMELINE, "inst_status")?;
    let testid: Vec<Option<String>> = r.col(TIMELINE, "inst_testid")?;
    // A pair job installs both its hosts: only this host's installs
    // (by the ident its testid names) are its prep. here.
    let mut installs = Vec::new();
    let mut prep_end = None;
    for (((at, end), status), testid) in at.into_iter().zip(end).zip(status).zip(testid) {
        if !idents.iter().any(|i| i == install_ident(testid.as_deref())) {
            continue;
        }
        prep_end = prep_end.max(end.map(i64::from));
        if matches!(status.as_str(), "pass" | "fail" | "broken") {
            installs.push((i64::from(at), status != "pass"));
        }
    }
    Ok(Some(JobSpan {
        flight: r.col(TIMELINE, "flight")?,
        job: r.col(TIMELINE, "job")?,
        idents,
        start: i64::from(first),
        prep_end,
        end: i64::from(last.max(first)),
        status: r.col(TIMELINE, "status")?,
        live: r.col(TIMELINE, "live")?,
        timed,
        installs,
    }))
}

/// The table's out-of-job rows of the host, each with the start of the
/// step of the row before it.
fn task_uses(client: &mut impl GenericClient, host: &str) -> Result<Vec<TaskUse>> {
    client
        .query(
            "SELECT l.taskid, t.type, t.refkey, coalesce(t.live, false) AS live,
                    (SELECT s.started FROM host_lifecycle p
                       JOIN steps s ON s.flight = p.flight AND s.job = p.job
                                   AND s.stepno = p.stepno
                      WHERE p.hostname = l.hostname AND p.lcseq < l.lcseq
                        AND s.started IS NOT NULL
                      ORDER BY p.lcseq DESC LIMIT 1) AS after
               FROM host_lifecycle l LEFT JOIN tasks t ON t.taskid = l.taskid
              WHERE l.hostname = $1 AND l.flight IS NULL
              ORDER BY l.lcseq",
            &[&host],
        )?
        .iter()
        .map(|r| {
            let kind: Option<String> = r.col(TIMELINE, "type")?;
            let refkey: Option<String> = r.col(TIMELINE, "refkey")?;
            Ok(TaskUse {
                taskid: r.col(TIMELINE, "taskid")?,
                label: kind.zip(refkey).map(|(k, r)| format!("{k} {r}")),
                live: r.col(TIMELINE, "live")?,
                after: r.col::<_, Option<i32>>(TIMELINE, "after")?.map(i64::from),
            })
        })
        .collect()
}
