//! Everything that talks to PostgreSQL. Nothing here knows of terminals.
//!
//! - [`connect`]: where the database is, resolved as libpq and psql do.
//! - [`schema`]: DDL for a fresh database.
//! - [`upgrade`]: adding what hostlife needs to a live osstest database.
//! - [`record`]: selectprep / select / final, one transaction each.
//! - [`pipelined`]: the recorder's connection, statements sent together.
//! - [`wipe`]: `wiped`, alone or many hosts in one transaction, with the
//!   holder check.
//! - [`probe`]: once per connection, what the schema has and what the
//!   role may do.
//! - [`read`]: the read-only queries behind every view.
//! - [`insight`]: the install trials behind `suspects`.
//! - [`task`]: resolving and describing tasks.
//! - [`txn`]: serializable transactions with retry.
//! - [`cluster`]: throwaway servers (the demo's, the tests'); `testdb`, with
//!   the `test-support` feature only: throwaway databases for tests.
//! - [`error`]: refusals and failures.
//! - `row`: reading a column with its real type, never panicking.
//! - [`worker`]: the thread that owns the TUI's connection; [`cancel`]:
//!   cancelling its statement so that no other is hit.

pub mod cancel;
pub mod cluster;
pub mod connect;
pub mod error;
pub mod insight;
pub mod pipelined;
pub mod probe;
pub mod read;
pub mod record;
pub(crate) mod row;
pub mod schema;
pub mod task;
#[cfg(any(test, feature = "test-support"))]
pub mod testdb;
pub mod timeline;
pub mod txn;
pub mod upgrade;
pub mod wipe;
pub mod worker;

pub use error::{BatchFailure, Error, Result};

/// Where and how to connect. tokio-postgres's settings: both the blocking
/// client and the recorder's [`pipelined::Pipelined`] connection start from
/// them (the blocking client's own type cannot be turned back into them).
pub type PgConfig = tokio_postgres::Config;

/// A blocking client for `config`, without TLS.
pub fn connect_blocking(config: &PgConfig) -> Result<postgres::Client, postgres::Error> {
    postgres::Config::from(config.clone()).connect(postgres::NoTls)
}
