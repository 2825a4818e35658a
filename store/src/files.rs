//! The file system under the store: the config folder's checks, files opened without
//! following links, the lock, and atomic replacement. Nothing here knows what a
//! credential is.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[cfg(unix)]
use crate::DIR_MODE;
use crate::{StoreError, StoreWarning, FILE_MODE};

/// The most of one file the store reads. A credentials file is a few hundred bytes; one
/// with thousands of APIs' logins is still far below this. A larger one is refused
/// rather than read, so that a planted file cannot make every command slow.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// What is at a path in the config folder.
pub(crate) enum Existing {
    Missing,
    Bytes(Vec<u8>),
    /// Larger than [`MAX_FILE_BYTES`]: not read.
    TooLarge,
}

/// Reads a regular file without following a link; a directory, link or special file
/// where the file should be is an error.
pub(crate) fn read_existing(path: &Path) -> Result<Existing, StoreError> {
    match fs::symlink_metadata(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Existing::Missing),
        Err(source) => return Err(io_error("read", path, source)),
        Ok(meta) if meta.is_dir() => return Err(not_a_file(path, "a directory")),
        Ok(meta) if meta.file_type().is_symlink() => return Err(not_a_file(path, "a symbolic link")),
        Ok(meta) if !meta.is_file() => return Err(not_a_file(path, "a special file")),
        Ok(_) => {}
    }
    let mut bytes = Vec::new();
    let file = patiently("read", path, || no_follow(OpenOptions::new().read(true)).open(path))?;
    // A link put in place since the check above: on Unix the open refused it (ELOOP); on
    // Windows it opened the link itself (FILE_FLAG_OPEN_REPARSE_POINT), refused here.
    if file.metadata().is_ok_and(|meta| meta.file_type().is_symlink()) {
        return Err(not_a_file(path, "a symbolic link"));
    }
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|source| io_error("read", path, source))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Ok(Existing::TooLarge);
    }
    Ok(Existing::Bytes(bytes))
}

fn not_a_file(path: &Path, what: &'static str) -> StoreError {
    StoreError::NotAFile { path: path.to_path_buf(), what }
}

pub(crate) fn io_error(action: &'static str, path: &Path, source: io::Error) -> StoreError {
    StoreError::Io { action, path: path.to_path_buf(), source }
}

pub(crate) fn remove_if_present(path: &Path) -> Result<bool, StoreError> {
    patiently("remove", path, || match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error),
    })
}

/// `operation` on `path`, its failure a [`StoreError::Io`]. On Windows, an operation
/// that another program's hold on the file refuses is retried for a while first, then
/// [`StoreError::HeldOpen`] (see the `windows` module); elsewhere nothing holds a file so.
pub(crate) fn patiently<T>(
    action: &'static str,
    path: &Path,
    operation: impl FnMut() -> io::Result<T>,
) -> Result<T, StoreError> {
    #[cfg(windows)]
    return crate::windows::patiently(action, path, operation);
    #[cfg(not(windows))]
    {
        let mut operation = operation;
        operation().map_err(|source| io_error(action, path, source))
    }
}

/// The lock that serializes rewrites between processes; released when dropped (the OS
/// releases it when the file is closed, also when a writer is killed).
#[derive(Debug)]
pub(crate) struct LockHeld {
    _file: File,
    pub(crate) path: PathBuf,
}

