//! The Skytells CLI's credentials file on disk (`credentials.json`, shared with the Node
//! CLI): read, and rewritten atomically under a lock. It needs no HTTP client, so an
//! embedder who only wants the file builds no network or TLS code.
//!
//! Every rewrite takes an exclusive lock on a sibling lock file, reads the current file,
//! applies the change, writes a temporary file in the same folder (0600, fsynced),
//! renames it over the old one and fsyncs the folder. A reader therefore sees the old
//! file or the new one, never a mix, and two processes never lose each other's update.

#[cfg(feature = "keyring")]
pub mod keyring;
// win17 hook: access lists, links and replacing on Windows.
#[cfg(windows)]
mod windows;

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use skytells_auth::skytells::{ApiOrigin, Credentials, CredentialsError, KeyringEntry};

/// Permission bits of the credentials file.
pub const FILE_MODE: u32 = 0o600;
/// Permission bits of the folder holding it.
pub const DIR_MODE: u32 = 0o700;

/// Why the store could not do its job. Messages state what happened and name the path,
/// never the file's contents; what to do about it is the caller's to say
/// (`skytells_auth::skytells::messages` has the Skytells CLI's advice).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file system call failed.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The file exists but cannot be read as credentials.
    #[error("the credentials file {} cannot be read: {problem}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: CredentialsError,
    },
    /// The config folder is one that other users can change: someone else owns it, or
    /// it is writable by others and cannot be made private (a shared sticky folder such
    /// as /tmp is never changed). Files in it could be swapped or planted by them.
    #[error("refusing to keep credentials in {}: {reason} (owner uid {owner}, mode {mode:04o}); choose a folder of your own with SKYTELLS_CONFIG_DIR", path.display())]
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
    /// Something other than a regular file is where the credentials file should be.
    #[error("{} is {what}, not a credentials file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// "a directory", "a symbolic link", …
        what: &'static str,
    },
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
        /// Why it could not be read.
        problem: CredentialsError,
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
            StoreWarning::BackedUp { path, backup, problem } => write!(
                f,
                "the credentials file {} could not be read ({problem}); it was kept as {} and replaced",
                path.display(),
                backup.display()
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
pub struct Updated<T> {
    /// What the change returned.
    pub value: T,
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

/// What a logout removed.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct LoggedOut {
    /// Whether a login (token or access key) in the scope was stored.
    pub had_login: bool,
    /// APIs whose logins stay (outside the scope).
    pub remaining: Vec<ApiOrigin>,
    /// Where the removed logins kept secrets in the system keyring: the caller deletes
    /// them there (this crate does not touch the keyring on its own).
    pub keyring_entries: Vec<KeyringEntry>,
    /// The credentials file could not be read and was removed whole: logout removes
    /// every stored secret, and it may have held one.
    pub removed_unreadable: bool,
    /// Other files that could hold a secret and were removed: backups of unreadable
    /// files, temporary files of writers that were killed.
    pub removed_leftovers: Vec<PathBuf>,
    /// What the user should hear about.
    pub warnings: Vec<StoreWarning>,
}

/// The lock on the credentials file; released when dropped (the OS releases it when the
/// file is closed, also when a writer is killed).
#[derive(Debug)]
struct LockHeld {
    _file: File,
    path: PathBuf,
}

/// Told, once, that a rewrite is waiting for another process's lock.
type OnLockWait = Arc<dyn Fn(&Path) + Send + Sync>;

/// The credentials file at one path.
#[derive(Clone)]
pub struct CredentialStore {
    path: PathBuf,
    lock_timeout: Duration,
    on_lock_wait: Option<OnLockWait>,
}

impl std::fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialStore").field("path", &self.path).field("lock_timeout", &self.lock_timeout).finish()
    }
}

/// How long a rewrite waits for another process's lock before it says so.
pub const LOCK_NOTICE_AFTER: Duration = Duration::from_secs(1);
/// How long a rewrite waits for another process's lock before it gives up, by default.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

