//! The one place blocking code opens a transaction. Each kind has its
//! function, which says its isolation, whether it commits and whether it
//! is redone:
//!
//! - [`serializable`]: a write. SERIALIZABLE, committed, redone from
//!   scratch when PostgreSQL reports a serialization failure or a deadlock
//!   ([`retry`]).
//! - [`read_only`]: a view. REPEATABLE READ and READ ONLY, so its queries
//!   see one snapshot and cannot write by mistake; optionally bounded by a
//!   statement timeout. [`read_only_on`] is one on another session's
//!   snapshot, for reads split across two connections.
//! - [`rehearse`]: a preview. REPEATABLE READ, always rolled back, so it
//!   may do what the real call would (create a static task) and leave
//!   nothing behind.
//! - [`committed`]: schema changes and bulk loads. READ COMMITTED,
//!   committed, not redone (their callers handle lock timeouts).
//!
//! The recorder's pipelined connection sends its own BEGIN with its
//! statements (`record::pipeline`) and is redone through [`retry`] too.

use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::{Client, GenericClient, IsolationLevel, Transaction};

use super::error::{BatchFailure, Error, Result};

/// How long a conflicting transaction keeps being redone. Conflicts on
/// one host last as long as its writers keep colliding: osstest's own
/// writers retry up to a hundred times, and 32 writers on one host clear
/// in a few seconds, so a budget in time (not attempts) rides out any
/// burst that ends while giving up on one that does not.
pub const RETRY_BUDGET: Duration = Duration::from_secs(30);
/// The first pause after a conflict; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(2);
const MAX_PAUSE: Duration = Duration::from_millis(250);

/// An error that [`retry`] can tell a conflict by, and make when it gives
/// up.
pub trait Retryable: Sized {
    /// The conflict's message, if this is a serialization failure or a
    /// deadlock.
    fn conflict(&self) -> Option<String>;
    fn contended(attempts: u32, elapsed: Duration, last: String) -> Self;
    /// This error told apart by whether the connection was lost before
    /// or after COMMIT was sent ([`Error::on_lost_connection`]).
    #[must_use]
    fn on_lost_connection(self, commit_sent: bool, hosts: &str) -> Self;
}

impl Retryable for Error {
    fn conflict(&self) -> Option<String> {
        let Error::Postgres(pg) = self else {
            return None;
        };
        let code = pg.code()?;
        (code == &SqlState::T_R_SERIALIZATION_FAILURE || code == &SqlState::T_R_DEADLOCK_DETECTED)
            .then(|| super::error::describe_pg(pg))
    }

    fn contended(attempts: u32, elapsed: Duration, last: String) -> Self {
        Error::Contended {
            attempts,
            elapsed,
            last,
        }
    }

    fn on_lost_connection(self, commit_sent: bool, hosts: &str) -> Self {
        Error::on_lost_connection(self, commit_sent, hosts)
    }
}

impl Retryable for BatchFailure {
    fn conflict(&self) -> Option<String> {
        self.error.conflict()
    }

    fn contended(attempts: u32, elapsed: Duration, last: String) -> Self {
        BatchFailure::whole(Error::contended(attempts, elapsed, last))
    }

    fn on_lost_connection(self, commit_sent: bool, hosts: &str) -> Self {
        BatchFailure {
            index: self.index,
            error: Box::new(self.error.on_lost_connection(commit_sent, hosts)),
        }
    }
}

/// Run `body` in a serializable transaction and commit it, redone as
/// [`retry`] says. An error from `body` rolls the attempt back. A lost
/// connection is told apart by whether COMMIT had been sent; `hosts`
/// names what to check when the outcome is unknown.
pub fn serializable<T, E>(
    client: &mut Client,
    hosts: &str,
    mut body: impl FnMut(&mut Transaction<'_>) -> Result<T, E>,
) -> Result<T, E>
where
    E: Retryable + From<Error>,
{
    retry(|| {
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::Serializable)
            .start()
            .map_err(|e| E::from(e.into()).on_lost_connection(false, hosts))?;
        let value = body(&mut tx).map_err(|e| e.on_lost_connection(false, hosts))?;
        tx.commit()
            .map_err(|e| E::from(e.into()).on_lost_connection(true, hosts))?;
        Ok(value)
    })
}

/// Run `read` in a read-only, repeatable-read transaction: a view's
/// queries see one snapshot (a host's rows and their details agree), and a
/// read can never write by mistake. With `timeout`, the server cancels a
/// statement that runs longer. The CLI and the browser's worker both read
/// through here.
pub fn read_only<T>(
    client: &mut Client,
    timeout: Option<Duration>,
    read: impl FnOnce(&mut Transaction<'_>) -> Result<T>,
) -> Result<T> {
    let mut tx = start_read_only(client)?;
    if let Some(timeout) = timeout {
        tx.batch_execute(&format!(
            "SET LOCAL statement_timeout = {}",
            timeout.as_millis()
        ))?;
    }
    // Dropped, so rolled back: there is nothing to commit.
    read(&mut tx)
}

/// Run `read` in a read-only transaction on another session's snapshot:
/// `snapshot` is what `pg_export_snapshot()` returned in that session's
/// transaction, which must still be open. Two connections then read the
/// same data at the same time, each on a server process of its own.
pub fn read_only_on<T>(
    client: &mut Client,
    snapshot: &str,
    read: impl FnOnce(&mut Transaction<'_>) -> Result<T>,
) -> Result<T> {
    // Snapshot names are hexadecimal words joined by '-'; anything else
    // did not come from the server and is not sent to it.
    if snapshot.is_empty() || !snapshot.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(Error::Other(format!("not a snapshot name: {snapshot:?}")));
    }
    let mut tx = start_read_only(client)?;
    // It must be the transaction's first statement.
    tx.batch_execute(&format!("SET TRANSACTION SNAPSHOT '{snapshot}'"))?;
    read(&mut tx)
}

/// A REPEATABLE READ, READ ONLY transaction, dropped (so rolled back) by
/// its caller: there is nothing to commit.
fn start_read_only(client: &mut Client) -> Result<Transaction<'_>> {
    Ok(client
        .build_transaction()
        .read_only(true)
        .isolation_level(IsolationLevel::RepeatableRead)
        .start()?)
}

