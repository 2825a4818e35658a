//! The sans-IO core of Skytells CLI authentication.
//!
//! Every decision of `skytells login`, `link`, `whoami` and `logout` is made here (when to
//! poll and for how long, what an answer means, which credential wins, what is transient,
//! what people are told), and nothing here does I/O: no sockets, files, clocks, threads or environment reads. Time
//! comes in as a [`Moment`], the environment as an [`EnvSnapshot`], files as bytes;
//! requests go out as [`http::Request`] values inside a [`Transmit`], and responses come
//! back as [`http::Response`] values or a [`TransportError`]. Drivers (tokio, blocking, or
//! your own runtime) only carry bytes and sleep.
//!
//! "The guide", in these docs, is the Skytells CLI authentication guide: the user-facing
//! documentation of these commands, whose messages and troubleshooting advice the CLI
//! follows word for word.
//!
//! Entry points:
//! - [`DeviceFlow`]: `skytells login` through RFC 8628, with polling, `slow_down`,
//!   backoff and expiry (a runnable example is on the type), and [`drive`], the loop that
//!   runs it on any runtime given a way to send and a way to sleep;
//! - [`api`]: verifying a token or an access key and fetching the account, as
//!   [`Exchange`] values;
//! - [`Credentials`], [`resolve_credentials`], [`credentials_path`]: the shared
//!   credentials file and the environment › file precedence;
//! - [`messages`]: what the CLI tells people when a login or the file goes wrong;
//! - [`PersonalAccessToken`], [`AccessKey`], [`parse_scopes`]: local format checks.

pub mod api;
mod config;
mod credentials;
mod error;
pub mod flow;
mod formats;
pub mod messages;
mod resolve;
mod sanitize;
mod scopes;
mod secret;
mod time;
mod transmit;
pub mod wire;

pub use api::{Exchange, FetchIdentity, Identity, Project, VerifyAccessKey, VerifyToken};
pub use config::{
    is_loopback_host, ApiBase, ApiConfig, ApiUrlError, ClientInfo, Dialect, Endpoints, RequestLimits, DEFAULT_API_URL,
};
pub use credentials::{Credentials, CredentialsError};
pub use error::{classify_failure, ApiError, CredentialKind, MissingCredential, TOKENS_PAGE};
pub use flow::{
    drive, DeviceFlow, FlowEvent, FlowFailure, FlowMisuse, Outcome, Output, TimingBounds, TokenGrant, UserCode,
};
pub use formats::{AccessKey, FormatError, PersonalAccessToken, ACCESS_KEY_PREFIX, TOKEN_PREFIX};
pub use resolve::{
    config_dir, credentials_path, resolve_api_base, resolve_credentials, resolve_limits, vars, CredentialProblem,
    EnvSnapshot, FlagOverrides, InvalidCredential, InvalidTimeout, NoConfigDir, Resolved, Source, Sourced,
    CREDENTIALS_FILE,
};
pub use sanitize::{openable_url, sanitize_for_display, MAX_DISPLAY_CHARS};
pub use scopes::{parse_scopes, Scope, ScopeError};
pub use secret::Secret;
pub use time::Moment;
pub use transmit::{describe_exchange, Transmit, TransportError, TransportErrorKind};
