//! The device flow state machine under arbitrary answers, failures, clock jumps and
//! out-of-order calls, with its invariants as assertions: no poll sooner than the interval
//! after the previous one, no poll at or after expiry, an end by expiry, nothing after the end.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use skytells_auth::{ApiConfig, DeviceFlow, Moment, Scope, TransportError, TransportErrorKind};

#[derive(Debug, Arbitrary)]
enum Step {
    /// Advance the clock by this many milliseconds and call poll_transmit.
    Wake(u32),
    /// Wake exactly when the flow asked to.
    WakeOnTime,
    /// Answer the outstanding request with this status and body.
    Answer(u16, Vec<u8>),
    /// Fail the outstanding request.
    Fail,
}

#[derive(Debug, Arbitrary)]
struct Script {
    interval: i16,
    expires_in: i32,
    steps: Vec<Step>,
}

fuzz_target!(|script: Script| {
    let mut flow = DeviceFlow::new(ApiConfig::default(), vec![Scope::Inference]);
    let mut now = Moment::ZERO;
    flow.poll_transmit(now).expect("the first request is due at once");
    let body = format!(
        r#"{{"device_code":"d","user_code":"U","verification_uri":"https://x.test/d","interval":{},"expires_in":{}}}"#,
        script.interval, script.expires_in
    );
    flow.handle_response(now, http::Response::new(body.into_bytes())).unwrap();
    let Some(expires_at) = flow.expires_at() else { return };
    let mut in_flight = false;
    let mut last_poll: Option<Moment> = None;
    for step in script.steps {
        match step {
            Step::Wake(ms) => now = now + Duration::from_millis(u64::from(ms)),
            Step::WakeOnTime => now = flow.poll_timeout().unwrap_or(now).max(now),
            Step::Answer(status, body) => {
                let response = http::Response::builder().status(100 + status % 500).body(body);
                let Ok(response) = response else { continue };
                assert_eq!(flow.handle_response(now, response).is_ok(), in_flight);
                in_flight = false;
                continue;
            }
            Step::Fail => {
                let error = TransportError::new(TransportErrorKind::Io, "reset");
                assert_eq!(flow.handle_transport_error(now, error).is_ok(), in_flight);
                in_flight = false;
                continue;
            }
        }
        if let Some(due) = flow.poll_timeout() {
            assert!(due <= expires_at, "asked to wake after expiry");
        }
        let interval = flow.interval();
        match flow.poll_transmit(now) {
            Some(_) => {
                assert!(!in_flight, "two requests outstanding");
                assert!(now < expires_at, "polled at or after expiry");
                if let (Some(previous), Some(interval)) = (last_poll, interval) {
                    assert!(now >= previous + interval, "polled sooner than the interval");
                }
                last_poll = Some(now);
                in_flight = true;
            }
            None if !in_flight && now >= expires_at => assert!(flow.outcome().is_some(), "not ended by expiry"),
            None => {}
        }
        if flow.outcome().is_some() {
            assert!(flow.poll_transmit(now + Duration::from_secs(3600)).is_none());
            assert_eq!(flow.poll_timeout(), None);
        }
    }
});
