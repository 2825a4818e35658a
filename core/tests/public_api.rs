//! The core's public API, call by call: requests it builds, answers it reads, errors it
//! words. (The device flow's timing has its own property tests.)

use std::time::Duration;

use skytells_auth::skytells::{
    config_dir, credentials_path, resolve_api_base, resolve_credentials, AccessKey, ApiBase, ApiConfig, ApiError,
    Credentials, CredentialsError, Dialect, EnvSnapshot, FetchIdentity, FlagOverrides, FormatError,
    PersonalAccessToken, Scope, Source, VerifyAccessKey, VerifyToken,
};
use skytells_auth::{
    describe_exchange, DeviceFlow, Exchange, FlowFailure, FlowMisuse, Moment, Outcome, Output, RequestError, Secret,
    TransportError, TransportErrorKind,
};

/// The first request a flow of `config` sends.
fn first_request(config: &ApiConfig, scopes: &[&str]) -> http::Request<Vec<u8>> {
    let mut flow = DeviceFlow::new(config.device_client(), scopes.iter().copied());
    let Output::Transmit(transmit) = flow.poll_output(Moment::ZERO) else { panic!("the first request is due") };
    transmit.request
}

fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap()
}

fn token() -> Secret {
    Secret::new(format!("sk_pat_{}", "ab".repeat(32)))
}

