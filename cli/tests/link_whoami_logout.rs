//! `skytells link`, `whoami` and `logout`, through the real binary against the emulator.

// A Unix-host harness (Unix modes, `sh` scripts, util-linux `script`, /proc). Windows runs
// it from the Linux host against skytells.exe under Wine (scripts/wine-tests.sh).
#![cfg(unix)]

mod common;

use common::{token, Sandbox, TypeWhen};
use serde_json::json;

#[test]
fn link_verifies_the_key_and_stores_it_beside_the_token_keeping_unknown_fields() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_weather_1", "Weather App");
    sandbox.write_emulator_login(&format!(
        r#"{{"token":"{}","api_key":"legacy","created_at":1776076200000}}"#,
        token("ab")
    ));
    let run = sandbox.run(&["link", "sk_proj_weather_1"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        format!("✔ Linked project Weather App (weather-app)\n  Access key saved to {}\n", sandbox.shown_origins_file())
    );
    assert_eq!(sandbox.read_credentials(), json!({"api_key": "legacy"}));
    assert_eq!(
        sandbox.read_origins(),
        json!({sandbox.origin(): {
            "token": token("ab"), "created_at": 1776076200000u64, "access_key": "sk_proj_weather_1"
        }})
    );
    common::assert_private_mode(&sandbox.origins_file(), 0o600);
}

#[test]
fn link_reads_the_key_from_standard_input_with_a_dash() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_from_stdin", "Piped");
    let run = sandbox.run(&["link", "-"], "sk_proj_from_stdin\n");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(sandbox.emulator_login()["access_key"], "sk_proj_from_stdin");
}

#[test]
fn link_refuses_bad_keys_and_changes_nothing() {
    let sandbox = Sandbox::new(|_| {});
    let run = sandbox.run(&["link", "sk_proj_has/slash"], "");
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("That is not a project access key: the access key has an invalid character at position 12"),
        "{}",
        run.stderr
    );
    let run = sandbox.run(&["link", &token("ab")], "");
    assert!(run.stderr.contains(
        "this is a personal access token (sk_pat_…), not a project access key; use `skytells login --token` for tokens"
    ));
    assert!(!run.all().contains(&token("ab")));
    assert!(sandbox.emulator.log().is_empty());
    let run = sandbox.run(&["link", "sk_proj_unknown"], "");
    assert_eq!(run.code, Some(4));
    assert!(run.stderr.contains("error: Access key is invalid or revoked."), "{}", run.stderr);
    assert!(sandbox.nothing_stored());
}

