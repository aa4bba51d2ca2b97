//! Carrying out a validated command: connect, call the library, print.

use hostlife::db::read;
use hostlife::db::record::Recorder;
use hostlife::db::wipe;
use hostlife::db::{Error, connect, probe, schema, upgrade};
use hostlife::lifecycle;
use hostlife::lifecycle::call::RecordOutcome;
use hostlife::lifecycle::escape;
use serde::Serialize;
use serde_json::json;

use std::io::IsTerminal;

use crate::cli::{Command, Config, Expanded, OutFormat, Picture, ReportFormat, TuiArgs};
use crate::command_error::CommandError;
use crate::output;
use crate::seed::seed;

/// Where the database is, resolved as psql would, and a connection to it
/// that has been probed: a database hostlife cannot read is one line and
/// exit 2 here, not an SQL error later. With `write`, a role that may
/// not write is refused (exit 1) before anything is attempted.
fn connect(db: Db<'_>, write: bool) -> Result<postgres::Client, CommandError> {
    connect_to(&resolve(db.db, db.read_only)?, write)
}

/// A connection to `resolved`, probed for what the command needs.
fn connect_to(resolved: &connect::Resolved, write: bool) -> Result<postgres::Client, CommandError> {
    let mut client = if write {
        open(&resolved.clone().for_writes())?
    } else {
        open(resolved)?
    };
    check(&probe::probe(&mut client)?, write)?;
    Ok(client)
}

/// A connection to `resolved`, not probed.
fn open(resolved: &connect::Resolved) -> Result<postgres::Client, CommandError> {
    connect::connect(resolved).map_err(|e| CommandError::Connect(e.to_string()))
}

/// A connection for `db init` / `db upgrade`, which make the schema the
/// probe would look for.
fn connect_unprobed(db: Db<'_>) -> Result<postgres::Client, CommandError> {
    open(&resolve(db.db, db.read_only)?)
}

/// The database asked for, and whether the session must be read-only.
#[derive(Clone, Copy)]
struct Db<'a> {
    db: Option<&'a str>,
    read_only: bool,
}

fn check(probe: &probe::Probe, write: bool) -> Result<(), CommandError> {
    if let Some(why) = probe.unusable() {
        return Err(CommandError::Connect(why));
    }
    if write && let Some(why) = probe.read_only_reason() {
        return Err(CommandError::Refused {
            message: why,
            detail: json!({"refusal": "read_only", "user": probe.user}),
        });
    }
    Ok(())
}

/// A recorder on its own pipelined connection, probed for writing.
fn connect_recorder(db: Db<'_>) -> Result<Recorder, CommandError> {
    let resolved = resolve(db.db, db.read_only)?.for_writes();
    let conn =
        connect::connect_pipelined(&resolved).map_err(|e| CommandError::Connect(e.to_string()))?;
    let recorder = Recorder::new(conn)?.reconnecting_with(resolved.connector);
    check(&recorder.probe()?, true)?;
    Ok(recorder)
}

/// Run `read` in one read-only snapshot.
fn read<T>(
    client: &mut postgres::Client,
    f: impl FnOnce(&mut postgres::Transaction<'_>) -> hostlife::db::Result<T>,
) -> Result<T, CommandError> {
    Ok(hostlife::db::txn::read_only(client, None, f)?)
}

/// Where to connect, with any warnings printed. With `read_only`, the
/// session is read-only: the server refuses any write, whatever path it
/// came by.
fn resolve(db: Option<&str>, read_only: bool) -> Result<connect::Resolved, CommandError> {
    let mut resolved =
        connect::resolve_from_process(db).map_err(|e| CommandError::Connect(e.to_string()))?;
    for warning in &resolved.warnings {
        eprintln!("hostlife: warning: {warning}");
    }
    if read_only {
        resolved = resolved.read_only_session();
    }
    Ok(resolved)
}

/// Open the browser on the resolved database. The connection itself is
/// made by the browser's worker, which also reconnects when it drops.
fn run_tui(db: Option<&str>, args: &TuiArgs) -> Result<(), CommandError> {
    if !std::io::stdout().is_terminal() {
        return Err(CommandError::Refused {
            message: "the browser needs a terminal; use a subcommand (see --help) in scripts"
                .into(),
            detail: serde_json::Value::Null,
        });
    }
    let resolved = resolve(db, args.read_only)?;
    let label = resolved.spec.to_string();
    hostlife::tui::run(resolved, args.app_settings(label), args.mouse)
        .map_err(|e| CommandError::Failed(format!("{e:?}")))
}

/// Write `content` to `path` whole: into a new file beside it, synced,
/// then renamed over it, so a failure (or a crash) leaves what was there.
fn write_whole(path: &std::path::Path, content: &str) -> Result<(), CommandError> {
    use std::io::Write as _;
    let name = path
        .file_name()
        .ok_or_else(|| CommandError::Failed(format!("{}: not a file name", path.display())))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(content.as_bytes()).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        CommandError::Failed(format!("cannot write {}: {e}", path.display()))
    })
}

