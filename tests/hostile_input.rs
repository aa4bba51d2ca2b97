#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]
//! Hostile strings in the database and on the command line: text output
//! never passes a control character to the terminal and stays aligned,
//! JSON stays exact, names that cannot be seen for what they are are not
//! written, and names beyond the limits are refused before the server
//! sees them (exit 1, nothing written).

mod common;

use common::hostlife;

use hostlife::db::testdb::TestDb;
use serde_json::{Value, json};
use unicode_width::UnicodeWidthStr as _;

/// A title change and a bell: what a terminal must never receive.
const ESC_HOST: &str = "evil\u{1b}]0;pwned\u{7}host";
const NEWLINE_HOST: &str = "split\nrow";
const CJK_HOST: &str = "日本ホスト1";
const ZERO_WIDTH_HOST: &str = "host\u{200b}1";
const PLAIN_HOST: &str = "host1";
const ESC_JOB: &str = "build-\u{1b}[31mred";
const ESC_REFKEY: &str = "op\u{1b}[2J@node";

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

/// A lab where every name osstest's tables hold is somebody's chance to
/// reach the terminal: hosts, a job, a task refkey, a step name.
fn hostile_world(db: &TestDb) -> postgres::Client {
    let mut c = db.connect();
    let hosts = [
        ESC_HOST,
        NEWLINE_HOST,
        CJK_HOST,
        ZERO_WIDTH_HOST,
        PLAIN_HOST,
    ];
    let world = json!({
        "tasks": [
            {"taskid": 7, "type": "static", "refkey": ESC_REFKEY, "live": true},
            {"taskid": 8, "type": "static", "refkey": "ops@lab", "live": true},
        ],
        "flights": [{"flight": 100, "blessing": "running"}],
        "jobs": [{"flight": 100, "job": ESC_JOB, "status": "running"}],
        "steps": [{"flight": 100, "job": ESC_JOB, "stepno": 2, "step": "ts-host\tinstall",
                   "testid": "host-install\u{7}", "status": "pass"}],
        "runvars": [{"flight": 100, "job": ESC_JOB, "name": "host", "val": ESC_HOST}],
        "resources": hosts.iter().map(|h| json!(
            {"restype": "host", "resname": h, "shareix": 0, "owntaskid": 8}
        )).collect::<Vec<_>>(),
        "resource_sharing": [],
        "host_lifecycle": hosts.iter().enumerate().map(|(i, h)| json!(
            {"lcseq": i + 1, "hostname": h, "taskid": 7, "flight": 100, "job": ESC_JOB,
             "stepno": 2, "ident": "host", "isprep": false}
        )).collect::<Vec<_>>(),
    });
    common::load_world(&mut c, &world);
    c
}

/// Whether `s` holds a character a terminal would act on or could not
/// show: a control other than the line feed, or an invisible one.
fn unsafe_char(s: &str) -> Option<char> {
    s.chars()
        .find(|&c| (c.is_control() && c != '\n') || hostlife::lifecycle::is_invisible(c))
}

#[test]
fn text_output_never_passes_control_characters() {
    let db = TestDb::new();
    let _c = hostile_world(&db);
    for args in [
        vec!["hosts"],
        vec!["show", ESC_HOST],
        vec!["show", CJK_HOST],
        vec!["history", ESC_HOST],
        vec!["show", ZERO_WIDTH_HOST],
    ] {
        let o = hostlife(&db, &args);
        let out = text(&o.stdout);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
        assert_eq!(unsafe_char(&out), None, "{args:?} printed:\n{out}");
        assert_eq!(unsafe_char(&text(&o.stderr)), None, "{args:?}");
    }
    let hosts = text(&hostlife(&db, &["hosts"]).stdout);
    assert!(hosts.contains("evil\\e]0;pwned\\x07host"), "{hosts}");
    assert!(hosts.contains("split\\nrow"), "{hosts}");
    assert!(hosts.contains("host\\u{200b}1"), "{hosts}");
    let show = text(&hostlife(&db, &["show", PLAIN_HOST]).stdout);
    assert!(show.contains("build-\\e[31mred"), "{show}");
    assert!(show.contains("op\\e[2J@node"), "{show}");
    assert!(show.contains("ts-host\\tinstall"), "{show}");
}

#[test]
fn a_newline_in_a_name_does_not_split_a_table_row() {
    let db = TestDb::new();
    let _c = hostile_world(&db);
    let out = text(&hostlife(&db, &["hosts"]).stdout);
    // A header, one line per host, the summary and the columns' legend.
    assert_eq!(out.lines().count(), 1 + 5 + 2, "{out}");
}

#[test]
fn tables_align_by_display_width() {
    let db = TestDb::new();
    let _c = hostile_world(&db);
    let out = text(&hostlife(&db, &["hosts"]).stdout);
    let mut lines = out.lines();
    let header = lines.next().unwrap();
    // Every row's second column starts where the header's does, counted
    // in terminal columns: a CJK character takes two.
    let second = header[..header.find("SHARED").unwrap()].width();
    for line in lines.take(5) {
        let mut width = 0;
        let rest = line
            .char_indices()
            .find_map(|(i, c)| {
                let at = width;
                width += c.to_string().width();
                (at == second).then_some(&line[i..])
            })
            .unwrap_or_else(|| panic!("{line:?} is shorter than {second} columns"));
        assert!(rest.starts_with('-'), "{line:?}: second column misaligned");
        assert!(line[..line.len() - rest.len()].ends_with("  "), "{line:?}");
    }
}

