//! Both drivers trust what the machine trusts: an HTTPS API whose authority is named only
//! by `SSL_CERT_FILE` (or `SSL_CERT_DIR`) is refused without it, before any request goes
//! out, and accepted with it. The `device_login` examples run as separate processes so
//! each gets its own environment, as a user's program would.

use std::path::{Path, PathBuf};
use std::process::Command;

use skytells_emulator::{Dialect, Emulator, Scenario, TestAuthority};

const DRIVERS: [&str; 2] = ["device_login_blocking", "device_login_tokio"];

/// An example program of this workspace, built by `cargo test --workspace`.
fn example(name: &str) -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    let path = deps.parent().unwrap().parent().unwrap().join("examples").join(name);
    assert!(path.exists(), "{} is missing: run `cargo test --workspace` (or `cargo build --examples`)", path.display());
    path
}

/// An RFC 8628 device flow over HTTPS that approves every code on its first poll.
fn https_emulator(authority: &TestAuthority) -> Emulator {
    let scenario = Scenario {
        dialect: Dialect::Rfc8628,
        interval: Some(1.0),
        approve_after_polls: Some(0),
        ..Scenario::default()
    };
    Emulator::start_tls(scenario, authority).unwrap()
}

/// Runs a driver's example against `emulator` with exactly `trust` as the TLS
/// environment (nothing inherited), returning its exit status and JSON line.
fn device_login(program: &str, emulator: &Emulator, trust: &[(&str, &Path)]) -> (i32, serde_json::Value) {
    let url = emulator.url();
    let client_id = emulator.scenario().client_id;
    let output = Command::new(example(program))
        .env_clear()
        .envs(trust.iter().copied())
        .args(["--issuer", &url, "--client-id", &client_id])
        .args(["--device-authorization-endpoint", &format!("{url}/api/oauth/device")])
        .args(["--token-endpoint", &format!("{url}/api/oauth/token")])
        .output()
        .unwrap();
    let json = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
    (output.status.code().unwrap_or(-1), json)
}

fn write_authority(authority: &TestAuthority, folder: &Path) -> PathBuf {
    let path = folder.join("test-authority.pem");
    std::fs::write(&path, authority.ca_pem()).unwrap();
    path
}

#[test]
fn an_authority_named_by_ssl_cert_file_is_trusted_and_nothing_else_is() {
    let authority = TestAuthority::generate().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let ca_file = write_authority(&authority, folder.path());
    let other_folder = tempfile::tempdir().unwrap();
    let stranger = write_authority(&TestAuthority::generate().unwrap(), other_folder.path());
    for program in DRIVERS {
        let emulator = https_emulator(&authority);

        // The machine's own store does not know the test authority.
        let (code, json) = device_login(program, &emulator, &[]);
        assert_eq!((code, json["outcome"].as_str()), (1, Some("failed")), "{program}: {json}");
        let error = json["error"].as_str().unwrap_or_default();
        assert!(error.contains("certificate not trusted"), "{program}: {error}");
        assert!(error.contains("the system's certificate store"), "{program}: {error}");
        assert!(emulator.log().is_empty(), "{program}: a request got through: {:?}", emulator.log());

        // Another authority in SSL_CERT_FILE, with the same name but its own key: still
        // refused, and SSL_CERT_FILE is named.
        let (code, json) = device_login(program, &emulator, &[("SSL_CERT_FILE", &stranger)]);
        assert_eq!((code, json["outcome"].as_str()), (1, Some("failed")), "{program}: {json}");
        assert!(json["error"].as_str().unwrap_or_default().contains("SSL_CERT_FILE"), "{program}: {json}");
        assert!(emulator.log().is_empty(), "{program}: a request got through: {:?}", emulator.log());

        // A file that is not there is named in the error.
        let missing = folder.path().join("missing.pem");
        let (code, json) = device_login(program, &emulator, &[("SSL_CERT_FILE", &missing)]);
        assert_eq!(code, 1, "{program}: {json}");
        assert!(json["error"].as_str().unwrap_or_default().contains("missing.pem"), "{program}: {json}");

        // The right authority: the whole flow goes through.
        let (code, json) = device_login(program, &emulator, &[("SSL_CERT_FILE", &ca_file)]);
        assert_eq!((code, json["outcome"].as_str()), (0, Some("authorized")), "{program}: {json}");
        assert!(emulator.log().len() >= 2, "{program}: {:?}", emulator.log());
    }
}

#[test]
fn an_authority_in_an_ssl_cert_dir_is_trusted() {
    let authority = TestAuthority::generate().unwrap();
    let folder = tempfile::tempdir().unwrap();
    write_authority(&authority, folder.path());
    for program in DRIVERS {
        let emulator = https_emulator(&authority);
        let (code, json) = device_login(program, &emulator, &[("SSL_CERT_DIR", folder.path())]);
        assert_eq!((code, json["outcome"].as_str()), (0, Some("authorized")), "{program}: {json}");
    }
}