/// Takes the exclusive lock at `lock_path`, giving up after `timeout` and calling
/// `on_wait` once after [`crate::LOCK_NOTICE_AFTER`]. A logout removes the lock file while
/// holding it; a writer that was waiting on the removed file finds the path no longer
/// names it, and locks the path's new file instead.
pub(crate) fn lock(
    lock_path: &Path,
    timeout: Duration,
    on_wait: Option<&dyn Fn(&Path)>,
) -> Result<LockHeld, StoreError> {
    let started = Instant::now();
    let mut noticed = false;
    loop {
        let lock = patiently("create the lock file", lock_path, || {
            private_options().read(true).write(true).create(true).truncate(false).open(lock_path)
        })?;
        // No blocking wait: it could last forever. Try, and say so when it takes long.
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(source)) => return Err(io_error("lock", lock_path, source)),
            }
            let waited = started.elapsed();
            if waited >= timeout {
                return Err(StoreError::LockTimeout { path: lock_path.to_path_buf(), waited });
            }
            if !noticed && waited >= crate::LOCK_NOTICE_AFTER {
                noticed = true;
                if let Some(notice) = on_wait {
                    notice(lock_path);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if still_named(&lock, lock_path) {
            return Ok(LockHeld { _file: lock, path: lock_path.to_path_buf() });
        }
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

/// A private copy of the file at `path` (opened without following a link) at `backup`,
/// which must not exist yet.
pub(crate) fn back_up(path: &Path, backup: &Path) -> Result<(), StoreError> {
    let copy = || -> io::Result<()> {
        let mut source = no_follow(OpenOptions::new().read(true)).open(path)?;
        let mut file = private_options().write(true).create_new(true).open(backup)?;
        io::copy(&mut source, &mut file)?;
        file.sync_all()
    };
    copy().map_err(|source| io_error("back up", backup, source))
}

/// A new file's contents written beside its target and fsynced, not yet in place.
#[derive(Debug)]
pub(crate) struct Staged {
    temp: PathBuf,
    target: PathBuf,
}

impl Staged {
    /// Writes `bytes` to a temporary file for `target`; `_held` proves the lock is held.
    pub(crate) fn write(_held: &LockHeld, target: &Path, temp: PathBuf, bytes: &[u8]) -> Result<Staged, StoreError> {
        remove_if_present(&temp)?;
        let result = (|| {
            let mut file = private_options().write(true).create_new(true).open(&temp)?;
            // An explicit access list, as 0600 is on Unix.
            #[cfg(windows)]
            crate::windows::restrict_to_current_user(&temp, false)?;
            file.write_all(bytes)?;
            file.sync_all()
        })();
        if let Err(source) = result {
            let _ = fs::remove_file(&temp);
            return Err(io_error("write", target, source));
        }
        Ok(Staged { temp, target: target.to_path_buf() })
    }

    /// Puts the file in place: one rename, so a reader sees the old file or the new one.
    pub(crate) fn commit(self) -> Result<(), StoreError> {
        let result = patiently("replace", &self.target, || fs::rename(&self.temp, &self.target));
        if result.is_err() {
            let _ = fs::remove_file(&self.temp);
        }
        result
    }

    /// Gives up on it: the target stays as it was.
    pub(crate) fn discard(self) {
        let _ = fs::remove_file(&self.temp);
    }
}

/// Creates the folder (0700) if missing; refuses or tightens it as [`check_folder`] does.
pub(crate) fn ensure_dir(dir: &Path) -> Result<Vec<StoreWarning>, StoreError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    #[cfg(windows)]
    let existed = dir.exists();
    builder.create(dir).map_err(|source| io_error("create the folder", dir, source))?;
    // A new folder gets an explicit access list, as 0700 on Unix.
    #[cfg(windows)]
    if !existed {
        crate::windows::restrict_to_current_user(dir, true)
            .map_err(|source| io_error("change the access list of", dir, source))?;
    }
    check_folder(dir)
}

/// Refuses a folder other users can change, and makes a merely readable one private.
/// The folder's own metadata is read through a symbolic link to it, and so is the mode
/// change, so a linked folder is tightened once, not warned about on every write.
#[cfg(unix)]
pub(crate) fn check_folder(dir: &Path) -> Result<Vec<StoreWarning>, StoreError> {
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

/// Windows: an access list that lets others in is repaired, as a loose mode is on Unix.
#[cfg(windows)]
pub(crate) fn check_folder(dir: &Path) -> Result<Vec<StoreWarning>, StoreError> {
    Ok(crate::windows::tighten(dir, true)?.into_iter().collect())
}

/// Neither Unix nor Windows: no notion of other users' access here.
#[cfg(not(any(unix, windows)))]
pub(crate) fn check_folder(_dir: &Path) -> Result<Vec<StoreWarning>, StoreError> {
    Ok(Vec::new())
}

/// `options` that refuse to open a symbolic link (`O_NOFOLLOW`): every file in the
/// config folder is opened this way, so a link planted there cannot redirect a write.
pub(crate) fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    #[cfg(windows)]
    crate::windows::no_follow(options);
    options
}

#[cfg(unix)]
pub(crate) fn current_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    fs::symlink_metadata(path).ok().map(|meta| meta.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
pub(crate) fn current_mode(_path: &Path) -> Option<u32> {
    None
}

/// Windows: repairs the access list if others have any access now.
#[cfg(windows)]
pub(crate) fn tighten(path: &Path, _mode: u32) -> Result<Option<StoreWarning>, StoreError> {
    crate::windows::tighten(path, false)
}

/// Sets `mode` if others have any access now.
#[cfg(not(windows))]
pub(crate) fn tighten(path: &Path, mode: u32) -> Result<Option<StoreWarning>, StoreError> {
    let Some(was) = current_mode(path).filter(|was| was & 0o077 != 0) else { return Ok(None) };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .map_err(|source| io_error("change permissions of", path, source))?;
    }
    Ok(Some(StoreWarning::Tightened { path: path.to_path_buf(), was, now: mode }))
}

/// Tightens a file readable by others, or, when that is not possible, says so: reading
/// never fails because a permission could not be changed.
pub(crate) fn tighten_or_warn(path: &Path) -> Result<Option<StoreWarning>, StoreError> {
    match tighten(path, FILE_MODE) {
        Ok(tightened) => Ok(tightened),
        Err(StoreError::Io { path, source, .. }) => Ok(Some(StoreWarning::StillLoose {
            mode: current_mode(&path).unwrap_or_default(),
            path,
            reason: source.to_string(),
        })),
        Err(other) => Err(other),
    }
}

pub(crate) fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    no_follow(&mut options);
    options
}

/// Makes a rename or removal in `dir` durable. Nothing to do on Windows: a folder cannot
/// be flushed there, and NTFS journals the rename itself; the new file's contents were
/// flushed before it, so a crash leaves the old file or the new one, whole.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    File::open(dir).and_then(|handle| handle.sync_all()).map_err(|source| io_error("sync", dir, source))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
