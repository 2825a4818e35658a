//! What a token endpoint grants.

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

use super::error::BodyError;
use super::wire;
use crate::transmit::{DebugMap, Size};
use crate::{Moment, Secret};

/// A successful token answer (RFC 6749 §5.1), every field kept.
///
/// `Debug` shows the tokens as [`Secret`]s do, and of `extra` only the names and sizes:
/// an extra field may carry another token.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenGrant {
    /// The access token.
    pub access_token: Secret,
    /// `token_type`, usually `Bearer` (assumed when the server leaves it out).
    pub token_type: String,
    /// A refresh token, when the server issued one (see [`Refresh`](crate::Refresh)).
    pub refresh_token: Option<Secret>,
    /// `expires_in`: how long the access token lives, from when the answer arrived.
    pub expires_in: Option<Duration>,
    /// The same on the caller's clock: when the answer arrived plus `expires_in`. With a
    /// ready-made driver that is the driver's clock: its `instant_at` turns this into an
    /// `Instant`, and its `now()` is the `sent_at` of a [`Refresh`](crate::Refresh).
    pub expires_at: Option<Moment>,
    /// An OpenID Connect ID token, when the `openid` scope was granted.
    pub id_token: Option<Secret>,
    /// The granted scope as the server wrote it (`scope`, or a `scopes` list joined with
    /// spaces); `None` when the server did not say (RFC 6749: then as requested).
    pub scope: Option<String>,
    /// The granted scopes, one name each, duplicates dropped, sanitized for display.
    pub scopes: Vec<String>,
    /// Every other field of the answer, as `(name, JSON text)`, in the server's order.
    pub extra: Vec<(String, String)>,
}

impl fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let extra = self.extra.iter().map(|(name, value)| (name.as_str(), Size::Bytes(value.len())));
        f.debug_struct("TokenGrant")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("refresh_token", &self.refresh_token)
            .field("expires_in", &self.expires_in)
            .field("expires_at", &self.expires_at)
            .field("id_token", &self.id_token)
            .field("scope", &self.scope)
            .field("scopes", &self.scopes)
            .field("extra", &DebugMap(extra.collect()))
            .finish()
    }
}

/// Fields read into the typed members; everything else goes to `extra`.
const KNOWN: [&str; 8] =
    ["access_token", "token_type", "refresh_token", "expires_in", "id_token", "scope", "scopes", "error"];

impl TokenGrant {
    /// A grant of `access_token` alone, of type `Bearer`, as a server that says nothing
    /// else would answer; add the rest with the `with_` methods. For tests of code that
    /// receives grants (a token cache, a refresh schedule).
    ///
    /// ```
    /// use std::time::Duration;
    /// use skytells_auth::{Moment, Secret, TokenGrant};
    /// let grant = TokenGrant::new(Secret::new("at-1"))
    ///     .with_refresh_token(Secret::new("rt-1"))
    ///     .with_expires_in(Duration::from_secs(3600), Moment::from_secs(5))
    ///     .with_scopes(["openid", "profile"]);
    /// assert_eq!(grant.expires_at, Some(Moment::from_secs(3605)));
    /// assert_eq!(grant.scope.as_deref(), Some("openid profile"));
    /// ```
    pub fn new(access_token: Secret) -> Self {
        TokenGrant {
            access_token,
            token_type: "Bearer".to_owned(),
            refresh_token: None,
            expires_in: None,
            expires_at: None,
            id_token: None,
            scope: None,
            scopes: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// With this `token_type`.
    pub fn with_token_type(mut self, token_type: impl Into<String>) -> Self {
        self.token_type = token_type.into();
        self
    }

    /// With a refresh token.
    pub fn with_refresh_token(mut self, refresh_token: Secret) -> Self {
        self.refresh_token = Some(refresh_token);
        self
    }

    /// Living `lifetime` from `received_at`: sets `expires_in` and `expires_at`.
    pub fn with_expires_in(mut self, lifetime: Duration, received_at: Moment) -> Self {
        self.expires_in = Some(lifetime);
        self.expires_at = Some(received_at + lifetime);
        self
    }

    /// With an OpenID Connect ID token.
    pub fn with_id_token(mut self, id_token: Secret) -> Self {
        self.id_token = Some(id_token);
        self
    }

    /// With these granted scopes: sets `scopes` and `scope` (joined with spaces).
    pub fn with_scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self.scope = Some(self.scopes.join(" "));
        self
    }

    /// With one more field, its value as JSON text.
    pub fn with_extra(mut self, name: impl Into<String>, json_value: impl Into<String>) -> Self {
        self.extra.push((name.into(), json_value.into()));
        self
    }

    /// Reads a token answer's object, received at `received_at`.
    pub(crate) fn from_object(object: &Map<String, Value>, received_at: Moment) -> Result<TokenGrant, BodyError> {
        let token = wire::required_str(object, "access_token")?;
        if !is_token_text(token) {
            return Err(BodyError::BadField { field: "access_token", problem: "not a well-formed token" });
        }
        let optional_token = |field: &'static str| match wire::optional_str(object, field) {
            None => Ok(None),
            Some(text) if is_token_text(text) => Ok(Some(Secret::new(text))),
            Some(_) => Err(BodyError::BadField { field, problem: "not a well-formed token" }),
        };
        let expires_in = wire::optional_seconds(object, "expires_in")?
            .filter(|secs| *secs >= 0.0)
            .map(|secs| Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX));
        let (scope, scopes) = granted_scopes(object);
        Ok(TokenGrant {
            access_token: Secret::new(token),
            token_type: wire::optional_str(object, "token_type")
                .map(crate::sanitize_for_display)
                .unwrap_or_else(|| "Bearer".to_owned()),
            refresh_token: optional_token("refresh_token")?,
            expires_in,
            expires_at: expires_in.map(|lifetime| received_at + lifetime),
            id_token: optional_token("id_token")?,
            scope,
            scopes,
            extra: object
                .iter()
                .filter(|(name, _)| !KNOWN.contains(&name.as_str()))
                .map(|(name, value)| (crate::sanitize_for_display(name), value.to_string()))
                .collect(),
        })
    }
}

