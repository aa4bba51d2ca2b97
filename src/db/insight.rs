//! The reads behind blame and fleet health: every host install attempt
//! with the jobs that used the host since its previous good install, and
//! each host's recent outcomes, from `jobs`, `steps` and the ident
//! runvars (`host`, `*_host`), which survive wipes. SQL gathers each
//! job's use of each host with its span and install attempts (one pass
//! over `steps`); the pairing of installs with the uses before them and
//! the ranking are pure, in [`crate::lifecycle::suspects`].

use std::collections::HashMap;

use postgres::{Client, GenericClient, Row};
use rustc_hash::{FxBuildHasher, FxHashMap};

use super::error::Result;
use super::row::RowExt;
use super::txn;
use crate::lifecycle::ResolvedKind;
use crate::lifecycle::blame::{self, Blame, HostBlame, Run, Tally};
use crate::lifecycle::health::{Health, Outcome, RECENT_DAYS, RECENT_JOBS};
use crate::lifecycle::suspects::{self, Install, Mentions, Trial, Use};

const SPANS: &str = "job spans";
const INSTALLS: &str = "install steps";
const IDENTS: &str = "ident runvars";
const SNAPSHOT: &str = "snapshot export";

/// An ident runvar: it names the host a job used.
pub(super) const IDENT: &str = "(r.name = 'host' OR r.name LIKE '%\\_host') AND r.val IS NOT NULL";

/// Restricts a read of `steps` to the jobs that used host `$1`, by the
/// ident runvars or the lifecycle table.
fn only_host(one_host: bool) -> String {
    if one_host {
        format!(
            "AND (flight, job) IN (SELECT r.flight, r.job FROM runvars r
                                    WHERE {IDENT} AND r.val = $1
                                   UNION
                                   SELECT l.flight, l.job FROM host_lifecycle l
                                    WHERE l.hostname = $1 AND l.flight IS NOT NULL)"
        )
    } else {
        String::new()
    }
}

/// Each job's span on its hosts: from the end of `ts-hosts-allocate*` (a
/// job waits there, holding nothing, until its hosts are free; without
/// it, its first step's start) to its last step's end. `LIKE` rather
/// than `starts_with`: over every step it is the faster of the two.
fn spans_query(one_host: bool) -> String {
    format!(
        "SELECT flight, job,
                coalesce(max(finished) FILTER (WHERE step LIKE 'ts-hosts-allocate%'),
                         min(started)) AS first,
                max(coalesce(finished, started)) AS last
           FROM steps
          WHERE started IS NOT NULL {}
          GROUP BY flight, job",
        only_host(one_host)
    )
}

/// The `ts-host-install*` steps that passed or failed.
fn installs_query(one_host: bool) -> String {
    format!(
        "SELECT flight, job, stepno, started, status <> 'pass' AS failed, testid
           FROM steps
          WHERE step LIKE 'ts-host-install%' AND status IN ('pass', 'fail', 'broken')
            AND started IS NOT NULL {}",
        only_host(one_host)
    )
}

/// `sql`'s rows, with `host` as `$1` if given.
fn run(client: &mut impl GenericClient, sql: &str, host: Option<&str>) -> Result<Vec<Row>> {
    Ok(match host {
        Some(h) => client.query(sql, &[&h])?,
        None => client.query(sql, &[])?,
    })
}

/// The ident install step `s`'s testid names, in SQL, as
/// [`install_ident`]: a pair job installs each of its hosts in a step
/// of its own.
const INSTALLED: &str = "coalesce(substring(s.testid FROM '^host-install/([^(]*)'), 'host')";

/// The ident an install step's testid names: `host-install/dst_host(4)`
/// installs `dst_host`; plain `host-install(2)` (or none) is `host`.
pub(super) fn install_ident(testid: Option<&str>) -> &str {
    testid
        .and_then(|t| t.strip_prefix("host-install/"))
        .map_or("host", |rest| rest.split('(').next().unwrap_or(rest))
}

