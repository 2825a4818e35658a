//! The config folder and the files in it: there, whose, how open, no links, readable.

use std::path::Path;

use skytells_auth_store::{CredentialStore, MAX_FILE_BYTES};

use crate::context::Context;
use crate::error::describe_store_error;

use super::{fail, pass, Check};

pub(super) fn folder_checks(context: &Context, store: &CredentialStore) -> Vec<Check> {
    use std::os::unix::fs::MetadataExt;
    let mut checks = Vec::new();
    let dir = store.path().parent().map(Path::to_path_buf).unwrap_or_default();
    let shown = context.display_path(&dir);
    let me = rustix::process::geteuid().as_raw();
    checks.push(match std::fs::symlink_metadata(&dir) {
        Err(_) => pass("config folder", format!("{shown} does not exist yet (made at the first login)")),
        Ok(meta) if meta.file_type().is_symlink() => match std::fs::metadata(&dir) {
            Ok(target) if target.is_dir() => {
                folder_mode_check(&shown, target.uid(), target.mode(), me, " (through a symbolic link)")
            }
            _ => fail(
                "config folder",
                format!("{shown} is a symbolic link to no folder"),
                format!("Remove the link: rm {shown}"),
            ),
        },
        Ok(meta) if !meta.is_dir() => {
            fail("config folder", format!("{shown} is not a folder"), format!("Move it aside: mv {shown} {shown}.old"))
        }
        Ok(meta) => folder_mode_check(&shown, meta.uid(), meta.mode(), me, ""),
    });
    for path in [store.path().to_path_buf(), store.origins_path()] {
        let shown = context.display_path(&path);
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        checks.push(if meta.file_type().is_symlink() {
            fail(
                "credentials file",
                format!("{shown} is a symbolic link, which is never followed"),
                format!("Remove it (rm {shown}) and log in again."),
            )
        } else if !meta.is_file() {
            fail("credentials file", format!("{shown} is not a file"), format!("Move it aside: mv {shown} {shown}.old"))
        } else if meta.uid() != me {
            fail(
                "credentials file",
                format!("{shown} belongs to another user (uid {})", meta.uid()),
                format!("Remove it (rm {shown}) and log in again."),
            )
        } else if meta.mode() & 0o077 != 0 {
            fail(
                "credentials file",
                format!("{shown} is readable by others (mode {:04o})", meta.mode() & 0o7777),
                format!("chmod 600 {shown}"),
            )
        } else if meta.len() > MAX_FILE_BYTES {
            fail(
                "credentials file",
                format!("{shown} is {} bytes, larger than any credentials file", meta.len()),
                "Run `skytells logout --all` to remove it, then log in again.",
            )
        } else {
            pass("credentials file", format!("{shown} (mode 0600, {} bytes)", meta.len()))
        });
    }
    if let Err(error) = store.load() {
        checks.push(fail("credentials parse", describe_store_error(&error), "Run `skytells logout --all` to remove the unreadable file (the next login keeps a copy of it), then log in again."));
    }
    checks
}

pub(super) fn folder_mode_check(shown: &str, owner: u32, mode: u32, me: u32, how: &str) -> Check {
    if owner != me {
        return fail(
            "config folder",
            format!("{shown}{how} belongs to another user (uid {owner})"),
            "Set SKYTELLS_CONFIG_DIR to a folder of your own.",
        );
    }
    if mode & 0o077 != 0 {
        return fail(
            "config folder",
            format!("{shown}{how} is open to other users (mode {:04o})", mode & 0o7777),
            format!("chmod 700 {shown}"),
        );
    }
    pass("config folder", format!("{shown}{how} (mode 0700, yours)"))
}
