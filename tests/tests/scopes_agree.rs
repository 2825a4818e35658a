//! The emulator keeps its own copy of the Skytells scope names, so that it checks the
//! client instead of echoing it. This is the one test that says when the copies drift.

use skytells_auth::skytells::Scope;

#[test]
fn the_emulator_and_the_core_know_the_same_scopes_and_defaults() {
    assert_eq!(skytells_emulator::VALID_SCOPES, Scope::ALL.map(Scope::as_str));
    assert_eq!(skytells_emulator::DEFAULT_SCOPES, Scope::DEFAULT.map(Scope::as_str));
}
