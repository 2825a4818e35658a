//! The Skytells API's way of speaking the device flow: JSON bodies with `client_name` and
//! a `scopes` array, answers that may come in a `{"data": ...}` envelope, and pending,
//! denied, expired and slow_down as HTTP 428, 403, 410 and 429 (the RFC 8628 `error`
//! codes are understood too, and win over the status).

use serde_json::{json, Map, Value};

use crate::oauth::dialect::{malformed, Dialect, PollAnswer, DEVICE_CODE_GRANT};
use crate::oauth::wire::{self, RequestParts};
use crate::{DeviceClient, ErrorCode, Moment, RequestError, Secret, Transmit};

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SkytellsDialect;

impl Dialect for SkytellsDialect {
    fn device_request(&self, client: &DeviceClient, scopes: &[String]) -> Result<Transmit, RequestError> {
        // The Skytells device endpoint names the client by `client_name`.
        let body = json!({ "client_name": client.client_id(), "scopes": scopes });
        json_post(client, client.device_authorization_endpoint(), body)
    }

    fn token_request(&self, client: &DeviceClient, device_code: &Secret) -> Result<Transmit, RequestError> {
        let body = json!({ "device_code": device_code.expose(), "grant_type": DEVICE_CODE_GRANT });
        json_post(client, client.token_endpoint(), body)
    }

    fn device_answer(&self, response: &http::Response<Vec<u8>>) -> Result<Map<String, Value>, RequestError> {
        if !response.status().is_success() {
            return Err(failure(response));
        }
        unwrap_envelope(response).map_err(|problem| malformed(response, problem))
    }

    fn poll_answer(&self, response: &http::Response<Vec<u8>>, received_at: Moment) -> PollAnswer {
        let object = unwrap_envelope(response);
        let error = object.as_ref().ok().and_then(wire::oauth_error);
        if let Some(answer) = error.as_ref().and_then(|error| PollAnswer::from_code(&error.code)) {
            return answer;
        }
        match response.status().as_u16() {
            200..=299 => match (object, error) {
                (Ok(object), None) => PollAnswer::granted(response, &object, received_at),
                (Ok(_), Some(error)) => PollAnswer::Failed(RequestError::OAuth { status: 200, error }),
                (Err(problem), _) => PollAnswer::Failed(malformed(response, problem)),
            },
            428 => PollAnswer::Pending,
            429 => PollAnswer::SlowDown,
            403 => PollAnswer::Denied,
            410 => PollAnswer::Expired,
            _ => PollAnswer::from_failure(failure(response)),
        }
    }
}

fn json_post(client: &DeviceClient, url: &str, body: Value) -> Result<Transmit, RequestError> {
    RequestParts {
        method: http::Method::POST,
        url,
        user_agent: client.user_agent(),
        authorization: None,
        body: Some(("application/json", body.to_string().into_bytes())),
        limits: client.limits(),
    }
    .build()
}

/// Parses a body as a JSON object and unwraps a `{"data": {...}}` envelope if there is one.
pub(crate) fn unwrap_envelope<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<Map<String, Value>, crate::BodyError> {
    let mut object = wire::parse_object(response)?;
    match object.remove("data") {
        Some(Value::Object(inner)) => Ok(inner),
        Some(other) => {
            object.insert("data".to_owned(), other);
            Ok(object)
        }
        None => Ok(object),
    }
}

/// An unsuccessful answer from the Skytells API: a standard `error` code when it is one
/// (Skytells also puts short messages in `error`), else the status with the best message.
pub(crate) fn failure<B: AsRef<[u8]>>(response: &http::Response<B>) -> RequestError {
    let status = response.status().as_u16();
    let body = super::error::ErrorBody::from_response(response);
    if let Some(code) =
        body.error.as_deref().map(ErrorCode::from_wire).filter(|code| !matches!(code, ErrorCode::Other(_)))
    {
        let mut error = crate::OAuthError::new(code);
        error.description = body.message.clone();
        return RequestError::OAuth { status, error };
    }
    wire::status_failure(response, body.summary().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap()
    }

    fn poll(status: u16, body: &str) -> PollAnswer {
        SkytellsDialect.poll_answer(&response(status, body), Moment::ZERO)
    }

    #[test]
    fn poll_answers_by_status_or_by_code() {
        assert_eq!(poll(428, "{}"), PollAnswer::Pending);
        assert_eq!(poll(400, r#"{"error":"authorization_pending"}"#), PollAnswer::Pending);
        assert_eq!(poll(429, ""), PollAnswer::SlowDown);
        assert_eq!(poll(400, r#"{"error":"slow_down"}"#), PollAnswer::SlowDown);
        assert_eq!(poll(403, "{}"), PollAnswer::Denied);
        assert_eq!(poll(410, ""), PollAnswer::Expired);
        assert!(matches!(poll(503, ""), PollAnswer::Transient(_)));
        assert!(matches!(poll(408, ""), PollAnswer::Transient(_)));
        assert!(matches!(poll(400, r#"{"error":"invalid_grant"}"#), PollAnswer::Failed(RequestError::OAuth { .. })));
        let PollAnswer::Granted(grant) = poll(200, r#"{"data":{"access_token":"t","scopes":["inference"]}}"#) else {
            panic!()
        };
        assert_eq!(grant.scopes, ["inference"]);
        assert!(matches!(poll(200, r#"{"error":"weird"}"#), PollAnswer::Failed(_)));
        assert!(matches!(poll(200, "{}"), PollAnswer::Failed(RequestError::Malformed { .. })));
    }

    #[test]
    fn envelopes_are_unwrapped_only_when_they_hold_an_object() {
        let object = unwrap_envelope(&response(200, r#"{"data":{"id":"u1"}}"#)).unwrap();
        assert_eq!(object.get("id").and_then(Value::as_str), Some("u1"));
        let flat = unwrap_envelope(&response(200, r#"{"id":"u1","data":[1]}"#)).unwrap();
        assert_eq!(flat.get("id").and_then(Value::as_str), Some("u1"));
    }
}
