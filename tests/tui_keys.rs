//! Key handling, palette and answers as state transitions: no terminal,
//! no database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

mod tui;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use hostlife::app::confirm::Write;
use hostlife::app::hosts::Column;
use hostlife::app::keymap::Scope;
use hostlife::app::screen::Screen;
use hostlife::app::{Effect, Event, Overlay, update};
use hostlife::db::worker::{Reply, Request};
use hostlife::lifecycle::{Failure, Refusal};
use tui::*;

fn requests(effects: &[Effect]) -> Vec<Request> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Request(_, r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

/// The open palette.
fn palette_of(app: &hostlife::app::App) -> &hostlife::app::palette::Palette {
    match &app.overlay {
        Some(Overlay::Palette(p)) => p,
        other => panic!("no palette: {other:?}"),
    }
}

#[test]
fn filter_is_incremental_and_case_insensitive_and_esc_clears_it() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch('/')]);
    assert_eq!(app.contexts(), [Scope::Filter]);
    press(&mut app, typed("FI"));
    let names: Vec<_> = app.hosts.visible().iter().map(|h| h.host.clone()).collect();
    assert_eq!(names, ["fiano0"]);
    // `q` while filtering is text, not quit.
    assert!(press(&mut app, [ch('q')]).is_empty());
    assert_eq!(app.hosts.filter, "FIq");
    press(&mut app, [key(KeyCode::Backspace), key(KeyCode::Enter)]);
    assert!(!app.hosts.editing);
    assert_eq!(app.hosts.visible().len(), 1);
    press(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(app.hosts.visible().len(), 4);
}

#[test]
fn the_sort_menu_sorts_by_any_column_and_s_reverses() {
    let (mut app, _) = loaded_app(false);
    assert_eq!(app.hosts.sort.column, Column::Host);
    press(&mut app, [ch('s')]);
    let Some(Overlay::Sort(menu)) = &app.overlay else {
        panic!("no sort menu: {:?}", app.overlay)
    };
    // It opens on the column that sorts, and lists every column.
    assert_eq!(menu.titles[menu.cursor], "host");
    assert_eq!(menu.titles.len(), Column::ALL.len());
    press(&mut app, [ch('j'), ch('j'), ch('j'), key(KeyCode::Enter)]);
    assert!(app.overlay.is_none());
    assert_eq!(app.hosts.sort.column, Column::Rows);
    assert!(!app.hosts.sort.descending);
    press(&mut app, [ch('S')]);
    assert!(app.hosts.sort.descending);
    assert_eq!(app.hosts.visible()[0].host, "h1");
    // Picking the sorting column again reverses it; Esc closes untouched.
    press(&mut app, [ch('s'), key(KeyCode::Enter)]);
    assert!(!app.hosts.sort.descending);
    press(&mut app, [ch('s'), ch('j'), key(KeyCode::Esc)]);
    assert_eq!(app.hosts.sort.column, Column::Rows);
}

