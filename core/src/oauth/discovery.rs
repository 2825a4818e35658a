//! Finding a server's endpoints from its issuer URL: OpenID Connect Discovery 1.0 and
//! RFC 8414 (OAuth 2.0 Authorization Server Metadata).

use std::future::Future;

use serde_json::{Map, Value};

use super::dialect::malformed;
use super::error::{BodyError, RequestError};
use super::exchange::Exchange;
use super::wire::{self, RequestParts};
use crate::{check_endpoint, normalize_endpoint, EndpointError, RequestLimits, Transmit, TransportError};

/// What a server says about itself: where its endpoints are and what it supports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerMetadata {
    /// The issuer, exactly as asked for (the answer is refused otherwise).
    pub issuer: String,
    /// `device_authorization_endpoint`, when the server offers the device flow.
    pub device_authorization_endpoint: Option<String>,
    /// `token_endpoint`.
    pub token_endpoint: String,
    /// `grant_types_supported`, when listed.
    pub grant_types_supported: Vec<String>,
    /// `token_endpoint_auth_methods_supported`, when listed.
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// `scopes_supported`, when listed.
    pub scopes_supported: Vec<String>,
}

impl ServerMetadata {
    /// Metadata naming only `issuer` and its token endpoint, as a server could describe
    /// itself; add the rest with the `with_` methods. For tests, and for servers whose
    /// endpoints are known without discovery.
    ///
    /// ```
    /// use skytells_auth::{DeviceClient, ServerMetadata};
    /// let metadata = ServerMetadata::new("https://id.test", "https://id.test/token")
    ///     .with_device_authorization_endpoint("https://id.test/device");
    /// let client = DeviceClient::from_metadata(&metadata, "my-cli")?;
    /// assert_eq!(client.device_authorization_endpoint(), "https://id.test/device");
    /// # Ok::<(), skytells_auth::EndpointError>(())
    /// ```
    pub fn new(issuer: impl Into<String>, token_endpoint: impl Into<String>) -> Self {
        ServerMetadata {
            issuer: issuer.into(),
            device_authorization_endpoint: None,
            token_endpoint: token_endpoint.into(),
            grant_types_supported: Vec::new(),
            token_endpoint_auth_methods_supported: Vec::new(),
            scopes_supported: Vec::new(),
        }
    }

    /// With a device authorization endpoint.
    pub fn with_device_authorization_endpoint(mut self, url: impl Into<String>) -> Self {
        self.device_authorization_endpoint = Some(url.into());
        self
    }

    /// With these `grant_types_supported`.
    pub fn with_grant_types_supported<S: Into<String>>(mut self, grant_types: impl IntoIterator<Item = S>) -> Self {
        self.grant_types_supported = grant_types.into_iter().map(Into::into).collect();
        self
    }

    /// With these `token_endpoint_auth_methods_supported`.
    pub fn with_token_endpoint_auth_methods_supported<S: Into<String>>(
        mut self,
        methods: impl IntoIterator<Item = S>,
    ) -> Self {
        self.token_endpoint_auth_methods_supported = methods.into_iter().map(Into::into).collect();
        self
    }

    /// With these `scopes_supported`.
    pub fn with_scopes_supported<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes_supported = scopes.into_iter().map(Into::into).collect();
        self
    }
}

/// Which well-known document to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WellKnown {
    /// `{issuer}/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4).
    OpenIdConfiguration,
    /// `{origin}/.well-known/oauth-authorization-server{path}` (RFC 8414 §3).
    AuthorizationServer,
}

/// Fetches one metadata document of `issuer`.
///
/// ```
/// use skytells_auth::{Discover, Exchange, WellKnown};
/// let openid = Discover::new("https://auth.example.com/tenant", WellKnown::OpenIdConfiguration)?;
/// assert_eq!(openid.transmit()?.request.uri(), "https://auth.example.com/tenant/.well-known/openid-configuration");
/// let rfc8414 = Discover::new("https://auth.example.com/tenant", WellKnown::AuthorizationServer)?;
/// assert_eq!(rfc8414.transmit()?.request.uri(), "https://auth.example.com/.well-known/oauth-authorization-server/tenant");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Discover {
    issuer: String,
    url: String,
    limits: RequestLimits,
}

