//! The Skytells CLI's credentials on disk (`credentials.json`, shared with the Node CLI,
//! and the [`ORIGINS_FILE`] beside it for other APIs' logins), and in the system keyring
//! when asked: read, and changed as one transaction under a lock. It needs no HTTP
//! client, so an embedder who only wants the files builds no network or TLS code.
//!
//! Every change takes an exclusive lock on a sibling lock file, reads the current files,
//! applies the change, writes temporary files in the same folder (0600, fsynced),
//! renames them over the old ones and fsyncs the folder. A reader therefore sees the old
//! file or the new one, never a mix, and two processes never lose each other's update.
//!
//! A secret kept in the system keyring ([`Placement::Keyring`]) changes under the same
//! lock, in an order where every crash point leaves the old login or the new one working:
//! the new files are staged (so a folder that cannot be written fails before the keyring
//! is touched), the keyring is written, the files are renamed into place, and only then
//! is a copy the keyring no longer needs deleted. [`CredentialStore::save`] and
//! [`CredentialStore::log_out`] are the whole transaction: a caller cannot order it wrong.
//!
//! ```
//! use skytells_auth::skytells::ApiOrigin;
//! use skytells_auth::Secret;
//! use skytells_auth_store::{CredentialStore, LogoutScope, NewSecret, Placement};
//!
//! let folder = tempfile::tempdir()?;
//! let store = CredentialStore::new(folder.path().join("credentials.json"));
//! let origin = ApiOrigin::default_api();
//! let token = Secret::new(format!("sk_pat_{}", "ab".repeat(32)));
//! store.save(&origin, NewSecret::token(&token, &["inference".to_owned()]), Placement::File, 1_776_076_200_000)?;
//! let (stored, _warnings) = store.load()?;
//! assert_eq!(stored.unwrap().login_for(&origin).token, Some(token));
//! let done = store.log_out(&LogoutScope::Api(origin))?;
//! assert!(done.had_login && done.is_complete());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The system keyring (`keyring::SystemKeyring`) is behind the cargo feature `keyring`,
//! off by default, so that a program that does not want it builds no D-Bus or keychain
//! code.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod files;
pub mod keyring;
// Access lists, links and replacing on Windows.
#[cfg(windows)]
mod windows;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use skytells_auth::skytells::{
    check_stored_secret, ApiOrigin, Credentials, CredentialsError, KeyringEntry, SecretKind, ORIGINS_FILE,
};
use skytells_auth::Secret;

pub use files::MAX_FILE_BYTES;
use files::{Existing, LockHeld, Staged};
pub use keyring::{Keyring, KeyringError, KeyringProbe, NoKeyring};

/// Permission bits of the credentials files.
pub const FILE_MODE: u32 = 0o600;
/// Permission bits of the folder holding them.
pub const DIR_MODE: u32 = 0o700;

/// Why the store could not do its job. Messages state what happened and name the path,
/// never the file's contents; what to do about it is the caller's to say
/// (`skytells_auth::skytells::messages` has the Skytells CLI's advice).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file system call failed.
    #[error("could not {action} {}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file exists but cannot be read as credentials.
    #[error("the credentials file {} cannot be read: {problem}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: CredentialsError,
    },
    /// The file is larger than any credentials file ([`MAX_FILE_BYTES`]); it was not read.
    #[error("the credentials file {} is larger than {} MiB; it was not read", path.display(), MAX_FILE_BYTES / (1024 * 1024))]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The config folder is one that other users can change: someone else owns it, or
    /// it is writable by others and cannot be made private (a shared sticky folder such
    /// as /tmp is never changed). Files in it could be swapped or planted by them.
    #[error("refusing to keep credentials in {}: {reason} (owner uid {owner}, mode {mode:04o})", path.display())]
    UnsafeFolder {
        /// The folder.
        path: PathBuf,
        /// Its owner's user id.
        owner: u32,
        /// Its mode.
        mode: u32,
        /// What makes it unsafe.
        reason: &'static str,
    },
    /// Another process held the lock for longer than the store waits.
    #[error("gave up after {} s waiting for the lock on {}: another process is still writing the credentials file", .waited.as_secs(), path.display())]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long the store waited.
        waited: Duration,
    },
    /// Another program kept the file open in a way that forbids `action`, for as long as
    /// the store retried (Windows: an editor, a backup or antivirus tool holding it without
    /// sharing it). The file is as it was.
    #[error("could not {action} {}: another program kept it open for {} s", path.display(), .waited.as_secs())]
    HeldOpen {
        /// What was refused: "replace", "remove", "read", …
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// How long the store retried.
        waited: Duration,
        /// The last refusal.
        #[source]
        source: io::Error,
    },
    /// Something other than a regular file is where the credentials file should be.
    #[error("{} is {what}, not a credentials file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// "a directory", "a symbolic link", …
        what: &'static str,
    },
    /// The system keyring refused or could not be reached; nothing was changed.
    #[error("could not {action} the {what} for {origin} in the system keyring")]
    Keyring {
        /// "keep", "read", "delete".
        action: &'static str,
        /// "token" or "access key".
        what: &'static str,
        /// The API the login is for.
        origin: ApiOrigin,
        /// Why.
        #[source]
        source: KeyringError,
    },
}

