//! The generic OAuth part of the public API, call by call: clients, discovery, refresh,
//! and the errors, as an embedder meets them.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use skytells_auth::{
    discover, BodyError, ClientAuth, DeviceClient, Discover, DiscoveryError, EndpointError, ErrorCode, Exchange,
    Moment, OAuthError, Refresh, RequestError, RequestLimits, Secret, TimingBounds, Transmit, TransportError,
    TransportErrorKind, WellKnown,
};

fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap()
}

/// An error's message and its sources', as anyhow's `{:#}` prints them.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// Runs a future whose every await is ready at once.
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a scripted future must not wait"),
    }
}

const METADATA: &str = r#"{"issuer":"https://id.test","device_authorization_endpoint":"https://id.test/device",
    "token_endpoint":"https://id.test/token","grant_types_supported":["urn:ietf:params:oauth:grant-type:device_code"],
    "token_endpoint_auth_methods_supported":["client_secret_basic","none"],"scopes_supported":["openid"]}"#;

#[test]
fn a_client_is_built_from_endpoints_or_metadata() {
    let client = DeviceClient::new("https://id.test/device", "https://id.test/token", "cli")
        .unwrap()
        .with_limits(RequestLimits::new(Duration::from_secs(3), 1000))
        .with_bounds(TimingBounds::default())
        .with_user_agent("my-cli/1.0")
        .with_auth(ClientAuth::SecretPost(Secret::new("s")));
    assert_eq!(
        (client.device_authorization_endpoint(), client.token_endpoint()),
        ("https://id.test/device", "https://id.test/token")
    );
    assert_eq!(client.limits().timeout, Duration::from_secs(3));
    assert!(matches!(
        DeviceClient::new("http://id.test/device", "https://id.test/token", "cli"),
        Err(EndpointError::InsecureHost { .. })
    ));
    let metadata = Discover::new("https://id.test", WellKnown::OpenIdConfiguration)
        .unwrap()
        .interpret(response(200, METADATA))
        .unwrap();
    assert_eq!(metadata.grant_types_supported, ["urn:ietf:params:oauth:grant-type:device_code"]);
    assert_eq!(metadata.token_endpoint_auth_methods_supported, ["client_secret_basic", "none"]);
    assert_eq!(metadata.scopes_supported, ["openid"]);
    assert_eq!(DeviceClient::from_metadata(&metadata, "cli").unwrap().token_endpoint(), "https://id.test/token");
    let mut without_device = metadata.clone();
    without_device.device_authorization_endpoint = None;
    let error = DeviceClient::from_metadata(&without_device, "cli").unwrap_err();
    assert!(error.to_string().contains("names no device_authorization_endpoint"), "{error}");
}

