//! Blocking driver for [`skytells_auth`]: sends the core's requests with ureq and sleeps
//! with the calling thread, making no protocol decision of its own.
//!
//! ```no_run
//! use skytells_auth::{DeviceClient, DeviceFlow, FlowEvent, Outcome};
//! use skytells_auth_blocking::BlockingDriver;
//!
//! let driver = BlockingDriver::new();
//! let metadata = driver.discover("https://auth.example.com")?;
//! let client = DeviceClient::from_metadata(&metadata, "my-cli")?;
//! let outcome = driver.run_device_flow(DeviceFlow::new(client, ["openid"]), |event| {
//!     if let FlowEvent::CodeIssued(code) = event {
//!         eprintln!("Enter {} at {}", code.user_code, code.verification_uri);
//!     }
//! });
//! if let Outcome::Authorized(grant) = outcome {
//!     println!("token {}", grant.access_token); // shows a short prefix only
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The credentials file of the Skytells CLI is in `skytells-auth-store`, which needs no
//! HTTP client.

mod block_on;
mod cancel;

use std::future::ready;
use std::io;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use skytells_auth::{
    describe_exchange, discover, drive, Answer, DeviceFlow, DiscoveryError, Exchange, FlowEvent, Moment, Outcome,
    RequestError, RequestLimits, ServerMetadata, Transmit, TransportError, TransportErrorKind,
};

use cancel::Gate;
pub use cancel::{Cancel, Cancelled};
pub use skytells_auth_tls::TrustedRoots;
use skytells_auth_tls::{certificate_failure, RootSource};
/// The ureq this driver is built on (3), to build the agent given to
/// [`BlockingDriver::with_agent`] with, so that the versions match.
pub use ureq;

/// The variables a proxy is taken from, in the order they are tried.
const PROXY_VARIABLES: [&str; 6] = ["ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"];

/// A proxy requests go through: see [`BlockingDriver::proxy_for`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxyRoute {
    /// The proxy, as `scheme://host:port`: no user name or password.
    pub url: String,
    /// The environment variable it came from (`None`: an agent of your own).
    pub variable: Option<&'static str>,
}

/// Runs the core's requests on the calling thread.
#[derive(Debug, Clone)]
pub struct BlockingDriver {
    /// Your agent, when you gave one: for every request, or for other hosts only after
    /// [`BlockingDriver::direct_to_loopback`].
    own_agent: Option<ureq::Agent>,
    /// Whether requests to this machine skip `own_agent`.
    loopback_direct: bool,
    /// Plain http to this machine: no proxy, and no TLS to set up.
    plain: ureq::Agent,
    /// Everything over TLS, set up by the first https request: reading the machine's
    /// authorities takes milliseconds that a plain-http request to this machine does not
    /// need (a CLI against a local emulator, say).
    tls: Arc<OnceLock<TlsAgents>>,
    /// The authorities to trust when given; the machine's otherwise.
    roots: Option<TrustedRoots>,
    /// The origin of this driver's clock: every [`Moment`] it hands out or takes (a
    /// grant's `expires_at`, a code's expiry, a refresh's `sent_at`) counts from here.
    origin: Instant,
}

#[derive(Debug)]
struct TlsAgents {
    /// For other hosts: proxies from the environment.
    remote: ureq::Agent,
    /// For this machine: no proxy ever sees these requests.
    direct: ureq::Agent,
    /// What both trust, to explain a refused certificate.
    roots: TrustedRoots,
}

impl Default for BlockingDriver {
    fn default() -> Self {
        Self::new()
    }
}

impl BlockingDriver {
    /// A driver that honours `HTTPS_PROXY`/`NO_PROXY` (and the other usual proxy
    /// variables), trusts the authorities the machine trusts (`SSL_CERT_FILE` and
    /// `SSL_CERT_DIR`, else the system's store, else the bundled Mozilla roots; see
    /// [`TrustedRoots::from_machine`], read at the first https request), and never
    /// follows redirects: the core reports them instead, so credentials stay with the
    /// host they were meant for.
    pub fn new() -> Self {
        BlockingDriver {
            own_agent: None,
            loopback_direct: false,
            plain: ureq::Agent::config_builder().proxy(None).build().into(),
            tls: Arc::default(),
            roots: None,
            origin: Instant::now(),
        }
    }

