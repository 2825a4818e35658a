//! A string that must never be shown whole.

use std::fmt;

/// How many characters of a secret's body (after its `sk_pat_` / `sk_proj_` prefix)
/// may be shown to a person.
const SHOWN_BODY_CHARS: usize = 4;

/// A credential: a personal access token, an access key, a device code or an access token.
///
/// `Debug` and `Display` show a short prefix only (`sk_pat_1a2b…`), so a secret can be
/// logged, put in an error or hit by a panic message without leaking. Use
/// [`Secret::expose`] where the full value is really needed: an `Authorization` header
/// or the credentials file.
///
/// ```
/// use skytells_auth::Secret;
/// let token = Secret::new(format!("sk_pat_{}", "ab".repeat(32)));
/// assert_eq!(token.to_string(), "sk_pat_abab…");
/// assert_eq!(format!("{token:?}"), "Secret(\"sk_pat_abab…\")");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The whole secret. Every call site is a place where it could leak: keep them few.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What may be shown of the secret: its kind prefix and a few characters, then `…`.
    pub fn redacted(&self) -> String {
        let known_prefix = ["sk_pat_", "sk_proj_"].into_iter().find(|prefix| self.0.starts_with(prefix)).unwrap_or("");
        let body = &self.0[known_prefix.len()..];
        let shown: String = body
            .chars()
            .take(SHOWN_BODY_CHARS)
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        format!("{known_prefix}{shown}…")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Secret").field(&self.redacted()).finish()
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_never_shows_more_than_prefix_and_four_characters() {
        let secret = Secret::new("sk_proj_abcdefghijklmnop");
        assert_eq!(secret.redacted(), "sk_proj_abcd…");
        assert!(!format!("{secret:?}").contains("efgh"));
    }

    #[test]
    fn short_and_unprefixed_secrets_are_redacted_too() {
        assert_eq!(Secret::new("xy").redacted(), "xy…");
        assert_eq!(Secret::new("").redacted(), "…");
        assert_eq!(Secret::new("opaque-token-value").redacted(), "opaq…");
    }
}
