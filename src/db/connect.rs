//! Finding the osstest database the way psql would.
//!
//! Operators already have psql working, so hostlife must connect wherever
//! psql does without any configuration of its own. The `postgres` crate
//! reads no environment and rejects libpq-only keys, so this module does
//! libpq's resolution itself and hands the crate a finished
//! [`super::Config`].
//!
//! # Resolution order
//!
//! 1. The `--db` flag, if given: a libpq `key=value` string, a
//!    `postgres://` / `postgresql://` URL, or (as with `psql -d`) a bare
//!    database name.
//! 2. Otherwise `HOSTLIFE_DB`, in the same syntax.
//! 3. Otherwise nothing explicit: the libpq variables (`PGHOST`, `PGPORT`,
//!    `PGUSER`, `PGDATABASE`, ...) describe the connection.
//! 4. If none of (1), (2), `PGHOST`, `PGHOSTADDR`, `PGPORT`, `PGUSER` or
//!    `PGDATABASE` is set, the osstest configuration (`$OSSTEST_CONFIG`,
//!    else `~/.xen-osstest/config`) is consulted for its
//!    `ExecutiveDbname_osstestdb` entry, so a machine set up for osstest
//!    itself needs nothing else.
//! 5. Whatever is still missing comes from libpq's defaults: the Unix
//!    socket in `/var/run/postgresql` (or `/tmp`, if only that has one),
//!    port 5432, the OS user name, and a database named after the user.
//!
//! As in libpq, keys spelled out in (1), (2) or (4) win and the `PG*`
//! variables only fill the gaps. A missing password is looked up in the
//! password file (`passfile`, `PGPASSFILE`, else `~/.pgpass`), and the
//! application name defaults to `hostlife` so DBAs can tell us apart in
//! `pg_stat_activity`.
//!
//! Everything that touches the process (environment, home directory,
//! files, socket probing, the OS user) goes through [`Resolver`], so tests
//! can describe a whole machine without touching the real one.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use postgres::Client;
use postgres::config::SslMode;

use super::pipelined::Pipelined;
use super::{Config, connect_blocking};

const DEFAULT_PORT: u16 = 5432;
/// libpq's compiled-in socket directory on Debian first, then the upstream
/// default, because a locally built server may have put its socket there.
const SOCKET_DIRS: [&str; 2] = ["/var/run/postgresql", "/tmp"];
const DEFAULT_APPLICATION_NAME: &str = "hostlife";
const OSSTEST_DB_KEY: &str = "ExecutiveDbname_osstestdb";
/// The variables that, like in libpq, say *where* to connect. Any of them
/// being set means the operator chose a database, so the osstest config
/// must not override that choice.
const LOCATION_VARS: [&str; 5] = ["PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGDATABASE"];

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
/// `Debug` is also safe because [`Config`] redacts it.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub config: Config,
    pub spec: ConnectSpec,
    /// Problems that did not stop resolution (an unsafe password file, an
    /// unreadable osstest config). Returned rather than printed so the TUI
    /// can show them where it likes.
    pub warnings: Vec<String>,
}

impl fmt::Display for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (from {}", self.spec, self.spec.source)?;
        if let Some(path) = &self.spec.config_file {
            write!(f, " {}", path.display())?;
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
    #[error(
        "{origin}: sslmode={mode} is not supported: hostlife connects without TLS \
         (use sslmode=disable, allow or prefer)"
    )]
    UnsupportedSslMode { origin: String, mode: String },
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

/// Resolves with the real filesystem and OS user but the given environment
/// and home directory.
pub fn resolve(
    flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<Resolved, ConnectError> {
    Resolver::new(env, home).resolve(flag)
}

/// Resolves as the running process sees the world.
pub fn resolve_from_process(flag: Option<&str>) -> Result<Resolved, ConnectError> {
    let env = |name: &str| std::env::var(name).ok();
    // libpq falls back to the passwd entry when HOME is unset (e.g. under
    // some cron setups), so do the same.
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::geteuid())
                .ok()
                .flatten()
                .map(|u| u.dir)
        });
    resolve(flag, &env, home.as_deref())
}

/// Connects without TLS and turns any failure into one line naming the
/// target and the reason, so the operator can compare it with psql.
pub fn connect(resolved: &Resolved) -> Result<Client, ConnectError> {
    connect_blocking(&resolved.config).map_err(|e| connect_error(&e, resolved))
}

/// As [`connect`], for the recorder's pipelined connection.
pub fn connect_pipelined(resolved: &Resolved) -> Result<Pipelined, ConnectError> {
    Pipelined::connect(&resolved.config).map_err(|e| connect_error(&e, resolved))
}

fn connect_error(e: &postgres::Error, resolved: &Resolved) -> ConnectError {
    ConnectError::Connect {
        target: resolved.to_string(),
        reason: failure_reason(e, resolved),
    }
}

fn failure_reason(e: &postgres::Error, resolved: &Resolved) -> String {
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
        reason.push_str(&format!(" (no server socket {})", socket.display()));
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

fn error_chain_has_not_found(e: &postgres::Error) -> bool {
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

fn real_read_file(path: &Path) -> io::Result<FileText> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;

    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a plain file",
        ));
    }
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(FileText {
        text,
        mode: meta.permissions().mode(),
    })
}

fn real_socket_exists(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

fn real_os_user() -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .ok()
        .flatten()
        .map(|u| u.name)
}

