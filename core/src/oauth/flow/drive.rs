//! The driver loop, written once for every runtime.

use std::future::Future;

use super::{DeviceFlow, FlowEvent, FlowFailure, Outcome, Output};
use crate::{Moment, Transmit, TransportError};

/// Runs `flow` to its outcome with the runtime's own ways of sending and sleeping.
///
/// This is the whole driver loop, so that no driver writes its own: `now` reads the
/// driver's clock (as a [`Moment`] from an origin it chose), `send` sends one request
/// under the [`Transmit`]'s limits, `sleep_until` waits until a moment on that clock,
/// and `on_event` shows each [`FlowEvent`] as it happens. No I/O happens here: the
/// future only awaits what the closures return, so it runs under tokio, async-std, any
/// other executor, or a blocking `block_on` whose closures return ready futures.
///
/// Dropping the future stops the flow between two steps.
///
/// ```
/// use std::cell::Cell;
/// use std::future::ready;
/// use std::time::Duration;
/// use skytells_auth::{drive, http, DeviceClient, DeviceFlow, Moment, Outcome};
///
/// // A scripted server and a simulated clock: sleeping just moves the clock.
/// let clock = Cell::new(Moment::ZERO);
/// let mut answers = vec![
///     (200, r#"{"access_token":"at-1","token_type":"Bearer"}"#),
///     (400, r#"{"error":"authorization_pending"}"#),
///     (200, r#"{"device_code":"d","user_code":"ABCD-1234","verification_uri":"https://x.test/d","interval":5}"#),
/// ];
/// let client = DeviceClient::new("https://x.test/device", "https://x.test/token", "my-cli").unwrap();
/// let flow = DeviceFlow::new(client, ["profile"]);
/// let login = drive(
///     flow,
///     || clock.get(),
///     |_request| {
///         let (status, body) = answers.pop().unwrap();
///         ready(Ok(http::Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap()))
///     },
///     |wake_at| {
///         clock.set(wake_at);
///         ready(())
///     },
///     |_event| {},
/// );
/// // Every future above is ready at once, so one poll runs the whole login.
/// let mut login = std::pin::pin!(login);
/// let std::task::Poll::Ready(outcome) = login.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
/// else { unreachable!() };
/// assert!(matches!(outcome, Outcome::Authorized(_)));
/// assert_eq!(clock.get(), Moment::from_secs(10));
/// # use std::future::Future;
/// ```
pub async fn drive<SendFn, Sent, SleepFn, Slept>(
    mut flow: DeviceFlow,
    now: impl Fn() -> Moment,
    mut send: SendFn,
    mut sleep_until: SleepFn,
    mut on_event: impl FnMut(&FlowEvent),
) -> Outcome
where
    SendFn: FnMut(Transmit) -> Sent,
    Sent: Future<Output = Result<http::Response<Vec<u8>>, TransportError>>,
    SleepFn: FnMut(Moment) -> Slept,
    Slept: Future<Output = ()>,
{
    loop {
        match flow.poll_output(now()) {
            Output::Event(event) => on_event(&event),
            Output::Transmit(transmit) => {
                let result = send(transmit).await;
                if let Err(misuse) = flow.handle_result(now(), result) {
                    // Cannot happen here (the request just sent is the one outstanding),
                    // but a broken invariant is reported, never swallowed.
                    return Outcome::Failed(FlowFailure::Misuse(misuse));
                }
            }
            Output::WaitUntil(wake_at) => sleep_until(wake_at).await,
            Output::Done(outcome) => return outcome,
        }
    }
}
