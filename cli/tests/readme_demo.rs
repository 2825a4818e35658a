//! README.md's first command, `skytells-emulator demo`, really logs in.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_readme_demo_logs_in_against_the_emulator() {
    // `cargo test --workspace` builds every package's binaries before running tests, so
    // the emulator sits next to `skytells` in the same target folder.
    let skytells = PathBuf::from(env!("CARGO_BIN_EXE_skytells"));
    let emulator = skytells.with_file_name(format!("skytells-emulator{}", std::env::consts::EXE_SUFFIX));
    assert!(
        emulator.exists(),
        "{} is missing: run the workspace's tests (cargo test --workspace), or cargo build -p skytells-emulator first",
        emulator.display()
    );
    let output = Command::new(&emulator).arg("demo").env_remove("SKYTELLS_TOKEN").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("Your device code is:"), "{stderr}");
    assert!(stderr.contains("Opened your browser."), "{stderr}");
    assert!(
        stdout.contains("✔ Authenticated successfully!\n  Logged in as Ada Lovelace (ada@example.com)"),
        "{stdout}"
    );
    assert!(stdout.contains("$ skytells whoami") && stdout.contains("Status:      authenticated"), "{stdout}");
}
