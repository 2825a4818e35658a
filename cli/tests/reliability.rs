//! Crashes, concurrency and secrets, through the real binary.

// A Unix-host harness (Unix modes, `sh` scripts, util-linux `script`, /proc). Windows runs
// it from the Linux host against skytells.exe under Wine (scripts/wine-tests.sh).
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{mode, token, Sandbox};
use serde_json::Value;

/// A small deterministic generator; the seed is printed so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

fn seed() -> u64 {
    std::env::var("SKYTELLS_TEST_SEED").ok().and_then(|seed| seed.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    })
}

#[test]
fn sigkill_during_rewrites_leaves_the_old_or_the_new_file() {
    const RUNS: usize = 300;
    let sandbox = Sandbox::new(|_| {});
    for i in 0..RUNS {
        sandbox.emulator.add_access_key(&format!("sk_proj_key{i}"), "Crash Test");
    }
    let mut expected_key = "sk_proj_initial".to_owned();
    sandbox.write_emulator_login(&format!(
        r#"{{"token":"{}","access_key":"{expected_key}","api_key":"legacy","future":{{"x":[1,2]}}}}"#,
        token("ab")
    ));
    let seed = seed();
    let mut random = Lcg(seed);
    let (mut killed, mut completed) = (0, 0);
    for i in 0..RUNS {
        let new_key = format!("sk_proj_key{i}");
        let mut child = sandbox.spawn(sandbox.command(&["link", &new_key]));
        // Most kills land inside the request or the rewrite (a few milliseconds in all).
        std::thread::sleep(Duration::from_micros(random.next(12_000)));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            completed += 1;
        } else {
            killed += 1;
        }
        let bytes =
            std::fs::read(sandbox.credentials()).unwrap_or_else(|error| panic!("seed {seed}, run {i}: {error}"));
        let file: Value = serde_json::from_slice(&bytes).unwrap_or_else(|error| {
            panic!("seed {seed}, run {i}: torn file ({error}): {}", String::from_utf8_lossy(&bytes))
        });
        let others =
            std::fs::read(sandbox.origins_file()).unwrap_or_else(|error| panic!("seed {seed}, run {i}: {error}"));
        let others: Value = serde_json::from_slice(&others)
            .unwrap_or_else(|error| panic!("seed {seed}, run {i}: torn origins file ({error})"));
        let login = &others[sandbox.origin()];
        let key = login["access_key"].as_str().unwrap();
        assert!(key == expected_key || key == new_key, "seed {seed}, run {i}: access_key {key}");
        assert_eq!(login["token"], token("ab").as_str(), "seed {seed}, run {i}");
        assert_eq!(file["api_key"], "legacy");
        assert_eq!(file["future"], serde_json::json!({"x": [1, 2]}));
        assert_eq!(mode(&sandbox.credentials()), 0o600);
        assert_eq!(mode(&sandbox.origins_file()), 0o600);
        expected_key = key.to_owned();
    }
    eprintln!("seed {seed}: {killed} killed, {completed} completed");
    assert!(killed > RUNS / 10, "too few kills to mean anything: {killed}");
    // Killed writers leave temporary files; the next rewrite clears them under the lock.
    let run = sandbox.run(&["link", "sk_proj_key0"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    let names: Vec<String> = std::fs::read_dir(sandbox.config_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "only the two files and the lock remain: {names:?}");
}

#[test]
fn concurrent_links_and_logins_all_succeed_and_leave_one_valid_file() {
    // Lost updates are checked where they can be counted: io-blocking/tests/concurrent_updates.rs.
    const EACH: usize = 16;
    let sandbox = Sandbox::new(|_| {});
    sandbox.write_credentials(r#"{"api_key":"legacy"}"#);
    let tokens: Vec<String> = (0..EACH).map(|i| format!("sk_pat_{:064x}", i + 1)).collect();
    let keys: Vec<String> = (0..EACH).map(|i| format!("sk_proj_concurrent{i}")).collect();
    for (token, key) in tokens.iter().zip(&keys) {
        sandbox.emulator.add_token(token, &[]);
        sandbox.emulator.add_access_key(key, "Concurrent");
    }
    let mut children = Vec::new();
    for (token, key) in tokens.iter().zip(&keys) {
        let mut login = sandbox.command(&["login", "--token"]);
        login
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let mut child = login.spawn().unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(token.as_bytes()).unwrap();
        children.push(child);
        children.push(sandbox.spawn(sandbox.command(&["link", key])));
    }
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let file = sandbox.read_credentials();
    let others = sandbox.read_origins();
    let login = &others[sandbox.origin()];
    assert!(tokens.contains(&login["token"].as_str().unwrap().to_owned()), "{file}");
    assert!(keys.contains(&login["access_key"].as_str().unwrap().to_owned()), "{file}");
    assert_eq!(file["api_key"], "legacy");
    common::assert_private_mode(&sandbox.credentials(), 0o600);
    common::assert_private_mode(&sandbox.origins_file(), 0o600);
}

/// Every file under `dir` that holds `needle`, except those `allowed`.
fn files_containing(dir: &Path, needle: &str, allowed: &[PathBuf]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle, allowed));
        } else if !allowed.contains(&path)
            && std::fs::read(&path).is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(needle))
        {
            found.push(path.display().to_string());
        }
    }
    found
}

