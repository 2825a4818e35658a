//! Where authentication stands: which credentials there are, where each came from, and
//! what the API says of them.

use skytells_auth::skytells::{
    messages, ApiError, ApiOrigin, CredentialProblem, FetchIdentity, Identity, Project, RotationPolicy, SecretKind,
    Source, Sourced, VerifyAccessKey, VerifyApiKey, TOKENS_PAGE,
};
use skytells_auth::Secret;

use crate::commands::api_key::api_key_json;
use crate::context::Context;
use crate::error::{exit, CliError};
use crate::output::{AccessKeyJson, ProjectJson, SourceJson, TokenJson, UserJson, WhoamiJson};
use crate::together::together;

/// Version of the `--json` object; bumped only for incompatible changes.
const JSON_SCHEMA: u32 = 1;

/// Where authentication stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Authenticated,
    NotAuthenticated,
    InvalidToken,
    TokenRejected,
    /// No answer came: the connection failed or timed out. The token was not checked.
    Unreachable,
    /// An answer came, but not the account: a server fault, an error page, a body that is
    /// not the expected JSON, a redirect, a rate limit. The token was not checked.
    ServerError,
    /// `--offline`: a token is there, but nobody asked the API about it.
    Unverified,
    /// The token is kept in the system keyring, which could not be read.
    KeyringUnreadable,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Authenticated => "authenticated",
            Status::NotAuthenticated => "not_authenticated",
            Status::InvalidToken => "invalid_token",
            Status::TokenRejected => "token_rejected",
            Status::Unreachable => "unreachable",
            Status::ServerError => "server_error",
            Status::Unverified => "unverified",
            Status::KeyringUnreadable => "keyring_unreadable",
        }
    }

    pub fn exit_code(self) -> u8 {
        match self {
            Status::Authenticated | Status::Unverified => exit::OK,
            Status::Unreachable | Status::ServerError | Status::KeyringUnreadable => exit::FAILURE,
            _ => exit::AUTH,
        }
    }
}

/// What is known about the access key (with its project) or the API key (without).
pub enum KeyState {
    Valid(Option<Project>),
    Rejected(String),
    Unverified(String),
}

impl KeyState {
    fn name(&self) -> &'static str {
        match self {
            KeyState::Valid(_) => "valid",
            KeyState::Rejected(_) => "rejected",
            KeyState::Unverified(_) => "unverified",
        }
    }
}

pub struct Report {
    pub status: Status,
    pub api_url: String,
    /// The origin stored credentials must belong to, to be used here.
    pub origin: ApiOrigin,
    /// Other origins with a stored login (never used for this API).
    pub elsewhere: Vec<ApiOrigin>,
    pub credentials_file: String,
    pub user: Option<Identity>,
    pub token: Option<Sourced<Secret>>,
    pub scopes: Option<Vec<String>>,
    pub access_key: Option<(Sourced<Secret>, KeyState)>,
    /// The access key is kept in the system keyring, which could not be read.
    pub access_key_unread: bool,
    /// When the stored token and access key were saved (`created_at`), when they are the
    /// ones in use.
    pub token_saved_at: Option<u64>,
    pub access_key_saved_at: Option<u64>,
    /// The models API and its key.
    pub models_api_url: String,
    pub models_origin: ApiOrigin,
    pub api_key: Option<(skytells_auth::skytells::ResolvedApiKey, KeyState)>,
    /// The API key is kept in the system keyring, which could not be read: why.
    pub api_key_unread: Option<String>,
    /// Lines reminding to rotate old credentials (stderr in text, never in JSON).
    pub reminders: Vec<String>,
    /// Now, in ms since 1970, for the ages shown.
    pub now_ms: u64,
    pub rotation: RotationPolicy,
    /// What the user should hear about though the status is fine (shown on stderr).
    pub warnings: Vec<String>,
    pub error: Option<String>,
}

