//! Executing a seed: planning and replaying the pools on worker threads,
//! each with its own connection, loading them on one, and replaying a
//! pool's operations through the recorder.
//!
//! Pools share no hosts and no flights, so their transactions touch
//! disjoint rows; the recorder's serializable transactions still retry the
//! rare conflict that PostgreSQL reports on shared index pages.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use postgres::{Client, Statement};

use super::catalog::OPERATORS;
use super::lab::Lab;
use super::load::{self, Setup};
use super::plan::{self, Actor, Holder, Op, PlanParams, PoolPlan};
use super::{FIRST_FLIGHT, HostWipe, Progress, SeedConfig, SeedError, Stage};
use crate::db::BatchFailure;
use crate::db::connect::Connector;
use crate::db::record::Recorder;
use crate::db::row::RowExt;
use crate::db::wipe::{self, WipeStatements};
use crate::lifecycle::Mode;
use crate::lifecycle::call::TaskRef;
use crate::lifecycle::call::{JobRef, RecordCall, RecordOutcome, StepRef};
use crate::lifecycle::call::{WipeCall, WipeOutcome};

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
                cfg.flights / cfg.pools + u32::from(pool < (cfg.flights % cfg.pools) as usize);
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
    connector: &Connector,
    plans: &[PoolPlan],
    progress: &dyn Fn(Progress),
) -> Result<(), SeedError> {
    let stage = Stage::Load;
    let total = plans.iter().map(|p| p.world.row_count()).sum();
    let mut done = 0;
    progress(Progress { stage, done, total });
    let mut client = connector.blocking()?;
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

/// Replay every pool's operations. Each thread takes a block of pools and
/// replays them in lockstep ([`Driver`]).
pub(crate) fn record_all(
    connector: &Connector,
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
    let threads = (cfg.threads as usize).clamp(1, plans.len().max(1));
    let drivers = fan_out(
        threads,
        threads,
        Stage::Record,
        total,
        progress,
        |t, ticker| {
            // Contiguous pools: their hosts are neighbours in the indexes,
            // and so are their flights (numbered pool by pool within each
            // round of flights), so two threads' transactions share few
            // index pages, which is where serializable isolation detects
            // conflicts.
            let n = plans.len();
            let pools = plans[t * n / threads..(t + 1) * n / threads].iter();
            let mut client = connector.blocking()?;
            client.batch_execute(SESSION_SQL)?;
            let recorder = Recorder::new(connector.pipelined()?)?;
            Driver::new(client, recorder, lab, setup, pools, cfg.batched)?.run(ticker)
        },
    )?;
    let mut out = Replayed::default();
    for d in drivers {
        out.rows += d.rows;
        out.unchanged += d.unchanged;
        out.rows_wiped += d.rows_wiped;
        out.last_wipes.extend(d.last_wipes);
    }
    out.last_wipes.sort_by(|a, b| a.host.cmp(&b.host));
    Ok(out)
}

/// The simulator's own connection runs the same few statements tens of
/// thousands of times, so they keep one generic plan each rather than
/// being planned at every use (planning a wipe's checks cost more than
/// running them). Every one of them joins a short array to primary keys
/// or deletes by TID; but a generic plan guesses an array's length, and
/// one made while `host_lifecycle` was still empty would keep scanning it
/// whole once it is not. Ruling out sequential scans, hash and merge
/// joins leaves each statement the one plan it wants, nested loops of
/// index probes, whatever the planner knew when it made it.
const SESSION_SQL: &str = "SET plan_cache_mode = force_generic_plan;
    SET enable_seqscan = off;
    SET enable_hashjoin = off;
    SET enable_mergejoin = off";

/// A round's state changes, each table's as arrays (empty for none): task
/// liveness, resource holders, hosts' share types; the rows updated in
/// each table.
const CHANGES_SQL: &str = "
WITH live AS (
    UPDATE tasks AS t SET live = v.live
      FROM unnest($1::int4[], $2::bool[]) AS v(taskid, live)
     WHERE t.taskid = v.taskid
    RETURNING 1),
holds AS (
    UPDATE resources AS r SET owntaskid = v.owner
      FROM unnest($3::text[], $4::text[], $5::int4[], $6::int4[])
           AS v(restype, resname, shareix, owner)
     WHERE r.restype = v.restype AND r.resname = v.resname AND r.shareix = v.shareix
    RETURNING 1),
sharing AS (
    UPDATE resource_sharing AS s
       SET sharetype = v.sharetype, state = v.state, wear = v.wear
      FROM unnest($7::text[], $8::text[], $9::text[], $10::int4[])
           AS v(resname, sharetype, state, wear)
     WHERE s.restype = 'host' AND s.resname = v.resname
    RETURNING 1)
SELECT (SELECT count(*) FROM live), (SELECT count(*) FROM holds),
       (SELECT count(*) FROM sharing)";

/// Calls between two progress reports.
const TICK_CALLS: u64 = 100;

/// State changes not yet written. Only `wiped` reads who holds a host, and
/// only the recorder reads task liveness and share types, so changes are
/// gathered and written in one statement before the next round of calls
/// (and at the end), instead of one round trip each.
#[derive(Debug, Default)]
struct Pending {
    live: BTreeMap<i32, bool>,
    holds: BTreeMap<(u32, i32), i32>,
    sharing: BTreeMap<u32, (&'static str, &'static str, i32)>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.live.is_empty() && self.holds.is_empty() && self.sharing.is_empty()
    }
}

