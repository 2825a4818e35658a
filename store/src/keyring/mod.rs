//! The system keyring as a place for a secret: Secret Service on Linux and the other
//! Unix desktops, the Keychain on macOS, the Credential Manager on Windows.
//!
//! [`Keyring`] is what the store needs of one; [`SystemKeyring`] (cargo feature
//! `keyring`) is the operating system's. Every operation of [`SystemKeyring`] runs on its
//! own thread under a deadline, so a locked keyring, a missing D-Bus session or a
//! provider that never answers is an error within seconds, never a hang. (The thread of
//! an operation that timed out is left to finish or to be ended with the process.)
//!
//! The store never reads, writes or deletes any entry but the one it derives from a
//! login's own origin and kind ([`KeyringEntry::of`]); the credentials file only says
//! *that* a secret is in the keyring.
//!
//! ```no_run
//! # #[cfg(feature = "keyring")] {
//! use std::sync::Arc;
//! use skytells_auth::skytells::{ApiOrigin, SecretKind};
//! use skytells_auth::Secret;
//! use skytells_auth_store::keyring::SystemKeyring;
//! use skytells_auth_store::{CredentialStore, NewSecret, Placement};
//!
//! let store = CredentialStore::new("/home/ada/.config/skytells/credentials.json")
//!     .with_keyring(Arc::new(SystemKeyring::new()));
//! let origin = ApiOrigin::default_api();
//! let token = Secret::new(format!("sk_pat_{}", "ab".repeat(32)));
//! store.save(&origin, NewSecret::token(&token, &[]), Placement::Keyring, 1_776_076_200_000)?;
//! assert_eq!(store.read_keyring_secret(&origin, SecretKind::Token)?.unwrap(), token);
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(all(feature = "keyring", unix, not(target_os = "macos")))]
mod secret_service;
#[cfg(all(feature = "keyring", unix, not(target_os = "macos")))]
use secret_service as platform;
#[cfg(all(feature = "keyring", target_os = "linux"))]
mod session_bus;

#[cfg(all(feature = "keyring", any(target_os = "macos", windows)))]
mod native;
#[cfg(all(feature = "keyring", any(target_os = "macos", windows)))]
use native as platform;

use std::fmt;
#[cfg(feature = "keyring")]
use std::sync::mpsc;
use std::time::Duration;

use skytells_auth::skytells::KeyringEntry;
use skytells_auth::Secret;

/// Why the keyring could not be used. Messages state facts; what to do instead is the
/// caller's to say.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyringError {
    /// There is no keyring to talk to: no D-Bus session bus, no Secret Service provider on
    /// it, no keyring on this platform, or none given to the store.
    #[error("no system keyring is available ({0})")]
    Unavailable(String),
    /// The keyring is locked, and unlocking it would need a prompt.
    #[error("the system keyring is locked")]
    Locked,
    /// No answer within the deadline.
    #[error("the system keyring did not answer within {} s", .0.as_secs_f32())]
    TimedOut(Duration),
    /// The keyring's own call timed out: something holds its name and does not answer.
    #[error("the system keyring did not answer")]
    NoAnswer,
    /// The keyring answered with an error.
    #[error("the system keyring refused: {0}")]
    Failed(String),
    /// What the keyring holds there is not text.
    #[error("the system keyring holds something other than text there")]
    NotText,
    /// What the keyring holds there is text that cannot be a credential (empty, spaces,
    /// line breaks, characters an HTTP header cannot carry).
    #[error("the system keyring holds something there that cannot be a credential")]
    NotACredential,
    /// More than one item answers to the entry: which one is this program's cannot be told.
    #[error("the system keyring holds {0} items for that entry, where there should be one")]
    Ambiguous(usize),
}

impl KeyringError {
    /// Whether the keyring cannot be reached at all (as opposed to answering badly).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, KeyringError::Unavailable(_))
    }
}

/// A place for secrets outside the credentials file. The store calls it only with
/// entries it derived itself, and only while it holds the credentials file's lock.
pub trait Keyring: fmt::Debug + Send + Sync {
    /// Stores `secret` at `entry` (replacing what was there), under a label people see in
    /// their keyring manager.
    fn store(&self, entry: &KeyringEntry, label: &str, secret: &Secret) -> Result<(), KeyringError>;
    /// The text at `entry`; `None` when there is none.
    fn read(&self, entry: &KeyringEntry) -> Result<Option<Secret>, KeyringError>;
    /// Removes what is at `entry`; whether there was something.
    fn delete(&self, entry: &KeyringEntry) -> Result<bool, KeyringError>;
    /// Every entry filed under `service`, when the keyring can be searched (`None` when it
    /// cannot, as the Keychain and the Credential Manager cannot here).
    fn entries(&self, service: &str) -> Result<Option<Vec<KeyringEntry>>, KeyringError>;
    /// What a doctor shows of the keyring, step by step, with this program's entries
    /// (`service`'s). The default says only that there is nothing to probe.
    fn probe(&self, service: &str) -> KeyringProbe {
        let _ = service;
        KeyringProbe::not_probed()
    }
}