/// `/` and `s` work on every table, here the host view's rows: the
/// filter narrows them, the title counts what is shown of how many, Esc
/// clears the filter before it goes back.
#[test]
fn the_host_views_rows_filter_and_sort() {
    let (mut app, _) = loaded_app(false);
    let effects = press(&mut app, [ch('j'), key(KeyCode::Enter)]);
    serve(&mut app, effects);
    let Some(Screen::Host(v)) = app.stack.last() else {
        panic!("no host view")
    };
    let all = v.rows.shown().len();
    assert!(all > 1, "{all}");
    press(&mut app, [ch('/')]);
    press(&mut app, typed("build-b"));
    press(&mut app, [key(KeyCode::Enter)]);
    let Some(Screen::Host(v)) = app.stack.last() else {
        panic!("no host view")
    };
    assert_eq!(v.rows.shown().len(), 1);
    assert_eq!(
        v.selected_row().unwrap().job.as_ref().unwrap().job,
        "build-b"
    );
    let s = screen(&app, 120, 40);
    assert!(s.contains("1/1 of 4"), "{s}");
    assert!(s.contains("/build-b"), "{s}");
    // Esc: first the filter goes, then the view.
    press(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(app.stack.len(), 1);
    let Some(Screen::Host(v)) = app.stack.last() else {
        panic!("no host view")
    };
    assert_eq!(v.rows.shown().len(), all);
    // Sort by lcseq, descending: the newest row first.
    press(
        &mut app,
        [ch('s'), ch('g'), ch('j'), key(KeyCode::Enter), ch('S')],
    );
    let Some(Screen::Host(v)) = app.stack.last() else {
        panic!("no host view")
    };
    let first = v.selected_row().unwrap().lcseq;
    let max = v
        .feed
        .loaded()
        .unwrap()
        .detail
        .rows
        .iter()
        .map(|r| r.lcseq)
        .max();
    assert_eq!(Some(first), max);
    assert!(screen(&app, 120, 40).contains("lcseq ▼"));
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(app.stack.is_empty());
}

#[test]
fn enter_drills_down_and_esc_comes_back() {
    let (mut app, _) = loaded_app(false);
    let effects = press(&mut app, [ch('j'), key(KeyCode::Enter)]);
    assert_eq!(requests(&effects), [Request::Show { host: "h1".into() }]);
    serve(&mut app, effects);
    assert!(matches!(app.stack.last(), Some(Screen::Host(v)) if v.feed.loaded().is_some()));
    // Enter on a row follows it to its job's runvars.
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(
        requests(&effects),
        [Request::JobRunvars {
            flight: 100,
            job: "build-a".into()
        }]
    );
    serve(&mut app, effects);
    assert_eq!(app.stack.len(), 2);
    let effects = press(&mut app, [key(KeyCode::Esc)]);
    // Back on the host, which is reloaded.
    assert_eq!(app.stack.len(), 1);
    assert_eq!(requests(&effects), [Request::Show { host: "h1".into() }]);
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(app.stack.is_empty());
}

/// `t` opens the timeline of the host under the cursor; Enter follows a
/// bar to its job; `-` past the whole window asks for twice the days and
/// an answer for the old window is not shown over it.
#[test]
fn the_timeline_follows_bars_and_widens_its_window() {
    let (mut app, _) = loaded_app(false);
    let effects = press(&mut app, [ch('j'), ch('t')]);
    assert_eq!(
        requests(&effects),
        [Request::Timeline {
            host: "h1".into(),
            days: 3,
        }]
    );
    serve(&mut app, effects);
    assert_eq!(app.contexts(), [Scope::Timeline, Scope::Global]);
    // The newest job is selected; up twice is build-c.
    let effects = press(&mut app, [ch('k'), ch('k'), key(KeyCode::Enter)]);
    assert_eq!(
        requests(&effects),
        [Request::JobRunvars {
            flight: 100,
            job: job("build-c")
        }]
    );
    serve(&mut app, effects);
    press(&mut app, [key(KeyCode::Esc)]);
    let Some(Screen::Timeline(v)) = app.stack.last() else {
        panic!("back on the timeline: {:?}", app.stack.last());
    };
    assert_eq!(
        v.selected().map(|b| b.span.job.clone()),
        Some(job("build-c"))
    );
    // Filter and export are the lists' keys, not the picture's.
    assert!(press(&mut app, [ch('/'), ch('e')]).is_empty());
    let effects = press(&mut app, [ch('-')]);
    assert_eq!(
        requests(&effects),
        [Request::Timeline {
            host: "h1".into(),
            days: 6
        }]
    );
    // A refresh asked before the zoom out answers for 3 days: stale,
    // dropped.
    let mut stale = h1_timeline();
    stale.bars.truncate(1);
    update(
        &mut app,
        answer(
            0,
            Reply::Timeline {
                host: "h1".into(),
                days: 3,
                result: Ok(stale),
            },
        ),
    );
    let Some(Screen::Timeline(v)) = app.stack.last() else {
        panic!("the timeline: {:?}", app.stack.last());
    };
    assert_eq!(v.bars().len(), 5);
    serve(&mut app, effects);
    let Some(Screen::Timeline(v)) = app.stack.last() else {
        panic!("the timeline: {:?}", app.stack.last());
    };
    assert_eq!((v.days, v.bars().len()), (6, 5));
}

#[test]
fn runvar_entries_walk_the_chain_of_jobs() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("decode 100 build-d"));
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    serve(&mut app, effects);
    // Entries pane: the fourth entry is build-c's prep.
    let effects = press(&mut app, [ch('G'), key(KeyCode::Enter)]);
    assert_eq!(
        requests(&effects),
        [Request::JobRunvars {
            flight: 100,
            job: "build-c".into()
        }]
    );
    // The jobs pane too: Tab, then the first job.
    serve(&mut app, effects);
    press(&mut app, [key(KeyCode::Esc)]);
    let effects = press(&mut app, [key(KeyCode::Tab), ch('g'), key(KeyCode::Enter)]);
    assert_eq!(
        requests(&effects),
        [Request::JobRunvars {
            flight: 100,
            job: "build-a".into()
        }]
    );
}

