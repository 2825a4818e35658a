//! A stored credential goes only to the API origin it was stored for (issue #12): two
//! emulators on two ports stand in for two APIs, and their request logs show which
//! credential reached which.

// A Unix-host harness (Unix modes, `sh` scripts, util-linux `script`, /proc). Windows runs
// it from the Linux host against skytells.exe under Wine (scripts/wine-tests.sh).
#![cfg(unix)]

mod common;

use common::{token, Sandbox};
use serde_json::json;
use skytells_emulator::{Emulator, Scenario};

/// The bearer prefixes that reached `emulator`, in order.
fn bearers(emulator: &Emulator) -> Vec<String> {
    emulator.log().into_iter().filter_map(|entry| entry.bearer_prefix).collect()
}

/// The same config folder, pointed at another emulator.
fn command_for(sandbox: &Sandbox, api: &Emulator, args: &[&str]) -> std::process::Command {
    let mut command = sandbox.command(args);
    command.env("SKYTELLS_API_URL", api.url());
    command
}

#[test]
fn logins_to_two_apis_sit_side_by_side_and_each_token_goes_only_to_its_own() {
    let sandbox = Sandbox::new(|_| {});
    let (first, second) = (&sandbox.emulator, Emulator::start(Scenario::default()).unwrap());
    let (token_a, token_b) = (token("a1"), token("b2"));
    first.add_token(&token_a, &[]);
    second.add_token(&token_b, &[]);

    assert_eq!(sandbox.run(&["login", "--token"], &token_a).code, Some(0));
    let login_b = sandbox.run_command(command_for(&sandbox, &second, &["login", "--token"]), &token_b);
    assert_eq!(login_b.code, Some(0), "{login_b:?}");
    let others = sandbox.read_origins();
    assert_eq!(others[first.url()]["token"], token_a.as_str(), "{others}");
    assert_eq!(others[second.url()]["token"], token_b.as_str(), "{others}");
    assert!(!sandbox.credentials().exists(), "the Node CLI's file is not even created: {}", sandbox.stored());

    let whoami_a = sandbox.run(&["whoami"], "");
    let whoami_b = sandbox.run_command(command_for(&sandbox, &second, &["whoami", "--json"]), "");
    assert_eq!((whoami_a.code, whoami_b.code), (Some(0), Some(0)), "{whoami_a:?} {whoami_b:?}");
    assert!(whoami_a.stdout.contains(&format!("(from credentials file, stored for {})", first.url())));
    assert!(whoami_a.stdout.contains(&format!("Other APIs:  {} (stored logins", second.url())), "{}", whoami_a.stdout);
    let report: serde_json::Value = serde_json::from_str(&whoami_b.stdout).unwrap();
    assert_eq!(report["token"]["stored_for"], second.url());
    assert_eq!(report["other_logins"], json!([first.url()]));

    let prefix = |secret: &str| secret[..12].to_owned();
    assert!(bearers(first).iter().all(|bearer| *bearer == prefix(&token_a)), "{:?}", bearers(first));
    assert!(bearers(&second).iter().all(|bearer| *bearer == prefix(&token_b)), "{:?}", bearers(&second));
    assert!(!bearers(first).is_empty() && !bearers(&second).is_empty());
}

#[test]
fn an_api_with_nothing_stored_gets_nothing_and_the_environment_goes_where_it_is_told() {
    let sandbox = Sandbox::new(|_| {});
    let stranger = Emulator::start(Scenario::default()).unwrap();
    sandbox.emulator.add_token(&token("a1"), &[]);
    stranger.add_access_key("sk_proj_stranger", "Stranger");
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}","access_key":"sk_proj_mine"}}"#, token("a1")));

    for args in [&["whoami"][..], &["auth", "token"], &["whoami", "--offline"]] {
        let run = sandbox.run_command(command_for(&sandbox, &stranger, args), "");
        assert_eq!(run.code, Some(4), "{args:?}: {run:?}");
        let says = format!("You are not authenticated: not logged in to {}", stranger.url());
        assert!(run.stderr.contains(&says), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(&format!("Run `skytells login --api-url {}`", stranger.url())), "{}", run.stderr);
        assert!(run.stderr.contains(&format!("stored credentials are for {} only", sandbox.emulator.url())));
        assert!(!run.all().contains("sk_proj_mine") && !run.all().contains(&token("a1")[..12]), "{run:?}");
    }
    assert!(stranger.log().is_empty(), "a stored credential reached another API: {:?}", stranger.log());

    // Credentials from the environment are explicit: they go to the API named.
    let mut explicit = command_for(&sandbox, &stranger, &["whoami", "--offline"]);
    explicit.env("SKYTELLS_TOKEN", token("e3"));
    assert_eq!(sandbox.run_command(explicit, "").code, Some(0));
    let mut explicit = command_for(&sandbox, &stranger, &["link", "sk_proj_stranger"]);
    explicit.env("SKYTELLS_TOKEN", token("e3"));
    assert_eq!(sandbox.run_command(explicit, "").code, Some(0));
    assert_eq!(bearers(&stranger), ["sk_proj_stra"]);
    assert_eq!(sandbox.emulator_login()["access_key"], "sk_proj_mine", "the first API's key stays");
}