/// RFC 6749's token characters (VSCHAR, without the space), so a token can always go in a
/// header and never carries terminal controls. Its length is bounded by the response size.
pub(crate) fn is_token_text(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| (0x21..=0x7e).contains(&byte))
}

/// `scope` as a space-separated string (RFC 6749) or `scopes` as an array (Skytells).
fn granted_scopes(object: &Map<String, Value>) -> (Option<String>, Vec<String>) {
    let names: Vec<&str> = match (object.get("scope"), object.get("scopes")) {
        (Some(Value::String(list)), _) | (_, Some(Value::String(list))) => {
            list.split(|c: char| c == ',' || c.is_whitespace()).collect()
        }
        (_, Some(Value::Array(items))) => items.iter().filter_map(Value::as_str).collect(),
        _ => return (None, Vec::new()),
    };
    let mut scopes: Vec<String> = Vec::new();
    for name in names.into_iter().map(str::trim).filter(|name| !name.is_empty()) {
        let name = crate::sanitize_for_display(name);
        if !scopes.contains(&name) {
            scopes.push(name);
        }
    }
    (Some(scopes.join(" ")), scopes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(body: &str) -> Result<TokenGrant, BodyError> {
        let object: Map<String, Value> = serde_json::from_str(body).unwrap();
        TokenGrant::from_object(&object, Moment::from_secs(100))
    }

    #[test]
    fn every_field_of_the_answer_is_kept() {
        let grant = grant(
            r#"{"access_token":"at","token_type":"bearer","refresh_token":"rt","expires_in":3600,
                "id_token":"a.b.c","scope":"openid offline_access openid","x-tenant":{"id":7}}"#,
        )
        .unwrap();
        assert_eq!(grant.token_type, "bearer");
        assert_eq!(grant.refresh_token.unwrap().expose(), "rt");
        assert_eq!(grant.expires_in, Some(Duration::from_secs(3600)));
        assert_eq!(grant.expires_at, Some(Moment::from_secs(3700)));
        assert_eq!(grant.id_token.unwrap().expose(), "a.b.c");
        assert_eq!(grant.scopes, ["openid", "offline_access"]);
        assert_eq!(grant.scope.as_deref(), Some("openid offline_access"));
        assert_eq!(grant.extra, [("x-tenant".to_owned(), r#"{"id":7}"#.to_owned())]);
    }

    #[test]
    fn large_tokens_are_fine_and_bad_ones_are_not() {
        let jwt = format!("eyJ{}", "a".repeat(64 * 1024));
        assert_eq!(grant(&format!(r#"{{"access_token":"{jwt}"}}"#)).unwrap().access_token.expose(), jwt);
        assert!(grant(r#"{"access_token":"a b"}"#).is_err());
        assert!(grant(r#"{"access_token":"a","refresh_token":"r\u001b"}"#).is_err());
        assert_eq!(grant(r#"{"access_token":"a","expires_in":-5}"#).unwrap().expires_in, None);
        let skytells = grant(r#"{"access_token":"t","scopes":["inference","x.y"]}"#).unwrap();
        assert_eq!(
            (skytells.scopes, skytells.token_type),
            (vec!["inference".to_owned(), "x.y".to_owned()], "Bearer".into())
        );
    }
}
