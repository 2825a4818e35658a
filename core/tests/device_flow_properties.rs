//! Property tests of the device flow's polling rules (RFC 8628 §3.4–3.5), run against a
//! scripted server and a simulated driver that wakes late, early, or twice.

use std::time::Duration;

use proptest::prelude::*;
use skytells_auth::flow::{MAX_BACKOFF, SLOW_DOWN_STEP};
use skytells_auth::{ApiConfig, DeviceFlow, FlowMisuse, Moment, Outcome, Scope, TransportError, TransportErrorKind};

/// What the scripted server says to one poll.
#[derive(Debug, Clone)]
enum Answer {
    Pending,
    SlowDown429,
    SlowDown400,
    ServerError(u16),
    TransportFailure,
    Denied,
    Expired,
    Granted,
    Garbage(u16, Vec<u8>),
}

impl Answer {
    fn is_failure(&self) -> bool {
        matches!(self, Answer::ServerError(_) | Answer::TransportFailure)
    }

    fn is_slow_down(&self) -> bool {
        matches!(self, Answer::SlowDown429 | Answer::SlowDown400)
    }
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        8 => Just(Answer::Pending),
        2 => Just(Answer::SlowDown429),
        2 => Just(Answer::SlowDown400),
        2 => prop::sample::select(vec![500u16, 502, 503, 504]).prop_map(Answer::ServerError),
        2 => Just(Answer::TransportFailure),
        1 => Just(Answer::Denied),
        1 => Just(Answer::Expired),
        1 => Just(Answer::Granted),
        1 => (prop::sample::select(vec![200u16, 400, 418]), prop::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(status, body)| Answer::Garbage(status, body)),
    ]
}

/// How the driver wakes for one poll.
#[derive(Debug, Clone)]
struct Wake {
    late_ms: u64,
    early_ms: Option<u64>,
    twice: bool,
}

fn wake() -> impl Strategy<Value = Wake> {
    (prop_oneof![3 => Just(0u64), 1 => 0u64..20_000], prop::option::of(1u64..10_000), any::<bool>())
        .prop_map(|(late_ms, early_ms, twice)| Wake { late_ms, early_ms, twice })
}

fn respond(status: u16, body: &[u8]) -> http::Response<Vec<u8>> {
    http::Response::builder().status(status).body(body.to_vec()).unwrap()
}

fn device_authorization(interval: Option<i64>, expires_in: Option<i64>) -> http::Response<Vec<u8>> {
    let mut body = serde_json::json!({
        "device_code": "device-code-1",
        "user_code": "ABCD-1234",
        "verification_uri": "https://console.skytells.ai/device",
    });
    if let Some(interval) = interval {
        body["interval"] = interval.into();
    }
    if let Some(expires_in) = expires_in {
        body["expires_in"] = expires_in.into();
    }
    respond(200, body.to_string().as_bytes())
}

/// One poll as the simulated driver saw it.
#[derive(Debug)]
struct Poll {
    sent_at: Moment,
    base_before: Duration,
    answer: Answer,
    answered_at: Moment,
    base_after: Option<Duration>,
    next_due: Option<Moment>,
}

#[derive(Debug)]
struct Run {
    issued_at: Moment,
    expires_at: Moment,
    initial_interval: Duration,
    polls: Vec<Poll>,
    outcome: Outcome,
}

/// Drives a flow to its end. Answers past the end of the script are "pending".
fn simulate(interval: Option<i64>, expires_in: Option<i64>, script: &[Answer], wakes: &[Wake], latency_ms: u64) -> Run {
    let latency = Duration::from_millis(latency_ms);
    let mut flow = DeviceFlow::new(ApiConfig::default(), Scope::DEFAULT.to_vec());
    let mut now = Moment::ZERO;
    assert_eq!(flow.poll_timeout(), Some(Moment::ZERO));
    flow.poll_transmit(now).expect("the device authorization request is due at once");
    assert!(flow.poll_transmit(now).is_none(), "a second call must not send a second request");
    now = now + latency;
    flow.handle_response(now, device_authorization(interval, expires_in)).unwrap();
    let issued_at = now;
    let expires_at = flow.expires_at().expect("polling started");
    let initial_interval = flow.interval().expect("polling started");
    let mut polls: Vec<Poll> = Vec::new();

    for step in 0.. {
        assert!(step < 100_000, "the flow must end");
        if flow.outcome().is_some() {
            break;
        }
        let due = flow.poll_timeout().expect("an idle, unfinished flow always has a wake-up time");
        assert!(due <= expires_at, "never asked to wake after expiry");
        let wake = &wakes[step % wakes.len()];
        if let Some(early) = wake.early_ms {
            let early_at = Moment::from_duration(due.since_origin().saturating_sub(Duration::from_millis(early)));
            if early_at < due && early_at >= now {
                assert!(flow.poll_transmit(early_at).is_none(), "an early wake-up must not poll");
            }
        }
        now = now.max(due + Duration::from_millis(wake.late_ms));
        let base_before = flow.interval().unwrap();
        let Some(_transmit) = flow.poll_transmit(now) else {
            assert!(now >= expires_at, "a due poll is only withheld at expiry");
            assert_eq!(flow.outcome(), Some(&Outcome::Expired));
            break;
        };
        if wake.twice {
            assert!(flow.poll_transmit(now).is_none(), "waking twice must not send two polls");
        }
        let sent_at = now;
        now = now + latency;
        let answer = script.get(polls.len()).cloned().unwrap_or(Answer::Pending);
        match &answer {
            Answer::TransportFailure => {
                flow.handle_transport_error(now, TransportError::new(TransportErrorKind::Connect, "refused")).unwrap()
            }
            other => flow.handle_response(now, response_for(other)).unwrap(),
        }
        polls.push(Poll {
            sent_at,
            base_before,
            answer,
            answered_at: now,
            base_after: flow.interval(),
            next_due: flow.poll_timeout(),
        });
    }

    let outcome = flow.outcome().cloned().unwrap();
    // Finished is final: nothing more is sent, and late results are refused.
    assert!(flow.poll_transmit(now + Duration::from_secs(1)).is_none());
    assert_eq!(flow.poll_timeout(), None);
    assert_eq!(flow.handle_response(now, respond(428, b"{}")), Err(FlowMisuse::Finished));
    Run { issued_at, expires_at, initial_interval, polls, outcome }
}

