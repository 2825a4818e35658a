//! `skytells auth doctor`: each check is seen failing by breaking the thing it checks,
//! through the real binary against the emulator.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};

#[cfg(not(target_os = "macos"))]
use common::secret_service::{SecretService, BARE_BUS};
use common::{token, Sandbox};
use serde_json::Value;
use skytells_emulator::TestAuthority;

const KEY: &str = "sk-live-0123456789abcdefWXYZ";

fn doctor(sandbox: &Sandbox, change: impl FnOnce(&mut Command)) -> (Option<i32>, Value, String) {
    let mut command = sandbox.command(&["auth", "doctor", "--json"]);
    command.env("SKYTELLS_AI_API_URL", format!("{}/v1", sandbox.emulator.url()));
    change(&mut command);
    let run = sandbox.run_command(command, "");
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|error| panic!("{error}: {run:?}"));
    (run.code, report, run.stderr)
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["name"] == name)
        .unwrap_or_else(|| panic!("no {name}: {report}"))
}

fn healthy() -> Sandbox {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    sandbox.emulator.add_api_key(KEY);
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}","scopes":["inference","account.read"]}}"#, token("ab")));
    let origins = sandbox.origins_file();
    let mut file: Value = serde_json::from_slice(&std::fs::read(&origins).unwrap()).unwrap();
    file[sandbox.origin()]["api_key"] = Value::from(KEY);
    std::fs::write(&origins, file.to_string()).unwrap();
    sandbox
}

#[test]
fn a_healthy_setup_passes_every_check_with_one_request_per_api() {
    let sandbox = healthy();
    let (code, report, _) = doctor(&sandbox, |_| {});
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["ok"], true);
    assert_eq!(check(&report, "token accepted")["ok"], true, "{report:#}");
    assert!(
        check(&report, "token")["detail"].as_str().unwrap().ends_with("; scopes inference, account.read"),
        "{report:#}"
    );
    assert_eq!(check(&report, "API key accepted")["ok"], true, "{report:#}");
    let bus = check(&report, "keyring session bus");
    assert_eq!(bus["ok"], true, "the keyring is not used: {report:#}");
    assert!(bus["detail"].as_str().unwrap().contains("not needed: no login is kept there"), "{bus}");
    assert!(
        check(&report, "proxy")["detail"].as_str().unwrap().contains("is this machine, never proxied"),
        "{report:#}"
    );
    let log = sandbox.emulator.log();
    assert_eq!(log.len(), 2, "one request per API: {log:?}");
    for entry in log {
        match entry.path.as_str() {
            "/v1/models" => assert!(entry.bearer_prefix.is_none() && entry.api_key_prefix.is_some()),
            _ => assert!(entry.api_key_prefix.is_none() && entry.bearer_prefix.is_some()),
        }
    }
    let text = sandbox.run_command(
        {
            let mut command = sandbox.command(&["auth", "doctor"]);
            command.env("SKYTELLS_AI_API_URL", format!("{}/v1", sandbox.emulator.url()));
            command
        },
        "",
    );
    assert!(text.stdout.contains("✔ token accepted: the token was accepted by"), "{}", text.stdout);
    assert!(!text.all().contains(KEY) && !text.all().contains(&token("ab")), "a secret was shown");
}

#[test]
fn a_folder_open_to_others_fails_with_chmod() {
    let sandbox = healthy();
    common::set_mode(&sandbox.config_dir(), 0o777);
    let (code, report, stderr) = doctor(&sandbox, |_| {});
    assert_eq!(code, Some(1), "{report:#} {stderr}");
    let folder = check(&report, "config folder");
    assert_eq!(folder["ok"], false);
    assert_eq!(folder["fix"], "chmod 700 ~/config", "{folder}");
    assert_eq!(common::mode(&sandbox.config_dir()), 0o777, "doctor only looks");
}

#[test]
fn a_malformed_environment_token_fails_and_is_never_sent() {
    let sandbox = healthy();
    let (code, report, _) = doctor(&sandbox, |command| {
        command.env("SKYTELLS_TOKEN", "sk_pat_short");
    });
    assert_eq!(code, Some(1));
    let token_check = check(&report, "token");
    assert_eq!(token_check["ok"], false);
    assert!(token_check["detail"].as_str().unwrap().contains("SKYTELLS_TOKEN is not valid"), "{token_check}");
    assert!(token_check["fix"].as_str().unwrap().contains("set SKYTELLS_TOKEN to a valid token"), "{token_check}");
    assert!(sandbox.emulator.log().iter().all(|entry| entry.bearer_prefix.is_none()), "{:?}", sandbox.emulator.log());
}

