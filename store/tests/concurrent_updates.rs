//! Many processes rewriting one credentials file at once lose no update.
//!
//! The test re-runs its own binary as the writers (the `writer` test below, which does
//! nothing unless the parent set `STORE_TEST_WRITER`). Each writer appends its own marks
//! to the stored `scopes`, one read-modify-write at a time; every mark must survive.

use std::process::{Command, Stdio};

use skytells_auth::Secret;
use skytells_auth_store::CredentialStore;

const WRITERS: usize = 24;
const UPDATES_EACH: usize = 5;

fn token() -> Secret {
    Secret::new(format!("sk_pat_{}", "ab".repeat(32)))
}

#[test]
fn concurrent_writers_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config").join("credentials.json");
    let store = CredentialStore::new(&path);
    store.update(1, |credentials| credentials.set_token(&token(), &["start".to_owned()], 1)).unwrap();
    let this_test = std::env::current_exe().unwrap();
    let writers: Vec<_> = (0..WRITERS)
        .map(|id| {
            Command::new(&this_test)
                .args(["--exact", "writer", "--include-ignored", "--nocapture", "--test-threads=1"])
                .env("STORE_TEST_WRITER", id.to_string())
                .env("STORE_TEST_PATH", &path)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for writer in writers {
        let output = writer.wait_with_output().unwrap();
        assert!(output.status.success(), "a writer failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let (credentials, _) = store.load().unwrap();
    let scopes = credentials.unwrap().scopes().unwrap();
    let mut expected: Vec<String> =
        (0..WRITERS).flat_map(|id| (0..UPDATES_EACH).map(move |n| format!("w{id}-{n}"))).collect();
    expected.push("start".to_owned());
    let mut found = scopes.clone();
    found.sort();
    expected.sort();
    assert_eq!(found, expected, "{} of {} marks survived", scopes.len(), expected.len());
    let names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.iter().all(|name| !name.contains(".tmp-")), "temporary files left: {names:?}");
}

/// One writer; run by the test above as a separate process.
#[test]
#[ignore = "run as a child process by concurrent_writers_lose_no_update"]
fn writer() {
    let (Ok(id), Ok(path)) = (std::env::var("STORE_TEST_WRITER"), std::env::var("STORE_TEST_PATH")) else { return };
    let store = CredentialStore::new(path);
    for n in 0..UPDATES_EACH {
        store
            .update(2, |credentials| {
                let mut scopes = credentials.scopes().unwrap_or_default();
                scopes.push(format!("w{id}-{n}"));
                credentials.set_token(&token(), &scopes, 2);
            })
            .unwrap();
    }
}
