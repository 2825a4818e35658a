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
    let address = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    if address.is_empty() {
        return Err(KeyringError::Unavailable("no D-Bus session: DBUS_SESSION_BUS_ADDRESS is not set".into()));
    }
    #[cfg(target_os = "linux")]
    super::session_bus::check_owner(&address)?;
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

/// The items filed under exactly `entry`'s attributes: an item with further attributes
/// (another program's, or one planted with ours among its own) is not this entry.
fn items_of<'a>(service: &'a SecretService, entry: &KeyringEntry) -> Result<Vec<Item<'a>>, KeyringError> {
    let found = service.search_items(attributes(entry)).map_err(failed)?;
    let mut exact = Vec::new();
    for item in found.unlocked.into_iter().chain(found.locked) {
        match item.get_attributes() {
            Ok(attributes) if is_exactly(&attributes, entry) => exact.push(item),
            Ok(_) => {}
            // Deleted between the search and now: the collection changed under us.
            Err(error) if is_gone(&error) => {}
            Err(error) => return Err(failed(error)),
        }
    }
    Ok(exact)
}

/// Whether an item's attributes are `entry`'s and nothing more (the provider's own
/// `xdg:` bookkeeping aside).
fn is_exactly(attributes: &HashMap<String, String>, entry: &KeyringEntry) -> bool {
    let ours = attributes.iter().filter(|(name, _)| !name.starts_with("xdg:")).count();
    ours == 2
        && attributes.get("service").map(String::as_str) == Some(entry.service.as_str())
        && attributes.get("username").map(String::as_str) == Some(entry.user.as_str())
}

/// The object went away: another program deleted it between two of our calls.
fn is_gone(error: &Error) -> bool {
    matches!(error, Error::Dbus(error) if matches!(
        error.name(),
        Some("org.freedesktop.DBus.Error.UnknownObject" | "org.freedesktop.DBus.Error.UnknownMethod" | "org.freedesktop.Secret.Error.NoSuchObject")
    ))
}

pub(super) fn read(entry: &KeyringEntry) -> Result<Option<Secret>, KeyringError> {
    let service = connect()?;
    let items = items_of(&service, entry)?;
    let item = match items.as_slice() {
        [] => return Ok(None),
        [item] => item,
        many => return Err(KeyringError::Ambiguous(many.len())),
    };
    unlocked(item)?;
    match item.get_secret() {
        Ok(bytes) => secret_from(bytes).map(Some),
        Err(error) if is_gone(&error) => Ok(None),
        Err(error) => Err(failed(error)),
    }
}

pub(super) fn delete(entry: &KeyringEntry) -> Result<bool, KeyringError> {
    let service = connect()?;
    let items = items_of(&service, entry)?;
    let mut deleted = false;
    for item in &items {
        unlocked(item)?;
        match item.delete() {
            Ok(()) => deleted = true,
            Err(error) if is_gone(&error) => {}
            Err(error) => return Err(failed(error)),
        }
    }
    Ok(deleted)
}

pub(super) fn entries(service_name: &str) -> Result<Option<Vec<KeyringEntry>>, KeyringError> {
    let service = connect()?;
    let found = service.search_items(HashMap::from([("service", service_name)])).map_err(failed)?;
    let mut entries = Vec::new();
    for item in found.unlocked.iter().chain(&found.locked) {
        let attributes = match item.get_attributes() {
            Ok(attributes) => attributes,
            Err(error) if is_gone(&error) => continue,
            Err(error) => return Err(failed(error)),
        };
        if let Some(user) = attributes.get("username") {
            let entry = KeyringEntry { service: service_name.to_owned(), user: user.clone() };
            if is_exactly(&attributes, &entry) && !entries.contains(&entry) {
                entries.push(entry);
            }
        }
    }
    Ok(Some(entries))
}

/// The session bus, the provider on it, whether the default collection is locked, and
/// `service_name`'s entries: each step as far as it goes.
pub(super) fn probe(service_name: &str) -> super::KeyringProbe {
    let mut probe = super::KeyringProbe { has_bus: true, ..super::KeyringProbe::not_probed() };
    let address = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    if address.is_empty() {
        probe.bus =
            Some(Err(KeyringError::Unavailable("no D-Bus session: DBUS_SESSION_BUS_ADDRESS is not set".into())));
        return probe;
    }
    #[cfg(target_os = "linux")]
    if let Err(error) = super::session_bus::check_owner(&address) {
        probe.bus = Some(Err(error));
        return probe;
    }
    probe.bus = Some(Ok(()));
    let service = match SecretService::connect_with_max_prompt_timeout(EncryptionType::Plain, 0) {
        Ok(service) => service,
        Err(error) => {
            probe.provider = Some(Err(unavailable(error)));
            return probe;
        }
    };
    probe.provider = Some(Ok(()));
    probe.locked = Some(match service.get_default_collection() {
        Ok(collection) => collection.is_locked().map_err(failed),
        Err(Error::NoResult) => Err(KeyringError::Failed("it has no default collection to keep secrets in".into())),
        Err(error) => Err(failed(error)),
    });
    probe.entries = Some(entries(service_name));
    probe
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
