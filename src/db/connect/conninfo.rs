//! libpq's two connection string syntaxes: `key=value` conninfo and
//! `postgres://` URLs.

use super::{ConnectError, Conninfo, Key, Setting};

/// Accepts whatever `psql -d` accepts: a URL, a conninfo string (anything
/// with `=`), or a bare database name.
pub(super) fn parse_any(text: &str, origin: &str) -> Result<Conninfo, ConnectError> {
    let pairs = if let Some(rest) = text
        .strip_prefix("postgresql://")
        .or_else(|| text.strip_prefix("postgres://"))
    {
        parse_url(rest, origin)?
    } else if text.contains('=') {
        parse_conninfo(text, origin)?
    } else if text.trim().is_empty() {
        Vec::new()
    } else {
        vec![(Key::DbName, text.trim().to_string())]
    };
    Ok(pairs
        .into_iter()
        .map(|(key, value)| {
            (
                key,
                Setting {
                    value,
                    origin: origin.to_string(),
                },
            )
        })
        .collect())
}

/// Parses libpq `key = value` syntax. Errors report a 1-based character
/// position and never quote a value, since it may be a password.
pub(super) fn parse_conninfo(text: &str, origin: &str) -> Result<Vec<(Key, String)>, ConnectError> {
    let chars: Vec<char> = text.chars().collect();
    let bad = |position: usize, problem: &str| ConnectError::BadConninfo {
        origin: origin.to_string(),
        position: position + 1,
        problem: problem.to_string(),
    };
    let mut out = Vec::new();
    let mut i = 0;
    let mut after_password = false;
    loop {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i == chars.len() {
            break;
        }
        let key_start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '=' {
            i += 1;
        }
        let key: String = chars[key_start..i].iter().collect();
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if key.is_empty() {
            return Err(bad(key_start, "missing option name before \"=\""));
        }
        if i == chars.len() || chars[i] != '=' {
            return Err(bad(
                key_start,
                if after_password {
                    "missing \"=\" after the password (quote a password containing spaces)"
                } else {
                    "missing \"=\" after option name"
                },
            ));
        }
        i += 1;
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < chars.len() && chars[i] == '\'' {
            let quote_start = i;
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(bad(quote_start, "unterminated quoted value")),
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some('\\') => match chars.get(i + 1) {
                        Some(&c) => {
                            value.push(c);
                            i += 2;
                        }
                        None => return Err(bad(quote_start, "unterminated quoted value")),
                    },
                    Some(&c) => {
                        value.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            while i < chars.len() && !chars[i].is_whitespace() {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                }
                value.push(chars[i]);
                i += 1;
            }
        }
        let Some(k) = Key::from_name(&key) else {
            if after_password {
                // The "key" is likely the tail of an unquoted password.
                return Err(bad(
                    key_start,
                    "unexpected text after the password (quote a password containing spaces)",
                ));
            }
            return Err(ConnectError::UnknownKey {
                origin: origin.to_string(),
                key,
            });
        };
        after_password = k == Key::Password;
        out.push((k, value));
    }
    Ok(out)
}

/// Parses the part of a libpq URL after `scheme://`:
/// `[user[:password]@][host[:port][,...]][/dbname][?key=value&...]`.
pub(super) fn parse_url(rest: &str, origin: &str) -> Result<Vec<(Key, String)>, ConnectError> {
    let bad = |problem: String| ConnectError::BadUrl {
        origin: origin.to_string(),
        problem,
    };
    let (main, query) = match rest.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match main.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (main, None),
    };
    let mut out = Vec::new();

    let hostspec = match authority.rsplit_once('@') {
        Some((userinfo, hostspec)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            let user = percent_decode(user).map_err(|p| bad(format!("user name: {p}")))?;
            if !user.is_empty() {
                out.push((Key::User, user));
            }
            if let Some(p) = password {
                // Say only which part is wrong: the text is a password.
                let p = percent_decode(p)
                    .map_err(|_| bad("bad percent-encoding in password".into()))?;
                out.push((Key::Password, p));
            }
            hostspec
        }
        None => authority,
    };

    if !hostspec.is_empty() {
        let mut hosts = Vec::new();
        let mut ports = Vec::new();
        for part in hostspec.split(',') {
            let (host, port) = if let Some(inner) = part.strip_prefix('[') {
                let (h, after) = inner
                    .split_once(']')
                    .ok_or_else(|| bad("unterminated \"[\" in host".into()))?;
                let port = match after {
                    "" => "",
                    _ => after
                        .strip_prefix(':')
                        .ok_or_else(|| bad("unexpected text after \"]\" in host".into()))?,
                };
                (h.to_string(), port)
            } else {
                let (h, p) = part.split_once(':').unwrap_or((part, ""));
                (percent_decode(h).map_err(|p| bad(format!("host: {p}")))?, p)
            };
            hosts.push(host);
            ports.push(port.to_string());
        }
        if hosts.iter().any(|h| !h.is_empty()) {
            out.push((Key::Host, hosts.join(",")));
        }
        if ports.iter().any(|p| !p.is_empty()) {
            out.push((Key::Port, ports.join(",")));
        }
    }

    if let Some(path) = path.filter(|p| !p.is_empty()) {
        let db = percent_decode(path).map_err(|p| bad(format!("database name: {p}")))?;
        out.push((Key::DbName, db));
    }

    for param in query.into_iter().flat_map(|q| q.split('&')) {
        if param.is_empty() {
            continue;
        }
        let (k, v) = param
            .split_once('=')
            .ok_or_else(|| bad("query parameter without \"=\"".into()))?;
        let k = percent_decode(k).map_err(|p| bad(format!("parameter name: {p}")))?;
        let key = Key::from_name(&k).ok_or_else(|| ConnectError::UnknownKey {
            origin: origin.to_string(),
            key: k.clone(),
        })?;
        let v = percent_decode(v).map_err(|p| {
            if key == Key::Password {
                bad("bad percent-encoding in password".into())
            } else {
                bad(format!("{}: {p}", key.name()))
            }
        })?;
        out.push((key, v));
    }
    Ok(out)
}

/// Decodes `%XX` escapes; `+` stays a plus, as in libpq.
pub(super) fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(0) => return Err("%00 is not allowed".into()),
                Some(b) => out.push(b),
                None => return Err(format!("bad percent-encoding at byte {}", i + 1)),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent-encoding is not valid UTF-8".into())
}
