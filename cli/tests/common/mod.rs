//! Runs the real `skytells` binary in a clean environment against an emulator.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use skytells_emulator::{Emulator, Scenario};
use tempfile::TempDir;

/// A valid token the emulator accepts when registered.
pub fn token(fill: &str) -> String {
    format!("sk_pat_{}", fill.repeat(64 / fill.len()))
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

    pub fn config_dir(&self) -> PathBuf {
        self.home.path().join("config")
    }

    pub fn credentials(&self) -> PathBuf {
        self.config_dir().join("credentials.json")
    }

    /// `skytells ARGS` with nothing from the test's own environment but PATH.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_skytells"));
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
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap().into()
    }

    /// `skytells ARGS` with `stdin`.
    pub fn run(&self, args: &[&str], stdin: &str) -> Run {
        self.run_command(self.command(args), stdin)
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

    pub fn read_credentials(&self) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.credentials()).unwrap()).unwrap()
    }

    /// A shell script that records the URL it is called with, for `BROWSER`.
    pub fn browser_recorder(&self) -> (PathBuf, PathBuf) {
        let script = self.home.path().join("browser.sh");
        let record = self.home.path().join("opened-url");
        std::fs::write(&script, format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", record.display())).unwrap();
        set_mode(&script, 0o755);
        (script, record)
    }
}

pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Runs `command` inside a pseudo-terminal (util-linux `script`) `columns` wide (0 for a
/// terminal that reports no size), typing `input`. Returns the terminal transcript: what
/// a person would have seen.
pub fn in_terminal(command: &Command, input: &str, columns: u16) -> Run {
    let program = command.get_program().to_string_lossy().into_owned();
    let args: Vec<String> = command.get_args().map(|arg| shell_quote(&arg.to_string_lossy())).collect();
    let line = format!("stty cols {columns} rows 30; {} {}", shell_quote(&program), args.join(" "));
    let mut script = Command::new("script");
    script.args(["-q", "-e", "-c", &line, "/dev/null"]).env_clear();
    for (name, value) in command.get_envs() {
        if let Some(value) = value {
            script.env(name, value);
        }
    }
    script.env("TERM", "xterm");
    let mut child = script.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Type slowly enough that the program is at its prompt before the line arrives.
    std::thread::sleep(std::time::Duration::from_millis(600));
    stdin.write_all(input.as_bytes()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(600));
    drop(stdin);
    child.wait_with_output().unwrap().into()
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
