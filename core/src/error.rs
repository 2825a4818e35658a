//! Errors users see, worded as the troubleshooting section of the Skytells CLI
//! authentication guide words them (the user-facing documentation of `skytells login`,
//! `link`, `whoami` and `logout` that this crate implements), each followed by the fix.

use std::time::Duration;

use crate::wire::{BodyError, ErrorBody};
use crate::{Scope, TransportError};

/// Where personal access tokens are created and revoked.
pub const TOKENS_PAGE: &str = "https://console.skytells.ai/settings/tokens";

/// A credential that a command needs and that no flag, variable or file supplied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MissingCredential {
    /// No personal access token.
    #[error("You are not authenticated. Run `skytells login`, or set SKYTELLS_TOKEN in your environment.")]
    Token,
    /// No project access key.
    #[error("Access key required. Run `skytells link sk_proj_your_access_key`, or set SKYTELLS_ACCESS_KEY in your environment.")]
    AccessKey,
}

/// Which credential a request carried, so a 401 can say which one was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A personal access token (or a device-flow access token).
    Token,
    /// A project access key.
    AccessKey,
    /// No credential (device authorization and token polling).
    None,
}

/// A request that reached the API and did not succeed, or did not reach it at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 401 for a personal access token.
    #[error("Token is invalid or expired. Generate a new token at {TOKENS_PAGE}, then run `skytells login`.")]
    TokenRejected,
    /// 401 for a project access key.
    #[error("Access key is invalid or revoked. Copy the access key from your project's Settings in the Skytells console, then run `skytells link sk_proj_your_access_key`.")]
    AccessKeyRejected,
    /// 401 on a request that carried no credential.
    #[error("the Skytells API refused the request as unauthorized{}", detail(.message))]
    Unauthorized {
        /// The server's explanation, sanitized.
        message: Option<String>,
    },
    /// 403: the token lacks a scope.
    #[error("Insufficient scope{}. Log in again with the required scopes: skytells login --scopes {}", missing_note(.missing), scopes_fix(.missing))]
    InsufficientScope {
        /// The scope the server said was missing, when it said.
        missing: Option<String>,
    },
    /// 403 with `code: security_violation`.
    #[error("the Skytells API blocked this request as a security violation{}. Contact Skytells support if you think this is wrong.", detail(.message))]
    SecurityViolation {
        /// The server's explanation, sanitized.
        message: Option<String>,
    },
    /// 403 with `limit_type: plan`.
    #[error("your Skytells plan does not allow this{}. Upgrade the plan in the Skytells console.", detail(.message))]
    PlanLimit {
        /// The server's explanation, sanitized.
        message: Option<String>,
    },
    /// 429.
    #[error("the Skytells API is rate limiting requests; try again {}", retry_note(*.retry_after))]
    RateLimited {
        /// From `Retry-After`, when given in seconds.
        retry_after: Option<Duration>,
    },
    /// 5xx.
    #[error("the Skytells API had an internal error (HTTP {status}){}. Try again in a moment.", detail(.message))]
    Server {
        /// The status code.
        status: u16,
        /// The server's explanation, sanitized.
        message: Option<String>,
    },
    /// A 3xx; redirects are never followed, so that credentials stay with the host named.
    #[error("the API answered with a redirect (HTTP {status}) to {}; redirects are not followed. Check SKYTELLS_API_URL.", .location.as_deref().unwrap_or("an unnamed location"))]
    Redirect {
        /// The status code.
        status: u16,
        /// The `Location` header, sanitized.
        location: Option<String>,
    },
    /// Any other unsuccessful status.
    #[error("the Skytells API answered HTTP {status}{}", detail(.message))]
    Unexpected {
        /// The status code.
        status: u16,
        /// The server's explanation, sanitized.
        message: Option<String>,
    },
    /// A successful status with a body that makes no sense.
    #[error("the Skytells API sent an unusable answer (HTTP {status}): {problem}")]
    Malformed {
        /// The status code.
        status: u16,
        /// What is wrong with the body.
        problem: BodyError,
    },
    /// The request could not be built from what was given: an endpoint path that is not a
    /// path, or a credential with characters no header can carry. Nothing was sent.
    #[error("could not build the request ({0}); nothing was sent. Check the credential and SKYTELLS_API_URL.")]
    InvalidRequest(String),
    /// No usable response at all.
    #[error("could not reach the Skytells API: {0}. Check your network connection and SKYTELLS_API_URL.")]
    Transport(TransportError),
}

impl ApiError {
    /// Whether trying the same request again later may succeed: a server fault (5xx),
    /// a request timeout (408), a rate limit (429) or no answer at all. The one place
    /// this is decided: device-flow polling backs off on exactly these.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::Server { .. }
                | ApiError::RateLimited { .. }
                | ApiError::Transport(_)
                | ApiError::Unexpected { status: 408, .. }
        )
    }

    /// Whether the server accepted the credential itself and only refused this use of
    /// it: a genuine token that lacks a scope. Such a token is worth keeping.
    pub fn credential_is_genuine(&self) -> bool {
        matches!(self, ApiError::InsufficientScope { .. })
    }

    /// Whether the server said the credential is not valid (401).
    pub fn rejects_credential(&self) -> bool {
        matches!(self, ApiError::TokenRejected | ApiError::AccessKeyRejected | ApiError::Unauthorized { .. })
    }
}

fn detail(message: &Option<String>) -> String {
    message.as_deref().map(|text| format!(": {text}")).unwrap_or_default()
}

