//! Disposable databases for tests and benchmarks: each caller gets its own
//! database with the minimal osstest schema.
//!
//! The server is the one named by `HOSTLIFE_TEST_DB` (a libpq connection
//! string or URL for a role that may create databases), or else a
//! throwaway cluster started once per process (see [`super::cluster`]).

use std::str::FromStr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use super::cluster::Cluster;
use super::record::Recorder;
use super::schema;
use super::{PgConfig, connect_blocking};

/// The variable naming an existing server to test against.
pub const TEST_DB_VAR: &str = "HOSTLIFE_TEST_DB";
const TEMPLATE: &str = "hostlife_template";

enum Server {
    Cluster(Cluster),
    External(Box<PgConfig>),
}

impl Server {
    /// Database `dbname` as `role`. On a server of our own the role logs
    /// in itself; on an external one the given login takes the role on
    /// at connection start (`-c role=…`), so it must be a member of it.
    fn config_as(&self, dbname: &str, role: &str) -> PgConfig {
        match self {
            Server::Cluster(c) => c.config_as(dbname, role),
            Server::External(c) => {
                let mut c = (**c).clone();
                c.dbname(dbname);
                let options = c.get_options().unwrap_or_default().to_owned();
                c.options(format!("{options} -c role={role}").trim());
                c
            }
        }
    }

    /// Database `dbname` as the administrator.
    fn admin_config(&self, dbname: &str) -> PgConfig {
        match self {
            Server::Cluster(c) => c.config(dbname),
            Server::External(c) => {
                let mut c = (**c).clone();
                c.dbname(dbname);
                c
            }
        }
    }

    fn admin(&self) -> Result<postgres::Client, String> {
        let db = match self {
            Server::Cluster(_) => "postgres".to_owned(),
            Server::External(c) => c.get_dbname().unwrap_or("postgres").to_owned(),
        };
        connect_blocking(&self.admin_config(&db))
            .map_err(|e| format!("cannot connect to the test server: {e}"))
    }

    /// Create `dbname` as an osstest installation has it: owned by
    /// `osstest`, which made the tables, with `osstest_ro` allowed SELECT.
    fn create_osstest_database(
        &self,
        admin: &mut postgres::Client,
        dbname: &str,
    ) -> Result<(), String> {
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {dbname} OWNER {}",
                schema::OWNER_ROLE
            ))
            .map_err(|e| e.to_string())?;
        let mut owner = connect_blocking(&self.config_as(dbname, schema::OWNER_ROLE))
            .map_err(|e| e.to_string())?;
        schema::init(&mut owner)
            .and_then(|()| schema::grant_read_only(&mut owner))
            .map_err(|e| e.to_string())
    }
}

fn server() -> &'static Result<Server, String> {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = match std::env::var(TEST_DB_VAR) {
            Ok(spec) => PgConfig::from_str(&spec)
                .map(|c| Server::External(Box::new(c)))
                .map_err(|e| format!("{TEST_DB_VAR}: {e}"))?,
            Err(_) => Server::Cluster(Cluster::start().map_err(|e| e.to_string())?),
        };
        let mut admin = server.admin()?;
        schema::create_roles(&mut admin)
            .map_err(|e| format!("cannot create the roles osstest and osstest_ro: {e}"))?;
        if let Server::Cluster(_) = server {
            // The schema is made once; each test database is a copy.
            server.create_osstest_database(&mut admin, TEMPLATE)?;
        }
        Ok(server)
    })
}

/// A database of one's own, dropped when this value is.
pub struct TestDb {
    name: String,
    /// As `osstest`, the tables' owner.
    config: PgConfig,
    /// As `osstest_ro`, SELECT only.
    read_only: PgConfig,
    /// As the server's administrator.
    admin: PgConfig,
    /// A server of this database's own, which tests may stop and start;
    /// `None` on the shared one.
    own: Option<Cluster>,
}