#[test]
fn json_output_is_exact() {
    let db = TestDb::new();
    let _c = hostile_world(&db);
    let o = hostlife(&db, &["hosts", "--json"]);
    let hosts: Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = hosts
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["host"].as_str().unwrap())
        .collect();
    for h in [
        ESC_HOST,
        NEWLINE_HOST,
        CJK_HOST,
        ZERO_WIDTH_HOST,
        PLAIN_HOST,
    ] {
        assert!(names.contains(&h), "{h:?} not in {names:?}");
    }
    let o = hostlife(&db, &["show", PLAIN_HOST, "--json"]);
    let show = text(&o.stdout);
    let detail: Value = serde_json::from_str(&show).unwrap();
    assert_eq!(detail["rows"][0]["job"]["job"], ESC_JOB, "{show}");
}

#[test]
fn error_lines_quote_the_database_escaped() {
    let db = TestDb::new();
    let _c = hostile_world(&db);
    // A host the database does not have: the refusal suggests the one it
    // has, whose name comes from the database.
    let o = hostlife(&db, &["show", "evil\u{1b}]0;pwned\u{7}hos"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert_eq!(unsafe_char(&err), None, "{err}");
    assert!(
        err.contains("did you mean evil\\e]0;pwned\\x07host?"),
        "{err}"
    );
}

#[test]
fn invisible_host_names_are_refused_for_writes_and_found_for_reads() {
    let db = TestDb::new();
    let mut c = hostile_world(&db);
    let before = common::count_rows(&mut c);
    for host in [
        "host\u{200b}2",
        "abc\u{202e}fed",
        "\u{feff}host1",
        "host\u{2066}1",
    ] {
        let o = hostlife(
            &db,
            &[
                "record",
                "select",
                host,
                "--static-task",
                "ops@lab",
                "--json",
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{host:?}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(err.contains("zero-width"), "{err}");
        assert_eq!(unsafe_char(&err), None, "{err}");
        let body: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(body["kind"], "refused", "{body}");
    }
    assert_eq!(common::count_rows(&mut c), before, "a refused write wrote");
    // The one already in the database can still be looked up.
    let o = hostlife(&db, &["show", ZERO_WIDTH_HOST]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).starts_with("host\\u{200b}1: 1 row since"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn names_beyond_the_limits_are_refused_before_the_server_sees_them() {
    let db = TestDb::new();
    let mut c = hostile_world(&db);
    let before = common::count_rows(&mut c);
    let tasks_before: i64 = c
        .query_one("SELECT count(*) FROM tasks", &[])
        .unwrap()
        .get(0);
    let long = "a".repeat(10_000);
    let long_host = "h".repeat(254);
    let static_task = format!("{long}@node");
    let cases: [(&str, Vec<&str>); 6] = [
        (
            "ident",
            vec![
                "record",
                "select",
                PLAIN_HOST,
                "--ident",
                &long,
                "--static-task",
                "ops@lab",
            ],
        ),
        (
            "static task",
            vec![
                "record",
                "select",
                PLAIN_HOST,
                "--static-task",
                &static_task,
            ],
        ),
        (
            "host",
            vec!["record", "select", &long_host, "--static-task", "ops@lab"],
        ),
        (
            "job",
            vec![
                "record",
                "select",
                PLAIN_HOST,
                "--flight",
                "100",
                "--job",
                &long,
                "--step",
                "2",
                "--static-task",
                "ops@lab",
            ],
        ),
        (
            "static task",
            vec!["record", "wiped", PLAIN_HOST, "--static-task", &static_task],
        ),
        (
            "testid",
            vec![
                "record",
                "select",
                PLAIN_HOST,
                "--flight",
                "100",
                "--job",
                "j",
                "--testid",
                &long,
                "--static-task",
                "ops@lab",
            ],
        ),
    ];
    for (field, mut args) in cases {
        args.push("--json");
        let o = hostlife(&db, &args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{field}: {err}");
        // The field, its length and the limit: what to shorten, and by how much.
        let length = args.iter().map(|a| a.len()).max().unwrap();
        assert!(
            err.contains(&format!("{field} is {length} bytes long")),
            "{field}: {err}"
        );
        assert!(err.contains("the limit is"), "{field}: {err}");
        assert!(!err.contains("index row"), "{err}");
        let body: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(body["kind"], "refused", "{body}");
    }
    assert_eq!(common::count_rows(&mut c), before, "a refused write wrote");
    let tasks_after: i64 = c
        .query_one("SELECT count(*) FROM tasks", &[])
        .unwrap()
        .get(0);
    assert_eq!(tasks_after, tasks_before, "a refused write made a task");
}
