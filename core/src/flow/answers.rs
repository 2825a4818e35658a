//! Requests and answers of the device flow, in both dialects.

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::api::{malformed, with_body};
use crate::error::{classify_failure, ApiError, CredentialKind};
use crate::wire::{self, BodyError, ErrorBody};
use crate::{ApiConfig, Dialect, Secret, Transmit};

/// The grant type of device-code polling (RFC 8628 §3.4).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Bounds applied to what the server says about timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimingBounds {
    /// Used when the server sends no `interval` (RFC 8628 §3.2: 5 seconds).
    pub default_interval: Duration,
    /// `interval` is raised to at least this; a 0 or negative interval would mean
    /// hammering the server.
    pub min_interval: Duration,
    /// `interval` is lowered to at most this, so that a code is polled at least a few
    /// times before it expires; `slow_down` may still raise the interval beyond it.
    pub max_interval: Duration,
    /// Used when the server sends no `expires_in` (the Skytells default, 15 minutes).
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

/// The device authorization request (RFC 8628 §3.1).
pub fn device_authorization_request(config: &ApiConfig, scopes: &[String]) -> Result<Transmit, ApiError> {
    let names: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let path = &config.endpoints.device_authorization;
    match &config.dialect {
        Dialect::Skytells => {
            let body = json!({ "client_name": config.client.client_name(), "scopes": names });
            with_body(config, path, "application/json", body.to_string().into_bytes())
        }
        Dialect::Rfc8628 { client_id } => {
            let body = form(&[("client_id", client_id), ("scope", &names.join(" "))]);
            with_body(config, path, "application/x-www-form-urlencoded", body)
        }
    }
}

/// The token request that polls for the user's decision (RFC 8628 §3.4).
pub fn token_request(config: &ApiConfig, device_code: &Secret) -> Result<Transmit, ApiError> {
    let path = &config.endpoints.token;
    match &config.dialect {
        Dialect::Skytells => {
            let body = json!({ "device_code": device_code.expose(), "grant_type": DEVICE_CODE_GRANT });
            with_body(config, path, "application/json", body.to_string().into_bytes())
        }
        Dialect::Rfc8628 { client_id } => {
            let body = form(&[
                ("grant_type", DEVICE_CODE_GRANT),
                ("device_code", device_code.expose()),
                ("client_id", client_id),
            ]);
            with_body(config, path, "application/x-www-form-urlencoded", body)
        }
    }
}

