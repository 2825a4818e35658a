//! The OAuth 2.0 device authorization grant (RFC 8628) as a sans-IO state machine.

mod answers;
mod schedule;

use std::collections::VecDeque;
use std::time::Duration;

pub use answers::{
    classify_poll_answer, device_authorization_request, parse_device_authorization, token_request, DeviceAuthorization,
    PollAnswer, TimingBounds, TokenGrant, DEVICE_CODE_GRANT,
};
pub use schedule::{PollSchedule, MAX_BACKOFF, SLOW_DOWN_STEP};

use crate::{ApiConfig, ApiError, Moment, Scope, Secret, Transmit, TransportError};

/// One device login, from asking for a code to a token (or a reason there is none).
///
/// The flow never does I/O. A driver loops:
/// 1. hand every [`FlowEvent`] from [`poll_event`](Self::poll_event) to the user interface;
/// 2. stop when [`outcome`](Self::outcome) is `Some`;
/// 3. send what [`poll_transmit`](Self::poll_transmit) returns, if anything, and feed the
///    result back with [`handle_response`](Self::handle_response) or
///    [`handle_transport_error`](Self::handle_transport_error);
/// 4. otherwise sleep until [`poll_timeout`](Self::poll_timeout).
///
/// Calls at the wrong time are harmless: `poll_transmit` before a poll is due returns
/// `None`, and a response with no request outstanding is refused with [`FlowMisuse`].
///
/// # Example: a whole login with a simulated clock
///
/// ```
/// use std::time::Duration;
/// use skytells_auth::{ApiConfig, DeviceFlow, FlowEvent, Moment, Outcome, Scope};
///
/// fn answer(status: u16, body: &str) -> http::Response<Vec<u8>> {
///     http::Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap()
/// }
///
/// let mut flow = DeviceFlow::new(ApiConfig::default(), Scope::DEFAULT.to_vec());
/// let mut now = Moment::ZERO;
///
/// // Ask for a device code.
/// let transmit = flow.poll_transmit(now).expect("the first request is due at once");
/// assert_eq!(transmit.request.uri(), "https://console.skytells.ai/api/oauth/device");
/// now = now + Duration::from_millis(120);
/// flow.handle_response(now, answer(200, r#"{"device_code":"dc-1","user_code":"ABCD-1234",
///     "verification_uri":"https://console.skytells.ai/device","expires_in":900,"interval":5}"#))?;
///
/// // Show the code to the person.
/// let Some(FlowEvent::CodeIssued(code)) = flow.poll_event() else { panic!() };
/// assert_eq!(code.user_code, "ABCD-1234");
///
/// // Poll until they approve: the server says "pending" twice, then grants a token.
/// let answers = [(428, "{}"), (428, "{}"),
///     (200, r#"{"access_token":"sk_pat_example","token_type":"Bearer","scopes":["inference"]}"#)];
/// for (status, body) in answers {
///     now = flow.poll_timeout().expect("waiting for the next poll");
///     let transmit = flow.poll_transmit(now).expect("a poll is due");
///     assert_eq!(transmit.request.uri().path(), "/api/oauth/token");
///     flow.handle_response(now, answer(status, body))?;
/// }
///
/// let Some(Outcome::Authorized(grant)) = flow.outcome() else { panic!("{:?}", flow.outcome()) };
/// assert_eq!(grant.access_token.expose(), "sk_pat_example");
/// assert_eq!(now, Moment::from_millis(120 + 3 * 5_000)); // three polls, five seconds apart
/// # Ok::<(), skytells_auth::FlowMisuse>(())
/// ```
#[derive(Debug)]
pub struct DeviceFlow {
    config: ApiConfig,
    scopes: Vec<Scope>,
    bounds: TimingBounds,
    state: State,
    events: VecDeque<FlowEvent>,
}

#[derive(Debug)]
enum State {
    /// Nothing sent yet.
    Start,
    /// The device authorization request is out.
    Authorizing,
    /// Waiting for the person, polling.
    Polling(Polling),
    /// Done; never left.
    Finished(Outcome),
}

