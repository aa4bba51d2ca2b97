//! Read-only queries behind `hosts`, `show`, `history`, `decode` and the
//! TUI's views. Each takes `&mut impl GenericClient`, so it runs equally in
//! a transaction, and returns plain data that serialises to JSON.
//!
//! Every column is read with osstest's own type (spec section 2: times
//! and ids are `integer`, names `character varying`, `runvars.val` may be
//! NULL) through [`RowExt::col`], so a database that differs gives an error
//! naming the query and the column, never a panic.

use postgres::GenericClient;

use super::error::Result;
use super::record::{is_build_host, scan};
use super::row::RowExt;
use super::task;
use crate::lifecycle::Refusal;
use crate::lifecycle::Task;
use crate::lifecycle::{self, ListingContext, Resolved, ResolvedKind};

use crate::lifecycle::report::{
    Decoded, EntryDetail, HistoryEntry, HostDetail, HostSummary, JobRunvar, Property, RowView,
    StepInfo,
};

/// Epoch seconds as osstest stores them (`integer`), widened.
fn secs(t: Option<i32>) -> Option<i64> {
    t.map(i64::from)
}

const HOSTS: &str = "hosts";

/// The hosts with lifecycle rows, by a skip scan of `host_lifecycle`'s
/// primary key: a probe per host, not a read of every row.
const LC_NAMES: &str = "lc_names AS (
             (SELECT hostname FROM host_lifecycle ORDER BY hostname LIMIT 1)
             UNION ALL
             SELECT (SELECT h.hostname FROM host_lifecycle h WHERE h.hostname > p.hostname
                      ORDER BY h.hostname LIMIT 1)
               FROM lc_names p WHERE p.hostname IS NOT NULL
         )";

/// Every known host (those with a `resources` row, a `resource_sharing`
/// row, or lifecycle rows), with its rows counted: [`hosts_listed`] and
/// [`host_row_counts`] in one.
pub fn hosts(client: &mut impl GenericClient) -> Result<Vec<HostSummary>> {
    let mut hosts = hosts_listed(client)?;
    crate::lifecycle::report::count_rows(&mut hosts, &host_row_counts(client)?);
    Ok(hosts)
}

const HOST_COUNTS: &str = "host row counts";

/// Each host's number of lifecycle rows, for the hosts with any.
///
/// The one part of the hosts list that grows with the rows (an index-only
/// scan of each host's key range: 150 ms at 1,000,000 rows), so the
/// browser asks for it after the list, which is a handful of probes per
/// host. A GROUP BY over the table read and hashed every row, 1.6 times
/// slower.
pub fn host_row_counts(
    client: &mut impl GenericClient,
) -> Result<std::collections::HashMap<String, i64>> {
    let rows = client.query(
        &format!(
            "WITH RECURSIVE {LC_NAMES}
             SELECT n.hostname,
                    (SELECT count(*) FROM host_lifecycle h WHERE h.hostname = n.hostname) AS row_count
               FROM lc_names n WHERE n.hostname IS NOT NULL"
        ),
        &[],
    )?;
    rows.iter()
        .map(|r| {
            Ok((
                r.col(HOST_COUNTS, "hostname")?,
                r.col(HOST_COUNTS, "row_count")?,
            ))
        })
        .collect()
}

