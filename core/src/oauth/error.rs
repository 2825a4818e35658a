//! What can go wrong with a request to an OAuth server, stated as facts.

use std::fmt;
use std::time::Duration;

use crate::{TransportError, TransportErrorKind};

/// An error code from RFC 6749 §5.2 or RFC 8628 §3.5, or any other the server sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_request`.
    InvalidRequest,
    /// `invalid_client`: the client id (or its authentication) was not accepted.
    InvalidClient,
    /// `invalid_grant`: the device code or refresh token is not valid.
    InvalidGrant,
    /// `unauthorized_client`: this client may not use this grant type.
    UnauthorizedClient,
    /// `unsupported_grant_type`.
    UnsupportedGrantType,
    /// `invalid_scope`.
    InvalidScope,
    /// `authorization_pending` (RFC 8628).
    AuthorizationPending,
    /// `slow_down` (RFC 8628).
    SlowDown,
    /// `access_denied`.
    AccessDenied,
    /// `expired_token` (RFC 8628).
    ExpiredToken,
    /// Any other code, sanitized for display.
    Other(String),
}

impl ErrorCode {
    /// The code as the server wrote it.
    ///
    /// ```
    /// use skytells_auth::ErrorCode;
    /// assert_eq!(ErrorCode::from_wire("invalid_client"), ErrorCode::InvalidClient);
    /// assert_eq!(ErrorCode::from_wire("mfa_required").as_str(), "mfa_required");
    /// ```
    pub fn from_wire(code: &str) -> Self {
        match code {
            "invalid_request" => ErrorCode::InvalidRequest,
            "invalid_client" => ErrorCode::InvalidClient,
            "invalid_grant" => ErrorCode::InvalidGrant,
            "unauthorized_client" => ErrorCode::UnauthorizedClient,
            "unsupported_grant_type" => ErrorCode::UnsupportedGrantType,
            "invalid_scope" => ErrorCode::InvalidScope,
            "authorization_pending" => ErrorCode::AuthorizationPending,
            "slow_down" => ErrorCode::SlowDown,
            "access_denied" => ErrorCode::AccessDenied,
            "expired_token" => ErrorCode::ExpiredToken,
            other => ErrorCode::Other(crate::sanitize_for_display(other)),
        }
    }

