//! One-shot API calls as values: each builds its request and interprets the answer.
//!
//! A driver runs any of them the same way: send [`Exchange::transmit`], hand the
//! response to [`Exchange::interpret`] (or a transport failure to
//! `ApiError::Transport`).

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{Method, Request};

use crate::error::{classify_failure, ApiError, CredentialKind};
use crate::wire::{self, BodyError};
use crate::{ApiConfig, Secret, Transmit};

/// A single request and the meaning of its answer.
pub trait Exchange {
    /// What a successful answer yields.
    type Output;

    /// The request to send, or [`ApiError::InvalidRequest`] when the parts given (a
    /// credential with a line break, say) cannot form one.
    fn transmit(&self) -> Result<Transmit, ApiError>;

    /// What the answer means.
    fn interpret(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, ApiError>;
}

/// Checks a personal access token against `GET /api/v1/cli/projects`.
#[derive(Debug)]
pub struct VerifyToken<'a> {
    /// The API.
    pub config: &'a ApiConfig,
    /// The token to check.
    pub token: &'a Secret,
}

impl Exchange for VerifyToken<'_> {
    type Output = ();

    fn transmit(&self) -> Result<Transmit, ApiError> {
        get(self.config, &self.config.endpoints.verify_token, self.token)
    }

    fn interpret(&self, response: http::Response<Vec<u8>>) -> Result<(), ApiError> {
        if !response.status().is_success() {
            return Err(classify_failure(&response, CredentialKind::Token));
        }
        Ok(())
    }
}

/// The project an access key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Project id.
    pub id: String,
    /// Display name, sanitized.
    pub name: Option<String>,
    /// URL slug, sanitized.
    pub slug: Option<String>,
}

/// Checks a project access key against `GET /api/v1/cli/project`.
#[derive(Debug)]
pub struct VerifyAccessKey<'a> {
    /// The API.
    pub config: &'a ApiConfig,
    /// The key to check.
    pub access_key: &'a Secret,
}

impl Exchange for VerifyAccessKey<'_> {
    type Output = Project;

    fn transmit(&self) -> Result<Transmit, ApiError> {
        get(self.config, &self.config.endpoints.verify_access_key, self.access_key)
    }

    fn interpret(&self, response: http::Response<Vec<u8>>) -> Result<Project, ApiError> {
        let object = successful_object(&response, CredentialKind::AccessKey)?;
        let id = wire::optional_id(&object, "id").ok_or_else(|| malformed(&response, BodyError::MissingField("id")))?;
        Ok(Project {
            id: crate::sanitize_for_display(&id),
            name: wire::optional_str(&object, "name").map(crate::sanitize_for_display),
            slug: wire::optional_str(&object, "slug").map(crate::sanitize_for_display),
        })
    }
}

/// The account a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// User id.
    pub id: String,
    /// Display name, sanitized.
    pub name: Option<String>,
    /// Email address, sanitized.
    pub email: Option<String>,
}

/// Fetches the signed-in account from `GET /api/v1/cli/me`.
#[derive(Debug)]
pub struct FetchIdentity<'a> {
    /// The API.
    pub config: &'a ApiConfig,
    /// The token to ask with.
    pub token: &'a Secret,
}

impl Exchange for FetchIdentity<'_> {
    type Output = Identity;

    fn transmit(&self) -> Result<Transmit, ApiError> {
        get(self.config, &self.config.endpoints.identity, self.token)
    }

    fn interpret(&self, response: http::Response<Vec<u8>>) -> Result<Identity, ApiError> {
        let object = successful_object(&response, CredentialKind::Token)?;
        let id = wire::optional_id(&object, "id").ok_or_else(|| malformed(&response, BodyError::MissingField("id")))?;
        Ok(Identity {
            id: crate::sanitize_for_display(&id),
            name: wire::optional_str(&object, "name").map(crate::sanitize_for_display),
            email: wire::optional_str(&object, "email").map(crate::sanitize_for_display),
        })
    }
}

fn successful_object(
    response: &http::Response<Vec<u8>>,
    credential: CredentialKind,
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    if !response.status().is_success() {
        return Err(classify_failure(response, credential));
    }
    wire::parse_object(response).map_err(|problem| malformed(response, problem))
}

pub(crate) fn malformed<B>(response: &http::Response<B>, problem: BodyError) -> ApiError {
    ApiError::Malformed { status: response.status().as_u16(), problem }
}

fn get(config: &ApiConfig, path: &str, credential: &Secret) -> Result<Transmit, ApiError> {
    let request = base_request(config, Method::GET, path)
        .header(AUTHORIZATION, format!("Bearer {}", credential.expose()))
        .body(Vec::new());
    finish(config, request)
}

/// A request to `path` with the headers every request carries.
pub(crate) fn base_request(config: &ApiConfig, method: Method, path: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(config.base.join(path))
        .header(USER_AGENT, config.client.user_agent())
        .header(ACCEPT, "application/json")
}

/// A request with a body of the given content type.
pub(crate) fn with_body(
    config: &ApiConfig,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Result<Transmit, ApiError> {
    let request = base_request(config, Method::POST, path).header(CONTENT_TYPE, content_type).body(body);
    finish(config, request)
}

fn finish(config: &ApiConfig, request: http::Result<Request<Vec<u8>>>) -> Result<Transmit, ApiError> {
    // The error names the part (URI or header) but never its value: a header value here
    // is a credential.
    let request = request.map_err(|error| ApiError::InvalidRequest(error.to_string()))?;
    Ok(Transmit { request, timeout: config.limits.timeout, max_response_bytes: config.limits.max_response_bytes })
}
