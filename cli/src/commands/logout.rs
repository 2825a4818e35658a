//! `skytells logout`: forget the stored token and access key of the current API (or, with
//! `--all`, of every API).

use skytells_auth::skytells::{vars, ApiOrigin};
use skytells_auth_store::{LogoutScope, StoreError};

use crate::args::LogoutArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::keyring;
use crate::output::LogoutJson;
use crate::prompt;

/// Runs `skytells logout`.
pub fn run(context: &Context, args: &LogoutArgs) -> Result<(), CliError> {
    let store = context.store()?;
    let path = context.display_path(store.path());
    let origin = context.api_base()?.origin();
    let scope = if args.all { LogoutScope::AllApis } else { LogoutScope::Api(origin.clone()) };
    let (of, its) = match &scope {
        LogoutScope::AllApis => ("every API".to_owned(), "every"),
        _ => (origin.to_string(), "its"),
    };
    let mut elsewhere = Vec::new();
    let stored = match store.load() {
        Ok((credentials, warnings)) => {
            context.warn_all(&warnings);
            let logged_in = credentials.map(|credentials| credentials.logged_in_origins()).unwrap_or_default();
            elsewhere = logged_in.iter().filter(|other| **other != origin).cloned().collect();
            match &scope {
                LogoutScope::AllApis => !logged_in.is_empty(),
                _ => logged_in.contains(&origin),
            }
        }
        // An unreadable file may hold a login; removing it is what logout is for.
        Err(StoreError::Corrupt { .. }) => true,
        Err(error) => return Err(error.into()),
    };
    let leftovers = store.leftovers();
    if !stored && leftovers.is_empty() {
        let message = match (&scope, elsewhere.is_empty()) {
            (LogoutScope::AllApis, _) | (_, true) => format!("Not logged in: {path} holds no token or access key."),
            _ => format!(
                "Not logged in to {origin}: {path} holds no token or access key for it. Logged in to {}; `skytells logout --all` logs out of every API.",
                join(&elsewhere)
            ),
        };
        report(context, args.json, (false, &scope), &message, (&path, &[], &elsewhere))?;
        warn_env_still_set(context);
        return Ok(());
    }
    if !args.force {
        if !context.terminal.stdin {
            return Err(CliError::usage(
                "refusing to log out without confirmation, and there is no terminal to ask on. Run `skytells logout --force`.",
            ));
        }
        if !prompt::confirm(&format!("Log out of {of}? This removes {its} stored token and access key from {path}."))? {
            report(
                context,
                args.json,
                (false, &scope),
                "Logout cancelled; nothing was removed.",
                (&path, &[], &elsewhere),
            )?;
            return Ok(());
        }
    }
    let done = store.log_out(&scope)?;
    context.warn_all(&done.warnings);
    let mut from_keyring = 0;
    for entry in &done.keyring_entries {
        match keyring::delete(entry) {
            Ok(_) => from_keyring += 1,
            Err(problem) => context.warn(format!(
                "could not delete `{}` from the system keyring ({problem}); the file no longer points to it, but delete it by hand (e.g. `secret-tool clear service {} username '{}'`)",
                entry.user, entry.service, entry.user
            )),
        }
    }
    if done.removed_unreadable {
        context.warn(format!("{path} could not be read; it was removed whole, since it may have held a token"));
    }
    let removed: Vec<String> = done.removed_leftovers.iter().map(|file| context.display_path(file)).collect();
    let mut message = match (stored, removed.is_empty()) {
        (true, true) => {
            format!("{} Logged out of {of}. Removed {its} stored token and access key from {path}", context.terminal.green("✔"))
        }
        (true, false) => format!(
            "{} Logged out of {of}. Removed {its} stored token and access key from {path}, and {} other file(s) that could hold them: {}",
            context.terminal.green("✔"),
            removed.len(),
            removed.join(", ")
        ),
        (false, _) => format!(
            "{} Removed {} file(s) that could hold a token or key: {}",
            context.terminal.green("✔"),
            removed.len(),
            removed.join(", ")
        ),
    };
    if from_keyring > 0 {
        message.push_str(&format!("\n  Deleted {from_keyring} secret(s) from the system keyring"));
    }
    if !done.remaining.is_empty() {
        message.push_str(&format!(
            "\n  Still logged in to {} (`skytells logout --all` logs out of every API)",
            join(&done.remaining)
        ));
    }
    report(context, args.json, (true, &scope), &message, (&path, &removed, &done.remaining))?;
    warn_env_still_set(context);
    Ok(())
}

fn join(origins: &[ApiOrigin]) -> String {
    origins.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// The result, as text or JSON: whether anything was logged out and of what, and the
/// file, the other files removed and the APIs still logged in to.
fn report(
    context: &Context,
    json: bool,
    (logged_out, scope): (bool, &LogoutScope),
    message: &str,
    (path, removed_files, remaining): (&str, &[String], &[ApiOrigin]),
) -> Result<(), CliError> {
    if json {
        let remaining: Vec<&str> = remaining.iter().map(ApiOrigin::as_str).collect();
        context.print_json(&LogoutJson {
            logged_out,
            api: match scope {
                LogoutScope::Api(origin) => origin.as_str(),
                _ => "all",
            },
            credentials_file: path,
            removed_files,
            still_logged_in_to: &remaining,
        })
    } else {
        context.say(message)
    }
}

fn warn_env_still_set(context: &Context) {
    for (set, name) in
        [(context.env.token().is_some(), vars::TOKEN), (context.env.access_key().is_some(), vars::ACCESS_KEY)]
    {
        if set {
            context.warn(format!(
                "{name} is still set in your environment and will keep being used; unset it to sign out completely"
            ));
        }
    }
}