    /// Now, on this driver's clock: the `sent_at` to build a
    /// [`Refresh`](skytells_auth::Refresh) with, so that its grant's `expires_at` is on
    /// the same clock as the device flow's. Clones share the clock.
    pub fn now(&self) -> Moment {
        Moment::from_duration(self.origin.elapsed())
    }

    /// The [`Instant`] a moment of this driver's clock stands for, such as a grant's
    /// `expires_at`; `None` past what `Instant` can hold.
    ///
    /// ```no_run
    /// # use skytells_auth::{DeviceClient, DeviceFlow, Outcome};
    /// # let flow = DeviceFlow::new(DeviceClient::new("https://x.test/d", "https://x.test/t", "c").unwrap(), ["a"]);
    /// let driver = skytells_auth_blocking::BlockingDriver::new();
    /// if let Outcome::Authorized(grant) = driver.run_device_flow(flow, |_| {}) {
    ///     let expires: Option<std::time::Instant> = grant.expires_at.and_then(|at| driver.instant_at(at));
    /// }
    /// ```
    pub fn instant_at(&self, moment: Moment) -> Option<Instant> {
        self.origin.checked_add(moment.since_origin())
    }

    /// The same, trusting `roots` instead of the machine's authorities.
    pub fn with_roots(roots: TrustedRoots) -> Self {
        BlockingDriver { roots: Some(roots), ..Self::new() }
    }

    /// A driver over your own agent (build it with [`ureq`] 3): every
    /// request goes through it, with its TLS roots, proxy, user agent and connection pool,
    /// **requests to this machine included** (a provider on loopback, a local emulator):
    /// if your agent uses a proxy, a plain-http request to `127.0.0.1` goes to that proxy
    /// unless its `NO_PROXY` rules exempt it. To keep them on agents of the driver's own
    /// instead (no proxy, the machine's authorities), call
    /// [`BlockingDriver::direct_to_loopback`].
    ///
    /// Whatever the agent's settings, each request is sent without following redirects,
    /// with HTTP error statuses handed to the core as answers, and under the core's timeout.
    pub fn with_agent(agent: ureq::Agent) -> Self {
        BlockingDriver { own_agent: Some(agent), ..Self::new() }
    }

    /// Requests to this machine skip the agent given to [`BlockingDriver::with_agent`]:
    /// they go on agents of the driver's own that no proxy ever sees, trusting the
    /// machine's authorities (or those given to [`BlockingDriver::with_roots`]). A driver
    /// without an agent of yours already does this.
    pub fn direct_to_loopback(mut self) -> Self {
        self.loopback_direct = true;
        self
    }

    /// The TLS agents, set up on first use.
    fn tls(&self) -> &TlsAgents {
        self.tls.get_or_init(|| {
            let roots = self.roots.clone().unwrap_or_else(TrustedRoots::from_machine);
            let tls = tls_config(&roots);
            let remote = ureq::Agent::config_builder().proxy(ureq::Proxy::try_from_env()).tls_config(tls.clone());
            let direct = ureq::Agent::config_builder().proxy(None).tls_config(tls);
            TlsAgents { remote: remote.build().into(), direct: direct.build().into(), roots }
        })
    }

    /// The agent for `uri`, and the authorities it trusts when this driver chose them.
    fn agent_for(&self, uri: &http::Uri) -> (&ureq::Agent, Option<&TrustedRoots>) {
        let direct = uri.host().is_some_and(skytells_auth::is_loopback_address);
        if let Some(own) = &self.own_agent {
            if !(direct && self.loopback_direct) {
                return (own, None);
            }
        }
        // Otherwise a request to this machine goes through no proxy: plain http to
        // loopback is allowed only because it never leaves the machine.
        if direct && uri.scheme() == Some(&http::uri::Scheme::HTTP) {
            return (&self.plain, None);
        }
        let tls = self.tls();
        (if direct { &tls.direct } else { &tls.remote }, Some(&tls.roots))
    }

