//! The library's error type: refusals (the call was understood and said no,
//! nothing was written) kept apart from database failures.

use std::fmt::Write as _;

use crate::lifecycle::Refusal;

/// Everything a library call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("{}", describe_pg(.0))]
    Postgres(#[from] postgres::Error),
    #[error(
        "gave up after {attempts} attempts in {:.1} s: the transaction kept conflicting with concurrent ones ({last})",
        .elapsed.as_secs_f64()
    )]
    Contended {
        attempts: u32,
        elapsed: std::time::Duration,
        last: String,
    },
    /// A column did not have the type hostlife reads it as: the database
    /// is not laid out as osstest's (or hostlife has a bug).
    #[error("reading column {column} of the {query} query: {}", describe_pg(.source))]
    Decode {
        query: &'static str,
        column: String,
        source: postgres::Error,
    },
    /// The connection went away before COMMIT was sent: the server rolled
    /// the transaction back, so nothing of it was written.
    #[error("the connection was lost before COMMIT was sent, so nothing was written ({cause})")]
    LostBeforeCommit { cause: String },
    /// The connection went away after COMMIT was sent and before the
    /// server said whether it committed: it may have. Never guessed.
    #[error(
        "outcome unknown: the connection was lost after COMMIT was sent, so the write may or may not have been made; check with `hostlife show {host}` ({cause})"
    )]
    OutcomeUnknown { host: String, cause: String },
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// This error, told apart by whether the connection was lost and, if
    /// so, whether COMMIT had been sent: `commit_sent` says so for the
    /// transaction that failed, `host` names what to check.
    #[must_use]
    pub fn on_lost_connection(self, commit_sent: bool, host: &str) -> Error {
        let Error::Postgres(pg) = &self else {
            return self;
        };
        if !is_connection_loss(pg) {
            return self;
        }
        let cause = describe_pg(pg);
        if commit_sent {
            Error::OutcomeUnknown {
                host: host.to_owned(),
                cause,
            }
        } else {
            Error::LostBeforeCommit { cause }
        }
    }

    /// Whether redoing the call on a new connection is safe and may work.
    pub fn is_lost_before_commit(&self) -> bool {
        matches!(self, Error::LostBeforeCommit { .. })
    }

    /// Whether the call was refused (as opposed to failing).
    pub fn is_refusal(&self) -> bool {
        matches!(self, Error::Refused(_))
    }

    /// Whether the call gave up after conflicting with concurrent
    /// transactions again and again.
    pub fn is_contended(&self) -> bool {
        matches!(self, Error::Contended { .. })
    }
}

/// Whether `e` means the connection is gone: closed, broken, or ended by
/// the server (shut down, or the backend terminated by an administrator).
pub fn is_connection_loss(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        return code == &SqlState::ADMIN_SHUTDOWN
            || code == &SqlState::CRASH_SHUTDOWN
            || code == &SqlState::CANNOT_CONNECT_NOW
            || code.code().starts_with("08");
    }
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        if c.is::<std::io::Error>() {
            return true;
        }
        cause = c.source();
    }
    false
}

/// PostgreSQL's message with its detail and hint, which are usually what
/// an operator needs.
pub fn describe_pg(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{}: {}", db.severity(), db.message());
            if let Some(detail) = db.detail() {
                let _ = write!(s, " (detail: {detail})");
            }
            if let Some(hint) = db.hint() {
                let _ = write!(s, " (hint: {hint})");
            }
            s
        }
        None => e.to_string(),
    }
}

/// A batch of calls (one transaction for all of them) that failed: nothing
/// of it was written.
#[derive(Debug, thiserror::Error)]
#[error("{}{error}", index.map(|i| format!("call {} of the batch: ", i + 1)).unwrap_or_default())]
pub struct BatchFailure {
    /// The call that failed, when one did (a refusal, or a statement made
    /// for it alone); `None` when the batch as a whole failed.
    pub index: Option<usize>,
    /// Boxed: a refusal is large, and a batch's functions return this as
    /// their error on every path, the successful ones included.
    pub error: Box<Error>,
}

impl BatchFailure {
    /// A failure of the batch as a whole.
    pub fn whole(error: impl Into<Error>) -> BatchFailure {
        BatchFailure {
            index: None,
            error: Box::new(error.into()),
        }
    }

    /// A failure of call `index`.
    pub fn at(index: usize, error: impl Into<Error>) -> BatchFailure {
        BatchFailure {
            index: Some(index),
            error: Box::new(error.into()),
        }
    }
}

/// A failure of the batch as a whole.
impl From<Error> for BatchFailure {
    fn from(error: Error) -> Self {
        BatchFailure::whole(error)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
