//! `skytells api-key set|status|rm`, and the API key in `whoami` and `logout`: checked with
//! the models API (`GET /v1/models`, `x-api-key`) of the emulator, saved only when accepted,
//! and sent to no origin but the one it belongs to.
#![cfg(unix)]

mod common;

use std::process::Command;

#[cfg(not(target_os = "macos"))]
use common::secret_service::SecretService;
use common::{token, Sandbox, TypeWhen};
use serde_json::{json, Value};
use skytells_emulator::{Emulator, Scenario};

const KEY: &str = "sk-live-0123456789abcdefWXYZ";

/// `skytells ARGS` with the emulator as the models API too.
fn models(sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut command = sandbox.command(args);
    command.env("SKYTELLS_AI_API_URL", format!("{}/v1", sandbox.emulator.url()));
    command
}

fn api_keys_sent(emulator: &Emulator) -> Vec<(String, Option<String>, bool)> {
    emulator.log().into_iter().map(|entry| (entry.path, entry.api_key_prefix, entry.authorized)).collect()
}

/// Writes `login` as the emulator's entry in the origins file, as this CLI leaves it.
fn write_emulator_entry(sandbox: &Sandbox, login: Value) {
    std::fs::create_dir_all(sandbox.config_dir()).unwrap();
    common::set_mode(&sandbox.config_dir(), 0o700);
    std::fs::write(sandbox.origins_file(), json!({ sandbox.origin(): login }).to_string()).unwrap();
    common::set_mode(&sandbox.origins_file(), 0o600);
}

fn parse(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|error| panic!("{error}: {stdout}"))
}

#[test]
fn set_checks_the_key_with_the_models_api_and_saves_it_only_when_accepted() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_api_key(KEY);
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}","future":1}}"#, token("ab")));
    let before = sandbox.stored();

    let refused = sandbox.run_command(models(&sandbox, &["api-key", "set"]), "sk-live-not-the-right-one-0000\n");
    assert_eq!(refused.code, Some(4), "{refused:?}");
    assert!(refused.stderr.contains("API key is invalid or revoked"), "{}", refused.stderr);
    assert!(refused.stderr.contains("run `skytells api-key set`. Nothing was saved."), "{}", refused.stderr);
    assert!(!refused.all().contains("not-the-right-one"), "the key was shown: {}", refused.all());
    assert_eq!(sandbox.stored(), before, "a refused key changes nothing");

    let set = sandbox.run_command(models(&sandbox, &["api-key", "set"]), &format!("{KEY}\n"));
    assert_eq!(set.code, Some(0), "{set:?}");
    let url = sandbox.emulator.url();
    assert_eq!(
        set.stdout,
        format!("✔ API key accepted by {url}/v1\n  API key saved to ~/config/origins.json\n"),
        "{set:?}"
    );
    assert!(!set.all().contains(KEY));
    let login = sandbox.emulator_login();
    assert_eq!((login["api_key"].as_str(), login["token"].as_str()), (Some(KEY), Some(&*token("ab"))));
    assert!(login["api_key_created_at"].is_u64(), "{login}");
    assert_eq!(sandbox.read_credentials(), json!({"future": 1}), "nothing of another API at the top");
    // Each check went to the models API with `x-api-key`, and with no bearer credential.
    assert_eq!(
        api_keys_sent(&sandbox.emulator),
        [
            ("/v1/models".to_owned(), Some("sk-liv".to_owned()), false),
            ("/v1/models".to_owned(), Some("sk-liv".to_owned()), false)
        ]
    );

    let status = sandbox.run_command(models(&sandbox, &["api-key", "status"]), "");
    assert_eq!(status.code, Some(0), "{status:?}");
    assert!(
        status.stdout.contains(&format!("  Key:         …WXYZ (from credentials file, stored for {url})")),
        "{}",
        status.stdout
    );
    let status = sandbox.run_command(models(&sandbox, &["api-key", "status", "--json"]), "");
    let report = parse(&status.stdout);
    assert_eq!(report["api_key"]["masked"], "…WXYZ");
    assert_eq!(report["api_key"]["source"], json!({"kind": "file", "name": null}));
    assert_eq!(report["api_key"]["stored_for"], url.as_str());
    assert_eq!(report["models_api_url"], format!("{url}/v1"));
    assert_eq!(sandbox.emulator.log().len(), 2, "status asks nothing");

    sandbox.emulator.add_token(&token("ab"), &[]);
    let whoami = sandbox.run_command(models(&sandbox, &["whoami", "--json"]), "");
    assert_eq!(whoami.code, Some(0), "{whoami:?}");
    let report = parse(&whoami.stdout);
    assert_eq!((report["api_key"]["status"].as_str(), report["schema"].as_u64()), (Some("valid"), Some(1)));
    let text = sandbox.run_command(models(&sandbox, &["whoami"]), "");
    assert!(
        text.stdout
            .contains(&format!("  API key:     …WXYZ (from credentials file, stored for {url}), accepted by {url}/v1")),
        "{}",
        text.stdout
    );
}

