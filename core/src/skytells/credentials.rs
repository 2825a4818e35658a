//! `credentials.json`, in the format the Node CLI reads and writes.

use serde_json::{Map, Number, Value};

use crate::Secret;

/// Field names shared with the Node CLI.
mod field {
    pub const TOKEN: &str = "token";
    pub const ACCESS_KEY: &str = "access_key";
    pub const CREATED_AT: &str = "created_at";
    /// Added by this implementation; the Node CLI ignores it.
    pub const SCOPES: &str = "scopes";
}

/// The contents of a credentials file.
///
/// Every field this type does not know (`api_key`, anything a later CLI adds) is kept as
/// it was, in its place, across every rewrite.
///
/// ```
/// use skytells_auth::{skytells::Credentials, Secret};
/// let mut credentials = Credentials::parse(br#"{"api_key":"legacy","token":"sk_pat_old"}"#).unwrap();
/// credentials.set_token(&Secret::new("sk_pat_new"), &["inference".to_owned()], 1_776_076_200_000);
/// let written = String::from_utf8(credentials.to_bytes()).unwrap();
/// assert!(written.contains(r#""api_key": "legacy""#));
/// assert_eq!(Credentials::parse(written.as_bytes()).unwrap(), credentials);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    fields: Map<String, Value>,
}

/// Why a credentials file could not be read. No message includes the file's contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// Not JSON (or not UTF-8).
    #[error("it is not valid JSON ({problem} at line {line}, column {column})")]
    NotJson {
        /// serde_json's category of error, without any of the input.
        problem: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// JSON, but not an object.
    #[error("it is JSON but not an object")]
    NotAnObject,
    /// A known field has the wrong type.
    #[error("its `{field}` field should be {expected}")]
    WrongType {
        /// The field.
        field: &'static str,
        /// What it should be.
        expected: &'static str,
    },
    /// A credential holds characters that cannot be a credential (line breaks, controls).
    #[error("its `{field}` field holds characters no credential has")]
    UnusableCredential {
        /// The field.
        field: &'static str,
    },
}

impl Credentials {
    /// No credentials.
    pub fn empty() -> Self {
        Credentials::default()
    }

    /// Reads a credentials file's bytes. An empty (or all-whitespace) file holds no
    /// credentials; anything else must be a JSON object whose known fields have the
    /// right types.
    pub fn parse(bytes: &[u8]) -> Result<Self, CredentialsError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Credentials::empty());
        }
        let value: Value = serde_json::from_slice(bytes).map_err(|error| CredentialsError::NotJson {
            // Parsing into a `Value` from a slice can only hit end-of-input or syntax errors.
            problem: match error.classify() {
                serde_json::error::Category::Eof => "unexpected end of file",
                _ => "syntax error",
            },
            line: error.line(),
            column: error.column(),
        })?;
        let Value::Object(fields) = value else {
            return Err(CredentialsError::NotAnObject);
        };
        let credentials = Credentials { fields };
        for name in [field::TOKEN, field::ACCESS_KEY] {
            match credentials.fields.get(name) {
                None | Some(Value::Null) => {}
                Some(Value::String(text)) if is_header_safe(text) => {}
                Some(Value::String(_)) => return Err(CredentialsError::UnusableCredential { field: name }),
                Some(_) => return Err(CredentialsError::WrongType { field: name, expected: "a string" }),
            }
        }
        match credentials.fields.get(field::CREATED_AT) {
            None | Some(Value::Null) | Some(Value::Number(_)) => {}
            Some(_) => {
                return Err(CredentialsError::WrongType {
                    field: field::CREATED_AT,
                    expected: "milliseconds since 1970",
                })
            }
        }
        match credentials.fields.get(field::SCOPES) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
            Some(_) => return Err(CredentialsError::WrongType { field: field::SCOPES, expected: "a list of strings" }),
        }
        Ok(credentials)
    }

    /// The file's bytes: pretty JSON with a final newline, fields in their original order.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(&self.fields).unwrap_or_else(|_| b"{}".to_vec());
        bytes.push(b'\n');
        bytes
    }

    /// The stored personal access token.
    pub fn token(&self) -> Option<Secret> {
        self.secret(field::TOKEN)
    }

    /// The stored project access key.
    pub fn access_key(&self) -> Option<Secret> {
        self.secret(field::ACCESS_KEY)
    }

    /// When the credentials were created, in milliseconds since the Unix epoch.
    pub fn created_at(&self) -> Option<u64> {
        self.fields.get(field::CREATED_AT).and_then(Value::as_u64)
    }

    /// The scopes granted to the stored token, when the login that stored it knew them.
    pub fn scopes(&self) -> Option<Vec<String>> {
        let items = self.fields.get(field::SCOPES)?.as_array()?;
        Some(items.iter().filter_map(Value::as_str).map(crate::sanitize_for_display).collect())
    }

    /// Stores a new token (and its scopes) from a login at `now_ms` since the Unix epoch.
    /// The access key and unknown fields stay.
    pub fn set_token(&mut self, token: &Secret, scopes: &[String], now_ms: u64) {
        self.fields.insert(field::TOKEN.to_owned(), Value::String(token.expose().to_owned()));
        if scopes.is_empty() {
            self.fields.shift_remove(field::SCOPES);
        } else {
            let names = scopes.iter().cloned().map(Value::String).collect();
            self.fields.insert(field::SCOPES.to_owned(), Value::Array(names));
        }
        self.fields.insert(field::CREATED_AT.to_owned(), Value::Number(Number::from(now_ms)));
    }

    /// Stores a project access key linked at `now_ms`. The token and unknown fields stay;
    /// `created_at` is set only if the file had none.
    pub fn set_access_key(&mut self, access_key: &Secret, now_ms: u64) {
        self.fields.insert(field::ACCESS_KEY.to_owned(), Value::String(access_key.expose().to_owned()));
        self.fields.entry(field::CREATED_AT).or_insert_with(|| Value::Number(Number::from(now_ms)));
    }

    /// Forgets the login: token, access key, scopes and timestamp. Unknown fields stay.
    pub fn clear_login(&mut self) {
        for name in [field::TOKEN, field::ACCESS_KEY, field::SCOPES, field::CREATED_AT] {
            self.fields.shift_remove(name);
        }
    }

    /// Whether nothing at all is stored.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    fn secret(&self, name: &str) -> Option<Secret> {
        self.fields.get(name).and_then(Value::as_str).filter(|text| !text.trim().is_empty()).map(Secret::new)
    }
}

