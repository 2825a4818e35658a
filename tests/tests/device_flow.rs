//! Whole device flows through both drivers, against the emulator on loopback.

mod common;

use std::time::Duration;

use common::{emulator, login, poll_gaps, polls_around_decision, Person, TOLERANCE_MS};
use skytells_auth::skytells::{messages, FetchIdentity};
use skytells_auth::{FlowEvent, FlowFailure, Outcome, RequestError, TransportErrorKind};
use skytells_emulator::{Break, Breakage, Dialect, Endpoint, Fault};

for_both_drivers!(approved_in_the_browser_yields_a_working_token, |driver: common::Driver| {
    let emulator = emulator(|_| {});
    let (outcome, events) = login(&driver, &emulator, Person::Approves, 1);
    let Outcome::Authorized(grant) = outcome else { panic!("{outcome:?}") };
    assert_eq!(grant.scopes, ["inference", "account.read"]);
    assert_eq!(grant.token_type, "Bearer");
    let identity = driver.execute(&FetchIdentity { config: &common::config(&emulator), token: &grant.access_token });
    assert_eq!(identity.unwrap().name.as_deref(), Some("Ada Lovelace"));

    let Some(FlowEvent::CodeIssued(code)) = events.first() else { panic!("{events:?}") };
    assert_eq!(code.interval, Duration::from_secs(1));
    assert_eq!(code.lifetime, Duration::from_secs(30));
    let device = &emulator.log()[0];
    assert_eq!(device.body, r#"{"client_name":"Skytells CLI v0.1.0","scopes":["inference","account.read"]}"#);
    assert!(device.user_agent.as_deref().unwrap().starts_with("skytells-cli/"));
    let polls = emulator.polls();
    assert!(polls.iter().all(|poll| poll.note.is_none()), "no poll came early: {polls:?}");
    assert!(poll_gaps(&polls).iter().all(|gap| *gap >= 1000.0 - TOLERANCE_MS), "{:?}", poll_gaps(&polls));
    // Approved after the first poll: every poll before it heard "pending", and the first
    // poll after it got the token and was the last.
    let (before, after) = polls_around_decision(&emulator);
    assert!(!before.is_empty() && before.iter().all(|poll| poll.status == Some(428)), "{before:?}");
    assert_eq!(after.iter().map(|poll| poll.status).collect::<Vec<_>>(), [Some(200)], "{after:?}");
});

for_both_drivers!(denied_in_the_browser_ends_as_denied, |driver: common::Driver| {
    let emulator = emulator(|_| {});
    let (outcome, _) = login(&driver, &emulator, Person::Denies, 0);
    assert_eq!(outcome, Outcome::Denied);
});

for_both_drivers!(an_ignored_code_expires_and_nothing_is_polled_after_expiry, |driver: common::Driver| {
    let emulator = emulator(|scenario| scenario.expires_in = Some(3.0));
    let (outcome, _) = login(&driver, &emulator, Person::Ignores, 0);
    assert_eq!(outcome, Outcome::Expired);
    // The client ends at its own expiry instant, which is no earlier than the server's
    // (it starts counting when the answer arrives). So every poll but the last heard
    // "pending"; at most the last reached a server that had already expired the code;
    // and there are at most lifetime / interval + 1 of them.
    let polls = emulator.polls();
    let statuses: Vec<Option<u16>> = polls.iter().map(|poll| poll.status).collect();
    assert!(!polls.is_empty());
    assert!(statuses[..statuses.len() - 1].iter().all(|status| *status == Some(428)), "{statuses:?}");
    assert!(matches!(statuses.last(), Some(Some(428 | 410))), "{statuses:?}");
    assert!(polls.len() <= 4, "{statuses:?}");
});

fn slow_down_lengthens_the_interval_by_five_seconds(driver: common::Driver, dialect: Dialect) {
    let emulator = emulator(|scenario| {
        scenario.dialect = dialect;
        scenario.slow_down_first = 1;
        scenario.auto_approve_after = Some(0.0);
    });
    let (outcome, events) = login(&driver, &emulator, Person::Ignores, 0);
    assert!(matches!(outcome, Outcome::Authorized(_)), "{outcome:?}");
    assert!(events.contains(&FlowEvent::SlowedDown { interval: Duration::from_secs(6) }), "{events:?}");
    let polls = emulator.polls();
    assert_eq!(polls.len(), 2, "{polls:?}");
    assert_eq!(polls[0].note.as_deref(), Some("scripted slow_down"));
    let gap = poll_gaps(&polls)[0];
    // At least the new interval; well under the 11 s that adding the step twice would give.
    assert!((6000.0 - TOLERANCE_MS..10_000.0).contains(&gap), "gap after slow_down was {gap} ms");
}

for_both_drivers!(slow_down_as_429_in_the_skytells_dialect, |driver: common::Driver| {
    slow_down_lengthens_the_interval_by_five_seconds(driver, Dialect::Skytells);
});

for_both_drivers!(slow_down_as_400_in_the_rfc8628_dialect, |driver: common::Driver| {
    slow_down_lengthens_the_interval_by_five_seconds(driver, Dialect::Rfc8628);
});

for_both_drivers!(the_rfc8628_dialect_sends_forms_with_the_client_id, |driver: common::Driver| {
    let emulator = emulator(|scenario| {
        scenario.dialect = Dialect::Rfc8628;
        scenario.client_id = "cli-123".into();
    });
    let (outcome, _) = login(&driver, &emulator, Person::Approves, 0);
    assert!(matches!(outcome, Outcome::Authorized(_)), "{outcome:?}");
    let log = emulator.log();
    assert_eq!(log[0].content_type.as_deref(), Some("application/x-www-form-urlencoded"));
    assert_eq!(log[0].body, "client_id=cli-123&scope=inference+account.read");
    let poll = emulator.polls().pop().unwrap();
    assert!(
        poll.body.starts_with(
            "client_id=cli-123&grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=dc_"
        ),
        "{}",
        poll.body
    );
});

fn transient_failures_back_off_then_succeed(driver: common::Driver, fault: Fault) {
    let emulator = emulator(|scenario| {
        scenario.fail_first = 2;
        scenario.fault = fault;
        scenario.auto_approve_after = Some(0.0);
    });
    let (outcome, events) = login(&driver, &emulator, Person::Ignores, 0);
    assert!(matches!(outcome, Outcome::Authorized(_)), "{outcome:?}");
    let waits: Vec<Duration> = events
        .iter()
        .filter_map(|event| match event {
            FlowEvent::PollFailed { retry_in, .. } => Some(*retry_in),
            _ => None,
        })
        .collect();
    assert_eq!(waits, [Duration::from_secs(2), Duration::from_secs(4)]);
    let gaps = poll_gaps(&emulator.polls());
    assert!(gaps[0] >= 2000.0 - TOLERANCE_MS && gaps[1] >= 4000.0 - TOLERANCE_MS, "{gaps:?}");
}

for_both_drivers!(server_errors_back_off_exponentially_then_succeed, |driver: common::Driver| {
    transient_failures_back_off_then_succeed(driver, Fault::ServerError);
});

for_both_drivers!(dropped_connections_back_off_exponentially_then_succeed, |driver: common::Driver| {
    transient_failures_back_off_then_succeed(driver, Fault::DropConnection);
});

for_both_drivers!(slow_answers_and_envelopes_are_fine, |driver: common::Driver| {
    let emulator = emulator(|scenario| {
        scenario.delay_ms = 300;
        scenario.envelope = true;
        scenario.auto_approve_after = Some(0.0);
    });
    let (outcome, _) = login(&driver, &emulator, Person::Ignores, 0);
    assert!(matches!(outcome, Outcome::Authorized(_)), "{outcome:?}");
});

for_both_drivers!(hostile_strings_reach_the_caller_without_control_characters, |driver: common::Driver| {
    let emulator = emulator(|scenario| {
        scenario.hostile_strings = true;
        scenario.approve_after_polls = Some(1);
    });
    let (outcome, events) = login(&driver, &emulator, Person::Ignores, 0);
    assert!(matches!(outcome, Outcome::Authorized(_)), "{outcome:?}");
    let Some(FlowEvent::CodeIssued(code)) = events.first() else { panic!() };
    assert!(!code.user_code.chars().any(char::is_control), "{:?}", code.user_code);
    assert!(code.user_code.starts_with(&emulator.devices()[0].user_code[..9]));
    // The pre-filled URL carried escapes too, so it was dropped for the plain one.
    assert_eq!(code.verification_uri_complete, None);
});

for_both_drivers!(malformed_device_answers_fail_with_a_clear_reason, |driver: common::Driver| {
    let emulator = emulator(|scenario| {
        scenario.breaks = vec![Break { endpoint: Endpoint::Device, breakage: Breakage::Html }];
    });
    let (outcome, _) = login(&driver, &emulator, Person::Ignores, 0);
    let Outcome::Failed(failure) = outcome else { panic!("{outcome:?}") };
    assert_eq!(
        messages::flow_failure(&failure),
        "could not start device authorization: the Skytells API sent an unusable answer (HTTP 200): the response is not valid JSON (content type text/html)"
    );
});

for_both_drivers!(a_non_web_verification_uri_is_refused, |driver: common::Driver| {
    let emulator = emulator(|scenario| scenario.verification_uri = Some("javascript:alert(1)".into()));
    let (outcome, _) = login(&driver, &emulator, Person::Ignores, 0);
    let Outcome::Failed(failure) = outcome else { panic!("{outcome:?}") };
    let Some(RequestError::Malformed { problem, .. }) = failure.request_error() else { panic!("{failure:?}") };
    assert_eq!(problem.to_string(), "the response's `verification_uri` is not an http(s) URL");
});

for_both_drivers!(a_token_answer_without_a_token_fails, |driver: common::Driver| {
    let emulator = emulator(|scenario| {
        scenario.breaks = vec![Break { endpoint: Endpoint::Token, breakage: Breakage::MissingAccessToken }];
    });
    let (outcome, _) = login(&driver, &emulator, Person::Ignores, 0);
    let Outcome::Failed(FlowFailure::TokenPoll(RequestError::Malformed { status: 200, problem })) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(problem.to_string(), "the response has no `access_token`");
});

for_both_drivers!(oversized_poll_answers_are_cut_off_and_retried_until_expiry, |driver: common::Driver| {
    let emulator = emulator(|scenario| {
        scenario.expires_in = Some(4.0);
        scenario.breaks = vec![Break { endpoint: Endpoint::Token, breakage: Breakage::Oversized { bytes: 3 << 20 } }];
    });
    let (outcome, events) = login(&driver, &emulator, Person::Ignores, 0);
    assert_eq!(outcome, Outcome::Expired);
    let too_large = events.iter().any(|event| {
        matches!(event, FlowEvent::PollFailed { error: RequestError::Transport(error), .. } if error.kind == TransportErrorKind::BodyTooLarge)
    });
    assert!(too_large, "{events:?}");
});

for_both_drivers!(answers_cut_mid_body_are_transport_failures, |driver: common::Driver| {
    let emulator = emulator(|scenario| {
        scenario.expires_in = Some(2.5);
        scenario.breaks = vec![Break { endpoint: Endpoint::Token, breakage: Breakage::DropMidBody }];
    });
    let (outcome, events) = login(&driver, &emulator, Person::Ignores, 0);
    assert_eq!(outcome, Outcome::Expired);
    assert!(events
        .iter()
        .any(|event| matches!(event, FlowEvent::PollFailed { error: RequestError::Transport(_), .. })));
});