#[test]
fn a_skewed_server_clock_fails_the_clock_check() {
    let sandbox = healthy();
    sandbox
        .emulator
        .set_scenario(skytells_emulator::Scenario { date_skew_secs: -3_600, ..sandbox.emulator.scenario() });
    let (code, report, _) = doctor(&sandbox, |_| {});
    assert_eq!(code, Some(1));
    let clock = check(&report, "clock");
    assert_eq!(clock["ok"], false, "{report:#}");
    assert!(clock["detail"].as_str().unwrap().contains("ahead of the API's"), "{clock}");
    assert!(clock["fix"].as_str().unwrap().contains("timedatectl set-ntp true"), "{clock}");
}

#[test]
fn a_token_for_another_api_is_not_sent_and_a_rejected_key_fails_with_its_fix() {
    let sandbox = healthy();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (code, report, _) = doctor(&sandbox, |command| {
        command.env("SKYTELLS_API_URL", format!("http://127.0.0.1:{closed}"));
        command.env("SKYTELLS_API_KEY", "sk-live-not-the-right-one-0000");
    });
    assert_eq!(code, Some(1));
    // The token stored for the emulator is not for this API: nothing is sent there.
    assert_eq!(check(&report, "token")["ok"], false, "{report:#}");
    let key = check(&report, "API key accepted");
    assert_eq!(key["ok"], false, "{report:#}");
    assert!(key["fix"].as_str().unwrap().contains("run `skytells api-key set`"), "{key}");
}

