//! Property tests of the device flow's polling rules (RFC 8628 §3.4–3.5), run against a
//! scripted server and a simulated driver that wakes late, early, or twice.

use std::time::Duration;

use proptest::prelude::*;
use skytells_auth::skytells::{ApiConfig, Scope};
use skytells_auth::{
    DeviceFlow, FlowEvent, FlowMisuse, Moment, Outcome, Output, RequestError, TransportError, TransportErrorKind,
    MAX_BACKOFF, SLOW_DOWN_STEP,
};

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
    /// When the flow next asked to be woken, if it did.
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

/// Asks the flow what to do at `now`, checking the output contract on the way: every
/// wait ends later than `now` (so a loop never spins), and events are drained first.
fn next_output(flow: &mut DeviceFlow, now: Moment) -> Output {
    loop {
        match flow.poll_output(now) {
            Output::Event(_) => continue,
            Output::WaitUntil(at) => {
                assert!(at > now, "asked to wait until {at:?}, which is not after {now:?}");
                return Output::WaitUntil(at);
            }
            other => return other,
        }
    }
}

/// Drives a flow to its end. Answers past the end of the script are "pending".
fn simulate(interval: Option<i64>, expires_in: Option<i64>, script: &[Answer], wakes: &[Wake], latency_ms: u64) -> Run {
    let latency = Duration::from_millis(latency_ms);
    let mut flow = DeviceFlow::new(ApiConfig::default().device_client(), Scope::DEFAULT);
    let mut now = Moment::ZERO;
    let Output::Transmit(_) = next_output(&mut flow, now) else {
        panic!("the device authorization request is due at once")
    };
    assert!(
        matches!(next_output(&mut flow, now), Output::WaitUntil(_)),
        "a second call must not send a second request"
    );
    now = now + latency;
    flow.handle_result(now, Ok(device_authorization(interval, expires_in))).unwrap();
    let issued_at = now;
    let expires_at = flow.expires_at().expect("polling started");
    let initial_interval = flow.interval().expect("polling started");
    let mut polls: Vec<Poll> = Vec::new();

    for step in 0.. {
        assert!(step < 100_000, "the flow must end");
        let base_before = flow.interval();
        let transmit = match next_output(&mut flow, now) {
            Output::Done(_) => break,
            // Already due: an answer can arrive after the next poll's time (slow network).
            Output::Transmit(transmit) => transmit,
            Output::WaitUntil(due) => {
                assert!(due <= expires_at, "never asked to wake after expiry");
                if let Some(last) = polls.last_mut() {
                    last.next_due.get_or_insert(due);
                }
                let wake = &wakes[step % wakes.len()];
                if let Some(early) = wake.early_ms {
                    let early_at =
                        Moment::from_duration(due.since_origin().saturating_sub(Duration::from_millis(early)));
                    if early_at < due && early_at >= now {
                        let output = next_output(&mut flow, early_at);
                        assert!(
                            matches!(output, Output::WaitUntil(at) if at == due),
                            "an early wake-up must not poll: {output:?}"
                        );
                    }
                }
                now = now.max(due + Duration::from_millis(wake.late_ms));
                match next_output(&mut flow, now) {
                    Output::Transmit(transmit) => transmit,
                    Output::Done(outcome) => {
                        assert!(now >= expires_at, "a due poll is only withheld at expiry");
                        assert_eq!(outcome, Outcome::Expired);
                        break;
                    }
                    other => panic!("woken when due at {now:?}, the flow said {other:?}"),
                }
            }
            other => panic!("{other:?}"),
        };
        drop(transmit);
        let base_before = base_before.expect("polling");
        if wakes[step % wakes.len()].twice {
            let output = next_output(&mut flow, now);
            assert!(matches!(output, Output::WaitUntil(_)), "waking twice must not send two polls: {output:?}");
        }
        let sent_at = now;
        now = now + latency;
        let answer = script.get(polls.len()).cloned().unwrap_or(Answer::Pending);
        let result = match &answer {
            Answer::TransportFailure => Err(TransportError::new(TransportErrorKind::Connect, "refused")),
            other => Ok(response_for(other)),
        };
        flow.handle_result(now, result).unwrap();
        polls.push(Poll {
            sent_at,
            base_before,
            answer,
            answered_at: now,
            base_after: flow.interval(),
            next_due: None,
        });
    }

    let outcome = flow.outcome().cloned().unwrap();
    // Finished is final: nothing more is sent, and late results are refused.
    assert!(matches!(next_output(&mut flow, now + Duration::from_secs(1)), Output::Done(_)));
    assert_eq!(flow.handle_result(now, Ok(respond(428, b"{}"))), Err(FlowMisuse::Finished));
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
    fn failures_back_off_within_the_interval_and_the_cap_and_answers_reset_the_wait(
        (interval, lifetime, script, wakes, latency) in scenario()
    ) {
        // The rules of RFC 8628 §3.5 as this client states them, checked without the
        // implementation's formula: a wait after a failure is never shorter than the
        // current interval, never longer than the cap (or the interval, if that is
        // longer), doubles with each consecutive failure until one of those bounds, and
        // an answer resets the wait to one interval after the poll was sent.
        let run = simulate(interval, lifetime, &script, &wakes, latency);
        let mut previous_wait: Option<Duration> = None;
        for (index, poll) in run.polls.iter().enumerate() {
            let Some(base) = poll.base_after else { continue };
            let last = index + 1 == run.polls.len();
            let Some(next_due) = poll.next_due.filter(|_| !last) else {
                if last {
                    continue; // the flow ended (expired) before it had to say when
                }
                // The next poll went out at once: only right when the answer came after it was due.
                prop_assert!(!poll.answer.is_failure());
                prop_assert!(poll.answered_at >= poll.sent_at + base);
                previous_wait = None;
                continue;
            };
            if next_due == run.expires_at {
                previous_wait = None;
                continue;
            }
            if poll.answer.is_failure() {
                let wait = next_due - poll.answered_at;
                prop_assert!(wait >= base, "waited {:?}, under the interval {:?}", wait, base);
                prop_assert!(wait <= MAX_BACKOFF.max(base), "waited {:?}, over the cap", wait);
                let expected_floor = match previous_wait {
                    None => (base * 2).min(MAX_BACKOFF).max(base),
                    Some(previous) => (previous * 2).min(MAX_BACKOFF.max(base)),
                };
                prop_assert_eq!(wait, expected_floor, "after {:?}", previous_wait);
                previous_wait = Some(wait);
            } else {
                prop_assert_eq!(next_due, poll.sent_at + base);
                previous_wait = None;
            }
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
        let mut flow = DeviceFlow::new(ApiConfig::default().device_client(), [Scope::Inference]);
        let Output::Transmit(_) = next_output(&mut flow, Moment::ZERO) else { panic!() };
        let issued_at = Moment::from_millis(device_latency_ms);
        let authorization = device_authorization(Some(interval_s as i64), Some(lifetime_s as i64));
        flow.handle_result(issued_at, Ok(authorization)).unwrap();
        let approved_at = Moment::from_millis(approve_after_ms);
        let mut polls = 0u64;
        let mut now = issued_at;
        loop {
            match next_output(&mut flow, now) {
                Output::WaitUntil(at) => now = at,
                Output::Transmit(_) => {
                    polls += 1;
                    let answer = if now >= approved_at { Answer::Granted } else { Answer::Pending };
                    flow.handle_result(now, Ok(response_for(&answer))).unwrap();
                }
                _ => break,
            }
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
    let mut flow = DeviceFlow::new(ApiConfig::default().device_client(), Vec::<String>::new());
    assert_eq!(flow.handle_result(Moment::ZERO, Ok(respond(200, b"{}"))), Err(FlowMisuse::NoRequestInFlight));
    assert!(matches!(flow.poll_output(Moment::ZERO), Output::Transmit(_)), "still at the start");
    flow.handle_result(Moment::ZERO, Ok(device_authorization(Some(5), Some(60)))).unwrap();
    assert_eq!(flow.handle_result(Moment::ZERO, Ok(respond(428, b"{}"))), Err(FlowMisuse::NoRequestInFlight));
    assert!(matches!(next_output(&mut flow, Moment::ZERO), Output::WaitUntil(at) if at == Moment::from_secs(5)));
}

#[test]
fn backoff_after_consecutive_failures_follows_the_specified_table() {
    // (interval, then the waits after 1, 2, 3… consecutive failures), in seconds.
    let table: [(i64, &[u64]); 4] =
        [(5, &[10, 20, 40, 60, 60]), (1, &[2, 4, 8, 16, 32, 60, 60]), (50, &[60, 60]), (60, &[60, 60])];
    for (interval, expected) in table {
        let failures = vec![Answer::TransportFailure; expected.len()];
        let wake = Wake { late_ms: 0, early_ms: None, twice: false };
        let run = simulate(Some(interval), Some(3600), &failures, &[wake], 0);
        let waits: Vec<u64> = run
            .polls
            .iter()
            .take(expected.len())
            .map(|poll| (poll.next_due.unwrap() - poll.answered_at).as_secs())
            .collect();
        assert_eq!(waits, expected, "interval {interval}");
    }
}

/// A driver that loses a request (its future was dropped, say) and asks again later:
/// the flow counts the request as timed out at its deadline and carries on, instead of
/// waiting forever with nothing to wake for.
#[test]
fn a_request_whose_result_never_comes_times_out_at_its_deadline() {
    let mut flow = DeviceFlow::new(ApiConfig::default().device_client(), Scope::DEFAULT);
    let Output::Transmit(_) = flow.poll_output(Moment::ZERO) else { panic!() };
    flow.handle_result(Moment::ZERO, Ok(device_authorization(Some(5), Some(120)))).unwrap();
    let Output::WaitUntil(due) = next_output(&mut flow, Moment::ZERO) else { panic!() };
    let Output::Transmit(lost) = flow.poll_output(due) else { panic!() };
    let deadline = due + lost.timeout;
    assert_eq!(lost.timeout, Duration::from_secs(30));
    drop(lost);
    let Output::WaitUntil(wake_at) = flow.poll_output(due) else { panic!("a lost request still has a deadline") };
    assert_eq!(wake_at, deadline);
    let Output::Event(FlowEvent::PollFailed { error, retry_in }) = flow.poll_output(deadline) else {
        panic!("the deadline passed: the poll timed out")
    };
    let RequestError::Transport(transport) = &error else { panic!("{error:?}") };
    assert_eq!(transport.kind, TransportErrorKind::Timeout, "{transport}");
    assert_eq!(retry_in, Duration::from_secs(10));
    assert!(matches!(flow.poll_output(deadline), Output::WaitUntil(at) if at == deadline + retry_in));
    // A result for the lost request is no longer expected.
    assert_eq!(flow.handle_result(deadline, Ok(respond(428, b"{}"))), Err(FlowMisuse::NoRequestInFlight));
}

/// Expiry also ends a flow whose last request was lost: the deadline of a poll never
/// lies past the code's expiry.
#[test]
fn a_lost_poll_near_expiry_still_ends_the_flow_at_expiry() {
    let mut flow = DeviceFlow::new(ApiConfig::default().device_client(), Scope::DEFAULT);
    let Output::Transmit(_) = flow.poll_output(Moment::ZERO) else { panic!() };
    flow.handle_result(Moment::ZERO, Ok(device_authorization(Some(5), Some(12)))).unwrap();
    let mut now = Moment::ZERO;
    loop {
        match next_output(&mut flow, now) {
            Output::WaitUntil(at) => now = at,
            Output::Transmit(_) => {} // lost every time
            Output::Done(outcome) => {
                assert_eq!(outcome, Outcome::Expired);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(now, Moment::from_secs(12));
}
