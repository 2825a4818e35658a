//! The emulator's own timing rules, on a clock the test moves: codes expire when their
//! lifetime has passed, polls sooner than the interval are told to slow down, and codes
//! are approved after the configured delay. Nothing here waits for real time to pass.

use std::sync::Arc;
use std::time::Duration;

use skytells_auth::{RequestLimits, Transmit};
use skytells_auth_blocking::BlockingDriver;
use skytells_emulator::{Emulator, ManualClock, Scenario};

struct Timed {
    emulator: Emulator,
    clock: ManualClock,
    driver: BlockingDriver,
}

impl Timed {
    fn start(scenario: Scenario) -> Self {
        let clock = ManualClock::new();
        let emulator = Emulator::start_with_clock(0, scenario, Arc::new(clock.clone())).unwrap();
        Timed { emulator, clock, driver: BlockingDriver::new() }
    }

    /// Sends a JSON POST as the Skytells CLI would (built by hand: this tests the
    /// emulator, so it may poll whenever it likes); returns the answer.
    fn post(&self, path: &str, body: serde_json::Value) -> http::Response<Vec<u8>> {
        let request = http::Request::post(format!("{}{path}", self.emulator.url()))
            .header("content-type", "application/json")
            .body(body.to_string().into_bytes())
            .unwrap();
        let limits = RequestLimits::default();
        self.driver.send(Transmit::new(request, limits.timeout, limits.max_response_bytes)).unwrap()
    }

    /// Asks for a device code; returns it.
    fn device_code(&self) -> String {
        let answer = self.post("/api/oauth/device", serde_json::json!({ "client_name": "test", "scopes": [] }));
        let body: serde_json::Value = serde_json::from_slice(answer.body()).unwrap();
        body["device_code"].as_str().unwrap().to_owned()
    }

    /// Polls once; returns the status.
    fn poll(&self, device_code: &str) -> u16 {
        let grant = "urn:ietf:params:oauth:grant-type:device_code";
        let body = serde_json::json!({ "device_code": device_code, "grant_type": grant });
        self.post("/api/oauth/token", body).status().as_u16()
    }
}

#[test]
fn early_polls_slow_down_and_codes_expire_on_the_emulators_clock() {
    let timed = Timed::start(Scenario { interval: Some(5.0), expires_in: Some(60.0), ..Scenario::default() });
    let code = timed.device_code();
    assert_eq!(timed.poll(&code), 428, "the first poll is pending");
    assert_eq!(timed.poll(&code), 429, "a second poll at the same instant is too early");
    timed.clock.advance(Duration::from_secs(9));
    assert_eq!(timed.poll(&code), 429, "slow_down made the interval 10 s; 9 s is still too early");
    timed.clock.advance(Duration::from_secs(15));
    assert_eq!(timed.poll(&code), 428);
    timed.clock.advance(Duration::from_secs(36));
    assert_eq!(timed.poll(&code), 410, "60 s after issue the code has expired");
    let notes: Vec<Option<String>> = timed.emulator.polls().into_iter().map(|poll| poll.note).collect();
    assert_eq!(notes[1].as_deref(), Some("slow_down: polled sooner than the interval"));
    let stamps: Vec<f64> = timed.emulator.log().iter().map(|entry| entry.at_ms).collect();
    assert_eq!(stamps, [0.0, 0.0, 0.0, 9_000.0, 24_000.0, 60_000.0], "the log keeps the emulator's clock");
}

#[test]
fn codes_are_approved_after_the_configured_delay() {
    let timed = Timed::start(Scenario {
        interval: Some(1.0),
        auto_approve_after: Some(30.0),
        enforce_interval: false,
        ..Scenario::default()
    });
    let code = timed.device_code();
    timed.clock.advance(Duration::from_millis(29_999));
    assert_eq!(timed.poll(&code), 428, "not yet");
    timed.clock.advance(Duration::from_millis(1));
    assert_eq!(timed.poll(&code), 200, "approved at 30 s");
}
