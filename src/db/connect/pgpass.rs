//! The password file (`.pgpass`): its lines, and the lookup.

/// A `.pgpass` field: `*` alone matches anything.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum PgpassField {
    Any,
    Exact(String),
}

impl PgpassField {
    fn matches(&self, s: &str) -> bool {
        match self {
            PgpassField::Any => true,
            PgpassField::Exact(e) => e == s,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(super) struct PgpassEntry {
    pub(super) host: PgpassField,
    pub(super) port: PgpassField,
    pub(super) dbname: PgpassField,
    pub(super) user: PgpassField,
    pub(super) password: String,
}

/// Parses `host:port:db:user:password` lines; malformed lines are skipped
/// as libpq does, so one typo does not hide the rest of the file.
pub(super) fn parse_pgpass(text: &str) -> Vec<PgpassEntry> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(parse_pgpass_line)
        .collect()
}

pub(super) fn parse_pgpass_line(line: &str) -> Option<PgpassEntry> {
    let mut chars = line.strip_suffix('\r').unwrap_or(line).chars().peekable();
    // Reads up to an unescaped ':'; returns the text and whether a ':' ended it.
    let mut field = || {
        let mut s = String::new();
        let mut escaped_any = false;
        while let Some(c) = chars.next() {
            match c {
                ':' => return (s, escaped_any, true),
                '\\' => {
                    escaped_any = true;
                    if let Some(n) = chars.next() {
                        s.push(n);
                    }
                }
                c => s.push(c),
            }
        }
        (s, escaped_any, false)
    };
    let mut fields = Vec::with_capacity(4);
    for _ in 0..4 {
        let (s, escaped, colon) = field();
        if !colon {
            return None;
        }
        fields.push(if s == "*" && !escaped {
            PgpassField::Any
        } else {
            PgpassField::Exact(s)
        });
    }
    let (password, _, _) = field();
    let mut fields = fields.into_iter();
    Some(PgpassEntry {
        host: fields.next()?,
        port: fields.next()?,
        dbname: fields.next()?,
        user: fields.next()?,
        password,
    })
}

pub(super) fn pgpass_lookup(
    entries: &[PgpassEntry],
    hosts: &[&str],
    port: u16,
    dbname: &str,
    user: &str,
) -> Option<String> {
    let port = port.to_string();
    entries
        .iter()
        .find(|e| {
            hosts.iter().any(|h| e.host.matches(h))
                && e.port.matches(&port)
                && e.dbname.matches(dbname)
                && e.user.matches(user)
        })
        .map(|e| e.password.clone())
        .filter(|p| !p.is_empty())
}
