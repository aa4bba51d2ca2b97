//! The libpq connection parameters hostlife understands, their values
//! and where each came from.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{ConnectError, DEFAULT_PORT};

/// A libpq connection parameter we understand.
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
    Options,
}

impl Key {
    pub(super) const ALL: [Key; 11] = [
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
        Key::Options,
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
            Key::Options => "options",
        }
    }

    pub(super) fn env_var(self) -> &'static str {
        match self {
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
            Key::Options => "PGOPTIONS",
        }
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

pub(super) fn check_sslmode(setting: &Setting) -> Result<(), ConnectError> {
    match setting.value.as_str() {
        "disable" | "allow" | "prefer" => Ok(()),
        "require" | "verify-ca" | "verify-full" => Err(ConnectError::UnsupportedSslMode {
            origin: setting.origin.clone(),
            mode: setting.value.clone(),
        }),
        _ => Err(ConnectError::BadValue {
            origin: setting.origin.clone(),
            key: "sslmode",
            value: setting.value.clone(),
            problem: "expected disable, allow, prefer, require, verify-ca or verify-full".into(),
        }),
    }
}