    /// The proxy a request to `uri` would go through, as this driver decides it (`None`:
    /// straight to the server): never for this machine; else the agent's own, or the first
    /// usable one of `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY` (each also in lower case),
    /// unless `NO_PROXY` exempts the host. For a doctor to show; it reads the environment
    /// now, as the driver does at its first https request.
    ///
    /// ```
    /// let driver = skytells_auth_blocking::BlockingDriver::new();
    /// assert!(driver.proxy_for(&"http://127.0.0.1:8080/".parse().unwrap()).is_none());
    /// ```
    pub fn proxy_for(&self, uri: &http::Uri) -> Option<ProxyRoute> {
        if uri.host().is_some_and(skytells_auth::is_loopback_address) {
            return None;
        }
        let (proxy, variable) = match &self.own_agent {
            Some(own) => (own.config().proxy()?.clone(), None),
            None => {
                let proxy = ureq::Proxy::try_from_env()?;
                // The variable it came from: the first set whose value makes this proxy.
                let variable = PROXY_VARIABLES.into_iter().find(|name| {
                    let named = std::env::var(name).ok().and_then(|value| ureq::Proxy::new(&value).ok());
                    named.is_some_and(|named| named.uri() == proxy.uri())
                });
                (proxy, variable)
            }
        };
        if proxy.is_no_proxy(uri) {
            return None;
        }
        let scheme = proxy.uri().scheme_str().unwrap_or("http").to_owned();
        Some(ProxyRoute { url: format!("{scheme}://{}:{}", proxy.host(), proxy.port()), variable })
    }

    /// Sends one request under the limits the core set.
    pub fn send(&self, transmit: Transmit) -> Result<http::Response<Vec<u8>>, TransportError> {
        let timeout = transmit.timeout();
        let Transmit { request, max_response_bytes, .. } = transmit;
        let (started, method, uri) = (Instant::now(), request.method().clone(), request.uri().clone());
        let (agent, roots) = self.agent_for(&uri);
        let request = agent
            .configure_request(request)
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(timeout))
            .build();
        let failed = |error| transport_error(error, roots);
        let result = agent.run(request).map_err(failed).and_then(|response| {
            let (parts, mut body) = response.into_parts();
            let bytes = body.with_config().limit(max_response_bytes as u64).read_to_vec().map_err(failed)?;
            Ok(http::Response::from_parts(parts, bytes))
        });
        tracing::debug!("{}", describe_exchange(&method, &uri, started.elapsed(), &result));
        result
    }

    /// Runs a one-shot exchange: a refresh, a discovery document, a Skytells API call.
    pub fn execute<E: Exchange>(&self, exchange: &E) -> Result<E::Output, E::Error> {
        let response =
            self.send(exchange.transmit()?).map_err(|error| E::Error::from(RequestError::Transport(error)))?;
        exchange.interpret(response)
    }

    /// Runs two independent exchanges at once, the second on a scoped thread, so that
    /// together they cost one round trip rather than two (each on its own connection).
    ///
    /// ```no_run
    /// # use skytells_auth::skytells::{ApiConfig, ApiBase, FetchIdentity, VerifyToken};
    /// # use skytells_auth::Secret;
    /// # let (config, token) = (ApiConfig::new(ApiBase::default()), Secret::new("sk_pat_x"));
    /// let driver = skytells_auth_blocking::BlockingDriver::new();
    /// let (valid, identity) =
    ///     driver.execute_both(&VerifyToken { config: &config, token: &token }, &FetchIdentity { config: &config, token: &token });
    /// ```
    pub fn execute_both<A, B>(&self, first: &A, second: &B) -> (Answer<A>, Answer<B>)
    where
        A: Exchange,
        B: Exchange + Sync,
        B::Output: Send,
        B::Error: Send,
    {
        std::thread::scope(|scope| {
            let other = scope.spawn(|| self.execute(second));
            let first = self.execute(first);
            (first, other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
        })
    }

    /// Finds an issuer's endpoints (OpenID Connect Discovery, then RFC 8414), under the
    /// default request limits.
    pub fn discover(&self, issuer: &str) -> Result<ServerMetadata, DiscoveryError> {
        block_on::block_on(discover(issuer, RequestLimits::default(), |transmit| ready(self.send(transmit))))
    }

    /// Runs a device flow to its outcome on the calling thread, handing each event to
    /// `on_event` as it happens. The loop is the core's [`drive`]; this driver only sends
    /// and sleeps.
    pub fn run_device_flow(&self, flow: DeviceFlow, on_event: impl FnMut(&FlowEvent)) -> Outcome {
        let now = || self.now();
        let sleep_until = |wake_at: Moment| {
            std::thread::sleep(wake_at.saturating_duration_since(now()));
            ready(())
        };
        block_on::block_on(drive(flow, now, |transmit| ready(self.send(transmit)), sleep_until, on_event))
    }

    /// The same, stopping early when `cancel` is cancelled (from another thread, a signal
    /// handler's thread, or a timer): a sleep ends at once, and so does the wait for a
    /// request in flight, and nothing more is sent.
    ///
    /// To be abandoned at once, each request is sent from a thread of its own (one at a
    /// time; a poll every few seconds). A request abandoned by a cancel finishes on its
    /// thread within its timeout, and its answer is dropped unread.
    ///
    /// ```no_run
    /// # use skytells_auth::{DeviceClient, DeviceFlow};
    /// # use skytells_auth_blocking::{BlockingDriver, Cancel};
    /// # let flow = DeviceFlow::new(DeviceClient::new("https://x.test/d", "https://x.test/t", "c").unwrap(), ["a"]);
    /// let cancel = Cancel::new();
    /// let give_up = cancel.clone();
    /// std::thread::spawn(move || { std::thread::sleep(std::time::Duration::from_secs(120)); give_up.cancel() });
    /// let outcome = BlockingDriver::new().run_device_flow_until(flow, &cancel, |_| {});
    /// ```
    pub fn run_device_flow_until(
        &self,
        flow: DeviceFlow,
        cancel: &Cancel,
        on_event: impl FnMut(&FlowEvent),
    ) -> Result<Outcome, Cancelled> {
        let now = || self.now();
        let send = |transmit| match self.send_unless_cancelled(transmit, cancel) {
            Some(result) => Gate::open(result),
            None => Gate::Closed,
        };
        let sleep_until = |wake_at: Moment| {
            if cancel.sleep(wake_at.saturating_duration_since(now())) {
                Gate::Closed
            } else {
                Gate::open(())
            }
        };
        block_on::block_on_until(drive(flow, now, send, sleep_until, on_event), cancel)
    }
}

