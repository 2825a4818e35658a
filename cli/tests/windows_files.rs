//! Windows file semantics through skytells.exe under Wine, whose server enforces Windows
//! sharing modes between Windows programs. scripts/wine-tests.sh runs these; with the
//! Linux binary they are ignored (Unix lets a rename replace a file others have open).
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{token, Sandbox};

#[test]
#[ignore = "Windows sharing modes: scripts/wine-tests.sh runs it against skytells.exe under Wine"]
fn a_file_another_program_holds_open_is_retried_then_reported_unchanged_and_written_once_released() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_weather_1", "Weather App");
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}"}}"#, token("ab")));
    let before = sandbox.stored();
    // An editor or a virus scanner has the file open: others may read it, not replace it.
    let mut holder = hold(&sandbox.origins_file(), false);

    let run = sandbox.run(&["link", "sk_proj_weather_1"], "");
    assert_eq!(run.code, Some(1), "{run:?}");
    let expected = format!(
        "could not replace {}: another program kept it open for 2 s. Close that program (an editor, a backup or antivirus tool) and try again",
        sandbox.shown_origins_file()
    );
    assert!(run.stderr.contains(&expected), "{run:?}");
    assert_eq!(sandbox.stored(), before, "nothing changed");
    let leftovers: Vec<_> = std::fs::read_dir(sandbox.config_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // Released (its standard input ends), the same command goes through.
    drop(holder.stdin.take());
    assert!(holder.wait().unwrap().success());
    let run = sandbox.run(&["link", "sk_proj_weather_1"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(sandbox.emulator_login()["access_key"], "sk_proj_weather_1");
}

#[test]
#[ignore = "Windows sharing modes: scripts/wine-tests.sh runs it against skytells.exe under Wine"]
fn a_logout_while_another_program_holds_the_file_is_retried_then_reported_and_finishes_once_released() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}"}}"#, token("ab")));
    let before = sandbox.stored();
    // Held without delete sharing, as an editor does: the file cannot be removed.
    let mut holder = hold(&sandbox.origins_file(), false);
    let run = sandbox.run(&["logout", "--force"], "");
    assert_eq!(run.code, Some(1), "{run:?}");
    let expected = format!(
        "could not remove {}: another program kept it open for 2 s. Close that program",
        sandbox.shown_origins_file()
    );
    assert!(run.stderr.contains(&expected), "{run:?}");
    assert_eq!(sandbox.stored(), before, "nothing changed");
    drop(holder.stdin.take());
    assert!(holder.wait().unwrap().success());
    assert_eq!(sandbox.run(&["logout", "--force"], "").code, Some(0));
    assert!(sandbox.nothing_stored());
}

#[test]
#[ignore = "Windows file locks: scripts/wine-tests.sh runs it against skytells.exe under Wine"]
fn a_writer_waiting_for_a_lock_another_program_holds_gives_up_in_bounded_time_and_says_where_to_look() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_waits", "Waits");
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}"}}"#, token("ab")));
    let before = sandbox.stored();
    // A stuck writer holds the lock.
    let mut holder = hold(&sandbox.config_dir().join(".credentials.json.lock"), true);
    let run = sandbox.run(&["link", "sk_proj_waits"], "");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("waiting for another skytells process to finish writing"), "{run:?}");
    assert!(run.stderr.contains("gave up after 10 s waiting for the lock"), "{run:?}");
    assert!(run.stderr.contains("a stuck one holds it: end skytells.exe in Task Manager"), "{run:?}");
    assert!(!run.stderr.contains("fuser"), "Unix advice on Windows: {run:?}");
    assert_eq!(sandbox.stored(), before, "nothing was written");
    drop(holder.stdin.take());
    assert!(holder.wait().unwrap().success());
    assert_eq!(sandbox.run(&["link", "sk_proj_waits"], "").code, Some(0), "the lock released, it works");
}

/// A Windows program holding `path` open as an editor does, or with `lock` holding it
/// locked as another writer does, until its standard input is closed.
fn hold(path: &Path, lock: bool) -> Child {
    let hold_open = std::env::var_os("SKYTELLS_TEST_HOLD_OPEN")
        .expect("SKYTELLS_TEST_HOLD_OPEN names hold-open for Wine (scripts/wine-tests.sh)");
    let mut command = Command::new(hold_open);
    if lock {
        command.arg("--lock");
    }
    let mut holder = command.arg(path).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut said = String::new();
    BufReader::new(holder.stdout.take().unwrap()).read_line(&mut said).unwrap();
    assert_eq!(said.trim_end(), "held", "{}", path.display());
    holder
}
