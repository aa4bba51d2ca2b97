//! Rows under column titles written as CSV (RFC 4180) or JSON: what the
//! browser's export and the CLI's `--format csv` share. Pure.

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
}
