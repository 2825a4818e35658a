//! Saving a token or an access key, for `login` and `link`: the store does the whole
//! transaction (keyring and files under one lock); this says what happened.

use skytells_auth::skytells::{ApiOrigin, SecretKind};
use skytells_auth_store::{CredentialStore, NewSecret, Placement, Saved, StoreError, StoreWarning};

use crate::context::Context;
use crate::error::CliError;
use crate::{interrupt, keyring};

/// Saves `new` for `origin`, in the keyring when `in_keyring`. An interrupt meanwhile
/// waits for the save to finish, so what it says ("saved" or "nothing was saved") is true.
pub fn save(
    context: &Context,
    store: &CredentialStore,
    origin: &ApiOrigin,
    new: NewSecret<'_>,
    in_keyring: bool,
) -> Result<Saved, CliError> {
    let placement = if in_keyring { Placement::Keyring } else { Placement::File };
    let saved = interrupt::uninterrupted(|| {
        let saved = store.save(origin, new, placement, context.now_ms());
        if saved.is_ok() {
            interrupt::saved();
        }
        saved
    });
    let what = keyring::what(new.kind);
    let path = context.display_path(&store.file_for_secret(origin, new.kind));
    let saved = saved.map_err(|error| match &error {
        StoreError::Keyring { source, .. } => CliError::failure(format!(
            "could not keep the {what} in the system keyring: {source}. Nothing was saved. Run the command without --keyring to keep it in {path} instead."
        )),
        _ => CliError::from(error),
    })?;
    for warning in &saved.warnings {
        match warning {
            StoreWarning::KeyringCopyLeft { entry, problem } => context.warn(format!(
                "the {what} is now kept in {path}, but its old copy in the system keyring could not be deleted ({problem}); delete it by hand (e.g. `secret-tool clear service {} username '{}'`)",
                entry.service, entry.user
            )),
            other => context.warn(other),
        }
    }
    Ok(saved)
}

/// The lines that say where the secret now is, exactly.
pub fn report_lines(
    context: &Context,
    store: &CredentialStore,
    origin: &ApiOrigin,
    saved: &Saved,
    kind: SecretKind,
) -> Vec<String> {
    let what = keyring::what(kind);
    let path = context.display_path(&store.file_for_secret(origin, kind));
    let capital = |text: &str| text[..1].to_uppercase() + &text[1..];
    match (saved.placement, saved.replaced) {
        (Placement::Keyring, _) => vec![format!("  {} saved to the system keyring; {path} says where", capital(what))],
        (_, Some(Placement::Keyring)) => vec![
            format!("  {} saved to {path}", capital(what)),
            format!("  (moved out of the system keyring, where the previous {what} was kept)"),
        ],
        _ if what == "token" => vec![format!("  Credentials saved to {path}")],
        _ => vec![format!("  {} saved to {path}", capital(what))],
    }
}
