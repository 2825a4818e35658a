//! Interoperability with a real, independent OpenID provider: panva's oidc-provider
//! (OpenID Certified), started from `interop/provider.mjs` on loopback. It speaks plain
//! RFC 8628 (form bodies, `client_id`, 400 + error codes, no `interval`), so this is the
//! generic client against someone else's server, through both drivers: discovery,
//! approval, refresh, both kinds of client authentication, denial, expiry and a wrong
//! client id. Needs Node.js; `npm ci` runs in `interop/` the first time.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use skytells_auth::{
    ClientAuth, DeviceClient, DeviceFlow, ErrorCode, FlowEvent, FlowFailure, Moment, Outcome, Refresh, RequestError,
    RequestLimits, Secret, ServerMetadata, Transmit,
};
use skytells_auth_blocking::BlockingDriver;

/// The provider, running until dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn interop_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../interop"))
}

/// Installs the provider's packages once (under a lock: tests run in parallel).
fn install_provider() {
    let dir = interop_dir();
    let lock = std::fs::File::create(std::env::temp_dir().join("skytells-interop-npm.lock")).unwrap();
    lock.lock().unwrap();
    if !dir.join("node_modules/oidc-provider/package.json").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed for the interoperability tests (Node.js 20 or later)");
        assert!(status.success(), "npm ci in {} failed", dir.display());
    }
}

fn start_provider() -> Provider {
    install_provider();
    let mut child = Command::new("node")
        .arg("provider.mjs")
        .current_dir(interop_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node is needed for the interoperability tests");
    let mut issuer = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut issuer).unwrap();
    assert!(issuer.starts_with("http://127.0.0.1:"), "the provider did not start: {issuer:?}");
    Provider { child, issuer: issuer.trim().to_owned() }
}

impl Provider {
    /// What the person at the verification page decides, through the provider's models.
    fn decide(&self, user_code: &str, approve: bool) {
        let decision = if approve { "approve" } else { "deny" };
        let url = format!("{}/interop/decide?user_code={user_code}&decision={decision}", self.issuer);
        let request = http::Request::post(url).body(Vec::new()).unwrap();
        let limits = RequestLimits::default();
        let answer = BlockingDriver::new().send(Transmit::new(request, limits.timeout, limits.max_response_bytes));
        assert_eq!(answer.unwrap().status(), 200);
    }

    fn metadata(&self, driver: &common::Driver) -> ServerMetadata {
        match driver {
            common::Driver::Blocking(driver) => driver.discover(&self.issuer).unwrap(),
            common::Driver::Tokio(driver, runtime) => runtime.block_on(driver.discover(&self.issuer)).unwrap(),
        }
    }
}

/// A login in which the person decides as soon as the code is shown (`None`: never).
fn login(driver: &common::Driver, provider: &Provider, client: DeviceClient, decision: Option<bool>) -> Outcome {
    let flow = DeviceFlow::new(client, ["openid", "offline_access"]);
    std::thread::scope(|scope| {
        driver.run_flow(flow, |event| {
            if let (FlowEvent::CodeIssued(code), Some(approve)) = (event, decision) {
                let user_code = code.user_code.clone();
                scope.spawn(move || provider.decide(&user_code, approve));
            }
        })
    })
}

for_both_drivers!(discovery_finds_the_device_endpoint, |driver: common::Driver| {
    let provider = start_provider();
    let metadata = provider.metadata(&driver);
    assert_eq!(metadata.issuer, provider.issuer);
    assert_eq!(metadata.device_authorization_endpoint, Some(format!("{}/device/auth", provider.issuer)));
    assert_eq!(metadata.token_endpoint, format!("{}/token", provider.issuer));
    assert!(metadata.grant_types_supported.iter().any(|grant| grant == skytells_auth::DEVICE_CODE_GRANT));
});

