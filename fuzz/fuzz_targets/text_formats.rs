//! Token, access key, scope list and API URL parsers; errors never quote the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skytells_auth::skytells::{parse_scopes, AccessKey, ApiBase, PersonalAccessToken};

/// Whether `body` has a character no format error message contains, so finding the body
/// in a message can only mean the message quoted it (and not that the input happened to
/// be the message's own wording).
fn distinctive(body: &str) -> bool {
    body.chars().count() >= 8 && body.chars().any(|c| !c.is_ascii_alphanumeric() && !" `_(),.;:-/'…".contains(c))
}

fuzz_target!(|text: &str| {
    if let Err(error) = PersonalAccessToken::parse(text) {
        let body = text.trim().trim_start_matches("sk_pat_");
        assert!(!distinctive(body) || !error.to_string().contains(body), "a token error quoted the token");
    }
    if let Err(error) = AccessKey::parse(text) {
        let body = text.trim().trim_start_matches("sk_proj_");
        assert!(!distinctive(body) || !error.to_string().contains(body), "a key error quoted the key");
    }
    let _ = parse_scopes(text);
    if let Ok(base) = ApiBase::parse(text) {
        assert!(base.as_str().starts_with("https://") || base.as_str().starts_with("http://"));
    }
});
