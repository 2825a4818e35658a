//! Runs the real `skytells` binary in a clean environment against an emulator.

#![allow(dead_code)]

#[cfg(all(unix, not(target_os = "macos")))]
pub mod secret_service;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use skytells_emulator::{Emulator, Scenario, TestAuthority};
use tempfile::TempDir;

/// A valid token the emulator accepts when registered.
pub fn token(fill: &str) -> String {
    format!("sk_pat_{}", fill.repeat(64 / fill.len()))
}

/// The program under test: `SKYTELLS_TEST_BIN` when set (scripts/wine-tests.sh sets it
/// to a script that runs skytells.exe under Wine), else the binary cargo built.
pub fn binary() -> PathBuf {
    match std::env::var_os("SKYTELLS_TEST_BIN") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_BIN_EXE_skytells")),
    }
}

/// Whether the program under test is the Windows build (scripts/wine-tests.sh).
pub fn windows_binary() -> bool {
    std::env::var_os("SKYTELLS_TEST_BIN").is_some()
}

/// One test's world: a home folder, a config folder inside it, and an emulator.
pub struct Sandbox {
    pub home: TempDir,
    pub emulator: Emulator,
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout and stderr together, for "never printed" checks.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Sandbox {
    /// An emulator with a 1-second interval and 30-second codes, plus `change`.
    pub fn new(change: impl FnOnce(&mut Scenario)) -> Self {
        let mut scenario = Scenario { interval: Some(1.0), expires_in: Some(30.0), ..Scenario::default() };
        change(&mut scenario);
        Sandbox { home: TempDir::new().unwrap(), emulator: Emulator::start(scenario).unwrap() }
    }

    /// The same, serving HTTPS under `authority`, which no machine trusts by itself.
    pub fn with_tls(authority: &TestAuthority, change: impl FnOnce(&mut Scenario)) -> Self {
        let mut scenario = Scenario { interval: Some(1.0), expires_in: Some(30.0), ..Scenario::default() };
        change(&mut scenario);
        Sandbox { home: TempDir::new().unwrap(), emulator: Emulator::start_tls(scenario, authority).unwrap() }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.home.path().join("config")
    }

    pub fn credentials(&self) -> PathBuf {
        self.config_dir().join("credentials.json")
    }

    /// `skytells ARGS` with nothing from the test's own environment but PATH.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(binary());
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("SKYTELLS_CONFIG_DIR", self.config_dir())
            .env("SKYTELLS_API_URL", self.emulator.url());
        command
    }