/// How tables print for `--expanded`: on auto, as records only when
/// stdout is a terminal narrower than the table.
fn table_fit(expanded: Expanded) -> output::Fit {
    use std::io::IsTerminal as _;
    let width = || {
        std::io::stdout()
            .is_terminal()
            .then(crossterm::terminal::size)
            .and_then(Result::ok)
            .map(|(w, _)| usize::from(w))
    };
    match expanded {
        Expanded::Off => output::Fit::Table,
        Expanded::On => output::Fit::Records(width()),
        Expanded::Auto => width().map_or(output::Fit::Table, output::Fit::Width),
    }
}

/// A read's answer as asked: JSON of `value`, the table's cells as CSV,
/// or the text for people (escaped for the terminal).
fn print_as<T: Serialize>(
    format: OutFormat,
    value: &T,
    table: impl FnOnce() -> output::Table,
    text: impl FnOnce() -> String,
) -> Result<(), CommandError> {
    match format {
        OutFormat::Json => print_json(value),
        OutFormat::Csv => emit(&table().csv()),
        OutFormat::Table => emit(&output::terminal_safe(&text())),
    }
}

fn print_json<T: Serialize>(value: &T) -> Result<(), CommandError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| CommandError::Failed(format!("cannot encode JSON: {e}")))?;
    text.push('\n');
    emit(&text)
}

/// Write a command's output. `print!` panics when the reader has gone
/// (`hostlife history h | head`); a pipe closed early is how such output
/// is meant to end, so it ends the command quietly instead.
fn emit(text: &str) -> Result<(), CommandError> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(CommandError::OutputClosed),
        Err(e) => Err(CommandError::Failed(format!(
            "cannot write the output: {e}"
        ))),
    }
}

fn print_upgrade(report: &upgrade::Report) -> Result<(), CommandError> {
    use std::fmt::Write as _;
    let mut out = String::new();
    if report.dry_run {
        let _ = writeln!(out, "-- db upgrade --dry-run, as {}", report.owner);
        for note in &report.notes {
            let _ = writeln!(out, "-- {note}");
        }
        if report.nothing_to_do() {
            out.push_str("-- nothing to do\n");
        }
        for step in &report.steps {
            let _ = writeln!(out, "-- {}", step.what);
            if !step.concurrent {
                out.push_str("BEGIN;\n");
            }
            for sql in &step.sql {
                let _ = writeln!(out, "{};", sql.trim_end().trim_end_matches(';'));
            }
            if !step.concurrent {
                out.push_str("COMMIT;\n");
            }
        }
        return emit(&out);
    }
    for step in &report.steps {
        let _ = writeln!(out, "done: {}", step.what);
    }
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    if report.nothing_to_do() {
        out.push_str("nothing to do: host_lifecycle and hostlife's indexes are present\n");
    }
    emit(&out)
}

fn print_record(outcome: &RecordOutcome, json: bool) -> Result<(), CommandError> {
    if json {
        return print_json(outcome);
    }
    emit(&match outcome {
        RecordOutcome::Nested => "nested host: nothing recorded\n".to_owned(),
        RecordOutcome::Unchanged {
            runvar_name,
            runvar,
        } => format!("unchanged: {runvar_name} = {}\n", escape(runvar)),
        RecordOutcome::OutOfJob { lcseq, taskid } => {
            format!("recorded out-of-job use by task {taskid} (lcseq {lcseq})\n")
        }
        RecordOutcome::Recorded {
            runvar_name,
            runvar,
            ..
        } => format!("{runvar_name} = {}\n", escape(runvar)),
    })
}