/// Every known host, its rows not yet counted (`rows` is `None`; see
/// [`host_row_counts`]).
pub fn hosts_listed(client: &mut impl GenericClient) -> Result<Vec<HostSummary>> {
    let rows = client.query(
        // Each host is a handful of probes: the hosts with lifecycle rows
        // by a skip scan, its newest row by the key backwards. Live tasks
        // are found from the (few) live tasks through the taskid index
        // rather than by joining every row to tasks.
        &format!(
            "WITH RECURSIVE {LC_NAMES}, names AS (
             SELECT resname AS host FROM resources WHERE restype = 'host' AND shareix = 0
             UNION SELECT resname FROM resource_sharing WHERE restype = 'host'
             UNION SELECT hostname FROM lc_names WHERE hostname IS NOT NULL
         ), live AS (
             SELECT h.hostname, count(DISTINCT h.taskid) AS live_tasks
               FROM tasks t JOIN host_lifecycle h ON h.taskid = t.taskid
              WHERE t.live
           GROUP BY h.hostname
         )
         SELECT n.host, rs.sharetype, rs.state AS share_state,
                CASE WHEN rs.resname IS NOT NULL THEN
                     (SELECT count(*) FROM resources sh
                       WHERE sh.restype = 'share-host' AND sh.resname = n.host)
                END AS shares,
                r.owntaskid AS holder, ot.type AS holder_type, ot.refkey AS holder_refkey,
                ot.username AS holder_username, COALESCE(ot.live, false) AS holder_live,
                ARRAY(SELECT f.hostflag FROM hostflags f
                       WHERE f.hostname = n.host ORDER BY f.hostflag) AS flags,
                COALESCE(live.live_tasks, 0) AS live_tasks,
                last.lcseq AS last_lcseq, last.flight AS last_flight, last.job AS last_job,
                ls.started AS last_started,
                ARRAY(SELECT p.name FROM resource_properties p
                       WHERE p.restype = 'host' AND p.resname = n.host ORDER BY p.name)
                       AS property_names,
                ARRAY(SELECT p.val FROM resource_properties p
                       WHERE p.restype = 'host' AND p.resname = n.host ORDER BY p.name)
                       AS property_vals
           FROM names n
      LEFT JOIN resource_sharing rs ON rs.restype = 'host' AND rs.resname = n.host
      LEFT JOIN resources r ON r.restype = 'host' AND r.resname = n.host AND r.shareix = 0
      LEFT JOIN tasks ot ON ot.taskid = r.owntaskid
      LEFT JOIN LATERAL (SELECT h.lcseq, h.flight, h.job, h.stepno FROM host_lifecycle h
                          WHERE h.hostname = n.host ORDER BY h.lcseq DESC LIMIT 1) last ON true
      LEFT JOIN live ON live.hostname = n.host
      LEFT JOIN steps ls ON ls.flight = last.flight AND ls.job = last.job
                        AND ls.stepno = last.stepno
       ORDER BY n.host"
        ),
        &[],
    )?;
    rows.iter()
        .map(|r| {
            let last_flight: Option<i32> = r.col(HOSTS, "last_flight")?;
            let last_job: Option<String> = r.col(HOSTS, "last_job")?;
            Ok(HostSummary {
                host: r.col(HOSTS, "host")?,
                sharetype: r.col(HOSTS, "sharetype")?,
                share_state: r.col(HOSTS, "share_state")?,
                shares: r.col(HOSTS, "shares")?,
                holder: task::holder_from_row(r, HOSTS)?,
                flags: r.col(HOSTS, "flags")?,
                rows: None,
                live_tasks: r.col(HOSTS, "live_tasks")?,
                last_lcseq: r.col(HOSTS, "last_lcseq")?,
                last_job: last_flight.zip(last_job).map(|(f, j)| format!("{f}.{j}")),
                last_activity: secs(r.col(HOSTS, "last_started")?),
                health: None,
                properties: {
                    let names: Vec<String> = r.col(HOSTS, "property_names")?;
                    let vals: Vec<String> = r.col(HOSTS, "property_vals")?;
                    names
                        .into_iter()
                        .zip(vals)
                        .map(|(name, val)| Property { name, val })
                        .collect()
                },
            })
        })
        .collect()
}

/// Whether the database knows `host` (a resources or `resource_sharing`
/// row, or lifecycle rows); if not, the refusal to give, with the known
/// host most like it.
pub(super) fn check_host_known(client: &mut impl GenericClient, host: &str) -> Result<()> {
    const Q: &str = "host lookup";
    let known: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM resources
                             WHERE restype = 'host' AND resname = $1 AND shareix = 0)
                 OR EXISTS (SELECT 1 FROM resource_sharing WHERE restype = 'host' AND resname = $1)
                 OR EXISTS (SELECT 1 FROM host_lifecycle WHERE hostname = $1)",
            &[&host],
        )?
        .col(Q, 0)?;
    if known {
        return Ok(());
    }
    Err(no_such_host(client, host)?.into())
}

/// The refusal for a host nobody knows, with the nearest known name.
fn no_such_host(client: &mut impl GenericClient, host: &str) -> Result<Refusal> {
    const Q: &str = "host names";
    let names = client.query(
        "SELECT resname FROM resources WHERE restype = 'host' AND shareix = 0
         UNION SELECT resname FROM resource_sharing WHERE restype = 'host'",
        &[],
    )?;
    let names: Vec<String> = names.iter().map(|r| r.col(Q, 0)).collect::<Result<_>>()?;
    Ok(Refusal::NoSuchHost {
        host: host.to_owned(),
        did_you_mean: lifecycle::suggest(host, names.iter().map(String::as_str)).map(str::to_owned),
    })
}

