//! The credentials files, in the format the Node CLI reads and writes.
//!
//! `credentials.json` holds the default API's login (the fields the Node CLI knows) and
//! every field this crate does not know. Logins for other APIs live in a file of their
//! own beside it ([`ORIGINS_FILE`]): the Node CLI never reads it, so it never sends a
//! staging token to production, and never deletes it (its logout removes
//! credentials.json whole once the last field it knows is gone).

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;

use super::ApiOrigin;
use crate::Secret;

/// The file, beside `credentials.json`, that holds the logins for APIs other than the
/// default one: a JSON object keyed by API origin, each value a login with the same
/// fields as `credentials.json`'s top level.
pub const ORIGINS_FILE: &str = "origins.json";

/// Field names shared with the Node CLI.
mod field {
    pub const TOKEN: &str = "token";
    pub const ACCESS_KEY: &str = "access_key";
    pub const CREATED_AT: &str = "created_at";
    /// Added by this implementation; the Node CLI ignores it.
    pub const SCOPES: &str = "scopes";
    /// Written by earlier versions of this implementation into credentials.json: logins
    /// to other APIs, by origin. Read, and moved to the origins file on the next rewrite.
    pub const LEGACY_ORIGINS: &str = "origins";
    /// Added by this implementation: a marker saying the token is in the system keyring,
    /// in place of `token` (never both).
    pub const TOKEN_KEYRING: &str = "token_keyring";
    /// The same for the access key.
    pub const ACCESS_KEY_KEYRING: &str = "access_key_keyring";
    /// The Skytells API key for the models API, shared with the Node CLI (v1.0.3). At the
    /// top level of credentials.json it belongs to the default models API; under another
    /// origin in the origins file, to that origin's models API.
    pub const API_KEY: &str = "api_key";
    /// Added by this implementation: the API key is in the system keyring.
    pub const API_KEY_KEYRING: &str = "api_key_keyring";
    /// Added by this implementation: when the API key was saved (milliseconds since
    /// 1970); `created_at` is the token's and access key's.
    pub const API_KEY_CREATED_AT: &str = "api_key_created_at";
}

/// The fields of one login that hold or point to a secret, with what goes with them.
const TOKEN_GROUP: [&str; 3] = [field::TOKEN, field::TOKEN_KEYRING, field::SCOPES];
const ACCESS_KEY_GROUP: [&str; 2] = [field::ACCESS_KEY, field::ACCESS_KEY_KEYRING];
const API_KEY_GROUP: [&str; 3] = [field::API_KEY, field::API_KEY_KEYRING, field::API_KEY_CREATED_AT];
const LOGIN_FIELDS: [&str; 6] = [
    field::TOKEN,
    field::ACCESS_KEY,
    field::SCOPES,
    field::CREATED_AT,
    field::TOKEN_KEYRING,
    field::ACCESS_KEY_KEYRING,
];

/// Which secret of a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecretKind {
    /// The personal access token.
    Token,
    /// The project access key.
    AccessKey,
    /// The Skytells API key for the models API (`x-api-key`). It belongs to the models
    /// API's origin, not the console's: see [`Credentials::api_key_for`].
    ApiKey,
}

impl SecretKind {
    /// Every kind, in the order the files list them.
    pub const ALL: [SecretKind; 3] = [SecretKind::Token, SecretKind::AccessKey, SecretKind::ApiKey];

    /// The field that holds it in the file (`token`, `access_key`, `api_key`).
    pub fn field(self) -> &'static str {
        match self {
            SecretKind::Token => field::TOKEN,
            SecretKind::AccessKey => field::ACCESS_KEY,
            SecretKind::ApiKey => field::API_KEY,
        }
    }

    /// The field that marks it as kept in the system keyring.
    fn marker_field(self) -> &'static str {
        match self {
            SecretKind::Token => field::TOKEN_KEYRING,
            SecretKind::AccessKey => field::ACCESS_KEY_KEYRING,
            SecretKind::ApiKey => field::API_KEY_KEYRING,
        }
    }
}

/// The system keyring entry of one login's secret. It is derived from the login's own
/// origin and kind, never read from the file: the file's marker only says *that* the
/// secret is in the keyring, so a prepared file cannot point a command at another API's
/// secret or at another application's.
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
        Self::of(origin, if access_key { SecretKind::AccessKey } else { SecretKind::Token })
    }

    /// Where `origin`'s secret of `kind` goes.
    pub fn of(origin: &ApiOrigin, kind: SecretKind) -> Self {
        KeyringEntry { service: Self::SERVICE.to_owned(), user: format!("{} {origin}", kind.field()) }
    }

    /// Whose entry this is, when it is one this CLI derives: its origin and kind.
    ///
    /// ```
    /// use skytells_auth::skytells::{KeyringEntry, SecretKind};
    /// let entry = KeyringEntry { service: "skytells-cli".into(), user: "access_key https://x.test".into() };
    /// assert_eq!(entry.owner().map(|(origin, kind)| (origin.to_string(), kind)), Some(("https://x.test".into(), SecretKind::AccessKey)));
    /// assert!(KeyringEntry { service: "other-app".into(), user: "token https://x.test".into() }.owner().is_none());
    /// ```
    pub fn owner(&self) -> Option<(ApiOrigin, SecretKind)> {
        if self.service != Self::SERVICE {
            return None;
        }
        let (name, origin) = self.user.split_once(' ')?;
        let kind = SecretKind::ALL.into_iter().find(|kind| kind.field() == name)?;
        let origin = ApiOrigin::parse(origin)?;
        // Only the spelling this CLI writes: anything else is not one of ours.
        (KeyringEntry::of(&origin, kind) == *self).then_some((origin, kind))
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
    /// The token's keyring entry, when the file says the token is kept there.
    pub token_keyring: Option<KeyringEntry>,
    /// The access key's keyring entry, when the file says the key is kept there.
    pub access_key_keyring: Option<KeyringEntry>,
}

impl StoredLogin {
    /// Whether it holds a token or an access key, or says one is in the keyring.
    pub fn has_credential(&self) -> bool {
        self.token.is_some()
            || self.access_key.is_some()
            || self.token_keyring.is_some()
            || self.access_key_keyring.is_some()
    }

    /// Whether it holds a token, or says one is in the keyring.
    pub fn has_token(&self) -> bool {
        self.token.is_some() || self.token_keyring.is_some()
    }

    /// The keyring entry of its secret of `kind`, when the file says it is kept there
    /// (never for [`SecretKind::ApiKey`]: see [`StoredApiKey`]).
    pub fn keyring_entry(&self, kind: SecretKind) -> Option<&KeyringEntry> {
        match kind {
            SecretKind::Token => self.token_keyring.as_ref(),
            SecretKind::AccessKey => self.access_key_keyring.as_ref(),
            SecretKind::ApiKey => None,
        }
    }
}

