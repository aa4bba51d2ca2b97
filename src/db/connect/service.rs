//! Connection service files (`pg_service.conf`): named groups of
//! connection settings, so `service=lab` or `PGSERVICE=lab` stands for a
//! whole conninfo.
//!
//! The format is libpq's: `[name]` starts a group, `key=value` lines
//! belong to the group above them, blank lines and lines starting with
//! `#` are ignored. Only the group asked for is checked, as in libpq, so a
//! typo in someone else's group does not break ours.

use super::{ConnectError, Key, Setting};

/// The settings of service `name` in `text`, each with the line it came
/// from; `None` when the file has no such group. `path` only names the
/// file in messages and origins.
pub(super) fn find_service(
    text: &str,
    name: &str,
    path: &str,
) -> Result<Option<Vec<(Key, Setting)>>, ConnectError> {
    let mut found = None::<Vec<(Key, Setting)>>;
    for (n, raw) in text.lines().enumerate() {
        let lineno = n + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(group) = line.strip_prefix('[') {
            if found.is_some() {
                // The group we wanted has ended. libpq stops here too: a
                // second group of the same name is never read.
                break;
            }
            let Some(group) = group.strip_suffix(']') else {
                return Err(syntax(path, lineno, "a group name must end with \"]\""));
            };
            if group.trim() == name {
                found = Some(Vec::new());
            }
            continue;
        }
        let Some(settings) = found.as_mut() else {
            continue;
        };
        let Some((key, value)) = line.split_once('=') else {
            return Err(syntax(path, lineno, "expected key=value"));
        };
        let key = key.trim();
        if key == "service" {
            return Err(syntax(
                path,
                lineno,
                "a service cannot name another service",
            ));
        }
        let Some(key) = Key::from_name(key) else {
            return Err(ConnectError::UnknownKey {
                origin: format!("{path} line {lineno}"),
                key: key.to_string(),
            });
        };
        settings.push((
            key,
            Setting {
                value: value.trim().to_string(),
                origin: format!("{path} line {lineno} (service \"{name}\")"),
            },
        ));
    }
    Ok(found)
}

fn syntax(path: &str, lineno: usize, problem: &str) -> ConnectError {
    ConnectError::BadServiceFile {
        origin: format!("{path} line {lineno}"),
        problem: problem.to_string(),
    }
}
