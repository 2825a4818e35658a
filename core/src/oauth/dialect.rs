//! How the device flow is spoken on the wire. The flow asks its client's dialect to build
//! each request and to say what each answer means; [`Standard`] is RFC 8628 as written,
//! and the Skytells profile adds its own (crate-private: a dialect is chosen through the
//! constructor of the client that speaks it).

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

use super::error::{BodyError, ErrorCode, RequestError};
use super::grant::{is_token_text, TokenGrant};
use super::wire::{self, RequestParts};
use crate::{ClientAuth, DeviceClient, Moment, Secret, Transmit};

/// The grant type of device-code polling (RFC 8628 §3.4).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// One way of speaking the device flow.
pub(crate) trait Dialect: fmt::Debug + Send + Sync {
    /// The device authorization request (RFC 8628 §3.1).
    fn device_request(&self, client: &DeviceClient, scopes: &[String]) -> Result<Transmit, RequestError>;
    /// A poll (RFC 8628 §3.4).
    fn token_request(&self, client: &DeviceClient, device_code: &Secret) -> Result<Transmit, RequestError>;
    /// The device authorization answer's object, or why there is none.
    fn device_answer(&self, response: &http::Response<Vec<u8>>) -> Result<Map<String, Value>, RequestError>;
    /// What a poll answer, received at `received_at`, means.
    fn poll_answer(&self, response: &http::Response<Vec<u8>>, received_at: Moment) -> PollAnswer;
}

/// RFC 8628 as written: form bodies with `client_id` (or client authentication), and
/// every outcome other than success as an `error` code.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Standard;

impl Dialect for Standard {
    fn device_request(&self, client: &DeviceClient, scopes: &[String]) -> Result<Transmit, RequestError> {
        let scope = scopes.join(" ");
        let mut fields: Vec<(&str, &str)> = Vec::new();
        if !scopes.is_empty() {
            fields.push(("scope", &scope));
        }
        fields.extend(client.extra_params().iter().map(|(name, value)| (name.as_str(), value.as_str())));
        form_post(client, client.device_authorization_endpoint(), fields)
    }

    fn token_request(&self, client: &DeviceClient, device_code: &Secret) -> Result<Transmit, RequestError> {
        let mut fields = vec![("grant_type", DEVICE_CODE_GRANT), ("device_code", device_code.expose())];
        fields.extend(client.token_params());
        form_post(client, client.token_endpoint(), fields)
    }

    fn device_answer(&self, response: &http::Response<Vec<u8>>) -> Result<Map<String, Value>, RequestError> {
        if !response.status().is_success() {
            return Err(wire::standard_failure(response));
        }
        wire::parse_object(response).map_err(|problem| malformed(response, problem))
    }

    fn poll_answer(&self, response: &http::Response<Vec<u8>>, received_at: Moment) -> PollAnswer {
        let object = wire::parse_object(response);
        let code = object.as_ref().ok().and_then(wire::oauth_error).map(|error| error.code);
        if let Some(answer) = code.as_ref().and_then(PollAnswer::from_code) {
            return answer;
        }
        if response.status().is_success() && code.is_none() {
            return match object {
                Ok(object) => PollAnswer::granted(response, &object, received_at),
                Err(problem) => PollAnswer::Failed(malformed(response, problem)),
            };
        }
        PollAnswer::from_failure(wire::standard_failure(response))
    }
}

/// A form POST to `url` with the client's identity: `client_id` in the body, plus the
/// secret in the body (`client_secret_post`) or in an HTTP Basic header instead of the id
/// (`client_secret_basic`), as RFC 6749 §2.3.1 and RFC 8628 §3.1 describe.
pub(crate) fn form_post<'a>(
    client: &'a DeviceClient,
    url: &str,
    mut fields: Vec<(&'a str, &'a str)>,
) -> Result<Transmit, RequestError> {
    let authorization = match client.auth() {
        ClientAuth::SecretBasic(secret) => Some(wire::basic_authorization(client.client_id(), secret.expose())),
        ClientAuth::None | ClientAuth::SecretPost(_) => {
            fields.insert(0, ("client_id", client.client_id()));
            None
        }
    };
    if let ClientAuth::SecretPost(secret) = client.auth() {
        fields.insert(1, ("client_secret", secret.expose()));
    }
    RequestParts {
        method: http::Method::POST,
        url,
        user_agent: client.user_agent(),
        authorization,
        body: Some(("application/x-www-form-urlencoded", wire::form(&fields))),
        limits: client.limits(),
    }
    .build()
}

pub(crate) fn malformed<B>(response: &http::Response<B>, problem: BodyError) -> RequestError {
    RequestError::Malformed { status: response.status().as_u16(), problem }
}

