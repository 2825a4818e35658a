//! The emulator's clock: real time by default, or a clock the test moves by hand, so that
//! tests of the emulator's own timing rules (expiry, approval after a delay, polls that
//! come too early) see exactly the times they set, however busy the machine is.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where the emulator reads the time: code issue and expiry, poll spacing, approval delay,
/// and the request log's timestamps.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now.
    fn now(&self) -> Instant;
}

/// The machine's monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that stands still until [`ManualClock::advance`] moves it.
///
/// ```
/// use std::time::Duration;
/// use skytells_emulator::{Clock, ManualClock};
/// let clock = ManualClock::new();
/// let before = clock.now();
/// clock.advance(Duration::from_secs(900));
/// assert_eq!(clock.now() - before, Duration::from_secs(900));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    origin: Instant,
    offset: Arc<Mutex<Duration>>,
}

impl ManualClock {
    /// A clock standing at the moment it was made.
    pub fn new() -> Self {
        ManualClock { origin: Instant::now(), offset: Arc::new(Mutex::new(Duration::ZERO)) }
    }

    /// Moves the clock (and every copy of it) forward by `by`.
    pub fn advance(&self, by: Duration) {
        *self.offset.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) += by;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.origin + *self.offset.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
