//! How a command failed, and the exit status and JSON that say so.

use std::process::ExitCode;

use hostlife::db::Error;
use serde_json::json;

/// How a command failed, which decides the exit status.
#[derive(Debug)]
pub enum CommandError {
    /// Refused or malformed input: nothing was written. Exit 1.
    Refused {
        message: String,
        detail: serde_json::Value,
    },
    /// No database to talk to. Exit 2.
    Connect(String),
    /// The database failed. Exit 3.
    Failed(String),
    /// A command line that does not parse: exit 64, `EX_USAGE` of
    /// sysexits.h, so it is never mistaken for one of the above.
    Usage(String),
    /// Whoever read our output stopped reading (`hostlife ... | head`):
    /// not a failure, nothing more to say. Exit 0, quietly.
    OutputClosed,
}

/// The exit statuses, in one place: README "Exit status" documents them
/// and `tests/cli.rs` checks each.
pub const EXIT_REFUSED: u8 = 1;
pub const EXIT_CONNECT: u8 = 2;
pub const EXIT_FAILED: u8 = 3;
pub const EXIT_USAGE: u8 = 64;

impl CommandError {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            CommandError::Refused { .. } => EXIT_REFUSED,
            CommandError::Connect(_) => EXIT_CONNECT,
            CommandError::Failed(_) => EXIT_FAILED,
            CommandError::Usage(_) => EXIT_USAGE,
            CommandError::OutputClosed => 0,
        })
    }

    pub fn message(&self) -> &str {
        match self {
            CommandError::Refused { message, .. }
            | CommandError::Connect(message)
            | CommandError::Failed(message)
            | CommandError::Usage(message) => message,
            CommandError::OutputClosed => "the output was closed",
        }
    }

    /// The failure as a JSON object, for `--json` callers.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            CommandError::Refused { message, detail } => {
                json!({"error": message, "kind": "refused", "detail": detail})
            }
            CommandError::Connect(m) => json!({"error": m, "kind": "connect"}),
            CommandError::Failed(m) => json!({"error": m, "kind": "failed"}),
            CommandError::Usage(m) => json!({"error": m.trim_end(), "kind": "usage"}),
            CommandError::OutputClosed => {
                json!({"error": "the output was closed", "kind": "closed"})
            }
        }
    }
}

impl From<Error> for CommandError {
    fn from(e: Error) -> CommandError {
        match e {
            Error::Refused(r) => CommandError::Refused {
                message: r.to_string(),
                detail: serde_json::to_value(&r).unwrap_or_default(),
            },
            // Nothing was written and the server is out of reach: the
            // same as failing to connect.
            lost @ Error::LostBeforeCommit { .. } => CommandError::Connect(lost.to_string()),
            other => CommandError::Failed(other.to_string()),
        }
    }
}