for_both_drivers!(an_approved_login_grants_every_field_and_refreshes, |driver: common::Driver| {
    let provider = start_provider();
    let client = DeviceClient::from_metadata(&provider.metadata(&driver), "interop-public").unwrap();
    let Outcome::Authorized(grant) = login(&driver, &provider, client.clone(), Some(true)) else { panic!() };
    assert_eq!(grant.token_type, "Bearer");
    assert_eq!(grant.scopes, ["openid", "offline_access"]);
    assert_eq!(grant.expires_in, Some(Duration::from_secs(3600)));
    assert!(grant.expires_at.is_some() && grant.id_token.is_some());
    let refresh_token = grant.refresh_token.expect("a refresh token");
    let refresh = Refresh::new(&client, &refresh_token, Moment::ZERO);
    let renewed = driver.execute(&refresh).unwrap();
    assert_ne!(renewed.access_token, grant.access_token);
    assert_eq!(renewed.expires_at, Some(Moment::from_secs(3600)));
});

for_both_drivers!(confidential_clients_authenticate_by_basic_and_by_post, |driver: common::Driver| {
    let provider = start_provider();
    let metadata = provider.metadata(&driver);
    for (id, auth) in [
        ("interop-basic", ClientAuth::SecretBasic(Secret::new("interop-secret"))),
        ("interop-post", ClientAuth::SecretPost(Secret::new("interop-secret"))),
    ] {
        let client = DeviceClient::from_metadata(&metadata, id).unwrap().with_auth(auth);
        let outcome = login(&driver, &provider, client.clone(), Some(true));
        let Outcome::Authorized(grant) = outcome else { panic!("{id}: {outcome:?}") };
        let refresh_token = grant.refresh_token.unwrap();
        assert!(driver.execute(&Refresh::new(&client, &refresh_token, Moment::ZERO)).is_ok(), "{id}");
    }
    // The wrong secret is the server's invalid_client, kept as a code.
    let wrong = DeviceClient::from_metadata(&metadata, "interop-basic")
        .unwrap()
        .with_auth(ClientAuth::SecretBasic(Secret::new("not-the-secret")));
    let outcome = login(&driver, &provider, wrong, None);
    let Outcome::Failed(FlowFailure::DeviceAuthorization(error)) = outcome else { panic!("{outcome:?}") };
    assert_eq!(error.oauth_code(), Some(&ErrorCode::InvalidClient));
});

for_both_drivers!(a_denied_login_is_denied, |driver: common::Driver| {
    let provider = start_provider();
    let client = DeviceClient::from_metadata(&provider.metadata(&driver), "interop-public").unwrap();
    assert_eq!(login(&driver, &provider, client, Some(false)), Outcome::Denied);
});

for_both_drivers!(an_unapproved_code_expires, |driver: common::Driver| {
    let provider = start_provider();
    let client = DeviceClient::from_metadata(&provider.metadata(&driver), "interop-expiring").unwrap();
    assert_eq!(login(&driver, &provider, client, None), Outcome::Expired);
});

for_both_drivers!(an_unknown_client_id_is_invalid_client, |driver: common::Driver| {
    let provider = start_provider();
    let client = DeviceClient::from_metadata(&provider.metadata(&driver), "no-such-client").unwrap();
    let outcome = login(&driver, &provider, client, None);
    let Outcome::Failed(FlowFailure::DeviceAuthorization(RequestError::OAuth { status, error })) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!((status, error.code), (401, ErrorCode::InvalidClient));
});

/// An example program of this workspace, built by `cargo test --workspace`.
fn example(name: &str) -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    let path = deps.parent().unwrap().parent().unwrap().join("examples").join(name);
    assert!(path.exists(), "{} is missing: run `cargo test --workspace` (or `cargo build --examples`)", path.display());
    path
}

/// Runs an example with `args`, deciding for the person (`None`: never) once it shows
/// the code on stderr. Returns the exit status and the JSON it printed.
fn run_example(provider: &Provider, program: &str, args: &[&str], decision: Option<bool>) -> (i32, serde_json::Value) {
    let mut child =
        Command::new(example(program)).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    for line in stderr.lines() {
        let line = line.unwrap();
        if let (Some(code), Some(approve)) = (line.split("enter the code ").nth(1), decision) {
            provider.decide(code.trim(), approve);
        }
    }
    let output = child.wait_with_output().unwrap();
    let json = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
    (output.status.code().unwrap_or(-1), json)
}

