//! hostlife: host lifecycle tracking for osstest test labs.
//!
//! # Module map
//!
//! - [`lifecycle`]: the pure core. Domain types, the listing algorithm and
//!   the runvar codec. No I/O; everything else may call it.
//! - [`db`]: everything that talks to PostgreSQL: connection resolution,
//!   schema, the recorder and `wiped` transactions, read queries, the
//!   throwaway-cluster harness and the worker thread the TUI uses. It knows
//!   nothing of the terminal.
//! - [`timefmt`]: epoch seconds as UTC text.
//!
//! Dependencies point one way: `render -> app -> lifecycle <- db`, with the
//! binary wiring them together.

pub mod db;
pub mod lifecycle;
pub mod timefmt;