/// Reads the credentials and, unless `offline`, asks the API about them.
pub fn gather(context: &Context, offline: bool) -> Result<Report, CliError> {
    let store = context.store()?;
    let api = context.api()?;
    let models = context.models_api()?;
    let rotation = RotationPolicy::from_env(&context.env).map_err(|error| CliError::usage(error.to_string()))?;
    let file = context.load_for_reading(&store, true)?;
    let (resolved, troubles) =
        context.resolve(&store, file.as_ref(), &api.base, &[SecretKind::Token, SecretKind::AccessKey]);
    let (api_key, api_key_trouble) = context.resolve_api_key(&store, file.as_ref(), &models.base);
    let created_at = file.as_ref().and_then(|file| file.login_for(&api.base.origin()).created_at);
    let stored = |source: Option<Source>| created_at.filter(|_| matches!(source, Some(Source::File | Source::Keyring)));
    let mut report = Report {
        status: Status::NotAuthenticated,
        api_url: api.base.as_str().to_owned(),
        origin: api.base.origin(),
        elsewhere: resolved.elsewhere.clone(),
        credentials_file: context.display_path(&store.file_for(&api.base.origin())),
        user: None,
        token: resolved.token.clone(),
        scopes: resolved.scopes.clone(),
        access_key: None,
        access_key_unread: troubles.iter().any(|trouble| trouble.kind == SecretKind::AccessKey),
        token_saved_at: stored(resolved.token.as_ref().map(|token| token.source)),
        access_key_saved_at: stored(resolved.access_key.as_ref().map(|key| key.source)),
        models_api_url: models.base.as_str().to_owned(),
        models_origin: models.base.origin(),
        api_key: None,
        api_key_unread: api_key_trouble.as_ref().map(|trouble| trouble.message.clone()),
        reminders: Vec::new(),
        now_ms: context.now_ms(),
        rotation,
        warnings: Vec::new(),
        error: None,
    };
    // The key and the token are checked at once: one round trip, not two. Offline, or
    // with nothing well-formed to check, nothing is asked.
    let key_check =
        resolved.require_access_key().ok().map(|key| VerifyAccessKey { config: &api, access_key: &key.value });
    let token_check = resolved.require_token().ok().map(|token| FetchIdentity { config: &api, token: &token.value });
    // The models API's key goes to the models API only, in the same round trip.
    let api_key_check = api_key.require().ok().map(|key| VerifyApiKey { config: &models, api_key: &key.value });
    let driver = (!offline).then(|| context.driver());
    let (api_key_answer, (key_answer, identity)) = together(
        || match (&driver, &api_key_check) {
            (Some(driver), Some(check)) => Some(driver.execute(check)),
            _ => None,
        },
        || match (&driver, &key_check, &token_check) {
            (None, _, _) => (None, None),
            (Some(driver), Some(key), Some(token)) => {
                let (key, identity) = driver.execute_both(key, token);
                (Some(key), Some(identity))
            }
            (Some(driver), key, token) => {
                (key.as_ref().map(|key| driver.execute(key)), token.as_ref().map(|token| driver.execute(token)))
            }
        },
    );
    if api_key.api_key.is_some() {
        let state = match (api_key.require(), api_key_answer) {
            (Err(problem), _) => KeyState::Rejected(problem.to_string()),
            (Ok(_), Some(Ok(()))) => KeyState::Valid(None),
            (Ok(_), Some(Err(error))) if error.rejects_credential() => KeyState::Rejected(messages::api_error(&error)),
            (Ok(_), Some(Err(error))) => KeyState::Unverified(messages::api_error(&error)),
            (Ok(_), None) => KeyState::Unverified("not checked (--offline)".to_owned()),
        };
        if let KeyState::Rejected(reason) = &state {
            report.warnings.push(format!("the API key was not accepted: {reason}"));
        }
        report.api_key = Some((api_key, state));
    }
    if let Some(message) = &report.api_key_unread {
        report.warnings.push(message.clone());
    }
    report.reminders = reminders(&report);
    if let Some(key) = &resolved.access_key {
        let state = match (resolved.require_access_key(), key_answer) {
            (Err(problem), _) => KeyState::Rejected(problem.to_string()),
            (Ok(_), Some(Ok(project))) => KeyState::Valid(Some(project)),
            (Ok(_), Some(Err(error))) if error.rejects_credential() => KeyState::Rejected(messages::api_error(&error)),
            (Ok(_), Some(Err(error))) => KeyState::Unverified(messages::api_error(&error)),
            (Ok(_), None) => KeyState::Unverified("not checked (--offline)".to_owned()),
        };
        report.access_key = Some((key.clone(), state));
    }
    let token_trouble = troubles.iter().find(|trouble| trouble.kind == SecretKind::Token);
    let key_trouble = troubles.iter().find(|trouble| trouble.kind == SecretKind::AccessKey);
    match (resolved.require_token(), identity) {
        // Everything else is still reported: the keyring blocks only what is in it.
        (Err(_), _) if token_trouble.is_some() => {
            report.status = Status::KeyringUnreadable;
            report.error = token_trouble.map(|trouble| trouble.message.clone());
        }
        (Err(problem), _) => settle_problem(&mut report, problem),
        // Offline: well-formed, but nobody asked the API.
        (Ok(_), None) => report.status = Status::Unverified,
        (Ok(_), Some(Ok(identity))) => {
            report.status = Status::Authenticated;
            report.user = Some(identity);
        }
        // Genuine but narrow: it lacks the scope to read the account.
        (Ok(_), Some(Err(error))) if error.credential_is_genuine() => {
            report.status = Status::Authenticated;
            report.error = Some(messages::api_error(&error));
        }
        (Ok(_), Some(Err(error))) if error.rejects_credential() => {
            report.status = Status::TokenRejected;
            report.error = Some(messages::api_error(&error));
        }
        (Ok(_), Some(Err(error))) => {
            report.status = if answered(&error) { Status::ServerError } else { Status::Unreachable };
            report.error = Some(messages::api_error(&error));
        }
    }
    if let Some(trouble) = key_trouble {
        report.warnings.push(trouble.message.clone());
        if report.error.is_none() {
            report.error = Some(trouble.message.clone());
        }
    }
    Ok(report)
}

