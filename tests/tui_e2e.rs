//! The browser end to end: the real `hostlife` binary in a pseudo-terminal,
//! against a real database, driven by keystrokes the way an operator
//! drives it. The pty's output is fed to a terminal emulator (`vt100`) and
//! the test waits, with a deadline, until the emulated screen shows what it
//! expects; it never sleeps to synchronise.
//!
//! The child runs in its own session with the pty as its controlling
//! terminal (portable-pty does that), so whatever it does to "its"
//! terminal never touches the terminal running `cargo test`. A guard kills
//! it if the test fails half-way.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

mod common;

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use hostlife::db::task;
use hostlife::db::testdb::TestDb;
use hostlife::lifecycle::Mode;
use hostlife::lifecycle::call::TaskRef;
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// How long to wait for something to appear on the screen. Generous:
/// a loaded machine can be slow, and a pass takes far less.
const DEADLINE: Duration = Duration::from_secs(10);
/// Wide enough that the status bar's whole message fits on its line.
const COLS: u16 = 120;
const ROWS: u16 = 30;

fn nonzero(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).unwrap()
}

/// The host the operator wipes, and two others that the filter must hide.
const HOST: &str = "italia0";
const OTHERS: [&str; 2] = ["fiano1", "elbling0"];

/// A small lab: one running flight with two jobs whose (now dead) tasks
/// used `HOST`, and `HOST` held by the operator's static task, which is
/// what allows the operator to wipe it.
fn world(db: &TestDb) -> i32 {
    let mut c = db.connect();
    c.batch_execute(
        "INSERT INTO tasks (taskid, type, refkey, live) VALUES
             (20, 'ownd', 'build-job', true), (21, 'ownd', 'test-job', true);
         INSERT INTO flights (flight, blessing, branch, started)
             VALUES (200, 'running', 'xen-unstable', 1700000000);
         INSERT INTO jobs (flight, job, recipe, status) VALUES
             (200, 'build-amd64', 'build', 'pass'),
             (200, 'test-amd64-xl', 'test-debian', 'running');
         INSERT INTO steps (flight, job, stepno, step, status, started) VALUES
             (200, 'build-amd64', 1, 'hosts-allocate', 'pass', 1700000010),
             (200, 'build-amd64', 2, 'host-install', 'pass', 1700000020),
             (200, 'test-amd64-xl', 1, 'hosts-allocate', 'pass', 1700000100),
             (200, 'test-amd64-xl', 3, 'ts-xen-install', 'running', 1700000200);",
    )
    .unwrap();
    let operator = task::resolve(
        &mut c,
        &TaskRef::Static {
            refkey: task::default_static_refkey(),
        },
    )
    .unwrap();
    common::alloc(&mut c, "host", HOST, 0, operator.taskid);
    for other in OTHERS {
        common::alloc(&mut c, "host", other, 0, 21);
    }
    // fiano1 under another ident: the job's `host_lifecycle` runvar
    // already ends with this step's mark, so a second `host` use would
    // be recorded as unchanged.
    let uses = [
        (HOST, "host", "build-amd64", 2, Mode::SelectPrep, 20),
        (HOST, "host", "test-amd64-xl", 3, Mode::Select, 21),
        ("fiano1", "src_host", "test-amd64-xl", 3, Mode::Select, 21),
    ];
    common::record_uses(db, 200, &uses);
    // The jobs are over; their rows are what a reinstall makes obsolete.
    common::set_live(&mut c, 20, false);
    common::set_live(&mut c, 21, false);
    operator.taskid
}

fn rows_of(db: &TestDb, host: &str) -> i64 {
    db.connect()
        .query_one(
            "SELECT count(*) FROM host_lifecycle WHERE hostname = $1",
            &[&host],
        )
        .unwrap()
        .get(0)
}

