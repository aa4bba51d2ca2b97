//! Shared by the TUI tests: a fixed dataset built as plain values (so the
//! snapshots never depend on a database), and helpers that drive the app
//! through `update` the way the event loop does.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use hostlife::app::{App, Effect, Event, Settings, update};
use hostlife::db::worker::{self, Answer, Reply, Request};
use hostlife::lifecycle::Failure;
use hostlife::lifecycle::Task;
use hostlife::lifecycle::TaskLabel;
use hostlife::lifecycle::blame::Blame;
use hostlife::lifecycle::call::TaskRef;
use hostlife::lifecycle::call::{RecordOutcome, WipePlan};
use hostlife::lifecycle::health::{Health, Outcome};
use hostlife::lifecycle::report::{
    Decoded, EntryDetail, HistoryEntry, HostDetail, HostSummary, JobRunvar, Property, RowView,
    StepInfo,
};
use hostlife::lifecycle::{self, ListingContext, ResolvedKind, RowJob, ScanRow};

pub const T0_STARTED: i64 = 1_700_000_000;

thread_local! {
    /// Whether this test's fixture uses osstest's longest job names.
    static LONG_NAMES: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The fixture's jobs under names as long as osstest's longest (~45
/// characters), for this test's thread.
pub fn use_long_names() {
    LONG_NAMES.with(|l| l.set(true));
}

/// The short names the fixture is written with, and the long ones.
const LONG: [(&str, &str); 6] = [
    ("build-a", "test-amd64-amd64-xl-qemuu-debianhvm-i386-xsm"),
    ("build-b", "test-amd64-i386-xl-qemut-win7-amd64-shadow"),
    ("build-c", "test-amd64-amd64-qemuu-nested-intel-pvhv2"),
    ("build-d", "test-amd64-amd64-xl-qemuu-ovmf-amd64-pvshim"),
    ("build-e", "test-armhf-armhf-xl-credit2-vhd-multivcpu"),
    ("build-f", "test-amd64-i386-libvirt-qemuu-debianhvm-xsm"),
];

/// A fixture job's name, long when the test asked for long names.
pub fn job(short: &str) -> String {
    jobs_in(short)
}

/// `text` with every fixture job named as [`job`] names it.
pub fn jobs_in(text: &str) -> String {
    if !LONG_NAMES.with(std::cell::Cell::get) {
        return text.to_owned();
    }
    LONG.iter()
        .fold(text.to_owned(), |t, (short, long)| t.replace(short, long))
}

pub fn config(read_only: bool) -> Settings {
    Settings {
        db_label: "host=/run/pg dbname=osstest".to_owned(),
        read_only,
        // Long, so that ticks in tests do not trigger refreshes.
        refresh: Duration::from_mins(1),
        operator_task: TaskRef::Static {
            refkey: "ian@osstest".to_owned(),
        },
    }
}

fn task(taskid: i32, kind: &str, refkey: &str, user: Option<&str>, live: bool) -> Task {
    Task {
        taskid,
        kind: kind.to_owned(),
        refkey: refkey.to_owned(),
        username: user.map(str::to_owned),
        comment: None,
        live,
    }
}

pub fn operator() -> Task {
    task(12, "static", "ian@osstest", Some("ian"), true)
}

/// The suspects ranking of a made-up lab, ranked by the real code: a
/// pair test before most failed installs on h1 to h4, a build job before
/// nearly every install, and italia0, whose installs fail whatever ran
/// before (its newest four in a row).
pub fn suspects_report() -> hostlife::lifecycle::suspects::Report {
    use hostlife::lifecycle::Relation;
    use hostlife::lifecycle::suspects::{self, Predecessor, Trial};
    let before = |jobs: &[&str]| -> Vec<Predecessor> {
        jobs.iter()
            .map(|j| Predecessor {
                flight: 90,
                job: job(j),
                relation: Relation::Reuse,
            })
            .collect()
    };
    let mut trials = Vec::new();
    let mut add = |host: &str, failed: bool, jobs: &[&str]| {
        let n = trials.len();
        trials.push(Trial {
            host: host.into(),
            flight: 100 + i32::try_from(n).unwrap(),
            job: job("build-a"),
            stepno: 2,
            failed,
            started: 1_000 * i64::try_from(n).unwrap(),
            predecessors: before(jobs),
            // An operator looked at the hosts build-c had used.
            tasks: if jobs.contains(&"build-c") {
                vec![hostlife::lifecycle::suspects::TaskPredecessor {
                    taskid: 7,
                    task: "static ian@osstest".into(),
                    relation: Relation::Reuse,
                }]
            } else {
                vec![]
            },
        });
    };
    for (i, host) in ["h1", "h2", "h3", "h4"].iter().cycle().take(80).enumerate() {
        match i % 8 {
            0 => add(host, true, &["test-amd64-pair", "build-b"]),
            1 => add(host, i % 16 != 1, &["test-amd64-pair"]),
            2 => add(host, i == 2, &["build-c"]),
            _ => add(host, false, &["build-b"]),
        }
    }
    for i in 0..8 {
        add("italia0", i != 1 && i != 3, &["build-b"]);
    }
    suspects::rank(&trials)
}

/// "Was it the host?" for a job on h1, made up: a host that fails well
/// above the fleet while the same job passes elsewhere.
pub fn blame_of(flight: i32, job: &str) -> Blame {
    use hostlife::lifecycle::blame::{self, HostBlame, Run, Tally};
    let run = |flight: i32, job: &str, host: &str, status: &str| Run {
        flight,
        job: job.into(),
        host: host.into(),
        outcome: Outcome::of(status),
    };
    let recent = vec![
        run(99, "test-amd64-xl", "h1", "fail"),
        run(98, "test-amd64-pair", "h1", "broken"),
        run(97, "build-c", "h1", "fail"),
        run(96, "build-b", "h1", "pass"),
    ];
    let same_job = vec![
        run(99, job, "fiano0", "pass"),
        run(98, job, "italia0", "pass"),
    ];
    let fleet = Tally {
        failed: 4,
        ended: 50,
    };
    let recent_tally = Tally::of(recent.iter().map(|r| &r.outcome));
    let same_job_tally = Tally::of(same_job.iter().map(|r| &r.outcome));
    let (verdict, line) = blame::judge("h1 (host)", recent_tally, same_job_tally, &[98, 99], fleet);
    Blame {
        flight,
        job: job.into(),
        status: "fail".into(),
        failed_step: Some((3, "ts-xen-install".into(), "fail".into())),
        fleet,
        hosts: vec![HostBlame {
            ident: "host".into(),
            host: "h1".into(),
            before: vec![hostlife::lifecycle::suspects::Predecessor {
                flight: 99,
                job: "test-amd64-pair".into(),
                relation: hostlife::lifecycle::Relation::Prep,
            }],
            recent,
            recent_tally,
            same_job,
            same_job_tally,
            verdict,
            line,
        }],
    }
}

/// A host's health from its newest jobs' statuses (oldest first).
pub fn health(statuses: &str, since_install: Option<i64>, failed: i64, suspect: bool) -> Health {
    let mut outcomes: Vec<Outcome> = statuses.split_whitespace().map(Outcome::of).collect();
    outcomes.drain(
        ..outcomes
            .len()
            .saturating_sub(hostlife::lifecycle::health::RECENT_JOBS),
    );
    Health {
        outcomes,
        install_flight: since_install.map(|_| 100),
        jobs_since_install: since_install,
        failed_installs_recently: failed,
        suspect,
    }
}

pub fn hosts() -> Vec<HostSummary> {
    let label = |t: Task| Some(t.label());
    vec![
        HostSummary {
            host: "fiano0".into(),
            sharetype: None,
            share_state: None,
            shares: None,
            flags: vec!["arch-amd64".into(), "purpose-test".into()],
            properties: vec![],
            holder: label(operator()),
            rows: Some(2),
            live_tasks: 1,
            last_lcseq: Some(9),
            last_job: Some("101.test-amd64-xl".into()),
            last_activity: Some(T0_STARTED + 4000),
            health: Some(health("pass pass fail pass running", Some(2), 0, false)),
        },
        HostSummary {
            host: "h1".into(),
            sharetype: Some("build-amd64".into()),
            share_state: Some("ready".into()),
            shares: Some(4),
            flags: vec!["arch-amd64".into(), "purpose-build".into()],
            properties: vec![],
            holder: label(task(3, "magic", "shared", None, true)),
            rows: Some(4),
            live_tasks: 1,
            last_lcseq: Some(4),
            last_job: Some(jobs_in("100.build-c")),
            last_activity: Some(T0_STARTED + 300),
            health: Some(health(&"pass ".repeat(24), Some(31), 0, false)),
        },
        HostSummary {
            host: "italia0".into(),
            sharetype: None,
            share_state: None,
            shares: None,
            flags: vec!["arch-amd64".into(), "purpose-test".into()],
            properties: vec![],
            holder: label(task(1, "magic", "idle", None, false)),
            rows: Some(0),
            live_tasks: 0,
            last_lcseq: None,
            last_job: None,
            last_activity: None,
            health: Some(health("pass broken broken fail broken", None, 3, true)),
        },
        HostSummary {
            host: "pinot1".into(),
            sharetype: None,
            share_state: None,
            shares: None,
            flags: vec!["arch-amd64".into(), "purpose-test".into()],
            properties: vec![],
            holder: Some(TaskLabel {
                taskid: 44,
                kind: None,
                refkey: None,
                username: None,
                live: false,
            }),
            rows: Some(1),
            live_tasks: 0,
            last_lcseq: Some(7),
            last_job: None,
            last_activity: None,
            // Not read yet.
            health: None,
        },
    ]
}

fn step(job: &str, stepno: i32) -> StepInfo {
    let (name, testid) = match stepno {
        2 => ("ts-host-install-twice", "host-install(2)"),
        3 => ("ts-xen-build-prep", "xen-build-prep"),
        4 => ("ts-host-install-twice", "host-install(4)"),
        _ => ("ts-xen-build", "xen-build"),
    };
    StepInfo {
        step: name.to_owned(),
        testid: Some(testid.to_owned()),
        status: if job == self::job("build-c") {
            "running"
        } else {
            "pass"
        }
        .to_owned(),
        started: Some(T0_STARTED + i64::from(stepno) * 60),
        finished: None,
    }
}

/// The spec's worked example (section 8) on host h1.
pub fn h1_scan() -> Vec<ScanRow<'static>> {
    let row = |lcseq, taskid, live, job: &str, stepno, isprep| ScanRow {
        lcseq,
        taskid,
        live,
        job: Some(RowJob {
            flight: 100,
            job: self::job(job).into(),
            stepno,
            ident: "host".into(),
            isprep,
        }),
    };
    vec![
        row(1, 7, false, "build-a", 2, true),
        row(2, 7, false, "build-a", 5, false),
        row(3, 8, false, "build-b", 3, false),
        row(4, 9, true, "build-c", 3, true),
    ]
}

pub fn h1_detail() -> HostDetail {
    let scan = h1_scan();
    let listing = lifecycle::listing(
        &scan,
        ListingContext {
            flight: None,
            job: "",
            build_host: true,
        },
    );
    let rows = scan
        .into_iter()
        .zip(listing.flags)
        .map(|(r, flags)| {
            let job = r.job.clone().expect("job rows");
            RowView {
                lcseq: r.lcseq,
                taskid: r.taskid,
                task: Some(task(
                    r.taskid,
                    "osstest",
                    &format!("flight 100 {}", job.job),
                    Some("osstest"),
                    r.live,
                )),
                step: Some(step(&job.job, job.stepno)),
                job: Some(job),
                later_notprep: flags.later_notprep,
                concurrent: flags.concurrent,
            }
        })
        .collect();
    HostDetail {
        host: "h1".into(),
        build_host: true,
        flags: vec!["arch-amd64".into(), "purpose-build".into()],
        properties: vec![
            Property {
                name: "cpus".into(),
                val: "16".into(),
            },
            Property {
                name: "memory".into(),
                val: "65536".into(),
            },
        ],
        rows,
        listing: listing.items.join(" "),
    }
}

/// A runvar of (flight, job), decoded and "looked up" in the fixture.
pub fn job_runvar(flight: i32, job: &str, name: &str, runvar: &str) -> JobRunvar {
    let decoded = lifecycle::decode(runvar);
    JobRunvar {
        flight,
        job: job.to_owned(),
        name: name.to_owned(),
        runvar: runvar.to_owned(),
        incomplete: decoded.as_ref().is_ok_and(|r| r.sigil.is_some()),
        entries: decoded.map(|r| {
            r.resolve(flight, job)
                .into_iter()
                .map(|entry| {
                    let (step_info, job_status, task_info) = match &entry.kind {
                        ResolvedKind::Step { job, stepno, .. } => {
                            (Some(step(job, *stepno)), Some("pass".to_owned()), None)
                        }
                        ResolvedKind::Task { taskid } => (
                            None,
                            None,
                            Some(task(*taskid, "static", "ian@osstest", Some("ian"), true)),
                        ),
                        ResolvedKind::Elided { .. } => (None, None, None),
                    };
                    EntryDetail {
                        entry,
                        step: step_info,
                        job_status,
                        blessing: Some("running".into()),
                        task: task_info,
                    }
                })
                .collect()
        }),
    }
}

pub fn build_d_runvars() -> Vec<JobRunvar> {
    vec![
        job_runvar(
            100,
            &job("build-d"),
            "host_lifecycle",
            &jobs_in("@build-a:2 5 [1] +@build-c:3 @"),
        ),
        job_runvar(
            100,
            &job("build-d"),
            "src_host_lifecycle",
            &jobs_in("+?12 build-a:5,src_host"),
        ),
    ]
}

pub fn h1_history() -> Vec<HistoryEntry> {
    let entry = |short: &str, runvar: Option<&str>, status: &str| {
        let job = job(short);
        let runvar = runvar.map(jobs_in);
        HistoryEntry {
            flight: 100,
            decoded: runvar.as_deref().map(|r| Decoded::of(r, 100, &job)),
            job,
            ident: "host".to_owned(),
            blessing: Some("running".into()),
            branch: Some("xen-unstable".into()),
            started: Some(T0_STARTED),
            job_status: status.to_owned(),
            runvar,
        }
    };
    vec![
        entry("build-a", Some(":2 :5"), "pass"),
        entry("build-b", Some("@build-a:2 5"), "pass"),
        entry("build-c", Some("@build-a:2 5 [1] @"), "running"),
        entry("build-d", Some("@build-a:2 5 [1] +@build-c:3 @"), "running"),
        entry("build-e", None, "queued"),
        entry("build-f", Some("@+x:2"), "broken"),
    ]
}

/// h1's timeline: a build that installed it (prep. then use), a job that
/// shared it, a failed install and the install after it, an operator's
/// out-of-job use, and a job still running.
pub fn h1_timeline() -> hostlife::lifecycle::timeline::Timeline {
    use hostlife::lifecycle::timeline::{self, JobSpan, TaskUse};
    let t = |m: i64| T0_STARTED + m * 60;
    let span = |short: &str, start, prep: Option<i64>, end, status: &str, installs| JobSpan {
        flight: 100,
        job: job(short),
        idents: vec!["host".to_owned()],
        start: t(start),
        prep_end: prep.map(t),
        end: t(end),
        status: status.to_owned(),
        live: status == "running",
        timed: true,
        installs,
    };
    let jobs = vec![
        span("build-a", 0, Some(40), 120, "pass", vec![(t(5), false)]),
        span("build-b", 60, None, 150, "pass", vec![]),
        span(
            "build-c",
            200,
            Some(225),
            230,
            "broken",
            vec![(t(205), true)],
        ),
        span(
            "build-d",
            300,
            Some(330),
            420,
            "fail",
            vec![(t(301), false)],
        ),
        span("build-e", 400, None, 480, "running", vec![]),
    ];
    let tasks = vec![TaskUse {
        taskid: 7,
        label: Some("static ian@osstest".to_owned()),
        live: true,
        after: Some(t(160)),
    }];
    // Now is an hour after build-e's last step began: its bar reaches it.
    timeline::build("h1", jobs, tasks, 3 * 86_400, t(540))
}

pub fn h1_wipe_plan() -> WipePlan {
    WipePlan {
        task: operator(),
        first_own: None,
        remove: vec![1, 2, 3, 4],
        keep: vec![],
    }
}

/// `[1]` in build-d's runvar: build-b.
pub fn elided_of(request: &Request) -> hostlife::lifecycle::elided::Elided {
    use hostlife::lifecycle::elided::{Elided, ElidedJob, Expansion};
    let Request::Elided {
        flight,
        job,
        name,
        count,
    } = request
    else {
        panic!("not an expansion: {request:?}");
    };
    Elided {
        flight: *flight,
        job: job.clone(),
        name: name.clone(),
        host: Some("h1".to_owned()),
        count: *count,
        expansion: Expansion::Listed {
            jobs: vec![ElidedJob {
                flight: 100,
                job: self::job("build-b"),
                ident: "host".to_owned(),
                stepno: 3,
                lcseq: 3,
                status: Some("pass".to_owned()),
            }],
        },
    }
}

/// The fixture's answer to a request.
pub fn reply(request: &Request) -> Reply {
    let request = request.clone();
    match request {
        // As the worker does: the list, then its counts and health.
        Request::Hosts => Reply::Hosts(Ok(hosts()
            .into_iter()
            .map(|h| HostSummary {
                rows: None,
                health: None,
                ..h
            })
            .collect())),
        Request::HostCounts => Reply::HostCounts(Ok(hosts()
            .into_iter()
            .filter_map(|h| Some((h.host, h.rows.filter(|&n| n > 0)?)))
            .collect())),
        Request::HostHealth { .. } => Reply::HostHealth(Ok(hosts()
            .into_iter()
            .filter_map(|h| {
                let health = Health {
                    suspect: false,
                    ..h.health?
                };
                Some((h.host, health))
            })
            .collect())),
        Request::Blame { flight, job } => Reply::Blame {
            result: Ok(blame_of(flight, &job)),
            flight,
            job,
        },
        Request::Suspects => Reply::Suspects(Ok(suspects_report())),
        Request::Show { host } => Reply::Host {
            host,
            result: Ok(h1_detail()),
        },
        Request::History { host } => Reply::History {
            host,
            result: Ok((h1_history(), false)),
        },
        Request::Elided { .. } => Reply::Elided {
            result: Ok(elided_of(&request)),
            request,
        },
        Request::Timeline { host, days } => Reply::Timeline {
            host,
            days,
            result: Ok(h1_timeline()),
        },
        Request::JobRunvars { flight, ref job } => {
            let runvars = if *job == self::job("build-d") && flight == 100 {
                build_d_runvars()
            } else {
                vec![job_runvar(flight, job, "host_lifecycle", ":2 :5")]
            };
            Reply::Runvars {
                request,
                result: Ok(runvars),
            }
        }
        Request::DecodeRunvar {
            flight,
            ref job,
            ref runvar,
        } => {
            let runvars = vec![job_runvar(flight, job, "host_lifecycle", runvar)];
            Reply::Runvars {
                request,
                result: Ok(runvars),
            }
        }
        // Every job the fixture is asked about exists.
        Request::CheckJob { flight, job } => Reply::JobChecked {
            flight,
            job,
            result: Ok(()),
        },
        Request::PlanWipe(call) => Reply::WipePlan {
            call,
            result: Ok((h1_wipe_plan(), h1_detail())),
        },
        // As the recorder would answer a rehearsal of the call: a row for
        // a job's step, else an out-of-job row.
        Request::PlanRecord(call) => {
            let result = match (&call.job, &call.step) {
                (Some(job), Some(step)) => Ok(RecordOutcome::Recorded {
                    lcseq: 99,
                    taskid: 5,
                    stepno: match step {
                        hostlife::lifecycle::call::StepRef::Number(n) => *n,
                        hostlife::lifecycle::call::StepRef::Testid(_) => 3,
                    },
                    runvar_name: format!("{}_lifecycle", call.ident),
                    runvar: format!("@{}:2 +", job.job),
                }),
                _ => Ok(RecordOutcome::OutOfJob {
                    lcseq: 99,
                    taskid: 5,
                }),
            };
            Reply::RecordPlan { call, result }
        }
        other => panic!("the fixture does not write: {other:?}"),
    }
}

pub fn answer(id: u64, reply: Reply) -> Event {
    Event::Db(worker::Event::Answer(Box::new(Answer { id, reply })))
}

/// `request`'s answer, failed with `message`.
pub fn failed(id: u64, request: Request, message: &str) -> Event {
    failed_with(id, request, Failure::Failed(message.to_owned()))
}

/// `request`'s answer, failed with `failure`.
pub fn failed_with(id: u64, request: Request, failure: Failure) -> Event {
    answer(id, Reply::failed(request, failure))
}

/// Answer every request in `effects` from the fixture; return the other
/// effects.
pub fn serve(app: &mut App, effects: Vec<Effect>) -> Vec<Effect> {
    let mut rest = Vec::new();
    let mut queue = effects;
    while !queue.is_empty() {
        let mut next = Vec::new();
        for e in queue {
            match e {
                Effect::Request(id, request) => {
                    next.extend(update(app, answer(id, reply(&request))));
                }
                other => rest.push(other),
            }
        }
        queue = next;
    }
    rest
}

pub fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ch(c: char) -> Event {
    key(KeyCode::Char(c))
}

/// Press keys; return every effect they caused (requests unanswered).
pub fn press(app: &mut App, events: impl IntoIterator<Item = Event>) -> Vec<Effect> {
    events.into_iter().flat_map(|e| update(app, e)).collect()
}

pub fn typed(s: &str) -> Vec<Event> {
    s.chars().map(ch).collect()
}

/// An app with the hosts loaded, at a fixed instant, 3 s after the data.
pub fn loaded_app(read_only: bool) -> (App, Instant) {
    let t0 = Instant::now();
    let (mut app, effects) = App::new(config(read_only), false, t0);
    // Two hours after the fixture's flights started: ages are fixed.
    app.set_wall_clock(t0, T0_STARTED + 7200);
    app.size = (80, 24);
    serve(&mut app, effects);
    update(&mut app, Event::Tick(t0 + Duration::from_secs(3)));
    (app, t0)
}

/// The screen as text, with the clock-dependent part filtered out.
pub fn screen(app: &App, w: u16, h: u16) -> String {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("test terminal");
    terminal
        .draw(|f| hostlife::render::draw(f, app, &hostlife::render::Theme::NO_COLOR))
        .expect("draw");
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        // A wide character's second cell is the terminal's, not ours: a
        // terminal skips it, and so does the text here.
        let mut covered = 0;
        for x in 0..w {
            if covered > 0 {
                covered -= 1;
                continue;
            }
            let symbol = buf[(x, y)].symbol();
            covered = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
            line.push_str(symbol);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    filter_freshness(&out)
}

/// "updated 3 s ago" -> "updated [N] s ago".
pub fn filter_freshness(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("updated ") {
        let (head, tail) = rest.split_at(i + "updated ".len());
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 {
            out.push_str("[N]");
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// The first request among `effects` (a palette command also asks for
/// its line to be remembered).
pub fn first_request(effects: Vec<Effect>) -> Option<(worker::RequestId, Request)> {
    effects.into_iter().find_map(|e| match e {
        Effect::Request(id, r) => Some((id, r)),
        _ => None,
    })
}
