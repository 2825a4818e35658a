//! `credentials.json`, in the format the Node CLI reads and writes.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;

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
/// it was, in its place and byte for byte (numbers keep every digit, strings their
/// escapes), across every rewrite.
///
/// ```
/// use skytells_auth::{skytells::Credentials, Secret};
/// let mut credentials = Credentials::parse(br#"{"api_key":"legacy","token":"sk_pat_old"}"#).unwrap();
/// credentials.set_token(&Secret::new("sk_pat_new"), &["inference".to_owned()], 1_776_076_200_000);
/// let written = String::from_utf8(credentials.to_bytes()).unwrap();
/// assert!(written.contains(r#""api_key": "legacy""#));
/// assert_eq!(Credentials::parse(written.as_bytes()).unwrap(), credentials);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// Every field in file order, each value as the exact JSON text it had.
    fields: Vec<(String, Box<RawValue>)>,
}

impl PartialEq for Credentials {
    fn eq(&self, other: &Self) -> bool {
        self.fields.len() == other.fields.len()
            && self.fields.iter().zip(&other.fields).all(|((a, x), (b, y))| a == b && x.get() == y.get())
    }
}

impl Eq for Credentials {}

/// Why a credentials file could not be read. No message includes the file's contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
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
        let not_json = |error: serde_json::Error| CredentialsError::NotJson {
            // Reading raw values from a slice can only hit end-of-input or syntax errors.
            problem: match error.classify() {
                serde_json::error::Category::Eof => "unexpected end of file",
                _ => "syntax error",
            },
            line: error.line(),
            column: error.column(),
        };
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let fields = deserializer.deserialize_any(FieldsVisitor).map_err(not_json)?;
        deserializer.end().map_err(not_json)?;
        let credentials = Credentials { fields: fields.ok_or(CredentialsError::NotAnObject)? };
        for name in [field::TOKEN, field::ACCESS_KEY] {
            match credentials.value(name) {
                None | Some(Value::Null) => {}
                Some(Value::String(text)) if is_header_safe(&text) => {}
                Some(Value::String(_)) => return Err(CredentialsError::UnusableCredential { field: name }),
                Some(_) => return Err(CredentialsError::WrongType { field: name, expected: "a string" }),
            }
        }
        match credentials.value(field::CREATED_AT) {
            None | Some(Value::Null) | Some(Value::Number(_)) => {}
            Some(_) => {
                return Err(CredentialsError::WrongType {
                    field: field::CREATED_AT,
                    expected: "milliseconds since 1970",
                })
            }
        }
        match credentials.value(field::SCOPES) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
            Some(_) => return Err(CredentialsError::WrongType { field: field::SCOPES, expected: "a list of strings" }),
        }
        Ok(credentials)
    }

    /// The file's bytes: an object with one field per line, in their original order,
    /// every value as it was written (ours as compact JSON), and a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        if self.fields.is_empty() {
            return b"{}\n".to_vec();
        }
        let lines: Vec<String> = self
            .fields
            .iter()
            .map(|(name, value)| format!("  {}: {}", Value::String(name.clone()), value.get()))
            .collect();
        format!("{{\n{}\n}}\n", lines.join(",\n")).into_bytes()
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
        self.value(field::CREATED_AT)?.as_u64()
    }

    /// The scopes granted to the stored token, when the login that stored it knew them.
    pub fn scopes(&self) -> Option<Vec<String>> {
        let items = self.value(field::SCOPES)?;
        Some(items.as_array()?.iter().filter_map(Value::as_str).map(crate::sanitize_for_display).collect())
    }

    /// Stores a new token (and its scopes) from a login at `now_ms` since the Unix epoch.
    /// The access key and unknown fields stay.
    pub fn set_token(&mut self, token: &Secret, scopes: &[String], now_ms: u64) {
        self.set(field::TOKEN, &Value::String(token.expose().to_owned()));
        if scopes.is_empty() {
            self.remove(field::SCOPES);
        } else {
            self.set(field::SCOPES, &Value::from(scopes.to_vec()));
        }
        self.set(field::CREATED_AT, &Value::from(now_ms));
    }

    /// Stores a project access key linked at `now_ms`. The token and unknown fields stay;
    /// `created_at` is set only if the file had none.
    pub fn set_access_key(&mut self, access_key: &Secret, now_ms: u64) {
        self.set(field::ACCESS_KEY, &Value::String(access_key.expose().to_owned()));
        if self.raw(field::CREATED_AT).is_none() {
            self.set(field::CREATED_AT, &Value::from(now_ms));
        }
    }

    /// Forgets the login: token, access key, scopes and timestamp. Unknown fields stay.
    pub fn clear_login(&mut self) {
        for name in [field::TOKEN, field::ACCESS_KEY, field::SCOPES, field::CREATED_AT] {
            self.remove(name);
        }
    }

    /// Whether nothing at all is stored.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    fn secret(&self, name: &str) -> Option<Secret> {
        match self.value(name)? {
            Value::String(text) if !text.trim().is_empty() => Some(Secret::new(text)),
            _ => None,
        }
    }

    fn raw(&self, name: &str) -> Option<&RawValue> {
        self.fields.iter().find(|(field, _)| field == name).map(|(_, value)| value.as_ref())
    }

    /// A known field's value, parsed.
    fn value(&self, name: &str) -> Option<Value> {
        serde_json::from_str(self.raw(name)?.get()).ok()
    }

    /// Sets a field in its place, or appends it.
    fn set(&mut self, name: &str, value: &Value) {
        let Ok(raw) = RawValue::from_string(value.to_string()) else { return };
        match self.fields.iter_mut().find(|(field, _)| field == name) {
            Some((_, existing)) => *existing = raw,
            None => self.fields.push((name.to_owned(), raw)),
        }
    }

    fn remove(&mut self, name: &str) {
        self.fields.retain(|(field, _)| field != name);
    }
}

