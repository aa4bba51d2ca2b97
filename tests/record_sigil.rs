//! The early return (spec section 4): a call whose runvar's last token is
//! already its mode's sigil writes nothing and says so. Through the
//! recorder on a database, on every corner of the grammar: trailing
//! spaces, tabs, tokens of two marks, other characters, every mode.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

mod common;

use hostlife::db::testdb::TestDb;
use hostlife::lifecycle::call::RecordOutcome;
use hostlife::lifecycle::{Mode, Sigil, sigil_of_last_token};

const VALUES: &[&str] = &[
    "",
    " ",
    "@",
    "+",
    " @",
    "@ ",
    "@   ",
    "a @",
    "a  @  ",
    "+@",
    "a+@",
    "a@",
    "@@",
    "x @x",
    "@ x",
    "é @",
    "é+",
    "é",
    " +",
    "100.build-a:2 3 +",
    "@build-a:2,src_host 5 @",
    "a\t@",
    "\t@",
    "@\t",
    "a …",
];

#[test]
fn the_early_return_agrees_with_the_grammar() {
    let db = TestDb::new();
    let mut c = db.connect();
    common::one_job(&mut c);
    let mut recorder = db.recorder();
    for &value in VALUES {
        for mode in [Mode::SelectPrep, Mode::Select, Mode::Final] {
            c.execute(
                "INSERT INTO runvars VALUES (1, 'test-x', 'host_lifecycle', $1, true)
                 ON CONFLICT (flight, job, name) DO UPDATE SET val = EXCLUDED.val",
                &[&value],
            )
            .unwrap();
            let outcome = recorder.record(&common::one_job_call(mode)).unwrap();
            let early = mode.sigil().map(Sigil::as_char);
            let want_unchanged = early.is_some() && sigil_of_last_token(value) == early;
            match outcome {
                RecordOutcome::Unchanged { runvar, .. } => {
                    assert!(want_unchanged, "{value:?} {mode:?}: returned early");
                    assert_eq!(runvar, value);
                }
                RecordOutcome::Recorded { .. } => {
                    assert!(!want_unchanged, "{value:?} {mode:?}: recorded");
                }
                other => panic!("{value:?} {mode:?}: {other:?}"),
            }
            c.batch_execute("DELETE FROM host_lifecycle").unwrap();
        }
    }
}
