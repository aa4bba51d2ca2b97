//! The database worker against a real, disposable PostgreSQL, and the
//! app's write flow end to end: palette → confirmation → effect → worker →
//! database changed. Waits are channel receives with timeouts, never sleeps.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

mod common;
mod tui;

use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use hostlife::app::confirm::ConfirmView;
use hostlife::app::loadable::Loadable;
use hostlife::app::screen::Screen;
use hostlife::app::{App, Effect, Event, Overlay, Settings, update};
use hostlife::db::task;
use hostlife::db::testdb::TestDb;
use hostlife::db::worker::{self, Answer, Connection, Reply, Request, Worker};
use hostlife::lifecycle::call::TaskRef;
use hostlife::lifecycle::{Failure, Mode, Refusal};
use tui::{ch, key, typed};

const WAIT: Duration = Duration::from_secs(20);
const OPERATOR: &str = "op@test";

fn operator() -> TaskRef {
    TaskRef::Static {
        refkey: OPERATOR.to_owned(),
    }
}

/// The spec's world (host h1, shared), three recorded uses of h1, and a
/// plain host h2 held by the operator with one use by task 7 on it.
fn seeded() -> TestDb {
    seed(TestDb::new())
}

fn seed(db: TestDb) -> TestDb {
    let mut c = db.connect();
    let text = std::fs::read_to_string("tests/data/vectors/spec-s7.json").expect("fixture");
    let scenario: serde_json::Value = serde_json::from_str(&text).expect("json");
    common::load_world(&mut c, &scenario["world"]);
    let op = task::resolve(&mut c, &operator()).expect("operator task");
    common::alloc(&mut c, "host", "h2", 0, op.taskid);
    // h2 under another ident: build-a's host_lifecycle already ends with
    // `+`, so another select under `host` would be an early return.
    let uses = [
        ("h1", "host", "build-a", 2, Mode::SelectPrep, 7),
        ("h1", "host", "build-a", 5, Mode::Select, 7),
        ("h1", "host", "build-b", 3, Mode::Select, 8),
        ("h2", "dst_host", "build-a", 2, Mode::Select, 7),
    ];
    common::record_uses(&db, 100, &uses);
    db
}

fn spawn(config: hostlife::db::PgConfig) -> (Worker, Receiver<Event>) {
    let (tx, rx) = mpsc::channel();
    let worker = Worker::spawn(config, move |e| tx.send(Event::Db(e)).is_ok()).expect("worker");
    (worker, rx)
}

fn next_answer(rx: &Receiver<Event>) -> Answer {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if let Event::Db(worker::Event::Answer(a)) =
            rx.recv_timeout(left).expect("an answer in time")
        {
            return *a;
        }
    }
}

fn rows_of(db: &TestDb, host: &str) -> i64 {
    db.connect()
        .query_one(
            "SELECT count(*) FROM host_lifecycle WHERE hostname = $1",
            &[&host],
        )
        .expect("count")
        .get(0)
}

#[test]
fn answers_requests_with_their_id() {
    let db = seeded();
    let (worker, rx) = spawn(db.config().clone());
    assert!(worker.send(7, Request::Hosts));
    let a = next_answer(&rx);
    assert_eq!(a.id, 7);
    let Reply::Hosts(Ok(hosts)) = a.reply else {
        panic!("{:?}", a.reply)
    };
    let h1 = hosts.iter().find(|h| h.host == "h1").expect("h1");
    // The list comes uncounted; the counts are a request of their own.
    assert_eq!(h1.rows, None);
    assert!(worker.send(10, Request::HostCounts));
    let a = next_answer(&rx);
    let Reply::HostCounts(Ok(counts)) = a.reply else {
        panic!("{:?}", a.reply)
    };
    assert_eq!(counts.get("h1"), Some(&3));
    assert_eq!(counts.get("h2"), Some(&1));

    worker.send(8, Request::Show { host: "h1".into() });
    let a = next_answer(&rx);
    let Reply::Host { result: Ok(d), .. } = a.reply else {
        panic!("{:?}", a.reply)
    };
    // Tasks 7 and 8 are still live, so every use counts as concurrent.
    assert_eq!(d.listing, "@100.build-a:2 +5 +100.build-b:3");

    worker.send(
        9,
        Request::JobRunvars {
            flight: 100,
            job: "build-b".into(),
        },
    );
    let Reply::Runvars { result: Ok(r), .. } = next_answer(&rx).reply else {
        panic!("no runvars")
    };
    assert_eq!(r[0].runvar, "@build-a:2 +5 +");
}