/// The binary running in a pty, and an emulated screen fed by its output.
struct Tui {
    child: Box<dyn Child + Send + Sync>,
    /// Kept so the pty stays open (and sized) for the child's lifetime.
    _master: Box<dyn MasterPty + Send>,
    keys: Box<dyn Write + Send>,
    output: Receiver<Vec<u8>>,
    screen: vt100::Parser,
    /// Everything the child wrote, for what the emulator does not keep
    /// (an OSC 52 clipboard request).
    raw: Vec<u8>,
    /// `XDG_STATE_HOME` of the child, where the palette keeps its history
    /// (never the real one of whoever runs the tests).
    state: std::path::PathBuf,
    /// Removed with the browser, unless the test brought its own.
    #[allow(dead_code, reason = "held for its drop")]
    state_dir: Option<tempfile::TempDir>,
}

impl Tui {
    fn start(db: &TestDb) -> Tui {
        Self::start_on(&db.conninfo())
    }

    fn start_on(conninfo: &str) -> Tui {
        Self::start_with(conninfo, &[])
    }

    fn start_with(conninfo: &str, env: &[(&str, &str)]) -> Tui {
        let dir = tempfile::tempdir().unwrap();
        let mut tui = Self::start_in(conninfo, env, dir.path());
        tui.state_dir = Some(dir);
        tui
    }

    /// Start with `state` as the XDG state directory.
    fn start_in(conninfo: &str, env: &[(&str, &str)], state: &std::path::Path) -> Tui {
        Self::spawn(conninfo, env, state, &[])
    }

    /// Run `hostlife ARGS` in the terminal (a command, not the browser).
    fn command(db: &TestDb, args: &[&str]) -> Tui {
        let dir = tempfile::tempdir().unwrap();
        let mut tui = Self::spawn(&db.conninfo(), &[], dir.path(), args);
        tui.state_dir = Some(dir);
        tui
    }

    fn spawn(conninfo: &str, env: &[(&str, &str)], state: &std::path::Path, args: &[&str]) -> Tui {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_hostlife"));
        cmd.args(args);
        cmd.env("HOSTLIFE_DB", conninfo);
        cmd.env("XDG_STATE_HOME", state);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.env("TERM", "xterm-256color");
        // The theme follows NO_COLOR; the screen text is what is checked,
        // so colours either way are fine, but keep runs alike.
        cmd.env_remove("NO_COLOR");
        let child = pty.slave.spawn_command(cmd).unwrap();
        // The child has its own handle on the slave; ours would keep the
        // pty open after the child exits and hide its end of output.
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().unwrap();
        let keys = pty.master.take_writer().unwrap();
        let (tx, output) = mpsc::channel();
        // Blocking reads belong on their own thread; it ends when the pty
        // closes (the child exited or was killed).
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Tui {
            child,
            _master: pty.master,
            keys,
            output,
            screen: vt100::Parser::new(nonzero(ROWS), nonzero(COLS), 0),
            raw: Vec::new(),
            state: state.to_owned(),
            state_dir: None,
        }
    }

    /// Emulate the terminal on `bytes`, answering cursor-position queries
    /// (`ESC [ 6 n`) as a real terminal does: ratatui asks when it clears
    /// the screen, and gives up with an error if nobody answers.
    fn feed(&mut self, bytes: &[u8]) {
        const QUERY: &[u8] = b"\x1b[6n";
        self.raw.extend_from_slice(bytes);
        let mut rest = bytes;
        while let Some(at) = rest.windows(QUERY.len()).position(|w| w == QUERY) {
            self.screen.process(&rest[..at + QUERY.len()]);
            let (row, col) = self.screen.screen().cursor_position();
            self.send(&format!("\x1b[{};{}R", row + 1, col + 1));
            rest = &rest[at + QUERY.len()..];
        }
        self.screen.process(rest);
    }

    fn contents(&self) -> String {
        self.screen.screen().contents()
    }

