//! The workload simulator behind `hostlife db seed` and `hostlife demo`:
//! fills a database that has the schema with a plausible osstest history.
//!
//! Flights of build and test jobs run on a lab of shared build hosts and
//! reused test hosts; jobs call selectprep, select and final, reinstall and
//! wipe hosts; some flight runners die mid-job; operators borrow hosts. The
//! lifecycle calls go through [`crate::db::record::Recorder`] and
//! [`crate::db::wipe::wipe`], the code path of the CLI, so the rows and
//! runvars are exactly what those calls make.
//!
//! # Layout
//!
//! - `catalog`: osstest's vocabulary (host names, jobs, steps), and in
//!   `catalog::runvars` the runvars jobs have, by name, with their values.
//! - `lab`: the hosts, their flags and properties, and their split into
//!   pools (pure).
//! - `plan`: the simulation of one pool, from a seeded PRNG and a
//!   simulated clock, to rows and an ordered list of operations (pure).
//! - `world`: the rows themselves (pure data).
//! - `load`: copying rows into the database.
//! - `run`: the worker threads, and replaying a pool's operations through
//!   the recorder.
//! - `progress`: an optional terminal progress bar for the CLI.
//!
//! Only `load` and `run` do I/O; `plan` and `lab` are tested without a
//! database.
//!
//! # Determinism
//!
//! The same configuration gives the same database contents: all data
//! derive from the seed and a simulated clock starting at
//! [`SeedConfig::epoch`]. Pools are independent (own hosts, own flights),
//! so running them on several threads changes nothing but the `lcseq`
//! numbers, which come from one database sequence in whatever order the
//! threads' transactions commit; each host's rows keep their order. With
//! one thread the database is identical, `lcseq` included.

pub mod after;
mod catalog;
mod lab;
mod load;
mod plan;
mod progress;
mod run;
mod world;

use std::time::{Duration, Instant};

use serde::Serialize;

pub use progress::ProgressBar;

use crate::db;

/// Preset sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// CI tests: ~10 hosts and a few flights, seeded in a second or two.
    Small,
    /// The demo: a few tens of hosts and a few thousand lifecycle rows.
    Medium,
    /// Stress: 1,000 hosts and about 1,000,000 lifecycle rows written
    /// (990,002 with the default seed).
    Large,
}

impl std::str::FromStr for Scale {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "small" => Ok(Scale::Small),
            "medium" => Ok(Scale::Medium),
            "large" => Ok(Scale::Large),
            other => Err(format!(
                "unknown scale `{other}` (expected small, medium or large)"
            )),
        }
    }
}

/// The fewest hosts a pool can run flights on: a build host and test
/// hosts enough for a pair job.
pub const MIN_HOSTS_PER_POOL: u32 = 4;

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeedConfig {
    /// Flights started, over all pools.
    pub flights: u32,
    pub hosts: u32,
    pub seed: u64,
    /// Disjoint groups of hosts, each running its own flights. The unit of
    /// parallelism; changing it changes the data.
    pub pools: u32,
    /// Worker threads, each with its own connection. Does not change the
    /// data (see the module documentation).
    pub threads: u32,
    /// Replay in rounds of many calls, a transaction for a round's record
    /// calls and one for its wipes (`true`); or one operation after
    /// another, each call its own transaction. Does not change the data
    /// either.
    pub batched: bool,
    /// The simulated clock's start, seconds since the Unix epoch. Fixed by
    /// default so that data do not depend on when they were made; the demo
    /// may pass a recent time so that ages look fresh.
    pub epoch: i64,
}

/// 2024-06-03 00:00:00 UTC.
pub const DEFAULT_EPOCH: i64 = 1_717_372_800;

impl SeedConfig {
    pub fn scale(scale: Scale) -> SeedConfig {
        let (flights, hosts, pools, threads) = match scale {
            Scale::Small => (8, 10, 1, 1),
            Scale::Medium => (44, 40, 2, 2),
            Scale::Large => (5_300, 1_000, 10, 2),
        };
        SeedConfig {
            flights,
            hosts,
            seed: 1,
            pools,
            threads,
            batched: true,
            epoch: DEFAULT_EPOCH,
        }
    }

    /// Check the configuration makes sense; the CLI reports the message.
    pub fn validate(&self) -> Result<(), String> {
        if self.flights == 0 {
            return Err("at least one flight is needed".into());
        }
        if self.pools == 0 || self.threads == 0 {
            return Err("pools and threads must be at least 1".into());
        }
        if self.hosts < self.pools * MIN_HOSTS_PER_POOL {
            return Err(format!(
                "{} hosts are too few for {} pools: each pool needs at least {MIN_HOSTS_PER_POOL}",
                self.hosts, self.pools
            ));
        }
        if self.flights < self.pools {
            return Err(format!(
                "{} flights are too few for {} pools: each pool runs at least one",
                self.flights, self.pools
            ));
        }
        // osstest keeps times as `integer` epoch seconds; leave a year of
        // simulated time before they would overflow.
        if !(0..=i64::from(i32::MAX) - 366 * 86_400).contains(&self.epoch) {
            return Err(format!(
                "epoch {} is outside what osstest's integer times can hold",
                self.epoch
            ));
        }
        if self.flights > MAX_FLIGHTS {
            return Err(format!(
                "{} flights are too many (at most {MAX_FLIGHTS})",
                self.flights
            ));
        }
        Ok(())
    }
}

