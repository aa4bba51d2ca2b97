//! Every view, the palette and the confirmation dialog, drawn with
//! ratatui's `TestBackend` at 80×24 and 160×48 on the fixed dataset.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

mod tui;

use crossterm::event::KeyCode;
use hostlife::app::{App, Effect, Event, update};
use hostlife::db::worker::{self, Connection, Reply, Request};
use hostlife::lifecycle::report::HostSummary;
use hostlife::lifecycle::{Failure, Refusal, TaskLabel};
use std::time::Duration;
use tui::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn snapshot(name: &str, app: &mut App) {
    for (w, h) in SIZES {
        update(app, Event::Resize(w, h));
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen(app, w, h));
    }
}

#[test]
fn hosts() {
    let (mut app, _) = loaded_app(false);
    snapshot("hosts", &mut app);
}

#[test]
fn hosts_filtered_and_sorted() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch('/')]);
    press(&mut app, typed("o0"));
    snapshot("hosts_filter_editing", &mut app);
    press(&mut app, [key(KeyCode::Enter)]);
    press(&mut app, [ch('s'), ch('j'), ch('j'), ch('j'), ch('j')]);
    snapshot("sort_menu", &mut app);
    press(&mut app, [key(KeyCode::Enter), ch('S')]);
    snapshot("hosts_filtered_sorted", &mut app);
}

#[test]
fn host() {
    let (mut app, _) = loaded_app(false);
    let effects = press(&mut app, [ch('j'), key(KeyCode::Enter)]);
    serve(&mut app, effects);
    snapshot("host", &mut app);
    press(&mut app, [key(KeyCode::Tab), ch('j')]);
    snapshot("host_listing_pane", &mut app);
}

#[test]
fn was_it_the_host() {
    let (mut app, _) = loaded_app(false);
    let effects = press(&mut app, [ch('j'), key(KeyCode::Enter)]);
    serve(&mut app, effects);
    let effects = press(&mut app, [ch('b')]);
    snapshot("blame_loading", &mut app);
    serve(&mut app, effects);
    snapshot("blame", &mut app);
}

#[test]
fn which_jobs_break_hosts() {
    let (mut app, _) = loaded_app(false);
    let effects = press(&mut app, [ch('!')]);
    assert!(
        effects.is_empty(),
        "the list's ranking is shown: {effects:?}"
    );
    snapshot("suspects", &mut app);
    press(&mut app, [key(KeyCode::PageDown)]);
    snapshot("suspects_scrolled", &mut app);
}

#[test]
fn runvars() {
    let (mut app, _) = loaded_app(false);
    let effects = press(&mut app, [ch(':')]);
    assert!(effects.is_empty());
    // Typing asks the database only whether the job named exists.
    let effects = press(&mut app, typed("decode 100 build-d"));
    assert!(
        effects
            .iter()
            .all(|e| matches!(e, Effect::Request(_, Request::CheckJob { .. }))),
        "{effects:?}"
    );
    serve(&mut app, effects);
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    serve(&mut app, effects);
    snapshot("runvars", &mut app);
    press(&mut app, [key(KeyCode::Right)]);
    snapshot("runvars_second", &mut app);
    // Back to host_lifecycle; Enter on its `[1]` lists what it stands for.
    press(&mut app, [key(KeyCode::Left), ch('j'), ch('j')]);
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Request(_, Request::Elided { count: 1, .. })]
        ),
        "{effects:?}"
    );
    serve(&mut app, effects);
    snapshot("runvars_elided", &mut app);
}

/// Typed text decoded for no job: the own entries are "this job", not a
/// flight 0 and an empty name, and the title does not invent a job.
#[test]
fn runvars_typed_text() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("decode '@build-a:2 :3 +5'"));
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    serve(&mut app, effects);
    snapshot("runvars_typed_text", &mut app);
}

#[test]
fn history() {
    let (mut app, _) = loaded_app(false);
    let effects = press(&mut app, [ch('j'), ch('h')]);
    serve(&mut app, effects);
    snapshot("history", &mut app);
}

#[test]
fn timeline() {
    let (mut app, _) = loaded_app(false);
    let effects = press(&mut app, [ch('j'), ch('t')]);
    snapshot("timeline_loading", &mut app);
    serve(&mut app, effects);
    snapshot("timeline", &mut app);
    // build-d, zoomed in twice about its start, then a step later.
    press(&mut app, [ch('k'), ch('+'), ch('+'), key(KeyCode::Right)]);
    snapshot("timeline_zoomed", &mut app);
}

#[test]
fn palette() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("wiped h"));
    snapshot("palette_completing", &mut app);
    press(&mut app, typed(" x"));
    snapshot("palette_error", &mut app);
}