impl CredentialStore {
    /// The store at `path` (usually from `skytells_auth::skytells::credentials_path`).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CredentialStore { path: path.into(), lock_timeout: LOCK_TIMEOUT, on_lock_wait: None }
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

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file: `None` when there is none. A file readable by others is tightened
    /// to 0600 with a warning, or, when that is not possible, only warned about: reading
    /// never fails because a permission could not be changed.
    pub fn load(&self) -> Result<(Option<Credentials>, Vec<StoreWarning>), StoreError> {
        let Some(bytes) = self.read_existing()? else { return Ok((None, Vec::new())) };
        let credentials =
            Credentials::parse(&bytes).map_err(|problem| StoreError::Corrupt { path: self.path.clone(), problem })?;
        let warning = match tighten(&self.path, FILE_MODE) {
            Ok(tightened) => tightened,
            Err(StoreError::Io { path, source, .. }) => Some(StoreWarning::StillLoose {
                mode: current_mode(&path).unwrap_or_default(),
                path,
                reason: source.to_string(),
            }),
            Err(other) => return Err(other),
        };
        Ok((Some(credentials), warning.into_iter().collect()))
    }

    /// Applies `change` to the stored credentials under the lock and writes the result
    /// atomically. An unreadable file is copied aside (`credentials.json.corrupt-<ms>`)
    /// and replaced, with a warning. When nothing is left, the file is removed.
    pub fn update<T>(&self, now_ms: u64, change: impl FnOnce(&mut Credentials) -> T) -> Result<Updated<T>, StoreError> {
        let dir = self.dir();
        let mut warnings = ensure_dir(&dir)?;
        let held = self.lock(&dir)?;
        self.remove_stale_temp_files(&held, &dir);
        let mut credentials = match self.read_existing()? {
            None => Credentials::empty(),
            Some(bytes) => match Credentials::parse(&bytes) {
                Ok(credentials) => credentials,
                Err(problem) => {
                    let backup = self.back_up(&bytes, now_ms)?;
                    warnings.push(StoreWarning::BackedUp { path: self.path.clone(), backup, problem });
                    Credentials::empty()
                }
            },
        };
        if let Some(loose) = current_mode(&self.path).filter(|mode| mode & 0o077 != 0) {
            warnings.push(StoreWarning::Tightened { path: self.path.clone(), was: loose, now: FILE_MODE });
        }
        #[cfg(windows)] // win17 hook: the file is replaced below by one only its user can open
        warnings.extend(windows::loose(&self.path)?);
        let value = change(&mut credentials);
        // Nothing left (a logout with no unknown fields): remove the file rather than
        // leave an empty object behind.
        if !credentials.is_empty() {
            self.write_atomically(&held, &dir, &credentials.to_bytes())?;
        } else {
            remove_if_present(&self.path)?;
            sync_dir(&dir)?;
        }
        Ok(Updated { value, warnings })
    }

    /// Removes the logins in `scope` (token, access key, scopes, timestamp) and every
    /// other copy of a secret the folder may hold: backups of unreadable files, temporary
    /// files of killed writers, and, when the file cannot be read, the file itself.
    /// Unknown fields and other APIs' logins stay in a readable file. The lock file goes
    /// too. Nothing is done when the folder does not exist.
    pub fn log_out(&self, scope: &LogoutScope) -> Result<LoggedOut, StoreError> {
        let dir = self.dir();
        if fs::symlink_metadata(&dir).is_err() {
            return Ok(LoggedOut::default());
        }
        let warnings = check_folder(&dir)?;
        let held = self.lock(&dir)?;
        let mut done = LoggedOut { warnings, ..LoggedOut::default() };
        if let Some(bytes) = self.read_existing()? {
            match Credentials::parse(&bytes) {
                Ok(mut credentials) => {
                    match scope {
                        LogoutScope::Api(origin) => {
                            let login = credentials.login_for(origin);
                            done.keyring_entries =
                                [login.token_keyring, login.access_key_keyring].into_iter().flatten().collect();
                            done.had_login = credentials.login_for(origin).has_credential();
                            credentials.clear_login_for(origin);
                        }
                        LogoutScope::AllApis => {
                            done.keyring_entries = credentials.keyring_entries();
                            done.had_login = !credentials.logged_in_origins().is_empty();
                            credentials.clear_all_logins();
                        }
                    }
                    done.remaining = credentials.logged_in_origins();
                    if credentials.is_empty() {
                        remove_if_present(&self.path)?;
                    } else {
                        self.write_atomically(&held, &dir, &credentials.to_bytes())?;
                    }
                }
                Err(_) => {
                    remove_if_present(&self.path)?;
                    done.removed_unreadable = true;
                }
            }
        }
        for leftover in self.leftovers() {
            remove_if_present(&leftover)?;
            done.removed_leftovers.push(leftover);
        }
        // Removed while held: a writer that opened it meanwhile sees it is gone and opens
        // the next one (see `lock`), so no two writers ever hold different lock files.
        remove_if_present(&held.path)?;
        drop(held);
        sync_dir(&dir)?;
        Ok(done)
    }