fn missing_note(missing: &Option<String>) -> String {
    missing.as_deref().map(|scope| format!(" (this needs `{scope}`)")).unwrap_or_default()
}

/// The `--scopes` value that fixes an insufficient-scope error: the defaults plus the
/// missing scope when it is known, else the guide's example list.
fn scopes_fix(missing: &Option<String>) -> String {
    let mut scopes: Vec<String> = match missing.as_deref().and_then(|name| name.parse::<Scope>().ok()) {
        Some(_) => Scope::DEFAULT.map(|scope| scope.as_str().to_owned()).to_vec(),
        None => [
            Scope::Inference,
            Scope::ProjectsRead,
            Scope::ProjectsWrite,
            Scope::DeploymentsRead,
            Scope::DeploymentsWrite,
        ]
        .map(|scope| scope.as_str().to_owned())
        .to_vec(),
    };
    if let Some(scope) = missing.as_deref().and_then(|name| name.parse::<Scope>().ok()) {
        if !scopes.iter().any(|name| name == scope.as_str()) {
            scopes.push(scope.as_str().to_owned());
        }
    }
    scopes.join(",")
}

fn retry_note(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!("in {} seconds", wait.as_secs().max(1)),
        None => "in a minute".to_owned(),
    }
}

/// Maps an unsuccessful response to the error users should see, as the Skytells API
/// signals them: 401 is a rejected credential, 403 is a missing scope unless the body
/// says `code: security_violation` or `limit_type: plan`, 429 is a rate limit, 5xx a
/// server fault.
pub fn classify_failure<B: AsRef<[u8]>>(response: &http::Response<B>, credential: CredentialKind) -> ApiError {
    let status = response.status();
    let body = ErrorBody::from_response(response);
    let message = body.summary().map(str::to_owned);
    match status.as_u16() {
        401 => match credential {
            CredentialKind::Token => ApiError::TokenRejected,
            CredentialKind::AccessKey => ApiError::AccessKeyRejected,
            CredentialKind::None => ApiError::Unauthorized { message },
        },
        403 if body.code.as_deref() == Some("security_violation") => ApiError::SecurityViolation { message },
        403 if body.limit_type.as_deref() == Some("plan") => ApiError::PlanLimit { message },
        403 => {
            ApiError::InsufficientScope { missing: body.required_scope.or_else(|| scope_named_in(message.as_deref())) }
        }
        429 => ApiError::RateLimited { retry_after: retry_after(response) },
        300..=399 => ApiError::Redirect {
            status: status.as_u16(),
            location: response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .map(crate::sanitize_for_display),
        },
        500..=599 => ApiError::Server { status: status.as_u16(), message },
        other => ApiError::Unexpected { status: other, message },
    }
}

/// A scope name quoted in a server message such as "requires scope keys.write".
fn scope_named_in(message: Option<&str>) -> Option<String> {
    let message = message?;
    Scope::ALL.into_iter().find(|scope| message.contains(scope.as_str())).map(|scope| scope.as_str().to_owned())
}

fn retry_after<B>(response: &http::Response<B>) -> Option<Duration> {
    let seconds: u64 = response.headers().get(http::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds.min(3600)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn the_guides_four_messages_lead_their_errors() {
        assert!(MissingCredential::Token.to_string().starts_with("You are not authenticated"));
        assert!(MissingCredential::AccessKey.to_string().starts_with("Access key required"));
        let rejected = classify_failure(&response(401, "{}"), CredentialKind::Token);
        assert!(rejected.to_string().starts_with("Token is invalid or expired"));
        let scope = classify_failure(&response(403, r#"{"error":"requires keys.write"}"#), CredentialKind::Token);
        assert_eq!(scope, ApiError::InsufficientScope { missing: Some("keys.write".into()) });
        assert!(scope.to_string().starts_with("Insufficient scope (this needs `keys.write`)"));
        assert!(scope
            .to_string()
            .ends_with("skytells login --scopes inference,projects.read,deployments.read,account.read,keys.write"));
    }

    #[test]
    fn forbidden_exceptions_are_not_scope_errors() {
        let violation =
            classify_failure(&response(403, r#"{"error":"x","code":"security_violation"}"#), CredentialKind::Token);
        assert!(matches!(violation, ApiError::SecurityViolation { .. }));
        let plan = classify_failure(&response(403, r#"{"error":"x","limit_type":"plan"}"#), CredentialKind::Token);
        assert!(matches!(plan, ApiError::PlanLimit { .. }));
    }

    #[test]
    fn unknown_missing_scope_falls_back_to_the_guides_example() {
        let scope = classify_failure(&response(403, "not json"), CredentialKind::Token);
        assert!(scope
            .to_string()
            .ends_with("--scopes inference,projects.read,projects.write,deployments.read,deployments.write"));
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
    }

    #[test]
    fn rate_limits_and_server_errors_are_transient() {
        let mut limited = response(429, "");
        limited.headers_mut().insert(http::header::RETRY_AFTER, "12".parse().unwrap());
        let error = classify_failure(&limited, CredentialKind::Token);
        assert_eq!(error, ApiError::RateLimited { retry_after: Some(Duration::from_secs(12)) });
        assert!(error.is_transient());
        assert!(classify_failure(&response(502, ""), CredentialKind::Token).is_transient());
        assert!(!classify_failure(&response(404, ""), CredentialKind::Token).is_transient());
    }
}
