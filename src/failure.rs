//! How a command failed, and the exit status and JSON that say so.

use std::process::ExitCode;

use hostlife::db::Error;
use serde_json::json;

/// How a command failed, which decides the exit status.
#[derive(Debug)]
pub enum Failure {
    /// Refused or malformed input: nothing was written. Exit 1.
    Refused {
        message: String,
        detail: serde_json::Value,
    },
    /// No database to talk to. Exit 2.
    Connect(String),
    /// The database failed. Exit 3.
    Failed(String),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Failure::Refused { .. } => 1,
            Failure::Connect(_) => 2,
            Failure::Failed(_) => 3,
        })
    }

    pub fn message(&self) -> &str {
        match self {
            Failure::Refused { message, .. }
            | Failure::Connect(message)
            | Failure::Failed(message) => message,
        }
    }

    /// The failure as a JSON object, for `--json` callers.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Failure::Refused { message, detail } => {
                json!({"error": message, "kind": "refused", "detail": detail})
            }
            Failure::Connect(m) => json!({"error": m, "kind": "connect"}),
            Failure::Failed(m) => json!({"error": m, "kind": "failed"}),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        match e {
            Error::Refused(r) => Failure::Refused {
                message: r.to_string(),
                detail: serde_json::to_value(&r).unwrap_or_default(),
            },
            other => Failure::Failed(other.to_string()),
        }
    }
}