#[derive(Debug)]
struct Polling {
    device_code: Secret,
    expires_at: Moment,
    schedule: PollSchedule,
    /// When the outstanding poll was sent, if one is out.
    in_flight_since: Option<Moment>,
}

/// What the user interface should learn about.
#[derive(Debug, Clone, PartialEq, Eq)]
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
        error: ApiError,
        /// The backoff wait.
        retry_in: Duration,
    },
    /// The flow reached its outcome (also available from [`DeviceFlow::outcome`]).
    Finished,
}

/// What to show the person who approves the login.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The URL to open in a browser: the pre-filled one when there is one.
    pub fn url_to_open(&self) -> &str {
        self.verification_uri_complete.as_deref().unwrap_or(&self.verification_uri)
    }
}

/// How a flow ended.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// A remote fault that ended a flow, and the step it happened at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowFailure {
    /// Asking for a device code failed.
    #[error("could not start device authorization: {0}")]
    DeviceAuthorization(ApiError),
    /// A poll got an answer that polling cannot get past.
    #[error("device authorization failed: {0}")]
    TokenPoll(ApiError),
}

/// A driver called the flow out of order. This is a bug in the driver, never the
/// server's doing; the flow's state is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FlowMisuse {
    /// A response or failure was handed in while no request was outstanding.
    #[error("no request is outstanding: hand in a response only after poll_transmit returned a request")]
    NoRequestInFlight,
    /// The flow already has its outcome.
    #[error("the device flow has already finished")]
    Finished,
}

impl DeviceFlow {
    /// A flow asking for `scopes` (empty means the Skytells defaults), with the default
    /// [`TimingBounds`].
    pub fn new(config: ApiConfig, scopes: Vec<Scope>) -> Self {
        Self::with_bounds(config, scopes, TimingBounds::default())
    }

    /// A flow with custom bounds on the server's timing.
    pub fn with_bounds(config: ApiConfig, scopes: Vec<Scope>, bounds: TimingBounds) -> Self {
        let scopes = if scopes.is_empty() { Scope::DEFAULT.to_vec() } else { scopes };
        DeviceFlow { config, scopes, bounds, state: State::Start, events: VecDeque::new() }
    }

    /// The scopes this flow asks for.
    pub fn scopes(&self) -> &[Scope] {
        &self.scopes
    }

    /// The next request to send at `now`, if one is due. Also where the flow notices that
    /// the code expired: at or after the expiry instant it sends nothing and ends.
    pub fn poll_transmit(&mut self, now: Moment) -> Option<Transmit> {
        match &mut self.state {
            State::Start => match device_authorization_request(&self.config, &self.scopes) {
                Ok(transmit) => {
                    self.state = State::Authorizing;
                    Some(transmit)
                }
                Err(error) => {
                    self.finish(Outcome::Failed(FlowFailure::DeviceAuthorization(error)));
                    None
                }
            },
            State::Polling(polling) if polling.in_flight_since.is_none() => {
                if now >= polling.expires_at {
                    self.finish(Outcome::Expired);
                    return None;
                }
                if now < polling.schedule.next_poll_at() {
                    return None;
                }
                match token_request(&self.config, &polling.device_code) {
                    Ok(mut transmit) => {
                        // A poll must not outlive the code it polls with.
                        transmit.timeout = transmit.timeout.min(polling.expires_at - now);
                        polling.in_flight_since = Some(now);
                        Some(transmit)
                    }
                    Err(error) => {
                        self.finish(Outcome::Failed(FlowFailure::TokenPoll(error)));
                        None
                    }
                }
            }
            State::Authorizing | State::Polling(_) | State::Finished(_) => None,
        }
    }

    /// When the driver should next call [`poll_transmit`](Self::poll_transmit): `None`
    /// while a request is outstanding (wait for its result) or once finished.
    pub fn poll_timeout(&self) -> Option<Moment> {
        match &self.state {
            State::Start => Some(Moment::ZERO),
            State::Polling(polling) if polling.in_flight_since.is_none() => {
                Some(polling.schedule.next_poll_at().min(polling.expires_at))
            }
            _ => None,
        }
    }