#[test]
fn palette_read_only() {
    let (mut app, _) = loaded_app(true);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("wiped h1"));
    snapshot("palette_read_only", &mut app);
}

#[test]
fn confirm_wipe() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("wiped h1"));
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    snapshot("confirm_wipe_checking", &mut app);
    serve(&mut app, effects);
    snapshot("confirm_wipe", &mut app);
}

#[test]
fn confirm_refused() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("wiped h1"));
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    let Some((id, request)) = first_request(effects) else {
        panic!("no plan request");
    };
    update(
        &mut app,
        failed_with(
            id,
            request,
            Failure::Refused(Refusal::HeldByOther {
                host: "h1".into(),
                holder: TaskLabel {
                    taskid: 9,
                    kind: Some("osstest".into()),
                    refkey: Some("flight 100 build-c".into()),
                    username: Some("osstest".into()),
                    live: true,
                },
            }),
        ),
    );
    snapshot("confirm_refused", &mut app);
}

#[test]
fn confirm_record() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch(':')]);
    let effects = press(
        &mut app,
        typed("selectprep h1 --flight 100 --job build-d --step 4"),
    );
    serve(&mut app, effects);
    // The dialog checks the call first.
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    snapshot("confirm_record_checking", &mut app);
    serve(&mut app, effects);
    snapshot("confirm_record", &mut app);
}

#[test]
fn help() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch('?')]);
    snapshot("help_hosts", &mut app);
    press(&mut app, typed("sort"));
    snapshot("help_filtered", &mut app);
}

#[test]
fn too_small() {
    let (app, _) = loaded_app(false);
    insta::assert_snapshot!("too_small", screen(&app, 60, 20));
}

#[test]
fn connection_lost_banner() {
    let (mut app, _) = loaded_app(false);
    update(
        &mut app,
        Event::Db(worker::Event::Connection(Connection::Down {
            error: "connection refused".into(),
            retry_in: std::time::Duration::from_secs(4),
        })),
    );
    snapshot("connection_lost", &mut app);
}

#[test]
fn loading_and_failed() {
    let t0 = std::time::Instant::now();
    let (mut app, effects) = App::new(config(false), false, t0);
    snapshot("hosts_loading", &mut app);
    let Some((id, request)) = first_request(effects) else {
        panic!("no request");
    };
    update(
        &mut app,
        failed(
            id,
            request,
            "ERROR: relation \"host_lifecycle\" does not exist (hint: run hostlife init)",
        ),
    );
    snapshot("hosts_failed", &mut app);
}

#[test]
fn freshness_filter() {
    assert_eq!(
        filter_freshness("x updated 12 s ago y updated 3 s ago"),
        "x updated [N] s ago y updated [N] s ago"
    );
}

/// Names from the database that would act on the terminal or pass for
/// other names show escaped; a CJK name keeps the columns aligned.
#[test]
fn hosts_hostile_names() {
    let (mut app, t0) = loaded_app(false);
    let hostile = |host: &str, job: &str| HostSummary {
        host: host.into(),
        last_job: Some(job.into()),
        ..tui::hosts()[0].clone()
    };
    let list = vec![
        hostile("evil\u{1b}]0;pwned\u{7}host", "101.build-\u{1b}[31mred"),
        hostile("host\u{200b}1", "101.test-amd64-xl"),
        hostile("abc\u{202e}fed", "101.test-amd64-xl"),
        hostile("split\nrow", "101.test\tjob"),
        hostile("日本ホスト1", "101.test-amd64-xl"),
    ];
    let effects = press(&mut app, [ch('R')]);
    for e in effects {
        if let Effect::Request(id, request) = e {
            let reply = match request {
                Request::Hosts => Reply::Hosts(Ok(list.clone())),
                other => reply(&other),
            };
            update(&mut app, answer(id, reply));
        }
    }
    update(&mut app, Event::Tick(t0 + Duration::from_secs(4)));
    update(&mut app, Event::Resize(160, 24));
    insta::assert_snapshot!("hosts_hostile_name_160x24", screen(&app, 160, 24));
}

