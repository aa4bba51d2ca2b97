//! Opening a connection as libpq does: each host in turn, TLS as
//! `sslmode` says, and `connect_timeout` bounding the whole startup.
//!
//! The connection library's own timeout covers only the TCP connect, so a
//! server that accepts and then never answers would hang the caller. Here
//! the deadline covers TCP, TLS and authentication, per host as in libpq.
//! The blocking client cannot be interrupted from outside, so it connects
//! on a short-lived thread that is waited for with the deadline; a thread
//! still stuck past it ends with its socket when the peer goes away (the
//! keepalives find that out), and its result, if any, is dropped.

use std::fmt::{self, Write as _};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use postgres::error::SqlState;
use postgres_openssl::MakeTlsConnector;
use tokio_postgres::config::SslMode as WireSslMode;

use super::tls::make_connector;
use super::{Endpoint, SslMode, Target, TlsSettings};
use crate::db::PgConfig;
use crate::db::pipelined::Pipelined;

/// Everything needed to open a connection. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Connector {
    /// The settings without hosts when `targets` lists them, else the
    /// whole configuration (hosts included) as one attempt.
    base: PgConfig,
    targets: Vec<Target>,
    tls: TlsSettings,
    timeout: Option<Duration>,
}

/// Why one host could not be connected to.
#[derive(Debug)]
pub enum Cause {
    Pg(postgres::Error),
    TimedOut(Duration),
    Tls(String),
    Thread(std::io::Error),
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Pg(e) => f.write_str(&crate::db::error::describe_pg(e)),
            Cause::TimedOut(t) => write!(
                f,
                "timeout expired: no answer within connect_timeout ({} s)",
                t.as_secs()
            ),
            Cause::Tls(why) => write!(f, "TLS: {why}"),
            Cause::Thread(e) => write!(f, "cannot start the connecting thread: {e}"),
        }
    }
}

/// Every host tried, in order, with why it failed.
#[derive(Debug)]
pub struct DialError {
    pub attempts: Vec<(Option<Target>, Cause)>,
}

impl DialError {
    /// The last PostgreSQL error, for callers that look at SQLSTATE or
    /// the server's detail.
    pub fn pg(&self) -> Option<&postgres::Error> {
        self.attempts.iter().rev().find_map(|(_, c)| match c {
            Cause::Pg(e) => Some(e),
            _ => None,
        })
    }
}

