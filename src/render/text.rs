//! Formatting shared by the views.

/// A time as tables show it, or nothing.
pub fn opt_utc(secs: Option<i64>) -> String {
    secs.map(crate::timefmt::utc_minutes).unwrap_or_default()
}

/// Live tasks glyph and word: never colour alone.
pub const LIVE: &str = "●";
pub const DEAD: &str = "○";
pub const DELETED: &str = "⊘";