fn response_for(answer: &Answer) -> http::Response<Vec<u8>> {
    match answer {
        Answer::Pending => respond(428, br#"{"error":"authorization pending"}"#),
        Answer::SlowDown429 => respond(429, b"{}"),
        Answer::SlowDown400 => respond(400, br#"{"error":"slow_down"}"#),
        Answer::ServerError(status) => respond(*status, b"<html>busy</html>"),
        Answer::Denied => respond(403, br#"{"error":"denied"}"#),
        Answer::Expired => respond(410, b"{}"),
        Answer::Granted => respond(200, br#"{"access_token":"sk_pat_granted","scopes":["inference"]}"#),
        Answer::Garbage(status, body) => respond(*status, body),
        Answer::TransportFailure => unreachable!("transport failures have no response"),
    }
}

fn interval_secs() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![4 => (1i64..=10).prop_map(Some), 1 => Just(None), 1 => (-5i64..=0).prop_map(Some), 1 => Just(Some(86_400))]
}

fn lifetime_secs() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![4 => (5i64..=900).prop_map(Some), 1 => Just(None), 1 => (-5i64..=0).prop_map(Some)]
}

fn scenario() -> impl Strategy<Value = (Option<i64>, Option<i64>, Vec<Answer>, Vec<Wake>, u64)> {
    (
        interval_secs(),
        lifetime_secs(),
        prop::collection::vec(answer(), 0..60),
        prop::collection::vec(wake(), 1..8),
        prop_oneof![Just(0u64), 0u64..3_000],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_poll_is_sooner_than_the_current_interval_after_the_previous_one(
        (interval, lifetime, script, wakes, latency) in scenario()
    ) {
        let run = simulate(interval, lifetime, &script, &wakes, latency);
        let mut previous = None;
        for poll in &run.polls {
            let earliest = match previous {
                None => run.issued_at + run.initial_interval,
                Some(previous_sent) => previous_sent + poll.base_before,
            };
            prop_assert!(poll.sent_at >= earliest, "poll at {:?}, earliest allowed {:?}", poll.sent_at, earliest);
            previous = Some(poll.sent_at);
        }
    }

    #[test]
    fn slow_down_adds_five_seconds_to_every_later_poll_and_the_interval_never_shrinks(
        (interval, lifetime, script, wakes, latency) in scenario()
    ) {
        let run = simulate(interval, lifetime, &script, &wakes, latency);
        for poll in &run.polls {
            let Some(after) = poll.base_after else { continue };
            if poll.answer.is_slow_down() {
                prop_assert_eq!(after, poll.base_before + SLOW_DOWN_STEP);
            } else {
                prop_assert_eq!(after, poll.base_before);
            }
        }
    }

    #[test]
    fn failures_back_off_exponentially_to_a_cap_and_answers_reset_the_wait(
        (interval, lifetime, script, wakes, latency) in scenario()
    ) {
        let run = simulate(interval, lifetime, &script, &wakes, latency);
        let mut consecutive_failures = 0u32;
        for poll in &run.polls {
            let (Some(base), Some(next_due)) = (poll.base_after, poll.next_due) else { continue };
            let expected = if poll.answer.is_failure() {
                consecutive_failures += 1;
                let grown = base.saturating_mul(1 << consecutive_failures.min(16));
                poll.answered_at + grown.min(MAX_BACKOFF).max(base)
            } else {
                consecutive_failures = 0;
                poll.sent_at + base
            };
            prop_assert_eq!(next_due, expected.min(run.expires_at));
            prop_assert!(next_due >= poll.sent_at + base || next_due == run.expires_at);
        }
    }

    #[test]
    fn no_poll_is_sent_at_or_after_expiry_and_every_flow_ends(
        (interval, lifetime, script, wakes, latency) in scenario()
    ) {
        let run = simulate(interval, lifetime, &script, &wakes, latency);
        for poll in &run.polls {
            prop_assert!(poll.sent_at < run.expires_at);
        }
        let decisive = run.polls.iter().find(|poll| {
            matches!(poll.answer, Answer::Denied | Answer::Expired | Answer::Granted | Answer::Garbage(..))
        });
        if decisive.is_none() {
            prop_assert_eq!(&run.outcome, &Outcome::Expired);
        }
        match run.polls.last().map(|poll| &poll.answer) {
            Some(Answer::Granted) => prop_assert!(matches!(run.outcome, Outcome::Authorized(_))),
            Some(Answer::Denied) => prop_assert_eq!(&run.outcome, &Outcome::Denied),
            Some(Answer::Expired) => prop_assert_eq!(&run.outcome, &Outcome::Expired),
            _ => {}
        }
    }

    #[test]
    fn total_polls_never_exceed_lifetime_over_initial_interval_plus_one(
        (interval, lifetime, script, wakes, latency) in scenario()
    ) {
        let run = simulate(interval, lifetime, &script, &wakes, latency);
        let lifetime = run.expires_at - run.issued_at;
        let bound = (lifetime.as_millis() / run.initial_interval.as_millis()) as usize + 1;
        prop_assert!(run.polls.len() <= bound, "{} polls, bound {}", run.polls.len(), bound);
    }

    #[test]
    fn approval_is_noticed_by_the_first_poll_after_it_with_the_minimum_number_of_polls(
        interval_s in 1u64..=10,
        lifetime_s in 10u64..=900,
        approve_after_ms in 0u64..900_000,
        device_latency_ms in 0u64..2_000,
    ) {
        let interval = Duration::from_secs(interval_s);
        let mut flow = DeviceFlow::new(ApiConfig::default(), vec![Scope::Inference]);
        flow.poll_transmit(Moment::ZERO).unwrap();
        let issued_at = Moment::from_millis(device_latency_ms);
        flow.handle_response(issued_at, device_authorization(Some(interval_s as i64), Some(lifetime_s as i64))).unwrap();
        let approved_at = Moment::from_millis(approve_after_ms);
        let mut polls = 0u64;
        let mut now = issued_at;
        while flow.outcome().is_none() {
            now = flow.poll_timeout().unwrap();
            if flow.poll_transmit(now).is_none() {
                break;
            }
            polls += 1;
            let answer = if now >= approved_at { Answer::Granted } else { Answer::Pending };
            flow.handle_response(now, response_for(&answer)).unwrap();
        }
        // Polls happen at issued + k·interval, k ≥ 1; the first one at or after approval wins.
        let wait = approved_at.saturating_duration_since(issued_at).as_millis() as u64;
        let minimum = wait.div_ceil(interval.as_millis() as u64).max(1);
        let first_after_approval = issued_at + interval * minimum as u32;
        let expires_at = issued_at + Duration::from_secs(lifetime_s);
        if first_after_approval < expires_at {
            prop_assert!(matches!(flow.outcome(), Some(Outcome::Authorized(_))), "{:?}", flow.outcome());
            prop_assert_eq!(polls, minimum);
            prop_assert_eq!(now, first_after_approval);
        } else {
            prop_assert_eq!(flow.outcome(), Some(&Outcome::Expired));
            prop_assert_eq!(now, expires_at);
        }
    }
}

#[test]
fn the_flow_ends_as_expired_at_the_expiry_instant_even_if_the_server_never_says_so() {
    let run = simulate(Some(5), Some(12), &[], &[Wake { late_ms: 0, early_ms: None, twice: false }], 0);
    assert_eq!(run.outcome, Outcome::Expired);
    let sent: Vec<Moment> = run.polls.iter().map(|poll| poll.sent_at).collect();
    assert_eq!(sent, [Moment::from_secs(5), Moment::from_secs(10)]);
}

#[test]
fn a_response_without_a_request_is_refused_and_changes_nothing() {
    let mut flow = DeviceFlow::new(ApiConfig::default(), vec![]);
    assert_eq!(flow.handle_response(Moment::ZERO, respond(200, b"{}")), Err(FlowMisuse::NoRequestInFlight));
    assert!(flow.poll_transmit(Moment::ZERO).is_some(), "still at the start");
    flow.handle_response(Moment::ZERO, device_authorization(Some(5), Some(60))).unwrap();
    assert_eq!(flow.handle_response(Moment::ZERO, respond(428, b"{}")), Err(FlowMisuse::NoRequestInFlight));
    assert_eq!(flow.poll_timeout(), Some(Moment::from_secs(5)));
}