#[test]
fn records_through_its_recorder_and_keeps_it_after_a_refusal() {
    use hostlife::lifecycle::call::RecordOutcome;
    let db = seeded();
    let (worker, rx) = spawn(db.config().clone());
    // Final calls by build-b (task 8) at its step 3.
    let call = |host: &str, ident: &str| {
        Request::Record(common::use_call(
            100,
            (host, ident, "build-b", 3, Mode::Final, 8),
        ))
    };
    let recorded = |a: Answer| match a.reply {
        Reply::Recorded {
            result: Ok(RecordOutcome::Recorded { runvar, .. }),
            ..
        } => runvar,
        other => panic!("{other:?}"),
    };

    worker.send(1, call("h1", "host"));
    let runvar = recorded(next_answer(&rx));
    assert_eq!(rows_of(&db, "h1"), 4);
    let stored = common::runvar(&mut db.connect(), 100, "build-b", "host_lifecycle");
    assert_eq!(stored.as_deref(), Some(runvar.as_str()));

    worker.send(2, call("nosuchhost", "host"));
    let a = next_answer(&rx);
    let Some(failure) = a.reply.failure() else {
        panic!("{:?}", a.reply)
    };
    assert!(
        matches!(failure, Failure::Refused(Refusal::HostUnknown(h)) if h == "nosuchhost"),
        "{failure:?}"
    );

    // The same job under another ident on h2: the recorder still works.
    worker.send(3, call("h2", "src_host"));
    recorded(next_answer(&rx));
    assert_eq!(rows_of(&db, "h2"), 2);
}

#[test]
fn stale_answers_never_reach_the_view() {
    let db = seeded();
    let (worker, rx) = spawn(db.config().clone());
    let (mut app, effects) = App::new(config(), false, Instant::now());
    let mut sent = effects;
    for host in ["h1", "h2"] {
        update(&mut app, ch(':'));
        for e in typed(&format!("goto {host}")) {
            update(&mut app, e);
        }
        sent.extend(update(&mut app, key(KeyCode::Enter)));
        update(&mut app, key(KeyCode::Esc));
    }
    // Back on h2 last: goto h2 again so the stack top is h2.
    update(&mut app, ch(':'));
    for e in typed("goto h2") {
        update(&mut app, e);
    }
    sent.extend(update(&mut app, key(KeyCode::Enter)));
    let mut newest = 0;
    for e in sent {
        if let Effect::Request(id, r) = e {
            newest = newest.max(id);
            worker.send(id, r);
        }
    }
    // Feed answers until the newest one has arrived; the worker may have
    // coalesced the older ones away, and the app drops whatever is stale.
    loop {
        let a = next_answer(&rx);
        let id = a.id;
        update(&mut app, Event::Db(worker::Event::Answer(Box::new(a))));
        if id == newest {
            break;
        }
    }
    let Some(Screen::Host(v)) = app.stack.last() else {
        panic!("not on a host")
    };
    assert_eq!(v.host, "h2");
    let detail = &v.feed.loaded().expect("h2 loaded").detail;
    assert_eq!(detail.host, "h2");
    assert_eq!(detail.rows.len(), 1);
}

fn config() -> Settings {
    Settings {
        operator_task: operator(),
        ..tui::config(false)
    }
}

/// Carry out effects through the worker and feed answers back until
/// nothing is waiting.
fn pump(app: &mut App, worker: &Worker, rx: &Receiver<Event>, effects: Vec<Effect>) {
    for e in effects {
        if let Effect::Request(id, r) = e {
            worker.send(id, r);
        }
    }
    // Connection news and the probe are fed too, as the browser's loop
    // does: they decide whether writes are offered.
    let deadline = Instant::now() + WAIT;
    while app.requests.any_waiting() {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = rx.recv_timeout(left).expect("an answer in time");
        let more = update(app, event);
        for e in more {
            if let Effect::Request(id, r) = e {
                worker.send(id, r);
            }
        }
    }
}

fn palette(app: &mut App, line: &str) -> Vec<Effect> {
    let mut effects = update(app, ch(':'));
    for e in typed(line) {
        effects.extend(update(app, e));
    }
    effects.extend(update(app, key(KeyCode::Enter)));
    effects
}

