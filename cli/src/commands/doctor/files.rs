//! The config folder and the files in it: there, whose, how open, no links, readable.

use std::path::Path;

use skytells_auth_store::{CredentialStore, MAX_FILE_BYTES};

use crate::context::Context;
use crate::error::describe_store_error;

use super::{fail, pass, Check};

/// Who owns a file or folder, and whether others may open it, as this system tells.
struct Access {
    /// The owner, when it is someone else (`uid 65534`).
    other_owner: Option<String>,
    /// What others may do, when they may do anything (`mode 0755`).
    open_to_others: Option<String>,
    /// How it is protected, for a ✔ (`mode 0700`).
    described: String,
}

#[cfg(unix)]
fn access(meta: &std::fs::Metadata) -> Access {
    use std::os::unix::fs::MetadataExt;
    let (owner, mode) = (meta.uid(), meta.mode() & 0o7777);
    Access {
        other_owner: (owner != rustix::process::geteuid().as_raw()).then(|| format!("uid {owner}")),
        open_to_others: (mode & 0o077 != 0).then(|| format!("mode {mode:04o}")),
        described: format!("mode {mode:04o}"),
    }
}

/// Windows: the store gives the folder and its files an access list that grants the
/// current user alone, and repairs one that lets others in, at every write.
#[cfg(not(unix))]
fn access(_meta: &std::fs::Metadata) -> Access {
    Access { other_owner: None, open_to_others: None, described: "access list kept by the store".into() }
}

pub(super) fn folder_checks(context: &Context, store: &CredentialStore) -> Vec<Check> {
    let mut checks = Vec::new();
    let dir = store.path().parent().map(Path::to_path_buf).unwrap_or_default();
    let shown = context.display_path(&dir);
    checks.push(match std::fs::symlink_metadata(&dir) {
        Err(_) => pass("config folder", format!("{shown} does not exist yet (made at the first login)")),
        Ok(meta) if meta.file_type().is_symlink() => match std::fs::metadata(&dir) {
            Ok(target) if target.is_dir() => {
                folder_access_check(&shown, &access(&target), " (through a symbolic link)")
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
        Ok(meta) => folder_access_check(&shown, &access(&meta), ""),
    });
    for path in [store.path().to_path_buf(), store.origins_path()] {
        let shown = context.display_path(&path);
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        let access = access(&meta);
        checks.push(if meta.file_type().is_symlink() {
            fail(
                "credentials file",
                format!("{shown} is a symbolic link, which is never followed"),
                format!("Remove it (rm {shown}) and log in again."),
            )
        } else if !meta.is_file() {
            fail("credentials file", format!("{shown} is not a file"), format!("Move it aside: mv {shown} {shown}.old"))
        } else if let Some(owner) = &access.other_owner {
            fail(
                "credentials file",
                format!("{shown} belongs to another user ({owner})"),
                format!("Remove it (rm {shown}) and log in again."),
            )
        } else if let Some(open) = &access.open_to_others {
            fail("credentials file", format!("{shown} is readable by others ({open})"), format!("chmod 600 {shown}"))
        } else if meta.len() > MAX_FILE_BYTES {
            fail(
                "credentials file",
                format!("{shown} is {} bytes, larger than any credentials file", meta.len()),
                "Run `skytells logout --all` to remove it, then log in again.",
            )
        } else {
            pass("credentials file", format!("{shown} ({}, {} bytes)", access.described, meta.len()))
        });
    }
    if let Err(error) = store.load() {
        checks.push(fail("credentials parse", describe_store_error(&error), "Run `skytells logout --all` to remove the unreadable file (the next login keeps a copy of it), then log in again."));
    }
    checks
}

fn folder_access_check(shown: &str, access: &Access, how: &str) -> Check {
    if let Some(owner) = &access.other_owner {
        return fail(
            "config folder",
            format!("{shown}{how} belongs to another user ({owner})"),
            "Set SKYTELLS_CONFIG_DIR to a folder of your own.",
        );
    }
    if let Some(open) = &access.open_to_others {
        return fail(
            "config folder",
            format!("{shown}{how} is open to other users ({open})"),
            format!("chmod 700 {shown}"),
        );
    }
    pass("config folder", format!("{shown}{how} ({}, yours)", access.described))
}
