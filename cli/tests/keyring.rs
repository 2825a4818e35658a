//! `--keyring` against a real Secret Service (GNOME Keyring on a private D-Bus session
//! bus), and the ways a keyring can be missing: no session bus, nothing providing the
//! service, a locked collection. Each must be a clear error in bounded time.

// The Secret Service exists on Linux and the BSDs only; the Keychain and the Credential Manager are not tested here (README, "What is tested where").
#![cfg(all(unix, not(target_os = "macos")))]

mod common;

use std::process::Command;

use common::secret_service::{SecretService, BARE_BUS};
use common::{token, Run, Sandbox};

/// `skytells ARGS` talking to `service`'s bus.
fn on_bus(sandbox: &Sandbox, service: &SecretService, args: &[&str]) -> Command {
    let mut command = sandbox.command(args);
    command.env("DBUS_SESSION_BUS_ADDRESS", &service.address);
    command
}

/// A Secret Service, and a sandbox logged in to its emulator with the token in the keyring.
fn logged_in_with_keyring() -> (SecretService, Sandbox, String) {
    let service = SecretService::start();
    let sandbox = Sandbox::new(|_| {});
    let secret = token("7c");
    sandbox.emulator.add_token(&secret, &[]);
    let login = sandbox.run_command(on_bus(&sandbox, &service, &["login", "--token", "--keyring"]), &secret);
    assert_eq!(login.code, Some(0), "{login:?}");
    (service, sandbox, secret)
}

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
    assert!(sandbox.nothing_stored());
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
    assert!(sandbox.nothing_stored());

    let service = SecretService::bus_only(Some(BARE_BUS));
    let no_provider = sandbox.run_command(on_bus(&sandbox, &service, &["login", "--token", "--keyring"]), &token("7c"));
    assert_refused_in_bounded_time(&no_provider, "nothing on the D-Bus session provides the Secret Service");
    assert!(sandbox.nothing_stored());
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
    assert!(sandbox.nothing_stored());
    drop(silent);
}

/// `skytells ARGS` with its config in `folder`, against `api`, on `service`'s bus.
fn in_folder(
    sandbox: &Sandbox,
    service: &SecretService,
    folder: &std::path::Path,
    api: &str,
    args: &[&str],
) -> Command {
    let mut command = on_bus(sandbox, service, args);
    command.env("SKYTELLS_CONFIG_DIR", folder).env("SKYTELLS_API_URL", api);
    command
}

fn private_folder(path: &std::path::Path) {
    std::fs::create_dir_all(path).unwrap();
    common::set_mode(path, 0o700);
}

