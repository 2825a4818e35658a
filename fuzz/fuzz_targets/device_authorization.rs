//! The device authorization response parser, on any status and body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skytells_auth::flow::{parse_device_authorization, TimingBounds};

fuzz_target!(|input: (u16, &[u8])| {
    let (status, body) = input;
    let Ok(response) = http::Response::builder().status(100 + status % 500).body(body.to_vec()) else { return };
    let bounds = TimingBounds::default();
    if let Ok(authorization) = parse_device_authorization(&response, &bounds) {
        assert!((bounds.min_interval..=bounds.max_interval).contains(&authorization.interval));
        assert!((bounds.min_lifetime..=bounds.max_lifetime).contains(&authorization.lifetime));
        assert!(!authorization.user_code.chars().any(char::is_control));
        assert!(skytells_auth::openable_url(&authorization.verification_uri).is_some());
    }
});
