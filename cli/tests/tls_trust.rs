//! Behind a TLS-inspecting proxy the API's certificate comes from an authority that only
//! the machine's store (or `SSL_CERT_FILE`) knows. The CLI trusts what the machine trusts,
//! refuses anything else before a credential leaves, and says how to fix it.

// A Unix-host harness (Unix modes, `sh` scripts, util-linux `script`, /proc). Windows runs
// it from the Linux host against skytells.exe under Wine (scripts/wine-tests.sh).
#![cfg(unix)]

mod common;

use common::{token, Sandbox};
use skytells_emulator::TestAuthority;

/// The authority's certificate, written where `SSL_CERT_FILE` can name it.
fn authority_file(sandbox: &Sandbox, authority: &TestAuthority) -> std::path::PathBuf {
    let path = sandbox.home.path().join("corporate-root.pem");
    std::fs::write(&path, authority.ca_pem()).unwrap();
    path
}

fn assert_refused_untrusted(run: &common::Run) {
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("TLS certificate is not trusted"), "{}", run.stderr);
    assert!(run.stderr.contains("Nothing was sent"), "{}", run.stderr);
    assert!(run.stderr.contains("set SSL_CERT_FILE to a PEM file with its root certificate"), "{}", run.stderr);
}

#[test]
fn login_with_a_token_refuses_an_unknown_authority_before_sending_the_token() {
    let authority = TestAuthority::generate().unwrap();
    let sandbox = Sandbox::with_tls(&authority, |_| {});
    let secret = token("7a");
    sandbox.emulator.add_token(&secret, &[]);

    let refused = sandbox.run(&["login", "--token"], &secret);
    assert_refused_untrusted(&refused);
    assert!(sandbox.emulator.log().is_empty(), "a request reached the API: {:?}", sandbox.emulator.log());
    assert!(sandbox.nothing_stored(), "nothing is saved");

    let mut trusting = sandbox.command(&["login", "--token"]);
    trusting.env("SSL_CERT_FILE", authority_file(&sandbox, &authority));
    let accepted = sandbox.run_command(trusting, &secret);
    assert_eq!(accepted.code, Some(0), "{accepted:?}");
    assert_eq!(sandbox.emulator_login()["token"], secret.as_str());
    assert!(sandbox.emulator.log().iter().all(|entry| entry.authorized), "{:?}", sandbox.emulator.log());
}

#[test]
fn whoami_and_device_login_trust_the_authority_only_through_ssl_cert_file() {
    let authority = TestAuthority::generate().unwrap();
    let sandbox = Sandbox::with_tls(&authority, |scenario| scenario.approve_after_polls = Some(0));
    let secret = token("5c");
    sandbox.emulator.add_token(&secret, &[]);
    sandbox.write_emulator_login(&format!(r#"{{"token":"{secret}"}}"#));

    assert_refused_untrusted(&sandbox.run(&["whoami"], ""));
    // Not retried either: no poll could ever get through.
    let device = sandbox.run(&["login", "--no-browser"], "");
    assert_refused_untrusted(&device);
    assert!(device.stderr.contains("could not start device authorization"), "{}", device.stderr);
    assert!(sandbox.emulator.log().is_empty(), "a request reached the API: {:?}", sandbox.emulator.log());

    let ca_file = authority_file(&sandbox, &authority);
    let mut whoami = sandbox.command(&["whoami"]);
    whoami.env("SSL_CERT_FILE", &ca_file);
    let known = sandbox.run_command(whoami, "");
    assert_eq!(known.code, Some(0), "{known:?}");
    assert!(known.stdout.contains("Logged in"), "{}", known.stdout);

    let mut login = sandbox.command(&["login", "--no-browser"]);
    login.env("SSL_CERT_FILE", &ca_file);
    let device = sandbox.run_command(login, "");
    assert_eq!(device.code, Some(0), "{device:?}");
    assert_eq!(sandbox.emulator.devices().len(), 1);
}
