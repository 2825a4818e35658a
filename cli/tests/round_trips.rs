//! `whoami` and `login --token` each cost one round trip: their two requests are in flight
//! together. Shown by events, not by timing: both endpoints stall for longer than the test
//! waits, so a command that sent the second request only after the first was answered
//! would never let the test see both arrive.

// A Unix-host harness (Unix modes, `sh` scripts, util-linux `script`, /proc). Windows runs
// it from the Linux host against skytells.exe under Wine (scripts/wine-tests.sh).
#![cfg(unix)]

mod common;

use std::time::Duration;

use common::{token, Sandbox};
use skytells_emulator::{Break, Breakage, Endpoint};

const STALL: Breakage = Breakage::Stall { ms: 60_000 };
const WAIT: Duration = Duration::from_secs(20);

fn stalled(endpoints: [Endpoint; 2]) -> Sandbox {
    Sandbox::new(|scenario| {
        scenario.breaks = endpoints.iter().map(|&endpoint| Break { endpoint, breakage: STALL.clone() }).collect();
    })
}

#[test]
fn login_with_a_token_checks_it_and_looks_up_the_account_at_once() {
    let sandbox = stalled([Endpoint::Projects, Endpoint::Me]);
    sandbox.emulator.add_token(&token("ab"), &[]);
    let mut child =
        sandbox.spawn_with_input(sandbox.command(&["login", "--token"]), format!("{}\n", token("ab")).as_bytes());
    let both = sandbox.emulator.wait_for_path("/api/v1/cli/projects", WAIT)
        && sandbox.emulator.wait_for_path("/api/v1/cli/me", WAIT);
    let _ = child.kill();
    let _ = child.wait();
    assert!(both, "one request waited for the other: {:?}", sandbox.emulator.log());
}

#[test]
fn whoami_checks_the_token_and_the_access_key_at_once() {
    let sandbox = stalled([Endpoint::Project, Endpoint::Me]);
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}","access_key":"sk_proj_a"}}"#, token("ab")));
    let mut child = sandbox.spawn(sandbox.command(&["whoami"]));
    let both = sandbox.emulator.wait_for_path("/api/v1/cli/project", WAIT)
        && sandbox.emulator.wait_for_path("/api/v1/cli/me", WAIT);
    let _ = child.kill();
    let _ = child.wait();
    assert!(both, "one request waited for the other: {:?}", sandbox.emulator.log());
}