struct Statements {
    changes: Statement,
    bless: Statement,
    wipe: WipeStatements,
}

/// One pool's replay state: where it is in its operations, and a mirror of
/// each host's rows (lcseq, taskid) to check what every `wiped` deletes
/// and to report each host's last wipe. No I/O: the [`Driver`] makes the
/// calls.
struct PoolReplay<'a> {
    /// The pool's position among the driver's.
    index: usize,
    lab: &'a Lab,
    setup: &'a Setup,
    plan: &'a PoolPlan,
    next: usize,
    rows: BTreeMap<u32, Vec<(i32, i32)>>,
    last_wipe: BTreeMap<u32, (i32, i32)>,
}

/// The calls of one round, each with its pool and host.
#[derive(Default)]
struct Round {
    records: Vec<(usize, u32, RecordCall)>,
    wipes: Vec<(usize, u32, WipeCall)>,
    /// The hosts the round records on, and those it wipes.
    recorded: BTreeSet<u32>,
    wiped: BTreeSet<u32>,
}

impl<'a> PoolReplay<'a> {
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

    /// Take this pool's share of a round: state changes into `pending` and
    /// calls into `round`, for as long as the calls taken could run in one
    /// transaction with the same outcomes as one at a time, in order.
    /// `pending` is written before any call of the round runs, so:
    ///
    /// - a liveness change, which record calls and wipes read, ends the
    ///   pool's share once it has a call;
    /// - a host's share type, which record calls on it read, ends it once
    ///   the round records on that host;
    /// - who holds a host, which only a wipe of it reads, ends it once the
    ///   round wipes that host;
    /// - record calls run before the round's wipes: a record call on a
    ///   host the round wipes, or a second wipe of it, ends it.
    ///
    /// Record calls on one host or runvar may share a round: a batch
    /// decides its calls in order, each seeing what the ones before wrote.
    ///
    /// With `one_call`, the share ends after its first call: the replay
    /// is then exactly one operation after another, the reference the
    /// rounds are tested against.
    ///
    /// Returns false when the pool has nothing left.
    fn gather(&mut self, pending: &mut Pending, round: &mut Round, one_call: bool) -> bool {
        let mut taken = false;
        while let Some(op) = self.plan.ops.get(self.next) {
            if taken && one_call {
                return true;
            }
            match *op {
                Op::TaskLive { flight, live } => {
                    if taken {
                        return true;
                    }
                    let taskid = self.plan.world.tasks[flight as usize].taskid;
                    pending.live.insert(taskid, live);
                }
                Op::Sharing {
                    host,
                    sharetype,
                    state,
                    wear,
                } => {
                    if round.recorded.contains(&host) {
                        return true;
                    }
                    pending.sharing.insert(host, (sharetype, state, wear));
                }
                Op::Hold {
                    host,
                    shareix,
                    holder,
                } => {
                    if round.wiped.contains(&host) {
                        return true;
                    }
                    pending.holds.insert((host, shareix), self.holder(holder));
                }
                Op::Record {
                    mode,
                    host,
                    ident,
                    at,
                    actor,
                } => {
                    if round.wiped.contains(&host) {
                        return true;
                    }
                    let call = RecordCall {
                        mode,
                        host: self.host_name(host).to_owned(),
                        ident: ident.name().to_owned(),
                        job: at.map(|a| self.job(a.job)),
                        step: at.map(|a| StepRef::Number(a.stepno)),
                        task: self.task(actor),
                        nested: false,
                    };
                    round.records.push((self.index, host, call));
                    round.recorded.insert(host);
                    taken = true;
                }
                Op::Wipe { host, job, actor } => {
                    if !round.wiped.insert(host) {
                        return true;
                    }
                    let call = WipeCall {
                        host: self.host_name(host).to_owned(),
                        task: self.task(actor),
                        job: job.map(|j| self.job(j)),
                    };
                    round.wipes.push((self.index, host, call));
                    taken = true;
                }
            }
            self.next += 1;
        }
        taken
    }

