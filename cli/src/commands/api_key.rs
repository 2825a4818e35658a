//! `skytells api-key set|status|rm`: the API key for the Skytells models API, kept beside
//! the token as the Node CLI (v1.0.3) keeps it, and sent only to the models API's origin.

use skytells_auth::skytells::{
    mask_api_key, vars, ApiKey, ApiOrigin, Credentials, ResolvedApiKey, SecretKind, Source, VerifyApiKey, API_KEYS_PAGE,
};
use skytells_auth_store::{NewSecret, StoreError};

use crate::args::{ApiKeyRmArgs, ApiKeySetArgs};
use crate::context::{describe_source, Context};
use crate::error::{exit, CliError};
use crate::output::{ApiKeyJson, ApiKeyPrefixJson, ApiKeyRmJson, ApiKeySetJson, ApiKeyStatusJson, SourceJson};
use crate::{interrupt, prompt, save};

/// `skytells api-key set`: asks for the key (hidden) or reads a line of standard input,
/// checks it with `GET /models`, and saves it only when the models API accepts it.
pub fn set(context: &Context, args: &ApiKeySetArgs) -> Result<(), CliError> {
    interrupt::install();
    let models = context.models_api()?;
    let origin = models.base.origin();
    let store = context.store()?;
    // Before the key is asked for: a key that could not be kept is not worth checking.
    context.warn_all(&store.check_writable()?);
    let raw = if context.terminal.stdin {
        prompt::hidden("Paste your Skytells API key (input is hidden): ")?
    } else {
        prompt::stdin_line("API key")?
    };
    let key = ApiKey::parse(&raw).map_err(|problem| {
        CliError::usage(format!("That is not an API key: {problem}. Create one at {API_KEYS_PAGE}; nothing was saved."))
    })?;
    if let Err(error) = context.driver().execute(&VerifyApiKey { config: &models, api_key: key.secret() }) {
        let mut failure = CliError::from(error);
        failure.message = format!("{} Nothing was saved.", failure.message.trim_end());
        return Err(failure);
    }
    let saved = save::save(context, &store, &origin, NewSecret::api_key(key.secret()), args.keyring)?;
    context.warn_if_env_overrides(context.env.api_key(), vars::API_KEY, "API key");
    let saved_to = context.display_path(&store.file_for_secret(&origin, SecretKind::ApiKey));
    if args.json {
        return context.print_json(&ApiKeySetJson {
            status: "saved",
            models_api_url: models.base.as_str(),
            api_key: ApiKeyPrefixJson::from(key.secret()),
            credentials_file: &saved_to,
            stored_in: saved.placement.name(),
        });
    }
    context.say(format!("{} API key accepted by {}", context.terminal.green("✔"), models.base.as_str()))?;
    for line in save::report_lines(context, &store, &origin, &saved, SecretKind::ApiKey) {
        context.say(line)?;
    }
    Ok(())
}

/// `skytells api-key status`: where the key in use comes from, masked. No request.
pub fn status(context: &Context, json: bool) -> Result<(), CliError> {
    let models = context.models_api()?;
    let origin = models.base.origin();
    let store = context.store()?;
    let file = context.load_for_reading(&store, true)?;
    let (resolved, trouble) = context.resolve_api_key(&store, file.as_ref(), &models.base);
    let credentials_file = context.display_path(&store.file_for_secret(&origin, SecretKind::ApiKey));
    let problem = match (&trouble, resolved.require()) {
        (Some(trouble), Err(_)) => Some((trouble.message.clone(), exit::FAILURE)),
        (None, Err(problem)) => Some((problem.to_string(), exit::AUTH)),
        (_, Ok(_)) => None,
    };
    if json {
        context.print_json(&ApiKeyStatusJson {
            models_api_url: models.base.as_str(),
            credentials_file: &credentials_file,
            api_key: api_key_json(&resolved, &origin, "unverified", None),
            error: problem.as_ref().map(|(message, _)| message.as_str()),
        })?;
    } else {
        match &resolved.api_key {
            Some(key) => {
                let mark = if problem.is_some() { context.terminal.red("✖") } else { context.terminal.green("✔") };
                context.say(format!("{mark} API key for {}", models.base.as_str()))?;
                context.say(format!(
                    "  Key:         {} (from {})",
                    mask_api_key(&key.value),
                    describe_origin(key.source, &origin)
                ))?;
                if let Some(saved_at) = resolved.saved_at {
                    let age = skytells_auth::skytells::RotationPolicy::default().age(saved_at, context.now_ms());
                    context.say(format!("  Saved:       {}", age.to_string().trim_start_matches("saved ")))?;
                }
            }
            None => context.say(format!("{} No API key for {}", context.terminal.red("✖"), models.base.as_str()))?,
        }
        context.say(format!("  Credentials: {credentials_file}"))?;
    }
    match problem {
        None => Ok(()),
        Some((_, code)) if json => Err(CliError { message: String::new(), code }),
        Some((message, code)) => Err(CliError { message, code }),
    }
}

