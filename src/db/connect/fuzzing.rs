//! The connection parsers' invariants, as checks the fuzz targets and the
//! corpus replay (`tests/fuzz_corpus.rs`) share. Each panics when its
//! invariant does not hold, which is how a fuzzer reports a finding.

use super::conninfo::{parse_any, parse_conninfo};
use super::pgpass::{PgpassEntry, PgpassField, parse_pgpass, parse_pgpass_line, pgpass_lookup};
use super::service::find_service;

/// Any text given to `--db`: never a panic; and what parses says the same
/// thing again when written back as a quoted conninfo, so no value is
/// bent on its way through (URL percent-decoding included).
pub fn conninfo(text: &str) {
    let Ok(parsed) = parse_any(text, "fuzz") else {
        return;
    };
    let written: Vec<String> = parsed
        .iter()
        .map(|(key, setting)| format!("{}='{}'", key.name(), quote(&setting.value)))
        .collect();
    let again = parse_conninfo(&written.join(" "), "fuzz")
        .unwrap_or_else(|e| panic!("{written:?} written back does not parse: {e}"));
    let first: Vec<_> = parsed.into_iter().map(|(k, s)| (k, s.value)).collect();
    assert_eq!(first, again, "{text:?} written back as {written:?}");
}

fn quote(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\'', "\\'")
}

/// Any password file: never a panic; every entry written back with its
/// separators escaped reads as the same entry; and a lookup with the
/// fields of the first entry finds its password.
pub fn pgpass(text: &str) {
    let entries = parse_pgpass(text);
    for entry in &entries {
        if entry.password.ends_with('\r') {
            // A carriage return ending a line is its line ending, as in
            // libpq: such a password cannot be written back.
            continue;
        }
        let line = write_pgpass(entry);
        let again = parse_pgpass_line(&line)
            .unwrap_or_else(|| panic!("{line:?} written back from {entry:?} does not parse"));
        assert_eq!(&again, entry, "{line:?}");
    }
    // The first entry wins any lookup its own fields make (libpq reads
    // the file top down), so with a password it must be found.
    if let Some(entry) = entries.first().filter(|e| !e.password.is_empty()) {
        let field = |f: &PgpassField| match f {
            PgpassField::Any => String::new(),
            PgpassField::Exact(s) => s.clone(),
        };
        let port = match &entry.port {
            PgpassField::Any => Some(5432),
            // libpq compares the port as text: `0864` is not port 864.
            PgpassField::Exact(p) => p.parse().ok().filter(|n: &u16| n.to_string() == *p),
        };
        if let Some(port) = port {
            let host = field(&entry.host);
            let found = pgpass_lookup(
                &entries,
                &[host.as_str()],
                port,
                &field(&entry.dbname),
                &field(&entry.user),
            );
            assert_eq!(
                found.as_ref(),
                Some(&entry.password),
                "the fields of {entry:?}"
            );
        }
    }
}

fn write_pgpass(entry: &PgpassEntry) -> String {
    let escape = |s: &str| s.replace('\\', "\\\\").replace(':', "\\:");
    let field = |f: &PgpassField| match f {
        PgpassField::Any => "*".to_owned(),
        PgpassField::Exact(s) if s == "*" => "\\*".to_owned(),
        PgpassField::Exact(s) => escape(s),
    };
    let mut line = [&entry.host, &entry.port, &entry.dbname, &entry.user]
        .map(field)
        .join(":");
    line.push(':');
    line.push_str(&escape(&entry.password));
    // A line whose first character is `#` is a comment, so an escape
    // keeps a host that starts with one.
    if line.starts_with('#') {
        line.insert(0, '\\');
    }
    line
}

/// Any service file, asked for the first group it names and for a group
/// it does not have: never a panic; a missing group is `None`, and every
/// setting found names a line of the file.
pub fn service(text: &str) {
    let lines = text.lines().count();
    let first_group = text
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix('[')?.strip_suffix(']'))
        .map(str::trim);
    // No group name holds a newline: the second name is never in the file.
    for name in first_group.into_iter().chain(["no\nsuch"]) {
        let Ok(found) = find_service(text, name, "fuzz.conf") else {
            continue;
        };
        let Some(settings) = found else {
            continue;
        };
        assert!(
            !name.contains('\n'),
            "a group that is not in the file was found"
        );
        for (_, setting) in &settings {
            let lineno: usize = setting
                .origin
                .strip_prefix("fuzz.conf line ")
                .and_then(|rest| rest.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("origin {:?} names no line", setting.origin));
            assert!((1..=lines).contains(&lineno), "line {lineno} of {lines}");
        }
    }
}
