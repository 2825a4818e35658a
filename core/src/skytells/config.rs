//! Where the Skytells API is, who we say we are, and which dialect the server speaks.

use std::sync::Arc;

use super::dialect::SkytellsDialect;
use crate::oauth::dialect::Standard;
use crate::{normalize_endpoint, DeviceClient, EndpointError, RequestLimits};

/// The Skytells API used when neither `--api-url` nor `SKYTELLS_API_URL` is given.
pub const DEFAULT_API_URL: &str = "https://console.skytells.ai";

/// The models API, where the Skytells API key is sent (`x-api-key`), when
/// `SKYTELLS_AI_API_URL` is not given.
pub const DEFAULT_MODELS_API_URL: &str = "https://api.skytells.ai/v1";

/// The origin of [`DEFAULT_MODELS_API_URL`]: the top-level `api_key` of credentials.json
/// belongs to it.
const DEFAULT_MODELS_ORIGIN: &str = "https://api.skytells.ai";

/// An API base URL that is safe to send credentials to: `https`, or plain `http` only to a
/// loopback host (`localhost`, `127.0.0.0/8`, `[::1]`) for local testing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiBase {
    /// Scheme, authority and optional path prefix, without a trailing slash.
    base: String,
}

/// Why an API URL was refused.
pub type ApiUrlError = EndpointError;

impl ApiBase {
    /// Checks an API base URL and writes it one way ([`normalize_endpoint`]: scheme and
    /// host lower-case, no default port), without a trailing slash, before anything
    /// (whether it is plain http, where it is sent, which origin it is) is decided on it.
    ///
    /// ```
    /// use skytells_auth::skytells::ApiBase;
    /// assert_eq!(ApiBase::parse("https://console.skytells.ai/")?.as_str(), "https://console.skytells.ai");
    /// assert_eq!(ApiBase::parse("HTTP://LocalHost:8080/")?.as_str(), "http://localhost:8080");
    /// assert!(ApiBase::parse("http://127.0.0.1:8080").is_ok());
    /// assert!(ApiBase::parse("http://api.example.com").is_err());
    /// # Ok::<(), skytells_auth::EndpointError>(())
    /// ```
    pub fn parse(url: &str) -> Result<Self, ApiUrlError> {
        let normalized = normalize_endpoint(url.trim())?;
        Ok(ApiBase { base: normalized.trim_end_matches('/').to_owned() })
    }

    /// The base URL, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The full URL of an endpoint path such as `/api/oauth/device`.
    pub fn join(&self, path: &str) -> String {
        crate::pin_loopback(&format!("{}/{}", self.base, path.trim_start_matches('/')))
    }

    /// The default models API ([`DEFAULT_MODELS_API_URL`]).
    pub fn default_models() -> Self {
        ApiBase { base: DEFAULT_MODELS_API_URL.to_owned() }
    }

    /// The origin (scheme, host, port) that stored credentials are bound to.
    pub fn origin(&self) -> ApiOrigin {
        // A checked base always has a scheme and a host; the fallback cannot be reached.
        ApiOrigin::parse(&self.base).unwrap_or_else(|| ApiOrigin(self.base.clone()))
    }
}

/// The scheme, host and port of an API: what a stored credential belongs to, and the
/// only place it is sent. Written lower-case, without the scheme's default port, so one
/// API has one spelling. `localhost` and `127.0.0.1` are different origins, as in a
/// browser.
///
/// ```
/// use skytells_auth::skytells::{ApiBase, ApiOrigin};
/// let staging = ApiBase::parse("https://Staging.Example.com:443/api/")?.origin();
/// assert_eq!(staging.as_str(), "https://staging.example.com");
/// assert!(!staging.is_default());
/// assert!(ApiBase::default().origin().is_default());
/// assert_eq!(ApiOrigin::parse("http://[::1]:8080").unwrap().as_str(), "http://[::1]:8080");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApiOrigin(String);