/// The keyring, step by step, as far as each step could go: for `skytells auth doctor`.
/// A step that was not reached (because one before it failed) is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyringProbe {
    /// Whether this platform's keyring sits on a D-Bus session bus, which the other steps
    /// need (false on macOS and Windows, and in a build without a keyring).
    pub has_bus: bool,
    /// The session bus: set, reachable, and served by this user.
    pub bus: Option<Result<(), KeyringError>>,
    /// Something on it provides the Secret Service.
    pub provider: Option<Result<(), KeyringError>>,
    /// Whether the default collection is locked.
    pub locked: Option<Result<bool, KeyringError>>,
    /// This program's entries (`None` inside: the keyring cannot be searched).
    pub entries: Option<Result<Option<Vec<KeyringEntry>>, KeyringError>>,
}

impl KeyringProbe {
    /// Nothing probed: no bus, no steps.
    pub fn not_probed() -> Self {
        KeyringProbe { has_bus: false, bus: None, provider: None, locked: None, entries: None }
    }
}

/// No keyring: every operation says so. What a store without one uses.
#[derive(Debug, Clone, Default)]
pub struct NoKeyring {
    reason: &'static str,
}

impl NoKeyring {
    /// No keyring, for `reason` ("this program was built without keyring support").
    pub fn new(reason: &'static str) -> Self {
        NoKeyring { reason }
    }

    fn refuse<T>(&self) -> Result<T, KeyringError> {
        Err(KeyringError::Unavailable(if self.reason.is_empty() { "none was given" } else { self.reason }.to_owned()))
    }
}

impl Keyring for NoKeyring {
    fn store(&self, _: &KeyringEntry, _: &str, _: &Secret) -> Result<(), KeyringError> {
        self.refuse()
    }

    fn read(&self, _: &KeyringEntry) -> Result<Option<Secret>, KeyringError> {
        self.refuse()
    }

    fn delete(&self, _: &KeyringEntry) -> Result<bool, KeyringError> {
        self.refuse()
    }

    fn entries(&self, _: &str) -> Result<Option<Vec<KeyringEntry>>, KeyringError> {
        self.refuse()
    }
}

/// The operating system's keyring, with a deadline on every operation.
#[cfg(feature = "keyring")]
#[cfg_attr(docsrs, doc(cfg(feature = "keyring")))]
#[derive(Debug, Clone)]
pub struct SystemKeyring {
    timeout: Duration,
}

#[cfg(feature = "keyring")]
impl Default for SystemKeyring {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "keyring")]
impl SystemKeyring {
    /// The default deadline for one operation.
    pub const TIMEOUT: Duration = Duration::from_secs(5);

    /// The keyring, with [`SystemKeyring::TIMEOUT`] per operation.
    pub fn new() -> Self {
        SystemKeyring { timeout: Self::TIMEOUT }
    }

    /// The same, with another deadline.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs `operation` on its own thread, waiting at most the deadline for it.
    fn bounded<T: Send + 'static>(
        &self,
        operation: impl FnOnce() -> Result<T, KeyringError> + Send + 'static,
    ) -> Result<T, KeyringError> {
        let (sender, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name("keyring".into())
            .spawn(move || {
                let _ = sender.send(operation());
            })
            .map_err(|error| KeyringError::Failed(format!("could not start a thread: {error}")))?;
        receiver.recv_timeout(self.timeout).unwrap_or(Err(KeyringError::TimedOut(self.timeout)))
    }
}

#[cfg(feature = "keyring")]
impl Keyring for SystemKeyring {
    fn store(&self, entry: &KeyringEntry, label: &str, secret: &Secret) -> Result<(), KeyringError> {
        let (entry, label, secret) = (entry.clone(), label.to_owned(), secret.clone());
        self.bounded(move || platform::store(&entry, &label, &secret))
    }

    fn read(&self, entry: &KeyringEntry) -> Result<Option<Secret>, KeyringError> {
        let entry = entry.clone();
        self.bounded(move || platform::read(&entry))
    }

    fn delete(&self, entry: &KeyringEntry) -> Result<bool, KeyringError> {
        let entry = entry.clone();
        self.bounded(move || platform::delete(&entry))
    }

    fn entries(&self, service: &str) -> Result<Option<Vec<KeyringEntry>>, KeyringError> {
        let service = service.to_owned();
        self.bounded(move || platform::entries(&service))
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    fn probe(&self, service: &str) -> KeyringProbe {
        let service = service.to_owned();
        self.bounded(move || Ok(platform::probe(&service))).unwrap_or_else(|error| KeyringProbe {
            has_bus: true,
            bus: Some(Ok(())),
            provider: Some(Err(error)),
            locked: None,
            entries: None,
        })
    }
}

/// The secret's bytes as a secret, when they are text.
#[cfg(all(feature = "keyring", unix, not(target_os = "macos")))] // native.rs reads text through get_password
fn secret_from(bytes: Vec<u8>) -> Result<Secret, KeyringError> {
    String::from_utf8(bytes).map(Secret::new).map_err(|_| KeyringError::NotText)
}

#[cfg(all(test, feature = "keyring"))]
mod tests {
    use super::*;

    #[test]
    fn an_operation_that_never_ends_is_given_up_on_at_the_deadline() {
        let keyring = SystemKeyring::new().with_timeout(Duration::from_millis(50));
        let (_kept_open, never) = mpsc::channel::<()>();
        let result = keyring.bounded(move || {
            let _ = never.recv();
            Ok(())
        });
        assert_eq!(result, Err(KeyringError::TimedOut(Duration::from_millis(50))));
    }
}
