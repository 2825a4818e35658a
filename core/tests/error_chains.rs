//! Every error follows one convention: a wrapped error is the `source()`, and the
//! message does not repeat it, so anyhow and eyre print each cause once.

use std::error::Error;

use skytells_auth::skytells::{ApiBase, ApiConfig, ApiError, FetchIdentity};
use skytells_auth::{
    BodyError, DeviceClient, DeviceFlow, Discover, DiscoveryError, ErrorCode, Exchange, FlowFailure, Moment,
    NotAuthorized, Outcome, Output, RequestError, Secret, TransportError, TransportErrorKind, WellKnown,
};

/// The messages of `error` and its sources, checking on the way that none repeats the
/// message of the error it wraps.
fn chain(error: &(dyn Error + 'static)) -> Vec<String> {
    let mut messages = vec![error.to_string()];
    let mut current = error;
    while let Some(source) = current.source() {
        let (outer, inner) = (current.to_string(), source.to_string());
        assert!(!outer.contains(&inner), "`{outer}` repeats its source `{inner}`");
        messages.push(inner);
        current = source;
    }
    messages
}

fn answer(status: u16, body: &str) -> Result<http::Response<Vec<u8>>, TransportError> {
    Ok(http::Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap())
}

/// The outcome of a flow whose device authorization gets `first` and whose first poll
/// gets `poll`.
fn outcome(first: Result<http::Response<Vec<u8>>, TransportError>, poll: Option<(u16, &str)>) -> Outcome {
    let client = DeviceClient::new("https://id.test/device", "https://id.test/token", "my-cli").unwrap();
    let mut flow = DeviceFlow::new(client, ["openid"]);
    let Output::Transmit(_) = flow.poll_output(Moment::ZERO) else { panic!("the first request") };
    flow.handle_result(Moment::ZERO, first).unwrap();
    if let Some((status, body)) = poll {
        let _event = flow.poll_output(Moment::ZERO);
        let Output::Transmit(_) = flow.poll_output(Moment::from_secs(5)) else { panic!("a poll") };
        flow.handle_result(Moment::from_secs(5), answer(status, body)).unwrap();
    }
    let Output::Done(outcome) = flow.poll_output(Moment::from_secs(5)) else { panic!("done") };
    outcome
}

const ISSUED: &str = r#"{"device_code":"d","user_code":"U","verification_uri":"https://id.test/a","interval":5}"#;

#[test]
fn a_transport_failure_is_reachable_from_the_flow_and_said_once() {
    let refused = TransportError::new(TransportErrorKind::Connect, "connection refused");
    let Outcome::Failed(failure) = outcome(Err(refused.clone()), None) else { panic!("failed") };
    let messages = chain(&failure);
    assert_eq!(
        messages,
        ["could not start device authorization", "no answer from the server", "could not connect: connection refused"]
    );
    let transport = failure.source().and_then(Error::source).and_then(|e| e.downcast_ref::<TransportError>());
    assert_eq!(transport, Some(&refused));
    assert_eq!(failure.request_error(), Some(&RequestError::Transport(refused)));
    assert_eq!(failure.oauth_code(), None);
}

#[test]
fn an_oauth_error_is_reachable_from_the_flow_and_its_result() {
    let outcome = outcome(answer(200, ISSUED), Some((401, r#"{"error":"invalid_client"}"#)));
    let Outcome::Failed(failure) = outcome.clone() else { panic!("failed") };
    assert_eq!(failure.oauth_code(), Some(&ErrorCode::InvalidClient));
    assert!(matches!(failure, FlowFailure::TokenPoll(_)));
    let error = outcome.into_result().unwrap_err();
    assert!(matches!(error, NotAuthorized::Failed(_)));
    let messages = chain(&error);
    assert_eq!(messages[..2], ["the login failed", "device authorization failed"]);
    assert!(messages[2].contains("invalid_client"), "{messages:?}");
    // Through a boxed error, as `?` into `Box<dyn Error>` makes it.
    let boxed: Box<dyn Error + Send + Sync> = Box::new(error);
    assert_eq!(chain(boxed.as_ref()).len(), 3);
}

#[test]
fn an_unusable_body_is_the_source_of_its_request_error() {
    let Outcome::Failed(failure) = outcome(answer(200, "<html>"), None) else { panic!("failed") };
    let messages = chain(&failure);
    assert_eq!(messages[1], "the server sent an unusable answer (HTTP 200)");
    let problem = failure.source().and_then(Error::source).and_then(|e| e.downcast_ref::<BodyError>());
    assert_eq!(problem, Some(&BodyError::NotJson { content_type: None }));
}

#[test]
fn discovery_and_api_errors_chain_the_same_way() {
    let issuer = Discover::new("http://auth.example.com", WellKnown::OpenIdConfiguration).unwrap_err();
    let error = DiscoveryError::from(issuer);
    let messages = chain(&error);
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[1].contains("auth.example.com"), "{messages:?}");

    let config = ApiConfig::new(ApiBase::parse("https://api.test").unwrap());
    let token = Secret::new("sk_pat_x");
    let call = FetchIdentity { config: &config, token: &token };
    let error: ApiError = call.interpret(answer(200, "[]").unwrap()).unwrap_err();
    let messages = chain(&error);
    assert_eq!(messages, ["the server sent an unusable answer (HTTP 200)", "the response is JSON but not an object"]);
}
