//! Which URLs a credential may be sent to: `https`, or plain `http` to this machine only.

use core::net::{IpAddr, Ipv6Addr};

/// Why a URL was refused as somewhere to send requests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// Not an absolute URL with a host and a valid port, or one with a query or fragment.
    #[error("`{url}` is not an absolute http(s) URL")]
    Invalid {
        /// The URL, sanitized for display.
        url: String,
    },
    /// A user name or password in the URL: refused rather than ignored, since it would
    /// otherwise be shown wherever the URL is (messages, `--json`, logs).
    #[error(
        "the URL carries a user name or password; remove it (credentials come from `login`, `link` or the environment)"
    )]
    UserInfo,
    /// A scheme other than http or https.
    #[error("`{url}` must use https (got `{scheme}`)")]
    UnsupportedScheme {
        /// The URL, sanitized for display.
        url: String,
        /// The scheme given.
        scheme: String,
    },
    /// Plain http to a host that is not this machine.
    #[error("refusing plain http to `{host}`: credentials would cross the network unencrypted")]
    InsecureHost {
        /// The host named.
        host: String,
    },
}

/// Checks that `url` is absolute, `https` (or `http` to a loopback host), and has no
/// query or fragment; returns it parsed, in the one spelling [`normalize_endpoint`] gives.
///
/// ```
/// use skytells_auth::check_endpoint;
/// assert!(check_endpoint("https://auth.example.com/oauth/token").is_ok());
/// assert!(check_endpoint("http://127.0.0.1:8080/token").is_ok());
/// assert!(check_endpoint("http://auth.example.com/token").is_err());
/// assert_eq!(check_endpoint("HTTPS://Auth.Example.com:443/token")?, "https://auth.example.com/token");
/// # Ok::<(), skytells_auth::EndpointError>(())
/// ```
pub fn check_endpoint(url: &str) -> Result<http::Uri, EndpointError> {
    let normalized = normalize_endpoint(url)?;
    // What `normalize_endpoint` builds is made of the parts of a URI that parsed.
    normalized.parse().map_err(|_| EndpointError::Invalid { url: crate::sanitize_for_display(url) })
}

/// Checks `url` as [`check_endpoint`] does and returns it in one spelling, so that no later
/// decision (is this plain http? is the host this machine? which proxy?) depends on how it
/// was written: scheme and host lower-case, the scheme's default port dropped, and
/// `localhost.` written `localhost`. The path is kept as given: servers may tell
/// `/token` from `/Token` or `/token/`.
///
/// ```
/// use skytells_auth::normalize_endpoint;
/// assert_eq!(normalize_endpoint("HTTP://LocalHost:80/Token")?, "http://localhost/Token");
/// assert_eq!(normalize_endpoint("https://Auth.Example.com:8443")?, "https://auth.example.com:8443/");
/// # Ok::<(), skytells_auth::EndpointError>(())
/// ```
pub fn normalize_endpoint(url: &str) -> Result<String, EndpointError> {
    let invalid = || EndpointError::Invalid { url: crate::sanitize_for_display(url) };
    let uri: http::Uri = url.parse().map_err(|_| invalid())?;
    if uri.authority().is_some_and(|authority| authority.as_str().contains('@')) {
        return Err(EndpointError::UserInfo);
    }
    let host = uri.host().filter(|host| !host.is_empty()).ok_or_else(invalid)?;
    if uri.query().is_some() || url.contains('#') {
        return Err(invalid());
    }
    // `http::Uri` accepts any text after the host's colon and reports no port for it.
    let after_host =
        uri.authority().map(|authority| authority.as_str()).and_then(|authority| authority.strip_prefix(host));
    match after_host.map(|rest| rest.strip_prefix(':').map(str::parse::<u16>)) {
        None | Some(Some(Ok(1..))) => {}
        Some(None) if after_host == Some("") => {}
        _ => return Err(invalid()),
    }
    // `http::Uri` already reads the scheme without regard to case; the host is lowered here.
    let (scheme, default_port) = match uri.scheme_str() {
        Some("https") => ("https", 443),
        Some("http") if is_loopback_host(host) => ("http", 80),
        Some("http") => return Err(EndpointError::InsecureHost { host: crate::sanitize_for_display(host) }),
        Some(other) => {
            return Err(EndpointError::UnsupportedScheme {
                url: crate::sanitize_for_display(url),
                scheme: crate::sanitize_for_display(other),
            })
        }
        None => return Err(invalid()),
    };
    let mut host = host.to_ascii_lowercase();
    if host.trim_end_matches('.') == "localhost" {
        host.truncate("localhost".len());
    }
    let path = uri.path();
    Ok(match uri.port_u16().filter(|port| *port != default_port) {
        Some(port) => format!("{scheme}://{host}:{port}{path}"),
        None => format!("{scheme}://{host}{path}"),
    })
}