/// `skytells api-key rm`: removes the stored key, from the keyring too. It refuses while
/// `SKYTELLS_API_KEY` is set, since the key would go on being used.
pub fn remove(context: &Context, args: &ApiKeyRmArgs) -> Result<(), CliError> {
    let models = context.models_api()?;
    let origin = models.base.origin();
    if context.env.api_key().is_some() {
        return Err(CliError::usage(format!(
            "{} is set in your environment, and would go on being used whatever is removed here; nothing was removed. Unset it (`unset {0}`), then run `skytells api-key rm` again to remove the stored key.",
            vars::API_KEY
        )));
    }
    let store = context.store()?;
    let path = context.display_path(&store.file_for_secret(&origin, SecretKind::ApiKey));
    let stored = match store.load() {
        Ok((credentials, warnings)) => {
            context.warn_all(&warnings);
            credentials.unwrap_or_else(Credentials::empty).api_key_for(&origin).is_stored()
        }
        Err(error @ (StoreError::Corrupt { .. } | StoreError::TooLarge { .. })) => {
            return Err(CliError::failure(format!(
                "{}. Nothing was removed; `skytells logout --all` removes every stored secret, this file included.",
                crate::error::describe_store_error(&error)
            )))
        }
        Err(error) => return Err(error.into()),
    };
    if !stored
        && store
            .keyring_orphans(&skytells_auth_store::LogoutScope::AllApis)
            .iter()
            .all(|entry| entry.owner() != Some((origin.clone(), SecretKind::ApiKey)))
    {
        return report_removed(
            context,
            args.json,
            (&origin, &path),
            None,
            false,
            &format!("No API key is stored for {origin} in {path}; nothing to remove."),
        );
    }
    if !args.force {
        if !context.terminal.stdin {
            return Err(CliError::usage(
                "refusing to remove the API key without confirmation, and there is no terminal to ask on. Run `skytells api-key rm --force`.",
            ));
        }
        if !prompt::confirm(&format!("Remove the API key for {origin} from {path}?"))? {
            return report_removed(
                context,
                args.json,
                (&origin, &path),
                None,
                false,
                "Kept the API key; nothing was removed.",
            );
        }
    }
    let removed = store.remove_api_key(&origin, context.now_ms()).map_err(|error| match &error {
        StoreError::Keyring { source, .. } => CliError::failure(format!(
            "could not delete the API key for {origin} from the system keyring: {source}; nothing was removed. {}",
            crate::keyring::delete_advice(source).replace("skytells logout", "skytells api-key rm")
        )),
        _ => CliError::from(error),
    })?;
    context.warn_all(&removed.warnings);
    let mut message = format!("{} Removed the API key for {origin} from {path}", context.terminal.green("✔"));
    if removed.keyring_deleted.is_some() {
        message.push_str("\n  Deleted it from the system keyring");
    }
    report_removed(
        context,
        args.json,
        (&origin, &path),
        removed.was.map(|placement| placement.name()),
        removed.keyring_deleted.is_some(),
        &message,
    )
}

fn report_removed(
    context: &Context,
    json: bool,
    (origin, path): (&ApiOrigin, &str),
    was_in: Option<&'static str>,
    deleted_from_keyring: bool,
    message: &str,
) -> Result<(), CliError> {
    if json {
        return context.print_json(&ApiKeyRmJson {
            removed: was_in.is_some() || deleted_from_keyring,
            models_api: origin.as_str(),
            credentials_file: path,
            was_in,
            deleted_from_keyring,
        });
    }
    context.say(message)
}

/// "credentials file, stored for `https://api.skytells.ai`", or the variable's name.
pub fn describe_origin(source: Source, origin: &ApiOrigin) -> String {
    match source {
        Source::File | Source::Keyring => format!("{}, stored for {origin}", describe_source(source)),
        other => describe_source(other),
    }
}

/// The key in `--json`, when there is one.
pub fn api_key_json<'a>(
    resolved: &ResolvedApiKey,
    origin: &'a ApiOrigin,
    status: &'static str,
    error: Option<&'a str>,
) -> Option<ApiKeyJson<'a>> {
    resolved.api_key.as_ref().map(|key| ApiKeyJson {
        prefix: key.value.redacted(),
        masked: mask_api_key(&key.value),
        source: SourceJson::from(key.source),
        stored_for: matches!(key.source, Source::File | Source::Keyring).then_some(origin.as_str()),
        saved_at: resolved.saved_at.filter(|_| key.source != Source::Env(vars::API_KEY)),
        status,
        error,
    })
}
