//! Everything that talks to PostgreSQL. Nothing here knows of terminals.
//!
//! - [`connect`]: where the database is, resolved as libpq and psql do.
//! - [`schema`]: DDL for a fresh database and for upgrading osstest's.
//! - [`record`]: selectprep / select / final, one transaction each.
//! - [`wipe`]: `wiped`, with the holder check.
//! - [`read`]: the read-only queries behind every view.
//! - [`task`]: resolving and describing tasks.
//! - [`txn`]: serializable transactions with retry.
//! - [`cluster`], [`testdb`]: throwaway servers and databases.
//! - [`error`]: refusals and failures.
//! - [`worker`]: the thread that owns the TUI's connection.

pub mod cluster;
pub mod connect;
pub mod error;
pub mod read;
pub mod record;
pub mod schema;
pub mod task;
pub mod testdb;
pub mod txn;
pub mod wipe;
pub mod worker;

pub use error::{Error, Refusal, Result};