#[test]
fn link_warns_when_the_environment_key_wins() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_a", "A");
    let mut command = sandbox.command(&["link", "sk_proj_a"]);
    command.env("SKYTELLS_ACCESS_KEY", "sk_proj_other");
    let run = sandbox.run_command(command, "");
    assert!(
        run.stderr.contains(
            "warning: SKYTELLS_ACCESS_KEY is set in your environment; it takes precedence over the stored access key"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn whoami_without_credentials_is_the_guides_not_authenticated() {
    let sandbox = Sandbox::new(|_| {});
    let run = sandbox.run(&["whoami"], "");
    assert_eq!(run.code, Some(4));
    assert!(run.stdout.contains("✖ Not logged in to http://127.0.0.1:"), "{}", run.stdout);
    let url = sandbox.origin();
    assert_eq!(
        run.stderr,
        format!("error: You are not authenticated: not logged in to {url}. Run `skytells login --api-url {url}`, or set SKYTELLS_TOKEN in your environment.\n")
    );
}

#[test]
fn whoami_names_the_account_and_where_each_credential_came_from() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    sandbox.emulator.add_access_key("sk_proj_weather_1", "Weather App");
    sandbox.write_emulator_login(&format!(
        r#"{{"token":"{}","access_key":"sk_proj_weather_1","scopes":["inference","account.read"]}}"#,
        token("ab")
    ));
    let run = sandbox.run(&["whoami"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    let (url, shown) = (sandbox.origin(), sandbox.shown_origins_file());
    let expected = format!(
        "✔ Logged in to {url} as Ada Lovelace (ada@example.com)\n  User ID:     usr_0001\n  Token:       sk_pat_abab… (from credentials file, stored for {url})\n  Scopes:      inference, account.read\n  Project:     Weather App (weather-app), key sk_proj_weat… from credentials file, stored for {url}\n  Credentials: {shown}\n  Status:      authenticated\n",
    );
    assert_eq!(run.stdout, expected);
}

#[test]
fn environment_beats_the_file_and_empty_variables_count_as_unset() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("cd"), &[]);
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}"}}"#, token("ab")));
    let mut command = sandbox.command(&["whoami"]);
    command.env("SKYTELLS_TOKEN", token("cd"));
    let run = sandbox.run_command(command, "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("Token:       sk_pat_cdcd… (from SKYTELLS_TOKEN)"), "{}", run.stdout);

    let mut command = sandbox.command(&["whoami"]);
    command.env("SKYTELLS_TOKEN", "");
    let run = sandbox.run_command(command, "");
    assert_eq!(run.code, Some(4), "the file's token is unknown to the emulator: {run:?}");
    assert!(run.stdout.contains("sk_pat_abab… (from credentials file, stored for http://127.0.0.1:"), "{}", run.stdout);
}

#[test]
fn a_malformed_environment_token_is_named_without_a_request() {
    let sandbox = Sandbox::new(|_| {});
    let mut command = sandbox.command(&["whoami"]);
    command.env("SKYTELLS_TOKEN", "sk_pat_short");
    let run = sandbox.run_command(command, "");
    assert_eq!(run.code, Some(4));
    assert!(
        run.stderr
            .contains("error: the personal access token from the environment variable SKYTELLS_TOKEN is not valid"),
        "{}",
        run.stderr
    );
    assert!(sandbox.emulator.log().is_empty());
}

#[test]
fn whoami_json_follows_the_documented_schema() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    sandbox.write_emulator_login(&format!(
        r#"{{"token":"{}","scopes":["inference"],"created_at":1776076200000}}"#,
        token("ab")
    ));
    let mut command = sandbox.command(&["whoami", "--json"]);
    command.env("SKYTELLS_ACCESS_KEY", "sk_proj_unknown");
    let run = sandbox.run_command(command, "");
    assert_eq!(run.code, Some(0), "{run:?}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report,
        json!({
            "schema": 1,
            "authenticated": true,
            "status": "authenticated",
            "api_url": sandbox.emulator.url(),
            "credentials_file": sandbox.shown_origins_file(),
            "user": {"id": "usr_0001", "name": "Ada Lovelace", "email": "ada@example.com"},
            "token": {
                "prefix": "sk_pat_abab…",
                "source": {"kind": "file", "name": null},
                "stored_for": sandbox.origin(),
                "scopes": ["inference"],
                "saved_at": 1776076200000u64
            },
            "access_key": {
                "prefix": "sk_proj_unkn…",
                "source": {"kind": "env", "name": "SKYTELLS_ACCESS_KEY"},
                "stored_for": null,
                "status": "rejected",
                "project": null,
                "error": "Access key is invalid or revoked. Copy the access key from your project's Settings in the Skytells console, then run `skytells link sk_proj_your_access_key`.",
                "saved_at": null
            },
            "other_logins": [],
            "models_api_url": "https://api.skytells.ai/v1",
            "api_key": null,
            "error": null
        })
    );
}

#[test]
fn whoami_reports_a_rejected_token() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}"}}"#, token("ab")));
    let run = sandbox.run(&["whoami", "--json"], "");
    assert_eq!(run.code, Some(4));
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["status"], "token_rejected");
    assert!(report["error"].as_str().unwrap().starts_with("Token is invalid or expired"));
    assert_eq!(run.stderr, "", "with --json the error is in the JSON");
}