#[test]
fn wiped_from_the_palette_changes_the_database() {
    let db = seeded();
    let (worker, rx) = spawn(db.config().clone());
    let (mut app, effects) = App::new(config(), false, Instant::now());
    pump(&mut app, &worker, &rx, effects);
    assert_eq!(rows_of(&db, "h2"), 1);

    let effects = palette(&mut app, "wiped h2");
    pump(&mut app, &worker, &rx, effects);
    let Some(ConfirmView {
        plan: Loadable::Loaded(preview),
        ..
    }) = confirm_view(&app)
    else {
        panic!("no plan: {:?}", app.overlay)
    };
    assert_eq!(preview.plan.remove.len(), 1);
    assert_eq!(preview.plan.task.refkey, OPERATOR);
    // Planning wrote nothing.
    assert_eq!(rows_of(&db, "h2"), 1);

    let effects = update(&mut app, key(KeyCode::Enter));
    pump(&mut app, &worker, &rx, effects);
    let status = app.status.clone().expect("a status");
    assert!(!status.error, "{}", status.text);
    assert!(status.text.contains("removed 1 row,"), "{}", status.text);
    // The task row recorded first is all that is left.
    assert_eq!(rows_of(&db, "h2"), 1);
    let mut c = db.connect();
    let kind: Option<i32> = c
        .query_one(
            "SELECT flight FROM host_lifecycle WHERE hostname = 'h2'",
            &[],
        )
        .expect("row")
        .get(0);
    assert_eq!(kind, None);
}

#[test]
fn a_refused_wipe_shows_who_holds_the_host_and_writes_nothing() {
    let db = seeded();
    let (worker, rx) = spawn(db.config().clone());
    let (mut app, effects) = App::new(config(), false, Instant::now());
    pump(&mut app, &worker, &rx, effects);
    let effects = palette(&mut app, "wiped h1");
    pump(&mut app, &worker, &rx, effects);
    let Some(ConfirmView {
        plan: Loadable::Failed(why),
        ..
    }) = confirm_view(&app)
    else {
        panic!("not refused: {:?}", app.overlay)
    };
    assert!(
        matches!(why, Failure::Refused(r) if r.to_string().contains("shared")),
        "{why:?}"
    );
    assert!(update(&mut app, key(KeyCode::Enter)).is_empty());
    assert_eq!(rows_of(&db, "h1"), 3);
}

#[test]
fn an_unreachable_server_is_reported_and_requests_fail_fast() {
    let mut config = hostlife::db::PgConfig::new();
    config
        .host("127.0.0.1")
        .port(1)
        .user("nobody")
        .dbname("none");
    let (worker, rx) = spawn(config);
    let first = rx.recv_timeout(WAIT).expect("connection news");
    assert!(matches!(
        first,
        Event::Db(worker::Event::Connection(Connection::Down { .. }))
    ));
    worker.send(1, Request::Hosts);
    let a = next_answer(&rx);
    let Some(f) = a.reply.failure() else {
        panic!("answered without a server")
    };
    assert!(
        matches!(
            f,
            Failure::NotConnected {
                cause: Some(_),
                retry_in: Some(_)
            }
        ),
        "{f:?}"
    );
    // The app shows the banner and keeps going.
    let (mut app, _) = App::new(tui::config(false), false, Instant::now());
    update(&mut app, first);
    assert!(app.connection_down());
}

/// The confirmation dialog, when one is open.
fn confirm_view(app: &App) -> Option<&ConfirmView> {
    match &app.overlay {
        Some(Overlay::Confirm(c)) => Some(c),
        _ => None,
    }
}

#[test]
fn as_osstest_ro_the_browser_reads_starts_read_only_and_says_why() {
    let db = seeded();
    let (worker, rx) = spawn(db.read_only_config().clone());
    let (mut app, effects) = App::new(config(), false, Instant::now());
    pump(&mut app, &worker, &rx, effects);
    let why = "user osstest_ro may read but not write host_lifecycle";
    assert_eq!(app.read_only_reason().as_deref(), Some(why));
    assert!(
        app.hosts.names().contains(&"h2".to_owned()),
        "{:?}",
        app.hosts
    );

    // The palette says why, and Enter does nothing.
    let effects = palette(&mut app, "wiped h2");
    assert!(effects.is_empty(), "{effects:?}");
    let Some(Overlay::Palette(p)) = &app.overlay else {
        panic!("the palette closed: {:?}", app.overlay)
    };
    assert_eq!(p.parsed, Err(format!("read-only: {why}")));

    // A write sent anyway is refused by the worker before it is tried.
    worker.send(
        99,
        Request::Wipe(hostlife::lifecycle::call::WipeCall {
            host: "h2".into(),
            task: operator(),
            job: None,
        }),
    );
    let a = next_answer(&rx);
    let Some(f) = a.reply.failure() else {
        panic!("wrote as osstest_ro: {:?}", a.reply)
    };
    assert_eq!(f, &Failure::ReadOnly(why.to_owned()));
    assert_eq!(rows_of(&db, "h2"), 1);
}