#[test]
fn discovery_refuses_another_issuers_metadata_and_unsafe_endpoints() {
    let ask = Discover::new("https://id.test", WellKnown::OpenIdConfiguration).unwrap();
    let other = METADATA.replace(r#""issuer":"https://id.test""#, r#""issuer":"https://evil.test""#);
    let mismatch = ask.interpret(response(200, &other)).unwrap_err();
    let expected = BodyError::IssuerMismatch { asked: "https://id.test".into(), claimed: "https://evil.test".into() };
    assert_eq!(mismatch, RequestError::Malformed { status: 200, problem: expected });
    // The message names both issuers: what was asked, and what the server claimed.
    assert!(
        chain(&mismatch).contains("the response's `issuer` is `https://evil.test`, not `https://id.test`"),
        "{}",
        chain(&mismatch)
    );
    let plain = METADATA.replace("https://id.test/token", "http://id.test/token");
    let insecure = chain(&ask.interpret(response(200, &plain)).unwrap_err());
    assert!(
        insecure.contains("`token_endpoint` is not a usable endpoint: refusing plain http to `id.test`"),
        "{insecure}"
    );
    let nonsense = METADATA.replace("https://id.test/token", "ftp://id.test/token");
    let nonsense = chain(&ask.interpret(response(200, &nonsense)).unwrap_err());
    assert!(
        nonsense.contains("`token_endpoint` is not a usable endpoint: `ftp://id.test/token` must use https"),
        "{nonsense}"
    );
    let no_token = r#"{"issuer":"https://id.test"}"#;
    assert!(matches!(
        ask.interpret(response(200, no_token)),
        Err(RequestError::Malformed { problem: BodyError::MissingField("token_endpoint"), .. })
    ));
    assert!(matches!(ask.interpret(response(404, "")), Err(RequestError::Status { status: 404, .. })));
    assert!(Discover::new("ftp://id.test", WellKnown::AuthorizationServer).is_err());
    let limited = ask.with_limits(RequestLimits::new(Duration::from_secs(1), 10)).transmit().unwrap();
    assert_eq!((limited.timeout, limited.max_response_bytes), (Duration::from_secs(1), 10));
}

#[test]
fn discover_falls_back_to_rfc_8414_only_on_a_404() {
    let mut asked = Vec::new();
    let found = run(discover("https://id.test", RequestLimits::default(), |transmit: Transmit| {
        asked.push(transmit.request.uri().to_string());
        let status = if asked.len() == 1 { 404 } else { 200 };
        std::future::ready(Ok(response(status, METADATA)))
    }));
    assert_eq!(found.unwrap().issuer, "https://id.test");
    assert_eq!(
        asked,
        ["https://id.test/.well-known/openid-configuration", "https://id.test/.well-known/oauth-authorization-server"]
    );
    let unreachable = run(discover("https://id.test", RequestLimits::default(), |_| {
        std::future::ready(Err(TransportError::new(TransportErrorKind::Connect, "refused")))
    }));
    assert!(matches!(unreachable, Err(DiscoveryError::Request(RequestError::Transport(_)))));
    let neither =
        run(discover("https://id.test", RequestLimits::default(), |_| std::future::ready(Ok(response(404, "")))));
    assert!(chain(&neither.unwrap_err()).starts_with("no usable metadata: the server answered HTTP 404"));
    let bad_issuer =
        run(discover("http://id.test", RequestLimits::default(), |_| std::future::ready(Ok(response(200, "")))));
    assert!(matches!(bad_issuer, Err(DiscoveryError::Issuer(EndpointError::InsecureHost { .. }))));
}

#[test]
fn refresh_reads_a_new_grant_or_the_servers_error() {
    let client = DeviceClient::new("https://id.test/device", "https://id.test/token", "cli").unwrap();
    let token = Secret::new("rt-1");
    let refresh = Refresh::new(&client, &token, Moment::from_secs(10)).with_scopes(["openid"]);
    let sent = refresh.transmit().unwrap();
    assert_eq!(sent.request.uri(), "https://id.test/token");
    assert_eq!(sent.request.body(), b"client_id=cli&grant_type=refresh_token&refresh_token=rt-1&scope=openid");
    let grant =
        refresh.interpret(response(200, r#"{"access_token":"at-2","expires_in":60,"refresh_token":"rt-2"}"#)).unwrap();
    assert_eq!((grant.expires_at, grant.refresh_token.unwrap().expose()), (Some(Moment::from_secs(70)), "rt-2"));
    let revoked =
        refresh.interpret(response(400, r#"{"error":"invalid_grant","error_description":"revoked"}"#)).unwrap_err();
    assert_eq!(revoked.oauth_code(), Some(&ErrorCode::InvalidGrant));
    assert_eq!(revoked.status(), Some(400));
    assert!(matches!(
        refresh.interpret(response(200, r#"{"error":"invalid_grant"}"#)),
        Err(RequestError::OAuth { status: 200, .. })
    ));
    assert!(matches!(refresh.interpret(response(200, "<html>")), Err(RequestError::Malformed { .. })));
    assert!(matches!(refresh.interpret(response(200, "{}")), Err(RequestError::Malformed { .. })));
}

#[test]
fn error_codes_round_trip_and_errors_state_facts() {
    for code in [
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "authorization_pending",
        "slow_down",
        "access_denied",
        "expired_token",
        "mfa_required",
    ] {
        assert_eq!(ErrorCode::from_wire(code).as_str(), code);
        assert_eq!(ErrorCode::from_wire(code).to_string(), code);
    }
    assert_eq!(OAuthError::new(ErrorCode::AccessDenied).to_string(), "access_denied");
    let cases: [(RequestError, &str, bool, Option<u16>); 9] = [
        (
            RequestError::OAuth { status: 400, error: OAuthError::new(ErrorCode::InvalidScope) },
            "the server answered HTTP 400 with the OAuth error invalid_scope",
            false,
            Some(400),
        ),
        (
            RequestError::RateLimited { retry_after: Some(Duration::from_secs(3)) },
            "the server is rate limiting requests (HTTP 429, retry after 3 s)",
            true,
            Some(429),
        ),
        (
            RequestError::Server { status: 503, message: Some("down".into()) },
            "the server had an internal error (HTTP 503): down",
            true,
            Some(503),
        ),
        (
            RequestError::Redirect { status: 302, location: Some("https://x.test/".into()) },
            "the server answered with a redirect (HTTP 302) to https://x.test/, which was not followed",
            false,
            Some(302),
        ),
        (RequestError::Status { status: 408, message: None }, "the server answered HTTP 408", true, Some(408)),
        (
            RequestError::Malformed { status: 200, problem: BodyError::NotAnObject },
            "the server sent an unusable answer (HTTP 200): the response is JSON but not an object",
            false,
            Some(200),
        ),
        (
            RequestError::InvalidRequest("uri".into()),
            "could not build the request (uri); nothing was sent",
            false,
            None,
        ),
        (
            RequestError::Transport(TransportError::new(TransportErrorKind::Timeout, "slow")),
            "no answer from the server: timed out: slow",
            true,
            None,
        ),
        (
            RequestError::Transport(TransportError::new(TransportErrorKind::UntrustedCertificate, "unknown issuer")),
            "no answer from the server: certificate not trusted: unknown issuer",
            false,
            None,
        ),
    ];
    for (error, says, transient, status) in cases {
        assert_eq!((chain(&error).as_str(), error.is_transient(), error.status()), (says, transient, status));
    }
    let transmit = Transmit::new(http::Request::new(Vec::new()), Duration::from_secs(1), 5);
    assert_eq!((transmit.timeout, transmit.max_response_bytes), (Duration::from_secs(1), 5));
}

/// The bodies of the device authorization request, the first poll and a refresh sent by
/// `client`.
fn bodies(client: &skytells_auth::DeviceClient) -> [String; 3] {
    use skytells_auth::{DeviceFlow, Output};
    let text = |transmit: &Transmit| String::from_utf8(transmit.request.body().clone()).unwrap();
    let mut flow = DeviceFlow::new(client.clone(), ["openid"]);
    let Output::Transmit(device) = flow.poll_output(Moment::ZERO) else { panic!("the first request is due at once") };
    let code = r#"{"device_code":"dc-1","user_code":"ABCD-1234","verification_uri":"https://id.test/a","interval":5}"#;
    flow.handle_result(Moment::ZERO, Ok(response(200, code))).unwrap();
    let poll = loop {
        match flow.poll_output(Moment::from_millis(5_000)) {
            Output::Transmit(poll) => break poll,
            Output::Event(_) => {}
            other => panic!("{other:?}"),
        }
    };
    let refresh_token = Secret::new("rt-1");
    let refresh = Refresh::new(client, &refresh_token, Moment::ZERO).transmit().unwrap();
    [text(&device), text(&poll), text(&refresh)]
}

#[test]
fn token_params_reach_every_token_request_and_device_params_only_the_device_request() {
    let client = DeviceClient::new("https://id.test/device", "https://id.test/token", "cli")
        .unwrap()
        .with_param("audience", "https://api.test")
        .with_token_param("resource", "https://api.test/v1")
        .with_token_param("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        .with_token_param("client_assertion", "eyJ.a.b");
    let assertion = "resource=https%3A%2F%2Fapi.test%2Fv1\
        &client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer\
        &client_assertion=eyJ.a.b";
    let [device, poll, refresh] = bodies(&client);
    assert_eq!(device, "client_id=cli&scope=openid&audience=https%3A%2F%2Fapi.test");
    assert_eq!(
        poll,
        format!("client_id=cli&grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=dc-1&{assertion}")
    );
    assert_eq!(refresh, format!("client_id=cli&grant_type=refresh_token&refresh_token=rt-1&{assertion}"));
    // The values are secrets as far as Debug goes (a client assertion is a credential).
    assert!(!format!("{client:?}").contains("eyJ.a.b"), "{client:?}");
}

proptest::proptest! {
    /// Whatever the names and values, token parameters go to polls and refreshes, in the
    /// order added, after the grant's fields, and never to the device request.
    #[test]
    fn token_params_follow_the_grant_fields_in_order(
        params in proptest::collection::vec(("[a-z_]{1,12}", "[A-Za-z0-9]{0,16}"), 0..5)
    ) {
        let client = params.iter().fold(
            DeviceClient::new("https://id.test/device", "https://id.test/token", "cli").unwrap(),
            |client, (name, value)| client.with_token_param(name, value),
        );
        let tail: String = params.iter().map(|(name, value)| format!("&{name}={value}")).collect();
        let [device, poll, refresh] = bodies(&client);
        proptest::prop_assert_eq!(device, "client_id=cli&scope=openid");
        proptest::prop_assert!(poll.ends_with(&format!("device_code=dc-1{tail}")), "{}", poll);
        proptest::prop_assert!(refresh.ends_with(&format!("refresh_token=rt-1{tail}")), "{}", refresh);
    }
}
