//! Time as a value: the core never reads a clock.

use std::ops::{Add, Sub};
use std::time::Duration;

/// A point on the driver's monotonic clock, measured from an origin the driver chooses
/// (usually the moment it started the flow).
///
/// The core only compares and offsets moments; it never asks what time it is. A driver
/// maps its own clock onto this type, for example with
/// `Moment::from_duration(origin.elapsed())`, and a test can simply count milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Moment(Duration);

impl Moment {
    /// The driver's origin.
    pub const ZERO: Moment = Moment(Duration::ZERO);

    /// The moment `elapsed` after the origin.
    pub const fn from_duration(elapsed: Duration) -> Self {
        Moment(elapsed)
    }

    /// The moment `millis` milliseconds after the origin.
    pub const fn from_millis(millis: u64) -> Self {
        Moment(Duration::from_millis(millis))
    }

    /// The moment `secs` seconds after the origin.
    pub const fn from_secs(secs: u64) -> Self {
        Moment(Duration::from_secs(secs))
    }

    /// Time since the origin.
    pub const fn since_origin(self) -> Duration {
        self.0
    }

    /// Time from `earlier` to `self`, or zero when `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Moment) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<Duration> for Moment {
    type Output = Moment;

    /// Saturates instead of overflowing: a moment past the end of time is still later
    /// than every other moment, which is all the core needs.
    fn add(self, rhs: Duration) -> Moment {
        Moment(self.0.saturating_add(rhs))
    }
}

impl Sub<Moment> for Moment {
    type Output = Duration;

    fn sub(self, rhs: Moment) -> Duration {
        self.saturating_duration_since(rhs)
    }
}