#[test]
fn verify_token_is_a_bearer_get_and_401_means_invalid_or_expired() {
    let config = ApiConfig::new(ApiBase::parse("https://api.test/base").unwrap());
    let secret = token();
    let call = VerifyToken { config: &config, token: &secret };
    let transmit = call.transmit().unwrap();
    assert_eq!(transmit.request.method(), http::Method::GET);
    assert_eq!(transmit.request.uri(), "https://api.test/base/api/v1/cli/projects");
    assert_eq!(transmit.request.headers()["authorization"], format!("Bearer {}", secret.expose()).as_str());
    assert_eq!(transmit.request.headers()["accept"], "application/json");
    assert_eq!(transmit.timeout, Duration::from_secs(30));
    assert_eq!(transmit.max_response_bytes, 1 << 20);
    assert_eq!(call.interpret(response(200, r#"{"data":[]}"#)), Ok(()));
    assert_eq!(call.interpret(response(401, "")), Err(ApiError::TokenRejected));
}

#[test]
fn access_keys_and_identities_need_an_id() {
    let config = ApiConfig::default();
    let key = Secret::new("sk_proj_a");
    let verify = VerifyAccessKey { config: &config, access_key: &key };
    assert_eq!(verify.transmit().unwrap().request.uri().path(), "/api/v1/cli/project");
    let project = verify.interpret(response(200, r#"{"data":{"id":42,"name":"A","slug":"a"}}"#)).unwrap();
    assert_eq!((project.id.as_str(), project.slug.as_deref()), ("42", Some("a")));
    let no_id = verify.interpret(response(200, r#"{"data":{"name":"A"}}"#)).unwrap_err();
    assert_eq!(no_id.to_string(), "the server sent an unusable answer (HTTP 200)");
    assert_eq!(std::error::Error::source(&no_id).unwrap().to_string(), "the response has no `id`");
    assert_eq!(verify.interpret(response(401, "{}")), Err(ApiError::AccessKeyRejected));

    let secret = token();
    let identity = FetchIdentity { config: &config, token: &secret };
    assert!(matches!(
        identity.interpret(response(200, "<html>")),
        Err(ApiError::Request(RequestError::Malformed { status: 200, .. }))
    ));
    assert!(identity.interpret(response(200, r#"{"id":""}"#)).is_err());
    let user = identity.interpret(response(200, r#"{"id":"u1"}"#)).unwrap();
    assert_eq!((user.name, user.email), (None, None));
}

#[test]
fn a_credential_no_header_can_carry_is_refused_before_sending() {
    let config = ApiConfig::default();
    let broken = Secret::new("sk_pat_a\r\nX-Injected: 1");
    let error = FetchIdentity { config: &config, token: &broken }.transmit().unwrap_err();
    assert!(matches!(error, ApiError::Request(RequestError::InvalidRequest(_))));
    assert!(!error.to_string().contains("Injected"), "{error}");
}

#[test]
fn library_errors_state_facts_without_skytells_advice() {
    let cases: [(ApiError, &str); 4] = [
        (ApiError::TokenRejected, "the personal access token was refused as invalid or expired (HTTP 401)"),
        (
            ApiError::InsufficientScope { missing: Some("keys.write".into()) },
            "the token lacks a scope this needs (`keys.write`) (HTTP 403)",
        ),
        (RequestError::Server { status: 502, message: None }.into(), "the server had an internal error (HTTP 502)"),
        (
            RequestError::InvalidRequest("bad header".into()).into(),
            "could not build the request (bad header); nothing was sent",
        ),
    ];
    for (error, says) in cases {
        let text = error.to_string();
        assert_eq!(text, says);
        for advice in ["skytells", "Skytells", "SKYTELLS_"] {
            assert!(!text.contains(advice), "{text}");
        }
    }
}

#[test]
fn the_rfc8628_dialect_sends_forms() {
    let config = ApiConfig::new(ApiBase::parse("http://127.0.0.1:9").unwrap())
        .with_dialect(Dialect::Rfc8628 { client_id: "cli 1".into() });
    let device = first_request(&config, &["inference", "keys.read"]);
    assert_eq!(device.headers()["content-type"], "application/x-www-form-urlencoded");
    assert_eq!(device.body(), b"client_id=cli+1&scope=inference+keys.read");
}

#[test]
fn device_codes_must_be_printable() {
    let mut flow = DeviceFlow::new(ApiConfig::default().device_client(), Scope::DEFAULT);
    let Output::Transmit(_) = flow.poll_output(Moment::ZERO) else { panic!() };
    let body = r#"{"device_code":"d\u0007","user_code":"U","verification_uri":"https://x.test/"}"#;
    flow.handle_result(Moment::ZERO, Ok(response(200, body))).unwrap();
    let Some(Outcome::Failed(failure)) = flow.outcome() else { panic!("{:?}", flow.outcome()) };
    let problem = failure.request_error().and_then(std::error::Error::source).map(ToString::to_string);
    assert_eq!(problem.as_deref(), Some("the response's `device_code` is not printable ASCII"), "{failure:?}");
}

fn device_authorization() -> http::Response<Vec<u8>> {
    response(
        200,
        r#"{"device_code":"d","user_code":"U","verification_uri":"https://x.test/","verification_uri_complete":"https://x.test/?c=U","interval":1}"#,
    )
}

#[test]
fn a_flow_reports_its_state_and_refuses_calls_out_of_order() {
    let mut flow = DeviceFlow::new(ApiConfig::default().device_client(), Scope::DEFAULT);
    assert_eq!(flow.scopes(), ["inference", "projects.read", "deployments.read", "account.read"]);
    assert_eq!((flow.interval(), flow.expires_at()), (None, None));
    let transport = || Err(TransportError::new(TransportErrorKind::Connect, "refused"));
    assert_eq!(flow.handle_result(Moment::ZERO, transport()), Err(FlowMisuse::NoRequestInFlight));
    let Output::Transmit(_) = flow.poll_output(Moment::ZERO) else { panic!("the first request is due") };
    flow.handle_result(Moment::ZERO, Ok(device_authorization())).unwrap();
    let Output::Event(skytells_auth::FlowEvent::CodeIssued(code)) = flow.poll_output(Moment::ZERO) else {
        panic!("no code")
    };
    assert_eq!(code.url_to_open(), "https://x.test/?c=U");
    assert_eq!(flow.handle_result(Moment::ZERO, transport()), Err(FlowMisuse::NoRequestInFlight));
    assert_eq!(flow.outcome(), None);
}

#[test]
fn no_scopes_means_an_empty_list_and_scopes_are_free_form() {
    let skytells = first_request(&ApiConfig::default(), &[]);
    assert_eq!(skytells.body(), br#"{"client_name":"Skytells CLI v0.1.0","scopes":[]}"#);
    let free_form = DeviceFlow::new(ApiConfig::default().device_client(), ["openid", "offline_access"]);
    assert_eq!(free_form.scopes(), ["openid", "offline_access"]);
}

#[test]
fn a_failure_before_the_code_arrives_ends_the_flow() {
    let mut flow = DeviceFlow::new(ApiConfig::default().device_client(), Scope::DEFAULT);
    let Output::Transmit(_) = flow.poll_output(Moment::ZERO) else { panic!() };
    flow.handle_result(Moment::ZERO, Err(TransportError::new(TransportErrorKind::Timeout, "slow"))).unwrap();
    let Output::Done(Outcome::Failed(FlowFailure::DeviceAuthorization(RequestError::Transport(error)))) =
        flow.poll_output(Moment::ZERO)
    else {
        panic!("{:?}", flow.outcome())
    };
    assert_eq!(error.kind, TransportErrorKind::Timeout);
    let late = Err(TransportError::new(TransportErrorKind::Io, "late"));
    assert_eq!(flow.handle_result(Moment::ZERO, late), Err(FlowMisuse::Finished));

    let mut refused = DeviceFlow::new(ApiConfig::default().device_client(), Scope::DEFAULT);
    let Output::Transmit(_) = refused.poll_output(Moment::ZERO) else { panic!() };
    refused.handle_result(Moment::ZERO, Ok(response(503, ""))).unwrap();
    assert!(matches!(refused.outcome(), Some(Outcome::Failed(FlowFailure::DeviceAuthorization(_)))));

    // The device request is lost: at its deadline the flow gives up on it.
    let mut lost = DeviceFlow::new(ApiConfig::default().device_client(), Scope::DEFAULT);
    let Output::Transmit(transmit) = lost.poll_output(Moment::ZERO) else { panic!() };
    let deadline = Moment::ZERO + transmit.timeout;
    assert!(matches!(lost.poll_output(Moment::ZERO), Output::WaitUntil(at) if at == deadline));
    assert!(matches!(
        lost.poll_output(deadline),
        Output::Done(Outcome::Failed(FlowFailure::DeviceAuthorization(RequestError::Transport(TransportError {
            kind: TransportErrorKind::Timeout,
            ..
        }))))
    ));
}

#[test]
fn endpoints_that_are_not_paths_fail_the_flow_instead_of_panicking() {
    let broken = |device: &str, token: &str| {
        let mut config = ApiConfig::default();
        config.endpoints.device_authorization = device.into();
        config.endpoints.token = token.into();
        config.device_client()
    };
    let mut at_start = DeviceFlow::new(broken("/bad path\n", "/t"), Scope::DEFAULT);
    assert!(matches!(
        at_start.poll_output(Moment::ZERO),
        Output::Done(Outcome::Failed(FlowFailure::DeviceAuthorization(RequestError::InvalidRequest(_))))
    ));

    let mut at_poll = DeviceFlow::new(broken("/d", "/bad path\n"), Scope::DEFAULT);
    let Output::Transmit(_) = at_poll.poll_output(Moment::ZERO) else { panic!() };
    at_poll.handle_result(Moment::ZERO, Ok(device_authorization())).unwrap();
    let Output::Event(_) = at_poll.poll_output(Moment::ZERO) else { panic!("the code is shown first") };
    assert!(matches!(
        at_poll.poll_output(Moment::from_secs(1)),
        Output::Done(Outcome::Failed(FlowFailure::TokenPoll(RequestError::InvalidRequest(_))))
    ));
}

#[test]
fn credentials_fields_of_the_wrong_type_are_named() {
    let wrong = |json: &str| Credentials::parse(json.as_bytes()).unwrap_err();
    assert_eq!(
        wrong(r#"{"created_at":"yesterday"}"#),
        CredentialsError::WrongType { field: "created_at", expected: "milliseconds since 1970" }
    );
    assert_eq!(wrong(r#"{"scopes":"inference"}"#).to_string(), "its `scopes` field should be a list of strings");
    assert_eq!(wrong("{,}").to_string(), "it is not valid JSON (syntax error at line 1, column 2)");
    let stored = Credentials::parse(br#"{"scopes":["inference","\u001b[2Jx"]}"#).unwrap();
    assert_eq!(stored.scopes(), Some(vec!["inference".to_owned(), "[2Jx".to_owned()]));
}

#[test]
fn formats_hand_back_their_secret_and_limit_key_length() {
    let token = PersonalAccessToken::parse(&format!("sk_pat_{}", "0".repeat(64))).unwrap();
    assert!(token.into_secret().expose().starts_with("sk_pat_0"));
    assert_eq!(AccessKey::parse("sk_proj_k").unwrap().into_secret().expose(), "sk_proj_k");
    let long = format!("sk_proj_{}", "a".repeat(600));
    assert_eq!(AccessKey::parse(&long), Err(FormatError::AccessKeyTooLong { found: 608 }));
    assert!(matches!(AccessKey::parse("  "), Err(FormatError::Empty { .. })));
    assert!(matches!(PersonalAccessToken::parse("ghp_x"), Err(FormatError::WrongPrefix { .. })));
}

#[test]
fn resolution_names_every_source() {
    let flags = FlagOverrides::new(Some("https://flag.test".into()), Some("/flag/dir".into()));
    let env = EnvSnapshot::from_pairs([("SKYTELLS_ACCESS_KEY", "sk_proj_env"), ("UNRELATED", "x"), ("HOME", "/h")]);
    assert_eq!(env.access_key().unwrap().expose(), "sk_proj_env");
    let resolved = resolve_credentials(&env, None, &ApiBase::default());
    let key = resolved.require_access_key().unwrap();
    assert_eq!(key.source.to_string(), "environment variable SKYTELLS_ACCESS_KEY");
    assert_eq!(resolve_api_base(&flags, &env).unwrap().source, Source::Flag("--api-url"));
    assert_eq!(credentials_path(&flags, &env).unwrap(), std::path::PathBuf::from("/flag/dir/credentials.json"));
    assert_eq!(config_dir(&FlagOverrides::default(), &env).unwrap(), std::path::PathBuf::from("/h/.config/skytells"));
    assert_eq!((Source::File.to_string(), Source::Default.to_string()), ("credentials file".into(), "default".into()));

    let env = EnvSnapshot::from_pairs([("SKYTELLS_ACCESS_KEY", "sk_pat_nope")]);
    let error = resolve_credentials(&env, None, &ApiBase::default()).require_access_key().unwrap_err();
    assert!(
        error.to_string().starts_with("the access key from the environment variable SKYTELLS_ACCESS_KEY is not valid"),
        "{error}"
    );
    let no_home = EnvSnapshot::from_pairs([("SKYTELLS_CONFIG_DIR", "~/x")]);
    assert!(config_dir(&FlagOverrides::default(), &no_home).is_err());
}

#[test]
fn failed_exchanges_are_described_without_secrets() {
    let line = describe_exchange(
        &http::Method::GET,
        &"https://x.test/api/v1/cli/me".parse().unwrap(),
        Duration::from_millis(3),
        &Err(TransportError::new(TransportErrorKind::Connect, "refused")),
    );
    assert_eq!(line, "GET https://x.test/api/v1/cli/me failed after 3 ms: could not connect: refused");
}

#[test]
fn config_accessors() {
    let base = ApiBase::parse("https://x.test/").unwrap();
    assert_eq!(base.as_str(), "https://x.test");
    assert_eq!(ApiConfig::new(base.clone()).base, base);
    // The guide's scope table, row by row.
    let table: Vec<(&str, &str)> = Scope::ALL.map(|scope| (scope.as_str(), scope.description())).to_vec();
    assert_eq!(
        table,
        [
            ("inference", "Run inference requests"),
            ("projects.read", "Read project information"),
            ("projects.write", "Create and modify projects"),
            ("deployments.read", "View deployments and logs"),
            ("deployments.write", "Trigger and manage deployments"),
            ("keys.read", "View API keys"),
            ("keys.write", "Create and manage API keys"),
            ("account.read", "Read account information"),
        ]
    );
}
