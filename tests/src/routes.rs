//! What the emulator answers, endpoint by endpoint.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::http::{percent_encode, Request, Response};
use crate::page;
use crate::scenario::{Breakage, Dialect, Endpoint, Fault, Scenario};
use crate::state::{DeviceGrant, DeviceStatus, ProjectInfo, State};

/// The grant type of device-code polling.
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The models API's list of models, where an API key is checked (`x-api-key`). The
/// emulator serves the models API at `<url>/v1` beside the console's endpoints.
pub const MODELS_PATH: &str = "/v1/models";
/// Where device-flow polls go.
pub(crate) const TOKEN_PATH: &str = "/api/oauth/token";
/// Scopes the API knows: written out here rather than taken from the client's core, so
/// the emulator checks the client independently (`tests/tests/scopes_agree.rs` says when
/// the two lists drift apart).
pub const VALID_SCOPES: [&str; 8] = [
    "inference",
    "projects.read",
    "projects.write",
    "deployments.read",
    "deployments.write",
    "keys.read",
    "keys.write",
    "account.read",
];
/// Scopes granted when a device request names none.
pub const DEFAULT_SCOPES: [&str; 4] = ["inference", "projects.read", "deployments.read", "account.read"];
/// Polls this much sooner than the interval are forgiven (timer and scheduling jitter).
const POLL_TOLERANCE: Duration = Duration::from_millis(250);
/// Appended to server strings in hostile mode: clear screen, retitle the window, bell.
const HOSTILE: &str = "\u{1b}[2J\u{1b}]0;pwned\u{7}";

/// How to answer.
#[derive(Debug)]
pub enum Reply {
    /// Send it all.
    Full(Response),
    /// Close without a word.
    Drop,
    /// Send the head and half the body, then close.
    Truncated(Response),
}

/// The answer to one request, worked out under the state lock.
#[derive(Debug)]
pub struct Decision {
    /// What to send.
    pub reply: Reply,
    /// How long to wait first.
    pub delay: Duration,
    /// A note for the log.
    pub note: Option<String>,
}

impl Decision {
    fn full(response: Response) -> Self {
        Decision { reply: Reply::Full(response), delay: Duration::ZERO, note: None }
    }
}

/// Routes a request.
pub fn handle(state: &mut State, request: &Request, base_url: &str, now: Instant) -> Decision {
    let api_delay = Duration::from_millis(state.scenario.delay_ms);
    let endpoint = match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/api/oauth/device") => Some(Endpoint::Device),
        ("POST", TOKEN_PATH) => Some(Endpoint::Token),
        ("GET", "/api/v1/cli/projects") => Some(Endpoint::Projects),
        ("GET", "/api/v1/cli/project") => Some(Endpoint::Project),
        ("GET", "/api/v1/cli/me") => Some(Endpoint::Me),
        ("GET", MODELS_PATH) => Some(Endpoint::Models),
        _ => None,
    };
    let Some(endpoint) = endpoint else {
        return Decision::full(site(state, request, base_url));
    };
    if let Some(broken) = state.scenario.breakage(endpoint).cloned() {
        if let Some(decision) = broken_answer(&broken, endpoint) {
            return Decision { delay: api_delay + decision.delay, ..decision };
        }
    }
    let mut decision = match endpoint {
        Endpoint::Device => Decision::full(device_authorization(state, request, base_url, now)),
        Endpoint::Token => poll(state, request, now),
        Endpoint::Projects => Decision::full(projects(state, request)),
        Endpoint::Project => Decision::full(project(state, request)),
        Endpoint::Me => Decision::full(me(state, request)),
        Endpoint::Models => Decision::full(models(state, request)),
        Endpoint::Any => unreachable!("not a route"),
    };
    decision.delay += api_delay;
    decision
}

fn broken_answer(breakage: &Breakage, endpoint: Endpoint) -> Option<Decision> {
    let response = match breakage {
        Breakage::MalformedJson => {
            Response::with_type(200, "application/json", b"{\"device_code\": \"abc\", ".to_vec())
        }
        Breakage::Html => Response::with_type(200, "text/html", b"<html><body>Maintenance</body></html>".to_vec()),
        Breakage::ErrorPage { status } => {
            Response::with_type(*status, "text/html", b"<html><body>Bad Gateway</body></html>".to_vec())
        }
        Breakage::Oversized { bytes } => {
            let mut body = b"{\"padding\":\"".to_vec();
            body.resize(*bytes, b'a');
            Response::with_type(200, "application/json", body)
        }
        Breakage::DropMidBody => {
            return Some(Decision {
                reply: Reply::Truncated(Response::json(200, &json!({"padding": "x".repeat(2048)}))),
                delay: Duration::ZERO,
                note: Some("dropped mid-body".into()),
            })
        }
        Breakage::Stall { ms } => {
            return Some(Decision {
                reply: Reply::Drop,
                delay: Duration::from_millis(*ms),
                note: Some("stalled, then dropped".into()),
            })
        }
        Breakage::RedirectTo { location } => {
            Response::with_type(302, "text/plain", Vec::new()).header("Location", location)
        }
        Breakage::MissingAccessToken if endpoint == Endpoint::Token => {
            Response::json(200, &json!({"token_type": "Bearer", "scopes": ["inference"]}))
        }
        Breakage::BadAccessToken if endpoint == Endpoint::Token => {
            Response::json(200, &json!({"access_token": format!("not a token{HOSTILE}"), "token_type": "Bearer"}))
        }
        Breakage::MissingAccessToken | Breakage::BadAccessToken => return None,
    };
    Some(Decision::full(response))
}

