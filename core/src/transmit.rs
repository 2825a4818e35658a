//! What the core hands a driver to send, and what a driver reports when sending failed.

use std::time::Duration;

/// A request for the driver to send, with the limits to send it under.
#[derive(Debug)]
pub struct Transmit {
    /// The request, complete with headers and body.
    pub request: http::Request<Vec<u8>>,
    /// Give up after this long and report [`TransportErrorKind::Timeout`].
    pub timeout: Duration,
    /// Stop reading after this many body bytes and report [`TransportErrorKind::BodyTooLarge`].
    pub max_response_bytes: usize,
}

/// A request that got no usable HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {detail}")]
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
pub enum TransportErrorKind {
    /// No connection: refused, unreachable, DNS, TLS handshake.
    #[error("could not connect")]
    Connect,
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