    /// Feed output to the emulator until `pred` holds for the screen, or
    /// fail with the screen as it was at the deadline.
    fn wait_until(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let text = self.contents();
            if pred(&text) {
                return text;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(bytes) => self.feed(&bytes),
                Err(e) => panic!("waiting for {what}: {e:?}; the screen:\n{text}"),
            }
        }
    }

    fn wait_for(&mut self, text: &str) -> String {
        self.wait_until(&format!("{text:?}"), |s| s.contains(text))
    }

    fn send(&mut self, bytes: &str) {
        self.keys.write_all(bytes.as_bytes()).unwrap();
        self.keys.flush().unwrap();
    }

    /// Wait for the child to exit by itself; its exit status.
    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Output written just before the exit may still be in
                // flight: read until the pty reports its end.
                let left = deadline.saturating_duration_since(Instant::now());
                while let Ok(bytes) = self.output.recv_timeout(left) {
                    self.feed(&bytes);
                }
                return status;
            }
            assert!(Instant::now() < deadline, "hostlife did not exit");
            // Drain output meanwhile; also the wait between polls, since
            // exiting closes the pty and ends the receive early.
            if let Ok(bytes) = self.output.recv_timeout(Duration::from_millis(20)) {
                self.feed(&bytes);
            }
        }
    }
}