impl ApiOrigin {
    /// The origin of an `http` or `https` URL; `None` for anything else.
    pub fn parse(url: &str) -> Option<Self> {
        let uri: http::Uri = url.trim().parse().ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            _ => return None,
        };
        let host = uri.host().filter(|host| !host.is_empty())?.to_ascii_lowercase();
        Some(ApiOrigin(match uri.port_u16().filter(|port| *port != default_port) {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        }))
    }

    /// `https://host[:port]`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the default API's origin, the one the credentials file's top-level
    /// fields (those the Node CLI reads) belong to.
    pub fn is_default(&self) -> bool {
        // DEFAULT_API_URL is already an origin in its one spelling.
        self.0 == DEFAULT_API_URL
    }

    /// The default API's origin (<https://console.skytells.ai>).
    pub fn default_api() -> Self {
        ApiOrigin(DEFAULT_API_URL.to_owned())
    }

    /// Whether this is the default models API's origin (<https://api.skytells.ai>), the
    /// one the top-level `api_key` of credentials.json (the Node CLI's) belongs to.
    pub fn is_default_models(&self) -> bool {
        self.0 == DEFAULT_MODELS_ORIGIN
    }

    /// The default models API's origin (<https://api.skytells.ai>).
    pub fn default_models_api() -> Self {
        ApiOrigin(DEFAULT_MODELS_ORIGIN.to_owned())
    }
}

impl std::fmt::Display for ApiOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Default for ApiBase {
    fn default() -> Self {
        ApiBase { base: DEFAULT_API_URL.to_owned() }
    }
}

/// The name and version the client announces, in `client_name` and `User-Agent`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientInfo {
    /// Product name, such as `Skytells CLI`.
    pub name: String,
    /// Version, such as `0.1.0`.
    pub version: String,
}

impl ClientInfo {
    /// `Skytells CLI v0.1.0`: the `client_name` the Skytells device endpoint expects.
    pub fn client_name(&self) -> String {
        format!("{} v{}", self.name, self.version)
    }

    /// `skytells-cli/0.1.0`: the product token for `User-Agent`.
    pub fn user_agent(&self) -> String {
        let product: String =
            self.name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
        format!("{product}/{}", self.version)
    }
}

impl Default for ClientInfo {
    fn default() -> Self {
        ClientInfo { name: "Skytells CLI".to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() }
    }
}

/// How the device flow is spoken on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Dialect {
    /// The Skytells API: JSON bodies with `client_name` and a `scopes` array; pending,
    /// denied and expired as HTTP 428, 403 and 410.
    #[default]
    Skytells,
    /// Plain RFC 8628: form-encoded bodies with `client_id` and a space-separated `scope`;
    /// pending, slow_down, denied and expired as HTTP 400 with an `error` code.
    Rfc8628 {
        /// The OAuth client id registered with the server.
        client_id: String,
    },
}

/// Endpoint paths, relative to the [`ApiBase`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Endpoints {
    /// Device authorization (RFC 8628 §3.1).
    pub device_authorization: String,
    /// Token polling (RFC 8628 §3.4).
    pub token: String,
    /// Lists projects; used to check a personal access token.
    pub verify_token: String,
    /// The project an access key belongs to; used to check the key.
    pub verify_access_key: String,
    /// The signed-in account, for `whoami`. An assumption about the Skytells API, kept
    /// here only.
    pub identity: String,
    /// The models list of the models API, relative to its base (`SKYTELLS_AI_API_URL`,
    /// which ends in `/v1`); used to check an API key.
    pub models: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            device_authorization: "/api/oauth/device".to_owned(),
            token: "/api/oauth/token".to_owned(),
            verify_token: "/api/v1/cli/projects".to_owned(),
            verify_access_key: "/api/v1/cli/project".to_owned(),
            identity: "/api/v1/cli/me".to_owned(),
            models: "/models".to_owned(),
        }
    }
}

