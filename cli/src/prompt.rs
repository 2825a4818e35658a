//! Questions to the person at the terminal, and secrets from standard input.

use std::io::{self, BufRead, Read, Write};

use crate::error::CliError;

/// The longest line accepted on standard input for a secret.
const MAX_SECRET_LINE: u64 = 4096;

/// Asks a yes/no question on the terminal; anything but `y`/`yes` is no.
pub fn confirm(question: &str) -> Result<bool, CliError> {
    eprint!("{question} [y/N] ");
    io::stderr().flush().ok();
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|error| CliError::failure(format!("could not read the answer: {error}")))?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

/// Asks for a secret on the terminal without echoing it.
pub fn hidden(prompt: &str) -> Result<String, CliError> {
    rpassword::prompt_password(prompt)
        .map_err(|error| CliError::failure(format!("could not read from the terminal: {error}")))
}

/// Reads one line from standard input (for pipes and scripts).
pub fn stdin_line(what: &str) -> Result<String, CliError> {
    let mut line = String::new();
    io::stdin()
        .lock()
        .take(MAX_SECRET_LINE)
        .read_line(&mut line)
        .map_err(|error| CliError::failure(format!("could not read the {what} from standard input: {error}")))?;
    if line.trim().is_empty() {
        return Err(CliError::usage(format!(
            "no {what} on standard input; pipe it in, or run this in a terminal to be asked for it"
        )));
    }
    Ok(line)
}
