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
use super::{Config, connect_blocking};

/// The variable naming an existing server to test against.
pub const TEST_DB_VAR: &str = "HOSTLIFE_TEST_DB";
const TEMPLATE: &str = "hostlife_template";

enum Server {
    Cluster(Cluster),
    External(Box<Config>),
}

impl Server {
    fn config(&self, dbname: &str) -> Config {
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
        connect_blocking(&self.config(&db))
            .map_err(|e| format!("cannot connect to the test server: {e}"))
    }
}

fn server() -> &'static Result<Server, String> {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var(TEST_DB_VAR) {
        Ok(spec) => Config::from_str(&spec)
            .map(|c| Server::External(Box::new(c)))
            .map_err(|e| format!("{TEST_DB_VAR}: {e}")),
        Err(_) => {
            let cluster = Cluster::start().map_err(|e| e.to_string())?;
            let server = Server::Cluster(cluster);
            // The schema is made once; each test database is a copy.
            let mut admin = server.admin()?;
            admin
                .batch_execute(&format!("CREATE DATABASE {TEMPLATE}"))
                .map_err(|e| e.to_string())?;
            let mut tpl = connect_blocking(&server.config(TEMPLATE)).map_err(|e| e.to_string())?;
            schema::init(&mut tpl).map_err(|e| e.to_string())?;
            Ok(server)
        }
    })
}

/// A database of one's own, dropped when this value is.
pub struct TestDb {
    name: String,
    config: Config,
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
                .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
                .map_err(|e| e.to_string())?,
            Server::External(_) => {
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .map_err(|e| e.to_string())?;
                let mut c = connect_blocking(&server.config(&name)).map_err(|e| e.to_string())?;
                schema::init(&mut c).map_err(|e| e.to_string())?;
            }
        }
        Ok(TestDb {
            config: server.config(&name),
            name,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A libpq key=value connection string for this database.
    pub fn conninfo(&self) -> String {
        let mut parts = Vec::new();
        for host in self.config.get_hosts() {
            match host {
                tokio_postgres::config::Host::Tcp(h) => parts.push(format!("host={h}")),
                tokio_postgres::config::Host::Unix(p) => {
                    parts.push(format!("host={}", p.display()))
                }
            }
        }
        if let Some(port) = self.config.get_ports().first() {
            parts.push(format!("port={port}"));
        }
        if let Some(user) = self.config.get_user() {
            parts.push(format!("user={user}"));
        }
        if let Some(pw) = self.config.get_password() {
            parts.push(format!("password={}", String::from_utf8_lossy(pw)));
        }
        parts.push(format!("dbname={}", self.name));
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