/// Everything the core needs to build requests for one Skytells API.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ApiConfig {
    /// Where the API is.
    pub base: ApiBase,
    /// Who is asking.
    pub client: ClientInfo,
    /// How the device flow is spoken.
    pub dialect: Dialect,
    /// Endpoint paths.
    pub endpoints: Endpoints,
    /// Per-request limits.
    pub limits: RequestLimits,
}

impl ApiConfig {
    /// The Skytells defaults, against `base`.
    pub fn new(base: ApiBase) -> Self {
        ApiConfig { base, ..ApiConfig::default() }
    }

    /// The same, with these request limits.
    pub fn with_limits(mut self, limits: RequestLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The same, speaking `dialect`.
    pub fn with_dialect(mut self, dialect: Dialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// The OAuth client that logs in to this API by the device flow.
    pub fn device_client(&self) -> DeviceClient {
        let device = self.base.join(&self.endpoints.device_authorization);
        let token = self.base.join(&self.endpoints.token);
        let client = match &self.dialect {
            Dialect::Skytells => {
                DeviceClient::unchecked(&device, &token, self.client.client_name(), Arc::new(SkytellsDialect))
            }
            Dialect::Rfc8628 { client_id } => {
                DeviceClient::unchecked(&device, &token, client_id.clone(), Arc::new(Standard))
            }
        };
        client.with_limits(self.limits).with_user_agent(self.client.user_agent())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_only_for_loopback() {
        assert!(ApiBase::parse("http://[::1]:9/").is_ok());
        assert!(matches!(ApiBase::parse("http://console.skytells.ai"), Err(ApiUrlError::InsecureHost { .. })));
        assert!(matches!(ApiBase::parse("ftp://x.test"), Err(ApiUrlError::UnsupportedScheme { .. })));
        assert!(matches!(ApiBase::parse("console.skytells.ai"), Err(ApiUrlError::Invalid { .. })));
        assert!(matches!(ApiBase::parse("https://x.test/#top"), Err(ApiUrlError::Invalid { .. })));
        assert!(matches!(ApiBase::parse("https://x.test/?a=b"), Err(ApiUrlError::Invalid { .. })));
    }

    #[test]
    fn a_base_has_one_spelling_and_plain_http_localhost_is_sent_to_127_0_0_1() {
        for written in ["HTTP://LocalHost:8080", "http://localhost:8080/", " Http://LOCALHOST.:8080// "] {
            let base = ApiBase::parse(written).unwrap();
            assert_eq!(base.as_str(), "http://localhost:8080", "{written:?}");
            assert_eq!(base.join("/api/v1/cli/me"), "http://127.0.0.1:8080/api/v1/cli/me", "{written:?}");
        }
        let base = ApiBase::parse("HTTPS://Console.Skytells.AI:443/").unwrap();
        assert_eq!(base, ApiBase::default());
        assert!(base.origin().is_default());
        let models = ApiBase::parse("HTTPS://API.skytells.ai:443/v1/").unwrap();
        assert_eq!(models, ApiBase::default_models());
        assert!(models.origin().is_default_models() && !models.origin().is_default());
        assert_eq!(models.origin(), ApiOrigin::default_models_api());
        assert_eq!(models.join("/models"), "https://api.skytells.ai/v1/models");
    }

    #[test]
    fn paths_join_with_one_slash() {
        let base = ApiBase::parse("https://x.test/prefix/").unwrap();
        assert_eq!(base.join("/api/v1/cli/me"), "https://x.test/prefix/api/v1/cli/me");
    }

    #[test]
    fn client_info_names_itself_in_both_forms() {
        let client = ClientInfo { name: "Skytells CLI".into(), version: "1.2.3".into() };
        assert_eq!(client.client_name(), "Skytells CLI v1.2.3");
        assert_eq!(client.user_agent(), "skytells-cli/1.2.3");
    }
}