/// What one poll answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PollAnswer {
    /// The person approved: here is the token.
    Granted(TokenGrant),
    /// Not decided yet.
    Pending,
    /// Poll less often.
    SlowDown,
    /// The person said no.
    Denied,
    /// The device code expired.
    Expired,
    /// A fault that may pass ([`RequestError::is_transient`]); keep polling with backoff.
    Transient(RequestError),
    /// A fault that will not pass; the flow fails.
    Failed(RequestError),
}

impl PollAnswer {
    /// The answers RFC 8628 §3.5 names by code.
    pub(crate) fn from_code(code: &ErrorCode) -> Option<PollAnswer> {
        match code {
            ErrorCode::AuthorizationPending => Some(PollAnswer::Pending),
            ErrorCode::SlowDown => Some(PollAnswer::SlowDown),
            ErrorCode::AccessDenied => Some(PollAnswer::Denied),
            ErrorCode::ExpiredToken => Some(PollAnswer::Expired),
            _ => None,
        }
    }

    /// A failure: transient ones keep the flow polling.
    pub(crate) fn from_failure(error: RequestError) -> PollAnswer {
        if error.is_transient() {
            PollAnswer::Transient(error)
        } else {
            PollAnswer::Failed(error)
        }
    }

    /// A successful answer's grant; a 200 without a usable `access_token` is never a token.
    pub(crate) fn granted<B>(response: &http::Response<B>, object: &Map<String, Value>, received_at: Moment) -> Self {
        match TokenGrant::from_object(object, received_at) {
            Ok(grant) => PollAnswer::Granted(grant),
            Err(problem) => PollAnswer::Failed(malformed(response, problem)),
        }
    }
}

/// Bounds applied to what the server says about timing.
///
/// Every combination is usable, none panics: each value the flow uses (the server's, or
/// the default when the server sent none) is raised to the minimum and then lowered to
/// the maximum, so `max_lifetime` bounds `default_lifetime` too, and when a minimum is
/// larger than its maximum, the maximum wins.
///
/// ```
/// use std::time::Duration;
/// use skytells_auth::TimingBounds;
/// let mut bounds = TimingBounds::default();
/// bounds.min_interval = Duration::from_secs(90); // more than max_interval (60 s)
/// bounds.default_lifetime = Duration::from_secs(7200);
/// assert_eq!(bounds.interval(Some(1.0)), Duration::from_secs(60));
/// assert_eq!(bounds.lifetime(None), Duration::from_secs(3600));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TimingBounds {
    /// Used when the server sends no `interval` (RFC 8628 §3.2: 5 seconds).
    pub default_interval: Duration,
    /// `interval` is raised to at least this; a 0 or negative interval would mean
    /// hammering the server.
    pub min_interval: Duration,
    /// `interval` is lowered to at most this, so that a code is polled at least a few
    /// times before it expires; `slow_down` may still raise the interval beyond it.
    pub max_interval: Duration,
    /// Used when the server sends no `expires_in` (15 minutes).
    pub default_lifetime: Duration,
    /// `expires_in` is raised to at least this.
    pub min_lifetime: Duration,
    /// `expires_in` is lowered to at most this, so that no login waits for hours.
    pub max_lifetime: Duration,
}

impl Default for TimingBounds {
    /// Interval 5 s by default, within 1–60 s; lifetime 900 s by default, within 1 s–1 h.
    fn default() -> Self {
        TimingBounds {
            default_interval: Duration::from_secs(5),
            min_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(60),
            default_lifetime: Duration::from_secs(900),
            min_lifetime: Duration::from_secs(1),
            max_lifetime: Duration::from_secs(3600),
        }
    }
}

impl TimingBounds {
    /// The polling interval to use for the server's `interval` in seconds (`None` when
    /// it sent none).
    pub fn interval(&self, server_seconds: Option<f64>) -> Duration {
        clamp_seconds(server_seconds, self.default_interval, self.min_interval, self.max_interval)
    }

    /// The device code lifetime to use for the server's `expires_in` in seconds (`None`
    /// when it sent none).
    pub fn lifetime(&self, server_seconds: Option<f64>) -> Duration {
        clamp_seconds(server_seconds, self.default_lifetime, self.min_lifetime, self.max_lifetime)
    }
}

/// A successful device authorization answer, checked and clamped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeviceAuthorization {
    /// The code the client polls with; never shown.
    pub device_code: Secret,
    /// The code the person types, sanitized for display.
    pub user_code: String,
    /// Where the person goes; always an http(s) URL.
    pub verification_uri: String,
    /// The same page with the code filled in, when the server gave a usable one.
    pub verification_uri_complete: Option<String>,
    /// How long the codes stay valid, clamped to the [`TimingBounds`].
    pub lifetime: Duration,
    /// The polling interval, clamped to the [`TimingBounds`].
    pub interval: Duration,
}

