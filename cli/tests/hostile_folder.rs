//! A config folder another user can write: planted links and shared folders, through
//! the real binary, run as root (the user an attacker most wants to fool).

// A Unix-host harness (Unix modes, `sh` scripts, util-linux `script`, /proc). Windows runs
// it from the Linux host against skytells.exe under Wine (scripts/wine-tests.sh).
#![cfg(unix)]

mod common;

use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use common::{mode, set_mode, token, Sandbox};

/// A file the attacker wants overwritten, and what it holds.
const PRECIOUS: &str = "precious contents\n";

/// Plants `credentials.json.corrupt-<ms>` links to `victim` for every millisecond of the
/// next minute, so that a writer backing up a corrupt file writes through one of them.
fn plant_backup_links(folder: &Path, victim: &Path) {
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    for ms in now_ms..now_ms + 60_000 {
        symlink(victim, folder.join(format!("credentials.json.corrupt-{ms}"))).unwrap();
    }
}

fn chown(path: &Path, user: &str) {
    assert!(Command::new("chown").arg(user).arg(path).status().unwrap().success());
}

#[test]
fn a_folder_owned_by_another_user_is_refused_and_its_links_are_not_followed() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_safe", "Safe");
    let victim = sandbox.home.path().join("victim");
    std::fs::write(&victim, PRECIOUS).unwrap();
    let folder = sandbox.config_dir();
    std::fs::create_dir(&folder).unwrap();
    set_mode(&folder, 0o755);
    std::fs::write(sandbox.credentials(), "{ corrupt").unwrap();
    plant_backup_links(&folder, &victim);
    symlink(&victim, folder.join(".credentials.json.lock")).unwrap();
    chown(&folder, "nobody");
    let run = sandbox.run(&["link", "sk_proj_safe"], "");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "refusing to keep credentials in {}: it belongs to another user (owner uid 65534, mode 0755)",
            folder.display()
        )),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), PRECIOUS);
    assert_eq!(std::fs::metadata(&folder).unwrap().mode() & 0o7777, 0o755, "the folder was not changed");
}

#[test]
fn links_planted_in_ones_own_folder_are_never_written_through() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_safe", "Safe");
    let victim = sandbox.home.path().join("victim");
    std::fs::write(&victim, PRECIOUS).unwrap();
    sandbox.write_credentials("{ corrupt");
    plant_backup_links(&sandbox.config_dir(), &victim);
    let run = sandbox.run(&["link", "sk_proj_safe"], "");
    assert_ne!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("could not back up"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), PRECIOUS, "the backup wrote through a link");

    // A planted lock file is refused too, and nothing is written through it.
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_safe", "Safe");
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}"}}"#, token("ab")));
    symlink(&victim, sandbox.config_dir().join(".credentials.json.lock")).unwrap();
    let run = sandbox.run(&["link", "sk_proj_safe"], "");
    assert_ne!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("could not create the lock file"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), PRECIOUS);
}

#[test]
fn a_shared_sticky_folder_is_refused_and_left_as_it_is() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_safe", "Safe");
    let shared = sandbox.home.path().join("shared-tmp");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let mut command = sandbox.command(&["link", "sk_proj_safe"]);
    command.env("SKYTELLS_CONFIG_DIR", &shared);
    let run = sandbox.run_command(command, "");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("it is a shared folder that other users can write"), "{}", run.stderr);
    assert_eq!(std::fs::metadata(&shared).unwrap().mode() & 0o7777, 0o1777);
    assert!(!shared.join("credentials.json").exists());
}

#[test]
fn a_linked_config_folder_is_tightened_once() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_a", "A");
    let real = sandbox.home.path().join("real-config");
    std::fs::create_dir(&real).unwrap();
    set_mode(&real, 0o755);
    symlink(&real, sandbox.config_dir()).unwrap();
    let first = sandbox.run(&["link", "sk_proj_a"], "");
    assert_eq!(first.code, Some(0), "{first:?}");
    assert!(first.stderr.contains("was accessible to other users (mode 0755); changed it to 0700"), "{}", first.stderr);
    assert_eq!(mode(&real), 0o700);
    let second = sandbox.run(&["link", "sk_proj_a"], "");
    assert_eq!(second.code, Some(0), "{second:?}");
    assert!(!second.stderr.contains("warning"), "warned again: {}", second.stderr);
}
