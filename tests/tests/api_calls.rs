//! One-shot API calls through both drivers, against the emulator on loopback.

mod common;

use std::time::Duration;

use common::emulator;
use skytells_auth::skytells::{
    messages, ApiBase, ApiConfig, ApiError, FetchIdentity, Scope, VerifyAccessKey, VerifyToken,
};
use skytells_auth::{DeviceFlow, Exchange, RequestError, RequestLimits, Secret, TransportErrorKind};
use skytells_emulator::{Break, Breakage, Endpoint};

fn token() -> String {
    format!("sk_pat_{}", "ab12".repeat(16))
}

for_both_drivers!(a_registered_token_verifies_and_names_its_owner, |driver: common::Driver| {
    let emulator = emulator(|_| {});
    emulator.add_token(&token(), &[]);
    let config = common::config(&emulator);
    let secret = Secret::new(token());
    assert_eq!(driver.execute(&VerifyToken { config: &config, token: &secret }), Ok(()));
    let identity = driver.execute(&FetchIdentity { config: &config, token: &secret }).unwrap();
    assert_eq!((identity.id.as_str(), identity.email.as_deref()), ("usr_0001", Some("ada@example.com")));
    let request = &emulator.log()[0];
    assert!(request.authorized);
});

for_both_drivers!(two_independent_calls_are_in_flight_together, |driver: common::Driver| {
    // Both endpoints stall past the request timeout: one call sent only after the other
    // ended would reach the emulator a whole timeout later than the test waits.
    let stall = Breakage::Stall { ms: 60_000 };
    let emulator = emulator(|scenario| {
        scenario.breaks = vec![
            Break { endpoint: Endpoint::Projects, breakage: stall.clone() },
            Break { endpoint: Endpoint::Me, breakage: stall.clone() },
        ]
    });
    let limits = RequestLimits::new(Duration::from_secs(4), 1 << 20);
    let config = common::config(&emulator).with_limits(limits);
    let secret = Secret::new(token());
    let (verify, identify) =
        (VerifyToken { config: &config, token: &secret }, FetchIdentity { config: &config, token: &secret });
    std::thread::scope(|scope| {
        let calls = scope.spawn(|| driver.execute_both(&verify, &identify));
        let wait = Duration::from_millis(3500);
        let both =
            emulator.wait_for_path("/api/v1/cli/projects", wait) && emulator.wait_for_path("/api/v1/cli/me", wait);
        let (verified, identity) = calls.join().unwrap();
        assert!(both, "one call waited for the other: {:?}", emulator.log());
        assert!(verified.unwrap_err().is_transient() && identity.unwrap_err().is_transient(), "both timed out");
    });
});

for_both_drivers!(an_unknown_token_is_invalid_or_expired, |driver: common::Driver| {
    let emulator = emulator(|_| {});
    let config = common::config(&emulator);
    let error = driver.execute(&VerifyToken { config: &config, token: &Secret::new(token()) }).unwrap_err();
    assert_eq!(error, ApiError::TokenRejected);
    assert!(messages::api_error(&error).starts_with("Token is invalid or expired"));
});

for_both_drivers!(a_token_without_the_scope_is_insufficient_scope, |driver: common::Driver| {
    let emulator = emulator(|_| {});
    emulator.add_token(&token(), &["inference"]);
    let config = common::config(&emulator);
    let error = driver.execute(&VerifyToken { config: &config, token: &Secret::new(token()) }).unwrap_err();
    assert_eq!(error, ApiError::InsufficientScope { missing: Some("projects.read".into()) });
});

for_both_drivers!(access_keys_verify_to_their_project, |driver: common::Driver| {
    let emulator = emulator(|_| {});
    emulator.add_access_key("sk_proj_live_abc", "Weather App");
    let config = common::config(&emulator);
    let project = driver.execute(&VerifyAccessKey { config: &config, access_key: &Secret::new("sk_proj_live_abc") });
    assert_eq!(project.unwrap().name.as_deref(), Some("Weather App"));
    let unknown = driver.execute(&VerifyAccessKey { config: &config, access_key: &Secret::new("sk_proj_nope") });
    assert_eq!(unknown, Err(ApiError::AccessKeyRejected));
});

for_both_drivers!(redirects_are_reported_not_followed, |driver: common::Driver| {
    let emulator = emulator(|scenario| {
        scenario.breaks = vec![Break {
            endpoint: Endpoint::Me,
            breakage: Breakage::RedirectTo { location: "http://evil.example/steal".into() },
        }];
    });
    let config = common::config(&emulator);
    let error = driver.execute(&FetchIdentity { config: &config, token: &Secret::new(token()) }).unwrap_err();
    assert_eq!(
        error,
        ApiError::Request(RequestError::Redirect { status: 302, location: Some("http://evil.example/steal".into()) })
    );
    assert_eq!(emulator.log().len(), 1, "nothing followed the redirect");
});

for_both_drivers!(a_stalled_server_times_out_within_the_limit, |driver: common::Driver| {
    let emulator = emulator(|scenario| {
        scenario.breaks = vec![Break { endpoint: Endpoint::Me, breakage: Breakage::Stall { ms: 3000 } }];
    });
    let mut config = common::config(&emulator);
    config.limits = RequestLimits::new(Duration::from_millis(400), 1 << 20);
    let started = std::time::Instant::now();
    let error = driver.execute(&FetchIdentity { config: &config, token: &Secret::new(token()) }).unwrap_err();
    let ApiError::Request(RequestError::Transport(transport)) = error else { panic!("{error:?}") };
    assert_eq!(transport.kind, TransportErrorKind::Timeout, "{transport}");
    assert!(started.elapsed() < Duration::from_millis(2500));
});