impl Drop for Tui {
    /// On a failed assertion the child would otherwise outlive the test.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

const ENTER: &str = "\r";

#[test]
fn filter_drill_in_and_wipe_a_host_from_the_palette() {
    let db = TestDb::new();
    let operator = world(&db);
    assert_eq!(rows_of(&db, HOST), 2);

    let mut tui = Tui::start(&db);
    tui.wait_until("the hosts list", |s| {
        s.contains(HOST) && OTHERS.iter().all(|o| s.contains(o))
    });

    // Filter: the other hosts go, ours stays.
    tui.send("/ital");
    tui.send(ENTER);
    tui.wait_until("the filtered list", |s| {
        s.contains(HOST) && !OTHERS.iter().any(|o| s.contains(o))
    });

    // Copy the row: the terminal is asked (OSC 52) to put it, starting
    // with the host's name, on the clipboard. "aXRhbGlh" is base64 of
    // "italia", the first six bytes of any text that starts so.
    tui.send("y");
    tui.wait_for("copied");
    let osc52 = b"\x1b]52;c;aXRhbGlh";
    assert!(
        tui.raw.windows(osc52.len()).any(|w| w == osc52),
        "no clipboard request for the row"
    );

    // Drill in: the host's rows, with their jobs.
    tui.send(ENTER);
    tui.wait_until("the host's rows", |s| {
        s.contains("200.build-amd64") && s.contains("200.test-amd64-xl")
    });

    // Palette, then the confirmation with the plan loaded.
    tui.send(":");
    tui.wait_for(":");
    tui.send(&format!("wiped {HOST}"));
    tui.send(ENTER);
    tui.wait_for("Removes 2 rows:");
    tui.send(ENTER);

    let done = format!("wiped {HOST} as task {operator}: removed 2 rows");
    let screen = tui.wait_for(&done);
    // The host view reloaded after the write: the old jobs are gone.
    tui.wait_until("the reloaded host", |s| !s.contains("200.build-amd64"));
    assert!(!screen.contains("refresh failed"), "{screen}");

    // The database agrees: only the operator's own row is left.
    assert_eq!(rows_of(&db, HOST), 1);
    let taskid: i32 = db
        .connect()
        .query_one(
            "SELECT taskid FROM host_lifecycle WHERE hostname = $1",
            &[&HOST],
        )
        .unwrap()
        .get(0);
    assert_eq!(taskid, operator);
    // Other hosts untouched.
    assert_eq!(rows_of(&db, "fiano1"), 1);

    // Back out and quit; it exits cleanly and leaves the alternate screen.
    tui.send("\x1b");
    tui.wait_for("Hosts");
    tui.send("q");
    let status = tui.wait_exit();
    assert!(status.success(), "{status:?}");
    assert!(
        !tui.screen.screen().alternate_screen(),
        "left the terminal on the alternate screen"
    );
}

/// `t` on a host draws its jobs from the database as lanes, the newest
/// selected; Enter on one opens its runvars.
#[test]
fn the_timeline_draws_the_hosts_jobs_and_opens_one() {
    let db = TestDb::new();
    world(&db);
    db.connect()
        .batch_execute(
            "INSERT INTO runvars (flight, job, name, val, synth) VALUES
                 (200, 'build-amd64', 'host', 'italia0', false),
                 (200, 'test-amd64-xl', 'host', 'italia0', false)
             ON CONFLICT DO NOTHING;
             -- test-amd64-xl runs, its task live: it holds the host to
             -- now. Its steps, as if they were in the last hour.
             UPDATE steps SET started = started + d.shift, finished = finished + d.shift
               FROM (SELECT extract(epoch FROM now())::integer - 600
                            - max(coalesce(finished, started)) AS shift FROM steps) d",
        )
        .unwrap();
    let mut tui = Tui::start(&db);
    tui.wait_for(HOST);
    tui.send("/ital");
    tui.send(ENTER);
    tui.wait_until("the filtered list", |s| !s.contains(OTHERS[0]));
    tui.send("t");
    let screen = tui.wait_until("the timeline's lanes", |s| {
        s.contains(&format!("Timeline of {HOST}"))
            && s.contains("✓ 200 build-amd64")
            && s.contains("▶… 200 test-amd64-xl")
    });
    assert!(screen.contains("2 jobs in the 3 days"), "{screen}");
    tui.send(ENTER);
    tui.wait_for("Runvars 200.test-amd64-xl");
    tui.send("q");
    assert!(tui.wait_exit().success());
}

/// A table wider than the terminal prints as records (`--expanded`
/// auto), every cell whole; told to, as the table however wide.
#[test]
fn a_command_on_a_narrow_terminal_prints_records() {
    let db = TestDb::new();
    world(&db);
    let mut tui = Tui::command(&db, &["hosts"]);
    assert!(tui.wait_exit().success());
    // All the output, as the lines scroll off a 30-line screen.
    let all = String::from_utf8_lossy(&tui.raw).replace("\r\n", "\n");
    assert!(all.starts_with("-[ 1 of 3 ]---"), "{all}");
    assert!(
        all.contains(&format!("\nHOST             {HOST}\n")),
        "{all}"
    );
    let mut tui = Tui::command(&db, &["hosts", "--expanded", "off"]);
    assert!(tui.wait_exit().success());
    let all = String::from_utf8_lossy(&tui.raw).replace("\r\n", "\n");
    assert!(all.starts_with("HOST "), "{all}");
}

/// The palette's commands outlive the session: a second browser recalls
/// the first one's with ↑, from the XDG state directory.
#[test]
fn palette_history_survives_a_restart() {
    let db = TestDb::new();
    world(&db);
    let state = tempfile::tempdir().unwrap();
    let mut tui = Tui::start_in(&db.conninfo(), &[], state.path());
    tui.wait_for(HOST);
    tui.send(":");
    tui.send("goto fiano1");
    tui.send(ENTER);
    tui.wait_for("hosts › fiano1");
    tui.send("q");
    assert!(tui.wait_exit().success());
    let file = tui.state.join("hostlife/history");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text, "goto fiano1\n");

    let mut tui = Tui::start_in(&db.conninfo(), &[], state.path());
    tui.wait_for(HOST);
    tui.send(":");
    tui.send("\x1b[A");
    tui.wait_for(": goto fiano1");
    tui.send(ENTER);
    tui.wait_for("hosts › fiano1");
    tui.send("q");
    assert!(tui.wait_exit().success());
    // Run again straight after, the line is not kept twice.
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "goto fiano1\n");
}

