//! Runs the same scenario through either driver.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use skytells_auth::skytells::{ApiBase, ApiConfig, Dialect, Scope};
use skytells_auth::{DeviceFlow, Exchange, FlowEvent, Outcome, Transmit, TransportError};
use skytells_auth_blocking::BlockingDriver;
use skytells_auth_tokio::TokioDriver;
use skytells_emulator::{browser, Emulator, LogEntry, Scenario};

/// Either driver, behind one interface, so each test is written once.
pub enum Driver {
    Blocking(BlockingDriver),
    Tokio(TokioDriver, tokio::runtime::Runtime),
}

impl Driver {
    pub fn blocking() -> Self {
        Driver::Blocking(BlockingDriver::new())
    }

    pub fn tokio() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Driver::Tokio(TokioDriver::new().unwrap(), runtime)
    }

    pub fn run_flow(&self, flow: DeviceFlow, on_event: impl FnMut(&FlowEvent)) -> Outcome {
        match self {
            Driver::Blocking(driver) => driver.run_device_flow(flow, on_event),
            Driver::Tokio(driver, runtime) => runtime.block_on(driver.run_device_flow(flow, on_event)),
        }
    }

    pub fn execute_both<A, B>(&self, first: &A, second: &B) -> (skytells_auth::Answer<A>, skytells_auth::Answer<B>)
    where
        A: Exchange,
        B: Exchange + Sync,
        B::Output: Send,
        B::Error: Send,
    {
        match self {
            Driver::Blocking(driver) => driver.execute_both(first, second),
            Driver::Tokio(driver, runtime) => runtime.block_on(driver.execute_both(first, second)),
        }
    }

    /// The instant a moment of the driver's clock stands for.
    pub fn instant_at(&self, moment: skytells_auth::Moment) -> std::time::Instant {
        match self {
            Driver::Blocking(driver) => driver.instant_at(moment).unwrap(),
            Driver::Tokio(driver, _) => driver.instant_at(moment).unwrap().into_std(),
        }
    }

    pub fn send(&self, transmit: Transmit) -> Result<http::Response<Vec<u8>>, TransportError> {
        match self {
            Driver::Blocking(driver) => driver.send(transmit),
            Driver::Tokio(driver, runtime) => runtime.block_on(driver.send(transmit)),
        }
    }

    pub fn execute<E: Exchange>(&self, exchange: &E) -> Result<E::Output, E::Error> {
        match self {
            Driver::Blocking(driver) => driver.execute(exchange),
            Driver::Tokio(driver, runtime) => runtime.block_on(driver.execute(exchange)),
        }
    }
}

/// Defines `mod $name { fn blocking(); fn tokio(); }` running `$body(driver)`.
#[macro_export]
macro_rules! for_both_drivers {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[test]
            fn blocking() {
                ($body)(common::Driver::blocking())
            }

            #[test]
            fn tokio() {
                ($body)(common::Driver::tokio())
            }
        }
    };
}

/// A well-behaved emulator with a 1-second interval and codes that live 30 seconds (so a
/// broken test fails in bounded time), plus `change`.
pub fn emulator(change: impl FnOnce(&mut Scenario)) -> Emulator {
    let mut scenario = Scenario { interval: Some(1.0), expires_in: Some(30.0), ..Scenario::default() };
    change(&mut scenario);
    Emulator::start(scenario).unwrap()
}

/// The client configuration for `emulator`, in the dialect it speaks.
pub fn config(emulator: &Emulator) -> ApiConfig {
    let scenario = emulator.scenario();
    let dialect = match scenario.dialect {
        skytells_emulator::Dialect::Skytells => Dialect::Skytells,
        skytells_emulator::Dialect::Rfc8628 => Dialect::Rfc8628 { client_id: scenario.client_id },
    };
    ApiConfig::new(ApiBase::parse(&emulator.url()).unwrap()).with_dialect(dialect)
}

/// What the person at the browser does once the code is on screen.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Person {
    Approves,
    Denies,
    Ignores,
}

/// How long a test waits for an event before it fails (never reached when all is well).
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Runs a login, with the person acting through the verification page once the server
/// has answered `after_polls` polls (0: as soon as the code is shown). Returns the
/// outcome and every event.
pub fn login(driver: &Driver, emulator: &Emulator, person: Person, after_polls: usize) -> (Outcome, Vec<FlowEvent>) {
    let flow = DeviceFlow::new(config(emulator).device_client(), [Scope::Inference, Scope::AccountRead]);
    let events = Arc::new(Mutex::new(Vec::new()));
    let outcome = std::thread::scope(|scope| {
        driver.run_flow(flow, |event| {
            events.lock().unwrap().push(event.clone());
            if let (FlowEvent::CodeIssued(code), true) = (event, person != Person::Ignores) {
                let url = code.url_to_open().to_owned();
                let approve = person == Person::Approves;
                scope.spawn(move || {
                    assert!(emulator.wait_for_polls(after_polls, PATIENCE), "the client stopped polling");
                    browser::decide_on_page(&url, approve).unwrap()
                });
            }
        })
    });
    let events = events.lock().unwrap().clone();
    (outcome, events)
}

/// The polls answered before and after the person's decision on the verification page.
pub fn polls_around_decision(emulator: &Emulator) -> (Vec<LogEntry>, Vec<LogEntry>) {
    let log = emulator.log();
    let decided = log.iter().position(|entry| entry.method == "POST" && entry.path == "/device");
    let decided = decided.expect("the person decided on the page");
    let is_poll = |entry: &&LogEntry| entry.path == "/api/oauth/token";
    (log[..decided].iter().filter(is_poll).cloned().collect(), log[decided..].iter().filter(is_poll).cloned().collect())
}

/// Gaps between consecutive polls, in milliseconds, from the emulator's log.
pub fn poll_gaps(polls: &[LogEntry]) -> Vec<f64> {
    polls.windows(2).map(|pair| pair[1].at_ms - pair[0].at_ms).collect()
}

/// Polls may arrive this much sooner than the interval after the previous one: the
/// client measures from sending, the emulator from arrival. Only lower bounds on gaps
/// are asserted: a loaded machine makes gaps longer, never shorter.
pub const TOLERANCE_MS: f64 = 100.0;
