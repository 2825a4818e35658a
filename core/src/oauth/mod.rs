//! The OAuth 2.0 device authorization grant (RFC 8628) for any authorization server:
//! the flow, discovery (RFC 8414 / OpenID Connect Discovery), refresh (RFC 6749 §6),
//! client authentication, and the errors of RFC 6749 §5.2. Nothing here knows Skytells;
//! the Skytells profile ([`crate::skytells`]) builds on it.

mod client;
pub(crate) mod dialect;
mod discovery;
mod error;
mod exchange;
mod flow;
mod grant;
mod refresh;
pub(crate) mod wire;

pub use client::{ClientAuth, DeviceClient, RequestLimits};
pub use dialect::{TimingBounds, DEVICE_CODE_GRANT};
pub use discovery::{discover, Discover, DiscoveryError, ServerMetadata, WellKnown};
pub use error::{BodyError, ErrorCode, OAuthError, RequestError};
pub use exchange::{Answer, Exchange};
pub use flow::{
    drive, DeviceFlow, FlowEvent, FlowFailure, FlowMisuse, NotAuthorized, Outcome, Output, UserCode, MAX_BACKOFF,
    MAX_RETRY_AFTER, SLOW_DOWN_STEP,
};
pub use grant::TokenGrant;
pub use refresh::Refresh;