impl BlockingDriver {
    /// Sends on a thread of its own and waits for the answer or for `cancel`, whichever
    /// comes first; `None` once cancelled.
    fn send_unless_cancelled(
        &self,
        transmit: Transmit,
        cancel: &Cancel,
    ) -> Option<Result<http::Response<Vec<u8>>, TransportError>> {
        if cancel.is_cancelled() {
            return None;
        }
        let answer = Arc::new(Mutex::new(None));
        let (driver, slot, waker) = (self.clone(), Arc::clone(&answer), cancel.clone());
        let spawned = std::thread::Builder::new().name("skytells-auth-request".into()).spawn(move || {
            let result = driver.send(transmit);
            *slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(result);
            waker.notify();
        });
        if let Err(error) = spawned {
            return Some(Err(TransportError::new(
                TransportErrorKind::Io,
                format!("could not start a thread: {error}"),
            )));
        }
        cancel.wait_for(&answer)
    }
}

/// TLS that trusts `roots` (ureq's own bundled roots when the machine has none).
fn tls_config(roots: &TrustedRoots) -> ureq::tls::TlsConfig {
    let root_certs = match roots.source() {
        RootSource::Bundled => ureq::tls::RootCerts::WebPki,
        _ => roots.certificates().iter().map(|der| ureq::tls::Certificate::from_der(der).to_owned()).into(),
    };
    ureq::tls::TlsConfig::builder().root_certs(root_certs).build()
}

/// Sorts ureq's errors into the kinds the core distinguishes.
fn transport_error(error: ureq::Error, roots: Option<&TrustedRoots>) -> TransportError {
    // ureq's errors have no `source()`; the rustls error is inside one of these two.
    let cause: Option<&(dyn std::error::Error + 'static)> = match &error {
        ureq::Error::Rustls(cause) => Some(cause),
        ureq::Error::Io(cause) => Some(cause),
        _ => None,
    };
    if let Some(failure) = cause.and_then(|cause| certificate_failure(cause, roots)) {
        return failure;
    }
    let kind = match &error {
        ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
        ureq::Error::BodyExceedsLimit(_) => TransportErrorKind::BodyTooLarge,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed | ureq::Error::Tls(_) | ureq::Error::Rustls(_) => {
            TransportErrorKind::Connect
        }
        ureq::Error::Io(io_error) => match io_error.kind() {
            io::ErrorKind::ConnectionRefused | io::ErrorKind::AddrNotAvailable => TransportErrorKind::Connect,
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportErrorKind::Timeout,
            _ => TransportErrorKind::Io,
        },
        _ => TransportErrorKind::Io,
    };
    TransportError::new(kind, error.to_string())
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
