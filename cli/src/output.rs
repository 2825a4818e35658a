//! The `--json` outputs: one type per shape, each serialised in one place, so that the
//! same object (a user, a project, a secret's prefix) reads the same in every command.
//! Field order is the order written here.

use serde::Serialize;
use skytells_auth::skytells::{Identity, Project, Source};
use skytells_auth::Secret;

/// An account.
#[derive(Debug, Serialize)]
pub struct UserJson<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
}

impl<'a> From<&'a Identity> for UserJson<'a> {
    fn from(user: &'a Identity) -> Self {
        UserJson { id: &user.id, name: user.name.as_deref(), email: user.email.as_deref() }
    }
}

/// A project an access key belongs to.
#[derive(Debug, Serialize)]
pub struct ProjectJson<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub slug: Option<&'a str>,
}

impl<'a> From<&'a Project> for ProjectJson<'a> {
    fn from(project: &'a Project) -> Self {
        ProjectJson { id: &project.id, name: project.name.as_deref(), slug: project.slug.as_deref() }
    }
}

/// A secret, shown only by its short prefix.
#[derive(Debug, Serialize)]
pub struct PrefixJson {
    pub prefix: String,
}

impl From<&Secret> for PrefixJson {
    fn from(secret: &Secret) -> Self {
        PrefixJson { prefix: secret.redacted() }
    }
}

/// Where a credential came from.
#[derive(Debug, Serialize)]
pub struct SourceJson {
    pub kind: &'static str,
    pub name: Option<&'static str>,
}

impl From<Source> for SourceJson {
    fn from(source: Source) -> Self {
        match source {
            Source::Env(name) => SourceJson { kind: "env", name: Some(name) },
            Source::File => SourceJson { kind: "file", name: None },
            Source::Keyring => SourceJson { kind: "keyring", name: None },
            Source::Flag(name) => SourceJson { kind: "flag", name: Some(name) },
            _ => SourceJson { kind: "default", name: None },
        }
    }
}

/// `skytells login --json`.
#[derive(Debug, Serialize)]
pub struct LoginJson<'a> {
    pub status: &'static str,
    pub user: Option<UserJson<'a>>,
    pub token: PrefixJson,
    pub scopes: Option<&'a [String]>,
    pub credentials_file: &'a str,
    /// `file`, or `keyring` (the file then holds only a marker).
    pub stored_in: &'static str,
}

/// `skytells link --json`.
#[derive(Debug, Serialize)]
pub struct LinkJson<'a> {
    pub project: ProjectJson<'a>,
    pub access_key: PrefixJson,
    pub credentials_file: &'a str,
    /// `file`, or `keyring` (the file then holds only a marker).
    pub stored_in: &'static str,
}

/// `skytells logout --json`.
#[derive(Debug, Serialize)]
pub struct LogoutJson<'a> {
    pub logged_out: bool,
    /// The origin logged out of, or `all`.
    pub api: &'a str,
    pub credentials_file: &'a str,
    /// Other files removed because they could hold a secret (backups, temporary files).
    pub removed_files: &'a [String],
    /// Origins whose logins stay.
    pub still_logged_in_to: &'a [&'a str],
    /// Whether everything asked for is gone: false when a secret in the system keyring
    /// could not be deleted (its login then stays, and is listed in `kept_in_keyring`).
    pub complete: bool,
    /// Keyring entries that could not be deleted, as `<kind> <origin>`.
    pub kept_in_keyring: &'a [String],
    /// Models APIs whose API key stays (a logout of one API keeps API keys).
    pub api_keys_kept: &'a [&'a str],
    /// Models APIs whose API key was removed (`--all`).
    pub api_keys_removed: &'a [&'a str],
}

/// `skytells whoami --json` (and `auth status --json`).
#[derive(Debug, Serialize)]
pub struct WhoamiJson<'a> {
    pub schema: u32,
    pub authenticated: bool,
    pub status: &'static str,
    pub api_url: &'a str,
    pub credentials_file: &'a str,
    pub user: Option<UserJson<'a>>,
    pub token: Option<TokenJson<'a>>,
    pub access_key: Option<AccessKeyJson<'a>>,
    /// Other APIs (origins) with a stored login; never used for this one.
    pub other_logins: Vec<&'a str>,
    /// The models API the API key is for.
    pub models_api_url: &'a str,
    pub api_key: Option<ApiKeyJson<'a>>,
    pub error: Option<&'a str>,
}

/// The token in `whoami --json`.
#[derive(Debug, Serialize)]
pub struct TokenJson<'a> {
    pub prefix: String,
    pub source: SourceJson,
    /// The origin a stored token belongs to; `null` for one from the environment.
    pub stored_for: Option<&'a str>,
    pub scopes: Option<&'a [String]>,
    /// When the stored token was saved (`created_at`, ms since 1970); null otherwise.
    pub saved_at: Option<u64>,
}

/// The access key in `whoami --json`.
#[derive(Debug, Serialize)]
pub struct AccessKeyJson<'a> {
    pub prefix: String,
    pub source: SourceJson,
    /// The origin a stored key belongs to; `null` for one from the environment.
    pub stored_for: Option<&'a str>,
    pub status: &'static str,
    pub project: Option<ProjectJson<'a>>,
    pub error: Option<&'a str>,
    /// When the stored key was saved (`created_at`, ms since 1970); null otherwise.
    pub saved_at: Option<u64>,
}

/// An API key, never whole: `prefix` as for the other secrets (only `…`, since API keys
/// have no public prefix) and `masked`, its last four characters when it is long enough.
#[derive(Debug, Serialize)]
pub struct ApiKeyJson<'a> {
    pub prefix: String,
    pub masked: String,
    pub source: SourceJson,
    /// The models API origin a stored key belongs to; `null` for one from the environment.
    pub stored_for: Option<&'a str>,
    /// When it was saved (milliseconds since 1970), when known.
    pub saved_at: Option<u64>,
    /// `valid`, `rejected`, or `unverified` (not checked).
    pub status: &'static str,
    pub error: Option<&'a str>,
}

/// `skytells api-key status --json`.
#[derive(Debug, Serialize)]
pub struct ApiKeyStatusJson<'a> {
    pub models_api_url: &'a str,
    pub credentials_file: &'a str,
    pub api_key: Option<ApiKeyJson<'a>>,
    pub error: Option<&'a str>,
}

/// `skytells api-key set --json`.
#[derive(Debug, Serialize)]
pub struct ApiKeySetJson<'a> {
    pub status: &'static str,
    pub models_api_url: &'a str,
    pub api_key: ApiKeyPrefixJson,
    pub credentials_file: &'a str,
    /// `file`, or `keyring` (the file then holds only a marker).
    pub stored_in: &'static str,
}

/// An API key's shown parts.
#[derive(Debug, Serialize)]
pub struct ApiKeyPrefixJson {
    pub prefix: String,
    pub masked: String,
}

impl From<&Secret> for ApiKeyPrefixJson {
    fn from(secret: &Secret) -> Self {
        ApiKeyPrefixJson { prefix: secret.redacted(), masked: skytells_auth::skytells::mask_api_key(secret) }
    }
}

/// `skytells api-key rm --json`.
#[derive(Debug, Serialize)]
pub struct ApiKeyRmJson<'a> {
    pub removed: bool,
    pub models_api: &'a str,
    pub credentials_file: &'a str,
    /// Where the key was: `file`, `keyring`, or null when none was stored.
    pub was_in: Option<&'static str>,
    pub deleted_from_keyring: bool,
}
