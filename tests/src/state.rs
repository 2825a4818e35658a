//! What the emulator remembers: device codes, tokens, access keys, and every request.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::scenario::{Scenario, User};

/// Where a device code stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// Waiting for the person.
    Pending,
    /// Approved; the next poll gets the token.
    Approved,
    /// Denied.
    Denied,
    /// Expired (by time or by the control interface).
    Expired,
    /// The token was handed out; the code is spent.
    Redeemed,
}

/// One device authorization.
#[derive(Debug, Clone)]
pub struct DeviceGrant {
    /// The secret code the client polls with.
    pub device_code: String,
    /// The code the person types.
    pub user_code: String,
    /// Scopes asked for.
    pub scopes: Vec<String>,
    /// The `client_name` or `client_id` the client gave.
    pub client: String,
    /// When it was issued.
    pub issued_at: Instant,
    /// When it expires.
    pub expires_at: Instant,
    /// The interval the server currently expects (grows with slow_down).
    pub interval: Duration,
    /// Its state.
    pub status: DeviceStatus,
    /// Polls so far.
    pub polls: u32,
    /// When the last poll arrived.
    pub last_poll: Option<Instant>,
    /// The token minted at approval.
    pub token: Option<String>,
}

/// A device authorization as the control interface reports it.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceInfo {
    /// The code the person types.
    pub user_code: String,
    /// Its state.
    pub status: DeviceStatus,
    /// Scopes asked for.
    pub scopes: Vec<String>,
    /// Who asked.
    pub client: String,
    /// Polls so far.
    pub polls: u32,
}

/// A project an access key opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ProjectInfo {
    /// Project id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Slug.
    pub slug: String,
}

/// The most requests the log keeps; older ones are dropped and counted, so that a long
/// run (or a flood) cannot grow the emulator without bound.
pub const LOG_CAPACITY: usize = 2_000;

/// The longest path kept in a log entry; longer ones are cut with `…`.
pub const MAX_LOGGED_PATH: usize = 1024;

/// One request as the emulator saw it.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    /// Milliseconds since the emulator started.
    pub at_ms: f64,
    /// Method.
    pub method: String,
    /// Path, without query.
    pub path: String,
    /// Status answered; `None` when the connection was dropped instead.
    pub status: Option<u16>,
    /// The request's content type.
    pub content_type: Option<String>,
    /// The request's user agent.
    pub user_agent: Option<String>,
    /// Whether the request carried `Authorization`.
    pub authorized: bool,
    /// The first 12 characters of the bearer credential it carried (`sk_pat_abab`,
    /// say): enough to tell which credential reached this API, not enough to use it.
    pub bearer_prefix: Option<String>,
    /// The first 6 characters of the `x-api-key` it carried, the same way.
    pub api_key_prefix: Option<String>,
    /// The request body (first 4 KiB, lossy UTF-8).
    pub body: String,
    /// What the emulator made of it, when notable (`slow_down: polled too early`).
    pub note: Option<String>,
}

/// All mutable state, behind the emulator's lock.
#[derive(Debug)]
pub struct State {
    /// The knobs.
    pub scenario: Scenario,
    /// Device authorizations, oldest first.
    pub devices: Vec<DeviceGrant>,
    /// Valid personal access tokens and their scopes and owner.
    pub tokens: BTreeMap<String, (Vec<String>, User)>,
    /// Valid access keys and their projects.
    pub access_keys: BTreeMap<String, ProjectInfo>,
    /// Valid API keys of the models API (`x-api-key` on `GET /v1/models`).
    pub api_keys: std::collections::BTreeSet<String>,
    /// The most recent requests, at most [`LOG_CAPACITY`].
    pub log: VecDeque<LogEntry>,
    /// How many older requests were dropped from the log to keep it bounded.
    pub log_dropped: u64,
    /// Token polls received, ever (the log may have dropped some).
    pub polls_seen: usize,
    started: Instant,
    counter: u64,
}

impl State {
    /// Fresh state under `scenario`.
    pub fn new(scenario: Scenario, started: Instant) -> Self {
        State {
            scenario,
            devices: Vec::new(),
            tokens: BTreeMap::new(),
            access_keys: BTreeMap::new(),
            api_keys: std::collections::BTreeSet::new(),
            log: VecDeque::new(),
            log_dropped: 0,
            polls_seen: 0,
            started,
            counter: 0,
        }
    }

    /// Adds a request to the log, dropping the oldest one past [`LOG_CAPACITY`].
    pub fn record(&mut self, entry: LogEntry, is_poll: bool) {
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
            self.log_dropped += 1;
        }
        self.log.push_back(entry);
        self.polls_seen += usize::from(is_poll);
    }

    /// Milliseconds since start.
    pub fn elapsed_ms(&self, at: Instant) -> f64 {
        at.duration_since(self.started).as_secs_f64() * 1000.0
    }

    /// A fresh value from a counter-seeded generator: unique per emulator, not secret.
    pub fn next_random(&mut self) -> u64 {
        self.counter += 1;
        let nanos = self.started.elapsed().as_nanos() as u64;
        splitmix64(self.counter.wrapping_mul(0x9E37_79B9).wrapping_add(nanos))
    }

    /// A new `sk_pat_` token.
    pub fn mint_token(&mut self) -> String {
        let hex: String = (0..4).map(|_| format!("{:016x}", self.next_random())).collect();
        format!("sk_pat_{hex}")
    }

    /// A new user code in the `ABCD-1234` shape, from letters that cannot be misread.
    pub fn mint_user_code(&mut self) -> String {
        const LETTERS: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
        let random = self.next_random();
        let letters: String = (0..4).map(|i| LETTERS[((random >> (i * 8)) % 20) as usize] as char).collect();
        format!("{letters}-{:04}", (random >> 32) % 10_000)
    }

    /// The grant with this user code, ignoring case, spaces and the dash.
    pub fn device_by_user_code(&mut self, user_code: &str) -> Option<&mut DeviceGrant> {
        let wanted = normalize_user_code(user_code);
        self.devices.iter_mut().rev().find(|grant| normalize_user_code(&grant.user_code) == wanted)
    }

    /// Approves a pending code, minting its token. Returns whether it was pending.
    pub fn approve(&mut self, user_code: &str) -> bool {
        let token = self.mint_token();
        let user = self.scenario.user.clone();
        let Some(grant) = self.device_by_user_code(user_code) else { return false };
        if grant.status != DeviceStatus::Pending {
            return false;
        }
        grant.status = DeviceStatus::Approved;
        grant.token = Some(token.clone());
        let scopes = grant.scopes.clone();
        self.tokens.insert(token, (scopes, user));
        true
    }

    /// Denies or expires a pending code. Returns whether it was pending.
    pub fn decide(&mut self, user_code: &str, status: DeviceStatus) -> bool {
        match self.device_by_user_code(user_code) {
            Some(grant) if grant.status == DeviceStatus::Pending => {
                grant.status = status;
                true
            }
            _ => false,
        }
    }

    /// What the control interface shows of each code.
    pub fn device_infos(&self) -> Vec<DeviceInfo> {
        self.devices
            .iter()
            .map(|grant| DeviceInfo {
                user_code: grant.user_code.clone(),
                status: grant.status,
                scopes: grant.scopes.clone(),
                client: grant.client.clone(),
                polls: grant.polls,
            })
            .collect()
    }
}

/// Upper-case letters and digits only.
pub fn normalize_user_code(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
