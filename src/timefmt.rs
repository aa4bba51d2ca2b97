//! Epoch seconds as UTC calendar time, for tables and the browser. osstest
//! stores times as integer seconds; this is the only conversion needed, so
//! it is done here rather than with a date crate.

/// The wall clock in epoch seconds, as osstest counts time.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `YYYY-MM-DD HH:MM` in UTC.
pub fn utc_minutes(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// `YYYY-MM-DD HH:MM UTC`: a time that says its zone.
pub fn utc_zoned(epoch: i64) -> String {
    format!("{} UTC", utc_minutes(epoch))
}

/// How long before `now` `then` was, as a table reads it: `45s ago`,
/// `3h ago`, `9d ago`; the date (UTC) when it was over 30 days ago, and
/// `in 5m` for a time ahead of the clock (clocks differ).
pub fn ago(then: i64, now: i64) -> String {
    let d = now - then;
    if d < 0 {
        format!("in {}", age(-d))
    } else if d > 30 * 86_400 {
        utc_minutes(then)[..10].to_owned() + " UTC"
    } else {
        format!("{} ago", age(d))
    }
}

/// A short age such as `45s`, `12m`, `3h`, `9d`.
pub fn age(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's civil-from-days algorithm, era by era).
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "the algorithm makes the day 1 to 31 and the month 1 to 12"
)]
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(utc_minutes(0), "1970-01-01 00:00");
        assert_eq!(utc_minutes(951_782_400), "2000-02-29 00:00");
        assert_eq!(utc_minutes(1_795_985_400), "2026-11-29 20:50");
        assert_eq!(utc_minutes(-60), "1969-12-31 23:59");
    }

    #[test]
    fn relative_times() {
        let now = 1_795_985_400;
        assert_eq!(ago(now - 30, now), "30s ago");
        assert_eq!(ago(now - 3 * 3600, now), "3h ago");
        assert_eq!(ago(now + 300, now), "in 5m");
        assert_eq!(ago(now - 40 * 86_400, now), "2026-10-20 UTC");
        assert_eq!(utc_zoned(0), "1970-01-01 00:00 UTC");
    }

    #[test]
    fn ages() {
        assert_eq!(age(5), "5s");
        assert_eq!(age(600), "10m");
        assert_eq!(age(7200), "2h");
        assert_eq!(age(200_000), "2d");
    }
}