/// Printable ASCII without spaces: what an `Authorization` header can carry.
fn is_header_safe(text: &str) -> bool {
    text.bytes().all(|byte| (0x21..=0x7e).contains(&byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_node_cli_format_round_trips_with_unknown_fields_in_place() {
        let original = br#"{"token":"sk_pat_a","access_key":"sk_proj_b","api_key":"k","created_at":1776076200000,"future":{"x":[1,2]}}"#;
        let mut credentials = Credentials::parse(original).unwrap();
        assert_eq!(credentials.token().unwrap().expose(), "sk_pat_a");
        assert_eq!(credentials.access_key().unwrap().expose(), "sk_proj_b");
        assert_eq!(credentials.created_at(), Some(1_776_076_200_000));
        credentials.set_access_key(&Secret::new("sk_proj_c"), 5);
        let rewritten: Value = serde_json::from_slice(&credentials.to_bytes()).unwrap();
        let keys: Vec<&str> = rewritten.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["token", "access_key", "api_key", "created_at", "future"]);
        assert_eq!(rewritten["future"], serde_json::json!({"x": [1, 2]}));
        assert_eq!(rewritten["created_at"], 1_776_076_200_000u64);
    }

    #[test]
    fn numbers_in_unknown_fields_keep_every_digit() {
        let original = br#"{"id":17177607620076076200000,"ratio":0.1000000000000000055511151231257827,"neg":-0.0}"#;
        let credentials = Credentials::parse(original).unwrap();
        let written = String::from_utf8(credentials.to_bytes()).unwrap();
        assert!(written.contains("17177607620076076200000"), "{written}");
        assert!(written.contains("0.1000000000000000055511151231257827"), "{written}");
        assert!(written.contains("-0.0"), "{written}");
    }

    #[test]
    fn corrupt_files_are_errors_that_do_not_quote_the_file() {
        let error = Credentials::parse(b"{\"token\": \"sk_pat_secret").unwrap_err();
        assert!(matches!(error, CredentialsError::NotJson { .. }));
        assert!(!error.to_string().contains("secret"));
        assert_eq!(Credentials::parse(b"[1]"), Err(CredentialsError::NotAnObject));
        assert!(matches!(Credentials::parse(br#"{"token":5}"#), Err(CredentialsError::WrongType { .. })));
        assert!(matches!(
            Credentials::parse(b"{\"token\":\"a\\nb\"}"),
            Err(CredentialsError::UnusableCredential { field: "token" })
        ));
    }

    #[test]
    fn empty_files_hold_nothing_and_logout_keeps_unknown_fields() {
        assert!(Credentials::parse(b" \n").unwrap().is_empty());
        let mut credentials = Credentials::parse(br#"{"token":"t","api_key":"k","scopes":["a"]}"#).unwrap();
        credentials.clear_login();
        assert_eq!(credentials.to_bytes(), b"{\n  \"api_key\": \"k\"\n}\n");
    }
}
