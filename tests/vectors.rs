//! Replays every conformance scenario in tests/data/vectors on a fresh
//! database through the recorder (the code path of `hostlife record`) and
//! compares each op's result, the final rows and the final runvars with
//! what osstest's own code produced.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

mod common;

use std::path::Path;

use hostlife::db::Error;
use hostlife::db::record::{self, Recorder};
use hostlife::db::testdb::TestDb;
use hostlife::db::wipe;
use hostlife::lifecycle::call::RecordOutcome;
use hostlife::lifecycle::call::TaskRef;
use hostlife::lifecycle::call::WipeCall;
use hostlife::lifecycle::call::{JobRef, RecordCall, StepRef};
use serde_json::{Value, json};

fn job_of(op: &Value) -> Option<JobRef> {
    match (
        op.get("flight").and_then(Value::as_i64),
        op.get("job").and_then(Value::as_str),
    ) {
        (Some(flight), Some(job)) => Some(JobRef {
            flight: i32::try_from(flight).unwrap(),
            job: job.to_owned(),
        }),
        _ => None,
    }
}

fn task_of(op: &Value) -> TaskRef {
    TaskRef::Id {
        taskid: i32::try_from(op["task"].as_i64().expect("task")).unwrap(),
    }
}

/// Apply one op; return the fields the expected file records for it.
fn apply(c: &mut postgres::Client, recorder: &mut Recorder, op: &Value) -> Value {
    let kind = op["op"].as_str().unwrap();
    match kind {
        "record" => {
            let ident = op
                .get("ident")
                .and_then(Value::as_str)
                .unwrap_or("host")
                .to_owned();
            let call = RecordCall {
                mode: op["mode"].as_str().unwrap().parse().unwrap(),
                host: op["host"].as_str().unwrap().to_owned(),
                ident: ident.clone(),
                job: job_of(op),
                step: op
                    .get("stepno")
                    .and_then(Value::as_i64)
                    .map(|n| StepRef::Number(i32::try_from(n).unwrap())),
                task: task_of(op),
                nested: op.get("nested").and_then(Value::as_bool).unwrap_or(false),
            };
            let before = common::count_rows(c);
            let result = recorder.record(&call);
            let after = common::count_rows(c);
            let runvar = job_of(op)
                .and_then(|j| common::runvar(c, j.flight, &j.job, &record::runvar_name(&ident)));
            let mut out = json!({"row_added": after > before, "runvar": runvar});
            match result {
                Ok(outcome) => {
                    let added = matches!(
                        outcome,
                        RecordOutcome::OutOfJob { .. } | RecordOutcome::Recorded { .. }
                    );
                    assert_eq!(added, after > before, "outcome {outcome:?} vs row count");
                }
                Err(Error::Refused(r)) => {
                    assert_eq!(after, before, "a refusal wrote rows");
                    out["error"] = json!(r.to_string());
                }
                Err(e) => panic!("op {op}: unexpected failure: {e}"),
            }
            out
        }
        "wiped" => {
            let call = WipeCall {
                host: op["host"].as_str().unwrap().to_owned(),
                task: task_of(op),
                job: job_of(op),
            };
            let before = common::count_rows(c);
            match wipe::wipe(c, &call) {
                Ok(w) => {
                    assert_eq!(
                        before - common::count_rows(c),
                        i64::try_from(w.deleted).unwrap()
                    );
                    json!({"rows_deleted": w.deleted})
                }
                Err(Error::Refused(r)) => {
                    assert_eq!(common::count_rows(c), before, "a refusal deleted rows");
                    json!({"rows_deleted": 0, "error": r.to_string()})
                }
                Err(e) => panic!("op {op}: unexpected failure: {e}"),
            }
        }
        "task_dead" | "task_live" => {
            common::set_live(
                c,
                i32::try_from(op["task"].as_i64().unwrap()).unwrap(),
                kind == "task_live",
            );
            json!({})
        }
        "alloc" => {
            common::alloc(
                c,
                op["restype"].as_str().unwrap(),
                op["resname"].as_str().unwrap(),
                i32::try_from(op["shareix"].as_i64().unwrap()).unwrap(),
                i32::try_from(op["task"].as_i64().unwrap()).unwrap(),
            );
            json!({})
        }
        other => panic!("unknown op {other}"),
    }
}

fn strip_lcseq(rows: &Value) -> Vec<Value> {
    let mut rows: Vec<Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.as_object_mut().unwrap().remove("lcseq");
            r
        })
        .collect();
    // Expected rows are ordered by (hostname, lcseq): keep that order but
    // make sure it is by host first, as the dump is.
    rows.sort_by(|a, b| a["hostname"].as_str().cmp(&b["hostname"].as_str()));
    rows
}

fn replay(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/vectors");
    let scenario: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap())
            .unwrap();
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("{name}.expected.json"))).unwrap(),
    )
    .unwrap();
    let db = TestDb::new();
    let mut c = db.connect();
    common::load_world(&mut c, &scenario["world"]);
    let mut recorder = db.recorder();

    let ops = scenario["ops"].as_array().unwrap();
    let want_ops = expected["ops"].as_array().unwrap();
    assert_eq!(ops.len(), want_ops.len());
    for (i, (op, want)) in ops.iter().zip(want_ops).enumerate() {
        let got = apply(&mut c, &mut recorder, op);
        for key in ["row_added", "runvar", "rows_deleted"] {
            if let Some(w) = want.get(key) {
                assert_eq!(
                    got.get(key),
                    Some(w),
                    "{name} op {i} {op}: {key}; got {got}"
                );
            }
        }
        assert_eq!(
            got.get("error").is_some(),
            want.get("error").is_some(),
            "{name} op {i} {op}: refusal; got {got}, want {want}"
        );
    }
    assert_eq!(
        common::dump_rows(&mut c),
        strip_lcseq(&expected["host_lifecycle"]),
        "{name}: final host_lifecycle rows"
    );
    assert_eq!(
        Value::Array(common::dump_runvars(&mut c)),
        expected["runvars"],
        "{name}: final runvars"
    );
}

macro_rules! vectors {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(#[test] fn $test() { replay($name); })*
    };
}

vectors! {
    compress => "compress",
    differ => "differ",
    edges => "edges",
    elide => "elide",
    operator => "operator",
    own_elided => "own-elided",
    refused => "refused",
    seen_us => "seen-us",
    spec_s7 => "spec-s7",
}