impl DeviceAuthorization {
    /// Reads the answer's object.
    pub(crate) fn from_object(
        response: &http::Response<Vec<u8>>,
        object: &Map<String, Value>,
        bounds: &TimingBounds,
    ) -> Result<Self, RequestError> {
        let bad = |problem| malformed(response, problem);
        let device_code = wire::required_str(object, "device_code").map_err(bad)?;
        if !is_token_text(device_code) {
            return Err(bad(BodyError::BadField { field: "device_code", problem: "not printable ASCII" }));
        }
        let user_code = wire::required_str(object, "user_code").map_err(bad)?;
        // Google's servers say `verification_url`; accept it as the same thing.
        let verification_uri = wire::required_str(object, "verification_uri")
            .or_else(|_| wire::required_str(object, "verification_url"))
            .map_err(bad)?;
        let verification_uri = crate::openable_url(verification_uri)
            .ok_or_else(|| bad(BodyError::BadField { field: "verification_uri", problem: "not an http(s) URL" }))?;
        // RFC 8628 §5.4: a pre-filled link to another site than the verification page is
        // how a phishing code would be dressed up; such a link is not used.
        let complete = wire::optional_str(object, "verification_uri_complete")
            .and_then(crate::openable_url)
            .filter(|complete| same_origin(complete, verification_uri));
        let lifetime = wire::optional_seconds(object, "expires_in").map_err(bad)?;
        let interval = wire::optional_seconds(object, "interval").map_err(bad)?;
        Ok(DeviceAuthorization {
            device_code: Secret::new(device_code),
            user_code: crate::sanitize_for_display(user_code),
            verification_uri: verification_uri.to_owned(),
            verification_uri_complete: complete.map(str::to_owned),
            lifetime: bounds.lifetime(lifetime),
            interval: bounds.interval(interval),
        })
    }
}

/// Whether two URLs have the same scheme, host and port.
fn same_origin(a: &str, b: &str) -> bool {
    let origin = |url: &str| {
        let uri: http::Uri = url.parse().ok()?;
        let port = uri.port_u16().or(match uri.scheme_str() {
            Some("https") => Some(443),
            _ => Some(80),
        });
        Some((uri.scheme_str()?.to_ascii_lowercase(), uri.host()?.to_ascii_lowercase(), port))
    };
    origin(a).is_some_and(|origin_a| origin(b) == Some(origin_a))
}

