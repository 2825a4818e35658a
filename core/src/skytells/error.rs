//! What the Skytells API's answers mean, stated as facts. The guide's wording, with the
//! fix for each, is in [`super::messages`].

use serde_json::Value;

use super::dialect::unwrap_envelope;
use super::Scope;
use crate::oauth::wire::{optional_str, status_failure};
use crate::RequestError;

/// Where personal access tokens are created and revoked.
pub const TOKENS_PAGE: &str = "https://console.skytells.ai/settings/tokens";

/// Where API keys for the models API are created and revoked.
pub const API_KEYS_PAGE: &str = "https://console.skytells.ai/settings/api-keys";

/// A credential that a command needs and that no variable or file supplied. The first
/// two messages are the guide's, fix included: they are what a person reads first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MissingCredential {
    /// No personal access token.
    #[error("You are not authenticated. Run `skytells login`, or set SKYTELLS_TOKEN in your environment.")]
    Token,
    /// No project access key.
    #[error("Access key required. Run `skytells link sk_proj_your_access_key`, or set SKYTELLS_ACCESS_KEY in your environment.")]
    AccessKey,
    /// No API key for the models API.
    #[error("No API key. Run `skytells api-key set`, or set SKYTELLS_API_KEY in your environment.")]
    ApiKey,
    /// Nothing is stored for this API, which is not the default one; credentials stored
    /// for other APIs are never sent to it.
    #[error("{}", not_logged_in_to(*.credential, .api_url, .origin, .elsewhere))]
    NotLoggedInTo {
        /// What was needed: [`CredentialKind::Token`] or [`CredentialKind::AccessKey`].
        credential: CredentialKind,
        /// The API's base URL, as `--api-url` would take it.
        api_url: String,
        /// Its origin.
        origin: String,
        /// The origins that do have a stored login.
        elsewhere: Vec<String>,
    },
}

/// The guide's message, for an API that is not the default one.
fn not_logged_in_to(credential: CredentialKind, api_url: &str, origin: &str, elsewhere: &[String]) -> String {
    let elsewhere = match elsewhere {
        [] => String::new(),
        origins => format!(" (stored credentials are for {} only, and go nowhere else)", origins.join(", ")),
    };
    match credential {
        CredentialKind::AccessKey => format!(
            "Access key required: no access key is linked for {origin}{elsewhere}. Run \
             `skytells link sk_proj_your_access_key --api-url {api_url}`, or set SKYTELLS_ACCESS_KEY in your environment."
        ),
        _ => format!(
            "You are not authenticated: not logged in to {origin}{elsewhere}. Run `skytells login --api-url {api_url}`, \
             or set SKYTELLS_TOKEN in your environment."
        ),
    }
}

/// Which credential a request carried, so a 401 can say which one was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialKind {
    /// A personal access token (or a device-flow access token).
    Token,
    /// A project access key.
    AccessKey,
    /// An API key for the models API (`x-api-key`).
    ApiKey,
    /// No credential.
    None,
}

/// A request to the Skytells API that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// 401 for a personal access token.
    #[error("the personal access token was refused as invalid or expired (HTTP 401)")]
    TokenRejected,
    /// 401 for a project access key.
    #[error("the project access key was refused as invalid or revoked (HTTP 401)")]
    AccessKeyRejected,
    /// 401 for an API key.
    #[error("the API key was refused as invalid or revoked (HTTP 401)")]
    ApiKeyRejected,
    /// 403: the token lacks a scope.
    #[error("the token lacks a scope this needs{} (HTTP 403)", .missing.as_deref().map(|scope| format!(" (`{scope}`)")).unwrap_or_default())]
    InsufficientScope {
        /// The scope the server said was missing, when it said.
        missing: Option<String>,
    },
    /// 403 with `code: security_violation`.
    #[error("the request was blocked as a security violation{} (HTTP 403)", detail(.message))]
    SecurityViolation {
        /// The server's explanation, sanitized.
        message: Option<String>,
    },
    /// 403 with `limit_type: plan`.
    #[error("the account's plan does not allow this{} (HTTP 403)", detail(.message))]
    PlanLimit {
        /// The server's explanation, sanitized.
        message: Option<String>,
    },
    /// Anything else: a rate limit, a server fault, a redirect, an unusable answer, no answer.
    #[error(transparent)]
    Request(#[from] RequestError),
}

impl ApiError {
    /// Whether trying again later may succeed ([`RequestError::is_transient`]).
    pub fn is_transient(&self) -> bool {
        matches!(self, ApiError::Request(error) if error.is_transient())
    }

    /// Whether the server accepted the credential itself and only refused this use of
    /// it: a genuine token that lacks a scope. Such a token is worth keeping.
    pub fn credential_is_genuine(&self) -> bool {
        matches!(self, ApiError::InsufficientScope { .. })
    }

    /// Whether the server said the credential is not valid (401).
    pub fn rejects_credential(&self) -> bool {
        matches!(self, ApiError::TokenRejected | ApiError::AccessKeyRejected | ApiError::ApiKeyRejected)
            || matches!(self, ApiError::Request(error) if error.status() == Some(401))
    }
}

fn detail(message: &Option<String>) -> String {
    message.as_deref().map(|text| format!(": {text}")).unwrap_or_default()
}