#[test]
fn a_marker_in_a_prepared_folder_reaches_neither_another_apis_secret_nor_another_applications() {
    let service = SecretService::start();
    let sandbox = Sandbox::new(|_| {});
    // API A holds the victim's real login, kept in the keyring; B is the API a hostile
    // repository's `.envrc` names, with a config folder it prepared.
    let api_a = skytells_emulator::Emulator::start(skytells_emulator::Scenario::default()).unwrap();
    let secret_a = token("a1");
    api_a.add_token(&secret_a, &[]);
    let mine = sandbox.home.path().join("mine");
    let login = sandbox
        .run_command(in_folder(&sandbox, &service, &mine, &api_a.url(), &["login", "--token", "--keyring"]), &secret_a);
    assert_eq!(login.code, Some(0), "{login:?}");
    service.plant(&[("service", "gh:github.com"), ("username", "ada")], b"gho_another_applications_secret");

    let prepared = sandbox.home.path().join("repo/.skytells");
    private_folder(&prepared);
    let origins = serde_json::json!({ sandbox.origin(): {"token_keyring": {"service": "skytells-cli", "user": format!("token {}", api_a.url())}} });
    std::fs::write(prepared.join("origins.json"), origins.to_string()).unwrap();
    for args in [&["whoami"][..], &["whoami", "--json"], &["auth", "token"], &["whoami", "--offline"]] {
        let run = sandbox.run_command(in_folder(&sandbox, &service, &prepared, &sandbox.origin(), args), "");
        assert_ne!(run.code, Some(0), "{args:?}: {run:?}");
        assert!(run.all().contains("names a keyring entry that is not this login's own"), "{args:?}: {run:?}");
        assert!(!run.all().contains(&secret_a[..20]), "{args:?}: {run:?}");
    }
    assert!(sandbox.emulator.log().iter().all(|entry| entry.bearer_prefix.is_none()), "{:?}", sandbox.emulator.log());

    // The default API's marker names another application's item: never printed or deleted.
    std::fs::remove_file(prepared.join("origins.json")).unwrap();
    std::fs::write(prepared.join("credentials.json"), r#"{"token_keyring":{"service":"gh:github.com","user":"ada"}}"#)
        .unwrap();
    let mut printed = in_folder(&sandbox, &service, &prepared, "https://console.skytells.ai", &["auth", "token"]);
    printed.env_remove("SKYTELLS_API_URL");
    let run = sandbox.run_command(printed, "");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(!run.all().contains("gho_another"), "{run:?}");
    let mut logout = in_folder(&sandbox, &service, &prepared, "", &["logout", "--force"]);
    logout.env_remove("SKYTELLS_API_URL");
    let run = sandbox.run_command(logout, "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(service.search_by("service", "gh:github.com").contains("gho_another_applications_secret"), "deleted");
    assert!(service.search().contains(&secret_a), "A's login was touched: {}", service.search());
}

#[test]
fn what_the_keyring_holds_is_checked_like_what_the_file_holds() {
    let (service, sandbox, secret) = logged_in_with_keyring();
    let entry = format!("token {}", sandbox.origin());
    // Another item with our attributes and one more: not ours, never read.
    service.plant(&[("service", "skytells-cli"), ("username", &entry), ("planted", "yes")], token("ee").as_bytes());
    let printed = sandbox.run_command(on_bus(&sandbox, &service, &["auth", "token"]), "");
    assert_eq!(printed.stdout, format!("{secret}\n"), "{printed:?}");

    // What is at our own entry, replaced by something that cannot go in a header, or is
    // not text: refused before any request, with the fix.
    for (bad, says) in [
        (format!("{secret}\r\nX-Injected: 1").into_bytes(), "cannot be a credential"),
        (b"sk_pat_\xff\xfe".to_vec(), "other than text"),
    ] {
        service.clear(&[("service", "skytells-cli"), ("username", &entry)]);
        service.plant(&[("service", "skytells-cli"), ("username", &entry)], &bad);
        let before = sandbox.emulator.log().len();
        let run = sandbox.run_command(on_bus(&sandbox, &service, &["whoami"]), "");
        assert_eq!(run.code, Some(1), "{run:?}");
        assert!(run.stderr.contains(says) && run.stderr.contains("Run `skytells logout`"), "{}", run.stderr);
        assert_eq!(sandbox.emulator.log().len(), before, "a request was sent");
    }
}

#[test]
fn a_logout_the_keyring_refuses_keeps_the_login_says_so_and_finishes_later() {
    let (service, sandbox, secret) = logged_in_with_keyring();

    // No session bus: the item cannot be deleted, so the marker stays with it.
    let run = sandbox.run(&["logout", "--force", "--json"], "");
    assert_eq!(run.code, Some(1), "{run:?}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["complete"], false, "{report}");
    assert_eq!(report["kept_in_keyring"], serde_json::json!([format!("token {}", sandbox.origin())]));
    assert!(
        run.stderr.contains("Run `skytells logout` again in the desktop session that has the keyring"),
        "{}",
        run.stderr
    );
    assert!(sandbox.emulator_login().get("token_keyring").is_some(), "{}", sandbox.stored());
    assert!(service.search().contains(&secret));

    let run = sandbox.run_command(on_bus(&sandbox, &service, &["logout", "--force"]), "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("Deleted 1 secret(s) from the system keyring"), "{}", run.stdout);
    assert!(!service.search().contains(&secret));
    assert!(sandbox.nothing_stored(), "{}", sandbox.stored());
}

#[test]
fn an_item_a_killed_login_left_in_the_keyring_is_found_and_deleted_by_logout() {
    let service = SecretService::start();
    let sandbox = Sandbox::new(|_| {});
    let other = format!("token {}", "https://other.example.com");
    service.plant(
        &[("service", "skytells-cli"), ("username", &format!("token {}", sandbox.origin()))],
        token("0d").as_bytes(),
    );
    service.plant(&[("service", "skytells-cli"), ("username", &other)], token("0e").as_bytes());
    let run = sandbox.run_command(on_bus(&sandbox, &service, &["logout", "--force"]), "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout.contains("Deleted 1 item(s) from the system keyring that no login pointed to"),
        "{}",
        run.stdout
    );
    let left = service.search();
    assert!(!left.contains(&token("0d")), "{left}");
    assert!(left.contains(&token("0e")), "another API's item went too: {left}");
}

#[test]
fn an_unusable_keyring_blocks_only_what_is_kept_there() {
    let service = SecretService::start();
    let sandbox = Sandbox::new(|_| {});
    let secret = token("7c");
    sandbox.emulator.add_token(&secret, &[]);
    sandbox.emulator.add_access_key("sk_proj_in_keyring", "Kept");
    assert_eq!(sandbox.run(&["login", "--token"], &secret).code, Some(0));
    assert_eq!(
        sandbox.run_command(on_bus(&sandbox, &service, &["link", "sk_proj_in_keyring", "--keyring"]), "").code,
        Some(0)
    );

    // No session bus at all: the token in the file still works.
    let printed = sandbox.run(&["auth", "token"], "");
    assert_eq!((printed.code, printed.stdout.as_str()), (Some(0), format!("{secret}\n").as_str()), "{printed:?}");
    let offline = sandbox.run(&["whoami", "--offline"], "");
    assert_eq!(offline.code, Some(0), "{offline:?}");
    assert!(offline.stdout.contains("Token:       sk_pat_7c7c…"), "{}", offline.stdout);
    assert!(
        offline.stdout.contains("Project:     key in the system keyring, which could not be read"),
        "{}",
        offline.stdout
    );
    assert!(!offline.all().contains("Unlock the keyring"), "advice for another cause: {offline:?}");
    assert!(offline.all().contains("desktop session that has the keyring"), "{offline:?}");

    // A locked keyring, with the token kept there too: one JSON object, the failure in it.
    assert_eq!(
        sandbox.run_command(on_bus(&sandbox, &service, &["login", "--token", "--keyring"]), &secret).code,
        Some(0)
    );
    service.lock();
    let json = sandbox.run_command(on_bus(&sandbox, &service, &["whoami", "--json"]), "");
    assert_eq!(json.code, Some(1), "{json:?}");
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["status"], "keyring_unreadable", "{report}");
    assert!(report["error"].as_str().unwrap().contains("Unlock the keyring"), "{report}");
}

#[test]
fn a_login_kept_in_the_keyring_counts_and_leaving_it_is_said() {
    let (service, sandbox, secret) = logged_in_with_keyring();
    let run = common::in_terminal(
        &on_bus(&sandbox, &service, &["login", "--no-browser"]),
        common::TypeWhen::Shown("[y/N]"),
        "n\n",
        100,
    );
    assert!(run.stdout.contains("You are already logged in to"), "{run:?}");
    assert!(run.stdout.contains("Kept your current login."), "{run:?}");

    let back = sandbox.run_command(on_bus(&sandbox, &service, &["login", "--token"]), &secret);
    assert_eq!(back.code, Some(0), "{back:?}");
    assert!(
        back.stderr.contains(
            "your current token is kept in the system keyring; this login keeps the new one in the credentials file"
        ),
        "{}",
        back.stderr
    );
    assert!(
        back.stdout.contains("(moved out of the system keyring, where the previous token was kept)"),
        "{}",
        back.stdout
    );
}

#[test]
fn a_keyring_login_that_cannot_take_the_lock_leaves_the_previous_login_working() {
    let service = SecretService::start();
    let sandbox = Sandbox::new(|_| {});
    let (first, second) = (token("7c"), token("8d"));
    sandbox.emulator.add_token(&first, &[]);
    sandbox.emulator.add_token(&second, &[]);
    assert_eq!(
        sandbox.run_command(on_bus(&sandbox, &service, &["login", "--token", "--keyring"]), &first).code,
        Some(0)
    );
    // Another process holds the lock (this test, standing in for a stuck writer).
    let lock = std::fs::File::create(sandbox.config_dir().join(".credentials.json.lock")).unwrap();
    lock.lock().unwrap();
    let run = sandbox.run_command(on_bus(&sandbox, &service, &["login", "--token", "--keyring"]), &second);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("gave up after 10 s waiting for the lock"), "{}", run.stderr);
    drop(lock);
    let printed = sandbox.run_command(on_bus(&sandbox, &service, &["auth", "token"]), "");
    assert_eq!(printed.stdout, format!("{first}\n"), "the previous login is gone: {printed:?}");
}

#[test]
fn keyring_logins_racing_logouts_leave_no_marker_without_its_item_and_no_item_without_a_marker() {
    let service = SecretService::start();
    let sandbox = Sandbox::new(|_| {});
    let secret = token("7c");
    sandbox.emulator.add_token(&secret, &[]);
    for round in 0..8 {
        let login = sandbox.spawn_with_input(
            on_bus(&sandbox, &service, &["login", "--token", "--keyring"]),
            format!("{secret}\n").as_bytes(),
        );
        let logout = sandbox.spawn(on_bus(&sandbox, &service, &["logout", "--force"]));
        let login: Run = login.wait_with_output().unwrap().into();
        let _ = logout.wait_with_output().unwrap();
        assert_eq!(login.code, Some(0), "round {round}: {login:?}");
        // Whichever went first, the file and the keyring agree.
        let marker = sandbox.emulator_login().get("token_keyring").is_some();
        let item = service.search().contains(&secret);
        assert_eq!(marker, item, "round {round}: marker {marker}, item {item}; {}", sandbox.stored());
    }
}

#[test]
fn a_session_bus_another_user_serves_is_given_no_secret() {
    // The bus a hostile `.envrc` could name: served by another user (nobody), listening in
    // a folder that user owns. Its Secret Service would receive what `--keyring` stores.
    let folder = tempfile::Builder::new().prefix("skytells-foreign-bus").tempdir().unwrap();
    common::set_mode(folder.path(), 0o777);
    let config = folder.path().join("bus.conf");
    std::fs::write(&config, BARE_BUS.replace("FOLDER", &folder.path().display().to_string())).unwrap();
    let mut bus = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "dbus-daemon", "--nofork", "--print-address=1"])
        .arg(format!("--config-file={}", config.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut address = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(bus.stdout.take().unwrap()), &mut address).unwrap();
    let sandbox = Sandbox::new(|_| {});
    let secret = token("7c");
    sandbox.emulator.add_token(&secret, &[]);
    let mut login = sandbox.command(&["login", "--token", "--keyring"]);
    login.env("DBUS_SESSION_BUS_ADDRESS", address.trim());
    let run = sandbox.run_command(login, &secret);
    let _ = bus.kill();
    let _ = bus.wait();
    assert_refused_in_bounded_time(&run, "is served by another user (uid 65534)");
    assert!(sandbox.nothing_stored(), "{}", sandbox.stored());
}

#[test]
fn two_items_answering_to_one_entry_are_refused_not_picked_and_logout_clears_both() {
    let (service, sandbox, _) = logged_in_with_keyring();
    // Another program files an item under our attributes in another collection: which of
    // the two is ours cannot be told, so neither is used (a search returns both).
    let entry = format!("token {}", sandbox.origin());
    service.plant_in("session", &[("service", "skytells-cli"), ("username", &entry)], token("ee").as_bytes());
    let run = sandbox.run_command(on_bus(&sandbox, &service, &["auth", "token"]), "");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("holds 2 items for that entry"), "{}", run.stderr);
    assert!(!run.stdout.contains("sk_pat_"), "{run:?}");
    let run = sandbox.run_command(on_bus(&sandbox, &service, &["logout", "--force"]), "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(!service.search().contains("sk_pat_"), "{}", service.search());
}

#[test]
fn a_keyring_item_that_is_not_text_is_replaced_by_a_new_keyring_login() {
    let (service, sandbox, secret) = logged_in_with_keyring();
    let entry = format!("token {}", sandbox.origin());
    service.clear(&[("service", "skytells-cli"), ("username", &entry)]);
    service.plant(&[("service", "skytells-cli"), ("username", &entry)], b"\xff\xfe");
    let run = sandbox.run_command(on_bus(&sandbox, &service, &["login", "--token", "--keyring"]), &secret);
    assert_eq!(run.code, Some(0), "{run:?}");
    let printed = sandbox.run_command(on_bus(&sandbox, &service, &["auth", "token"]), "");
    assert_eq!(printed.stdout, format!("{secret}\n"), "{printed:?}");
}