/// One models API's stored API key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredApiKey {
    /// The key, when it is in the file.
    pub api_key: Option<Secret>,
    /// Its keyring entry, when the file says it is kept there.
    pub keyring: Option<KeyringEntry>,
    /// When this implementation saved it, in milliseconds since the Unix epoch (a key the
    /// Node CLI saved has none).
    pub created_at: Option<u64>,
}

impl StoredApiKey {
    /// Whether there is a key, or a marker for one.
    pub fn is_stored(&self) -> bool {
        self.api_key.is_some() || self.keyring.is_some()
    }
}

/// One JSON object's fields in file order, each value as the exact JSON text it had.
#[derive(Clone, Default)]
struct Fields(Vec<(String, Box<RawValue>)>);

impl PartialEq for Fields {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self.0.iter().zip(&other.0).all(|((a, x), (b, y))| a == b && x.get() == y.get())
    }
}

impl Fields {
    /// Reads a JSON document's top-level fields (raw); `None` when it is not an object.
    fn parse(text: &[u8]) -> Result<Option<Fields>, serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_slice(text);
        let fields = deserializer.deserialize_any(FieldsVisitor)?;
        deserializer.end()?;
        Ok(fields.map(Fields))
    }

    fn raw(&self, name: &str) -> Option<&RawValue> {
        self.0.iter().find(|(field, _)| field == name).map(|(_, value)| value.as_ref())
    }

    /// A field's value, parsed.
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
        match self.0.iter_mut().find(|(field, _)| field == name) {
            Some((_, existing)) => *existing = raw,
            None => self.0.push((name.to_owned(), raw)),
        }
    }

    fn remove(&mut self, name: &str) -> Option<Box<RawValue>> {
        let index = self.0.iter().position(|(field, _)| field == name)?;
        Some(self.0.remove(index).1)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds what `lower` has and this lacks: a secret with what goes with it (its
    /// keyring marker, its scopes) only when this has no such secret at all, so a merged
    /// login never holds a token and a marker at once; any other field when absent.
    fn absorb(&mut self, mut lower: Fields) {
        for group in [&TOKEN_GROUP[..], &ACCESS_KEY_GROUP[..], &API_KEY_GROUP[..]] {
            let has_secret = group[..2].iter().any(|name| self.raw(name).is_some());
            for name in group {
                match lower.remove(name) {
                    Some(raw) if !has_secret => self.set_raw(name, raw),
                    _ => {}
                }
            }
        }
        for (name, raw) in lower.0 {
            if self.raw(&name).is_none() {
                self.0.push((name, raw));
            }
        }
    }

    /// The fields as one compact JSON object, each value as written.
    fn to_raw(&self) -> Box<RawValue> {
        RawValue::from_string(object_text(self.0.iter().map(|(name, value)| (name.as_str(), value.get()))))
            .unwrap_or_else(|_| empty_object())
    }

    /// A login's secret of `kind`, when it is a usable string.
    fn secret(&self, kind: SecretKind) -> Option<Secret> {
        match self.value(kind.field())? {
            Value::String(text) if !text.trim().is_empty() => Some(Secret::new(text)),
            _ => None,
        }
    }

    /// Whether a secret or a marker for one is there, read without parsing any value:
    /// a file with thousands of logins is listed in time linear in its size.
    fn has_credential(&self) -> bool {
        let present = |name: &str| self.raw(name).is_some_and(|raw| !matches!(raw.get(), "null" | "\"\""));
        [field::TOKEN, field::ACCESS_KEY].into_iter().any(|name| {
            present(name)
                && self.value(name).is_some_and(|value| value.as_str().is_some_and(|text| !text.trim().is_empty()))
        }) || [field::TOKEN_KEYRING, field::ACCESS_KEY_KEYRING].into_iter().any(|name| self.raw(name).is_some())
    }

    fn login(&self, origin: &ApiOrigin) -> StoredLogin {
        let marked = |kind: SecretKind| self.raw(kind.marker_field()).map(|_| KeyringEntry::of(origin, kind));
        StoredLogin {
            token: self.secret(SecretKind::Token),
            access_key: self.secret(SecretKind::AccessKey),
            scopes: self.value(field::SCOPES).and_then(|items| {
                Some(items.as_array()?.iter().filter_map(Value::as_str).map(crate::sanitize_for_display).collect())
            }),
            created_at: self.value(field::CREATED_AT).and_then(|value| value.as_u64()),
            token_keyring: marked(SecretKind::Token),
            access_key_keyring: marked(SecretKind::AccessKey),
        }
    }

    /// The API key of this login's slot (see [`api_key_owner`]).
    fn api_key(&self, slot: &ApiOrigin) -> StoredApiKey {
        let owner = api_key_owner(slot);
        StoredApiKey {
            api_key: self.secret(SecretKind::ApiKey),
            keyring: self.raw(field::API_KEY_KEYRING).map(|_| KeyringEntry::of(&owner, SecretKind::ApiKey)),
            created_at: self.value(field::API_KEY_CREATED_AT).and_then(|value| value.as_u64()),
        }
    }

    /// Checks the known fields of a login for `origin`.
    fn check_login(&self, origin: &ApiOrigin) -> Result<(), CredentialsError> {
        for kind in SecretKind::ALL {
            let name = kind.field();
            match self.value(name) {
                // An empty one counts as none (a writer may blank a field rather than drop it).
                None | Some(Value::Null) => {}
                Some(Value::String(text)) if text.is_empty() => {}
                Some(Value::String(text)) => check_stored_secret(name, &text)?,
                Some(_) => return Err(CredentialsError::WrongType { field: name, expected: "a string" }),
            }
            if let Some(raw) = self.raw(kind.marker_field()) {
                let owner = if kind == SecretKind::ApiKey { api_key_owner(origin) } else { origin.clone() };
                check_marker(kind, raw, &owner)?;
            }
        }
        for name in [field::CREATED_AT, field::API_KEY_CREATED_AT] {
            match self.value(name) {
                None | Some(Value::Null) | Some(Value::Number(_)) => {}
                Some(_) => {
                    return Err(CredentialsError::WrongType { field: name, expected: "milliseconds since 1970" })
                }
            }
        }
        match self.value(field::SCOPES) {
            None | Some(Value::Null) => Ok(()),
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => Ok(()),
            Some(_) => Err(CredentialsError::WrongType { field: field::SCOPES, expected: "a list of strings" }),
        }
    }

    fn set_marker(&mut self, origin: &ApiOrigin, kind: SecretKind) {
        let entry = KeyringEntry::of(origin, kind);
        self.set(kind.marker_field(), &serde_json::json!({ "service": entry.service, "user": entry.user }));
    }

    fn set_token(&mut self, token: &Secret, scopes: &[String], now_ms: u64) {
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

    /// `created_at`, unless there is one.
    fn set_created_at_once(&mut self, now_ms: u64) {
        if self.raw(field::CREATED_AT).is_none() {
            self.set(field::CREATED_AT, &Value::from(now_ms));
        }
    }

    fn set_access_key(&mut self, access_key: &Secret, now_ms: u64) {
        self.remove(field::ACCESS_KEY_KEYRING);
        self.set(field::ACCESS_KEY, &Value::String(access_key.expose().to_owned()));
        self.set_created_at_once(now_ms);
    }

    fn clear_login(&mut self) {
        for name in LOGIN_FIELDS {
            self.remove(name);
        }
    }

    fn set_api_key(&mut self, api_key: &Secret, now_ms: u64) {
        self.remove(field::API_KEY_KEYRING);
        self.set(field::API_KEY, &Value::String(api_key.expose().to_owned()));
        self.set(field::API_KEY_CREATED_AT, &Value::from(now_ms));
    }

    fn clear_api_key(&mut self) {
        for name in API_KEY_GROUP {
            self.remove(name);
        }
    }

    /// Forgets one secret (and, for the token, its scopes); the timestamp goes with the
    /// last secret.
    fn clear_secret(&mut self, kind: SecretKind) {
        if kind == SecretKind::ApiKey {
            return self.clear_api_key();
        }
        self.remove(kind.field());
        self.remove(kind.marker_field());
        if kind == SecretKind::Token {
            self.remove(field::SCOPES);
        }
        if [field::TOKEN, field::TOKEN_KEYRING, field::ACCESS_KEY, field::ACCESS_KEY_KEYRING]
            .iter()
            .all(|name| self.raw(name).is_none())
        {
            self.remove(field::CREATED_AT);
        }
    }
}

/// One other API's login.
#[derive(Clone, PartialEq)]
struct OriginLogin {
    origin: ApiOrigin,
    fields: Fields,
}

/// The contents of the credentials files.
///
/// A stored credential belongs to one API origin. The top-level `token`, `access_key`,
/// `scopes` and `created_at` of `credentials.json` are the default API's
/// (<https://console.skytells.ai>), as the Node CLI reads and writes them; logins to other
/// APIs are kept in the [`ORIGINS_FILE`], keyed by origin, each with the same fields. One
/// origin has one login however its key was written (`HTTPS://X.test:443` is
/// `https://x.test`): spellings are merged when read, and written once.
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
#[derive(Clone, Default)]
pub struct Credentials {
    /// credentials.json's fields in file order, without the legacy `origins` field.
    top: Fields,
    /// Other APIs' logins, one per origin, in the order first seen.
    logins: Vec<OriginLogin>,
    /// Entries of the origins object whose key names no origin: never used, kept.
    unknown_entries: Vec<(String, Box<RawValue>)>,
    /// credentials.json had the legacy `origins` field: the next rewrite moves it.
    legacy_origins: bool,
}

impl PartialEq for Credentials {
    fn eq(&self, other: &Self) -> bool {
        self.top == other.top
            && self.logins == other.logins
            && self.unknown_entries.len() == other.unknown_entries.len()
            && self
                .unknown_entries
                .iter()
                .zip(&other.unknown_entries)
                .all(|((a, x), (b, y))| a == b && x.get() == y.get())
    }
}

impl Eq for Credentials {}

/// Field names and sizes only: never a value, since values are secrets.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sizes = |fields: &Fields| -> Vec<String> {
            fields.0.iter().map(|(name, value)| format!("{name}: {} bytes", value.get().len())).collect()
        };
        let logins: Vec<(String, Vec<String>)> =
            self.logins.iter().map(|login| (login.origin.to_string(), sizes(&login.fields))).collect();
        f.debug_struct("Credentials")
            .field("fields", &sizes(&self.top))
            .field("other_apis", &logins)
            .field("unknown_entries", &self.unknown_entries.len())
            .finish()
    }
}

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
    /// A credential holds characters that cannot be a credential (line breaks, controls,
    /// spaces, anything outside printable ASCII), or nothing.
    #[error("its `{field}` field holds characters no credential has")]
    UnusableCredential {
        /// The field.
        field: &'static str,
    },
    /// A keyring marker names an entry other than the one this login's own origin and
    /// kind derive: another API's secret, or another application's.
    #[error("its `{field}` field names a keyring entry that is not this login's own")]
    ForeignKeyringEntry {
        /// The marker's field.
        field: &'static str,
    },
    /// The login stored for another API has one of the problems above.
    #[error("its login for {origin}: {problem}")]
    InOrigin {
        /// The origin, normalized.
        origin: String,
        /// What is wrong with it.
        problem: Box<CredentialsError>,
    },
}