#[test]
fn a_key_the_models_api_stops_accepting_is_shown_as_rejected_by_whoami() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    write_emulator_entry(&sandbox, json!({"token": token("ab"), "api_key": KEY}));
    let whoami = sandbox.run_command(models(&sandbox, &["whoami", "--json"]), "");
    assert_eq!(whoami.code, Some(0), "the token still works: {whoami:?}");
    let report = parse(&whoami.stdout);
    assert_eq!(report["api_key"]["status"], "rejected");
    assert!(report["api_key"]["error"].as_str().unwrap().starts_with("API key is invalid or revoked"), "{report}");
    let text = sandbox.run_command(models(&sandbox, &["whoami"]), "");
    assert!(text.stderr.contains("warning: the API key was not accepted: API key is invalid"), "{}", text.stderr);
}

#[test]
fn the_node_cli_key_belongs_to_the_default_models_api_and_goes_nowhere_else() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    sandbox.emulator.add_api_key(KEY);
    let node = format!(r#"{{"token":"{}","api_key":"{KEY}","created_at":1776076200000}}"#, token("d4"));
    sandbox.write_credentials(&node);

    // The emulator as the models API: the Node CLI's key is not for it, and is not sent.
    let status = sandbox.run_command(models(&sandbox, &["api-key", "status"]), "");
    assert_eq!(status.code, Some(4), "{status:?}");
    assert!(
        status.stderr.contains("No API key. Run `skytells api-key set`, or set SKYTELLS_API_KEY"),
        "{}",
        status.stderr
    );
    let whoami = sandbox.run_command(models(&sandbox, &["whoami", "--json"]), "");
    assert_eq!(parse(&whoami.stdout)["api_key"], Value::Null);
    assert!(api_keys_sent(&sandbox.emulator).iter().all(|(_, key, _)| key.is_none()), "{:?}", sandbox.emulator.log());

    // The default models API: it is the key in use (offline: nothing is sent anywhere).
    let status = sandbox.run(&["api-key", "status", "--json"], "");
    assert_eq!(status.code, Some(0), "{status:?}");
    let report = parse(&status.stdout);
    assert_eq!(report["api_key"]["stored_for"], "https://api.skytells.ai");
    assert_eq!(report["credentials_file"], "~/config/credentials.json");
    let offline = sandbox.run(&["whoami", "--offline"], "");
    assert!(
        offline.stdout.contains("  API key:     …WXYZ (from credentials file, stored for https://api.skytells.ai"),
        "{}",
        offline.stdout
    );

    // Removing it keeps everything else, byte for byte.
    let removed = sandbox.run(&["api-key", "rm", "--force"], "");
    assert_eq!(removed.code, Some(0), "{removed:?}");
    assert!(
        removed.stdout.starts_with("✔ Removed the API key for https://api.skytells.ai from ~/config/credentials.json"),
        "{}",
        removed.stdout
    );
    assert_eq!(
        std::fs::read_to_string(sandbox.credentials()).unwrap(),
        format!("{{\n  \"token\": \"{}\",\n  \"created_at\": 1776076200000\n}}\n", token("d4"))
    );
    let again = sandbox.run(&["api-key", "rm", "--force", "--json"], "");
    assert_eq!(parse(&again.stdout)["removed"], false, "{again:?}");
}

