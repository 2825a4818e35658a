//! `credentials.json`, in the format the Node CLI reads and writes.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;

use super::{ApiBase, ApiOrigin};
use crate::Secret;

/// Field names shared with the Node CLI.
mod field {
    pub const TOKEN: &str = "token";
    pub const ACCESS_KEY: &str = "access_key";
    pub const CREATED_AT: &str = "created_at";
    /// Added by this implementation; the Node CLI ignores it.
    pub const SCOPES: &str = "scopes";
    /// Added by this implementation: logins to APIs other than the default one, by
    /// origin, each an object with the fields above. The Node CLI ignores it, so it
    /// never sends these credentials anywhere.
    pub const ORIGINS: &str = "origins";
    /// Added by this implementation: where in the system keyring the token is, in place
    /// of `token` (never both).
    pub const TOKEN_KEYRING: &str = "token_keyring";
    /// The same for the access key.
    pub const ACCESS_KEY_KEYRING: &str = "access_key_keyring";
}

/// Where in the system keyring a secret is kept: the file holds this marker instead of
/// the secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyringEntry {
    /// The keyring's service name (`skytells-cli`).
    pub service: String,
    /// The account within it, naming the credential and its API.
    pub user: String,
}

impl KeyringEntry {
    /// The service every entry of this CLI is filed under.
    pub const SERVICE: &'static str = "skytells-cli";

    /// Where `origin`'s token (or, with `access_key`, its access key) goes.
    ///
    /// ```
    /// use skytells_auth::skytells::{ApiBase, KeyringEntry};
    /// let entry = KeyringEntry::for_origin(&ApiBase::default().origin(), false);
    /// assert_eq!((entry.service.as_str(), entry.user.as_str()), ("skytells-cli", "token https://console.skytells.ai"));
    /// ```
    pub fn for_origin(origin: &ApiOrigin, access_key: bool) -> Self {
        let kind = if access_key { field::ACCESS_KEY } else { field::TOKEN };
        KeyringEntry { service: Self::SERVICE.to_owned(), user: format!("{kind} {origin}") }
    }
}

/// One API's stored login.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredLogin {
    /// The personal access token.
    pub token: Option<Secret>,
    /// The project access key.
    pub access_key: Option<Secret>,
    /// The scopes granted to the token, when the login that stored it knew them.
    pub scopes: Option<Vec<String>>,
    /// When it was stored, in milliseconds since the Unix epoch.
    pub created_at: Option<u64>,
    /// Where the token is in the system keyring, when it is kept there.
    pub token_keyring: Option<KeyringEntry>,
    /// Where the access key is in the system keyring, when it is kept there.
    pub access_key_keyring: Option<KeyringEntry>,
}

impl StoredLogin {
    /// Whether it holds a token or an access key, or points to one in the keyring.
    pub fn has_credential(&self) -> bool {
        self.token.is_some()
            || self.access_key.is_some()
            || self.token_keyring.is_some()
            || self.access_key_keyring.is_some()
    }
}

