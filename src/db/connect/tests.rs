//! Resolution on fake machines, parsing, pgpass and failure messages.

use std::collections::{HashMap, HashSet};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

// The tests reach into every part of resolution.
use super::SslMode as TlsMode;
use super::conninfo::{parse_conninfo, parse_url, percent_decode};
use super::pgpass::{PgpassField, parse_pgpass_line};
use super::resolve::{real_read_file, real_socket_exists};
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
        m.err(Some("postgresql://h/?sslcrl=x")),
        "--db: unknown connection option \"sslcrl\""
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
fn sslmode_every_libpq_mode_with_prefer_by_default() {
    let m = Machine::new();
    assert_eq!(m.ok(None).spec.tls.mode, TlsMode::Prefer);
    for (text, mode) in [
        ("disable", TlsMode::Disable),
        ("allow", TlsMode::Allow),
        ("prefer", TlsMode::Prefer),
        ("require", TlsMode::Require),
        ("verify-ca", TlsMode::VerifyCa),
        ("verify-full", TlsMode::VerifyFull),
    ] {
        let r = m.ok(Some(&format!("sslmode={text}")));
        assert_eq!(r.spec.tls.mode, mode, "{text}");
        assert_eq!(mode.name(), text);
    }
    assert!(
        m.err(Some("sslmode=maybe"))
            .contains("invalid sslmode \"maybe\"")
    );
    let r = Machine::new().env("PGSSLMODE", "verify-full").ok(None);
    assert_eq!(r.spec.tls.mode, TlsMode::VerifyFull);
}

#[test]
fn tls_files_default_under_dot_postgresql_and_follow_their_settings() {
    let r = Machine::new().ok(None);
    assert_eq!(
        r.spec.tls.root_cert,
        Some(RootCert::File {
            path: "/home/ian/.postgresql/root.crt".into(),
            explicit: false
        })
    );
    assert_eq!(
        r.spec.tls.cert.as_deref(),
        Some(Path::new("/home/ian/.postgresql/postgresql.crt"))
    );
    assert_eq!(
        r.spec.tls.key.as_deref(),
        Some(Path::new("/home/ian/.postgresql/postgresql.key"))
    );
    let r = Machine::new()
        .env("PGSSLROOTCERT", "/etc/ca.pem")
        .env("PGSSLKEY", "/k")
        .ok(Some("sslcert=/c sslkey=/flag-key"));
    assert_eq!(
        r.spec.tls.root_cert,
        Some(RootCert::File {
            path: "/etc/ca.pem".into(),
            explicit: true
        })
    );
    assert_eq!(r.spec.tls.cert.as_deref(), Some(Path::new("/c")));
    assert_eq!(r.spec.tls.key.as_deref(), Some(Path::new("/flag-key")));
    let r = Machine::new().ok(Some("sslrootcert=system"));
    assert_eq!(r.spec.tls.root_cert, Some(RootCert::System));
}

#[test]
fn keepalives_on_by_default_and_settable() {
    let r = Machine::new().ok(None);
    assert!(r.config.get_keepalives());
    assert_eq!(r.config.get_keepalives_idle(), Duration::from_mins(1));
    assert_eq!(
        r.config.get_keepalives_interval(),
        Some(Duration::from_secs(10))
    );
    assert_eq!(r.config.get_keepalives_retries(), Some(6));
    let r = Machine::new().ok(Some(
        "keepalives_idle=5 keepalives_interval=2 keepalives_count=3",
    ));
    assert_eq!(r.config.get_keepalives_idle(), Duration::from_secs(5));
    assert_eq!(
        r.config.get_keepalives_interval(),
        Some(Duration::from_secs(2))
    );
    assert_eq!(r.config.get_keepalives_retries(), Some(3));
    assert!(
        !Machine::new()
            .ok(Some("keepalives=0"))
            .config
            .get_keepalives()
    );
    let e = Machine::new().err(Some("keepalives_idle=soon"));
    assert!(e.contains("invalid keepalives_idle \"soon\""), "{e}");
}

#[test]
fn target_session_attrs_known_and_unsupported() {
    use tokio_postgres::config::TargetSessionAttrs;
    let m = Machine::new();
    assert_eq!(
        m.ok(Some("target_session_attrs=read-write"))
            .config
            .get_target_session_attrs(),
        TargetSessionAttrs::ReadWrite
    );
    assert_eq!(
        Machine::new()
            .env("PGTARGETSESSIONATTRS", "read-only")
            .ok(None)
            .config
            .get_target_session_attrs(),
        TargetSessionAttrs::ReadOnly
    );
    let e = m.err(Some("target_session_attrs=standby"));
    assert!(e.contains("not supported"), "{e}");
}

