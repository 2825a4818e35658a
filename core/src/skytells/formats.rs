//! Local checks of personal access tokens and project access keys, before any request.

use crate::Secret;

/// Prefix of a personal access token.
pub const TOKEN_PREFIX: &str = "sk_pat_";
/// Prefix of a project access key.
pub const ACCESS_KEY_PREFIX: &str = "sk_proj_";
/// Number of hex characters after [`TOKEN_PREFIX`].
pub const TOKEN_HEX_LEN: usize = 64;
/// Longest access key accepted; real keys are far shorter.
pub const MAX_ACCESS_KEY_LEN: usize = 512;

/// Why a token or key was refused. Messages describe the problem without the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Nothing was given.
    #[error("the {kind} is empty")]
    Empty {
        /// "personal access token" or "access key".
        kind: &'static str,
    },
    /// A project access key was given where a personal access token belongs.
    #[error(
        "this is a project access key (sk_proj_…), not a personal access token; use `skytells link` for access keys"
    )]
    AccessKeyGivenForToken,
    /// A personal access token was given where an access key belongs.
    #[error(
        "this is a personal access token (sk_pat_…), not a project access key; use `skytells login --token` for tokens"
    )]
    TokenGivenForAccessKey,
    /// The value does not start with the expected prefix.
    #[error("the {kind} must start with `{prefix}`")]
    WrongPrefix {
        /// "personal access token" or "access key".
        kind: &'static str,
        /// The expected prefix.
        prefix: &'static str,
    },
    /// A token whose body is not 64 characters long.
    #[error("a personal access token is sk_pat_ followed by exactly 64 hex characters; this one has {found} after the prefix")]
    WrongTokenLength {
        /// Characters found after the prefix.
        found: usize,
    },
    /// A character that does not belong, by position (1-based, whole value).
    #[error("the {kind} has an invalid character at position {position}; expected {expected}")]
    InvalidCharacter {
        /// "personal access token" or "access key".
        kind: &'static str,
        /// 1-based position in the whole value.
        position: usize,
        /// What was expected there.
        expected: &'static str,
    },
    /// A personal access token or a project access key was given where an API key
    /// belongs.
    #[error("this is a {given}, not an API key for the models API; {instead}")]
    OtherCredentialForApiKey {
        /// "personal access token (sk_pat_…)" or "project access key (sk_proj_…)".
        given: &'static str,
        /// The command that takes it.
        instead: &'static str,
    },
    /// An API key longer than any real one.
    #[error("the API key is {found} characters long; API keys are at most {MAX_API_KEY_LEN}")]
    ApiKeyTooLong {
        /// The length found.
        found: usize,
    },
    /// An access key longer than any real one.
    #[error("the access key is {found} characters long; access keys are at most {MAX_ACCESS_KEY_LEN}")]
    AccessKeyTooLong {
        /// The length found.
        found: usize,
    },
}

/// Longest API key accepted; real keys are far shorter.
pub const MAX_API_KEY_LEN: usize = 512;

/// An API key for the models API whose format was checked as far as it is known: not
/// empty, printable ASCII without spaces (what a header carries), at most
/// [`MAX_API_KEY_LEN`] characters, and not one of the other two credentials.
///
/// ```
/// use skytells_auth::skytells::ApiKey;
/// assert_eq!(ApiKey::parse(" sk-models-123\n").unwrap().secret().expose(), "sk-models-123");
/// assert!(ApiKey::parse("two words").is_err());
/// assert!(ApiKey::parse(&format!("sk_pat_{}", "0f".repeat(32))).unwrap_err().to_string().contains("personal access token"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey(Secret);

impl ApiKey {
    /// Checks the format. Surrounding whitespace (a pasted newline) is ignored.
    pub fn parse(raw: &str) -> Result<Self, FormatError> {
        const KIND: &str = "API key";
        let key = raw.trim();
        if key.is_empty() {
            return Err(FormatError::Empty { kind: KIND });
        }
        if key.starts_with(TOKEN_PREFIX) {
            return Err(FormatError::OtherCredentialForApiKey {
                given: "personal access token (sk_pat_…)",
                instead: "use `skytells login --token` for tokens",
            });
        }
        if key.starts_with(ACCESS_KEY_PREFIX) {
            return Err(FormatError::OtherCredentialForApiKey {
                given: "project access key (sk_proj_…)",
                instead: "use `skytells link` for access keys",
            });
        }
        if let Some(index) = key.chars().position(|c| !c.is_ascii_graphic()) {
            return Err(FormatError::InvalidCharacter {
                kind: KIND,
                position: index + 1,
                expected: "printable ASCII without spaces",
            });
        }
        if key.len() > MAX_API_KEY_LEN {
            return Err(FormatError::ApiKeyTooLong { found: key.len() });
        }
        Ok(ApiKey(Secret::new(key)))
    }

    /// The key.
    pub fn secret(&self) -> &Secret {
        &self.0
    }
}

/// How an API key may be shown to a person: its last four characters behind `…`, and
/// only for a key of at least 20 characters (a shorter one shows nothing but `…`). API
/// keys have no public prefix, so [`Secret::redacted`] shows none of them.
///
/// ```
/// use skytells_auth::skytells::mask_api_key;
/// use skytells_auth::Secret;
/// assert_eq!(mask_api_key(&Secret::new("sk-0123456789abcdefwxyz")), "…wxyz");
/// assert_eq!(mask_api_key(&Secret::new("short-key")), "…");
/// ```
pub fn mask_api_key(key: &Secret) -> String {
    let text = key.expose();
    if text.len() < 20 || !text.is_ascii() {
        return "…".to_owned();
    }
    format!("…{}", &text[text.len() - 4..])
}

