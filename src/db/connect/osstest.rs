//! The osstest configuration's `ExecutiveDbname_osstestdb` entry.

use super::{ConnectError, Conninfo, Key, OSSTEST_DB_KEY, Setting};

/// The last `ExecutiveDbname_osstestdb` line (later settings override
/// earlier ones in osstest), with its 1-based line number.
pub(super) fn find_osstest_entry(text: &str) -> Option<(usize, &str)> {
    text.lines()
        .enumerate()
        .filter_map(|(n, line)| {
            let line = line.trim();
            if line.starts_with('#') {
                return None;
            }
            let (key, value) = line.split_once(char::is_whitespace)?;
            (key == OSSTEST_DB_KEY).then(|| (n + 1, value.trim()))
        })
        .last()
}

/// Parses an osstest DBI-style `key=value;key=value` string. The
/// `dbi:Pg:` prefix is tolerated because that is how the string is used
/// inside osstest.
pub(super) fn parse_osstest_dsn(value: &str, origin: &str) -> Result<Conninfo, ConnectError> {
    let value = value.strip_prefix("dbi:Pg:").unwrap_or(value);
    let mut out = Vec::new();
    let mut position = 1;
    for raw in value.split(';') {
        let part_position = position;
        position += raw.chars().count() + 1;
        let part = raw.trim();
        if part.is_empty() {
            continue;
        }
        let Some((k, v)) = part.split_once('=') else {
            return Err(ConnectError::BadConninfo {
                origin: origin.to_string(),
                position: part_position,
                problem: "missing \"=\" in a \";\"-separated part".into(),
            });
        };
        let key = Key::from_name(k.trim()).ok_or_else(|| ConnectError::UnknownKey {
            origin: origin.to_string(),
            key: k.trim().to_string(),
        })?;
        out.push((
            key,
            Setting {
                value: v.trim().to_string(),
                origin: origin.to_string(),
            },
        ));
    }
    Ok(out)
}