#[test]
fn logout_removes_the_current_apis_login_and_all_removes_every_one() {
    let sandbox = Sandbox::new(|_| {});
    let other = Emulator::start(Scenario::default()).unwrap();
    let login = json!({"token": token("a1"), "access_key": "sk_proj_a"});
    sandbox.write_credentials(
        &json!({"token": token("d4"), "api_key": "legacy", "origins": {sandbox.emulator.url(): login, other.url(): login}})
            .to_string(),
    );

    let run = sandbox.run(&["logout", "--force"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains(&format!("Logged out of {}", sandbox.emulator.url())), "{}", run.stdout);
    let still = format!("Still logged in to https://console.skytells.ai, {}", other.url());
    assert!(run.stdout.contains(&still), "{}", run.stdout);
    // The logins an earlier version kept in credentials.json moved to the origins file.
    assert_eq!(sandbox.read_credentials(), json!({"token": token("d4"), "api_key": "legacy"}));
    assert_eq!(sandbox.read_origins(), json!({other.url(): login}));

    let again = sandbox.run(&["logout", "--force"], "");
    assert!(again.stdout.starts_with(&format!("Not logged in to {}", sandbox.emulator.url())), "{}", again.stdout);

    let all = sandbox.run(&["logout", "--force", "--all", "--json"], "");
    let report: serde_json::Value = serde_json::from_str(&all.stdout).unwrap();
    assert_eq!((report["logged_out"].as_bool(), report["api"].as_str()), (Some(true), Some("all")));
    // --all removes the API key too (the Node CLI's, for the default models API).
    assert_eq!(report["api_keys_removed"], json!(["https://api.skytells.ai"]));
    assert!(sandbox.nothing_stored(), "{}", sandbox.stored());
    assert!(sandbox.emulator.log().is_empty() && other.log().is_empty(), "logout asks no API");
}

#[test]
fn a_file_in_the_node_cli_format_is_the_default_apis_and_stays_readable_by_it() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("a1"), &[]);
    let node = format!(
        r#"{{"token":"{}","access_key":"sk_proj_node","api_key":"legacy","created_at":1776076200000}}"#,
        token("d4")
    );
    sandbox.write_credentials(&node);

    // Against the default API the Node CLI's login is the one used (no request: offline).
    let mut default_api = sandbox.command(&["whoami", "--offline", "--json"]);
    default_api.env_remove("SKYTELLS_API_URL");
    let run = sandbox.run_command(default_api, "");
    assert_eq!(run.code, Some(0), "{run:?}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["token"]["prefix"], "sk_pat_d4d4…");
    assert_eq!(report["token"]["stored_for"], "https://console.skytells.ai");
    assert_eq!(report["access_key"]["stored_for"], "https://console.skytells.ai");
    let mut default_api = sandbox.command(&["auth", "token"]);
    default_api.env_remove("SKYTELLS_API_URL");
    assert_eq!(sandbox.run_command(default_api, "").stdout, format!("{}\n", token("d4")));

    // Against another API it is not sent.
    let run = sandbox.run(&["whoami"], "");
    assert_eq!(run.code, Some(4), "{run:?}");
    assert!(sandbox.emulator.log().is_empty(), "{:?}", sandbox.emulator.log());

    // Logging in there leaves every top-level field as the Node CLI wrote it.
    assert_eq!(sandbox.run(&["login", "--token"], &token("a1")).code, Some(0));
    let file = sandbox.read_credentials();
    let before: serde_json::Value = serde_json::from_str(&node).unwrap();
    for (name, value) in before.as_object().unwrap() {
        assert_eq!(&file[name], value, "{name}: {file}");
    }
    assert_eq!(file, before, "credentials.json is exactly as the Node CLI wrote it");
    // Not even rewritten: its bytes are the Node CLI's, compact as it writes them. (A
    // rewrite would also wait on, or fail for, another program holding the file open.)
    assert_eq!(std::fs::read_to_string(sandbox.credentials()).unwrap(), node);
    assert_eq!(sandbox.emulator_login()["token"], token("a1").as_str());
}

#[test]
fn the_node_clis_logout_takes_only_the_default_apis_login_with_it() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("a1"), &[]);
    sandbox.write_credentials(&json!({"token": token("d4"), "api_key": "legacy"}).to_string());
    assert_eq!(sandbox.run(&["login", "--token"], &token("a1")).code, Some(0));
    // The Node CLI's logout removes the fields it knows and, with nothing it knows left,
    // the file itself.
    std::fs::remove_file(sandbox.credentials()).unwrap();
    let run = sandbox.run(&["whoami"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("Status:      authenticated"), "{}", run.stdout);
}