/// A job's span.
struct Span {
    first: i64,
    last: i64,
}

/// Every job's use of a host under an ident (`host`, `*_host`: the
/// runvars that survive wipes), with its span and install attempts; on
/// `host` only if given.
///
/// Three plain reads (the jobs' spans, their install steps, the ident
/// runvars by `runvars_host_idx`) joined here: joined in the server, or
/// aggregated into one pass with the installs, the same rows cost it
/// about a second more at `large`. With `helper`, a second connection,
/// the spans (the costliest read, an aggregate over every step) are read
/// on it while `client` reads the rest: the server works on both at
/// once, on the caller's snapshot ([`txn::read_only_on`]).
///
/// Sets, for the rest of the caller's transaction, `jit = off` and
/// `work_mem = 64MB`: the whole-lab read is costed high enough that the
/// server would spend a second compiling it, and its hash of every job's
/// steps would spill to disk at the default 4 MB.
pub fn uses(
    client: &mut impl GenericClient,
    helper: Option<&mut Client>,
    host: Option<&str>,
) -> Result<Vec<Use>> {
    const SETTINGS: &str = "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'";
    client.batch_execute(SETTINGS)?;
    let idents = format!(
        "SELECT r.val, r.flight, r.job, r.name FROM runvars r WHERE {IDENT} {}",
        if host.is_some() { "AND r.val = $1" } else { "" }
    );
    // The lifecycle table's rows, while they last, of a job whose ident
    // runvar no longer names the host (it was changed): usually none,
    // found by primary key per job and ident kept (70 ms at `large`, while
    // the helper still reads the spans). A query of its own: as a UNION
    // with the ident runvars it cost those 200 ms more.
    let kept = format!(
        "SELECT l.hostname, l.flight, l.job, l.ident
           FROM (SELECT DISTINCT hostname, flight, job, ident FROM host_lifecycle
                  WHERE flight IS NOT NULL {}) l
          WHERE NOT EXISTS (SELECT 1 FROM runvars r
                             WHERE r.flight = l.flight AND r.job = l.job
                               AND r.name = l.ident AND r.val = l.hostname)",
        if host.is_some() {
            "AND hostname = $1"
        } else {
            ""
        }
    );
    let one = host.is_some();
    let spans_sql = spans_query(one);
    // The installs and idents, joined into uses still without spans.
    let rest = |client: &mut _| -> Result<Vec<Use>> {
        let installs = run(client, &installs_query(one), host)?;
        let idents = run(client, &idents, host)?;
        let kept = run(client, &kept, host)?;
        unspanned(&installs, idents.iter().chain(&kept))
    };
    let (uses, span_rows) = match helper {
        None => {
            let spans = run(client, &spans_sql, host)?;
            (rest(client)?, spans)
        }
        Some(helper) => {
            let snapshot: String = client
                .query_one("SELECT pg_export_snapshot()", &[])?
                .col(SNAPSHOT, 0)?;
            let (uses, spans) = std::thread::scope(|scope| {
                let spans = scope.spawn(|| {
                    txn::read_only_on(helper, &snapshot, |tx| {
                        tx.batch_execute(SETTINGS)?;
                        run(tx, &spans_sql, host)
                    })
                });
                // The rest of the join while the spans are computed.
                let uses = rest(client)?;
                let spans = spans
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                Ok::<_, super::error::Error>((uses, spans))
            })?;
            // The helper only makes the read faster: if it could not join
            // the snapshot (it reached another server of a multi-host
            // conninfo) or failed otherwise, `client` reads the spans.
            let spans = match spans {
                Ok(rows) => rows,
                Err(_) => run(client, &spans_sql, host)?,
            };
            (uses, spans)
        }
    };
    with_spans(uses, &span_rows)
}