/// Refuse a flight that does not exist.
fn check_flight_known(client: &mut impl GenericClient, flight: i32) -> Result<()> {
    let known: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM flights WHERE flight = $1)",
            &[&flight],
        )?
        .col("flight lookup", 0)?;
    if known {
        Ok(())
    } else {
        Err(Refusal::FlightUnknown(flight).into())
    }
}

/// Refuse a job that does not exist (or whose flight does not).
pub fn check_job_known(client: &mut impl GenericClient, flight: i32, job: &str) -> Result<()> {
    check_flight_known(client, flight)?;
    let known: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE flight = $1 AND job = $2)",
            &[&flight, &job],
        )?
        .col("job lookup", 0)?;
    if known {
        Ok(())
    } else {
        Err(Refusal::JobUnknown {
            flight,
            job: job.to_owned(),
        }
        .into())
    }
}

const SHOW: &str = "host rows";

/// A host's rows joined with tasks and steps, its flags and properties,
/// and the listing an outside observer's `final` would compute now. A
/// host the database does not know is refused, with a suggestion.
pub fn show(client: &mut impl GenericClient, host: &str) -> Result<HostDetail> {
    let tx = client;
    check_host_known(tx, host)?;
    let scanned = scan(tx, host)?;
    let build_host = is_build_host(tx, host)?;
    let listing = lifecycle::listing(
        &scanned,
        ListingContext {
            flight: None,
            job: "",
            build_host,
        },
    );
    let details = tx.query(
        "SELECT h.lcseq, t.taskid, t.type, t.refkey, t.username, t.comment, t.live,
                s.step, s.testid, s.status, s.started, s.finished
           FROM host_lifecycle h
      LEFT JOIN tasks t ON t.taskid = h.taskid
      LEFT JOIN steps s ON s.flight = h.flight AND s.job = h.job AND s.stepno = h.stepno
          WHERE h.hostname = $1
       ORDER BY h.lcseq",
        &[&host],
    )?;
    let flags = tx
        .query(
            "SELECT hostflag FROM hostflags WHERE hostname = $1 ORDER BY hostflag",
            &[&host],
        )?
        .iter()
        .map(|r| r.col("host flags", 0))
        .collect::<Result<Vec<String>>>()?;
    let properties = tx
        .query(
            "SELECT name, val FROM resource_properties
              WHERE restype = 'host' AND resname = $1 ORDER BY name",
            &[&host],
        )?
        .iter()
        .map(|r| {
            Ok(Property {
                name: r.col("host properties", "name")?,
                val: r.col("host properties", "val")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Both queries read the same snapshot in lcseq order.
    let mut by_lcseq = details.iter().peekable();
    let mut rows = Vec::with_capacity(scanned.len());
    for (row, flags) in scanned.into_iter().zip(listing.flags) {
        while let Some(d) = by_lcseq.peek() {
            if d.col::<_, i32>(SHOW, "lcseq")? < row.lcseq {
                by_lcseq.next();
            } else {
                break;
            }
        }
        let d = match by_lcseq.peek() {
            Some(d) if d.col::<_, i32>(SHOW, "lcseq")? == row.lcseq => Some(*d),
            _ => None,
        };
        let (mut task, mut step) = (None, None);
        if let Some(d) = d {
            if let Some(taskid) = d.col::<_, Option<i32>>(SHOW, "taskid")? {
                task = Some(Task {
                    taskid,
                    kind: d.col(SHOW, "type")?,
                    refkey: d.col(SHOW, "refkey")?,
                    username: d.col(SHOW, "username")?,
                    comment: d.col(SHOW, "comment")?,
                    live: d.col(SHOW, "live")?,
                });
            }
            if let Some(name) = d.col::<_, Option<String>>(SHOW, "step")? {
                step = Some(StepInfo {
                    step: name,
                    testid: d.col(SHOW, "testid")?,
                    status: d.col(SHOW, "status")?,
                    started: secs(d.col(SHOW, "started")?),
                    finished: secs(d.col(SHOW, "finished")?),
                });
            }
        }
        rows.push(RowView {
            lcseq: row.lcseq,
            taskid: row.taskid,
            task,
            job: row.job,
            step,
            later_notprep: flags.later_notprep,
            concurrent: flags.concurrent,
        });
    }
    Ok(HostDetail {
        host: host.to_owned(),
        build_host,
        flags,
        properties,
        rows,
        listing: listing.items.join(" "),
    })
}

const HISTORY: &str = "history";

/// The query [`history`] runs: the ident runvars naming host `$1` in the
/// flights before `$2`, newest first, whole flights, with their job,
/// flight and lifecycle runvar. `page` is the flights of the newest `$3`
/// ident runvars; every row of those flights is returned, so the oldest
/// of them may be cut off by the page (see [`history_page`]).
///
/// The ident runvars are osstest's `runvars_host_idx`'s rows: the
/// condition is repeated word for word so that the planner can prove the
/// scans within the partial index. `page` reads only the index's own
/// columns (an index-only scan, no table pages), and the rows are then
/// fetched for those flights alone. Asking the index for the rows in one
/// step, ordered and limited, let the planner's estimate for a busy host
/// (far fewer rows than it has) choose to read all of them and sort: 5,000
/// table pages for a build host of a 10,000,000-runvar database.
pub const HISTORY_QUERY: &str = "WITH page AS (
         SELECT flight FROM runvars
          WHERE val = $1
            AND (name = 'host' OR name LIKE '%\\_host')
            AND flight < $2
          ORDER BY flight DESC
          LIMIT $3)
     SELECT r.flight, r.job, r.name AS ident, f.blessing, f.branch, f.started,
            j.status AS job_status, lc.val AS runvar
       FROM runvars r
       JOIN jobs j ON j.flight = r.flight AND j.job = r.job
       JOIN flights f ON f.flight = r.flight
  LEFT JOIN runvars lc ON lc.flight = r.flight AND lc.job = r.job
                      AND lc.name = r.name || '_lifecycle'
      WHERE r.val = $1
        AND (r.name = 'host' OR r.name LIKE '%\\_host')
        AND r.flight < $2
        AND r.flight >= (SELECT min(flight) FROM page)
   ORDER BY r.flight DESC, r.job, r.name";

/// Jobs whose runvars name `host` under some ident (`host`, `src_host`,
/// …), newest flight first, each with its lifecycle runvar decoded: the
/// history that survives wipes.
///
/// A page holds whole flights: at most `limit` entries unless one flight
/// alone has more (it is then returned whole). The next page is the
/// flights before the last one returned: `before` = that flight.
pub fn history(
    client: &mut impl GenericClient,
    host: &str,
    limit: i64,
    before: Option<i32>,
) -> Result<Vec<HistoryEntry>> {
    Ok(history_page(client, host, limit, before)?.0)
}

/// [`history`], and whether older flights name the host too.
pub fn history_page(
    client: &mut impl GenericClient,
    host: &str,
    limit: i64,
    before: Option<i32>,
) -> Result<(Vec<HistoryEntry>, bool)> {
    let limit = limit.max(1);
    let before = before.unwrap_or(i32::MAX);
    let tx = client;
    let mut rows = tx.query(HISTORY_QUERY, &[&host, &before, &(limit + 1)])?;
    // The rows are every row of the page's flights: more than `limit`
    // exactly when the host has more rows than that before `before`.
    let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > limit;
    if more {
        let first: i32 = rows[0].col(HISTORY, "flight")?;
        let cut: i32 = rows[rows.len() - 1].col(HISTORY, "flight")?;
        // Leave out the oldest flight, which the page may have cut: the
        // next page starts with it. Unless it is all there is (one
        // flight with more than a page), which is returned whole.
        if first != cut {
            while let Some(r) = rows.last() {
                if r.col::<_, i32>(HISTORY, "flight")? == cut {
                    rows.pop();
                } else {
                    break;
                }
            }
        }
    }
    if rows.is_empty() && before == i32::MAX {
        // Nothing names the host: say so if it is unknown altogether
        // (a retired host keeps its history in the runvars).
        check_host_known(tx, host)?;
    }
    let entries = rows
        .iter()
        .map(|r| {
            let flight: i32 = r.col(HISTORY, "flight")?;
            let job: String = r.col(HISTORY, "job")?;
            let runvar: Option<String> = r.col(HISTORY, "runvar")?;
            Ok(HistoryEntry {
                decoded: runvar.as_deref().map(|v| Decoded::of(v, flight, &job)),
                flight,
                job,
                ident: r.col(HISTORY, "ident")?,
                blessing: r.col(HISTORY, "blessing")?,
                branch: r.col(HISTORY, "branch")?,
                started: secs(r.col(HISTORY, "started")?),
                job_status: r.col(HISTORY, "job_status")?,
                runvar,
            })
        })
        .collect::<Result<_>>()?;
    Ok((entries, more))
}

const DETAILS: &str = "entry details";

/// Look up the steps, jobs, flights and tasks that resolved entries name.
pub fn details(
    client: &mut impl GenericClient,
    entries: Vec<Resolved>,
) -> Result<Vec<EntryDetail>> {
    let (mut flights, mut jobs, mut stepnos, mut taskids) = (vec![], vec![], vec![], vec![]);
    for e in &entries {
        match &e.kind {
            ResolvedKind::Step {
                flight,
                job,
                stepno,
                ..
            } => {
                flights.push(*flight);
                jobs.push(job.clone());
                stepnos.push(*stepno);
            }
            ResolvedKind::Task { taskid } => taskids.push(*taskid),
            ResolvedKind::Elided { .. } => {}
        }
    }
    let steps = client.query(
        "SELECT x.flight, x.job, x.stepno, s.step, s.testid, s.status, s.started, s.finished,
                j.status AS job_status, f.blessing
           FROM unnest($1::int[], $2::text[], $3::int[]) AS x(flight, job, stepno)
      LEFT JOIN steps s ON s.flight = x.flight AND s.job = x.job AND s.stepno = x.stepno
      LEFT JOIN jobs j ON j.flight = x.flight AND j.job = x.job
      LEFT JOIN flights f ON f.flight = x.flight",
        &[&flights, &jobs, &stepnos],
    )?;
    let tasks = client.query(
        "SELECT taskid, type, refkey, username, comment, live FROM tasks
          WHERE taskid = ANY($1)",
        &[&taskids],
    )?;
    // Keyed once, so that a long runvar's lookups are not quadratic.
    let mut step_facts = std::collections::HashMap::with_capacity(steps.len());
    for r in &steps {
        let key: (i32, String, i32) = (
            r.col(DETAILS, "flight")?,
            r.col(DETAILS, "job")?,
            r.col(DETAILS, "stepno")?,
        );
        let step = match r.col::<_, Option<String>>(DETAILS, "step")? {
            Some(step) => Some(StepInfo {
                step,
                testid: r.col(DETAILS, "testid")?,
                status: r.col(DETAILS, "status")?,
                started: secs(r.col(DETAILS, "started")?),
                finished: secs(r.col(DETAILS, "finished")?),
            }),
            None => None,
        };
        let job_status: Option<String> = r.col(DETAILS, "job_status")?;
        let blessing: Option<String> = r.col(DETAILS, "blessing")?;
        step_facts.insert(key, (step, job_status, blessing));
    }
    let mut task_rows = std::collections::HashMap::with_capacity(tasks.len());
    for r in &tasks {
        let t = Task {
            taskid: r.col("entry tasks", "taskid")?,
            kind: r.col("entry tasks", "type")?,
            refkey: r.col("entry tasks", "refkey")?,
            username: r.col("entry tasks", "username")?,
            comment: r.col("entry tasks", "comment")?,
            live: r.col("entry tasks", "live")?,
        };
        task_rows.insert(t.taskid, t);
    }
    Ok(entries
        .into_iter()
        .map(|entry| {
            let mut d = EntryDetail {
                entry,
                step: None,
                job_status: None,
                blessing: None,
                task: None,
            };
            match &d.entry.kind {
                ResolvedKind::Step {
                    flight,
                    job,
                    stepno,
                    ..
                } => {
                    if let Some((step, job_status, blessing)) =
                        step_facts.get(&(*flight, job.clone(), *stepno))
                    {
                        d.step.clone_from(step);
                        d.job_status.clone_from(job_status);
                        d.blessing.clone_from(blessing);
                    }
                }
                ResolvedKind::Task { taskid } => d.task = task_rows.get(taskid).cloned(),
                ResolvedKind::Elided { .. } => {}
            }
            d
        })
        .collect())
}

/// Decode `runvar` as a runvar of (flight, job) and look its entries up.
pub fn decode_job_runvar(
    client: &mut impl GenericClient,
    flight: i32,
    job: &str,
    name: &str,
    runvar: &str,
) -> Result<JobRunvar> {
    let (entries, incomplete) = match lifecycle::decode(runvar) {
        Ok(r) => (
            Ok(details(client, r.resolve(flight, job))?),
            r.sigil.is_some(),
        ),
        Err(e) => (Err(e), false),
    };
    Ok(JobRunvar {
        flight,
        job: job.to_owned(),
        name: name.to_owned(),
        runvar: runvar.to_owned(),
        incomplete,
        entries,
    })
}

/// Every `*_lifecycle` runvar of a job, decoded and looked up. A job that
/// does not exist is refused; one without lifecycle runvars has none.
pub fn job_runvars(
    client: &mut impl GenericClient,
    flight: i32,
    job: &str,
) -> Result<Vec<JobRunvar>> {
    const Q: &str = "job runvars";
    let tx = client;
    let rows = tx.query(
        "SELECT name, val FROM runvars
          WHERE flight = $1 AND job = $2 AND name LIKE '%\\_lifecycle'
       ORDER BY name",
        &[&flight, &job],
    )?;
    if rows.is_empty() {
        check_job_known(tx, flight, job)?;
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let name: String = r.col(Q, "name")?;
        // NULL is a value osstest's runvars may hold: an empty listing.
        let val: Option<String> = r.col(Q, "val")?;
        out.push(decode_job_runvar(
            tx,
            flight,
            job,
            &name,
            val.as_deref().unwrap_or(""),
        )?);
    }
    Ok(out)
}

/// A job's report of the tasks that might have affected its hosts: its
/// lifecycle runvars decoded and looked up, each with the host its ident
/// runvar names, and when each named job's last step ended. A job that
/// does not exist is refused.
pub fn job_report(
    client: &mut impl GenericClient,
    flight: i32,
    job: &str,
) -> Result<lifecycle::job_report::JobReport> {
    const Q: &str = "job report";
    let status: Option<String> = client
        .query_opt(
            "SELECT status FROM jobs WHERE flight = $1 AND job = $2",
            &[&flight, &job],
        )?
        .map(|r| r.col(Q, "status"))
        .transpose()?;
    let Some(status) = status else {
        check_job_known(client, flight, job)?;
        return Err(Refusal::JobUnknown {
            flight,
            job: job.to_owned(),
        }
        .into());
    };
    let runvars = job_runvars(client, flight, job)?;
    let idents: Vec<&str> = runvars
        .iter()
        .filter_map(|r| r.name.strip_suffix("_lifecycle"))
        .collect();
    let mut hosts = std::collections::HashMap::new();
    for r in client.query(
        "SELECT name, val FROM runvars WHERE flight = $1 AND job = $2 AND name = ANY($3)",
        &[&flight, &job, &idents],
    )? {
        let val: Option<String> = r.col(Q, "val")?;
        if let Some(val) = val {
            hosts.insert(r.col::<_, String>(Q, "name")?, val);
        }
    }
    // Each named job once; its last step's end is read by the steps'
    // primary key (flight, job, stepno), one index range per job.
    let mut named: Vec<(i32, &str)> = runvars
        .iter()
        .filter_map(|r| r.entries.as_ref().ok())
        .flatten()
        .filter_map(|d| match &d.entry.kind {
            ResolvedKind::Step { flight, job, .. } => Some((*flight, job.as_str())),
            _ => None,
        })
        .collect();
    named.sort_unstable();
    named.dedup();
    let (flights, jobs): (Vec<i32>, Vec<&str>) = named.into_iter().unzip();
    let mut last_ended = std::collections::HashMap::new();
    for r in client.query(
        "SELECT x.flight, x.job,
                (SELECT max(s.finished) FROM steps s
                  WHERE s.flight = x.flight AND s.job = x.job) AS last_ended
           FROM unnest($1::int[], $2::text[]) AS x(flight, job)",
        &[&flights, &jobs],
    )? {
        if let Some(t) = secs(r.col(Q, "last_ended")?) {
            last_ended.insert((r.col::<_, i32>(Q, "flight")?, r.col(Q, "job")?), t);
        }
    }
    Ok(lifecycle::job_report::build(
        flight,
        job,
        status,
        runvars,
        &hosts,
        &last_ended,
    ))
}