for_both_drivers!(a_request_without_a_time_limit_is_sent, |driver: common::Driver| {
    let emulator = emulator(|_| {});
    emulator.add_token(&token(), &[]);
    let mut config = common::config(&emulator);
    config.limits = RequestLimits::new(Duration::MAX, 1 << 20);
    let secret = Secret::new(token());
    let call = VerifyToken { config: &config, token: &secret };
    assert_eq!(driver.execute(&call), Ok(()));
    // Set on the request itself, past what the core builds.
    let mut transmit = call.transmit().unwrap();
    transmit.timeout = Duration::MAX;
    assert_eq!(driver.send(transmit).map(|response| response.status().as_u16()), Ok(200));
});

for_both_drivers!(moments_from_a_login_are_instants_on_the_drivers_clock, |driver: common::Driver| {
    // The driver's clock has run for two seconds (a stalled call) before the login
    // starts, so a clock that began with the login would put the expiry two seconds
    // earlier than `before + lifetime`.
    let emulator = emulator(|scenario| {
        scenario.expires_in = Some(30.0);
        scenario.breaks = vec![Break { endpoint: Endpoint::Me, breakage: Breakage::Stall { ms: 2000 } }];
    });
    let config = common::config(&emulator);
    let _ = driver.execute(&FetchIdentity { config: &config, token: &Secret::new(token()) });
    let lifetime = Duration::from_secs(30);
    let before = std::time::Instant::now();
    let (_, events) = common::login(&driver, &emulator, common::Person::Approves, 0);
    let after = std::time::Instant::now();
    let Some(skytells_auth::FlowEvent::CodeIssued(code)) = events.first() else { panic!("{events:?}") };
    let expires = driver.instant_at(code.expires_at);
    assert!(expires >= before + lifetime && expires <= after + lifetime, "{:?}", expires - before);
});

for_both_drivers!(nothing_listening_is_a_connect_failure, |driver: common::Driver| {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = ApiConfig::new(ApiBase::parse(&format!("http://127.0.0.1:{port}")).unwrap());
    let error = driver.execute(&FetchIdentity { config: &config, token: &Secret::new(token()) }).unwrap_err();
    let ApiError::Request(RequestError::Transport(transport)) = error else { panic!("{error:?}") };
    assert_eq!(transport.kind, TransportErrorKind::Connect, "{transport}");
    assert!(!transport.to_string().contains(&token()));
});

#[test]
fn dropping_the_tokio_future_stops_the_flow() {
    let emulator = emulator(|_| {});
    let driver = skytells_auth_tokio::TokioDriver::new().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let flow = DeviceFlow::new(common::config(&emulator).device_client(), Scope::DEFAULT);
    let two_polls_seen = std::thread::scope(|scope| {
        let (seen_tx, seen_rx) = tokio::sync::oneshot::channel();
        scope.spawn(|| seen_tx.send(emulator.wait_for_polls(2, common::PATIENCE)));
        runtime.block_on(async {
            tokio::select! {
                outcome = driver.run_device_flow(flow, |_| {}) => panic!("the flow ended by itself: {outcome:?}"),
                seen = seen_rx => seen.unwrap(),
            }
        })
    });
    assert!(two_polls_seen, "the flow never polled twice");
    // The future is dropped: the poll that would come one interval later never does.
    let polls_at_drop = emulator.polls().len();
    assert!(!emulator.wait_for_polls(polls_at_drop + 1, Duration::from_secs(3)), "polled after the future was dropped");
}

#[test]
fn a_cancelled_blocking_login_stops_at_once_and_sends_nothing_more() {
    let emulator = emulator(|scenario| scenario.interval = Some(30.0));
    let driver = skytells_auth_blocking::BlockingDriver::new();
    let cancel = skytells_auth_blocking::Cancel::new();
    let flow = DeviceFlow::new(common::config(&emulator).device_client(), Scope::DEFAULT);
    let started = std::time::Instant::now();
    let result = std::thread::scope(|scope| {
        scope.spawn(|| {
            // Cancel while the login sleeps towards its first poll, 30 s away.
            assert!(emulator.wait_for_device(1, common::PATIENCE).is_some());
            cancel.cancel();
        });
        driver.run_device_flow_until(flow, &cancel, |_| {})
    });
    assert_eq!(result, Err(skytells_auth_blocking::Cancelled));
    assert!(started.elapsed() < Duration::from_secs(25), "the sleep was not cut short");
    assert!(emulator.polls().is_empty(), "nothing was polled");
}

#[test]
fn a_cancelled_blocking_login_stops_while_a_request_is_in_flight() {
    // The poll stalls far longer than the test waits; only a cancel that ends the wait
    // for the answer lets the login return in time.
    let emulator = emulator(|scenario| {
        scenario.breaks = vec![Break { endpoint: Endpoint::Token, breakage: Breakage::Stall { ms: 120_000 } }]
    });
    let limits = RequestLimits::new(Duration::from_secs(90), 1 << 20);
    let flow = DeviceFlow::new(common::config(&emulator).with_limits(limits).device_client(), Scope::DEFAULT);
    let driver = skytells_auth_blocking::BlockingDriver::new();
    let cancel = skytells_auth_blocking::Cancel::new();
    let started = std::time::Instant::now();
    let result = std::thread::scope(|scope| {
        scope.spawn(|| {
            assert!(emulator.wait_for_polls(1, common::PATIENCE), "the login never polled");
            cancel.cancel();
        });
        driver.run_device_flow_until(flow, &cancel, |_| {})
    });
    assert_eq!(result, Err(skytells_auth_blocking::Cancelled));
    assert!(started.elapsed() < Duration::from_secs(60), "the login waited for the stalled request");
}
