//! Every parser in the core takes arbitrary bytes without panicking.

use proptest::prelude::*;
use skytells_auth::skytells::{
    classify_failure, parse_scopes, AccessKey, ApiBase, ApiConfig, CredentialKind, Credentials, Dialect, FetchIdentity,
    PersonalAccessToken, VerifyAccessKey,
};
use skytells_auth::{DeviceClient, DeviceFlow, Discover, Exchange, Moment, Output, Refresh, Secret, WellKnown};

/// Hands `answer` to a flow of `client` as the answer to its first request, and, if a
/// code was issued, `answer` again as the answer to its first poll.
fn feed_flow(client: DeviceClient, answer: &http::Response<Vec<u8>>) {
    let mut flow = DeviceFlow::new(client, ["a"]);
    let Output::Transmit(_) = flow.poll_output(Moment::ZERO) else { panic!() };
    flow.handle_result(Moment::ZERO, Ok(answer.clone())).unwrap();
    let mut now = Moment::ZERO;
    loop {
        match flow.poll_output(now) {
            Output::Event(_) => {}
            Output::WaitUntil(at) => now = at,
            Output::Transmit(_) => {
                flow.handle_result(now, Ok(answer.clone())).unwrap();
                return;
            }
            _ => return,
        }
    }
}

fn response(status: u16, body: Vec<u8>) -> http::Response<Vec<u8>> {
    http::Response::builder().status(status).body(body).unwrap()
}

/// Mostly JSON-shaped bytes, so the parsers get past the first byte often.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        r#"\{("(data|error|access_token|device_code|user_code|verification_uri|interval|expires_in|token|scopes)":(null|1e999|-1|"[^"]{0,12}"|\[\]|\{\}|"),?){0,6}\}"#
            .prop_map(String::into_bytes),
    ]
}

proptest! {
    #[test]
    fn response_parsers_take_any_bytes(status in 100u16..600, bytes in body()) {
        let config = ApiConfig::default();
        let secret = Secret::new("sk_pat_x");
        let answer = response(status, bytes.clone());
        feed_flow(config.device_client(), &answer);
        feed_flow(config.clone().with_dialect(Dialect::Rfc8628 { client_id: "c".into() }).device_client(), &answer);
        let _ = classify_failure(&answer, CredentialKind::Token);
        let standard = DeviceClient::new("https://x.test/d", "https://x.test/t", "c").unwrap();
        let _ = Refresh::new(&standard, &secret, Moment::ZERO).interpret(answer.clone());
        let _ = Discover::new("https://x.test", WellKnown::OpenIdConfiguration).unwrap().interpret(answer.clone());
        let _ = VerifyAccessKey { config: &config, access_key: &secret }.interpret(response(status, bytes.clone()));
        let _ = FetchIdentity { config: &config, token: &secret }.interpret(response(status, bytes));
    }

    #[test]
    fn credentials_parser_takes_any_bytes(bytes in body()) {
        if let Ok(credentials) = Credentials::parse(&bytes) {
            prop_assert_eq!(
                Credentials::from_files(&credentials.to_bytes(), credentials.origins_file_bytes().as_deref()).unwrap(),
                credentials
            );
        }
    }

    #[test]
    fn text_parsers_take_any_string(text in "\\PC{0,100}|[\\x00-\\x7f]{0,100}") {
        let _ = PersonalAccessToken::parse(&text);
        let _ = AccessKey::parse(&text);
        let _ = parse_scopes(&text);
        let _ = ApiBase::parse(&text);
        // A credential of any text builds a request or a typed error, never a panic.
        let config = ApiConfig::default();
        let _ = FetchIdentity { config: &config, token: &Secret::new(text) }.transmit();
    }
}
