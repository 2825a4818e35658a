//! A real Secret Service for tests: a private D-Bus session bus and an unlocked GNOME
//! Keyring on it, both stopped when dropped. Needs the Debian packages `dbus`,
//! `gnome-keyring` and `libsecret-tools`: `.ci/run` installs them, and so does the first
//! test that finds them missing, when it can (root, apt-get), as the interoperability tests
//! run `npm ci`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use tempfile::TempDir;

/// A session bus that starts nothing on demand: what is on it is what a test puts there.
pub const BARE_BUS: &str = r#"<busconfig><type>session</type><listen>unix:dir=FOLDER</listen>
    <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
    </busconfig>"#;

/// The keyring's password (an empty one would leave the collection locked behind a
/// prompt that cannot be shown).
const PASSWORD: &str = "skytells-test-keyring";

pub struct SecretService {
    pub address: String,
    bus: Child,
    keyring_pid: Option<u32>,
    folder: TempDir,
}

impl SecretService {
    /// A bus with an unlocked keyring on it.
    pub fn start() -> Self {
        let mut service = Self::bus_only(None);
        service.start_keyring();
        service
    }

    /// A bus whose configuration is `config` (`None`: the standard session bus, which
    /// starts GNOME Keyring on demand).
    pub fn bus_only(config: Option<&str>) -> Self {
        ensure_installed();
        let folder = tempfile::Builder::new().prefix("skytells-bus").tempdir().unwrap();
        let mut command = Command::new("dbus-daemon");
        match config {
            Some(text) => {
                let path = folder.path().join("bus.conf");
                std::fs::write(&path, text.replace("FOLDER", &folder.path().display().to_string())).unwrap();
                command.arg(format!("--config-file={}", path.display()));
            }
            None => {
                command.arg("--session");
            }
        }
        let mut bus = command
            .args(["--nofork", "--print-address=1"])
            .envs(Self::private_env(folder.path()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon is needed (Debian package dbus)");
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap()).read_line(&mut address).unwrap();
        SecretService { address: address.trim().to_owned(), bus, keyring_pid: None, folder }
    }

    /// Where the keyring daemon keeps its files: nothing of the machine's own.
    fn private_env(folder: &Path) -> Vec<(&'static str, PathBuf)> {
        let runtime = folder.join("run");
        if !runtime.exists() {
            std::fs::create_dir(&runtime).unwrap();
            std::fs::set_permissions(&runtime, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        }
        vec![("HOME", folder.to_owned()), ("XDG_DATA_HOME", folder.join("data")), ("XDG_RUNTIME_DIR", runtime)]
    }

    fn start_keyring(&mut self) {
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets"])
            .envs(Self::private_env(self.folder.path()))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon is needed (Debian package gnome-keyring)");
        keyring.stdin.take().unwrap().write_all(PASSWORD.as_bytes()).unwrap();
        assert!(keyring.wait().unwrap().success(), "gnome-keyring-daemon did not start");
        // The daemon it forked takes its bus name soon after: wait for that (no event to
        // wait on from outside the bus, so the condition is polled under a deadline).
        let deadline = std::time::Instant::now() + super::PATIENCE;
        while self.keyring_pid.is_none() && std::time::Instant::now() < deadline {
            let reply = self.dbus_send(&[
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.GetConnectionUnixProcessID",
                "string:org.freedesktop.secrets",
            ]);
            self.keyring_pid = reply.split_whitespace().last().and_then(|pid| pid.parse().ok());
        }
        assert!(self.keyring_pid.is_some(), "no Secret Service on the bus after {:?}", super::PATIENCE);
    }

    /// Locks the login collection, as a screen lock or a timeout would.
    pub fn lock(&self) {
        self.dbus_send(&[
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            "array:objpath:/org/freedesktop/secrets/collection/login",
        ]);
    }

    /// `secret-tool search --all service skytells-cli`: what the keyring holds for us.
    pub fn search(&self) -> String {
        let output = Command::new("secret-tool")
            .args(["search", "--all", "--unlock", "service", "skytells-cli"])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .expect("secret-tool is needed (Debian package libsecret-tools)");
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
    }

    /// Stores `secret` under `attributes` with secret-tool, as another program (or another
    /// user's planted item) would.
    pub fn plant(&self, attributes: &[(&str, &str)], secret: &[u8]) {
        self.plant_in("default", attributes, secret)
    }

    /// The same, in the keyring's `collection` (`default`, `session`, …).
    pub fn plant_in(&self, collection: &str, attributes: &[(&str, &str)], secret: &[u8]) {
        let path = match collection {
            "default" => "/org/freedesktop/secrets/aliases/default".to_owned(),
            other => format!("/org/freedesktop/secrets/collection/{other}"),
        };
        let mut command = Command::new("secret-tool");
        command.args(["store", "--label=planted", &format!("--collection={path}")]);
        for (name, value) in attributes {
            command.args([name, value]);
        }
        let mut child = command
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("secret-tool is needed (Debian package libsecret-tools)");
        child.stdin.take().unwrap().write_all(secret).unwrap();
        assert!(child.wait().unwrap().success(), "secret-tool store failed");
    }

    /// `secret-tool clear ATTRIBUTES…`: removes every item that has them.
    pub fn clear(&self, attributes: &[(&str, &str)]) {
        let mut command = Command::new("secret-tool");
        command.arg("clear");
        for (name, value) in attributes {
            command.args([name, value]);
        }
        let status = command.env("DBUS_SESSION_BUS_ADDRESS", &self.address).status().unwrap();
        assert!(status.success(), "secret-tool clear failed");
    }

    /// `secret-tool search --all ATTRIBUTE VALUE`.
    pub fn search_by(&self, attribute: &str, value: &str) -> String {
        let output = Command::new("secret-tool")
            .args(["search", "--all", "--unlock", attribute, value])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .expect("secret-tool is needed (Debian package libsecret-tools)");
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
    }

    fn dbus_send(&self, args: &[&str]) -> String {
        let output = Command::new("dbus-send")
            .args(["--session", "--print-reply"])
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .expect("dbus-send is needed (Debian package dbus)");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// The Debian packages the Secret Service needs, installed once if missing.
const PACKAGES: [&str; 3] = ["dbus", "gnome-keyring", "libsecret-tools"];

fn ensure_installed() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let present = ["dbus-daemon", "gnome-keyring-daemon", "secret-tool"]
            .iter()
            .all(|tool| Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|out| out.status.success()));
        if present {
            return;
        }
        let install = format!(
            "(apt-get install -y -qq --no-install-recommends {0} || (apt-get update -qq && apt-get install -y -qq --no-install-recommends {0})) >/dev/null",
            PACKAGES.join(" ")
        );
        let installed = Command::new("sh").args(["-c", &install]).status().is_ok_and(|status| status.success());
        assert!(installed, "the keyring tests need the Debian packages {PACKAGES:?}; install them (as .ci/run does)");
    });
}

impl Drop for SecretService {
    fn drop(&mut self) {
        if let Some(pid) = self.keyring_pid {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}