/// The uses the ident runvars name, each with its job's installs of the
/// host under that ident, their spans not yet known.
///
/// Joined by hand on (flight, job), here and in [`with_spans`], with Fx
/// hashing and columns read by position (each query's SELECT list
/// above). What it costs is mostly cache misses on the rows' job names,
/// not hashing (docs/PERFORMANCE.md, "Insight"), which is why it runs
/// while the helper still computes the spans.
fn unspanned<'a>(
    install_rows: &[Row],
    ident_rows: impl Iterator<Item = &'a Row>,
) -> Result<Vec<Use>> {
    let mut installs: FxHashMap<(i32, &str), Vec<(&str, Install)>> =
        FxHashMap::with_capacity_and_hasher(install_rows.len(), FxBuildHasher);
    for r in install_rows {
        installs
            .entry((r.col(INSTALLS, 0)?, r.col(INSTALLS, 1)?))
            .or_default()
            .push((
                install_ident(r.col(INSTALLS, 5)?),
                Install {
                    stepno: r.col(INSTALLS, 2)?,
                    started: i64::from(r.col::<_, i32>(INSTALLS, 3)?),
                    failed: r.col(INSTALLS, 4)?,
                },
            ));
    }
    ident_rows
        .map(|r| {
            let flight: i32 = r.col(IDENTS, 1)?;
            let job: &str = r.col(IDENTS, 2)?;
            let ident: &str = r.col(IDENTS, 3)?;
            Ok(Use {
                host: r.col(IDENTS, 0)?,
                flight,
                job: job.to_owned(),
                first: 0,
                last: 0,
                installs: installs
                    .get(&(flight, job))
                    .into_iter()
                    .flatten()
                    .filter(|(i, _)| *i == ident)
                    .map(|(_, install)| *install)
                    .collect(),
            })
        })
        .collect()
}

/// `uses` with their jobs' spans; a job with no step started has used
/// nothing yet, and is left out.
fn with_spans(mut uses: Vec<Use>, span_rows: &[Row]) -> Result<Vec<Use>> {
    let mut spans: FxHashMap<(i32, &str), Span> =
        FxHashMap::with_capacity_and_hasher(span_rows.len(), FxBuildHasher);
    for r in span_rows {
        spans.insert(
            (r.col(SPANS, 0)?, r.col(SPANS, 1)?),
            Span {
                first: i64::from(r.col::<_, i32>(SPANS, 2)?),
                last: i64::from(r.col::<_, i32>(SPANS, 3)?),
            },
        );
    }
    uses.retain_mut(|u| match spans.get(&(u.flight, u.job.as_str())) {
        Some(span) => {
            u.first = span.first;
            u.last = span.last;
            true
        }
        None => false,
    });
    Ok(uses)
}

/// The install trials, on `host` only if given, started at or after
/// `since` (epoch seconds) if given; paired with their predecessors by
/// [`crate::lifecycle::suspects::trials`]. Read on `helper` too if given
/// ([`uses`]).
pub fn trials(
    client: &mut impl GenericClient,
    helper: Option<&mut Client>,
    host: Option<&str>,
    since: Option<i32>,
) -> Result<Vec<Trial>> {
    let uses = uses(client, helper, host)?;
    let mentions = mentions(client, host)?;
    let mut trials = suspects::trials(&uses, &mentions);
    if let Some(since) = since {
        trials.retain(|t| t.started >= i64::from(since));
    }
    Ok(trials)
}

const MENTIONS: &str = "task mentions";

