//! Windows: who may open the credentials file, links in the config folder, and replacing
//! a file another program holds open. The Unix code uses modes (0600 in a 0700 folder),
//! `O_NOFOLLOW` and `rename(2)`; these are their Windows counterparts.
//!
//! - Access: the file and the folder get an explicit, protected access list with one
//!   entry, the current user (full control; inherited by what the folder holds). That is
//!   what OpenSSH for Windows demands of a private key, and it keeps out the
//!   `Users`/`Authenticated Users` entries a folder under `C:\` would pass down. A list
//!   that lets any other account in (SYSTEM and Administrators excepted, as OpenSSH
//!   does: they can read everything anyway) is replaced, with a warning.
//! - Links: files in the folder are opened with `FILE_FLAG_OPEN_REPARSE_POINT`, so a
//!   symbolic link or junction planted there is opened as itself and redirects nothing;
//!   the store then refuses it, as it refuses a symbolic link on Unix.
//! - Replacing: Windows refuses to rename over a file that another process has open
//!   without `FILE_SHARE_DELETE` (an editor, a virus scanner, a backup tool); such holds
//!   are usually brief, so the rename is retried for [`REPLACE_PATIENCE`], then reported
//!   with what to do.
//!
//! Under Wine, access lists are left alone: mainline Wine keeps no access list, it maps
//! one to Unix mode bits and back, lossily. Measured with Wine 8: the owner-only list
//! below became mode 0775 on the Unix side (the group and everyone can read), and read
//! back as "Everyone may read", so every command would have loosened the file and warned.
//! There, the Unix modes Wine creates files with are what protect them.
//!
//! The calls below are the Win32 security API, which has no safe wrapper in the standard
//! library; each `unsafe` block says what it relies on. This is the only module of the
//! workspace allowed `unsafe` (the crate denies it elsewhere).
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::fs::{self, OpenOptions};
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{
    CloseHandle, LocalFree, ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION, HANDLE, HLOCAL,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, GetNamedSecurityInfoW, SetNamedSecurityInfoW, SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    AddAccessAllowedAceEx, EqualSid, GetAce, GetLengthSid, GetTokenInformation, InitializeAcl, IsWellKnownSid,
    LookupAccountSidW, TokenUser, WinBuiltinAdministratorsSid, WinLocalSystemSid, ACCESS_ALLOWED_ACE, ACE_HEADER, ACL,
    ACL_REVISION, CONTAINER_INHERIT_ACE, DACL_SECURITY_INFORMATION, INHERIT_ONLY_ACE, OBJECT_INHERIT_ACE,
    PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID, SID_NAME_USE, TOKEN_QUERY, TOKEN_USER,
};
use windows_sys::Win32::Storage::FileSystem::{FILE_ALL_ACCESS, FILE_FLAG_OPEN_REPARSE_POINT};
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
use windows_sys::Win32::System::SystemServices::ACCESS_ALLOWED_ACE_TYPE;
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

use crate::files::io_error;
use crate::{StoreError, StoreWarning};

/// How long a rename over a file that another program holds open is retried.
pub const REPLACE_PATIENCE: Duration = Duration::from_secs(2);

/// Opens without following a reparse point (symbolic link, junction): the counterpart of
/// `O_NOFOLLOW`. (The store refuses a credentials file that is a link before opening it.)
pub(crate) fn no_follow(options: &mut OpenOptions) {
    options.custom_flags(FILE_FLAG_OPEN_REPARSE_POINT);
}

/// Repairs `path`'s access list when it lets other accounts in: the Windows side of
/// tightening a mode. `None` when it was already private.
pub(crate) fn tighten(path: &Path, is_folder: bool) -> Result<Option<StoreWarning>, StoreError> {
    if under_wine() {
        return Ok(None);
    }
    let Some(warning) = loose(path)? else { return Ok(None) };
    restrict_to_current_user(path, is_folder).map_err(|source| io_error("change the access list of", path, source))?;
    Ok(Some(warning))
}

/// The warning [`tighten`] would give, without changing anything (for a file about to be
/// replaced by one with a private access list).
pub(crate) fn loose(path: &Path) -> Result<Option<StoreWarning>, StoreError> {
    if under_wine() {
        return Ok(None);
    }
    match others_with_access(path) {
        Ok(others) if others.is_empty() => Ok(None),
        Ok(others) => Ok(Some(StoreWarning::AccessRepaired { path: path.to_path_buf(), others })),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(io_error("read the access list of", path, source)),
    }
}

/// Renames `from` over `to`, retrying for [`REPLACE_PATIENCE`] while another process
/// holds `to` open in a way that forbids it; then an error that says so.
pub(crate) fn replace(from: &Path, to: &Path) -> io::Result<()> {
    let started = Instant::now();
    loop {
        match fs::rename(from, to) {
            Err(error) if held_open(&error) && started.elapsed() < REPLACE_PATIENCE => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(error) if held_open(&error) => {
                return Err(io::Error::new(
                    error.kind(),
                    format!(
                        "another program keeps the file open ({error}), still after {} s; close it (an editor, a backup or antivirus tool) and try again",
                        REPLACE_PATIENCE.as_secs()
                    ),
                ))
            }
            other => return other,
        }
    }
}

