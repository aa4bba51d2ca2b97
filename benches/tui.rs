//! The browser on a big lab: 1,000 hosts and 1,000,000 lifecycle rows.
//! `cargo bench --bench tui` (not part of `cargo test`: building the
//! database alone takes a while). Prints the numbers for
//! docs/PERFORMANCE.md, section "Browser".
//!
//! The app runs as `tui::run` runs it, minus the terminal: the real
//! worker thread on a real connection, `update` for every event, and
//! `render::draw` into ratatui's `TestBackend` (160x48). The terminal
//! write itself is left out: it depends on the terminal, not on hostlife.
//!
//! - first frame: from `App::new` (the worker already spawned, as in
//!   `run`) to the first `draw` returning, and to the first `draw` that
//!   shows the hosts list loaded;
//! - keys under load: the worker is kept busy with hosts queries (the
//!   slowest read) while key events go through `update` + `draw`, each
//!   timed from the event to the end of the draw;
//! - memory: a fresh process (this bench binary again, told by
//!   `HOSTLIFE_BENCH_BROWSER` which database to open) runs only the
//!   browser: it loads the hosts list and the host with the most rows,
//!   scrolls, and reports its `VmRSS` and `VmHWM`. Building the database and
//!   the measurements above do not count. The server is another process.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]
#![allow(
    clippy::cast_possible_wrap,
    reason = "the lab's hosts and rows (a million at most), compared with SQL's bigint counts"
)]

mod common;

use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use hostlife::app::screen::Screen;
use hostlife::app::{App, Effect, Event, Settings, update};
use hostlife::db::testdb::TestDb;
use hostlife::db::worker::{self, Worker};
use hostlife::lifecycle::call::TaskRef;
use hostlife::render::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use common::{ms, percentile};

const HOSTS: i64 = 1_000;
/// Each job prepares its host, then uses it: two rows per job.
const JOBS: i64 = 500_000;
/// The shared build hosts, which every tenth job uses: they pile up rows
/// (no wipes), 20,000 each, as a long-lived build host does.
const BUILD_HOSTS: i64 = 5;
const JOBS_PER_FLIGHT: i64 = 200;
const KEYS: usize = 2_000;
/// Set (to a libpq connection string) in the child that measures memory.
const BROWSER_VAR: &str = "HOSTLIFE_BENCH_BROWSER";
const WAIT: Duration = Duration::from_mins(2);

