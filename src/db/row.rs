//! Reading a column without panicking.
//!
//! `Row::get` panics when a column's type is not the one asked for (an
//! `integer` read as `i64`, a NULL read as `String`). A real osstest
//! database is not ours to assume about, so every read here goes through
//! [`RowExt::col`], whose error names the query and the column: an operator
//! (or a bug report) can say exactly what did not fit.

use std::fmt;

use postgres::Row;
use postgres::row::RowIndex;
use postgres::types::FromSql;

use super::error::{Error, Result};

pub(crate) trait RowExt {
    /// Column `idx` of this row of `query` (a short name for the query,
    /// as errors show it).
    fn col<'a, I, T>(&'a self, query: &'static str, idx: I) -> Result<T>
    where
        I: RowIndex + fmt::Display,
        T: FromSql<'a>;
}

impl RowExt for Row {
    fn col<'a, I, T>(&'a self, query: &'static str, idx: I) -> Result<T>
    where
        I: RowIndex + fmt::Display,
        T: FromSql<'a>,
    {
        self.try_get(&idx).map_err(|source| {
            // The column's name where the index is a position.
            let column = idx
                .__idx(self.columns())
                .and_then(|i| self.columns().get(i))
                .map_or_else(
                    || idx.to_string(),
                    |c| format!("{} ({})", c.name(), c.type_()),
                );
            Error::Decode {
                query,
                column,
                source,
            }
        })
    }
}
