//! Read-only queries behind `hosts`, `show`, `history`, `decode` and the
//! TUI's views. Each takes `&mut impl GenericClient`, so it runs equally in
//! a transaction, and returns plain data that serialises to JSON.

use postgres::GenericClient;
use serde::Serialize;

use super::error::{Result, TaskLabel};
use super::record::{is_build_host, scan};
use super::task::Task;
use crate::lifecycle::{self, DecodeError, ListingContext, Resolved, ResolvedKind, RowJob};

/// One host, as the hosts list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostSummary {
    pub host: String,
    /// Share type when the host is shared (resource_sharing).
    pub sharetype: Option<String>,
    pub share_state: Option<String>,
    pub maxshares: Option<i32>,
    /// Who holds the host's `resources` row now.
    pub holder: Option<TaskLabel>,
    /// Rows since the last wipe.
    pub rows: i64,
    /// Distinct live tasks among those rows.
    pub live_tasks: i64,
    /// The newest row: its job (if any) and when its step started.
    pub last_lcseq: Option<i32>,
    pub last_job: Option<String>,
    pub last_activity: Option<i64>,
}

/// A step's own facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepInfo {
    pub step: String,
    pub testid: Option<String>,
    pub status: String,
    pub started: Option<i64>,
    pub finished: Option<i64>,
}

/// One lifecycle row with what explains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowView {
    pub lcseq: i32,
    pub taskid: i32,
    /// `None` when the task was deleted.
    pub task: Option<Task>,
    pub job: Option<RowJob<'static>>,
    pub step: Option<StepInfo>,
    pub later_notprep: bool,
    /// Concurrent as an outside observer sees it now.
    pub concurrent: bool,
}

/// Everything `show HOST` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostDetail {
    pub host: String,
    pub build_host: bool,
    pub rows: Vec<RowView>,
    /// The listing a `final` call by an outside observer would compute now.
    pub listing: String,
}

/// A job that used the host, with its lifecycle runvar decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub flight: i32,
    pub job: String,
    pub ident: String,
    pub blessing: Option<String>,
    pub branch: Option<String>,
    pub started: Option<i64>,
    pub job_status: String,
    /// `None` when the job named the host but never recorded a lifecycle.
    pub runvar: Option<String>,
    pub decoded: Option<Decoded>,
}

/// A runvar decoded against its job, or why it could not be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decoded {
    Entries {
        entries: Vec<Resolved>,
        incomplete: bool,
    },
    Malformed(DecodeError),
}

impl Decoded {
    pub fn of(runvar: &str, flight: i32, job: &str) -> Decoded {
        match lifecycle::decode(runvar) {
            Ok(r) => Decoded::Entries {
                entries: r.resolve(flight, job),
                incomplete: r.sigil.is_some(),
            },
            Err(e) => Decoded::Malformed(e),
        }
    }
}

/// A resolved entry with the database's facts about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryDetail {
    #[serde(flatten)]
    pub entry: Resolved,
    pub step: Option<StepInfo>,
    pub job_status: Option<String>,
    pub blessing: Option<String>,
    /// For task entries: the task, if it still exists.
    pub task: Option<Task>,
}

/// A job's lifecycle runvar with every entry looked up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRunvar {
    pub flight: i32,
    pub job: String,
    pub name: String,
    pub runvar: String,
    pub incomplete: bool,
    pub entries: Result<Vec<EntryDetail>, DecodeError>,
}

fn label(
    taskid: Option<i32>,
    kind: Option<String>,
    refkey: Option<String>,
    username: Option<String>,
    live: Option<bool>,
) -> Option<TaskLabel> {
    taskid.map(|taskid| TaskLabel {
        taskid,
        kind,
        refkey,
        username,
        live: live.unwrap_or(false),
    })
}

