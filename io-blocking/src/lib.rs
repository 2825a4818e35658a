//! Blocking driver for [`skytells_auth`]: sends the core's requests with ureq and sleeps
//! with the calling thread, making no protocol decision of its own; and
//! [`CredentialStore`], the credentials file on disk (atomic rewrites under a lock).
//!
//! ```no_run
//! use skytells_auth::{ApiConfig, DeviceFlow, FlowEvent, Outcome, Scope};
//! use skytells_auth_blocking::BlockingDriver;
//!
//! let driver = BlockingDriver::new();
//! let flow = DeviceFlow::new(ApiConfig::default(), Scope::DEFAULT);
//! let outcome = driver.run_device_flow(flow, |event| {
//!     if let FlowEvent::CodeIssued(code) = event {
//!         println!("Enter {} at {}", code.user_code, code.verification_uri);
//!     }
//! });
//! if let Outcome::Authorized(grant) = outcome {
//!     println!("token {}", grant.access_token); // shows a short prefix only
//! }
//! ```

mod block_on;
pub mod store;

use std::future::ready;
use std::io;
use std::thread;
use std::time::Instant;

use skytells_auth::{
    describe_exchange, drive, ApiError, DeviceFlow, Exchange, FlowEvent, Moment, Outcome, Transmit, TransportError,
    TransportErrorKind,
};
pub use store::{CredentialStore, StoreError, StoreWarning, Updated};

/// Runs the core's requests on the calling thread.
#[derive(Debug, Clone)]
pub struct BlockingDriver {
    agent: ureq::Agent,
}

impl Default for BlockingDriver {
    fn default() -> Self {
        Self::new()
    }
}

impl BlockingDriver {
    /// A driver that honours `HTTPS_PROXY`/`NO_PROXY` (and the other usual proxy
    /// variables), verifies TLS with the webpki roots, and never follows redirects: the
    /// core reports them instead, so credentials stay with the host they were meant for.
    pub fn new() -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(ureq::Proxy::try_from_env())
            .build();
        BlockingDriver { agent: config.into() }
    }

    /// Sends one request under the limits the core set.
    pub fn send(&self, transmit: Transmit) -> Result<http::Response<Vec<u8>>, TransportError> {
        let Transmit { request, timeout, max_response_bytes } = transmit;
        let (started, method, uri) = (Instant::now(), request.method().clone(), request.uri().clone());
        let request = self.agent.configure_request(request).timeout_global(Some(timeout)).build();
        let result = self.agent.run(request).map_err(transport_error).and_then(|response| {
            let (parts, mut body) = response.into_parts();
            let bytes = body.with_config().limit(max_response_bytes as u64).read_to_vec().map_err(transport_error)?;
            Ok(http::Response::from_parts(parts, bytes))
        });
        tracing::debug!("{}", describe_exchange(&method, &uri, started.elapsed(), &result));
        result
    }

    /// Runs a one-shot API call: verify a token or access key, fetch the identity.
    pub fn execute<E: Exchange>(&self, exchange: &E) -> Result<E::Output, ApiError> {
        let response = self.send(exchange.transmit()?).map_err(ApiError::Transport)?;
        exchange.interpret(response)
    }

    /// Runs a device flow to its outcome on the calling thread, handing each event to
    /// `on_event` as it happens. The loop is the core's [`drive`]; this driver only sends
    /// and sleeps.
    pub fn run_device_flow(&self, flow: DeviceFlow, on_event: impl FnMut(&FlowEvent)) -> Outcome {
        let origin = Instant::now();
        let now = || Moment::from_duration(origin.elapsed());
        let sleep_until = |wake_at: Moment| {
            thread::sleep(wake_at.saturating_duration_since(now()));
            ready(())
        };
        block_on::block_on(drive(flow, now, |transmit| ready(self.send(transmit)), sleep_until, on_event))
    }
}

/// Sorts ureq's errors into the kinds the core distinguishes.
fn transport_error(error: ureq::Error) -> TransportError {
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