fn wrap(scenario: &Scenario, payload: Value) -> Value {
    if scenario.envelope {
        json!({ "data": payload })
    } else {
        payload
    }
}

fn hostile(scenario: &Scenario, text: &str) -> String {
    if scenario.hostile_strings {
        format!("{text}{HOSTILE}")
    } else {
        text.to_owned()
    }
}

fn api_error(scenario: &Scenario, status: u16, code: &str, message: &str) -> Response {
    match scenario.dialect {
        Dialect::Rfc8628 => {
            Response::json(status, &json!({ "error": code, "error_description": hostile(scenario, message) }))
        }
        Dialect::Skytells => Response::json(status, &json!({ "error": hostile(scenario, message), "code": code })),
    }
}

fn device_authorization(state: &mut State, request: &Request, base_url: &str, now: Instant) -> Response {
    let fields = request.fields();
    let scenario = state.scenario.clone();
    if scenario.dialect == Dialect::Rfc8628 && fields.get("client_id") != Some(&scenario.client_id) {
        return api_error(&scenario, 401, "invalid_client", "Unknown client_id");
    }
    let requested = fields.get("scopes").or_else(|| fields.get("scope")).cloned().unwrap_or_default();
    let scopes: Vec<String> = requested.split_whitespace().map(str::to_owned).collect();
    if let Some(unknown) = scopes.iter().find(|scope| !VALID_SCOPES.contains(&scope.as_str())) {
        return api_error(&scenario, 400, "invalid_scope", &format!("Unknown scope {unknown}"));
    }
    let scopes = if scopes.is_empty() { DEFAULT_SCOPES.map(str::to_owned).to_vec() } else { scopes };
    let user_code = hostile(&scenario, &state.mint_user_code());
    let device_code = format!("dc_{:016x}{:016x}", state.next_random(), state.next_random());
    let lifetime = seconds(scenario.expires_in.unwrap_or(900.0));
    let interval = seconds(scenario.interval.unwrap_or(5.0)).min(Duration::from_secs(86_400));
    state.devices.push(DeviceGrant {
        device_code: device_code.clone(),
        user_code: user_code.clone(),
        scopes,
        client: fields.get("client_name").or_else(|| fields.get("client_id")).cloned().unwrap_or_default(),
        issued_at: now,
        expires_at: now + lifetime,
        interval,
        status: DeviceStatus::Pending,
        polls: 0,
        last_poll: None,
        token: None,
    });
    let verification_uri = scenario.verification_uri.clone().unwrap_or_else(|| format!("{base_url}/device"));
    let complete = format!("{base_url}/device?user_code={}", percent_encode(&user_code));
    let mut payload = json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": verification_uri,
        "verification_uri_complete": hostile(&scenario, &complete),
    });
    if let Some(expires_in) = scenario.expires_in {
        payload["expires_in"] = json!(expires_in);
    }
    if let Some(interval) = scenario.interval {
        payload["interval"] = json!(interval);
    }
    if let Some(object) = payload.as_object_mut() {
        for field in &scenario.omit_fields {
            object.remove(field);
        }
    }
    Response::json(200, &wrap(&scenario, payload))
}

