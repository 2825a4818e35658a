//! The system keyring, as `--keyring` and the credentials file's markers use it. In a
//! build without the `keyring` feature every use is a clear error, and nothing else
//! changes.

use skytells_auth::skytells::KeyringEntry;
use skytells_auth::Secret;

/// How a failure reads: the keyring's own words, for the command to put in context.
pub type Problem = String;

#[cfg(feature = "keyring")]
mod system {
    use super::*;
    use skytells_auth_store::keyring::SystemKeyring;

    pub fn put(entry: &KeyringEntry, label: &str, secret: &Secret) -> Result<(), Problem> {
        SystemKeyring::new().store(entry, label, secret).map_err(|error| error.to_string())
    }

    pub fn read(entry: &KeyringEntry) -> Result<Option<Secret>, Problem> {
        SystemKeyring::new().read(entry).map_err(|error| error.to_string())
    }

    pub fn delete(entry: &KeyringEntry) -> Result<bool, Problem> {
        SystemKeyring::new().delete(entry).map_err(|error| error.to_string())
    }
}

#[cfg(not(feature = "keyring"))]
mod system {
    use super::*;

    const NOT_BUILT: &str = "this skytells was built without keyring support (cargo feature `keyring`)";

    pub fn put(_: &KeyringEntry, _: &str, _: &Secret) -> Result<(), Problem> {
        Err(NOT_BUILT.to_owned())
    }

    pub fn read(_: &KeyringEntry) -> Result<Option<Secret>, Problem> {
        Err(NOT_BUILT.to_owned())
    }

    pub fn delete(_: &KeyringEntry) -> Result<bool, Problem> {
        Err(NOT_BUILT.to_owned())
    }
}

pub use system::{delete, put, read};

/// Which credential a save is for.
#[derive(Debug, Clone, Copy)]
pub enum Kind<'a> {
    /// A personal access token, with the scopes it was granted.
    Token(&'a [String]),
    /// A project access key.
    AccessKey,
}

/// Where a credential was saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavedIn {
    File,
    Keyring,
}

impl SavedIn {
    /// As `--json` names it.
    pub fn name(self) -> &'static str {
        match self {
            SavedIn::File => "file",
            SavedIn::Keyring => "keyring",
        }
    }
}

/// Saves `secret` for the current API: in the system keyring with only a marker in the
/// file (`in_keyring`), or in the file, when a copy the keyring held before is deleted so
/// that no stale secret stays behind. The keyring is written first and the file last, so
/// a failure leaves the file as it was.
pub fn save(
    context: &crate::context::Context,
    file: &skytells_auth_store::CredentialStore,
    origin: &skytells_auth::skytells::ApiOrigin,
    (kind, secret): (Kind<'_>, &Secret),
    in_keyring: bool,
) -> Result<SavedIn, crate::error::CliError> {
    use crate::error::CliError;
    let (what, is_key) = match kind {
        Kind::Token(_) => ("token", false),
        Kind::AccessKey => ("access key", true),
    };
    let entry = KeyringEntry::for_origin(origin, is_key);
    let path = context.display_path(file.path());
    if in_keyring {
        put(&entry, &format!("Skytells CLI {what} for {origin}"), secret).map_err(|problem| {
            CliError::failure(format!(
                "could not keep the {what} in the system keyring: {problem}. Nothing was saved. Run the command without --keyring to keep it in {path} instead."
            ))
        })?;
    }
    let now_ms = context.now_ms();
    let updated = file.update(now_ms, |credentials| {
        let before = credentials.login_for(origin);
        let old_copy = if is_key { before.access_key_keyring } else { before.token_keyring };
        match (kind, in_keyring) {
            (Kind::Token(scopes), true) => credentials.set_token_in_keyring_for(origin, &entry, scopes, now_ms),
            (Kind::Token(scopes), false) => credentials.set_token_for(origin, secret, scopes, now_ms),
            (Kind::AccessKey, true) => credentials.set_access_key_in_keyring_for(origin, &entry, now_ms),
            (Kind::AccessKey, false) => credentials.set_access_key_for(origin, secret, now_ms),
        }
        old_copy
    });
    let updated = match updated {
        Ok(updated) => updated,
        Err(error) => {
            if in_keyring {
                let _ = delete(&entry);
            }
            return Err(error.into());
        }
    };
    context.warn_all(&updated.warnings);
    if let (Some(old), false) = (updated.value, in_keyring) {
        if let Err(problem) = delete(&old) {
            context.warn(format!(
                "the {what} is now kept in {path}, but its old copy in the system keyring could not be deleted: {problem}"
            ));
        }
    }
    Ok(if in_keyring { SavedIn::Keyring } else { SavedIn::File })
}
