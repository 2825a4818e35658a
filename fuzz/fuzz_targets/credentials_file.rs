//! The credentials file parser: anything it accepts survives a rewrite unchanged, and a
//! change to one API's login leaves every other API's as it was.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skytells_auth::skytells::{ApiOrigin, Credentials};
use skytells_auth::Secret;

fuzz_target!(|bytes: &[u8]| {
    let Ok(credentials) = Credentials::parse(bytes) else { return };
    let reparsed = Credentials::parse(&credentials.to_bytes()).expect("what we write, we read");
    assert_eq!(reparsed, credentials);
    let mut changed = reparsed;
    changed.set_access_key(&Secret::new("sk_proj_fuzz"), 1);
    changed.clear_login();
    Credentials::parse(&changed.to_bytes()).expect("what we write, we read");

    let fuzzed = ApiOrigin::parse("https://fuzz.example").expect("an origin");
    let others = credentials.logged_in_origins();
    let mut changed = credentials.clone();
    changed.set_token_for(&fuzzed, &Secret::new("sk_pat_fuzz"), &[], 1);
    let reread = Credentials::parse(&changed.to_bytes()).expect("what we write, we read");
    assert_eq!(reread.login_for(&fuzzed).token.map(|token| token.expose().to_owned()).as_deref(), Some("sk_pat_fuzz"));
    for origin in others.iter().filter(|origin| **origin != fuzzed) {
        assert_eq!(reread.login_for(origin), credentials.login_for(origin), "{origin} changed");
    }
    changed.clear_login_for(&fuzzed);
    Credentials::parse(&changed.to_bytes()).expect("what we write, we read");
});