/// Maps an unsuccessful answer of the Skytells API to what it means: 401 is a rejected
/// credential, 403 is a missing scope unless the body says `code: security_violation` or
/// `limit_type: plan`, 429 is a rate limit, 5xx a server fault.
pub fn classify_failure<B: AsRef<[u8]>>(response: &http::Response<B>, credential: CredentialKind) -> ApiError {
    let body = ErrorBody::from_response(response);
    let message = body.summary().map(str::to_owned);
    match (response.status().as_u16(), credential) {
        (401, CredentialKind::Token) => ApiError::TokenRejected,
        (401, CredentialKind::AccessKey) => ApiError::AccessKeyRejected,
        (401, CredentialKind::ApiKey) => ApiError::ApiKeyRejected,
        (403, _) if body.code.as_deref() == Some("security_violation") => ApiError::SecurityViolation { message },
        (403, _) if body.limit_type.as_deref() == Some("plan") => ApiError::PlanLimit { message },
        (403, _) => {
            ApiError::InsufficientScope { missing: body.required_scope.or_else(|| scope_named_in(message.as_deref())) }
        }
        _ => ApiError::Request(status_failure(response, message)),
    }
}

/// A scope name quoted in a server message such as "requires scope keys.write".
fn scope_named_in(message: Option<&str>) -> Option<String> {
    let message = message?;
    Scope::ALL.into_iter().find(|scope| message.contains(scope.as_str())).map(|scope| scope.as_str().to_owned())
}

/// A Skytells error body: `{"error", "message"?, "details"?, "code"?, "limit_type"?}`, with
/// RFC 6749's `error_description` accepted too. Every string is sanitized for display.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ErrorBody {
    /// `error`: a code (`authorization_pending`) or, from Skytells, a short message.
    pub error: Option<String>,
    /// The best human explanation: `message`, else `error_description`, else `details`.
    pub message: Option<String>,
    /// `code`, such as `security_violation`.
    pub code: Option<String>,
    /// `limit_type`, such as `plan`.
    pub limit_type: Option<String>,
    /// The scope the server says was missing, when it says so.
    pub required_scope: Option<String>,
}

impl ErrorBody {
    /// Reads whatever error fields the body has; a body that is not a JSON object gives
    /// an empty `ErrorBody`.
    pub(crate) fn from_response<B: AsRef<[u8]>>(response: &http::Response<B>) -> Self {
        let Ok(object) = unwrap_envelope(response) else {
            return ErrorBody::default();
        };
        let text = |field: &str| optional_str(&object, field).map(crate::sanitize_for_display);
        let details = object.get("details");
        let details_text = details.and_then(Value::as_str).map(crate::sanitize_for_display);
        let details_scope = details
            .and_then(Value::as_object)
            .and_then(|details| optional_str(details, "required_scope").or_else(|| optional_str(details, "scope")));
        ErrorBody {
            error: text("error"),
            message: text("message").or_else(|| text("error_description")).or(details_text),
            code: text("code"),
            limit_type: text("limit_type"),
            required_scope: text("required_scope")
                .or_else(|| text("scope"))
                .or_else(|| details_scope.map(crate::sanitize_for_display)),
        }
    }

    /// The clearest single line the body offers.
    pub(crate) fn summary(&self) -> Option<&str> {
        self.message.as_deref().or(self.error.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn forbidden_is_a_scope_unless_the_body_says_otherwise() {
        let scope = classify_failure(&response(403, r#"{"error":"requires keys.write"}"#), CredentialKind::Token);
        assert_eq!(scope, ApiError::InsufficientScope { missing: Some("keys.write".into()) });
        let violation =
            classify_failure(&response(403, r#"{"error":"x","code":"security_violation"}"#), CredentialKind::Token);
        assert!(matches!(violation, ApiError::SecurityViolation { .. }));
        let plan = classify_failure(&response(403, r#"{"error":"x","limit_type":"plan"}"#), CredentialKind::Token);
        assert!(matches!(plan, ApiError::PlanLimit { .. }));
        let scoped = classify_failure(
            &response(403, r#"{"error":"x","details":{"required_scope":"keys.read"}}"#),
            CredentialKind::Token,
        );
        assert_eq!(scoped, ApiError::InsufficientScope { missing: Some("keys.read".into()) });
    }

    #[test]
    fn one_rule_says_what_is_transient_genuine_or_rejected() {
        let cases = [
            // (status, body, transient, genuine, rejected)
            (401, "{}", false, false, true),
            (403, r#"{"error":"requires keys.write"}"#, false, true, false),
            (403, r#"{"code":"security_violation"}"#, false, false, false),
            (408, "", true, false, false),
            (429, "", true, false, false),
            (500, "", true, false, false),
            (503, "", true, false, false),
            (400, "", false, false, false),
            (404, "", false, false, false),
        ];
        for (status, body, transient, genuine, rejected) in cases {
            let error = classify_failure(&response(status, body), CredentialKind::Token);
            assert_eq!(
                (error.is_transient(), error.credential_is_genuine(), error.rejects_credential()),
                (transient, genuine, rejected),
                "HTTP {status}: {error:?}"
            );
        }
        assert!(classify_failure(&response(401, ""), CredentialKind::AccessKey).rejects_credential());
        assert!(classify_failure(&response(401, ""), CredentialKind::None).rejects_credential());
        assert_eq!(classify_failure(&response(401, ""), CredentialKind::ApiKey), ApiError::ApiKeyRejected);
    }

    #[test]
    fn error_bodies_prefer_the_human_message_and_sanitize_it() {
        let body = ErrorBody::from_response(&response(
            403,
            r#"{"error":"forbidden","message":"no \u001b[31mway","code":"security_violation"}"#,
        ));
        assert_eq!(body.summary(), Some("no [31mway"));
        assert_eq!(body.code.as_deref(), Some("security_violation"));
    }
}
