//! Who the client is and where it talks: the endpoints, the client's identity and
//! authentication, extra parameters, and the limits every request is sent under.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::dialect::{Dialect, Standard};
use super::discovery::ServerMetadata;
use crate::transmit::{DebugMap, Size};
use crate::{normalize_endpoint, pin_loopback, EndpointError, Secret, TimingBounds};

/// Limits every driver applies to every request the core emits.
///
/// A timeout longer than [`MAX_TIMEOUT`](RequestLimits::MAX_TIMEOUT) is treated as that
/// (a `Duration::MAX` would overflow a clock inside the HTTP client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestLimits {
    /// The longest a request may take, connection to last body byte.
    pub timeout: Duration,
    /// The largest response body accepted; a larger one is a transport failure. This is
    /// also what bounds an access token's size.
    pub max_response_bytes: usize,
}

impl RequestLimits {
    /// The longest timeout any request is sent under: one day.
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

    /// Limits with this timeout and response size.
    pub fn new(timeout: Duration, max_response_bytes: usize) -> Self {
        RequestLimits { timeout, max_response_bytes }
    }
}

impl Default for RequestLimits {
    /// 30 seconds and 1 MiB: generous for a JSON API, small enough to fail fast.
    fn default() -> Self {
        RequestLimits { timeout: Duration::from_secs(30), max_response_bytes: 1024 * 1024 }
    }
}

/// How the client proves who it is at the token endpoint (RFC 6749 §2.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ClientAuth {
    /// A public client: only `client_id`, as most device-flow clients are.
    #[default]
    None,
    /// `client_secret_post`: the secret in the form body, beside `client_id`.
    SecretPost(Secret),
    /// `client_secret_basic`: HTTP Basic with the form-encoded id and secret.
    SecretBasic(Secret),
}

/// An OAuth client of one authorization server, for the device flow and refresh.
///
/// ```
/// use skytells_auth::{ClientAuth, DeviceClient, Secret};
/// let client = DeviceClient::new("https://auth.example.com/device", "https://auth.example.com/token", "my-cli")?
///     .with_auth(ClientAuth::SecretBasic(Secret::new("s3cret")))
///     .with_param("audience", "https://api.example.com");
/// assert_eq!(client.client_id(), "my-cli");
/// # Ok::<(), skytells_auth::EndpointError>(())
/// ```
///
/// `Debug` shows the names and sizes of extra parameters, not their values: one may be a
/// `client_assertion`.
#[derive(Clone)]
pub struct DeviceClient {
    device_authorization_endpoint: String,
    token_endpoint: String,
    client_id: String,
    auth: ClientAuth,
    extra_params: Vec<(String, String)>,
    token_params: Vec<(String, String)>,
    limits: RequestLimits,
    bounds: TimingBounds,
    user_agent: Option<String>,
    dialect: Arc<dyn Dialect>,
}

impl fmt::Debug for DeviceClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn sizes(params: &[(String, String)]) -> DebugMap<&str, Size> {
            DebugMap(params.iter().map(|(name, value)| (name.as_str(), Size::Bytes(value.len()))).collect())
        }
        f.debug_struct("DeviceClient")
            .field("device_authorization_endpoint", &self.device_authorization_endpoint)
            .field("token_endpoint", &self.token_endpoint)
            .field("client_id", &self.client_id)
            .field("auth", &self.auth)
            .field("extra_params", &sizes(&self.extra_params))
            .field("token_params", &sizes(&self.token_params))
            .field("limits", &self.limits)
            .field("bounds", &self.bounds)
            .field("user_agent", &self.user_agent)
            .field("dialect", &self.dialect)
            .finish()
    }
}

impl DeviceClient {
    /// A public client speaking plain RFC 8628 to these endpoints. Each must be `https`,
    /// or `http` to this machine.
    pub fn new(
        device_authorization_endpoint: &str,
        token_endpoint: &str,
        client_id: impl Into<String>,
    ) -> Result<Self, EndpointError> {
        let device = pin_loopback(&normalize_endpoint(device_authorization_endpoint)?);
        let token = pin_loopback(&normalize_endpoint(token_endpoint)?);
        Ok(Self::unchecked(&device, &token, client_id.into(), Arc::new(Standard)))
    }

