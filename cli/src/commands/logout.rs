//! `skytells logout`: forget the stored token and access key of the current API (or, with
//! `--all`, of every API).

use skytells_auth::skytells::{vars, ApiOrigin, SecretKind};
use skytells_auth_store::{LogoutScope, StoreError};

use crate::args::LogoutArgs;
use crate::context::Context;
use crate::error::{exit, CliError};
use crate::keyring;
use crate::output::LogoutJson;
use crate::prompt;

/// Runs `skytells logout`.
pub fn run(context: &Context, args: &LogoutArgs) -> Result<(), CliError> {
    let store = context.store()?;
    let origin = context.api_base()?.origin();
    let path = context.display_path(&if args.all { store.path().to_path_buf() } else { store.file_for(&origin) });
    let scope = if args.all { LogoutScope::AllApis } else { LogoutScope::Api(origin.clone()) };
    let (of, its) = match &scope {
        LogoutScope::AllApis => ("every API".to_owned(), "every"),
        _ => (origin.to_string(), "its"),
    };
    let mut elsewhere = Vec::new();
    // API keys stay through a logout of one API, as with the Node CLI; --all removes them.
    let mut api_keys = Vec::new();
    let stored = match store.load() {
        Ok((credentials, warnings)) => {
            context.warn_all(&warnings);
            let credentials = credentials.unwrap_or_default();
            let logged_in = credentials.logged_in_origins();
            api_keys = credentials.api_key_origins();
            elsewhere = logged_in.iter().filter(|other| **other != origin).cloned().collect();
            match &scope {
                LogoutScope::AllApis => !logged_in.is_empty() || !api_keys.is_empty(),
                _ => logged_in.contains(&origin),
            }
        }
        // An unreadable file may hold a login; removing it is what logout is for.
        Err(StoreError::Corrupt { .. }) => true,
        Err(error) => return Err(error.into()),
    };
    let leftovers = store.leftovers();
    // Items a killed login left in the keyring, with no login in the file pointing to them.
    let orphans = if stored { Vec::new() } else { store.keyring_orphans(&scope) };
    if !stored && leftovers.is_empty() && orphans.is_empty() {
        let message = match (&scope, elsewhere.is_empty()) {
            (LogoutScope::AllApis, _) | (_, true) => format!("Not logged in: {path} holds no token or access key."),
            _ => format!(
                "Not logged in to {origin}: {path} holds no token or access key for it. Logged in to {}; `skytells logout --all` logs out of every API.",
                join(&elsewhere)
            ),
        };
        let message = format!("{message}{}", kept_api_keys_note(&scope, &api_keys));
        report(context, args.json, (false, &scope), &message, (&path, &[], &elsewhere), (&[], &api_keys, &[]))?;
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
                (&[], &api_keys, &[]),
            )?;
            return Ok(());
        }
    }
    let done = store.log_out(&scope)?;
    context.warn_all(&done.warnings);
    for file in &done.removed_unreadable {
        let file = context.display_path(file);
        context.warn(format!("{file} could not be read; it was removed whole, since it may have held a token"));
    }
    let mut kept = Vec::new();
    for (entry, problem) in &done.keyring_kept {
        let (owner, kind) =
            entry.owner().map_or((String::new(), SecretKind::Token), |(origin, kind)| (origin.to_string(), kind));
        let what = keyring::what(kind);
        context.warn(format!(
            "could not delete the {what} for {owner} from the system keyring ({problem}), so its login stays. {}",
            keyring::delete_advice(problem)
        ));
        kept.push(entry.user.clone());
    }
    let removed: Vec<String> = done.removed_leftovers.iter().map(|file| context.display_path(file)).collect();
    let (check, headline, what_went) = if done.is_complete() {
        (
            context.terminal.green("✔"),
            format!("Logged out of {of}."),
            format!("Removed {its} stored token and access key from {path}"),
        )
    } else {
        (
            context.terminal.red("✖"),
            format!("Logged out of {of} only in part."),
            format!(
                "Kept {} secret(s) the system keyring would not delete, and the login(s) in {path} that point to them",
                kept.len()
            ),
        )
    };
    let mut message = match (stored, removed.is_empty()) {
        (true, true) => format!("{check} {headline} {what_went}"),
        (true, false) => format!(
            "{check} {headline} {what_went}, and {} other file(s) that could hold them: {}",
            removed.len(),
            removed.join(", ")
        ),
        (false, true) => format!("{check} Nothing was stored for {of} in {path}."),
        (false, false) => {
            format!("{check} Removed {} file(s) that could hold a token or key: {}", removed.len(), removed.join(", "))
        }
    };
    if !done.keyring_deleted.is_empty() {
        message.push_str(&format!("\n  Deleted {} secret(s) from the system keyring", done.keyring_deleted.len()));
    }
    if !done.orphans_deleted.is_empty() {
        message.push_str(&format!(
            "\n  Deleted {} item(s) from the system keyring that no login pointed to (left by an interrupted login)",
            done.orphans_deleted.len()
        ));
    }
    if !done.remaining.is_empty() {
        message.push_str(&format!(
            "\n  Still logged in to {} (`skytells logout --all` logs out of every API)",
            join(&done.remaining)
        ));
    }
    if !done.api_keys_removed.is_empty() {
        message.push_str(&format!("\n  Removed the API key for {}", join(&done.api_keys_removed)));
    }
    let api_keys_kept: Vec<ApiOrigin> = match &scope {
        LogoutScope::AllApis => {
            api_keys.iter().filter(|origin| !done.api_keys_removed.contains(origin)).cloned().collect()
        }
        _ => api_keys,
    };
    message.push_str(&kept_api_keys_note(&scope, &api_keys_kept));
    report(
        context,
        args.json,
        (true, &scope),
        &message,
        (&path, &removed, &done.remaining),
        (&kept, &api_keys_kept, &done.api_keys_removed),
    )?;
    warn_env_still_set(context);
    if done.is_complete() {
        Ok(())
    } else if args.json {
        // The JSON already says what stayed; only the status says it failed.
        Err(CliError { message: String::new(), code: exit::FAILURE })
    } else {
        Err(CliError::failure("the logout is not complete: see the warnings above"))
    }
}

/// A logout of one API keeps the API keys, and says so.
fn kept_api_keys_note(scope: &LogoutScope, api_keys: &[ApiOrigin]) -> String {
    match (scope, api_keys) {
        (LogoutScope::Api(_), [_, ..]) => format!(
            "\n  Kept the API key for {} (`skytells api-key rm` removes it; `skytells logout --all` removes everything)",
            join(api_keys)
        ),
        _ => String::new(),
    }
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
    (kept_in_keyring, api_keys_kept, api_keys_removed): (&[String], &[ApiOrigin], &[ApiOrigin]),
) -> Result<(), CliError> {
    if json {
        let remaining: Vec<&str> = remaining.iter().map(ApiOrigin::as_str).collect();
        let api_keys_kept: Vec<&str> = api_keys_kept.iter().map(ApiOrigin::as_str).collect();
        let api_keys_removed: Vec<&str> = api_keys_removed.iter().map(ApiOrigin::as_str).collect();
        context.print_json(&LogoutJson {
            logged_out,
            api: match scope {
                LogoutScope::Api(origin) => origin.as_str(),
                _ => "all",
            },
            credentials_file: path,
            removed_files,
            still_logged_in_to: &remaining,
            complete: kept_in_keyring.is_empty(),
            kept_in_keyring,
            api_keys_kept: &api_keys_kept,
            api_keys_removed: &api_keys_removed,
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
