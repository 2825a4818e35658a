//! Error bodies, `{"data": ...}` envelopes and the one-shot API answers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skytells_auth::wire::{parse_object, ErrorBody};
use skytells_auth::{classify_failure, ApiConfig, CredentialKind, Exchange, FetchIdentity, Secret, VerifyAccessKey};

fuzz_target!(|input: (u16, &[u8])| {
    let (status, body) = input;
    let Ok(response) = http::Response::builder().status(100 + status % 500).body(body.to_vec()) else { return };
    let _ = parse_object(&response);
    let error_body = ErrorBody::from_response(&response);
    for text in [&error_body.error, &error_body.message, &error_body.code].into_iter().flatten() {
        assert!(!text.chars().any(char::is_control));
    }
    let message = classify_failure(&response, CredentialKind::Token).to_string();
    assert!(!message.contains('\u{1b}'));
    let config = ApiConfig::default();
    let secret = Secret::new("sk_pat_fuzz");
    let _ = FetchIdentity { config: &config, token: &secret }.interpret(response.clone());
    let _ = VerifyAccessKey { config: &config, access_key: &secret }.interpret(response);
});
