//! The token poll answer classifier, on any status and body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skytells_auth::flow::{classify_poll_answer, PollAnswer};

fuzz_target!(|input: (u16, &[u8])| {
    let (status, body) = input;
    let Ok(response) = http::Response::builder().status(100 + status % 500).body(body.to_vec()) else { return };
    if let PollAnswer::Granted(grant) = classify_poll_answer(&response) {
        // A token is only ever taken from a success status and is header-safe.
        assert!(response.status().is_success());
        assert!(grant.access_token.expose().bytes().all(|byte| (0x21..=0x7e).contains(&byte)));
    }
});
