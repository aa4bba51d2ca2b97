//! What happens when: a discrete-event simulation of one pool of hosts, its
//! flights, their jobs and the operators who borrow hosts, driven by a
//! seeded PRNG and a simulated clock.
//!
//! The planner performs no I/O. It yields the rows to load (`world`) and
//! the ordered list of operations to replay against the database (`ops`):
//! lifecycle calls, and the changes of task liveness and resource holding
//! that the recorder's checks depend on. Everything is ordered by
//! simulated time, ties broken by event creation order, and every
//! collection that is iterated is ordered, so a seed always yields the
//! same plan.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "the planner's vector indexes and lengths become the u32 and i32 ids and counts \
              of flights, jobs, steps, hosts and shares: `SeedConfig::validate` caps flights, \
              and with them jobs and steps, far below i32::MAX; hosts come as a u32, and a \
              host has a few shares"
)]

mod alloc;
mod jobs;
mod operators;
mod state;
mod steps;

pub use steps::BREAKER_JOB;
pub use steps::INSTALL_FAILS as INSTALL_FAILS_PER_MILLE;
#[cfg(test)]
mod tests;

use super::catalog::runvars::{self, IdentVars};
use super::lab::Lab;
use super::world::PoolWorld;
use crate::lifecycle::Mode;

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
/// No simulation runs longer than this (simulated) time.
const MAX_SPAN: i64 = 10 * 365 * 24 * HOUR;

/// Which of a job's hosts a call is about (osstest's ident).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Ident {
    Host,
    Src,
    Dst,
}

impl Ident {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Ident::Host => "host",
            Ident::Src => "src_host",
            Ident::Dst => "dst_host",
        }
    }

    /// The runvars a job records about its host under this ident.
    pub(crate) fn vars(self) -> &'static IdentVars {
        match self {
            Ident::Host => &runvars::HOST_VARS,
            Ident::Src => &runvars::SRC_HOST_VARS,
            Ident::Dst => &runvars::DST_HOST_VARS,
        }
    }
}

/// Who holds a resource row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holder {
    /// The magic `idle` task: a free test host.
    Idle,
    /// The magic `allocatable` task: a free share of a ready build host.
    Allocatable,
    /// The magic `preparing` task: a share of a build host being installed.
    Preparing,
    /// The task running this pool's flight (index into `world.flights`).
    Flight(u32),
    /// An operator's static task (index into [`catalog::OPERATORS`]).
    Operator(u8),
}

/// Who makes a lifecycle call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Actor {
    Flight(u32),
    Operator(u8),
}

/// A job and step a call is made from: index into `world.jobs`, stepno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct At {
    pub job: u32,
    pub stepno: i32,
}

/// One thing to do to the database, in order. Hosts are indices into
/// `Lab::hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    TaskLive {
        flight: u32,
        live: bool,
    },
    /// Change who holds a host (`shareix` 0) or one of its shares.
    Hold {
        host: u32,
        shareix: i32,
        holder: Holder,
    },
    /// A build host's `resource_sharing` row.
    Sharing {
        host: u32,
        sharetype: &'static str,
        state: &'static str,
        wear: i32,
    },
    /// selectprep / select / final; `at: None` is an out-of-job use.
    Record {
        mode: Mode,
        host: u32,
        ident: Ident,
        at: Option<At>,
        actor: Actor,
    },
    /// `wiped`, after a reinstall; `job: None` for an operator.
    Wipe {
        host: u32,
        job: Option<u32>,
        actor: Actor,
    },
}

/// What the planner was asked to simulate for one pool.
#[derive(Debug, Clone)]
pub(crate) struct PlanParams {
    pub seed: u64,
    pub pool: usize,
    pub pools: usize,
    /// Flights this pool runs.
    pub flights: u32,
    /// Flight numbers and task ids are `first + k * pools + pool` for the
    /// pool's k-th flight: unique across pools, and roughly in time order.
    pub first_flight: i32,
    pub first_task: i32,
    /// The simulated clock's start, seconds since the Unix epoch.
    pub epoch: i64,
}

impl PlanParams {
    pub(super) fn global(&self, k: usize) -> i32 {
        // Bounded by the caller (SeedConfig::validate keeps ids in i32).
        (k * self.pools + self.pool) as i32
    }
}

/// Counts the planner knows; the replay adds what the database did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PlanStats {
    pub flights_crashed: u32,
    pub operator_sessions: u32,
    /// Hosts held by a live task when the simulation stops.
    pub busy_hosts_at_end: u32,
    pub record_calls: u64,
    pub wipe_calls: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PoolPlan {
    pub world: PoolWorld,
    pub ops: Vec<Op>,
    pub stats: PlanStats,
}

/// Simulate one pool of `lab`.
pub(crate) fn plan_pool(lab: &Lab, params: &PlanParams) -> PoolPlan {
    state::Sim::new(lab, params).run()
}
