//! The `<ident>_lifecycle` runvar: decoding it into tokens, encoding tokens
//! back (byte for byte), and resolving tokens into absolute entries.
//!
//! Decoding keeps the written form of every token (full or compressed,
//! which parts were spelled out), so `decode(s)?.to_string() == s` for
//! every accepted `s`. Resolution is a separate step because the meaning of
//! omitted parts depends on the job the runvar belongs to.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

use super::text::{is_name_byte, is_word};
use super::{DEFAULT_IDENT, Sigil};

/// The `+` (concurrent) and `@` (prep) marks, always written in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Marks {
    pub concurrent: bool,
    pub prep: bool,
}

/// A full entry: `[+][@][<flight>.][<job>]:<stepno>[,<ident>]`. Names
/// borrow from the decoded text (decoding allocates nothing per token).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Entry<'a> {
    pub marks: Marks,
    /// Spelled-out flight; `None` means the runvar's own.
    pub flight: Option<i32>,
    /// Spelled-out job; `None` means the runvar's own.
    pub job: Option<Cow<'a, str>>,
    pub stepno: i32,
    /// Spelled-out ident; `None` means `host`.
    pub ident: Option<Cow<'a, str>>,
}

/// One space-separated token of a runvar (the trailing sigil aside).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Token<'a> {
    Full(Entry<'a>),
    /// `[+][@]<stepno>`: same flight, job and ident as the last earlier
    /// token that is not passed over.
    Step {
        marks: Marks,
        stepno: i32,
    },
    /// `[<n>]`: n non-concurrent build jobs left out.
    Elided {
        count: u32,
    },
    /// `[+]?<taskid>`; `colon` for the early form `?<taskid>:`.
    Task {
        concurrent: bool,
        taskid: i32,
        colon: bool,
    },
}

/// A decoded runvar.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Runvar<'a> {
    pub tokens: Vec<Token<'a>>,
    /// Present when the job's last call was selectprep or select, so the
    /// listing may be incomplete.
    pub sigil: Option<Sigil>,
}

/// Why a runvar could not be decoded: the offending token and where it
/// starts (a byte offset into the runvar).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("malformed runvar token `{token}` at byte {offset}: {reason}")]
pub struct DecodeError {
    pub token: String,
    pub offset: usize,
    pub reason: &'static str,
}

/// What a resolved entry stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResolvedKind {
    /// A step of a job; `own` when the job is the runvar's own.
    Step {
        #[serde(serialize_with = "own_flight")]
        flight: i32,
        #[serde(serialize_with = "own_job")]
        job: String,
        stepno: i32,
        ident: String,
        prep: bool,
        own: bool,
    },
    /// A task outside any flight.
    Task { taskid: i32 },
    /// Jobs left out.
    Elided { count: u32 },
}

/// An own entry resolved without its job keeps flight 0 and an empty job
/// name; JSON readers get `null` ("this job, unnamed") rather than a flight
/// number or a job name that does not exist.
#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's serialize_with passes a reference"
)]
pub(crate) fn own_flight<S: serde::Serializer>(flight: &i32, s: S) -> Result<S::Ok, S::Error> {
    match *flight {
        0 => s.serialize_none(),
        f => s.serialize_i32(f),
    }
}

/// See [`own_flight`].
pub(crate) fn own_job<S: serde::Serializer>(job: &str, s: S) -> Result<S::Ok, S::Error> {
    if job.is_empty() {
        s.serialize_none()
    } else {
        s.serialize_str(job)
    }
}

/// A token with omitted parts filled in from its context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    pub concurrent: bool,
    #[serde(flatten)]
    pub kind: ResolvedKind,
}

fn fmt_marks(f: &mut fmt::Formatter<'_>, m: Marks) -> fmt::Result {
    if m.concurrent {
        f.write_str("+")?;
    }
    if m.prep {
        f.write_str("@")?;
    }
    Ok(())
}

impl fmt::Display for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Full(e) => {
                fmt_marks(f, e.marks)?;
                if let Some(flight) = e.flight {
                    write!(f, "{flight}.")?;
                }
                if let Some(job) = &e.job {
                    f.write_str(job)?;
                }
                write!(f, ":{}", e.stepno)?;
                if let Some(ident) = &e.ident {
                    write!(f, ",{ident}")?;
                }
                Ok(())
            }
            Token::Step { marks, stepno } => {
                fmt_marks(f, *marks)?;
                write!(f, "{stepno}")
            }
            Token::Elided { count } => write!(f, "[{count}]"),
            Token::Task {
                concurrent,
                taskid,
                colon,
            } => {
                if *concurrent {
                    f.write_str("+")?;
                }
                write!(f, "?{taskid}")?;
                if *colon {
                    f.write_str(":")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Runvar<'_> {
    /// Encodes the runvar: tokens and sigil joined by single spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for token in &self.tokens {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            write!(f, "{token}")?;
        }
        if let Some(sigil) = self.sigil {
            if !first {
                f.write_str(" ")?;
            }
            write!(f, "{}", sigil.as_char())?;
        }
        Ok(())
    }
}

