//! The OAuth 2.0 device authorization grant (RFC 8628) as a sans-IO state machine.

mod drive;
mod schedule;

use std::collections::VecDeque;
use std::time::Duration;

pub use drive::drive;
pub use schedule::{MAX_BACKOFF, MAX_RETRY_AFTER, SLOW_DOWN_STEP};

use super::dialect::{DeviceAuthorization, PollAnswer};
use super::error::RequestError;
use super::wire;
use crate::{DeviceClient, ErrorCode, Moment, Secret, TokenGrant, Transmit, TransportError, TransportErrorKind};
use schedule::PollSchedule;

/// One device login, from asking for a code to a token (or a reason there is none).
///
/// The flow never does I/O. It has one way out, [`poll_output`](Self::poll_output), and
/// one way in, [`handle_result`](Self::handle_result). A driver loops:
///
/// - on [`Output::Event`], show it to the person;
/// - on [`Output::Transmit`], send the request, then hand what came back (a response or
///   a transport failure) to [`handle_result`](Self::handle_result);
/// - on [`Output::WaitUntil`], sleep until then (always later than the `now` asked about);
/// - on [`Output::Done`], stop.
///
/// [`drive`] is that loop, written once for any runtime; the tokio and blocking drivers
/// use it. While a request is outstanding, `poll_output` returns the request's deadline:
/// a driver that lost the request (its future was dropped) and asks again after the
/// deadline gets the request counted as timed out, so the flow never waits forever.
///
/// # Example: a whole login with a simulated clock
///
/// ```
/// use std::time::Duration;
/// use skytells_auth::http; // http 1, as the core uses it
/// use skytells_auth::{DeviceClient, DeviceFlow, FlowEvent, Moment, Outcome, Output};
///
/// fn answer(status: u16, body: &str) -> Result<http::Response<Vec<u8>>, skytells_auth::TransportError> {
///     Ok(http::Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap())
/// }
///
/// let client = DeviceClient::new("https://auth.example.com/device", "https://auth.example.com/token", "my-cli")?;
/// let mut flow = DeviceFlow::new(client, ["openid", "offline_access"]);
/// let mut now = Moment::ZERO;
///
/// // Ask for a device code.
/// let Output::Transmit(transmit) = flow.poll_output(now) else { panic!("the first request is due at once") };
/// assert_eq!(transmit.request.uri(), "https://auth.example.com/device");
/// now = now + Duration::from_millis(120);
/// flow.handle_result(now, answer(200, r#"{"device_code":"dc-1","user_code":"ABCD-1234",
///     "verification_uri":"https://auth.example.com/activate","expires_in":900,"interval":5}"#))?;
///
/// // Show the code to the person.
/// let Output::Event(FlowEvent::CodeIssued(code)) = flow.poll_output(now) else { panic!() };
/// assert_eq!(code.user_code, "ABCD-1234");
///
/// // Poll until they approve: the server says "pending" twice, then grants a token.
/// let pending = r#"{"error":"authorization_pending"}"#;
/// let answers = [(400, pending), (400, pending),
///     (200, r#"{"access_token":"at-1","token_type":"Bearer","refresh_token":"rt-1","expires_in":3600}"#)];
/// for (status, body) in answers {
///     let Output::WaitUntil(wake_at) = flow.poll_output(now) else { panic!("waiting for the next poll") };
///     now = wake_at;
///     let Output::Transmit(transmit) = flow.poll_output(now) else { panic!("a poll is due") };
///     assert_eq!(transmit.request.uri().path(), "/token");
///     flow.handle_result(now, answer(status, body))?;
/// }
///
/// let Output::Done(Outcome::Authorized(grant)) = flow.poll_output(now) else { panic!() };
/// assert_eq!(grant.access_token.expose(), "at-1");
/// assert_eq!(grant.expires_at, Some(now + Duration::from_secs(3600)));
/// assert_eq!(now, Moment::from_millis(120 + 3 * 5_000)); // three polls, five seconds apart
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A flow is a value: a clone carries on from the same point on its own, which is how
/// a test can try several answers to the same poll.
#[derive(Debug, Clone)]
pub struct DeviceFlow {
    client: DeviceClient,
    scopes: Vec<String>,
    state: State,
    events: VecDeque<FlowEvent>,
}

