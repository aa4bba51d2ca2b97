//! libpq's resolution order, over a [`Resolver`]: the process (or a
//! test's fake machine) behind plain function references.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use postgres::config::SslMode;

use super::keys::{
    parse_keepalive_secs, parse_keepalives, parse_keepalives_count, parse_sslmode,
    parse_target_session_attrs,
};
use super::service::find_service;
use super::{
    ConnectError, ConnectSpec, Connector, Conninfo, DEFAULT_APPLICATION_NAME, DEFAULT_PORT,
    Endpoint, FileText, KEEPALIVES_COUNT, KEEPALIVES_IDLE, KEEPALIVES_INTERVAL, Key, LOCATION_VARS,
    Params, PasswordSource, Resolved, Resolver, RootCert, SOCKET_DIRS, SYSCONFDIR, ServiceRef,
    Setting, Source, Target, TlsSettings, find_osstest_entry, parse_any, parse_connect_timeout,
    parse_osstest_dsn, parse_pgpass, parse_port, pgpass_lookup,
};
use crate::db::PgConfig;

pub(super) fn real_read_file(path: &Path) -> io::Result<FileText> {
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

pub(super) fn real_socket_exists(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

pub(super) fn real_os_user() -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .ok()
        .flatten()
        .map(|u| u.name)
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
        // A service's settings fill what the conninfo left out, and win
        // over the PG* variables, as in libpq.
        let service = self.apply_service(&mut params)?;
        self.fill_from_env(&mut params);
        let mut resolved = self.build(&params, source, config_file, warnings)?;
        resolved.spec.service = service;
        Ok(resolved)
    }

    /// Reads the service named by `service=` or `PGSERVICE` from the
    /// user's service file, else the system one, into the settings not
    /// already given.
    fn apply_service(&self, params: &mut Params) -> Result<Option<ServiceRef>, ConnectError> {
        let (name, origin) = match params.nonempty(Key::Service) {
            Some(s) => (s.value.clone(), s.origin.clone()),
            None => match self.var("PGSERVICE") {
                Some(v) => (v, "PGSERVICE".to_string()),
                None => return Ok(None),
            },
        };
        let user_file = self
            .var("PGSERVICEFILE")
            .map(PathBuf::from)
            .or_else(|| self.home.map(|h| h.join(".pg_service.conf")));
        let system_file = Path::new(
            &self
                .var("PGSYSCONFDIR")
                .unwrap_or_else(|| SYSCONFDIR.to_string()),
        )
        .join("pg_service.conf");
        let mut looked = Vec::new();
        for path in user_file.into_iter().chain([system_file]) {
            looked.push(path.display().to_string());
            // As libpq: a file that is not there is skipped; one that
            // cannot be read is an error, since it may hold the service.
            let text = match (self.read_file)(&path) {
                Ok(file) => file.text,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(ConnectError::BadServiceFile {
                        origin: path.display().to_string(),
                        problem: format!("cannot read the service file: {e}"),
                    });
                }
            };
            let shown = path.display().to_string();
            if let Some(settings) = find_service(&text, &name, &shown)? {
                for (key, setting) in settings {
                    params.0.entry(key).or_insert(setting);
                }
                return Ok(Some(ServiceRef { name, file: path }));
            }
        }
        Err(ConnectError::ServiceNotFound {
            origin,
            name,
            looked: looked.join(" and "),
        })
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
            let Some(var) = key.env_var() else {
                continue;
            };
            if let Some(value) = self.var(var) {
                params.0.insert(
                    key,
                    Setting {
                        value,
                        origin: var.to_string(),
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

    #[allow(
        clippy::too_many_lines,
        reason = "libpq's resolution step by step, each step using those before it"
    )]
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
        let tls = self.tls_settings(params)?;

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

        // Every setting but the hosts: the connector adds one host at a
        // time, as libpq tries them.
        let mut base = PgConfig::new();
        base.user(&user)
            .dbname(&dbname)
            .application_name(&application_name)
            .ssl_mode(SslMode::Disable);
        if let Some(s) = params.nonempty(Key::Options) {
            base.options(&s.value);
        }
        if let Some(t) = connect_timeout {
            base.connect_timeout(t);
        }
        if let Some(pw) = &password {
            base.password(pw);
        }
        apply_keepalives(&mut base, params)?;
        if let Some(s) = params.nonempty(Key::TargetSessionAttrs) {
            base.target_session_attrs(parse_target_session_attrs(s)?);
        }
        let mut config = base.clone();
        for target in &targets {
            match &target.endpoint {
                Endpoint::Socket(dir) => config.host_path(dir),
                Endpoint::Tcp(host) => config.host(host),
            };
            config.port(target.port);
        }
        let connector = Connector::new(base, targets.clone(), tls.clone(), connect_timeout);

        Ok(Resolved {
            config,
            connector,
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
                tls,
                service: None,
            },
            warnings,
        })
    }

    /// `sslmode` and the certificate files, with libpq's defaults under
    /// `~/.postgresql/`.
    fn tls_settings(&self, params: &Params) -> Result<TlsSettings, ConnectError> {
        let mode = params
            .nonempty(Key::SslMode)
            .map(parse_sslmode)
            .transpose()?
            .unwrap_or(super::SslMode::Prefer);
        let in_home = |name: &str| self.home.map(|h| h.join(".postgresql").join(name));
        let root_cert = match params.nonempty(Key::SslRootCert) {
            Some(s) if s.value == "system" => Some(RootCert::System),
            Some(s) => Some(RootCert::File {
                path: PathBuf::from(&s.value),
                explicit: true,
            }),
            None => in_home("root.crt").map(|path| RootCert::File {
                path,
                explicit: false,
            }),
        };
        let file = |key: Key, default: &str| {
            params
                .nonempty(key)
                .map(|s| PathBuf::from(&s.value))
                .or_else(|| in_home(default))
        };
        Ok(TlsSettings {
            mode,
            root_cert,
            cert: file(Key::SslCert, "postgresql.crt"),
            key: file(Key::SslKey, "postgresql.key"),
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

/// TCP keepalives, on unless `keepalives=0`. The system's two hours of
/// idleness before the first probe would leave a dead server unnoticed
/// for an afternoon, so hostlife probes after a minute unless told
/// otherwise: a dead peer is found within about two minutes.
fn apply_keepalives(config: &mut PgConfig, params: &Params) -> Result<(), ConnectError> {
    let on = params
        .nonempty(Key::Keepalives)
        .map(parse_keepalives)
        .transpose()?
        .unwrap_or(true);
    config.keepalives(on);
    if !on {
        return Ok(());
    }
    let secs = |key: Key, name: &'static str, default: u64| -> Result<Duration, ConnectError> {
        Ok(params
            .nonempty(key)
            .map(|s| parse_keepalive_secs(s, name))
            .transpose()?
            .flatten()
            .unwrap_or(Duration::from_secs(default)))
    };
    config.keepalives_idle(secs(
        Key::KeepalivesIdle,
        "keepalives_idle",
        KEEPALIVES_IDLE,
    )?);
    config.keepalives_interval(secs(
        Key::KeepalivesInterval,
        "keepalives_interval",
        KEEPALIVES_INTERVAL,
    )?);
    config.keepalives_retries(
        params
            .nonempty(Key::KeepalivesCount)
            .map(parse_keepalives_count)
            .transpose()?
            .flatten()
            .unwrap_or(KEEPALIVES_COUNT),
    );
    Ok(())
}
