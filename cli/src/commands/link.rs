//! `skytells link`: store a project access key after the API vouches for it.

use skytells_auth::skytells::{vars, AccessKey, SecretKind, VerifyAccessKey};

use crate::args::LinkArgs;
use crate::context::Context;
use crate::error::CliError;
use skytells_auth_store::NewSecret;

use crate::output::{LinkJson, PrefixJson, ProjectJson};
use crate::{prompt, save};

/// Runs `skytells link`.
pub fn run(context: &Context, args: &LinkArgs) -> Result<(), CliError> {
    let raw = if args.access_key == "-" { prompt::stdin_line("access key")? } else { args.access_key.clone() };
    let key = AccessKey::parse(&raw).map_err(|problem| {
        CliError::usage(format!(
            "That is not a project access key: {problem}. Copy the key (sk_proj_…) from your project's Settings in the Skytells console; nothing was saved."
        ))
    })?;
    let api = context.api()?;
    let store = context.store()?;
    let project = context.driver().execute(&VerifyAccessKey { config: &api, access_key: key.secret() })?;
    let saved = save::save(context, &store, &api.base.origin(), NewSecret::access_key(key.secret()), args.keyring)?;
    context.warn_if_env_overrides(context.env.access_key(), vars::ACCESS_KEY, "access key");
    let saved_to = context.display_path(&store.file_for(&api.base.origin()));
    if args.json {
        return context.print_json(&LinkJson {
            project: ProjectJson::from(&project),
            access_key: PrefixJson::from(key.secret()),
            credentials_file: &saved_to,
            stored_in: saved.placement.name(),
        });
    }
    let name = project.name.as_deref().unwrap_or(&project.id);
    let slug = project.slug.as_deref().map(|slug| format!(" ({slug})")).unwrap_or_default();
    context.say(format!("{} Linked project {name}{slug}", context.terminal.green("✔")))?;
    for line in save::report_lines(context, &store, &api.base.origin(), &saved, SecretKind::AccessKey) {
        context.say(line)?;
    }
    Ok(())
}
