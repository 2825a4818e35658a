//! `skytells login`: the device flow, or a pasted personal access token.

use std::time::Duration;

use serde_json::json;

use skytells_auth::{
    parse_scopes, vars, ApiConfig, ApiError, Credentials, DeviceFlow, FetchIdentity, FlowEvent, FlowFailure, Outcome,
    PersonalAccessToken, Scope, Secret, UserCode, VerifyToken, TOKENS_PAGE,
};
use skytells_auth_blocking::{BlockingDriver, CredentialStore, StoreError};

use crate::args::LoginArgs;
use crate::browser::{self, Opened};
use crate::commands::describe_identity;
use crate::context::Context;
use crate::error::{exit, CliError};
use crate::{prompt, terminal};

/// Runs `skytells login`.
pub fn run(context: &Context, args: &LoginArgs) -> Result<(), CliError> {
    install_interrupt_handler();
    if args.token {
        return with_token(context, args.json);
    }
    let scopes = match &args.scopes {
        Some(list) => parse_scopes(list)?,
        None => Scope::DEFAULT.to_vec(),
    };
    let api = context.api()?;
    let store = context.store()?;
    if already_logged_in(context, &store)? && context.terminal.stdin && context.terminal.stderr {
        let question = "You are already logged in. Log in again and replace the stored token?";
        if !prompt::confirm(question)? {
            context.say("Kept your current login.");
            return Ok(());
        }
    }
    context.warn_if_env_overrides(context.env.token(), vars::TOKEN, "token");

    let driver = context.driver();
    let requested: Vec<String> = scopes.iter().map(|scope| scope.as_str().to_owned()).collect();
    let mut spinner = context.progress("Initiating device authorization...");
    let mut lifetime = Duration::ZERO;
    let outcome = driver.run_device_flow(DeviceFlow::new(api.clone(), scopes), |event| match event {
        FlowEvent::CodeIssued(code) => {
            drop(spinner.take());
            lifetime = code.lifetime;
            show_code(context, code, args.no_browser);
            spinner = context.progress("  Waiting for authorization...");
        }
        FlowEvent::SlowedDown { .. } => {}
        FlowEvent::PollFailed { error, retry_in } => {
            let note = format!("  Waiting for authorization... ({error}; retrying in {} s)", retry_in.as_secs());
            match &spinner {
                Some(spinner) => spinner.set_message(note),
                None if !context.quiet => eprintln!("{note}"),
                None => {}
            }
        }
        FlowEvent::Finished => drop(spinner.take()),
    });
    drop(spinner);

    match outcome {
        Outcome::Authorized(grant) => {
            let scopes = if grant.scopes.is_empty() { requested } else { grant.scopes };
            save_and_report(context, &store, &driver, &api, (&grant.access_token, &scopes), args.json)
        }
        Outcome::Denied => Err(CliError::failure(
            "Authorization was denied in the browser; nothing was saved. Run `skytells login` to try again.",
        )),
        Outcome::Expired => Err(CliError::failure(format!(
            "The device code expired before it was approved (codes stay valid for {}); nothing was saved. Run `skytells login` again.",
            duration_phrase(lifetime)
        ))),
        Outcome::Failed(failure) => {
            let (FlowFailure::DeviceAuthorization(error) | FlowFailure::TokenPoll(error)) = &failure;
            let code = CliError::from(error.clone()).code;
            Err(CliError { message: failure.to_string(), code })
        }
    }
}

/// Ctrl-C clears the spinner line and exits with 130. Credentials are written only after
/// a login succeeds, by an atomic rename, so an interrupt never leaves half a file. Only
/// login needs this (it is the one command that waits); elsewhere the default applies.
fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        prompt::restore_terminal();
        terminal::clear_spinner_line();
        eprintln!("\nInterrupted; nothing more was saved.");
        std::process::exit(i32::from(exit::INTERRUPTED));
    });
}

/// `15 minutes`, `1 minute`, `90 seconds`.
fn duration_phrase(duration: Duration) -> String {
    match duration.as_secs() {
        60 => "1 minute".to_owned(),
        secs if secs % 60 == 0 => format!("{} minutes", secs / 60),
        1 => "1 second".to_owned(),
        secs => format!("{secs} seconds"),
    }
}

/// Whether the file holds a token. An unreadable file counts as not logged in: the
/// rewrite will keep a copy of it and say so.
fn already_logged_in(context: &Context, store: &CredentialStore) -> Result<bool, CliError> {
    match store.load() {
        Ok((credentials, warnings)) => {
            context.warn_all(&warnings);
            Ok(credentials.as_ref().and_then(Credentials::token).is_some())
        }
        Err(StoreError::Corrupt { .. }) => Ok(false),
        Err(error) => Err(error.into()),
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
    driver: &BlockingDriver,
    api: &ApiConfig,
    (token, scopes): (&Secret, &[String]),
    json: bool,
) -> Result<(), CliError> {
    let now_ms = context.now_ms();
    let updated = store.update(now_ms, |credentials| credentials.set_token(token, scopes, now_ms))?;
    context.warn_all(&updated.warnings);
    let identity = driver.execute(&FetchIdentity { config: api, token });
    let saved_to = context.display_path(store.path());
    if json {
        let user = identity.as_ref().ok().map(|user| json!({ "id": user.id, "name": user.name, "email": user.email }));
        context.print_json(&json!({
            "status": "authenticated",
            "user": user,
            "token": { "prefix": token.redacted() },
            "scopes": (!scopes.is_empty()).then_some(scopes),
            "credentials_file": saved_to,
        }));
        return Ok(());
    }
    context.say(format!("{} Authenticated successfully!", context.terminal.green("✔")));
    match identity {
        Ok(identity) => context.say(format!("  Logged in as {}", describe_identity(&identity))),
        Err(error) => context.warn(format!("signed in, but could not look up the account: {error}")),
    }
    context.say(format!("  Credentials saved to {saved_to}"));
    Ok(())
}

/// `skytells login --token`.
fn with_token(context: &Context, json: bool) -> Result<(), CliError> {
    let api = context.api()?;
    let store = context.store()?;
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
    let driver = context.driver();
    match driver.execute(&VerifyToken { config: &api, token: token.secret() }) {
        Ok(()) => {}
        // The token is genuine, only narrow: keep it, and say what it cannot do.
        Err(error @ ApiError::InsufficientScope { .. }) => {
            context.warn(format!("the token was accepted, but: {error}"))
        }
        Err(error) => return Err(error.into()),
    }
    save_and_report(context, &store, &driver, &api, (token.secret(), &[]), json)
}