#[test]
fn a_slow_answer_for_another_host_is_dropped() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("goto fiano0"));
    let first = press(&mut app, [key(KeyCode::Enter)]);
    press(&mut app, [key(KeyCode::Esc)]);
    let Some((old_id, old_request)) = first_request(first) else {
        panic!("no request")
    };
    press(&mut app, [ch(':')]);
    press(&mut app, typed("goto h1"));
    let second = press(&mut app, [key(KeyCode::Enter)]);
    let Some((new_id, new_request)) = first_request(second) else {
        panic!("no request")
    };
    assert!(new_id > old_id);
    // fiano0's answer arrives late: it must not land anywhere.
    let mut fiano = h1_detail();
    fiano.host = "fiano0".into();
    update(
        &mut app,
        answer(
            old_id,
            Reply::Host {
                host: host_of(&old_request),
                result: Ok(fiano),
            },
        ),
    );
    let Some(Screen::Host(v)) = app.stack.last() else {
        panic!("not on a host")
    };
    assert_eq!(v.host, "h1");
    assert!(v.feed.loaded().is_none());
    update(
        &mut app,
        answer(
            new_id,
            Reply::Host {
                host: host_of(&new_request),
                result: Ok(h1_detail()),
            },
        ),
    );
    let Some(Screen::Host(v)) = app.stack.last() else {
        panic!("not on a host")
    };
    assert_eq!(v.feed.loaded().map(|d| d.detail.host.as_str()), Some("h1"));
}

#[test]
fn a_failed_refresh_keeps_the_data_and_says_why() {
    let (mut app, t0) = loaded_app(false);
    let effects = update(&mut app, Event::Tick(t0 + Duration::from_secs(61)));
    let Some(Effect::Request(id, request)) = effects.into_iter().next() else {
        panic!("no refresh after the interval")
    };
    update(
        &mut app,
        failed(id, request, "FATAL: terminating connection"),
    );
    assert_eq!(app.hosts.all().len(), 4);
    assert!(
        app.status
            .as_ref()
            .is_some_and(|s| s.error && s.text.contains("FATAL"))
    );
}

#[test]
fn pause_stops_refreshes() {
    let (mut app, t0) = loaded_app(false);
    press(&mut app, [ch('p')]);
    assert!(update(&mut app, Event::Tick(t0 + Duration::from_mins(2))).is_empty());
    press(&mut app, [ch('p')]);
    assert_eq!(
        update(&mut app, Event::Tick(t0 + Duration::from_secs(121))).len(),
        1
    );
}

#[test]
fn palette_validates_completes_and_remembers() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("wip"));
    let p = palette_of(&app);
    assert!(p.parsed.as_ref().unwrap_err().contains("unknown command"));
    assert_eq!(p.completions, ["wiped"]);
    press(&mut app, [key(KeyCode::Tab)]);
    press(&mut app, typed("it"));
    press(&mut app, [key(KeyCode::Tab)]);
    let p = palette_of(&app);
    assert_eq!(p.input, "wiped italia0 ");
    assert!(p.parsed.is_ok());
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(app.overlay.is_none());

    press(&mut app, [ch(':')]);
    press(&mut app, typed("refresh"));
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(requests(&effects), [Request::Hosts]);
    assert!(
        effects.contains(&Effect::Remember("refresh".into())),
        "{effects:?}"
    );
    press(&mut app, [ch(':'), key(KeyCode::Up)]);
    let p = palette_of(&app);
    assert_eq!(p.input, "refresh");
    press(&mut app, [key(KeyCode::Down)]);
    let p = palette_of(&app);
    assert_eq!(p.input, "");
}

#[test]
fn wiped_asks_first_and_writes_only_on_confirm() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("wiped h1"));
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    assert!(matches!(requests(&effects)[..], [Request::PlanWipe(_)]));
    // Until the plan is in, Enter does nothing.
    assert!(press(&mut app, [key(KeyCode::Enter)]).is_empty());
    serve(&mut app, effects);
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    let [Request::Wipe(call)] = &requests(&effects)[..] else {
        panic!("no wipe: {effects:?}")
    };
    assert_eq!(call.host, "h1");
    assert_eq!(call.task, config(false).operator_task);
    assert!(app.overlay.is_none());
}

