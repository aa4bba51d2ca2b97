//! The `hostlife` binary: command-line parsing and wiring. The work is done
//! by the library (`hostlife::lifecycle`, `hostlife::db`); `cli` validates
//! arguments into a `Config`, `commands` carries it out, `output` prints.

mod cli;
mod command_error;
mod commands;
mod demo;
mod output;
mod seed;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Config};

fn main() -> ExitCode {
    // Hooks first, so that anything after prints a useful report.
    if let Err(e) = color_eyre::install() {
        eprintln!("hostlife: {e}");
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let json = cli.wants_json();
    let config = match Config::from_cli(cli, &|k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(msg) => {
            let failure = command_error::CommandError::Refused {
                message: msg,
                detail: serde_json::Value::Null,
            };
            return report(&failure, json);
        }
    };
    let status = match commands::run(config) {
        Ok(()) | Err(command_error::CommandError::OutputClosed) => ExitCode::SUCCESS,
        Err(failure) => report(&failure, json),
    };
    // Everything is dropped by now (the terminal restored, the demo's
    // cluster stopped): a signal that ended the browser ends us too.
    hostlife::tui::reraise();
    status
}

/// A command line clap could not make sense of. `--help` and `--version`
/// are not failures; anything else exits 64 (`EX_USAGE`), apart from the
/// statuses a script acts on (2 is "no database"), with the JSON object
/// when `--json` was on the line, since the caller that asked for JSON
/// parses stdout whatever happened.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let failure = command_error::CommandError::Usage(e.render().to_string());
    if std::env::args_os().any(|a| a == "--json") {
        println!("{}", failure.to_json());
    }
    // clap's own rendering: the message, the usage line and the hint.
    let _ = e.print();
    failure.exit_code()
}

fn report(failure: &command_error::CommandError, json: bool) -> ExitCode {
    if json {
        println!("{}", failure.to_json());
    }
    // A message may quote the database (a host name, a server's error):
    // escaped like every other text output.
    eprint!(
        "{}",
        output::terminal_safe(&format!("hostlife: {}\n", failure.message()))
    );
    failure.exit_code()
}
