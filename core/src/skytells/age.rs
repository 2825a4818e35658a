//! How long ago a stored credential was saved, and whether the guide's "rotate tokens
//! regularly" applies to it yet. Time is an input: the caller passes `now`.

use std::fmt;

use super::resolve::EnvSnapshot;

/// Days after which a stored credential is due for rotation, unless
/// `SKYTELLS_ROTATE_DAYS` says otherwise.
pub const DEFAULT_ROTATE_DAYS: u32 = 90;

const DAY_MS: u64 = 86_400_000;

/// When a stored credential is due for rotation: after so many days, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationPolicy {
    after_days: Option<u32>,
}

impl Default for RotationPolicy {
    fn default() -> Self {
        RotationPolicy { after_days: Some(DEFAULT_ROTATE_DAYS) }
    }
}

/// `SKYTELLS_ROTATE_DAYS` is not a whole number of days.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SKYTELLS_ROTATE_DAYS must be a whole number of days from 0 (never remind) to 36500 (got `{0}`)")]
pub struct InvalidRotateDays(pub String);

impl RotationPolicy {
    /// Due after `days` days; `0` turns reminders off.
    pub fn after_days(days: u32) -> Self {
        RotationPolicy { after_days: (days > 0).then_some(days) }
    }

    /// From `SKYTELLS_ROTATE_DAYS` (default [`DEFAULT_ROTATE_DAYS`]).
    ///
    /// ```
    /// use skytells_auth::skytells::{EnvSnapshot, RotationPolicy};
    /// let env = |value: &str| EnvSnapshot::from_pairs([("SKYTELLS_ROTATE_DAYS", value)]);
    /// assert_eq!(RotationPolicy::from_env(&EnvSnapshot::default()).unwrap().threshold_days(), Some(90));
    /// assert_eq!(RotationPolicy::from_env(&env("30")).unwrap().threshold_days(), Some(30));
    /// assert_eq!(RotationPolicy::from_env(&env("0")).unwrap().threshold_days(), None);
    /// assert!(RotationPolicy::from_env(&env("-1")).is_err() && RotationPolicy::from_env(&env("1.5")).is_err());
    /// ```
    pub fn from_env(env: &EnvSnapshot) -> Result<Self, InvalidRotateDays> {
        let Some(text) = env.rotate_days() else { return Ok(RotationPolicy::default()) };
        match text.trim().parse::<u32>() {
            Ok(days) if days <= 36_500 => Ok(RotationPolicy::after_days(days)),
            _ => Err(InvalidRotateDays(crate::sanitize_for_display(text))),
        }
    }

    /// The threshold in days; `None` when reminders are off.
    pub fn threshold_days(&self) -> Option<u32> {
        self.after_days
    }

    /// The age of a credential saved at `saved_at_ms`, at `now_ms` (both milliseconds
    /// since the Unix epoch). A time in the future (a clock set back) is age zero.
    ///
    /// ```
    /// use skytells_auth::skytells::RotationPolicy;
    /// let day = 86_400_000;
    /// let age = RotationPolicy::default().age(1_000 * day, 1_097 * day + 5);
    /// assert_eq!((age.days, age.due), (97, true));
    /// assert_eq!(age.to_string(), "saved 97 days ago");
    /// assert!(!RotationPolicy::default().age(0, 90 * day).due, "exactly 90 days is not past 90");
    /// assert!(!RotationPolicy::after_days(0).age(0, 9_000 * day).due);
    /// ```
    pub fn age(&self, saved_at_ms: u64, now_ms: u64) -> CredentialAge {
        let elapsed = now_ms.saturating_sub(saved_at_ms);
        let due = self.after_days.is_some_and(|days| elapsed > u64::from(days) * DAY_MS);
        CredentialAge { days: elapsed / DAY_MS, due, threshold_days: self.after_days }
    }
}

/// How long ago a credential was saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CredentialAge {
    /// Whole days since it was saved.
    pub days: u64,
    /// Whether it is older than the policy's threshold.
    pub due: bool,
    /// The threshold it was measured against (`None`: reminders are off).
    pub threshold_days: Option<u32>,
}

impl fmt::Display for CredentialAge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.days {
            0 => f.write_str("saved today"),
            1 => f.write_str("saved 1 day ago"),
            days => write!(f, "saved {days} days ago"),
        }
    }
}
