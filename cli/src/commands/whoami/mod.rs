//! `skytells whoami`: who the credentials belong to, and where each one came from.
//!
//! [`report`] finds out where authentication stands; [`text`] and [`WhoamiJson`] show it.

mod report;
mod text;

use crate::args::WhoamiArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::WhoamiJson;
use report::Status;

/// Runs `skytells whoami`.
pub fn run(context: &Context, args: &WhoamiArgs) -> Result<(), CliError> {
    let report = report::gather(context, args.offline)?;
    if args.json {
        context.print_json(&WhoamiJson::from(&report))?;
    } else if !context.quiet {
        for warning in &report.warnings {
            context.warn(warning);
        }
        for reminder in &report.reminders {
            eprintln!("{} {reminder}", context.terminal.yellow("reminder:"));
        }
        text::print(context, &report)?;
    }
    match (report.status, report.error) {
        (Status::Authenticated | Status::Unverified, _) => Ok(()),
        (status, Some(message)) if !args.json => Err(CliError { message, code: status.exit_code() }),
        // The JSON already carries the error; only the status says it failed.
        (status, _) => Err(CliError { message: String::new(), code: status.exit_code() }),
    }
}
