//! A poll answer of arbitrary bytes, in both dialects: a token is only ever taken from a
//! success status and can always go in a header.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skytells_auth::skytells::{ApiConfig, Dialect};
use skytells_auth::{DeviceFlow, Moment, Outcome, Output};

const CODE: &[u8] = br#"{"device_code":"d","user_code":"U","verification_uri":"https://x.test/d","interval":1}"#;

fuzz_target!(|input: (u16, bool, &[u8])| {
    let (status, standard, body) = input;
    let Ok(response) = http::Response::builder().status(100 + status % 500).body(body.to_vec()) else { return };
    let config = if standard {
        ApiConfig::default().with_dialect(Dialect::Rfc8628 { client_id: "fuzz".into() })
    } else {
        ApiConfig::default()
    };
    let mut flow = DeviceFlow::new(config.device_client(), ["inference"]);
    let Output::Transmit(_) = flow.poll_output(Moment::ZERO) else { panic!() };
    flow.handle_result(Moment::ZERO, Ok(http::Response::new(CODE.to_vec()))).unwrap();
    let mut now = Moment::ZERO;
    loop {
        match flow.poll_output(now) {
            Output::Event(_) => {}
            Output::WaitUntil(at) => now = at,
            Output::Transmit(_) => break,
            other => panic!("no poll: {other:?}"),
        }
    }
    let success = response.status().is_success();
    flow.handle_result(now, Ok(response)).unwrap();
    if let Some(Outcome::Authorized(grant)) = flow.outcome() {
        assert!(success);
        assert!(grant.access_token.expose().bytes().all(|byte| (0x21..=0x7e).contains(&byte)));
    }
});
