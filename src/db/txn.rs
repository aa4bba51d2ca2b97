//! The one place blocking code opens a transaction. Each kind has its
//! function, which says its isolation, whether it commits and whether it
//! is redone:
//!
//! - [`serializable`]: a write. SERIALIZABLE, committed, redone from
//!   scratch when PostgreSQL reports a serialization failure or a deadlock
//!   ([`retry`]).
//! - [`read_only`]: a view. REPEATABLE READ and READ ONLY, so its queries
//!   see one snapshot and cannot write by mistake; optionally bounded by a
//!   statement timeout.
//! - [`rehearse`]: a preview. REPEATABLE READ, always rolled back, so it
//!   may do what the real call would (create a static task) and leave
//!   nothing behind.
//! - [`committed`]: schema changes and bulk loads. READ COMMITTED,
//!   committed, not redone (their callers handle lock timeouts).
//!
//! The recorder's pipelined connection sends its own BEGIN with its
//! statements (`record::pipeline`) and is redone through [`retry`] too.

use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, GenericClient, IsolationLevel, Transaction};

use super::error::{BatchFailure, Error, Result};

/// How many times a conflicting transaction is tried in all.
pub const MAX_ATTEMPTS: u32 = 12;

/// An error that [`retry`] can tell a conflict by, and make when it gives
/// up.
pub trait Retryable: Sized {
    /// The conflict's message, if this is a serialization failure or a
    /// deadlock.
    fn conflict(&self) -> Option<String>;
    fn contended(attempts: u32, last: String) -> Self;
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

    fn contended(attempts: u32, last: String) -> Self {
        Error::Contended { attempts, last }
    }
}

impl Retryable for BatchFailure {
    fn conflict(&self) -> Option<String> {
        self.error.conflict()
    }

    fn contended(attempts: u32, last: String) -> Self {
        BatchFailure::whole(Error::contended(attempts, last))
    }
}

/// Run `body` in a serializable transaction and commit it, redone as
/// [`retry`] says. An error from `body` rolls the attempt back.
pub fn serializable<T, E>(
    client: &mut Client,
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
            .map_err(|e| E::from(e.into()))?;
        let value = body(&mut tx)?;
        tx.commit().map_err(|e| E::from(e.into()))?;
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
    let mut tx = client
        .build_transaction()
        .read_only(true)
        .isolation_level(IsolationLevel::RepeatableRead)
        .start()?;
    if let Some(timeout) = timeout {
        tx.batch_execute(&format!(
            "SET LOCAL statement_timeout = {}",
            timeout.as_millis()
        ))?;
    }
    // Dropped, so rolled back: there is nothing to commit.
    read(&mut tx)
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
/// when it fails, until it succeeds. On a conflict it runs again, with
/// exponential backoff (1 ms doubling, capped at 200 ms) and jitter from
/// the process clock so that two colliding writers do not retry in
/// lockstep; any other error ends it.
pub fn retry<T, E: Retryable>(mut attempt: impl FnMut() -> Result<T, E>) -> Result<T, E> {
    let mut delay = Duration::from_millis(1);
    let mut last = String::new();
    for tries in 1..=MAX_ATTEMPTS {
        match attempt() {
            Ok(v) => return Ok(v),
            Err(e) => match e.conflict() {
                Some(msg) if tries < MAX_ATTEMPTS => {
                    last = msg;
                    let jitter = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.subsec_nanos() % 1000);
                    std::thread::sleep(delay + Duration::from_micros(u64::from(jitter)));
                    delay = (delay * 2).min(Duration::from_millis(200));
                }
                Some(msg) => return Err(E::contended(tries, msg)),
                None => return Err(e),
            },
        }
    }
    Err(E::contended(MAX_ATTEMPTS, last))
}