impl Token<'_> {
    /// Whether the token's text is non-word characters then digits (see
    /// `text::is_passed_over`), decided from its parts: bare steps, task
    /// tokens without the early colon, and full entries that spell out
    /// nothing but marks, a job made of non-word characters, and a step.
    pub fn is_passed_over(&self) -> bool {
        match self {
            Token::Step { .. } => true,
            Token::Task { colon, .. } => !colon,
            Token::Elided { .. } => false,
            Token::Full(e) => {
                e.flight.is_none()
                    && e.ident.is_none()
                    && e.job.as_deref().is_none_or(|j| !j.chars().any(is_word))
            }
        }
    }

    /// The token with its names owned, independent of the decoded text.
    pub fn into_owned(self) -> Token<'static> {
        match self {
            Token::Full(e) => Token::Full(Entry {
                marks: e.marks,
                flight: e.flight,
                job: e.job.map(|j| Cow::Owned(j.into_owned())),
                stepno: e.stepno,
                ident: e.ident.map(|i| Cow::Owned(i.into_owned())),
            }),
            Token::Step { marks, stepno } => Token::Step { marks, stepno },
            Token::Elided { count } => Token::Elided { count },
            Token::Task {
                concurrent,
                taskid,
                colon,
            } => Token::Task {
                concurrent,
                taskid,
                colon,
            },
        }
    }
}

/// A decimal number as the format writes it: ASCII digits, no leading
/// zero, no sign, within `T`'s range. One pass, no allocation.
fn number<T: TryFrom<u64>>(s: &str) -> Option<T> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 10 || (b.len() > 1 && b[0] == b'0') {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(c - b'0');
    }
    T::try_from(n).ok()
}

/// Where an entry's separators are (the first `:`, the first `.` before
/// it, the first `,` after it), and whether the names around them hold
/// only name bytes.
struct Landmarks {
    colon: Option<usize>,
    dot: Option<usize>,
    comma: Option<usize>,
    /// Every byte before the colon is a name byte. The flight's digits
    /// are, so this is whether the job name is well formed.
    who_bytes_ok: bool,
    /// Every byte after the comma is a name byte.
    ident_bytes_ok: bool,
}

/// One pass over a token finds the separators and checks the names;
/// searching for each separator in turn (`split_once`) and then scanning
/// each name was half of decoding, mostly the set-up of a search over a
/// few bytes.
fn landmarks(b: &[u8]) -> Landmarks {
    let mut at = Landmarks {
        colon: None,
        dot: None,
        comma: None,
        who_bytes_ok: true,
        ident_bytes_ok: true,
    };
    // Three tight loops, one per part, rather than one loop that asks
    // which part it is in at every byte.
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b':' => break,
            b'.' if at.dot.is_none() => at.dot = Some(i),
            c => at.who_bytes_ok &= is_name_byte(c),
        }
        i += 1;
    }
    if i == b.len() {
        return at;
    }
    at.colon = Some(i);
    let Some(comma) = b[i..].iter().position(|&c| c == b',') else {
        return at;
    };
    at.comma = Some(i + comma);
    at.ident_bytes_ok = b[i + comma + 1..].iter().all(|&c| is_name_byte(c));
    at
}

