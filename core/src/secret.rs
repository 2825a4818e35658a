//! A string that must never be shown whole.

use std::fmt;

/// How many characters of a secret's body (after its `sk_pat_` / `sk_proj_` prefix)
/// may be shown to a person.
const SHOWN_BODY_CHARS: usize = 4;

/// The public prefixes of Skytells credentials. Only behind one of these may a few
/// characters be shown: they tell a person which token it is, and the prefix says the
/// rest is a long random body. A secret of any other shape (a password, an OAuth
/// access token, a device code) may be short or structured, so nothing of it is shown.
const PUBLIC_PREFIXES: [&str; 2] = ["sk_pat_", "sk_proj_"];

/// A credential: a personal access token, an access key, a device code or an access token.
///
/// `Debug` and `Display` show a known public prefix and four characters (`sk_pat_1a2b…`),
/// and nothing at all of a secret without such a prefix (`…`), so a secret can be logged,
/// put in an error or hit by a panic message without leaking. Use
/// [`Secret::expose`] where the full value is really needed: an `Authorization` header
/// or the credentials file.
///
/// ```
/// use skytells_auth::Secret;
/// let token = Secret::new(format!("sk_pat_{}", "ab".repeat(32)));
/// assert_eq!(token.to_string(), "sk_pat_abab…");
/// assert_eq!(format!("{token:?}"), "Secret(\"sk_pat_abab…\")");
/// assert_eq!(Secret::new("hunter2").to_string(), "…");
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

    /// What may be shown of the secret: its kind prefix and a few characters, then `…`;
    /// only `…` for a secret without a known public prefix.
    pub fn redacted(&self) -> String {
        let Some(known_prefix) = PUBLIC_PREFIXES.into_iter().find(|prefix| self.0.starts_with(prefix)) else {
            return "…".to_owned();
        };
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
    fn nothing_is_shown_of_a_secret_without_a_public_prefix() {
        assert_eq!(Secret::new("xy").redacted(), "…");
        assert_eq!(Secret::new("").redacted(), "…");
        assert_eq!(Secret::new("hunter2").redacted(), "…");
        assert_eq!(format!("{:?}", Secret::new("opaque-token-value")), "Secret(\"…\")");
        assert_eq!(Secret::new("sk_pat_").redacted(), "sk_pat_…");
    }
}
