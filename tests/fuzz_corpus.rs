#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]
//! Replays the committed fuzz corpora (`fuzz/corpus/TARGET/`) through the
//! same checks the fuzz targets run, so every input a fuzzer once found
//! interesting (and every crash once fixed) is tried on each test run,
//! on stable, without cargo-fuzz.

use std::path::Path;

fn replay(target: &str, check: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        // Named before the check, whose panic is the failure report.
        eprintln!("{}", path.display());
        check(&data);
        count += 1;
    }
    // An empty corpus would make this test pass without trying anything.
    assert!(
        count > 0,
        "{target}: only {count} inputs in {}",
        dir.display()
    );
}

fn text(check: fn(&str)) -> impl Fn(&[u8]) {
    move |data| {
        if let Ok(text) = std::str::from_utf8(data) {
            check(text);
        }
    }
}

#[test]
fn runvar_decode_corpus() {
    replay("runvar_decode", text(hostlife::fuzzing::runvar));
}

#[test]
fn runvar_roundtrip_corpus() {
    replay("runvar_roundtrip", hostlife::fuzzing::runvar_roundtrip);
}

#[test]
fn palette_parse_corpus() {
    replay("palette_parse", text(hostlife::fuzzing::palette));
}

#[test]
fn conninfo_corpus() {
    replay("conninfo", text(hostlife::fuzzing::conninfo));
}

#[test]
fn pgpass_corpus() {
    replay("pgpass", text(hostlife::fuzzing::pgpass));
}

#[test]
fn service_file_corpus() {
    replay("service_file", text(hostlife::fuzzing::service));
}
