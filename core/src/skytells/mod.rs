//! The Skytells profile: the Skytells API's endpoints and dialect, its scope names, token
//! formats, the credentials file shared with the Node CLI, the environment variables, and
//! the guide's messages. Built on the generic device flow at the crate root, which knows
//! nothing of it.
//!
//! ```
//! use skytells_auth::skytells::{ApiBase, ApiConfig, Scope};
//! use skytells_auth::{DeviceFlow, Output};
//!
//! let api = ApiConfig::new(ApiBase::parse("https://console.skytells.ai")?);
//! let mut flow = DeviceFlow::new(api.device_client(), Scope::DEFAULT);
//! let Output::Transmit(transmit) = flow.poll_output(skytells_auth::Moment::ZERO) else { unreachable!() };
//! assert_eq!(transmit.request.uri(), "https://console.skytells.ai/api/oauth/device");
//! assert_eq!(
//!     transmit.request.body(),
//!     br#"{"client_name":"Skytells CLI v0.1.0","scopes":["inference","projects.read","deployments.read","account.read"]}"#
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod age;
mod api;
mod clock;
mod config;
mod credentials;
mod dialect;
mod error;
mod formats;
pub mod messages;
mod resolve;
mod scopes;

pub use age::{CredentialAge, InvalidRotateDays, RotationPolicy, DEFAULT_ROTATE_DAYS};
pub use api::{FetchIdentity, Identity, ProbeApi, Project, VerifyAccessKey, VerifyApiKey, VerifyToken, API_KEY_HEADER};
pub use clock::{clock_skew_secs, parse_http_date, MAX_CLOCK_SKEW_SECS};
pub use config::{
    ApiBase, ApiConfig, ApiOrigin, ApiUrlError, ClientInfo, Dialect, Endpoints, DEFAULT_API_URL, DEFAULT_MODELS_API_URL,
};
pub use credentials::{
    check_stored_secret, Credentials, CredentialsError, KeyringEntry, SecretKind, StoredApiKey, StoredLogin,
    ORIGINS_FILE,
};
pub use error::{classify_failure, ApiError, CredentialKind, MissingCredential, API_KEYS_PAGE, TOKENS_PAGE};
pub use formats::{
    mask_api_key, AccessKey, ApiKey, FormatError, PersonalAccessToken, ACCESS_KEY_PREFIX, MAX_API_KEY_LEN, TOKEN_PREFIX,
};
pub use resolve::{
    config_dir, credentials_path, resolve_api_base, resolve_api_key, resolve_credentials, resolve_limits,
    resolve_models_base, variable_name, vars, CredentialProblem, EnvSnapshot, FlagOverrides, InvalidCredential,
    InvalidTimeout, NoConfigDir, Resolved, ResolvedApiKey, Source, Sourced, CREDENTIALS_FILE,
};
pub use scopes::{parse_scopes, Scope, ScopeError};