/// Every known host: those with a `resources` row, a `resource_sharing`
/// row, or lifecycle rows.
pub fn hosts(client: &mut impl GenericClient) -> Result<Vec<HostSummary>> {
    let rows = client.query(
        // Counting rows per host reads every row once; live tasks are
        // found from the (few) live tasks through the taskid index rather
        // than by joining every row to tasks.
        "WITH lc AS (
             SELECT hostname, count(*) AS nrows, max(lcseq) AS last_lcseq
               FROM host_lifecycle
           GROUP BY hostname
         ), live AS (
             SELECT h.hostname, count(DISTINCT h.taskid) AS live_tasks
               FROM tasks t JOIN host_lifecycle h ON h.taskid = t.taskid
              WHERE t.live
           GROUP BY h.hostname
         ), names AS (
             SELECT resname AS host FROM resources WHERE restype = 'host' AND shareix = 0
             UNION SELECT resname FROM resource_sharing WHERE restype = 'host'
             UNION SELECT hostname FROM lc
         )
         SELECT n.host, rs.sharetype, rs.state, rs.maxshares,
                r.owntaskid, ot.type, ot.refkey, ot.username, ot.live,
                COALESCE(lc.nrows, 0), COALESCE(live.live_tasks, 0), lc.last_lcseq,
                last.flight, last.job, ls.started
           FROM names n
      LEFT JOIN resource_sharing rs ON rs.restype = 'host' AND rs.resname = n.host
      LEFT JOIN resources r ON r.restype = 'host' AND r.resname = n.host AND r.shareix = 0
      LEFT JOIN tasks ot ON ot.taskid = r.owntaskid
      LEFT JOIN lc ON lc.hostname = n.host
      LEFT JOIN live ON live.hostname = n.host
      LEFT JOIN host_lifecycle last ON last.hostname = n.host AND last.lcseq = lc.last_lcseq
      LEFT JOIN steps ls ON ls.flight = last.flight AND ls.job = last.job
                        AND ls.stepno = last.stepno
       ORDER BY n.host",
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|r| {
            let last_flight: Option<i32> = r.get(12);
            let last_job: Option<String> = r.get(13);
            HostSummary {
                host: r.get(0),
                sharetype: r.get(1),
                share_state: r.get(2),
                maxshares: r.get(3),
                holder: label(r.get(4), r.get(5), r.get(6), r.get(7), r.get(8)),
                rows: r.get(9),
                live_tasks: r.get(10),
                last_lcseq: r.get(11),
                last_job: last_flight.zip(last_job).map(|(f, j)| format!("{f}.{j}")),
                last_activity: r.get(14),
            }
        })
        .collect())
}

/// A host's rows joined with tasks and steps, and the listing an outside
/// observer's `final` would compute now.
pub fn show(client: &mut impl GenericClient, host: &str) -> Result<HostDetail> {
    let scanned = scan(client, host)?;
    let build_host = is_build_host(client, host)?;
    let listing = lifecycle::listing(
        &scanned,
        ListingContext {
            flight: None,
            job: "",
            build_host,
        },
    );
    let details = client.query(
        "SELECT h.lcseq, t.taskid, t.type, t.refkey, t.username, t.comment, t.live,
                s.step, s.testid, s.status, s.started, s.finished
           FROM host_lifecycle h
      LEFT JOIN tasks t ON t.taskid = h.taskid
      LEFT JOIN steps s ON s.flight = h.flight AND s.job = h.job AND s.stepno = h.stepno
          WHERE h.hostname = $1
       ORDER BY h.lcseq",
        &[&host],
    )?;
    // Both queries read in lcseq order; match them by lcseq in case a row
    // came or went between the two (outside a transaction).
    let mut by_lcseq = details.iter().peekable();
    let rows = scanned
        .into_iter()
        .zip(listing.flags)
        .map(|(row, flags)| {
            while by_lcseq
                .peek()
                .is_some_and(|d| d.get::<_, i32>(0) < row.lcseq)
            {
                by_lcseq.next();
            }
            let d = by_lcseq.peek().filter(|d| d.get::<_, i32>(0) == row.lcseq);
            let task = d.and_then(|d| {
                let taskid: Option<i32> = d.get(1);
                taskid.map(|taskid| Task {
                    taskid,
                    kind: d.get(2),
                    refkey: d.get(3),
                    username: d.get(4),
                    comment: d.get(5),
                    live: d.get(6),
                })
            });
            let step = d.and_then(|d| {
                let step: Option<String> = d.get(7);
                step.map(|step| StepInfo {
                    step,
                    testid: d.get(8),
                    status: d.get(9),
                    started: d.get(10),
                    finished: d.get(11),
                })
            });
            RowView {
                lcseq: row.lcseq,
                taskid: row.taskid,
                task,
                job: row.job,
                step,
                later_notprep: flags.later_notprep,
                concurrent: flags.concurrent,
            }
        })
        .collect();
    Ok(HostDetail {
        host: host.to_owned(),
        build_host,
        rows,
        listing: listing.items.join(" "),
    })
}

