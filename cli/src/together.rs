//! Two pieces of work at once: requests to two APIs cost one round trip, not two.

/// Runs `aside` on a scoped thread while `here` runs on this one, and returns both
/// results. A panic in `aside` is resumed here, as if it had happened on this thread.
pub fn together<A: Send, B>(aside: impl FnOnce() -> A + Send, here: impl FnOnce() -> B) -> (A, B) {
    std::thread::scope(|scope| {
        let aside = scope.spawn(aside);
        let here = here();
        (aside.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), here)
    })
}
