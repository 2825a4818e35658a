//! What the Skytells CLI tells people when a login or the credentials file goes wrong,
//! and what to do next, in one place.
//!
//! The wording follows the Skytells CLI authentication guide (the user-facing document
//! this project implements: its commands, messages and troubleshooting section). The
//! errors elsewhere in the library state facts; this module adds the Skytells advice.

use std::fmt::Display;
use std::time::Duration;

/// The person declined in the browser.
pub const LOGIN_DENIED: &str =
    "Authorization was denied in the browser; nothing was saved. Run `skytells login` to try again.";

/// The code expired before anyone approved it; `lifetime` is how long it was valid.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(
///     skytells_auth::messages::login_expired(Duration::from_secs(900)),
///     "The device code expired before it was approved (codes stay valid for 15 minutes); nothing was saved. Run `skytells login` again."
/// );
/// ```
pub fn login_expired(lifetime: Duration) -> String {
    format!(
        "The device code expired before it was approved (codes stay valid for {}); nothing was saved. Run `skytells login` again.",
        duration_phrase(lifetime)
    )
}

/// The credentials file exists but is not credentials: `fact` says which file and why.
pub fn unreadable_credentials(fact: impl Display) -> String {
    format!("{fact}. Fix or delete it, then run `skytells login`")
}

/// Something other than a regular file sits where the credentials file belongs.
pub fn credentials_path_taken(fact: impl Display) -> String {
    format!("{fact}; move it away or set SKYTELLS_CONFIG_DIR to another folder")
}

/// `15 minutes`, `1 minute`, `90 seconds`, `1 second`.
///
/// ```
/// use std::time::Duration;
/// use skytells_auth::messages::duration_phrase;
/// assert_eq!(duration_phrase(Duration::from_secs(60)), "1 minute");
/// assert_eq!(duration_phrase(Duration::from_secs(90)), "90 seconds");
/// ```
pub fn duration_phrase(duration: Duration) -> String {
    match duration.as_secs() {
        60 => "1 minute".to_owned(),
        secs if secs % 60 == 0 && secs > 0 => format!("{} minutes", secs / 60),
        1 => "1 second".to_owned(),
        secs => format!("{secs} seconds"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_store_fact_gets_its_fix() {
        assert_eq!(
            unreadable_credentials("the credentials file /x/credentials.json cannot be read: it is not valid JSON"),
            "the credentials file /x/credentials.json cannot be read: it is not valid JSON. Fix or delete it, then run `skytells login`"
        );
        assert_eq!(
            credentials_path_taken("/x/credentials.json is a directory, not a credentials file"),
            "/x/credentials.json is a directory, not a credentials file; move it away or set SKYTELLS_CONFIG_DIR to another folder"
        );
        assert!(LOGIN_DENIED.ends_with("Run `skytells login` to try again."));
        assert_eq!(duration_phrase(Duration::from_secs(1)), "1 second");
        assert_eq!(duration_phrase(Duration::ZERO), "0 seconds");
        assert_eq!(duration_phrase(Duration::from_secs(1800)), "30 minutes");
    }
}
