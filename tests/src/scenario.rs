//! Knobs that make the emulator behave like a slow, strict, broken or hostile server.

use serde::{Deserialize, Serialize};

/// How the device flow is spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Skytells: JSON, pending/denied/expired as 428/403/410, slow_down as 429.
    #[default]
    Skytells,
    /// RFC 8628: forms with `client_id`, everything else as 400 with an `error` code.
    Rfc8628,
}

/// What a failing poll does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Answer 503.
    #[default]
    ServerError,
    /// Close the connection without answering.
    DropConnection,
}

/// Which endpoint a [`Breakage`] applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `POST /api/oauth/device`.
    Device,
    /// `POST /api/oauth/token`.
    Token,
    /// `GET /api/v1/cli/projects`.
    Projects,
    /// `GET /api/v1/cli/project`.
    Project,
    /// `GET /api/v1/cli/me`.
    Me,
    /// `GET /v1/models` (the models API, with `x-api-key`).
    Models,
    /// Every API endpoint.
    Any,
}

/// A way to answer badly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Breakage {
    /// `200` with a body that is not JSON.
    MalformedJson,
    /// `200 text/html`.
    Html,
    /// This status (a 5xx, say) with an HTML error page, as a load balancer or a proxy in
    /// front of the API sends.
    ErrorPage {
        /// The status code.
        status: u16,
    },
    /// `200` with a body of this many bytes.
    Oversized {
        /// Body size.
        bytes: usize,
    },
    /// Declare a body, send half of it, close.
    DropMidBody,
    /// Wait this long before answering.
    Stall {
        /// Milliseconds.
        ms: u64,
    },
    /// `302` to this location.
    RedirectTo {
        /// The `Location` header.
        location: String,
    },
    /// A token answer with no `access_token` (token endpoint only).
    MissingAccessToken,
    /// A token answer whose `access_token` is not a token (token endpoint only).
    BadAccessToken,
}

/// A breakage on an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Break {
    /// Where.
    pub endpoint: Endpoint,
    /// How.
    pub breakage: Breakage,
}

/// The signed-in account the emulator reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// User id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Email.
    pub email: String,
}

impl Default for User {
    fn default() -> Self {
        User { id: "usr_0001".into(), name: "Ada Lovelace".into(), email: "ada@example.com".into() }
    }
}

/// Everything that can be tuned. `Scenario::default()` is a well-behaved Skytells API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scenario {
    /// Wire dialect.
    pub dialect: Dialect,
    /// The `client_id` required in the RFC 8628 dialect.
    pub client_id: String,
    /// `interval` in seconds; `None` leaves the field out.
    pub interval: Option<f64>,
    /// `expires_in` in seconds; `None` leaves the field out (the code still expires
    /// after 900 s).
    pub expires_in: Option<f64>,
    /// Approve every code this many seconds after it is issued.
    pub auto_approve_after: Option<f64>,
    /// Approve every code once this many of its polls were answered: with 1, the first
    /// poll hears "pending" and the second gets the token, however long either took.
    /// Tests that count polls use this rather than a time, so load cannot change the count.
    pub approve_after_polls: Option<u32>,
    /// Answer the first N polls of each code with slow_down.
    pub slow_down_first: u32,
    /// Fail the first N polls of each code with `fault`.
    pub fail_first: u32,
    /// How those polls fail.
    pub fault: Fault,
    /// Delay every API answer by this many milliseconds.
    pub delay_ms: u64,
    /// Answer polls that come sooner than the interval with slow_down (RFC 8628 §3.5).
    pub enforce_interval: bool,
    /// Wrap successful answers in `{"data": ...}`.
    pub envelope: bool,
    /// Put terminal escape sequences into user codes, URLs and messages.
    pub hostile_strings: bool,
    /// Fields to leave out of the device authorization answer.
    pub omit_fields: Vec<String>,
    /// Replaces `verification_uri` (say, with a `javascript:` URL).
    pub verification_uri: Option<String>,
    /// Endpoints that answer badly.
    pub breaks: Vec<Break>,
    /// The account tokens belong to.
    pub user: User,
    /// Seconds added to the `Date` header of every answer (negative: behind), to play a
    /// server whose clock disagrees with the client's.
    pub date_skew_secs: i64,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            dialect: Dialect::Skytells,
            client_id: "skytells-cli".into(),
            interval: Some(5.0),
            expires_in: Some(900.0),
            auto_approve_after: None,
            approve_after_polls: None,
            slow_down_first: 0,
            fail_first: 0,
            fault: Fault::ServerError,
            delay_ms: 0,
            enforce_interval: true,
            envelope: false,
            hostile_strings: false,
            omit_fields: Vec::new(),
            verification_uri: None,
            breaks: Vec::new(),
            user: User::default(),
            date_skew_secs: 0,
        }
    }
}

/// The longest time any knob may name: ten years, far past any test, and far from the
/// limits of `Duration` and `Instant`.
pub const MAX_SECONDS: f64 = 315_576_000.0;

impl Scenario {
    /// Checks every number a client or the control API set: times must be finite and at
    /// most [`MAX_SECONDS`]; the approval delay may not be negative. (`interval` and
    /// `expires_in` may be zero or negative on purpose: they are what a hostile server
    /// sends; the emulator itself treats them as zero.)
    pub fn validate(&self) -> Result<(), String> {
        let times = [
            ("interval", self.interval),
            ("expires_in", self.expires_in),
            ("auto_approve_after", self.auto_approve_after),
        ];
        for (name, value) in times {
            match value {
                Some(seconds) if !seconds.is_finite() => {
                    return Err(format!("{name} must be a finite number of seconds"))
                }
                Some(seconds) if seconds.abs() > MAX_SECONDS => {
                    return Err(format!("{name} must be at most {MAX_SECONDS} seconds (got {seconds:?})"))
                }
                Some(seconds) if name == "auto_approve_after" && seconds < 0.0 => {
                    return Err(format!("{name} must not be negative (got {seconds:?})"))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The breakage for `endpoint`, if any.
    pub fn breakage(&self, endpoint: Endpoint) -> Option<&Breakage> {
        self.breaks
            .iter()
            .find(|rule| rule.endpoint == endpoint || rule.endpoint == Endpoint::Any)
            .map(|rule| &rule.breakage)
    }
}
