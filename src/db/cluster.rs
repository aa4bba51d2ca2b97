//! A throwaway PostgreSQL cluster made from the installed server binaries,
//! for the demo, the tests and the benchmarks.
//!
//! `initdb` refuses to run as root, so when hostlife runs as root the
//! cluster belongs to the `postgres` system user. The server listens only
//! on a unix socket in the cluster's own directory. A watchdog process
//! removes the cluster if this process dies without cleaning up (a panic
//! in a test binary, SIGKILL); `Drop` removes it on a normal exit.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use nix::unistd::{Gid, Uid, User};

/// The port only names the socket file; the directory is private.
const PORT: u16 = 5432;
/// The superuser the cluster is made with.
const SUPERUSER: &str = "postgres";

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL server binaries not found ({0} is not on PATH): install them (Debian: apt-get install postgresql) and put their directory on PATH"
    )]
    MissingBinaries(&'static str),
    #[error(
        "running as root, but there is no `postgres` system user to own the cluster (initdb refuses to run as root)"
    )]
    NoPostgresUser,
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Postgres(#[from] postgres::Error),
}

/// What a test cluster needs beyond the defaults. Settings are appended
/// to `postgresql.conf`, so they win over its defaults but not over the
/// command line (which keeps the socket and port).
#[derive(Debug, Default, Clone)]
pub struct ServerSetup {
    /// `name = 'value'` lines.
    pub settings: Vec<(String, String)>,
    /// Files in the data directory: name, contents, permission bits.
    pub files: Vec<(String, Vec<u8>, u32)>,
    /// The whole `pg_hba.conf`, replacing initdb's.
    pub hba: Option<String>,
    /// The port, for a cluster that listens on TCP (default 5432, on the
    /// private socket only).
    pub port: Option<u16>,
}

/// A running throwaway cluster.
pub struct Cluster {
    dir: PathBuf,
    owner: Option<(Uid, Gid)>,
    watchdog: Option<Child>,
    keep: bool,
    port: u16,
    /// The server's command-line options, to start it again the same way.
    options: String,
}

fn find_binary(name: &'static str) -> Result<PathBuf, ClusterError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(ClusterError::MissingBinaries(name))
}

fn run(cmd: &mut Command, what: &str) -> Result<(), ClusterError> {
    let out = cmd.stdin(Stdio::null()).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(ClusterError::Command {
            what: what.to_owned(),
            detail: format!(
                "{}: {}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim(),
                String::from_utf8_lossy(&out.stdout).trim()
            ),
        })
    }
}

impl Cluster {
    /// Start a cluster in a new temporary directory.
    pub fn start() -> Result<Cluster, ClusterError> {
        static SERIAL: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "hostlife-pg-{}-{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        ));
        Self::start_in(&dir, false)
    }

    /// Start a cluster in a new temporary directory, configured beyond
    /// the defaults (TLS, TCP, its own `pg_hba.conf`): for tests of how
    /// hostlife connects.
    pub fn start_with(setup: &ServerSetup) -> Result<Cluster, ClusterError> {
        static SERIAL: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "hostlife-pg-setup-{}-{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        ));
        Self::start_in_with(&dir, false, setup)
    }

    /// Start a cluster in `dir` (which must not exist). With `keep`, the
    /// cluster is stopped but not removed when dropped.
    pub fn start_in(dir: &Path, keep: bool) -> Result<Cluster, ClusterError> {
        Self::start_in_with(dir, keep, &ServerSetup::default())
    }