/// The two `device_login` examples keep the contract their shared command line states.
#[test]
fn both_device_login_examples_keep_their_contract() {
    let provider = start_provider();
    let issuer = provider.issuer.as_str();
    let device = format!("{issuer}/device/auth");
    let token = format!("{issuer}/token");
    std::thread::scope(|scope| {
        for program in ["device_login_blocking", "device_login_tokio"] {
            let (provider, device, token) = (&provider, &device, &token);
            scope.spawn(move || check_device_login_example(provider, program, device, token));
        }
    });
}

fn check_device_login_example(provider: &Provider, program: &str, device: &str, token: &str) {
    let issuer = provider.issuer.as_str();
    {
        let scope = ["--scope", "openid offline_access"];
        let discovered = ["--issuer", issuer, "--client-id", "interop-public", "--refresh", scope[0], scope[1]];
        let (code, json) = run_example(provider, program, &discovered, Some(true));
        assert_eq!(code, 0, "{program}: {json}");
        assert_eq!(json["outcome"], "authorized");
        assert_eq!(json["error"], serde_json::Value::Null);
        assert_eq!(
            (json["token_type"].as_str(), json["scope"].as_str()),
            (Some("Bearer"), Some("openid offline_access"))
        );
        assert_eq!((json["expires_in"].as_u64(), json["refreshed"].as_bool()), (Some(3600), Some(true)));
        assert_eq!((json["has_refresh_token"].as_bool(), json["has_id_token"].as_bool()), (Some(true), Some(true)));
        assert!(!json.to_string().contains("access_token\""), "no token is printed: {json}");

        let explicit = [
            "--issuer",
            issuer,
            "--device-authorization-endpoint",
            device,
            "--token-endpoint",
            token,
            "--client-id",
            "interop-post",
            "--client-secret",
            "interop-secret",
            "--client-auth",
            "post",
        ];
        let (code, json) = run_example(provider, program, &explicit, Some(true));
        assert_eq!(
            (code, json["outcome"].as_str(), json["refreshed"].as_bool()),
            (0, Some("authorized"), None),
            "{program}"
        );

        let (code, json) =
            run_example(provider, program, &["--issuer", issuer, "--client-id", "interop-public"], Some(false));
        assert_eq!(
            (code, json["outcome"].as_str(), json["error"].as_str()),
            (1, Some("denied"), Some("access_denied"))
        );

        let expiring = ["--issuer", issuer, "--client-id", "interop-expiring"];
        let (code, json) = run_example(provider, program, &expiring, None);
        assert_eq!((code, json["outcome"].as_str()), (1, Some("expired")), "{program}: {json}");

        let unknown = ["--issuer", issuer, "--client-id", "no-such-client"];
        let (code, json) = run_example(provider, program, &unknown, None);
        assert_eq!(
            (code, json["outcome"].as_str(), json["error"].as_str()),
            (1, Some("failed"), Some("invalid_client"))
        );
    }
}

/// The std-only example (no runtime, no HTTP crate) logs in against the same provider.
#[test]
fn the_std_only_example_logs_in() {
    let provider = start_provider();
    let issuer = provider.issuer.as_str();
    let mut child = Command::new(example("std_only_login"))
        .args([format!("{issuer}/device/auth"), format!("{issuer}/token"), "interop-public".into()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        if let Some(code) = line.unwrap().split(" and enter ").nth(1) {
            provider.decide(code.trim(), true);
        }
    }
    let output = child.wait_with_output().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && printed.starts_with("Authorized(TokenGrant"), "{printed}");
    // An ID token has no public prefix: none of it is shown.
    assert!(printed.contains("id_token: Some(Secret(\"…\"))"), "secrets are not shown: {printed}");
}