/// The lifecycle runvars that name out-of-job tasks (`?N` entries),
/// with the host their ident names, on `host` only if given; and what
/// each task was, while its row exists. Few, and read through
/// `runvars_lifecycle_tasks_idx`, whose predicate this WHERE repeats.
/// A runvar hostlife cannot decode is left out: it names nothing sure.
pub fn mentions(client: &mut impl GenericClient, host: Option<&str>) -> Result<Mentions> {
    let sql = format!(
        "SELECT h.val AS host, r.flight, r.job, r.val
           FROM runvars r
           JOIN runvars h ON h.flight = r.flight AND h.job = r.job
                         AND h.name = left(r.name, -length('_lifecycle'))
          WHERE r.name LIKE '%\\_lifecycle' AND r.val LIKE '%?%'
            AND h.val IS NOT NULL {}",
        if host.is_some() { "AND h.val = $1" } else { "" }
    );
    let mut mentions = Mentions::default();
    for r in run(client, &sql, host)? {
        let (flight, job): (i32, &str) = (r.col(MENTIONS, "flight")?, r.col(MENTIONS, "job")?);
        let Ok(runvar) = crate::lifecycle::decode(r.col(MENTIONS, "val")?) else {
            continue;
        };
        let tasks = runvar
            .resolve(flight, job)
            .into_iter()
            .filter_map(|e| match e.kind {
                ResolvedKind::Task { taskid } => Some((taskid, e.concurrent)),
                _ => None,
            })
            .collect();
        mentions.insert(r.col(MENTIONS, "host")?, flight, job, tasks);
    }
    let ids = mentions.taskids();
    if !ids.is_empty() {
        for r in client.query(
            "SELECT taskid, type, refkey FROM tasks WHERE taskid = ANY($1)",
            &[&ids],
        )? {
            let (kind, refkey): (String, String) =
                (r.col(MENTIONS, "type")?, r.col(MENTIONS, "refkey")?);
            mentions.label(r.col(MENTIONS, "taskid")?, format!("{kind} {refkey}"));
        }
    }
    Ok(mentions)
}

const HEALTH: &str = "host health";

/// Per host of `$1`: its newest jobs' statuses (oldest first), the
/// flight of its newest good install and the jobs from that flight on,
/// and its failed installs started at or after `$2`. Each part walks the
/// host's ident runvars backwards on `runvars_host_idx` (`val, flight`),
/// so a host costs its recent jobs, not its history; the failed installs
/// look only at flights started a day before `$2` or later.
pub const HEALTH_QUERY: &str = "SELECT n.host,
       ARRAY(SELECT j.status FROM (
               SELECT DISTINCT r.flight, r.job FROM runvars r
                WHERE (r.name = 'host' OR r.name LIKE '%\\_host') AND r.val = n.host
                ORDER BY r.flight DESC, r.job DESC LIMIT $3) u
             JOIN jobs j ON j.flight = u.flight AND j.job = u.job
             ORDER BY u.flight, u.job) AS outcomes,
       inst.flight AS install_flight,
       CASE WHEN inst.flight IS NOT NULL THEN
            (SELECT count(DISTINCT (r.flight, r.job)) FROM runvars r
              WHERE (r.name = 'host' OR r.name LIKE '%\\_host') AND r.val = n.host
                AND r.flight >= inst.flight)
       END AS since_install,
       (SELECT count(*) FROM runvars r
          JOIN steps s ON s.flight = r.flight AND s.job = r.job
         WHERE (r.name = 'host' OR r.name LIKE '%\\_host') AND r.val = n.host
           AND r.flight >= (SELECT min(f.flight) FROM flights f WHERE f.started >= $2 - 86400)
           AND s.step LIKE 'ts-host-install%' AND s.status IN ('fail', 'broken')
           AND s.started >= $2
           AND coalesce(substring(s.testid FROM '^host-install/([^(]+)'), 'host') = r.name
       ) AS failed_recently
  FROM unnest($1::text[]) AS n(host)
  LEFT JOIN LATERAL (
       SELECT s.flight FROM runvars r
         JOIN steps s ON s.flight = r.flight AND s.job = r.job
        WHERE (r.name = 'host' OR r.name LIKE '%\\_host') AND r.val = n.host
          AND s.step LIKE 'ts-host-install%' AND s.status = 'pass'
          AND coalesce(substring(s.testid FROM '^host-install/([^(]+)'), 'host') = r.name
        ORDER BY r.flight DESC, s.started DESC LIMIT 1) inst ON true";

