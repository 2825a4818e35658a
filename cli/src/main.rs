//! `skytells`: sign in to Skytells, link project access keys, and manage stored
//! credentials. Every decision is made by the `skytells-auth` core; this binary reads the
//! command line, talks to the terminal, and runs the blocking driver.

mod args;
mod browser;
mod commands;
mod context;
mod error;
mod prompt;
mod terminal;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::context::Context;
use crate::error::exit;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(exit::USAGE));
        }
    };
    install_interrupt_handler();
    let context = Context::new(&cli);
    let result = match &cli.command {
        Command::Login(args) => commands::login::run(&context, args),
        Command::Link(args) => commands::link::run(&context, args),
        Command::Whoami(args) => commands::whoami::run(&context, args),
        Command::Logout(args) => commands::logout::run(&context, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if !error.message.is_empty() {
                eprintln!("{} {}", context.terminal.red("error:"), error.message);
            }
            ExitCode::from(error.code)
        }
    }
}

/// Ctrl-C clears the spinner line and exits with 130. Credentials are written only after
/// a login succeeds, by an atomic rename, so an interrupt never leaves half a file.
fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        terminal::clear_spinner_line();
        eprintln!("\nInterrupted; nothing more was saved.");
        std::process::exit(i32::from(exit::INTERRUPTED));
    });
}
