//! `--keyring` against a real Secret Service (GNOME Keyring on a private D-Bus session
//! bus), and the ways a keyring can be missing: no session bus, nothing providing the
//! service, a locked collection. Each must be a clear error in bounded time.

// The Secret Service exists on Linux and the BSDs only; the Keychain and the Credential Manager are not tested here (README, "What is tested where").
#![cfg(all(unix, not(target_os = "macos")))]

mod common;

use std::process::Command;

use common::secret_service::SecretService;
use common::{token, Run, Sandbox};

/// `skytells ARGS` talking to `service`'s bus.
fn on_bus(sandbox: &Sandbox, service: &SecretService, args: &[&str]) -> Command {
    let mut command = sandbox.command(args);
    command.env("DBUS_SESSION_BUS_ADDRESS", &service.address);
    command
}

/// A session bus that starts nothing on demand: what is on it is what a test puts there.
const BARE_BUS: &str = r#"<busconfig><type>session</type><listen>unix:dir=FOLDER</listen>
    <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
    </busconfig>"#;

fn file_text(sandbox: &Sandbox) -> String {
    std::fs::read_to_string(sandbox.credentials()).unwrap_or_default()
}

#[test]
fn a_token_and_a_key_kept_in_the_keyring_leave_only_markers_in_the_file_and_move_back() {
    let service = SecretService::start();
    let sandbox = Sandbox::new(|_| {});
    let secret = token("7c");
    sandbox.emulator.add_token(&secret, &[]);
    sandbox.emulator.add_access_key("sk_proj_kept_in_keyring", "Kept");

    // In the file first, then moved into the keyring as README shows:
    // `skytells auth token | skytells login --token --keyring`.
    assert_eq!(sandbox.run(&["login", "--token"], &secret).code, Some(0));
    let printed = sandbox.run(&["auth", "token"], "");
    let login =
        sandbox.run_command(on_bus(&sandbox, &service, &["login", "--token", "--keyring", "--json"]), &printed.stdout);
    assert_eq!(login.code, Some(0), "{login:?}");
    let report: serde_json::Value = serde_json::from_str(&login.stdout).unwrap();
    assert_eq!(report["stored_in"], "keyring");
    let link = sandbox.run_command(on_bus(&sandbox, &service, &["link", "sk_proj_kept_in_keyring", "--keyring"]), "");
    assert_eq!(link.code, Some(0), "{link:?}");
    assert!(link.stdout.contains("Access key saved to the system keyring"), "{}", link.stdout);

    let file = file_text(&sandbox);
    assert!(!file.contains(&secret) && !file.contains("sk_proj_kept"), "a secret is in the file: {file}");
    let login_entry = &sandbox.emulator_login();
    assert_eq!(login_entry["token_keyring"]["service"], "skytells-cli", "{file}");
    assert_eq!(login_entry["access_key_keyring"]["user"], format!("access_key {}", sandbox.origin()));
    let stored = service.search();
    assert!(stored.contains(&format!("secret = {secret}")), "{stored}");
    assert!(stored.contains("secret = sk_proj_kept_in_keyring"), "{stored}");
    assert!(stored.contains(&format!("attribute.username = token {}", sandbox.origin())), "{stored}");

    let whoami = sandbox.run_command(on_bus(&sandbox, &service, &["whoami"]), "");
    assert_eq!(whoami.code, Some(0), "{whoami:?}");
    assert!(whoami.stdout.contains("Token:       sk_pat_7c7c… (from system keyring, stored for"), "{}", whoami.stdout);
    assert!(whoami.stdout.contains("key sk_proj_kept… from system keyring"), "{}", whoami.stdout);
    let printed = sandbox.run_command(on_bus(&sandbox, &service, &["auth", "token"]), "");
    assert_eq!(printed.stdout, format!("{secret}\n"));

    // Back to the file, as README shows: `skytells auth token | skytells login --token`.
    let back = sandbox.run_command(on_bus(&sandbox, &service, &["login", "--token"]), &printed.stdout);
    assert_eq!(back.code, Some(0), "{back:?}");
    assert_eq!(sandbox.emulator_login()["token"], secret.as_str());
    assert!(sandbox.emulator_login().get("token_keyring").is_none(), "{}", file_text(&sandbox));
    assert!(!service.search().contains(&secret), "the keyring copy stayed: {}", service.search());

    let logout = sandbox.run_command(on_bus(&sandbox, &service, &["logout", "--force"]), "");
    assert_eq!(logout.code, Some(0), "{logout:?}");
    assert!(logout.stdout.contains("Deleted 1 secret(s) from the system keyring"), "{}", logout.stdout);
    assert!(!service.search().contains("sk_proj_kept"), "{}", service.search());
    assert!(!sandbox.credentials().exists());
}

fn assert_refused_in_bounded_time(run: &Run, says: &str) {
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains(says), "{}", run.stderr);
    assert!(run.stderr.contains("Nothing was saved. Run the command without --keyring"), "{}", run.stderr);
}

#[test]
fn without_a_session_bus_or_a_provider_keyring_use_is_a_clear_error_and_saves_nothing() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("7c"), &[]);
    let no_bus = sandbox.run(&["login", "--token", "--keyring"], &token("7c"));
    assert_refused_in_bounded_time(&no_bus, "no D-Bus session: DBUS_SESSION_BUS_ADDRESS is not set");
    assert!(!sandbox.credentials().exists());

    let service = SecretService::bus_only(Some(BARE_BUS));
    let no_provider = sandbox.run_command(on_bus(&sandbox, &service, &["login", "--token", "--keyring"]), &token("7c"));
    assert_refused_in_bounded_time(&no_provider, "nothing on the D-Bus session provides the Secret Service");
    assert!(!sandbox.credentials().exists());
}

#[test]
fn a_locked_keyring_is_a_clear_error_not_a_wait_for_a_prompt() {
    let service = SecretService::start();
    let sandbox = Sandbox::new(|_| {});
    let secret = token("7c");
    sandbox.emulator.add_token(&secret, &[]);
    let login = sandbox.run_command(on_bus(&sandbox, &service, &["login", "--token", "--keyring"]), &secret);
    assert_eq!(login.code, Some(0), "{login:?}");
    let before = file_text(&sandbox);
    service.lock();

    let whoami = sandbox.run_command(on_bus(&sandbox, &service, &["whoami"]), "");
    assert_eq!(whoami.code, Some(1), "{whoami:?}");
    assert!(
        whoami.stderr.contains("is kept in the system keyring, which could not be read: the system keyring is locked"),
        "{}",
        whoami.stderr
    );
    let again = sandbox.run_command(on_bus(&sandbox, &service, &["login", "--token", "--keyring"]), &secret);
    assert_refused_in_bounded_time(&again, "the system keyring is locked");
    assert_eq!(file_text(&sandbox), before, "the file changed");
}

#[test]
fn a_provider_that_never_answers_is_given_up_on() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("7c"), &[]);
    let service = SecretService::bus_only(Some(BARE_BUS));
    // This connection owns the Secret Service's name and never reads a message: every
    // call to it waits for an answer that does not come.
    let mut channel = dbus::channel::Channel::open_private(&service.address).unwrap();
    channel.register().unwrap();
    let silent = dbus::blocking::Connection::from(channel);
    silent.request_name("org.freedesktop.secrets", false, true, true).unwrap();
    let run = sandbox.run_command(on_bus(&sandbox, &service, &["login", "--token", "--keyring"]), &token("7c"));
    assert_refused_in_bounded_time(&run, "the system keyring did not answer");
    assert!(!sandbox.credentials().exists());
    drop(silent);
}