/// The health of each of `hosts` at `now` (epoch seconds). `suspect` is
/// left false: it comes from the suspects ranking, which reads every
/// install in the database ([`suspects()`]), and is worth doing less
/// often than this.
pub fn host_health(
    client: &mut impl GenericClient,
    hosts: &[String],
    now: i64,
) -> Result<HashMap<String, Health>> {
    client.batch_execute("SET LOCAL jit = off")?;
    let since = i32::try_from(now - RECENT_DAYS * 86_400).unwrap_or(i32::MAX);
    let limit = i64::try_from(RECENT_JOBS).unwrap_or(i64::MAX);
    let rows = client.query(HEALTH_QUERY, &[&hosts, &since, &limit])?;
    rows.iter()
        .map(|r| {
            let host: String = r.col(HEALTH, "host")?;
            let outcomes: Vec<String> = r.col(HEALTH, "outcomes")?;
            let health = Health {
                outcomes: outcomes.iter().map(|s| Outcome::of(s)).collect(),
                install_flight: r.col(HEALTH, "install_flight")?,
                jobs_since_install: r.col(HEALTH, "since_install")?,
                failed_installs_recently: r.col(HEALTH, "failed_recently")?,
                suspect: false,
            };
            Ok((host, health))
        })
        .collect()
}

/// The suspects ranking of every install in the database, as
/// `hostlife suspects` reports it; read on `helper` too if given (the
/// browser's worker lends it one, and asks every ten minutes).
pub fn suspects(
    client: &mut impl GenericClient,
    helper: Option<&mut Client>,
) -> Result<suspects::Report> {
    Ok(suspects::rank(&trials(client, helper, None, None)?))
}

const BLAME: &str = "blame";

/// How many of a host's other jobs, and of the same job name's runs
/// elsewhere, `blame` weighs.
pub const BLAME_RECENT: i64 = 20;

/// "Was it the host?" for `(flight, job)`: per host it used, what came
/// before it there, the host's other newest jobs up to this flight, the
/// same job name's newest runs on other hosts in earlier flights (a job
/// name runs once a flight), and the fleet's failure
/// rate over the flights those span. Refused when the job does not exist.
pub fn blame(client: &mut impl GenericClient, flight: i32, job: &str) -> Result<Blame> {
    super::read::check_job_known(client, flight, job)?;
    let status: String = client
        .query_one(
            "SELECT status FROM jobs WHERE flight = $1 AND job = $2",
            &[&flight, &job],
        )?
        .col(BLAME, 0)?;
    let failed_step = client
        .query_opt(
            "SELECT stepno, step, status FROM steps
              WHERE flight = $1 AND job = $2 AND status IN ('fail', 'broken')
              ORDER BY stepno LIMIT 1",
            &[&flight, &job],
        )?
        .map(|r| -> Result<(i32, String, String)> {
            Ok((r.col(BLAME, 0)?, r.col(BLAME, 1)?, r.col(BLAME, 2)?))
        })
        .transpose()?;
    let idents = client.query(
        &format!(
            "SELECT r.name, r.val FROM runvars r
              WHERE r.flight = $1 AND r.job = $2 AND {IDENT} ORDER BY r.name"
        ),
        &[&flight, &job],
    )?;
    let mut hosts = Vec::new();
    let mut oldest = flight;
    for r in &idents {
        let ident: String = r.col(BLAME, 0)?;
        let host: String = r.col(BLAME, 1)?;
        let before = blame::before(&uses(client, None, Some(&host))?, flight, job);
        let (recent, same_job) = host_runs(client, &host, flight, job)?;
        oldest = recent
            .iter()
            .chain(&same_job)
            .map(|r| r.flight)
            .fold(oldest, i32::min);
        hosts.push((ident, host, before, recent, same_job));
    }
    let fleet = fleet_tally(client, oldest, flight)?;
    let hosts = hosts
        .into_iter()
        .map(|(ident, host, before, recent, same_job)| {
            let recent_tally = Tally::of(recent.iter().map(|r| &r.outcome));
            let same_job_tally = Tally::of(same_job.iter().map(|r| &r.outcome));
            let flights: Vec<i32> = same_job.iter().map(|r| r.flight).collect();
            let (verdict, line) = blame::judge(
                &format!("{host} ({ident})"),
                recent_tally,
                same_job_tally,
                &flights,
                fleet,
            );
            HostBlame {
                ident,
                host,
                before,
                recent,
                recent_tally,
                same_job,
                same_job_tally,
                verdict,
                line,
            }
        })
        .collect();
    Ok(Blame {
        flight,
        job: job.to_owned(),
        status,
        failed_step,
        fleet,
        hosts,
    })
}