/// Checks a secret read from the file or the system keyring, under the file's field name
/// for it: it must be printable ASCII without spaces (what an `Authorization` header can
/// carry) and not empty.
///
/// ```
/// use skytells_auth::skytells::check_stored_secret;
/// assert!(check_stored_secret("token", "sk_pat_abc").is_ok());
/// assert!(check_stored_secret("token", "sk_pat_a\r\nX-Evil: 1").is_err());
/// ```
pub fn check_stored_secret(field: &'static str, text: &str) -> Result<(), CredentialsError> {
    if text.is_empty() || !is_header_safe(text) {
        return Err(CredentialsError::UnusableCredential { field });
    }
    Ok(())
}

/// A keyring marker must be the one this CLI writes for `origin` and `kind`.
fn check_marker(kind: SecretKind, raw: &RawValue, origin: &ApiOrigin) -> Result<(), CredentialsError> {
    let field = kind.marker_field();
    let value: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
    let text = |key: &str| value.get(key)?.as_str().map(str::to_owned);
    let (Some(service), Some(user)) = (text("service"), text("user")) else {
        return Err(CredentialsError::WrongType { field, expected: "an object with a `service` and a `user`" });
    };
    if (KeyringEntry { service, user }) != KeyringEntry::of(origin, kind) {
        return Err(CredentialsError::ForeignKeyringEntry { field });
    }
    Ok(())
}

impl Credentials {
    /// No credentials.
    pub fn empty() -> Self {
        Credentials::default()
    }