/// Reads a JSON document into its top-level fields (raw), or `None` when it is not an
/// object. A repeated field keeps its first place and its last value, as `JSON.parse` does.
struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Option<Vec<(String, Box<RawValue>)>>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields: Vec<(String, Box<RawValue>)> = Vec::new();
        while let Some((name, value)) = map.next_entry::<String, Box<RawValue>>()? {
            match fields.iter_mut().find(|(field, _)| *field == name) {
                Some((_, existing)) => *existing = value,
                None => fields.push((name, value)),
            }
        }
        Ok(Some(fields))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
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
        let rewritten = String::from_utf8(credentials.to_bytes()).unwrap();
        assert_eq!(
            rewritten,
            "{\n  \"token\": \"sk_pat_a\",\n  \"access_key\": \"sk_proj_c\",\n  \"api_key\": \"k\",\n  \"created_at\": 1776076200000,\n  \"future\": {\"x\":[1,2]}\n}\n"
        );
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
    fn unknown_values_are_kept_as_written_even_where_serde_would_differ() {
        // A lone surrogate (JSON.parse accepts it), odd spacing and escapes, a repeated key.
        let original = br#"{"emoji":"\ud83d", "nested" : { "a" :[ 1 ,2 ] },"s":"\u00e9\/","dup":1,"dup":2}"#;
        let credentials = Credentials::parse(original).unwrap();
        let written = String::from_utf8(credentials.to_bytes()).unwrap();
        assert!(written.contains(r#""emoji": "\ud83d""#), "{written}");
        assert!(written.contains(r#""nested": { "a" :[ 1 ,2 ] }"#), "{written}");
        assert!(written.contains(r#""s": "\u00e9\/""#), "{written}");
        assert!(written.contains(r#""dup": 2"#) && !written.contains(r#""dup": 1"#), "{written}");
    }

    #[test]
    fn unknown_values_nested_past_serde_jsons_depth_limit_are_kept() {
        let deep = format!(r#"{{"token":"sk_pat_a","deep":{}1{}}}"#, "[".repeat(300), "]".repeat(300));
        let credentials = Credentials::parse(deep.as_bytes()).unwrap();
        assert_eq!(credentials.token().unwrap().expose(), "sk_pat_a");
        assert!(String::from_utf8(credentials.to_bytes()).unwrap().contains(&"[".repeat(300)));
    }

    #[test]
    fn corrupt_files_are_errors_that_do_not_quote_the_file() {
        let error = Credentials::parse(b"{\"token\": \"sk_pat_secret").unwrap_err();
        assert!(matches!(error, CredentialsError::NotJson { .. }));
        assert!(!error.to_string().contains("secret"));
        assert_eq!(Credentials::parse(b"[1]"), Err(CredentialsError::NotAnObject));
        for not_an_object in [&b"\"x\""[..], b"true", b"null", b"-1", b"7", b"1.5"] {
            assert_eq!(Credentials::parse(not_an_object), Err(CredentialsError::NotAnObject));
        }
        assert!(matches!(Credentials::parse(b"{} {}"), Err(CredentialsError::NotJson { .. })));
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
