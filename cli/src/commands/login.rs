//! `skytells login`: the device flow, or a pasted personal access token.

use std::time::Duration;

use skytells_auth::skytells::messages::{self, duration_phrase};
use skytells_auth::skytells::{
    parse_scopes, vars, ApiConfig, ApiError, FetchIdentity, Identity, PersonalAccessToken, Scope, SecretKind,
    VerifyToken, TOKENS_PAGE,
};
use skytells_auth::{DeviceFlow, FlowEvent, FlowFailure, Outcome, Secret, UserCode};
use skytells_auth_store::{CredentialStore, NewSecret, Placement, StoreError};

use crate::args::LoginArgs;
use crate::browser::{self, Opened};
use crate::commands::describe_identity;
use crate::context::Context;
use crate::error::{exit, request_exit_code, CliError};
use crate::output::{LoginJson, PrefixJson, UserJson};
use crate::{interrupt, prompt, save};

/// Runs `skytells login`.
pub fn run(context: &Context, args: &LoginArgs) -> Result<(), CliError> {
    interrupt::install();
    if args.token {
        return with_token(context, args.json, args.keyring);
    }
    let scopes = match &args.scopes {
        Some(list) => parse_scopes(list)?,
        None => Scope::DEFAULT.to_vec(),
    };
    let api = context.api()?;
    let store = context.store()?;
    // Before the server is asked for a code: an approval in the browser must never be
    // thrown away because the token could not be kept.
    context.warn_all(&store.check_writable()?);
    let existing = existing_login(context, &store, &api)?;
    if existing.is_some() && context.terminal.stdin && context.terminal.stderr {
        let question =
            format!("You are already logged in to {}. Log in again and replace the stored token?", api.base.origin());
        if !prompt::confirm(&question)? {
            return context.say("Kept your current login.");
        }
    }
    context.warn_if_env_overrides(context.env.token(), vars::TOKEN, "token");
    warn_if_leaving_keyring(context, existing, args.keyring);

    let driver = context.driver();
    let flow = DeviceFlow::new(api.device_client(), scopes);
    let requested = flow.scopes().to_vec();
    let mut spinner = context.progress("Initiating device authorization...");
    let mut lifetime = Duration::ZERO;
    let outcome = driver.run_device_flow(flow, |event| match event {
        FlowEvent::CodeIssued(code) => {
            drop(spinner.take());
            lifetime = code.lifetime;
            show_code(context, code, args.no_browser);
            spinner = context.progress("  Waiting for authorization...");
        }
        FlowEvent::SlowedDown { .. } => {}
        FlowEvent::PollFailed { error, retry_in } => {
            let error = messages::request_error(error);
            let note = format!("  Waiting for authorization... ({error}; retrying in {} s)", retry_in.as_secs());
            match &spinner {
                Some(spinner) => spinner.set_message(note),
                None if !context.quiet => eprintln!("{note}"),
                None => {}
            }
        }
        _ => {}
    });
    drop(spinner);

    match outcome {
        Outcome::Authorized(grant) => {
            let scopes = if grant.scopes.is_empty() { requested } else { grant.scopes };
            let identity = driver.execute(&FetchIdentity { config: &api, token: &grant.access_token });
            save_and_report(context, &store, &api, (&grant.access_token, &scopes, args.keyring), identity, args.json)
        }
        Outcome::Denied => Err(CliError::failure(messages::LOGIN_DENIED)),
        Outcome::Expired => Err(CliError::failure(messages::login_expired(lifetime))),
        Outcome::Failed(failure) => {
            let code = match &failure {
                FlowFailure::DeviceAuthorization(error) | FlowFailure::TokenPoll(error) => request_exit_code(error),
                _ => exit::FAILURE,
            };
            Err(CliError { message: messages::flow_failure(&failure), code })
        }
        _ => Err(CliError::failure("the login ended in a way this version does not know")),
    }
}