impl TestDb {
    /// A new database with the minimal osstest schema (magic tasks
    /// included). Panics with a clear message if no server can be had:
    /// tests must not silently skip.
    #[expect(
        clippy::new_without_default,
        reason = "creating a database is not a default value"
    )]
    pub fn new() -> TestDb {
        Self::try_new().unwrap_or_else(|e| panic!("test database: {e}"))
    }

    pub fn try_new() -> Result<TestDb, String> {
        static SERIAL: AtomicU32 = AtomicU32::new(0);
        let server = server().as_ref().map_err(Clone::clone)?;
        let name = format!(
            "hostlife_test_{}_{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = server.admin()?;
        match server {
            Server::Cluster(_) => admin
                .batch_execute(&format!(
                    "CREATE DATABASE {name} TEMPLATE {TEMPLATE} OWNER {}",
                    schema::OWNER_ROLE
                ))
                .map_err(|e| e.to_string())?,
            Server::External(_) => server.create_osstest_database(&mut admin, &name)?,
        }
        Ok(TestDb {
            config: server.config_as(&name, schema::OWNER_ROLE),
            read_only: server.config_as(&name, schema::READ_ONLY_ROLE),
            admin: server.admin_config(&name),
            name,
            own: None,
        })
    }

    /// A database on a throwaway server of its own, for tests that stop
    /// and start the server ([`TestDb::stop_server`]) without disturbing
    /// the tests that share the usual one.
    pub fn on_own_server() -> TestDb {
        Self::try_on_own_server().unwrap_or_else(|e| panic!("test database: {e}"))
    }

    fn try_on_own_server() -> Result<TestDb, String> {
        let server = Server::Cluster(Cluster::start().map_err(|e| e.to_string())?);
        let mut admin = server.admin()?;
        schema::create_roles(&mut admin)
            .map_err(|e| format!("cannot create the roles osstest and osstest_ro: {e}"))?;
        let name = "osstest".to_owned();
        server.create_osstest_database(&mut admin, &name)?;
        let Server::Cluster(cluster) = server else {
            unreachable!("made as a cluster just above")
        };
        Ok(TestDb {
            config: cluster.config_as(&name, schema::OWNER_ROLE),
            read_only: cluster.config_as(&name, schema::READ_ONLY_ROLE),
            admin: cluster.config(&name),
            name,
            own: Some(cluster),
        })
    }

    fn own_server(&self) -> &Cluster {
        let Some(own) = &self.own else {
            panic!("only a database made by TestDb::on_own_server has a server to stop")
        };
        own
    }

    /// Stop the server (fast: sessions are ended) and wait until it is
    /// down. Only for a database made by [`TestDb::on_own_server`].
    pub fn stop_server(&self) {
        self.own_server()
            .stop_server()
            .unwrap_or_else(|e| panic!("stopping the server: {e}"));
    }

    /// Start the server again after [`TestDb::stop_server`], and wait
    /// until it accepts connections.
    pub fn start_server(&self) {
        self.own_server()
            .start_server()
            .unwrap_or_else(|e| panic!("starting the server: {e}"));
    }

    /// A hot standby of this database's own server, following it by
    /// streaming replication. Only for [`TestDb::on_own_server`].
    pub fn start_standby(&self) -> Cluster {
        self.own_server()
            .start_standby()
            .unwrap_or_else(|e| panic!("starting a standby: {e}"))
    }

    /// Stop the server and start it again, as an administrator's
    /// `pg_ctl restart` does.
    pub fn restart_server(&self) {
        self.stop_server();
        self.start_server();
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connecting as `osstest`, the tables' owner.
    pub fn config(&self) -> &PgConfig {
        &self.config
    }

    /// The same, as the connector every connection of hostlife's goes
    /// through (the local server needs no TLS).
    pub fn connector(&self) -> crate::db::connect::Connector {
        crate::db::connect::Connector::plain(self.config.clone())
    }

    /// Connecting as `osstest_ro`, which may only SELECT.
    pub fn read_only_config(&self) -> &PgConfig {
        &self.read_only
    }

    /// A connection as the server's administrator (to make roles, say).
    pub fn admin(&self) -> postgres::Client {
        connect_blocking(&self.admin)
            .unwrap_or_else(|e| panic!("connect to {} as admin: {e}", self.name))
    }

    /// A libpq key=value connection string for this database, as `osstest`.
    pub fn conninfo(&self) -> String {
        Self::conninfo_of(&self.config)
    }

    /// The same as `osstest_ro`.
    pub fn read_only_conninfo(&self) -> String {
        Self::conninfo_of(&self.read_only)
    }

    fn conninfo_of(config: &PgConfig) -> String {
        let mut parts = Vec::new();
        for host in config.get_hosts() {
            match host {
                tokio_postgres::config::Host::Tcp(h) => parts.push(format!("host={h}")),
                tokio_postgres::config::Host::Unix(p) => {
                    parts.push(format!("host={}", p.display()));
                }
            }
        }
        if let Some(port) = config.get_ports().first() {
            parts.push(format!("port={port}"));
        }
        if let Some(user) = config.get_user() {
            parts.push(format!("user={user}"));
        }
        if let Some(pw) = config.get_password() {
            parts.push(format!("password={}", String::from_utf8_lossy(pw)));
        }
        if let Some(options) = config.get_options() {
            parts.push(format!("options='{options}'"));
        }
        if let Some(dbname) = config.get_dbname() {
            parts.push(format!("dbname={dbname}"));
        }
        parts.join(" ")
    }

    pub fn connect(&self) -> postgres::Client {
        connect_blocking(&self.config).unwrap_or_else(|e| panic!("connect to {}: {e}", self.name))
    }

    /// A recorder on a connection of its own.
    pub fn recorder(&self) -> Recorder {
        Recorder::connect(&self.config).unwrap_or_else(|e| panic!("recorder on {}: {e}", self.name))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // A server of its own goes with its cluster, whole.
        if self.own.is_some() {
            return;
        }
        if let Ok(server) = server()
            && let Ok(mut admin) = server.admin()
        {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
