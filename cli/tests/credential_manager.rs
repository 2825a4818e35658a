//! `--keyring` on Windows: the Credential Manager (Wine's), through skytells.exe, tested as
//! cli/tests/keyring.rs tests the Secret Service. scripts/wine-tests.sh runs these; with
//! the Linux binary they are ignored. What the Credential Manager holds is read, and
//! planted, by `credentials.exe` (scripts/wine/credentials.c), another program of the
//! same user, as any could.
#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::{token, Sandbox};

/// The generic credentials, by target name, with their secrets' bytes.
fn held() -> BTreeMap<String, Vec<u8>> {
    let output = credentials().arg("list").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let hex = |text: &str| -> Vec<u8> {
        (0..text.len()).step_by(2).map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap()).collect()
    };
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(target, secret)| (target.to_owned(), hex(secret)))
        .collect()
}

/// Stores `bytes` as the generic credential `target`, as another program could.
fn plant(target: &str, bytes: &[u8]) {
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let status = credentials().args(["write", target, &hex]).status().unwrap();
    assert!(status.success());
}

fn credentials() -> Command {
    Command::new(
        std::env::var_os("SKYTELLS_TEST_CREDENTIALS")
            .expect("SKYTELLS_TEST_CREDENTIALS names credentials for Wine (scripts/wine-tests.sh)"),
    )
}

/// Text as the Credential Manager keeps a password: UTF-16, little-endian.
fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The target name of `kind`'s entry for the sandbox's API (keyring-core's: user, a dot,
/// service).
fn target(sandbox: &Sandbox, kind: &str) -> String {
    format!("{kind} {}.skytells-cli", sandbox.origin())
}

#[test]
#[ignore = "the Windows Credential Manager: scripts/wine-tests.sh runs it against skytells.exe under Wine"]
fn a_token_and_a_key_kept_in_the_credential_manager_leave_only_markers_in_the_file_and_move_back() {
    let sandbox = Sandbox::new(|_| {});
    let secret = token("7c");
    sandbox.emulator.add_token(&secret, &[]);
    sandbox.emulator.add_access_key("sk_proj_kept_in_keyring", "Kept");

    // In the file first, then moved in as README shows:
    // `skytells auth token | skytells login --token --keyring`.
    assert_eq!(sandbox.run(&["login", "--token"], &secret).code, Some(0));
    let printed = sandbox.run(&["auth", "token"], "");
    let login = sandbox.run(&["login", "--token", "--keyring", "--json"], &printed.stdout);
    assert_eq!(login.code, Some(0), "{login:?}");
    let report: serde_json::Value = serde_json::from_str(&login.stdout).unwrap();
    assert_eq!(report["stored_in"], "keyring");
    let link = sandbox.run(&["link", "sk_proj_kept_in_keyring", "--keyring"], "");
    assert_eq!(link.code, Some(0), "{link:?}");
    assert!(link.stdout.contains("Access key saved to the system keyring"), "{}", link.stdout);

    let file = sandbox.stored();
    assert!(!file.contains(&secret) && !file.contains("sk_proj_kept"), "a secret is in a file: {file}");
    assert_eq!(sandbox.emulator_login()["token_keyring"]["user"], format!("token {}", sandbox.origin()));
    let held_now = held();
    assert_eq!(held_now.get(&target(&sandbox, "token")), Some(&utf16(&secret)), "{held_now:?}");
    assert_eq!(held_now.get(&target(&sandbox, "access_key")), Some(&utf16("sk_proj_kept_in_keyring")));

    let whoami = sandbox.run(&["whoami"], "");
    assert_eq!(whoami.code, Some(0), "{whoami:?}");
    assert!(whoami.stdout.contains("Token:       sk_pat_7c7c… (from system keyring, stored for"), "{}", whoami.stdout);
    assert!(whoami.stdout.contains("key sk_proj_kept… from system keyring"), "{}", whoami.stdout);

    // Back to the file, as README shows: `skytells auth token | skytells login --token`.
    let printed = sandbox.run(&["auth", "token"], "");
    assert_eq!(printed.stdout, format!("{secret}\n"));
    let back = sandbox.run(&["login", "--token"], &printed.stdout);
    assert_eq!(back.code, Some(0), "{back:?}");
    assert!(back.stdout.contains("moved out of the system keyring"), "{}", back.stdout);
    assert_eq!(sandbox.emulator_login()["token"], secret.as_str());
    assert!(!held().contains_key(&target(&sandbox, "token")), "the keyring copy stayed");

    let logout = sandbox.run(&["logout", "--force"], "");
    assert_eq!(logout.code, Some(0), "{logout:?}");
    assert!(logout.stdout.contains("Deleted 1 secret(s) from the system keyring"), "{}", logout.stdout);
    assert!(!held().contains_key(&target(&sandbox, "access_key")), "the key stayed");
    assert!(sandbox.nothing_stored());
}

#[test]
#[ignore = "the Windows Credential Manager: scripts/wine-tests.sh runs it against skytells.exe under Wine"]
fn what_the_credential_manager_holds_is_checked_like_what_the_file_holds() {
    let sandbox = Sandbox::new(|_| {});
    let secret = token("7d");
    sandbox.emulator.add_token(&secret, &[]);
    assert_eq!(sandbox.run(&["login", "--token", "--keyring"], &secret).code, Some(0));

    // Replaced by another program with something that cannot go in a header, or that is
    // not text in the Credential Manager's encoding (an odd number of bytes): refused
    // before any request, with the fix.
    for (bad, says) in [
        (utf16(&format!("{secret}\r\nX-Injected: 1")), "cannot be a credential"),
        (b"sk_pat_".to_vec(), "other than text"),
    ] {
        plant(&target(&sandbox, "token"), &bad);
        let before = sandbox.emulator.log().len();
        let run = sandbox.run(&["whoami"], "");
        assert_eq!(run.code, Some(1), "{run:?}");
        assert!(run.stderr.contains(says) && run.stderr.contains("Run `skytells logout`"), "{}", run.stderr);
        assert_eq!(sandbox.emulator.log().len(), before, "a request was sent");
    }
    assert_eq!(sandbox.run(&["logout", "--force"], "").code, Some(0));
    assert!(!held().contains_key(&target(&sandbox, "token")), "logout left the planted item");
}
