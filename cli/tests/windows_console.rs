//! The hidden token prompt and Ctrl-C in a Windows console: skytells.exe under Wine, whose
//! console (conhost) runs on a pseudo-terminal here. scripts/wine-tests.sh runs these
//! against the Windows build; with the Linux binary they are ignored (cli/tests/login.rs
//! and signals.rs hold the Unix terminal's counterparts).
//!
//! The command runs under `console-run.exe` (scripts/wine/console-run.c), which starts it
//! in the console as a shell would, says "[echo off]" once the console stops echoing, and
//! after the command reports its exit status and whether the console echoes again: the
//! console's mode outlives the program, and cmd.exe does not set it back.
#![cfg(unix)]

mod common;

use common::{token, Run, Sandbox, TypeWhen};

/// `skytells ARGS` in a Windows console, typing `input` once the hidden prompt waits.
fn in_windows_console(sandbox: &Sandbox, args: &[&str], input: &str) -> Run {
    let console_run = std::env::var_os("SKYTELLS_TEST_CONSOLE_RUN")
        .expect("SKYTELLS_TEST_CONSOLE_RUN names console-run for skytells.exe (scripts/wine-tests.sh)");
    let skytells = sandbox.command(args);
    let mut command = common::in_the_environment_of(&skytells, console_run);
    command.args(skytells.get_args());
    let run = common::in_terminal(&command, TypeWhen::Shown("[echo off]"), input, 100);
    Run { stdout: common::without_escapes(&run.stdout).replace('\r', ""), ..run }
}

#[test]
#[ignore = "a Windows console: scripts/wine-tests.sh runs it against skytells.exe under Wine"]
fn in_a_windows_console_the_pasted_token_is_not_shown_and_echo_is_back_after() {
    let sandbox = Sandbox::new(|_| {});
    let secret = token("7a");
    sandbox.emulator.add_token(&secret, &[]);
    let run = in_windows_console(&sandbox, &["login", "--token"], &format!("{secret}\r"));
    assert!(run.stdout.contains("Paste your personal access token (input is hidden):"), "{run:?}");
    assert!(run.stdout.contains("Authenticated successfully!"), "{run:?}");
    assert!(!run.stdout.contains("sk_pat_7a"), "the token was shown: {run:?}");
    assert!(run.stdout.contains("EXIT=0\nECHO=on"), "{run:?}");
    assert_eq!(sandbox.emulator_login()["token"], secret.as_str());
}

#[test]
#[ignore = "a Windows console: scripts/wine-tests.sh runs it against skytells.exe under Wine"]
fn ctrl_c_at_the_hidden_prompt_in_a_windows_console_exits_130_and_gives_the_console_its_echo_back() {
    let sandbox = Sandbox::new(|_| {});
    // Ctrl-C on a console is a key (0x03), which the console turns into CTRL_C_EVENT.
    let run = in_windows_console(&sandbox, &["login", "--token"], "\u{3}");
    assert!(run.stdout.contains("Interrupted; nothing was saved."), "{run:?}");
    assert!(run.stdout.contains("EXIT=130\nECHO=on"), "{run:?}");
    assert!(sandbox.nothing_stored());
}