/// `application/x-www-form-urlencoded`, percent-encoding everything but unreserved bytes.
fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let encode = |text: &str| {
        text.bytes()
            .map(|byte| match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (byte as char).to_string(),
                b' ' => "+".to_owned(),
                other => format!("%{other:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// A successful device authorization response, checked and clamped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
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

/// Reads the device authorization response.
pub fn parse_device_authorization(
    response: &http::Response<Vec<u8>>,
    bounds: &TimingBounds,
) -> Result<DeviceAuthorization, ApiError> {
    if !response.status().is_success() {
        return Err(classify_failure(response, CredentialKind::None));
    }
    let bad = |problem| malformed(response, problem);
    let object = wire::parse_object(response).map_err(bad)?;
    let device_code = wire::required_str(&object, "device_code").map_err(bad)?;
    if !is_token_text(device_code) {
        return Err(bad(BodyError::BadField { field: "device_code", problem: "not printable ASCII" }));
    }
    let user_code = wire::required_str(&object, "user_code").map_err(bad)?;
    // Google's servers say `verification_url`; accept it as the same thing.
    let verification_uri = wire::required_str(&object, "verification_uri")
        .or_else(|_| wire::required_str(&object, "verification_url"))
        .map_err(bad)?;
    let verification_uri = crate::openable_url(verification_uri)
        .ok_or_else(|| bad(BodyError::BadField { field: "verification_uri", problem: "not an http(s) URL" }))?;
    let complete = wire::optional_str(&object, "verification_uri_complete").and_then(crate::openable_url);
    let lifetime = wire::optional_seconds(&object, "expires_in").map_err(bad)?;
    let interval = wire::optional_seconds(&object, "interval").map_err(bad)?;
    Ok(DeviceAuthorization {
        device_code: Secret::new(device_code),
        user_code: crate::sanitize_for_display(user_code),
        verification_uri: verification_uri.to_owned(),
        verification_uri_complete: complete.map(str::to_owned),
        lifetime: clamp_seconds(lifetime, bounds.default_lifetime, bounds.min_lifetime, bounds.max_lifetime),
        interval: clamp_seconds(interval, bounds.default_interval, bounds.min_interval, bounds.max_interval),
    })
}

fn clamp_seconds(value: Option<f64>, default: Duration, min: Duration, max: Duration) -> Duration {
    match value {
        None => default,
        Some(secs) if secs.is_nan() || secs <= 0.0 => min,
        Some(secs) => Duration::try_from_secs_f64(secs).unwrap_or(max).clamp(min, max),
    }
}

/// The longest access token accepted.
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// RFC 6749's token characters (VSCHAR, without the space), so a token can always go in a
/// header and never carries terminal controls.
fn is_token_text(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_TOKEN_LEN && text.bytes().all(|byte| (0x21..=0x7e).contains(&byte))
}

/// What the server granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// The access token.
    pub access_token: Secret,
    /// Usually `Bearer`.
    pub token_type: String,
    /// The scopes granted, as the server named them (unknown names kept).
    pub scopes: Vec<String>,
}

/// What one poll answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollAnswer {
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
    /// A fault that may pass ([`ApiError::is_transient`]); keep polling with backoff.
    Transient(ApiError),
    /// A fault that will not pass; the flow fails.
    Failed(ApiError),
}

/// Reads a poll answer. Body and status both count: an RFC 8628 `error` code wins over
/// the status, so a 200 carrying `{"error": "authorization_pending"}` is pending and a
/// 200 without an `access_token` is never a token.
pub fn classify_poll_answer(response: &http::Response<Vec<u8>>) -> PollAnswer {
    let status = response.status().as_u16();
    let body = ErrorBody::from_response(response);
    match body.error.as_deref() {
        Some("authorization_pending") => return PollAnswer::Pending,
        Some("slow_down") => return PollAnswer::SlowDown,
        Some("access_denied") => return PollAnswer::Denied,
        Some("expired_token") => return PollAnswer::Expired,
        _ => {}
    }
    match status {
        200..=299 => match parse_grant(response) {
            Ok(grant) => PollAnswer::Granted(grant),
            Err(error) => PollAnswer::Failed(error),
        },
        428 => PollAnswer::Pending,
        429 => PollAnswer::SlowDown,
        403 => PollAnswer::Denied,
        410 => PollAnswer::Expired,
        _ => {
            let error = classify_failure(response, CredentialKind::None);
            if error.is_transient() {
                PollAnswer::Transient(error)
            } else {
                PollAnswer::Failed(error)
            }
        }
    }
}

fn parse_grant(response: &http::Response<Vec<u8>>) -> Result<TokenGrant, ApiError> {
    let bad = |problem| malformed(response, problem);
    let object = wire::parse_object(response).map_err(bad)?;
    if object.contains_key("error") && !object.contains_key("access_token") {
        let message = ErrorBody::from_response(response).summary().map(str::to_owned);
        return Err(ApiError::Unexpected { status: response.status().as_u16(), message });
    }
    let token = wire::required_str(&object, "access_token").map_err(bad)?;
    if !is_token_text(token) {
        return Err(bad(BodyError::BadField { field: "access_token", problem: "not a well-formed token" }));
    }
    let token_type = wire::optional_str(&object, "token_type").map(crate::sanitize_for_display);
    Ok(TokenGrant {
        access_token: Secret::new(token),
        token_type: token_type.unwrap_or_else(|| "Bearer".to_owned()),
        scopes: granted_scopes(&object),
    })
}

/// `scopes` as an array (Skytells) or `scope` as a space-separated string (RFC 6749).
fn granted_scopes(object: &Map<String, Value>) -> Vec<String> {
    let names: Vec<&str> = match (object.get("scopes"), object.get("scope")) {
        (Some(Value::Array(items)), _) => items.iter().filter_map(Value::as_str).collect(),
        (Some(Value::String(list)), _) | (_, Some(Value::String(list))) => {
            list.split(|c: char| c == ',' || c.is_whitespace()).collect()
        }
        _ => Vec::new(),
    };
    let mut scopes: Vec<String> = Vec::new();
    for name in names.into_iter().map(str::trim).filter(|name| !name.is_empty()) {
        let name = crate::sanitize_for_display(name);
        if !scopes.contains(&name) {
            scopes.push(name);
        }
    }
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn timing_is_clamped_to_documented_bounds() {
        let bounds = TimingBounds::default();
        let auth = |fields: &str| {
            let body =
                format!(r#"{{"device_code":"d","user_code":"U","verification_uri":"https://x.test/d"{fields}}}"#);
            parse_device_authorization(&response(200, &body), &bounds).unwrap()
        };
        assert_eq!(auth("").interval, Duration::from_secs(5));
        assert_eq!(auth("").lifetime, Duration::from_secs(900));
        assert_eq!(auth(r#","interval":0,"expires_in":-4"#).interval, Duration::from_secs(1));
        assert_eq!(auth(r#","interval":0,"expires_in":-4"#).lifetime, Duration::from_secs(1));
        assert_eq!(auth(r#","interval":1e300,"expires_in":1e300"#).interval, Duration::from_secs(60));
        assert_eq!(auth(r#","interval":1e300,"expires_in":1e300"#).lifetime, Duration::from_secs(3600));
    }

    #[test]
    fn device_authorization_needs_its_fields_and_a_web_url() {
        let bounds = TimingBounds::default();
        let missing = parse_device_authorization(&response(200, r#"{"user_code":"U"}"#), &bounds).unwrap_err();
        assert!(missing.to_string().contains("has no `device_code`"), "{missing}");
        let scheme = r#"{"device_code":"d","user_code":"U","verification_uri":"javascript:alert(1)"}"#;
        let error = parse_device_authorization(&response(200, scheme), &bounds).unwrap_err();
        assert!(error.to_string().contains("`verification_uri` is not an http(s) URL"), "{error}");
    }

    #[test]
    fn poll_answers_in_both_dialects() {
        assert_eq!(classify_poll_answer(&response(428, "{}")), PollAnswer::Pending);
        assert_eq!(classify_poll_answer(&response(400, r#"{"error":"authorization_pending"}"#)), PollAnswer::Pending);
        assert_eq!(classify_poll_answer(&response(429, "")), PollAnswer::SlowDown);
        assert_eq!(classify_poll_answer(&response(400, r#"{"error":"slow_down"}"#)), PollAnswer::SlowDown);
        assert_eq!(classify_poll_answer(&response(403, "{}")), PollAnswer::Denied);
        assert_eq!(classify_poll_answer(&response(400, r#"{"error":"access_denied"}"#)), PollAnswer::Denied);
        assert_eq!(classify_poll_answer(&response(410, "")), PollAnswer::Expired);
        assert_eq!(classify_poll_answer(&response(400, r#"{"error":"expired_token"}"#)), PollAnswer::Expired);
        assert!(matches!(classify_poll_answer(&response(503, "")), PollAnswer::Transient(_)));
        assert!(matches!(classify_poll_answer(&response(400, r#"{"error":"invalid_grant"}"#)), PollAnswer::Failed(_)));
    }

    #[test]
    fn a_200_without_a_token_is_never_a_token() {
        assert_eq!(classify_poll_answer(&response(200, r#"{"error":"authorization_pending"}"#)), PollAnswer::Pending);
        assert!(matches!(classify_poll_answer(&response(200, r#"{"error":"weird"}"#)), PollAnswer::Failed(_)));
        assert!(matches!(classify_poll_answer(&response(200, "{}")), PollAnswer::Failed(_)));
        assert!(matches!(classify_poll_answer(&response(200, r#"{"access_token":"a b"}"#)), PollAnswer::Failed(_)));
        assert!(matches!(classify_poll_answer(&response(200, r#"{"access_token":7}"#)), PollAnswer::Failed(_)));
    }

    fn grant(body: &str) -> TokenGrant {
        match classify_poll_answer(&response(200, body)) {
            PollAnswer::Granted(grant) => grant,
            other => panic!("expected a grant, got {other:?}"),
        }
    }

    #[test]
    fn grants_carry_scopes_in_either_shape() {
        let skytells = grant(r#"{"data":{"access_token":"t","scopes":["inference","x.y"]}}"#);
        assert_eq!(skytells.scopes, ["inference", "x.y"]);
        assert_eq!(skytells.token_type, "Bearer");
        assert_eq!(grant(r#"{"access_token":"t","token_type":"bearer","scope":"a b a"}"#).scopes, ["a", "b"]);
        assert!(grant(r#"{"access_token":"t","scopes":5}"#).scopes.is_empty());
    }

    #[test]
    fn form_bodies_are_percent_encoded() {
        assert_eq!(form(&[("scope", "a b&c"), ("x", "é")]), b"scope=a+b%26c&x=%C3%A9");
    }
}
