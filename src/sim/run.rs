//! Executing a seed: planning and replaying the pools on worker threads,
//! each with its own connection, loading them on one, and replaying a
//! pool's operations through the recorder.
//!
//! Pools share no hosts and no flights, so their transactions touch
//! disjoint rows; the recorder's serializable transactions still retry the
//! rare conflict that PostgreSQL reports on shared index pages.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use postgres::{Client, Statement};

use super::catalog::OPERATORS;
use super::lab::Lab;
use super::load::{self, Setup};
use super::plan::{self, Actor, Holder, Op, PlanParams, PoolPlan};
use super::{FIRST_FLIGHT, HostWipe, Progress, SeedConfig, SeedError, Stage};
use crate::db::record::{JobRef, RecordCall, RecordOutcome, Recorder, StepRef};
use crate::db::task::TaskRef;
use crate::db::wipe::{self, WipeCall};
use crate::db::{Config, connect_blocking};
use crate::lifecycle::Mode;

/// A worker's handle for reporting progress and noticing failures.
struct Ticker<'a> {
    tx: mpsc::Sender<u64>,
    failed: &'a AtomicBool,
}

impl Ticker<'_> {
    fn add(&self, n: u64) {
        // The receiver only goes away once every worker has finished.
        let _ = self.tx.send(n);
    }

    /// Another worker failed: stop early, the run is lost anyway.
    fn aborted(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }
}

/// Run `work` for items `0..items` on up to `threads` threads; report
/// progress of `stage` (ticks out of `total`) from the calling thread.
/// Results are in item order; the first failure (by item) is returned.
fn fan_out<T: Send>(
    threads: usize,
    items: usize,
    stage: Stage,
    total: u64,
    progress: &dyn Fn(Progress),
    work: impl Fn(usize, &Ticker<'_>) -> Result<T, SeedError> + Sync,
) -> Result<Vec<T>, SeedError> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel();
    progress(Progress {
        stage,
        done: 0,
        total,
    });
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.clamp(1, items.max(1)))
            .map(|_| {
                let ticker = Ticker {
                    tx: tx.clone(),
                    failed: &failed,
                };
                let (next, work) = (&next, &work);
                scope.spawn(move || {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= items || ticker.aborted() {
                            return out;
                        }
                        let r = work(i, &ticker);
                        if r.is_err() {
                            ticker.failed.store(true, Ordering::Relaxed);
                        }
                        out.push((i, r));
                    }
                })
            })
            .collect();
        drop(tx);
        let mut done = 0;
        for n in rx {
            done += n;
            progress(Progress { stage, done, total });
        }
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| SeedError::Panicked))
            .collect::<Result<Vec<_>, _>>()
    })?;
    let mut results: Vec<(usize, Result<T, SeedError>)> = results.into_iter().flatten().collect();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Plan every pool (pure, in parallel).
pub(crate) fn plan_all(
    lab: &Lab,
    cfg: &SeedConfig,
    setup: &Setup,
    progress: &dyn Fn(Progress),
) -> Result<Vec<PoolPlan>, SeedError> {
    let pools = lab.pools.len();
    fan_out(
        cfg.threads as usize,
        pools,
        Stage::Plan,
        pools as u64,
        progress,
        |pool, ticker| {
            // Spread the flights evenly, the first pools taking the rest.
            let flights =
                cfg.flights / cfg.pools + u32::from((pool as u32) < cfg.flights % cfg.pools);
            let params = PlanParams {
                seed: cfg.seed,
                pool,
                pools,
                flights,
                first_flight: FIRST_FLIGHT,
                first_task: setup.first_task,
                epoch: cfg.epoch,
            };
            let plan = plan::plan_pool(lab, &params);
            ticker.add(1);
            Ok(plan)
        },
    )
}

/// Load every pool's rows: one connection, one transaction (see
/// `load::load`), whatever the number of pools.
pub(crate) fn load_all(
    config: &Config,
    plans: &[PoolPlan],
    progress: &dyn Fn(Progress),
) -> Result<(), SeedError> {
    let stage = Stage::Load;
    let total = plans.iter().map(|p| p.world.row_count()).sum();
    let mut done = 0;
    progress(Progress { stage, done, total });
    let mut client = connect_blocking(config)?;
    let worlds: Vec<_> = plans.iter().map(|p| &p.world).collect();
    load::load(&mut client, &worlds, &mut |n| {
        done += n;
        progress(Progress { stage, done, total });
    })
}