/// Values from the database with escape sequences, wide characters and
/// long names in the host view: shown escaped, cut by display width with
/// an ellipsis, the columns still lined up, and the selected row's cut
/// values whole on the detail line.
#[test]
fn host_hostile_values() {
    let (mut app, _) = loaded_app(false);
    let effects = press(&mut app, [ch('j'), key(KeyCode::Enter)]);
    let mut detail = h1_detail();
    {
        let row = &mut detail.rows[0];
        let job = row.job.as_mut().unwrap();
        job.job = "build-\u{1b}[31m日本語のジョブ名-amd64-xsm"
            .to_owned()
            .into();
        let step = row.step.as_mut().unwrap();
        step.step = "ts-日本語-install\nsecond-line".to_owned();
    }
    for e in effects {
        if let Effect::Request(id, request) = e {
            let reply = match request {
                Request::Show { host } => Reply::Host {
                    host,
                    result: Ok(detail.clone()),
                },
                other => reply(&other),
            };
            update(&mut app, answer(id, reply));
        }
    }
    update(&mut app, Event::Resize(80, 24));
    let s = screen(&app, 80, 24);
    insta::assert_snapshot!("host_hostile_values_80x24", s);
    let lines: Vec<&str> = s.lines().collect();
    assert!(!s.contains('\u{1b}'), "{s}");
    // Every row of the table starts its status column at the same place:
    // wide characters are padded by their width.
    let status_at = |line: &str| {
        use unicode_width::UnicodeWidthStr as _;
        line.find(" pass ").map(|i| line[..i].width())
    };
    let columns: Vec<_> = lines.iter().filter_map(|l| status_at(l)).collect();
    assert!(columns.len() >= 3, "{s}");
    assert!(columns.windows(2).all(|w| w[0] == w[1]), "{columns:?}\n{s}");
    // The cut job shows whole, escaped, on the detail line.
    assert!(
        s.contains("job:\u{a0}100.build-\\e[31m日本語のジョブ名-amd64-xsm"),
        "{s}"
    );
    assert!(
        s.contains("step:\u{a0}ts-日本語-install\\nsecond-line"),
        "{s}"
    );
}

#[test]
fn messages() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch('p'), ch('p'), ch('M'), ch('m')]);
    snapshot("messages", &mut app);
}

/// The sizes operators use, for the views with osstest's longest job
/// names.
const LONG_SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 50)];

fn snapshot_long(name: &str, app: &mut App) -> Vec<String> {
    LONG_SIZES
        .iter()
        .map(|&(w, h)| {
            update(app, Event::Resize(w, h));
            let s = screen(app, w, h);
            insta::assert_snapshot!(format!("long_{name}_{w}x{h}"), s);
            s
        })
        .collect()
}

/// Every view with ~45-character job names, at 80×24, 120×40 and 200×50.
/// At 200 columns the host view shares its width by need, so no job name
/// is cut anywhere on it.
#[test]
fn long_job_names_at_each_size() {
    use_long_names();
    let (mut app, _) = loaded_app(false);
    snapshot_long("hosts", &mut app);
    let effects = press(&mut app, [ch('j'), key(KeyCode::Enter)]);
    serve(&mut app, effects);
    let screens = snapshot_long("host", &mut app);
    // The rows pane, left of the listing: every row's job whole.
    let rows_pane: Vec<&str> = screens[2]
        .lines()
        .filter_map(|l| l.split("││").next())
        .collect();
    for (short, uses) in [("build-a", 2), ("build-b", 1), ("build-c", 1)] {
        let name = format!("100.{}", job(short));
        let seen = rows_pane.iter().filter(|l| l.contains(&name)).count();
        assert_eq!(seen, uses, "{name} cut at 200:\n{}", screens[2]);
    }
    press(&mut app, [key(KeyCode::Tab)]);
    snapshot_long("host_listing_pane", &mut app);
    press(&mut app, [key(KeyCode::Esc), ch('h')]);
    let effects = press(&mut app, [ch('h')]);
    serve(&mut app, effects);
    snapshot_long("history", &mut app);
    press(&mut app, [key(KeyCode::Esc), ch(':')]);
    press(&mut app, typed(&format!("decode 100 {}", job("build-d"))));
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    serve(&mut app, effects);
    snapshot_long("runvars", &mut app);
}

/// Statuses are coloured by what they say (and always worded): with
/// colour on, the history's broken job is red, its passes green.
#[test]
fn statuses_are_coloured() {
    use ratatui::style::Color;
    let (mut app, _) = loaded_app(false);
    let effects = press(&mut app, [ch('j'), ch('h')]);
    serve(&mut app, effects);
    update(&mut app, Event::Resize(160, 48));
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
    terminal
        .draw(|f| hostlife::render::draw(f, &app, &hostlife::render::Theme::COLOR))
        .unwrap();
    let buf = terminal.backend().buffer();
    let colour_of = |word: &str| {
        (0..48u16)
            .find_map(|y| {
                let line: String = (0..160u16).map(|x| buf[(x, y)].symbol()).collect();
                let at = line.find(&format!(" {word} "))?;
                let x = u16::try_from(line[..at].chars().count() + 1).unwrap();
                Some(buf[(x, y)].fg)
            })
            .unwrap_or_else(|| panic!("{word} not on screen"))
    };
    assert_eq!(colour_of("broken"), Color::Red);
    assert_eq!(colour_of("pass"), Color::Green);
    assert_eq!(colour_of("queued"), Color::Reset);
}