/// The contents of a credentials file.
///
/// A stored credential belongs to one API origin. The top-level `token`, `access_key`,
/// `scopes` and `created_at` are the default API's (<https://console.skytells.ai>), as the
/// Node CLI reads and writes them; logins to other APIs sit under `origins`, keyed by
/// origin, each with the same fields.
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
    /// The login stored for another API under `origins` has one of the problems above.
    #[error("its login for {origin}: {problem}")]
    InOrigin {
        /// The origin, as written in the file (sanitized).
        origin: String,
        /// What is wrong with it.
        problem: Box<CredentialsError>,
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
        for name in [field::TOKEN_KEYRING, field::ACCESS_KEY_KEYRING] {
            if credentials.raw(name).is_some() && credentials.keyring_entry(name).is_none() {
                let expected = "an object with a `service` and a `user`";
                return Err(CredentialsError::WrongType { field: name, expected });
            }
        }
        // Entries under a key that names no origin are never used, and kept as they are.
        for (origin, login) in credentials.origin_entries()? {
            if ApiOrigin::parse(&origin).is_none() {
                continue;
            }
            Credentials::parse(login.get().as_bytes()).map_err(|problem| CredentialsError::InOrigin {
                origin: crate::sanitize_for_display(&origin),
                problem: Box::new(problem),
            })?;
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

    /// The login stored for `origin`: the top-level fields for the default API, its entry
    /// under `origins` for any other.
    ///
    /// ```
    /// use skytells_auth::skytells::{ApiBase, Credentials};
    /// use skytells_auth::Secret;
    /// let staging = ApiBase::parse("https://staging.example.com")?.origin();
    /// let mut credentials = Credentials::parse(br#"{"token":"sk_pat_production"}"#)?;
    /// credentials.set_token_for(&staging, &Secret::new("sk_pat_staging"), &[], 1);
    /// assert_eq!(credentials.login_for(&staging).token.unwrap().expose(), "sk_pat_staging");
    /// assert_eq!(credentials.login_for(&ApiBase::default().origin()).token.unwrap().expose(), "sk_pat_production");
    /// assert_eq!(credentials.token().unwrap().expose(), "sk_pat_production"); // what the Node CLI reads
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn login_for(&self, origin: &ApiOrigin) -> StoredLogin {
        let read = |credentials: &Credentials| StoredLogin {
            token: credentials.token(),
            access_key: credentials.access_key(),
            scopes: credentials.scopes(),
            created_at: credentials.created_at(),
            token_keyring: credentials.keyring_entry(field::TOKEN_KEYRING),
            access_key_keyring: credentials.keyring_entry(field::ACCESS_KEY_KEYRING),
        };
        if origin.is_default() {
            return read(self);
        }
        self.entry(origin).map(|(_, login)| read(&login)).unwrap_or_default()
    }

    /// Every origin with a stored token or access key: the default API first (when the
    /// top-level fields hold one), then the others in file order.
    pub fn logged_in_origins(&self) -> Vec<ApiOrigin> {
        let default = ApiBase::default().origin();
        let mut origins = Vec::new();
        if self.login_for(&default).has_credential() {
            origins.push(default.clone());
        }
        for (key, _) in self.origin_entries().unwrap_or_default() {
            if let Some(origin) = ApiOrigin::parse(&key) {
                if !origin.is_default() && !origins.contains(&origin) && self.login_for(&origin).has_credential() {
                    origins.push(origin);
                }
            }
        }
        origins
    }

    /// Stores a token (and its scopes) for `origin`, from a login at `now_ms`. Its access
    /// key, the other origins' logins and unknown fields stay.
    pub fn set_token_for(&mut self, origin: &ApiOrigin, token: &Secret, scopes: &[String], now_ms: u64) {
        self.change_login(origin, |login| login.set_token(token, scopes, now_ms));
    }

    /// Stores a project access key for `origin`, linked at `now_ms`.
    pub fn set_access_key_for(&mut self, origin: &ApiOrigin, access_key: &Secret, now_ms: u64) {
        self.change_login(origin, |login| login.set_access_key(access_key, now_ms));
    }

    /// Records that `origin`'s token (with its scopes, from a login at `now_ms`) is kept in
    /// the system keyring at `entry`; the file keeps only that marker, never the token.
    pub fn set_token_in_keyring_for(
        &mut self,
        origin: &ApiOrigin,
        entry: &KeyringEntry,
        scopes: &[String],
        now_ms: u64,
    ) {
        self.change_login(origin, |login| {
            login.remove(field::TOKEN);
            login.set_keyring_entry(field::TOKEN_KEYRING, entry);
            login.set_token_facts(scopes, now_ms);
        });
    }

    /// Records that `origin`'s access key, linked at `now_ms`, is kept in the system
    /// keyring at `entry`.
    pub fn set_access_key_in_keyring_for(&mut self, origin: &ApiOrigin, entry: &KeyringEntry, now_ms: u64) {
        self.change_login(origin, |login| {
            login.remove(field::ACCESS_KEY);
            login.set_keyring_entry(field::ACCESS_KEY_KEYRING, entry);
            login.set_created_at_once(now_ms);
        });
    }

    /// Every keyring entry the file points to, for any API.
    pub fn keyring_entries(&self) -> Vec<KeyringEntry> {
        self.logged_in_origins()
            .iter()
            .map(|origin| self.login_for(origin))
            .flat_map(|login| [login.token_keyring, login.access_key_keyring])
            .flatten()
            .collect()
    }

    /// Forgets `origin`'s login; the other origins' and unknown fields stay.
    pub fn clear_login_for(&mut self, origin: &ApiOrigin) {
        self.change_login(origin, Credentials::clear_login);
    }

    /// Forgets every origin's login. Unknown fields stay.
    pub fn clear_all_logins(&mut self) {
        self.clear_login();
        self.remove(field::ORIGINS);
    }

    /// The stored personal access token for the default API (the top-level field).
    pub fn token(&self) -> Option<Secret> {
        self.secret(field::TOKEN)
    }

    /// The stored project access key for the default API (the top-level field).
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

    /// Stores a new token (and its scopes) for the default API from a login at `now_ms`
    /// since the Unix epoch. The access key and unknown fields stay.
    pub fn set_token(&mut self, token: &Secret, scopes: &[String], now_ms: u64) {
        self.remove(field::TOKEN_KEYRING);
        self.set(field::TOKEN, &Value::String(token.expose().to_owned()));
        self.set_token_facts(scopes, now_ms);
    }

    /// A new token's scopes (none recorded when empty) and time.
    fn set_token_facts(&mut self, scopes: &[String], now_ms: u64) {
        if scopes.is_empty() {
            self.remove(field::SCOPES);
        } else {
            self.set(field::SCOPES, &Value::from(scopes.to_vec()));
        }
        self.set(field::CREATED_AT, &Value::from(now_ms));
    }

    /// `created_at`, unless the file has one.
    fn set_created_at_once(&mut self, now_ms: u64) {
        if self.raw(field::CREATED_AT).is_none() {
            self.set(field::CREATED_AT, &Value::from(now_ms));
        }
    }

    /// Stores a project access key for the default API linked at `now_ms`. The token and
    /// unknown fields stay;
    /// `created_at` is set only if the file had none.
    pub fn set_access_key(&mut self, access_key: &Secret, now_ms: u64) {
        self.remove(field::ACCESS_KEY_KEYRING);
        self.set(field::ACCESS_KEY, &Value::String(access_key.expose().to_owned()));
        self.set_created_at_once(now_ms);
    }

    /// Forgets the default API's login: token, access key, scopes and timestamp. Other
    /// origins' logins and unknown fields stay.
    pub fn clear_login(&mut self) {
        for name in [
            field::TOKEN,
            field::ACCESS_KEY,
            field::SCOPES,
            field::CREATED_AT,
            field::TOKEN_KEYRING,
            field::ACCESS_KEY_KEYRING,
        ] {
            self.remove(name);
        }
    }

    /// Whether nothing at all is stored.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The `origins` object's entries, raw, in file order (none when there is no such
    /// field); an error when it is there but not an object.
    fn origin_entries(&self) -> Result<Vec<(String, Box<RawValue>)>, CredentialsError> {
        let not_an_object = CredentialsError::WrongType { field: field::ORIGINS, expected: "an object of API origins" };
        match self.raw(field::ORIGINS) {
            None => Ok(Vec::new()),
            Some(raw) if raw.get() == "null" => Ok(Vec::new()),
            Some(raw) => {
                let mut deserializer = serde_json::Deserializer::from_str(raw.get());
                deserializer.deserialize_any(FieldsVisitor).ok().flatten().ok_or(not_an_object)
            }
        }
    }

    /// `origin`'s entry under `origins`: its key as written, and its fields.
    fn entry(&self, origin: &ApiOrigin) -> Option<(String, Credentials)> {
        self.origin_entries().unwrap_or_default().into_iter().find_map(|(key, raw)| {
            let login = Credentials::parse(raw.get().as_bytes()).ok()?;
            (ApiOrigin::parse(&key).as_ref() == Some(origin)).then_some((key, login))
        })
    }

    /// Applies `change` to `origin`'s login: the top level for the default API, its
    /// entry under `origins` (created, or removed once empty) for any other.
    fn change_login(&mut self, origin: &ApiOrigin, change: impl FnOnce(&mut Credentials)) {
        if origin.is_default() {
            return change(self);
        }
        let mut entries = self.origin_entries().unwrap_or_default();
        let (key, mut login) = self.entry(origin).unwrap_or_else(|| (origin.as_str().to_owned(), Credentials::empty()));
        change(&mut login);
        let position = entries.iter().position(|(name, _)| *name == key);
        match (position, login.is_empty()) {
            (Some(index), true) => {
                entries.remove(index);
            }
            (Some(index), false) => entries[index].1 = login.to_raw(),
            (None, false) => entries.push((key, login.to_raw())),
            (None, true) => {}
        }
        if entries.is_empty() {
            self.remove(field::ORIGINS);
        } else {
            let members: Vec<String> = entries
                .iter()
                .map(|(name, value)| format!("{}:{}", Value::String(name.clone()), value.get()))
                .collect();
            if let Ok(raw) = RawValue::from_string(format!("{{{}}}", members.join(","))) {
                self.set_raw(field::ORIGINS, raw);
            }
        }
    }

    /// The fields as one compact JSON object, each value as written.
    fn to_raw(&self) -> Box<RawValue> {
        let members: Vec<String> = self
            .fields
            .iter()
            .map(|(name, value)| format!("{}:{}", Value::String(name.clone()), value.get()))
            .collect();
        RawValue::from_string(format!("{{{}}}", members.join(","))).unwrap_or_else(|_| empty_object())
    }

    /// A keyring marker field, when it is a well-formed one.
    fn keyring_entry(&self, name: &str) -> Option<KeyringEntry> {
        let value = self.value(name)?;
        let text =
            |key: &str| value.get(key)?.as_str().filter(|text| !text.is_empty() && !text.chars().any(char::is_control));
        Some(KeyringEntry { service: text("service")?.to_owned(), user: text("user")?.to_owned() })
    }

    fn set_keyring_entry(&mut self, name: &str, entry: &KeyringEntry) {
        self.set(name, &serde_json::json!({ "service": entry.service, "user": entry.user }));
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
        if let Ok(raw) = RawValue::from_string(value.to_string()) {
            self.set_raw(name, raw);
        }
    }

    fn set_raw(&mut self, name: &str, raw: Box<RawValue>) {
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

fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).expect("`{}` is JSON")
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

    fn origin(url: &str) -> ApiOrigin {
        ApiOrigin::parse(url).unwrap()
    }

    #[test]
    fn other_origins_logins_sit_under_origins_and_keep_their_unknown_fields() {
        let original = br#"{"token":"sk_pat_default","origins":{"HTTPS://Staging.Example.com:443":{"token":"sk_pat_s","note":{ "kept" :1}},"odd key":5}}"#;
        let mut credentials = Credentials::parse(original).unwrap();
        let staging = origin("https://staging.example.com");
        assert_eq!(credentials.login_for(&staging).token.unwrap().expose(), "sk_pat_s", "keys are compared as origins");
        assert_eq!(credentials.logged_in_origins(), [ApiBase::default().origin(), staging.clone()]);

        credentials.set_access_key_for(&staging, &Secret::new("sk_proj_s"), 7);
        let local = origin("http://127.0.0.1:8787");
        credentials.set_token_for(&local, &Secret::new("sk_pat_l"), &["inference".into()], 9);
        let written = String::from_utf8(credentials.to_bytes()).unwrap();
        assert!(written.contains(r#""HTTPS://Staging.Example.com:443":{"token":"sk_pat_s","note":{ "kept" :1},"access_key":"sk_proj_s","created_at":7}"#), "{written}");
        assert!(written.contains(r#""odd key":5"#), "{written}");
        assert!(
            written.contains(r#""http://127.0.0.1:8787":{"token":"sk_pat_l","scopes":["inference"],"created_at":9}"#),
            "{written}"
        );
        assert!(written.starts_with("{\n  \"token\": \"sk_pat_default\""), "{written}");
        assert_eq!(Credentials::parse(written.as_bytes()).unwrap(), credentials);

        credentials.clear_login_for(&staging);
        let written = String::from_utf8(credentials.to_bytes()).unwrap();
        assert!(written.contains(r#""HTTPS://Staging.Example.com:443":{"note":{ "kept" :1}}"#), "{written}");
        assert_eq!(credentials.logged_in_origins(), [ApiBase::default().origin(), local.clone()]);
        credentials.clear_login_for(&local);
        assert!(!String::from_utf8(credentials.to_bytes()).unwrap().contains("127.0.0.1"), "an emptied login goes");
        assert_eq!(credentials.token().unwrap().expose(), "sk_pat_default", "the default API's login stayed");
        credentials.clear_all_logins();
        assert!(credentials.logged_in_origins().is_empty());
        assert!(!String::from_utf8(credentials.to_bytes()).unwrap().contains("origins"));
    }

    #[test]
    fn a_secret_kept_in_the_keyring_leaves_only_its_marker_and_moving_back_drops_it() {
        let staging = origin("https://staging.example.com");
        let entry = KeyringEntry::for_origin(&staging, false);
        let mut credentials = Credentials::parse(br#"{"api_key":"legacy"}"#).unwrap();
        credentials.set_token_for(&staging, &Secret::new("sk_pat_plain"), &[], 1);
        credentials.set_token_in_keyring_for(&staging, &entry, &["inference".into()], 2);
        let written = String::from_utf8(credentials.to_bytes()).unwrap();
        assert!(!written.contains("sk_pat_plain"), "{written}");
        let login = Credentials::parse(written.as_bytes()).unwrap().login_for(&staging);
        assert_eq!((login.token.as_ref(), login.token_keyring.as_ref()), (None, Some(&entry)));
        assert_eq!(login.scopes, Some(vec!["inference".to_owned()]));
        assert!(login.has_credential());
        assert_eq!(credentials.keyring_entries(), std::slice::from_ref(&entry));

        credentials.set_token_for(&staging, &Secret::new("sk_pat_back"), &[], 3);
        let login = credentials.login_for(&staging);
        assert_eq!((login.token.unwrap().expose(), login.token_keyring), ("sk_pat_back", None));
        credentials.set_access_key_in_keyring_for(&ApiBase::default().origin(), &entry, 4);
        assert_eq!(credentials.access_key(), None);
        credentials.clear_all_logins();
        assert_eq!(credentials.to_bytes(), b"{\n  \"api_key\": \"legacy\"\n}\n");

        for broken in [
            r#"{"token_keyring":"skytells-cli"}"#,
            r#"{"token_keyring":{"service":"s"}}"#,
            r#"{"token_keyring":{"service":"s","user":"a\nb"}}"#,
        ] {
            let error = Credentials::parse(broken.as_bytes()).unwrap_err();
            assert!(
                error.to_string().starts_with("its `token_keyring` field should be an object"),
                "{broken}: {error}"
            );
        }
    }

    #[test]
    fn a_broken_login_for_another_origin_is_named_without_its_contents() {
        let error = Credentials::parse(br#"{"origins":{"https://x.test":{"token":"a\nb"}}}"#).unwrap_err();
        assert_eq!(
            error.to_string(),
            "its login for https://x.test: its `token` field holds characters no credential has"
        );
        let error = Credentials::parse(br#"{"origins":["https://x.test"]}"#).unwrap_err();
        assert_eq!(error, CredentialsError::WrongType { field: "origins", expected: "an object of API origins" });
        assert!(Credentials::parse(br#"{"origins":{"https://x.test":"sk_pat_secret"}}"#)
            .unwrap_err()
            .to_string()
            .ends_with("it is JSON but not an object"));
    }

    #[test]
    fn empty_files_hold_nothing_and_logout_keeps_unknown_fields() {
        assert!(Credentials::parse(b" \n").unwrap().is_empty());
        let mut credentials = Credentials::parse(br#"{"token":"t","api_key":"k","scopes":["a"]}"#).unwrap();
        credentials.clear_login();
        assert_eq!(credentials.to_bytes(), b"{\n  \"api_key\": \"k\"\n}\n");
    }
}
