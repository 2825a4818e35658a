//! The system keyring, step by step.

use skytells_auth_store::{CredentialStore, LogoutScope};

use super::{fail, pass, Check};

/// The keyring step by step: session bus, provider, locked, this program's items, orphans.
/// Each is informational (✔) when no login points into the keyring; ✖ only when one does
/// and the keyring cannot give it back.
pub(super) fn keyring_checks(store: &CredentialStore, in_use: bool) -> Vec<Check> {
    use skytells_auth::skytells::KeyringEntry;
    use skytells_auth_store::KeyringError;
    let probe = crate::keyring::system().probe(KeyringEntry::SERVICE);
    let usage = if in_use { "a login is kept there" } else { "no login is kept there" };
    let instead = "or run `skytells login` (and `skytells api-key set`) without --keyring to keep the secrets in the credentials file";
    let verdict = |name: &'static str, detail: String, fix: String| {
        if in_use {
            fail(name, detail, fix)
        } else {
            pass(name, format!("{detail} (not needed: {usage})"))
        }
    };
    let mut checks = Vec::new();
    if !probe.has_bus {
        checks.push(pass("keyring", format!("the system keyring; {usage}")));
    }
    match &probe.bus {
        None => {}
        Some(Ok(())) => checks.push(pass("keyring session bus", "DBUS_SESSION_BUS_ADDRESS names a bus of yours")),
        Some(Err(error)) => {
            let fix = match error {
                KeyringError::Unavailable(why)
                    if why.contains("another user") || why.contains("only a local socket") =>
                {
                    format!("Point DBUS_SESSION_BUS_ADDRESS at your own session bus (unset it, then log in to the desktop session), {instead}.")
                }
                _ => format!("Run skytells in your desktop session, where DBUS_SESSION_BUS_ADDRESS is set, {instead}."),
            };
            checks.push(verdict("keyring session bus", error.to_string(), fix));
        }
    }
    match &probe.provider {
        None => {}
        Some(Ok(())) => checks.push(pass("keyring provider", "a Secret Service answers on the session bus")),
        Some(Err(error)) => checks.push(verdict(
            "keyring provider",
            error.to_string(),
            format!("Start a keyring that provides the Secret Service (GNOME Keyring, KWallet, KeePassXC), {instead}."),
        )),
    }
    match &probe.locked {
        None => {}
        Some(Ok(false)) => checks.push(pass("keyring locked", "no: the default collection is unlocked")),
        Some(Ok(true)) => checks.push(verdict(
            "keyring locked",
            "yes: the default collection is locked, and skytells never waits for an unlock prompt".to_owned(),
            format!("Unlock the keyring (unlock your desktop session, or the \"login\" keyring in your keyring manager), then run `skytells auth doctor` again; {instead}."),
        )),
        Some(Err(error)) => checks.push(verdict(
            "keyring locked",
            format!("cannot tell: {error}"),
            format!("Try again, {instead}."),
        )),
    }
    match &probe.entries {
        None => {}
        Some(Ok(Some(entries))) if entries.is_empty() => checks.push(pass("keyring items", "none of this program's")),
        Some(Ok(Some(entries))) => {
            let names: Vec<&str> = entries.iter().map(|entry| entry.user.as_str()).collect();
            checks.push(pass("keyring items", format!("this program's: {}", names.join(", "))))
        }
        Some(Ok(None)) => checks.push(pass("keyring items", "this keyring cannot be searched")),
        Some(Err(error)) => checks.push(verdict(
            "keyring items",
            format!("cannot be listed: {error}"),
            format!("Try again, {instead}."),
        )),
    }
    if probe.has_bus && !matches!(probe.entries, Some(Ok(_))) {
        checks.push(pass("keyring orphans", "not checked: the keyring cannot be searched"));
        return checks;
    }
    let orphans = store.keyring_orphans(&LogoutScope::AllApis);
    checks.push(if orphans.is_empty() {
        pass("keyring orphans", "none: every item of this program is one a login points to")
    } else {
        let names: Vec<String> = orphans.iter().map(|entry| entry.user.clone()).collect();
        fail(
            "keyring orphans",
            format!("items no login points to: {}", names.join(", ")),
            "Run `skytells logout --all` to delete them (or delete them in your keyring manager).",
        )
    });
    checks
}