fn token(text: &str) -> Result<Token<'_>, &'static str> {
    if let Some(inner) = text.strip_prefix('[') {
        let count = inner
            .strip_suffix(']')
            .and_then(number::<u32>)
            .filter(|&n| n > 0)
            .ok_or("a placeholder is `[n]` with n a positive count")?;
        return Ok(Token::Elided { count });
    }
    let mut rest = text;
    let mut marks = Marks::default();
    if let Some(r) = rest.strip_prefix('+') {
        marks.concurrent = true;
        rest = r;
    }
    if let Some(r) = rest.strip_prefix('@') {
        marks.prep = true;
        rest = r;
    }
    if rest.starts_with(['+', '@']) {
        return Err("marks out of order or repeated: at most one `+`, then at most one `@`");
    }
    if let Some(task) = rest.strip_prefix('?') {
        if marks.prep {
            return Err("a task token cannot carry the prep mark `@`");
        }
        let (digits, colon) = match task.strip_suffix(':') {
            Some(d) => (d, true),
            None => (task, false),
        };
        let taskid = number(digits).ok_or("a task token is `?` and a task id")?;
        return Ok(Token::Task {
            concurrent: marks.concurrent,
            taskid,
            colon,
        });
    }
    if rest.is_empty() {
        return Err("marks with no entry (or marks out of order: `+` comes before `@`)");
    }
    if rest.bytes().all(|b| b.is_ascii_digit()) {
        let stepno = number(rest).ok_or("a step number has no leading zero and fits 32 bits")?;
        return Ok(Token::Step { marks, stepno });
    }
    let marks_at = landmarks(rest.as_bytes());
    let Some(colon) = marks_at.colon else {
        return Err("expected `[<flight>.][<job>]:<stepno>[,<ident>]`");
    };
    let (who, after) = (&rest[..colon], &rest[colon + 1..]);
    let (step, ident) = match marks_at.comma {
        Some(comma) => (&rest[colon + 1..comma], Some(&rest[comma + 1..])),
        None => (after, None),
    };
    let stepno = number(step).ok_or("the step number after `:` is missing or malformed")?;
    if ident.is_some_and(|ident| ident.is_empty() || !marks_at.ident_bytes_ok) {
        return Err("an ident is letters, digits, `-`, `_` and `.`");
    }
    let (flight, job) = match marks_at.dot.map(|dot| (&who[..dot], &who[dot + 1..])) {
        Some((f, j)) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            let flight = number(f).ok_or("a flight number has no leading zero and fits 32 bits")?;
            (Some(flight), j)
        }
        _ => (None, who),
    };
    if !job.is_empty() && !marks_at.who_bytes_ok {
        return Err("a job name is letters, digits, `-`, `_` and `.`");
    }
    Ok(Token::Full(Entry {
        marks,
        flight,
        job: (!job.is_empty()).then_some(Cow::Borrowed(job)),
        stepno,
        ident: ident.map(Cow::Borrowed),
    }))
}

/// Decode a runvar. Every token must be well formed, a trailing sigil may
/// only stand last, and a bare step must have an entry to continue.
pub fn decode(text: &str) -> Result<Runvar<'_>, DecodeError> {
    if text.is_empty() {
        return Ok(Runvar::default());
    }
    // Tokens average about ten bytes; sizing up front spares regrowth.
    let mut runvar = Runvar {
        tokens: Vec::with_capacity(text.len() / 8 + 1),
        sigil: None,
    };
    // Whether the last token that is not passed over can be continued by a
    // bare step (only a full entry can).
    let mut continuable = false;
    let bytes = text.as_bytes();
    let mut offset = 0;
    loop {
        // Tokens are a few bytes: a plain loop finds the space sooner than
        // a general string search gets going.
        let end = bytes[offset..]
            .iter()
            .position(|&c| c == b' ')
            .map_or(bytes.len(), |p| offset + p);
        let part = &text[offset..end];
        let last = end == bytes.len();
        let err = |reason| DecodeError {
            token: part.to_owned(),
            offset,
            reason,
        };
        if part.is_empty() {
            return Err(err("empty token: tokens are separated by single spaces"));
        }
        match part {
            "@" | "+" if last => {
                runvar.sigil = Some(if part == "@" { Sigil::Prep } else { Sigil::Use });
            }
            "@" | "+" => {
                return Err(err("a sigil may only stand last"));
            }
            _ => {
                let tok = token(part).map_err(err)?;
                if matches!(tok, Token::Step { .. }) && !continuable {
                    return Err(err("a bare step number has no earlier entry to continue"));
                }
                if !tok.is_passed_over() {
                    continuable = matches!(tok, Token::Full(_));
                }
                runvar.tokens.push(tok);
            }
        }
        if last {
            return Ok(runvar);
        }
        offset = end + 1;
    }
}