    /// Reads `credentials.json`'s bytes. An empty (or all-whitespace) file holds no
    /// credentials; anything else must be a JSON object whose known fields have the
    /// right types, and whose keyring markers are this login's own. Logins an earlier
    /// version kept under an `origins` field are read too (and moved to the
    /// [`ORIGINS_FILE`] by the next rewrite).
    pub fn parse(bytes: &[u8]) -> Result<Self, CredentialsError> {
        let mut top = parse_object(bytes)?;
        let default = ApiOrigin::default_api();
        top.check_login(&default)?;
        let mut credentials = Credentials { top: Fields::default(), ..Credentials::default() };
        if let Some(legacy) = top.remove(field::LEGACY_ORIGINS) {
            credentials.legacy_origins = true;
            if legacy.get() != "null" {
                let entries =
                    Fields::parse(legacy.get().as_bytes()).ok().flatten().ok_or(CredentialsError::WrongType {
                        field: field::LEGACY_ORIGINS,
                        expected: "an object of API origins",
                    })?;
                credentials.take_entries(entries, &mut HashMap::new())?;
            }
        }
        // The top level wins over any spelling of the default API under `origins`.
        let merged_default = std::mem::take(&mut credentials.top);
        credentials.top = top;
        credentials.top.absorb(merged_default);
        Ok(credentials)
    }

    /// Adds the [`ORIGINS_FILE`]'s bytes to what `credentials.json` held. Its logins win
    /// over those an earlier version left in `credentials.json` for the same origin.
    ///
    /// ```
    /// use skytells_auth::skytells::{ApiOrigin, Credentials};
    /// let mut credentials = Credentials::parse(br#"{"token":"sk_pat_default"}"#)?;
    /// credentials.add_origins_file(br#"{"HTTPS://Staging.Example.com:443":{"token":"sk_pat_staging"}}"#)?;
    /// let staging = ApiOrigin::parse("https://staging.example.com").unwrap();
    /// assert_eq!(credentials.login_for(&staging).token.unwrap().expose(), "sk_pat_staging");
    /// assert_eq!(credentials.origins_file_bytes().unwrap(), b"{\n  \"https://staging.example.com\": {\"token\":\"sk_pat_staging\"}\n}\n");
    /// # Ok::<(), skytells_auth::skytells::CredentialsError>(())
    /// ```
    pub fn add_origins_file(&mut self, bytes: &[u8]) -> Result<(), CredentialsError> {
        let entries = parse_object(bytes)?;
        let earlier = std::mem::take(&mut self.logins);
        let earlier_unknown = std::mem::take(&mut self.unknown_entries);
        let mut index = HashMap::new();
        self.take_entries(entries, &mut index)?;
        for login in earlier {
            self.merge_login(login.origin, login.fields, &mut index);
        }
        let known: HashSet<String> = self.unknown_entries.iter().map(|(key, _)| key.clone()).collect();
        self.unknown_entries.extend(earlier_unknown.into_iter().filter(|(key, _)| !known.contains(key)));
        Ok(())
    }

    /// Reads both files: `credentials.json` and, when there is one, the [`ORIGINS_FILE`].
    pub fn from_files(credentials_json: &[u8], origins_file: Option<&[u8]>) -> Result<Self, CredentialsError> {
        let mut credentials = Credentials::parse(credentials_json)?;
        if let Some(bytes) = origins_file {
            credentials.add_origins_file(bytes)?;
        }
        Ok(credentials)
    }

    /// Reads the entries of an origins object, checking each login.
    fn take_entries(&mut self, entries: Fields, index: &mut HashMap<ApiOrigin, usize>) -> Result<(), CredentialsError> {
        for (key, raw) in entries.0 {
            // Entries under a key that names no origin are never used, and kept as they are.
            let Some(origin) = ApiOrigin::parse(&key) else {
                self.unknown_entries.push((key, raw));
                continue;
            };
            let in_origin =
                |problem| CredentialsError::InOrigin { origin: origin.to_string(), problem: Box::new(problem) };
            let login = parse_object(raw.get().as_bytes()).map_err(in_origin)?;
            login.check_login(&origin).map_err(in_origin)?;
            self.merge_login(origin, login, index);
        }
        Ok(())
    }

    /// Adds a login; one already there for the same origin keeps what it has. `index`
    /// maps the origins in `logins` to their places, so thousands of logins merge in
    /// linear time.
    fn merge_login(&mut self, origin: ApiOrigin, fields: Fields, index: &mut HashMap<ApiOrigin, usize>) {
        if origin.is_default() {
            return self.top.absorb(fields);
        }
        match index.get(&origin) {
            Some(&at) => self.logins[at].fields.absorb(fields),
            None => {
                index.insert(origin.clone(), self.logins.len());
                self.logins.push(OriginLogin { origin, fields });
            }
        }
    }

    /// `credentials.json`'s bytes: an object with one field per line, in their original
    /// order, every value as it was written (ours as compact JSON), and a final newline.
    /// Other APIs' logins are not in it: see [`Credentials::origins_file_bytes`].
    pub fn to_bytes(&self) -> Vec<u8> {
        pretty_object(self.top.0.iter().map(|(name, value)| (name.as_str(), value.get())))
    }

    /// The [`ORIGINS_FILE`]'s bytes, one origin per line; `None` when there is nothing to
    /// keep there (the file is then removed).
    pub fn origins_file_bytes(&self) -> Option<Vec<u8>> {
        if self.logins.is_empty() && self.unknown_entries.is_empty() {
            return None;
        }
        let logins: Vec<(&str, Box<RawValue>)> =
            self.logins.iter().map(|login| (login.origin.as_str(), login.fields.to_raw())).collect();
        let entries = logins
            .iter()
            .map(|(origin, raw)| (*origin, raw.get()))
            .chain(self.unknown_entries.iter().map(|(key, raw)| (key.as_str(), raw.get())));
        Some(pretty_object(entries))
    }

    /// Whether `credentials.json` held logins in the legacy `origins` field, which the
    /// next rewrite moves to the [`ORIGINS_FILE`].
    pub fn has_legacy_origins(&self) -> bool {
        self.legacy_origins
    }

    /// Whether `credentials.json` would hold nothing (it is then removed rather than
    /// left as an empty object).
    pub fn credentials_json_is_empty(&self) -> bool {
        self.top.is_empty()
    }

