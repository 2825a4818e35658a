//! Async driver for [`skytells_auth`]: sends the core's requests with reqwest, sleeps
//! with tokio's timer, and makes no decision of its own.
//!
//! # Runtime requirements
//!
//! Usable inside an existing runtime; nothing here starts one. The runtime must have its
//! I/O and time drivers enabled (`Builder::enable_all()`, which `#[tokio::main]` does):
//! reqwest needs the first and request timeouts and polling waits need the second, and
//! tokio panics when either is missing. Any flavour works, `current_thread` included.
//!
//! Every future is
//! cancellation-safe: dropping [`TokioDriver::run_device_flow`]'s future (on Ctrl-C, or in
//! a `tokio::time::timeout`) stops the flow between two steps, and nothing is left running.
//!
//! ```no_run
//! # async fn login() -> Result<(), Box<dyn std::error::Error>> {
//! use skytells_auth::{DeviceClient, DeviceFlow, FlowEvent};
//! use skytells_auth_tokio::TokioDriver;
//!
//! let driver = TokioDriver::new()?;
//! let metadata = driver.discover("https://auth.example.com").await?;
//! let flow = DeviceFlow::new(DeviceClient::from_metadata(&metadata, "my-cli")?, ["openid"]);
//! let outcome = driver
//!     .run_device_flow(flow, |event| {
//!         if let FlowEvent::CodeIssued(code) = event {
//!             println!("Enter {} at {}", code.user_code, code.verification_uri);
//!         }
//!     })
//!     .await;
//! println!("{outcome:?}");
//! # Ok(()) }
//! ```
//!
//! # reqwest 0.12, not 0.13
//!
//! [`TokioDriver::with_client`] takes a `reqwest::Client`, so its major version is part of
//! this crate's API: build yours with [`skytells_auth_tokio::reqwest`](crate::reqwest)
//! (reqwest 0.12, re-exported) and the versions match. reqwest 0.13 (December 2025)
//! changed what matters here: its `rustls` feature (renamed from `rustls-tls`) brings the
//! aws-lc-rs crypto provider instead of *ring* (a C and cmake build, and a second provider
//! beside the *ring* that ureq and the rest of this workspace use), and it verifies with
//! rustls-platform-verifier instead of the roots it is given, unless told
//! `tls_certs_only`. Moving means re-checking the trust rules of
//! [`TrustedRoots`] and the certificate errors the driver
//! explains, and is a breaking release of this crate; until then embedders on 0.12 share
//! one reqwest with it.

/// The reqwest this driver is built on (0.12), to build the client given to
/// [`TokioDriver::with_client`] with, so that the versions match.
pub use reqwest;
use skytells_auth::{
    describe_exchange, discover, drive, Answer, DeviceFlow, DiscoveryError, Exchange, FlowEvent, Moment, Outcome,
    RequestError, RequestLimits, ServerMetadata, Transmit, TransportError, TransportErrorKind,
};
pub use skytells_auth_tls::TrustedRoots;
use skytells_auth_tls::{certificate_failure, RootSource};
use std::future::Future;
use std::task::Poll;
/// tokio's `Instant` (tokio 1), which [`TokioDriver::instant_at`] returns.
pub use tokio::time::Instant;

