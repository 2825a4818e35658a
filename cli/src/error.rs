//! Failures and the exit status each one maps to.

use skytells_auth::skytells::{messages, ApiError, ApiUrlError, CredentialProblem, NoConfigDir, ScopeError};
use skytells_auth::RequestError;
use skytells_auth_store::StoreError;

/// Exit statuses, as documented in README.md.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Something failed (network, server, file system, a denied or expired login).
    pub const FAILURE: u8 = 1;
    /// The command line was wrong, or a needed confirmation could not be asked for.
    pub const USAGE: u8 = 2;
    /// Not authenticated, or the credential was rejected or lacks a scope.
    pub const AUTH: u8 = 4;
    /// Interrupted with Ctrl-C.
    pub const INTERRUPTED: u8 = 130;
}

/// A message for the user and the exit status that goes with it.
#[derive(Debug)]
pub struct CliError {
    /// What happened and what to do.
    pub message: String,
    /// The exit status.
    pub code: u8,
}

impl CliError {
    /// A general failure.
    pub fn failure(message: impl Into<String>) -> Self {
        CliError { message: message.into(), code: exit::FAILURE }
    }

    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError { message: message.into(), code: exit::USAGE }
    }

    /// An authentication problem.
    pub fn auth(message: impl Into<String>) -> Self {
        CliError { message: message.into(), code: exit::AUTH }
    }
}

impl From<ApiError> for CliError {
    fn from(error: ApiError) -> Self {
        CliError { message: messages::api_error(&error), code: api_exit_code(&error) }
    }
}

/// A refused or too narrow credential is an authentication problem (4); anything else
/// that went wrong with a request is a failure (1).
pub fn api_exit_code(error: &ApiError) -> u8 {
    if error.rejects_credential() || error.credential_is_genuine() {
        exit::AUTH
    } else {
        exit::FAILURE
    }
}

/// The same for a request of the device flow: a 401 there is an authentication problem.
pub fn request_exit_code(error: &RequestError) -> u8 {
    if error.status() == Some(401) {
        exit::AUTH
    } else {
        exit::FAILURE
    }
}

/// The store's fact, with the Skytells advice for it.
pub fn describe_store_error(error: &StoreError) -> String {
    match error {
        StoreError::Corrupt { .. } => messages::unreadable_credentials(error),
        StoreError::NotAFile { .. } => messages::credentials_path_taken(error),
        StoreError::LockTimeout { .. } if cfg!(windows) => {
            format!("{error}. If no other skytells command is running, a stuck one holds it: end skytells.exe in Task Manager")
        }
        StoreError::LockTimeout { path, .. } => format!(
            "{error}. If no other skytells command is running, a stuck process holds it: find it with `fuser {}`",
            path.display()
        ),
        StoreError::HeldOpen { .. } => {
            format!("{error}. Close that program (an editor, a backup or antivirus tool) and try again")
        }
        StoreError::UnsafeFolder { .. } => format!("{error}; choose a folder of your own with SKYTELLS_CONFIG_DIR"),
        other => with_causes(other),
    }
}

/// An error's message followed by each of its causes, as one line.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(&format!(": {next}"));
        cause = next.source();
    }
    text
}

impl From<CredentialProblem> for CliError {
    fn from(problem: CredentialProblem) -> Self {
        CliError::auth(problem.to_string())
    }
}

impl From<StoreError> for CliError {
    fn from(error: StoreError) -> Self {
        CliError::failure(describe_store_error(&error))
    }
}

impl From<ApiUrlError> for CliError {
    fn from(error: ApiUrlError) -> Self {
        CliError::usage(format!("invalid API URL (from --api-url or SKYTELLS_API_URL): {error}"))
    }
}

impl From<NoConfigDir> for CliError {
    fn from(error: NoConfigDir) -> Self {
        CliError::failure(error.to_string())
    }
}

impl From<ScopeError> for CliError {
    fn from(error: ScopeError) -> Self {
        CliError::usage(format!("--scopes: {error}"))
    }
}
