//! Values from the environment, through the real binary: credentials trimmed once and
//! used as checked, folders used byte for byte.

mod common;

use common::{token, Sandbox};

#[test]
fn a_token_with_surrounding_whitespace_is_trimmed_once_and_used_as_checked() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    let padded = format!("  {}\n", token("ab"));
    let mut printed = sandbox.command(&["auth", "token"]);
    printed.env("SKYTELLS_TOKEN", &padded);
    let run = sandbox.run_command(printed, "");
    assert_eq!((run.code, run.stdout.as_str()), (Some(0), format!("{}\n", token("ab")).as_str()), "{run:?}");
    // The API accepts only the exact token: `Bearer  sk_…` with the spaces would be refused.
    let mut whoami = sandbox.command(&["whoami"]);
    whoami.env("SKYTELLS_TOKEN", &padded);
    let run = sandbox.run_command(whoami, "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("Status:      authenticated"), "{}", run.stdout);
    let mut key = sandbox.command(&["whoami", "--offline"]);
    key.env("SKYTELLS_ACCESS_KEY", "\tsk_proj_padded \n");
    let run = sandbox.run_command(key, "");
    assert!(run.stdout.contains("key sk_proj_padd… from SKYTELLS_ACCESS_KEY"), "{}", run.stdout);
}

#[cfg(unix)]
#[test]
fn a_config_folder_that_is_not_utf8_is_the_folder_written() {
    use std::os::unix::ffi::OsStrExt;
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_bytes", "Bytes");
    let folder = sandbox.home.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    let mut link = sandbox.command(&["link", "sk_proj_bytes"]);
    link.env("SKYTELLS_CONFIG_DIR", &folder);
    let run = sandbox.run_command(link, "");
    assert_eq!(run.code, Some(0), "{run:?}");
    let written = std::fs::read_to_string(folder.join("credentials.json")).expect("written in the folder named");
    assert!(written.contains("sk_proj_bytes"));
    let lossy = sandbox.home.path().join("caf\u{fffd}");
    assert!(!lossy.exists(), "a lossily converted folder was written instead");
}
