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
    let cli = Cli::parse();
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
    match commands::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report(&failure, json),
    }
}

fn report(failure: &command_error::CommandError, json: bool) -> ExitCode {
    if json {
        println!("{}", failure.to_json());
    }
    eprintln!("hostlife: {}", failure.message());
    failure.exit_code()
}
