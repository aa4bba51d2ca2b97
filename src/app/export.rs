//! A table's rows written out: every row the filter keeps, in the sort's
//! order (not only the page shown), as CSV or JSON. Pure: the loop
//! writes the file (`Effect::Export`, `tui::export_file`). The CSV and
//! JSON writing is [`crate::tabular`], which the CLI's `--format` shares.

pub use crate::tabular::{Format, render};

/// `hostlife-<what>-<YYYYMMDD-HHMMSS>.<ext>`, the time in UTC: sorts by
/// when it was written; `what` is the view (`hosts`, a host's name),
/// made safe for a file name.
pub fn file_name(what: &str, format: Format, wall: Option<i64>) -> String {
    let what: String = what
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let when = wall.map_or_else(String::new, |t| {
        let stamp = crate::timefmt::utc_minutes(t)
            .replace(['-', ':'], "")
            .replace(' ', "-");
        format!("-{stamp}{:02}", t.rem_euclid(60))
    });
    format!("hostlife-{what}{when}.{}", format.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_say_what_and_when() {
        assert_eq!(
            file_name("hosts", Format::Csv, Some(86_400 + 3_723)),
            "hostlife-hosts-19700102-010203.csv"
        );
        assert_eq!(
            file_name("a b/c", Format::Json, None),
            "hostlife-a_b_c.json"
        );
    }
}
