//! What the terminal can do, colour, and the spinner.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Set while a spinner owns the current stderr line, so Ctrl-C can clear it.
pub static SPINNER_ACTIVE: AtomicBool = AtomicBool::new(false);

/// Narrower than this, a spinner line would wrap; plain lines are printed instead.
const MIN_SPINNER_WIDTH: u16 = 20;

/// Facts about the standard streams, read once.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    /// `TERM=dumb`: a terminal that cannot move the cursor or clear a line.
    pub dumb: bool,
    /// Standard input is a terminal (prompts are possible).
    pub stdin: bool,
    /// Standard error is a terminal.
    pub stderr: bool,
    /// Colour is allowed (a terminal, `NO_COLOR` unset, `TERM` not `dumb`).
    pub color: bool,
}

impl Terminal {
    /// Reads the streams. `color` forces colour on or off; `None` means on a terminal
    /// unless `NO_COLOR` is set or `TERM` is `dumb`.
    pub fn detect(color: Option<bool>, no_color: bool, dumb: bool) -> Self {
        let stderr = std::io::stderr().is_terminal();
        let stdout = std::io::stdout().is_terminal();
        let color = color.unwrap_or(stdout && stderr && !no_color && !dumb);
        Terminal { dumb, stdin: std::io::stdin().is_terminal(), stderr, color }
    }

    /// `text` in green, when colour is on.
    pub fn green(&self, text: &str) -> String {
        self.paint("32", text)
    }

    /// `text` in red, when colour is on.
    pub fn red(&self, text: &str) -> String {
        self.paint("31", text)
    }

    /// `text` in yellow, when colour is on.
    pub fn yellow(&self, text: &str) -> String {
        self.paint("33", text)
    }

    /// `text` in bold, when colour is on.
    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_owned()
        }
    }

    /// A spinner on stderr showing `message`, when stderr is a terminal wide enough for
    /// one that can clear a line; otherwise `message` is printed once as a plain line.
    pub fn spinner(&self, message: &str) -> Option<Spinner> {
        let width = terminal_size::terminal_size_of(std::io::stderr()).map(|(width, _)| width.0).unwrap_or(0);
        if !self.stderr || self.dumb || width < MIN_SPINNER_WIDTH {
            eprintln!("{message}");
            return None;
        }
        Some(Spinner::start(message, width))
    }
}

/// An animated line on stderr. Dropping it clears the line.
#[derive(Debug)]
pub struct Spinner {
    message: Arc<Mutex<String>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Spinner {
    const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

    fn start(message: &str, width: u16) -> Self {
        let message = Arc::new(Mutex::new(message.to_owned()));
        let stop = Arc::new(AtomicBool::new(false));
        SPINNER_ACTIVE.store(true, Ordering::SeqCst);
        let thread = {
            let (message, stop) = (Arc::clone(&message), Arc::clone(&stop));
            thread::spawn(move || {
                for frame in Spinner::FRAMES.iter().cycle() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let text = message.lock().map(|text| text.clone()).unwrap_or_default();
                    let line: String =
                        format!("{frame} {}", text.trim_start()).chars().take(usize::from(width) - 1).collect();
                    let mut stderr = std::io::stderr().lock();
                    let _ = write!(stderr, "\r\u{1b}[2K{line}");
                    let _ = stderr.flush();
                    drop(stderr);
                    thread::sleep(Duration::from_millis(100));
                }
            })
        };
        Spinner { message, stop, thread: Some(thread) }
    }

    /// Changes the text after the spinner.
    pub fn set_message(&self, text: String) {
        if let Ok(mut message) = self.message.lock() {
            *message = text;
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = write!(std::io::stderr(), "\r\u{1b}[2K");
        SPINNER_ACTIVE.store(false, Ordering::SeqCst);
    }
}

/// Clears a spinner line, if one is showing; for the Ctrl-C handler.
pub fn clear_spinner_line() {
    if SPINNER_ACTIVE.load(Ordering::SeqCst) {
        write_stderr(format_args!("\r\u{1b}[2K"));
    }
}

/// Writes to standard error, the one way this program does (`eprintln!` and `eprint!` in
/// this crate come here, see main.rs). Standard error closed, its reader gone, or its
/// terminal hung up: the text is lost and the command goes on to its own exit status.
/// Nothing else could be done with the error: there is nowhere left to report it.
pub fn write_stderr(text: std::fmt::Arguments<'_>) {
    // One lock for the whole text, so the spinner's thread cannot cut into it.
    let _ = std::io::stderr().lock().write_fmt(text);
}

/// Standard error as a writer that never fails (see [`write_stderr`]), for the request
/// logs of `-v`: their writer's errors would otherwise be reported by a panicking
/// `eprintln!` inside tracing-subscriber.
#[derive(Debug, Clone, Copy)]
pub struct Stderr;

impl Write for Stderr {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        // All of it is taken: a failure here means no one can read any of it.
        let _ = std::io::stderr().lock().write_all(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // Standard error is not buffered.
        Ok(())
    }
}
