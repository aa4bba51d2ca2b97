//! Why a request to the database came to nothing, kept typed from the
//! worker to the screen: a refusal is final and wrote nothing, "not
//! connected" will pass by itself, a database error may need an operator.
//! Plain data, so `render` words each case without knowing `db`.

use std::fmt;
use std::time::Duration;

use super::Refusal;

/// A request's failure, as the views show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// hostlife's checks said no before anything was written.
    Refused(Refusal),
    /// The session may not write (a read-only role or `--read-only`):
    /// nothing was written. The text says why.
    ReadOnly(String),
    /// There is no connection to ask on; the worker is reconnecting.
    NotConnected {
        /// Why the last connection attempt failed, when one did.
        cause: Option<String>,
        /// How long until the next attempt, from when this was answered.
        retry_in: Option<Duration>,
    },
    /// The database lacks what hostlife reads (a missing table or column):
    /// retrying will not help until it is upgraded.
    Unusable(String),
    /// The database, or the worker, failed running the request. The text
    /// has PostgreSQL's detail and hint.
    Failed(String),
}

impl Failure {
    /// Whether the request was refused: nothing was written, and asking
    /// again will be refused again.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Failure::Refused(_) | Failure::ReadOnly(_))
    }

    /// Whether the failure passes by itself once the worker reconnects.
    pub fn is_transient(&self) -> bool {
        matches!(self, Failure::NotConnected { .. })
    }
}

/// The message alone, as the status line and the CLI print it.
impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Refused(r) => write!(f, "{r}"),
            Failure::ReadOnly(why) | Failure::Unusable(why) | Failure::Failed(why) => {
                f.write_str(why)
            }
            Failure::NotConnected { cause, retry_in } => {
                f.write_str("not connected")?;
                if let Some(cause) = cause {
                    write!(f, " ({cause})")?;
                }
                if let Some(retry_in) = retry_in {
                    // Rounded up: "in 0 s" would read as "now".
                    write!(f, "; retrying in {} s", retry_in.as_secs() + 1)?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_each_case() {
        let refused = Failure::Refused(Refusal::FlightUnknown(7));
        assert_eq!(refused.to_string(), "flight 7 does not exist");
        assert!(refused.is_refusal() && !refused.is_transient());
        let down = Failure::NotConnected {
            cause: Some("connection refused".into()),
            retry_in: Some(Duration::from_millis(1500)),
        };
        assert_eq!(
            down.to_string(),
            "not connected (connection refused); retrying in 2 s"
        );
        assert!(down.is_transient() && !down.is_refusal());
        let bare = Failure::NotConnected {
            cause: None,
            retry_in: None,
        };
        assert_eq!(bare.to_string(), "not connected");
        assert!(!Failure::Failed("x".into()).is_refusal());
    }
}
