//! Times `hostlife db seed` on a throwaway cluster, stage by stage.
//!
//!     cargo bench --bench seed -- [small|medium|large] [--flights N]
//!         [--hosts N] [--pools N] [--threads N] [--seed N]
//!
//! Prints the seed report as JSON on stdout (timings in seconds); progress
//! goes to stderr. See docs/PERFORMANCE.md, section "Seeding". With
//! `HOSTLIFE_TEST_DB` set, seeds a new database on that server instead of
//! a throwaway cluster.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]
#![allow(
    clippy::cast_precision_loss,
    reason = "a rate of calls, printed to the unit"
)]

use std::process::ExitCode;

use hostlife::db::cluster::Cluster;
use hostlife::db::testdb::TestDb;
use hostlife::sim::{self, SeedConfig};

/// A count option's value, which must fit the configuration's u32.
fn narrow(name: &str, n: u64) -> Result<u32, String> {
    u32::try_from(n).map_err(|e| format!("{name}: {e}"))
}

fn parse(args: &[String]) -> Result<SeedConfig, String> {
    let mut cfg = SeedConfig::scale(sim::Scale::Medium);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            it.next()
                .ok_or(format!("{name} needs a value"))?
                .parse()
                .map_err(|e| format!("{name}: {e}"))
        };
        match arg.as_str() {
            // `cargo bench` passes --bench to every bench binary.
            "--bench" => {}
            "--flights" => cfg.flights = narrow(arg, value(arg)?)?,
            "--hosts" => cfg.hosts = narrow(arg, value(arg)?)?,
            "--pools" => cfg.pools = narrow(arg, value(arg)?)?,
            "--threads" => cfg.threads = narrow(arg, value(arg)?)?,
            "--seed" => cfg.seed = value(arg)?,
            scale => {
                let scale: sim::Scale = scale.parse()?;
                cfg = SeedConfig {
                    seed: cfg.seed,
                    ..SeedConfig::scale(scale)
                };
            }
        }
    }
    cfg.validate()?;
    Ok(cfg)
}

/// Seed a fresh database: on the server `HOSTLIFE_TEST_DB` names (one with
/// `pg_stat_statements`, say), else on a throwaway cluster.
fn run(cfg: &SeedConfig) -> Result<sim::SeedReport, Box<dyn std::error::Error>> {
    let bar = sim::ProgressBar::new();
    let report = if std::env::var_os(hostlife::db::testdb::TEST_DB_VAR).is_some() {
        let db = TestDb::try_new()?;
        sim::seed(&db.connector(), cfg, &|p| bar.report(p))
    } else {
        let cluster = Cluster::start()?;
        let db = cluster.create_osstest_database("seed")?;
        let connector = hostlife::db::connect::Connector::plain(db);
        sim::seed(&connector, cfg, &|p| bar.report(p))
    };
    bar.finish();
    Ok(report?)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match parse(&args) {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("seed bench: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&cfg) {
        Ok(mut report) => {
            let calls = report.record_calls + report.wipes;
            eprintln!(
                "{} lifecycle rows ({} calls) in {:.1} s: {:.0} calls/s while recording",
                report.lifecycle_rows,
                calls,
                report.elapsed.as_secs_f64(),
                calls as f64 / report.record_time.as_secs_f64()
            );
            report.last_wipes.clear();
            match serde_json::to_string_pretty(&report) {
                Ok(json) => println!("{json}"),
                Err(e) => eprintln!("seed bench: {e}"),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("seed bench: {e}");
            ExitCode::FAILURE
        }
    }
}
