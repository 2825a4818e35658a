//! Ctrl-C, and the other signals that end a login on a terminal (SIGTERM, SIGHUP,
//! SIGQUIT): put the terminal back, clear the spinner line, say what was kept, and exit
//! with 128 + the signal's number, as a shell reports a command a signal ended.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

/// Set once the login's credentials are saved, so that an interrupt after that moment
/// says so instead of claiming nothing was saved.
static SAVED: AtomicBool = AtomicBool::new(false);

/// Held while credentials are being saved: an interrupt waits for the save to end, so
/// that what it says ("already saved" or "nothing was saved") is true.
static SAVING: Mutex<()> = Mutex::new(());

/// Records that the credentials were saved.
pub fn saved() {
    SAVED.store(true, Ordering::SeqCst);
}

/// Runs `save` to its end even if an interrupt comes meanwhile; the interrupt is handled
/// (and the process ends) right after. Call [`saved`] inside it on success.
pub fn uninterrupted<T>(save: impl FnOnce() -> T) -> T {
    let _saving = SAVING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    save()
}

use crate::error::exit;
use crate::{prompt, terminal};

/// What ended the command: how it is named, and the exit status it gives.
#[derive(Debug, Clone, Copy)]
struct Stop {
    what: &'static str,
    status: u8,
}

/// Ctrl-C (SIGINT, 2).
const INTERRUPT: Stop = Stop { what: "Interrupted", status: exit::INTERRUPTED };

/// Installs the handlers. Only login needs them (it is the command that waits and
/// prompts); elsewhere the defaults apply.
pub fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(handlers::install);
}

#[cfg(unix)]
mod handlers {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};

    use super::{exit_stopped, Stop, INTERRUPT};

    /// The handlers only note the signal; this thread ends the process, where taking a
    /// lock or writing a message is allowed.
    pub fn install() {
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT]) else { return };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                exit_stopped(stop(signal));
            }
        });
    }

    fn stop(signal: i32) -> Stop {
        let what = match signal {
            SIGTERM => "Terminated",
            SIGHUP => "Hung up",
            SIGQUIT => "Quit",
            _ => return INTERRUPT,
        };
        // Signal numbers are small; 128 + N is how shells report a command N ended.
        Stop { what, status: u8::try_from(128 + signal).unwrap_or(u8::MAX) }
    }
}

#[cfg(not(unix))]
mod handlers {
    pub fn install() {
        let _ = ctrlc::set_handler(|| super::exit_interrupted());
    }
}

/// Ends the process as interrupted (Ctrl-C). Called by a prompt whose read was cut short
/// by it, and on Windows by the handler.
pub fn exit_interrupted() -> ! {
    exit_stopped(INTERRUPT)
}

/// Ends the process as `stop` says. Whichever caller comes first (the handler's thread, or
/// a prompt whose read the same signal cut short) does the work and the other waits for
/// the exit, so the terminal is restored and the message printed once.
fn exit_stopped(stop: Stop) -> ! {
    static EXIT: Once = Once::new();
    EXIT.call_once(|| {
        // A save in progress finishes first (see `uninterrupted`).
        drop(SAVING.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        prompt::restore_terminal();
        terminal::clear_spinner_line();
        let what = stop.what;
        if SAVED.load(Ordering::SeqCst) {
            eprintln!("\n{what}; the credentials were already saved.");
        } else {
            eprintln!("\n{what}; nothing was saved.");
        }
        std::process::exit(i32::from(stop.status));
    });
    // Only reached by the caller that lost the race, while the winner is exiting.
    loop {
        std::thread::park();
    }
}