/// A run of a job from a row with `flight`, `job`, `status` and, unless
/// `host` is given, `host`.
fn blame_run(r: &postgres::Row, host: Option<&str>) -> Result<Run> {
    let status: String = r.col(BLAME, "status")?;
    Ok(Run {
        flight: r.col(BLAME, "flight")?,
        job: r.col(BLAME, "job")?,
        host: match host {
            Some(h) => h.to_owned(),
            None => r.col(BLAME, "host")?,
        },
        outcome: Outcome::of(&status),
    })
}

/// The host's other newest jobs up to `flight`, and the same job name's
/// newest runs on other hosts in earlier flights; newest first.
fn host_runs(
    client: &mut impl GenericClient,
    host: &str,
    flight: i32,
    job: &str,
) -> Result<(Vec<Run>, Vec<Run>)> {
    let recent = client
        .query(
            &format!(
                "SELECT u.flight, u.job, j.status FROM (
                     SELECT DISTINCT r.flight, r.job FROM runvars r
                      WHERE {IDENT} AND r.val = $1 AND r.flight <= $2
                        AND NOT (r.flight = $2 AND r.job = $3)
                      ORDER BY r.flight DESC, r.job DESC LIMIT $4) u
                 JOIN jobs j ON j.flight = u.flight AND j.job = u.job
                 ORDER BY u.flight DESC, u.job DESC"
            ),
            &[&host, &flight, &job, &BLAME_RECENT],
        )?
        .iter()
        .map(|r| blame_run(r, Some(host)))
        .collect::<Result<Vec<Run>>>()?;
    let same_job = client
        .query(
            &format!(
                "SELECT j.flight, j.job, j.status, r.val AS host FROM jobs j
                   JOIN runvars r ON r.flight = j.flight AND r.job = j.job AND {IDENT}
                  WHERE j.job = $1 AND j.flight < $2 AND r.val <> $3
                  ORDER BY j.flight DESC, r.val LIMIT $4"
            ),
            &[&job, &flight, &host, &BLAME_RECENT],
        )?
        .iter()
        .map(|r| blame_run(r, None))
        .collect::<Result<Vec<Run>>>()?;
    Ok((recent, same_job))
}

/// The jobs that ended in flights `from` to `to`, and how many failed.
fn fleet_tally(client: &mut impl GenericClient, from: i32, to: i32) -> Result<Tally> {
    let fleet = client.query_one(
        "SELECT count(*) FILTER (WHERE status IN ('fail', 'broken')) AS failed,
                count(*) FILTER (WHERE status IN ('pass', 'fail', 'broken')) AS ended
           FROM jobs WHERE flight BETWEEN $1 AND $2",
        &[&from, &to],
    )?;
    let count = |name: &'static str| -> Result<u64> {
        Ok(u64::try_from(fleet.col::<_, i64>(BLAME, name)?).unwrap_or(0))
    };
    Ok(Tally {
        failed: count("failed")?,
        ended: count("ended")?,
    })
}

const ELIDED: &str = "elided jobs";

