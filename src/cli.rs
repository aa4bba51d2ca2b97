//! Command-line arguments, parsed raw by clap and then turned into a
//! validated [`Command`] that the rest of the binary reads.
//!
//! osstest's environment (`OSSTEST_FLIGHT`, `OSSTEST_JOB`, `OSSTEST_TESTID`,
//! `OSSTEST_TASK`) fills in what the arguments leave out; an explicit
//! argument always wins, which is why the environment is read here and not
//! through clap's `env` attribute (that would make `--step` conflict with
//! an inherited `OSSTEST_TESTID`).

#![allow(
    clippy::doc_markdown,
    reason = "the argument types' doc comments are clap's --help text, printed as written"
)]

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use hostlife::db::task;
use hostlife::lifecycle::call::TaskRef;
use hostlife::lifecycle::call::WipeCall;
use hostlife::lifecycle::call::{JobRef, RecordCall, StepRef};
use hostlife::lifecycle::{DEFAULT_IDENT, Mode};
use hostlife::sim::{Scale, SeedConfig};

/// Host lifecycle tracking for osstest test labs.
///
/// Without a subcommand, opens the interactive browser on the database.
#[derive(Debug, Parser)]
#[command(name = "hostlife", version, about, long_about = None)]
pub struct Cli {
    /// Database: a libpq connection string (`host=... dbname=...`) or a
    /// postgres:// URL. Default: $HOSTLIFE_DB, then the PG* environment,
    /// then the osstest configuration, then libpq's defaults.
    #[arg(long, global = true, value_name = "CONN")]
    pub db: Option<String>,

    /// Print tables as records, one per row with a field per line
    /// (psql's `\x`): auto does so on a terminal too narrow for the
    /// table; on and off always and never.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub expanded: Expanded,

    #[command(subcommand)]
    pub command: Option<Sub>,

    #[command(flatten)]
    pub tui: TuiArgs,
}

#[derive(Debug, Args, Clone)]
pub struct TuiArgs {
    /// Refuse every write from the interactive browser.
    #[arg(long)]
    pub read_only: bool,
    /// Seconds between automatic refreshes in the browser.
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    pub refresh: f64,
    /// Start the browser with mouse capture on (off keeps text selection).
    #[arg(long)]
    pub mouse: bool,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Record a lifecycle event for HOST (selectprep, select, final), or
    /// clear its history after a reinstall (wiped).
    Record(RecordArgs),
    /// Decode a lifecycle runvar into its entries.
    Decode(DecodeArgs),
    /// List every known host.
    Hosts(FormatArg),
    /// Show a host's lifecycle rows and the listing a final call would
    /// compute now.
    Show(HostArg),
    /// Every job that used a host, with its lifecycle runvar decoded.
    History(HistoryArgs),
    /// Which jobs break hosts: job names ranked by the failed host
    /// installs they preceded, and hosts whose installs fail whatever ran
    /// before.
    Suspects(SuspectsArgs),
    /// Was it the host? For a failed job: per host it used, what came
    /// before it there, how the host's other recent jobs fared against
    /// the fleet, and how the same job fared on other hosts.
    Blame(BlameArgs),
    /// A job's report of the tasks that might have affected its hosts:
    /// per ident and host, every job and task its lifecycle runvar names,
    /// with how it touched the host and when.
    Report(ReportArgs),
    /// A host's timeline: every job that used it as a bar over wall-clock
    /// time, one lane per job, prep. and outcome shown, installs and
    /// out-of-job tasks marked; as SVG or HTML to a file, or its bars.
    Timeline(TimelineArgs),
    /// Create, upgrade or fill a database.
    Db {
        #[command(subcommand)]
        command: DbSub,
    },
    /// Start a throwaway PostgreSQL, fill it with a simulated workload and
    /// open the browser on it.
    Demo(DemoArgs),
}

/// How a read command prints: `--format table|csv|json`, `--json` for
/// short.
#[derive(Debug, Args)]
pub struct FormatArg {
    /// table for people; csv (the command's main table, one header line,
    /// RFC 4180) or json for scripts.
    #[arg(long, value_enum, default_value = "table", conflicts_with = "json")]
    pub format: OutFormat,
    /// The same as --format json.
    #[arg(long)]
    pub json: bool,
}