/// The HTTP client could not be set up (no TLS backend could start, say).
#[derive(Debug, thiserror::Error)]
#[error("could not set up the HTTP client")]
pub struct DriverError(#[source] reqwest::Error);

/// Runs the core's requests on the current tokio runtime.
#[derive(Debug, Clone)]
pub struct TokioDriver {
    client: reqwest::Client,
    /// For requests to this machine, when they are not to go through `client`: a client
    /// no proxy ever sees. `None` sends them through `client` (the caller's own).
    direct: Option<reqwest::Client>,
    /// What the driver's own clients trust, to explain a refused certificate.
    roots: TrustedRoots,
    /// Whether `client` is the caller's own, whose authorities this driver does not know.
    own_client: bool,
    /// The origin of this driver's clock (tokio's, so a paused test clock applies): every
    /// [`Moment`] it hands out or takes counts from here.
    origin: Instant,
}

impl TokioDriver {
    /// A driver with rustls, proxies from the environment (`HTTPS_PROXY`, `NO_PROXY`, …),
    /// the authorities the machine trusts (`SSL_CERT_FILE` and `SSL_CERT_DIR`, else the
    /// system's store, else the bundled Mozilla roots; see [`TrustedRoots::from_machine`]),
    /// and no redirect following: the core reports redirects instead, so credentials stay
    /// with the host they were meant for.
    pub fn new() -> Result<Self, DriverError> {
        Self::with_roots(TrustedRoots::from_machine())
    }

    /// The same, trusting `roots`.
    pub fn with_roots(roots: TrustedRoots) -> Result<Self, DriverError> {
        let client = build(trusting(reqwest::Client::builder(), &roots))?;
        let direct = build(trusting(reqwest::Client::builder().no_proxy(), &roots))?;
        Ok(TokioDriver { client, direct: Some(direct), roots, own_client: false, origin: Instant::now() })
    }

    /// A driver over your own client (build it with [`reqwest`] 0.12):
    /// every request goes through it, with its TLS roots, proxies, default headers and
    /// connection pool, **requests to this machine included** (a provider on loopback, a
    /// local emulator): if your client uses a proxy, a plain-http request to `127.0.0.1`
    /// goes to that proxy unless the client's `NO_PROXY` rules exempt it. To keep them on
    /// a client of the driver's own instead (no proxy, the machine's authorities), call
    /// [`TokioDriver::direct_to_loopback`].
    ///
    /// Build it with `redirect(reqwest::redirect::Policy::none())`: the core reports
    /// redirects instead of following them, so that credentials stay with the host named,
    /// and a client that follows them hides that from it. The core's timeout and size
    /// limit still apply.
    pub fn with_client(client: reqwest::Client) -> Self {
        // Nothing here uses `roots` until `direct_to_loopback` reads the machine's.
        TokioDriver { client, direct: None, roots: TrustedRoots::bundled(), own_client: true, origin: Instant::now() }
    }

    /// Requests to this machine skip the client given to [`TokioDriver::with_client`]:
    /// they go on a client of the driver's own that no proxy ever sees, trusting the
    /// machine's authorities. (A driver that built its own client already does this.)
    pub fn direct_to_loopback(mut self) -> Result<Self, DriverError> {
        if self.direct.is_none() {
            self.roots = TrustedRoots::from_machine();
            self.direct = Some(build(trusting(reqwest::Client::builder().no_proxy(), &self.roots))?);
        }
        Ok(self)
    }

    /// Now, on this driver's clock: the `sent_at` to build a
    /// [`Refresh`](skytells_auth::Refresh) with, so that its grant's `expires_at` is on
    /// the same clock as the device flow's. Clones share the clock.
    pub fn now(&self) -> Moment {
        Moment::from_duration(self.origin.elapsed())
    }

    /// The tokio [`Instant`] a moment of this driver's clock stands for, such as a grant's
    /// `expires_at` (ready for `tokio::time::sleep_until`; `.into_std()` gives the
    /// standard one); `None` past what `Instant` can hold.
    pub fn instant_at(&self, moment: Moment) -> Option<Instant> {
        self.origin.checked_add(moment.since_origin())
    }

    /// Sends one request under the limits the core set.
    pub async fn send(&self, transmit: Transmit) -> Result<http::Response<Vec<u8>>, TransportError> {
        let timeout = transmit.timeout();
        let Transmit { request, max_response_bytes, .. } = transmit;
        let (started, method, uri) = (std::time::Instant::now(), request.method().clone(), request.uri().clone());
        let exchange = async {
            // A request to this machine goes through no proxy, unless the caller's own
            // client is to carry it: plain http to loopback is allowed only because it
            // never leaves the machine.
            let loopback = uri.host().is_some_and(skytells_auth::is_loopback_address);
            let (client, own_choice) = match (&self.direct, loopback) {
                (Some(direct), true) => (direct, true),
                _ => (&self.client, !self.own_client),
            };
            let roots = own_choice.then_some(&self.roots);
            let failed = |error| transport_error(error, roots);
            let request = reqwest::Request::try_from(request).map_err(failed)?;
            let mut response = client.execute(request).await.map_err(failed)?;
            let mut builder = http::Response::builder().status(response.status()).version(response.version());
            if let Some(headers) = builder.headers_mut() {
                *headers = std::mem::take(response.headers_mut());
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(failed)? {
                if body.len() + chunk.len() > max_response_bytes {
                    return Err(TransportError::new(
                        TransportErrorKind::BodyTooLarge,
                        format!("the response body is larger than {max_response_bytes} bytes"),
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            builder.body(body).map_err(|error| TransportError::new(TransportErrorKind::Io, error.to_string()))
        };
        let result = match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::new(
                TransportErrorKind::Timeout,
                format!("no complete response within {} s", timeout.as_secs_f32()),
            )),
        };
        tracing::debug!("{}", describe_exchange(&method, &uri, started.elapsed(), &result));
        result
    }

    /// Runs a one-shot exchange: a refresh, a discovery document, a Skytells API call.
    pub async fn execute<E: Exchange>(&self, exchange: &E) -> Result<E::Output, E::Error> {
        let transmit = exchange.transmit()?;
        let response = self.send(transmit).await.map_err(|error| E::Error::from(RequestError::Transport(error)))?;
        exchange.interpret(response)
    }

    /// Runs two independent exchanges at once, so that together they cost one round trip
    /// rather than two (each on its own connection).
    pub async fn execute_both<A: Exchange, B: Exchange>(&self, first: &A, second: &B) -> (Answer<A>, Answer<B>) {
        // `tokio::join!` would need tokio's `macros` feature in every embedder's build.
        let (mut first, mut second) = (std::pin::pin!(self.execute(first)), std::pin::pin!(self.execute(second)));
        let (mut first_done, mut second_done) = (None, None);
        std::future::poll_fn(|context| {
            if first_done.is_none() {
                if let Poll::Ready(result) = first.as_mut().poll(context) {
                    first_done = Some(result);
                }
            }
            if second_done.is_none() {
                if let Poll::Ready(result) = second.as_mut().poll(context) {
                    second_done = Some(result);
                }
            }
            match (first_done.take(), second_done.take()) {
                (Some(first), Some(second)) => Poll::Ready((first, second)),
                (first, second) => {
                    (first_done, second_done) = (first, second);
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// Finds an issuer's endpoints (OpenID Connect Discovery, then RFC 8414), under the
    /// default request limits.
    pub async fn discover(&self, issuer: &str) -> Result<ServerMetadata, DiscoveryError> {
        discover(issuer, RequestLimits::default(), |transmit| self.send(transmit)).await
    }

    /// Runs a device flow to its outcome, handing each event to `on_event` as it happens.
    /// The loop is the core's [`drive`]; this driver only sends and sleeps, with tokio's
    /// clock.
    pub async fn run_device_flow(&self, flow: DeviceFlow, on_event: impl FnMut(&FlowEvent)) -> Outcome {
        let origin = self.origin;
        let now = || self.now();
        // A moment past the end of tokio's clock (from a `Duration::MAX` bound) is a very
        // long sleep, not an overflow.
        let sleep_until = |wake_at: Moment| {
            tokio::time::sleep_until(origin.checked_add(wake_at.since_origin()).unwrap_or_else(far_future))
        };
        drive(flow, now, |transmit| self.send(transmit), sleep_until, on_event).await
    }
}

/// A moment no login reaches: thirty years from now.
fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(30 * 365 * 24 * 60 * 60)
}

/// `builder`, trusting `roots` (reqwest's own bundled roots when the machine has none).
fn trusting(builder: reqwest::ClientBuilder, roots: &TrustedRoots) -> reqwest::ClientBuilder {
    if roots.source() == RootSource::Bundled {
        return builder;
    }
    roots
        .certificates()
        .iter()
        .filter_map(|der| reqwest::Certificate::from_der(der).ok())
        .fold(builder.tls_built_in_root_certs(false), reqwest::ClientBuilder::add_root_certificate)
}

/// The client, following no redirect.
fn build(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, DriverError> {
    builder.redirect(reqwest::redirect::Policy::none()).build().map_err(DriverError)
}

/// Sorts reqwest's errors into the kinds the core distinguishes. reqwest's messages
/// name the URL, never headers, so no credential reaches the text.
fn transport_error(error: reqwest::Error, roots: Option<&TrustedRoots>) -> TransportError {
    if let Some(failure) = certificate_failure(&error, roots) {
        return failure;
    }
    let kind = if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_redirect() {
        TransportErrorKind::Redirect
    } else {
        TransportErrorKind::Io
    };
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    TransportError::new(kind, detail)
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
