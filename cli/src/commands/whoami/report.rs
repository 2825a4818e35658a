//! Where authentication stands: which credentials there are, where each came from, and
//! what the API says of them.

use skytells_auth::skytells::{
    messages, ApiError, ApiOrigin, CredentialProblem, FetchIdentity, Identity, Project, SecretKind, Source, Sourced,
    VerifyAccessKey,
};
use skytells_auth::Secret;

use crate::context::Context;
use crate::error::{exit, CliError};
use crate::output::{AccessKeyJson, ProjectJson, SourceJson, TokenJson, UserJson, WhoamiJson};

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

/// What is known about the access key.
pub enum KeyState {
    Valid(Project),
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
    /// What the user should hear about though the status is fine (shown on stderr).
    pub warnings: Vec<String>,
    pub error: Option<String>,
}

/// Reads the credentials and, unless `offline`, asks the API about them.
pub fn gather(context: &Context, offline: bool) -> Result<Report, CliError> {
    let store = context.store()?;
    let api = context.api()?;
    let file = context.load_for_reading(&store, true)?;
    let (resolved, troubles) =
        context.resolve(&store, file.as_ref(), &api.base, &[SecretKind::Token, SecretKind::AccessKey]);
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
        warnings: Vec::new(),
        error: None,
    };
    // The key and the token are checked at once: one round trip, not two. Offline, or
    // with nothing well-formed to check, nothing is asked.
    let key_check =
        resolved.require_access_key().ok().map(|key| VerifyAccessKey { config: &api, access_key: &key.value });
    let token_check = resolved.require_token().ok().map(|token| FetchIdentity { config: &api, token: &token.value });
    let driver = (!offline).then(|| context.driver());
    let (key_answer, identity) = match (&driver, &key_check, &token_check) {
        (None, _, _) => (None, None),
        (Some(driver), Some(key), Some(token)) => {
            let (key, identity) = driver.execute_both(key, token);
            (Some(key), Some(identity))
        }
        (Some(driver), key, token) => {
            (key.as_ref().map(|key| driver.execute(key)), token.as_ref().map(|token| driver.execute(token)))
        }
    };
    if let Some(key) = &resolved.access_key {
        let state = match (resolved.require_access_key(), key_answer) {
            (Err(problem), _) => KeyState::Rejected(problem.to_string()),
            (Ok(_), Some(Ok(project))) => KeyState::Valid(project),
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
                KeyState::Valid(project) => Some(ProjectJson::from(project)),
                _ => None,
            },
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