/// The first flight number: osstest's production flights are six digits.
const FIRST_FLIGHT: i32 = 180_000;

/// Flight numbers and task ids (INTEGER columns) stay far from overflow.
const MAX_FLIGHTS: u32 = 10_000_000;

/// What a stage of seeding is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Simulating (no database work): `done` of `total` pools.
    Plan,
    /// Copying flights, jobs, steps and runvars: `done` of `total` rows.
    Load,
    /// Replaying lifecycle calls and `wiped`: `done` of `total` calls.
    Record,
    /// Blessing flights, bumping sequences, ANALYZE.
    Finish,
}

/// Progress of a seeding run, reported from the calling thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub stage: Stage,
    pub done: u64,
    pub total: u64,
}

/// The last `wiped` of a host: after it, no row of the host is older than
/// `first_lcseq`, the wiping task's first row on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostWipe {
    pub host: String,
    pub taskid: i32,
    pub first_lcseq: i32,
}

/// What seeding made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedReport {
    pub config: SeedConfig,
    /// The causes of install failures the simulator planted.
    pub planted: Planted,
    pub hosts: u64,
    pub build_hosts: u64,
    pub flights: u64,
    pub jobs: u64,
    pub steps: u64,
    /// Non-lifecycle runvars loaded (the recorder adds the lifecycle ones).
    pub runvars: u64,
    /// Recorder calls made (selectprep, select, final, out-of-job).
    pub record_calls: u64,
    /// Calls that found the sigil already there and wrote nothing.
    pub unchanged: u64,
    /// Lifecycle rows written by the recorder.
    pub lifecycle_rows: u64,
    /// Lifecycle rows left at the end (the others were wiped).
    pub lifecycle_rows_kept: u64,
    pub wipes: u64,
    pub rows_wiped: u64,
    pub flights_crashed: u64,
    pub operator_sessions: u64,
    /// Hosts held by a live task at the end, for a TUI to show.
    pub busy_hosts: u64,
    /// Per host, its last wipe, by host name.
    pub last_wipes: Vec<HostWipe>,
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
    /// Time spent per stage: planning, loading, recording, finishing.
    #[serde(serialize_with = "secs")]
    pub plan_time: Duration,
    #[serde(serialize_with = "secs")]
    pub load_time: Duration,
    #[serde(serialize_with = "secs")]
    pub record_time: Duration,
    #[serde(serialize_with = "secs")]
    pub finish_time: Duration,
}

/// Rows loaded that the replay no longer needs, counted before they go.
struct Loaded {
    steps: u64,
    runvars: u64,
}

impl Loaded {
    fn count(plans: &[plan::PoolPlan]) -> Loaded {
        Loaded {
            steps: plans.iter().map(|p| p.world.steps.len() as u64).sum(),
            runvars: plans.iter().map(|p| p.world.runvars.len() as u64).sum(),
        }
    }
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("invalid seed configuration: {0}")]
    BadConfig(String),
    #[error("the database is not empty ({0}): seed a fresh database made with `hostlife db init`")]
    NotEmpty(String),
    #[error("the database lacks osstest's magic task `{0}`: was it made with `hostlife db init`?")]
    NoMagicTask(&'static str),
    /// A simulated call went wrong: a refusal here is a simulator bug.
    #[error("{what}: {source}")]
    Call {
        what: String,
        #[source]
        source: Box<db::Error>,
    },
    #[error("the simulation and the database disagree: {0}")]
    OutOfStep(String),
    /// Boxed, as is `Call`'s: a refusal is large and errors are rare.
    #[error(transparent)]
    Db(Box<db::Error>),
    #[error("a seeding thread panicked")]
    Panicked,
    /// A connection could not be opened (each host tried, and why).
    #[error("cannot connect: {0}")]
    Connect(#[source] db::connect::DialError),
}

impl From<db::connect::DialError> for SeedError {
    fn from(e: db::connect::DialError) -> Self {
        SeedError::Connect(e)
    }
}

impl From<db::Error> for SeedError {
    fn from(e: db::Error) -> Self {
        SeedError::Db(Box::new(e))
    }
}

impl From<postgres::Error> for SeedError {
    fn from(e: postgres::Error) -> Self {
        db::Error::from(e).into()
    }
}

/// What the simulator plants so that blame has a truth to find: a job
/// name after which the next install of each host it used fails with high
/// probability, one flaky host per pool whose installs fail half the
/// time whatever ran before, and a background failure rate elsewhere.
/// Deterministic by seed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Planted {
    pub breaker_job: &'static str,
    pub flaky_hosts: Vec<String>,
    /// The background chance that an install fails.
    pub install_fails: f64,
}

