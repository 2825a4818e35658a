//! Ctrl-C: put the terminal back, clear the spinner line, say what was kept, exit 130.

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

/// Installs the Ctrl-C handler. Only login needs one (it is the command that waits and
/// prompts); elsewhere the default applies.
pub fn install() {
    let _ = ctrlc::set_handler(|| exit_interrupted());
}

/// Ends the process as interrupted. Called by the handler's thread, and by a prompt whose
/// read was cut short by the same Ctrl-C; whichever comes first does the work and the
/// other waits for the exit, so the terminal is restored and the message printed once.
pub fn exit_interrupted() -> ! {
    static EXIT: Once = Once::new();
    EXIT.call_once(|| {
        // A save in progress finishes first (see `uninterrupted`).
        drop(SAVING.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        prompt::restore_terminal();
        terminal::clear_spinner_line();
        if SAVED.load(Ordering::SeqCst) {
            eprintln!("\nInterrupted; the credentials were already saved.");
        } else {
            eprintln!("\nInterrupted; nothing was saved.");
        }
        std::process::exit(i32::from(exit::INTERRUPTED));
    });
    // Only reached by the caller that lost the race, while the winner is exiting.
    loop {
        std::thread::park();
    }
}