#[test]
fn a_database_without_host_lifecycle_gets_one_line_not_an_sql_error() {
    let db = seeded();
    db.connect()
        .batch_execute("DROP TABLE host_lifecycle")
        .expect("drop");
    let (worker, rx) = spawn(db.read_only_config().clone());
    let (mut app, effects) = App::new(config(), false, Instant::now());
    pump(&mut app, &worker, &rx, effects);
    let line = "host_lifecycle is missing: run `hostlife db upgrade` as the owner of the database, osstest";
    let banner = app.banner().expect("a banner");
    assert!(banner.contains(line), "{banner}");
    let Loadable::Failed(why) = &app.hosts.feed.data else {
        panic!("hosts: {:?}", app.hosts.feed)
    };
    assert_eq!(why, &Failure::Unusable(line.to_owned()));
}

/// The palette asks the database about the job a line names as it is
/// typed, and flags one that does not exist before Enter.
#[test]
fn the_palette_flags_a_job_that_does_not_exist_before_enter() {
    let db = seeded();
    let (worker, rx) = spawn(db.config().clone());
    let (mut app, effects) = App::new(config(), false, Instant::now());
    pump(&mut app, &worker, &rx, effects);
    let parsed = |app: &App| match &app.overlay {
        Some(Overlay::Palette(p)) => p.parsed.clone(),
        other => panic!("the palette closed: {other:?}"),
    };
    let type_line = |app: &mut App, line: &str| {
        let mut effects = update(app, key(KeyCode::Esc));
        effects.extend(update(app, ch(':')));
        for e in typed(line) {
            effects.extend(update(app, e));
        }
        pump(app, &worker, &rx, effects);
    };

    type_line(&mut app, "decode 100 build-zz");
    let err = parsed(&app).unwrap_err();
    assert!(err.contains("build-zz") && err.contains("100"), "{err}");
    // Enter runs nothing.
    assert!(update(&mut app, key(KeyCode::Enter)).is_empty());

    type_line(&mut app, "decode 999 build-a");
    let err = parsed(&app).unwrap_err();
    assert!(err.contains("999"), "{err}");

    type_line(&mut app, "decode 100 build-a");
    assert!(parsed(&app).is_ok(), "{:?}", parsed(&app));

    // A record's --flight/--job too.
    type_line(&mut app, "select h2 --flight 100 --job nosuch");
    let err = parsed(&app).unwrap_err();
    assert!(err.contains("nosuch"), "{err}");
}

/// A write sent while a read is stuck (here behind a lock on a table the
/// read needs) cancels the read and is answered first; the read runs
/// again after it and is answered when it can be.
#[test]
fn a_write_does_not_wait_behind_a_slow_read() {
    use hostlife::lifecycle::call::RecordOutcome;
    let db = seeded();
    let (worker, rx) = spawn(db.config().clone());
    let mut hold = stuck_behind_a_lock(&db, &worker, 1, Request::Hosts);

    let call = common::use_call(100, ("h1", "host", "build-b", 3, Mode::Final, 8));
    assert!(worker.send(2, Request::Record(call)));
    let a = next_answer(&rx);
    assert_eq!(a.id, 2, "the write waited: {:?}", a.reply);
    assert!(
        matches!(
            a.reply,
            Reply::Recorded {
                result: Ok(RecordOutcome::Recorded { .. }),
                ..
            }
        ),
        "{:?}",
        a.reply
    );
    assert_eq!(rows_of(&db, "h1"), 4);

    // Still locked: the read was put back, not answered.
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
    hold.batch_execute("COMMIT").unwrap();
    let a = next_answer(&rx);
    assert_eq!(a.id, 1);
    assert!(matches!(a.reply, Reply::Hosts(Ok(_))), "{:?}", a.reply);
}