impl fmt::Display for DialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let many = self.attempts.len() > 1;
        for (i, (target, cause)) in self.attempts.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            match target {
                Some(t) if many => write!(f, "{t}: {cause}")?,
                _ => write!(f, "{cause}")?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for DialError {}

impl Connector {
    /// `base` carries every setting but the hosts; each target is tried
    /// with it in turn.
    pub(super) fn new(
        base: PgConfig,
        targets: Vec<Target>,
        tls: TlsSettings,
        timeout: Option<Duration>,
    ) -> Self {
        Connector {
            base,
            targets,
            tls,
            timeout,
        }
    }

    /// A configuration used as it is, without TLS: the local throwaway
    /// servers of the demo and the tests.
    pub fn plain(config: PgConfig) -> Self {
        let timeout = config.get_connect_timeout().copied();
        Connector {
            base: config,
            targets: Vec::new(),
            tls: TlsSettings::disabled(),
            timeout,
        }
    }

    /// The startup deadline per host, if any.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The same, with a startup deadline where none was set.
    #[must_use]
    pub fn with_default_timeout(mut self, timeout: Duration) -> Self {
        self.timeout.get_or_insert(timeout);
        self
    }

    /// The same, with a session setting applied at startup (`-c name=value`
    /// in the startup options, so it holds before the first statement).
    #[must_use]
    pub fn with_session_setting(mut self, name: &str, value: &str) -> Self {
        let mut options = self.base.get_options().unwrap_or_default().to_string();
        if !options.is_empty() {
            options.push(' ');
        }
        let _ = write!(options, "-c {name}={value}");
        self.base.options(&options);
        self
    }

    /// Where writes should go, when that is not where reads go: with
    /// `target_session_attrs=read-only` (reads from a standby), the same
    /// hosts asked for one that accepts writes, so the primary takes the
    /// writes whichever host the reads found. `None` when reads and writes
    /// may share a connection.
    pub fn for_writes(&self) -> Option<Connector> {
        use tokio_postgres::config::TargetSessionAttrs;
        match self.base.get_target_session_attrs() {
            TargetSessionAttrs::ReadOnly => {
                let mut writes = self.clone();
                writes
                    .base
                    .target_session_attrs(TargetSessionAttrs::ReadWrite);
                Some(writes)
            }
            _ => None,
        }
    }

    /// A blocking client.
    pub fn blocking(&self) -> Result<postgres::Client, DialError> {
        self.dial(blocking_once)
    }

    /// A pipelined client, for the recorder.
    pub fn pipelined(&self) -> Result<Pipelined, DialError> {
        self.dial(|config, tls, timeout| {
            Pipelined::open(&config, tls, timeout).map_err(|e| match e {
                crate::db::pipelined::OpenError::Pg(e) => Cause::Pg(e),
                crate::db::pipelined::OpenError::TimedOut(t) => Cause::TimedOut(t),
            })
        })
    }

    /// Send a cancel request packet for `token`'s session, over TLS when
    /// that session's connection used it. True when it was sent.
    pub fn cancel_packet(&self, token: &postgres::CancelToken) -> bool {
        // A connector given to a session that did not use TLS goes
        // unused: the token remembers how its connection was made.
        match make_connector(&self.tls) {
            Ok(tls) => token.cancel_query(tls),
            Err(_) => token.cancel_query(postgres::NoTls),
        }
        .is_ok()
    }

    /// Each host in turn, as libpq; under `sslmode=allow` a host that
    /// refuses plaintext is asked again over TLS.
    fn dial<C>(
        &self,
        once: impl Fn(PgConfig, Option<MakeTlsConnector>, Option<Duration>) -> Result<C, Cause>,
    ) -> Result<C, DialError> {
        let mut attempts = Vec::new();
        let plans: Vec<(Option<&Target>, PgConfig)> = if self.targets.is_empty() {
            vec![(None, self.base.clone())]
        } else {
            self.targets
                .iter()
                .map(|t| {
                    let mut config = self.base.clone();
                    match &t.endpoint {
                        Endpoint::Socket(dir) => config.host_path(dir),
                        Endpoint::Tcp(host) => config.host(host),
                    };
                    config.port(t.port);
                    (Some(t), config)
                })
                .collect()
        };
        for (target, mut config) in plans {
            // libpq never uses TLS over a local socket.
            let local = target.is_none_or(|t| matches!(t.endpoint, Endpoint::Socket(_)));
            let modes: &[WireSslMode] = match self.tls.mode {
                _ if local => &[WireSslMode::Disable],
                SslMode::Disable => &[WireSslMode::Disable],
                SslMode::Allow => &[WireSslMode::Disable, WireSslMode::Require],
                SslMode::Prefer => &[WireSslMode::Prefer],
                SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                    &[WireSslMode::Require]
                }
            };
            for (i, &mode) in modes.iter().enumerate() {
                config.ssl_mode(mode);
                let tls = if mode == WireSslMode::Disable {
                    None
                } else {
                    match make_connector(&self.tls) {
                        Ok(tls) => Some(tls),
                        Err(why) => {
                            attempts.push((target.cloned(), Cause::Tls(why)));
                            break;
                        }
                    }
                };
                match once(config.clone(), tls, self.timeout) {
                    Ok(client) => return Ok(client),
                    Err(cause) => {
                        let refused_plaintext = matches!(&cause, Cause::Pg(e)
                            if e.code() == Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION));
                        let last = i + 1 == modes.len();
                        if last || !refused_plaintext {
                            attempts.push((target.cloned(), cause));
                            break;
                        }
                    }
                }
            }
        }
        Err(DialError { attempts })
    }
}

fn blocking_once(
    config: PgConfig,
    tls: Option<MakeTlsConnector>,
    timeout: Option<Duration>,
) -> Result<postgres::Client, Cause> {
    let connect = move || {
        let config = postgres::Config::from(config);
        match tls {
            Some(tls) => config.connect(tls),
            None => config.connect(postgres::NoTls),
        }
        .map_err(Cause::Pg)
    };
    let Some(timeout) = timeout else {
        return connect();
    };
    let (tx, rx) = mpsc::sync_channel(1);
    thread::Builder::new()
        .name("hostlife-connect".into())
        .spawn(move || {
            // Nobody waits any more once the deadline has passed: the
            // client, if it ever comes, is dropped and disconnects.
            let _ = tx.send(connect());
        })
        .map_err(Cause::Thread)?;
    match rx.recv_timeout(timeout) {
        Ok(result) => result,
        Err(RecvTimeoutError::Timeout) => Err(Cause::TimedOut(timeout)),
        Err(RecvTimeoutError::Disconnected) => Err(Cause::Thread(std::io::Error::other(
            "the connecting thread ended without an answer",
        ))),
    }
}
