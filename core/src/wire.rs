//! JSON bodies as the Skytells API sends them: envelopes and error bodies.

use serde_json::{Map, Value};

/// Why a body could not be read as the JSON object expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Not JSON.
    #[error("the response is not valid JSON{}", content_type_note(.content_type))]
    NotJson {
        /// The response's content type, when it named one.
        content_type: Option<String>,
    },
    /// JSON, but not an object.
    #[error("the response is JSON but not an object")]
    NotAnObject,
    /// A required field is absent or empty.
    #[error("the response has no `{0}`")]
    MissingField(&'static str),
    /// A field has the wrong type or an unusable value.
    #[error("the response's `{field}` is {problem}")]
    BadField {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
}

fn content_type_note(content_type: &Option<String>) -> String {
    content_type.as_deref().map(|ct| format!(" (content type {ct})")).unwrap_or_default()
}

/// Parses a body as a JSON object and unwraps a `{"data": {...}}` envelope if there is one.
pub fn parse_object<B>(response: &http::Response<B>) -> Result<Map<String, Value>, BodyError>
where
    B: AsRef<[u8]>,
{
    let value: Value = serde_json::from_slice(response.body().as_ref())
        .map_err(|_| BodyError::NotJson { content_type: content_type(response) })?;
    match value {
        Value::Object(mut object) => match object.remove("data") {
            Some(Value::Object(inner)) => Ok(inner),
            Some(other) => {
                object.insert("data".to_owned(), other);
                Ok(object)
            }
            None => Ok(object),
        },
        _ => Err(BodyError::NotAnObject),
    }
}

fn content_type<B>(response: &http::Response<B>) -> Option<String> {
    response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(crate::sanitize_for_display)
}

/// A non-empty string field.
pub fn required_str<'a>(object: &'a Map<String, Value>, field: &'static str) -> Result<&'a str, BodyError> {
    match object.get(field) {
        None | Some(Value::Null) => Err(BodyError::MissingField(field)),
        Some(Value::String(text)) if text.trim().is_empty() => Err(BodyError::MissingField(field)),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(BodyError::BadField { field, problem: "not a string" }),
    }
}

/// An optional non-empty string field; a value of another type counts as absent.
pub fn optional_str<'a>(object: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    object.get(field).and_then(Value::as_str).filter(|text| !text.trim().is_empty())
}

/// An optional number of seconds: absent or null is `Ok(None)`; a number (integer or
/// fraction, negative included) is returned as `f64`; anything else is an error.
pub fn optional_seconds(object: &Map<String, Value>, field: &'static str) -> Result<Option<f64>, BodyError> {
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
pub fn optional_id(object: &Map<String, Value>, field: &str) -> Option<String> {
    match object.get(field)? {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// An API error body: `{"error", "message"?, "details"?, "code"?, "limit_type"?}`, with
/// RFC 6749's `error_description` accepted too. Every string is sanitized for display.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// `error`: a code (`authorization_pending`) or, from Skytells, a short message.
    pub error: Option<String>,
    /// The best human explanation: `message`, else `error_description`, else `details`.
    pub message: Option<String>,
    /// `code`, such as `security_violation`.
    pub code: Option<String>,
    /// `limit_type`, such as `plan`.
    pub limit_type: Option<String>,
    /// The scope the server says was missing, when it says so.
    pub required_scope: Option<String>,
}

impl ErrorBody {
    /// Reads whatever error fields the body has; a body that is not a JSON object gives
    /// an empty `ErrorBody`.
    pub fn from_response<B: AsRef<[u8]>>(response: &http::Response<B>) -> Self {
        let Ok(object) = parse_object(response) else {
            return ErrorBody::default();
        };
        let text = |field: &str| optional_str(&object, field).map(crate::sanitize_for_display);
        let details = object.get("details");
        let details_text = details.and_then(Value::as_str).map(crate::sanitize_for_display);
        let details_scope = details
            .and_then(Value::as_object)
            .and_then(|details| optional_str(details, "required_scope").or_else(|| optional_str(details, "scope")));
        ErrorBody {
            error: text("error"),
            message: text("message").or_else(|| text("error_description")).or(details_text),
            code: text("code"),
            limit_type: text("limit_type"),
            required_scope: text("required_scope")
                .or_else(|| text("scope"))
                .or_else(|| details_scope.map(crate::sanitize_for_display)),
        }
    }

    /// The clearest single line the body offers.
    pub fn summary(&self) -> Option<&str> {
        self.message.as_deref().or(self.error.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(body: &str) -> http::Response<Vec<u8>> {
        http::Response::new(body.as_bytes().to_vec())
    }

    #[test]
    fn data_envelopes_are_unwrapped() {
        let object = parse_object(&response(r#"{"data":{"id":"u1"}}"#)).unwrap();
        assert_eq!(object.get("id").and_then(Value::as_str), Some("u1"));
        let flat = parse_object(&response(r#"{"id":"u1","data":[1]}"#)).unwrap();
        assert_eq!(flat.get("id").and_then(Value::as_str), Some("u1"));
    }

    #[test]
    fn non_json_bodies_name_their_content_type() {
        let mut html = response("<html>");
        html.headers_mut().insert(http::header::CONTENT_TYPE, "text/html".parse().unwrap());
        assert_eq!(
            parse_object(&html).unwrap_err().to_string(),
            "the response is not valid JSON (content type text/html)"
        );
    }

    #[test]
    fn error_bodies_prefer_the_human_message_and_sanitize_it() {
        let body = ErrorBody::from_response(&response(
            r#"{"error":"forbidden","message":"no \u001b[31mway","code":"security_violation"}"#,
        ));
        assert_eq!(body.summary(), Some("no [31mway"));
        assert_eq!(body.code.as_deref(), Some("security_violation"));
        let scoped = ErrorBody::from_response(&response(r#"{"error":"x","details":{"required_scope":"keys.write"}}"#));
        assert_eq!(scoped.required_scope.as_deref(), Some("keys.write"));
    }

    #[test]
    fn seconds_accept_numbers_and_numeric_strings_only() {
        let object = parse_object(&response(r#"{"a":5,"b":"7","c":[1],"d":-2.5}"#)).unwrap();
        assert_eq!(optional_seconds(&object, "a"), Ok(Some(5.0)));
        assert_eq!(optional_seconds(&object, "b"), Ok(Some(7.0)));
        assert!(optional_seconds(&object, "c").is_err());
        assert_eq!(optional_seconds(&object, "d"), Ok(Some(-2.5)));
        assert_eq!(optional_seconds(&object, "missing"), Ok(None));
    }
}
