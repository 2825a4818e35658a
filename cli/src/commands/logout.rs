//! `skytells logout`: forget the stored token and access key.

use skytells_auth::skytells::vars;
use skytells_auth_store::StoreError;

use crate::args::LogoutArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::LogoutJson;
use crate::prompt;

/// Runs `skytells logout`.
pub fn run(context: &Context, args: &LogoutArgs) -> Result<(), CliError> {
    let store = context.store()?;
    let path = context.display_path(store.path());
    let stored = match store.load() {
        Ok((credentials, warnings)) => {
            context.warn_all(&warnings);
            credentials.is_some_and(|credentials| credentials.token().is_some() || credentials.access_key().is_some())
        }
        // An unreadable file may hold a login; removing it is what logout is for.
        Err(StoreError::Corrupt { .. }) => true,
        Err(error) => return Err(error.into()),
    };
    let leftovers = store.leftovers();
    if !stored && leftovers.is_empty() {
        let message = format!("Not logged in: {path} holds no token or access key.");
        report(context, args.json, false, &message, &path, &[])?;
        warn_env_still_set(context);
        return Ok(());
    }
    if !args.force {
        if !context.terminal.stdin {
            return Err(CliError::usage(
                "refusing to log out without confirmation, and there is no terminal to ask on. Run `skytells logout --force`.",
            ));
        }
        if !prompt::confirm(&format!("Log out? This removes the stored token and access key from {path}."))? {
            report(context, args.json, false, "Logout cancelled; nothing was removed.", &path, &[])?;
            return Ok(());
        }
    }
    let done = store.log_out()?;
    context.warn_all(&done.warnings);
    if done.removed_unreadable {
        context.warn(format!("{path} could not be read; it was removed whole, since it may have held a token"));
    }
    let removed: Vec<String> = done.removed_leftovers.iter().map(|file| context.display_path(file)).collect();
    let message = match (stored, removed.is_empty()) {
        (true, true) => {
            format!("{} Logged out. Removed the stored token and access key from {path}", context.terminal.green("✔"))
        }
        (true, false) => format!(
            "{} Logged out. Removed the stored token and access key from {path}, and {} other file(s) that could hold them: {}",
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
    report(context, args.json, true, &message, &path, &removed)?;
    warn_env_still_set(context);
    Ok(())
}

fn report(
    context: &Context,
    json: bool,
    logged_out: bool,
    message: &str,
    path: &str,
    removed_files: &[String],
) -> Result<(), CliError> {
    if json {
        context.print_json(&LogoutJson { logged_out, credentials_file: path, removed_files })
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