#[test]
fn cancel_writes_nothing() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("final h1"));
    press(&mut app, [key(KeyCode::Enter)]);
    assert!(matches!(
        &app.overlay,
        Some(Overlay::Confirm(c)) if matches!(c.write, Write::Record(_))
    ));
    assert!(press(&mut app, [ch('n')]).is_empty());
    assert!(app.overlay.is_none());
}

#[test]
fn read_only_refuses_writes_in_the_palette() {
    let (mut app, _) = loaded_app(true);
    press(&mut app, [ch(':')]);
    press(&mut app, typed("wiped h1"));
    assert!(press(&mut app, [key(KeyCode::Enter)]).is_empty());
    let Some(Overlay::Palette(p)) = &app.overlay else {
        panic!("palette closed")
    };
    assert!(p.parsed.as_ref().unwrap_err().contains("read-only"));
}

#[test]
fn help_is_generated_for_the_view_and_filterable() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch('?')]);
    let Some(Overlay::Help(h)) = &app.overlay else {
        panic!("no help")
    };
    assert!(
        h.lines()
            .iter()
            .any(|l| l.help == "sort by a column (menu)")
    );
    press(&mut app, typed("quit"));
    let Some(Overlay::Help(h)) = &app.overlay else {
        panic!("no help")
    };
    assert!(
        h.lines()
            .iter()
            .all(|l| l.help.contains("quit") || l.keys.contains("quit"))
    );
    press(&mut app, [key(KeyCode::Esc), key(KeyCode::Esc)]);
    assert!(app.overlay.is_none());
}

#[test]
fn quit_copy_and_mouse_are_effects() {
    let (mut app, _) = loaded_app(false);
    assert_eq!(press(&mut app, [ch('M')]), [Effect::SetMouse(true)]);
    let copied = press(&mut app, [ch('y')]);
    assert!(matches!(&copied[..], [Effect::Copy(s)] if s.starts_with("fiano0\t")));
    assert_eq!(press(&mut app, [ch('q')]), [Effect::Quit]);
    let ctrl_c = Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(press(&mut app, [ctrl_c]), [Effect::Quit]);
}

#[test]
fn header_click_sorts_when_the_mouse_is_on() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let (mut app, _) = loaded_app(false);
    // Row 2 is the table header (title line, border); find "held by" on it.
    let header = screen(&app, 80, 24).lines().nth(2).unwrap().to_owned();
    let at = header.find("held by").unwrap();
    let held_by = u16::try_from(header[..at].chars().count()).unwrap();
    let click = |column| {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row: 2,
            modifiers: KeyModifiers::NONE,
        })
    };
    update(&mut app, click(held_by));
    assert_eq!(app.hosts.sort.column, Column::Holder);
    update(&mut app, click(held_by));
    assert!(app.hosts.sort.descending);
}