    /// Take in what a record call did.
    fn recorded(
        &mut self,
        host: u32,
        call: &RecordCall,
        outcome: &RecordOutcome,
        out: &mut Replayed,
    ) -> Result<(), SeedError> {
        match *outcome {
            RecordOutcome::Recorded { lcseq, taskid, .. }
            | RecordOutcome::OutOfJob { lcseq, taskid } => {
                out.rows += 1;
                self.rows.entry(host).or_default().push((lcseq, taskid));
            }
            RecordOutcome::Unchanged { .. } => out.unchanged += 1,
            RecordOutcome::Nested => {
                return Err(SeedError::OutOfStep(format!(
                    "{}: treated as nested",
                    describe_record(call)
                )));
            }
        }
        Ok(())
    }

    /// Take in what a wipe did, checking it against the mirror.
    fn wiped(
        &mut self,
        host: u32,
        call: &WipeCall,
        outcome: &WipeOutcome,
        out: &mut Replayed,
    ) -> Result<(), SeedError> {
        let rows = self.rows.entry(host).or_default();
        let first = rows
            .iter()
            .find(|&&(_, t)| t == outcome.taskid)
            .map(|&(l, _)| l);
        let Some(first) = first else {
            return Err(SeedError::OutOfStep(format!(
                "{}: the task has no row on the host",
                describe_wipe(call)
            )));
        };
        let before = rows.len();
        rows.retain(|&(l, _)| l >= first);
        let deleted = (before - rows.len()) as u64;
        if deleted != outcome.deleted || rows.len() as u64 != outcome.kept {
            return Err(SeedError::OutOfStep(format!(
                "{}: deleted {} and kept {} rows; expected {deleted} and {}",
                describe_wipe(call),
                outcome.deleted,
                outcome.kept,
                rows.len()
            )));
        }
        out.rows_wiped += deleted;
        self.last_wipe.insert(host, (outcome.taskid, first));
        Ok(())
    }

    /// The pool's flights that are over, with their final blessing.
    fn blessings(&self) -> impl Iterator<Item = (i32, &'static str)> + '_ {
        self.plan
            .world
            .flights
            .iter()
            .filter(|f| f.blessing != "running")
            .map(|f| (f.flight, f.blessing))
    }
}

/// Replays a thread's pools in lockstep, on two connections: a
/// [`Recorder`] for the lifecycle calls, and `client` for everything else,
/// wipes included.
///
/// Each round takes every pool's next call, writes the state changes that
/// came before them, then makes the round's record calls in one
/// transaction (`Recorder::record_many`) and its wipes in another
/// (`wipe::wipe_many`). Pools share no
/// host and no flight, so no call of a round reads what another writes:
/// each sees the database as it would one call at a time. With `batched`
/// off, a round takes one call of each pool, and each call is its own
/// transaction: every pool's operations are replayed one after another,
/// the reference that tests compare the rounds with.
struct Driver<'a> {
    lab: &'a Lab,
    recorder: Recorder,
    client: Client,
    statements: Statements,
    pools: Vec<PoolReplay<'a>>,
    batched: bool,
    out: Replayed,
}