    /// Files beside the credentials file that may hold a secret: backups of unreadable
    /// files and temporary files, oldest name first.
    pub fn leftovers(&self) -> Vec<PathBuf> {
        let (backup, temp) = (format!("{}.corrupt-", self.file_name()), self.temp_prefix());
        let Ok(entries) = fs::read_dir(self.dir()) else { return Vec::new() };
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

    fn read_existing(&self) -> Result<Option<Vec<u8>>, StoreError> {
        match fs::symlink_metadata(&self.path) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(io_error("read", &self.path, source)),
            Ok(meta) if meta.is_dir() => {
                return Err(StoreError::NotAFile { path: self.path.clone(), what: "a directory" })
            }
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(StoreError::NotAFile { path: self.path.clone(), what: "a symbolic link" })
            }
            Ok(meta) if !meta.is_file() => {
                return Err(StoreError::NotAFile { path: self.path.clone(), what: "a special file" })
            }
            Ok(_) => {}
        }
        let mut bytes = Vec::new();
        no_follow(OpenOptions::new().read(true))
            .open(&self.path)
            .and_then(|mut file| io::Read::read_to_end(&mut file, &mut bytes))
            .map_err(|source| io_error("read", &self.path, source))?;
        Ok(Some(bytes))
    }

    /// Takes the exclusive lock that serializes rewrites between processes. A logout
    /// removes the lock file while holding it; a writer that was waiting on the removed
    /// file finds the path no longer names it, and locks the path's new file instead.
    fn lock(&self, dir: &Path) -> Result<LockHeld, StoreError> {
        let lock_path = dir.join(format!(".{}.lock", self.file_name()));
        let started = Instant::now();
        let mut noticed = false;
        loop {
            let lock = private_options().read(true).write(true).create(true).truncate(false).open(&lock_path);
            let lock = lock.map_err(|source| io_error("create the lock file", &lock_path, source))?;
            // No blocking wait: it could last forever. Try, and say so when it takes long.
            loop {
                match lock.try_lock() {
                    Ok(()) => break,
                    Err(TryLockError::WouldBlock) => {}
                    Err(TryLockError::Error(source)) => return Err(io_error("lock", &lock_path, source)),
                }
                let waited = started.elapsed();
                if waited >= self.lock_timeout {
                    return Err(StoreError::LockTimeout { path: lock_path, waited });
                }
                if !noticed && waited >= LOCK_NOTICE_AFTER {
                    noticed = true;
                    if let Some(notice) = &self.on_lock_wait {
                        notice(&lock_path);
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if still_named(&lock, &lock_path) {
                return Ok(LockHeld { _file: lock, path: lock_path });
            }
        }
    }

    fn back_up(&self, bytes: &[u8], now_ms: u64) -> Result<PathBuf, StoreError> {
        let backup = self.path.with_file_name(format!("{}.corrupt-{now_ms}", self.file_name()));
        let mut file = private_options()
            .write(true)
            .create_new(true)
            .open(&backup)
            .map_err(|source| io_error("back up", &backup, source))?;
        file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|source| io_error("back up", &backup, source))?;
        Ok(backup)
    }

    fn temp_prefix(&self) -> String {
        format!(".{}.tmp-", self.file_name())
    }

    /// Temporary files left by writers that were killed mid-write. Every writer holds the
    /// lock while its temporary file exists, so under the lock any such file is stale;
    /// `_held` proves the lock is held (without it, this would delete a live writer's file).
    fn remove_stale_temp_files(&self, _held: &LockHeld, dir: &Path) {
        let prefix = self.temp_prefix();
        let Ok(entries) = fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    fn write_atomically(&self, _held: &LockHeld, dir: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        let temp = dir.join(format!("{}{}", self.temp_prefix(), std::process::id()));
        remove_if_present(&temp)?;
        let result = (|| {
            let mut file = private_options().write(true).create_new(true).open(&temp)?;
            #[cfg(windows)] // win17 hook: an explicit access list, as 0600 is on Unix
            windows::restrict_to_current_user(&temp, false)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            #[cfg(windows)] // win17 hook: retried while another program holds the file open
            return windows::replace(&temp, &self.path);
            #[cfg(not(windows))]
            fs::rename(&temp, &self.path)
        })();
        if let Err(source) = result {
            let _ = fs::remove_file(&temp);
            return Err(io_error("write", &self.path, source));
        }
        sync_dir(dir)
    }

    fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "credentials.json".into())
    }
}