/// The hosts list is drawn before its rows are counted, then asks for the
/// counts; a refreshed list keeps the counts it had until new ones come.
#[test]
fn the_hosts_list_comes_first_and_its_counts_after() {
    let t0 = std::time::Instant::now();
    let (mut app, effects) = hostlife::app::App::new(config(false), false, t0);
    let [Effect::Request(id, Request::Hosts)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let counts = update(&mut app, answer(*id, reply(&Request::Hosts)));
    let rows = |app: &hostlife::app::App| -> Vec<Option<i64>> {
        app.hosts
            .feed
            .loaded()
            .expect("loaded")
            .iter()
            .map(|h| h.rows)
            .collect()
    };
    assert!(rows(&app).iter().all(Option::is_none), "{:?}", rows(&app));
    // Without a wall clock there is no health to ask for; the suspects
    // follow too.
    let [
        Effect::Request(cid, Request::HostCounts),
        Effect::Request(_, Request::Suspects),
    ] = counts.as_slice()
    else {
        panic!("{counts:?}")
    };
    update(&mut app, answer(*cid, reply(&Request::HostCounts)));
    let want: Vec<Option<i64>> = hosts().iter().map(|h| h.rows).collect();
    assert_eq!(rows(&app), want);

    // A refresh: the new list is uncounted, the old counts stay.
    let again = update(&mut app, ch('R'));
    let [Effect::Request(id, Request::Hosts)] = again.as_slice() else {
        panic!("{again:?}")
    };
    update(&mut app, answer(*id, reply(&Request::Hosts)));
    assert_eq!(rows(&app), want);
}

/// The wipe preview says "refused" only of a refusal: a check that could
/// not be made says so, and neither can be confirmed.
#[test]
fn the_wipe_preview_tells_a_refusal_from_a_check_not_made() {
    let held = Refusal::FlightUnknown(7);
    for (failure, says) in [
        (Failure::Refused(held), "✗ refused: flight 7 does not exist"),
        (
            Failure::NotConnected {
                cause: Some("held".into()),
                retry_in: None,
            },
            "… cannot check now: not connected (held)",
        ),
        (Failure::Failed("held".into()), "✗ the check failed: held"),
    ] {
        let (mut app, _) = loaded_app(false);
        press(&mut app, [ch(':')]);
        press(&mut app, typed("wiped h1"));
        let effects = press(&mut app, [key(KeyCode::Enter)]);
        let Some((id, request)) = first_request(effects) else {
            panic!("no plan request");
        };
        update(&mut app, failed_with(id, request, failure.clone()));
        let Some(Overlay::Confirm(c)) = &app.overlay else {
            panic!("no confirmation: {:?}", app.overlay)
        };
        assert_eq!(c.plan, hostlife::app::loadable::Loadable::Failed(failure));
        let text = screen(&app, 80, 24);
        assert!(text.contains(says), "{text}");
        assert!(press(&mut app, [ch('y')]).is_empty(), "{says} confirmed");
    }
}

fn host_of(request: &Request) -> String {
    match request {
        Request::Show { host } => host.clone(),
        other => panic!("not a host's request: {other:?}"),
    }
}

/// `w` asks to wipe the selected host, in the hosts list and the host
/// view, with the same confirmation `wiped HOST` opens; read-only, it is
/// refused and nothing is asked of the database.
#[test]
fn w_wipes_the_selected_host_after_the_confirmation() {
    let (mut app, _) = loaded_app(false);
    // The second host in the list is h1.
    let effects = press(&mut app, [ch('j'), ch('w')]);
    let [Request::PlanWipe(call)] = &requests(&effects)[..] else {
        panic!("no plan asked for: {effects:?}")
    };
    assert_eq!(call.host, "h1");
    assert!(
        matches!(&app.overlay, Some(Overlay::Confirm(c)) if matches!(&c.write, Write::Wipe(w) if w.host == "h1"))
    );
    serve(&mut app, effects);
    let effects = press(&mut app, [ch('y')]);
    let [Request::Wipe(call)] = &requests(&effects)[..] else {
        panic!("no wipe: {effects:?}")
    };
    assert_eq!(call.host, "h1");

    // From the host view, the view's host.
    let (mut app, _) = loaded_app(false);
    let effects = press(&mut app, [ch('j'), key(KeyCode::Enter)]);
    serve(&mut app, effects);
    let effects = press(&mut app, [ch('w')]);
    assert!(
        matches!(&requests(&effects)[..], [Request::PlanWipe(c)] if c.host == "h1"),
        "{effects:?}"
    );

    let (mut app, _) = loaded_app(true);
    let effects = press(&mut app, [ch('w')]);
    assert!(requests(&effects).is_empty(), "{effects:?}");
    assert!(app.overlay.is_none());
}

/// `r` opens the palette with a record call for the selection: the host
/// in the hosts list; the row's job, ident and step in the host view.
#[test]
fn r_prefills_a_record_call_from_the_selection() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch('j'), ch('r')]);
    let p = palette_of(&app);
    assert_eq!(p.input, "select h1 ");
    assert!(p.parsed.is_ok(), "{:?}", p.parsed);
    press(&mut app, [key(KeyCode::Esc)]);
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    serve(&mut app, effects);
    press(&mut app, [ch('j'), ch('r')]);
    let p = palette_of(&app);
    assert_eq!(
        p.input,
        "select h1 --ident host --flight 100 --job build-a --step 5 "
    );
}