fn held_open(error: &io::Error) -> bool {
    matches!(error.raw_os_error().map(|code| code as u32), Some(ERROR_SHARING_VIOLATION | ERROR_ACCESS_DENIED))
}

/// The accounts other than the current user (and SYSTEM and Administrators) that
/// `path`'s access list lets in, by name (`Everyone`, `BUILTIN\Users`, or a SID string
/// when the name is unknown). "everyone" when the file has no access list at all.
pub(crate) fn others_with_access(path: &Path) -> io::Result<Vec<String>> {
    let user = CurrentUser::get()?;
    let descriptor = SecurityDescriptor::of(path)?;
    let Some(dacl) = descriptor.dacl() else { return Ok(vec!["everyone (no access list)".into()]) };
    let mut others = Vec::new();
    for index in 0..u32::from(dacl.AceCount) {
        let mut ace: *mut c_void = std::ptr::null_mut();
        // SAFETY: `dacl` points into `descriptor`, alive for this loop; `index` is below
        // its ACE count, and GetAce only writes a pointer into that same ACL.
        if unsafe { GetAce(dacl, index, &mut ace) } == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: every ACE starts with an ACE_HEADER.
        let header = unsafe { &*(ace as *const ACE_HEADER) };
        if u32::from(header.AceFlags) & INHERIT_ONLY_ACE != 0 {
            continue; // applies to what the folder holds, not to the folder itself
        }
        if u32::from(header.AceType) != ACCESS_ALLOWED_ACE_TYPE {
            continue; // deny entries take access away; other kinds do not occur on files
        }
        // SAFETY: an ACCESS_ALLOWED_ACE's SID starts at its `SidStart` field.
        let sid = unsafe { &(*(ace as *const ACCESS_ALLOWED_ACE)).SidStart } as *const u32 as PSID;
        // SAFETY: `sid` and the user's SID are valid SIDs for the duration of the calls.
        let trusted = unsafe {
            EqualSid(sid, user.sid()) != 0
                || IsWellKnownSid(sid, WinLocalSystemSid) != 0
                || IsWellKnownSid(sid, WinBuiltinAdministratorsSid) != 0
        };
        if !trusted {
            others.push(account_name(sid));
        }
    }
    Ok(others)
}

/// Gives `path` a protected access list with one entry: full control for the current
/// user, inherited by files and folders inside when `path` is a folder. Nothing is
/// inherited from the parent any more.
pub(crate) fn restrict_to_current_user(path: &Path, is_folder: bool) -> io::Result<()> {
    if under_wine() {
        return Ok(());
    }
    let user = CurrentUser::get()?;
    // SAFETY: the SID is valid while `user` lives.
    let sid_len = unsafe { GetLengthSid(user.sid()) } as usize;
    // ACL header, then one ACCESS_ALLOWED_ACE whose SidStart field is replaced by the SID.
    let size = std::mem::size_of::<ACL>() + std::mem::size_of::<ACCESS_ALLOWED_ACE>() + sid_len;
    let mut buffer = vec![0u64; size.div_ceil(8)]; // ACLs must be 4-byte aligned
    let acl = buffer.as_mut_ptr() as *mut ACL;
    let inherit = if is_folder { OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE } else { 0 };
    let wide = wide(path);
    // SAFETY: `buffer` is at least `size` bytes, aligned, and outlives the calls; the
    // SID is valid; `wide` is NUL-terminated.
    let status = unsafe {
        if InitializeAcl(acl, size as u32, ACL_REVISION) == 0
            || AddAccessAllowedAceEx(acl, ACL_REVISION, inherit, FILE_ALL_ACCESS, user.sid()) == 0
        {
            return Err(io::Error::last_os_error());
        }
        SetNamedSecurityInfoW(
            wide.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            acl,
            std::ptr::null(),
        )
    };
    match status {
        0 => Ok(()),
        code => Err(io::Error::from_raw_os_error(code as i32)),
    }
}

/// Whether this program runs under Wine, whose ntdll alone exports `wine_get_version`.
fn under_wine() -> bool {
    static UNDER_WINE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *UNDER_WINE.get_or_init(|| {
        let ntdll: Vec<u16> = "ntdll.dll".encode_utf16().chain(std::iter::once(0)).collect();
        // SAFETY: both names are NUL-terminated; ntdll is loaded in every process, and
        // the handle is not freed (GetModuleHandleW takes no reference).
        unsafe {
            let module = GetModuleHandleW(ntdll.as_ptr());
            !module.is_null() && GetProcAddress(module, c"wine_get_version".as_ptr().cast()).is_some()
        }
    })
}

