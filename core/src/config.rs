//! Where the API is, who we say we are, and which dialect the server speaks.

use std::time::Duration;

use core::net::{IpAddr, Ipv6Addr};

/// The Skytells API used when neither `--api-url` nor `SKYTELLS_API_URL` is given.
pub const DEFAULT_API_URL: &str = "https://console.skytells.ai";

/// An API base URL that is safe to send credentials to: `https`, or plain `http` only to a
/// loopback host (`localhost`, `127.0.0.0/8`, `[::1]`) for local testing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiBase {
    /// Scheme, authority and optional path prefix, without a trailing slash.
    base: String,
}

/// Why an API URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiUrlError {
    /// Not a URL at all, or one without a host.
    #[error("`{url}` is not a valid API URL; expected something like {DEFAULT_API_URL}")]
    Invalid {
        /// The URL, sanitized for display.
        url: String,
    },
    /// A scheme other than http or https.
    #[error("the API URL must use https (got `{scheme}`)")]
    UnsupportedScheme {
        /// The scheme given.
        scheme: String,
    },
    /// Plain http to a host that is not this machine.
    #[error("refusing plain http to `{host}`: credentials would cross the network unencrypted. Use https, or http only to localhost/127.0.0.1/[::1] for local testing")]
    InsecureHost {
        /// The host named.
        host: String,
    },
}

impl ApiBase {
    /// Checks and normalizes an API base URL.
    ///
    /// ```
    /// use skytells_auth::ApiBase;
    /// assert!(ApiBase::parse("https://console.skytells.ai/").is_ok());
    /// assert!(ApiBase::parse("http://127.0.0.1:8080").is_ok());
    /// assert!(ApiBase::parse("http://api.example.com").is_err());
    /// ```
    pub fn parse(url: &str) -> Result<Self, ApiUrlError> {
        let trimmed = url.trim();
        let invalid = || ApiUrlError::Invalid { url: crate::sanitize_for_display(trimmed) };
        let uri: http::Uri = trimmed.parse().map_err(|_| invalid())?;
        let host = uri.host().filter(|host| !host.is_empty()).ok_or_else(invalid)?;
        if uri.query().is_some() {
            return Err(invalid());
        }
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if is_loopback_host(host) => {}
            Some("http") => return Err(ApiUrlError::InsecureHost { host: crate::sanitize_for_display(host) }),
            Some(other) => return Err(ApiUrlError::UnsupportedScheme { scheme: crate::sanitize_for_display(other) }),
            None => return Err(invalid()),
        }
        Ok(ApiBase { base: trimmed.trim_end_matches('/').to_owned() })
    }

    /// The base URL, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The full URL of an endpoint path such as `/api/oauth/device`.
    pub fn join(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }
}

impl Default for ApiBase {
    fn default() -> Self {
        ApiBase { base: DEFAULT_API_URL.to_owned() }
    }
}

/// Whether a URL host names this machine. Hosts come as `http::Uri` gives them: IPv6
/// literals keep their brackets.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
        return v6.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The name and version the client announces, in `client_name` and `User-Agent`.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            device_authorization: "/api/oauth/device".to_owned(),
            token: "/api/oauth/token".to_owned(),
            verify_token: "/api/v1/cli/projects".to_owned(),
            verify_access_key: "/api/v1/cli/project".to_owned(),
            identity: "/api/v1/cli/me".to_owned(),
        }
    }
}

/// Limits every driver applies to every request the core emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    /// The longest a request may take, connection to last body byte.
    pub timeout: Duration,
    /// The largest response body accepted; a larger one is a transport failure.
    pub max_response_bytes: usize,
}

impl Default for RequestLimits {
    /// 30 seconds and 1 MiB: generous for a JSON API, small enough to fail fast.
    fn default() -> Self {
        RequestLimits { timeout: Duration::from_secs(30), max_response_bytes: 1024 * 1024 }
    }
}

/// Everything the core needs to build requests for one API.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognized() {
        for host in ["localhost", "LOCALHOST.", "127.0.0.1", "127.8.9.10", "[::1]", "app.localhost"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["10.0.0.1", "localhost.evil.com", "[::2]", "example.com", "0.0.0.0"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn plain_http_is_only_for_loopback() {
        assert!(ApiBase::parse("http://[::1]:9/").is_ok());
        assert!(matches!(ApiBase::parse("http://console.skytells.ai"), Err(ApiUrlError::InsecureHost { .. })));
        assert!(matches!(ApiBase::parse("ftp://x.test"), Err(ApiUrlError::UnsupportedScheme { .. })));
        assert!(matches!(ApiBase::parse("console.skytells.ai"), Err(ApiUrlError::Invalid { .. })));
        assert!(matches!(ApiBase::parse("https://x.test/?a=b"), Err(ApiUrlError::Invalid { .. })));
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