/// A personal access token whose format was checked: `sk_pat_` + 64 hex characters.
///
/// ```
/// use skytells_auth::skytells::PersonalAccessToken;
/// let token = PersonalAccessToken::parse(&format!("sk_pat_{}\n", "0f".repeat(32))).unwrap();
/// assert_eq!(token.secret().redacted(), "sk_pat_0f0f…");
/// assert!(PersonalAccessToken::parse("sk_pat_123").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalAccessToken(Secret);

impl PersonalAccessToken {
    /// Checks the format. Surrounding whitespace (a pasted newline) is ignored.
    pub fn parse(raw: &str) -> Result<Self, FormatError> {
        const KIND: &str = "personal access token";
        let value = raw.trim();
        if value.is_empty() {
            return Err(FormatError::Empty { kind: KIND });
        }
        if value.starts_with(ACCESS_KEY_PREFIX) {
            return Err(FormatError::AccessKeyGivenForToken);
        }
        let Some(body) = value.strip_prefix(TOKEN_PREFIX) else {
            return Err(FormatError::WrongPrefix { kind: KIND, prefix: TOKEN_PREFIX });
        };
        if let Some(offset) = body.chars().position(|c| !c.is_ascii_hexdigit()) {
            return Err(FormatError::InvalidCharacter {
                kind: KIND,
                position: TOKEN_PREFIX.len() + offset + 1,
                expected: "a hex digit (0-9, a-f)",
            });
        }
        if body.len() != TOKEN_HEX_LEN {
            return Err(FormatError::WrongTokenLength { found: body.len() });
        }
        Ok(PersonalAccessToken(Secret::new(value)))
    }

    /// The token.
    pub fn secret(&self) -> &Secret {
        &self.0
    }

    /// Unwraps the token.
    pub fn into_secret(self) -> Secret {
        self.0
    }
}

/// A project access key whose format was checked: `sk_proj_` + URL-safe characters.
///
/// ```
/// use skytells_auth::skytells::AccessKey;
/// assert!(AccessKey::parse("sk_proj_Abc-123_x").is_ok());
/// assert!(AccessKey::parse("sk_proj_").is_err());
/// assert!(AccessKey::parse("sk_proj_a/b").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey(Secret);

impl AccessKey {
    /// Checks the format. Surrounding whitespace is ignored.
    pub fn parse(raw: &str) -> Result<Self, FormatError> {
        const KIND: &str = "access key";
        let value = raw.trim();
        if value.is_empty() {
            return Err(FormatError::Empty { kind: KIND });
        }
        if value.starts_with(TOKEN_PREFIX) {
            return Err(FormatError::TokenGivenForAccessKey);
        }
        let Some(body) = value.strip_prefix(ACCESS_KEY_PREFIX) else {
            return Err(FormatError::WrongPrefix { kind: KIND, prefix: ACCESS_KEY_PREFIX });
        };
        if body.is_empty() {
            return Err(FormatError::Empty { kind: KIND });
        }
        if value.len() > MAX_ACCESS_KEY_LEN {
            return Err(FormatError::AccessKeyTooLong { found: value.chars().count() });
        }
        if let Some(offset) = body.chars().position(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
            return Err(FormatError::InvalidCharacter {
                kind: KIND,
                position: ACCESS_KEY_PREFIX.len() + offset + 1,
                expected: "a letter, digit, `-` or `_`",
            });
        }
        Ok(AccessKey(Secret::new(value)))
    }

    /// The key.
    pub fn secret(&self) -> &Secret {
        &self.0
    }

    /// Unwraps the key.
    pub fn into_secret(self) -> Secret {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_token() -> String {
        format!("sk_pat_{}", "a1".repeat(32))
    }

    #[test]
    fn token_errors_name_the_problem_without_the_secret() {
        let short = "sk_pat_deadbeef";
        let message = PersonalAccessToken::parse(short).unwrap_err().to_string();
        assert!(message.contains("has 8 after the prefix"), "{message}");
        assert!(!message.contains("deadbeef"));

        let bad_char = format!("{}z", &valid_token()[..70]);
        assert_eq!(
            PersonalAccessToken::parse(&bad_char).unwrap_err(),
            FormatError::InvalidCharacter {
                kind: "personal access token",
                position: 71,
                expected: "a hex digit (0-9, a-f)"
            }
        );
    }

    #[test]
    fn token_and_key_mixups_say_which_command_to_use() {
        assert_eq!(PersonalAccessToken::parse("sk_proj_abc"), Err(FormatError::AccessKeyGivenForToken));
        assert_eq!(AccessKey::parse(&valid_token()), Err(FormatError::TokenGivenForAccessKey));
    }

    #[test]
    fn valid_values_are_accepted_trimmed() {
        let token = PersonalAccessToken::parse(&format!("  {}\r\n", valid_token())).unwrap();
        assert_eq!(token.secret().expose(), valid_token());
        assert_eq!(AccessKey::parse("sk_proj_x").unwrap().secret().expose(), "sk_proj_x");
    }

    #[test]
    fn uppercase_hex_is_accepted_and_length_is_exact() {
        assert!(PersonalAccessToken::parse(&format!("sk_pat_{}", "AB".repeat(32))).is_ok());
        assert_eq!(
            PersonalAccessToken::parse(&format!("sk_pat_{}", "a".repeat(65))),
            Err(FormatError::WrongTokenLength { found: 65 })
        );
    }
}