/// Whether a URL host is this machine by what it is, not by what a resolver may say: a
/// loopback address (`127.0.0.0/8`, `[::1]`), or `localhost`, which requests reach as
/// `127.0.0.1` ([`pin_loopback`]). Other `*.localhost` names are not: they are resolved
/// like any name and may lead anywhere. Hosts come as `http::Uri` gives them: IPv6
/// literals keep their brackets.
pub fn is_loopback_host(host: &str) -> bool {
    host.trim_end_matches('.').eq_ignore_ascii_case("localhost") || is_loopback_address(host)
}

/// Whether a URL host is a loopback address itself (`127.0.0.0/8`, `[::1]`), not a name:
/// a request to it stays on this machine whatever a resolver says, so drivers send it
/// without a proxy.
///
/// ```
/// use skytells_auth::is_loopback_address;
/// assert!(is_loopback_address("127.0.0.1") && is_loopback_address("[::1]"));
/// assert!(!is_loopback_address("localhost") && !is_loopback_address("10.0.0.1"));
/// ```
pub fn is_loopback_address(host: &str) -> bool {
    match host.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
        Some(v6) => v6.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback()),
        None => host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()),
    }
}

/// The URL a request is sent to: a plain-http `localhost` becomes `127.0.0.1`, so that the
/// address connected to is the loopback one whatever the resolver says. Other URLs are
/// returned as they are.
///
/// ```
/// use skytells_auth::pin_loopback;
/// assert_eq!(pin_loopback("http://localhost:8787/api"), "http://127.0.0.1:8787/api");
/// assert_eq!(pin_loopback("HTTP://LocalHost.:8787/api"), "http://127.0.0.1:8787/api");
/// assert_eq!(pin_loopback("https://localhost/api"), "https://localhost/api");
/// ```
pub fn pin_loopback(url: &str) -> String {
    // The scheme in any case: `HTTP://localhost` is plain http too.
    let rest = match url.split_at_checked("http://".len()) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http://") => rest,
        _ => return url.to_owned(),
    };
    let host_end = rest.find(['/', ':', '?', '#']).unwrap_or(rest.len());
    let host = rest[..host_end].trim_end_matches('.');
    if host.eq_ignore_ascii_case("localhost") {
        format!("http://127.0.0.1{}", &rest[host_end..])
    } else {
        url.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognized() {
        for host in ["localhost", "LOCALHOST.", "127.0.0.1", "127.8.9.10", "[::1]"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["10.0.0.1", "localhost.evil.com", "[::2]", "example.com", "0.0.0.0", "app.localhost"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn endpoints_are_https_or_loopback_http_without_query() {
        assert!(check_endpoint("http://[::1]:9/t").is_ok());
        assert!(matches!(check_endpoint("http://x.test/t"), Err(EndpointError::InsecureHost { .. })));
        assert!(matches!(check_endpoint("ftp://x.test/t"), Err(EndpointError::UnsupportedScheme { .. })));
        assert!(matches!(check_endpoint("/relative"), Err(EndpointError::Invalid { .. })));
        assert!(matches!(check_endpoint("https://x.test/t?a=b"), Err(EndpointError::Invalid { .. })));
        assert!(matches!(check_endpoint("https://x.test/t#f"), Err(EndpointError::Invalid { .. })));
        assert_eq!(check_endpoint("http://ada:s3cret@127.0.0.1:8080"), Err(EndpointError::UserInfo));
        assert_eq!(check_endpoint("https://token@x.test/"), Err(EndpointError::UserInfo));
        assert!(matches!(check_endpoint("http://127.0.0.1:99999/"), Err(EndpointError::Invalid { .. })));
        assert!(matches!(check_endpoint("http://127.0.0.1:0/"), Err(EndpointError::Invalid { .. })));
        assert!(matches!(check_endpoint("http://127.0.0.1:8x/"), Err(EndpointError::Invalid { .. })));
    }

    #[test]
    fn endpoints_have_one_spelling_whatever_the_case_or_port_written() {
        for (written, normalized) in [
            ("HTTP://LocalHost:8080/Token", "http://localhost:8080/Token"),
            ("http://LOCALHOST.:8080/t", "http://localhost:8080/t"),
            ("hTTp://[::1]:80/a", "http://[::1]/a"),
            ("HTTPS://Auth.Example.COM:443", "https://auth.example.com/"),
            ("https://auth.example.com:8443/oauth/", "https://auth.example.com:8443/oauth/"),
        ] {
            assert_eq!(normalize_endpoint(written).as_deref(), Ok(normalized), "{written}");
            assert_eq!(check_endpoint(written).map(|uri| uri.to_string()).as_deref(), Ok(normalized), "{written}");
        }
        assert!(matches!(normalize_endpoint("HTTP://Example.com/t"), Err(EndpointError::InsecureHost { .. })));
    }

    #[test]
    fn plain_http_localhost_is_pinned_whatever_the_case() {
        for url in ["HTTP://LocalHost:9/t", "Http://LOCALHOST.:9/t", "http://localhost:9/t"] {
            assert_eq!(pin_loopback(url), "http://127.0.0.1:9/t", "{url}");
        }
        assert_eq!(pin_loopback("HTTPS://LocalHost:9/t"), "HTTPS://LocalHost:9/t");
        assert_eq!(pin_loopback("HTTP"), "HTTP");
    }
}
