//! The invariants the fuzz targets (`fuzz/`) check, shared with the
//! corpus replay in the normal test run (`tests/fuzz_corpus.rs`), so a
//! finding once fixed stays fixed. Each check panics when its invariant
//! does not hold, which is how a fuzzer reports a finding.

pub use crate::db::connect::fuzzing::{conninfo, pgpass, service};

use crate::app::palette::{self, Command};
use crate::app::runvars::RunvarSource;
use crate::lifecycle::{self, Runvar, Sigil, Token};

/// Any text as a `<ident>_lifecycle` runvar: never a panic, and what
/// decodes encodes back to the very same bytes (decoding keeps the
/// written form of every token).
pub fn runvar(text: &str) {
    let Ok(decoded) = lifecycle::decode(text) else {
        return;
    };
    assert_eq!(decoded.to_string(), text, "{decoded:?}");
}

/// A runvar built from arbitrary bytes, token by token, through the
/// public types: it encodes to text that decodes to it exactly.
pub fn runvar_roundtrip(data: &[u8]) {
    let built = build_runvar(data);
    let encoded = built.to_string();
    match lifecycle::decode(&encoded) {
        Ok(decoded) => assert_eq!(decoded, built, "{encoded:?}"),
        Err(e) => panic!("{built:?} encodes as {encoded:?}, which does not decode: {e}"),
    }
}

/// Any palette line: never a panic; a command that parses names a host
/// that is one word, and a decode of typed text holds a runvar that
/// decodes.
pub fn palette(line: &str) {
    let Ok(command) = palette::parse(line) else {
        return;
    };
    match &command {
        Command::Record { host, ident, .. } => {
            assert!(is_word(host), "host {host:?} from {line:?}");
            assert!(is_word(ident), "ident {ident:?} from {line:?}");
        }
        Command::Wiped { host } | Command::Goto { host } => {
            assert!(is_word(host), "host {host:?} from {line:?}");
        }
        Command::Decode(RunvarSource::Text { runvar, .. }) => {
            assert!(
                lifecycle::decode(runvar).is_ok(),
                "{runvar:?} from {line:?}"
            );
        }
        Command::Decode(_) | Command::Refresh | Command::Help | Command::Quit => {}
    }
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(char::is_whitespace)
}

/// Reads `data` as a recipe: each token takes a kind byte and the bytes
/// its fields need; names come from a fixed alphabet of the characters a
/// job name or ident may hold, so every token built is well formed.
fn build_runvar(data: &[u8]) -> Runvar<'static> {
    let mut bytes = data.iter().copied();
    let mut tokens = Vec::new();
    let mut continuable = false;
    while let Some(kind) = bytes.next() {
        let mut next = || bytes.next().unwrap_or(0);
        let marks = lifecycle::Marks {
            concurrent: kind & 0x10 != 0,
            prep: kind & 0x20 != 0,
        };
        let token = match kind % 4 {
            0 | 1 => {
                let flight =
                    (next() % 2 == 0).then(|| i32::from(next()) * 1000 + i32::from(next()));
                let job = (next() % 3 != 0).then(|| name(&mut next));
                let ident = (next() % 2 == 0).then(|| name(&mut next));
                Token::Full(lifecycle::Entry {
                    marks,
                    flight,
                    job: job.map(Into::into),
                    stepno: i32::from(next()),
                    ident: ident.map(Into::into),
                })
            }
            2 if continuable => Token::Step {
                marks,
                stepno: i32::from(next()),
            },
            2 => Token::Elided {
                count: u32::from(next()) + 1,
            },
            _ => Token::Task {
                concurrent: marks.concurrent,
                taskid: i32::from(next()),
                colon: next() % 2 == 0,
            },
        };
        // A bare step continues the last token that is not passed over
        // (own entries without an ident, bare steps and `?n` are), and
        // only if that token is a full entry.
        match &token {
            Token::Full(e) if e.flight.is_none() && e.job.is_none() && e.ident.is_none() => {}
            Token::Step { .. } | Token::Task { colon: false, .. } => {}
            Token::Full(_) => continuable = true,
            Token::Elided { .. } | Token::Task { colon: true, .. } => continuable = false,
        }
        tokens.push(token);
    }
    let sigil = match data.first().map(|b| b % 3) {
        Some(1) => Some(Sigil::Prep),
        Some(2) => Some(Sigil::Use),
        _ => None,
    };
    Runvar { tokens, sigil }
}

fn name(next: &mut impl FnMut() -> u8) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-_";
    // A name of `-` and `_` alone would read as the marks of a bare step:
    // a name starts with a letter or digit, as osstest's do.
    let len = usize::from(next() % 12);
    std::iter::once(char::from(ALPHABET[usize::from(next()) % 36]))
        .chain((0..len).map(|_| char::from(ALPHABET[usize::from(next()) % ALPHABET.len()])))
        .collect()
}
