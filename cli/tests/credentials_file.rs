//! The credentials file's edges: corrupt, loose modes, not a file.

// A Unix-host harness (Unix modes, `sh` scripts, util-linux `script`, /proc). Windows runs
// it from the Linux host against skytells.exe under Wine (scripts/wine-tests.sh).
#![cfg(unix)]

mod common;

use common::{mode, set_mode, token, Sandbox};

#[test]
fn a_corrupt_file_is_kept_aside_not_silently_overwritten() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    sandbox.write_credentials("{\"token\": \"sk_pat_trunc");
    let whoami = sandbox.run(&["whoami"], "");
    assert_eq!(whoami.code, Some(4));
    assert!(
        whoami.stderr.contains(
            "cannot be read: it is not valid JSON (unexpected end of file at line 1, column 23). Fix or delete it"
        ),
        "{}",
        whoami.stderr
    );

    let run = sandbox.run(&["login", "--token"], &token("ab"));
    assert_eq!(run.code, Some(0), "{run:?}");
    let backups: Vec<_> = std::fs::read_dir(sandbox.config_dir())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("credentials.json.corrupt-"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert_eq!(std::fs::read_to_string(backups[0].path()).unwrap(), "{\"token\": \"sk_pat_trunc");
    assert!(run.stderr.contains("could not be read (it is not valid JSON"), "{}", run.stderr);
    assert!(run.stderr.contains("it was kept as"), "{}", run.stderr);
    assert_eq!(sandbox.emulator_login()["token"], token("ab").as_str());
}

#[test]
fn loose_permissions_are_tightened_with_a_warning() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_a", "A");
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}","api_key":"k"}}"#, token("ab")));
    set_mode(&sandbox.credentials(), 0o644);
    set_mode(&sandbox.origins_file(), 0o644);
    set_mode(&sandbox.config_dir(), 0o755);
    let run = sandbox.run(&["link", "sk_proj_a"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stderr.contains("config was accessible to other users (mode 0755); changed it to 0700"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("credentials.json was accessible to other users (mode 0644); changed it to 0600"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("origins.json was accessible to other users (mode 0644); changed it to 0600"),
        "{}",
        run.stderr
    );
    assert_eq!(mode(&sandbox.credentials()), 0o600);
    assert_eq!(mode(&sandbox.origins_file()), 0o600);
    assert_eq!(mode(&sandbox.config_dir()), 0o700);
}

#[test]
fn a_directory_or_symlink_where_the_file_belongs_is_refused() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_a", "A");
    std::fs::create_dir_all(sandbox.credentials()).unwrap();
    let run = sandbox.run(&["link", "sk_proj_a"], "");
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("credentials.json is a directory, not a credentials file"), "{}", run.stderr);

    std::fs::remove_dir(sandbox.credentials()).unwrap();
    let target = sandbox.home.path().join("elsewhere.json");
    std::fs::write(&target, "{}").unwrap();
    std::os::unix::fs::symlink(&target, sandbox.credentials()).unwrap();
    let run = sandbox.run(&["link", "sk_proj_a"], "");
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("is a symbolic link, not a credentials file"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "{}");
}

#[test]
fn a_missing_config_folder_is_created_private() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_a", "A");
    let nested = sandbox.home.path().join("a/b/c");
    let mut command = sandbox.command(&["link", "sk_proj_a"]);
    command.env("SKYTELLS_CONFIG_DIR", &nested);
    assert_eq!(sandbox.run_command(command, "").code, Some(0));
    assert_eq!(mode(&nested), 0o700);
    assert_eq!(mode(&nested.join("origins.json")), 0o600);
}

#[test]
fn a_folder_that_cannot_be_written_is_a_clear_error() {
    // Tests run as root, which ignores permission bits; /proc refuses new entries to everyone.
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_a", "A");
    let mut command = sandbox.command(&["link", "sk_proj_a"]);
    command.env("SKYTELLS_CONFIG_DIR", "/proc/self/skytells");
    let run = sandbox.run_command(command, "");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.starts_with("error: could not create the folder /proc/self/skytells: "), "{}", run.stderr);
}