/// Tab offers the selected host first and, pressed again, goes on to
/// the next candidate, round to the first; with nothing typed every
/// command is offered.
#[test]
fn tab_completes_from_the_selection_and_cycles() {
    let (mut app, _) = loaded_app(false);
    // Select pinot1, the last host.
    press(&mut app, [ch('G'), ch(':')]);
    let p = palette_of(&app);
    let (all, _) = p.candidates();
    for verb in [
        "selectprep",
        "select",
        "final",
        "wiped",
        "goto",
        "refresh",
        "quit",
    ] {
        assert!(all.iter().any(|c| c == verb), "{verb} not in {all:?}");
    }
    press(&mut app, typed("wiped "));
    let input = |app: &hostlife::app::App| palette_of(app).input.clone();
    press(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(input(&app), "wiped pinot1 ");
    let mut seen = vec![input(&app)];
    for _ in 0..hosts().len() {
        press(&mut app, [key(KeyCode::Tab)]);
        seen.push(input(&app));
    }
    // Every host once, then round to the first.
    let mut distinct = seen[..hosts().len()].to_vec();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), hosts().len(), "{seen:?}");
    assert_eq!(seen[hosts().len()], "wiped pinot1 ");
    // Typing ends the cycle: Tab completes the next word afresh.
    press(&mut app, [key(KeyCode::Backspace)]);
    let p = palette_of(&app);
    assert_eq!(p.candidates().1, 0);
}

/// A write's result stays in the message log after the status line has
/// moved on (here: to another view), newest first; `m` shows it and Esc
/// closes it; `:q` quits.
#[test]
fn the_message_log_keeps_a_writes_result() {
    use hostlife::lifecycle::call::WipeOutcome;
    let (mut app, _) = loaded_app(false);
    let effects = press(&mut app, [ch('j'), ch('w')]);
    serve(&mut app, effects);
    let effects = press(&mut app, [ch('y')]);
    let [Effect::Request(id, Request::Wipe(call))] = &effects[..] else {
        panic!("no wipe: {effects:?}")
    };
    let outcome = WipeOutcome {
        taskid: 5,
        deleted: 4,
        kept: 1,
        recorded_lcseq: Some(9),
    };
    update(
        &mut app,
        answer(
            *id,
            Reply::Wiped {
                call: call.clone(),
                result: Ok(outcome),
            },
        ),
    );
    let said = app
        .status
        .clone()
        .expect("the result on the status line")
        .text;
    assert!(said.contains("h1"), "{said}");
    // Into a host and out again: the status line no longer says it.
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    serve(&mut app, effects);
    assert!(app.status.is_none(), "{:?}", app.status);
    press(&mut app, [ch('m')]);
    assert!(matches!(app.overlay, Some(Overlay::Messages(_))));
    assert_eq!(app.log.newest_first().next().map(|m| &m.text), Some(&said));
    let s = screen(&app, 120, 40);
    assert!(s.contains(&said), "{s}");
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(app.overlay.is_none());
    press(&mut app, [ch(':')]);
    press(&mut app, typed("q"));
    assert_eq!(
        press(&mut app, [key(KeyCode::Enter)]),
        [Effect::Remember("q".into()), Effect::Quit]
    );
}

#[test]
fn a_key_that_does_nothing_says_so() {
    let (mut app, _) = loaded_app(false);
    press(&mut app, [ch('x')]);
    let status = app.status.as_ref().map(|s| s.text.as_str());
    assert_eq!(
        status,
        Some("x does nothing here (? lists this view's keys)")
    );
    // Esc with nothing to go back to is not worth a message.
    app.status = None;
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(app.status.is_none(), "{:?}", app.status);
    // A key that is bound here says nothing of the sort.
    press(&mut app, [ch('j')]);
    assert!(app.status.is_none(), "{:?}", app.status);
}

#[test]
fn goto_jumps_instead_of_growing_the_trail() {
    let (mut app, _) = loaded_app(false);
    for host in ["fiano0", "h1", "italia0"] {
        press(&mut app, [ch(':')]);
        press(&mut app, typed(&format!("goto {host}")));
        let effects = press(&mut app, [key(KeyCode::Enter)]);
        serve(&mut app, effects);
    }
    assert_eq!(app.stack.len(), 1, "{:?}", app.stack);
    assert!(matches!(&app.stack[0], Screen::Host(v) if v.host == "italia0"));
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(app.stack.is_empty());
}