    fn start_in_with(dir: &Path, keep: bool, setup: &ServerSetup) -> Result<Cluster, ClusterError> {
        let initdb = find_binary("initdb")?;
        find_binary("pg_ctl")?;
        find_binary("postgres")?;

        let owner = if Uid::effective().is_root() {
            let user = User::from_name("postgres")
                .ok()
                .flatten()
                .ok_or(ClusterError::NoPostgresUser)?;
            Some((user.uid, user.gid))
        } else {
            None
        };
        fs::create_dir(dir)?;
        let mut cluster = Cluster {
            dir: dir.to_owned(),
            owner,
            watchdog: None,
            keep,
            port: setup.port.unwrap_or(PORT),
            options: String::new(),
        };
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir, Some(uid.as_raw()), Some(gid.as_raw()))?;
        }
        if !keep {
            cluster.watchdog = Some(cluster.spawn_watchdog()?);
        }

        let data = cluster.data_dir();
        run(
            cluster.command(&initdb).arg("-D").arg(&data).args([
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]),
            "initdb",
        )?;
        cluster.apply(setup)?;
        // fsync and friends are off: this cluster holds nothing worth a
        // crash-safe write, and tests and the demo want speed.
        // More predicate locks: a serializable transaction that reads more
        // than a few dozen pages of one table (a simulator's round of
        // calls) otherwise has them merged into a lock on the whole table,
        // which then conflicts with every concurrent write to it.
        // No TCP unless the setup asks for it.
        let listen = if setup.settings.iter().any(|(k, _)| k == "listen_addresses") {
            ""
        } else {
            "-c listen_addresses='' "
        };
        let options = format!(
            "-k {} {listen}-p {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=128MB -c max_pred_locks_per_transaction=1024",
            cluster.dir.display(),
            cluster.port
        );
        cluster.options = options;
        cluster.start_server()?;
        Ok(cluster)
    }

    /// Start the server (again, after [`Cluster::stop_server`]), and wait
    /// until it accepts connections.
    pub fn start_server(&self) -> Result<(), ClusterError> {
        let pg_ctl = find_binary("pg_ctl")?;
        run(
            self.command(&pg_ctl)
                .arg("-D")
                .arg(self.data_dir())
                .arg("-l")
                .arg(self.dir.join("server.log"))
                .args(["-o", &self.options, "-w", "-s", "start"]),
            "pg_ctl start",
        )
    }

    /// Stop the server as an administrator's restart does (fast: open
    /// sessions are ended, their transactions rolled back), and wait until
    /// it is down. For tests of what a restart does to clients.
    pub fn stop_server(&self) -> Result<(), ClusterError> {
        let pg_ctl = find_binary("pg_ctl")?;
        run(
            self.command(&pg_ctl)
                .arg("-D")
                .arg(self.data_dir())
                .args(["-m", "fast", "-w", "-s", "stop"]),
            "pg_ctl stop",
        )
    }

    /// A streaming-replication standby of this cluster, in a new
    /// temporary directory: a base backup (`pg_basebackup -R`, so it
    /// follows this server), started hot (read-only queries allowed).
    /// For tests of reading from a standby while writing to the primary.
    pub fn start_standby(&self) -> Result<Cluster, ClusterError> {
        static SERIAL: AtomicU32 = AtomicU32::new(0);
        let basebackup = find_binary("pg_basebackup")?;
        let dir = std::env::temp_dir().join(format!(
            "hostlife-pg-standby-{}-{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir(&dir)?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
        if let Some((uid, gid)) = self.owner {
            std::os::unix::fs::chown(&dir, Some(uid.as_raw()), Some(gid.as_raw()))?;
        }
        let mut standby = Cluster {
            dir,
            owner: self.owner,
            watchdog: None,
            keep: false,
            port: self.port,
            options: String::new(),
        };
        // The same server settings, on the standby's own socket directory
        // (the port may be the same: sockets are per directory).
        let primary_socket = format!("-k {} ", self.dir.display());
        standby.options = format!(
            "-k {} {}",
            standby.dir.display(),
            self.options
                .strip_prefix(&primary_socket)
                .unwrap_or(&self.options)
        );
        standby.watchdog = Some(standby.spawn_watchdog()?);
        run(
            standby
                .command(&basebackup)
                .arg("-D")
                .arg(standby.data_dir())
                .arg("-h")
                .arg(&self.dir)
                .arg("-p")
                .arg(self.port.to_string())
                // A fast checkpoint: the default spreads it over minutes.
                .args([
                    "-U",
                    SUPERUSER,
                    "-R",
                    "-X",
                    "stream",
                    "-c",
                    "fast",
                    "--no-sync",
                ]),
            "pg_basebackup",
        )?;
        standby.start_server()?;
        Ok(standby)
    }

    /// Places `setup`'s files and settings in the new data directory,
    /// owned by the server's user.
    fn apply(&self, setup: &ServerSetup) -> Result<(), ClusterError> {
        use std::fmt::Write as _;
        use std::io::Write as _;
        let data = self.data_dir();
        let place = |name: &str, bytes: &[u8], mode: u32, append: bool| -> io::Result<()> {
            let path = data.join(name);
            let mut file = fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(append)
                .truncate(!append)
                .open(&path)?;
            file.write_all(bytes)?;
            fs::set_permissions(&path, fs::Permissions::from_mode(mode))?;
            if let Some((uid, gid)) = self.owner {
                std::os::unix::fs::chown(&path, Some(uid.as_raw()), Some(gid.as_raw()))?;
            }
            Ok(())
        };
        for (name, bytes, mode) in &setup.files {
            place(name, bytes, *mode, false)?;
        }
        if let Some(hba) = &setup.hba {
            place("pg_hba.conf", hba.as_bytes(), 0o600, false)?;
        }
        let mut settings = String::new();
        for (k, v) in &setup.settings {
            let _ = writeln!(settings, "{k} = '{}'", v.replace('\'', "''"));
        }
        place("postgresql.conf", settings.as_bytes(), 0o600, true)?;
        Ok(())
    }

    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid.as_raw()).gid(gid.as_raw());
        }
        // Own process group: a Ctrl-C at the terminal must not reach the
        // server behind our back; we stop it ourselves.
        cmd.process_group(0).current_dir(&self.dir);
        cmd
    }

    /// A shell that waits for this process to exit, then kills the server
    /// (SIGQUIT: immediate shutdown) and removes the directory.
    fn spawn_watchdog(&self) -> Result<Child, ClusterError> {
        let script = r#"
            while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
            if [ -f "$2/data/postmaster.pid" ]; then
                kill -QUIT "$(head -n 1 "$2/data/postmaster.pid")" 2>/dev/null
                sleep 1
            fi
            rm -rf "$2"
        "#;
        Ok(Command::new("sh")
            .args(["-c", script, "hostlife-watchdog"])
            .arg(std::process::id().to_string())
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's directory (also its socket directory).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A connection configuration for database `dbname`, as the
    /// cluster's superuser.
    pub fn config(&self, dbname: &str) -> super::PgConfig {
        self.config_as(dbname, SUPERUSER)
    }

    /// A connection configuration for database `dbname` as `role`
    /// (authentication is `trust`: the socket directory is private).
    pub fn config_as(&self, dbname: &str, role: &str) -> super::PgConfig {
        let mut c = super::PgConfig::new();
        c.host_path(&self.dir)
            .port(self.port)
            .user(role)
            .dbname(dbname)
            .application_name("hostlife");
        c
    }

    /// A libpq connection string for database `dbname` as `role` (for psql).
    pub fn conninfo_as(&self, dbname: &str, role: &str) -> String {
        format!(
            "host={} port={} user={role} dbname={dbname}",
            self.dir.display(),
            self.port
        )
    }

    /// Connect to database `dbname`.
    pub fn connect(&self, dbname: &str) -> Result<postgres::Client, ClusterError> {
        Ok(super::connect_blocking(&self.config(dbname))?)
    }

    /// Create an empty database.
    pub fn create_database(&self, dbname: &str) -> Result<(), ClusterError> {
        let mut c = self.connect("postgres")?;
        c.batch_execute(&format!("CREATE DATABASE \"{dbname}\""))?;
        Ok(())
    }

    /// Create a database laid out as a real osstest installation's: owned
    /// by the role `osstest`, which made osstest's tables (schema section
    /// 2) and owns them, with `osstest_ro` allowed SELECT on every table.
    /// Returns the configuration for connecting as `osstest`.
    pub fn create_osstest_database(&self, dbname: &str) -> Result<super::PgConfig, ClusterError> {
        use super::schema;
        let mut admin = self.connect("postgres")?;
        schema::create_roles(&mut admin).map_err(|e| ClusterError::Command {
            what: "creating osstest's roles".into(),
            detail: e.to_string(),
        })?;
        admin.batch_execute(&format!(
            "CREATE DATABASE \"{dbname}\" OWNER {}",
            schema::OWNER_ROLE
        ))?;
        let config = self.config_as(dbname, schema::OWNER_ROLE);
        let mut owner = super::connect_blocking(&config)?;
        schema::init(&mut owner)
            .and_then(|()| schema::grant_read_only(&mut owner))
            .map_err(|e| ClusterError::Command {
                what: "creating osstest's tables".into(),
                detail: e.to_string(),
            })?;
        Ok(config)
    }

    fn stop(&mut self) {
        if let Ok(pg_ctl) = find_binary("pg_ctl") {
            let _ = run(
                self.command(&pg_ctl).arg("-D").arg(self.data_dir()).args([
                    "-m",
                    "immediate",
                    "-w",
                    "-s",
                    "stop",
                ]),
                "pg_ctl stop",
            );
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        if !self.keep {
            let _ = fs::remove_dir_all(&self.dir);
        }
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}
