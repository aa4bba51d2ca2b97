//! The palette's history on disk, so ↑ in a new session finds the commands
//! of the last one: one line per command, oldest first, in
//! `$XDG_STATE_HOME/hostlife/history` (`~/.local/state/hostlife/history`
//! when the variable is unset, as the XDG base directory spec says).
//!
//! The file is a convenience: when it cannot be read or written the
//! browser says so once on the status line and goes on without it.

use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// How many commands a new session recalls; older lines stay in the file
/// until it is rewritten, which happens when it grows past twice this.
pub const KEEP: usize = 500;

/// The history file of this user, or `None` when neither
/// `XDG_STATE_HOME` nor `HOME` says where it lives.
pub fn path() -> Option<PathBuf> {
    let absolute = |v: std::ffi::OsString| {
        let p = PathBuf::from(v);
        p.is_absolute().then_some(p)
    };
    // A relative XDG_STATE_HOME is invalid and, per the spec, ignored.
    let base = std::env::var_os("XDG_STATE_HOME")
        .and_then(absolute)
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(absolute)
                .map(|h| h.join(".local/state"))
        })?;
    Some(base.join("hostlife").join("history"))
}

/// The newest [`KEEP`] commands, oldest first. A missing file is an empty
/// history; lines that are not UTF-8 are skipped.
pub fn load(path: &Path) -> io::Result<Vec<String>> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut lines: Vec<String> = bytes
        .split(|b| *b == b'\n')
        .filter_map(|l| std::str::from_utf8(l).ok())
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    // The same command run twice in a row is remembered once, as the
    // palette does within a session.
    lines.dedup();
    let skip = lines.len().saturating_sub(KEEP);
    Ok(lines.split_off(skip))
}

/// Append one command, creating the directory (owner-only: commands name
/// hosts and jobs) and the file as needed. A line with a line break in it
/// is not written: it could not be read back as one command.
pub fn append(path: &Path, line: &str) -> io::Result<()> {
    if line.contains(['\n', '\r']) || line.trim().is_empty() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    let mut f = private_file().append(true).open(path)?;
    f.write_all(format!("{line}\n").as_bytes())?;
    compact(path)
}

/// Rewrite the file with its newest [`KEEP`] lines once it holds twice as
/// many, so it never grows without bound. Written beside it and renamed,
/// so a crash leaves the old file or the new one, never half of either.
fn compact(path: &Path) -> io::Result<()> {
    let text = fs::read(path)?;
    if text.split(|b| *b == b'\n').count() <= 2 * KEEP + 1 {
        return Ok(());
    }
    let lines = load(path)?;
    let tmp = path.with_extension("tmp");
    let mut f = private_file().write(true).truncate(true).open(&tmp)?;
    for l in &lines {
        writeln!(f, "{l}")?;
    }
    f.sync_all()?;
    fs::rename(&tmp, path)
}

fn private_file() -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut o = OpenOptions::new();
    o.create(true).mode(0o600);
    o
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_lines_load_back_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/hostlife/history");
        assert_eq!(load(&path).unwrap(), Vec::<String>::new());
        for line in [
            "wiped h1",
            "refresh",
            "refresh",
            "two\nlines",
            "  ",
            "decode 1 a",
        ] {
            append(&path, line).unwrap();
        }
        assert_eq!(load(&path).unwrap(), ["wiped h1", "refresh", "decode 1 a"]);
    }

    #[test]
    fn the_file_keeps_the_newest_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history");
        for i in 0..=2 * KEEP + 1 {
            append(&path, &format!("goto h{i}")).unwrap();
        }
        let lines = load(&path).unwrap();
        assert_eq!(lines.len(), KEEP);
        assert_eq!(lines.last().unwrap(), &format!("goto h{}", 2 * KEEP + 1));
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.lines().count() <= KEEP + 1, "not compacted");
    }

    #[test]
    fn lines_that_are_not_utf8_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history");
        fs::write(&path, b"refresh\n\xff\xfe\nwiped h1\n").unwrap();
        assert_eq!(load(&path).unwrap(), ["refresh", "wiped h1"]);
    }
}