    /// The wire form, such as `invalid_client`.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AuthorizationPending => "authorization_pending",
            ErrorCode::SlowDown => "slow_down",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::ExpiredToken => "expired_token",
            ErrorCode::Other(code) => code,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A standard OAuth error answer: the code, and what the server said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthError {
    /// `error`.
    pub code: ErrorCode,
    /// `error_description`, sanitized for display.
    pub description: Option<String>,
    /// `error_uri`, when it is an http(s) URL.
    pub uri: Option<String>,
}

impl OAuthError {
    /// An error with only a code.
    pub fn new(code: ErrorCode) -> Self {
        OAuthError { code, description: None, uri: None }
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(description) = &self.description {
            write!(f, " ({description})")?;
        }
        if let Some(uri) = &self.uri {
            write!(f, ", see {uri}")?;
        }
        Ok(())
    }
}

/// Why a body could not be read as the JSON object expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// Not JSON.
    #[error("the response is not valid JSON{}", content_type_note(.content_type))]
    NotJson {
        /// The response's content type, when it named one.
        content_type: Option<String>,
    },
    /// JSON, but not an object.
    #[error("the response is JSON but not an object")]
    NotAnObject,
    /// A required field is absent or empty.
    #[error("the response has no `{0}`")]
    MissingField(&'static str),
    /// A field has the wrong type or an unusable value.
    #[error("the response's `{field}` is {problem}")]
    BadField {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// Discovery: the document names another issuer than the one asked (RFC 8414 §3.3,
    /// OpenID Connect Discovery §4.3 require them to be the same).
    #[error("the response's `issuer` is `{claimed}`, not `{asked}`, the issuer that was asked")]
    IssuerMismatch {
        /// The issuer asked for, as given.
        asked: String,
        /// The issuer the document names, sanitized for display.
        claimed: String,
    },
    /// Discovery: an endpoint the document names is not a URL requests may go to; the
    /// reason, which names the URL, is the error's source.
    #[error("the response's `{field}` is not a usable endpoint")]
    BadEndpoint {
        /// The field.
        field: &'static str,
        /// Why the URL was refused.
        #[source]
        problem: crate::EndpointError,
    },
}

fn content_type_note(content_type: &Option<String>) -> String {
    content_type.as_deref().map(|ct| format!(" (content type {ct})")).unwrap_or_default()
}

/// A request that did not succeed, or did not reach the server at all. Messages state
/// what happened; what to do about it is the caller's to say. A wrapped error (the
/// transport failure, the body's problem) is the [`source`](std::error::Error::source),
/// not repeated in the message: print the chain (`{:#}` with anyhow, or walk `source()`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The server answered with a standard OAuth error.
    #[error("the server answered HTTP {status} with the OAuth error {error}")]
    OAuth {
        /// The status code.
        status: u16,
        /// The error.
        error: OAuthError,
    },
    /// 429 without a standard error body.
    #[error("the server is rate limiting requests (HTTP 429{})", retry_note(*.retry_after))]
    RateLimited {
        /// From `Retry-After`, when given in seconds.
        retry_after: Option<Duration>,
    },
    /// 5xx without a standard error body.
    #[error("the server had an internal error (HTTP {status}){}", detail(.message))]
    Server {
        /// The status code.
        status: u16,
        /// The server's explanation, sanitized.
        message: Option<String>,
    },
    /// A 3xx. Redirects are never followed, so that credentials stay with the host named.
    #[error("the server answered with a redirect (HTTP {status}) to {}, which was not followed", .location.as_deref().unwrap_or("an unnamed location"))]
    Redirect {
        /// The status code.
        status: u16,
        /// The `Location` header, sanitized.
        location: Option<String>,
    },
    /// Any other unsuccessful status.
    #[error("the server answered HTTP {status}{}", detail(.message))]
    Status {
        /// The status code.
        status: u16,
        /// The server's explanation, sanitized.
        message: Option<String>,
    },
    /// A successful status with a body that makes no sense.
    #[error("the server sent an unusable answer (HTTP {status})")]
    Malformed {
        /// The status code.
        status: u16,
        /// What is wrong with the body; the error's source.
        #[source]
        problem: BodyError,
    },
    /// The request could not be built from what was given (an endpoint that is not a URL,
    /// a credential with characters no header can carry). Nothing was sent.
    #[error("could not build the request ({0}); nothing was sent")]
    InvalidRequest(String),
    /// No usable response at all; the transport failure is the error's source.
    #[error("no answer from the server")]
    Transport(#[source] TransportError),
}

impl RequestError {
    /// Whether trying the same request again later may succeed: a server fault (5xx),
    /// a request timeout (408), a rate limit (429) or no answer at all, except a connection
    /// refused for an untrusted certificate, which no retry fixes. The one place
    /// this is decided: device-flow polling backs off on exactly these.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            RequestError::Server { .. } | RequestError::RateLimited { .. } | RequestError::Status { status: 408, .. }
        ) || matches!(self, RequestError::Transport(error) if error.kind != TransportErrorKind::UntrustedCertificate)
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            RequestError::OAuth { status, .. }
            | RequestError::Server { status, .. }
            | RequestError::Redirect { status, .. }
            | RequestError::Status { status, .. }
            | RequestError::Malformed { status, .. } => Some(*status),
            RequestError::RateLimited { .. } => Some(429),
            RequestError::InvalidRequest(_) | RequestError::Transport(_) => None,
        }
    }

    /// The OAuth error code, when the server sent one.
    pub fn oauth_code(&self) -> Option<&ErrorCode> {
        match self {
            RequestError::OAuth { error, .. } => Some(&error.code),
            _ => None,
        }
    }
}

fn detail(message: &Option<String>) -> String {
    message.as_deref().map(|text| format!(": {text}")).unwrap_or_default()
}

fn retry_note(retry_after: Option<Duration>) -> String {
    retry_after.map(|wait| format!(", retry after {} s", wait.as_secs())).unwrap_or_default()
}
