//! The keyring and the files change as one transaction (issue #16 item 3). A save or a
//! logout is killed just before and just after each of its keyring calls in turn, against a real Secret
//! Service; after every kill the login is the old one or the new one (never neither), and
//! whatever the killed command left in the keyring without a marker, the next logout
//! finds and deletes. The kill is `abort()` in the store's own process, right before or
//! right after the call:
//! no unwinding, no destructor, as SIGKILL or a power cut would leave it.
//!
//! The test re-runs its own binary as the process that dies (the `dies_at_a_keyring_call`
//! test below, which does nothing unless the parent set `KEYRING_CRASH_SCENARIO`).
#![cfg(all(feature = "keyring", unix, not(target_os = "macos")))]

mod common;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::secret_service::SecretService;
use skytells_auth::skytells::{ApiOrigin, KeyringEntry, SecretKind};
use skytells_auth::Secret;
use skytells_auth_store::keyring::SystemKeyring;
use skytells_auth_store::{CredentialStore, Keyring, KeyringError, LogoutScope, NewSecret, Placement};

fn origin() -> ApiOrigin {
    ApiOrigin::parse("https://staging.example.com").unwrap()
}

fn old_token() -> Secret {
    Secret::new(format!("sk_pat_{}", "01".repeat(32)))
}

fn new_token() -> Secret {
    Secret::new(format!("sk_pat_{}", "02".repeat(32)))
}

fn store_at(path: &std::path::Path, keyring: Arc<dyn Keyring>) -> CredentialStore {
    CredentialStore::new(path).with_keyring(keyring)
}

/// A keyring that ends the process at its kill point number `die_at`: point 2N is just
/// before call N (0-based), point 2N+1 just after it returned.
#[derive(Debug)]
struct DiesAtCall {
    inner: SystemKeyring,
    die_at: usize,
    points: AtomicUsize,
}

impl DiesAtCall {
    fn point(&self) {
        if self.points.fetch_add(1, Ordering::SeqCst) == self.die_at {
            std::process::abort();
        }
    }

    fn call<T>(&self, call: impl FnOnce() -> T) -> T {
        self.point();
        let result = call();
        self.point();
        result
    }
}

impl Keyring for DiesAtCall {
    fn store(&self, entry: &KeyringEntry, label: &str, secret: &Secret) -> Result<(), KeyringError> {
        self.call(|| self.inner.store(entry, label, secret))
    }

    fn read(&self, entry: &KeyringEntry) -> Result<Option<Secret>, KeyringError> {
        self.call(|| self.inner.read(entry))
    }

    fn delete(&self, entry: &KeyringEntry) -> Result<bool, KeyringError> {
        self.call(|| self.inner.delete(entry))
    }

    fn entries(&self, service: &str) -> Result<Option<Vec<KeyringEntry>>, KeyringError> {
        self.call(|| self.inner.entries(service))
    }
}

/// What a scenario starts from, and the command that is killed.
#[derive(Debug, Clone, Copy)]
enum Scenario {
    /// Token in the file; a login moves the new one into the keyring.
    FileToKeyring,
    /// Token in the keyring; a login replaces it there.
    KeyringToKeyring,
    /// Token in the keyring; a login keeps the new one in the file.
    KeyringToFile,
    /// Token and access key in the keyring; a logout.
    Logout,
}

impl Scenario {
    const ALL: [Scenario; 4] =
        [Scenario::FileToKeyring, Scenario::KeyringToKeyring, Scenario::KeyringToFile, Scenario::Logout];

    fn name(self) -> String {
        format!("{self:?}")
    }

    fn set_up(self, store: &CredentialStore) {
        let before = match self {
            Scenario::FileToKeyring => Placement::File,
            _ => Placement::Keyring,
        };
        store.save(&origin(), NewSecret::token(&old_token(), &[]), before, 1).unwrap();
        if let Scenario::Logout = self {
            let key = Secret::new("sk_proj_kept_in_keyring");
            store.save(&origin(), NewSecret::access_key(&key), Placement::Keyring, 1).unwrap();
        }
    }

