//! Why a connection failed, in words an operator can act on.

use std::fmt::Write as _;
use std::io;

use super::{ConnectError, Endpoint, PasswordSource, Resolved, Target};

pub(super) fn connect_error(e: &postgres::Error, resolved: &Resolved) -> ConnectError {
    ConnectError::Connect {
        target: resolved.to_string(),
        reason: failure_reason(e, resolved),
    }
}

pub(super) fn failure_reason(e: &postgres::Error, resolved: &Resolved) -> String {
    let mut reason = if let Some(db) = e.as_db_error() {
        format!("{}: {}", db.severity(), db.message())
    } else {
        let mut text = e.to_string();
        let mut cause = std::error::Error::source(e);
        while let Some(c) = cause {
            text.push_str(": ");
            text.push_str(&c.to_string());
            cause = c.source();
        }
        text
    };
    // The crate's own wording ("invalid configuration: password missing")
    // does not tell the operator where we looked.
    if resolved.spec.password == PasswordSource::None && reason.contains("password missing") {
        reason = match &resolved.spec.passfile {
            Some(path) => format!(
                "the server wants a password and none was given \
                 (set PGPASSWORD or add a line to {})",
                path.display()
            ),
            None => "the server wants a password and none was given (set PGPASSWORD)".into(),
        };
    }
    // "No such file or directory" alone does not say which file: name the
    // socket so the operator can compare it with what psql uses.
    if let [
        Target {
            endpoint: Endpoint::Socket(dir),
            port,
        },
    ] = resolved.spec.targets.as_slice()
        && error_chain_has_not_found(e)
    {
        let socket = dir.join(format!(".s.PGSQL.{port}"));
        let _ = write!(reason, " (no server socket {})", socket.display());
    }
    let mut reason = reason.replace(['\n', '\r'], " ");
    // Belt and braces: nothing we call should echo the password, but the
    // message may come from a server we do not control.
    if let Some(pw) = resolved.config.get_password()
        && let Ok(pw) = std::str::from_utf8(pw)
        && !pw.is_empty()
    {
        reason = reason.replace(pw, "********");
    }
    reason
}

pub(super) fn error_chain_has_not_found(e: &postgres::Error) -> bool {
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        if c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::NotFound)
        {
            return true;
        }
        cause = c.source();
    }
    false
}
