//! A device login against any OAuth 2.0 / OpenID provider, on the calling thread.
//! The command line and the output are described in `examples/shared/device_login_cli.rs`:
//!
//! ```text
//! cargo run -p skytells-auth-blocking --example device_login_blocking -- \
//!     --issuer https://auth.example.com --client-id my-cli --scope "openid offline_access" --refresh
//! ```

#[path = "shared/device_login_cli.rs"]
mod cli;

use std::process::ExitCode;
use std::time::Instant;

use skytells_auth::{DeviceFlow, Moment, Outcome, Refresh};
use skytells_auth_blocking::BlockingDriver;

fn main() -> ExitCode {
    let args = match cli::parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let driver = BlockingDriver::new();
    let metadata = match args.endpoints {
        Some(_) => None,
        None => match driver.discover(&args.issuer) {
            Ok(metadata) => Some(metadata),
            Err(error) => {
                eprintln!("discovery failed: {}", cli::chain(&error));
                return ExitCode::FAILURE;
            }
        },
    };
    let client = match cli::client(&args, metadata.as_ref()) {
        Ok(client) => client,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let outcome = driver.run_device_flow(DeviceFlow::new(client.clone(), args.scopes.clone()), cli::show);
    let refreshed = match (&outcome, args.refresh) {
        (Outcome::Authorized(grant), true) => Some(match &grant.refresh_token {
            None => Err("no refresh token was issued".to_owned()),
            Some(token) => {
                let now = Moment::from_duration(started.elapsed());
                driver.execute(&Refresh::new(&client, token, now)).map(|_| ()).map_err(|error| cli::error_code(&error))
            }
        }),
        _ => None,
    };
    cli::report(&outcome, refreshed)
}