/// Run a command other than the browser and the demo.
#[allow(
    clippy::too_many_lines,
    reason = "one short arm per command: the dispatch reads best whole"
)]
pub fn run(config: Config) -> Result<(), CommandError> {
    output::set_fit(table_fit(config.expanded));
    let db = Db {
        db: config.db.as_deref(),
        read_only: config.read_only,
    };
    match config.command {
        Command::Record { call, json } => {
            let outcome = connect_recorder(db)?.record(&call)?;
            print_record(&outcome, json)
        }
        Command::Wipe { call, json } => {
            let mut c = connect(db, true)?;
            let outcome = wipe::wipe(&mut c, &call)?;
            if json {
                return print_json(&outcome);
            }
            emit(&format!(
                "wiped {}: removed {}, kept {}\n",
                escape(&call.host),
                hostlife::lifecycle::count(outcome.deleted, "row"),
                outcome.kept
            ))
        }
        Command::Decode {
            runvar,
            job,
            lookup,
            format,
        } => {
            let decoded = lifecycle::decode(&runvar).map_err(|e| CommandError::Refused {
                message: e.to_string(),
                detail: serde_json::to_value(&e).unwrap_or_default(),
            })?;
            // Without a job, omitted parts stay unresolved: flight 0 and an
            // empty job name stand for "this runvar's own".
            let (flight, jobname) = job.as_ref().map_or((0, ""), |j| (j.flight, j.job.as_str()));
            if lookup {
                let mut c = connect(db, false)?;
                let r = read(&mut c, |tx| {
                    if job.is_some() {
                        read::check_job_known(tx, flight, jobname)?;
                    }
                    read::decode_job_runvar(tx, flight, jobname, "(given)", &runvar)
                })?;
                return print_as(
                    format,
                    &r,
                    || output::looked_up_table(&r),
                    || output::looked_up(&r),
                );
            }
            let entries = decoded.resolve(flight, jobname);
            let incomplete = decoded.sigil.is_some();
            print_as(
                format,
                &json!({
                    "runvar": runvar,
                    "tokens": decoded.tokens,
                    "sigil": decoded.sigil,
                    "entries": entries,
                    "jobs": lifecycle::job_view(&entries),
                    "incomplete": incomplete,
                }),
                || output::decoded_table(&entries),
                || output::decoded(&entries, incomplete),
            )
        }
        Command::Hosts { format } => {
            let now = hostlife::timefmt::now();
            let hosts = read(&mut connect(db, false)?, |tx| {
                let mut hosts = read::hosts(tx)?;
                let names: Vec<String> = hosts.iter().map(|h| h.host.clone()).collect();
                let health = hostlife::db::insight::host_health(tx, &names, now)?;
                hostlife::lifecycle::report::set_health(&mut hosts, &health);
                Ok(hosts)
            })?;
            print_as(
                format,
                &hosts,
                || output::hosts_table(&hosts),
                || output::hosts(&hosts),
            )
        }
        Command::Show { host, format } => {
            hostlife::lifecycle::call::check_lookup_name(&host).map_err(Error::from)?;
            let detail = read(&mut connect(db, false)?, |tx| read::show(tx, &host))?;
            print_as(
                format,
                &detail,
                || output::show_table(&detail),
                || output::show(&detail),
            )
        }
        Command::History {
            host,
            limit,
            before,
            format,
        } => {
            hostlife::lifecycle::call::check_lookup_name(&host).map_err(Error::from)?;
            let (entries, more) = read(&mut connect(db, false)?, |tx| {
                read::history_page(tx, &host, limit, before)
            })?;
            // The flight to pass as --before for the next page.
            let next_before = more.then(|| entries.last().map(|e| e.flight)).flatten();
            print_as(
                format,
                &json!({
                    "host": host,
                    "jobs": entries,
                    "more": more,
                    "next_before": next_before,
                }),
                || output::history_table(&entries),
                || {
                    let mut text = output::history(&host, &entries, more);
                    // Pages hold whole flights: the next starts before the last.
                    if let Some(before) = next_before {
                        use std::fmt::Write as _;
                        let _ = writeln!(
                            text,
                            "older jobs: hostlife history {host} --before {before} --limit {limit}"
                        );
                    }
                    text
                },
            )
        }
        Command::Suspects {
            host,
            since_days,
            by_relation,
            limit,
            format,
        } => {
            if let Some(h) = &host {
                hostlife::lifecycle::call::check_lookup_name(h).map_err(Error::from)?;
            }
            let since = since_days.map(|days| {
                // osstest's times are `integer`: clamp to what fits.
                i32::try_from(hostlife::timefmt::now() - i64::from(days) * 86_400)
                    .unwrap_or(i32::MIN)
            });
            let resolved = resolve(db.db, db.read_only)?;
            let mut client = connect_to(&resolved, false)?;
            // The whole lab's read goes faster on two connections (one
            // host's is small enough for one); a server with no second
            // connection to spare only makes it slower.
            let mut helper = match host {
                Some(_) => None,
                None => connect::connect(&resolved)
                    .inspect_err(|e| {
                        eprintln!("hostlife: warning: reading on one connection: {e}");
                    })
                    .ok(),
            };
            let trials = read(&mut client, |tx| {
                hostlife::db::insight::trials(tx, helper.as_mut(), host.as_deref(), since)
            })?;
            let report = hostlife::lifecycle::suspects::rank(&trials);
            // CSV, as JSON, has every name and every failed install.
            print_as(
                format,
                &report,
                || output::suspects_table(&report, by_relation, usize::MAX, usize::MAX),
                || output::suspects(&report, by_relation, limit),
            )
        }
        Command::Blame {
            flight,
            job,
            format,
        } => {
            let blame = read(&mut connect(db, false)?, |tx| {
                hostlife::db::insight::blame(tx, flight, &job)
            })?;
            print_as(
                format,
                &blame,
                || output::blame_table(&blame),
                || output::blame(&blame),
            )
        }
        Command::Report {
            flight,
            job,
            format,
        } => {
            let report = read(&mut connect(db, false)?, |tx| {
                read::job_report(tx, flight, &job)
            })?;
            match format {
                ReportFormat::Json => print_json(&report),
                ReportFormat::Text => {
                    emit(&output::terminal_safe(&output::job_report::text(&report)))
                }
                ReportFormat::Csv => emit(&output::job_report::csv(&report)),
                ReportFormat::Html => emit(&output::job_report::html(&report)),
            }
        }
        Command::Timeline {
            host,
            days,
            picture,
            format,
        } => {
            hostlife::lifecycle::call::check_lookup_name(&host).map_err(Error::from)?;
            let t = read(&mut connect(db, false)?, |tx| {
                hostlife::db::timeline::timeline(tx, &host, i64::from(days) * 86_400)
            })?;
            let (path, content) = match picture {
                Some(Picture::Svg(path)) => (path, output::timeline::svg(&t)),
                Some(Picture::Html(path)) => (path, output::timeline::html(&t)),
                None => {
                    return print_as(
                        format,
                        &t,
                        || output::timeline::table(&t),
                        || output::timeline::text(&t),
                    );
                }
            };
            write_whole(&path, &content)?;
            emit(&format!(
                "{}: {} drawn to {}\n",
                escape(&t.host),
                lifecycle::count(u64::try_from(t.bars.len()).unwrap_or(u64::MAX), "job"),
                escape(&path.display().to_string())
            ))
        }
        Command::DbInit => {
            schema::init(&mut connect_unprobed(db)?)?;
            println!("created the osstest schema with host_lifecycle");
            Ok(())
        }
        Command::DbUpgrade { dry_run, json } => {
            let report = upgrade::upgrade(&mut connect_unprobed(db)?, dry_run)?;
            if json {
                return print_json(&report);
            }
            print_upgrade(&report)
        }
        Command::DbSeed { cfg, json } => {
            let resolved = resolve(db.db, false)?;
            // Connect once first, so that a failure to connect is told as
            // every other command tells it (each host, the socket, the
            // password file); the seeding's own connections go the same
            // way, TLS and timeout included.
            drop(connect::connect(&resolved).map_err(|e| CommandError::Connect(e.to_string()))?);
            let report = seed(&resolved.connector, &cfg)?;
            if json {
                return print_json(&report);
            }
            println!(
                "seeded {} hosts, {} flights, {} jobs: {} lifecycle rows written ({} kept), {} wipes, in {:.1} s",
                report.hosts,
                report.flights,
                report.jobs,
                report.lifecycle_rows,
                report.lifecycle_rows_kept,
                report.wipes,
                report.elapsed.as_secs_f64()
            );
            Ok(())
        }
        Command::Tui(args) => run_tui(db.db, &args),
        Command::Demo { demo, tui } => crate::demo::run(&demo, &tui),
    }
}