/// A query that fails on purpose (the hosts query reads `hostflags`,
/// here a view that raises): the browser shows the server's message,
/// keeps running, recovers on `r` once the database is mended, and `q`
/// quits, restoring the terminal.
#[test]
fn a_failing_query_is_shown_and_the_browser_keeps_working() {
    let db = TestDb::new();
    world(&db);
    let mut admin = db.admin();
    admin
        .batch_execute(
            "INSERT INTO hostflags VALUES ('italia0', 'arch-amd64');
             CREATE FUNCTION hostflags_fail() RETURNS boolean LANGUAGE plpgsql AS
                 $$ BEGIN RAISE EXCEPTION 'hostflags failed on purpose'; END $$;
             ALTER TABLE hostflags RENAME TO hostflags_real;
             CREATE VIEW hostflags AS
                 SELECT hostname, hostflag FROM hostflags_real WHERE hostflags_fail();
             GRANT SELECT ON hostflags TO osstest, osstest_ro;",
        )
        .unwrap();

    let mut tui = Tui::start(&db);
    tui.wait_for("hostflags failed on purpose");

    admin
        .batch_execute(
            "DROP VIEW hostflags; ALTER TABLE hostflags_real RENAME TO hostflags;
             DROP FUNCTION hostflags_fail();",
        )
        .unwrap();
    tui.send("R");
    tui.wait_until("the hosts list", |s| {
        s.contains(HOST) && !s.contains("failed on purpose")
    });

    tui.send("q");
    let status = tui.wait_exit();
    assert!(status.success(), "{status:?}");
    assert!(
        !tui.screen.screen().alternate_screen(),
        "left the terminal on the alternate screen"
    );
}

/// With no server where the settings point, the banner says what was
/// looked for, as the CLI does (the socket's path), and `q` still quits.
#[test]
fn a_server_that_is_not_there_is_explained_in_the_banner() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join(".s.PGSQL.5999");
    let mut tui = Tui::start_on(&format!(
        "host={} port=5999 user=osstest dbname=nothing",
        dir.path().display()
    ));
    // The banner wraps: compare words.
    let want = format!("(no server socket {})", socket.display());
    tui.wait_until(&want, |s| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains(&want)
    });
    tui.send("q");
    let status = tui.wait_exit();
    assert!(status.success(), "{status:?}");
    assert!(!tui.screen.screen().alternate_screen());
}

/// Resolution's warnings (here a password file others may read) reach
/// the status line, since stderr is behind the browser's screen.
#[test]
fn warnings_from_resolution_show_in_the_status_line() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDb::new();
    world(&db);
    let home = tempfile::tempdir().unwrap();
    let pgpass = home.path().join(".pgpass");
    std::fs::write(&pgpass, "*:*:*:*:secret\n").unwrap();
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut tui = Tui::start_with(&db.conninfo(), &[("HOME", home.path().to_str().unwrap())]);
    tui.wait_for("warning: ignoring password file");
    // And the browser works on.
    tui.wait_for(HOST);
    tui.send("q");
    assert!(tui.wait_exit().success());
}

/// SIGTERM, SIGHUP and SIGINT (sent with kill: in raw mode Ctrl-C is a
/// key) put the terminal back as `q` does: off the alternate screen, mouse
/// capture off, and the process ends by the signal.
#[test]
fn termination_signals_restore_the_terminal() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let db = TestDb::new();
    world(&db);
    for signal in [Signal::SIGTERM, Signal::SIGHUP, Signal::SIGINT] {
        let mut tui = Tui::start_with(&db.conninfo(), &[]);
        tui.wait_for(HOST);
        // Mouse capture on, so the test sees it turned off.
        tui.send("M");
        let deadline = Instant::now() + DEADLINE;
        while tui.screen.screen().mouse_protocol_mode() == vt100::MouseProtocolMode::None {
            assert!(Instant::now() < deadline, "mouse capture never turned on");
            if let Ok(bytes) = tui.output.recv_timeout(Duration::from_millis(50)) {
                tui.feed(&bytes);
            }
        }
        assert!(tui.screen.screen().alternate_screen());
        let pid = tui.child.process_id().unwrap();
        kill(Pid::from_raw(i32::try_from(pid).unwrap()), signal).unwrap();
        let status = tui.wait_exit();
        let screen = tui.screen.screen();
        assert!(
            !screen.alternate_screen(),
            "{signal}: left on the alternate screen"
        );
        assert_eq!(
            screen.mouse_protocol_mode(),
            vt100::MouseProtocolMode::None,
            "{signal}: mouse capture left on"
        );
        // portable-pty names the signal as strsignal(3) does.
        assert!(
            status.signal().is_some(),
            "{signal}: not ended by the signal: {status:?}"
        );
    }
}

