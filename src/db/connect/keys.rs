//! The libpq connection parameters hostlife understands, their values
//! and where each came from.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio_postgres::config::TargetSessionAttrs;

use super::{ConnectError, DEFAULT_PORT, SslMode};

/// A libpq connection parameter we understand.
#[allow(
    clippy::enum_variant_names,
    reason = "named after libpq's sslkey, beside sslcert and sslrootcert"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Key {
    Host,
    HostAddr,
    Port,
    DbName,
    User,
    Password,
    ApplicationName,
    ConnectTimeout,
    PassFile,
    SslMode,
    SslRootCert,
    SslCert,
    SslKey,
    Options,
    Service,
    Keepalives,
    KeepalivesIdle,
    KeepalivesInterval,
    KeepalivesCount,
    TargetSessionAttrs,
}

impl Key {
    pub(super) const ALL: [Key; 20] = [
        Key::Host,
        Key::HostAddr,
        Key::Port,
        Key::DbName,
        Key::User,
        Key::Password,
        Key::ApplicationName,
        Key::ConnectTimeout,
        Key::PassFile,
        Key::SslMode,
        Key::SslRootCert,
        Key::SslCert,
        Key::SslKey,
        Key::Options,
        Key::Service,
        Key::Keepalives,
        Key::KeepalivesIdle,
        Key::KeepalivesInterval,
        Key::KeepalivesCount,
        Key::TargetSessionAttrs,
    ];

    pub(super) fn name(self) -> &'static str {
        match self {
            Key::Host => "host",
            Key::HostAddr => "hostaddr",
            Key::Port => "port",
            Key::DbName => "dbname",
            Key::User => "user",
            Key::Password => "password",
            Key::ApplicationName => "application_name",
            Key::ConnectTimeout => "connect_timeout",
            Key::PassFile => "passfile",
            Key::SslMode => "sslmode",
            Key::SslRootCert => "sslrootcert",
            Key::SslCert => "sslcert",
            Key::SslKey => "sslkey",
            Key::Options => "options",
            Key::Service => "service",
            Key::Keepalives => "keepalives",
            Key::KeepalivesIdle => "keepalives_idle",
            Key::KeepalivesInterval => "keepalives_interval",
            Key::KeepalivesCount => "keepalives_count",
            Key::TargetSessionAttrs => "target_session_attrs",
        }
    }

    /// The `PG*` variable libpq reads for this key; the keepalive
    /// settings have none in libpq either.
    pub(super) fn env_var(self) -> Option<&'static str> {
        Some(match self {
            Key::Host => "PGHOST",
            Key::HostAddr => "PGHOSTADDR",
            Key::Port => "PGPORT",
            Key::DbName => "PGDATABASE",
            Key::User => "PGUSER",
            Key::Password => "PGPASSWORD",
            Key::ApplicationName => "PGAPPNAME",
            Key::ConnectTimeout => "PGCONNECT_TIMEOUT",
            Key::PassFile => "PGPASSFILE",
            Key::SslMode => "PGSSLMODE",
            Key::SslRootCert => "PGSSLROOTCERT",
            Key::SslCert => "PGSSLCERT",
            Key::SslKey => "PGSSLKEY",
            Key::Options => "PGOPTIONS",
            Key::Service => "PGSERVICE",
            Key::TargetSessionAttrs => "PGTARGETSESSIONATTRS",
            Key::Keepalives
            | Key::KeepalivesIdle
            | Key::KeepalivesInterval
            | Key::KeepalivesCount => return None,
        })
    }

    pub(super) fn from_name(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A value plus the setting it came from, so a bad value can be traced to
/// the flag, variable or config line that needs fixing.
#[derive(Debug, Clone)]
pub(super) struct Setting {
    pub(super) value: String,
    pub(super) origin: String,
}

/// Parsed settings in the order written; later duplicates win on merge.
pub(super) type Conninfo = Vec<(Key, Setting)>;

#[derive(Debug, Default)]
pub(super) struct Params(pub(super) BTreeMap<Key, Setting>);

impl Params {
    pub(super) fn get(&self, key: Key) -> Option<&Setting> {
        self.0.get(&key)
    }

    /// Like libpq, an empty value means "use the default".
    pub(super) fn nonempty(&self, key: Key) -> Option<&Setting> {
        self.get(key).filter(|s| !s.value.is_empty())
    }
}

pub(super) fn parse_port(text: &str, setting: &Setting) -> Result<u16, ConnectError> {
    if text.is_empty() {
        return Ok(DEFAULT_PORT);
    }
    match text.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(ConnectError::BadValue {
            origin: setting.origin.clone(),
            key: "port",
            value: setting.value.clone(),
            problem: "not a port number (1-65535)".into(),
        }),
    }
}

