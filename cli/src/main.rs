//! `skytells`: sign in to Skytells, link project access keys, and manage stored
//! credentials. Every decision is made by the `skytells-auth` core; this binary reads the
//! command line, talks to the terminal, and runs the blocking driver.

// Every `eprintln!` and `eprint!` in this crate is one of these: the standard ones panic
// when standard error is closed or its reader has gone (`2>&-`, `| head` on `2>&1`), and
// with `panic = "abort"` a panic is a SIGABRT. Defined before the modules so that they
// shadow the standard macros everywhere below; both write through `terminal::write_stderr`.
macro_rules! eprintln {
    () => {
        $crate::terminal::write_stderr(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::terminal::write_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

macro_rules! eprint {
    ($($arg:tt)*) => {
        $crate::terminal::write_stderr(format_args!($($arg)*))
    };
}

mod args;
mod browser;
mod commands;
mod context;
mod error;
mod interrupt;
mod keyring;
mod output;
mod prompt;
mod save;
mod terminal;
mod together;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::args::{ApiKeyCommand, AuthCommand, Cli, Command};
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
    let context = Context::new(&cli);
    init_logging(&context, cli.verbose);
    let result = match &cli.command {
        Command::Login(args) => commands::login::run(&context, args),
        Command::Link(args) => commands::link::run(&context, args),
        Command::Whoami(args) | Command::Auth(AuthCommand::Status(args)) => commands::whoami::run(&context, args),
        Command::Logout(args) => commands::logout::run(&context, args),
        Command::Auth(AuthCommand::Token) => commands::token::run(&context),
        Command::Auth(AuthCommand::Doctor(args)) => commands::doctor::run(&context, args.json),
        Command::ApiKey(ApiKeyCommand::Set(args)) => commands::api_key::set(&context, args),
        Command::ApiKey(ApiKeyCommand::Status(args)) => commands::api_key::status(&context, args.json),
        Command::ApiKey(ApiKeyCommand::Rm(args)) => commands::api_key::remove(&context, args),
        Command::Completion { shell } => completion(&context, *shell),
        Command::Man { dir } => man_pages(&context, dir.as_deref()),
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

/// A completion script for `shell`, from the clap definition.
fn completion(context: &Context, shell: clap_complete::Shell) -> Result<(), error::CliError> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "skytells", &mut script);
    context.write_stdout(&script)
}

/// The manual: the top-level page on stdout, or every command's page into `dir`.
fn man_pages(context: &Context, dir: Option<&std::path::Path>) -> Result<(), error::CliError> {
    let command = Cli::command();
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).and_then(|()| clap_mangen::generate_to(command, dir)).map_err(|error| {
            error::CliError::failure(format!("could not write the manual pages into {}: {error}", dir.display()))
        })?;
        return context.say(format!("Wrote the manual pages into {}", dir.display()));
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .map_err(|error| error::CliError::failure(format!("could not render the manual page: {error}")))?;
    context.write_stdout(&page)
}

/// `-v` (debug), `-vv` (trace) or `SKYTELLS_LOG=<level>`: request logs on stderr. Set up
/// only when asked for, so ordinary runs pay nothing for it.
fn init_logging(context: &Context, verbose: u8) {
    use tracing_subscriber::filter::LevelFilter;
    let from_env = context.var("SKYTELLS_LOG").map(|level| {
        level.parse::<LevelFilter>().unwrap_or_else(|_| {
            let shown = skytells_auth::sanitize_for_display(level);
            context.warn(format!("SKYTELLS_LOG={shown} is not a level (error, warn, info, debug, trace); using debug"));
            LevelFilter::DEBUG
        })
    });
    let level = match verbose {
        0 => from_env,
        1 => Some(LevelFilter::DEBUG),
        _ => Some(LevelFilter::TRACE),
    };
    if let Some(level) = level {
        tracing_subscriber::fmt()
            .with_writer(|| terminal::Stderr)
            .with_max_level(level)
            .with_target(false)
            .without_time()
            .with_ansi(context.terminal.color)
            .init();
    }
}