/// Whether `path` still names the open `file` (it was not removed or replaced).
#[cfg(unix)]
fn still_named(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_named(_file: &File, path: &Path) -> bool {
    path.exists()
}

fn io_error(action: &'static str, path: &Path, source: io::Error) -> StoreError {
    StoreError::Io { action, path: path.to_path_buf(), source }
}

fn remove_if_present(path: &Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(io_error("remove", path, error)),
        _ => Ok(()),
    }
}

/// Creates the folder (0700) if missing; tightens an existing one that others can enter.
fn ensure_dir(dir: &Path) -> Result<Vec<StoreWarning>, StoreError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    #[cfg(windows)] // win17 hook
    let existed = dir.exists();
    builder.create(dir).map_err(|source| io_error("create the folder", dir, source))?;
    #[cfg(windows)] // win17 hook: a new folder gets an explicit access list, as 0700 on Unix
    if !existed {
        windows::restrict_to_current_user(dir, true)
            .map_err(|source| io_error("change the access list of", dir, source))?;
    }
    check_folder(dir)
}

/// Refuses a folder other users can change, and makes a merely readable one private.
/// The folder's own metadata is read through a symbolic link to it, and so is the mode
/// change, so a linked folder is tightened once, not warned about on every write.
#[cfg(unix)]
fn check_folder(dir: &Path) -> Result<Vec<StoreWarning>, StoreError> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = fs::metadata(dir).map_err(|source| io_error("inspect the folder", dir, source))?;
    let (owner, mode) = (meta.uid(), meta.mode() & 0o7777);
    let unsafe_folder = |reason| Err(StoreError::UnsafeFolder { path: dir.to_path_buf(), owner, mode, reason });
    if owner != rustix::process::geteuid().as_raw() {
        return unsafe_folder("it belongs to another user");
    }
    if mode & 0o022 != 0 && mode & 0o1000 != 0 {
        return unsafe_folder("it is a shared folder that other users can write");
    }
    if mode & 0o077 == 0 {
        return Ok(Vec::new());
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))
        .map_err(|source| io_error("change permissions of", dir, source))?;
    Ok(vec![StoreWarning::Tightened { path: dir.to_path_buf(), was: mode, now: DIR_MODE }])
}

#[cfg(windows)] // win17 hook
fn check_folder(dir: &Path) -> Result<Vec<StoreWarning>, StoreError> {
    Ok(windows::tighten(dir, true)?.into_iter().collect())
}

/// Neither Unix nor Windows: no notion of other users' access here.
#[cfg(not(any(unix, windows)))]
fn check_folder(_dir: &Path) -> Result<Vec<StoreWarning>, StoreError> {
    Ok(Vec::new())
}

/// `options` that refuse to open a symbolic link (`O_NOFOLLOW`): every file in the
/// config folder is opened this way, so a link planted there cannot redirect a write.
fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    #[cfg(windows)] // win17 hook
    windows::no_follow(options);
    options
}

#[cfg(unix)]
fn current_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    fs::symlink_metadata(path).ok().map(|meta| meta.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn current_mode(_path: &Path) -> Option<u32> {
    None
}

/// Windows: repairs the access list if others have any access now.
#[cfg(windows)] // win17 hook
fn tighten(path: &Path, _mode: u32) -> Result<Option<StoreWarning>, StoreError> {
    windows::tighten(path, false)
}

/// Sets `mode` if others have any access now.
#[cfg(not(windows))]
fn tighten(path: &Path, mode: u32) -> Result<Option<StoreWarning>, StoreError> {
    let Some(was) = current_mode(path).filter(|was| was & 0o077 != 0) else { return Ok(None) };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .map_err(|source| io_error("change permissions of", path, source))?;
    }
    Ok(Some(StoreWarning::Tightened { path: path.to_path_buf(), was, now: mode }))
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    no_follow(&mut options);
    options
}

/// Makes a rename or removal in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    File::open(dir).and_then(|handle| handle.sync_all()).map_err(|source| io_error("sync", dir, source))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