impl StoreError {
    /// The keyring's own error, when the keyring is what failed.
    pub fn keyring_error(&self) -> Option<&KeyringError> {
        match self {
            StoreError::Keyring { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Something the user should hear about, though nothing failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreWarning {
    /// Permissions were looser than they should be and were tightened.
    Tightened {
        /// File or folder.
        path: PathBuf,
        /// The mode it had.
        was: u32,
        /// The mode it has now.
        now: u32,
    },
    /// Permissions are looser than they should be and could not be tightened (the file
    /// belongs to someone else, or sits on a read-only mount); it was read all the same.
    StillLoose {
        /// File or folder.
        path: PathBuf,
        /// Its mode.
        mode: u32,
        /// Why it could not be changed.
        reason: String,
    },
    /// An unreadable credentials file was copied aside before being replaced.
    BackedUp {
        /// The unreadable file.
        path: PathBuf,
        /// Where the copy is.
        backup: PathBuf,
        /// Why it could not be read (`None`: it was too large to read).
        problem: Option<CredentialsError>,
    },
    /// A secret moved from the keyring to the file, but its copy in the keyring could not
    /// be deleted.
    KeyringCopyLeft {
        /// The copy.
        entry: KeyringEntry,
        /// Why it could not be deleted.
        problem: KeyringError,
    },
    /// Windows: the access list let other accounts in; it now grants access to the
    /// current user alone (the counterpart of [`StoreWarning::Tightened`]).
    AccessRepaired {
        /// File or folder.
        path: PathBuf,
        /// The other accounts it let in, by name.
        others: Vec<String>,
    },
}

impl std::fmt::Display for StoreWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreWarning::Tightened { path, was, now } => {
                write!(f, "{} was accessible to other users (mode {was:04o}); changed it to {now:04o}", path.display())
            }
            StoreWarning::StillLoose { path, mode, reason } => write!(
                f,
                "{} is accessible to other users (mode {mode:04o}) and could not be changed to {FILE_MODE:04o}: {reason}",
                path.display()
            ),
            StoreWarning::BackedUp { path, backup, problem } => {
                let problem = problem.as_ref().map_or_else(|| "it is too large".to_owned(), ToString::to_string);
                write!(
                    f,
                    "the credentials file {} could not be read ({problem}); it was kept as {} and replaced",
                    path.display(),
                    backup.display()
                )
            }
            StoreWarning::KeyringCopyLeft { entry, problem } => write!(
                f,
                "the old copy in the system keyring (`{}` of service `{}`) could not be deleted: {problem}",
                entry.user, entry.service
            ),
            StoreWarning::AccessRepaired { path, others } => write!(
                f,
                "{} was accessible to other users ({}); its access list now grants access to you alone",
                path.display(),
                others.join(", ")
            ),
        }
    }
}

/// The result of a rewrite.
#[derive(Debug)]
#[non_exhaustive]
pub struct Updated<T> {
    /// What the change returned.
    pub value: T,
    /// What the user should hear about.
    pub warnings: Vec<StoreWarning>,
}

/// Where a secret is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Placement {
    /// In the credentials file.
    File,
    /// In the system keyring, with a marker in the file.
    Keyring,
}

impl Placement {
    /// As `--json` names it: `file`, `keyring`.
    pub fn name(self) -> &'static str {
        match self {
            Placement::File => "file",
            Placement::Keyring => "keyring",
        }
    }
}

/// A secret to save, with what goes with it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct NewSecret<'a> {
    /// Which secret of the login.
    pub kind: SecretKind,
    /// The secret.
    pub secret: &'a Secret,
    /// The scopes granted to a token (empty: not known).
    pub scopes: &'a [String],
}

impl<'a> NewSecret<'a> {
    /// A personal access token with the scopes it was granted (empty: not known).
    pub fn token(secret: &'a Secret, scopes: &'a [String]) -> Self {
        NewSecret { kind: SecretKind::Token, secret, scopes }
    }

    /// A project access key.
    pub fn access_key(secret: &'a Secret) -> Self {
        NewSecret { kind: SecretKind::AccessKey, secret, scopes: &[] }
    }

    /// An API key for the models API; `origin` in [`CredentialStore::save`] is then the
    /// models API's origin.
    pub fn api_key(secret: &'a Secret) -> Self {
        NewSecret { kind: SecretKind::ApiKey, secret, scopes: &[] }
    }
}

/// What [`CredentialStore::remove_api_key`] removed.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct RemovedApiKey {
    /// Where the key was (`None`: there was none).
    pub was: Option<Placement>,
    /// The keyring item deleted: the one the file pointed to, or one no file pointed to.
    pub keyring_deleted: Option<KeyringEntry>,
    /// What the user should hear about.
    pub warnings: Vec<StoreWarning>,
}