/// The hosts' health follows the list once a minute, the suspects every
/// ten: each answer fills its columns, and the suspects mark their hosts.
#[test]
fn health_and_suspects_follow_the_list_less_often() {
    let t0 = std::time::Instant::now();
    let (mut app, effects) = hostlife::app::App::new(config(false), false, t0);
    app.set_wall_clock(t0, T0_STARTED + 7200);
    let [Effect::Request(id, Request::Hosts)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let follow = update(&mut app, answer(*id, reply(&Request::Hosts)));
    let kinds: Vec<&Request> = follow
        .iter()
        .map(|e| match e {
            Effect::Request(_, r) => r,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(matches!(kinds[0], Request::HostCounts), "{kinds:?}");
    let Request::HostHealth { hosts, now } = kinds[1] else {
        panic!("{kinds:?}")
    };
    assert_eq!(hosts.len(), 4);
    assert_eq!(*now, T0_STARTED + 7200, "asked at the wall clock");
    assert!(matches!(kinds[2], Request::Suspects), "{kinds:?}");
    let health = |app: &hostlife::app::App, host: &str| {
        app.hosts
            .all()
            .iter()
            .find(|h| h.host == host)
            .and_then(|h| h.health.clone())
    };
    for e in follow {
        if let Effect::Request(id, r) = e {
            update(&mut app, answer(id, reply(&r)));
        }
    }
    assert_eq!(health(&app, "fiano0").unwrap().sparkline(), "▁▁█▁·");
    assert!(health(&app, "italia0").unwrap().suspect);
    assert!(!health(&app, "fiano0").unwrap().suspect);
    assert_eq!(health(&app, "pinot1"), None);
    // Sorted by the recent failures, the failing host comes last.
    app.hosts.sort_by(Column::Recent);
    assert_eq!(app.hosts.visible().last().unwrap().host, "italia0");

    // Refreshed at once: only the list and its counts; the health kept.
    let again = update(&mut app, ch('R'));
    let [Effect::Request(id, Request::Hosts)] = again.as_slice() else {
        panic!("{again:?}")
    };
    let follow = update(&mut app, answer(*id, reply(&Request::Hosts)));
    assert!(
        matches!(follow.as_slice(), [Effect::Request(_, Request::HostCounts)]),
        "{follow:?}"
    );
    assert!(health(&app, "italia0").unwrap().suspect);

    // A minute on, the health is due again; the suspects are not.
    update(&mut app, Event::Tick(t0 + Duration::from_secs(61)));
    let again = update(&mut app, ch('R'));
    let Some(Effect::Request(id, Request::Hosts)) = again.first() else {
        panic!("{again:?}")
    };
    let follow = update(&mut app, answer(*id, reply(&Request::Hosts)));
    // (The counts asked for at the last refresh are still awaited.)
    assert!(
        matches!(
            follow.as_slice(),
            [Effect::Request(_, Request::HostHealth { .. })]
        ),
        "{follow:?}"
    );
}

/// `b` on a host row asks "was it the host?" of the row's job: the
/// report opens loading, fills when the answer comes, scrolls, and Esc
/// closes it.
#[test]
fn b_asks_whether_it_was_the_host() {
    let (mut app, _) = loaded_app(false);
    let effects = press(&mut app, [ch('j'), key(KeyCode::Enter)]);
    serve(&mut app, effects);
    let blame_a = || {
        vec![Request::Blame {
            flight: 100,
            job: "build-a".into(),
        }]
    };
    let effects = press(&mut app, [ch('b')]);
    assert_eq!(requests(&effects), blame_a());
    let Some(Overlay::Report(r)) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert!(r.lines().is_empty(), "loading");
    assert_eq!(app.contexts(), [Scope::Report]);
    serve(&mut app, effects);
    let Some(Overlay::Report(r)) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert_eq!(
        r.lines()[0],
        "100.build-a: fail (step 3 ts-xen-install: fail)"
    );
    assert!(
        r.lines().iter().any(|l| l.ends_with(": likely the host")),
        "{:?}",
        r.lines()
    );
    press(&mut app, [ch('j'), ch('j')]);
    let Some(Overlay::Report(r)) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert_eq!(r.scroll, 2);
    press(&mut app, [key(KeyCode::Esc)]);
    assert!(app.overlay.is_none());
    // From the runvars view, the job it shows.
    let effects = press(&mut app, [key(KeyCode::Enter)]);
    serve(&mut app, effects);
    let effects = press(&mut app, [ch('b')]);
    assert_eq!(requests(&effects), blame_a());
}

/// `!` shows the whole suspects ranking. Before the first has come it
/// opens loading (asking for one unless the list already has); when it
/// comes, the overlay and the hosts' marks both have it; `!` again
/// closes it, and opens it again without a read.
#[test]
fn bang_shows_the_whole_suspects_ranking() {
    let t0 = std::time::Instant::now();
    let (mut app, effects) = hostlife::app::App::new(config(false), false, t0);
    let [Effect::Request(id, Request::Hosts)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    // The list has asked for its ranking; it has not come yet.
    let follow = update(&mut app, answer(*id, reply(&Request::Hosts)));
    assert!(
        follow
            .iter()
            .any(|e| matches!(e, Effect::Request(_, Request::Suspects))),
        "{follow:?}"
    );
    let effects = press(&mut app, [ch('!')]);
    assert!(effects.is_empty(), "already asked: {effects:?}");
    let Some(Overlay::Report(r)) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert!(r.lines().is_empty(), "loading");
    assert_eq!(app.contexts(), [Scope::Report]);
    serve(&mut app, follow);
    let Some(Overlay::Report(r)) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    let lines = r.lines();
    assert_eq!(lines[0], "88 host install trials, 22 failed (25.0%).");
    let flagged: Vec<&String> = lines.iter().filter(|l| l.starts_with("! ")).collect();
    assert_eq!(flagged.len(), 2, "{lines:#?}");
    assert!(flagged[0].starts_with("! test-amd64-pair: 15 of 20 installs"));
    assert!(flagged[1].starts_with("! italia0: 6 of 8 installs failed"));
    assert!(app.hosts.suspects.is_some(), "kept for the marks");
    press(&mut app, [ch('!')]);
    assert!(app.overlay.is_none());
    let effects = press(&mut app, [ch('!')]);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(matches!(&app.overlay, Some(Overlay::Report(r)) if !r.lines().is_empty()));
    // With no ranking and none asked for, `!` asks.
    app.hosts.suspects = None;
    press(&mut app, [key(KeyCode::Esc)]);
    let effects = press(&mut app, [ch('!')]);
    assert_eq!(requests(&effects), vec![Request::Suspects]);
}

/// `e` writes every row the filter keeps, in the sort's order, as CSV
/// (`E`: JSON), named for the view; the file's outcome is said.
#[test]
fn e_exports_the_rows_shown() {
    let (mut app, _) = loaded_app(false);
    let shown: Vec<String> = app.hosts.visible().iter().map(|h| h.host.clone()).collect();
    assert!(shown.len() > 2, "{shown:?}");
    // Filtered to the hosts with an 'i' in a cell, sorted descending by host.
    press(&mut app, [ch('/'), ch('i'), key(KeyCode::Enter), ch('S')]);
    let kept: Vec<String> = app.hosts.visible().iter().map(|h| h.host.clone()).collect();
    assert!(!kept.is_empty() && kept.len() <= shown.len());
    let effects = press(&mut app, [ch('e')]);
    let [
        Effect::Export {
            name,
            content,
            rows,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert!(
        name.starts_with("hostlife-hosts")
            && std::path::Path::new(name).extension() == Some("csv".as_ref()),
        "{name}"
    );
    assert_eq!(*rows, kept.len());
    let lines: Vec<&str> = content.lines().collect();
    assert!(lines[0].contains("host"), "{}", lines[0]);
    assert_eq!(lines.len(), kept.len() + 1, "{content}");
    for (line, host) in lines[1..].iter().zip(&kept) {
        assert!(line.contains(host.as_str()), "{line} for {host}");
    }
    let effects = press(&mut app, [ch('E')]);
    let [Effect::Export { name, content, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(
        std::path::Path::new(name).extension() == Some("json".as_ref()),
        "{name}"
    );
    let v: serde_json::Value = serde_json::from_str(content).unwrap();
    let hosts: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, kept.iter().map(String::as_str).collect::<Vec<_>>());
    app.exported(name, 3, Ok("/tmp/x.json".into()));
    let status = |app: &hostlife::app::App| {
        app.status
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default()
    };
    assert!(status(&app).contains("3 rows written to ./x.json"));
    app.exported(name, 3, Err(std::io::Error::other("disk full")));
    assert!(status(&app).contains("not written: disk full"));
}
