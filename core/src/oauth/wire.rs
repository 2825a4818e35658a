//! Bodies on the wire: JSON objects and their fields, form encoding, HTTP Basic, and how
//! an unsuccessful answer is read. Crate-private helpers shared by both dialects.

use std::time::Duration;

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use serde_json::{Map, Value};

use super::error::{BodyError, ErrorCode, OAuthError, RequestError};
use crate::{RequestLimits, Transmit};

/// Parses a body as a JSON object.
pub(crate) fn parse_object<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<Map<String, Value>, BodyError> {
    let value: Value = serde_json::from_slice(response.body().as_ref())
        .map_err(|_| BodyError::NotJson { content_type: content_type(response) })?;
    match value {
        Value::Object(object) => Ok(object),
        _ => Err(BodyError::NotAnObject),
    }
}

fn content_type<B>(response: &http::Response<B>) -> Option<String> {
    response.headers().get(CONTENT_TYPE).and_then(|value| value.to_str().ok()).map(crate::sanitize_for_display)
}

/// A non-empty string field.
pub(crate) fn required_str<'a>(object: &'a Map<String, Value>, field: &'static str) -> Result<&'a str, BodyError> {
    match object.get(field) {
        None | Some(Value::Null) => Err(BodyError::MissingField(field)),
        Some(Value::String(text)) if text.trim().is_empty() => Err(BodyError::MissingField(field)),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(BodyError::BadField { field, problem: "not a string" }),
    }
}

/// An optional non-empty string field; a value of another type counts as absent.
pub(crate) fn optional_str<'a>(object: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    object.get(field).and_then(Value::as_str).filter(|text| !text.trim().is_empty())
}

/// An optional number of seconds: absent or null is `Ok(None)`; a number (integer or
/// fraction, negative included) is returned as `f64`; anything else is an error.
pub(crate) fn optional_seconds(object: &Map<String, Value>, field: &'static str) -> Result<Option<f64>, BodyError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => Ok(number.as_f64()),
        Some(Value::String(text)) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|secs| secs.is_finite())
            .map(Some)
            .ok_or(BodyError::BadField { field, problem: "not a number" }),
        Some(_) => Err(BodyError::BadField { field, problem: "not a number" }),
    }
}