/// One runvar's value, if the job has it (osstest allows a NULL `val`,
/// read as none).
fn runvar_val(
    client: &mut impl GenericClient,
    flight: i32,
    job: &str,
    name: &str,
) -> Result<Option<String>> {
    Ok(client
        .query_opt(
            "SELECT val FROM runvars WHERE flight = $1 AND job = $2 AND name = $3",
            &[&flight, &job, &name],
        )?
        .map(|r| r.col(ELIDED, "val"))
        .transpose()?
        .flatten())
}

/// `[count]` in `(flight, job)`'s runvar `name` expanded: the rows the
/// listing leaves out, computed again from the host's rows while the
/// job's are in the table; else the passing install of the host after
/// the job, which wiped them (spec section 6).
pub fn elided(
    client: &mut impl GenericClient,
    flight: i32,
    job: &str,
    name: &str,
    count: u32,
) -> Result<crate::lifecycle::elided::Elided> {
    use crate::lifecycle::ResolvedKind;
    use crate::lifecycle::elided::{self, Elided, Expansion, Reinstall};
    use crate::lifecycle::report::Decoded;
    let ident = name.strip_suffix("_lifecycle").unwrap_or(name);
    let host = runvar_val(client, flight, job, ident)?;
    let expansion = match &host {
        None => Expansion::NoHost,
        Some(h) => {
            let rows = super::record::scan(client, h)?;
            if elided::has_own_rows(&rows, flight, job) {
                let entries = match runvar_val(client, flight, job, name)?
                    .map(|v| Decoded::of(&v, flight, job))
                {
                    Some(Decoded::Entries { entries, .. }) => entries,
                    _ => Vec::new(),
                };
                let in_runvar: Vec<(i32, &str)> = entries
                    .iter()
                    .filter_map(|e| match &e.kind {
                        ResolvedKind::Step { flight, job, .. } => Some((*flight, job.as_str())),
                        _ => None,
                    })
                    .collect();
                let mut jobs = elided::elided_rows(&rows, flight, job, &in_runvar);
                // One query for every job's status, not one per job.
                let flights: Vec<i32> = jobs.iter().map(|j| j.flight).collect();
                let names: Vec<&str> = jobs.iter().map(|j| j.job.as_str()).collect();
                let mut status = std::collections::HashMap::new();
                for r in client.query(
                    "SELECT j.flight, j.job, j.status
                       FROM unnest($1::integer[], $2::text[]) AS e(flight, job)
                       JOIN jobs j ON j.flight = e.flight AND j.job = e.job",
                    &[&flights, &names],
                )? {
                    let key: (i32, String) = (r.col(ELIDED, "flight")?, r.col(ELIDED, "job")?);
                    status.insert(key, r.col::<_, String>(ELIDED, "status")?);
                }
                for j in &mut jobs {
                    j.status = status.remove(&(j.flight, j.job.clone()));
                }
                Expansion::Listed { jobs }
            } else {
                let by = client
                    .query_opt(
                        &format!(
                            "SELECT s.flight, s.job, s.finished
                               FROM runvars r
                               JOIN steps s ON s.flight = r.flight AND s.job = r.job
                              WHERE {IDENT} AND r.val = $1
                                AND s.step LIKE 'ts-host-install%' AND s.status = 'pass'
                                AND {INSTALLED} = r.name
                                AND s.finished >= (SELECT max(coalesce(finished, started))
                                                     FROM steps WHERE flight = $2 AND job = $3)
                              ORDER BY s.finished, s.flight, s.job
                              LIMIT 1"
                        ),
                        &[h, &flight, &job],
                    )?
                    .map(|r| -> Result<Reinstall> {
                        Ok(Reinstall {
                            flight: r.col(ELIDED, "flight")?,
                            job: r.col(ELIDED, "job")?,
                            finished: i64::from(r.col::<_, i32>(ELIDED, "finished")?),
                        })
                    })
                    .transpose()?;
                Expansion::Wiped { by }
            }
        }
    };
    Ok(Elided {
        flight,
        job: job.to_owned(),
        name: name.to_owned(),
        host,
        count,
        expansion,
    })
}
