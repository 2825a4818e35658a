//! The one request each API gets: reachable, how fast, its TLS, its clock, and whether
//! the credential that belongs to it is accepted; and the route it takes (a proxy or not).

use std::time::Instant;

use skytells_auth::skytells::{
    clock_skew_secs, messages, parse_http_date, ApiBase, ApiConfig, ApiError, Sourced, MAX_CLOCK_SKEW_SECS,
};
use skytells_auth::{Exchange, RequestError, Secret, TransportErrorKind};
use skytells_auth_blocking::{BlockingDriver, ProxyRoute};

use crate::context::{describe_source, Context};

use super::{fail, pass, Check};

/// An exchange's answer, the server's `Date` (seconds since 1970) and the time it took.
pub(super) type Timed<T> = Result<(Result<T, ApiError>, Option<u64>, u128), RequestError>;

/// One API's round trip: whether its credential was accepted (`None`: no credential was
/// sent), the server's `Date` and the time it took.
pub(super) type Answer = Result<(Option<Result<(), ApiError>>, Option<u64>, u128), RequestError>;

pub(super) fn checked<T>(timed: Timed<T>) -> Answer {
    timed.map(|(value, date, ms)| (Some(value.map(|_| ())), date, ms))
}

pub(super) fn probed<T>(timed: Timed<T>) -> Answer {
    timed.map(|(_, date, ms)| (None, date, ms))
}

pub(super) fn timed<E: Exchange<Error = ApiError>>(driver: &BlockingDriver, exchange: &E) -> Timed<E::Output> {
    let transmit = exchange.transmit().map_err(|error| match error {
        ApiError::Request(error) => error,
        other => RequestError::InvalidRequest(other.to_string()),
    })?;
    let started = Instant::now();
    let response = driver.send(transmit).map_err(RequestError::Transport)?;
    let elapsed = started.elapsed().as_millis();
    let date = response.headers().get("date").and_then(|value| value.to_str().ok()).and_then(parse_http_date);
    Ok((exchange.interpret(response), date, elapsed))
}

/// Which API a check is about.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Which {
    /// The console (`SKYTELLS_API_URL`): the token and the access key.
    Console,
    /// The models API (`SKYTELLS_AI_API_URL`): the API key.
    Models,
}

impl Which {
    /// The checks' names: reachable, TLS, clock, credential accepted; and the credential.
    fn names(self) -> [&'static str; 5] {
        match self {
            Which::Console => ["API reachable", "TLS", "clock", "token accepted", "token"],
            Which::Models => {
                ["models API reachable", "TLS (models API)", "clock (models API)", "API key accepted", "API key"]
            }
        }
    }
}