#[test]
fn an_untrusted_certificate_fails_tls_before_anything_is_sent() {
    let authority = TestAuthority::generate().unwrap();
    let sandbox = Sandbox::with_tls(&authority, |_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    let mut command = sandbox.command(&["auth", "doctor", "--json"]);
    command.env("SKYTELLS_TOKEN", token("ab")).env("HTTPS_PROXY", "http://proxy.corp.example:3128");
    command.env("NO_PROXY", "").env("SKYTELLS_AI_API_URL", format!("{}/v1", sandbox.emulator.url()));
    let run = sandbox.run_command(command, "");
    assert_eq!(run.code, Some(1), "{run:?}");
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let tls = check(&report, "TLS");
    assert_eq!(tls["ok"], false, "{report:#}");
    assert!(tls["fix"].as_str().unwrap().contains("set SSL_CERT_FILE"), "{tls}");
    assert!(sandbox.emulator.log().is_empty(), "nothing was sent: {:?}", sandbox.emulator.log());
}

#[test]
fn a_credentials_file_of_another_user_fails_with_remove_and_log_in_again() {
    let sandbox = healthy();
    let origins = sandbox.origins_file();
    std::os::unix::fs::chown(&origins, Some(65_534), Some(65_534)).unwrap();
    let (code, report, stderr) = doctor(&sandbox, |_| {});
    assert_eq!(code, Some(1), "{report:#} {stderr}");
    let file = check(&report, "credentials file");
    assert_eq!(file["ok"], false, "{report:#}");
    assert!(file["detail"].as_str().unwrap().contains("belongs to another user (uid 65534)"), "{file}");
    assert_eq!(file["fix"], "Remove it (rm ~/config/origins.json) and log in again.", "{file}");
}

#[test]
fn a_symbolic_link_in_the_folder_fails_and_is_not_followed() {
    let sandbox = healthy();
    let origins = sandbox.origins_file();
    let elsewhere = sandbox.home.path().join("elsewhere.json");
    std::fs::rename(&origins, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &origins).unwrap();
    let (code, report, stderr) = doctor(&sandbox, |_| {});
    assert_eq!(code, Some(1), "{report:#} {stderr}");
    let file = check(&report, "credentials file");
    assert_eq!(file["ok"], false, "{report:#}");
    assert!(file["detail"].as_str().unwrap().contains("is a symbolic link, which is never followed"), "{file}");
    assert_eq!(file["fix"], "Remove it (rm ~/config/origins.json) and log in again.", "{file}");
    assert!(sandbox.emulator.log().iter().all(|entry| entry.bearer_prefix.is_none()), "{:?}", sandbox.emulator.log());
}

#[test]
fn with_no_credential_each_api_still_gets_one_request_that_carries_nothing() {
    let sandbox = Sandbox::new(|scenario| scenario.date_skew_secs = -3_600);
    let (code, report, _) = doctor(&sandbox, |_| {});
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(check(&report, "token")["ok"], false, "{report:#}");
    for name in ["API reachable", "models API reachable"] {
        let reach = check(&report, name);
        assert_eq!(reach["ok"], true, "{report:#}");
        assert!(reach["detail"].as_str().unwrap().contains("(with no credential)"), "{reach}");
    }
    let clock = check(&report, "clock");
    assert_eq!(clock["ok"], false, "{report:#}");
    assert!(clock["detail"].as_str().unwrap().contains("3600 s ahead of the API's"), "{clock}");
    let log = sandbox.emulator.log();
    assert_eq!(log.len(), 2, "one request per API: {log:?}");
    assert!(log.iter().all(|entry| !entry.authorized && entry.api_key_prefix.is_none()), "{log:?}");
}

#[test]
fn a_proxy_for_a_remote_api_is_named_and_never_sees_a_secret() {
    // The emulator stands in as the proxy and logs the CONNECT it is asked for (which it
    // refuses): the API's name is never resolved here, so nothing leaves the machine.
    let proxy = Sandbox::new(|_| {});
    let sandbox = Sandbox::new(|_| {});
    let (code, report, _) = doctor(&sandbox, |command| {
        command
            .env("SKYTELLS_API_URL", "https://api.example.test")
            .env("https_proxy", proxy.emulator.url())
            .env("SKYTELLS_TOKEN", token("ab"));
    });
    assert_eq!(code, Some(1), "{report:#}");
    let named = check(&report, "proxy");
    let expected = format!("goes through the proxy {} (from https_proxy)", proxy.emulator.url());
    assert!(named["detail"].as_str().unwrap().contains(&expected), "{named}");
    let models = check(&report, "proxy (models API)");
    assert!(models["detail"].as_str().unwrap().contains("is this machine, never proxied"), "{models}");
    let reach = check(&report, "API reachable");
    assert_eq!(reach["ok"], false, "{report:#}");
    assert!(
        reach["fix"].as_str().unwrap().starts_with(&format!("Check the proxy {}", proxy.emulator.url())),
        "{reach}"
    );
    let log = proxy.emulator.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!((log[0].method.as_str(), log[0].path.as_str()), ("CONNECT", "api.example.test:443"));
    assert!(!log[0].authorized, "the proxy never sees the token");
}

/// A proxy that tunnels every CONNECT to `target`, whatever host it names, as a
/// TLS-inspecting proxy answers with a certificate of its own. Returns its URL and the
/// CONNECT lines it was sent.
fn tunnel_to(target: std::net::SocketAddr) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let asked = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&asked);
    std::thread::spawn(move || {
        for client in listener.incoming().map_while(Result::ok) {
            let mut reader = BufReader::new(client.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            record.lock().unwrap().push(line.trim().to_owned());
            while !matches!(reader.read_line(&mut String::new()), Ok(0..=2)) {}
            let mut client = client;
            client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").unwrap();
            let server = TcpStream::connect(target).unwrap();
            let (mut up, mut down) = (server.try_clone().unwrap(), client.try_clone().unwrap());
            std::thread::spawn(move || std::io::copy(&mut reader, &mut up));
            std::thread::spawn(move || std::io::copy(&mut { server }, &mut down));
        }
    });
    (url, asked)
}

