//! Where an export lands: a new file in the current directory.

/// Write `content` to a new file `name` in `dir`: an
/// existing file of that name is never replaced (two exports in one
/// second get `-2`, `-3`, ...). Returns where it went. The one place the
/// browser writes a file of the operator's.
pub fn write_new(
    dir: &std::path::Path,
    name: &str,
    content: &str,
) -> std::io::Result<std::path::PathBuf> {
    use std::io::Write as _;
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    for n in 1..100 {
        let candidate = if n == 1 {
            name.to_owned()
        } else {
            format!("{stem}-{n}.{ext}")
        };
        let path = dir.join(candidate);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(content.as_bytes())?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{name} and 98 more like it exist"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_file_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let first = write_new(dir.path(), "hostlife-hosts.csv", "one").unwrap();
        let second = write_new(dir.path(), "hostlife-hosts.csv", "two").unwrap();
        assert_eq!(first, dir.path().join("hostlife-hosts.csv"));
        assert_eq!(second, dir.path().join("hostlife-hosts-2.csv"));
        assert_eq!(std::fs::read_to_string(&first).unwrap(), "one");
        assert_eq!(std::fs::read_to_string(&second).unwrap(), "two");
        let missing = write_new(&dir.path().join("gone"), "x.csv", "");
        assert!(missing.is_err());
    }
}
