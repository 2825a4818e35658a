//! The Keychain (macOS) and the Credential Manager (Windows), through keyring-core's
//! native stores.

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error};
use skytells_auth::skytells::KeyringEntry;
use skytells_auth::Secret;

use super::KeyringError;

fn open(entry: &KeyringEntry) -> Result<Entry, KeyringError> {
    #[cfg(target_os = "macos")]
    let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new().map_err(failed)?;
    #[cfg(windows)]
    let store: Arc<CredentialStore> = windows_native_keyring_store::Store::new().map_err(failed)?;
    Entry::new_in_store(&store, &entry.service, &entry.user).map_err(failed)
}

// Written and read back as a password (text), never as raw bytes: each store encodes a
// password in its system's own way (UTF-16 in the Credential Manager, as Windows' own
// tools show it; UTF-8 in the Keychain), and only `get_password` decodes it again.
// `get_secret` returns the stored bytes as they are, so on Windows a token written with
// `set_password` came back as `s\0k\0_\0p\0…`.
pub(super) fn store(entry: &KeyringEntry, _label: &str, secret: &Secret) -> Result<(), KeyringError> {
    open(entry)?.set_password(secret.expose()).map_err(failed)
}

pub(super) fn read(entry: &KeyringEntry) -> Result<Option<Secret>, KeyringError> {
    match open(entry)?.get_password() {
        Ok(text) => Ok(Some(Secret::new(text))),
        Err(Error::NoEntry) => Ok(None),
        // Something else wrote bytes that are not text in this store's encoding.
        Err(Error::BadEncoding(_)) => Err(KeyringError::NotText),
        Err(error) => Err(failed(error)),
    }
}

pub(super) fn delete(entry: &KeyringEntry) -> Result<bool, KeyringError> {
    match open(entry)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(Error::NoEntry) => Ok(false),
        Err(error) => Err(failed(error)),
    }
}

/// Neither store can be searched by attribute through keyring-core: the caller checks the
/// entries it can name instead.
pub(super) fn entries(_service: &str) -> Result<Option<Vec<KeyringEntry>>, KeyringError> {
    Ok(None)
}

fn failed(error: Error) -> KeyringError {
    match error {
        Error::NoStorageAccess(error) => KeyringError::Failed(format!("access was refused: {error}")),
        other => KeyringError::Failed(other.to_string()),
    }
}