#[test]
fn an_untrusted_certificate_through_a_proxy_names_a_tls_inspecting_proxy_as_the_likely_cause() {
    let authority = TestAuthority::generate().unwrap();
    let inspecting = Sandbox::with_tls(&authority, |_| {});
    let target = inspecting.emulator.url().trim_start_matches("https://").parse().unwrap();
    let (proxy, asked) = tunnel_to(target);
    let sandbox = Sandbox::new(|_| {});
    let (code, report, _) = doctor(&sandbox, |command| {
        command
            .env("SKYTELLS_API_URL", "https://api.example.test")
            .env("HTTPS_PROXY", &proxy)
            .env("SKYTELLS_TOKEN", token("ab"));
    });
    assert_eq!(code, Some(1), "{report:#}");
    let tls = check(&report, "TLS");
    assert_eq!(tls["ok"], false, "{report:#}");
    let detail = tls["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("goes through the proxy {proxy}, so a TLS-inspecting proxy is the likely cause")),
        "{tls}"
    );
    let fix = tls["fix"].as_str().unwrap();
    assert!(fix.contains("set SSL_CERT_FILE") && fix.contains("unset HTTPS_PROXY"), "{tls}");
    assert_eq!(*asked.lock().unwrap(), ["CONNECT api.example.test:443 HTTP/1.1"]);
    assert!(inspecting.emulator.log().is_empty(), "nothing was sent: {:?}", inspecting.emulator.log());
}

#[test]
#[cfg(not(target_os = "macos"))] // the Secret Service harness is for Linux and the BSDs
fn a_login_in_a_locked_keyring_fails_the_lock_check_with_unlock() {
    let service = SecretService::start();
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("7c"), &[]);
    let mut login = sandbox.command(&["login", "--token", "--keyring"]);
    login.env("DBUS_SESSION_BUS_ADDRESS", &service.address);
    assert_eq!(sandbox.run_command(login, &token("7c")).code, Some(0));
    service.lock();
    let before = sandbox.emulator.log().len();
    let (code, report, _) = doctor(&sandbox, |command| {
        command.env("DBUS_SESSION_BUS_ADDRESS", &service.address);
    });
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(check(&report, "keyring session bus")["ok"], true, "{report:#}");
    assert_eq!(check(&report, "keyring provider")["ok"], true, "{report:#}");
    let locked = check(&report, "keyring locked");
    assert_eq!(locked["ok"], false, "{report:#}");
    assert!(locked["fix"].as_str().unwrap().starts_with("Unlock the keyring"), "{locked}");
    let items = check(&report, "keyring items");
    assert_eq!(items["detail"], format!("this program's: token {}", sandbox.origin()), "{items}");
    let log = sandbox.emulator.log();
    assert!(log[before..].iter().all(|entry| !entry.authorized), "the token was not read, so not sent: {log:?}");
}

#[test]
#[cfg(not(target_os = "macos"))] // the Secret Service harness is for Linux and the BSDs
fn a_login_in_a_keyring_with_no_bus_or_no_provider_fails_with_the_fix_for_each() {
    let sandbox = Sandbox::new(|_| {});
    let user = format!("token {}", sandbox.origin());
    let marker = serde_json::json!({ sandbox.origin(): {"token_keyring": {"service": "skytells-cli", "user": user}} });
    std::fs::create_dir_all(sandbox.config_dir()).unwrap();
    common::set_mode(&sandbox.config_dir(), 0o700);
    std::fs::write(sandbox.origins_file(), marker.to_string()).unwrap();
    common::set_mode(&sandbox.origins_file(), 0o600);

    let (code, report, _) = doctor(&sandbox, |_| {});
    assert_eq!(code, Some(1), "{report:#}");
    let bus = check(&report, "keyring session bus");
    assert_eq!(bus["ok"], false, "{report:#}");
    assert!(bus["detail"].as_str().unwrap().contains("DBUS_SESSION_BUS_ADDRESS is not set"), "{bus}");
    assert!(bus["fix"].as_str().unwrap().starts_with("Run skytells in your desktop session"), "{bus}");

    let service = SecretService::bus_only(Some(BARE_BUS));
    let (code, report, _) = doctor(&sandbox, |command| {
        command.env("DBUS_SESSION_BUS_ADDRESS", &service.address);
    });
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(check(&report, "keyring session bus")["ok"], true, "{report:#}");
    let provider = check(&report, "keyring provider");
    assert_eq!(provider["ok"], false, "{report:#}");
    let detail = provider["detail"].as_str().unwrap();
    assert!(detail.contains("nothing on the D-Bus session provides the Secret Service"), "{provider}");
    let fix = provider["fix"].as_str().unwrap();
    assert!(fix.starts_with("Start a keyring that provides the Secret Service"), "{provider}");
}
