//! A table's rows written out: every row the filter keeps, in the sort's
//! order (not only the page shown), as CSV or JSON. Pure: the loop
//! writes the file (`Effect::Export`, `tui::export_file`).

use serde_json::{Map, Value};

/// What a table is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

/// `rows` under `titles` as `format`: CSV with a header line (RFC 4180
/// quoting, CRLF line ends), or JSON, an array of objects keyed by title.
pub fn render(format: Format, titles: &[&str], rows: &[Vec<String>]) -> String {
    match format {
        Format::Csv => {
            let mut out = String::new();
            let line = |cells: &mut dyn Iterator<Item = &str>, out: &mut String| {
                let quoted: Vec<String> = cells.map(csv_field).collect();
                out.push_str(&quoted.join(","));
                out.push_str("\r\n");
            };
            line(&mut titles.iter().copied(), &mut out);
            for r in rows {
                line(&mut r.iter().map(String::as_str), &mut out);
            }
            out
        }
        Format::Json => {
            let objects: Vec<Value> = rows
                .iter()
                .map(|r| {
                    let mut o = Map::new();
                    for (t, v) in titles.iter().zip(r) {
                        o.insert((*t).to_owned(), Value::String(v.clone()));
                    }
                    Value::Object(o)
                })
                .collect();
            let mut out = serde_json::to_string_pretty(&Value::Array(objects))
                .unwrap_or_else(|_| "[]".to_owned());
            out.push('\n');
            out
        }
    }
}

/// A field quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

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
    fn csv_quotes_what_needs_it() {
        let rows = vec![
            vec!["a".to_owned(), "b,c".to_owned()],
            vec!["say \"hi\"".to_owned(), "two\nlines".to_owned()],
        ];
        assert_eq!(
            render(Format::Csv, &["x", "y"], &rows),
            "x,y\r\na,\"b,c\"\r\n\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
    }

    #[test]
    fn json_is_objects_by_title() {
        let rows = vec![vec!["h1".to_owned(), "3".to_owned()]];
        let v: Value =
            serde_json::from_str(&render(Format::Json, &["host", "rows"], &rows)).unwrap();
        assert_eq!(v, serde_json::json!([{"host": "h1", "rows": "3"}]));
    }

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