/// What replaying the pools did.
#[derive(Debug, Default)]
pub(crate) struct Replayed {
    pub rows: u64,
    pub unchanged: u64,
    pub rows_wiped: u64,
    pub last_wipes: Vec<HostWipe>,
}

/// Replay every pool's operations.
pub(crate) fn record_all(
    config: &Config,
    cfg: &SeedConfig,
    lab: &Lab,
    setup: &Setup,
    plans: &[PoolPlan],
    progress: &dyn Fn(Progress),
) -> Result<Replayed, SeedError> {
    let total = plans
        .iter()
        .map(|p| p.stats.record_calls + p.stats.wipe_calls)
        .sum();
    let pools = fan_out(
        cfg.threads as usize,
        plans.len(),
        Stage::Record,
        total,
        progress,
        |pool, ticker| {
            let client = connect_blocking(config)?;
            let recorder = Recorder::connect(config)?;
            Replay::new(client, recorder, lab, setup, &plans[pool])?.run(ticker)
        },
    )?;
    let mut out = Replayed::default();
    for p in pools {
        out.rows += p.rows;
        out.unchanged += p.unchanged;
        out.rows_wiped += p.rows_wiped;
        out.last_wipes.extend(p.last_wipes);
    }
    out.last_wipes.sort_by(|a, b| a.host.cmp(&b.host));
    Ok(out)
}

/// Calls between two progress reports.
const TICK_CALLS: u64 = 100;

/// State changes not yet written. Only `wiped` reads who holds a host, and
/// only the recorder's listing reads task liveness, so changes are
/// gathered and written in one statement per table just before the call
/// that needs them (and at the end), instead of one round trip each.
#[derive(Debug, Default)]
struct Pending {
    live: BTreeMap<i32, bool>,
    holds: BTreeMap<(u32, i32), i32>,
    sharing: BTreeMap<u32, (&'static str, &'static str, i32)>,
}

struct Statements {
    live: Statement,
    holds: Statement,
    sharing: Statement,
    bless: Statement,
}

/// Replays one pool, mirroring each host's rows (lcseq, taskid) to check
/// what every `wiped` deletes and to report each host's last wipe. Calls
/// go through a [`Recorder`] (on a connection of its own); everything
/// else, wipes included, through `client`.
struct Replay<'a> {
    recorder: Recorder,
    client: Client,
    statements: Statements,
    lab: &'a Lab,
    setup: &'a Setup,
    plan: &'a PoolPlan,
    pending: Pending,
    rows: BTreeMap<u32, Vec<(i32, i32)>>,
    last_wipe: BTreeMap<u32, (i32, i32)>,
    out: Replayed,
}