#[test]
fn the_variable_wins_and_rm_will_not_pretend_to_remove_it() {
    let sandbox = Sandbox::new(|_| {});
    write_emulator_entry(&sandbox, json!({ "api_key": KEY }));
    let stored = sandbox.stored();
    let mut command = models(&sandbox, &["api-key", "status"]);
    command.env("SKYTELLS_API_KEY", " sk-from-the-environment-1234\n");
    let status = sandbox.run_command(command, "");
    assert_eq!(status.code, Some(0), "{status:?}");
    assert!(status.stdout.contains("  Key:         …1234 (from SKYTELLS_API_KEY)"), "{}", status.stdout);

    let mut command = models(&sandbox, &["api-key", "rm", "--force"]);
    command.env("SKYTELLS_API_KEY", "sk-from-the-environment-1234");
    let refused = sandbox.run_command(command, "");
    assert_eq!(refused.code, Some(2), "{refused:?}");
    assert!(refused.stderr.contains("SKYTELLS_API_KEY is set in your environment"), "{}", refused.stderr);
    assert!(refused.stderr.contains("nothing was removed. Unset it"), "{}", refused.stderr);
    assert_eq!(sandbox.stored(), stored);

    let unconfirmed = sandbox.run_command(models(&sandbox, &["api-key", "rm"]), "");
    assert_eq!(unconfirmed.code, Some(2), "{unconfirmed:?}");
    assert!(unconfirmed.stderr.contains("Run `skytells api-key rm --force`"), "{}", unconfirmed.stderr);
    assert_eq!(sandbox.stored(), stored);
    // `remove` and `delete` are the same command; on a terminal it asks first.
    let asked = common::in_terminal(&models(&sandbox, &["api-key", "delete"]), TypeWhen::Shown("[y/N]"), "y\n", 100);
    assert_eq!(asked.code, Some(0), "{asked:?}");
    assert!(asked.stdout.contains("Remove the API key for"), "{}", asked.stdout);
    assert_eq!(sandbox.emulator_login(), Value::Null, "{}", sandbox.stored());
}

#[test]
fn the_models_url_follows_the_same_rules_as_the_apis() {
    let sandbox = Sandbox::new(|_| {});
    for (url, says) in [
        ("http://models.example.com/v1", "plain"),
        ("https://user:pw@models.example.com/v1", "SKYTELLS_AI_API_URL is not usable"),
        ("https://console.skytells.ai", "names the Skytells console"),
    ] {
        let mut command = sandbox.command(&["api-key", "set"]);
        command.env("SKYTELLS_AI_API_URL", url);
        let run = sandbox.run_command(command, &format!("{KEY}\n"));
        assert_eq!(run.code, Some(2), "{url}: {run:?}");
        assert!(run.stderr.to_lowercase().contains(&says.to_lowercase()), "{url}: {}", run.stderr);
    }
    assert!(sandbox.nothing_stored());
    // Through a proxy that is never used for loopback: the key goes straight to the API.
    let mut command = models(&sandbox, &["api-key", "set"]);
    command.env("HTTP_PROXY", "http://127.0.0.1:9").env("ALL_PROXY", "http://127.0.0.1:9");
    sandbox.emulator.add_api_key(KEY);
    let run = sandbox.run_command(command, &format!("{KEY}\n"));
    assert_eq!(run.code, Some(0), "{run:?}");
}

#[test]
fn set_on_a_terminal_asks_without_echo() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_api_key(KEY);
    let prompt = "Paste your Skytells API key (input is hidden): ";
    let run = common::in_terminal(
        &models(&sandbox, &["api-key", "update"]),
        TypeWhen::HiddenPromptShown(prompt),
        &format!("{KEY}\n"),
        100,
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(!run.stdout.contains(KEY), "echoed: {}", run.stdout);
    assert_eq!(sandbox.emulator_login()["api_key"], KEY);
}

