//! What the Skytells CLI tells people when something goes wrong, and what to do next, in
//! one place.
//!
//! The wording follows the Skytells CLI authentication guide (the user-facing document
//! this project implements: its commands, messages and troubleshooting section). The
//! errors elsewhere in the library state facts; this module adds the Skytells advice.

use std::fmt::Display;
use std::time::Duration;

use super::error::{ApiError, API_KEYS_PAGE, TOKENS_PAGE};
use super::Scope;
use crate::{FlowFailure, RequestError, TransportErrorKind};

/// An error from the Skytells API, as the guide words it, with the fix.
///
/// ```
/// use skytells_auth::skytells::{messages, ApiError};
/// assert_eq!(
///     messages::api_error(&ApiError::TokenRejected),
///     "Token is invalid or expired. Generate a new token at https://console.skytells.ai/settings/tokens, then run `skytells login`."
/// );
/// ```
pub fn api_error(error: &ApiError) -> String {
    match error {
        ApiError::TokenRejected => {
            format!("Token is invalid or expired. Generate a new token at {TOKENS_PAGE}, then run `skytells login`.")
        }
        ApiError::ApiKeyRejected => format!(
            "API key is invalid or revoked. Create a new key at {API_KEYS_PAGE}, then run `skytells api-key set`."
        ),
        ApiError::AccessKeyRejected => "Access key is invalid or revoked. Copy the access key from your project's Settings in the Skytells console, then run `skytells link sk_proj_your_access_key`.".to_owned(),
        ApiError::InsufficientScope { missing } => format!(
            "Insufficient scope{}. Log in again with the required scopes: skytells login --scopes {}",
            missing.as_deref().map(|scope| format!(" (this needs `{scope}`)")).unwrap_or_default(),
            scopes_fix(missing.as_deref())
        ),
        ApiError::SecurityViolation { message } => format!(
            "the Skytells API blocked this request as a security violation{}. Contact Skytells support if you think this is wrong.",
            detail(message)
        ),
        ApiError::PlanLimit { message } => {
            format!("your Skytells plan does not allow this{}. Upgrade the plan in the Skytells console.", detail(message))
        }
        ApiError::Request(error) => request_error(error),
    }
}

/// A failed request to the Skytells API (or a server standing in for it), with the fix.
pub fn request_error(error: &RequestError) -> String {
    match error {
        RequestError::OAuth { status, error } => format!("the Skytells API answered HTTP {status}: {error}"),
        RequestError::RateLimited { retry_after } => format!(
            "the Skytells API is rate limiting requests; try again {}",
            match retry_after {
                Some(wait) => format!("in {} seconds", wait.as_secs().max(1)),
                None => "in a minute".to_owned(),
            }
        ),
        RequestError::Server { status, message } => {
            format!("the Skytells API had an internal error (HTTP {status}){}. Try again in a moment.", detail(message))
        }
        RequestError::Redirect { status, location } => format!(
            "the API answered with a redirect (HTTP {status}) to {}; redirects are not followed. Check SKYTELLS_API_URL.",
            location.as_deref().unwrap_or("an unnamed location")
        ),
        RequestError::Status { status: 401, message } => {
            format!("the Skytells API refused the request as unauthorized{}", detail(message))
        }
        RequestError::Status { status, message } => format!("the Skytells API answered HTTP {status}{}", detail(message)),
        RequestError::Malformed { status, problem } => {
            format!("the Skytells API sent an unusable answer (HTTP {status}): {problem}")
        }
        RequestError::InvalidRequest(problem) => {
            format!("could not build the request ({problem}); nothing was sent. Check the credential and SKYTELLS_API_URL.")
        }
        RequestError::Transport(error) if error.kind == TransportErrorKind::BodyTooLarge => format!(
            "the Skytells API sent an answer larger than the limit ({error}); nothing of it was used. Check SKYTELLS_API_URL."
        ),
        RequestError::Transport(error) if error.kind == TransportErrorKind::UntrustedCertificate => format!(
            "the Skytells API's TLS certificate is not trusted: {}. Nothing was sent. If your network inspects TLS \
             (a corporate proxy), set SSL_CERT_FILE to a PEM file with its root certificate and try again.",
            error.detail
        ),
        RequestError::Transport(error) => {
            format!("could not reach the Skytells API: {error}. Check your network connection and SKYTELLS_API_URL.")
        }
    }
}

/// A device login that failed, with the fix.
pub fn flow_failure(failure: &FlowFailure) -> String {
    match failure {
        FlowFailure::DeviceAuthorization(error) => {
            format!("could not start device authorization: {}", request_error(error))
        }
        FlowFailure::TokenPoll(error) => format!("device authorization failed: {}", request_error(error)),
        FlowFailure::Misuse(misuse) => format!("internal error in the login loop: {misuse}"),
    }
}

fn detail(message: &Option<String>) -> String {
    message.as_deref().map(|text| format!(": {text}")).unwrap_or_default()
}

/// The `--scopes` value that fixes an insufficient-scope error: the defaults plus the
/// missing scope when it is known, else the guide's example list.
fn scopes_fix(missing: Option<&str>) -> String {
    let known = missing.and_then(|name| name.parse::<Scope>().ok());
    let mut scopes: Vec<Scope> = match known {
        Some(_) => Scope::DEFAULT.to_vec(),
        None => vec![
            Scope::Inference,
            Scope::ProjectsRead,
            Scope::ProjectsWrite,
            Scope::DeploymentsRead,
            Scope::DeploymentsWrite,
        ],
    };
    if let Some(scope) = known.filter(|scope| !scopes.contains(scope)) {
        scopes.push(scope);
    }
    scopes.iter().map(|scope| scope.as_str()).collect::<Vec<_>>().join(",")
}