    fn run(self, store: &CredentialStore) {
        let new = new_token();
        match self {
            Scenario::FileToKeyring | Scenario::KeyringToKeyring => {
                store.save(&origin(), NewSecret::token(&new, &[]), Placement::Keyring, 2).unwrap();
            }
            Scenario::KeyringToFile => {
                store.save(&origin(), NewSecret::token(&new, &[]), Placement::File, 2).unwrap();
            }
            Scenario::Logout => {
                store.log_out(&LogoutScope::Api(origin())).unwrap();
            }
        }
    }
}

/// The token the files and the keyring give for the origin now, as a command would read it.
fn token_now(store: &CredentialStore) -> Option<Secret> {
    let (credentials, _) = store.load().unwrap();
    let login = credentials.unwrap_or_default().login_for(&origin());
    match login.token_keyring {
        Some(_) => store.read_keyring_secret(&origin(), SecretKind::Token).unwrap(),
        None => login.token,
    }
}

/// This program's items in the keyring for the origin.
fn items(keyring: &SystemKeyring) -> Vec<KeyringEntry> {
    let listed = keyring.entries(KeyringEntry::SERVICE).unwrap().unwrap();
    listed.into_iter().filter(|entry| entry.owner().is_some_and(|(owner, _)| owner == origin())).collect()
}

#[test]
fn killed_at_any_keyring_call_a_login_or_logout_leaves_the_old_or_the_new_login() {
    let service = SecretService::start();
    let this_test = std::env::current_exe().unwrap();
    let keyring = SystemKeyring::new();
    let mut kills = 0;
    // The store reads the bus address from the environment, as the CLI does.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &service.address);
    for scenario in Scenario::ALL {
        for die_at in 0.. {
            let folder = tempfile::tempdir().unwrap();
            let path = folder.path().join("config").join("credentials.json");
            let store = store_at(&path, Arc::new(keyring.clone()));
            scenario.set_up(&store);
            let status = Command::new(&this_test)
                .args(["--exact", "dies_at_a_keyring_call", "--include-ignored", "--nocapture", "--test-threads=1"])
                .env("KEYRING_CRASH_SCENARIO", scenario.name())
                .env("KEYRING_CRASH_AT", die_at.to_string())
                .env("KEYRING_CRASH_PATH", &path)
                .env("DBUS_SESSION_BUS_ADDRESS", &service.address)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            let at = format!(
                "{scenario:?}, killed at point {die_at} ({} keyring call {})",
                ["before", "after"][die_at % 2],
                die_at / 2
            );
            let markers: Vec<KeyringEntry> = store.load().unwrap().0.unwrap_or_default().keyring_entries();
            let items = items(&keyring);
            match scenario {
                Scenario::Logout => {
                    // Nothing in the keyring that no file points to: items go first.
                    assert!(items.iter().all(|item| markers.contains(item)), "{at}: orphaned {items:?} ({markers:?})");
                }
                _ => {
                    let token = token_now(&store);
                    assert!(
                        token == Some(old_token()) || token == Some(new_token()),
                        "{at}: the login is neither the old nor the new one: {token:?}"
                    );
                }
            }
            // Whatever was left, a logout clears this origin from the files and the keyring.
            let done = store.log_out(&LogoutScope::Api(origin())).unwrap();
            assert!(done.is_complete(), "{at}: {done:?}");
            assert!(
                self::items(&keyring).is_empty(),
                "{at}: left in the keyring after logout: {:?}",
                self::items(&keyring)
            );
            assert_eq!(token_now(&store), None, "{at}");
            if status.success() {
                break;
            }
            kills += 1;
        }
    }
    eprintln!("{kills} processes killed at a keyring call");
    assert!(kills >= 14, "too few kills to mean anything: {kills}");
}

#[test]
#[ignore = "run as a child process by killed_at_any_keyring_call_a_login_or_logout_leaves_the_old_or_the_new_login"]
fn dies_at_a_keyring_call() {
    let Ok(name) = std::env::var("KEYRING_CRASH_SCENARIO") else { return };
    let scenario = Scenario::ALL.into_iter().find(|scenario| scenario.name() == name).unwrap();
    let die_at = std::env::var("KEYRING_CRASH_AT").unwrap().parse().unwrap();
    let path = std::env::var_os("KEYRING_CRASH_PATH").unwrap();
    let keyring = DiesAtCall { inner: SystemKeyring::new(), die_at, points: AtomicUsize::new(0) };
    scenario.run(&store_at(std::path::Path::new(&path), Arc::new(keyring)));
}