impl FormatArg {
    pub fn get(&self) -> OutFormat {
        if self.json {
            OutFormat::Json
        } else {
            self.format
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Expanded {
    Auto,
    On,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct HostArg {
    pub host: String,
    #[command(flatten)]
    pub out: FormatArg,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    pub host: String,
    /// About this many jobs, newest first (a page holds whole flights).
    #[arg(long, default_value_t = 200)]
    pub limit: i64,
    /// Only flights before this one: the next page after a page whose
    /// last flight was FLIGHT.
    #[arg(long, value_name = "FLIGHT")]
    pub before: Option<i32>,
    #[command(flatten)]
    pub out: FormatArg,
}

#[derive(Debug, Args)]
pub struct SuspectsArgs {
    /// Only installs of this host.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Only installs started in the last DAYS days.
    #[arg(long, value_name = "DAYS")]
    pub since: Option<u32>,
    /// Show each job's counts split by how it touched the host (prep.,
    /// share, reuse).
    #[arg(long)]
    pub by_relation: bool,
    /// At most this many job names (JSON lists them all).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[command(flatten)]
    pub out: FormatArg,
}

#[derive(Debug, Args)]
pub struct BlameArgs {
    /// The flight.
    pub flight: i32,
    /// The job, e.g. test-amd64-amd64-xl.
    pub job: String,
    #[command(flatten)]
    pub out: FormatArg,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The flight.
    pub flight: i32,
    /// The job, e.g. test-amd64-amd64-xl.
    pub job: String,
    /// text for the terminal, json, csv (one row per line, with the ident
    /// and host), or html (a standalone page to attach to a bug report).
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct TimelineArgs {
    pub host: String,
    /// The window: the DAYS before the host's newest activity.
    #[arg(long, value_name = "DAYS", default_value_t = 3)]
    pub days: u32,
    /// Write the picture as SVG to FILE (replaced whole, or left as it was).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["html", "format", "json"])]
    pub svg: Option<std::path::PathBuf>,
    /// Write a standalone HTML page (the picture and its table) to FILE.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["format", "json"])]
    pub html: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub out: FormatArg,
}

/// Where `hostlife timeline` draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picture {
    Svg(std::path::PathBuf),
    Html(std::path::PathBuf),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// The text for people (`table`, as the other reads call it, too).
    #[value(alias = "table")]
    Text,
    Json,
    Csv,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RecordMode {
    Selectprep,
    Select,
    Final,
    Wiped,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    pub mode: RecordMode,
    pub host: String,
    /// The host's ident in the job (`host`, `src_host`, `dst_host`, ...).
    #[arg(long, value_name = "IDENT")]
    pub ident: Option<String>,
    /// Flight (default: $OSSTEST_FLIGHT).
    #[arg(long, value_name = "F")]
    pub flight: Option<i32>,
    /// Job (default: $OSSTEST_JOB).
    #[arg(long, value_name = "J")]
    pub job: Option<String>,
    /// Step number.
    #[arg(long, value_name = "N", conflicts_with = "testid")]
    pub step: Option<i32>,
    /// The step whose testid this is (default: $OSSTEST_TESTID).
    #[arg(long, value_name = "T")]
    pub testid: Option<String>,
    /// The acting task as `TASKID TYPE REFKEY` (default: $OSSTEST_TASK).
    #[arg(long, value_name = "SPEC", group = "taskopt")]
    pub task: Option<String>,
    /// The acting task by id.
    #[arg(long, value_name = "ID", group = "taskopt")]
    pub taskid: Option<i32>,
    /// The operator's static task `USER@NODE` (created if missing).
    /// Default without any task option: `$USER@<short hostname>`.
    #[arg(long, value_name = "USER@NODE", group = "taskopt")]
    pub static_task: Option<String>,
    /// The host runs on another host (a nested guest): nothing is recorded.
    #[arg(long)]
    pub nested: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    pub runvar: String,
    /// The flight the runvar belongs to (fills omitted flights).
    #[arg(long, value_name = "F", requires = "job")]
    pub flight: Option<i32>,
    /// The job the runvar belongs to (fills omitted jobs).
    #[arg(long, value_name = "J", requires = "flight")]
    pub job: Option<String>,
    /// Look entries up in the database (steps, jobs, flights). Implied by
    /// --db or $HOSTLIFE_DB.
    #[arg(long)]
    pub lookup: bool,
    #[command(flatten)]
    pub out: FormatArg,
}

#[derive(Debug, Subcommand)]
pub enum DbSub {
    /// Create the minimal osstest schema (with host_lifecycle) in an empty
    /// database.
    Init,
    /// Add host_lifecycle and hostlife's indexes to an existing osstest
    /// database, as the owner of its tables, without blocking osstest's
    /// writers (indexes are built concurrently). Idempotent.
    Upgrade(UpgradeArgs),
    /// Fill a fresh database (made with `db init`) with a simulated osstest
    /// workload, written through the recorder.
    Seed(SeedArgs),
}

#[derive(Debug, Args, Clone)]
pub struct UpgradeArgs {
    /// Print the SQL it would run, and run nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct SeedArgs {
    /// Preset sizes: small (tests), medium (the demo), large.
    #[arg(long, value_enum, default_value = "small")]
    pub scale: ScaleArg,
    /// Flights to simulate (default: the scale's).
    #[arg(long, value_name = "N")]
    pub flights: Option<u32>,
    /// Hosts in the lab (default: the scale's).
    #[arg(long, value_name = "M")]
    pub hosts: Option<u32>,
    /// The random seed: the same seed gives the same database.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScaleArg {
    Small,
    Medium,
    Large,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the cluster in DIR (which must not exist) instead of removing
    /// it on exit, and print how to reach it with psql.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
}

impl Cli {
    /// Whether the command asked for JSON, so that errors come as JSON too
    /// (even those found while validating).
    pub fn wants_json(&self) -> bool {
        match &self.command {
            Some(Sub::Record(a)) => a.json,
            Some(
                Sub::Decode(DecodeArgs { out, .. })
                | Sub::Hosts(out)
                | Sub::Show(HostArg { out, .. })
                | Sub::History(HistoryArgs { out, .. })
                | Sub::Suspects(SuspectsArgs { out, .. })
                | Sub::Blame(BlameArgs { out, .. })
                | Sub::Timeline(TimelineArgs { out, .. }),
            ) => out.get() == OutFormat::Json,
            Some(Sub::Report(a)) => a.format == ReportFormat::Json,
            Some(Sub::Db {
                command: DbSub::Seed(a),
            }) => a.json,
            _ => false,
        }
    }
}

/// A validated command.
#[derive(Debug)]
pub enum Command {
    Tui(TuiArgs),
    Record {
        call: RecordCall,
        json: bool,
    },
    Wipe {
        call: WipeCall,
        json: bool,
    },
    Decode {
        runvar: String,
        job: Option<JobRef>,
        lookup: bool,
        format: OutFormat,
    },
    Hosts {
        format: OutFormat,
    },
    Show {
        host: String,
        format: OutFormat,
    },
    History {
        host: String,
        limit: i64,
        before: Option<i32>,
        format: OutFormat,
    },
    Suspects {
        host: Option<String>,
        since_days: Option<u32>,
        by_relation: bool,
        limit: usize,
        format: OutFormat,
    },
    Blame {
        flight: i32,
        job: String,
        format: OutFormat,
    },
    Report {
        flight: i32,
        job: String,
        format: ReportFormat,
    },
    Timeline {
        host: String,
        days: u32,
        picture: Option<Picture>,
        format: OutFormat,
    },
    DbInit,
    DbUpgrade {
        dry_run: bool,
        json: bool,
    },
    DbSeed {
        cfg: SeedConfig,
        json: bool,
    },
    Demo {
        demo: DemoArgs,
        tui: TuiArgs,
    },
}

/// The validated configuration: where the database is, and what to do.
#[derive(Debug)]
pub struct Config {
    pub db: Option<String>,
    pub command: Command,
    /// `--read-only`: the session itself is read-only, so the database
    /// refuses any write whatever hostlife's own checks say.
    pub read_only: bool,
    /// `--expanded`: how tables print.
    pub expanded: Expanded,
}

/// Environment lookup, injectable for tests.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

fn job_ref(flight: Option<i32>, job: Option<String>) -> Result<Option<JobRef>, String> {
    match (flight, job) {
        (Some(flight), Some(job)) => Ok(Some(JobRef { flight, job })),
        (None, None) => Ok(None),
        (Some(f), None) => Err(format!(
            "flight {f} given without a job (--job or $OSSTEST_JOB)"
        )),
        (None, Some(j)) => Err(format!(
            "job {j} given without a flight (--flight or $OSSTEST_FLIGHT)"
        )),
    }
}

fn task_ref(a: &RecordArgs, env: Env<'_>) -> Result<TaskRef, String> {
    if let Some(taskid) = a.taskid {
        return Ok(TaskRef::Id { taskid });
    }
    if let Some(refkey) = &a.static_task {
        if !refkey.contains('@') {
            return Err(format!("static task {refkey:?}: expected USER@NODE"));
        }
        return Ok(TaskRef::Static {
            refkey: refkey.clone(),
        });
    }
    if let Some(spec) = a.task.clone().or_else(|| env("OSSTEST_TASK")) {
        return TaskRef::parse_spec(&spec);
    }
    Ok(TaskRef::Static {
        refkey: task::default_static_refkey(),
    })
}

fn record(a: RecordArgs, env: Env<'_>) -> Result<Command, String> {
    let flight = match a.flight {
        Some(f) => Some(f),
        None => env("OSSTEST_FLIGHT")
            .map(|f| {
                f.parse()
                    .map_err(|_| format!("$OSSTEST_FLIGHT {f:?} is not a flight number"))
            })
            .transpose()?,
    };
    let job = a.job.clone().or_else(|| env("OSSTEST_JOB"));
    let job = job_ref(flight, job)?;
    let task = task_ref(&a, env)?;
    let mode = match a.mode {
        RecordMode::Wiped => {
            if a.ident.is_some() || a.step.is_some() || a.testid.is_some() || a.nested {
                return Err("wiped takes only HOST, --flight/--job and a task option".into());
            }
            return Ok(Command::Wipe {
                call: WipeCall {
                    host: a.host,
                    task,
                    job,
                },
                json: a.json,
            });
        }
        RecordMode::Selectprep => Mode::SelectPrep,
        RecordMode::Select => Mode::Select,
        RecordMode::Final => Mode::Final,
    };
    let step = match (a.step, a.testid.clone().or_else(|| env("OSSTEST_TESTID"))) {
        (Some(n), _) => Some(StepRef::Number(n)),
        (None, Some(t)) => Some(StepRef::Testid(t)),
        (None, None) => None,
    };
    if step.is_some() && job.is_none() {
        return Err("a step (--step, --testid or $OSSTEST_TESTID) needs --flight and --job".into());
    }
    Ok(Command::Record {
        call: RecordCall {
            mode,
            host: a.host,
            ident: a.ident.unwrap_or_else(|| DEFAULT_IDENT.to_owned()),
            job,
            step,
            task,
            nested: a.nested,
        },
        json: a.json,
    })
}

impl Config {
    /// Validate parsed arguments, filling defaults from `env`.
    pub fn from_cli(cli: Cli, env: Env<'_>) -> Result<Config, String> {
        if !(cli.tui.refresh.is_finite() && cli.tui.refresh >= 0.1) {
            return Err(format!(
                "--refresh {}: must be at least 0.1 seconds",
                cli.tui.refresh
            ));
        }
        let explicit_db = cli.db.is_some() || env("HOSTLIFE_DB").is_some();
        let read_only = cli.tui.read_only;
        let command = match cli.command {
            None => Command::Tui(cli.tui),
            Some(Sub::Record(a)) => record(a, env)?,
            Some(Sub::Decode(a)) => Command::Decode {
                job: job_ref(a.flight, a.job)?,
                lookup: a.lookup || explicit_db,
                runvar: a.runvar,
                format: a.out.get(),
            },
            Some(Sub::Hosts(a)) => Command::Hosts { format: a.get() },
            Some(Sub::Show(a)) => Command::Show {
                host: a.host,
                format: a.out.get(),
            },
            Some(Sub::History(a)) => {
                if a.limit < 1 {
                    return Err("--limit must be at least 1".into());
                }
                Command::History {
                    host: a.host,
                    limit: a.limit,
                    before: a.before,
                    format: a.out.get(),
                }
            }
            Some(Sub::Blame(a)) => Command::Blame {
                flight: a.flight,
                job: a.job,
                format: a.out.get(),
            },
            Some(Sub::Timeline(a)) => {
                if a.days < 1 {
                    return Err("--days must be at least 1".into());
                }
                Command::Timeline {
                    picture: match (a.svg, a.html) {
                        (Some(f), _) => Some(Picture::Svg(f)),
                        (None, Some(f)) => Some(Picture::Html(f)),
                        (None, None) => None,
                    },
                    host: a.host,
                    days: a.days,
                    format: a.out.get(),
                }
            }
            Some(Sub::Report(a)) => Command::Report {
                flight: a.flight,
                job: a.job,
                format: a.format,
            },
            Some(Sub::Suspects(a)) => Command::Suspects {
                host: a.host,
                since_days: a.since,
                by_relation: a.by_relation,
                limit: a.limit,
                format: a.out.get(),
            },
            Some(Sub::Db {
                command: DbSub::Init,
            }) => Command::DbInit,
            Some(Sub::Db {
                command: DbSub::Upgrade(a),
            }) => Command::DbUpgrade {
                dry_run: a.dry_run,
                json: a.json,
            },
            Some(Sub::Db {
                command: DbSub::Seed(a),
            }) => Command::DbSeed {
                cfg: seed_config(&a)?,
                json: a.json,
            },
            Some(Sub::Demo(a)) => Command::Demo {
                demo: a,
                tui: cli.tui,
            },
        };
        if read_only && let Some(name) = command.writes() {
            // Refused here, before any connection: a read-only session
            // would refuse it too, but only after the call was half made.
            return Err(format!(
                "--read-only: `hostlife {name}` writes to the database; leave out --read-only to run it"
            ));
        }
        Ok(Config {
            db: cli.db,
            command,
            read_only,
            expanded: cli.expanded,
        })
    }
}

impl Command {
    /// The command's name when it writes to the database.
    fn writes(&self) -> Option<&'static str> {
        match self {
            Command::Record { call, .. } => Some(match call.mode {
                Mode::SelectPrep => "record selectprep",
                Mode::Select => "record select",
                Mode::Final => "record final",
            }),
            Command::Wipe { .. } => Some("record wiped"),
            Command::DbInit => Some("db init"),
            Command::DbUpgrade { dry_run: false, .. } => Some("db upgrade"),
            Command::DbSeed { .. } => Some("db seed"),
            Command::Tui(_)
            | Command::Decode { .. }
            | Command::Hosts { .. }
            | Command::Show { .. }
            | Command::History { .. }
            | Command::Suspects { .. }
            | Command::Blame { .. }
            | Command::Report { .. }
            | Command::Timeline { .. }
            | Command::DbUpgrade { dry_run: true, .. }
            | Command::Demo { .. } => None,
        }
    }
}

fn seed_config(a: &SeedArgs) -> Result<SeedConfig, String> {
    let mut cfg = SeedConfig::scale(match a.scale {
        ScaleArg::Small => Scale::Small,
        ScaleArg::Medium => Scale::Medium,
        ScaleArg::Large => Scale::Large,
    });
    if let Some(f) = a.flights {
        cfg.flights = f;
    }
    if let Some(h) = a.hosts {
        cfg.hosts = h;
    }
    cfg.seed = a.seed;
    cfg.validate()?;
    Ok(cfg)
}

impl TuiArgs {
    pub fn refresh_interval(&self) -> Duration {
        Duration::from_secs_f64(self.refresh)
    }

    /// The browser's settings, for a database shown as `db_label`. The
    /// operator writes as the static task `USER@<short hostname>`, as the
    /// CLI does without `--task`.
    pub fn app_settings(&self, db_label: String) -> hostlife::app::Settings {
        hostlife::app::Settings {
            db_label,
            read_only: self.read_only,
            refresh: self.refresh_interval(),
            operator_task: TaskRef::Static {
                refkey: task::default_static_refkey(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Config, String> {
        let cli = Cli::try_parse_from(std::iter::once("hostlife").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_cli(cli, &|k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn osstest_environment_fills_the_call() {
        let c = parse(
            &["record", "select", "pinot0"],
            &[
                ("OSSTEST_FLIGHT", "100"),
                ("OSSTEST_JOB", "build-amd64"),
                ("OSSTEST_TESTID", "host-install(3)"),
                ("OSSTEST_TASK", "31 ownd 9600"),
            ],
        )
        .unwrap();
        let Command::Record { call, .. } = c.command else {
            panic!()
        };
        assert_eq!(
            call.job,
            Some(JobRef {
                flight: 100,
                job: "build-amd64".into()
            })
        );
        assert_eq!(call.step, Some(StepRef::Testid("host-install(3)".into())));
        assert_eq!(
            call.task,
            TaskRef::Spec {
                taskid: 31,
                kind: "ownd".into(),
                refkey: "9600".into()
            }
        );
        assert_eq!(call.ident, "host");
    }

    #[test]
    fn explicit_arguments_win_over_the_environment() {
        let c = parse(
            &["record", "final", "h", "--step", "4", "--taskid", "7"],
            &[
                ("OSSTEST_FLIGHT", "100"),
                ("OSSTEST_JOB", "j"),
                ("OSSTEST_TESTID", "x"),
                ("OSSTEST_TASK", "31 ownd 9600"),
            ],
        )
        .unwrap();
        let Command::Record { call, .. } = c.command else {
            panic!()
        };
        assert_eq!(call.step, Some(StepRef::Number(4)));
        assert_eq!(call.task, TaskRef::Id { taskid: 7 });
    }

    #[test]
    fn flight_and_job_go_together() {
        assert!(parse(&["record", "select", "h", "--flight", "1"], &[]).is_err());
        assert!(parse(&["record", "select", "h", "--job", "j"], &[]).is_err());
        assert!(parse(&["record", "select", "h", "--step", "2"], &[]).is_err());
        assert!(
            parse(
                &["record", "select", "h", "--step", "2", "--testid", "t"],
                &[]
            )
            .is_err()
        );
        assert!(
            parse(
                &["record", "select", "h", "--taskid", "1", "--task", "1 a b"],
                &[]
            )
            .is_err()
        );
    }

    #[test]
    fn wiped_is_a_wipe_call() {
        let c = parse(
            &["record", "wiped", "h", "--static-task", "ian@osstest"],
            &[],
        )
        .unwrap();
        let Command::Wipe { call, .. } = c.command else {
            panic!()
        };
        assert_eq!(
            call.task,
            TaskRef::Static {
                refkey: "ian@osstest".into()
            }
        );
        assert!(parse(&["record", "wiped", "h", "--ident", "x"], &[]).is_err());
    }

    #[test]
    fn bad_task_spec_is_refused() {
        assert!(parse(&["record", "select", "h", "--task", "x ownd 1"], &[]).is_err());
        assert!(parse(&["record", "select", "h", "--static-task", "nobody"], &[]).is_err());
    }

    #[test]
    fn seed_options_override_the_scale() {
        let c = parse(
            &[
                "db", "seed", "--scale", "medium", "--hosts", "12", "--seed", "7",
            ],
            &[],
        )
        .unwrap();
        let Command::DbSeed { cfg, .. } = c.command else {
            panic!()
        };
        let medium = SeedConfig::scale(Scale::Medium);
        assert_eq!((cfg.hosts, cfg.seed, cfg.flights), (12, 7, medium.flights));
        assert!(parse(&["db", "seed", "--hosts", "0"], &[]).is_err());
    }

    #[test]
    fn decode_looks_up_only_when_a_database_is_named() {
        let c = parse(&["decode", ":2"], &[]).unwrap();
        assert!(matches!(c.command, Command::Decode { lookup: false, .. }));
        let c = parse(&["decode", ":2"], &[("HOSTLIFE_DB", "dbname=x")]).unwrap();
        assert!(matches!(c.command, Command::Decode { lookup: true, .. }));
    }
}