/// What a save did.
#[derive(Debug)]
#[non_exhaustive]
pub struct Saved {
    /// Where the secret is now.
    pub placement: Placement,
    /// Where the secret it replaced was, when there was one.
    pub replaced: Option<Placement>,
    /// What the user should hear about.
    pub warnings: Vec<StoreWarning>,
}

/// Which logins a logout removes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogoutScope {
    /// The login for this API only; those for other APIs stay.
    Api(ApiOrigin),
    /// Every API's.
    AllApis,
}

/// What a logout removed, and what it could not.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct LoggedOut {
    /// Whether a login (token or access key) in the scope was stored.
    pub had_login: bool,
    /// APIs whose logins stay (outside the scope, or kept because their keyring item
    /// could not be deleted).
    pub remaining: Vec<ApiOrigin>,
    /// Secrets deleted from the system keyring that the files pointed to.
    pub keyring_deleted: Vec<KeyringEntry>,
    /// Items of this program in the keyring that no file pointed to (left by a login
    /// that was killed), deleted.
    pub orphans_deleted: Vec<KeyringEntry>,
    /// Secrets in the keyring that could not be deleted: their markers stay in the file,
    /// so the login is still there and a later logout can finish the job.
    pub keyring_kept: Vec<(KeyringEntry, KeyringError)>,
    /// A credentials file could not be read and was removed whole: logout removes every
    /// stored secret, and it may have held one.
    pub removed_unreadable: Vec<PathBuf>,
    /// Other files that could hold a secret and were removed: backups of unreadable
    /// files, temporary files of writers that were killed.
    pub removed_leftovers: Vec<PathBuf>,
    /// Models APIs whose API key was removed ([`LogoutScope::AllApis`] only: a logout of
    /// one API leaves API keys alone, as the Node CLI does).
    pub api_keys_removed: Vec<ApiOrigin>,
    /// What the user should hear about.
    pub warnings: Vec<StoreWarning>,
}

impl LoggedOut {
    /// Whether everything in the scope is gone (nothing kept in the keyring).
    pub fn is_complete(&self) -> bool {
        self.keyring_kept.is_empty()
    }
}

/// Told, once, that a rewrite is waiting for another process's lock.
type OnLockWait = Arc<dyn Fn(&Path) + Send + Sync>;

/// The credentials files in one folder, and the keyring their markers refer to.
#[derive(Clone)]
pub struct CredentialStore {
    path: PathBuf,
    lock_timeout: Duration,
    on_lock_wait: Option<OnLockWait>,
    keyring: Arc<dyn Keyring>,
}

impl std::fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialStore")
            .field("path", &self.path)
            .field("lock_timeout", &self.lock_timeout)
            .field("keyring", &self.keyring)
            .finish()
    }
}

/// How long a rewrite waits for another process's lock before it says so.
pub const LOCK_NOTICE_AFTER: Duration = Duration::from_secs(1);
/// How long a rewrite waits for another process's lock before it gives up, by default.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Both files as read, and what was wrong with each.
struct Snapshot {
    credentials: Credentials,
    /// Files that could not be read as credentials, and why (`None`: too large).
    unreadable: Vec<(PathBuf, Option<CredentialsError>)>,
}