impl<'a> Driver<'a> {
    fn new(
        mut client: Client,
        recorder: Recorder,
        lab: &'a Lab,
        setup: &'a Setup,
        plans: impl Iterator<Item = &'a PoolPlan>,
        batched: bool,
    ) -> Result<Driver<'a>, SeedError> {
        let statements = Statements {
            wipe: WipeStatements::prepare(&mut client)?,
            changes: client.prepare(CHANGES_SQL)?,
            bless: client.prepare(
                "UPDATE flights AS f SET blessing = v.blessing
                   FROM unnest($1::int4[], $2::text[]) AS v(flight, blessing)
                  WHERE f.flight = v.flight",
            )?,
        };
        let pools = plans
            .enumerate()
            .map(|(index, plan)| PoolReplay {
                index,
                lab,
                setup,
                plan,
                next: 0,
                rows: BTreeMap::new(),
                last_wipe: BTreeMap::new(),
            })
            .collect();
        Ok(Driver {
            lab,
            recorder,
            client,
            statements,
            pools,
            batched,
            out: Replayed::default(),
        })
    }

    fn run(mut self, ticker: &Ticker<'_>) -> Result<Replayed, SeedError> {
        let mut unreported = 0;
        let mut pending = Pending::default();
        let mut active: Vec<usize> = (0..self.pools.len()).collect();
        while !active.is_empty() {
            let mut round = Round::default();
            let one_call = !self.batched;
            active.retain(|&p| self.pools[p].gather(&mut pending, &mut round, one_call));
            self.flush(&mut pending)?;
            self.record(&round.records)?;
            self.wipe(&round.wipes)?;
            unreported += (round.records.len() + round.wipes.len()) as u64;
            if unreported >= TICK_CALLS {
                ticker.add(unreported);
                unreported = 0;
                if ticker.aborted() {
                    return Ok(self.out);
                }
            }
        }
        ticker.add(unreported);
        self.flush(&mut pending)?;
        self.bless()?;
        for pool in &mut self.pools {
            for (host, (taskid, first_lcseq)) in std::mem::take(&mut pool.last_wipe) {
                self.out.last_wipes.push(HostWipe {
                    host: pool.host_name(host).to_owned(),
                    taskid,
                    first_lcseq,
                });
            }
        }
        Ok(self.out)
    }

    /// The round's record calls: one transaction, or one each.
    fn record(&mut self, calls: &[(usize, u32, RecordCall)]) -> Result<(), SeedError> {
        if calls.is_empty() {
            return Ok(());
        }
        let outcomes = if self.batched {
            let batch: Vec<RecordCall> = calls.iter().map(|(_, _, c)| c.clone()).collect();
            let recorder = &mut self.recorder;
            halving_on_contention(&batch, &mut |b| recorder.record_many(b))
                .map_err(|f| call_failed(f.index.map(|i| &calls[i].2), *f.error))?
        } else {
            let mut outcomes = Vec::with_capacity(calls.len());
            for (_, _, call) in calls {
                let outcome = self
                    .recorder
                    .record(call)
                    .map_err(|e| call_failed(Some(call), e))?;
                outcomes.push(outcome);
            }
            outcomes
        };
        for ((p, host, call), outcome) in calls.iter().zip(&outcomes) {
            self.pools[*p].recorded(*host, call, outcome, &mut self.out)?;
        }
        Ok(())
    }

    /// The round's wipes: one transaction, or one each.
    fn wipe(&mut self, calls: &[(usize, u32, WipeCall)]) -> Result<(), SeedError> {
        if calls.is_empty() {
            return Ok(());
        }
        let failed = |call: Option<&WipeCall>, source| SeedError::Call {
            what: call.map_or_else(|| "a round of wipes".to_owned(), describe_wipe),
            source: Box::new(source),
        };
        let outcomes = if self.batched {
            let batch: Vec<WipeCall> = calls.iter().map(|(_, _, c)| c.clone()).collect();
            let (client, statements) = (&mut self.client, &self.statements.wipe);
            halving_on_contention(&batch, &mut |b| {
                wipe::wipe_many_prepared(client, statements, b)
            })
            .map_err(|f| failed(f.index.map(|i| &calls[i].2), *f.error))?
        } else {
            let mut outcomes = Vec::with_capacity(calls.len());
            for (_, _, call) in calls {
                outcomes
                    .push(wipe::wipe(&mut self.client, call).map_err(|e| failed(Some(call), e))?);
            }
            outcomes
        };
        for ((p, host, call), outcome) in calls.iter().zip(&outcomes) {
            self.pools[*p].wiped(*host, call, outcome, &mut self.out)?;
        }
        Ok(())
    }

    fn host_name(&self, host: u32) -> &'a str {
        &self.lab.hosts[host as usize].name
    }

    /// Write the state changes gathered so far, in one statement.
    fn flush(&mut self, pending: &mut Pending) -> Result<(), SeedError> {
        if pending.is_empty() {
            return Ok(());
        }
        let Pending {
            live,
            holds,
            sharing,
        } = std::mem::take(pending);
        let (ids, flags): (Vec<i32>, Vec<bool>) = live.into_iter().unzip();
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
        let mut shared = Vec::with_capacity(sharing.len());
        let mut sharetype = Vec::with_capacity(sharing.len());
        let mut state = Vec::with_capacity(sharing.len());
        let mut wear = Vec::with_capacity(sharing.len());
        for (host, (t, s, w)) in sharing {
            shared.push(self.host_name(host));
            sharetype.push(t);
            state.push(s);
            wear.push(w);
        }
        let row = self.client.query_one(
            &self.statements.changes,
            &[
                &ids, &flags, &restype, &name, &shareix, &owner, &shared, &sharetype, &state, &wear,
            ],
        )?;
        let updated = |i| {
            row.col::<_, i64>("state changes", i)
                .map(|n| u64::try_from(n).unwrap_or(0))
        };
        expect_updated("tasks", updated(0)?, ids.len())?;
        expect_updated("resources", updated(1)?, owner.len())?;
        expect_updated("resource_sharing", updated(2)?, wear.len())
    }

    /// Give the flights that are over their final blessing.
    fn bless(&mut self) -> Result<(), SeedError> {
        let (flights, blessings): (Vec<i32>, Vec<&str>) =
            self.pools.iter().flat_map(PoolReplay::blessings).unzip();
        let n = self
            .client
            .execute(&self.statements.bless, &[&flights, &blessings])?;
        expect_updated("flights", n, flights.len())
    }
}