/// A libpq connection parameter we understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
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
    const ALL: [Key; 11] = [
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

    fn name(self) -> &'static str {
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

    fn env_var(self) -> &'static str {
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

    fn from_name(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A value plus the setting it came from, so a bad value can be traced to
/// the flag, variable or config line that needs fixing.
#[derive(Debug, Clone)]
struct Setting {
    value: String,
    origin: String,
}

/// Parsed settings in the order written; later duplicates win on merge.
type Conninfo = Vec<(Key, Setting)>;

#[derive(Debug, Default)]
struct Params(BTreeMap<Key, Setting>);

impl Params {
    fn get(&self, key: Key) -> Option<&Setting> {
        self.0.get(&key)
    }

    /// Like libpq, an empty value means "use the default".
    fn nonempty(&self, key: Key) -> Option<&Setting> {
        self.get(key).filter(|s| !s.value.is_empty())
    }
}

impl<'a> Resolver<'a> {
    /// A resolver over the real filesystem and OS user.
    pub fn new(env: &'a dyn Fn(&str) -> Option<String>, home: Option<&'a Path>) -> Self {
        Resolver {
            env,
            home,
            read_file: &real_read_file,
            socket_exists: &real_socket_exists,
            os_user: &real_os_user,
        }
    }

    /// Unset and empty are the same to libpq for these variables.
    fn var(&self, name: &str) -> Option<String> {
        (self.env)(name).filter(|v| !v.is_empty())
    }

    /// Applies the order in the module docs; see there for why each step
    /// exists.
    pub fn resolve(&self, flag: Option<&str>) -> Result<Resolved, ConnectError> {
        let mut warnings = Vec::new();
        let mut config_file = None;
        let (source, base) = if let Some(flag) = flag {
            (Source::Flag, parse_any(flag, "--db")?)
        } else if let Some(v) = self.var("HOSTLIFE_DB") {
            (Source::HostlifeDb, parse_any(&v, "HOSTLIFE_DB")?)
        } else if LOCATION_VARS.iter().any(|v| self.var(v).is_some()) {
            (Source::Environment, Vec::new())
        } else if let Some((path, entries)) = self.osstest_conninfo(&mut warnings)? {
            config_file = Some(path);
            (Source::OsstestConfig, entries)
        } else {
            (Source::Defaults, Vec::new())
        };

        let mut params = Params::default();
        for (key, setting) in base {
            params.0.insert(key, setting);
        }
        self.fill_from_env(&mut params);
        self.build(&params, source, config_file, warnings)
    }

    fn fill_from_env(&self, params: &mut Params) {
        // host and hostaddr are one slot: a conninfo naming either has
        // chosen the server, and a stray PGHOSTADDR must not redirect it.
        let address_given = params.get(Key::Host).is_some() || params.get(Key::HostAddr).is_some();
        for key in Key::ALL {
            if params.get(key).is_some()
                || (address_given && matches!(key, Key::Host | Key::HostAddr))
            {
                continue;
            }
            if let Some(value) = self.var(key.env_var()) {
                params.0.insert(
                    key,
                    Setting {
                        value,
                        origin: key.env_var().to_string(),
                    },
                );
            }
        }
    }

    /// The conninfo from the osstest config, if one exists and has an
    /// entry for the osstest database. Unreadable files only warn: psql
    /// works without them, so we must too.
    fn osstest_conninfo(
        &self,
        warnings: &mut Vec<String>,
    ) -> Result<Option<(PathBuf, Conninfo)>, ConnectError> {
        let explicit = self.var("OSSTEST_CONFIG").map(PathBuf::from);
        let Some(path) = explicit
            .clone()
            .or_else(|| self.home.map(|h| h.join(".xen-osstest/config")))
        else {
            return Ok(None);
        };
        let text = match (self.read_file)(&path) {
            Ok(file) => file.text,
            Err(e) if e.kind() == io::ErrorKind::NotFound && explicit.is_none() => {
                return Ok(None);
            }
            Err(e) => {
                warnings.push(format!("ignoring osstest config {}: {e}", path.display()));
                return Ok(None);
            }
        };
        let Some((lineno, value)) = find_osstest_entry(&text) else {
            return Ok(None);
        };
        let origin = format!("{} line {lineno}", path.display());
        let entries = parse_osstest_dsn(value, &origin)?;
        Ok(Some((path, entries)))
    }

    fn build(
        &self,
        params: &Params,
        source: Source,
        config_file: Option<PathBuf>,
        mut warnings: Vec<String>,
    ) -> Result<Resolved, ConnectError> {
        let split = |key: Key| -> Option<Vec<String>> {
            params
                .nonempty(key)
                .map(|s| s.value.split(',').map(|h| h.trim().to_string()).collect())
        };
        // hostaddr is what gets dialled; host (when it lines up) is the name
        // the password file knows the server by, as in libpq.
        let host_list = split(Key::Host);
        let (dial, names) = match (split(Key::HostAddr), host_list) {
            (Some(addrs), Some(hosts)) if hosts.len() == addrs.len() => (addrs, hosts),
            (Some(addrs), _) => (addrs.clone(), addrs),
            (None, Some(hosts)) => (hosts.clone(), hosts),
            (None, None) => (vec![String::new()], vec![String::new()]),
        };

        let mut ports = vec![DEFAULT_PORT];
        if let Some(s) = params.nonempty(Key::Port) {
            ports = s
                .value
                .split(',')
                .map(|p| parse_port(p.trim(), s))
                .collect::<Result<_, _>>()?;
            if ports.len() != 1 && ports.len() != dial.len() {
                return Err(ConnectError::BadValue {
                    origin: s.origin.clone(),
                    key: "port",
                    value: s.value.clone(),
                    problem: format!("{} ports for {} hosts", ports.len(), dial.len()),
                });
            }
        }
        // One port applies to every host, as in libpq.
        if ports.len() == 1 {
            ports = vec![ports[0]; dial.len()];
        }

        let targets: Vec<Target> = dial
            .iter()
            .zip(&ports)
            .map(|(host, &port)| Target {
                endpoint: if host.is_empty() {
                    Endpoint::Socket(self.default_socket_dir(port))
                } else if host.starts_with('/') {
                    Endpoint::Socket(PathBuf::from(host))
                } else {
                    Endpoint::Tcp(host.clone())
                },
                port,
            })
            .collect();

        let user = match params.nonempty(Key::User) {
            Some(s) => s.value.clone(),
            None => (self.os_user)().ok_or(ConnectError::NoUser)?,
        };
        let dbname = params
            .nonempty(Key::DbName)
            .map_or_else(|| user.clone(), |s| s.value.clone());
        let application_name = params
            .nonempty(Key::ApplicationName)
            .map_or_else(|| DEFAULT_APPLICATION_NAME.to_string(), |s| s.value.clone());
        let connect_timeout = params
            .nonempty(Key::ConnectTimeout)
            .map(parse_connect_timeout)
            .transpose()?
            .flatten();
        if let Some(s) = params.nonempty(Key::SslMode) {
            check_sslmode(s)?;
        }

        let passfile = params
            .nonempty(Key::PassFile)
            .map(|s| PathBuf::from(&s.value))
            .or_else(|| self.home.map(|h| h.join(".pgpass")));
        let (password, password_source) = match params.nonempty(Key::Password) {
            Some(s) => (
                Some(s.value.clone()),
                PasswordSource::Given {
                    origin: s.origin.clone(),
                },
            ),
            None => match &passfile {
                Some(path) => {
                    let keys: Vec<(&str, &Target)> =
                        names.iter().map(String::as_str).zip(&targets).collect();
                    match self.password_from_file(path, &keys, &dbname, &user, &mut warnings) {
                        Some(pw) => (Some(pw), PasswordSource::PassFile(path.clone())),
                        None => (None, PasswordSource::None),
                    }
                }
                None => (None, PasswordSource::None),
            },
        };

        let mut config = Config::new();
        for target in &targets {
            match &target.endpoint {
                Endpoint::Socket(dir) => config.host_path(dir),
                Endpoint::Tcp(host) => config.host(host),
            };
            config.port(target.port);
        }
        config
            .user(&user)
            .dbname(&dbname)
            .application_name(&application_name)
            .ssl_mode(SslMode::Disable);
        if let Some(s) = params.nonempty(Key::Options) {
            config.options(&s.value);
        }
        if let Some(t) = connect_timeout {
            config.connect_timeout(t);
        }
        if let Some(pw) = &password {
            config.password(pw);
        }

        Ok(Resolved {
            config,
            spec: ConnectSpec {
                targets,
                user,
                dbname,
                application_name,
                connect_timeout,
                source,
                config_file,
                password: password_source,
                passfile,
            },
            warnings,
        })
    }

    /// Falls back to the first directory if no socket is found so that the
    /// connection error names the directory psql would most likely use.
    fn default_socket_dir(&self, port: u16) -> PathBuf {
        SOCKET_DIRS
            .iter()
            .map(PathBuf::from)
            .find(|dir| (self.socket_exists)(&dir.join(format!(".s.PGSQL.{port}"))))
            .unwrap_or_else(|| PathBuf::from(SOCKET_DIRS[0]))
    }

    /// The password for the first target the file has a line for. `keys`
    /// pairs each target with the host name the file knows it by.
    fn password_from_file(
        &self,
        path: &Path,
        keys: &[(&str, &Target)],
        dbname: &str,
        user: &str,
        warnings: &mut Vec<String>,
    ) -> Option<String> {
        let file = match (self.read_file)(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
            Err(e) => {
                warnings.push(format!("ignoring password file {}: {e}", path.display()));
                return None;
            }
        };
        if file.mode & 0o077 != 0 {
            warnings.push(format!(
                "ignoring password file {}: it has group or world access; \
                 permissions should be u=rw (0600) or less",
                path.display()
            ));
            return None;
        }
        let entries = parse_pgpass(&file.text);
        keys.iter().find_map(|(name, target)| {
            let dir;
            let candidates: Vec<&str> = match &target.endpoint {
                // libpq only maps the default socket directory to
                // "localhost"; we accept it for any socket (operators rarely
                // move the socket) and the literal directory as well.
                Endpoint::Socket(d) => {
                    dir = d.to_string_lossy();
                    vec!["localhost", &dir]
                }
                Endpoint::Tcp(_) => vec![name],
            };
            pgpass_lookup(&entries, &candidates, target.port, dbname, user)
        })
    }
}

fn parse_port(text: &str, setting: &Setting) -> Result<u16, ConnectError> {
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
fn parse_connect_timeout(setting: &Setting) -> Result<Option<Duration>, ConnectError> {
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

fn check_sslmode(setting: &Setting) -> Result<(), ConnectError> {
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

/// Accepts whatever `psql -d` accepts: a URL, a conninfo string (anything
/// with `=`), or a bare database name.
fn parse_any(text: &str, origin: &str) -> Result<Conninfo, ConnectError> {
    let pairs = if let Some(rest) = text
        .strip_prefix("postgresql://")
        .or_else(|| text.strip_prefix("postgres://"))
    {
        parse_url(rest, origin)?
    } else if text.contains('=') {
        parse_conninfo(text, origin)?
    } else if text.trim().is_empty() {
        Vec::new()
    } else {
        vec![(Key::DbName, text.trim().to_string())]
    };
    Ok(pairs
        .into_iter()
        .map(|(key, value)| {
            (
                key,
                Setting {
                    value,
                    origin: origin.to_string(),
                },
            )
        })
        .collect())
}

/// Parses libpq `key = value` syntax. Errors report a 1-based character
/// position and never quote a value, since it may be a password.
fn parse_conninfo(text: &str, origin: &str) -> Result<Vec<(Key, String)>, ConnectError> {
    let chars: Vec<char> = text.chars().collect();
    let bad = |position: usize, problem: &str| ConnectError::BadConninfo {
        origin: origin.to_string(),
        position: position + 1,
        problem: problem.to_string(),
    };
    let mut out = Vec::new();
    let mut i = 0;
    let mut after_password = false;
    loop {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i == chars.len() {
            break;
        }
        let key_start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '=' {
            i += 1;
        }
        let key: String = chars[key_start..i].iter().collect();
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if key.is_empty() {
            return Err(bad(key_start, "missing option name before \"=\""));
        }
        if i == chars.len() || chars[i] != '=' {
            return Err(bad(
                key_start,
                if after_password {
                    "missing \"=\" after the password (quote a password containing spaces)"
                } else {
                    "missing \"=\" after option name"
                },
            ));
        }
        i += 1;
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < chars.len() && chars[i] == '\'' {
            let quote_start = i;
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(bad(quote_start, "unterminated quoted value")),
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some('\\') => match chars.get(i + 1) {
                        Some(&c) => {
                            value.push(c);
                            i += 2;
                        }
                        None => return Err(bad(quote_start, "unterminated quoted value")),
                    },
                    Some(&c) => {
                        value.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            while i < chars.len() && !chars[i].is_whitespace() {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                }
                value.push(chars[i]);
                i += 1;
            }
        }
        let Some(k) = Key::from_name(&key) else {
            if after_password {
                // The "key" is likely the tail of an unquoted password.
                return Err(bad(
                    key_start,
                    "unexpected text after the password (quote a password containing spaces)",
                ));
            }
            return Err(ConnectError::UnknownKey {
                origin: origin.to_string(),
                key,
            });
        };
        after_password = k == Key::Password;
        out.push((k, value));
    }
    Ok(out)
}

/// Parses the part of a libpq URL after `scheme://`:
/// `[user[:password]@][host[:port][,...]][/dbname][?key=value&...]`.
fn parse_url(rest: &str, origin: &str) -> Result<Vec<(Key, String)>, ConnectError> {
    let bad = |problem: String| ConnectError::BadUrl {
        origin: origin.to_string(),
        problem,
    };
    let (main, query) = match rest.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match main.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (main, None),
    };
    let mut out = Vec::new();

    let hostspec = match authority.rsplit_once('@') {
        Some((userinfo, hostspec)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            let user = percent_decode(user).map_err(|p| bad(format!("user name: {p}")))?;
            if !user.is_empty() {
                out.push((Key::User, user));
            }
            if let Some(p) = password {
                // Say only which part is wrong: the text is a password.
                let p = percent_decode(p)
                    .map_err(|_| bad("bad percent-encoding in password".into()))?;
                out.push((Key::Password, p));
            }
            hostspec
        }
        None => authority,
    };

    if !hostspec.is_empty() {
        let mut hosts = Vec::new();
        let mut ports = Vec::new();
        for part in hostspec.split(',') {
            let (host, port) = if let Some(inner) = part.strip_prefix('[') {
                let (h, after) = inner
                    .split_once(']')
                    .ok_or_else(|| bad("unterminated \"[\" in host".into()))?;
                let port = match after {
                    "" => "",
                    _ => after
                        .strip_prefix(':')
                        .ok_or_else(|| bad("unexpected text after \"]\" in host".into()))?,
                };
                (h.to_string(), port)
            } else {
                let (h, p) = part.split_once(':').unwrap_or((part, ""));
                (percent_decode(h).map_err(|p| bad(format!("host: {p}")))?, p)
            };
            hosts.push(host);
            ports.push(port.to_string());
        }
        if hosts.iter().any(|h| !h.is_empty()) {
            out.push((Key::Host, hosts.join(",")));
        }
        if ports.iter().any(|p| !p.is_empty()) {
            out.push((Key::Port, ports.join(",")));
        }
    }

    if let Some(path) = path.filter(|p| !p.is_empty()) {
        let db = percent_decode(path).map_err(|p| bad(format!("database name: {p}")))?;
        out.push((Key::DbName, db));
    }

    for param in query.into_iter().flat_map(|q| q.split('&')) {
        if param.is_empty() {
            continue;
        }
        let (k, v) = param
            .split_once('=')
            .ok_or_else(|| bad("query parameter without \"=\"".into()))?;
        let k = percent_decode(k).map_err(|p| bad(format!("parameter name: {p}")))?;
        let key = Key::from_name(&k).ok_or_else(|| ConnectError::UnknownKey {
            origin: origin.to_string(),
            key: k.clone(),
        })?;
        let v = percent_decode(v).map_err(|p| {
            if key == Key::Password {
                bad("bad percent-encoding in password".into())
            } else {
                bad(format!("{}: {p}", key.name()))
            }
        })?;
        out.push((key, v));
    }
    Ok(out)
}

/// Decodes `%XX` escapes; `+` stays a plus, as in libpq.
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(0) => return Err("%00 is not allowed".into()),
                Some(b) => out.push(b),
                None => return Err(format!("bad percent-encoding at byte {}", i + 1)),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent-encoding is not valid UTF-8".into())
}

/// The last `ExecutiveDbname_osstestdb` line (later settings override
/// earlier ones in osstest), with its 1-based line number.
fn find_osstest_entry(text: &str) -> Option<(usize, &str)> {
    text.lines()
        .enumerate()
        .filter_map(|(n, line)| {
            let line = line.trim();
            if line.starts_with('#') {
                return None;
            }
            let (key, value) = line.split_once(char::is_whitespace)?;
            (key == OSSTEST_DB_KEY).then(|| (n + 1, value.trim()))
        })
        .last()
}

/// Parses an osstest DBI-style `key=value;key=value` string. The
/// `dbi:Pg:` prefix is tolerated because that is how the string is used
/// inside osstest.
fn parse_osstest_dsn(value: &str, origin: &str) -> Result<Conninfo, ConnectError> {
    let value = value.strip_prefix("dbi:Pg:").unwrap_or(value);
    let mut out = Vec::new();
    let mut position = 1;
    for raw in value.split(';') {
        let part_position = position;
        position += raw.chars().count() + 1;
        let part = raw.trim();
        if part.is_empty() {
            continue;
        }
        let Some((k, v)) = part.split_once('=') else {
            return Err(ConnectError::BadConninfo {
                origin: origin.to_string(),
                position: part_position,
                problem: "missing \"=\" in a \";\"-separated part".into(),
            });
        };
        let key = Key::from_name(k.trim()).ok_or_else(|| ConnectError::UnknownKey {
            origin: origin.to_string(),
            key: k.trim().to_string(),
        })?;
        out.push((
            key,
            Setting {
                value: v.trim().to_string(),
                origin: origin.to_string(),
            },
        ));
    }
    Ok(out)
}

/// A `.pgpass` field: `*` alone matches anything.
#[derive(Debug, PartialEq, Eq)]
enum PgpassField {
    Any,
    Exact(String),
}

impl PgpassField {
    fn matches(&self, s: &str) -> bool {
        match self {
            PgpassField::Any => true,
            PgpassField::Exact(e) => e == s,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
struct PgpassEntry {
    host: PgpassField,
    port: PgpassField,
    dbname: PgpassField,
    user: PgpassField,
    password: String,
}

/// Parses `host:port:db:user:password` lines; malformed lines are skipped
/// as libpq does, so one typo does not hide the rest of the file.
fn parse_pgpass(text: &str) -> Vec<PgpassEntry> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(parse_pgpass_line)
        .collect()
}

fn parse_pgpass_line(line: &str) -> Option<PgpassEntry> {
    let mut chars = line.strip_suffix('\r').unwrap_or(line).chars().peekable();
    // Reads up to an unescaped ':'; returns the text and whether a ':' ended it.
    let mut field = || {
        let mut s = String::new();
        let mut escaped_any = false;
        while let Some(c) = chars.next() {
            match c {
                ':' => return (s, escaped_any, true),
                '\\' => {
                    escaped_any = true;
                    if let Some(n) = chars.next() {
                        s.push(n);
                    }
                }
                c => s.push(c),
            }
        }
        (s, escaped_any, false)
    };
    let mut fields = Vec::with_capacity(4);
    for _ in 0..4 {
        let (s, escaped, colon) = field();
        if !colon {
            return None;
        }
        fields.push(if s == "*" && !escaped {
            PgpassField::Any
        } else {
            PgpassField::Exact(s)
        });
    }
    let (password, _, _) = field();
    let mut fields = fields.into_iter();
    Some(PgpassEntry {
        host: fields.next()?,
        port: fields.next()?,
        dbname: fields.next()?,
        user: fields.next()?,
        password,
    })
}

fn pgpass_lookup(
    entries: &[PgpassEntry],
    hosts: &[&str],
    port: u16,
    dbname: &str,
    user: &str,
) -> Option<String> {
    let port = port.to_string();
    entries
        .iter()
        .find(|e| {
            hosts.iter().any(|h| e.host.matches(h))
                && e.port.matches(&port)
                && e.dbname.matches(dbname)
                && e.user.matches(user)
        })
        .map(|e| e.password.clone())
        .filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    const HOME: &str = "/home/ian";

    /// A whole fake machine: environment, files (text and mode), socket
    /// files and the OS user.
    struct Machine {
        env: HashMap<String, String>,
        files: HashMap<PathBuf, (String, u32)>,
        sockets: HashSet<PathBuf>,
        user: Option<String>,
        real_files: bool,
    }

    impl Machine {
        fn new() -> Self {
            Machine {
                env: HashMap::new(),
                files: HashMap::new(),
                sockets: HashSet::new(),
                user: Some("ian".into()),
                real_files: false,
            }
        }

        fn env(mut self, k: &str, v: &str) -> Self {
            self.env.insert(k.into(), v.into());
            self
        }

        fn file(mut self, path: &str, text: &str, mode: u32) -> Self {
            self.files.insert(path.into(), (text.into(), mode));
            self
        }

        fn socket(mut self, path: &str) -> Self {
            self.sockets.insert(path.into());
            self
        }

        fn resolve(&self, flag: Option<&str>) -> Result<Resolved, ConnectError> {
            let env = |k: &str| self.env.get(k).cloned();
            let read = |p: &Path| -> io::Result<FileText> {
                if self.real_files {
                    return real_read_file(p);
                }
                self.files
                    .get(p)
                    .map(|(text, mode)| FileText {
                        text: text.clone(),
                        mode: *mode,
                    })
                    .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
            };
            let sock = |p: &Path| self.sockets.contains(p);
            let user = || self.user.clone();
            Resolver {
                env: &env,
                home: Some(Path::new(HOME)),
                read_file: &read,
                socket_exists: &sock,
                os_user: &user,
            }
            .resolve(flag)
        }

        fn ok(&self, flag: Option<&str>) -> Resolved {
            self.resolve(flag)
                .unwrap_or_else(|e| panic!("{flag:?}: {e}"))
        }

        fn err(&self, flag: Option<&str>) -> String {
            match self.resolve(flag) {
                Ok(r) => panic!("{flag:?} resolved to {r}"),
                Err(e) => e.to_string(),
            }
        }
    }

    fn conninfo(s: &str) -> Vec<(&'static str, String)> {
        parse_conninfo(s, "--db")
            .unwrap_or_else(|e| panic!("{s:?}: {e}"))
            .into_iter()
            .map(|(k, v)| (k.name(), v))
            .collect()
    }

    fn url(s: &str) -> Vec<(&'static str, String)> {
        let rest = s
            .strip_prefix("postgresql://")
            .or_else(|| s.strip_prefix("postgres://"))
            .expect("test URL has a scheme");
        parse_url(rest, "--db")
            .unwrap_or_else(|e| panic!("{s:?}: {e}"))
            .into_iter()
            .map(|(k, v)| (k.name(), v))
            .collect()
    }

    fn pairs(v: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        v.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    fn socket(dir: &str, port: u16) -> Target {
        Target {
            endpoint: Endpoint::Socket(dir.into()),
            port,
        }
    }

    fn tcp(host: &str, port: u16) -> Target {
        Target {
            endpoint: Endpoint::Tcp(host.into()),
            port,
        }
    }

    fn password(r: &Resolved) -> Option<String> {
        r.config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned())
    }

    // --- conninfo syntax -------------------------------------------------

    #[test]
    fn conninfo_plain_pairs() {
        assert_eq!(
            conninfo("host=/tmp port=5433 dbname=osstestdb user=x"),
            pairs(&[
                ("host", "/tmp"),
                ("port", "5433"),
                ("dbname", "osstestdb"),
                ("user", "x")
            ])
        );
    }

    #[test]
    fn conninfo_whitespace_around_equals_and_edges() {
        assert_eq!(
            conninfo("  host = db.example\tport= 1  dbname =d  "),
            pairs(&[("host", "db.example"), ("port", "1"), ("dbname", "d")])
        );
        assert_eq!(conninfo(""), pairs(&[]));
    }

    #[test]
    fn conninfo_quoting_and_escapes() {
        assert_eq!(
            conninfo(r"password='it\'s a \\secret' user=''"),
            pairs(&[("password", r"it's a \secret"), ("user", "")])
        );
        // Unquoted values honour backslashes too.
        assert_eq!(
            conninfo(r"dbname=a\ b options=x\\y"),
            pairs(&[("dbname", "a b"), ("options", r"x\y")])
        );
        assert_eq!(
            conninfo("options='-c search_path=public'"),
            pairs(&[("options", "-c search_path=public")])
        );
    }

    #[test]
    fn conninfo_hostaddr_and_all_keys_are_known() {
        for key in Key::ALL {
            let parsed = conninfo(&format!("{}=v", key.name()));
            assert_eq!(parsed, vec![(key.name(), "v".to_string())]);
        }
    }

    #[test]
    fn conninfo_errors_name_key_or_position() {
        let e = parse_conninfo("host=x bogus=1", "--db").unwrap_err();
        assert_eq!(e.to_string(), "--db: unknown connection option \"bogus\"");

        let e = parse_conninfo("dbname='abc", "--db").unwrap_err();
        assert!(
            matches!(e, ConnectError::BadConninfo { position: 8, .. }),
            "{e:?}"
        );
        assert!(e.to_string().contains("unterminated"), "{e}");

        let e = parse_conninfo("host=x dbname", "HOSTLIFE_DB").unwrap_err();
        assert_eq!(
            e.to_string(),
            "HOSTLIFE_DB: invalid connection string at character 8: \
             missing \"=\" after option name"
        );

        let e = parse_conninfo("=x", "--db").unwrap_err();
        assert!(e.to_string().contains("missing option name"), "{e}");
    }

    #[test]
    fn conninfo_unquoted_password_with_space_is_not_echoed() {
        for s in ["password=hunter2 tail=x", "password=hunter2 tailpart"] {
            let e = parse_conninfo(s, "--db").unwrap_err();
            let text = e.to_string();
            assert!(!text.contains("tail"), "{text}");
            assert!(text.contains("quote a password"), "{text}");
        }
    }

    #[test]
    fn bare_word_is_a_database_name() {
        let r = Machine::new().ok(Some("osstestdb"));
        assert_eq!(r.spec.dbname, "osstestdb");
        assert_eq!(r.spec.source, Source::Flag);
    }

    #[test]
    fn later_duplicate_key_wins() {
        let r = Machine::new().ok(Some("dbname=a dbname=b"));
        assert_eq!(r.spec.dbname, "b");
    }

    // --- URLs --------------------------------------------------------------

    #[test]
    fn url_full() {
        assert_eq!(
            url(
                "postgresql://osstest:s%3Acret@db.example:5433/osstestdb?connect_timeout=10&application_name=x"
            ),
            pairs(&[
                ("user", "osstest"),
                ("password", "s:cret"),
                ("host", "db.example"),
                ("port", "5433"),
                ("dbname", "osstestdb"),
                ("connect_timeout", "10"),
                ("application_name", "x"),
            ])
        );
        assert_eq!(url("postgres://h"), pairs(&[("host", "h")]));
    }

    #[test]
    fn url_socket_dirs() {
        assert_eq!(
            url("postgresql://%2Fvar%2Frun%2Fpostgresql/db"),
            pairs(&[("host", "/var/run/postgresql"), ("dbname", "db")])
        );
        assert_eq!(
            url("postgresql:///db?host=/tmp&port=5433"),
            pairs(&[("dbname", "db"), ("host", "/tmp"), ("port", "5433")])
        );
        let r = Machine::new().ok(Some("postgresql:///db?host=%2Ftmp"));
        assert_eq!(r.spec.targets, vec![socket("/tmp", 5432)]);
    }

    #[test]
    fn url_multiple_hosts_and_ipv6() {
        assert_eq!(
            url("postgresql://a:1,[::1]:2,c/"),
            pairs(&[("host", "a,::1,c"), ("port", "1,2,")])
        );
        let r = Machine::new().ok(Some("postgresql://a:1,[::1]:2,c/d"));
        assert_eq!(
            r.spec.targets,
            vec![tcp("a", 1), tcp("::1", 2), tcp("c", 5432)]
        );
        assert_eq!(url("postgresql://[::1]"), pairs(&[("host", "::1")]));
    }

    #[test]
    fn url_user_without_password_and_empty_parts() {
        assert_eq!(url("postgresql://me%20too@/"), pairs(&[("user", "me too")]));
        assert_eq!(url("postgresql://"), pairs(&[]));
        // '+' is not a space in libpq URLs.
        assert_eq!(url("postgresql:///a+b"), pairs(&[("dbname", "a+b")]));
    }

    #[test]
    fn url_without_host_lets_pghost_fill() {
        let r = Machine::new()
            .env("PGHOST", "db.example")
            .ok(Some("postgresql:///osstestdb"));
        assert_eq!(r.spec.targets, vec![tcp("db.example", 5432)]);
        assert_eq!(r.spec.dbname, "osstestdb");
    }

    #[test]
    fn url_errors() {
        let m = Machine::new();
        assert!(m.err(Some("postgresql://h/%zz")).contains("invalid URL"));
        assert!(m.err(Some("postgresql://h/%ff")).contains("UTF-8"));
        assert!(m.err(Some("postgresql://h/%00")).contains("%00"));
        assert!(m.err(Some("postgresql://[::1/")).contains("unterminated"));
        assert!(m.err(Some("postgresql://h/?novalue")).contains("without"));
        assert_eq!(
            m.err(Some("postgresql://h/?sslcert=x")),
            "--db: unknown connection option \"sslcert\""
        );
        let e = m.err(Some("postgresql://u:p%zzsecret@h/"));
        assert!(e.contains("password") && !e.contains("secret"), "{e}");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2fb%2F%C3%A9").as_deref(), Ok("a/b/é"));
        assert!(percent_decode("%2").is_err());
        assert!(percent_decode("%").is_err());
    }

    // --- sslmode -------------------------------------------------------------

    #[test]
    fn sslmode_without_tls_only() {
        let m = Machine::new();
        for ok in ["disable", "allow", "prefer"] {
            let r = m.ok(Some(&format!("sslmode={ok}")));
            assert_eq!(r.config.get_ssl_mode(), SslMode::Disable);
        }
        for bad in ["require", "verify-ca", "verify-full"] {
            let e = m.err(Some(&format!("sslmode={bad}")));
            assert!(e.contains("not supported") && e.contains(bad), "{e}");
        }
        assert!(
            m.err(Some("sslmode=maybe"))
                .contains("invalid sslmode \"maybe\"")
        );
        let e = Machine::new().env("PGSSLMODE", "require").err(None);
        assert!(e.starts_with("PGSSLMODE: sslmode=require"), "{e}");
    }

    // --- precedence ----------------------------------------------------------

    fn osstest_machine() -> Machine {
        Machine::new().file(
            "/home/ian/.xen-osstest/config",
            "# comment\nExecutiveDbname_osstestdb dbname=osstestdb;host=db.example;user=osstest\n",
            0o644,
        )
    }

    #[test]
    fn flag_beats_hostlife_db() {
        let r = osstest_machine()
            .env("HOSTLIFE_DB", "dbname=fromenv")
            .env("PGDATABASE", "pg")
            .ok(Some("dbname=fromflag"));
        assert_eq!(r.spec.dbname, "fromflag");
        assert_eq!(r.spec.source, Source::Flag);
    }

    #[test]
    fn hostlife_db_beats_pg_env_per_key_and_env_fills_the_rest() {
        let r = osstest_machine()
            .env("HOSTLIFE_DB", "host=/srv/pg dbname=fromenv")
            .env("PGDATABASE", "pg")
            .env("PGHOST", "ignored.example")
            .env("PGPORT", "5433")
            .env("PGUSER", "pguser")
            .ok(None);
        assert_eq!(r.spec.source, Source::HostlifeDb);
        assert_eq!(r.spec.dbname, "fromenv");
        assert_eq!(r.spec.targets, vec![socket("/srv/pg", 5433)]);
        assert_eq!(r.spec.user, "pguser");
    }

    #[test]
    fn empty_hostlife_db_is_unset() {
        let r = Machine::new()
            .env("HOSTLIFE_DB", "")
            .env("PGDATABASE", "pg")
            .ok(None);
        assert_eq!(r.spec.source, Source::Environment);
    }

    #[test]
    fn flag_host_blocks_pghostaddr() {
        let r = Machine::new()
            .env("PGHOSTADDR", "10.0.0.1")
            .ok(Some("host=db.example"));
        assert_eq!(r.spec.targets, vec![tcp("db.example", 5432)]);
    }

    #[test]
    fn hostaddr_is_dialled_and_host_names_it_for_pgpass() {
        let r = Machine::new()
            .file(
                "/home/ian/.pgpass",
                "10.0.0.1:*:*:*:wrong\ndb.example:*:*:*:right\n",
                0o600,
            )
            .ok(Some("host=db.example hostaddr=10.0.0.1"));
        assert_eq!(r.spec.targets, vec![tcp("10.0.0.1", 5432)]);
        assert_eq!(password(&r).as_deref(), Some("right"));
    }

    #[test]
    fn pg_env_beats_osstest_config() {
        for var in LOCATION_VARS {
            let value = if var == "PGPORT" { "5433" } else { "x" };
            let r = osstest_machine().env(var, value).ok(None);
            assert_eq!(r.spec.source, Source::Environment, "{var}");
            assert_ne!(r.spec.dbname, "osstestdb", "{var}");
        }
    }

    #[test]
    fn osstest_config_beats_defaults_and_env_fills_the_rest() {
        let r = osstest_machine()
            .env("PGPASSWORD", "pw")
            .env("PGAPPNAME", "app")
            .ok(None);
        assert_eq!(r.spec.source, Source::OsstestConfig);
        assert_eq!(
            r.spec.config_file.as_deref(),
            Some(Path::new("/home/ian/.xen-osstest/config"))
        );
        assert_eq!(r.spec.targets, vec![tcp("db.example", 5432)]);
        assert_eq!(r.spec.dbname, "osstestdb");
        assert_eq!(r.spec.user, "osstest");
        assert_eq!(r.spec.application_name, "app");
        assert_eq!(password(&r).as_deref(), Some("pw"));
        assert_eq!(
            r.spec.password,
            PasswordSource::Given {
                origin: "PGPASSWORD".into()
            }
        );
        assert_eq!(
            r.to_string(),
            "host db.example port 5432, database \"osstestdb\" as user \"osstest\" \
             (from osstest config /home/ian/.xen-osstest/config)"
        );
    }

    #[test]
    fn osstest_config_from_env_var_path() {
        let r = osstest_machine()
            .file(
                "/etc/osstest.cfg",
                "ExecutiveDbname_osstestdb dbname=other\n",
                0o644,
            )
            .env("OSSTEST_CONFIG", "/etc/osstest.cfg")
            .ok(None);
        assert_eq!(r.spec.dbname, "other");
        assert_eq!(
            r.spec.config_file.as_deref(),
            Some(Path::new("/etc/osstest.cfg"))
        );
    }

    #[test]
    fn missing_osstest_config() {
        let r = Machine::new().ok(None);
        assert_eq!(r.spec.source, Source::Defaults);
        assert!(r.warnings.is_empty());
        // An explicitly named file that is missing deserves a warning.
        let r = Machine::new().env("OSSTEST_CONFIG", "/nope").ok(None);
        assert_eq!(r.spec.source, Source::Defaults);
        assert_eq!(r.warnings.len(), 1);
        assert!(r.warnings[0].contains("/nope"), "{:?}", r.warnings);
    }

    #[test]
    fn osstest_config_without_entry_gives_defaults() {
        let r = Machine::new()
            .file(
                "/home/ian/.xen-osstest/config",
                "ExecutiveDbnamePat dbname=<dbname>\nHostProp_foo bar\n",
                0o644,
            )
            .ok(None);
        assert_eq!(r.spec.source, Source::Defaults);
    }

    #[test]
    fn osstest_config_parsing() {
        let text = "\
# ExecutiveDbname_osstestdb dbname=commented
   ExecutiveDbname_osstestdb\tdbname=first
Other value
ExecutiveDbname_osstestdbx dbname=wrongkey
ExecutiveDbname_osstestdb   dbi:Pg: dbname = last ; host=/srv/pg;;port=5433;
";
        let (line, value) = find_osstest_entry(text).expect("entry");
        assert_eq!(line, 5);
        let parsed: Vec<_> = parse_osstest_dsn(value, "cfg")
            .expect("parses")
            .into_iter()
            .map(|(k, s)| (k.name(), s.value))
            .collect();
        assert_eq!(
            parsed,
            pairs(&[("dbname", "last"), ("host", "/srv/pg"), ("port", "5433")])
        );
        assert_eq!(find_osstest_entry("ExecutiveDbname_osstestdb\n"), None);
    }

    #[test]
    fn osstest_config_errors_name_file_and_line() {
        let m = Machine::new().file(
            "/home/ian/.xen-osstest/config",
            "\nExecutiveDbname_osstestdb dbname=x;sslkey=y\n",
            0o644,
        );
        assert_eq!(
            m.err(None),
            "/home/ian/.xen-osstest/config line 2: unknown connection option \"sslkey\""
        );
        let m = Machine::new().file(
            "/home/ian/.xen-osstest/config",
            "ExecutiveDbname_osstestdb dbname=x;junk\n",
            0o644,
        );
        assert!(
            m.err(None)
                .contains("line 1: invalid connection string at character 10")
        );
    }

    // --- defaults ------------------------------------------------------------

    #[test]
    fn defaults() {
        let r = Machine::new().ok(None);
        assert_eq!(r.spec.source, Source::Defaults);
        assert_eq!(r.spec.targets, vec![socket("/var/run/postgresql", 5432)]);
        assert_eq!(r.spec.user, "ian");
        assert_eq!(r.spec.dbname, "ian");
        assert_eq!(r.spec.application_name, "hostlife");
        assert_eq!(r.spec.connect_timeout, None);
        assert_eq!(r.spec.password, PasswordSource::None);
        assert_eq!(r.config.get_application_name(), Some("hostlife"));
        assert_eq!(r.config.get_user(), Some("ian"));
        assert_eq!(r.config.get_dbname(), Some("ian"));
        assert_eq!(r.config.get_ports(), &[5432]);
        assert_eq!(
            r.config.get_hosts(),
            &[postgres::config::Host::Unix("/var/run/postgresql".into())]
        );
        assert_eq!(
            r.to_string(),
            "socket /var/run/postgresql port 5432, database \"ian\" as user \"ian\" \
             (from libpq defaults)"
        );
    }

    #[test]
    fn socket_directory_choice() {
        let both = Machine::new()
            .socket("/var/run/postgresql/.s.PGSQL.5432")
            .socket("/tmp/.s.PGSQL.5432");
        assert_eq!(
            both.ok(None).spec.targets,
            vec![socket("/var/run/postgresql", 5432)]
        );
        let tmp = Machine::new().socket("/tmp/.s.PGSQL.5432");
        assert_eq!(tmp.ok(None).spec.targets, vec![socket("/tmp", 5432)]);
        // The probe uses the resolved port.
        let tmp = Machine::new()
            .socket("/var/run/postgresql/.s.PGSQL.5432")
            .socket("/tmp/.s.PGSQL.5433")
            .env("PGPORT", "5433");
        assert_eq!(tmp.ok(None).spec.targets, vec![socket("/tmp", 5433)]);
        // An explicitly empty host also means "default socket".
        let r = Machine::new()
            .socket("/tmp/.s.PGSQL.5432")
            .ok(Some("host=''"));
        assert_eq!(r.spec.targets, vec![socket("/tmp", 5432)]);
    }

    #[test]
    fn real_socket_probe_ignores_plain_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".s.PGSQL.5432");
        std::fs::write(&path, "").expect("write");
        assert!(!real_socket_exists(&path));
        let listener = std::os::unix::net::UnixListener::bind(dir.path().join("s"));
        let listener = listener.expect("bind");
        assert!(real_socket_exists(&dir.path().join("s")));
        drop(listener);
    }

    #[test]
    fn user_and_dbname_defaults() {
        let r = Machine::new().ok(Some("user=bob"));
        assert_eq!(
            (r.spec.user.as_str(), r.spec.dbname.as_str()),
            ("bob", "bob")
        );
        let r = Machine::new().env("PGUSER", "carol").ok(None);
        assert_eq!(r.spec.dbname, "carol");
        let mut nouser = Machine::new();
        nouser.user = None;
        assert!(matches!(nouser.resolve(None), Err(ConnectError::NoUser)));
        assert!(nouser.resolve(Some("user=x")).is_ok());
    }

    #[test]
    fn application_name_and_options() {
        let r = Machine::new().ok(Some("application_name=mine options='-c x=1'"));
        assert_eq!(r.config.get_application_name(), Some("mine"));
        assert_eq!(r.config.get_options(), Some("-c x=1"));
        let r = Machine::new().env("PGOPTIONS", "-c y=2").ok(None);
        assert_eq!(r.config.get_options(), Some("-c y=2"));
    }

    #[test]
    fn connect_timeout_rules() {
        let m = Machine::new();
        let t = |s: &str| {
            m.ok(Some(&format!("connect_timeout={s}")))
                .spec
                .connect_timeout
        };
        assert_eq!(t("10"), Some(Duration::from_secs(10)));
        assert_eq!(t("1"), Some(Duration::from_secs(2)));
        assert_eq!(t("0"), None);
        assert_eq!(t("-5"), None);
        let r = m.ok(Some("connect_timeout=7"));
        assert_eq!(
            r.config.get_connect_timeout(),
            Some(&Duration::from_secs(7))
        );
        assert_eq!(
            Machine::new().env("PGCONNECT_TIMEOUT", "soon").err(None),
            "PGCONNECT_TIMEOUT: invalid connect_timeout \"soon\": not a whole number of seconds"
        );
    }

    #[test]
    fn ports() {
        let m = Machine::new();
        let r = m.ok(Some("host=a,b port=6000"));
        assert_eq!(r.spec.targets, vec![tcp("a", 6000), tcp("b", 6000)]);
        assert_eq!(r.config.get_ports(), &[6000, 6000]);
        let r = m.ok(Some("host=a,/tmp port=1,"));
        assert_eq!(r.spec.targets, vec![tcp("a", 1), socket("/tmp", 5432)]);
        assert_eq!(
            r.to_string(),
            "host a port 1 or socket /tmp port 5432, database \"ian\" as user \"ian\" (from --db)"
        );
        assert!(
            m.err(Some("host=a,b,c port=1,2"))
                .contains("2 ports for 3 hosts")
        );
        assert_eq!(
            m.err(Some("port=0")),
            "--db: invalid port \"0\": not a port number (1-65535)"
        );
        assert!(
            Machine::new()
                .env("PGPORT", "x")
                .err(None)
                .starts_with("PGPORT:")
        );
    }

    // --- password file -------------------------------------------------------

    fn pgpass_machine(text: &str) -> Machine {
        Machine::new().file("/home/ian/.pgpass", text, 0o600)
    }

    #[test]
    fn pgpass_line_parsing() {
        let e = parse_pgpass_line(r"h\:x:*:\*:u\\v:pa\:ss:extra").expect("entry");
        assert_eq!(e.host, PgpassField::Exact("h:x".into()));
        assert_eq!(e.port, PgpassField::Any);
        assert_eq!(e.dbname, PgpassField::Exact("*".into()));
        assert_eq!(e.user, PgpassField::Exact(r"u\v".into()));
        assert_eq!(e.password, "pa:ss");
        assert_eq!(parse_pgpass_line("a:b:c:d"), None);
        assert_eq!(
            parse_pgpass_line("a:b:c:d:pw\r").map(|e| e.password),
            Some("pw".into())
        );
        let entries = parse_pgpass("# h:*:*:*:comment\n\nshort:line\n*:*:*:*:pw\n");
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn pgpass_wildcards_and_first_match() {
        let text = "\
db.example:5432:osstestdb:osstest:first
db.example:*:*:osstest:second
*:*:*:*:fallback
";
        let m = pgpass_machine(text);
        let pw = |flag: &str| password(&m.ok(Some(flag)));
        assert_eq!(
            pw("host=db.example dbname=osstestdb user=osstest").as_deref(),
            Some("first")
        );
        assert_eq!(
            pw("host=db.example port=5433 dbname=osstestdb user=osstest").as_deref(),
            Some("second")
        );
        assert_eq!(pw("host=other user=x").as_deref(), Some("fallback"));
        let r = m.ok(Some("host=db.example dbname=osstestdb user=osstest"));
        assert_eq!(
            r.spec.password,
            PasswordSource::PassFile("/home/ian/.pgpass".into())
        );
    }

    #[test]
    fn pgpass_no_match_and_missing_file() {
        let r = pgpass_machine("h:1:d:u:pw\n").ok(Some("host=h port=2 dbname=d user=u"));
        assert_eq!(password(&r), None);
        assert_eq!(r.spec.password, PasswordSource::None);
        let r = Machine::new().ok(None);
        assert_eq!(password(&r), None);
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn pgpass_escapes_in_match() {
        let m = pgpass_machine(r"*:*:odd\:db:back\\slash:pw");
        let r = m.ok(Some(r"dbname=odd:db user=back\\slash"));
        assert_eq!(password(&r).as_deref(), Some("pw"));
    }

    #[test]
    fn pgpass_socket_matches_localhost_and_directory() {
        let m = pgpass_machine("localhost:5432:*:*:local\n");
        assert_eq!(password(&m.ok(None)).as_deref(), Some("local"));
        assert_eq!(
            password(&m.ok(Some("host=/srv/pg"))).as_deref(),
            Some("local")
        );
        let m = pgpass_machine("/srv/pg:*:*:*:bydir\nlocalhost:*:*:*:local\n");
        assert_eq!(
            password(&m.ok(Some("host=/srv/pg"))).as_deref(),
            Some("bydir")
        );
        assert_eq!(password(&m.ok(None)).as_deref(), Some("local"));
        // A TCP connection to another host does not match localhost lines.
        let m = pgpass_machine("localhost:*:*:*:local\n");
        assert_eq!(password(&m.ok(Some("host=db.example"))), None);
    }

    #[test]
    fn pgpass_per_host_in_a_list() {
        let m = pgpass_machine("b:*:*:*:forb\n");
        let r = m.ok(Some("host=a,b"));
        assert_eq!(password(&r).as_deref(), Some("forb"));
    }

    #[test]
    fn pgpass_location_overrides() {
        let m = Machine::new()
            .file("/home/ian/.pgpass", "*:*:*:*:home\n", 0o600)
            .file("/etc/pgpass", "*:*:*:*:etc\n", 0o600)
            .file("/srv/pgpass", "*:*:*:*:srv\n", 0o600);
        assert_eq!(password(&m.ok(None)).as_deref(), Some("home"));
        let env = Machine {
            env: HashMap::from([("PGPASSFILE".into(), "/etc/pgpass".into())]),
            ..m
        };
        assert_eq!(password(&env.ok(None)).as_deref(), Some("etc"));
        // The conninfo key beats PGPASSFILE.
        assert_eq!(
            password(&env.ok(Some("passfile=/srv/pgpass"))).as_deref(),
            Some("srv")
        );
        // Any spelled-out password beats the file.
        let pw = env.env("PGPASSWORD", "fromenv");
        assert_eq!(password(&pw.ok(None)).as_deref(), Some("fromenv"));
        assert_eq!(
            password(&pw.ok(Some("password=fromflag"))).as_deref(),
            Some("fromflag")
        );
    }

    #[test]
    fn pgpass_permissions_checked_on_real_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pgpass");
        std::fs::write(&path, "*:*:*:*:filepw\n").expect("write");
        let mut m = Machine::new().env("PGPASSFILE", &path.to_string_lossy());
        m.real_files = true;

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let r = m.ok(None);
        assert_eq!(password(&r), None);
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(r.warnings[0].contains("group or world access"));
        assert!(!r.warnings[0].contains("filepw"));

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let r = m.ok(None);
        assert_eq!(password(&r).as_deref(), Some("filepw"));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);

        // A directory in its place is skipped with a warning.
        let m2 = Machine {
            env: HashMap::from([("PGPASSFILE".into(), dir.path().to_string_lossy().into())]),
            ..m
        };
        let r = m2.ok(None);
        assert_eq!(password(&r), None);
        assert!(
            r.warnings[0].contains("not a plain file"),
            "{:?}",
            r.warnings
        );
    }

    // --- never the password ----------------------------------------------

    const SECRET: &str = "Zq7-very-secret";

    fn assert_no_secret(text: &str) {
        assert!(!text.contains(SECRET), "password leaked: {text}");
    }

    #[test]
    fn password_never_in_descriptions() {
        let flags = [
            format!("host=db.example password={SECRET}"),
            format!("postgresql://u:{SECRET}@db.example/d"),
            format!("postgresql://db.example/d?password={SECRET}"),
        ];
        for flag in &flags {
            let r = Machine::new().ok(Some(flag));
            assert_eq!(password(&r).as_deref(), Some(SECRET));
            assert_no_secret(&r.to_string());
            assert_no_secret(&r.spec.to_string());
            assert_no_secret(&format!("{r:?}"));
            assert_no_secret(&format!("{:?}", r.spec));
        }
        let r = pgpass_machine(&format!("*:*:*:*:{SECRET}\n")).ok(None);
        assert_eq!(password(&r).as_deref(), Some(SECRET));
        assert_no_secret(&format!("{r} {r:?}"));
    }

    #[test]
    fn password_never_in_errors() {
        let m = Machine::new();
        for flag in [
            format!("password={SECRET} port=x"),
            format!("password={SECRET} sslmode=require"),
            format!("password={SECRET} bogus"),
            format!("password='{SECRET}"),
            format!("postgresql://u:{SECRET}%@h/"),
            format!("postgresql://h/?password={SECRET}%zz"),
        ] {
            let e = m.resolve(Some(&flag)).expect_err(&flag);
            assert_no_secret(&e.to_string());
            assert_no_secret(&format!("{e:?}"));
        }
    }

    #[test]
    fn connect_failure_is_one_clear_line_without_password() {
        let dir = tempfile::tempdir().expect("tempdir");
        let flag = format!(
            "host={} port=5999 dbname=osstestdb user=ian password={SECRET} connect_timeout=2",
            dir.path().display()
        );
        let r = Machine::new().ok(Some(&flag));
        let e = match connect(&r) {
            Ok(_) => panic!("connected to an empty directory"),
            Err(e) => e,
        };
        let text = e.to_string();
        assert_no_secret(&text);
        assert_no_secret(&format!("{e:?}"));
        assert!(!text.contains('\n'), "{text}");
        let prefix = format!(
            "cannot connect to PostgreSQL at socket {} port 5999, database \"osstestdb\" \
             as user \"ian\" (from --db): ",
            dir.path().display()
        );
        assert!(text.starts_with(&prefix), "{text}");
        assert!(text.contains("No such file or directory"), "{text}");
        let socket = dir.path().join(".s.PGSQL.5999");
        assert!(
            text.ends_with(&format!("(no server socket {})", socket.display())),
            "{text}"
        );
    }
}
