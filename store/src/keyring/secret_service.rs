//! Secret Service (GNOME Keyring, KWallet, KeePassXC, …) over D-Bus.

use std::collections::HashMap;

use dbus_secret_service::{EncryptionType, Error, Item, SecretService};
use skytells_auth::skytells::KeyringEntry;
use skytells_auth::Secret;

use super::{secret_from, KeyringError};

/// The D-Bus error for a call whose answer did not come in time.
const NO_REPLY: &str = "org.freedesktop.DBus.Error.NoReply";

/// A session on the user's bus. Secrets travel unencrypted over it, as with go-keyring
/// (gh): the session bus is the user's own, and the extra key exchange would need a
/// bignum crate in every build. A prompt is never waited for: a locked keyring is
/// [`KeyringError::Locked`] at once.
fn connect() -> Result<SecretService, KeyringError> {
    SecretService::connect_with_max_prompt_timeout(EncryptionType::Plain, 0).map_err(unavailable)
}

/// The attributes an entry is filed under, named as keyring-rs and secret-tool name them.
fn attributes(entry: &KeyringEntry) -> HashMap<&str, &str> {
    HashMap::from([("service", entry.service.as_str()), ("username", entry.user.as_str())])
}

pub(super) fn store(entry: &KeyringEntry, label: &str, secret: &Secret) -> Result<(), KeyringError> {
    let service = connect()?;
    let collection = service.get_default_collection().map_err(|error| match error {
        Error::NoResult => KeyringError::Failed("it has no default collection to keep secrets in".into()),
        other => failed(other),
    })?;
    if collection.is_locked().map_err(failed)? {
        collection.unlock().map_err(failed)?;
    }
    collection
        .create_item(label, attributes(entry), secret.expose().as_bytes(), true, "text/plain")
        .map(|_| ())
        .map_err(failed)
}

pub(super) fn read(entry: &KeyringEntry) -> Result<Option<Secret>, KeyringError> {
    let service = connect()?;
    let found = service.search_items(attributes(entry)).map_err(failed)?;
    let Some(item) = found.unlocked.first().or(found.locked.first()) else { return Ok(None) };
    unlocked(item)?;
    item.get_secret().map_err(failed).and_then(secret_from).map(Some)
}

pub(super) fn delete(entry: &KeyringEntry) -> Result<bool, KeyringError> {
    let service = connect()?;
    let found = service.search_items(attributes(entry)).map_err(failed)?;
    let items: Vec<&Item> = found.unlocked.iter().chain(&found.locked).collect();
    for item in &items {
        unlocked(item)?;
        item.delete().map_err(failed)?;
    }
    Ok(!items.is_empty())
}

fn unlocked(item: &Item) -> Result<(), KeyringError> {
    if item.is_locked().map_err(failed)? {
        item.unlock().map_err(failed)?;
    }
    Ok(())
}

/// Connecting failed: there is no bus, or nothing on it provides the Secret Service.
fn unavailable(error: Error) -> KeyringError {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|address| address.is_empty()) {
        return KeyringError::Unavailable("no D-Bus session: DBUS_SESSION_BUS_ADDRESS is not set".into());
    }
    match error {
        Error::Dbus(error) if error.name() == Some(NO_REPLY) => KeyringError::NoAnswer,
        Error::Dbus(error) if error.name() == Some("org.freedesktop.DBus.Error.ServiceUnknown") => {
            KeyringError::Unavailable("nothing on the D-Bus session provides the Secret Service".into())
        }
        Error::Unavailable => {
            KeyringError::Unavailable("nothing on the D-Bus session provides the Secret Service".into())
        }
        other => KeyringError::Unavailable(other.to_string()),
    }
}

fn failed(error: Error) -> KeyringError {
    match error {
        Error::Dbus(error) if error.name() == Some(NO_REPLY) => KeyringError::NoAnswer,
        Error::Locked | Error::Prompt => KeyringError::Locked,
        Error::Unavailable => KeyringError::Unavailable("no Secret Service provider".into()),
        other => KeyringError::Failed(other.to_string()),
    }
}
