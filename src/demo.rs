//! `hostlife demo`: a throwaway cluster, filled with a simulated osstest
//! workload through the real recorder, browsed in the TUI.

use std::io::IsTerminal;

use hostlife::db::cluster::Cluster;
use hostlife::db::schema;
use hostlife::sim::{Scale, SeedConfig};

use crate::cli::{DemoArgs, TuiArgs};
use crate::command_error::CommandError;

const DBNAME: &str = "osstest";
/// How far back the simulated history starts: about the span a medium
/// seed covers. The history is then moved to end exactly now
/// (`sim::after::end_at`).
const DEMO_SPAN: i64 = 2 * 86_400;

fn setup_failed(
    what: &str,
) -> impl FnOnce(hostlife::db::cluster::ClusterError) -> CommandError + '_ {
    move |e| CommandError::Connect(format!("{what}: {e}"))
}

/// How many idle hosts the demo allocates to the operator.
const OPERATOR_HOSTS: i64 = 3;

/// The history moved to end now, and a few hosts allocated to the
/// operator; their names.
fn finish_lab(
    db: &hostlife::db::PgConfig,
    operator: &hostlife::lifecycle::call::TaskRef,
) -> Result<Vec<String>, CommandError> {
    let mut client = hostlife::db::connect_blocking(db)
        .map_err(|e| setup_failed("cannot connect to the demo database")(e.into()))?;
    hostlife::sim::after::end_at(&mut client, hostlife::timefmt::now())?;
    Ok(hostlife::sim::after::allocate_to_operator(
        &mut client,
        operator,
        OPERATOR_HOSTS,
    )?)
}

/// Start the cluster, fill it, and open the browser (or, without a
/// terminal, print where it is and a summary).
pub fn run(args: &DemoArgs, tui: &TuiArgs) -> Result<(), CommandError> {
    eprintln!("hostlife demo: starting a throwaway PostgreSQL cluster…");
    let cluster = match &args.keep {
        Some(dir) => Cluster::start_in(dir, true),
        None => Cluster::start(),
    }
    .map_err(setup_failed("cannot start the demo cluster"))?;
    // Laid out as a lab's: osstest's tables, owned by `osstest`, which
    // the demo records and browses as; `osstest_ro` may read.
    let db = cluster
        .create_osstest_database(DBNAME)
        .map_err(setup_failed("cannot create the demo database"))?;
    eprintln!("hostlife demo: simulating an osstest lab through the recorder…");
    let mut cfg = SeedConfig::scale(Scale::Medium);
    // Recent simulated times, so that ages in the browser look fresh.
    cfg.epoch = hostlife::timefmt::now() - DEMO_SPAN;
    crate::seed::seed(&hostlife::db::connect::Connector::plain(db.clone()), &cfg)?;
    let settings = tui.app_settings(format!("demo cluster {}", cluster.dir().display()));
    let mine = finish_lab(&db, &settings.operator_task)?;
    eprintln!(
        "hostlife demo: held by you, as after mg-allocate, to try a wipe (w): {}",
        mine.join(", ")
    );

    let conninfo = cluster.conninfo_as(DBNAME, schema::OWNER_ROLE);
    if std::io::stdout().is_terminal() {
        // Resolved from the cluster's own connection string alone: the
        // operator's PG* variables are for their database, not the demo's.
        let mut resolved = hostlife::db::connect::resolve(Some(&conninfo), &|_| None, None)
            .map_err(|e| CommandError::Connect(e.to_string()))?;
        if tui.read_only {
            resolved = resolved.read_only_session();
        }
        hostlife::tui::run(resolved, settings, tui.mouse)
            .map_err(|e| CommandError::Failed(format!("{e:?}")))?;
    } else {
        println!("demo database: {conninfo}");
        let mut client = hostlife::db::connect_blocking(&db)
            .map_err(|e| setup_failed("cannot connect to the demo database")(e.into()))?;
        let hosts = hostlife::db::read::hosts(&mut client)?;
        print!(
            "{}",
            crate::output::terminal_safe(&crate::output::hosts(&hosts))
        );
    }
    if let Some(dir) = &args.keep {
        println!(
            "the demo cluster is kept in {}; start it again (as the postgres user when root) with\n  pg_ctl -D {}/data -o \"-k {} -c listen_addresses=''\" start\nand reach it with\n  psql \"{conninfo}\"",
            dir.display(),
            dir.display(),
            dir.display()
        );
    }
    Ok(())
}