    /// A client for the server `metadata` describes (see [`Discover`](crate::Discover)).
    pub fn from_metadata(metadata: &ServerMetadata, client_id: impl Into<String>) -> Result<Self, EndpointError> {
        let device = metadata.device_authorization_endpoint.as_deref().ok_or_else(|| EndpointError::Invalid {
            url: format!("(the server at {} names no device_authorization_endpoint)", metadata.issuer),
        })?;
        Self::new(device, &metadata.token_endpoint, client_id)
    }

    pub(crate) fn unchecked(device: &str, token: &str, client_id: String, dialect: Arc<dyn Dialect>) -> Self {
        DeviceClient {
            device_authorization_endpoint: device.to_owned(),
            token_endpoint: token.to_owned(),
            client_id,
            auth: ClientAuth::None,
            extra_params: Vec::new(),
            token_params: Vec::new(),
            limits: RequestLimits::default(),
            bounds: TimingBounds::default(),
            user_agent: None,
            dialect,
        }
    }

    /// Authenticates the client at the token endpoint.
    pub fn with_auth(mut self, auth: ClientAuth) -> Self {
        self.auth = auth;
        self
    }

    /// Adds a parameter to the device authorization request, such as `audience` or
    /// `resource` (RFC 8707). Repeatable; sent in the order added. For the token
    /// endpoint's requests, see [`DeviceClient::with_token_param`].
    pub fn with_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_params.push((name.into(), value.into()));
        self
    }

    /// Adds a parameter to every request to the token endpoint: each device-code poll
    /// and each [`Refresh`](crate::Refresh). For `resource` (RFC 8707 asks for it in the
    /// token request too), or `client_assertion` and `client_assertion_type` (RFC 7521,
    /// RFC 7523; add them with [`DeviceClient::with_param`] as well when the server
    /// authenticates the device authorization request). Repeatable; sent in the order
    /// added, after the grant's own fields. The Skytells dialect sends neither kind.
    ///
    /// ```
    /// use skytells_auth::{DeviceClient, Exchange, Moment, Refresh, Secret};
    /// let client = DeviceClient::new("https://x.test/device", "https://x.test/token", "my-cli")?
    ///     .with_token_param("resource", "https://api.x.test/");
    /// let refresh_token = Secret::new("rt-1");
    /// let sent = Refresh::new(&client, &refresh_token, Moment::ZERO).transmit()?;
    /// assert_eq!(
    ///     sent.request.body(),
    ///     b"client_id=my-cli&grant_type=refresh_token&refresh_token=rt-1&resource=https%3A%2F%2Fapi.x.test%2F"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_token_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.token_params.push((name.into(), value.into()));
        self
    }

    /// Sends every request under these limits.
    pub fn with_limits(mut self, limits: RequestLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Bounds what the server may say about timing.
    pub fn with_bounds(mut self, bounds: TimingBounds) -> Self {
        self.bounds = bounds;
        self
    }

    /// Announces the client with this `User-Agent`.
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The device authorization endpoint.
    pub fn device_authorization_endpoint(&self) -> &str {
        &self.device_authorization_endpoint
    }

    /// The token endpoint.
    pub fn token_endpoint(&self) -> &str {
        &self.token_endpoint
    }

    /// The per-request limits.
    pub fn limits(&self) -> RequestLimits {
        self.limits
    }

    pub(crate) fn auth(&self) -> &ClientAuth {
        &self.auth
    }

    pub(crate) fn extra_params(&self) -> &[(String, String)] {
        &self.extra_params
    }

    pub(crate) fn token_params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.token_params.iter().map(|(name, value)| (name.as_str(), value.as_str()))
    }

    pub(crate) fn bounds(&self) -> &TimingBounds {
        &self.bounds
    }

    pub(crate) fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }

    pub(crate) fn dialect(&self) -> &dyn Dialect {
        self.dialect.as_ref()
    }
}
