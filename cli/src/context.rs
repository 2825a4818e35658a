//! What every command needs, gathered once: environment, paths, API, terminal.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use skytells_auth::skytells::{
    credentials_path, resolve_api_base, resolve_api_key, resolve_credentials, resolve_limits, resolve_models_base,
    variable_name, vars, ApiBase, ApiConfig, Credentials, EnvSnapshot, FlagOverrides, Resolved, ResolvedApiKey,
    SecretKind, Source,
};
use skytells_auth::Secret;
use skytells_auth_blocking::BlockingDriver;
use skytells_auth_store::{CredentialStore, StoreError, StoreWarning};

use crate::args::{Cli, ColorChoice};
use crate::error::{describe_store_error, CliError};
use crate::keyring;
use crate::terminal::{Spinner, Terminal};

/// The process's view of the world, for one command.
#[derive(Debug)]
pub struct Context {
    /// Variables the core reads.
    pub env: EnvSnapshot,
    /// Command-line overrides.
    pub flags: FlagOverrides,
    /// Other variables the CLI reads (browser, display, colour).
    pub process_env: HashMap<String, String>,
    /// Terminal facts.
    pub terminal: Terminal,
    /// `--quiet`: only errors and what a login needs shown.
    pub quiet: bool,
}

impl Context {
    /// Reads the environment once.
    pub fn new(cli: &Cli) -> Self {
        // Keyed as the system compares names (on Windows, regardless of case).
        let process_env: HashMap<String, String> = std::env::vars_os()
            .filter_map(|(name, value)| {
                let name = variable_name(name.to_str()?).into_owned();
                Some((name, value.to_string_lossy().into_owned()))
            })
            .collect();
        // The core's variables straight from the OS, so folders that are not UTF-8 stay
        // exactly as given.
        let env = EnvSnapshot::from_pairs(std::env::vars_os());
        let flags = FlagOverrides::new(cli.api_url.clone(), cli.config_dir.clone());
        let no_color = process_env.get("NO_COLOR").is_some_and(|value| !value.is_empty());
        let dumb = process_env.get("TERM").is_some_and(|term| term == "dumb");
        let color = match cli.color {
            ColorChoice::Auto => None,
            ColorChoice::Always => Some(true),
            ColorChoice::Never => Some(false),
        };
        Context { env, flags, process_env, terminal: Terminal::detect(color, no_color, dumb), quiet: cli.quiet }
    }

    /// Prints a line of a command's result, unless `--quiet`.
    pub fn say(&self, line: impl std::fmt::Display) -> Result<(), CliError> {
        if self.quiet {
            return Ok(());
        }
        self.write_stdout(format!("{line}\n").as_bytes())
    }

    /// Prints a command's result as pretty JSON.
    pub fn print_json(&self, value: &impl serde::Serialize) -> Result<(), CliError> {
        let mut text = serde_json::to_string_pretty(value)
            .map_err(|error| CliError::failure(format!("could not write JSON: {error}")))?;
        text.push('\n');
        self.write_stdout(text.as_bytes())
    }

