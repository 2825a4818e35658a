//! README.md's example sessions are what the binary prints. Each fenced block after a
//! `<!-- transcript: ... -->` marker is a session: `$ command` lines, each followed by
//! the output (stdout and stderr together) it must produce. Every session runs in a fresh
//! home against an emulator that knows the token in `$TOKEN` and the access key
//! `sk_proj_weather_1`; the emulator's URL is shown as the real API's, and so is the file
//! its login is kept in (the real API's in credentials.json, any other in origins.json).

// A Unix-host harness (Unix modes, `sh` scripts, util-linux `script`, /proc). Windows runs
// it from the Linux host against skytells.exe under Wine (scripts/wine-tests.sh).
#![cfg(unix)]

mod common;

use std::process::Command;

use common::Sandbox;

const MARKER: &str = "<!-- transcript: checked by cli/tests/readme_transcripts.rs -->";

/// The sessions in README.md: for each, (command, expected output) pairs.
fn sessions() -> Vec<Vec<(String, String)>> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    readme
        .split(MARKER)
        .skip(1)
        .map(|after| {
            let block = after.trim_start().strip_prefix("```\n").expect("a fenced block follows the marker");
            let block = &block[..block.find("\n```").expect("the block ends")];
            let mut steps: Vec<(String, String)> = Vec::new();
            for line in block.lines() {
                match (line.strip_prefix("$ "), steps.last_mut()) {
                    (Some(command), _) => steps.push((command.to_owned(), String::new())),
                    (None, Some((_, output))) => {
                        output.push_str(line);
                        output.push('\n');
                    }
                    (None, None) => panic!("output before the first command: {line}"),
                }
            }
            steps
        })
        .collect()
}

#[test]
fn every_readme_transcript_is_what_the_binary_prints() {
    let sessions = sessions();
    assert!(sessions.len() >= 2, "the README's transcripts were not found");
    let token = format!("sk_pat_{}", "3f".repeat(32));
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_skytells")).parent().unwrap().to_owned();
    for session in sessions {
        let sandbox = Sandbox::new(|_| {});
        sandbox.emulator.add_token(&token, &[]);
        sandbox.emulator.add_access_key("sk_proj_weather_1", "Weather App");
        for (command, expected) in session {
            let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
            let output = Command::new("sh")
                .args(["-c", &format!("{command} 2>&1")])
                .env_clear()
                .env("PATH", path)
                .env("HOME", sandbox.home.path())
                .env("SKYTELLS_API_URL", sandbox.emulator.url())
                .env("TOKEN", &token)
                .output()
                .unwrap();
            let printed = String::from_utf8_lossy(&output.stdout)
                .replace(&sandbox.emulator.url(), "https://console.skytells.ai")
                .replace("skytells/origins.json", "skytells/credentials.json");
            assert_eq!(printed, expected, "README.md: `$ {command}`");
        }
    }
}