fn poll(state: &mut State, request: &Request, now: Instant) -> Decision {
    let fields = request.fields();
    let scenario = state.scenario.clone();
    if fields.get("grant_type").map(String::as_str) != Some(DEVICE_CODE_GRANT) {
        return Decision::full(api_error(&scenario, 400, "unsupported_grant_type", "Unsupported grant_type"));
    }
    if scenario.dialect == Dialect::Rfc8628 && fields.get("client_id") != Some(&scenario.client_id) {
        return Decision::full(api_error(&scenario, 401, "invalid_client", "Unknown client_id"));
    }
    let device_code = fields.get("device_code").cloned().unwrap_or_default();
    let approve_now = {
        let Some(grant) = state.devices.iter_mut().find(|grant| grant.device_code == device_code) else {
            return Decision::full(api_error(&scenario, 400, "invalid_grant", "Invalid device code"));
        };
        grant.polls += 1;
        let previous_poll = grant.last_poll.replace(now);
        if grant.polls <= scenario.fail_first {
            return match scenario.fault {
                Fault::ServerError => Decision {
                    note: Some("injected 503".into()),
                    ..Decision::full(api_error(&scenario, 503, "server_error", "Temporarily unavailable"))
                },
                Fault::DropConnection => {
                    Decision { reply: Reply::Drop, delay: Duration::ZERO, note: Some("injected drop".into()) }
                }
            };
        }
        if grant.status == DeviceStatus::Pending && now >= grant.expires_at {
            grant.status = DeviceStatus::Expired;
        }
        let too_early = previous_poll.is_some_and(|previous| now + POLL_TOLERANCE < previous + grant.interval);
        let scripted_slow_down = grant.polls <= scenario.fail_first + scenario.slow_down_first;
        if grant.status == DeviceStatus::Pending && (scripted_slow_down || (scenario.enforce_interval && too_early)) {
            grant.interval += Duration::from_secs(5);
            let note =
                if scripted_slow_down { "scripted slow_down" } else { "slow_down: polled sooner than the interval" };
            let response = match scenario.dialect {
                Dialect::Skytells => api_error(&scenario, 429, "slow_down", "Polling too fast, slow down"),
                Dialect::Rfc8628 => api_error(&scenario, 400, "slow_down", "Polling too fast, slow down"),
            };
            return Decision { note: Some(note.into()), ..Decision::full(response) };
        }
        let polls_answered = grant.polls - 1;
        grant.status == DeviceStatus::Pending
            && (scenario.auto_approve_after.is_some_and(|after| now >= grant.issued_at + seconds(after))
                || scenario.approve_after_polls.is_some_and(|count| polls_answered >= count))
    };
    if approve_now {
        let user_code =
            state.devices.iter().find(|grant| grant.device_code == device_code).map(|g| g.user_code.clone());
        if let Some(user_code) = user_code {
            state.approve(&user_code);
        }
    }
    let Some(grant) = state.devices.iter_mut().find(|grant| grant.device_code == device_code) else {
        return Decision::full(api_error(&scenario, 400, "invalid_grant", "Invalid device code"));
    };
    let rfc = scenario.dialect == Dialect::Rfc8628;
    let response = match grant.status {
        DeviceStatus::Pending if rfc => api_error(&scenario, 400, "authorization_pending", "Authorization pending"),
        DeviceStatus::Pending => api_error(&scenario, 428, "authorization_pending", "Authorization pending"),
        DeviceStatus::Denied if rfc => api_error(&scenario, 400, "access_denied", "The user denied the request"),
        DeviceStatus::Denied => api_error(&scenario, 403, "access_denied", "The user denied the request"),
        DeviceStatus::Expired if rfc => api_error(&scenario, 400, "expired_token", "The device code expired"),
        DeviceStatus::Expired => api_error(&scenario, 410, "expired_token", "The device code expired"),
        DeviceStatus::Redeemed => api_error(&scenario, 400, "invalid_grant", "The device code was already used"),
        DeviceStatus::Approved => {
            grant.status = DeviceStatus::Redeemed;
            let token = grant.token.clone().unwrap_or_default();
            let payload = if rfc {
                json!({ "access_token": token, "token_type": "bearer", "scope": grant.scopes.join(" ") })
            } else {
                json!({ "access_token": token, "token_type": "Bearer", "scopes": grant.scopes })
            };
            Response::json(200, &wrap(&scenario, payload))
        }
    };
    Decision::full(response)
}

