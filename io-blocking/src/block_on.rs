//! Runs a future on the calling thread.
//!
//! The core's driver loop ([`skytells_auth::drive`]) is an `async fn` so that every
//! runtime shares it. This driver's closures block and return ready futures, so the loop
//! completes on its first poll; it is pending only once the login was cancelled, and then
//! this returns instead of waiting.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use crate::{Cancel, Cancelled};

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` to completion on this thread; should it ever be pending, the thread
/// parks until it is woken rather than spinning.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut context = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::park(),
        }
    }
}

/// Polls `future` to completion on this thread, or until `cancel` is cancelled.
pub(crate) fn block_on_until<F: Future>(future: F, cancel: &Cancel) -> Result<F::Output, Cancelled> {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut context = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return Ok(output),
            Poll::Pending if cancel.is_cancelled() => return Err(Cancelled),
            Poll::Pending => thread::park(),
        }
    }
}
