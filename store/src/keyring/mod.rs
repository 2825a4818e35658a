//! The system keyring as a place for a secret: Secret Service on Linux and the other
//! Unix desktops, the Keychain on macOS, the Credential Manager on Windows. Every
//! operation runs on its own thread under a deadline, so a locked keyring, a missing
//! D-Bus session or a provider that never answers is an error within seconds, never a
//! hang. (The thread of an operation that timed out is left to finish or to be ended
//! with the process.)
//!
//! ```no_run
//! use skytells_auth::skytells::{ApiBase, KeyringEntry};
//! use skytells_auth::Secret;
//! use skytells_auth_store::keyring::SystemKeyring;
//!
//! let keyring = SystemKeyring::new();
//! let entry = KeyringEntry::for_origin(&ApiBase::default().origin(), false);
//! keyring.store(&entry, "Skytells CLI token", &Secret::new("sk_pat_..."))?;
//! assert!(keyring.read(&entry)?.is_some());
//! keyring.delete(&entry)?;
//! # Ok::<(), skytells_auth_store::keyring::KeyringError>(())
//! ```

#[cfg(all(unix, not(target_os = "macos")))]
mod secret_service;
#[cfg(all(unix, not(target_os = "macos")))]
use secret_service as platform;

#[cfg(any(target_os = "macos", windows))]
mod native;
#[cfg(any(target_os = "macos", windows))]
use native as platform;

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
    /// it, or no keyring on this platform.
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
}

/// The system keyring, with a deadline on every operation.
#[derive(Debug, Clone)]
pub struct SystemKeyring {
    timeout: Duration,
}

impl Default for SystemKeyring {
    fn default() -> Self {
        Self::new()
    }
}

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

    /// Stores `secret` at `entry` (replacing what was there), under a label people see in
    /// their keyring manager.
    pub fn store(&self, entry: &KeyringEntry, label: &str, secret: &Secret) -> Result<(), KeyringError> {
        let (entry, label, secret) = (entry.clone(), label.to_owned(), secret.clone());
        self.bounded(move || platform::store(&entry, &label, &secret))
    }

    /// The secret at `entry`; `None` when there is none.
    pub fn read(&self, entry: &KeyringEntry) -> Result<Option<Secret>, KeyringError> {
        let entry = entry.clone();
        self.bounded(move || platform::read(&entry))
    }

    /// Removes the secret at `entry`; whether there was one.
    pub fn delete(&self, entry: &KeyringEntry) -> Result<bool, KeyringError> {
        let entry = entry.clone();
        self.bounded(move || platform::delete(&entry))
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

/// The secret's bytes as a secret, when they are text.
#[cfg(all(unix, not(target_os = "macos")))] // win17: native.rs reads text through get_password
fn secret_from(bytes: Vec<u8>) -> Result<Secret, KeyringError> {
    String::from_utf8(bytes).map(Secret::new).map_err(|_| KeyringError::NotText)
}

#[cfg(test)]
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
