//! `skytells auth doctor`: every way a login can fail, checked in one command. Each check
//! says ✔ or ✖ and, for ✖, what to do. One request per API at most, each carrying only the
//! credential that belongs to that API's origin.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use skytells_auth::skytells::{
    clock_skew_secs, messages, parse_http_date, ApiBase, ApiConfig, ApiError, FetchIdentity, ProbeApi, SecretKind,
    Sourced, VerifyApiKey, MAX_CLOCK_SKEW_SECS,
};
use skytells_auth::{Exchange, RequestError, Secret, TransportErrorKind};
use skytells_auth_blocking::{BlockingDriver, ProxyRoute, TrustedRoots};
use skytells_auth_store::{CredentialStore, LogoutScope, MAX_FILE_BYTES};

use crate::context::{describe_source, Context};
use crate::error::{describe_store_error, exit, CliError};

#[derive(Debug, Serialize)]
struct Check {
    name: &'static str,
    ok: bool,
    detail: String,
    fix: Option<String>,
}

fn pass(name: &'static str, detail: impl Into<String>) -> Check {
    Check { name, ok: true, detail: detail.into(), fix: None }
}

fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
    Check { name, ok: false, detail: detail.into(), fix: Some(fix.into()) }
}

#[derive(Serialize)]
struct DoctorJson<'a> {
    schema: u32,
    ok: bool,
    checks: &'a [Check],
}