/// Bulk-generate the lab in the server with `generate_series`.
fn populate(c: &mut postgres::Client) {
    let started = Instant::now();
    let sql = format!(
        "
        -- job j: flight, host, task. Every tenth job builds on a shared
        -- build host; the rest test on a host of their own.
        CREATE TEMP TABLE gen AS
        SELECT j,
               1000 + j / {JOBS_PER_FLIGHT} AS flight,
               CASE WHEN j % 10 = 0 THEN 'build-' || j ELSE 'test-' || j END AS job,
               CASE WHEN j % 10 = 0
                    THEN 'bhost' || lpad(((j / 10) % {BUILD_HOSTS})::text, 3, '0')
                    ELSE 'thost' || lpad(((j::bigint * 7919) % ({HOSTS} - {BUILD_HOSTS}))::text, 3, '0')
               END AS host,
               100 + j AS taskid
          FROM generate_series(0, {JOBS} - 1) j;

        -- Tasks mostly dead: only the newest flights' jobs are live.
        INSERT INTO tasks (taskid, type, refkey, live)
        SELECT taskid, 'ownd', 'job' || j, j >= {JOBS} - 3 * {JOBS_PER_FLIGHT} FROM gen;
        SELECT setval('tasks_taskid_seq', (SELECT max(taskid) FROM tasks));

        INSERT INTO flights (flight, started, blessing, branch)
        SELECT DISTINCT flight, 1600000000 + flight * 3600,
               CASE WHEN flight >= 1000 + {JOBS} / {JOBS_PER_FLIGHT} - 3 THEN 'running' ELSE 'real' END,
               'xen-unstable'
          FROM gen;
        INSERT INTO jobs (flight, job, recipe, status)
        SELECT flight, job, 'recipe', 'pass' FROM gen;
        INSERT INTO steps (flight, job, stepno, step, status, started, finished)
        SELECT flight, job, s, CASE s WHEN 1 THEN 'host-install' ELSE 'ts-test' END, 'pass',
               1600000000 + flight * 3600 + s * 60, 1600000000 + flight * 3600 + s * 60 + 50
          FROM gen, generate_series(1, 2) s;
        INSERT INTO runvars (flight, job, name, val, synth)
        SELECT flight, job, 'host', host, false FROM gen;
        INSERT INTO runvars (flight, job, name, val, synth)
        SELECT flight, job, 'host_lifecycle', '+', true FROM gen;

        -- Prep then use, in job order (lcseq follows j).
        INSERT INTO host_lifecycle (hostname, lcseq, taskid, flight, job, stepno, ident, isprep)
        SELECT host, 2 * j + s, taskid, flight, job, s, 'host', s = 1
          FROM gen, generate_series(1, 2) s
         ORDER BY j, s;
        SELECT setval('host_lifecycle_lcseq_seq', (SELECT max(lcseq) FROM host_lifecycle));

        -- Every host has its resources row: test hosts held by a recent
        -- job's task or idle, build hosts shared.
        INSERT INTO resources (restype, resname, shareix, owntaskid)
        SELECT 'host', host, 0,
               CASE WHEN host LIKE 'bhost%' THEN 3 WHEN max(j) >= {JOBS} - 3 * {JOBS_PER_FLIGHT}
                    THEN max(taskid) ELSE 1 END
          FROM gen GROUP BY host;
        INSERT INTO resource_sharing (restype, resname, sharetype, state, wear)
        SELECT 'host', host, 'build-amd64', 'ready', 0 FROM gen
         WHERE host LIKE 'bhost%' GROUP BY host;
        -- A shared host's shares are its share-host rows (four each).
        INSERT INTO resources (restype, resname, shareix, owntaskid)
        SELECT 'share-host', host, i, 2 FROM gen, generate_series(1, 4) i
         WHERE host LIKE 'bhost%' GROUP BY host, i;
        -- Flags, as a lab's hosts have them.
        INSERT INTO hostflags (hostname, hostflag)
        SELECT DISTINCT host, f FROM gen,
               unnest(ARRAY['arch-amd64', 'blessed-real',
                            CASE WHEN host LIKE 'bhost%' THEN 'purpose-build' ELSE 'purpose-test' END]) f;
        DROP TABLE gen;
        "
    );
    c.batch_execute(&sql).expect("populate");
    // As a long-lived database is after autovacuum: statistics, and a
    // visibility map (index-only scans). Not in a transaction block.
    c.batch_execute("VACUUM ANALYZE").expect("vacuum");
    let n: i64 = c
        .query_one("SELECT count(*) FROM host_lifecycle", &[])
        .expect("count")
        .get(0);
    let h: i64 = c
        .query_one("SELECT count(*) FROM resources WHERE restype = 'host'", &[])
        .expect("count")
        .get(0);
    eprintln!(
        "populated {h} hosts, {n} lifecycle rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

struct Harness {
    app: App,
    worker: Worker,
    rx: Receiver<Event>,
    terminal: Terminal<TestBackend>,
    theme: Theme,
}

impl Harness {
    fn carry_out(&self, effects: Vec<Effect>) {
        for e in effects {
            if let Effect::Request(id, r) = e {
                self.worker.send(id, r);
            }
        }
    }

    fn draw(&mut self) {
        let Harness {
            terminal,
            app,
            theme,
            ..
        } = self;
        terminal
            .draw(|f| render::draw(f, app, theme))
            .expect("draw");
    }

    /// Apply events as the loop does until nothing is waiting, drawing
    /// after each burst.
    fn settle(&mut self) {
        self.settle_until(|app| !app.requests.any_waiting());
    }

    /// Take events, as the loop does, drawing after each, until `done`.
    fn settle_until(&mut self, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + WAIT;
        while !done(&self.app) {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self.rx.recv_timeout(left).expect("an answer in time");
            let effects = update(&mut self.app, event);
            self.carry_out(effects);
            self.draw();
        }
    }

    /// Apply every event already waiting, as the app's loop does; for each
    /// database answer, draw and record how long applying and drawing took.
    fn apply_pending(&mut self, applied: &mut Vec<Duration>) {
        for event in self.rx.try_iter().collect::<Vec<_>>() {
            let t = Instant::now();
            let answer = matches!(event, Event::Db(worker::Event::Answer(_)));
            let effects = update(&mut self.app, event);
            self.carry_out(effects);
            if answer {
                self.draw();
                applied.push(t.elapsed());
            }
        }
    }

    fn key(&mut self, code: KeyCode) -> Duration {
        let t = Instant::now();
        let effects = update(
            &mut self.app,
            Event::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        );
        self.carry_out(effects);
        self.draw();
        t.elapsed()
    }
}

/// Print key latencies while answers arrived, and how long the answers
/// took to apply. `keys` is the line's opening, closed here with the
/// number of answers.
fn report_under_load(
    keys: &str,
    answers: &str,
    mut times: Vec<Duration>,
    mut applied: Vec<Duration>,
) {
    times.sort();
    applied.sort();
    println!(
        "{keys}, {} answers): p50 {} p99 {} max {}",
        applied.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().expect("keys"))
    );
    if !applied.is_empty() {
        println!(
            "{answers}: p50 {} max {}",
            ms(percentile(&applied, 0.5)),
            ms(*applied.last().expect("answers"))
        );
    }
}

fn proc_status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .map(|l| l[field.len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "?".to_owned())
}

fn send_key(h: &mut Harness, code: KeyCode) {
    let effects = update(
        &mut h.app,
        Event::Key(KeyEvent::new(code, KeyModifiers::NONE)),
    );
    h.carry_out(effects);
}

/// Open the host with the most rows through the palette, as an operator
/// would; its name and row count.
fn open_biggest(h: &mut Harness) -> (String, i64) {
    let biggest = h
        .app
        .hosts
        .feed
        .loaded()
        .and_then(|v| v.iter().max_by_key(|s| s.rows))
        .map(|s| (s.host.clone(), s.rows.expect("counted")))
        .expect("hosts");
    send_key(h, KeyCode::Char(':'));
    for c in format!("goto {}", biggest.0).chars() {
        send_key(h, KeyCode::Char(c));
    }
    send_key(h, KeyCode::Enter);
    h.settle();
    biggest
}

fn shown_rows(app: &App) -> usize {
    match app.stack.last() {
        Some(Screen::Host(v)) => v.feed.loaded().map_or(0, |d| d.detail.rows.len()),
        _ => 0,
    }
}

fn harness(config: hostlife::db::PgConfig) -> Harness {
    let (tx, rx) = mpsc::channel();
    let worker = Worker::spawn(config, move |e| tx.send(Event::Db(e)).is_ok()).expect("worker");
    let config = Settings {
        db_label: "bench".to_owned(),
        read_only: false,
        refresh: Duration::from_hours(1),
        operator_task: TaskRef::Static {
            refkey: "bench@bench".to_owned(),
        },
    };
    let (app, effects) = App::new(config, false, Instant::now());
    let mut h = Harness {
        app,
        worker,
        rx,
        terminal: Terminal::new(TestBackend::new(160, 48)).expect("terminal"),
        theme: Theme::from_env(),
    };
    h.app.size = (160, 48);
    h.carry_out(effects);
    h
}

/// The child: only the browser, against the database built by the parent.
fn browser_only(conninfo: &str) {
    let start = proc_status("VmRSS:");
    let config: hostlife::db::PgConfig = conninfo.parse().expect("conninfo");
    let mut h = harness(config);
    h.draw();
    h.settle();
    let hosts = proc_status("VmRSS:");
    let (_, rows) = open_biggest(&mut h);
    assert_eq!(shown_rows(&h.app) as i64, rows, "host not loaded");
    for i in 0..200 {
        h.key(if i % 2 == 0 {
            KeyCode::PageDown
        } else {
            KeyCode::Down
        });
    }
    println!(
        "browser process: VmRSS at start {start}, with the hosts list {hosts}, with the host too {}; VmHWM {}",
        proc_status("VmRSS:"),
        proc_status("VmHWM:")
    );
}

#[allow(
    clippy::too_many_lines,
    reason = "the benchmark's stages in order, each printing its numbers"
)]
fn main() {
    if let Ok(conninfo) = std::env::var(BROWSER_VAR) {
        browser_only(&conninfo);
        return;
    }
    let db = TestDb::new();
    populate(&mut db.connect());

    // The hosts queries alone, as the worker runs them, for reference:
    // the list, and its row counts.
    {
        let mut c = db.connect();
        c.batch_execute("SET max_parallel_workers_per_gather = 0")
            .expect("set");
        let median = |f: &mut dyn FnMut()| {
            let mut times: Vec<Duration> = (0..5)
                .map(|_| {
                    let t = Instant::now();
                    f();
                    t.elapsed()
                })
                .collect();
            times.sort();
            times[2]
        };
        let list = median(&mut || {
            let hosts = hostlife::db::read::hosts_listed(&mut c).expect("hosts");
            assert_eq!(hosts.len() as i64, HOSTS);
        });
        let counts = median(&mut || {
            let counts = hostlife::db::read::host_row_counts(&mut c).expect("counts");
            assert_eq!(counts.len() as i64, HOSTS);
        });
        println!(
            "read::hosts_listed (no parallel workers, as the worker runs it): median {}",
            ms(list)
        );
        println!("read::host_row_counts: median {}", ms(counts));
    }

    // (a) First frame, from the worker's spawn as in `run`; then the first
    // with the list, and the first with its row counts.
    let t0 = Instant::now();
    let mut h = harness(db.config().clone());
    h.draw();
    let first_frame = t0.elapsed();
    h.settle_until(|app| app.hosts.feed.loaded().is_some());
    let first_data = t0.elapsed();
    h.settle();
    let counted = t0.elapsed();
    let hosts = h.app.hosts.feed.loaded().expect("hosts list loaded");
    assert_eq!(hosts.len() as i64, HOSTS, "hosts list not loaded");
    assert!(hosts.iter().all(|h| h.rows.is_some()), "rows not counted");
    println!("first frame (loading state drawn): {}", ms(first_frame));
    println!("first frame with the hosts list:   {}", ms(first_data));
    println!("first frame with its row counts:   {}", ms(counted));

    // (b) Keys while the worker is busy with hosts queries. Each refresh
    // is a new hosts request; the answers are applied as they come, as
    // the loop would, between keys (applying one is timed apart).
    let keys = [
        KeyCode::Down,
        KeyCode::Down,
        KeyCode::Up,
        KeyCode::Char('s'),
    ];
    let mut times = Vec::with_capacity(KEYS);
    let mut applied = Vec::new();
    let mut busy = 0usize;
    send_key(&mut h, KeyCode::Char('r'));
    for i in 0..KEYS {
        // Keep a hosts query running: ask again as soon as one answered.
        h.apply_pending(&mut applied);
        if h.app.requests.waiting(worker::Slot::Hosts) {
            busy += 1;
        } else {
            send_key(&mut h, KeyCode::Char('r'));
        }
        times.push(h.key(keys[i % keys.len()]));
        // Keys come at typing speed, not in a tight loop.
        std::thread::sleep(Duration::from_millis(2));
    }
    report_under_load(
        &format!("key -> frame under load ({KEYS} keys, {busy} while a hosts query ran"),
        "hosts answer -> frame",
        times,
        applied,
    );
    h.settle();

    // Typing in the filter redraws the filtered list each key.
    let mut times = Vec::new();
    times.push(h.key(KeyCode::Char('/')));
    for c in "thost12".chars() {
        times.push(h.key(KeyCode::Char(c)));
    }
    for _ in 0.."thost12".len() {
        times.push(h.key(KeyCode::Backspace));
    }
    times.push(h.key(KeyCode::Esc));
    times.sort();
    println!(
        "filter keys: p50 {} max {}",
        ms(percentile(&times, 0.5)),
        ms(*times.last().expect("keys"))
    );

    // (c) The host with the most rows: loading it, then keys while its
    // own refresh keeps running (answers applied between keys, timed
    // apart).
    let t = Instant::now();
    let (host, rows) = open_biggest(&mut h);
    let shown = shown_rows(&h.app);
    assert_eq!(shown as i64, rows, "host not loaded");
    println!(
        "host {host} with {shown} rows: loaded and drawn in {}",
        ms(t.elapsed())
    );
    let mut times = Vec::new();
    let mut applied = Vec::new();
    send_key(&mut h, KeyCode::Char('r'));
    for i in 0..400 {
        h.apply_pending(&mut applied);
        if !h.app.requests.waiting(worker::Slot::Host) {
            send_key(&mut h, KeyCode::Char('r'));
        }
        times.push(h.key(match i % 4 {
            0 => KeyCode::PageDown,
            3 => KeyCode::Up,
            _ => KeyCode::Down,
        }));
        std::thread::sleep(Duration::from_millis(2));
    }
    report_under_load(
        "keys on that host while it refreshes (400 keys",
        "host answer -> frame",
        times,
        applied,
    );
    h.settle();

    // Applying a refreshed host, split: `update` (which drops the rows it
    // replaces) and the draw after it; and dropping 20,000 rows alone.
    let (mut updates, mut draws) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        send_key(&mut h, KeyCode::Char('r'));
        while h.app.requests.waiting(worker::Slot::Host) {
            let event = h.rx.recv_timeout(WAIT).expect("an answer in time");
            let t = Instant::now();
            let effects = update(&mut h.app, event);
            updates.push(t.elapsed());
            h.carry_out(effects);
            let t = Instant::now();
            h.draw();
            draws.push(t.elapsed());
        }
    }
    updates.sort();
    draws.sort();
    let rows = match h.app.stack.last() {
        Some(Screen::Host(v)) => v.feed.loaded().map(|d| d.detail.rows.clone()),
        _ => None,
    }
    .expect("rows");
    let t = Instant::now();
    drop(rows);
    let dropping = t.elapsed();
    println!(
        "host answer applied ({} answers): update p50 {} max {}, then draw p50 {} max {}; dropping {shown} rows alone {}",
        updates.len(),
        ms(percentile(&updates, 0.5)),
        ms(*updates.last().expect("answers")),
        ms(percentile(&draws, 0.5)),
        ms(*draws.last().expect("answers")),
        ms(dropping)
    );
    drop(h);

    // (d) Memory, in a process that runs only the browser.
    let out = std::process::Command::new(std::env::current_exe().expect("exe"))
        .env(BROWSER_VAR, db.conninfo())
        .output()
        .expect("the browser process");
    assert!(
        out.status.success(),
        "browser process: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{}", String::from_utf8_lossy(&out.stdout));
}