    /// Hands in the response to the outstanding request, received at `now`.
    pub fn handle_response(&mut self, now: Moment, response: http::Response<Vec<u8>>) -> Result<(), FlowMisuse> {
        match &mut self.state {
            State::Authorizing => {
                match parse_device_authorization(&response, &self.bounds) {
                    Ok(authorization) => self.start_polling(now, authorization),
                    Err(error) => self.finish(Outcome::Failed(FlowFailure::DeviceAuthorization(error))),
                }
                Ok(())
            }
            State::Polling(polling) => {
                let sent_at = polling.in_flight_since.take().ok_or(FlowMisuse::NoRequestInFlight)?;
                match classify_poll_answer(&response) {
                    PollAnswer::Granted(grant) => self.finish(Outcome::Authorized(grant)),
                    PollAnswer::Denied => self.finish(Outcome::Denied),
                    PollAnswer::Expired => self.finish(Outcome::Expired),
                    PollAnswer::Failed(error) => self.finish(Outcome::Failed(FlowFailure::TokenPoll(error))),
                    PollAnswer::Pending => polling.schedule.on_answer(sent_at),
                    PollAnswer::SlowDown => {
                        polling.schedule.on_slow_down(sent_at);
                        let interval = polling.schedule.base_interval();
                        self.events.push_back(FlowEvent::SlowedDown { interval });
                    }
                    PollAnswer::Transient(error) => {
                        let retry_in = polling.schedule.on_failure(now);
                        self.events.push_back(FlowEvent::PollFailed { error, retry_in });
                    }
                }
                self.expire_if_due(now);
                Ok(())
            }
            State::Start => Err(FlowMisuse::NoRequestInFlight),
            State::Finished(_) => Err(FlowMisuse::Finished),
        }
    }

    /// Reports that the outstanding request got no response, noticed at `now`. While
    /// polling, this backs off and keeps going; for the first request it ends the flow.
    pub fn handle_transport_error(&mut self, now: Moment, error: TransportError) -> Result<(), FlowMisuse> {
        match &mut self.state {
            State::Authorizing => {
                self.finish(Outcome::Failed(FlowFailure::DeviceAuthorization(ApiError::Transport(error))));
                Ok(())
            }
            State::Polling(polling) => {
                polling.in_flight_since.take().ok_or(FlowMisuse::NoRequestInFlight)?;
                let retry_in = polling.schedule.on_failure(now);
                self.events.push_back(FlowEvent::PollFailed { error: ApiError::Transport(error), retry_in });
                self.expire_if_due(now);
                Ok(())
            }
            State::Start => Err(FlowMisuse::NoRequestInFlight),
            State::Finished(_) => Err(FlowMisuse::Finished),
        }
    }

    /// Hands in whatever sending the outstanding request produced: a response, or the
    /// transport failure. The same as calling [`handle_response`](Self::handle_response)
    /// or [`handle_transport_error`](Self::handle_transport_error).
    pub fn handle_result(
        &mut self,
        now: Moment,
        result: Result<http::Response<Vec<u8>>, TransportError>,
    ) -> Result<(), FlowMisuse> {
        match result {
            Ok(response) => self.handle_response(now, response),
            Err(error) => self.handle_transport_error(now, error),
        }
    }

    /// The next event for the user interface.
    pub fn poll_event(&mut self) -> Option<FlowEvent> {
        self.events.pop_front()
    }

    /// How the flow ended, once it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        match &self.state {
            State::Finished(outcome) => Some(outcome),
            _ => None,
        }
    }

    /// Takes the outcome out of a finished flow, leaving it finished.
    pub fn into_outcome(self) -> Option<Outcome> {
        match self.state {
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
            in_flight_since: None,
        });
    }

    /// A non-final answer that arrives at or after expiry ends the flow: no poll may follow.
    fn expire_if_due(&mut self, now: Moment) {
        if let State::Polling(polling) = &self.state {
            if now >= polling.expires_at {
                self.finish(Outcome::Expired);
            }
        }
    }

    fn finish(&mut self, outcome: Outcome) {
        if !matches!(self.state, State::Finished(_)) {
            self.state = State::Finished(outcome);
            self.events.push_back(FlowEvent::Finished);
        }
    }
}