/// Runs `skytells auth doctor`.
pub fn run(context: &Context, json: bool) -> Result<(), CliError> {
    let mut checks = Vec::new();
    let store = context.store()?;
    checks.extend(folder_checks(context, &store));
    let file = match store.load() {
        Ok((credentials, _)) => credentials,
        Err(_) => None,
    };
    let (console, models) = (context.api(), context.models_api());
    let driver = context.driver();
    for (name, api, variable) in
        [("API URL", &console, "SKYTELLS_API_URL"), ("models API URL", &models, "SKYTELLS_AI_API_URL")]
    {
        checks.push(match api {
            Ok(api) => pass(name, api.base.as_str()),
            Err(error) => fail(name, error.message.clone(), format!("Fix or unset {variable}.")),
        });
    }
    for (name, api) in [("proxy", &console), ("proxy (models API)", &models)] {
        if let Ok(api) = api {
            checks.push(pass(name, route(context, &driver, &api.base).describe(api.base.as_str())));
        }
    }
    let roots = TrustedRoots::from_machine();
    checks
        .push(pass("trusted authorities", format!("{} ({} certificates)", roots.source(), roots.certificates().len())));

    // Which credential each command would use, and why.
    let mut token = None;
    let mut api_key = None;
    if let Ok(api) = &console {
        let (resolved, troubles) =
            context.resolve(&store, file.as_ref(), &api.base, &[SecretKind::Token, SecretKind::AccessKey]);
        let trouble = |kind| troubles.iter().find(|trouble| trouble.kind == kind).map(|t| t.message.clone());
        checks.push(match (resolved.require_token(), trouble(SecretKind::Token)) {
            (Ok(found), _) => {
                token = Some(found.clone());
                pass("token", described(found))
            }
            (Err(_), Some(message)) => fail("token", "kept in the system keyring, which could not be read", message),
            (Err(problem), None) => fail("token", problem.to_string(), fix_for_credential("token")),
        });
        checks.push(
            match (resolved.access_key.as_ref(), resolved.require_access_key(), trouble(SecretKind::AccessKey)) {
                (_, Ok(found), _) => pass("access key", described(found)),
                (_, Err(_), Some(message)) => {
                    fail("access key", "kept in the system keyring, which could not be read", message)
                }
                (None, Err(_), None) => pass("access key", "none linked (needed only for project commands)"),
                (Some(_), Err(problem), None) => {
                    fail("access key", problem.to_string(), fix_for_credential("access key"))
                }
            },
        );
    }
    if let Ok(models) = &models {
        let (resolved, trouble) = context.resolve_api_key(&store, file.as_ref(), &models.base);
        checks.push(match (resolved.api_key.as_ref(), resolved.require(), trouble) {
            (_, Ok(found), _) => {
                api_key = Some(found.clone());
                pass("API key", described(found))
            }
            (_, Err(_), Some(trouble)) => {
                fail("API key", "kept in the system keyring, which could not be read", trouble.message)
            }
            (None, Err(_), None) => pass("API key", "none (needed only for the models API)"),
            (Some(_), Err(problem), None) => fail("API key", problem.to_string(), fix_for_credential("API key")),
        });
    }
    checks.extend(keyring_checks(&store, file.as_ref().is_some_and(|file| !file.keyring_entries().is_empty())));

    // One round trip per API, at once; each carries only its own credential, and an API
    // with none (or none of its own) gets a request that carries nothing.
    let (console_answer, models_answer) = std::thread::scope(|scope| {
        let models_answer = models.as_ref().ok().map(|models| {
            let driver = &driver;
            let key = api_key.as_ref();
            scope.spawn(move || match key {
                Some(key) => checked(timed(driver, &VerifyApiKey { config: models, api_key: &key.value })),
                None => probed(timed(driver, &ProbeApi { config: models })),
            })
        });
        let console_answer = console.as_ref().ok().map(|api| match &token {
            Some(token) => checked(timed(&driver, &FetchIdentity { config: api, token: &token.value })),
            None => probed(timed(&driver, &ProbeApi { config: api })),
        });
        (
            console_answer,
            models_answer.map(|thread| thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))),
        )
    });
    if let (Ok(api), Some(answer)) = (&console, console_answer) {
        checks.extend(answer_checks(context, &driver, Which::Console, api, answer));
    }
    if let (Ok(api), Some(answer)) = (&models, models_answer) {
        checks.extend(answer_checks(context, &driver, Which::Models, api, answer));
    }
    let ok = checks.iter().all(|check| check.ok);
    if json {
        context.print_json(&DoctorJson { schema: 1, ok, checks: &checks })?;
    } else {
        let terminal = &context.terminal;
        let mut text = String::new();
        for check in &checks {
            let mark = if check.ok { terminal.green("✔") } else { terminal.red("✖") };
            text.push_str(&format!("{mark} {}: {}\n", check.name, check.detail));
            if let Some(fix) = &check.fix {
                text.push_str(&format!("    fix: {fix}\n"));
            }
        }
        context.write_stdout(text.as_bytes())?;
    }
    if ok {
        Ok(())
    } else {
        let failed = checks.iter().filter(|check| !check.ok).count();
        let message =
            if json { String::new() } else { format!("{failed} check(s) failed; each ✖ above says what to do") };
        Err(CliError { message, code: exit::FAILURE })
    }
}

/// An exchange's answer, the server's `Date` (seconds since 1970) and the time it took.
type Timed<T> = Result<(Result<T, ApiError>, Option<u64>, u128), RequestError>;

/// One API's round trip: whether its credential was accepted (`None`: no credential was
/// sent), the server's `Date` and the time it took.
type Answer = Result<(Option<Result<(), ApiError>>, Option<u64>, u128), RequestError>;

fn checked<T>(timed: Timed<T>) -> Answer {
    timed.map(|(value, date, ms)| (Some(value.map(|_| ())), date, ms))
}

fn probed<T>(timed: Timed<T>) -> Answer {
    timed.map(|(_, date, ms)| (None, date, ms))
}