/// Jobs whose runvars name `host` under some ident, newest first, each with
/// its lifecycle runvar decoded: the history that survives wipes.
pub fn history(
    client: &mut impl GenericClient,
    host: &str,
    limit: i64,
) -> Result<Vec<HistoryEntry>> {
    let rows = client.query(
        "SELECT r.flight, r.job, r.name, f.blessing, f.branch, f.started, j.status, lc.val
           FROM runvars r
           JOIN jobs j ON j.flight = r.flight AND j.job = r.job
           JOIN flights f ON f.flight = r.flight
      LEFT JOIN runvars lc ON lc.flight = r.flight AND lc.job = r.job
                          AND lc.name = r.name || '_lifecycle'
          WHERE r.val = $1
            -- runvars_val_idx's condition (see schema::INDEX_DDL)
            AND octet_length(r.val) <= 2000 AND r.name NOT LIKE '%\\_lifecycle'
            AND (lc.val IS NOT NULL OR r.name ~ '(^|_)host$')
       ORDER BY r.flight DESC, r.job, r.name
          LIMIT $2",
        &[&host, &limit],
    )?;
    Ok(rows
        .iter()
        .map(|r| {
            let flight: i32 = r.get(0);
            let job: String = r.get(1);
            let runvar: Option<String> = r.get(7);
            HistoryEntry {
                decoded: runvar.as_deref().map(|v| Decoded::of(v, flight, &job)),
                flight,
                job,
                ident: r.get(2),
                blessing: r.get(3),
                branch: r.get(4),
                started: r.get(5),
                job_status: r.get(6),
                runvar,
            }
        })
        .collect())
}

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
                j.status, f.blessing
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
    let find_step = |f: i32, j: &str, n: i32| {
        steps.iter().find(|r| {
            r.get::<_, i32>(0) == f && r.get::<_, String>(1) == j && r.get::<_, i32>(2) == n
        })
    };
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
                    if let Some(r) = find_step(*flight, job, *stepno) {
                        let step: Option<String> = r.get(3);
                        d.step = step.map(|step| StepInfo {
                            step,
                            testid: r.get(4),
                            status: r.get(5),
                            started: r.get(6),
                            finished: r.get(7),
                        });
                        d.job_status = r.get(8);
                        d.blessing = r.get(9);
                    }
                }
                ResolvedKind::Task { taskid } => {
                    d.task = tasks
                        .iter()
                        .find(|r| r.get::<_, i32>(0) == *taskid)
                        .map(|r| Task {
                            taskid: r.get(0),
                            kind: r.get(1),
                            refkey: r.get(2),
                            username: r.get(3),
                            comment: r.get(4),
                            live: r.get(5),
                        });
                }
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

/// Every `*_lifecycle` runvar of a job, decoded and looked up.
pub fn job_runvars(
    client: &mut impl GenericClient,
    flight: i32,
    job: &str,
) -> Result<Vec<JobRunvar>> {
    let rows = client.query(
        "SELECT name, val FROM runvars
          WHERE flight = $1 AND job = $2 AND name LIKE '%\\_lifecycle'
       ORDER BY name",
        &[&flight, &job],
    )?;
    rows.iter()
        .map(|r| {
            let name: String = r.get(0);
            let val: String = r.get(1);
            decode_job_runvar(client, flight, job, &name, &val)
        })
        .collect()
}