/// A knob's seconds as a duration the emulator can add to an instant: zero for anything
/// not positive, and never past [`crate::scenario::MAX_SECONDS`].
fn seconds(value: f64) -> Duration {
    if value.is_nan() || value <= 0.0 {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(value.min(crate::scenario::MAX_SECONDS))
}

fn unauthorized(scenario: &Scenario, what: &str) -> Response {
    Response::json(
        401,
        &json!({ "error": "Unauthorized", "message": hostile(scenario, &format!("Invalid or expired {what}")) }),
    )
}

fn projects(state: &State, request: &Request) -> Response {
    let scenario = &state.scenario;
    let Some((scopes, _user)) = request.bearer().and_then(|token| state.tokens.get(token)) else {
        return unauthorized(scenario, "token");
    };
    if !scopes.iter().any(|scope| scope == "projects.read") {
        return Response::json(
            403,
            &json!({ "error": "Insufficient scope", "message": "This token lacks projects.read", "required_scope": "projects.read" }),
        );
    }
    let list: Vec<&ProjectInfo> = state.access_keys.values().collect();
    Response::json(200, &json!({ "data": list }))
}

fn project(state: &State, request: &Request) -> Response {
    match request.bearer().and_then(|key| state.access_keys.get(key)) {
        Some(project) => {
            let name = hostile(&state.scenario, &project.name);
            Response::json(200, &json!({ "data": { "id": project.id, "name": name, "slug": project.slug } }))
        }
        None => unauthorized(&state.scenario, "access key"),
    }
}

fn me(state: &State, request: &Request) -> Response {
    match request.bearer().and_then(|token| state.tokens.get(token)) {
        Some((_, user)) => {
            let name = hostile(&state.scenario, &user.name);
            Response::json(200, &json!({ "data": { "id": user.id, "name": name, "email": user.email } }))
        }
        None => unauthorized(&state.scenario, "token"),
    }
}

fn models(state: &State, request: &Request) -> Response {
    let scenario = &state.scenario;
    match request.header("x-api-key") {
        Some(key) if state.api_keys.contains(key) => {
            let list = json!([
                { "id": "flux-1.1-pro", "object": "model", "owned_by": "skytells" },
                { "id": "truefusion", "object": "model", "owned_by": "skytells" }
            ]);
            Response::json(200, &json!({ "object": "list", "data": list }))
        }
        Some(_) => Response::json(
            401,
            &json!({ "error": "Unauthorized", "message": hostile(scenario, "Invalid or revoked API key") }),
        ),
        None => Response::json(401, &json!({ "error": "Unauthorized", "message": "Missing x-api-key header" })),
    }
}

/// The verification page and the control interface.
fn site(state: &mut State, request: &Request, base_url: &str) -> Response {
    let fields = request.fields();
    let user_code = || fields.get("user_code").cloned().unwrap_or_default();
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/device") => {
            let prefill = request.query.get("user_code").cloned().unwrap_or_default();
            Response::with_type(200, "text/html; charset=utf-8", page::form(base_url, &prefill).into_bytes())
        }
        ("POST", "/device") => {
            let code = user_code();
            let approve = fields.get("decision").map(String::as_str) != Some("deny");
            let done = if approve { state.approve(&code) } else { state.decide(&code, DeviceStatus::Denied) };
            let (status, html) = page::result(&code, approve, done);
            Response::with_type(status, "text/html; charset=utf-8", html.into_bytes())
        }
        ("GET", "/_emulator/devices") => Response::json(200, &json!(state.device_infos())),
        ("GET", "/_emulator/log") => Response::json(200, &json!(state.log)),
        ("GET", "/_emulator/scenario") => Response::json(200, &json!(state.scenario)),
        ("PUT", "/_emulator/scenario") | ("POST", "/_emulator/scenario") => {
            match serde_json::from_slice::<Scenario>(&request.body).map_err(|error| error.to_string()) {
                Ok(scenario) => match scenario.validate() {
                    Ok(()) => {
                        state.scenario = scenario;
                        Response::json(200, &json!(state.scenario))
                    }
                    Err(problem) => Response::json(400, &json!({ "error": problem })),
                },
                Err(problem) => Response::json(400, &json!({ "error": problem })),
            }
        }
        ("POST", "/_emulator/approve") => control_result(state.approve(&user_code())),
        ("POST", "/_emulator/deny") => control_result(state.decide(&user_code(), DeviceStatus::Denied)),
        ("POST", "/_emulator/expire") => control_result(state.decide(&user_code(), DeviceStatus::Expired)),
        ("POST", "/_emulator/tokens") => {
            let token = fields.get("token").cloned().unwrap_or_default();
            let scopes = fields.get("scopes").map(|list| list.split_whitespace().map(str::to_owned).collect());
            let scopes = scopes.unwrap_or_else(|| VALID_SCOPES.map(str::to_owned).to_vec());
            state.tokens.insert(token, (scopes, state.scenario.user.clone()));
            Response::json(200, &json!({ "ok": true }))
        }
        ("POST", "/_emulator/api-keys") => {
            state.api_keys.insert(fields.get("api_key").cloned().unwrap_or_default());
            Response::json(200, &json!({ "ok": true }))
        }
        ("POST", "/_emulator/access-keys") => {
            let key = fields.get("access_key").cloned().unwrap_or_default();
            let name = fields.get("name").cloned().unwrap_or_else(|| "Demo Project".into());
            let project = ProjectInfo {
                id: fields.get("id").cloned().unwrap_or_else(|| "prj_0001".into()),
                slug: name.to_ascii_lowercase().replace(' ', "-"),
                name,
            };
            state.access_keys.insert(key, project);
            Response::json(200, &json!({ "ok": true }))
        }
        _ => Response::json(404, &json!({ "error": "Not found" })),
    }
}

fn control_result(done: bool) -> Response {
    if done {
        Response::json(200, &json!({ "ok": true }))
    } else {
        Response::json(404, &json!({ "error": "no pending device code with that user code" }))
    }
}
