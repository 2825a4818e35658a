//! The credentials file parser: anything it accepts survives a rewrite unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skytells_auth::{skytells::Credentials, Secret};

fuzz_target!(|bytes: &[u8]| {
    let Ok(credentials) = Credentials::parse(bytes) else { return };
    let reparsed = Credentials::parse(&credentials.to_bytes()).expect("what we write, we read");
    assert_eq!(reparsed, credentials);
    let mut changed = reparsed;
    changed.set_access_key(&Secret::new("sk_proj_fuzz"), 1);
    changed.clear_login();
    Credentials::parse(&changed.to_bytes()).expect("what we write, we read");
});