#[test]
fn whoami_shows_local_facts_when_the_api_cannot_be_reached() {
    let sandbox = Sandbox::new(|_| {});
    let unused_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let unreachable = format!("http://127.0.0.1:{unused_port}");
    sandbox.write_credentials(&json!({"origins": {&unreachable: {"token": token("ab")}}}).to_string());
    let mut command = sandbox.command(&["whoami"]);
    command.env("SKYTELLS_API_URL", &unreachable);
    let run = sandbox.run_command(command, "");
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.contains("Token:       sk_pat_abab… (from credentials file, stored for"), "{}", run.stdout);
    assert!(run.stdout.contains("Status:      unreachable"));
    assert!(run.stderr.starts_with("error: could not reach the Skytells API: could not connect"), "{}", run.stderr);
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_anything_is_sent() {
    let sandbox = Sandbox::new(|_| {});
    let mut command = sandbox.command(&["login", "--token"]);
    command.env("SKYTELLS_API_URL", "http://api.example.com");
    let run = sandbox.run_command(command, &token("ab"));
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("refusing plain http to `api.example.com`"), "{}", run.stderr);
}

#[test]
fn the_default_location_is_under_home_and_the_flag_beats_the_variable() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_a", "A");
    let mut command = sandbox.command(&["link", "sk_proj_a"]);
    command.env_remove("SKYTELLS_CONFIG_DIR");
    assert_eq!(sandbox.run_command(command, "").code, Some(0));
    assert!(sandbox.home.path().join(".config/skytells/origins.json").exists());

    let elsewhere = sandbox.home.path().join("from-flag");
    let mut command = sandbox.command(&["link", "sk_proj_a", "--config-dir", elsewhere.to_str().unwrap()]);
    command.env("SKYTELLS_CONFIG_DIR", sandbox.home.path().join("from-env"));
    assert_eq!(sandbox.run_command(command, "").code, Some(0));
    assert!(elsewhere.join("origins.json").exists());
    assert!(!sandbox.home.path().join("from-env").exists());
}

#[test]
fn logout_without_a_terminal_needs_force() {
    let sandbox = Sandbox::new(|_| {});
    sandbox
        .write_emulator_login(&format!(r#"{{"token":"{}","access_key":"sk_proj_a","api_key":"legacy"}}"#, token("ab")));
    let stored = sandbox.stored();
    let run = sandbox.run(&["logout"], "");
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("Run `skytells logout --force`"), "{}", run.stderr);
    assert_eq!(sandbox.stored(), stored);

    let mut command = sandbox.command(&["logout", "--force"]);
    command.env("SKYTELLS_TOKEN", token("cd"));
    let run = sandbox.run_command(command, "");
    assert_eq!(run.code, Some(0), "{run:?}");
    let logged_out = format!(
        "✔ Logged out of {}. Removed its stored token and access key from {}",
        sandbox.origin(),
        sandbox.shown_origins_file()
    );
    assert!(run.stdout.starts_with(&logged_out), "{}", run.stdout);
    assert!(run.stderr.contains("warning: SKYTELLS_TOKEN is still set in your environment"), "{}", run.stderr);
    assert_eq!(sandbox.read_credentials(), json!({"api_key": "legacy"}));
}

#[test]
fn logout_with_nothing_stored_says_so() {
    let sandbox = Sandbox::new(|_| {});
    let run = sandbox.run(&["logout"], "");
    assert_eq!(run.code, Some(0));
    assert_eq!(run.stdout, "Not logged in: ~/config/origins.json holds no token or access key.\n");
}

#[test]
fn logout_on_a_terminal_asks_first() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}"}}"#, token("ab")));
    let run = common::in_terminal(&sandbox.command(&["logout"]), TypeWhen::Shown("[y/N]"), "n\n", 100);
    let question = format!(
        "Log out of {}? This removes its stored token and access key from ~/config/origins.json. [y/N]",
        sandbox.origin()
    );
    assert!(run.stdout.contains(&question), "{run:?}");
    assert!(run.stdout.contains("Logout cancelled; nothing was removed."), "{run:?}");
    assert!(sandbox.origins_file().exists());
    let run = common::in_terminal(&sandbox.command(&["logout"]), TypeWhen::Shown("[y/N]"), "y\n", 100);
    assert!(run.stdout.contains("Logged out of"), "{run:?}");
    assert!(!sandbox.origins_file().exists(), "nothing else was in the file, so it is gone");
}
