//! `skytells auth token`: print the token in use, for scripts (like `gh auth token`).

use skytells_auth::skytells::SecretKind;

use crate::context::Context;
use crate::error::CliError;

/// Runs `skytells auth token`. This is the one command that prints a whole secret: it is
/// what the caller asked for. Nothing is sent to the API.
pub fn run(context: &Context) -> Result<(), CliError> {
    let store = context.store()?;
    let file = context.load_for_reading(&store, false)?;
    // Only the token is read from the keyring: an access key kept in a keyring that
    // cannot be reached does not stand in the way.
    let (resolved, troubles) = context.resolve(&store, file.as_ref(), &context.api_base()?, &[SecretKind::Token]);
    if let Some(trouble) = troubles.into_iter().next() {
        return Err(CliError::failure(trouble.message));
    }
    let token = resolved.require_token()?;
    context.write_stdout(format!("{}\n", token.value.expose()).as_bytes())
}
