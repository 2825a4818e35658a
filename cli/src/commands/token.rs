//! `skytells auth token`: print the token in use, for scripts (like `gh auth token`).

use crate::context::Context;
use crate::error::CliError;

/// Runs `skytells auth token`. This is the one command that prints a whole secret: it is
/// what the caller asked for. Nothing is sent to the API.
pub fn run(context: &Context) -> Result<(), CliError> {
    let store = context.store()?;
    let file = context.load_for_reading(&store, false)?;
    let resolved = context.resolve(file.as_ref(), &context.api_base()?)?;
    let token = resolved.require_token()?;
    context.write_stdout(format!("{}\n", token.value.expose()).as_bytes())
}
