//! Why a connection failed, in words an operator can act on.

use std::fmt::Write as _;
use std::io;

use super::{Cause, ConnectError, DialError, Endpoint, PasswordSource, Resolved, Target};

pub(super) fn connect_error(e: &DialError, resolved: &Resolved) -> ConnectError {
    ConnectError::Connect {
        target: resolved.to_string(),
        reason: dial_reason(e, resolved),
    }
}

/// Each host tried and why it failed, one clause per host when there
/// were several; the server's detail and hint included.
pub(super) fn dial_reason(e: &DialError, resolved: &Resolved) -> String {
    let many = e.attempts.len() > 1;
    let mut out = String::new();
    for (i, (target, cause)) in e.attempts.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        if let (true, Some(t)) = (many, target) {
            let _ = write!(out, "{t}: ");
        }
        match cause {
            Cause::Pg(pg) => {
                out.push_str(&failure_reason(pg, resolved));
                if let Some(db) = pg.as_db_error() {
                    if let Some(detail) = db.detail() {
                        let _ = write!(out, " (detail: {detail})");
                    }
                    if let Some(hint) = db.hint() {
                        let _ = write!(out, " (hint: {hint})");
                    }
                }
            }
            other => {
                let _ = write!(out, "{other}");
            }
        }
    }
    if out.is_empty() {
        out.push_str("no host to connect to");
    }
    redact(out.replace(['\n', '\r'], " "), resolved)
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
    redact(reason.replace(['\n', '\r'], " "), resolved)
}

/// Belt and braces: nothing we call should echo the password, but the
/// message may come from a server we do not control. Only whole words
/// are masked, so a short password does not eat letters out of
/// unrelated words.
pub(super) fn redact(text: String, resolved: &Resolved) -> String {
    let Some(pw) = resolved
        .config
        .get_password()
        .and_then(|pw| std::str::from_utf8(pw).ok())
        .filter(|pw| !pw.is_empty())
    else {
        return text;
    };
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find(pw) {
        let before = rest[..at].chars().next_back().or(out.chars().next_back());
        let after = rest[at + pw.len()..].chars().next();
        out.push_str(&rest[..at]);
        if word(before) || word(after) {
            out.push_str(pw);
        } else {
            out.push_str("********");
        }
        rest = &rest[at + pw.len()..];
    }
    out.push_str(rest);
    out
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