impl Runvar<'_> {
    /// Fill in omitted parts: the runvar belongs to job `job` of `flight`.
    pub fn resolve(&self, flight: i32, job: &str) -> Vec<Resolved> {
        let mut out = Vec::with_capacity(self.tokens.len());
        // The full entry a bare step continues.
        let mut base: Option<(i32, String, String)> = None;
        for token in &self.tokens {
            let step = |marks: Marks, f: i32, j: &str, stepno: i32, ident: &str| Resolved {
                concurrent: marks.concurrent,
                kind: ResolvedKind::Step {
                    flight: f,
                    job: j.to_owned(),
                    stepno,
                    ident: ident.to_owned(),
                    prep: marks.prep,
                    own: f == flight && j == job,
                },
            };
            match token {
                Token::Full(e) => {
                    let f = e.flight.unwrap_or(flight);
                    let j = e.job.as_deref().unwrap_or(job);
                    let ident = e.ident.as_deref().unwrap_or(DEFAULT_IDENT);
                    out.push(step(e.marks, f, j, e.stepno, ident));
                    if !token.is_passed_over() {
                        base = Some((f, j.to_owned(), ident.to_owned()));
                    }
                }
                Token::Step { marks, stepno } => {
                    // decode() guarantees a base; a hand-built Runvar
                    // without one resolves against its own job.
                    let (f, j, ident) =
                        base.clone()
                            .unwrap_or((flight, job.to_owned(), DEFAULT_IDENT.to_owned()));
                    out.push(step(*marks, f, &j, *stepno, &ident));
                }
                Token::Elided { count } => {
                    base = None;
                    out.push(Resolved {
                        concurrent: false,
                        kind: ResolvedKind::Elided { count: *count },
                    });
                }
                Token::Task {
                    concurrent,
                    taskid,
                    colon,
                } => {
                    if *colon {
                        base = None;
                    }
                    out.push(Resolved {
                        concurrent: *concurrent,
                        kind: ResolvedKind::Task { taskid: *taskid },
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(s: &str) -> Runvar<'_> {
        let r = decode(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert_eq!(r.to_string(), s);
        r
    }

    #[test]
    fn decodes_the_worked_example() {
        let r = roundtrip("@build-a:2 5 [1] +@build-c:3 @");
        assert_eq!(r.sigil, Some(Sigil::Prep));
        let res = r.resolve(100, "build-d");
        let steps: Vec<_> = res
            .iter()
            .map(|x| match &x.kind {
                ResolvedKind::Step {
                    flight,
                    job,
                    stepno,
                    prep,
                    ..
                } => format!("{flight}/{job}/{stepno}/{prep}/{}", x.concurrent),
                ResolvedKind::Elided { count } => format!("[{count}]"),
                ResolvedKind::Task { taskid } => format!("?{taskid}"),
            })
            .collect();
        assert_eq!(
            steps,
            [
                "100/build-a/2/true/false",
                "100/build-a/5/false/false",
                "[1]",
                "100/build-c/3/true/true"
            ]
        );
    }

    #[test]
    fn bare_step_after_own_entry_continues_the_entry_before() {
        let r = roundtrip("@build-amd64:2 :2 +3");
        let res = r.resolve(100, "build-i386");
        match &res[2].kind {
            ResolvedKind::Step {
                job, stepno, own, ..
            } => {
                assert_eq!((job.as_str(), *stepno, *own), ("build-amd64", 3, false));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn own_entry_with_ident_is_continued() {
        let r = roundtrip("@:2,src_host 4");
        let res = r.resolve(300, "pair");
        assert_eq!(
            res[1].kind,
            ResolvedKind::Step {
                flight: 300,
                job: "pair".into(),
                stepno: 4,
                ident: "src_host".into(),
                prep: false,
                own: true
            }
        );
    }

    #[test]
    fn accepted_forms() {
        for s in [
            "",
            "@",
            "+",
            ":2",
            "@:2 :3",
            "?29 @",
            "+?5 @",
            "?5: :3",
            "@699.:2 3 @",
            "@100.build-amd64:2 3 [1] +?1 :2 +101.build-i386:2",
            "@test-amd64-amd64-pair:2,src_host +test-amd64-amd64-pair:4,dst_host @",
        ] {
            roundtrip(s);
        }
    }

    #[test]
    fn rejects_malformed_with_token_and_offset() {
        let cases = [
            ("@+x:2", "@+x:2", 0),
            ("x:2 ", "", 4),
            ("x:2  y:3", "", 4),
            ("+ x:2", "+", 0),
            ("5", "5", 0),
            ("[1] 5", "5", 4),
            ("?5: 3", "3", 4),
            ("x:02", "x:02", 0),
            ("[0]", "[0]", 0),
            ("@?5", "@?5", 0),
            ("x:2,", "x:2,", 0),
            ("a b:2", "a", 0),
            ("x:99999999999", "x:99999999999", 0),
            ("x:2 @ +", "@", 4),
        ];
        for (input, token, offset) in cases {
            let e = decode(input).expect_err(input);
            assert_eq!(
                (e.token.as_str(), e.offset),
                (token, offset),
                "{input}: {e}"
            );
        }
    }
}
