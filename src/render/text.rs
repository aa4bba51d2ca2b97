//! Formatting shared by the views.

/// Seconds since the epoch as `YYYY-MM-DD HH:MM` (UTC), the form osstest's
/// reports use. Computed here (civil-from-days) to avoid a date crate for
/// one column.
pub fn utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

pub fn opt_utc(secs: Option<i64>) -> String {
    secs.map(utc).unwrap_or_default()
}

/// Live tasks glyph and word: never colour alone.
pub const LIVE: &str = "●";
pub const DEAD: &str = "○";
pub const DELETED: &str = "⊘";

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00");
        assert_eq!(super::utc(1_700_000_000), "2023-11-14 22:13");
        assert_eq!(super::utc(951_782_400), "2000-02-29 00:00");
    }
}
