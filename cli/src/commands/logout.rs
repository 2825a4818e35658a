//! `skytells logout`: forget the stored token and access key.

use skytells_auth::vars;
use skytells_auth_blocking::StoreError;

use crate::args::LogoutArgs;
use crate::context::Context;
use crate::error::CliError;
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
    if !stored {
        println!("Not logged in: {path} holds no token or access key.");
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
            println!("Logout cancelled; nothing was removed.");
            return Ok(());
        }
    }
    let updated = store.update(context.now_ms(), |credentials| credentials.clear_login())?;
    context.warn_all(&updated.warnings);
    println!("{} Logged out. Removed the stored token and access key from {path}", context.terminal.green("✔"));
    warn_env_still_set(context);
    Ok(())
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