    /// Runs `command` with `stdin` piped in and waits.
    pub fn run_command(&self, mut command: Command, stdin: &str) -> Run {
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        // A command that refuses before reading its input may already be gone.
        match child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
            Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => panic!("writing standard input: {error}"),
            _ => {}
        }
        child.wait_with_output().unwrap().into()
    }

    /// `skytells ARGS` with `stdin`.
    pub fn run(&self, args: &[&str], stdin: &str) -> Run {
        self.run_command(self.command(args), stdin)
    }

    /// Starts `command` with `input` written to its standard input (which is then closed),
    /// without waiting for it to end.
    pub fn spawn_with_input(&self, mut command: Command, input: &[u8]) -> Child {
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child
    }

    /// Starts `skytells ARGS` without waiting.
    pub fn spawn(&self, mut command: Command) -> Child {
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
    }

    /// Writes the file as the CLI would leave it: 0600 in a 0700 folder.
    pub fn write_credentials(&self, json: &str) {
        std::fs::create_dir_all(self.config_dir()).unwrap();
        set_mode(&self.config_dir(), 0o700);
        std::fs::write(self.credentials(), json).unwrap();
        set_mode(&self.credentials(), 0o600);
    }

    /// The credentials file as the binary names it: `~/config/credentials.json`. Wine
    /// does not pass `HOME` on to Windows programs, so skytells.exe names the whole path,
    /// with Windows' separator before the file name (the config folder is given with `/`).
    pub fn shown_credentials(&self) -> String {
        if windows_binary() {
            format!("{}\\credentials.json", self.windows_config_dir())
        } else {
            "~/config/credentials.json".into()
        }
    }

    /// The config folder as skytells.exe shows it: with `\` only (its path here is a Unix
    /// one, which Wine takes as a path on the current drive).
    pub fn windows_config_dir(&self) -> String {
        self.config_dir().display().to_string().replace('/', "\\")
    }

    /// The origins file (where the emulator's login is kept) as the binary shows it.
    pub fn shown_origins_file(&self) -> String {
        if windows_binary() {
            format!("{}\\origins.json", self.windows_config_dir())
        } else {
            "~/config/origins.json".into()
        }
    }

    pub fn read_credentials(&self) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.credentials()).unwrap()).unwrap()
    }

    /// The emulator's origin: the key its login has under `origins`.
    pub fn origin(&self) -> String {
        self.emulator.url()
    }

    /// `json` (an object in the Node CLI's layout) with its login fields (token,
    /// access_key, scopes, created_at) moved under `origins` for the emulator, where a
    /// login to it is stored; other fields stay at the top, in their order.
    pub fn for_emulator(&self, json: &str) -> String {
        let mut top = serde_json::Map::new();
        let mut login = serde_json::Map::new();
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json).unwrap();
        for (name, value) in object {
            match name.as_str() {
                "token" | "access_key" | "scopes" | "created_at" => login.insert(name, value),
                _ => top.insert(name, value),
            };
        }
        top.insert("origins".into(), serde_json::json!({ self.origin(): login }));
        serde_json::Value::Object(top).to_string()
    }

    /// Writes `json` (an object in the Node CLI's layout) as the files hold a login to the
    /// emulator: its login fields in the origins file under the emulator's origin, the
    /// other fields in credentials.json (none: no credentials.json).
    pub fn write_emulator_login(&self, json: &str) {
        let mut layout: serde_json::Value = serde_json::from_str(&self.for_emulator(json)).unwrap();
        let origins = layout.as_object_mut().unwrap().remove("origins").unwrap();
        if !layout.as_object().unwrap().is_empty() {
            self.write_credentials(&layout.to_string());
        }
        std::fs::create_dir_all(self.config_dir()).unwrap();
        set_mode(&self.config_dir(), 0o700);
        std::fs::write(self.origins_file(), origins.to_string()).unwrap();
        set_mode(&self.origins_file(), 0o600);
    }

    /// The file that holds the logins of APIs other than the default one.
    pub fn origins_file(&self) -> PathBuf {
        self.config_dir().join("origins.json")
    }

    /// The origins file (`null` when there is none).
    pub fn read_origins(&self) -> serde_json::Value {
        std::fs::read(self.origins_file())
            .map(|bytes| serde_json::from_slice(&bytes).unwrap())
            .unwrap_or(serde_json::Value::Null)
    }

    /// A shell session for the pseudo-terminal: `skytells login --token` (stopped at its
    /// hidden prompt by the test), then its exit status (`EXIT=N`), then the echo flag as
    /// the next program in that terminal finds it.
    pub fn hidden_prompt_session(&self) -> Command {
        let skytells = self.command(&[]);
        let script = format!(
            "'{}' login --token; echo \"EXIT=$?\"; stty -a | grep -o ' -*echo ' | head -1",
            skytells.get_program().to_string_lossy()
        );
        let mut session = in_the_environment_of(&skytells, "sh");
        session.args(["-c", &script]);
        session
    }

    /// Both files' contents, to compare before and after a command that must change
    /// nothing.
    pub fn stored(&self) -> String {
        let read = |path: PathBuf| std::fs::read_to_string(path).unwrap_or_else(|_| "(no file)".to_owned());
        format!("credentials.json: {}\norigins.json: {}", read(self.credentials()), read(self.origins_file()))
    }

    /// Whether neither file exists.
    pub fn nothing_stored(&self) -> bool {
        !self.credentials().exists() && !self.origins_file().exists()
    }

    /// The login stored for the emulator (`null` when there is none).
    pub fn emulator_login(&self) -> serde_json::Value {
        self.read_origins()[self.origin()].clone()
    }

    /// A shell script that records the URL it is called with, for `BROWSER`. It writes a
    /// temporary file and renames it, so the record appears whole or not at all.
    pub fn browser_recorder(&self) -> (PathBuf, PathBuf) {
        self.recorder(self.home.path().join("browser.sh"))
    }

    /// A folder holding an `xdg-open` that records the URL it is called with, to put first
    /// on `PATH`: the system's own handler on Linux, and what Wine's does on Windows
    /// (rundll32's url.dll hands the URL to winebrowser, which starts xdg-open).
    pub fn system_opener_recorder(&self) -> (PathBuf, PathBuf) {
        let folder = self.home.path().join("bin");
        std::fs::create_dir_all(&folder).unwrap();
        let (_, record) = self.recorder(folder.join("xdg-open"));
        (folder, record)
    }

    /// What a person does with the page a login opened: waits for `opened` (a recorder's
    /// record) to name the device page with the code, approves there, then waits for the
    /// login `child` to end.
    pub fn approve_on_the_opened_page(&self, child: Child, opened: &Path) -> Run {
        let deadline = std::time::Instant::now() + PATIENCE;
        while !opened.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let url = std::fs::read_to_string(opened).expect("the page was opened");
        let code = &self.emulator.devices()[0].user_code;
        assert_eq!(url, format!("{}/device?user_code={code}", self.emulator.url()));
        skytells_emulator::browser::decide_on_page(&url, true).unwrap();
        child.wait_with_output().unwrap().into()
    }

    fn recorder(&self, script: PathBuf) -> (PathBuf, PathBuf) {
        let record = self.home.path().join("opened-url");
        let body = format!("#!/bin/sh\nprintf '%s' \"$1\" > '{0}.tmp' && mv '{0}.tmp' '{0}'\n", record.display());
        std::fs::write(&script, body).unwrap();
        set_mode(&script, 0o755);
        (script, record)
    }
}

pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Asserts `path`'s Unix mode, for the Linux binary. skytells.exe under Wine is not checked:
/// Windows has access lists instead, and Wine creates files with the modes of its own
/// process (RELIABILITY.md, "Windows under Wine").
pub fn assert_private_mode(path: &Path, expected: u32) {
    if !windows_binary() {
        assert_eq!(mode(path), expected, "{}", path.display());
    }
}

pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// When to type into the pseudo-terminal.
#[derive(Clone, Copy, Debug)]
pub enum TypeWhen<'a> {
    /// Nothing is typed.
    Never,
    /// Once this text is on the screen.
    Shown(&'a str),
    /// Once this text is on the screen and the terminal has stopped echoing (a hidden
    /// prompt switches echo off just after printing itself).
    HiddenPromptShown(&'a str),
}

/// How long to wait for something that should appear; reached only when it never does.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(20);

/// `program`, with no environment but the variables `command` was given (a sandbox's).
pub fn in_the_environment_of(command: &Command, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut other = Command::new(program);
    other.env_clear();
    for (name, value) in command.get_envs() {
        if let Some(value) = value {
            other.env(name, value);
        }
    }
    other
}

/// Runs `command` inside a pseudo-terminal (util-linux `script`) `columns` wide (0 for a
/// terminal that reports no size), typing `input` when `when` says. Returns the terminal
/// transcript: what a person would have seen.
pub fn in_terminal(command: &Command, when: TypeWhen<'_>, input: &str, columns: u16) -> Run {
    in_terminal_then(command, when, columns, |stdin, _| stdin.write_all(input.as_bytes()).unwrap())
}

/// Runs `command` in a pseudo-terminal as [`in_terminal`] does and, once `prompt` is on the
/// screen and echo is off, sends `signal` (a name `kill` knows, such as `TERM`) to the
/// `skytells` process in it, as another process (or a closing terminal) would.
pub fn signal_at_hidden_prompt(command: &Command, prompt: &str, signal: &str) -> Run {
    in_terminal_then(command, TypeWhen::HiddenPromptShown(prompt), 100, |_, script_pid| {
        let skytells = std::fs::canonicalize(env!("CARGO_BIN_EXE_skytells")).unwrap();
        let pid = descendants(script_pid)
            .into_iter()
            .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == skytells))
            .expect("skytells runs in the terminal");
        let status = Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status().unwrap();
        assert!(status.success(), "kill -{signal} {pid}");
    })
}

