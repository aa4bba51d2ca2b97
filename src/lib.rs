//! hostlife: host lifecycle tracking for osstest test labs.
//!
//! # Module map
//!
//! - [`lifecycle`]: the pure core. The domain's vocabulary (the calls and
//!   their checks in `lifecycle::call`, refusals, a request's `Failure`,
//!   the reports the reads fill in `lifecycle::report`), the rules
//!   (`decide`, `wipe`, the listing algorithm), the runvar codec, and the
//!   words the CLI and the browser share (`lifecycle::display`). No I/O;
//!   everything else may call it.
//! - [`db`]: everything that talks to PostgreSQL: connection resolution,
//!   schema and `db upgrade`, transactions (`db::txn`, the only place one
//!   is opened), the recorder and `wiped`, read queries, throwaway
//!   clusters and the worker thread the TUI uses. It knows nothing of the
//!   terminal. The test-database harness (`db::testdb`) exists only with
//!   the `test-support` feature, for the package's own tests.
//! - [`timefmt`]: epoch seconds as UTC text; [`tabular`]: rows as CSV or
//!   JSON (the browser's export, the CLI's `--format`).
//! - [`app`]: the TUI's state per screen and dialog, typed actions, the
//!   keymap, and `update` (pure, no I/O).
//! - [`render`]: drawing the `app` state with ratatui; reads, never writes.
//! - [`tui`]: the browser's I/O: the terminal (ratatui's init and
//!   restore), the input thread and the event loop, which feeds events to
//!   `app::update`, sends its requests to `db`'s worker and draws with
//!   `render`.
//! - [`sim`]: the workload simulator behind `db seed` and the demo. Plans
//!   a lab's history without I/O, then replays it through `db`'s recorder
//!   and `wiped`, the CLI's own code path. Uses `db` and `lifecycle`;
//!   nothing uses it but the binary.
//!
//! Dependencies point one way: `tui -> render -> app -> lifecycle <- db`,
//! and `app` reaches `db` only through the worker's requests and answers
//! (`db::worker`); the binary wires them together. `tests/layering.rs`
//! checks it; docs/ARCHITECTURE.md draws it, with the browser's data flow.

pub mod app;
pub mod db;
#[doc(hidden)]
pub mod fuzzing;
pub mod lifecycle;
pub mod render;
pub mod sim;
pub mod tabular;
pub mod timefmt;
pub mod tui;