fn wide(path: &Path) -> Vec<u16> {
    path.as_os_str().encode_wide().chain(std::iter::once(0)).collect()
}

/// `sid` by account name, else as a SID string.
fn account_name(sid: PSID) -> String {
    let (mut name, mut domain) = ([0u16; 256], [0u16; 256]);
    let (mut name_len, mut domain_len, mut kind) = (256u32, 256u32, SID_NAME_USE::default());
    // SAFETY: the buffers and their lengths match; `sid` is valid.
    let found = unsafe {
        LookupAccountSidW(
            std::ptr::null(),
            sid,
            name.as_mut_ptr(),
            &mut name_len,
            domain.as_mut_ptr(),
            &mut domain_len,
            &mut kind,
        )
    } != 0;
    if found {
        let name = String::from_utf16_lossy(&name[..name_len as usize]);
        let domain = String::from_utf16_lossy(&domain[..domain_len as usize]);
        return if domain.is_empty() { name } else { format!("{domain}\\{name}") };
    }
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: on success `text` is a NUL-terminated string we free with LocalFree.
    unsafe {
        if ConvertSidToStringSidW(sid, &mut text) == 0 {
            return "an unknown account".into();
        }
        let len = (0..).take_while(|&i| *text.add(i) != 0).count();
        let string = String::from_utf16_lossy(std::slice::from_raw_parts(text, len));
        LocalFree(text as HLOCAL);
        string
    }
}

/// The current process's user, from its token.
struct CurrentUser {
    buffer: Vec<u64>,
}

impl CurrentUser {
    fn get() -> io::Result<Self> {
        let mut token: HANDLE = std::ptr::null_mut();
        // SAFETY: GetCurrentProcess returns a pseudo-handle; `token` is closed below.
        if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
            return Err(io::Error::last_os_error());
        }
        let mut buffer = vec![0u64; 64]; // 512 bytes: a TOKEN_USER and the longest SID fit
        let mut needed = 0u32;
        // SAFETY: `buffer` is 512 writable, aligned bytes; `token` is a valid handle.
        let ok = unsafe {
            let ok = GetTokenInformation(token, TokenUser, buffer.as_mut_ptr().cast(), 512, &mut needed);
            CloseHandle(token);
            ok
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(CurrentUser { buffer })
    }

    fn sid(&self) -> PSID {
        // SAFETY: the buffer holds a TOKEN_USER whose SID points into the same buffer.
        unsafe { (*(self.buffer.as_ptr() as *const TOKEN_USER)).User.Sid }
    }
}

/// A file's security descriptor (its access list), freed when dropped.
struct SecurityDescriptor {
    descriptor: PSECURITY_DESCRIPTOR,
    dacl: *mut ACL,
}

impl SecurityDescriptor {
    fn of(path: &Path) -> io::Result<Self> {
        let wide = wide(path);
        let (mut descriptor, mut dacl) = (std::ptr::null_mut(), std::ptr::null_mut());
        // SAFETY: `wide` is NUL-terminated; on success `descriptor` is freed in Drop and
        // `dacl` points into it.
        let status = unsafe {
            GetNamedSecurityInfoW(
                wide.as_ptr(),
                SE_FILE_OBJECT,
                DACL_SECURITY_INFORMATION,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &mut dacl,
                std::ptr::null_mut(),
                &mut descriptor,
            )
        };
        match status {
            0 => Ok(SecurityDescriptor { descriptor, dacl }),
            code => Err(io::Error::from_raw_os_error(code as i32)),
        }
    }

    /// The access list, or `None` for a null one (everyone has full access).
    fn dacl(&self) -> Option<&ACL> {
        // SAFETY: `dacl` is null or points into `descriptor`, alive as long as `self`.
        unsafe { self.dacl.as_ref() }
    }
}

impl Drop for SecurityDescriptor {
    fn drop(&mut self) {
        // SAFETY: allocated by GetNamedSecurityInfoW, freed once.
        unsafe { LocalFree(self.descriptor as HLOCAL) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use windows_sys::Win32::Storage::FileSystem::FILE_SHARE_READ;

    #[test]
    fn a_file_held_open_is_retried_for_a_while_then_reported_and_replaced_once_released() {
        let dir = tempfile::tempdir().unwrap();
        let (target, temp) = (dir.path().join("credentials.json"), dir.path().join(".credentials.json.tmp-1"));
        fs::write(&target, "old").unwrap();
        fs::write(&temp, "new").unwrap();
        // As an editor or a scanner holds it: others may read, not delete or rename over it.
        let held = OpenOptions::new().read(true).share_mode(FILE_SHARE_READ).open(&target).unwrap();
        let started = Instant::now();
        let error = replace(&temp, &target).unwrap_err();
        assert!(started.elapsed() >= REPLACE_PATIENCE, "gave up after {:?}", started.elapsed());
        assert!(error.to_string().contains("another program keeps the file open"), "{error}");
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        drop(held);
        replace(&temp, &target).unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
    }
}