/// One line per stored credential in use that is older than the rotation threshold.
fn reminders(report: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    let due = |saved_at: Option<u64>| saved_at.map(|at| report.rotation.age(at, report.now_ms)).filter(|age| age.due);
    if let Some(age) = due(report.token_saved_at) {
        lines.push(format!(
            "your token was {age}; rotate tokens regularly: create a new one at {TOKENS_PAGE}, run `skytells login --token`, then revoke the old one (SKYTELLS_ROTATE_DAYS=0 turns this off)"
        ));
    } else if let Some(age) = due(report.access_key_saved_at) {
        lines.push(format!(
            "your access key was {age}; rotate it regularly: create a new one in your project's Settings, run `skytells link`, then revoke the old one (SKYTELLS_ROTATE_DAYS=0 turns this off)"
        ));
    }
    if let Some(age) = due(report.api_key.as_ref().and_then(|(key, _)| key.saved_at)) {
        lines.push(format!(
            "your API key was {age}; rotate it regularly: create a new one at {}, run `skytells api-key set`, then revoke the old one (SKYTELLS_ROTATE_DAYS=0 turns this off)",
            skytells_auth::skytells::API_KEYS_PAGE
        ));
    }
    lines
}

/// Whether the API answered at all (with something other than the account): a fault on
/// its side, not the network's.
fn answered(error: &ApiError) -> bool {
    match error {
        ApiError::Request(error) => error.status().is_some(),
        _ => true,
    }
}

fn settle_problem(report: &mut Report, problem: CredentialProblem) {
    report.status = match problem {
        CredentialProblem::Missing(_) => Status::NotAuthenticated,
        _ => Status::InvalidToken,
    };
    report.error = Some(problem.to_string());
}

impl<'a> From<&'a Report> for WhoamiJson<'a> {
    fn from(report: &'a Report) -> Self {
        let access_key = report.access_key.as_ref().map(|(key, state)| AccessKeyJson {
            prefix: key.value.redacted(),
            source: SourceJson::from(key.source),
            stored_for: stored_for(key.source, &report.origin),
            status: state.name(),
            project: match state {
                KeyState::Valid(Some(project)) => Some(ProjectJson::from(project)),
                _ => None,
            },
            saved_at: report.access_key_saved_at,
            error: match state {
                KeyState::Valid(_) => None,
                KeyState::Rejected(reason) | KeyState::Unverified(reason) => Some(reason),
            },
        });
        WhoamiJson {
            schema: JSON_SCHEMA,
            authenticated: report.status == Status::Authenticated,
            status: report.status.name(),
            api_url: &report.api_url,
            credentials_file: &report.credentials_file,
            user: report.user.as_ref().map(UserJson::from),
            token: report.token.as_ref().map(|token| TokenJson {
                prefix: token.value.redacted(),
                source: SourceJson::from(token.source),
                stored_for: stored_for(token.source, &report.origin),
                scopes: report.scopes.as_deref(),
                saved_at: report.token_saved_at,
            }),
            models_api_url: &report.models_api_url,
            api_key: report.api_key.as_ref().and_then(|(key, state)| {
                let error = match state {
                    KeyState::Valid(_) => None,
                    KeyState::Rejected(reason) | KeyState::Unverified(reason) => Some(reason.as_str()),
                };
                api_key_json(key, &report.models_origin, state.name(), error)
            }),
            access_key,
            other_logins: report.elsewhere.iter().map(ApiOrigin::as_str).collect(),
            error: report.error.as_deref(),
        }
    }
}

/// The origin a credential from the file was stored for; `None` for one from the
/// environment, which goes to whichever API is named.
pub fn stored_for(source: Source, origin: &ApiOrigin) -> Option<&str> {
    matches!(source, Source::File | Source::Keyring).then_some(origin.as_str())
}