impl CredentialStore {
    /// The store at `path` (usually from `skytells_auth::skytells::credentials_path`),
    /// without a keyring: a marker in the file is then an error when its secret is needed.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CredentialStore {
            path: path.into(),
            lock_timeout: LOCK_TIMEOUT,
            on_lock_wait: None,
            keyring: Arc::new(NoKeyring::new("no keyring was given to the credential store")),
        }
    }

    /// Keeps secrets placed in the keyring in `keyring` (usually
    /// [`keyring::SystemKeyring`]).
    pub fn with_keyring(mut self, keyring: Arc<dyn Keyring>) -> Self {
        self.keyring = keyring;
        self
    }

    /// Gives up waiting for another process's lock after `timeout` (default
    /// [`LOCK_TIMEOUT`]) with [`StoreError::LockTimeout`].
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Calls `notice` once when a rewrite has waited [`LOCK_NOTICE_AFTER`] for another
    /// process's lock, so that a person is not left wondering why nothing happens.
    pub fn on_lock_wait(mut self, notice: impl Fn(&Path) + Send + Sync + 'static) -> Self {
        self.on_lock_wait = Some(Arc::new(notice));
        self
    }

    /// The credentials file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of the file beside it that holds other APIs' logins.
    pub fn origins_path(&self) -> PathBuf {
        self.path.with_file_name(ORIGINS_FILE)
    }

    /// The file that holds `origin`'s login: the credentials file for the default API,
    /// the origins file for any other.
    pub fn file_for(&self, origin: &ApiOrigin) -> PathBuf {
        if origin.is_default() {
            self.path.clone()
        } else {
            self.origins_path()
        }
    }

    /// The file that holds `origin`'s secret of `kind`: as [`CredentialStore::file_for`],
    /// except that an API key for the default models API (<https://api.skytells.ai>) is in
    /// the credentials file (the Node CLI's `api_key`), and one for any other models API
    /// in the origins file.
    pub fn file_for_secret(&self, origin: &ApiOrigin, kind: SecretKind) -> PathBuf {
        match kind {
            SecretKind::ApiKey if origin.is_default_models() => self.path.clone(),
            SecretKind::ApiKey => self.origins_path(),
            _ => self.file_for(origin),
        }
    }

    /// Reads both files: `None` when there is neither. A file readable by others is
    /// tightened to 0600 with a warning, or, when that is not possible, only warned
    /// about: reading never fails because a permission could not be changed.
    pub fn load(&self) -> Result<(Option<Credentials>, Vec<StoreWarning>), StoreError> {
        let mut warnings = Vec::new();
        let mut found = None::<Credentials>;
        for (path, is_main) in [(self.path.clone(), true), (self.origins_path(), false)] {
            let bytes = match files::read_existing(&path)? {
                Existing::Missing => continue,
                Existing::TooLarge => return Err(StoreError::TooLarge { path }),
                Existing::Bytes(bytes) => bytes,
            };
            let corrupt = |problem| StoreError::Corrupt { path: path.clone(), problem };
            let mut credentials = found.take().unwrap_or_default();
            if is_main {
                credentials = Credentials::parse(&bytes).map_err(corrupt)?;
            } else {
                credentials.add_origins_file(&bytes).map_err(corrupt)?;
            }
            found = Some(credentials);
            warnings.extend(files::tighten_or_warn(&path)?);
        }
        Ok((found, warnings))
    }

    /// Checks, without changing any credential, that the store can be written: the
    /// folder exists (it is made, 0700, when missing), is the user's own and not shared,
    /// a file can be created in it, and nothing but a regular file is at the files' paths.
    /// For a command that would otherwise ask a server for something it then could not
    /// keep.
    pub fn check_writable(&self) -> Result<Vec<StoreWarning>, StoreError> {
        let dir = self.dir();
        let warnings = files::ensure_dir(&dir)?;
        // A directory or a link where a file should be is refused; a file that is only
        // unreadable is kept aside by the rewrite, and is no reason to refuse.
        for path in [self.path.clone(), self.origins_path()] {
            files::read_existing(&path)?;
        }
        let probe = dir.join(format!("{}probe-{}", self.temp_prefix(&self.path), std::process::id()));
        files::private_options()
            .write(true)
            .create_new(true)
            .open(&probe)
            .map_err(|source| files::io_error("create a file in", &dir, source))?;
        files::remove_if_present(&probe)?;
        Ok(warnings)
    }

    /// Applies `change` to the stored credentials under the lock and writes the result
    /// atomically. An unreadable file is copied aside (`credentials.json.corrupt-<ms>`)
    /// and replaced, with a warning. A file left with nothing is removed. Secrets in the
    /// keyring are not touched: use [`CredentialStore::save`] and
    /// [`CredentialStore::log_out`] for logins.
    pub fn update<T>(&self, now_ms: u64, change: impl FnOnce(&mut Credentials) -> T) -> Result<Updated<T>, StoreError> {
        let (held, mut warnings) = self.lock_for_rewrite()?;
        let mut snapshot = self.read_for_rewrite(&held, now_ms, &mut warnings)?;
        let value = change(&mut snapshot.credentials);
        let staged = self.stage(&held, &snapshot.credentials)?;
        self.commit(staged)?;
        Ok(Updated { value, warnings })
    }

    /// Saves `new` as `origin`'s token or access key, kept where `placement` says, as one
    /// transaction under the lock:
    ///
    /// 1. the new files are written beside the old ones (a folder that cannot be written
    ///    fails here, before anything else changed);
    /// 2. with [`Placement::Keyring`], the secret is put in the keyring at the entry
    ///    derived from `origin` and the kind (a refusal discards step 1: nothing changed);
    /// 3. the files are renamed into place (a failure puts back what the keyring held);
    /// 4. a copy of the old secret that the keyring no longer needs is deleted (a failure
    ///    is a warning: the new login is in place).
    ///
    /// A crash between 2 and 3 leaves the old files, which still work (with an old secret
    /// in the file, the keyring item is then one that no marker points to, which
    /// [`CredentialStore::log_out`] finds and deletes).
    pub fn save(
        &self,
        origin: &ApiOrigin,
        new: NewSecret<'_>,
        placement: Placement,
        now_ms: u64,
    ) -> Result<Saved, StoreError> {
        let (held, mut warnings) = self.lock_for_rewrite()?;
        let mut snapshot = self.read_for_rewrite(&held, now_ms, &mut warnings)?;
        let credentials = &mut snapshot.credentials;
        let replaced = stored_placement(credentials, origin, new.kind);
        match (new.kind, placement) {
            (SecretKind::Token, Placement::Keyring) => credentials.set_token_in_keyring_for(origin, new.scopes, now_ms),
            (SecretKind::Token, _) => credentials.set_token_for(origin, new.secret, new.scopes, now_ms),
            (SecretKind::ApiKey, Placement::Keyring) => credentials.set_api_key_in_keyring_for(origin, now_ms),
            (SecretKind::ApiKey, _) => credentials.set_api_key_for(origin, new.secret, now_ms),
            (_, Placement::Keyring) => credentials.set_access_key_in_keyring_for(origin, now_ms),
            (_, _) => credentials.set_access_key_for(origin, new.secret, now_ms),
        }
        let staged = self.stage(&held, credentials)?;

        let entry = KeyringEntry::of(origin, new.kind);
        let keyring_error =
            |action, source| StoreError::Keyring { action, what: what(new.kind), origin: origin.clone(), source };
        // What the keyring held at the entry, to put back if the files cannot be renamed.
        let mut previous_in_keyring = None;
        if placement == Placement::Keyring {
            let previous = match replaced {
                // What cannot be read back as a secret is not worth putting back, and
                // must not stand in the way of the login that replaces it.
                Some(Placement::Keyring) => match self.keyring.read(&entry) {
                    Err(KeyringError::NotText | KeyringError::Ambiguous(_)) => Ok(None),
                    other => other,
                },
                _ => Ok(None),
            };
            let stored = previous.and_then(|previous| {
                self.keyring.store(&entry, &label(origin, new.kind), new.secret)?;
                Ok(previous)
            });
            match stored {
                Ok(previous) => previous_in_keyring = Some(previous),
                Err(source) => {
                    discard(staged);
                    return Err(keyring_error("keep", source));
                }
            }
        }
        if let Err(error) = self.commit(staged) {
            // The old files stay: make the keyring match them again.
            match previous_in_keyring {
                Some(Some(old)) => {
                    let _ = self.keyring.store(&entry, &label(origin, new.kind), &old);
                }
                Some(None) => {
                    let _ = self.keyring.delete(&entry);
                }
                None => {}
            }
            return Err(error);
        }
        if placement == Placement::File && replaced == Some(Placement::Keyring) {
            if let Err(problem) = self.keyring.delete(&entry) {
                warnings.push(StoreWarning::KeyringCopyLeft { entry, problem });
            }
        }
        Ok(Saved { placement, replaced, warnings })
    }

    /// Reads `origin`'s secret of `kind` from the keyring, at the entry derived from them
    /// (never one named by the file), checked as a secret from the file is.
    pub fn read_keyring_secret(&self, origin: &ApiOrigin, kind: SecretKind) -> Result<Option<Secret>, StoreError> {
        let read = self.keyring.read(&KeyringEntry::of(origin, kind)).and_then(|found| match found {
            Some(secret) if check_stored_secret(kind.field(), secret.expose()).is_err() => {
                Err(KeyringError::NotACredential)
            }
            found => Ok(found),
        });
        read.map_err(|source| StoreError::Keyring { action: "read", what: what(kind), origin: origin.clone(), source })
    }

    /// Removes the API key of the models API at `origin`, from the files and, when the file
    /// says it is there, from the keyring, as one transaction under the lock: the keyring
    /// item goes first (a refusal changes nothing), then the files. An item of this
    /// program for that key that no file points to (left by a killed save) is deleted too
    /// when the keyring can be reached. Logins and unknown fields stay.
    pub fn remove_api_key(&self, origin: &ApiOrigin, now_ms: u64) -> Result<RemovedApiKey, StoreError> {
        let (held, mut warnings) = self.lock_for_rewrite()?;
        let mut snapshot = self.read_for_rewrite(&held, now_ms, &mut warnings)?;
        let credentials = &mut snapshot.credentials;
        let was = stored_placement(credentials, origin, SecretKind::ApiKey);
        let entry = KeyringEntry::of(origin, SecretKind::ApiKey);
        let mut keyring_deleted = None;
        if was == Some(Placement::Keyring) {
            self.keyring.delete(&entry).map_err(|source| StoreError::Keyring {
                action: "delete",
                what: what(SecretKind::ApiKey),
                origin: origin.clone(),
                source,
            })?;
            keyring_deleted = Some(entry);
        } else if matches!(self.keyring.delete(&entry), Ok(true)) {
            keyring_deleted = Some(entry);
        }
        credentials.clear_api_key_for(origin);
        let staged = self.stage(&held, credentials)?;
        self.commit(staged)?;
        Ok(RemovedApiKey { was, keyring_deleted, warnings })
    }

    /// Removes the logins in `scope` and every other copy of a secret the folder may
    /// hold: backups of unreadable files, temporary files of killed writers, and, when a
    /// file cannot be read, the file itself. Unknown fields and other APIs' logins stay.
    ///
    /// Secrets in the keyring go first, under the lock: a login whose keyring item could
    /// not be deleted keeps its marker (see [`LoggedOut::keyring_kept`]), so nothing is
    /// left in the keyring that no file points to. Items of this program for the APIs in
    /// the scope that no marker points to (left by a login that was killed) are deleted
    /// too, when the keyring can be reached. The lock file goes last. Nothing is done
    /// when the folder does not exist.
    pub fn log_out(&self, scope: &LogoutScope) -> Result<LoggedOut, StoreError> {
        let dir = self.dir();
        if std::fs::symlink_metadata(&dir).is_err() {
            // No files, but a killed login may have left an item in the keyring.
            let orphans_deleted = self.delete_orphans(scope, &[]);
            return Ok(LoggedOut { orphans_deleted, ..LoggedOut::default() });
        }
        let warnings = files::check_folder(&dir)?;
        let held = self.lock(&dir)?;
        let mut done = LoggedOut { warnings, ..LoggedOut::default() };
        let snapshot = self.read_snapshot()?;
        for (path, _) in &snapshot.unreadable {
            files::remove_if_present(path)?;
            done.removed_unreadable.push(path.clone());
        }
        let mut credentials = snapshot.credentials;
        let in_scope = match scope {
            LogoutScope::Api(origin) => vec![origin.clone()],
            LogoutScope::AllApis => credentials.logged_in_origins(),
        };
        done.had_login = in_scope.iter().any(|origin| credentials.login_for(origin).has_credential());
        let mut marked = Vec::new();
        for origin in &in_scope {
            let login = credentials.login_for(origin);
            for kind in [SecretKind::Token, SecretKind::AccessKey] {
                let Some(entry) = login.keyring_entry(kind) else { continue };
                marked.push(entry.clone());
                match self.keyring.delete(entry) {
                    Ok(_) => done.keyring_deleted.push(entry.clone()),
                    Err(problem) => {
                        done.keyring_kept.push((entry.clone(), problem));
                        continue;
                    }
                }
                credentials.clear_secret_for(origin, kind);
            }
            if done.keyring_kept.iter().all(|(entry, _)| entry.owner().map(|(owner, _)| owner).as_ref() != Some(origin))
            {
                credentials.clear_login_for(origin);
            }
        }
        if let LogoutScope::AllApis = scope {
            // Every API key goes too (a logout of one API leaves them alone).
            for origin in credentials.api_key_origins() {
                if let Some(entry) = credentials.api_key_for(&origin).keyring {
                    marked.push(entry.clone());
                    match self.keyring.delete(&entry) {
                        Ok(_) => done.keyring_deleted.push(entry),
                        Err(problem) => {
                            done.keyring_kept.push((entry, problem));
                            continue;
                        }
                    }
                }
                credentials.clear_api_key_for(&origin);
                done.api_keys_removed.push(origin);
            }
            // Everything else under `origins` goes too; the top level keeps unknown fields.
            if done.keyring_kept.is_empty() {
                credentials.clear_all_logins();
            }
        }
        done.orphans_deleted = self.delete_orphans(scope, &marked);
        done.remaining = credentials.logged_in_origins();
        let staged = self.stage(&held, &credentials)?;
        self.commit(staged)?;
        for path in [self.path.clone(), self.origins_path()] {
            for leftover in self.leftovers_of(&path) {
                files::remove_if_present(&leftover)?;
                done.removed_leftovers.push(leftover);
            }
        }
        // Removed while held: a writer that opened it meanwhile sees it is gone and opens
        // the next one (see `files::lock`), so no two writers ever hold different lock files.
        files::remove_if_present(&held.path)?;
        drop(held);
        files::sync_dir(&dir)?;
        Ok(done)
    }

    /// Items of this program in the keyring for the APIs in `scope` that no marker in the
    /// files points to: left by a login that was killed between its keyring write and its
    /// file write. Empty when the keyring cannot be reached (or searched, and the scope
    /// is every API). The keyring holds one login per API for the user, whichever config
    /// folder points to it.
    pub fn keyring_orphans(&self, scope: &LogoutScope) -> Vec<KeyringEntry> {
        let marked = match self.load() {
            Ok((credentials, _)) => credentials.unwrap_or_default().keyring_entries(),
            Err(_) => Vec::new(),
        };
        self.orphans_in(scope, &marked)
            .into_iter()
            .filter(|entry| matches!(self.keyring.read(entry), Ok(Some(_))))
            .collect()
    }

    /// The keyring entries of this program for `scope` that are not in `marked`.
    fn orphans_in(&self, scope: &LogoutScope, marked: &[KeyringEntry]) -> Vec<KeyringEntry> {
        let listed = match self.keyring.entries(KeyringEntry::SERVICE) {
            Ok(listed) => listed,
            Err(_) => return Vec::new(),
        };
        let candidates: Vec<KeyringEntry> = match (scope, listed) {
            // An API's logout leaves its API key alone, in the keyring too.
            (LogoutScope::Api(origin), Some(listed)) => listed
                .into_iter()
                .filter(|entry| {
                    entry.owner().is_some_and(|(owner, kind)| owner == *origin && kind != SecretKind::ApiKey)
                })
                .collect(),
            (LogoutScope::Api(origin), None) => {
                [SecretKind::Token, SecretKind::AccessKey].map(|kind| KeyringEntry::of(origin, kind)).to_vec()
            }
            (_, Some(listed)) => listed.into_iter().filter(|entry| entry.owner().is_some()).collect(),
            (_, None) => Vec::new(),
        };
        candidates.into_iter().filter(|entry| !marked.contains(entry)).collect()
    }

    /// [`CredentialStore::orphans_in`], deleted. The keyring is asked only if it can be
    /// reached; a logout of someone who never used it must not fail or wait because of it.
    fn delete_orphans(&self, scope: &LogoutScope, marked: &[KeyringEntry]) -> Vec<KeyringEntry> {
        self.orphans_in(scope, marked)
            .into_iter()
            .filter(|entry| matches!(self.keyring.delete(entry), Ok(true)))
            .collect()
    }

    /// Files beside the credentials files that may hold a secret: backups of unreadable
    /// files and temporary files, oldest name first.
    pub fn leftovers(&self) -> Vec<PathBuf> {
        let mut found = self.leftovers_of(&self.path);
        found.extend(self.leftovers_of(&self.origins_path()));
        found
    }

    fn leftovers_of(&self, path: &Path) -> Vec<PathBuf> {
        let (backup, temp) = (format!("{}.corrupt-", file_name(path)), self.temp_prefix(path));
        let Ok(entries) = std::fs::read_dir(self.dir()) else { return Vec::new() };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .filter(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name.starts_with(&backup) || name.starts_with(&temp)
            })
            .map(|entry| entry.path())
            .collect();
        found.sort();
        found
    }

    fn dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    fn lock(&self, dir: &Path) -> Result<LockHeld, StoreError> {
        let lock_path = dir.join(format!(".{}.lock", file_name(&self.path)));
        files::lock(&lock_path, self.lock_timeout, self.on_lock_wait.as_deref().map(|notice| notice as &dyn Fn(&Path)))
    }

    /// Makes the folder if needed, checks it, takes the lock and clears what killed
    /// writers left.
    fn lock_for_rewrite(&self) -> Result<(LockHeld, Vec<StoreWarning>), StoreError> {
        let dir = self.dir();
        let warnings = files::ensure_dir(&dir)?;
        let held = self.lock(&dir)?;
        self.remove_stale_temp_files(&held);
        Ok((held, warnings))
    }

    /// Both files, each unreadable one noted rather than an error.
    fn read_snapshot(&self) -> Result<Snapshot, StoreError> {
        let mut snapshot = Snapshot { credentials: Credentials::empty(), unreadable: Vec::new() };
        let mut origins_bytes = None;
        for (path, is_main) in [(self.path.clone(), true), (self.origins_path(), false)] {
            match files::read_existing(&path)? {
                Existing::Missing => {}
                Existing::TooLarge => snapshot.unreadable.push((path, None)),
                Existing::Bytes(bytes) if is_main => match Credentials::parse(&bytes) {
                    Ok(credentials) => snapshot.credentials = credentials,
                    Err(problem) => snapshot.unreadable.push((path, Some(problem))),
                },
                Existing::Bytes(bytes) => origins_bytes = Some((path, bytes)),
            }
        }
        if let Some((path, bytes)) = origins_bytes {
            let mut with_origins = snapshot.credentials.clone();
            match with_origins.add_origins_file(&bytes) {
                Ok(()) => snapshot.credentials = with_origins,
                Err(problem) => snapshot.unreadable.push((path, Some(problem))),
            }
        }
        Ok(snapshot)
    }

    /// Both files for a rewrite under the lock: an unreadable one is copied aside (and
    /// then replaced), with a warning; a loose mode is noted (the rewrite makes it 0600).
    fn read_for_rewrite(
        &self,
        _held: &LockHeld,
        now_ms: u64,
        warnings: &mut Vec<StoreWarning>,
    ) -> Result<Snapshot, StoreError> {
        let snapshot = self.read_snapshot()?;
        for (path, problem) in &snapshot.unreadable {
            let backup = path.with_file_name(format!("{}.corrupt-{now_ms}", file_name(path)));
            files::back_up(path, &backup)?;
            warnings.push(StoreWarning::BackedUp { path: path.clone(), backup, problem: problem.clone() });
        }
        for path in [self.path.clone(), self.origins_path()] {
            // The rewrite replaces the file by one only its user can open.
            #[cfg(windows)]
            warnings.extend(windows::loose(&path)?);
            if let Some(loose) = files::current_mode(&path).filter(|mode| mode & 0o077 != 0) {
                warnings.push(StoreWarning::Tightened { path, was: loose, now: FILE_MODE });
            }
        }
        Ok(snapshot)
    }

    /// The new contents of both files, written beside them: `None` for a file to remove
    /// (nothing left in it), a file whose bytes would not change is left alone.
    fn stage(&self, held: &LockHeld, credentials: &Credentials) -> Result<Vec<(PathBuf, Option<Staged>)>, StoreError> {
        let main = (!credentials.credentials_json_is_empty()).then(|| credentials.to_bytes());
        // The origins file first: a crash after it leaves a login in both files, which
        // read as one; never in neither.
        let mut staged = Vec::new();
        for (path, bytes) in [(self.origins_path(), credentials.origins_file_bytes()), (self.path.clone(), main)] {
            let current = match files::read_existing(&path) {
                Ok(Existing::Bytes(current)) => Some(current),
                _ => None,
            };
            let loose = files::current_mode(&path).is_some_and(|mode| mode & 0o077 != 0);
            // On Windows an access list that lets others in is what a loose mode is here:
            // the rewrite that `prepare` warned would repair it must happen.
            #[cfg(windows)]
            let loose = loose || windows::loose(&path)?.is_some();
            let step = match bytes {
                Some(bytes) if current.as_deref().is_some_and(|current| same_contents(current, &bytes)) && !loose => {
                    continue
                }
                Some(bytes) => {
                    let temp = self.dir().join(format!("{}{}", self.temp_prefix(&path), std::process::id()));
                    match Staged::write(held, &path, temp, &bytes) {
                        Ok(file) => Some(file),
                        Err(error) => {
                            discard(staged);
                            return Err(error);
                        }
                    }
                }
                None if std::fs::symlink_metadata(&path).is_ok() => None,
                None => continue,
            };
            staged.push((path, step));
        }
        Ok(staged)
    }

    /// Puts staged files in place (or removes those with nothing left) and makes it durable.
    fn commit(&self, staged: Vec<(PathBuf, Option<Staged>)>) -> Result<(), StoreError> {
        let mut changed = false;
        let mut steps = staged.into_iter();
        while let Some((path, step)) = steps.next() {
            let result = match step {
                Some(file) => file.commit(),
                None => files::remove_if_present(&path).map(|_| ()),
            };
            if let Err(error) = result {
                discard(steps.collect());
                return Err(error);
            }
            changed = true;
        }
        if changed {
            files::sync_dir(&self.dir())?;
        }
        Ok(())
    }

    fn temp_prefix(&self, path: &Path) -> String {
        format!(".{}.tmp-", file_name(path))
    }

    /// Temporary files left by writers that were killed mid-write. Every writer holds the
    /// lock while its temporary file exists, so under the lock any such file is stale;
    /// `_held` proves the lock is held (without it, this would delete a live writer's file).
    fn remove_stale_temp_files(&self, _held: &LockHeld) {
        let prefixes = [self.temp_prefix(&self.path), self.temp_prefix(&self.origins_path())];
        let Ok(entries) = std::fs::read_dir(self.dir()) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if prefixes.iter().any(|prefix| name.starts_with(prefix)) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Whether `current` says what `new` says, laid out differently or not (the Node CLI
/// writes the file compact, this store indented): such a file is not rewritten, so a
/// command that changes another API's login never touches it.
fn same_contents(current: &[u8], new: &[u8]) -> bool {
    current == new
        || matches!(
            (serde_json::from_slice::<serde_json::Value>(current), serde_json::from_slice::<serde_json::Value>(new)),
            (Ok(current), Ok(new)) if current == new
        )
}

/// Gives up on staged files: their targets stay as they were.
fn discard(staged: Vec<(PathBuf, Option<Staged>)>) {
    staged.into_iter().filter_map(|(_, file)| file).for_each(Staged::discard);
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_else(|| "credentials.json".into())
}

fn what(kind: SecretKind) -> &'static str {
    match kind {
        SecretKind::Token => "token",
        SecretKind::ApiKey => "API key",
        _ => "access key",
    }
}

/// Where `origin`'s secret of `kind` is kept, when there is one.
fn stored_placement(credentials: &Credentials, origin: &ApiOrigin, kind: SecretKind) -> Option<Placement> {
    let (in_keyring, in_file) = match kind {
        SecretKind::ApiKey => {
            let stored = credentials.api_key_for(origin);
            (stored.keyring.is_some(), stored.api_key.is_some())
        }
        _ => {
            let login = credentials.login_for(origin);
            let in_file = match kind {
                SecretKind::Token => login.token.is_some(),
                _ => login.access_key.is_some(),
            };
            (login.keyring_entry(kind).is_some(), in_file)
        }
    };
    match (in_keyring, in_file) {
        (true, _) => Some(Placement::Keyring),
        (false, true) => Some(Placement::File),
        _ => None,
    }
}

/// What people see in their keyring manager.
fn label(origin: &ApiOrigin, kind: SecretKind) -> String {
    format!("Skytells CLI {} for {origin}", what(kind))
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