    /// Writes to standard output: every result goes through here. A reader that went
    /// away (`skytells whoami --json | head -1`) is not an error worth a word.
    pub fn write_stdout(&self, bytes: &[u8]) -> Result<(), CliError> {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
            Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(CliError::failure(format!("could not write to standard output: {error}")))
            }
            _ => Ok(()),
        }
    }

    /// A progress line: a spinner on a terminal, a plain line otherwise, nothing if `--quiet`.
    pub fn progress(&self, message: &str) -> Option<Spinner> {
        if self.quiet {
            return None;
        }
        self.terminal.spinner(message)
    }

    /// A variable other than the core's, when set and non-empty.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.process_env.get(variable_name(name).as_ref()).map(String::as_str).filter(|value| !value.is_empty())
    }

    /// The credentials file. A rewrite that waits for another process's lock says so.
    pub fn store(&self) -> Result<CredentialStore, CliError> {
        let store = CredentialStore::new(credentials_path(&self.flags, &self.env)?).with_keyring(keyring::system());
        if self.quiet {
            return Ok(store);
        }
        let warning = self.terminal.yellow("warning:");
        Ok(store.on_lock_wait(move |lock| {
            eprintln!("{warning} waiting for another skytells process to finish writing (lock {})", lock.display())
        }))
    }

    /// The API to talk to, and the limits to talk under.
    pub fn api(&self) -> Result<ApiConfig, CliError> {
        let limits = resolve_limits(&self.env).map_err(|error| CliError::usage(error.to_string()))?;
        Ok(ApiConfig::new(self.api_base()?).with_limits(limits))
    }

    /// The models API (`SKYTELLS_AI_API_URL`, default `https://api.skytells.ai/v1`), where the
    /// API key goes, and the limits to talk under.
    pub fn models_api(&self) -> Result<ApiConfig, CliError> {
        let limits = resolve_limits(&self.env).map_err(|error| CliError::usage(error.to_string()))?;
        let base = resolve_models_base(&self.env)
            .map_err(|error| CliError::usage(format!("SKYTELLS_AI_API_URL is not usable: {error}")))?
            .value;
        if base.origin().is_default() {
            // credentials.json's top level there holds the console's login, and its
            // `api_key` is the default models API's: a key for this origin has no place.
            return Err(CliError::usage(format!(
                "SKYTELLS_AI_API_URL names the Skytells console ({}), not the models API; unset it to use https://api.skytells.ai/v1",
                base.origin()
            )));
        }
        Ok(ApiConfig::new(base).with_limits(limits))
    }

    /// The API key for the models API `models`: `SKYTELLS_API_KEY`, or the stored one
    /// (read from the system keyring when the file says it is there). A keyring that
    /// could not be read is named with what to do.
    pub fn resolve_api_key(
        &self,
        store: &CredentialStore,
        file: Option<&Credentials>,
        models: &ApiBase,
    ) -> (ResolvedApiKey, Option<KeyringTrouble>) {
        let mut resolved = resolve_api_key(&self.env, file, models);
        let origin = models.origin();
        let mut trouble = None;
        if resolved.in_keyring.is_some() {
            let kind = SecretKind::ApiKey;
            match store.read_keyring_secret(&origin, kind) {
                Ok(found) => {
                    if found.is_none() {
                        self.warn(format!(
                            "the credentials file says the API key for {origin} is in the system keyring, but the keyring has none there"
                        ));
                    }
                    resolved.found_in_keyring(found);
                }
                Err(error) => {
                    let advice = error.keyring_error().map(|problem| keyring::read_advice(kind, problem));
                    let cause = error.keyring_error().map(ToString::to_string).unwrap_or_else(|| error.to_string());
                    trouble = Some(KeyringTrouble {
                        kind,
                        message: format!(
                            "the API key for {origin} is kept in the system keyring, which could not be read: {cause}. {}.",
                            advice.unwrap_or_default()
                        ),
                    });
                }
            }
        }
        (resolved, trouble)
    }

    /// The API named by `--api-url`, `SKYTELLS_API_URL` or the default: whose stored
    /// credentials a command may use.
    pub fn api_base(&self) -> Result<ApiBase, CliError> {
        Ok(resolve_api_base(&self.flags, &self.env)?.value)
    }

    /// An HTTP driver; built only by commands that make requests.
    pub fn driver(&self) -> BlockingDriver {
        BlockingDriver::new()
    }

    /// The credentials to use for `api`, given what the files hold, reading from the
    /// system keyring the secrets of `wanted` kinds that the file says are kept there.
    /// Each secret the keyring could not give is named with its problem and what to do,
    /// so a command that needs only the other one still works.
    pub fn resolve(
        &self,
        store: &CredentialStore,
        file: Option<&Credentials>,
        api: &ApiBase,
        wanted: &[SecretKind],
    ) -> (Resolved, Vec<KeyringTrouble>) {
        let mut resolved = resolve_credentials(&self.env, file, api);
        let origin = api.origin();
        let mut troubles = Vec::new();
        let mut read = |marked: bool, kind: SecretKind| -> Option<Secret> {
            if !marked || !wanted.contains(&kind) {
                return None;
            }
            let what = keyring::what(kind);
            match store.read_keyring_secret(&origin, kind) {
                Ok(Some(secret)) => Some(secret),
                Ok(None) => {
                    self.warn(format!(
                        "the credentials file says the {what} for {origin} is in the system keyring, but the keyring has none there"
                    ));
                    None
                }
                Err(error) => {
                    let advice = error.keyring_error().map(|problem| keyring::read_advice(kind, problem));
                    let cause = error.keyring_error().map(ToString::to_string).unwrap_or_else(|| error.to_string());
                    troubles.push(KeyringTrouble {
                        kind,
                        message: format!(
                            "the {what} for {origin} is kept in the system keyring, which could not be read: {cause}. {}.",
                            advice.unwrap_or_default()
                        ),
                    });
                    None
                }
            }
        };
        let token = read(resolved.token_in_keyring.is_some(), SecretKind::Token);
        let key = read(resolved.access_key_in_keyring.is_some(), SecretKind::AccessKey);
        resolved.found_in_keyring(token, key);
        (resolved, troubles)
    }

    /// Milliseconds since the Unix epoch, for `created_at`.
    pub fn now_ms(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_millis() as u64).unwrap_or(0)
    }

    /// `path` with the home folder shown as `~`.
    pub fn display_path(&self, path: &Path) -> String {
        if let Some(home) = self.var(vars::HOME) {
            if let Ok(rest) = path.strip_prefix(home) {
                return PathBuf::from("~").join(rest).display().to_string();
            }
        }
        path.display().to_string()
    }

    /// Prints a warning on stderr, unless `--quiet`.
    pub fn warn(&self, message: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{} {message}", self.terminal.yellow("warning:"));
        }
    }

    /// The stored credentials, for a command that only reads them. A file that cannot be
    /// used is only a warning when the environment supplies the credentials (they win
    /// anyway), or, with `corrupt_is_warning`, when it is merely unparsable.
    pub fn load_for_reading(
        &self,
        store: &CredentialStore,
        corrupt_is_warning: bool,
    ) -> Result<Option<Credentials>, CliError> {
        match store.load() {
            Ok((credentials, warnings)) => {
                self.warn_all(&warnings);
                Ok(credentials)
            }
            Err(error) => {
                let from_env =
                    self.env.token().is_some() || self.env.access_key().is_some() || self.env.api_key().is_some();
                if from_env
                    || (corrupt_is_warning && matches!(error, StoreError::Corrupt { .. } | StoreError::TooLarge { .. }))
                {
                    self.warn(describe_store_error(&error));
                    Ok(None)
                } else {
                    Err(error.into())
                }
            }
        }
    }

    /// Prints the store's warnings.
    pub fn warn_all(&self, warnings: &[StoreWarning]) {
        for warning in warnings {
            self.warn(warning);
        }
    }

    /// Warns that `variable` (named `name`), when set, will keep overriding the `what` a
    /// command stores.
    pub fn warn_if_env_overrides(&self, variable: Option<&Secret>, name: &str, what: &str) {
        if variable.is_some() {
            self.warn(format!(
                "{name} is set in your environment; it takes precedence over the stored {what} until you unset it"
            ));
        }
    }
}

/// A secret the file says is in the keyring, which could not be read from there.
#[derive(Debug, Clone)]
pub struct KeyringTrouble {
    /// Which secret.
    pub kind: SecretKind,
    /// What happened and what to do, for a person.
    pub message: String,
}

/// How a credential's origin is named to people.
pub fn describe_source(source: Source) -> String {
    match source {
        Source::Env(name) => name.to_owned(),
        other => other.to_string(),
    }
}