// --- services ------------------------------------------------------------

const SERVICES: &str = "\
# lab databases
[lab]
host=db.lab.example
dbname=osstestdb
user = osstest

[other]
host=elsewhere
bogus=1
";

#[test]
fn service_from_pgservice_fills_the_connection() {
    let r = Machine::new()
        .file("/home/ian/.pg_service.conf", SERVICES, 0o644)
        .env("PGSERVICE", "lab")
        .ok(None);
    assert_eq!(r.spec.targets, vec![tcp("db.lab.example", 5432)]);
    assert_eq!(r.spec.dbname, "osstestdb");
    assert_eq!(r.spec.user, "osstest");
    assert_eq!(
        r.spec.service,
        Some(ServiceRef {
            name: "lab".into(),
            file: "/home/ian/.pg_service.conf".into()
        })
    );
    assert!(
        r.to_string()
            .contains("service \"lab\" in /home/ian/.pg_service.conf"),
        "{r}"
    );
}

#[test]
fn service_keyword_loses_to_the_conninfo_and_beats_the_environment() {
    let r = Machine::new()
        .file("/home/ian/.pg_service.conf", SERVICES, 0o644)
        .env("PGDATABASE", "fromenv")
        .env("PGPORT", "5433")
        .ok(Some("service=lab user=me"));
    assert_eq!(r.spec.user, "me");
    assert_eq!(r.spec.dbname, "osstestdb");
    // What the service leaves unsaid still comes from the environment.
    assert_eq!(r.spec.targets, vec![tcp("db.lab.example", 5433)]);
}

#[test]
fn service_file_from_pgservicefile_then_the_system_one() {
    let m = Machine::new()
        .file("/srv/services", "[lab]\ndbname=fromfile\n", 0o644)
        .file(
            "/etc/postgresql-common/pg_service.conf",
            "[sys]\ndbname=fromsystem\n",
            0o644,
        )
        .file(
            "/opt/pg/pg_service.conf",
            "[sys]\ndbname=fromsysconf\n",
            0o644,
        )
        .env("PGSERVICEFILE", "/srv/services");
    assert_eq!(m.ok(Some("service=lab")).spec.dbname, "fromfile");
    assert_eq!(m.ok(Some("service=sys")).spec.dbname, "fromsystem");
    let m = m.env("PGSYSCONFDIR", "/opt/pg");
    assert_eq!(m.ok(Some("service=sys")).spec.dbname, "fromsysconf");
}

#[test]
fn service_errors_name_the_file_and_line() {
    let m = Machine::new().file("/home/ian/.pg_service.conf", SERVICES, 0o644);
    let e = m.err(Some("service=nope"));
    assert!(
        e.starts_with("--db: definition of service \"nope\" not found (looked in /home/ian/.pg_service.conf and "),
        "{e}"
    );
    let e = m.err(Some("service=other"));
    assert_eq!(
        e,
        "/home/ian/.pg_service.conf line 9: unknown connection option \"bogus\""
    );
    // Another group's mistakes do not matter.
    assert!(m.resolve(Some("service=lab")).is_ok());
    let m = Machine::new().file("/home/ian/.pg_service.conf", "[a]\nservice=b\n", 0o644);
    assert!(m.err(Some("service=a")).contains("line 2"));
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
        let r = osstest_machine()
            .file(
                "/home/ian/.pg_service.conf",
                "[x]\ndbname=fromservice\n",
                0o644,
            )
            .env(var, value)
            .ok(None);
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
        "\nExecutiveDbname_osstestdb dbname=x;sslcrl=y\n",
        0o644,
    );
    assert_eq!(
        m.err(None),
        "/home/ian/.xen-osstest/config line 2: unknown connection option \"sslcrl\""
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
        format!("password={SECRET} sslmode=strict"),
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
    let Err(e) = connect(&r) else {
        panic!("connected to an empty directory")
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

#[test]
fn a_short_password_is_masked_only_as_a_whole_word() {
    let r = Machine::new().ok(Some("password=ab"));
    let masked =
        super::failure::redact("FATAL: password ab rejected for table tab (ab)".into(), &r);
    assert_eq!(
        masked,
        "FATAL: password ******** rejected for table tab (********)"
    );
}