impl<'a> Replay<'a> {
    fn new(
        mut client: Client,
        recorder: Recorder,
        lab: &'a Lab,
        setup: &'a Setup,
        plan: &'a PoolPlan,
    ) -> Result<Replay<'a>, SeedError> {
        let statements = Statements {
            live: client.prepare(
                "UPDATE tasks AS t SET live = v.live
                   FROM unnest($1::int4[], $2::bool[]) AS v(taskid, live)
                  WHERE t.taskid = v.taskid",
            )?,
            holds: client.prepare(
                "UPDATE resources AS r SET owntaskid = v.owner
                   FROM unnest($1::text[], $2::text[], $3::int4[], $4::int4[])
                        AS v(restype, resname, shareix, owner)
                  WHERE r.restype = v.restype AND r.resname = v.resname
                    AND r.shareix = v.shareix",
            )?,
            sharing: client.prepare(
                "UPDATE resource_sharing AS s
                    SET sharetype = v.sharetype, state = v.state, wear = v.wear
                   FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[])
                        AS v(resname, sharetype, state, wear)
                  WHERE s.restype = 'host' AND s.resname = v.resname",
            )?,
            bless: client.prepare(
                "UPDATE flights AS f SET blessing = v.blessing
                   FROM unnest($1::int4[], $2::text[]) AS v(flight, blessing)
                  WHERE f.flight = v.flight",
            )?,
        };
        Ok(Replay {
            recorder,
            client,
            statements,
            lab,
            setup,
            plan,
            pending: Pending::default(),
            rows: BTreeMap::new(),
            last_wipe: BTreeMap::new(),
            out: Replayed::default(),
        })
    }

    fn run(mut self, ticker: &Ticker<'_>) -> Result<Replayed, SeedError> {
        let mut unreported = 0;
        for op in &self.plan.ops {
            match *op {
                Op::TaskLive { flight, live } => {
                    let taskid = self.plan.world.tasks[flight as usize].taskid;
                    self.pending.live.insert(taskid, live);
                }
                Op::Hold {
                    host,
                    shareix,
                    holder,
                } => {
                    let taskid = self.holder(holder);
                    self.pending.holds.insert((host, shareix), taskid);
                }
                Op::Sharing {
                    host,
                    sharetype,
                    state,
                    wear,
                } => {
                    self.pending.sharing.insert(host, (sharetype, state, wear));
                }
                Op::Record { .. } => {
                    self.flush_live()?;
                    self.record(op)?;
                    unreported += 1;
                }
                Op::Wipe { host, job, actor } => {
                    self.flush_all()?;
                    self.wipe(host, job, actor)?;
                    unreported += 1;
                }
            }
            if unreported == TICK_CALLS {
                ticker.add(unreported);
                unreported = 0;
                if ticker.aborted() {
                    return Ok(self.out);
                }
            }
        }
        ticker.add(unreported);
        self.flush_all()?;
        self.bless()?;
        for (host, (taskid, first_lcseq)) in std::mem::take(&mut self.last_wipe) {
            self.out.last_wipes.push(HostWipe {
                host: self.host_name(host).to_owned(),
                taskid,
                first_lcseq,
            });
        }
        Ok(self.out)
    }

    fn host_name(&self, host: u32) -> &'a str {
        &self.lab.hosts[host as usize].name
    }

    fn holder(&self, holder: Holder) -> i32 {
        let magic = &self.setup.magic;
        match holder {
            Holder::Idle => magic.idle,
            Holder::Allocatable => magic.allocatable,
            Holder::Preparing => magic.preparing,
            Holder::Flight(f) => self.plan.world.tasks[f as usize].taskid,
            Holder::Operator(o) => self.setup.operators[o as usize].0,
        }
    }

    /// The task a call names, as osstest passes it (`OSSTEST_TASK`) or as
    /// an operator's static task.
    fn task(&self, actor: Actor) -> TaskRef {
        match actor {
            Actor::Flight(f) => {
                let t = &self.plan.world.tasks[f as usize];
                TaskRef::Spec {
                    taskid: t.taskid,
                    kind: "ownd".to_owned(),
                    refkey: t.refkey.clone(),
                }
            }
            Actor::Operator(o) => TaskRef::Static {
                refkey: OPERATORS[o as usize].to_owned(),
            },
        }
    }

    fn job(&self, job: u32) -> JobRef {
        let j = &self.plan.world.jobs[job as usize];
        JobRef {
            flight: j.flight,
            job: j.job.to_owned(),
        }
    }

    fn record(&mut self, op: &Op) -> Result<(), SeedError> {
        let Op::Record {
            mode,
            host,
            ident,
            at,
            actor,
        } = *op
        else {
            return Ok(());
        };
        let call = RecordCall {
            mode,
            host: self.host_name(host).to_owned(),
            ident: ident.name().to_owned(),
            job: at.map(|a| self.job(a.job)),
            step: at.map(|a| StepRef::Number(a.stepno)),
            task: self.task(actor),
            nested: false,
        };
        let outcome = self
            .recorder
            .record(&call)
            .map_err(|source| SeedError::Call {
                what: describe_record(&call),
                source: Box::new(source),
            })?;
        match outcome {
            RecordOutcome::Recorded { lcseq, taskid, .. }
            | RecordOutcome::OutOfJob { lcseq, taskid } => {
                self.out.rows += 1;
                self.rows.entry(host).or_default().push((lcseq, taskid));
            }
            RecordOutcome::Unchanged { .. } => self.out.unchanged += 1,
            RecordOutcome::Nested => {
                return Err(SeedError::OutOfStep(format!(
                    "{}: treated as nested",
                    describe_record(&call)
                )));
            }
        }
        Ok(())
    }

    fn wipe(&mut self, host: u32, job: Option<u32>, actor: Actor) -> Result<(), SeedError> {
        let call = WipeCall {
            host: self.host_name(host).to_owned(),
            task: self.task(actor),
            job: job.map(|j| self.job(j)),
        };
        let what = || match &call.job {
            Some(j) => format!(
                "wiped {} by {}.{} as task {}",
                call.host, j.flight, j.job, call.task
            ),
            None => format!("wiped {} as task {}", call.host, call.task),
        };
        let outcome = wipe::wipe(&mut self.client, &call).map_err(|source| SeedError::Call {
            what: what(),
            source: Box::new(source),
        })?;
        // What the wipe should have done, from the rows we wrote.
        let rows = self.rows.entry(host).or_default();
        let first = rows
            .iter()
            .find(|&&(_, t)| t == outcome.taskid)
            .map(|&(l, _)| l);
        let Some(first) = first else {
            return Err(SeedError::OutOfStep(format!(
                "{}: the task has no row on the host",
                what()
            )));
        };
        let before = rows.len();
        rows.retain(|&(l, _)| l >= first);
        let deleted = (before - rows.len()) as u64;
        if deleted != outcome.deleted || rows.len() as u64 != outcome.kept {
            return Err(SeedError::OutOfStep(format!(
                "{}: deleted {} and kept {} rows; expected {deleted} and {}",
                what(),
                outcome.deleted,
                outcome.kept,
                rows.len()
            )));
        }
        self.out.rows_wiped += deleted;
        self.last_wipe.insert(host, (outcome.taskid, first));
        Ok(())
    }

    fn flush_live(&mut self) -> Result<(), SeedError> {
        if self.pending.live.is_empty() {
            return Ok(());
        }
        let live = std::mem::take(&mut self.pending.live);
        let (ids, flags): (Vec<i32>, Vec<bool>) = live.into_iter().unzip();
        let n = self
            .client
            .execute(&self.statements.live, &[&ids, &flags])?;
        expect_updated("tasks", n, ids.len())
    }

    fn flush_all(&mut self) -> Result<(), SeedError> {
        self.flush_live()?;
        if !self.pending.holds.is_empty() {
            let holds = std::mem::take(&mut self.pending.holds);
            let mut restype = Vec::with_capacity(holds.len());
            let mut name = Vec::with_capacity(holds.len());
            let mut shareix = Vec::with_capacity(holds.len());
            let mut owner = Vec::with_capacity(holds.len());
            for ((host, ix), taskid) in holds {
                restype.push(if ix == 0 { "host" } else { "share-host" });
                name.push(self.host_name(host));
                shareix.push(ix);
                owner.push(taskid);
            }
            let n = self
                .client
                .execute(&self.statements.holds, &[&restype, &name, &shareix, &owner])?;
            expect_updated("resources", n, owner.len())?;
        }
        if !self.pending.sharing.is_empty() {
            let sharing = std::mem::take(&mut self.pending.sharing);
            let mut name = Vec::with_capacity(sharing.len());
            let mut sharetype = Vec::with_capacity(sharing.len());
            let mut state = Vec::with_capacity(sharing.len());
            let mut wear = Vec::with_capacity(sharing.len());
            for (host, (t, s, w)) in sharing {
                name.push(self.host_name(host));
                sharetype.push(t);
                state.push(s);
                wear.push(w);
            }
            let n = self.client.execute(
                &self.statements.sharing,
                &[&name, &sharetype, &state, &wear],
            )?;
            expect_updated("resource_sharing", n, wear.len())?;
        }
        Ok(())
    }

    /// Give the flights that are over their final blessing.
    fn bless(&mut self) -> Result<(), SeedError> {
        let (flights, blessings): (Vec<i32>, Vec<&str>) = self
            .plan
            .world
            .flights
            .iter()
            .filter(|f| f.blessing != "running")
            .map(|f| (f.flight, f.blessing))
            .unzip();
        let n = self
            .client
            .execute(&self.statements.bless, &[&flights, &blessings])?;
        expect_updated("flights", n, flights.len())
    }
}

fn expect_updated(table: &str, updated: u64, wanted: usize) -> Result<(), SeedError> {
    if updated == wanted as u64 {
        Ok(())
    } else {
        Err(SeedError::OutOfStep(format!(
            "updated {updated} {table} rows, expected {wanted}"
        )))
    }
}

fn describe_record(call: &RecordCall) -> String {
    let mode = match call.job {
        None => "out-of-job use",
        Some(_) => match call.mode {
            Mode::SelectPrep => "selectprep",
            Mode::Select => "select",
            Mode::Final => "final",
        },
    };
    let place = match (&call.job, &call.step) {
        (Some(j), Some(StepRef::Number(n))) => format!(" in {}.{} step {n}", j.flight, j.job),
        _ => String::new(),
    };
    format!(
        "{mode} of {} ({}){place} as task {}",
        call.host, call.ident, call.task
    )
}