#[derive(Debug, Clone)]
enum State {
    /// Nothing sent yet.
    Start,
    /// The device authorization request is out; it times out at `deadline`.
    Authorizing { deadline: Moment, timeout: Duration },
    /// Waiting for the person, polling.
    Polling(Polling),
    /// Done; never left.
    Finished(Outcome),
}

#[derive(Debug, Clone)]
struct Polling {
    device_code: Secret,
    expires_at: Moment,
    schedule: PollSchedule,
    /// The outstanding poll, if one is out.
    in_flight: Option<InFlight>,
}

/// A request that was handed to the driver and whose result has not come back.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    sent_at: Moment,
    deadline: Moment,
    timeout: Duration,
}

impl InFlight {
    fn new(sent_at: Moment, timeout: Duration) -> Self {
        InFlight { sent_at, deadline: sent_at + timeout, timeout }
    }
}

/// What the flow wants from its driver next; see [`DeviceFlow::poll_output`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Output {
    /// Send this request, then hand the result to [`DeviceFlow::handle_result`].
    Transmit(Transmit),
    /// Something the person should learn about.
    Event(FlowEvent),
    /// Nothing to do before this moment, which is always later than the `now` given.
    WaitUntil(Moment),
    /// The flow has ended; it stays ended.
    Done(Outcome),
}

/// What the user interface should learn about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlowEvent {
    /// The codes arrived: show the user code and where to enter it.
    CodeIssued(UserCode),
    /// The server asked for slower polling; the interval is now `interval`.
    SlowedDown {
        /// The new base interval.
        interval: Duration,
    },
    /// A poll failed in a way that may pass; the next one is in `retry_in`.
    PollFailed {
        /// What went wrong.
        error: RequestError,
        /// The backoff wait.
        retry_in: Duration,
    },
}

/// What to show the person who approves the login.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserCode {
    /// The code to type, exactly as the server sent it (control characters removed).
    pub user_code: String,
    /// Where to type it; an http(s) URL.
    pub verification_uri: String,
    /// The page with the code already filled in, when the server gave one.
    pub verification_uri_complete: Option<String>,
    /// How long the code stays valid, from when it arrived.
    pub lifetime: Duration,
    /// When it stops being valid, on the driver's clock.
    pub expires_at: Moment,
    /// The polling interval.
    pub interval: Duration,
}

impl UserCode {
    /// A code as a server would issue it at `issued_at`, valid for `lifetime`, to be
    /// polled every `interval`; for tests of what a user interface does with one. The
    /// texts are sanitized for display, as the flow does with a server's.
    ///
    /// ```
    /// use std::time::Duration;
    /// use skytells_auth::{Moment, UserCode};
    /// let code = UserCode::new("ABCD-1234", "https://id.test/activate", Moment::from_secs(10), Duration::from_secs(900), Duration::from_secs(5))
    ///     .with_verification_uri_complete("https://id.test/activate?code=ABCD-1234");
    /// assert_eq!(code.expires_at, Moment::from_secs(910));
    /// assert_eq!(code.url_to_open(), "https://id.test/activate?code=ABCD-1234");
    /// ```
    pub fn new(
        user_code: impl AsRef<str>,
        verification_uri: impl AsRef<str>,
        issued_at: Moment,
        lifetime: Duration,
        interval: Duration,
    ) -> Self {
        UserCode {
            user_code: crate::sanitize_for_display(user_code.as_ref()),
            verification_uri: crate::sanitize_for_display(verification_uri.as_ref()),
            verification_uri_complete: None,
            lifetime,
            expires_at: issued_at + lifetime,
            interval,
        }
    }