/// Send `request` (which reads `hostflags`) with that table locked, and
/// return once it waits for the lock; the connection holding the lock,
/// which releases it on `COMMIT`.
fn stuck_behind_a_lock(
    db: &TestDb,
    worker: &Worker,
    id: u64,
    request: Request,
) -> postgres::Client {
    let mut hold = db.admin();
    hold.batch_execute("BEGIN; LOCK TABLE hostflags IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    assert!(worker.send(id, request));
    let mut watch = db.admin();
    let deadline = Instant::now() + WAIT;
    loop {
        let waiting: i64 = watch
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                  WHERE wait_event_type = 'Lock' AND datname = current_database()",
                &[],
            )
            .unwrap()
            .get(0);
        if waiting > 0 {
            return hold;
        }
        assert!(
            Instant::now() < deadline,
            "the request never waited for the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A newer read for the same view cancels the older one running, which
/// is then dropped unanswered: only the newer is answered.
#[test]
fn a_newer_read_for_the_same_view_cancels_the_older() {
    let db = seeded();
    let (worker, rx) = spawn(db.config().clone());
    let mut hold = stuck_behind_a_lock(&db, &worker, 1, Request::Show { host: "h1".into() });
    assert!(worker.send(2, Request::Show { host: "h2".into() }));
    // Give the cancel time to land before the lock goes.
    std::thread::sleep(Duration::from_millis(300));
    hold.batch_execute("COMMIT").unwrap();
    let a = next_answer(&rx);
    assert_eq!(a.id, 2, "the older read was answered: {:?}", a.reply);
    assert!(
        matches!(&a.reply, Reply::Host { host, result: Ok(_) } if host == "h2"),
        "{:?}",
        a.reply
    );
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
}

/// `--read-only` is the server's to enforce: a write that got past the
/// browser's own check is still refused, and nothing is written.
#[test]
fn a_read_only_session_refuses_a_write_the_browser_let_through() {
    let db = seeded();
    let resolved = hostlife::db::connect::resolve(Some(&db.conninfo()), &|_| None, None)
        .expect("resolve")
        .read_only_session();
    let (tx, rx) = mpsc::channel();
    let worker =
        Worker::spawn_resolved(resolved, move |e| tx.send(Event::Db(e)).is_ok()).expect("worker");
    let before = rows_of(&db, "h1");
    worker.send(
        1,
        Request::Record(common::use_call(
            100,
            ("h1", "host", "build-b", 3, Mode::Final, 8),
        )),
    );
    let a = next_answer(&rx);
    let Some(failure) = a.reply.failure() else {
        panic!("written under a read-only session: {:?}", a.reply)
    };
    assert!(
        failure.to_string().contains("read-only transaction"),
        "{failure}"
    );
    assert_eq!(rows_of(&db, "h1"), before);
}

/// A wipe is the browser's main write: after the server has dropped the
/// worker's connection (a restart), the first one still goes through, on
/// a new connection, instead of failing with "connection closed".
#[test]
fn the_first_wipe_after_the_server_dropped_the_connection_goes_through() {
    use hostlife::lifecycle::call::WipeCall;
    let db = seeded();
    let (worker, rx) = spawn(db.config().clone());
    worker.send(1, Request::Hosts);
    assert!(next_answer(&rx).reply.failure().is_none());
    db.admin()
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .expect("terminate");
    worker.send(
        2,
        Request::Wipe(WipeCall {
            host: "h2".into(),
            task: operator(),
            job: None,
        }),
    );
    let a = next_answer(&rx);
    assert!(a.reply.failure().is_none(), "{:?}", a.reply);
}

/// With `target_session_attrs=read-only` over a standby and its primary,
/// reads come from the standby and writes (a wipe, its preview, a
/// recorded use) go to the primary; the standby then shows them.
#[test]
fn reads_come_from_a_standby_and_writes_go_to_the_primary() {
    use hostlife::lifecycle::call::WipeCall;
    const SESSIONS: &str = "SELECT count(*) FROM pg_stat_activity \
         WHERE application_name = 'hostlife' AND pid <> pg_backend_pid()";
    let db = seed(TestDb::on_own_server());
    let standby = db.start_standby();
    let socket_of = |config: &hostlife::db::PgConfig| match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
    };
    let primary_socket = socket_of(db.config());
    let port = db.config().get_ports()[0];
    // The standby first: a plain `any` would read and write there.
    let conninfo = format!(
        "host={},{primary_socket} port={},{port} user=osstest dbname=osstest \
         target_session_attrs=read-only",
        standby.dir().display(),
        standby.port()
    );
    let resolved = hostlife::db::connect::resolve(Some(&conninfo), &|_| None, None).unwrap();
    let (tx, rx) = mpsc::channel();
    let worker = Worker::spawn_resolved(resolved, move |e| tx.send(Event::Db(e)).is_ok()).unwrap();

    // The reads' session is on the standby.
    worker.send(1, Request::Hosts);
    assert!(next_answer(&rx).reply.failure().is_none());
    let sessions = |mut c: postgres::Client| -> i64 { c.query_one(SESSIONS, &[]).unwrap().get(0) };
    assert!(
        sessions(standby.connect("osstest").unwrap()) > 0,
        "the reads are not on the standby"
    );
    assert_eq!(sessions(db.admin()), 0, "the reads are on the primary");

    let wipe = WipeCall {
        host: "h2".into(),
        task: operator(),
        job: None,
    };
    worker.send(2, Request::PlanWipe(wipe.clone()));
    let a = next_answer(&rx);
    assert!(a.reply.failure().is_none(), "{:?}", a.reply);
    worker.send(3, Request::Wipe(wipe));
    let a = next_answer(&rx);
    assert!(a.reply.failure().is_none(), "{:?}", a.reply);
    assert_eq!(rows_of(&db, "h2"), 1, "the wipe did not reach the primary");

    let call = common::use_call(100, ("h1", "host", "build-b", 3, Mode::Final, 8));
    worker.send(4, Request::Record(call));
    let a = next_answer(&rx);
    assert!(a.reply.failure().is_none(), "{:?}", a.reply);
    assert_eq!(
        rows_of(&db, "h1"),
        4,
        "the record did not reach the primary"
    );

    // And the reads, on the standby, see both once replayed.
    let deadline = Instant::now() + WAIT;
    let mut id = 10;
    loop {
        id += 1;
        worker.send(id, Request::Show { host: "h1".into() });
        let a = next_answer(&rx);
        let Reply::Host {
            result: Ok(detail), ..
        } = &a.reply
        else {
            panic!("{:?}", a.reply)
        };
        if detail.rows.len() == 4 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the standby never showed the write"
        );
    }
}

/// A record call from the palette is rehearsed before the dialog offers
/// it: the dialog shows the outcome the call will have (here an
/// out-of-job row), the rehearsal writes nothing, and Enter writes it. A
/// call the database would refuse is refused in the dialog, with nothing
/// to confirm.
#[test]
fn a_record_is_checked_against_the_database_before_it_is_offered() {
    use hostlife::lifecycle::call::RecordOutcome;
    let db = seeded();
    let (worker, rx) = spawn(db.config().clone());
    let (mut app, effects) = App::new(config(), false, Instant::now());
    pump(&mut app, &worker, &rx, effects);
    let before = rows_of(&db, "h2");

    let effects = palette(&mut app, "select h2");
    pump(&mut app, &worker, &rx, effects);
    let Some(ConfirmView {
        rehearsal: Loadable::Loaded(outcome),
        ..
    }) = confirm_view(&app)
    else {
        panic!("no rehearsal: {:?}", app.overlay)
    };
    assert!(
        matches!(outcome, RecordOutcome::OutOfJob { .. }),
        "{outcome:?}"
    );
    assert_eq!(rows_of(&db, "h2"), before, "the rehearsal wrote");
    let s = tui::screen(&app, 120, 40);
    assert!(s.contains("Inserts an out-of-job row"), "{s}");
    let effects = update(&mut app, key(KeyCode::Enter));
    pump(&mut app, &worker, &rx, effects);
    assert_eq!(rows_of(&db, "h2"), before + 1);

    // A step the job does not have.
    let effects = palette(&mut app, "select h2 --flight 100 --job build-b --step 99");
    pump(&mut app, &worker, &rx, effects);
    let Some(ConfirmView {
        rehearsal: Loadable::Failed(why),
        ..
    }) = confirm_view(&app)
    else {
        panic!("not refused: {:?}", app.overlay)
    };
    assert!(matches!(why, Failure::Refused(_)), "{why:?}");
    assert!(update(&mut app, key(KeyCode::Enter)).is_empty());
    assert_eq!(rows_of(&db, "h2"), before + 1);
}