/// Where the token stored for this API is kept, when there is one (a marker for one in
/// the keyring counts). An unreadable file counts as not logged in: the rewrite will keep
/// a copy of it and say so.
fn existing_login(context: &Context, store: &CredentialStore, api: &ApiConfig) -> Result<Option<Placement>, CliError> {
    match store.load() {
        Ok((credentials, warnings)) => {
            context.warn_all(&warnings);
            let login = credentials.map(|credentials| credentials.login_for(&api.base.origin())).unwrap_or_default();
            Ok(match (&login.token_keyring, &login.token) {
                (Some(_), _) => Some(Placement::Keyring),
                (None, Some(_)) => Some(Placement::File),
                (None, None) => None,
            })
        }
        Err(StoreError::Corrupt { .. } | StoreError::TooLarge { .. }) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// A login without `--keyring` moves a token the keyring held into the file: say so
/// before it happens.
fn warn_if_leaving_keyring(context: &Context, existing: Option<Placement>, in_keyring: bool) {
    if existing == Some(Placement::Keyring) && !in_keyring {
        context.warn(
            "your current token is kept in the system keyring; this login keeps the new one in the credentials file and deletes the keyring's copy (add --keyring to keep it in the keyring)",
        );
    }
}

fn show_code(context: &Context, code: &UserCode, no_browser: bool) {
    let terminal = &context.terminal;
    eprintln!();
    eprintln!("  Your device code is: {}", terminal.bold(&code.user_code));
    eprintln!();
    eprintln!("  Open this URL in your browser to authorize:");
    eprintln!("  {}", code.verification_uri);
    eprintln!();
    match browser::open(context, code.url_to_open(), no_browser) {
        _ if context.quiet => {}
        Opened::Launched => eprintln!("  Opened your browser. Approve only if it shows the same code."),
        Opened::Skipped(reason) => {
            eprintln!("  Not opening a browser ({reason}): open the URL on any device and enter the code.")
        }
        Opened::Failed(error) => {
            eprintln!("  Could not open a browser ({error}): open the URL on any device and enter the code.")
        }
    }
    eprintln!(
        "  You are authorizing this device to use your Skytells account. The code expires in {}.",
        duration_phrase(code.lifetime)
    );
    eprintln!();
}

/// Saves the token, then names the account it belongs to (RFC 8628 §5.1: a wrong code
/// approved elsewhere would sign you in as someone else).
fn save_and_report(
    context: &Context,
    store: &CredentialStore,
    api: &ApiConfig,
    (token, scopes, in_keyring): (&Secret, &[String], bool),
    identity: Result<Identity, ApiError>,
    json: bool,
) -> Result<(), CliError> {
    // The account was looked up first and the token is saved last, in one transaction:
    // a Ctrl-C at any point before it leaves everything as it was.
    let saved = save::save(context, store, &api.base.origin(), NewSecret::token(token, scopes), in_keyring)?;
    let saved_to = context.display_path(&store.file_for(&api.base.origin()));
    if json {
        return context.print_json(&LoginJson {
            status: "authenticated",
            user: identity.as_ref().ok().map(UserJson::from),
            token: PrefixJson::from(token),
            scopes: (!scopes.is_empty()).then_some(scopes),
            credentials_file: &saved_to,
            stored_in: saved.placement.name(),
        });
    }
    context.say(format!("{} Authenticated successfully!", context.terminal.green("✔")))?;
    match identity {
        Ok(identity) => context.say(format!("  Logged in as {}", describe_identity(&identity)))?,
        Err(error) => {
            context.warn(format!("signed in, but could not look up the account: {}", messages::api_error(&error)))
        }
    }
    for line in save::report_lines(context, store, &api.base.origin(), &saved, SecretKind::Token) {
        context.say(line)?;
    }
    Ok(())
}

/// `skytells login --token`.
fn with_token(context: &Context, json: bool, in_keyring: bool) -> Result<(), CliError> {
    let api = context.api()?;
    let store = context.store()?;
    context.warn_all(&store.check_writable()?);
    let existing = existing_login(context, &store, &api)?;
    let raw = if context.terminal.stdin {
        prompt::hidden("Paste your personal access token (input is hidden): ")?
    } else {
        prompt::stdin_line("token")?
    };
    let token = PersonalAccessToken::parse(&raw).map_err(|problem| {
        CliError::usage(format!(
            "That is not a personal access token: {problem}. Create one at {TOKENS_PAGE}; nothing was saved."
        ))
    })?;
    context.warn_if_env_overrides(context.env.token(), vars::TOKEN, "token");
    warn_if_leaving_keyring(context, existing, in_keyring);
    // The check and the account lookup go out together: one round trip, not two.
    let (verified, identity) = context.driver().execute_both(
        &VerifyToken { config: &api, token: token.secret() },
        &FetchIdentity { config: &api, token: token.secret() },
    );
    match verified {
        Ok(()) => {}
        // The token is genuine, only narrow: keep it, and say what it cannot do.
        Err(error) if error.credential_is_genuine() => {
            context.warn(format!("the token was accepted, but: {}", messages::api_error(&error)))
        }
        Err(error) => return Err(error.into()),
    }
    save_and_report(context, &store, &api, (token.secret(), &[], in_keyring), identity, json)
}