/// The person declined in the browser.
pub const LOGIN_DENIED: &str =
    "Authorization was denied in the browser; nothing was saved. Run `skytells login` to try again.";

/// The code expired before anyone approved it; `lifetime` is how long it was valid.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(
///     skytells_auth::skytells::messages::login_expired(Duration::from_secs(900)),
///     "The device code expired before it was approved (codes stay valid for 15 minutes); nothing was saved. Run `skytells login` again."
/// );
/// ```
pub fn login_expired(lifetime: Duration) -> String {
    format!(
        "The device code expired before it was approved (codes stay valid for {}); nothing was saved. Run `skytells login` again.",
        duration_phrase(lifetime)
    )
}

/// The credentials file exists but is not credentials: `fact` says which file and why.
pub fn unreadable_credentials(fact: impl Display) -> String {
    format!("{fact}. Fix or delete it, then run `skytells login`")
}

/// Something other than a regular file sits where the credentials file belongs.
pub fn credentials_path_taken(fact: impl Display) -> String {
    format!("{fact}; move it away or set SKYTELLS_CONFIG_DIR to another folder")
}

/// `15 minutes`, `1 minute`, `90 seconds`, `1 second`.
///
/// ```
/// use std::time::Duration;
/// use skytells_auth::skytells::messages::duration_phrase;
/// assert_eq!(duration_phrase(Duration::from_secs(60)), "1 minute");
/// assert_eq!(duration_phrase(Duration::from_secs(90)), "90 seconds");
/// ```
pub fn duration_phrase(duration: Duration) -> String {
    match duration.as_secs() {
        60 => "1 minute".to_owned(),
        secs if secs % 60 == 0 && secs > 0 => format!("{} minutes", secs / 60),
        1 => "1 second".to_owned(),
        secs => format!("{secs} seconds"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::skytells::{classify_failure, CredentialKind};
    use crate::TransportError;

    fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn the_guides_messages_lead_their_errors() {
        let rejected = classify_failure(&response(401, "{}"), CredentialKind::Token);
        assert!(api_error(&rejected).starts_with("Token is invalid or expired"));
        let scope = classify_failure(&response(403, r#"{"error":"requires keys.write"}"#), CredentialKind::Token);
        assert!(api_error(&scope).starts_with("Insufficient scope (this needs `keys.write`)"));
        assert!(api_error(&scope)
            .ends_with("skytells login --scopes inference,projects.read,deployments.read,account.read,keys.write"));
        let unknown = classify_failure(&response(403, "not json"), CredentialKind::Token);
        assert!(api_error(&unknown)
            .ends_with("--scopes inference,projects.read,projects.write,deployments.read,deployments.write"));
    }

    #[test]
    fn every_error_says_what_to_do() {
        let transport = TransportError::new(TransportErrorKind::Connect, "refused");
        let cases = [
            (ApiError::SecurityViolation { message: Some("blocked".into()) }, "security violation: blocked. Contact"),
            (ApiError::PlanLimit { message: None }, "Upgrade the plan"),
            (ApiError::AccessKeyRejected, "then run `skytells link sk_proj_your_access_key`."),
            (
                RequestError::Status { status: 401, message: Some("bad client".into()) }.into(),
                "unauthorized: bad client",
            ),
            (RequestError::RateLimited { retry_after: None }.into(), "try again in a minute"),
            (RequestError::RateLimited { retry_after: Some(Duration::from_secs(7)) }.into(), "try again in 7 seconds"),
            (RequestError::Server { status: 502, message: None }.into(), "internal error (HTTP 502). Try again"),
            (
                RequestError::Redirect { status: 301, location: None }.into(),
                "to an unnamed location; redirects are not followed. Check SKYTELLS_API_URL.",
            ),
            (RequestError::Status { status: 418, message: Some("teapot".into()) }.into(), "HTTP 418: teapot"),
            (RequestError::InvalidRequest("bad header".into()).into(), "nothing was sent. Check the credential"),
            (
                RequestError::Transport(transport).into(),
                "could not reach the Skytells API: could not connect: refused. Check your network",
            ),
            (
                RequestError::Transport(TransportError::new(
                    TransportErrorKind::UntrustedCertificate,
                    "unknown issuer",
                ))
                .into(),
                "certificate is not trusted: unknown issuer. Nothing was sent. If your network inspects TLS \
                 (a corporate proxy), set SSL_CERT_FILE",
            ),
        ];
        for (error, says) in cases {
            assert!(api_error(&error).contains(says), "{error:?}: {}", api_error(&error));
        }
    }

    #[test]
    fn each_store_fact_gets_its_fix() {
        assert_eq!(
            unreadable_credentials("the credentials file /x/credentials.json cannot be read: it is not valid JSON"),
            "the credentials file /x/credentials.json cannot be read: it is not valid JSON. Fix or delete it, then run `skytells login`"
        );
        assert_eq!(
            credentials_path_taken("/x/credentials.json is a directory, not a credentials file"),
            "/x/credentials.json is a directory, not a credentials file; move it away or set SKYTELLS_CONFIG_DIR to another folder"
        );
        assert!(LOGIN_DENIED.ends_with("Run `skytells login` to try again."));
        assert_eq!(duration_phrase(Duration::from_secs(1)), "1 second");
        assert_eq!(duration_phrase(Duration::ZERO), "0 seconds");
        assert_eq!(duration_phrase(Duration::from_secs(1800)), "30 minutes");
    }
}
