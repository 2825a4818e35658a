//! Stopping a blocking login from another thread.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

/// A handle that stops [`run_device_flow_until`](crate::BlockingDriver::run_device_flow_until).
/// Clones share the same state.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<(Mutex<bool>, Condvar)>);

/// The login was stopped through its [`Cancel`] handle before it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the login was cancelled")]
pub struct Cancelled;

impl Cancel {
    /// A handle that is not cancelled.
    pub fn new() -> Self {
        Cancel::default()
    }

    /// Cancels, waking a sleeping login at once.
    pub fn cancel(&self) {
        let (flag, changed) = &*self.0;
        *flag.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = true;
        changed.notify_all();
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        *self.0 .0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sleeps for `duration` unless cancelled first; returns whether it was cancelled.
    pub(crate) fn sleep(&self, duration: Duration) -> bool {
        let (flag, changed) = &*self.0;
        let guard = flag.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (guard, _) = changed
            .wait_timeout_while(guard, duration, |cancelled| !*cancelled)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *guard
    }
}

impl Cancel {
    /// Wakes every thread waiting on this handle without cancelling, so that it looks
    /// at what it waits for.
    pub(crate) fn notify(&self) {
        let (flag, changed) = &*self.0;
        let _guard = flag.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        changed.notify_all();
    }

    /// Waits until `slot` is filled (and takes it) or the handle is cancelled (`None`).
    /// Whoever fills the slot calls [`notify`](Self::notify) afterwards; checking the
    /// slot under this handle's lock means that wake-up cannot be missed.
    pub(crate) fn wait_for<T>(&self, slot: &Mutex<Option<T>>) -> Option<T> {
        let (flag, changed) = &*self.0;
        let mut cancelled = flag.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            if let Some(value) = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take() {
                return Some(value);
            }
            if *cancelled {
                return None;
            }
            cancelled = changed.wait(cancelled).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

/// A future that is ready at once with its value, or never (once the login is cancelled),
/// so that the driver loop stops between two steps.
pub(crate) enum Gate<T> {
    Open(Option<T>),
    Closed,
}

impl<T> Gate<T> {
    pub(crate) fn open(value: T) -> Self {
        Gate::Open(Some(value))
    }
}

impl<T: Unpin> Future for Gate<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<T> {
        match self.get_mut() {
            Gate::Open(value) => value.take().map_or(Poll::Pending, Poll::Ready),
            Gate::Closed => Poll::Pending,
        }
    }
}
