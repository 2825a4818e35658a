//! Signals at the hidden token prompt, through the real binary on a pseudo-terminal: each
//! puts the terminal's echo back and ends the login with 128 + the signal's number, as
//! Ctrl-C does (cli/tests/login.rs).
#![cfg(unix)]

mod common;

use common::Sandbox;

#[test]
fn sigterm_sighup_and_sigquit_at_the_hidden_prompt_give_the_echo_back_and_exit_128_plus_n() {
    for (signal, status, said) in [("TERM", 143, "Terminated"), ("HUP", 129, "Hung up"), ("QUIT", 131, "Quit")] {
        let sandbox = Sandbox::new(|_| {});
        let session = sandbox.hidden_prompt_session();
        let run = common::signal_at_hidden_prompt(&session, "(input is hidden)", signal);
        assert!(run.stdout.contains(" echo ") && !run.stdout.contains(" -echo "), "SIG{signal}: echo is off: {run:?}");
        // The shell reports 128 + N for a command the signal killed as well: the message
        // is what tells a handled signal from the default action.
        assert!(run.stdout.contains(&format!("EXIT={status}")), "SIG{signal}: {run:?}");
        assert!(run.stdout.contains(&format!("{said}; nothing was saved.")), "SIG{signal}: {run:?}");
        assert!(!sandbox.credentials().exists(), "SIG{signal}");
    }
}
