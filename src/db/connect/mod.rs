//! Finding the osstest database the way psql would.
//!
//! Operators already have psql working, so hostlife must connect wherever
//! psql does without any configuration of its own. The `postgres` crate
//! reads no environment and rejects libpq-only keys, so this module does
//! libpq's resolution itself and hands the crate a finished
//! [`super::PgConfig`].
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

use std::path::{Path, PathBuf};

use postgres::Client;

use super::pipelined::Pipelined;

// One module in several files, each one job of resolution.
mod conninfo;
mod dial;
mod failure;
#[doc(hidden)]
pub mod fuzzing;
mod keys;
mod osstest;
mod pgpass;
mod resolve;
mod service;
mod spec;
#[cfg(test)]
mod tests;
mod tls;

use conninfo::parse_any;
pub use dial::{Cause, Connector, DialError};
use failure::{connect_error, dial_reason};
use keys::{Conninfo, Key, Params, Setting, parse_connect_timeout, parse_port};
use osstest::{find_osstest_entry, parse_osstest_dsn};
use pgpass::{parse_pgpass, pgpass_lookup};
pub use spec::*;

const DEFAULT_PORT: u16 = 5432;
/// libpq's compiled-in socket directory on Debian first, then the upstream
/// default, because a locally built server may have put its socket there.
const SOCKET_DIRS: [&str; 2] = ["/var/run/postgresql", "/tmp"];
const DEFAULT_APPLICATION_NAME: &str = "hostlife";
const OSSTEST_DB_KEY: &str = "ExecutiveDbname_osstestdb";
/// The variables that, like in libpq, say *where* to connect. Any of them
/// being set means the operator chose a database, so the osstest config
/// must not override that choice.
/// `PGSERVICE` names a whole set of them.
const LOCATION_VARS: [&str; 6] = [
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGSERVICE",
];
/// Where libpq looks for the system-wide `pg_service.conf` when
/// `PGSYSCONFDIR` is unset: Debian's build, which osstest runs on.
const SYSCONFDIR: &str = "/etc/postgresql-common";
const KEEPALIVES_IDLE: u64 = 60;
const KEEPALIVES_INTERVAL: u64 = 10;
const KEEPALIVES_COUNT: u32 = 6;

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

/// Connects as libpq would, and turns any failure into one line naming
/// the target and the reason, so the operator can compare it with psql.
pub fn connect(resolved: &Resolved) -> Result<Client, ConnectError> {
    resolved
        .connector
        .blocking()
        .map_err(|e| connect_error(&e, resolved))
}

/// Why connecting with `resolved` failed, as the CLI says it (each host
/// tried, the socket looked for, where a password could go, the server's
/// detail and hint): for the browser's worker, which connects by itself.
pub fn explain(e: &DialError, resolved: &Resolved) -> String {
    dial_reason(e, resolved)
}

/// As [`connect`], for the recorder's pipelined connection.
pub fn connect_pipelined(resolved: &Resolved) -> Result<Pipelined, ConnectError> {
    resolved
        .connector
        .pipelined()
        .map_err(|e| connect_error(&e, resolved))
}
