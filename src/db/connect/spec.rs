//! What resolution finds: where to connect, where each setting came
//! from, and what went wrong.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Connector;
use crate::db::PgConfig;

/// Where the connection settings came from, so messages can tell the
/// operator what to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    HostlifeDb,
    Environment,
    OsstestConfig,
    Defaults,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Flag => "--db",
            Source::HostlifeDb => "HOSTLIFE_DB",
            Source::Environment => "PG* environment variables",
            Source::OsstestConfig => "osstest config",
            Source::Defaults => "libpq defaults",
        })
    }
}

/// One place to try, kept apart from the port so a socket directory is
/// never mistaken for a host name in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A directory holding `.s.PGSQL.<port>`.
    Socket(PathBuf),
    Tcp(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub endpoint: Endpoint,
    pub port: u16,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.endpoint {
            Endpoint::Socket(dir) => write!(f, "socket {}", dir.display())?,
            Endpoint::Tcp(host) => write!(f, "host {host}")?,
        }
        write!(f, " port {}", self.port)
    }
}

/// Where the password came from, never the password itself, so a
/// failed login can be traced without leaking it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    None,
    /// Spelled out; `origin` names the setting (`--db`, `PGPASSWORD`, ...).
    Given {
        origin: String,
    },
    PassFile(PathBuf),
}

/// libpq's `sslmode`: how hard to insist on TLS, and what to check of
/// the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// Plaintext first; TLS only if the server refuses plaintext.
    Allow,
    /// TLS when the server offers it: libpq's default.
    Prefer,
    /// TLS or nothing; the certificate is checked only when a root
    /// certificate is there to check it against.
    Require,
    /// TLS with a certificate signed by a trusted authority.
    VerifyCa,
    /// As [`SslMode::VerifyCa`], and the certificate names the host.
    VerifyFull,
}

impl SslMode {
    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// Whether the server's certificate must check out whatever files
    /// there are.
    pub fn verifies(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

/// The authorities a server certificate is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCert {
    /// A PEM file; checked only if it exists, unless the mode verifies.
    File { path: PathBuf, explicit: bool },
    /// `sslrootcert=system`: the operating system's trusted authorities.
    System,
}

/// The TLS part of a connection, as libpq's `ssl*` settings give it. The
/// files are looked at when connecting, not when resolving, so a
/// certificate renewed in place is picked up by the next connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub mode: SslMode,
    /// `sslrootcert`, else `~/.postgresql/root.crt`.
    pub root_cert: Option<RootCert>,
    /// `sslcert`, else `~/.postgresql/postgresql.crt`: sent if it exists.
    pub cert: Option<PathBuf>,
    /// `sslkey`, else `~/.postgresql/postgresql.key`.
    pub key: Option<PathBuf>,
}

impl TlsSettings {
    /// No TLS at all: for servers reached through a local socket.
    pub fn disabled() -> Self {
        TlsSettings {
            mode: SslMode::Disable,
            root_cert: None,
            cert: None,
            key: None,
        }
    }
}

/// The service-file group the settings came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRef {
    pub name: String,
    pub file: PathBuf,
}

/// What was resolved, in terms an operator can check against psql.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectSpec {
    /// Tried in order, like a libpq host list.
    pub targets: Vec<Target>,
    pub user: String,
    pub dbname: String,
    pub application_name: String,
    pub connect_timeout: Option<Duration>,
    pub source: Source,
    /// The osstest config file, when `source` is [`Source::OsstestConfig`].
    pub config_file: Option<PathBuf>,
    pub password: PasswordSource,
    /// The password file that was (or would have been) consulted.
    pub passfile: Option<PathBuf>,
    pub tls: TlsSettings,
    /// The service the settings were read from, if any.
    pub service: Option<ServiceRef>,
}

impl fmt::Display for ConnectSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, target) in self.targets.iter().enumerate() {
            if i > 0 {
                f.write_str(" or ")?;
            }
            write!(f, "{target}")?;
        }
        write!(
            f,
            ", database \"{}\" as user \"{}\"",
            self.dbname, self.user
        )
    }
}

/// A ready-to-use configuration plus what to tell the operator about it.
///
/// `Display` describes where we connect and why, without the password;
/// `Debug` is also safe because [`PgConfig`] redacts it.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Every setting, all hosts included, without TLS.
    pub config: PgConfig,
    /// How to open a connection: host by host, with TLS and the startup
    /// deadline.
    pub connector: Connector,
    pub spec: ConnectSpec,
    /// Problems that did not stop resolution (an unsafe password file, an
    /// unreadable osstest config). Returned rather than printed so the TUI
    /// can show them where it likes.
    pub warnings: Vec<String>,
}

impl Resolved {
    /// The same, with every session read-only (`default_transaction_read_only`
    /// set at startup), so the server refuses any write whatever path it
    /// came by.
    #[must_use]
    pub fn read_only_session(mut self) -> Self {
        self.connector = self
            .connector
            .with_session_setting("default_transaction_read_only", "on");
        self
    }

    /// The same, for a command that writes: when the settings aim reads
    /// at a standby (`target_session_attrs=read-only`), the same hosts
    /// asked for one that accepts writes (see [`Connector::for_writes`]).
    #[must_use]
    pub fn for_writes(mut self) -> Self {
        if let Some(writes) = self.connector.for_writes() {
            self.connector = writes;
        }
        self
    }
}

impl fmt::Display for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (from {}", self.spec, self.spec.source)?;
        if let Some(path) = &self.spec.config_file {
            write!(f, " {}", path.display())?;
        }
        if let Some(service) = &self.spec.service {
            write!(
                f,
                ", service \"{}\" in {}",
                service.name,
                service.file.display()
            )?;
        }
        f.write_str(")")
    }
}

/// Why no connection could be set up or made. No variant ever carries the
/// password: parse errors point at positions rather than quoting text that
/// might be part of one.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{origin}: invalid connection string at character {position}: {problem}")]
    BadConninfo {
        origin: String,
        position: usize,
        problem: String,
    },
    #[error("{origin}: unknown connection option \"{key}\"")]
    UnknownKey { origin: String, key: String },
    #[error("{origin}: invalid {key} \"{value}\": {problem}")]
    BadValue {
        origin: String,
        key: &'static str,
        value: String,
        problem: String,
    },
    #[error("{origin}: invalid URL: {problem}")]
    BadUrl { origin: String, problem: String },
    #[error("{origin}: {problem}")]
    BadServiceFile { origin: String, problem: String },
    #[error("{origin}: definition of service \"{name}\" not found (looked in {looked})")]
    ServiceNotFound {
        origin: String,
        name: String,
        looked: String,
    },
    #[error("cannot determine the OS user name; set PGUSER or give user= in --db")]
    NoUser,
    #[error("cannot connect to PostgreSQL at {target}: {reason}")]
    Connect { target: String, reason: String },
}

/// A file's text and permission bits, read in one go so the permission
/// check applies to the file actually read.
#[derive(Debug, Clone)]
pub struct FileText {
    pub text: String,
    pub mode: u32,
}

/// The process-facing half of resolution, as plain function references so
/// tests can fake any part of the machine.
pub struct Resolver<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub home: Option<&'a Path>,
    pub read_file: &'a dyn Fn(&Path) -> io::Result<FileText>,
    /// Whether a server socket file exists at this path.
    pub socket_exists: &'a dyn Fn(&Path) -> bool,
    pub os_user: &'a dyn Fn() -> Option<String>,
}
