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
//! - Files held open: Windows refuses to rename over, delete or open a file that another
//!   process holds open without sharing that (an editor or a virus scanner without
//!   `FILE_SHARE_DELETE`, a backup tool without any sharing); such holds are usually
//!   brief, so each of those is retried for [`HELD_OPEN_PATIENCE`], then reported as
//!   [`StoreError::HeldOpen`].
//!
//! Under Wine, access lists are left alone: mainline Wine keeps no access list, it maps
//! one to Unix mode bits and back, lossily. Measured with Wine 8: the owner-only list
//! below became mode 0775 on the Unix side (the group and everyone can read), and read
//! back as "Everyone may read", so every command would have loosened the file and warned.
//! Under Wine nothing protects the files, then: Wine creates them with mode 0666 less the
//! umask (usually 0644, readable by every local user). skytells.exe under Wine is for
//! tests; on Linux, the Linux build keeps them 0600 in a 0700 folder.
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

/// How long an operation on a file that another program holds open is retried.
pub const HELD_OPEN_PATIENCE: Duration = Duration::from_secs(2);

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

/// `operation` on `path`, retried for [`HELD_OPEN_PATIENCE`] while another process holds
/// `path` open in a way that forbids it, then [`StoreError::HeldOpen`]; any other failure
/// is [`StoreError::Io`] at once.
pub(crate) fn patiently<T>(
    action: &'static str,
    path: &Path,
    mut operation: impl FnMut() -> io::Result<T>,
) -> Result<T, StoreError> {
    let started = Instant::now();
    loop {
        match operation() {
            Ok(value) => return Ok(value),
            Err(error) if held_open(&error, path) => {
                if started.elapsed() >= HELD_OPEN_PATIENCE {
                    let path = path.to_path_buf();
                    return Err(StoreError::HeldOpen { action, path, waited: HELD_OPEN_PATIENCE, source: error });
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(source) => return Err(io_error(action, path, source)),
        }
    }
}

/// Whether `error` is Windows refusing an operation on `path` because another process has
/// it open. "Access denied" is also the answer for a read-only file, which no wait
/// changes. (Not tested: Wine renames over a read-only file, so it cannot be shown here.)
fn held_open(error: &io::Error, path: &Path) -> bool {
    match error.raw_os_error().map(|code| code as u32) {
        Some(ERROR_SHARING_VIOLATION) => true,
        Some(ERROR_ACCESS_DENIED) => !fs::symlink_metadata(path).is_ok_and(|meta| meta.permissions().readonly()),
        _ => false,
    }
}

/// The accounts other than the current user (and SYSTEM and Administrators) that
/// `path`'s access list lets in, by name (`Everyone`, `BUILTIN\Users`, or a SID string
/// when the name is unknown). "everyone" when the file has no access list at all.
pub(crate) fn others_with_access(path: &Path) -> io::Result<Vec<String>> {
    let user = CurrentUser::get()?;
    let descriptor = SecurityDescriptor::of(path)?;
    others_allowed(descriptor.dacl(), user.sid())
}

/// The accounts `dacl` lets in besides `user`, SYSTEM and Administrators (see
/// [`others_with_access`]); `None` is a null list, which lets everyone in.
fn others_allowed(dacl: Option<&ACL>, user: PSID) -> io::Result<Vec<String>> {
    let Some(dacl) = dacl else { return Ok(vec!["everyone (no access list)".into()]) };
    let mut others = Vec::new();
    for index in 0..u32::from(dacl.AceCount) {
        let mut ace: *mut c_void = std::ptr::null_mut();
        // SAFETY: `dacl` is a valid ACL, alive for this loop; `index` is below its ACE
        // count, and GetAce only writes a pointer into that same ACL.
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
        // SAFETY: `sid` and `user` are valid SIDs for the duration of the calls.
        let trusted = unsafe {
            EqualSid(sid, user) != 0
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
    let mut acl = OwnerOnlyAcl::new(user.sid(), is_folder)?;
    let wide = wide(path);
    // SAFETY: `acl` is a valid ACL that outlives the call; `wide` is NUL-terminated.
    let status = unsafe {
        SetNamedSecurityInfoW(
            wide.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            acl.as_mut_ptr(),
            std::ptr::null(),
        )
    };
    match status {
        0 => Ok(()),
        code => Err(io::Error::from_raw_os_error(code as i32)),
    }
}

/// An access list with one entry: full control for `user`, passed down to what a folder
/// holds when made for a folder.
struct OwnerOnlyAcl {
    buffer: Vec<u64>, // ACLs must be 4-byte aligned
}

impl OwnerOnlyAcl {
    fn new(user: PSID, is_folder: bool) -> io::Result<Self> {
        // SAFETY: `user` is a valid SID.
        let sid_len = unsafe { GetLengthSid(user) } as usize;
        // ACL header, then one ACCESS_ALLOWED_ACE whose SidStart field is replaced by the SID.
        let size = std::mem::size_of::<ACL>() + std::mem::size_of::<ACCESS_ALLOWED_ACE>() + sid_len;
        let mut acl = OwnerOnlyAcl { buffer: vec![0u64; size.div_ceil(8)] };
        let inherit = if is_folder { OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE } else { 0 };
        // SAFETY: the buffer is at least `size` bytes and aligned; the SID is valid.
        let built = unsafe {
            InitializeAcl(acl.as_mut_ptr(), size as u32, ACL_REVISION) != 0
                && AddAccessAllowedAceEx(acl.as_mut_ptr(), ACL_REVISION, inherit, FILE_ALL_ACCESS, user) != 0
        };
        if !built {
            return Err(io::Error::last_os_error());
        }
        Ok(acl)
    }

    fn as_mut_ptr(&mut self) -> *mut ACL {
        self.buffer.as_mut_ptr().cast()
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
    sid_text(sid).unwrap_or_else(|| "an unknown account".into())
}

/// `sid` as text (`S-1-5-…`).
fn sid_text(sid: PSID) -> Option<String> {
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sid` is valid; on success `text` is a NUL-terminated string we free once.
    unsafe {
        if ConvertSidToStringSidW(sid, &mut text) == 0 {
            return None;
        }
        Some(take_local_text(text))
    }
}

/// The NUL-terminated UTF-16 `text`, which is then freed with LocalFree.
///
/// # Safety
/// `text` must be a NUL-terminated string allocated with LocalAlloc, not used after.
unsafe fn take_local_text(text: *mut u16) -> String {
    // SAFETY: per the contract, `text` is readable up to its NUL, and freed once here.
    unsafe {
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
    use windows_sys::Win32::Security::Authorization::{
        ConvertSecurityDescriptorToStringSecurityDescriptorW, ConvertStringSecurityDescriptorToSecurityDescriptorW,
        SDDL_REVISION_1,
    };
    use windows_sys::Win32::Security::{
        GetSecurityDescriptorDacl, InitializeSecurityDescriptor, SetSecurityDescriptorControl,
        SetSecurityDescriptorDacl, SECURITY_DESCRIPTOR, SE_DACL_PROTECTED,
    };
    use windows_sys::Win32::Storage::FileSystem::FILE_SHARE_READ;

    // Access lists as Windows writes them in text (SDDL): `D:` then one `(A;flags;rights;;;SID)`
    // per entry; `P` protects the list from inheritance, `OICI` passes an entry down, `IO`
    // keeps it off the folder itself, `D` denies. These run the store's judgement and the
    // list it writes under Wine, which has the security API but keeps no list on a file
    // (RELIABILITY.md, "Windows under Wine").

    /// A security descriptor parsed from SDDL, freed when dropped.
    struct Parsed(PSECURITY_DESCRIPTOR);

    impl Parsed {
        fn new(sddl: &str) -> Parsed {
            let wide: Vec<u16> = sddl.encode_utf16().chain(std::iter::once(0)).collect();
            let mut descriptor = std::ptr::null_mut();
            // SAFETY: `wide` is NUL-terminated; the descriptor is freed in Drop.
            let ok = unsafe {
                ConvertStringSecurityDescriptorToSecurityDescriptorW(
                    wide.as_ptr(),
                    SDDL_REVISION_1,
                    &mut descriptor,
                    std::ptr::null_mut(),
                )
            };
            assert_ne!(ok, 0, "{sddl}: {}", io::Error::last_os_error());
            Parsed(descriptor)
        }

        fn dacl(&self) -> Option<&ACL> {
            let (mut present, mut dacl, mut defaulted) = (0, std::ptr::null_mut(), 0);
            // SAFETY: the descriptor is valid; `dacl` points into it, alive as `self` is.
            unsafe {
                assert_ne!(GetSecurityDescriptorDacl(self.0, &mut present, &mut dacl, &mut defaulted), 0);
                dacl.as_ref()
            }
        }
    }

    impl Drop for Parsed {
        fn drop(&mut self) {
            // SAFETY: allocated by ConvertStringSecurityDescriptorToSecurityDescriptorW.
            unsafe { LocalFree(self.0 as HLOCAL) };
        }
    }

    /// `acl` in SDDL, as the protected list of a descriptor.
    fn as_sddl(acl: &mut OwnerOnlyAcl) -> String {
        let mut descriptor = SECURITY_DESCRIPTOR::default();
        let descriptor_ptr = (&mut descriptor as *mut SECURITY_DESCRIPTOR).cast();
        let mut text = std::ptr::null_mut();
        // SAFETY: `descriptor` and `acl` outlive the calls; `text` is taken once.
        unsafe {
            assert_ne!(InitializeSecurityDescriptor(descriptor_ptr, 1), 0);
            assert_ne!(SetSecurityDescriptorDacl(descriptor_ptr, 1, acl.as_mut_ptr(), 0), 0);
            assert_ne!(SetSecurityDescriptorControl(descriptor_ptr, SE_DACL_PROTECTED, SE_DACL_PROTECTED), 0);
            let converted = ConvertSecurityDescriptorToStringSecurityDescriptorW(
                descriptor_ptr,
                SDDL_REVISION_1,
                DACL_SECURITY_INFORMATION,
                &mut text,
                std::ptr::null_mut(),
            );
            assert_ne!(converted, 0, "{}", io::Error::last_os_error());
            take_local_text(text)
        }
    }

    #[test]
    fn a_list_is_loose_when_it_lets_in_anyone_but_the_user_system_and_administrators() {
        let user = CurrentUser::get().unwrap();
        let me = sid_text(user.sid()).unwrap();
        let others = |sddl: &str| others_allowed(Parsed::new(sddl).dacl(), user.sid()).unwrap();
        let none: Vec<String> = Vec::new();
        assert_eq!(others(&format!("D:P(A;;FA;;;{me})")), none);
        assert_eq!(others(&format!("D:P(A;;FA;;;{me})(A;;FA;;;SY)(A;;FA;;;BA)")), none);
        // Read access for everyone, as a folder under C:\ passes down to what it holds.
        assert_eq!(others(&format!("D:(A;;FA;;;{me})(A;;0x1200a9;;;WD)")), ["Everyone"]);
        assert_eq!(others(&format!("D:(A;;FA;;;{me})(A;;FR;;;BU)(A;;FR;;;AU)")).len(), 2);
        assert!(others(&format!("D:(A;;FA;;;{me})(A;;FR;;;BU)"))[0].ends_with("Users"));
        // An account without a name is named by its SID.
        assert_eq!(others(&format!("D:(A;;FA;;;{me})(A;;FR;;;S-1-5-21-7-7-7-4242)")), ["S-1-5-21-7-7-7-4242"]);
        // Entries that give the folder itself nothing: inherit-only, and denials.
        assert_eq!(others(&format!("D:(A;OICIIO;FA;;;BU)(A;;FA;;;{me})")), none);
        assert_eq!(others(&format!("D:(D;;FA;;;WD)(A;;FA;;;{me})")), none);
        // No list at all (a null one): everyone may do anything.
        assert_eq!(others_allowed(None, user.sid()).unwrap(), ["everyone (no access list)"]);
    }

    #[test]
    fn the_repaired_list_lets_in_the_user_alone_and_passes_it_down_only_in_a_folder() {
        let user = CurrentUser::get().unwrap();
        let me = sid_text(user.sid()).unwrap();
        let mut file = OwnerOnlyAcl::new(user.sid(), false).unwrap();
        assert_eq!(as_sddl(&mut file), format!("D:P(A;;FA;;;{me})"));
        let mut folder = OwnerOnlyAcl::new(user.sid(), true).unwrap();
        assert_eq!(as_sddl(&mut folder), format!("D:P(A;OICI;FA;;;{me})"));
        // SAFETY: the ACL is valid and outlives the borrow.
        let dacl = unsafe { folder.as_mut_ptr().as_ref() };
        assert_eq!(others_allowed(dacl, user.sid()).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_file_held_open_is_retried_for_a_while_then_reported_and_replaced_once_released() {
        let dir = tempfile::tempdir().unwrap();
        let (target, temp) = (dir.path().join("credentials.json"), dir.path().join(".credentials.json.tmp-1"));
        let held_lock = crate::files::lock(&dir.path().join(".lock"), Duration::from_secs(5), None).unwrap();
        fs::write(&target, "old").unwrap();
        // As an editor or a scanner holds it: others may read, not delete or rename over it.
        let held = OpenOptions::new().read(true).share_mode(FILE_SHARE_READ).open(&target).unwrap();
        let staged = crate::files::Staged::write(&held_lock, &target, temp.clone(), b"new").unwrap();
        let started = Instant::now();
        let error = staged.commit().unwrap_err();
        assert!(started.elapsed() >= HELD_OPEN_PATIENCE, "gave up after {:?}", started.elapsed());
        assert!(matches!(&error, StoreError::HeldOpen { path, .. } if *path == target), "{error:?}");
        assert!(error.to_string().contains("another program kept it open for 2 s"), "{error}");
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        assert!(!temp.exists(), "the new file was left beside it");
        // Once released, the same write goes through at once.
        drop(held);
        let staged = crate::files::Staged::write(&held_lock, &target, temp, b"new").unwrap();
        staged.commit().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
    }
}
