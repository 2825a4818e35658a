//! What the core hands a driver to send, and what a driver reports when sending failed.

use std::fmt;
use std::time::Duration;

/// A request for the driver to send, with the limits to send it under.
///
/// `Debug` shows the method, the URL, header names and the sizes of header values and
/// body, never their contents: they carry the client secret, device code, refresh token
/// or bearer token. Headers that carry a credential are marked
/// [sensitive](http::HeaderValue::set_sensitive), so HTTP clients keep them out of their
/// own logs too.
///
/// ```
/// use skytells_auth::{ClientAuth, DeviceClient, DeviceFlow, Moment, Output, Secret};
/// let client = DeviceClient::new("https://x.test/device", "https://x.test/token", "my-cli")?
///     .with_auth(ClientAuth::SecretBasic(Secret::new("s3cret")));
/// let Output::Transmit(transmit) = DeviceFlow::new(client, ["openid"]).poll_output(Moment::ZERO) else { unreachable!() };
/// assert!(transmit.request.headers()["authorization"].is_sensitive());
/// let shown = format!("{transmit:?}");
/// assert!(shown.contains("authorization") && !shown.contains("Basic") && !shown.contains("openid"));
/// # Ok::<(), skytells_auth::EndpointError>(())
/// ```
#[non_exhaustive]
pub struct Transmit {
    /// The request, complete with headers and body.
    pub request: http::Request<Vec<u8>>,
    /// Give up after this long and report [`TransportErrorKind::Timeout`]. Drivers
    /// treat anything longer than [`RequestLimits::MAX_TIMEOUT`](crate::RequestLimits::MAX_TIMEOUT)
    /// as that; see [`Transmit::timeout`].
    pub timeout: Duration,
    /// Stop reading after this many body bytes and report [`TransportErrorKind::BodyTooLarge`].
    pub max_response_bytes: usize,
}

impl Transmit {
    /// A request to send under these limits (the timeout at most
    /// [`RequestLimits::MAX_TIMEOUT`](crate::RequestLimits::MAX_TIMEOUT)).
    pub fn new(request: http::Request<Vec<u8>>, timeout: Duration, max_response_bytes: usize) -> Self {
        Transmit { request, timeout: timeout.min(crate::RequestLimits::MAX_TIMEOUT), max_response_bytes }
    }

    /// The timeout to send under: [`timeout`](Self::timeout), at most
    /// [`RequestLimits::MAX_TIMEOUT`](crate::RequestLimits::MAX_TIMEOUT). Drivers use this
    /// rather than the field, which a caller may have set to anything.
    pub fn timeout(&self) -> Duration {
        self.timeout.min(crate::RequestLimits::MAX_TIMEOUT)
    }
}

impl fmt::Debug for Transmit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let request = &self.request;
        let headers = request.headers().iter().map(|(name, value)| {
            let size = if value.is_sensitive() { Size::Sensitive(value.len()) } else { Size::Bytes(value.len()) };
            (name.as_str(), size)
        });
        f.debug_struct("Transmit")
            .field("method", request.method())
            .field("uri", request.uri())
            .field("headers", &DebugMap(headers.collect()))
            .field("body", &Size::Bytes(request.body().len()))
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// How a redacted value is shown in `Debug`: its size only.
#[derive(Clone, Copy)]
pub(crate) enum Size {
    /// A value of this many bytes.
    Bytes(usize),
    /// A credential of this many bytes.
    Sensitive(usize),
}

impl fmt::Debug for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Size::Bytes(len) => write!(f, "<{len} bytes>"),
            Size::Sensitive(len) => write!(f, "<sensitive, {len} bytes>"),
        }
    }
}

/// Pairs shown as a `Debug` map.
pub(crate) struct DebugMap<K, V>(pub(crate) Vec<(K, V)>);

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for DebugMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter().map(|(key, value)| (key, value))).finish()
    }
}

/// A request that got no usable HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {detail}")]
#[non_exhaustive]
pub struct TransportError {
    /// What went wrong, as far as the core cares.
    pub kind: TransportErrorKind,
    /// The driver's description, for people; sanitized before display.
    pub detail: String,
}

impl TransportError {
    /// A transport failure of `kind` described by `detail`.
    pub fn new(kind: TransportErrorKind, detail: impl AsRef<str>) -> Self {
        TransportError { kind, detail: crate::sanitize_for_display(detail.as_ref()) }
    }
}

/// Kinds of transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection: refused, unreachable, DNS, TLS handshake.
    #[error("could not connect")]
    Connect,
    /// The TLS handshake failed because no trusted authority issued the server's
    /// certificate. Retrying cannot help; trusting the issuer can. Nothing was sent.
    #[error("certificate not trusted")]
    UntrustedCertificate,
    /// The request took longer than [`Transmit::timeout`].
    #[error("timed out")]
    Timeout,
    /// The response body was larger than [`Transmit::max_response_bytes`].
    #[error("response too large")]
    BodyTooLarge,
    /// The connection broke mid-request or mid-response.
    #[error("connection failed")]
    Io,
    /// The server redirected; drivers never follow redirects, the core reports them.
    #[error("unexpected redirect")]
    Redirect,
}

/// The line a driver logs for one exchange: method, URL, status or failure, time and body
/// size. Headers and bodies are left out because they carry credentials (the bearer
/// token, the device code), so the line is always safe to log.
///
/// ```
/// use std::time::Duration;
/// use skytells_auth::{describe_exchange, http};
/// let response = http::Response::builder().status(428).body(b"{}".to_vec()).unwrap();
/// let line = describe_exchange(&http::Method::POST, &"https://x.test/api/oauth/token".parse().unwrap(),
///     Duration::from_millis(12), &Ok(response));
/// assert_eq!(line, "POST https://x.test/api/oauth/token -> 428 Precondition Required in 12 ms, 2 bytes");
/// ```
pub fn describe_exchange(
    method: &http::Method,
    uri: &http::Uri,
    elapsed: Duration,
    result: &Result<http::Response<Vec<u8>>, TransportError>,
) -> String {
    let elapsed_ms = elapsed.as_millis();
    match result {
        Ok(response) => {
            format!("{method} {uri} -> {} in {elapsed_ms} ms, {} bytes", response.status(), response.body().len())
        }
        Err(error) => format!("{method} {uri} failed after {elapsed_ms} ms: {error}"),
    }
}
