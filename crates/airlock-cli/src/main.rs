//! The `airlock` command: parses arguments, runs one command, maps the outcome to an
//! exit status (0 clean, 1 findings at or above the threshold or differences from a lock,
//! 2 airlock could not run).

#![forbid(unsafe_code)]

mod args;
mod commands;
mod env_vars;
mod render;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

/// What a command concluded, before it becomes an exit status.
pub enum Outcome {
    /// Nothing at or above the threshold.
    Clean,
    /// Findings at or above the threshold, or a tree that differs from its lock.
    Failed,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => commands::scan::run(&args),
        Command::Rules(args) => commands::rules::list(&args),
        Command::Explain(args) => commands::rules::explain(&args),
        Command::Lock(args) => commands::integrity::lock(&args),
        Command::Verify(args) => commands::integrity::verify(&args),
        Command::Bom(args) => commands::bom::run(&args),
        Command::Sign(args) => commands::signing::sign(&args),
        Command::Keygen(args) => commands::signing::keygen(&args),
    };
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            let mut stderr = io::stderr().lock();
            let _ = writeln!(stderr, "error: {error}");
            for cause in error.chain().skip(1) {
                let _ = writeln!(stderr, "  Caused by: {cause}");
            }
            ExitCode::from(2)
        }
    }
}

/// A reader that went away (`airlock scan … | head`) is not an error.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|err| err.kind() == io::ErrorKind::BrokenPipe)
}
