//! Serializable transactions, redone from scratch when PostgreSQL reports a
//! serialization failure or a deadlock.

use std::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, IsolationLevel, Transaction};

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
/// [`retry`] says.
pub fn serializable<T>(
    client: &mut Client,
    mut body: impl FnMut(&mut Transaction<'_>) -> Result<T>,
) -> Result<T> {
    retry(|| {
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::Serializable)
            .start()?;
        let value = body(&mut tx)?;
        tx.commit()?;
        Ok(value)
    })
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