/// Every process below `pid`, nearest first.
fn descendants(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut next = vec![pid];
    while let Some(parent) = next.pop() {
        let children = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")).unwrap_or_default();
        for child in children.split_whitespace().filter_map(|child| child.parse().ok()) {
            found.push(child);
            next.push(child);
        }
    }
    found
}

/// [`in_terminal`], doing `then` (given the terminal's keyboard and the pid of `script`)
/// when `when` says instead of typing.
fn in_terminal_then(
    command: &Command,
    when: TypeWhen<'_>,
    columns: u16,
    then: impl FnOnce(&mut std::process::ChildStdin, u32),
) -> Run {
    use std::io::Read;
    let program = command.get_program().to_string_lossy().into_owned();
    let args: Vec<String> = command.get_args().map(|arg| shell_quote(&arg.to_string_lossy())).collect();
    let line = format!("stty cols {columns} rows 30; {} {}", shell_quote(&program), args.join(" "));
    let mut script = in_the_environment_of(command, "script");
    script.args(["-q", "-e", "-c", &line, "/dev/null"]);
    if command.get_envs().all(|(name, _)| name != "TERM") {
        script.env("TERM", "xterm");
    }
    let mut child = script.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (chunks_tx, chunks) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(read @ 1..) = stdout.read(&mut buffer) {
            if chunks_tx.send(buffer[..read].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let mut stdin = child.stdin.take().unwrap();
    let expected = match when {
        TypeWhen::Never => None,
        TypeWhen::Shown(text) | TypeWhen::HiddenPromptShown(text) => Some(text),
    };
    if let Some(text) = expected {
        let deadline = std::time::Instant::now() + PATIENCE;
        while !without_escapes(&String::from_utf8_lossy(&seen)).contains(text) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match chunks.recv_timeout(left) {
                Ok(chunk) => seen.extend(chunk),
                Err(_) => panic!("never shown: {text:?}; the screen had {:?}", String::from_utf8_lossy(&seen)),
            }
        }
        if let TypeWhen::HiddenPromptShown(_) = when {
            wait_for_echo_off(child.id());
        }
        then(&mut stdin, child.id());
    }
    // stdin stays open until the program ends: closing it would hang up the terminal.
    let status = child.wait().unwrap();
    drop(stdin);
    reader.join().unwrap();
    seen.extend(chunks.try_iter().flatten());
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    Run { code: status.code(), stdout: String::from_utf8_lossy(&seen).into_owned(), stderr }
}

/// Waits until the terminal that `script` (process `script_pid`) runs its command in has
/// echo switched off.
fn wait_for_echo_off(script_pid: u32) {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let children =
            std::fs::read_to_string(format!("/proc/{script_pid}/task/{script_pid}/children")).unwrap_or_default();
        let tty = children
            .split_whitespace()
            .find_map(|pid| std::fs::read_link(format!("/proc/{pid}/fd/0")).ok())
            .filter(|path| path.starts_with("/dev/pts"));
        if let Some(tty) = tty {
            let settings = Command::new("stty").arg("-F").arg(&tty).arg("-a").output().unwrap();
            if String::from_utf8_lossy(&settings.stdout).contains(" -echo ") {
                return;
            }
        }
        assert!(std::time::Instant::now() < deadline, "the terminal kept echoing");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// `text` without its terminal control sequences (`ESC [ … letter`): what a person reads.
/// Wine's console draws each character between cursor hide/show sequences, and a blank
/// as a cursor move (`ESC [ N C`), which is kept as N spaces.
pub fn without_escapes(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            plain.push(c);
        } else if chars.next() == Some('[') {
            let mut parameters = String::new();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() || c == '~' {
                    if c == 'C' {
                        plain.extend(std::iter::repeat_n(' ', parameters.parse().unwrap_or(1)));
                    }
                    break;
                }
                parameters.push(c);
            }
        }
    }
    plain
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
