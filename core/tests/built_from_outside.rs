//! What an embedder's own tests can build: user codes, grants, server metadata, and
//! clones of a flow that carry on independently.

use std::time::Duration;

use skytells_auth::{
    DeviceClient, DeviceFlow, FlowEvent, Moment, Outcome, Output, Secret, ServerMetadata, TokenGrant, UserCode,
};

fn answer(status: u16, body: &str) -> Result<http::Response<Vec<u8>>, skytells_auth::TransportError> {
    Ok(http::Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap())
}

#[test]
fn a_built_user_code_equals_the_one_a_flow_issues() {
    let client = DeviceClient::new("https://id.test/device", "https://id.test/token", "my-cli").unwrap();
    let mut flow = DeviceFlow::new(client, ["openid"]);
    let Output::Transmit(_) = flow.poll_output(Moment::ZERO) else { panic!("the first request") };
    let issued_at = Moment::from_millis(250);
    let body = r#"{"device_code":"d","user_code":"ABCD-1234","verification_uri":"https://id.test/a",
        "verification_uri_complete":"https://id.test/a?c=ABCD-1234","expires_in":600,"interval":7}"#;
    flow.handle_result(issued_at, answer(200, body)).unwrap();
    let Output::Event(FlowEvent::CodeIssued(issued)) = flow.poll_output(issued_at) else { panic!("a code") };
    let built =
        UserCode::new("ABCD-1234", "https://id.test/a", issued_at, Duration::from_secs(600), Duration::from_secs(7))
            .with_verification_uri_complete("https://id.test/a?c=ABCD-1234");
    assert_eq!(built, issued);
}

#[test]
fn a_built_grant_equals_the_one_a_flow_receives() {
    let client = DeviceClient::new("https://id.test/device", "https://id.test/token", "my-cli").unwrap();
    let mut flow = DeviceFlow::new(client, ["openid"]);
    let Output::Transmit(_) = flow.poll_output(Moment::ZERO) else { panic!("the first request") };
    let issued = r#"{"device_code":"d","user_code":"U","verification_uri":"https://id.test/a","interval":5}"#;
    flow.handle_result(Moment::ZERO, answer(200, issued)).unwrap();
    let _code = flow.poll_output(Moment::ZERO);
    let now = Moment::from_secs(5);
    let Output::Transmit(_) = flow.poll_output(now) else { panic!("a poll") };

    // Two clones of the same waiting flow, answered differently, end differently.
    let mut declined = flow.clone();
    let granted = r#"{"access_token":"at","token_type":"bearer","refresh_token":"rt","expires_in":60,
        "id_token":"a.b.c","scope":"openid email","tenant":"t-1"}"#;
    flow.handle_result(now, answer(200, granted)).unwrap();
    declined.handle_result(now, answer(400, r#"{"error":"access_denied"}"#)).unwrap();
    assert_eq!(declined.outcome(), Some(&Outcome::Denied));

    let built = TokenGrant::new(Secret::new("at"))
        .with_token_type("bearer")
        .with_refresh_token(Secret::new("rt"))
        .with_expires_in(Duration::from_secs(60), now)
        .with_id_token(Secret::new("a.b.c"))
        .with_scopes(["openid", "email"])
        .with_extra("tenant", r#""t-1""#);
    assert_eq!(flow.outcome().and_then(Outcome::grant), Some(&built));
}

#[test]
fn built_metadata_makes_a_client() {
    let metadata = ServerMetadata::new("https://id.test", "https://id.test/token")
        .with_device_authorization_endpoint("https://id.test/device")
        .with_grant_types_supported(["urn:ietf:params:oauth:grant-type:device_code"])
        .with_token_endpoint_auth_methods_supported(["none"])
        .with_scopes_supported(["openid"]);
    let client = DeviceClient::from_metadata(&metadata, "my-cli").unwrap();
    assert_eq!(
        (client.device_authorization_endpoint(), client.token_endpoint()),
        ("https://id.test/device", "https://id.test/token")
    );
    assert!(DeviceClient::from_metadata(&ServerMetadata::new("https://id.test", "https://id.test/token"), "c").is_err());
}
