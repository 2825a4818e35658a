//! Questions to the person at the terminal, and secrets from standard input.

use crate::error::CliError;
use std::io::{self, BufRead, Read, Write};

/// The longest line accepted on standard input for a secret.
const MAX_SECRET_LINE: u64 = 4096;

/// Asks a yes/no question on the terminal; anything but `y`/`yes` is no.
pub fn confirm(question: &str) -> Result<bool, CliError> {
    eprint!("{question} [y/N] ");
    io::stderr().flush().ok();
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer).map_err(|error| read_failed(error, "the answer"))?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

/// Asks for a secret on the terminal without echoing it. The terminal's settings are kept
/// aside meanwhile, so that an interrupt can put echo back (see [`restore_terminal`]).
pub fn hidden(prompt: &str) -> Result<String, CliError> {
    saved_terminal::save();
    let answer = rpassword::prompt_password(prompt);
    saved_terminal::forget();
    answer.map_err(|error| read_failed(error, "from the terminal"))
}

/// A failed read. Ctrl-C during a read interrupts it: end the way the interrupt handler
/// does (terminal restored, status 130), not with a misleading "could not read".
fn read_failed(error: io::Error, what: &str) -> CliError {
    if error.kind() == io::ErrorKind::Interrupted {
        crate::interrupt::exit_interrupted();
    }
    CliError::failure(format!("could not read {what}: {error}"))
}

/// Puts the terminal back as it was before a hidden prompt, if one is in progress. For
/// the Ctrl-C handler: exiting mid-prompt would otherwise leave the shell without echo.
pub fn restore_terminal() {
    saved_terminal::restore();
}

#[cfg(unix)]
mod saved_terminal {
    use std::fs::File;
    use std::sync::Mutex;

    use rustix::termios::{tcgetattr, tcsetattr, OptionalActions, Termios};

    static SAVED: Mutex<Option<(File, Termios)>> = Mutex::new(None);

    pub fn save() {
        let Ok(tty) = File::options().read(true).write(true).open("/dev/tty") else { return };
        if let (Ok(settings), Ok(mut saved)) = (tcgetattr(&tty), SAVED.lock()) {
            *saved = Some((tty, settings));
        }
    }

    pub fn forget() {
        if let Ok(mut saved) = SAVED.lock() {
            *saved = None;
        }
    }

    pub fn restore() {
        if let Some((tty, settings)) = SAVED.lock().ok().and_then(|mut saved| saved.take()) {
            let _ = tcsetattr(&tty, OptionalActions::Now, &settings);
        }
    }
}

/// Windows: the console's input mode, which outlives this program.
#[cfg(windows)]
#[path = "windows_console.rs"]
mod saved_terminal;

#[cfg(not(any(unix, windows)))]
mod saved_terminal {
    pub fn save() {}
    pub fn forget() {}
    pub fn restore() {}
}

/// Reads one line from standard input (for pipes and scripts).
pub fn stdin_line(what: &str) -> Result<String, CliError> {
    let stdin = io::stdin();
    let mut input = stdin.lock().take(MAX_SECRET_LINE);
    // The first line with something on it: blank lines before it (an `echo` with an
    // extra newline, a here-document) are not the secret. Reading stops at that line, so
    // a writer that keeps the pipe open is not waited for.
    loop {
        let mut line = Vec::new();
        let read = input
            .read_until(b'\n', &mut line)
            .map_err(|error| read_failed(error, &format!("the {what} from standard input")))?;
        if read == 0 {
            return Err(CliError::usage(format!(
                "no {what} on standard input; pipe it in, or run this in a terminal to be asked for it"
            )));
        }
        let text = String::from_utf8(line).map_err(|_| {
            CliError::usage(format!("the {what} on standard input is not text (it is not UTF-8); nothing was saved"))
        })?;
        if !text.trim().is_empty() {
            return Ok(text.trim().to_owned());
        }
    }
}
