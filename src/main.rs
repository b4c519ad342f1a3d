//! `xbarsim`: the command line of the compute-in-memory simulator.
//!
//! `main` only parses the command line and reports errors: every user error
//! is one line on stderr, `error: <what>`, and exit code 2 (as clap's own
//! usage errors). The commands live in one module per group.

mod cli;
mod cost_cmd;
mod device_arg;
mod device_cmd;
mod error;
mod fit_cmd;
mod matrix_csv;
mod output;
mod parse;
mod point_cmd;
mod progress;
mod run_cmd;
mod solve_cmd;
mod train_cmd;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

use cli::{Cli, Command, DeviceCommand};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    let result = match cli.command {
        Command::Device(DeviceCommand::List(args)) => device_cmd::list(&args),
        Command::Device(DeviceCommand::Show(args)) => device_cmd::show(&args),
        Command::Device(DeviceCommand::Pulse(args)) => point_cmd::pulse(&args),
        Command::Device(DeviceCommand::Drift(args)) => point_cmd::drift(&args),
        Command::Device(DeviceCommand::Fit(args)) => fit_cmd::fit(&args),
        Command::Run(args) => run_cmd::run(&args),
        Command::Merge(args) => run_cmd::merge(&args),
        Command::Slurm(args) => run_cmd::slurm(&args),
        Command::Plot(args) => run_cmd::plot(&args),
        Command::Solve(args) => solve_cmd::solve(&args),
        Command::Train(args) => train_cmd::train(&args),
        Command::Evaluate(args) => point_cmd::evaluate(&args),
        Command::TrainInsitu(args) => train_cmd::train_insitu(&args),
        Command::Cost(args) => cost_cmd::cost(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Help and version go to stdout (exit 0). A bad flag value is one line,
/// `error: invalid value '...' for '--flag <V>': why`, exit 2; other usage
/// errors keep clap's usage hint (exit 2).
fn clap_error(e: clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::ValueValidation | ErrorKind::InvalidValue => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("error: invalid value");
            eprintln!("{}", first.trim_end());
            ExitCode::from(2)
        }
        _ => {
            let _ = e.print();
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
        }
    }
}