/// Seed the database `connector` opens (with its TLS and timeout, as every
/// other connection), which must have the schema and
/// nothing else. `progress` is called from this thread as work proceeds.
pub fn seed(
    connector: &crate::db::connect::Connector,
    cfg: &SeedConfig,
    progress: &dyn Fn(Progress),
) -> Result<SeedReport, SeedError> {
    cfg.validate().map_err(SeedError::BadConfig)?;
    let start = Instant::now();
    let lab = lab::Lab::new(cfg.seed, cfg.hosts as usize, cfg.pools as usize);

    let mut client = connector.blocking()?;
    let setup = load::prepare(&mut client, &lab)?;

    let mut plans = run::plan_all(&lab, cfg, &setup, progress)?;
    let plan_time = start.elapsed();

    let t = Instant::now();
    run::load_all(connector, &plans, progress)?;
    let load_time = t.elapsed();
    let loaded = Loaded::count(&plans);
    // Steps and runvars are in the database now and the replay does not
    // need them: give back the memory (about 1 GB at large scale).
    for plan in &mut plans {
        plan.world.steps = Vec::new();
        plan.world.runvars = Vec::new();
    }

    let t = Instant::now();
    let outcome = run::record_all(connector, cfg, &lab, &setup, &plans, progress)?;
    let record_time = t.elapsed();

    let t = Instant::now();
    progress(Progress {
        stage: Stage::Finish,
        done: 0,
        total: 1,
    });
    let kept = load::finish(&mut client)?;
    progress(Progress {
        stage: Stage::Finish,
        done: 1,
        total: 1,
    });
    let finish_time = t.elapsed();

    let sum = |f: fn(&plan::PoolPlan) -> usize| plans.iter().map(|p| f(p) as u64).sum::<u64>();
    let stats = |f: fn(&plan::PlanStats) -> u64| plans.iter().map(|p| f(&p.stats)).sum::<u64>();
    Ok(SeedReport {
        planted: Planted {
            breaker_job: plan::BREAKER_JOB,
            flaky_hosts: lab.flaky_hosts(),
            install_fails: f64::from(plan::INSTALL_FAILS_PER_MILLE) / 1000.0,
        },
        config: cfg.clone(),
        hosts: lab.hosts.len() as u64,
        build_hosts: lab
            .hosts
            .iter()
            .filter(|h| h.role != lab::Role::Test)
            .count() as u64,
        flights: sum(|p| p.world.flights.len()),
        jobs: sum(|p| p.world.jobs.len()),
        steps: loaded.steps,
        runvars: loaded.runvars,
        record_calls: stats(|s| s.record_calls),
        unchanged: outcome.unchanged,
        lifecycle_rows: outcome.rows,
        lifecycle_rows_kept: kept,
        wipes: stats(|s| s.wipe_calls),
        rows_wiped: outcome.rows_wiped,
        flights_crashed: stats(|s| u64::from(s.flights_crashed)),
        operator_sessions: stats(|s| u64::from(s.operator_sessions)),
        busy_hosts: stats(|s| u64::from(s.busy_hosts_at_end)),
        last_wipes: outcome.last_wipes,
        elapsed: start.elapsed(),
        plan_time,
        load_time,
        record_time,
        finish_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        for scale in [Scale::Small, Scale::Medium, Scale::Large] {
            let cfg = SeedConfig::scale(scale);
            assert_eq!(cfg.validate(), Ok(()), "{scale:?}");
        }
    }

    #[test]
    fn validation_names_the_problem() {
        let small = SeedConfig::scale(Scale::Small);
        let check = |cfg: SeedConfig| cfg.validate().unwrap_err();
        assert!(
            check(SeedConfig {
                flights: 0,
                ..small.clone()
            })
            .contains("flight")
        );
        assert!(
            check(SeedConfig {
                threads: 0,
                ..small.clone()
            })
            .contains("threads")
        );
        assert!(
            check(SeedConfig {
                hosts: 7,
                pools: 2,
                ..small.clone()
            })
            .contains("7 hosts")
        );
        assert!(
            check(SeedConfig {
                flights: 1,
                pools: 2,
                ..small
            })
            .contains("1 flights")
        );
    }

    #[test]
    fn scales_parse() {
        assert_eq!("medium".parse(), Ok(Scale::Medium));
        assert!("huge".parse::<Scale>().unwrap_err().contains("huge"));
    }
}