/// Across a server restart: while the server is down the banner says so
/// and why (the socket the CLI would name too); once it is back the
/// browser reconnects by itself and shows fresh data; and a write that is
/// the very first thing after a restart (auto-refresh paused, so nothing
/// else noticed the dead connections) succeeds.
#[test]
fn the_browser_rides_out_a_server_restart() {
    let db = TestDb::on_own_server();
    let operator = world(&db);
    let mut tui = Tui::start(&db);
    tui.wait_for(HOST);

    db.stop_server();
    let socket = ".s.PGSQL.";
    tui.wait_until("the banner with its cause", |s| {
        let words = s.split_whitespace().collect::<Vec<_>>().join(" ");
        words.contains("database unreachable") && words.contains(socket)
    });

    db.start_server();
    // Fresh data: a host that did not exist before the restart.
    common::alloc(&mut db.connect(), "host", "newhost9", 0, operator);
    tui.wait_until("reconnected, with the new host", |s| {
        s.contains("newhost9") && !s.contains("database unreachable")
    });

    // Pause, restart, and write first.
    tui.send("p");
    tui.wait_for("(paused)");
    db.restart_server();
    tui.send(":");
    tui.wait_for(":");
    tui.send(&format!("wiped {HOST}"));
    tui.send(ENTER);
    tui.wait_for("Removes 2 rows:");
    tui.send(ENTER);
    tui.wait_for(&format!("wiped {HOST} as task {operator}: removed 2 rows"));
    assert_eq!(rows_of(&db, HOST), 1);

    tui.send("q");
    assert!(tui.wait_exit().success());
}

/// The demo's lab (a seeded workload, moved to end now, with idle hosts
/// allocated to the operator as the demo does): select a host of the
/// operator's in the list, `w`, the plan, confirm; the rows go from the
/// database and the host view shows it.
#[test]
fn a_demo_host_is_wiped_through_w() {
    use hostlife::sim::{self, Scale, SeedConfig, after};
    let db = TestDb::new();
    sim::seed(&db.connector(), &SeedConfig::scale(Scale::Small), &|_| {}).unwrap();
    let mut c = db.connect();
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    after::end_at(&mut c, now).unwrap();
    let last: i32 = c
        .query_one("SELECT max(greatest(started, finished)) FROM steps", &[])
        .unwrap()
        .get(0);
    assert!(
        (now - i64::from(last)).abs() <= 1,
        "ends at {last}, now {now}"
    );
    let operator = TaskRef::Static {
        refkey: task::default_static_refkey(),
    };
    let mine = after::allocate_to_operator(&mut c, &operator, 3).unwrap();
    assert_eq!(mine.len(), 3, "{mine:?}");
    let host = mine[0].clone();
    let before = rows_of(&db, &host);
    assert!(before > 0, "{host} has no rows to wipe");

    let mut tui = Tui::start(&db);
    tui.wait_for(&host);
    tui.send(&format!("/{host}"));
    tui.send(ENTER);
    tui.wait_until("the filtered list", |s| s.contains("1 of "));
    tui.send("w");
    let plan = format!("Removes {before} rows:");
    tui.wait_for(&plan);
    tui.send("y");
    tui.wait_for(&format!("wiped {host} as task"));
    // Only the operator's own out-of-job row is left.
    assert_eq!(rows_of(&db, &host), 1);
    tui.send("q");
    assert!(tui.wait_exit().success());
}