    /// The same, with a page that has the code filled in.
    pub fn with_verification_uri_complete(mut self, url: impl AsRef<str>) -> Self {
        self.verification_uri_complete = Some(crate::sanitize_for_display(url.as_ref()));
        self
    }

    /// The URL to open in a browser: the pre-filled one when there is one.
    pub fn url_to_open(&self) -> &str {
        self.verification_uri_complete.as_deref().unwrap_or(&self.verification_uri)
    }
}

/// How a flow ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The person approved.
    Authorized(TokenGrant),
    /// The person declined.
    Denied,
    /// The code expired before the person decided (or the server said it expired).
    Expired,
    /// The server or the network failed in a way that polling cannot fix.
    Failed(FlowFailure),
}

impl Outcome {
    /// The grant, or why there is none, for callers who treat every other ending as an
    /// error (`?` it into `anyhow`, `Box<dyn Error>` and the like).
    ///
    /// ```
    /// use skytells_auth::{NotAuthorized, Outcome};
    /// let error = Outcome::Denied.into_result().unwrap_err();
    /// assert_eq!(error, NotAuthorized::Denied);
    /// assert_eq!(error.to_string(), "the login was declined");
    /// ```
    pub fn into_result(self) -> Result<TokenGrant, NotAuthorized> {
        match self {
            Outcome::Authorized(grant) => Ok(grant),
            Outcome::Denied => Err(NotAuthorized::Denied),
            Outcome::Expired => Err(NotAuthorized::Expired),
            Outcome::Failed(failure) => Err(NotAuthorized::Failed(failure)),
        }
    }

    /// The grant, when the person approved.
    pub fn grant(&self) -> Option<&TokenGrant> {
        match self {
            Outcome::Authorized(grant) => Some(grant),
            _ => None,
        }
    }
}

/// A flow that ended without a token: [`Outcome`] other than `Authorized`, as an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotAuthorized {
    /// The person declined.
    #[error("the login was declined")]
    Denied,
    /// The code expired before the person decided.
    #[error("the device code expired before the login was approved")]
    Expired,
    /// The server or the network failed.
    #[error("the login failed")]
    Failed(#[source] FlowFailure),
}