/// libpq's rules: zero or negative waits forever, and anything under two
/// seconds is raised to two so a slow DNS answer does not fail at once.
pub(super) fn parse_connect_timeout(setting: &Setting) -> Result<Option<Duration>, ConnectError> {
    let secs: i64 = setting
        .value
        .trim()
        .parse()
        .map_err(|_| ConnectError::BadValue {
            origin: setting.origin.clone(),
            key: "connect_timeout",
            value: setting.value.clone(),
            problem: "not a whole number of seconds".into(),
        })?;
    Ok(match secs {
        i64::MIN..=0 => None,
        1 => Some(Duration::from_secs(2)),
        n => Some(Duration::from_secs(n.unsigned_abs())),
    })
}

pub(super) fn parse_sslmode(setting: &Setting) -> Result<SslMode, ConnectError> {
    Ok(match setting.value.as_str() {
        "disable" => SslMode::Disable,
        "allow" => SslMode::Allow,
        "prefer" => SslMode::Prefer,
        "require" => SslMode::Require,
        "verify-ca" => SslMode::VerifyCa,
        "verify-full" => SslMode::VerifyFull,
        _ => {
            return Err(bad_value(
                setting,
                "sslmode",
                "expected disable, allow, prefer, require, verify-ca or verify-full",
            ));
        }
    })
}

/// libpq reads `keepalives` as an integer: zero turns them off.
pub(super) fn parse_keepalives(setting: &Setting) -> Result<bool, ConnectError> {
    match setting.value.trim().parse::<i64>() {
        Ok(n) => Ok(n != 0),
        Err(_) => Err(bad_value(setting, "keepalives", "expected 0 or 1")),
    }
}

/// A keepalive interval in whole seconds; zero means the system default,
/// as in libpq.
pub(super) fn parse_keepalive_secs(
    setting: &Setting,
    key: &'static str,
) -> Result<Option<Duration>, ConnectError> {
    match setting.value.trim().parse::<u32>() {
        Ok(0) => Ok(None),
        Ok(n) => Ok(Some(Duration::from_secs(u64::from(n)))),
        Err(_) => Err(bad_value(setting, key, "not a whole number of seconds")),
    }
}

pub(super) fn parse_keepalives_count(setting: &Setting) -> Result<Option<u32>, ConnectError> {
    match setting.value.trim().parse::<u32>() {
        Ok(0) => Ok(None),
        Ok(n) => Ok(Some(n)),
        Err(_) => Err(bad_value(setting, "keepalives_count", "not a whole number")),
    }
}

/// The session kinds the connection library can check for. libpq's
/// `primary`, `standby` and `prefer-standby` ask whether the server is
/// in recovery, which it cannot; they are refused rather than
/// approximated.
pub(super) fn parse_target_session_attrs(
    setting: &Setting,
) -> Result<TargetSessionAttrs, ConnectError> {
    match setting.value.as_str() {
        "any" => Ok(TargetSessionAttrs::Any),
        "read-write" => Ok(TargetSessionAttrs::ReadWrite),
        "read-only" => Ok(TargetSessionAttrs::ReadOnly),
        "primary" | "standby" | "prefer-standby" => Err(bad_value(
            setting,
            "target_session_attrs",
            "not supported by hostlife (use any, read-write or read-only)",
        )),
        _ => Err(bad_value(
            setting,
            "target_session_attrs",
            "expected any, read-write or read-only",
        )),
    }
}

fn bad_value(setting: &Setting, key: &'static str, problem: &str) -> ConnectError {
    ConnectError::BadValue {
        origin: setting.origin.clone(),
        key,
        value: setting.value.clone(),
        problem: problem.into(),
    }
}
