//! Every one-shot answer (Skytells API calls, discovery, refresh) under arbitrary bytes:
//! no panic, and no message that could drive a terminal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skytells_auth::skytells::{classify_failure, messages, ApiConfig, CredentialKind, FetchIdentity, VerifyAccessKey};
use skytells_auth::{DeviceClient, Discover, Exchange, Moment, Refresh, Secret, WellKnown};

fuzz_target!(|input: (u16, &[u8])| {
    let (status, body) = input;
    let Ok(response) = http::Response::builder().status(100 + status % 500).body(body.to_vec()) else { return };
    let message = messages::api_error(&classify_failure(&response, CredentialKind::Token));
    assert!(!message.contains('\u{1b}'));
    let config = ApiConfig::default();
    let secret = Secret::new("sk_pat_fuzz");
    if let Err(error) = (FetchIdentity { config: &config, token: &secret }).interpret(response.clone()) {
        assert!(!messages::api_error(&error).chars().any(char::is_control));
    }
    let _ = VerifyAccessKey { config: &config, access_key: &secret }.interpret(response.clone());
    let client = DeviceClient::new("https://x.test/device", "https://x.test/token", "fuzz").unwrap();
    if let Ok(grant) = Refresh::new(&client, &secret, Moment::ZERO).interpret(response.clone()) {
        assert!(grant.access_token.expose().bytes().all(|byte| (0x21..=0x7e).contains(&byte)));
    }
    let discover = Discover::new("https://x.test", WellKnown::OpenIdConfiguration).unwrap();
    if let Ok(metadata) = discover.interpret(response) {
        assert_eq!(metadata.issuer, "https://x.test");
        assert!(skytells_auth::check_endpoint(&metadata.token_endpoint).is_ok());
    }
});