/// A fault that ended a flow, and the step it happened at. The cause is the error's
/// [`source`](std::error::Error::source), not part of its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlowFailure {
    /// Asking for a device code failed.
    #[error("could not start device authorization")]
    DeviceAuthorization(#[source] RequestError),
    /// A poll got an answer that polling cannot get past (an `invalid_client`, say).
    #[error("device authorization failed")]
    TokenPoll(#[source] RequestError),
    /// The driver handed in a result out of order; a bug in the driver, reported rather
    /// than ignored.
    #[error("the driver misused the device flow")]
    Misuse(#[source] FlowMisuse),
}

impl FlowFailure {
    /// The failed request, unless the driver misused the flow.
    pub fn request_error(&self) -> Option<&RequestError> {
        match self {
            FlowFailure::DeviceAuthorization(error) | FlowFailure::TokenPoll(error) => Some(error),
            FlowFailure::Misuse(_) => None,
        }
    }

    /// The OAuth error code the server answered with (`invalid_client`, say), if any.
    pub fn oauth_code(&self) -> Option<&ErrorCode> {
        self.request_error().and_then(RequestError::oauth_code)
    }
}

/// A driver called the flow out of order. This is a bug in the driver, never the
/// server's doing; the flow's state is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlowMisuse {
    /// A result was handed in while no request was outstanding.
    #[error("no request is outstanding: hand in a result only after poll_output returned a request")]
    NoRequestInFlight,
    /// The flow already has its outcome.
    #[error("the device flow has already finished")]
    Finished,
}

impl DeviceFlow {
    /// A login by `client`, asking for `scopes` (sent as given, free-form; none means no
    /// `scope` parameter at all).
    pub fn new<S: Into<String>>(client: DeviceClient, scopes: impl IntoIterator<Item = S>) -> Self {
        let scopes = scopes.into_iter().map(Into::into).collect();
        DeviceFlow { client, scopes, state: State::Start, events: VecDeque::new() }
    }

    /// The client this flow logs in with.
    pub fn client(&self) -> &DeviceClient {
        &self.client
    }

    /// The scopes this flow asks for.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// What the driver should do next, at `now`: show an event, send a request, sleep
    /// until a moment later than `now`, or stop. Events come first, in order. This is
    /// also where the flow notices that the code expired (at or after the expiry instant
    /// it sends nothing and ends) and that an outstanding request passed its deadline
    /// (it then counts as timed out).
    pub fn poll_output(&mut self, now: Moment) -> Output {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Output::Event(event);
            }
            if let Some(output) = self.step(now) {
                return output;
            }
        }
    }

    /// One decision; `None` when the state changed and there may be an event to report.
    fn step(&mut self, now: Moment) -> Option<Output> {
        match &mut self.state {
            State::Finished(outcome) => Some(Output::Done(outcome.clone())),
            State::Start => match self.client.dialect().device_request(&self.client, &self.scopes) {
                Ok(transmit) => {
                    let timeout = transmit.timeout;
                    self.state = State::Authorizing { deadline: now + timeout, timeout };
                    Some(Output::Transmit(transmit))
                }
                Err(error) => {
                    self.finish(Outcome::Failed(FlowFailure::DeviceAuthorization(error)));
                    None
                }
            },
            State::Authorizing { deadline, timeout } => {
                if now < *deadline {
                    return Some(Output::WaitUntil(*deadline));
                }
                let error = RequestError::Transport(timed_out(*timeout));
                self.finish(Outcome::Failed(FlowFailure::DeviceAuthorization(error)));
                None
            }
            State::Polling(polling) => {
                if let Some(request) = polling.in_flight {
                    if now < request.deadline {
                        return Some(Output::WaitUntil(request.deadline));
                    }
                    // The driver never reported back: the request is lost, which is a timeout.
                    polling.in_flight = None;
                    self.poll_failed(now, RequestError::Transport(timed_out(request.timeout)));
                    return None;
                }
                if now >= polling.expires_at {
                    self.finish(Outcome::Expired);
                    return None;
                }
                let due = polling.schedule.next_poll_at();
                if now < due {
                    return Some(Output::WaitUntil(due.min(polling.expires_at)));
                }
                match self.client.dialect().token_request(&self.client, &polling.device_code) {
                    Ok(mut transmit) => {
                        // A poll must not outlive the code it polls with.
                        transmit.timeout = transmit.timeout.min(polling.expires_at - now);
                        polling.in_flight = Some(InFlight::new(now, transmit.timeout));
                        Some(Output::Transmit(transmit))
                    }
                    Err(error) => {
                        self.finish(Outcome::Failed(FlowFailure::TokenPoll(error)));
                        None
                    }
                }
            }
        }
    }

    /// Hands in what sending the outstanding request produced, at `now`: the response, or
    /// the transport failure. A failure while polling backs off and keeps going; for the
    /// first request it ends the flow.
    pub fn handle_result(
        &mut self,
        now: Moment,
        result: Result<http::Response<Vec<u8>>, TransportError>,
    ) -> Result<(), FlowMisuse> {
        match &mut self.state {
            State::Authorizing { .. } => {
                let client = &self.client;
                let authorization = result.map_err(RequestError::Transport).and_then(|response| {
                    let object = client.dialect().device_answer(&response)?;
                    DeviceAuthorization::from_object(&response, &object, client.bounds())
                });
                match authorization {
                    Ok(authorization) => self.start_polling(now, authorization),
                    Err(error) => self.finish(Outcome::Failed(FlowFailure::DeviceAuthorization(error))),
                }
                Ok(())
            }
            State::Polling(polling) => {
                let sent_at = polling.in_flight.take().ok_or(FlowMisuse::NoRequestInFlight)?.sent_at;
                // A rate limit's `Retry-After` (seconds) holds off the next poll, within
                // limits: at most MAX_RETRY_AFTER, and never past the code's expiry.
                let mut retry_after = None;
                let answer = match result {
                    Ok(response) => {
                        if response.status() == http::StatusCode::TOO_MANY_REQUESTS {
                            retry_after = wire::retry_after(&response)
                                .map(|wait| (now + wait.min(MAX_RETRY_AFTER)).min(polling.expires_at));
                        }
                        self.client.dialect().poll_answer(&response, now)
                    }
                    Err(error) => PollAnswer::Transient(RequestError::Transport(error)),
                };
                match answer {
                    PollAnswer::Granted(grant) => self.finish(Outcome::Authorized(grant)),
                    PollAnswer::Denied => self.finish(Outcome::Denied),
                    PollAnswer::Expired => self.finish(Outcome::Expired),
                    PollAnswer::Failed(error) => self.finish(Outcome::Failed(FlowFailure::TokenPoll(error))),
                    PollAnswer::Pending => {
                        polling.schedule.on_answer(sent_at);
                        if let Some(at) = retry_after {
                            polling.schedule.not_before(now, at);
                        }
                    }
                    PollAnswer::SlowDown => {
                        polling.schedule.on_slow_down(sent_at);
                        if let Some(at) = retry_after {
                            polling.schedule.not_before(now, at);
                        }
                        let interval = polling.schedule.base_interval();
                        self.events.push_back(FlowEvent::SlowedDown { interval });
                    }
                    PollAnswer::Transient(error) => {
                        let mut retry_in = polling.schedule.on_failure(now);
                        if let Some(at) = retry_after {
                            retry_in = polling.schedule.not_before(now, at);
                        }
                        self.events.push_back(FlowEvent::PollFailed { error, retry_in });
                    }
                }
                Ok(())
            }
            State::Start => Err(FlowMisuse::NoRequestInFlight),
            State::Finished(_) => Err(FlowMisuse::Finished),
        }
    }

    /// How the flow ended, once it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        match &self.state {
            State::Finished(outcome) => Some(outcome),
            _ => None,
        }
    }

    /// The current base polling interval, once polling has started.
    pub fn interval(&self) -> Option<Duration> {
        match &self.state {
            State::Polling(polling) => Some(polling.schedule.base_interval()),
            _ => None,
        }
    }

    /// When the device code expires, once it has been issued.
    pub fn expires_at(&self) -> Option<Moment> {
        match &self.state {
            State::Polling(polling) => Some(polling.expires_at),
            _ => None,
        }
    }

    fn start_polling(&mut self, now: Moment, authorization: DeviceAuthorization) {
        let expires_at = now + authorization.lifetime;
        self.events.push_back(FlowEvent::CodeIssued(UserCode {
            user_code: authorization.user_code,
            verification_uri: authorization.verification_uri,
            verification_uri_complete: authorization.verification_uri_complete,
            lifetime: authorization.lifetime,
            expires_at,
            interval: authorization.interval,
        }));
        self.state = State::Polling(Polling {
            device_code: authorization.device_code,
            expires_at,
            schedule: PollSchedule::new(now, authorization.interval),
            in_flight: None,
        });
    }

    /// A poll that may succeed later: back off, and say so.
    fn poll_failed(&mut self, now: Moment, error: RequestError) {
        if let State::Polling(polling) = &mut self.state {
            let retry_in = polling.schedule.on_failure(now);
            self.events.push_back(FlowEvent::PollFailed { error, retry_in });
        }
    }

    fn finish(&mut self, outcome: Outcome) {
        if !matches!(self.state, State::Finished(_)) {
            self.state = State::Finished(outcome);
        }
    }
}

fn timed_out(timeout: Duration) -> TransportError {
    TransportError::new(TransportErrorKind::Timeout, format!("no answer within {} s", timeout.as_secs_f32()))
}
