//! README.md's first command, `skytells-emulator demo`, really logs in, and prints what
//! README.md shows, apart from what differs on every run (normalised on both sides).

// A Unix-host harness (Unix modes, `sh` scripts, util-linux `script`, /proc). Windows runs
// it from the Linux host against skytells.exe under Wine (scripts/wine-tests.sh).
#![cfg(unix)]

use std::path::PathBuf;
use std::process::{Command, Stdio};

const MARKER: &str = "<!-- demo output: checked by cli/tests/readme_demo.rs -->";

/// Replaces what changes from run to run: the emulator's port, the user code, the token
/// prefix, and the demo's temporary folder.
fn normalise(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut line = line.to_owned();
        for (prefix, keep) in [("http://127.0.0.1:", "http://127.0.0.1:PORT"), ("/tmp/skytells-demo-", "/tmp/DEMO")] {
            while let Some(start) = line.find(prefix).filter(|_| !line.contains(keep)) {
                let rest = &line[start + prefix.len()..];
                let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
                line = format!("{}{keep}{}", &line[..start], &rest[end..]);
            }
        }
        if let Some(at) = line.find("Your device code is: ") {
            line.truncate(at + "Your device code is: ".len());
            line.push_str("CODE");
        }
        if let Some(at) = line.find("sk_pat_") {
            line.replace_range(at + 7..at + 11, "xxxx");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn readme_demo_block() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let after = readme.split(MARKER).nth(1).expect("README.md has the demo's output");
    let block = after.trim_start().strip_prefix("```\n").expect("a fenced block follows the marker");
    block[..block.find("\n```").expect("the block ends") + 1].to_owned()
}

#[test]
fn the_readme_demo_logs_in_and_prints_what_the_readme_shows() {
    // `cargo test --workspace` builds every package's binaries before running tests, so
    // the emulator sits next to `skytells` in the same target folder.
    let skytells = PathBuf::from(env!("CARGO_BIN_EXE_skytells"));
    let emulator = skytells.with_file_name(format!("skytells-emulator{}", std::env::consts::EXE_SUFFIX));
    assert!(
        emulator.exists(),
        "{} is missing: run the workspace's tests (cargo test --workspace), or cargo build -p skytells-emulator first",
        emulator.display()
    );
    // One pipe for both streams, as a terminal shows them: the order is the real one.
    let (reader, writer) = std::io::pipe().unwrap();
    let mut child = Command::new(&emulator)
        .arg("demo")
        .env_remove("SKYTELLS_TOKEN")
        .env_remove("SKYTELLS_ACCESS_KEY")
        .stdin(Stdio::null())
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .spawn()
        .unwrap();
    let mut printed = String::new();
    std::io::Read::read_to_string(&mut &reader, &mut printed).unwrap();
    assert!(child.wait().unwrap().success(), "{printed}");
    assert_eq!(normalise(&printed), normalise(&readme_demo_block()));
}