#[test]
fn logout_keeps_the_api_key_and_says_so_and_all_removes_it() {
    let sandbox = Sandbox::new(|_| {});
    write_emulator_entry(&sandbox, json!({"token": token("ab"), "api_key": KEY}));
    let logout = sandbox.run_command(models(&sandbox, &["logout", "--force"]), "");
    assert_eq!(logout.code, Some(0), "{logout:?}");
    let url = sandbox.emulator.url();
    assert!(
        logout.stdout.contains(&format!("Kept the API key for {url} (`skytells api-key rm` removes it")),
        "{}",
        logout.stdout
    );
    assert_eq!(sandbox.emulator_login(), json!({"api_key": KEY}));

    let all = sandbox.run_command(models(&sandbox, &["logout", "--force", "--all", "--json"]), "");
    assert_eq!(all.code, Some(0), "{all:?}");
    let report = parse(&all.stdout);
    assert_eq!(report["api_keys_removed"], json!([url]));
    assert!(sandbox.nothing_stored(), "{}", sandbox.stored());
}

#[test]
#[cfg(not(target_os = "macos"))] // the Secret Service harness is for Linux and the BSDs
fn a_key_kept_in_the_keyring_leaves_a_marker_and_rm_deletes_it_there() {
    let service = SecretService::start();
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_api_key(KEY);
    let on_bus = |args: &[&str]| {
        let mut command = models(&sandbox, args);
        command.env("DBUS_SESSION_BUS_ADDRESS", &service.address);
        command
    };
    let set = sandbox.run_command(on_bus(&["api-key", "set", "--keyring", "--json"]), KEY);
    assert_eq!(set.code, Some(0), "{set:?}");
    assert_eq!(parse(&set.stdout)["stored_in"], "keyring");
    let origin = sandbox.origin();
    assert_eq!(
        sandbox.emulator_login()["api_key_keyring"],
        json!({"service": "skytells-cli", "user": format!("api_key {origin}")})
    );
    assert!(!sandbox.stored().contains(KEY), "{}", sandbox.stored());
    assert!(service.search().contains(&format!("secret = {KEY}")), "{}", service.search());

    let status = sandbox.run_command(on_bus(&["api-key", "status"]), "");
    assert!(status.stdout.contains("…WXYZ (from system keyring, stored for"), "{status:?}");
    // A logout of the API leaves it in the keyring too.
    sandbox.emulator.add_token(&token("ab"), &[]);
    assert_eq!(sandbox.run_command(on_bus(&["login", "--token"]), &token("ab")).code, Some(0));
    assert_eq!(sandbox.run_command(on_bus(&["logout", "--force"]), "").code, Some(0));
    assert!(service.search().contains(&format!("secret = {KEY}")), "{}", service.search());

    let removed = sandbox.run_command(on_bus(&["api-key", "rm", "--force"]), "");
    assert_eq!(removed.code, Some(0), "{removed:?}");
    assert!(removed.stdout.contains("Deleted it from the system keyring"), "{}", removed.stdout);
    assert!(!service.search().contains(KEY), "{}", service.search());
    assert!(sandbox.nothing_stored(), "{}", sandbox.stored());
}

#[test]
fn a_key_for_one_emulator_is_never_sent_to_another() {
    let sandbox = Sandbox::new(|_| {});
    let other = Emulator::start(Scenario::default()).unwrap();
    sandbox.emulator.add_api_key(KEY);
    assert_eq!(sandbox.run_command(models(&sandbox, &["api-key", "set"]), KEY).code, Some(0));
    let mut command = sandbox.command(&["whoami", "--json"]);
    command.env("SKYTELLS_AI_API_URL", format!("{}/v1", other.url()));
    let run = sandbox.run_command(command, "");
    assert_eq!(parse(&run.stdout)["api_key"], Value::Null, "{run:?}");
    assert!(other.log().iter().all(|entry| entry.api_key_prefix.is_none()), "{:?}", other.log());
}
