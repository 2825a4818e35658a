//! The command line and the output shared by the `device_login` examples of both drivers
//! (`io-blocking/examples/device_login.rs`, `io-tokio/examples/device_login.rs`). Each
//! driver is published on its own and cargo packages no file outside a crate, so each
//! keeps a copy of this file in its `examples/shared/`; `tests/tests/packaging.rs` checks
//! that the two copies are the same.
//!
//! ```text
//! device_login --issuer URL [--device-authorization-endpoint URL --token-endpoint URL]
//!              --client-id ID [--client-secret S [--client-auth basic|post]]
//!              [--scope "a b"] [--refresh]
//! ```
//!
//! With `--issuer` alone the endpoints come from discovery. The code and URL go to
//! stderr; one JSON object goes to stdout at the end, never a token.

use skytells_auth::{ClientAuth, DeviceClient, FlowEvent, FlowFailure, Outcome, Secret, ServerMetadata};

/// What the command line asked for.
pub struct Args {
    pub issuer: String,
    pub endpoints: Option<(String, String)>,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub client_auth_post: bool,
    pub scopes: Vec<String>,
    pub refresh: bool,
}

const USAGE: &str = "usage: device_login --issuer URL [--device-authorization-endpoint URL --token-endpoint URL] --client-id ID [--client-secret S [--client-auth basic|post]] [--scope \"a b\"] [--refresh]";

/// Reads the command line, or says what is wrong with it.
pub fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut issuer, mut device, mut token, mut client_id, mut secret) = (None, None, None, None, None);
    let (mut auth, mut scope, mut refresh) = (None, None, false);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        match flag.as_str() {
            "--issuer" => issuer = Some(value()?),
            "--device-authorization-endpoint" => device = Some(value()?),
            "--token-endpoint" => token = Some(value()?),
            "--client-id" => client_id = Some(value()?),
            "--client-secret" => secret = Some(value()?),
            "--client-auth" => auth = Some(value()?),
            "--scope" => scope = Some(value()?),
            "--refresh" => refresh = true,
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let endpoints = match (device, token) {
        (Some(device), Some(token)) => Some((device, token)),
        (None, None) => None,
        _ => return Err(format!("give both endpoints, or neither\n{USAGE}")),
    };
    Ok(Args {
        issuer: issuer.ok_or_else(|| format!("--issuer is required\n{USAGE}"))?,
        endpoints,
        client_id: client_id.ok_or_else(|| format!("--client-id is required\n{USAGE}"))?,
        client_secret: secret,
        client_auth_post: match auth.as_deref() {
            None | Some("basic") => false,
            Some("post") => true,
            Some(other) => return Err(format!("--client-auth is basic or post, not {other}\n{USAGE}")),
        },
        scopes: scope.map(|list| list.split_whitespace().map(str::to_owned).collect()).unwrap_or_default(),
        refresh,
    })
}

/// The client the arguments describe, with the endpoints from `metadata` when none were given.
pub fn client(args: &Args, metadata: Option<&ServerMetadata>) -> Result<DeviceClient, String> {
    let client = match (&args.endpoints, metadata) {
        (Some((device, token)), _) => DeviceClient::new(device, token, args.client_id.clone()),
        (None, Some(metadata)) => DeviceClient::from_metadata(metadata, args.client_id.clone()),
        (None, None) => return Err("no endpoints: give them, or let discovery find them".into()),
    }
    .map_err(|error| error.to_string())?;
    Ok(match &args.client_secret {
        Some(secret) if args.client_auth_post => client.with_auth(ClientAuth::SecretPost(Secret::new(secret))),
        Some(secret) => client.with_auth(ClientAuth::SecretBasic(Secret::new(secret))),
        None => client,
    })
}

/// Shows the code to the person, on stderr.
pub fn show(event: &FlowEvent) {
    if let FlowEvent::CodeIssued(code) = event {
        eprintln!("To sign in, open {} and enter the code {}", code.verification_uri, code.user_code);
    }
}

/// The result line: one JSON object, never a token. `refreshed` is `None` when no
/// refresh was asked for.
pub fn report(outcome: &Outcome, refreshed: Option<Result<(), String>>) -> std::process::ExitCode {
    let (name, error) = match outcome {
        Outcome::Authorized(_) => ("authorized", None),
        Outcome::Denied => ("denied", Some("access_denied".to_owned())),
        Outcome::Expired => ("expired", Some("expired_token".to_owned())),
        Outcome::Failed(failure) => ("failed", Some(failure_code(failure))),
        _ => ("failed", None),
    };
    let grant = match outcome {
        Outcome::Authorized(grant) => Some(grant),
        _ => None,
    };
    let refresh_error = refreshed.as_ref().and_then(|result| result.as_ref().err().cloned());
    let line = serde_json::json!({
        "outcome": name,
        "error": error.or(refresh_error.clone()),
        "token_type": grant.map(|grant| grant.token_type.clone()),
        "scope": grant.and_then(|grant| grant.scope.clone()),
        "expires_in": grant.and_then(|grant| grant.expires_in).map(|lifetime| lifetime.as_secs()),
        "has_refresh_token": grant.is_some_and(|grant| grant.refresh_token.is_some()),
        "has_id_token": grant.is_some_and(|grant| grant.id_token.is_some()),
        "refreshed": refreshed.as_ref().map(Result::is_ok),
    });
    println!("{line}");
    let succeeded = grant.is_some() && refreshed.is_none_or(|result| result.is_ok());
    if succeeded {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

/// An error with each of its causes (`source()`), as `anyhow` prints them with `{:#}`.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// The OAuth error code of a failure, or what kind of failure it was.
pub fn failure_code(failure: &FlowFailure) -> String {
    match failure.request_error() {
        Some(error) => error_code(error),
        None => chain(failure),
    }
}

/// The OAuth error code of a request error, or a short description when there is none.
pub fn error_code(error: &skytells_auth::RequestError) -> String {
    match error.oauth_code() {
        Some(code) => code.to_string(),
        None => chain(error),
    }
}
