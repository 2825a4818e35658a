//! The system keyring as the CLI offers it: which one the store uses, and what to tell a
//! person when it fails. The store does every keyring call itself, under its lock; in a
//! build without the `keyring` feature it gets a keyring that refuses, and nothing else
//! changes.

use std::sync::Arc;

use skytells_auth::skytells::SecretKind;
use skytells_auth_store::{Keyring, KeyringError};

/// The keyring the store keeps `--keyring` secrets in.
#[cfg(feature = "keyring")]
pub fn system() -> Arc<dyn Keyring> {
    Arc::new(skytells_auth_store::keyring::SystemKeyring::new())
}

/// The keyring the store keeps `--keyring` secrets in: none, in this build.
#[cfg(not(feature = "keyring"))]
pub fn system() -> Arc<dyn Keyring> {
    Arc::new(skytells_auth_store::NoKeyring::new(
        "this skytells was built without keyring support (cargo feature `keyring`)",
    ))
}

/// "token", "access key" or "API key".
pub fn what(kind: SecretKind) -> &'static str {
    match kind {
        SecretKind::Token => "token",
        SecretKind::ApiKey => "API key",
        _ => "access key",
    }
}

/// What to do when a secret kept in the keyring cannot be read, fitted to the cause.
pub fn read_advice(kind: SecretKind, error: &KeyringError) -> String {
    let instead = match kind {
        SecretKind::Token => "run `skytells login` to keep a new token in the credentials file",
        SecretKind::ApiKey => "run `skytells api-key set` to keep the key in the credentials file",
        _ => "run `skytells link` to keep the key in the credentials file",
    };
    match error {
        KeyringError::Locked => format!(
            "Unlock the keyring (unlock your desktop session or the keyring manager) and try again, or {instead}"
        ),
        KeyringError::Unavailable(_) => {
            format!("Run the command in the desktop session that has the keyring, or {instead}")
        }
        KeyringError::TimedOut(_) | KeyringError::NoAnswer => {
            format!("The keyring service is not answering: try again, or {instead}")
        }
        KeyringError::NotText | KeyringError::NotACredential | KeyringError::Ambiguous(_) => {
            format!("Run `skytells logout` to remove it, then {instead}")
        }
        _ => format!("Try again, or {instead}"),
    }
}

/// What to do when a secret in the keyring could not be deleted, fitted to the cause.
pub fn delete_advice(error: &KeyringError) -> &'static str {
    match error {
        KeyringError::Locked => "Unlock the keyring and run `skytells logout` again.",
        KeyringError::Unavailable(_) => "Run `skytells logout` again in the desktop session that has the keyring.",
        KeyringError::TimedOut(_) | KeyringError::NoAnswer => {
            "The keyring service is not answering: run `skytells logout` again later."
        }
        _ => "Run `skytells logout` again, or delete it in your keyring manager.",
    }
}
