//! Properties of the runvar codec and the listing, over generated input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

use std::borrow::Cow;

use hostlife::lifecycle::{
    self, Entry, ListingContext, Marks, ResolvedKind, RowJob, Runvar, ScanRow, Sigil, Token,
};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    // Job names start with a letter: a leading `<digits>.` would read as
    // a flight.
    "[a-z][a-z0-9_.-]{0,12}"
}

fn marks() -> impl Strategy<Value = Marks> {
    (any::<bool>(), any::<bool>()).prop_map(|(concurrent, prep)| Marks { concurrent, prep })
}

fn number() -> impl Strategy<Value = i32> {
    prop_oneof![0..20i32, 0..i32::MAX]
}

fn token() -> impl Strategy<Value = Token<'static>> {
    prop_oneof![
        4 => (marks(), proptest::option::of(number()), proptest::option::of(name()), number(),
              proptest::option::of(name()))
            .prop_map(|(marks, flight, job, stepno, ident)| Token::Full(Entry {
                marks, flight, job: job.map(Cow::Owned), stepno, ident: ident.map(Cow::Owned)
            })),
        3 => (marks(), number()).prop_map(|(marks, stepno)| Token::Step { marks, stepno }),
        1 => (1..50u32).prop_map(|count| Token::Elided { count }),
        1 => (any::<bool>(), number(), any::<bool>())
            .prop_map(|(concurrent, taskid, colon)| Token::Task { concurrent, taskid, colon }),
    ]
}

/// Turn bare steps that have nothing to continue into full entries, so the
/// token list is one a runvar can hold.
fn well_formed(tokens: Vec<Token<'static>>, sigil: Option<Sigil>) -> Runvar<'static> {
    let mut out: Vec<Token<'static>> = Vec::new();
    let mut continuable = false;
    for t in tokens {
        let t = match t {
            Token::Step { marks, stepno } if !continuable => Token::Full(Entry {
                marks,
                flight: None,
                job: Some("j".into()),
                stepno,
                ident: None,
            }),
            t => t,
        };
        let text = t.to_string();
        let rest = text.trim_start_matches(|c: char| !(c.is_alphanumeric() || c == '_'));
        let passed_over = !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit());
        assert_passed_over_agrees(passed_over, t.is_passed_over(), &text);
        if !passed_over {
            continuable = matches!(t, Token::Full(_));
        }
        out.push(t);
    }
    Runvar { tokens: out, sigil }
}

/// The structural pass-over test must agree with the textual one.
fn assert_passed_over_agrees(textual: bool, structural: bool, text: &str) {
    assert_eq!(textual, structural, "pass-over of {text:?}");
}

fn runvar() -> impl Strategy<Value = Runvar<'static>> {
    (
        proptest::collection::vec(token(), 0..30),
        proptest::option::of(prop_oneof![Just(Sigil::Prep), Just(Sigil::Use)]),
    )
        .prop_map(|(t, s)| well_formed(t, s))
}

fn rows() -> impl Strategy<Value = Vec<ScanRow<'static>>> {
    let job = (
        prop_oneof![Just(100), Just(101), Just(7)],
        prop_oneof![
            Just("build-amd64"),
            Just("build-i386"),
            Just("test-xl"),
            Just("me")
        ],
        1..8i32,
        prop_oneof![
            Just("host"),
            Just("host"),
            Just("src_host"),
            Just("dst_host")
        ],
        any::<bool>(),
    )
        .prop_map(|(flight, job, stepno, ident, isprep)| RowJob {
            flight,
            job: job.to_owned().into(),
            stepno,
            ident: ident.to_owned().into(),
            isprep,
        });
    proptest::collection::vec(
        (
            1..12i32,
            any::<bool>(),
            proptest::option::weighted(0.85, job),
        ),
        0..60,
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (taskid, live, job))| ScanRow {
                lcseq: i32::try_from(i).unwrap() + 1,
                taskid,
                live,
                job,
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn decode_inverts_encode(r in runvar()) {
        let text = r.to_string();
        let back = lifecycle::decode(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        prop_assert_eq!(back, r);
    }

    #[test]
    fn decode_never_panics(s in "\\PC{0,40}") {
        if let Ok(r) = lifecycle::decode(&s) {
            prop_assert_eq!(r.to_string(), s);
        }
    }

    #[test]
    fn decode_never_panics_near_the_grammar(s in "[+@?:\\[\\],. 0-9a-c_-]{0,40}") {
        if let Ok(r) = lifecycle::decode(&s) {
            prop_assert_eq!(r.to_string(), s);
        }
    }

    /// Every listing decodes, and every entry it resolves to is one of the
    /// rows it was made from, with the marks the listing gave that row.
    #[test]
    fn listings_decode_back_to_their_rows(rows in rows(), build_host in any::<bool>(),
                                          sigil in proptest::option::of(prop_oneof![Just(Sigil::Prep), Just(Sigil::Use)])) {
        let ctx = ListingContext { flight: Some(100), job: "me", build_host };
        let listing = lifecycle::listing(&rows, ctx);
        let text = listing.runvar(sigil);
        let decoded = lifecycle::decode(&text)
            .map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        prop_assert_eq!(decoded.sigil, sigil);
        let mut elided = 0;
        for entry in decoded.resolve(100, "me") {
            match entry.kind {
                ResolvedKind::Step { flight, job, stepno, ident, prep, own } => {
                    let found = rows.iter().zip(&listing.flags).any(|(r, f)| {
                        r.job.as_ref().is_some_and(|j| {
                            j.flight == flight && j.job == job && j.stepno == stepno
                                && j.ident == ident && j.isprep == prep
                                && f.own == own
                                && (f.concurrent && !f.own) == entry.concurrent
                        })
                    });
                    prop_assert!(found, "{} -> {}/{}/{}/{} matches no row", text, flight, job, stepno, ident);
                }
                ResolvedKind::Task { taskid } => {
                    prop_assert!(rows.iter().any(|r| r.job.is_none() && r.taskid == taskid));
                }
                ResolvedKind::Elided { count } => {
                    prop_assert!(build_host);
                    elided += count;
                }
            }
        }
        prop_assert!(elided as usize <= rows.len());
    }
}
