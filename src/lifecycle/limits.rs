//! How long the names a write stores may be.
//!
//! PostgreSQL refuses a btree index entry longer than about 2.7 kB, and
//! every name here is indexed (`host_lifecycle`'s host, the `runvars`
//! key, the `tasks` refkey). Rather than let a long name reach the
//! server and fail there with "index row requires … bytes" (after some
//! of a call has run), each is checked first, with a limit far below
//! the btree's and far above any name osstest makes: its longest job
//! names are under 50 bytes.

use super::Refusal;

/// A DNS name's length, which every host name is.
pub const HOST_NAME: usize = 253;
/// Idents, job names, step names, testids and task type and refkey.
pub const NAME: usize = 200;

/// `value` for `field`, unless it is longer than `limit` bytes.
pub fn check(field: &'static str, value: &str, limit: usize) -> Result<(), Refusal> {
    if value.len() > limit {
        return Err(Refusal::TooLong {
            field,
            limit,
            length: value.len(),
        });
    }
    Ok(())
}
