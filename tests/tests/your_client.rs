//! A driver given the embedder's own HTTP client sends every request through it, requests
//! to this machine included (unless told `direct_to_loopback`); authorities given in code
//! (`TrustedRoots::from_pem`, `from_der`) are trusted, and only they.

mod common;

use common::Driver;
use skytells_auth::{DeviceClient, DeviceFlow, Outcome, RequestError, TransportErrorKind};
use skytells_auth_blocking::{ureq, BlockingDriver, TrustedRoots};
use skytells_auth_tokio::{reqwest, TokioDriver};
use skytells_emulator::{Dialect, Emulator, Scenario, TestAuthority};

/// The user agent the embedder's client sends on every request.
const EMBEDDER: &str = "embedder-client/1.0";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn embedder_agent(config: ureq::config::ConfigBuilder<ureq::typestate::AgentScope>) -> ureq::Agent {
    config.user_agent(EMBEDDER).build().into()
}

fn embedder_client(builder: reqwest::ClientBuilder) -> reqwest::Client {
    builder.user_agent(EMBEDDER).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Both drivers over the embedder's client for plain http (built by `direct`: whether
/// requests to this machine are to skip it).
fn over_embedders_client(direct: bool) -> [Driver; 2] {
    let blocking = BlockingDriver::with_agent(embedder_agent(ureq::Agent::config_builder()));
    let tokio = TokioDriver::with_client(embedder_client(reqwest::Client::builder()));
    if direct {
        [Driver::Blocking(blocking.direct_to_loopback()), Driver::Tokio(tokio.direct_to_loopback().unwrap(), runtime())]
    } else {
        [Driver::Blocking(blocking), Driver::Tokio(tokio, runtime())]
    }
}

fn name(driver: &Driver) -> &'static str {
    match driver {
        Driver::Blocking(_) => "blocking",
        Driver::Tokio(..) => "tokio",
    }
}

/// An RFC 8628 emulator that approves every code on its first poll.
fn approving(emulator: impl FnOnce(Scenario) -> Emulator) -> Emulator {
    emulator(Scenario {
        dialect: Dialect::Rfc8628,
        interval: Some(1.0),
        expires_in: Some(30.0),
        approve_after_polls: Some(0),
        ..Scenario::default()
    })
}

/// A login as a generic OAuth client, which sets no user agent of its own (the Skytells
/// profile sets one), so that the client's shows.
fn login(driver: &Driver, emulator: &Emulator) -> Outcome {
    let url = emulator.url();
    let client_id = emulator.scenario().client_id;
    let client = DeviceClient::new(&format!("{url}/api/oauth/device"), &format!("{url}/api/oauth/token"), client_id);
    driver.run_flow(DeviceFlow::new(client.unwrap(), ["inference"]), |_| {})
}

#[test]
fn the_embedders_client_carries_requests_to_this_machine() {
    for driver in over_embedders_client(false) {
        let emulator = approving(|scenario| Emulator::start(scenario).unwrap());
        let outcome = login(&driver, &emulator);
        assert!(matches!(outcome, Outcome::Authorized(_)), "{}: {outcome:?}", name(&driver));
        let log = emulator.log();
        assert!(log.len() >= 2, "{}: {log:?}", name(&driver));
        for entry in &log {
            assert_eq!(entry.user_agent.as_deref(), Some(EMBEDDER), "{}: {entry:?}", name(&driver));
        }
    }
}

#[test]
fn direct_to_loopback_keeps_requests_to_this_machine_off_the_embedders_client() {
    for driver in over_embedders_client(true) {
        let emulator = approving(|scenario| Emulator::start(scenario).unwrap());
        let outcome = login(&driver, &emulator);
        assert!(matches!(outcome, Outcome::Authorized(_)), "{}: {outcome:?}", name(&driver));
        let log = emulator.log();
        assert!(!log.is_empty(), "{}", name(&driver));
        for entry in &log {
            assert_ne!(entry.user_agent.as_deref(), Some(EMBEDDER), "{}: {entry:?}", name(&driver));
        }
    }
}

/// The embedder's client trusts the test authority (the machine does not): an HTTPS
/// login to this machine succeeds only through that client.
#[test]
fn the_embedders_client_and_its_authorities_carry_https_to_this_machine() {
    let authority = TestAuthority::generate().unwrap();
    let pem = authority.ca_pem().as_bytes();
    let agent = {
        let der = TrustedRoots::from_pem(pem).unwrap().certificates()[0].to_vec();
        let roots = vec![ureq::tls::Certificate::from_der(&der).to_owned()];
        let tls = ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::Specific(roots.into())).build();
        embedder_agent(ureq::Agent::config_builder().tls_config(tls))
    };
    let client = embedder_client(
        reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(pem).unwrap()),
    );
    let drivers = [
        Driver::Blocking(BlockingDriver::with_agent(agent)),
        Driver::Tokio(TokioDriver::with_client(client), runtime()),
    ];
    for driver in drivers {
        let emulator = approving(|scenario| Emulator::start_tls(scenario, &authority).unwrap());
        let outcome = login(&driver, &emulator);
        assert!(matches!(outcome, Outcome::Authorized(_)), "{}: {outcome:?}", name(&driver));
        assert!(emulator.log().iter().all(|entry| entry.user_agent.as_deref() == Some(EMBEDDER)), "{}", name(&driver));
    }
}

fn with_roots(roots: TrustedRoots) -> [Driver; 2] {
    [
        Driver::Blocking(BlockingDriver::with_roots(roots.clone())),
        Driver::Tokio(TokioDriver::with_roots(roots).unwrap(), runtime()),
    ]
}

#[test]
fn authorities_given_as_pem_or_der_are_trusted() {
    let authority = TestAuthority::generate().unwrap();
    let from_pem = TrustedRoots::from_pem(authority.ca_pem().as_bytes()).unwrap();
    let from_der = TrustedRoots::from_der(from_pem.certificates().iter().map(|der| der.to_vec())).unwrap();
    for roots in [from_pem, from_der] {
        for driver in with_roots(roots.clone()) {
            let emulator = approving(|scenario| Emulator::start_tls(scenario, &authority).unwrap());
            let outcome = login(&driver, &emulator);
            assert!(matches!(outcome, Outcome::Authorized(_)), "{}: {outcome:?}", name(&driver));
        }
    }
}

#[test]
fn only_the_authorities_given_are_trusted() {
    let (authority, stranger) = (TestAuthority::generate().unwrap(), TestAuthority::generate().unwrap());
    let roots = TrustedRoots::from_pem(stranger.ca_pem().as_bytes()).unwrap();
    for driver in with_roots(roots) {
        let emulator = approving(|scenario| Emulator::start_tls(scenario, &authority).unwrap());
        let outcome = login(&driver, &emulator);
        let Outcome::Failed(failure) = &outcome else { panic!("{}: {outcome:?}", name(&driver)) };
        let Some(RequestError::Transport(error)) = failure.request_error() else {
            panic!("{}: {failure:?}", name(&driver))
        };
        assert_eq!(error.kind, TransportErrorKind::UntrustedCertificate, "{}: {error}", name(&driver));
        assert!(error.detail.contains("the authorities given by the program"), "{}: {error}", name(&driver));
        assert!(emulator.log().is_empty(), "{}: a request got through: {:?}", name(&driver), emulator.log());
    }
}