pub(super) fn answer_checks(
    context: &Context,
    driver: &BlockingDriver,
    which: Which,
    api: &ApiConfig,
    answer: Answer,
) -> Vec<Check> {
    let [reach, tls, clock, accepted, credential] = which.names();
    let url = api.base.as_str();
    let (verdict, date, ms) = match answer {
        Ok(answer) => answer,
        Err(RequestError::Transport(error)) if error.kind == TransportErrorKind::UntrustedCertificate => {
            return vec![match route(context, driver, &api.base) {
                Route::Proxy(proxy) => fail(
                    tls,
                    format!(
                        "{url}: the certificate is not trusted: {}; the connection goes through the proxy {}, so a TLS-inspecting proxy is the likely cause",
                        error.detail,
                        proxy.url
                    ),
                    format!(
                        "Ask your network administrator for the proxy's root certificate and set SSL_CERT_FILE to a PEM file with it (or unset {} if this proxy should not be used). Nothing was sent.",
                        proxy.variable.unwrap_or("the proxy variable")
                    ),
                ),
                _ => fail(
                    tls,
                    format!("{url}: the certificate is not trusted: {}", error.detail),
                    "If your network inspects TLS (a corporate proxy), set SSL_CERT_FILE to a PEM file with its root certificate. Nothing was sent.",
                ),
            }];
        }
        Err(error) => {
            let fix = match route(context, driver, &api.base) {
                Route::Proxy(proxy) => format!(
                    "Check the proxy {} (from {}) and your network connection, or unset it if it should not be used.",
                    proxy.url,
                    proxy.variable.unwrap_or("your settings")
                ),
                _ => "Check your network connection and the URL above.".to_owned(),
            };
            return vec![fail(reach, format!("{url}: {}", messages::request_error(&error)), fix)];
        }
    };
    let sent = if verdict.is_some() { format!("with the {credential}") } else { "with no credential".to_owned() };
    let mut checks = vec![pass(reach, format!("{url} answered in {ms} ms ({sent})"))];
    if api.base.as_str().starts_with("https://") {
        checks.push(pass(tls, format!("the certificate of {url} verifies")));
    }
    checks.push(match date {
        Some(date) => {
            let skew = clock_skew_secs(date, context.now_ms());
            if skew.unsigned_abs() > MAX_CLOCK_SKEW_SECS {
                let way = if skew > 0 { "ahead of" } else { "behind" };
                fail(
                    clock,
                    format!("this machine's clock is {} s {way} the API's", skew.unsigned_abs()),
                    "Set the clock right (enable time synchronisation: `timedatectl set-ntp true` on Linux).",
                )
            } else {
                pass(clock, format!("within {} s of the API's", skew.unsigned_abs()))
            }
        }
        None => pass(clock, "not checked (the API sent no Date)"),
    });
    match verdict {
        None => {}
        Some(Ok(())) => checks.push(pass(accepted, format!("the {credential} was accepted by {url}"))),
        Some(Err(error)) if error.credential_is_genuine() => {
            checks.push(fail(accepted, format!("accepted, but: {}", error), messages::api_error(&error)))
        }
        Some(Err(error)) => checks.push(fail(accepted, format!("{url}: {error}"), messages::api_error(&error))),
    }
    checks
}

pub(super) fn described(found: &Sourced<Secret>) -> String {
    format!("{} from {}", found.value.redacted(), describe_source(found.source))
}

pub(super) fn fix_for_credential(what: &str) -> String {
    match what {
        "token" => "Run `skytells login`, or set SKYTELLS_TOKEN to a valid token (sk_pat_ and 64 hex characters).",
        "access key" => "Run `skytells link sk_proj_your_access_key`, or fix or unset SKYTELLS_ACCESS_KEY.",
        _ => "Run `skytells api-key set`, or fix or unset SKYTELLS_API_KEY.",
    }
    .to_owned()
}

/// How requests to an API leave this machine.
pub(super) enum Route {
    /// The API is on this machine: never through a proxy.
    Local,
    /// Through this proxy.
    Proxy(ProxyRoute),
    /// Straight to the API, though a proxy is set: `NO_PROXY` exempts it.
    Exempt,
    /// Straight to the API: no proxy is set.
    Direct,
}

impl Route {
    pub(super) fn describe(&self, url: &str) -> String {
        match self {
            Route::Local => format!("direct: {url} is this machine, never proxied"),
            Route::Proxy(proxy) => {
                format!("{url} goes through the proxy {} (from {})", proxy.url, proxy.variable.unwrap_or("settings"))
            }
            Route::Exempt => format!("direct: NO_PROXY exempts {url} from the proxy that is set"),
            Route::Direct => format!("direct: no proxy is set (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY) for {url}"),
        }
    }
}

/// Whether requests to `base` go through a proxy, and which: the driver's own decision.
pub(super) fn route(context: &Context, driver: &BlockingDriver, base: &ApiBase) -> Route {
    let Ok(uri) = base.as_str().parse::<skytells_auth::http::Uri>() else { return Route::Direct };
    if uri.host().is_some_and(skytells_auth::is_loopback_address) {
        return Route::Local;
    }
    match driver.proxy_for(&uri) {
        Some(proxy) => Route::Proxy(proxy),
        None => {
            let names = ["ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"];
            if names.iter().any(|name| context.var(name).is_some()) {
                Route::Exempt
            } else {
                Route::Direct
            }
        }
    }
}
