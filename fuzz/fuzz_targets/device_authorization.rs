//! A device authorization answer of arbitrary bytes, in both dialects: when a code is
//! issued, its timing is within the bounds, its user code shows no control character,
//! and its URL is one a browser may open.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skytells_auth::skytells::{ApiConfig, Dialect};
use skytells_auth::{DeviceFlow, FlowEvent, Moment, Output, TimingBounds};

fuzz_target!(|input: (u16, bool, &[u8])| {
    let (status, standard, body) = input;
    let Ok(response) = http::Response::builder().status(100 + status % 500).body(body.to_vec()) else { return };
    let config = if standard {
        ApiConfig::default().with_dialect(Dialect::Rfc8628 { client_id: "fuzz".into() })
    } else {
        ApiConfig::default()
    };
    let mut flow = DeviceFlow::new(config.device_client(), ["inference"]);
    let Output::Transmit(_) = flow.poll_output(Moment::ZERO) else { panic!("the first request is due") };
    flow.handle_result(Moment::ZERO, Ok(response)).unwrap();
    if let Output::Event(FlowEvent::CodeIssued(code)) = flow.poll_output(Moment::ZERO) {
        let bounds = TimingBounds::default();
        assert!((bounds.min_interval..=bounds.max_interval).contains(&code.interval));
        assert!((bounds.min_lifetime..=bounds.max_lifetime).contains(&code.lifetime));
        assert!(!code.user_code.chars().any(char::is_control));
        assert!(skytells_auth::openable_url(&code.verification_uri).is_some());
    }
});