/// Raised to `min`, then lowered to `max` (not `Duration::clamp`, which panics when
/// `min > max`).
fn clamp_seconds(value: Option<f64>, default: Duration, min: Duration, max: Duration) -> Duration {
    let wanted = match value {
        None => default,
        Some(secs) if secs.is_nan() || secs <= 0.0 => min,
        Some(secs) => Duration::try_from_secs_f64(secs).unwrap_or(max),
    };
    wanted.max(min).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap()
    }

    fn client() -> DeviceClient {
        DeviceClient::new("https://x.test/device", "https://x.test/token", "cli 1").unwrap()
    }

    #[test]
    fn timing_is_clamped_to_documented_bounds() {
        let bounds = TimingBounds::default();
        let auth = |fields: &str| {
            let body =
                format!(r#"{{"device_code":"d","user_code":"U","verification_uri":"https://x.test/d"{fields}}}"#);
            let answer = response(200, &body);
            DeviceAuthorization::from_object(&answer, &wire::parse_object(&answer).unwrap(), &bounds).unwrap()
        };
        assert_eq!(auth("").interval, Duration::from_secs(5));
        assert_eq!(auth("").lifetime, Duration::from_secs(900));
        assert_eq!(auth(r#","interval":0,"expires_in":-4"#).interval, Duration::from_secs(1));
        assert_eq!(auth(r#","interval":0,"expires_in":-4"#).lifetime, Duration::from_secs(1));
        assert_eq!(auth(r#","interval":1e300,"expires_in":1e300"#).interval, Duration::from_secs(60));
        assert_eq!(auth(r#","interval":1e300,"expires_in":1e300"#).lifetime, Duration::from_secs(3600));
    }

    #[test]
    fn any_bounds_are_usable_and_the_maximum_wins() {
        let bounds = TimingBounds {
            min_interval: Duration::from_secs(90),
            max_interval: Duration::from_secs(30),
            min_lifetime: Duration::from_secs(600),
            max_lifetime: Duration::from_secs(120),
            default_interval: Duration::MAX,
            ..TimingBounds::default()
        };
        for server in [None, Some(0.0), Some(45.0), Some(1e300), Some(f64::NAN)] {
            assert_eq!(bounds.interval(server), Duration::from_secs(30), "{server:?}");
            assert_eq!(bounds.lifetime(server), Duration::from_secs(120), "{server:?}");
        }
        let bounds = TimingBounds { default_lifetime: Duration::from_secs(7200), ..TimingBounds::default() };
        assert_eq!(bounds.lifetime(None), bounds.max_lifetime, "max_lifetime bounds the default too");
    }

    #[test]
    fn a_prefilled_link_to_another_site_is_not_used() {
        let bounds = TimingBounds::default();
        let read = |complete: &str| {
            let body = format!(
                r#"{{"device_code":"d","user_code":"U","verification_uri":"https://id.test/device","verification_uri_complete":"{complete}"}}"#
            );
            let answer = response(200, &body);
            DeviceAuthorization::from_object(&answer, &wire::parse_object(&answer).unwrap(), &bounds)
                .unwrap()
                .verification_uri_complete
        };
        assert_eq!(read("https://id.test/device?user_code=U").as_deref(), Some("https://id.test/device?user_code=U"));
        assert_eq!(read("https://ID.test:443/device?c=U").as_deref(), Some("https://ID.test:443/device?c=U"));
        assert_eq!(read("https://evil.test/device?user_code=U"), None);
        assert_eq!(read("http://id.test/device?user_code=U"), None);
        assert_eq!(read("https://id.test:8443/device?user_code=U"), None);
    }

    #[test]
    fn standard_poll_answers_are_read_by_code_and_only_by_code() {
        let poll = |status, body| Standard.poll_answer(&response(status, body), Moment::ZERO);
        assert_eq!(poll(400, r#"{"error":"authorization_pending"}"#), PollAnswer::Pending);
        assert_eq!(poll(400, r#"{"error":"slow_down"}"#), PollAnswer::SlowDown);
        assert_eq!(poll(400, r#"{"error":"access_denied"}"#), PollAnswer::Denied);
        assert_eq!(poll(400, r#"{"error":"expired_token"}"#), PollAnswer::Expired);
        assert_eq!(poll(200, r#"{"error":"authorization_pending"}"#), PollAnswer::Pending);
        // Skytells' status codes mean nothing here: a proxy's HTML 403 is not a denial.
        assert!(matches!(poll(403, "<html>"), PollAnswer::Failed(RequestError::Status { status: 403, .. })));
        assert!(matches!(poll(410, ""), PollAnswer::Failed(RequestError::Status { status: 410, .. })));
        assert!(matches!(poll(428, "{}"), PollAnswer::Failed(_)));
        assert!(matches!(poll(429, ""), PollAnswer::Transient(RequestError::RateLimited { .. })));
        assert!(matches!(poll(503, ""), PollAnswer::Transient(_)));
        let PollAnswer::Failed(RequestError::OAuth { status: 401, error }) = poll(401, r#"{"error":"invalid_client"}"#)
        else {
            panic!()
        };
        assert_eq!(error.code, ErrorCode::InvalidClient);
        assert!(matches!(poll(200, r#"{"error":"weird"}"#), PollAnswer::Failed(RequestError::OAuth { .. })));
        assert!(matches!(poll(200, "{}"), PollAnswer::Failed(RequestError::Malformed { .. })));
        // No `data` envelope in the standard dialect.
        assert!(matches!(poll(200, r#"{"data":{"access_token":"t"}}"#), PollAnswer::Failed(_)));
    }

    #[test]
    fn client_authentication_goes_where_rfc_6749_puts_it() {
        let public =
            Standard.device_request(&client().with_param("resource", "https://api.test/"), &["a".into(), "b".into()]);
        let public = public.unwrap();
        assert_eq!(public.request.body(), b"client_id=cli+1&scope=a+b&resource=https%3A%2F%2Fapi.test%2F");
        assert!(public.request.headers().get("authorization").is_none());
        let post = client().with_auth(ClientAuth::SecretPost(Secret::new("s&t")));
        let poll = Standard.token_request(&post, &Secret::new("d/1")).unwrap();
        assert_eq!(
            poll.request.body(),
            b"client_id=cli+1&client_secret=s%26t&grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=d%2F1"
        );
        let basic = client().with_auth(ClientAuth::SecretBasic(Secret::new("s")));
        let poll = Standard.token_request(&basic, &Secret::new("d")).unwrap();
        assert_eq!(poll.request.headers()["authorization"], wire::basic_authorization("cli 1", "s").as_str());
        assert!(!String::from_utf8_lossy(poll.request.body()).contains("client_id"));
        let none = Standard.device_request(&client(), &[]).unwrap();
        assert_eq!(none.request.body(), b"client_id=cli+1", "no scope parameter when none is asked for");
    }
}