/// Run `body` in one repeatable-read snapshot and roll it back whatever
/// it did: a preview runs the real call's checks (which may create a
/// static task) and leaves nothing behind.
pub fn rehearse<T>(
    client: &mut Client,
    body: impl FnOnce(&mut Transaction<'_>) -> Result<T>,
) -> Result<T> {
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .start()?;
    let value = body(&mut tx)?;
    tx.rollback()?;
    Ok(value)
}

/// Run `body` in a read-committed transaction (a savepoint, inside one)
/// and commit it: schema changes and bulk loads, all or nothing.
pub fn committed<T, E>(
    client: &mut impl GenericClient,
    body: impl FnOnce(&mut Transaction<'_>) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<postgres::Error>,
{
    let mut tx = client.transaction()?;
    let value = body(&mut tx)?;
    tx.commit()?;
    Ok(value)
}

/// Run `attempt`, a whole serializable transaction that is rolled back
/// when it fails, until it succeeds. On a conflict it runs again after a
/// pause that doubles from 2 ms up to 250 ms, half of it random ("equal
/// jitter"), so colliding writers spread out instead of colliding again
/// in lockstep; after [`RETRY_BUDGET`] of conflicts it gives up, saying
/// how many attempts it made and the last conflict. Any other error ends
/// it at once.
pub fn retry<T, E: Retryable>(attempt: impl FnMut() -> Result<T, E>) -> Result<T, E> {
    retry_within(RETRY_BUDGET, attempt)
}

/// [`retry`] with another budget.
pub fn retry_within<T, E: Retryable>(
    budget: Duration,
    mut attempt: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    let started = Instant::now();
    let mut pause = FIRST_PAUSE;
    let mut jitter = Jitter::new();
    for tries in 1u32.. {
        let e = match attempt() {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let Some(msg) = e.conflict() else {
            return Err(e);
        };
        let elapsed = started.elapsed();
        let sleep = pause / 2 + jitter.up_to(pause / 2);
        if elapsed + sleep >= budget {
            return Err(E::contended(tries, elapsed, msg));
        }
        std::thread::sleep(sleep);
        pause = (pause * 2).min(MAX_PAUSE);
    }
    unreachable!("a u32 of attempts outlasts any budget")
}

/// A cheap random source for pauses (splitmix64): seeded by the clock
/// and the thread, so two writers that collided draw different pauses.
struct Jitter(u64);

impl Jitter {
    fn new() -> Self {
        use std::hash::{BuildHasher, RandomState};
        // RandomState is seeded afresh per process and per thread.
        let seed = RandomState::new().hash_one((std::thread::current().id(), Instant::now()));
        Jitter(seed)
    }

    fn up_to(&mut self, max: Duration) -> Duration {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(if nanos == 0 { 0 } else { z % (nanos + 1) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Fake {
        Conflict,
        Broken,
        GaveUp(u32),
    }

    impl Retryable for Fake {
        fn conflict(&self) -> Option<String> {
            (*self == Fake::Conflict).then(|| "conflict".into())
        }

        fn contended(attempts: u32, _elapsed: Duration, last: String) -> Self {
            assert_eq!(last, "conflict");
            Fake::GaveUp(attempts)
        }

        fn on_lost_connection(self, _commit_sent: bool, _hosts: &str) -> Self {
            self
        }
    }

    #[test]
    fn conflicts_are_redone_until_the_call_goes_through() {
        let mut calls = 0;
        let r = retry_within(Duration::from_secs(10), || {
            calls += 1;
            if calls < 15 {
                Err(Fake::Conflict)
            } else {
                Ok(calls)
            }
        });
        // More attempts than the old fixed count of twelve allowed.
        assert_eq!(r, Ok(15));
    }

    #[test]
    fn other_errors_end_it_at_once() {
        let mut calls = 0;
        let r: Result<(), _> = retry_within(Duration::from_secs(10), || {
            calls += 1;
            Err(Fake::Broken)
        });
        assert_eq!((r, calls), (Err(Fake::Broken), 1));
    }

    #[test]
    fn the_budget_is_time_and_the_error_counts_the_attempts() {
        let mut calls = 0;
        let started = Instant::now();
        let r: Result<(), _> = retry_within(Duration::from_millis(300), || {
            calls += 1;
            Err(Fake::Conflict)
        });
        assert_eq!(r, Err(Fake::GaveUp(calls)));
        assert!(calls > 3, "{calls}");
        assert!(
            started.elapsed() <= Duration::from_millis(300),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn pauses_are_spread_within_their_bound() {
        let mut j = Jitter::new();
        let max = Duration::from_millis(100);
        let draws: Vec<Duration> = (0..200).map(|_| j.up_to(max)).collect();
        assert!(draws.iter().all(|d| *d <= max));
        let distinct: std::collections::HashSet<_> = draws.iter().collect();
        assert!(distinct.len() > 150, "{}", distinct.len());
        assert_eq!(j.up_to(Duration::ZERO), Duration::ZERO);
    }
}
