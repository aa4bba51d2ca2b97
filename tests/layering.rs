//! The house's rule, checked: dependencies point one way. The pure core
//! (`lifecycle`) and the drawing (`render`) never name the database, the
//! core names no I/O crate, and the browser's state (`app`) reaches the
//! database only through the worker's messages (`db::worker`, and the
//! probe it sends). See the module map in `src/lib.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

use std::fs;
use std::path::{Path, PathBuf};

fn sources(dir: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir), &mut out);
    assert!(!out.is_empty(), "no sources under {dir}");
    out
}

/// Every line of the sources under `dir` that `bad` flags, as
/// `path:line: text`.
fn offending(dir: &str, bad: impl Fn(&str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for path in sources(dir) {
        let text = fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            if bad(line) {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    found
}

fn names_db(line: &str) -> bool {
    line.contains("crate::db") || line.contains("hostlife::db")
}

#[test]
fn lifecycle_is_pure() {
    let io = [
        "postgres",
        "ratatui",
        "crossterm",
        "std::fs",
        "std::net",
        "std::thread",
    ];
    let found = offending("src/lifecycle", |l| {
        names_db(l) || io.iter().any(|c| l.contains(&format!("{c}::")))
    });
    assert!(
        found.is_empty(),
        "lifecycle names I/O:\n{}",
        found.join("\n")
    );
}

#[test]
fn render_never_names_the_database() {
    let found = offending("src/render", names_db);
    assert!(found.is_empty(), "render names db:\n{}", found.join("\n"));
}

#[test]
fn app_reaches_the_database_only_through_the_worker() {
    let found = offending("src/app", |l| {
        let rest = l
            .replace("crate::db::worker", "")
            .replace("crate::db::probe::Probe", "");
        names_db(&rest)
    });
    assert!(
        found.is_empty(),
        "app names db beyond the worker:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_database_and_the_simulator_know_nothing_of_the_terminal() {
    let ui = [
        "crate::app",
        "crate::render",
        "crate::tui",
        "ratatui::",
        "crossterm::",
    ];
    for dir in ["src/db", "src/sim"] {
        let found = offending(dir, |l| ui.iter().any(|u| l.contains(u)));
        assert!(
            found.is_empty(),
            "{dir} names the browser:\n{}",
            found.join("\n")
        );
    }
}
