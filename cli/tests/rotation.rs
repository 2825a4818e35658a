//! "Rotate tokens regularly": whoami shows how long ago each stored credential was saved
//! and, past `SKYTELLS_ROTATE_DAYS` (90 by default; 0: never), reminds on stderr.
#![cfg(unix)]

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::{token, Sandbox};
use serde_json::Value;

const DAY_MS: u64 = 86_400_000;

/// A login to the emulator saved 97 days (and an hour, far from a day's edge) ago.
fn old_login() -> (Sandbox, u64) {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
    let saved_at = now - 97 * DAY_MS - 3_600_000;
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}","created_at":{saved_at}}}"#, token("ab")));
    (sandbox, saved_at)
}

fn whoami(sandbox: &Sandbox, args: &[&str], rotate_days: Option<&str>) -> common::Run {
    let mut command = sandbox.command(args);
    if let Some(days) = rotate_days {
        command.env("SKYTELLS_ROTATE_DAYS", days);
    }
    sandbox.run_command(command, "")
}

#[test]
fn whoami_shows_each_credentials_age_and_reminds_past_the_threshold() {
    let (sandbox, saved_at) = old_login();
    let run = whoami(&sandbox, &["whoami"], None);
    assert_eq!(run.code, Some(0), "{run:?}");
    let origin = sandbox.origin();
    assert!(
        run.stdout.contains(&format!(
            "  Token:       sk_pat_abab… (from credentials file, stored for {origin}, saved 97 days ago)"
        )),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stderr,
        "reminder: your token was saved 97 days ago; rotate tokens regularly: create a new one at https://console.skytells.ai/settings/tokens, run `skytells login --token`, then revoke the old one (SKYTELLS_ROTATE_DAYS=0 turns this off)\n"
    );

    // JSON: the time it was saved, never the reminder.
    let json = whoami(&sandbox, &["whoami", "--json"], None);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["token"]["saved_at"], saved_at);
    assert!(!json.all().contains("reminder"), "{json:?}");

    for (days, reminded) in [("0", false), ("120", false), ("30", true), (" 97 ", true), ("98", false)] {
        let run = whoami(&sandbox, &["whoami"], Some(days));
        assert_eq!(run.code, Some(0), "{days}: {run:?}");
        assert_eq!(run.stderr.contains("reminder: your token was saved 97 days ago"), reminded, "{days}: {run:?}");
        assert!(run.stdout.contains("saved 97 days ago)"), "{days}: the age is shown whatever the threshold");
    }
    let quiet = whoami(&sandbox, &["whoami", "--quiet"], None);
    assert_eq!(quiet.all(), "", "{quiet:?}");
}

#[test]
fn a_threshold_that_is_not_a_number_of_days_is_refused() {
    let (sandbox, _) = old_login();
    for bad in ["-1", "1.5", "ninety"] {
        let run = whoami(&sandbox, &["whoami"], Some(bad));
        assert_eq!(run.code, Some(2), "{bad}: {run:?}");
        assert!(run.stderr.contains("SKYTELLS_ROTATE_DAYS must be a whole number of days"), "{bad}: {}", run.stderr);
    }
}

#[test]
fn a_token_from_the_environment_has_no_stored_age() {
    let (sandbox, _) = old_login();
    let mut command = sandbox.command(&["whoami", "--json"]);
    command.env("SKYTELLS_TOKEN", token("ab"));
    let run = sandbox.run_command(command, "");
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["token"]["saved_at"], Value::Null, "{report}");
    let mut command = sandbox.command(&["whoami"]);
    command.env("SKYTELLS_TOKEN", token("ab"));
    assert!(!sandbox.run_command(command, "").all().contains("reminder"));
}