#[test]
fn canary_secrets_never_appear_in_output_or_other_files() {
    let canary_token = format!("sk_pat_{}", "c0ffee".repeat(11)[..64].to_owned());
    let canary_key = "sk_proj_CANARYc4n4ryCANARY";
    let sandbox = Sandbox::new(|scenario| scenario.auto_approve_after = Some(0.0));
    sandbox.emulator.add_token(&canary_token, &[]);
    sandbox.emulator.add_access_key(canary_key, "Canary");
    let mut outputs = Vec::new();
    let mut run = |args: &[&str], stdin: &str, env: &[(&str, &str)]| {
        let mut command = sandbox.command(args);
        for (name, value) in env {
            command.env(name, value);
        }
        let run = sandbox.run_command(command, stdin);
        outputs.push((args.join(" "), run.all()));
    };
    run(&["login", "--token"], &canary_token, &[]);
    run(&["link", canary_key], "", &[]);
    run(&["whoami"], "", &[]);
    run(&["whoami", "--json"], "", &[]);
    run(&["whoami"], "", &[("SKYTELLS_TOKEN", &canary_token), ("SKYTELLS_ACCESS_KEY", canary_key)]);
    run(&["whoami"], "", &[("SKYTELLS_API_URL", "http://127.0.0.1:9")]);
    run(&["login", "--token"], &canary_token[..40], &[]);
    run(&["login", "--token"], &canary_token.replace('c', "z"), &[]);
    run(&["link", &canary_key.replace("CANARY", "CANARY/")], "", &[]);
    run(&["link", &canary_token], "", &[]);
    run(&["login", "--token"], canary_key, &[]);
    run(&["whoami"], "", &[("SKYTELLS_TOKEN", &canary_token[..50])]);
    run(&["logout", "--force"], "", &[]);
    run(&["login", "--no-browser"], "", &[("SKYTELLS_TOKEN", &canary_token)]);
    let first_minted = sandbox.emulator_login()["token"].as_str().unwrap().to_owned();
    run(&["whoami", "--json"], "", &[]);
    run(&["-vv", "whoami"], "", &[("SKYTELLS_ACCESS_KEY", canary_key)]);
    run(&["link", canary_key, "-v"], "", &[("SKYTELLS_LOG", "trace")]);
    run(&["-v", "login", "--token"], &canary_token, &[]);
    run(&["-v", "login", "--no-browser"], "", &[]);
    let minted = sandbox.emulator_login()["token"].as_str().unwrap().to_owned();
    let secrets = [canary_token.as_str(), canary_key, first_minted.as_str(), minted.as_str()];
    for (command, output) in &outputs {
        for secret in secrets {
            assert!(!output.contains(secret), "`skytells {command}` printed a whole secret:\n{output}");
        }
    }
    for secret in secrets {
        let leaks = files_containing(sandbox.home.path(), secret, &[sandbox.credentials(), sandbox.origins_file()]);
        assert!(leaks.is_empty(), "{secret:.12}… found in {leaks:?}");
    }
}

#[test]
fn a_plain_http_api_on_another_host_gets_no_credential() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}"}}"#, token("ab")));
    for url in ["http://api.example.com", "http://10.0.0.1:8080", "http://localhost.evil.test"] {
        // With -v every request attempt is logged, so no DEBUG line means none was made.
        let mut command: Command = sandbox.command(&["-v", "whoami"]);
        command.env("SKYTELLS_API_URL", url);
        let run = sandbox.run_command(command, "");
        assert_eq!(run.code, Some(2), "{url}: {run:?}");
        assert!(run.stderr.contains("refusing plain http"), "{url}: {}", run.stderr);
        assert!(!run.stderr.contains("DEBUG"), "{url}: a request was attempted: {}", run.stderr);
    }
}