/// Run `batch` on `calls`; if it gave up on conflicts with concurrent
/// transactions, run each half on its own, down to single calls. A
/// smaller transaction reads and writes fewer index pages, so it
/// conflicts less; the calls are independent, so halves give the same
/// outcomes.
fn halving_on_contention<C, O>(
    calls: &[C],
    batch: &mut impl FnMut(&[C]) -> Result<Vec<O>, BatchFailure>,
) -> Result<Vec<O>, BatchFailure> {
    match batch(calls) {
        Err(f) if f.index.is_none() && f.error.is_contended() && calls.len() > 1 => {
            let (first, second) = calls.split_at(calls.len() / 2);
            let mut out = halving_on_contention(first, batch)?;
            let rest = halving_on_contention(second, batch).map_err(|f| BatchFailure {
                index: f.index.map(|i| i + first.len()),
                error: f.error,
            })?;
            out.extend(rest);
            Ok(out)
        }
        other => other,
    }
}

/// A call of a round failed: name it when the failure says which.
fn call_failed(call: Option<&RecordCall>, source: crate::db::Error) -> SeedError {
    SeedError::Call {
        what: match call {
            Some(call) => describe_record(call),
            None => "a round of record calls".to_owned(),
        },
        source: Box::new(source),
    }
}

fn describe_wipe(call: &WipeCall) -> String {
    match &call.job {
        Some(j) => format!(
            "wiped {} by {}.{} as task {}",
            call.host, j.flight, j.job, call.task
        ),
        None => format!("wiped {} as task {}", call.host, call.task),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Error;

    fn contended() -> BatchFailure {
        BatchFailure::whole(Error::Contended {
            attempts: 12,
            elapsed: std::time::Duration::from_secs(30),
            last: "conflict".into(),
        })
    }

    #[test]
    fn a_contended_batch_is_halved_until_it_goes_through_in_order() {
        let calls: Vec<u32> = (0..7).collect();
        let mut sizes = Vec::new();
        let out = halving_on_contention(&calls, &mut |b: &[u32]| {
            sizes.push(b.len());
            if b.len() > 2 {
                Err(contended())
            } else {
                Ok(b.iter().map(|c| c * 10).collect())
            }
        })
        .unwrap();
        assert_eq!(out, vec![0, 10, 20, 30, 40, 50, 60]);
        assert_eq!(sizes, vec![7, 3, 1, 2, 4, 2, 2]);
    }

    #[test]
    fn a_refusal_is_not_halved_and_keeps_its_index_in_the_whole_batch() {
        let calls: Vec<u32> = (0..8).collect();
        let failure = halving_on_contention(&calls, &mut |b: &[u32]| {
            if b.len() > 4 {
                return Err(contended());
            }
            match b.iter().position(|&c| c == 6) {
                Some(i) => Err(BatchFailure::at(i, Error::Other("refused".into()))),
                None => Ok(b.to_vec()),
            }
        })
        .unwrap_err();
        assert_eq!(failure.index, Some(6));

        let mut tries = 0;
        let failure = halving_on_contention(&[1, 2, 3], &mut |_: &[u32]| -> Result<Vec<u32>, _> {
            tries += 1;
            Err(BatchFailure::at(0, Error::Other("refused".into())))
        })
        .unwrap_err();
        assert_eq!((failure.index, tries), (Some(0), 1));
    }
}

/// The simulator's statements under its session settings: generic plans
/// made on an empty database, as at the start of a seed, must still probe
/// by key, since they are kept for the whole replay.
#[cfg(test)]
mod plan_tests {
    use super::*;
    use crate::db::testdb::TestDb;

    fn generic_plan(c: &mut Client, prepare: &str, execute: &str) -> String {
        c.batch_execute(&format!("DEALLOCATE ALL; {prepare}"))
            .unwrap_or_else(|e| panic!("{prepare}: {e}"));
        c.query(&format!("EXPLAIN {execute}"), &[])
            .unwrap_or_else(|e| panic!("{execute}: {e}"))
            .iter()
            .map(|r| r.col::<_, String>("plan", 0).expect("a plan line") + "\n")
            .collect()
    }

    #[test]
    fn the_simulators_generic_plans_probe_by_key_on_an_empty_database() {
        let db = TestDb::new();
        let mut c = db.connect();
        c.batch_execute("ANALYZE").unwrap();
        c.batch_execute(SESSION_SQL).unwrap();
        let cases = [
            (
                format!(
                    "PREPARE s(int4[], bool[], text[], text[], int4[], int4[], text[], text[], \
                     text[], int4[]) AS {CHANGES_SQL}"
                ),
                "EXECUTE s('{1}', '{t}', '{host}', '{h1}', '{0}', '{1}', '{h1}', '{x}', \
                 '{ready}', '{0}')",
            ),
            (
                format!(
                    "PREPARE s(int4[], text[], int4[], text[]) AS {}",
                    wipe::READ_SQL
                ),
                "EXECUTE s('{1}', '{NULL}', '{NULL}', '{h1}')",
            ),
            (
                format!("PREPARE s(text[]) AS {}", wipe::DELETE_SQL),
                "EXECUTE s('{\"(0,1)\"}')",
            ),
        ];
        for (prepare, execute) in cases {
            let plan = generic_plan(&mut c, &prepare, execute);
            assert!(
                !plan.contains("Seq Scan") && !plan.contains("Hash Join"),
                "{plan}"
            );
        }
        // Without the settings, the same generic plans scan: the test
        // would catch their removal.
        c.batch_execute("RESET enable_seqscan").unwrap();
        let (prepare, execute) = (
            format!("PREPARE s(text[]) AS {}", wipe::DELETE_SQL),
            "EXECUTE s('{\"(0,1)\"}')",
        );
        assert!(generic_plan(&mut c, &prepare, execute).contains("Seq Scan"));
    }
}
