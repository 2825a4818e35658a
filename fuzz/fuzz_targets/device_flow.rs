//! The device flow state machine under arbitrary answers, failures, lost requests, clock
//! jumps and out-of-order calls, with its invariants as assertions: no poll sooner than
//! the interval after the previous one, no poll at or after expiry, every wait later than
//! now, an end by expiry, nothing after the end.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use skytells_auth::skytells::{ApiConfig, Scope};
use skytells_auth::{DeviceFlow, Moment, Output, TransportError, TransportErrorKind};

#[derive(Debug, Arbitrary)]
enum Step {
    /// Advance the clock by this many milliseconds and ask what to do.
    Wake(u32),
    /// Wake exactly when the flow asked to.
    WakeOnTime,
    /// Answer the outstanding request (or hand in a stray answer) with this status and body.
    Answer(u16, Vec<u8>),
    /// Fail the outstanding request.
    Fail,
    /// Forget the outstanding request, as a driver whose future was dropped would.
    Lose,
}

#[derive(Debug, Arbitrary)]
struct Script {
    interval: i16,
    expires_in: i32,
    steps: Vec<Step>,
}

fuzz_target!(|script: Script| {
    let mut flow = DeviceFlow::new(ApiConfig::default().device_client(), [Scope::Inference]);
    let mut now = Moment::ZERO;
    let Output::Transmit(_) = flow.poll_output(now) else { panic!("the first request is due at once") };
    let body = format!(
        r#"{{"device_code":"d","user_code":"U","verification_uri":"https://x.test/d","interval":{},"expires_in":{}}}"#,
        script.interval, script.expires_in
    );
    flow.handle_result(now, Ok(http::Response::new(body.into_bytes()))).unwrap();
    let Some(expires_at) = flow.expires_at() else { return };
    let mut in_flight = false;
    let mut deadline = Moment::ZERO;
    let mut last_poll: Option<Moment> = None;
    let mut wake_at: Option<Moment> = None;
    for step in script.steps {
        match step {
            Step::Wake(ms) => now = now + Duration::from_millis(u64::from(ms)),
            Step::WakeOnTime => now = wake_at.unwrap_or(now).max(now),
            Step::Answer(status, body) => {
                let response = http::Response::builder().status(100 + status % 500).body(body);
                let Ok(response) = response else { continue };
                assert_eq!(flow.handle_result(now, Ok(response)).is_ok(), in_flight);
                in_flight = false;
                continue;
            }
            Step::Fail => {
                let error = TransportError::new(TransportErrorKind::Io, "reset");
                assert_eq!(flow.handle_result(now, Err(error)).is_ok(), in_flight);
                in_flight = false;
                continue;
            }
            Step::Lose => continue,
        }
        if in_flight && now >= deadline {
            in_flight = false; // the flow counts it as timed out on this call
        }
        // Ask until the flow has nothing more to say at this instant.
        loop {
            let interval = flow.interval();
            match flow.poll_output(now) {
                Output::Event(_) => continue,
                Output::WaitUntil(at) => {
                    assert!(at > now, "asked to wait until {at:?}, not after {now:?}");
                    assert!(at <= expires_at, "asked to wake after expiry");
                    wake_at = Some(at);
                }
                Output::Transmit(transmit) => {
                    assert!(!in_flight, "two requests outstanding");
                    assert!(now < expires_at, "polled at or after expiry");
                    assert!(now + transmit.timeout <= expires_at, "a poll may outlive its code");
                    if let (Some(previous), Some(interval)) = (last_poll, interval) {
                        assert!(now >= previous + interval, "polled sooner than the interval");
                    }
                    last_poll = Some(now);
                    deadline = now + transmit.timeout;
                    in_flight = true;
                }
                Output::Done(_) => {
                    assert!(matches!(flow.poll_output(now + Duration::from_secs(3600)), Output::Done(_)));
                    return;
                }
                _ => unreachable!(),
            }
            break;
        }
        if now >= expires_at && !in_flight {
            assert!(flow.outcome().is_some() || flow.expires_at().is_none(), "not ended by expiry");
        }
    }
});
