//! One-shot calls to the Skytells API as values: each builds its request and interprets
//! the answer. A driver runs them as any [`Exchange`].

use http::Method;

use super::dialect::unwrap_envelope;
use super::error::{classify_failure, ApiError, CredentialKind};
use super::ApiConfig;
use crate::oauth::dialect::malformed;
use crate::oauth::wire::{self, RequestParts};
use crate::{BodyError, Exchange, Secret, Transmit};

/// `GET` of the API's base URL with no credential at all: whether the API can be reached,
/// its certificate, and its `Date`, for when there is no credential to check (or none
/// that belongs to this API). Any HTTP answer is an answer; its status is the output.
///
/// ```
/// use skytells_auth::skytells::{ApiBase, ApiConfig, ProbeApi};
/// use skytells_auth::Exchange;
/// let config = ApiConfig::new(ApiBase::default());
/// let transmit = ProbeApi { config: &config }.transmit()?;
/// assert_eq!(transmit.request.uri(), "https://console.skytells.ai/");
/// assert!(transmit.request.headers().get("authorization").is_none());
/// let local = ApiConfig::new(ApiBase::parse("http://localhost:8787")?);
/// assert_eq!(ProbeApi { config: &local }.transmit()?.request.uri(), "http://127.0.0.1:8787/");
/// assert!(transmit.request.headers().get("x-api-key").is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ProbeApi<'a> {
    /// The API.
    pub config: &'a ApiConfig,
}

impl Exchange for ProbeApi<'_> {
    type Output = u16;
    type Error = ApiError;

    fn transmit(&self) -> Result<Transmit, ApiError> {
        let user_agent = self.config.client.user_agent();
        let parts = RequestParts {
            method: Method::GET,
            // Through `join`, as every other request: a plain-http `localhost` goes to
            // 127.0.0.1, never to wherever a resolver says.
            url: &self.config.base.join("/"),
            user_agent: Some(&user_agent),
            authorization: None,
            body: None,
            limits: self.config.limits,
        };
        Ok(parts.build()?)
    }

    fn interpret(&self, response: http::Response<Vec<u8>>) -> Result<u16, ApiError> {
        Ok(response.status().as_u16())
    }
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
    type Error = ApiError;

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
#[non_exhaustive]
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
    type Error = ApiError;

    fn transmit(&self) -> Result<Transmit, ApiError> {
        get(self.config, &self.config.endpoints.verify_access_key, self.access_key)
    }

    fn interpret(&self, response: http::Response<Vec<u8>>) -> Result<Project, ApiError> {
        let object = successful_object(&response, CredentialKind::AccessKey)?;
        let id = wire::optional_id(&object, "id")
            .ok_or_else(|| ApiError::from(malformed(&response, BodyError::MissingField("id"))))?;
        Ok(Project {
            id: crate::sanitize_for_display(&id),
            name: wire::optional_str(&object, "name").map(crate::sanitize_for_display),
            slug: wire::optional_str(&object, "slug").map(crate::sanitize_for_display),
        })
    }
}

/// The account a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    type Error = ApiError;

    fn transmit(&self) -> Result<Transmit, ApiError> {
        get(self.config, &self.config.endpoints.identity, self.token)
    }

    fn interpret(&self, response: http::Response<Vec<u8>>) -> Result<Identity, ApiError> {
        let object = successful_object(&response, CredentialKind::Token)?;
        let id = wire::optional_id(&object, "id")
            .ok_or_else(|| ApiError::from(malformed(&response, BodyError::MissingField("id"))))?;
        Ok(Identity {
            id: crate::sanitize_for_display(&id),
            name: wire::optional_str(&object, "name").map(crate::sanitize_for_display),
            email: wire::optional_str(&object, "email").map(crate::sanitize_for_display),
        })
    }
}

/// Checks an API key against the models API: `GET <models API>/models` with `x-api-key`.
/// `config.base` is the models API (`SKYTELLS_AI_API_URL`, default
/// [`DEFAULT_MODELS_API_URL`](super::DEFAULT_MODELS_API_URL)), never the console.
///
/// ```
/// use skytells_auth::skytells::{ApiBase, ApiConfig, VerifyApiKey};
/// use skytells_auth::{Exchange, Secret};
/// let models = ApiConfig::new(ApiBase::default_models());
/// let key = Secret::new("sk-example");
/// let transmit = VerifyApiKey { config: &models, api_key: &key }.transmit().unwrap();
/// assert_eq!(transmit.request.uri(), "https://api.skytells.ai/v1/models");
/// assert_eq!(transmit.request.headers()["x-api-key"], "sk-example");
/// assert!(transmit.request.headers().get("authorization").is_none());
/// ```
#[derive(Debug)]
pub struct VerifyApiKey<'a> {
    /// The models API.
    pub config: &'a ApiConfig,
    /// The key to check.
    pub api_key: &'a Secret,
}

impl Exchange for VerifyApiKey<'_> {
    type Output = ();
    type Error = ApiError;

    fn transmit(&self) -> Result<Transmit, ApiError> {
        let user_agent = self.config.client.user_agent();
        let parts = RequestParts {
            method: Method::GET,
            url: &self.config.base.join(&self.config.endpoints.models),
            user_agent: Some(&user_agent),
            authorization: None,
            body: None,
            limits: self.config.limits,
        };
        let mut transmit = parts.build()?;
        let mut value = http::HeaderValue::from_str(self.api_key.expose()).map_err(|_| {
            ApiError::from(crate::RequestError::InvalidRequest("the API key is not a valid header value".into()))
        })?;
        // Marked sensitive so that HTTP clients and `Debug` never show it.
        value.set_sensitive(true);
        transmit.request.headers_mut().insert(API_KEY_HEADER, value);
        Ok(transmit)
    }

    fn interpret(&self, response: http::Response<Vec<u8>>) -> Result<(), ApiError> {
        if !response.status().is_success() {
            return Err(classify_failure(&response, CredentialKind::ApiKey));
        }
        Ok(())
    }
}

/// The header the models API takes its key in.
pub const API_KEY_HEADER: &str = "x-api-key";

fn successful_object(
    response: &http::Response<Vec<u8>>,
    credential: CredentialKind,
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    if !response.status().is_success() {
        return Err(classify_failure(response, credential));
    }
    unwrap_envelope(response).map_err(|problem| malformed(response, problem).into())
}

fn get(config: &ApiConfig, path: &str, credential: &Secret) -> Result<Transmit, ApiError> {
    let user_agent = config.client.user_agent();
    let parts = RequestParts {
        method: Method::GET,
        url: &config.base.join(path),
        user_agent: Some(&user_agent),
        authorization: Some(format!("Bearer {}", credential.expose())),
        body: None,
        limits: config.limits,
    };
    Ok(parts.build()?)
}
