//! When to poll next (RFC 8628 §3.4–3.5).

use std::time::Duration;

use crate::Moment;

/// How much one `slow_down` lengthens the interval, for that and every later poll.
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// The longest wait exponential backoff reaches after repeated failures, unless the base
/// interval itself is longer.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The longest wait a `Retry-After` on a 429 poll answer can impose (and never past the
/// device code's expiry): a rate-limited server is waited for, a hostile one cannot park
/// a login for an hour.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// The polling timetable of one flow.
///
/// The *base interval* is the server's interval plus 5 s per `slow_down`; it never shrinks.
/// After a normal answer the next poll is one base interval after the previous poll was
/// sent. After a transport failure or 5xx the wait doubles with each consecutive failure,
/// up to [`MAX_BACKOFF`], and is measured from the failure; it is never shorter than the
/// base interval. A 429 answer's `Retry-After` (in seconds) that asks for longer is
/// honoured, up to [`MAX_RETRY_AFTER`] and the code's expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PollSchedule {
    base_interval: Duration,
    consecutive_failures: u32,
    next_poll_at: Moment,
}

impl PollSchedule {
    /// The schedule of a flow whose device code arrived at `issued_at`: the first poll
    /// waits one interval.
    pub(crate) fn new(issued_at: Moment, interval: Duration) -> Self {
        PollSchedule { base_interval: interval, consecutive_failures: 0, next_poll_at: issued_at + interval }
    }

    /// The server's interval plus every `slow_down` so far.
    pub(crate) fn base_interval(&self) -> Duration {
        self.base_interval
    }

    /// The earliest moment the next poll may be sent.
    pub(crate) fn next_poll_at(&self) -> Moment {
        self.next_poll_at
    }

    /// The server answered the poll sent at `sent_at` normally (pending).
    pub(crate) fn on_answer(&mut self, sent_at: Moment) {
        self.consecutive_failures = 0;
        self.next_poll_at = sent_at + self.base_interval;
    }

    /// The server asked the client to slow down.
    pub(crate) fn on_slow_down(&mut self, sent_at: Moment) {
        self.base_interval = self.base_interval.saturating_add(SLOW_DOWN_STEP);
        self.on_answer(sent_at);
    }

    /// The poll failed in transport or with a 5xx, noticed at `now`; returns the wait.
    pub(crate) fn on_failure(&mut self, now: Moment) -> Duration {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        let wait = self.backoff_wait();
        self.next_poll_at = now + wait;
        wait
    }

    /// The next poll waits at least until `at` (a server's `Retry-After`); returns how
    /// long from `now` it now waits.
    pub(crate) fn not_before(&mut self, now: Moment, at: Moment) -> Duration {
        self.next_poll_at = self.next_poll_at.max(at);
        self.next_poll_at.saturating_duration_since(now)
    }

    /// `base × 2^failures`, capped at [`MAX_BACKOFF`], never below the base interval.
    fn backoff_wait(&self) -> Duration {
        let doublings = self.consecutive_failures.min(16);
        let grown = self.base_interval.saturating_mul(1 << doublings);
        grown.min(MAX_BACKOFF).max(self.base_interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_and_resets_after_an_answer() {
        let mut schedule = PollSchedule::new(Moment::ZERO, Duration::from_secs(5));
        let waits: Vec<u64> = (0..5).map(|_| schedule.on_failure(Moment::ZERO).as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 60, 60]);
        schedule.on_answer(Moment::from_secs(100));
        assert_eq!(schedule.next_poll_at(), Moment::from_secs(105));
    }

    #[test]
    fn backoff_never_undercuts_a_slowed_down_interval() {
        let mut schedule = PollSchedule::new(Moment::ZERO, Duration::from_secs(50));
        schedule.on_slow_down(Moment::ZERO);
        schedule.on_slow_down(Moment::ZERO);
        assert_eq!(schedule.base_interval(), Duration::from_secs(60));
        schedule.on_slow_down(Moment::ZERO);
        assert_eq!(schedule.on_failure(Moment::ZERO), Duration::from_secs(65));
    }
}
