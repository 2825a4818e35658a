//! A 429 poll answer's `Retry-After` (seconds) holds off the next poll when it asks for
//! longer than the flow would wait anyway, up to `MAX_RETRY_AFTER` and never past the
//! code's expiry; on any other answer, or as an HTTP date, it changes nothing. Checked
//! against the same flow answered without the header.

use std::time::Duration;

use proptest::prelude::*;
use skytells_auth::{http, DeviceClient, DeviceFlow, Moment, Outcome, Output, MAX_RETRY_AFTER};

/// When the poll after the first one is sent (`Ok`), or when the flow ended as expired
/// instead (`Err`), for a first poll answered with `status`, `body` and `retry_after`.
fn after_first_poll(
    interval: u64,
    lifetime: u64,
    status: u16,
    body: &str,
    retry_after: Option<&str>,
) -> Result<Moment, Moment> {
    let client = DeviceClient::new("https://id.test/device", "https://id.test/token", "cli").unwrap();
    let mut flow = DeviceFlow::new(client, ["a"]);
    let Output::Transmit(_) = flow.poll_output(Moment::ZERO) else { panic!("the device request is due at once") };
    let code = format!(
        r#"{{"device_code":"d","user_code":"U","verification_uri":"https://id.test/a","interval":{interval},"expires_in":{lifetime}}}"#
    );
    let ok = http::Response::builder().status(200).body(code.into_bytes()).unwrap();
    flow.handle_result(Moment::ZERO, Ok(ok)).unwrap();
    let mut now = Moment::ZERO;
    let mut polls = 0;
    loop {
        match flow.poll_output(now) {
            Output::Event(_) => {}
            Output::WaitUntil(at) => now = at,
            Output::Transmit(_) if polls == 0 => {
                polls += 1;
                now = now + Duration::from_millis(100);
                let mut answer = http::Response::builder().status(status);
                if let Some(value) = retry_after {
                    answer = answer.header(http::header::RETRY_AFTER, value);
                }
                flow.handle_result(now, Ok(answer.body(body.as_bytes().to_vec()).unwrap())).unwrap();
            }
            Output::Transmit(_) => return Ok(now),
            Output::Done(Outcome::Expired) => return Err(now),
            Output::Done(other) => panic!("{other:?}"),
            other => panic!("{other:?}"),
        }
    }
}

/// The two ways a server rate-limits a poll: a bare 429, and a 429 saying `slow_down`.
const RATE_LIMITS: [&str; 2] = ["", r#"{"error":"slow_down"}"#];

proptest! {
    #[test]
    fn a_429_retry_after_is_a_floor_on_the_next_poll_within_the_limits(
        interval in 1u64..30,
        lifetime in 30u64..1200,
        retry_after in 0u64..5000,
        body in prop::sample::select(RATE_LIMITS.to_vec()),
    ) {
        let without = after_first_poll(interval, lifetime, 429, body, None);
        let with = after_first_poll(interval, lifetime, 429, body, Some(&retry_after.to_string()));
        // The first poll was answered `interval` s + 100 ms after the code was issued.
        let answered = Moment::from_millis(interval * 1000 + 100);
        let floor = answered + Duration::from_secs(retry_after).min(MAX_RETRY_AFTER);
        let expires_at = Moment::from_millis(lifetime * 1000);
        match without {
            // The flow's own wait already reached the expiry.
            Err(expired) => prop_assert_eq!(with, Err(expired)),
            Ok(next) if floor.max(next) >= expires_at => prop_assert_eq!(with, Err(expires_at)),
            Ok(next) => prop_assert_eq!(with, Ok(floor.max(next))),
        }
    }

    #[test]
    fn retry_after_on_other_answers_or_as_a_date_changes_nothing(
        interval in 1u64..30,
        retry_after in 0u64..5000,
        (status, body) in prop::sample::select(vec![
            (400, r#"{"error":"authorization_pending"}"#),
            (400, r#"{"error":"slow_down"}"#),
            (503, ""),
            (502, "<html>bad gateway</html>"),
        ]),
    ) {
        let without = after_first_poll(interval, 900, status, body, None);
        prop_assert_eq!(after_first_poll(interval, 900, status, body, Some(&retry_after.to_string())), without);
        let date = Some("Wed, 21 Oct 2015 07:28:00 GMT");
        prop_assert_eq!(after_first_poll(interval, 900, 429, "", date), after_first_poll(interval, 900, 429, "", None));
    }
}

#[test]
fn a_rate_limited_poll_waits_as_long_as_the_server_asks() {
    // Interval 5 s: a bare 429 backs off to 10 s; Retry-After 45 asks for more.
    let answered = Moment::from_millis(5_100);
    assert_eq!(after_first_poll(5, 900, 429, "", None), Ok(answered + Duration::from_secs(10)));
    assert_eq!(after_first_poll(5, 900, 429, "", Some("45")), Ok(answered + Duration::from_secs(45)));
    // Less than the flow waits anyway: no effect.
    assert_eq!(after_first_poll(5, 900, 429, "", Some("3")), Ok(answered + Duration::from_secs(10)));
    // An hour: capped at MAX_RETRY_AFTER.
    assert_eq!(after_first_poll(5, 900, 429, "", Some("3600")), Ok(answered + MAX_RETRY_AFTER));
    // Past the code's expiry: the flow ends at the expiry, with no further poll.
    assert_eq!(after_first_poll(5, 60, 429, "", Some("120")), Err(Moment::from_millis(60_000)));
}
