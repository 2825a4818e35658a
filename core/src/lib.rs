//! A sans-IO OAuth 2.0 device authorization grant (RFC 8628) client, and the Skytells
//! CLI's authentication built on it.
//!
//! Nothing here does I/O: no sockets, files, clocks, threads or environment reads. Time
//! comes in as a [`Moment`], requests go out as [`http::Request`] values inside a
//! [`Transmit`], and answers come back as [`http::Response`] values or a
//! [`TransportError`]. Your runtime carries the bytes and sleeps; every decision (when to
//! poll and for how long, what an answer means, what is worth retrying) is made here.
//!
//! # For any OAuth server
//!
//! 1. Describe the client: [`DeviceClient::new`] with the two endpoints and your client
//!    id, or [`DeviceClient::from_metadata`] after [`discover`]ing them from the issuer;
//!    add [`ClientAuth`] for a confidential client, [`DeviceClient::with_param`] for
//!    `audience` or `resource` in the device authorization request, and
//!    [`DeviceClient::with_token_param`] for `resource` or `client_assertion` in the token
//!    requests (polls and refreshes).
//! 2. Start a [`DeviceFlow`] with free-form scopes.
//! 3. Run it: [`drive`] is the whole loop for any async runtime (give it a way to send and
//!    a way to sleep); `skytells-auth-tokio` and `skytells-auth-blocking` are ready-made
//!    drivers. Or write your own loop around [`DeviceFlow::poll_output`] and
//!    [`DeviceFlow::handle_result`]: one way out, one way in.
//! 4. Match the [`Outcome`]: a [`TokenGrant`] with every field the server sent (refresh
//!    token, expiry on your clock, ID token, granted scope), or denied, expired, or a
//!    [`FlowFailure`] carrying the server's [`ErrorCode`]. Later, [`Refresh`] it.
//!
//! ```
//! use skytells_auth::{DeviceClient, DeviceFlow, Moment, Output};
//!
//! let client = DeviceClient::new("https://auth.example.com/device", "https://auth.example.com/token", "my-cli")?;
//! let mut flow = DeviceFlow::new(client, ["openid", "offline_access"]);
//! let Output::Transmit(first) = flow.poll_output(Moment::ZERO) else { unreachable!() };
//! assert_eq!(first.request.body(), b"client_id=my-cli&scope=openid+offline_access");
//! # Ok::<(), skytells_auth::EndpointError>(())
//! ```
//!
//! A whole login against a scripted server is on [`DeviceFlow`]; [`drive`] shows the loop
//! on a simulated clock.
//!
//! # For Skytells
//!
//! [`skytells`] is the profile the `skytells` CLI uses: the API's dialect and endpoints,
//! scope names, token formats, the credentials file shared with the Node CLI, and the
//! messages of the Skytells CLI authentication guide (the user-facing documentation of
//! `skytells login`, `link`, `whoami` and `logout`, called "the guide" in these docs).

mod endpoint;
mod oauth;
mod sanitize;
mod secret;
pub mod skytells;
mod time;
mod transmit;

pub use endpoint::{
    check_endpoint, is_loopback_address, is_loopback_host, normalize_endpoint, pin_loopback, EndpointError,
};
/// The `http` crate (version 1) whose `Request` and `Response` the core emits and
/// consumes; use it from here so that the versions match.
pub use http;
pub use oauth::*;
pub use sanitize::{openable_url, sanitize_for_display, MAX_DISPLAY_CHARS};
pub use secret::Secret;
pub use time::Moment;
pub use transmit::{describe_exchange, Transmit, TransportError, TransportErrorKind};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