/// Every file in the config folder and what it holds.
fn folder_contents(sandbox: &Sandbox) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(sandbox.config_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap_or_default(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn logout_leaves_no_secret_behind() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    // A corrupt file holding a token, a backup of an earlier one, and the temporary file
    // of a writer killed at the rename: each holds a secret.
    sandbox.write_credentials(&format!("{{\"token\": \"{}\", oops", token("ab")));
    std::fs::write(sandbox.config_dir().join("credentials.json.corrupt-1776076200000"), token("cd")).unwrap();
    std::fs::write(
        sandbox.config_dir().join(".credentials.json.tmp-4242"),
        format!(r#"{{"token":"{}"}}"#, token("ef")),
    )
    .unwrap();
    let run = sandbox.run(&["logout", "--force"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("could not be read; it was removed whole"), "{}", run.stderr);
    assert!(run.stdout.contains("and 2 other file(s) that could hold them"), "{}", run.stdout);
    assert_eq!(folder_contents(&sandbox), Vec::<(String, String)>::new(), "not even the lock file is left");

    // A readable file keeps its unknown fields; leftovers go, and so does the lock file.
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}","api_key":"legacy"}}"#, token("ab")));
    std::fs::write(sandbox.config_dir().join(".credentials.json.tmp-7"), token("ab")).unwrap();
    let run = sandbox.run(&["logout", "--force", "--json"], "");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["removed_files"], serde_json::json!(["~/config/.credentials.json.tmp-7"]));
    let contents = folder_contents(&sandbox);
    assert_eq!(contents.len(), 1, "{contents:?}");
    assert_eq!(contents[0].0, "credentials.json");
    assert!(!contents[0].1.contains("sk_pat_"), "{contents:?}");
}

#[test]
fn valid_json_the_node_cli_may_write_is_read_not_called_corrupt() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_new", "New");
    // A lone surrogate escape (JSON.parse accepts it) and nesting deeper than serde_json's
    // default limit of 128, in fields this CLI does not know.
    let unknown = format!(r#""emoji": "\ud83d", "deep": {}1{}"#, "[".repeat(200), "]".repeat(200));
    sandbox.write_credentials(&format!(r#"{{"token": "{}", {unknown}}}"#, token("ab")));
    let run = sandbox.run(&["link", "sk_proj_new"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(!run.stderr.contains("could not be read"), "{}", run.stderr);
    let written = sandbox.stored();
    assert!(written.contains(r#""emoji": "\ud83d""#) && written.contains(&"[".repeat(200)), "{written}");
    assert!(written.contains(&token("ab")), "{written}");
    assert_eq!(sandbox.emulator_login()["access_key"], "sk_proj_new");
    let backups = folder_contents(&sandbox).into_iter().filter(|(name, _)| name.contains(".corrupt-")).count();
    assert_eq!(backups, 0, "nothing was moved aside");
}

#[test]
fn a_writer_waiting_for_the_lock_says_so_and_gives_up_in_bounded_time() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_waits", "Waits");
    let before = format!(r#"{{"token":"{}"}}"#, token("ab"));
    sandbox.write_credentials(&before);
    let before = sandbox.stored();
    // Another process holds the lock (this test, standing in for a stuck writer).
    let lock = std::fs::File::create(sandbox.config_dir().join(".credentials.json.lock")).unwrap();
    lock.lock().unwrap();
    let started = std::time::Instant::now();
    let mut child = sandbox.spawn(sandbox.command(&["link", "sk_proj_waits"]));
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(40) {
            let _ = child.kill();
            panic!("the writer waited for the lock without a bound");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let took = started.elapsed();
    let run: common::Run = child.wait_with_output().unwrap().into();
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("waiting for another skytells process to finish writing"), "{}", run.stderr);
    assert!(run.stderr.contains("gave up after 10 s waiting for the lock"), "{}", run.stderr);
    assert!(took < std::time::Duration::from_secs(40), "took {took:?}");
    assert_eq!(sandbox.stored(), before, "nothing was written");
    drop(lock);
    assert_eq!(sandbox.run(&["link", "sk_proj_waits"], "").code, Some(0), "the lock released, it works");
}

#[test]
fn thousands_of_logins_are_read_whole_and_a_file_larger_than_any_credentials_is_refused_unread() {
    let sandbox = Sandbox::new(|_| {});
    let logins: serde_json::Map<String, serde_json::Value> = (0..5000)
        .map(|i| {
            (
                format!("https://api{i}.example.com"),
                serde_json::json!({"token": format!("sk_pat_{i:064x}"), "note": "x".repeat(60)}),
            )
        })
        .collect();
    sandbox.write_credentials(&format!(r#"{{"api_key":"legacy","deep":{}1{}}}"#, "[".repeat(5000), "]".repeat(5000)));
    std::fs::write(sandbox.origins_file(), serde_json::Value::Object(logins).to_string()).unwrap();
    common::set_mode(&sandbox.origins_file(), 0o600);
    let mut last = sandbox.command(&["whoami", "--offline"]);
    last.env("SKYTELLS_API_URL", "https://api4999.example.com");
    let run = sandbox.run_command(last, "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains(&format!("sk_pat_{}…", &format!("{:064x}", 4999)[..4])), "{}", run.stdout);
    let mut logout = sandbox.command(&["logout", "--force", "--json"]);
    logout.env("SKYTELLS_API_URL", "https://api0.example.com");
    let run = sandbox.run_command(logout, "");
    assert_eq!(run.code, Some(0), "{run:?}");
    let others = sandbox.read_origins();
    assert_eq!(
        others["https://api0.example.com"],
        serde_json::json!({"note": "x".repeat(60)}),
        "its unknown field stays"
    );
    assert!(others["https://api1.example.com"]["token"].is_string());

    // Past 8 MiB a file is no credentials file: refused without being read, and kept aside
    // (not lost) when a login replaces it.
    std::fs::write(sandbox.credentials(), format!(r#"{{"pad":"{}"}}"#, "x".repeat(9 << 20))).unwrap();
    let mut default_api = sandbox.command(&["auth", "token"]);
    default_api.env_remove("SKYTELLS_API_URL");
    let run = sandbox.run_command(default_api, "");
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("is larger than 8 MiB; it was not read"), "{}", run.stderr);
}