impl Discover {
    /// Asks `issuer` (an `https` URL, or `http` to this machine) for one document.
    pub fn new(issuer: &str, document: WellKnown) -> Result<Self, EndpointError> {
        // The request goes to the issuer written one way; the issuer the server names is
        // still compared with the one asked for exactly, as both specifications require.
        let normalized = normalize_endpoint(issuer)?;
        let uri = check_endpoint(&normalized)?;
        let trimmed = normalized.trim_end_matches('/');
        let url = match document {
            WellKnown::OpenIdConfiguration => format!("{trimmed}/.well-known/openid-configuration"),
            WellKnown::AuthorizationServer => {
                let path = uri.path().trim_end_matches('/');
                let origin = &trimmed[..trimmed.len() - path.len()];
                format!("{origin}/.well-known/oauth-authorization-server{path}")
            }
        };
        Ok(Discover { issuer: issuer.to_owned(), url: crate::pin_loopback(&url), limits: RequestLimits::default() })
    }

    /// Sends the request under these limits.
    pub fn with_limits(mut self, limits: RequestLimits) -> Self {
        self.limits = limits;
        self
    }
}

impl Exchange for Discover {
    type Output = ServerMetadata;
    type Error = RequestError;

    fn transmit(&self) -> Result<Transmit, RequestError> {
        RequestParts {
            method: http::Method::GET,
            url: &self.url,
            user_agent: None,
            authorization: None,
            body: None,
            limits: self.limits,
        }
        .build()
    }

    fn interpret(&self, response: http::Response<Vec<u8>>) -> Result<ServerMetadata, RequestError> {
        if !response.status().is_success() {
            return Err(wire::standard_failure(&response));
        }
        let bad = |problem| malformed(&response, problem);
        let object = wire::parse_object(&response).map_err(bad)?;
        // Both specifications require the issuer to match exactly, so that one server
        // cannot pass off another's endpoints as its own.
        let claimed = wire::required_str(&object, "issuer").map_err(bad)?;
        if claimed != self.issuer {
            let (asked, claimed) = (self.issuer.clone(), crate::sanitize_for_display(claimed));
            return Err(bad(BodyError::IssuerMismatch { asked, claimed }));
        }
        let endpoint = |field: &'static str| -> Result<Option<String>, RequestError> {
            match wire::optional_str(&object, field) {
                None => Ok(None),
                Some(url) => {
                    normalize_endpoint(url).map(Some).map_err(|problem| bad(BodyError::BadEndpoint { field, problem }))
                }
            }
        };
        let token_endpoint =
            endpoint("token_endpoint")?.ok_or_else(|| bad(BodyError::MissingField("token_endpoint")))?;
        Ok(ServerMetadata {
            issuer: self.issuer.clone(),
            device_authorization_endpoint: endpoint("device_authorization_endpoint")?,
            token_endpoint,
            grant_types_supported: strings(&object, "grant_types_supported"),
            token_endpoint_auth_methods_supported: strings(&object, "token_endpoint_auth_methods_supported"),
            scopes_supported: strings(&object, "scopes_supported"),
        })
    }
}

fn strings(object: &Map<String, Value>, field: &str) -> Vec<String> {
    let items = object.get(field).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    items.iter().filter_map(Value::as_str).map(crate::sanitize_for_display).collect()
}

/// Finds `issuer`'s metadata: the OpenID configuration, then, if the server has none
/// (404), the RFC 8414 document. `send` carries one request, as in [`drive`](crate::drive).
pub async fn discover<SendFn, Sent>(
    issuer: &str,
    limits: RequestLimits,
    mut send: SendFn,
) -> Result<ServerMetadata, DiscoveryError>
where
    SendFn: FnMut(Transmit) -> Sent,
    Sent: Future<Output = Result<http::Response<Vec<u8>>, TransportError>>,
{
    let mut last = None;
    for document in [WellKnown::OpenIdConfiguration, WellKnown::AuthorizationServer] {
        let exchange = Discover::new(issuer, document)?.with_limits(limits);
        let result = match send(exchange.transmit()?).await {
            Ok(response) => exchange.interpret(response),
            Err(error) => Err(RequestError::Transport(error)),
        };
        match result {
            Err(error) if error.status() == Some(404) => last = Some(error),
            other => return other.map_err(DiscoveryError::Request),
        }
    }
    Err(DiscoveryError::Request(last.unwrap_or(RequestError::InvalidRequest("no document to ask for".into()))))
}

/// Why discovery found no metadata.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The issuer is not a URL requests may go to.
    #[error("the issuer cannot be asked")]
    Issuer(#[from] EndpointError),
    /// The request failed, or the answer was unusable.
    #[error("no usable metadata")]
    Request(#[from] RequestError),
}