    /// The login stored for `origin`: the top-level fields for the default API, its entry
    /// in the [`ORIGINS_FILE`] for any other.
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
        if origin.is_default() {
            return self.top.login(origin);
        }
        self.logins
            .iter()
            .find(|login| login.origin == *origin)
            .map(|login| login.fields.login(origin))
            .unwrap_or_default()
    }

    /// Every origin with a stored token or access key (or a marker for one): the default
    /// API first, then the others in file order.
    pub fn logged_in_origins(&self) -> Vec<ApiOrigin> {
        let default = ApiOrigin::default_api();
        let mut seen = HashSet::new();
        let mut origins = Vec::new();
        if self.top.has_credential() {
            seen.insert(default.clone());
            origins.push(default);
        }
        for login in &self.logins {
            if login.fields.has_credential() && seen.insert(login.origin.clone()) {
                origins.push(login.origin.clone());
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
    /// the system keyring, at the entry [`KeyringEntry::of`] derives; the file keeps only
    /// that marker, never the token.
    pub fn set_token_in_keyring_for(&mut self, origin: &ApiOrigin, scopes: &[String], now_ms: u64) {
        self.change_login(origin, |login| {
            login.remove(field::TOKEN);
            login.set_marker(origin, SecretKind::Token);
            login.set_token_facts(scopes, now_ms);
        });
    }

    /// Records that `origin`'s access key, linked at `now_ms`, is kept in the system
    /// keyring.
    pub fn set_access_key_in_keyring_for(&mut self, origin: &ApiOrigin, now_ms: u64) {
        self.change_login(origin, |login| {
            login.remove(field::ACCESS_KEY);
            login.set_marker(origin, SecretKind::AccessKey);
            login.set_created_at_once(now_ms);
        });
    }

    /// Every keyring entry the files say holds a secret, for any API: tokens and access
    /// keys, then API keys.
    pub fn keyring_entries(&self) -> Vec<KeyringEntry> {
        let logins = self
            .logged_in_origins()
            .into_iter()
            .map(|origin| self.login_for(&origin))
            .flat_map(|login| [login.token_keyring, login.access_key_keyring])
            .flatten();
        let api_keys = self.api_key_origins().into_iter().filter_map(|origin| self.api_key_for(&origin).keyring);
        logins.chain(api_keys).collect()
    }

    /// The API key stored for the models API at `origin`: the top-level `api_key` (the
    /// Node CLI's) for the default models API (<https://api.skytells.ai>), the `api_key` of
    /// its entry in the [`ORIGINS_FILE`] for any other. Never one stored for another origin.
    ///
    /// ```
    /// use skytells_auth::skytells::{ApiOrigin, Credentials};
    /// use skytells_auth::Secret;
    /// let mut credentials = Credentials::parse(br#"{"api_key":"sk-node-cli"}"#)?;
    /// assert_eq!(credentials.api_key_for(&ApiOrigin::default_models_api()).api_key.unwrap().expose(), "sk-node-cli");
    /// let local = ApiOrigin::parse("http://127.0.0.1:8787").unwrap();
    /// assert!(!credentials.api_key_for(&local).is_stored());
    /// credentials.set_api_key_for(&local, &Secret::new("sk-local"), 7);
    /// assert_eq!(credentials.api_key_for(&local).api_key.unwrap().expose(), "sk-local");
    /// assert_eq!(credentials.api_key_for(&ApiOrigin::default_models_api()).api_key.unwrap().expose(), "sk-node-cli");
    /// # Ok::<(), skytells_auth::skytells::CredentialsError>(())
    /// ```
    pub fn api_key_for(&self, origin: &ApiOrigin) -> StoredApiKey {
        if origin.is_default_models() {
            return self.top.api_key(&ApiOrigin::default_api());
        }
        if origin.is_default() {
            // The console's top-level slot holds the default models API's key.
            return StoredApiKey::default();
        }
        self.logins
            .iter()
            .find(|login| login.origin == *origin)
            .map(|login| login.fields.api_key(origin))
            .unwrap_or_default()
    }

    /// Every models API origin with a stored API key (or a marker for one): the default
    /// models API first, then the others in file order.
    pub fn api_key_origins(&self) -> Vec<ApiOrigin> {
        let default = ApiOrigin::default_models_api();
        let mut origins = Vec::new();
        if self.api_key_for(&default).is_stored() {
            origins.push(default);
        }
        for login in &self.logins {
            if login.fields.api_key(&login.origin).is_stored() && !origins.contains(&login.origin) {
                origins.push(login.origin.clone());
            }
        }
        origins
    }

    /// Stores the API key for the models API at `origin`, saved at `now_ms`. The token,
    /// the access key and unknown fields stay. Nothing is stored for the console's
    /// default origin (<https://console.skytells.ai>), whose top-level slot is the default
    /// models API's: a caller refuses that models URL first.
    pub fn set_api_key_for(&mut self, origin: &ApiOrigin, api_key: &Secret, now_ms: u64) {
        self.change_api_key(origin, |fields| fields.set_api_key(api_key, now_ms));
    }

    /// Records that `origin`'s API key, saved at `now_ms`, is kept in the system keyring
    /// at the entry [`KeyringEntry::of`] derives (`api_key <origin>`).
    pub fn set_api_key_in_keyring_for(&mut self, origin: &ApiOrigin, now_ms: u64) {
        self.change_api_key(origin, |fields| {
            fields.remove(field::API_KEY);
            fields.set_marker(origin, SecretKind::ApiKey);
            fields.set(field::API_KEY_CREATED_AT, &Value::from(now_ms));
        });
    }

    /// Forgets the API key of the models API at `origin` (its marker and time too).
    pub fn clear_api_key_for(&mut self, origin: &ApiOrigin) {
        self.change_api_key(origin, Fields::clear_api_key);
    }

    /// Forgets every models API's key. Logins and unknown fields stay.
    pub fn clear_all_api_keys(&mut self) {
        self.top.clear_api_key();
        for login in &mut self.logins {
            login.fields.clear_api_key();
        }
        self.logins.retain(|login| !login.fields.is_empty());
    }

    fn change_api_key(&mut self, origin: &ApiOrigin, change: impl FnOnce(&mut Fields)) {
        if origin.is_default_models() {
            change(&mut self.top);
        } else if !origin.is_default() {
            self.change_login(origin, change);
        }
    }

    /// Forgets `origin`'s login; the other origins' and unknown fields stay.
    pub fn clear_login_for(&mut self, origin: &ApiOrigin) {
        self.change_login(origin, Fields::clear_login);
    }

    /// Forgets one secret of `origin`'s login (the token with its scopes, or the access
    /// key; for [`SecretKind::ApiKey`], what [`Credentials::clear_api_key_for`] does); the
    /// rest of the login stays.
    pub fn clear_secret_for(&mut self, origin: &ApiOrigin, kind: SecretKind) {
        if kind == SecretKind::ApiKey {
            return self.clear_api_key_for(origin);
        }
        self.change_login(origin, |login| login.clear_secret(kind));
    }

    /// Forgets every origin's login. API keys (see [`Credentials::clear_all_api_keys`])
    /// and unknown fields of `credentials.json` stay; the rest of the origins file goes.
    pub fn clear_all_logins(&mut self) {
        self.top.clear_login();
        for login in &mut self.logins {
            login.fields.0.retain(|(name, _)| API_KEY_GROUP.contains(&name.as_str()));
        }
        self.logins.retain(|login| !login.fields.is_empty());
        self.unknown_entries.clear();
    }

    /// The stored personal access token for the default API (the top-level field).
    pub fn token(&self) -> Option<Secret> {
        self.top.secret(SecretKind::Token)
    }

    /// The stored project access key for the default API (the top-level field).
    pub fn access_key(&self) -> Option<Secret> {
        self.top.secret(SecretKind::AccessKey)
    }

    /// When the default API's credentials were created, in milliseconds since the Unix
    /// epoch.
    pub fn created_at(&self) -> Option<u64> {
        self.top.value(field::CREATED_AT)?.as_u64()
    }

    /// The scopes granted to the default API's stored token, when the login that stored
    /// it knew them.
    pub fn scopes(&self) -> Option<Vec<String>> {
        self.top.login(&ApiOrigin::default_api()).scopes
    }

    /// Stores a new token (and its scopes) for the default API from a login at `now_ms`
    /// since the Unix epoch. The access key and unknown fields stay.
    pub fn set_token(&mut self, token: &Secret, scopes: &[String], now_ms: u64) {
        self.top.set_token(token, scopes, now_ms);
    }

    /// Stores a project access key for the default API linked at `now_ms`. The token and
    /// unknown fields stay; `created_at` is set only if the file had none.
    pub fn set_access_key(&mut self, access_key: &Secret, now_ms: u64) {
        self.top.set_access_key(access_key, now_ms);
    }

    /// Forgets the default API's login: token, access key, scopes and timestamp. Other
    /// origins' logins and unknown fields stay.
    pub fn clear_login(&mut self) {
        self.top.clear_login();
    }

    /// Whether nothing at all is stored, in either file.
    pub fn is_empty(&self) -> bool {
        self.top.is_empty() && self.logins.is_empty() && self.unknown_entries.is_empty()
    }

    /// Applies `change` to `origin`'s login: the top level for the default API, its
    /// entry among the other APIs' (created, or removed once empty) for any other.
    fn change_login(&mut self, origin: &ApiOrigin, change: impl FnOnce(&mut Fields)) {
        if origin.is_default() {
            return change(&mut self.top);
        }
        let index = match self.logins.iter().position(|login| login.origin == *origin) {
            Some(index) => index,
            None => {
                self.logins.push(OriginLogin { origin: origin.clone(), fields: Fields::default() });
                self.logins.len() - 1
            }
        };
        change(&mut self.logins[index].fields);
        if self.logins[index].fields.is_empty() {
            self.logins.remove(index);
        }
    }
}

/// The models API origin whose API key a login's slot holds: the top level (the console's
/// default origin) holds the default models API's, an origin's entry its own.
fn api_key_owner(slot: &ApiOrigin) -> ApiOrigin {
    if slot.is_default() {
        ApiOrigin::default_models_api()
    } else {
        slot.clone()
    }
}

/// A file's fields: an empty (or all-whitespace) file has none.
fn parse_object(bytes: &[u8]) -> Result<Fields, CredentialsError> {
    // A UTF-8 byte order mark, as Windows editors (Notepad, PowerShell 5's
    // `-Encoding UTF8`) put before the text, is not part of it.
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Fields::default());
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
    Fields::parse(bytes).map_err(not_json)?.ok_or(CredentialsError::NotAnObject)
}

/// `{"name":value,...}` with each value as given.
fn object_text<'a>(members: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let members: Vec<String> =
        members.map(|(name, value)| format!("{}:{value}", Value::String(name.to_owned()))).collect();
    format!("{{{}}}", members.join(","))
}