fn timed<E: Exchange<Error = ApiError>>(driver: &BlockingDriver, exchange: &E) -> Timed<E::Output> {
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
enum Which {
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

fn answer_checks(
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

fn described(found: &Sourced<Secret>) -> String {
    format!("{} from {}", found.value.redacted(), describe_source(found.source))
}

fn fix_for_credential(what: &str) -> String {
    match what {
        "token" => "Run `skytells login`, or set SKYTELLS_TOKEN to a valid token (sk_pat_ and 64 hex characters).",
        "access key" => "Run `skytells link sk_proj_your_access_key`, or fix or unset SKYTELLS_ACCESS_KEY.",
        _ => "Run `skytells api-key set`, or fix or unset SKYTELLS_API_KEY.",
    }
    .to_owned()
}

/// How requests to an API leave this machine.
enum Route {
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
    fn describe(&self, url: &str) -> String {
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
fn route(context: &Context, driver: &BlockingDriver, base: &ApiBase) -> Route {
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

fn folder_checks(context: &Context, store: &CredentialStore) -> Vec<Check> {
    use std::os::unix::fs::MetadataExt;
    let mut checks = Vec::new();
    let dir = store.path().parent().map(Path::to_path_buf).unwrap_or_default();
    let shown = context.display_path(&dir);
    let me = rustix::process::geteuid().as_raw();
    checks.push(match std::fs::symlink_metadata(&dir) {
        Err(_) => pass("config folder", format!("{shown} does not exist yet (made at the first login)")),
        Ok(meta) if meta.file_type().is_symlink() => match std::fs::metadata(&dir) {
            Ok(target) if target.is_dir() => {
                folder_mode_check(&shown, target.uid(), target.mode(), me, " (through a symbolic link)")
            }
            _ => fail(
                "config folder",
                format!("{shown} is a symbolic link to no folder"),
                format!("Remove the link: rm {shown}"),
            ),
        },
        Ok(meta) if !meta.is_dir() => {
            fail("config folder", format!("{shown} is not a folder"), format!("Move it aside: mv {shown} {shown}.old"))
        }
        Ok(meta) => folder_mode_check(&shown, meta.uid(), meta.mode(), me, ""),
    });
    for path in [store.path().to_path_buf(), store.origins_path()] {
        let shown = context.display_path(&path);
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        checks.push(if meta.file_type().is_symlink() {
            fail(
                "credentials file",
                format!("{shown} is a symbolic link, which is never followed"),
                format!("Remove it (rm {shown}) and log in again."),
            )
        } else if !meta.is_file() {
            fail("credentials file", format!("{shown} is not a file"), format!("Move it aside: mv {shown} {shown}.old"))
        } else if meta.uid() != me {
            fail(
                "credentials file",
                format!("{shown} belongs to another user (uid {})", meta.uid()),
                format!("Remove it (rm {shown}) and log in again."),
            )
        } else if meta.mode() & 0o077 != 0 {
            fail(
                "credentials file",
                format!("{shown} is readable by others (mode {:04o})", meta.mode() & 0o7777),
                format!("chmod 600 {shown}"),
            )
        } else if meta.len() > MAX_FILE_BYTES {
            fail(
                "credentials file",
                format!("{shown} is {} bytes, larger than any credentials file", meta.len()),
                "Run `skytells logout --all` to remove it, then log in again.",
            )
        } else {
            pass("credentials file", format!("{shown} (mode 0600, {} bytes)", meta.len()))
        });
    }
    if let Err(error) = store.load() {
        checks.push(fail("credentials parse", describe_store_error(&error), "Run `skytells logout --all` to remove the unreadable file (the next login keeps a copy of it), then log in again."));
    }
    checks
}

fn folder_mode_check(shown: &str, owner: u32, mode: u32, me: u32, how: &str) -> Check {
    if owner != me {
        return fail(
            "config folder",
            format!("{shown}{how} belongs to another user (uid {owner})"),
            "Set SKYTELLS_CONFIG_DIR to a folder of your own.",
        );
    }
    if mode & 0o077 != 0 {
        return fail(
            "config folder",
            format!("{shown}{how} is open to other users (mode {:04o})", mode & 0o7777),
            format!("chmod 700 {shown}"),
        );
    }
    pass("config folder", format!("{shown}{how} (mode 0700, yours)"))
}

/// The keyring step by step: session bus, provider, locked, this program's items, orphans.
/// Each is informational (✔) when no login points into the keyring; ✖ only when one does
/// and the keyring cannot give it back.
fn keyring_checks(store: &CredentialStore, in_use: bool) -> Vec<Check> {
    use skytells_auth::skytells::KeyringEntry;
    use skytells_auth_store::KeyringError;
    let probe = crate::keyring::system().probe(KeyringEntry::SERVICE);
    let usage = if in_use { "a login is kept there" } else { "no login is kept there" };
    let instead = "or run `skytells login` (and `skytells api-key set`) without --keyring to keep the secrets in the credentials file";
    let verdict = |name: &'static str, detail: String, fix: String| {
        if in_use {
            fail(name, detail, fix)
        } else {
            pass(name, format!("{detail} (not needed: {usage})"))
        }
    };
    let mut checks = Vec::new();
    if !probe.has_bus {
        checks.push(pass("keyring", format!("the system keyring; {usage}")));
    }
    match &probe.bus {
        None => {}
        Some(Ok(())) => checks.push(pass("keyring session bus", "DBUS_SESSION_BUS_ADDRESS names a bus of yours")),
        Some(Err(error)) => {
            let fix = match error {
                KeyringError::Unavailable(why)
                    if why.contains("another user") || why.contains("only a local socket") =>
                {
                    format!("Point DBUS_SESSION_BUS_ADDRESS at your own session bus (unset it, then log in to the desktop session), {instead}.")
                }
                _ => format!("Run skytells in your desktop session, where DBUS_SESSION_BUS_ADDRESS is set, {instead}."),
            };
            checks.push(verdict("keyring session bus", error.to_string(), fix));
        }
    }
    match &probe.provider {
        None => {}
        Some(Ok(())) => checks.push(pass("keyring provider", "a Secret Service answers on the session bus")),
        Some(Err(error)) => checks.push(verdict(
            "keyring provider",
            error.to_string(),
            format!("Start a keyring that provides the Secret Service (GNOME Keyring, KWallet, KeePassXC), {instead}."),
        )),
    }
    match &probe.locked {
        None => {}
        Some(Ok(false)) => checks.push(pass("keyring locked", "no: the default collection is unlocked")),
        Some(Ok(true)) => checks.push(verdict(
            "keyring locked",
            "yes: the default collection is locked, and skytells never waits for an unlock prompt".to_owned(),
            format!("Unlock the keyring (unlock your desktop session, or the \"login\" keyring in your keyring manager), then run `skytells auth doctor` again; {instead}."),
        )),
        Some(Err(error)) => checks.push(verdict(
            "keyring locked",
            format!("cannot tell: {error}"),
            format!("Try again, {instead}."),
        )),
    }
    match &probe.entries {
        None => {}
        Some(Ok(Some(entries))) if entries.is_empty() => checks.push(pass("keyring items", "none of this program's")),
        Some(Ok(Some(entries))) => {
            let names: Vec<&str> = entries.iter().map(|entry| entry.user.as_str()).collect();
            checks.push(pass("keyring items", format!("this program's: {}", names.join(", "))))
        }
        Some(Ok(None)) => checks.push(pass("keyring items", "this keyring cannot be searched")),
        Some(Err(error)) => checks.push(verdict(
            "keyring items",
            format!("cannot be listed: {error}"),
            format!("Try again, {instead}."),
        )),
    }
    if probe.has_bus && !matches!(probe.entries, Some(Ok(_))) {
        checks.push(pass("keyring orphans", "not checked: the keyring cannot be searched"));
        return checks;
    }
    let orphans = store.keyring_orphans(&LogoutScope::AllApis);
    checks.push(if orphans.is_empty() {
        pass("keyring orphans", "none: every item of this program is one a login points to")
    } else {
        let names: Vec<String> = orphans.iter().map(|entry| entry.user.clone()).collect();
        fail(
            "keyring orphans",
            format!("items no login points to: {}", names.join(", ")),
            "Run `skytells logout --all` to delete them (or delete them in your keyring manager).",
        )
    });
    checks
}
