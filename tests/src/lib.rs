//! A local Skytells API for tests and for anyone scripting `skytells`.
//!
//! It speaks the device flow (RFC 8628) in the Skytells dialect or the plain RFC one,
//! serves the verification page a person approves in the browser, checks personal
//! access tokens and project access keys, and can be made slow, strict, broken or hostile
//! through [`Scenario`]. Every request is logged with its arrival time, so tests can check
//! how a client polls.
//!
//! ```
//! use skytells_emulator::{Emulator, Scenario};
//!
//! let emulator = Emulator::start(Scenario::default()).unwrap();
//! emulator.add_access_key("sk_proj_demo", "Demo Project");
//! assert!(emulator.url().starts_with("http://127.0.0.1:"));
//! ```
//!
//! It binds to 127.0.0.1 only, answers at most [`MAX_REQUESTS`] requests, and stops when
//! dropped.

pub mod browser;
mod clock;
pub mod http;
mod page;
mod routes;
pub mod scenario;
pub mod state;
mod tls;

use std::io::{self, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub use clock::{Clock, ManualClock, SystemClock};
pub use routes::{DEFAULT_SCOPES, VALID_SCOPES};
pub use scenario::{Break, Breakage, Dialect, Endpoint, Fault, Scenario, User};
pub use state::{DeviceInfo, DeviceStatus, LogEntry, ProjectInfo, LOG_CAPACITY, MAX_LOGGED_PATH};
pub use tls::{AuthorityError, TestAuthority};

use routes::{Decision, Reply};
use state::State;

/// The most requests one emulator answers before it stops accepting.
pub const MAX_REQUESTS: u64 = 100_000;

struct Shared {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    changed: Condvar,
    stop: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The lock stays usable after a panic in a request thread. That keeps a test's
        // emulator alive in debug builds; in release builds a panic aborts, which is why
        // every knob is checked where it comes in (`Scenario::validate`) and no request
        // can make a handler panic.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running emulator.
pub struct Emulator {
    addr: SocketAddr,
    /// `http` or `https`.
    scheme: &'static str,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts on an ephemeral port of 127.0.0.1.
    pub fn start(scenario: Scenario) -> io::Result<Self> {
        Self::start_on(0, scenario)
    }

    /// Starts on `port` of 127.0.0.1 (0 for an ephemeral one).
    pub fn start_on(port: u16, scenario: Scenario) -> io::Result<Self> {
        Self::start_with_clock(port, scenario, Arc::new(SystemClock))
    }

    /// Starts on `port` of 127.0.0.1, reading the time from `clock` (a [`ManualClock`] in
    /// tests that assert the emulator's own timing).
    pub fn start_with_clock(port: u16, scenario: Scenario, clock: Arc<dyn Clock>) -> io::Result<Self> {
        Self::launch(port, scenario, clock, None)
    }

    /// Starts on an ephemeral port of 127.0.0.1, serving HTTPS with a certificate that
    /// `authority` issued for `localhost`, `127.0.0.1` and `::1`.
    ///
    /// ```
    /// use skytells_emulator::{Emulator, Scenario, TestAuthority};
    ///
    /// let authority = TestAuthority::generate().unwrap();
    /// let emulator = Emulator::start_tls(Scenario::default(), &authority).unwrap();
    /// assert!(emulator.url().starts_with("https://127.0.0.1:"));
    /// assert!(authority.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    /// ```
    pub fn start_tls(scenario: Scenario, authority: &TestAuthority) -> io::Result<Self> {
        Self::launch(0, scenario, Arc::new(SystemClock), Some(authority.server_config()))
    }

    /// Starts on `port` of 127.0.0.1 (0 for an ephemeral one), over TLS when `tls` is set.
    pub fn start_on_with_tls(port: u16, scenario: Scenario, authority: Option<&TestAuthority>) -> io::Result<Self> {
        Self::launch(port, scenario, Arc::new(SystemClock), authority.map(TestAuthority::server_config))
    }

    fn launch(
        port: u16,
        scenario: Scenario,
        clock: Arc<dyn Clock>,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let started = clock.now();
        let shared = Arc::new(Shared {
            clock,
            state: Mutex::new(State::new(scenario, started)),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base_url = format!("{scheme}://{addr}");
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("emulator-accept".into())
                .spawn(move || accept_loop(listener, shared, base_url, tls))?
        };
        Ok(Emulator { addr, scheme, shared, acceptor: Some(acceptor) })
    }

    /// `http://127.0.0.1:PORT`, or `https://…` when started with TLS.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The current knobs.
    pub fn scenario(&self) -> Scenario {
        self.shared.lock().scenario.clone()
    }

    /// Changes the knobs for requests from now on.
    pub fn set_scenario(&self, scenario: Scenario) {
        self.shared.lock().scenario = scenario;
    }

    /// Approves a pending code, as the person in the browser would.
    pub fn approve(&self, user_code: &str) -> bool {
        self.notify(|state| state.approve(user_code))
    }

    /// Denies a pending code.
    pub fn deny(&self, user_code: &str) -> bool {
        self.notify(|state| state.decide(user_code, DeviceStatus::Denied))
    }

    /// Expires a pending code now.
    pub fn expire(&self, user_code: &str) -> bool {
        self.notify(|state| state.decide(user_code, DeviceStatus::Expired))
    }

    /// Makes `token` a valid personal access token with `scopes` (all scopes if empty).
    pub fn add_token(&self, token: &str, scopes: &[&str]) {
        let scopes: Vec<&str> = if scopes.is_empty() { routes::VALID_SCOPES.to_vec() } else { scopes.to_vec() };
        let scopes: Vec<String> = scopes.into_iter().map(str::to_owned).collect();
        self.notify(|state| {
            let user = state.scenario.user.clone();
            state.tokens.insert(token.to_owned(), (scopes, user));
        });
    }

    /// Makes `access_key` a valid key of a project named `name`.
    pub fn add_access_key(&self, access_key: &str, name: &str) {
        let project = ProjectInfo {
            id: format!("prj_{:04}", self.shared.lock().access_keys.len() + 1),
            name: name.to_owned(),
            slug: name.to_ascii_lowercase().replace(' ', "-"),
        };
        self.notify(|state| {
            state.access_keys.insert(access_key.to_owned(), project);
        });
    }

    /// Makes `api_key` a valid key of the models API (`GET /v1/models`).
    pub fn add_api_key(&self, api_key: &str) {
        self.notify(|state| {
            state.api_keys.insert(api_key.to_owned());
        });
    }

    /// Every device code issued, oldest first.
    pub fn devices(&self) -> Vec<DeviceInfo> {
        self.shared.lock().device_infos()
    }

    /// Waits until at least `count` device codes have been issued; returns the newest.
    pub fn wait_for_device(&self, count: usize, timeout: Duration) -> Option<DeviceInfo> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if state.devices.len() >= count {
                return state.device_infos().pop();
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            state = self.shared.changed.wait_timeout(state, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// Waits until at least `count` token polls have been answered; returns whether they
    /// were. For tests that act at a point in the flow rather than at a time.
    pub fn wait_for_polls(&self, count: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if state.polls_seen >= count {
                return true;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else { return false };
            state = self.shared.changed.wait_timeout(state, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// Waits until a request for `path` has been received; returns whether one was.
    pub fn wait_for_path(&self, path: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if state.log.iter().any(|entry| entry.path == path) {
                return true;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else { return false };
            state = self.shared.changed.wait_timeout(state, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// The requests so far, oldest first (the most recent [`LOG_CAPACITY`] of them).
    pub fn log(&self) -> Vec<LogEntry> {
        self.shared.lock().log.iter().cloned().collect()
    }

    /// How many requests were dropped from the log to keep it bounded.
    pub fn log_dropped(&self) -> u64 {
        self.shared.lock().log_dropped
    }

    /// The token polls so far.
    pub fn polls(&self) -> Vec<LogEntry> {
        self.log().into_iter().filter(|entry| entry.path == routes::TOKEN_PATH).collect()
    }

    /// Blocks until the emulator stops (it stops after [`MAX_REQUESTS`]).
    pub fn wait(mut self) {
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }

    fn notify<T>(&self, change: impl FnOnce(&mut State) -> T) -> T {
        let result = change(&mut self.shared.lock());
        self.shared.changed.notify_all();
        result
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the loop sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>, base_url: String, tls: Option<Arc<rustls::ServerConfig>>) {
    for (accepted, stream) in listener.incoming().enumerate() {
        if shared.stop.load(Ordering::SeqCst) || accepted as u64 >= MAX_REQUESTS {
            break;
        }
        let Ok(stream) = stream else { continue };
        let shared = Arc::clone(&shared);
        let base_url = base_url.clone();
        let tls = tls.clone();
        let _ = thread::Builder::new()
            .name("emulator-conn".into())
            .spawn(move || serve(stream, &shared, &base_url, tls.as_ref()));
    }
}

/// A path as the log keeps it: at most [`MAX_LOGGED_PATH`] bytes.
fn logged_path(path: &str) -> String {
    if path.len() <= MAX_LOGGED_PATH {
        return path.to_owned();
    }
    let mut end = MAX_LOGGED_PATH;
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &path[..end])
}

/// Answers one connection, over TLS when `tls` is set. A failed handshake (a client that
/// does not trust the authority) ends it before any request is read, so nothing is logged.
fn serve(stream: TcpStream, shared: &Shared, base_url: &str, tls: Option<&Arc<rustls::ServerConfig>>) {
    if stream.set_read_timeout(Some(Duration::from_secs(10))).is_err() {
        return;
    }
    match tls {
        None => answer(BufReader::new(stream), shared, base_url),
        Some(config) => {
            let Ok(connection) = rustls::ServerConnection::new(Arc::clone(config)) else { return };
            answer(BufReader::new(rustls::StreamOwned::new(connection, stream)), shared, base_url);
        }
    }
}

fn answer<S: Read + Write>(mut reader: BufReader<S>, shared: &Shared, base_url: &str) {
    let request = match http::read_request(&mut reader) {
        Ok(http::Incoming::Request(request)) => request,
        Ok(http::Incoming::TooLarge(status)) => {
            let _ = http::Response::json(status, &serde_json::json!({ "error": "request too large" }))
                .write_to(reader.get_mut());
            return;
        }
        _ => return,
    };
    let now = shared.clock.now();
    let decision = {
        let mut state = shared.lock();
        let decision = routes::handle(&mut state, &request, base_url, now);
        let status = match &decision.reply {
            Reply::Full(response) | Reply::Truncated(response) => Some(response.status),
            Reply::Drop => None,
        };
        let entry = LogEntry {
            at_ms: state.elapsed_ms(now),
            method: request.method.clone(),
            path: logged_path(&request.path),
            status,
            content_type: request.header("content-type").map(str::to_owned),
            user_agent: request.header("user-agent").map(str::to_owned),
            authorized: request.header("authorization").is_some(),
            bearer_prefix: request.bearer().map(|bearer| bearer.chars().take(12).collect()),
            api_key_prefix: request.header("x-api-key").map(|key| key.chars().take(6).collect()),
            body: String::from_utf8_lossy(&request.body[..request.body.len().min(4096)]).into_owned(),
            note: decision.note.clone(),
        };
        let is_poll = entry.path == routes::TOKEN_PATH;
        state.record(entry, is_poll);
        decision
    };
    shared.changed.notify_all();
    let skew = shared.lock().scenario.date_skew_secs;
    let date = http::http_date(std::time::SystemTime::now(), skew);
    let decision = match decision.reply {
        Reply::Full(response) => Decision { reply: Reply::Full(response.header("Date", &date)), ..decision },
        _ => decision,
    };
    if !decision.delay.is_zero() {
        thread::sleep(decision.delay);
    }
    let stream = reader.get_mut();
    let _ = match decision.reply {
        Reply::Full(response) => response.write_to(stream),
        Reply::Truncated(response) => {
            let half = &response.body[..response.body.len() / 2];
            stream.write_all(&response.head(response.body.len())).and_then(|_| stream.write_all(half))
        }
        Reply::Drop => Ok(()),
    };
    let _ = stream.flush();
}