/// An object with one member per line and a final newline; `{}` when empty.
fn pretty_object<'a>(members: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<u8> {
    let lines: Vec<String> =
        members.map(|(name, value)| format!("  {}: {value}", Value::String(name.to_owned()))).collect();
    if lines.is_empty() {
        return b"{}\n".to_vec();
    }
    format!("{{\n{}\n}}\n", lines.join(",\n")).into_bytes()
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
        // Names seen, indexed once there are many, so that a file with thousands of
        // fields stays linear and a small one pays for no hashing.
        let mut seen: Option<HashMap<String, usize>> = None;
        while let Some((name, value)) = map.next_entry::<String, Box<RawValue>>()? {
            if seen.is_none() && fields.len() >= 16 {
                seen = Some(fields.iter().enumerate().map(|(index, (name, _))| (name.clone(), index)).collect());
            }
            let found = match &seen {
                Some(seen) => seen.get(&name).copied(),
                None => fields.iter().position(|(field, _)| *field == name),
            };
            match found {
                Some(index) => fields[index].1 = value,
                None => {
                    if let Some(seen) = &mut seen {
                        seen.insert(name.clone(), fields.len());
                    }
                    fields.push((name, value));
                }
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
        assert_eq!(credentials.origins_file_bytes(), None);
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
    fn a_byte_order_mark_before_the_text_is_skipped_and_not_written_back() {
        let credentials = Credentials::parse(b"\xef\xbb\xbf{\"token\":\"sk_pat_bom\"}").unwrap();
        assert_eq!(credentials.login_for(&ApiOrigin::default_api()).token.unwrap().expose(), "sk_pat_bom");
        assert!(!credentials.to_bytes().starts_with(b"\xef\xbb\xbf"));
        let mut with_origins = Credentials::empty();
        with_origins.add_origins_file(b"\xef\xbb\xbf{}").unwrap();
        // Only at the start: elsewhere it is not JSON.
        assert!(Credentials::parse(b"{\"token\":\"sk_pat_bom\"}\xef\xbb\xbf").is_err());
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

    fn files(credentials: &Credentials) -> (String, Option<String>) {
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
        (text(credentials.to_bytes()), credentials.origins_file_bytes().map(text))
    }

    fn reread(credentials: &Credentials) -> Credentials {
        Credentials::from_files(&credentials.to_bytes(), credentials.origins_file_bytes().as_deref()).unwrap()
    }

    #[test]
    fn other_origins_logins_live_in_their_own_file_and_keep_their_unknown_fields() {
        let mut credentials = Credentials::parse(br#"{"token":"sk_pat_default","api_key":"k"}"#).unwrap();
        credentials
            .add_origins_file(
                br#"{"https://staging.example.com":{"token":"sk_pat_s","note":{ "kept" :1}},"odd key":5}"#,
            )
            .unwrap();
        let staging = origin("https://staging.example.com");
        assert_eq!(credentials.login_for(&staging).token.unwrap().expose(), "sk_pat_s");
        assert_eq!(credentials.logged_in_origins(), [ApiOrigin::default_api(), staging.clone()]);

        credentials.set_access_key_for(&staging, &Secret::new("sk_proj_s"), 7);
        let local = origin("http://127.0.0.1:8787");
        credentials.set_token_for(&local, &Secret::new("sk_pat_l"), &["inference".into()], 9);
        let (main, others) = files(&credentials);
        assert_eq!(main, "{\n  \"token\": \"sk_pat_default\",\n  \"api_key\": \"k\"\n}\n", "nothing of other APIs");
        let others = others.unwrap();
        assert!(others.contains(r#""https://staging.example.com": {"token":"sk_pat_s","note":{ "kept" :1},"access_key":"sk_proj_s","created_at":7}"#), "{others}");
        assert!(others.contains(r#""odd key": 5"#), "{others}");
        assert!(
            others.contains(r#""http://127.0.0.1:8787": {"token":"sk_pat_l","scopes":["inference"],"created_at":9}"#),
            "{others}"
        );
        assert_eq!(reread(&credentials), credentials);

        credentials.clear_login_for(&staging);
        let others = files(&credentials).1.unwrap();
        assert!(others.contains(r#""https://staging.example.com": {"note":{ "kept" :1}}"#), "{others}");
        assert_eq!(credentials.logged_in_origins(), [ApiOrigin::default_api(), local.clone()]);
        credentials.clear_login_for(&local);
        assert!(!files(&credentials).1.unwrap().contains("127.0.0.1"), "an emptied login goes");
        assert_eq!(credentials.token().unwrap().expose(), "sk_pat_default", "the default API's login stayed");
        credentials.clear_all_logins();
        assert!(credentials.logged_in_origins().is_empty());
        assert_eq!(files(&credentials), ("{\n  \"api_key\": \"k\"\n}\n".to_owned(), None));
    }

    #[test]
    fn logins_an_earlier_version_kept_in_credentials_json_are_read_and_moved_out() {
        let legacy = br#"{"token":"sk_pat_default","origins":{"https://staging.example.com":{"token":"sk_pat_old","access_key":"sk_proj_old"},"x":1}}"#;
        let mut credentials = Credentials::parse(legacy).unwrap();
        assert!(credentials.has_legacy_origins());
        let staging = origin("https://staging.example.com");
        assert_eq!(credentials.login_for(&staging).token.unwrap().expose(), "sk_pat_old");
        // The origins file, when there is one, wins for the same origin.
        credentials.add_origins_file(br#"{"https://staging.example.com":{"token":"sk_pat_new"}}"#).unwrap();
        let login = credentials.login_for(&staging);
        assert_eq!(login.token.unwrap().expose(), "sk_pat_new");
        assert_eq!(login.access_key.unwrap().expose(), "sk_proj_old", "what only the old place had is kept");
        let (main, others) = files(&credentials);
        assert_eq!(main, "{\n  \"token\": \"sk_pat_default\"\n}\n");
        assert_eq!(
            others.unwrap(),
            "{\n  \"https://staging.example.com\": {\"token\":\"sk_pat_new\",\"access_key\":\"sk_proj_old\"},\n  \"x\": 1\n}\n"
        );
        assert!(!reread(&credentials).has_legacy_origins());
    }

    #[test]
    fn one_origin_written_several_ways_is_one_login() {
        let mut credentials = Credentials::parse(br#"{"api_key":"k"}"#).unwrap();
        credentials
            .add_origins_file(
                br#"{"HTTPS://Staging.Example.com:443":{"token":"sk_pat_first"},"https://staging.example.com/":{"token":"sk_pat_second","access_key":"sk_proj_k"},"https://CONSOLE.skytells.ai:443":{"token":"sk_pat_default"}}"#,
            )
            .unwrap();
        let staging = origin("https://staging.example.com");
        let login = credentials.login_for(&staging);
        assert_eq!((login.token.unwrap().expose(), login.access_key.unwrap().expose()), ("sk_pat_first", "sk_proj_k"));
        assert_eq!(credentials.token().unwrap().expose(), "sk_pat_default", "the default API's spelling is its login");
        assert_eq!(credentials.logged_in_origins(), [ApiOrigin::default_api(), staging.clone()]);
        let (main, others) = files(&credentials);
        assert_eq!(
            others.unwrap(),
            "{\n  \"https://staging.example.com\": {\"token\":\"sk_pat_first\",\"access_key\":\"sk_proj_k\"}\n}\n"
        );
        assert!(main.contains("sk_pat_default"));
        credentials.clear_login_for(&staging);
        credentials.clear_login_for(&ApiOrigin::default_api());
        assert_eq!(files(&credentials), ("{\n  \"api_key\": \"k\"\n}\n".to_owned(), None), "every spelling went");
    }

    #[test]
    fn a_secret_kept_in_the_keyring_leaves_only_its_marker_and_moving_back_drops_it() {
        let staging = origin("https://staging.example.com");
        let entry = KeyringEntry::for_origin(&staging, false);
        let mut credentials = Credentials::parse(br#"{"api_key":"legacy"}"#).unwrap();
        credentials.set_token_for(&staging, &Secret::new("sk_pat_plain"), &[], 1);
        credentials.set_token_in_keyring_for(&staging, &["inference".into()], 2);
        let (main, others) = files(&credentials);
        assert!(!main.contains("sk_pat_plain") && !others.as_deref().unwrap().contains("sk_pat_plain"));
        let login = reread(&credentials).login_for(&staging);
        assert_eq!((login.token.as_ref(), login.token_keyring.as_ref()), (None, Some(&entry)));
        assert_eq!(login.scopes, Some(vec!["inference".to_owned()]));
        assert!(login.has_credential() && login.has_token());
        assert_eq!(credentials.keyring_entries(), std::slice::from_ref(&entry));

        credentials.set_token_for(&staging, &Secret::new("sk_pat_back"), &[], 3);
        let login = credentials.login_for(&staging);
        assert_eq!((login.token.unwrap().expose(), login.token_keyring), ("sk_pat_back", None));
        credentials.set_access_key_in_keyring_for(&ApiOrigin::default_api(), 4);
        assert_eq!(credentials.access_key(), None);
        assert_eq!(
            credentials.login_for(&ApiOrigin::default_api()).access_key_keyring,
            Some(KeyringEntry::for_origin(&ApiOrigin::default_api(), true))
        );
        credentials.clear_all_logins();
        assert_eq!(credentials.to_bytes(), b"{\n  \"api_key\": \"legacy\"\n}\n");

        for broken in [r#"{"token_keyring":"skytells-cli"}"#, r#"{"token_keyring":{"service":"s"}}"#] {
            let error = Credentials::parse(broken.as_bytes()).unwrap_err();
            assert!(
                error.to_string().starts_with("its `token_keyring` field should be an object"),
                "{broken}: {error}"
            );
        }
    }

    #[test]
    fn a_keyring_marker_naming_anything_but_the_logins_own_entry_is_refused() {
        let foreign = [
            // Another API's token, another application's item, the key's entry for the token.
            r#"{"token_keyring":{"service":"skytells-cli","user":"token https://staging.example.com"}}"#,
            r#"{"token_keyring":{"service":"gh:github.com","user":"ada"}}"#,
            r#"{"token_keyring":{"service":"skytells-cli","user":"access_key https://console.skytells.ai"}}"#,
            r#"{"access_key_keyring":{"service":"skytells-cli","user":"access_key HTTPS://console.skytells.ai"}}"#,
        ];
        for file in foreign {
            let error = Credentials::parse(file.as_bytes()).unwrap_err();
            assert!(matches!(error, CredentialsError::ForeignKeyringEntry { .. }), "{file}: {error}");
            assert!(error.to_string().ends_with("names a keyring entry that is not this login's own"), "{error}");
        }
        let mut credentials = Credentials::empty();
        let error = credentials
            .add_origins_file(
                br#"{"https://b.test":{"token_keyring":{"service":"skytells-cli","user":"token https://a.test"}}}"#,
            )
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "its login for https://b.test: its `token_keyring` field names a keyring entry that is not this login's own"
        );
        // The entry for a spelling of the origin is derived from the origin itself.
        credentials
            .add_origins_file(
                br#"{"HTTPS://B.test:443":{"token_keyring":{"service":"skytells-cli","user":"token https://b.test"}}}"#,
            )
            .unwrap();
        assert_eq!(credentials.keyring_entries(), [KeyringEntry::for_origin(&origin("https://b.test"), false)]);
    }

    #[test]
    fn keyring_entries_know_their_owner_only_in_the_spelling_this_cli_writes() {
        let staging = origin("https://staging.example.com");
        for kind in SecretKind::ALL {
            assert_eq!(KeyringEntry::of(&staging, kind).owner(), Some((staging.clone(), kind)));
        }
        for (service, user) in [
            ("skytells-cli", "token HTTPS://staging.example.com"),
            ("skytells-cli", "apikey https://staging.example.com"),
            ("skytells-cli", "token"),
            ("other", "token https://staging.example.com"),
        ] {
            assert_eq!(KeyringEntry { service: service.into(), user: user.into() }.owner(), None, "{user}");
        }
    }

    #[test]
    fn a_broken_login_for_another_origin_is_named_without_its_contents() {
        let error = Credentials::from_files(b"{}", Some(br#"{"https://x.test":{"token":"a\nb"}}"#)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "its login for https://x.test: its `token` field holds characters no credential has"
        );
        let error = Credentials::parse(br#"{"origins":["https://x.test"]}"#).unwrap_err();
        assert_eq!(error, CredentialsError::WrongType { field: "origins", expected: "an object of API origins" });
        assert!(Credentials::from_files(b"", Some(br#"{"https://x.test":"sk_pat_secret"}"#))
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

    #[test]
    fn one_secret_can_go_and_the_other_stays() {
        let mut credentials =
            Credentials::parse(br#"{"token":"sk_pat_t","scopes":["a"],"access_key":"sk_proj_k","created_at":1}"#)
                .unwrap();
        credentials.clear_secret_for(&ApiOrigin::default_api(), SecretKind::Token);
        assert_eq!(credentials.to_bytes(), b"{\n  \"access_key\": \"sk_proj_k\",\n  \"created_at\": 1\n}\n");
        credentials.clear_secret_for(&ApiOrigin::default_api(), SecretKind::AccessKey);
        assert!(credentials.is_empty());
    }

    #[test]
    fn the_api_key_belongs_to_the_models_api_and_is_kept_apart_from_logins() {
        let models = ApiOrigin::default_models_api();
        let local = origin("http://127.0.0.1:8787");
        // The Node CLI's file: its `api_key` is the default models API's, kept as written.
        let node = br#"{"token":"sk_pat_t","api_key":"sk-node" ,"created_at":1}"#;
        let mut credentials = Credentials::parse(node).unwrap();
        assert_eq!(credentials.api_key_for(&models).api_key.unwrap().expose(), "sk-node");
        assert!(!credentials.api_key_for(&ApiOrigin::default_api()).is_stored(), "not the console's");
        assert!(!credentials.api_key_for(&local).is_stored());
        assert!(credentials.login_for(&ApiOrigin::default_api()).has_token());

        // Another models API's key goes to the origins file, beside that origin's login.
        credentials.set_token_for(&local, &Secret::new("sk_pat_l"), &[], 2);
        credentials.set_api_key_for(&local, &Secret::new("sk-local"), 3);
        let (main, others) = files(&credentials);
        assert!(main.contains(r#""api_key": "sk-node""#) && !main.contains("sk-local"), "{main}");
        assert!(others.as_deref().unwrap().contains(r#""api_key":"sk-local","api_key_created_at":3"#), "{others:?}");
        assert_eq!(reread(&credentials), credentials);
        assert_eq!(credentials.api_key_origins(), [models.clone(), local.clone()]);

        // A logout of one API, or of every API, leaves API keys alone.
        credentials.clear_login_for(&local);
        assert_eq!(credentials.api_key_for(&local).api_key.unwrap().expose(), "sk-local");
        assert!(!credentials.logged_in_origins().contains(&local), "an API key is not a login");
        credentials.clear_all_logins();
        assert_eq!(credentials.api_key_origins(), [models.clone(), local.clone()]);
        assert_eq!(credentials.to_bytes(), b"{\n  \"api_key\": \"sk-node\"\n}\n", "kept byte for byte");

        // Into the keyring and out: only a marker naming the key's own entry.
        credentials.set_api_key_in_keyring_for(&models, 4);
        let entry = KeyringEntry::of(&models, SecretKind::ApiKey);
        assert_eq!(entry.user, "api_key https://api.skytells.ai");
        let stored = reread(&credentials).api_key_for(&models);
        assert_eq!((stored.api_key, stored.keyring.as_ref(), stored.created_at), (None, Some(&entry), Some(4)));
        assert!(credentials.keyring_entries().contains(&entry));
        credentials.clear_all_api_keys();
        assert!(credentials.is_empty(), "{:?}", files(&credentials));

        let foreign = br#"{"api_key_keyring":{"service":"skytells-cli","user":"api_key https://console.skytells.ai"}}"#;
        assert!(matches!(Credentials::parse(foreign), Err(CredentialsError::ForeignKeyringEntry { .. })));
        assert!(matches!(Credentials::parse(br#"{"api_key":7}"#), Err(CredentialsError::WrongType { .. })));
        // Nothing is stored for the console's origin: its slot is the default models API's.
        credentials.set_api_key_for(&ApiOrigin::default_api(), &Secret::new("sk-console"), 5);
        assert!(credentials.is_empty());
    }

    #[test]
    fn debug_shows_field_names_and_sizes_never_values() {
        let credentials = Credentials::from_files(
            br#"{"token":"sk_pat_secret1","api_key":"hunter2"}"#,
            Some(br#"{"https://x.test":{"access_key":"sk_proj_secret2"}}"#),
        )
        .unwrap();
        for shown in [format!("{credentials:?}"), format!("{credentials:#?}")] {
            assert!(!shown.contains("secret") && !shown.contains("hunter") && !shown.contains("sk_"), "{shown}");
            assert!(shown.contains("token: 16 bytes") && shown.contains("https://x.test"), "{shown}");
        }
    }
}