/// An identifier that servers send as either a string or a number.
pub(crate) fn optional_id(object: &Map<String, Value>, field: &str) -> Option<String> {
    match object.get(field)? {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The standard error of an answer (RFC 6749 §5.2), if its body carries an `error` code.
pub(crate) fn oauth_error(object: &Map<String, Value>) -> Option<OAuthError> {
    let code = optional_str(object, "error")?;
    Some(OAuthError {
        code: ErrorCode::from_wire(code),
        description: optional_str(object, "error_description").map(crate::sanitize_for_display),
        uri: optional_str(object, "error_uri").and_then(crate::openable_url).map(str::to_owned),
    })
}

/// Reads an unsuccessful answer the standard way: a JSON body with an `error` code is an
/// OAuth error whatever the status; otherwise the status decides.
pub(crate) fn standard_failure<B: AsRef<[u8]>>(response: &http::Response<B>) -> RequestError {
    let status = response.status().as_u16();
    let object = parse_object(response).ok();
    if let Some(error) = object.as_ref().and_then(oauth_error) {
        return RequestError::OAuth { status, error };
    }
    let message = object.as_ref().and_then(|object| optional_str(object, "message")).map(crate::sanitize_for_display);
    status_failure(response, message)
}

/// An unsuccessful answer by its status alone, with the server's message if it gave one.
pub(crate) fn status_failure<B>(response: &http::Response<B>, message: Option<String>) -> RequestError {
    let status = response.status().as_u16();
    match status {
        300..=399 => RequestError::Redirect {
            status,
            location: response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .map(crate::sanitize_for_display),
        },
        429 => RequestError::RateLimited { retry_after: retry_after(response) },
        500..=599 => RequestError::Server { status, message },
        _ => RequestError::Status { status, message },
    }
}

/// `Retry-After` in its seconds form (an HTTP date is ignored), at most an hour.
pub(crate) fn retry_after<B>(response: &http::Response<B>) -> Option<Duration> {
    let seconds: u64 = response.headers().get(http::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds.min(3600)))
}

/// `application/x-www-form-urlencoded`, percent-encoding everything but unreserved bytes.
pub(crate) fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    pairs
        .iter()
        .map(|(key, value)| format!("{}={}", form_encode(key), form_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (byte as char).to_string(),
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `Basic base64(urlencode(id):urlencode(secret))`, as RFC 6749 §2.3.1 specifies.
pub(crate) fn basic_authorization(client_id: &str, secret: &str) -> String {
    format!("Basic {}", base64(format!("{}:{}", form_encode(client_id), form_encode(secret)).as_bytes()))
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, byte)| n | u32::from(*byte) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A request with the headers every request carries. A build failure names the part
/// (URI or header) but never its value: a header value here may be a credential.
pub(crate) struct RequestParts<'a> {
    pub method: http::Method,
    pub url: &'a str,
    pub user_agent: Option<&'a str>,
    pub authorization: Option<String>,
    pub body: Option<(&'static str, Vec<u8>)>,
    pub limits: RequestLimits,
}

impl RequestParts<'_> {
    pub(crate) fn build(self) -> Result<Transmit, RequestError> {
        let mut builder = http::Request::builder().method(self.method).uri(self.url).header(ACCEPT, "application/json");
        if let Some(agent) = self.user_agent {
            builder = builder.header(USER_AGENT, agent);
        }
        if let Some(authorization) = self.authorization {
            // Marked sensitive so that HTTP clients and `Debug` never show it.
            let mut value = http::HeaderValue::try_from(authorization).map_err(|_| {
                RequestError::InvalidRequest("the Authorization header is not a valid header value".into())
            })?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        let body = match self.body {
            Some((content_type, body)) => {
                builder = builder.header(CONTENT_TYPE, content_type);
                body
            }
            None => Vec::new(),
        };
        let request = builder.body(body).map_err(|error| RequestError::InvalidRequest(error.to_string()))?;
        Ok(Transmit::new(request, self.limits.timeout, self.limits.max_response_bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn non_json_bodies_name_their_content_type() {
        let mut html = response(200, "<html>");
        html.headers_mut().insert(CONTENT_TYPE, "text/html".parse().unwrap());
        assert_eq!(
            parse_object(&html).unwrap_err().to_string(),
            "the response is not valid JSON (content type text/html)"
        );
    }

    #[test]
    fn seconds_accept_numbers_and_numeric_strings_only() {
        let object = parse_object(&response(200, r#"{"a":5,"b":"7","c":[1],"d":-2.5}"#)).unwrap();
        assert_eq!(optional_seconds(&object, "a"), Ok(Some(5.0)));
        assert_eq!(optional_seconds(&object, "b"), Ok(Some(7.0)));
        assert!(optional_seconds(&object, "c").is_err());
        assert_eq!(optional_seconds(&object, "d"), Ok(Some(-2.5)));
        assert_eq!(optional_seconds(&object, "missing"), Ok(None));
    }

    #[test]
    fn standard_errors_keep_code_description_and_uri() {
        let body = r#"{"error":"invalid_client","error_description":"no \u001b[31msuch client","error_uri":"https://x.test/e"}"#;
        let RequestError::OAuth { status: 401, error } = standard_failure(&response(401, body)) else { panic!() };
        assert_eq!(error.code, ErrorCode::InvalidClient);
        assert_eq!(error.description.as_deref(), Some("no [31msuch client"));
        assert_eq!(error.uri.as_deref(), Some("https://x.test/e"));
        assert_eq!(error.to_string(), "invalid_client (no [31msuch client), see https://x.test/e");
        assert!(matches!(standard_failure(&response(403, "<html>")), RequestError::Status { status: 403, .. }));
        assert!(matches!(standard_failure(&response(429, "")), RequestError::RateLimited { .. }));
        assert!(matches!(standard_failure(&response(502, "")), RequestError::Server { status: 502, .. }));
    }

    #[test]
    fn form_and_basic_encoding_follow_the_rfcs() {
        assert_eq!(form(&[("scope", "a b&c"), ("x", "é")]), b"scope=a+b%26c&x=%C3%A9");
        // RFC 6749 §2.3.1: id and secret are form-encoded, then joined and base64-encoded.
        assert_eq!(
            basic_authorization("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw"),
            "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3"
        );
        assert_eq!(basic_authorization("a:b", "c d"), format!("Basic {}", base64(b"a%3Ab:c+d")));
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
    }
}
