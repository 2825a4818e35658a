//! A device login against any OAuth 2.0 / OpenID provider, on tokio.
//! The command line and the output are described in `examples/shared/device_login_cli.rs`:
//!
//! ```text
//! cargo run -p skytells-auth-tokio --example device_login_tokio -- \
//!     --issuer https://auth.example.com --client-id my-cli --scope "openid offline_access" --refresh
//! ```

#[path = "shared/device_login_cli.rs"]
mod cli;

use std::process::ExitCode;

use skytells_auth::{DeviceFlow, Moment, Outcome, Refresh};
use skytells_auth_tokio::TokioDriver;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match cli::parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let driver = match TokioDriver::new() {
        Ok(driver) => driver,
        Err(error) => {
            eprintln!("{}", cli::chain(&error));
            return ExitCode::FAILURE;
        }
    };
    let metadata = match args.endpoints {
        Some(_) => None,
        None => match driver.discover(&args.issuer).await {
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
    let started = tokio::time::Instant::now();
    let outcome = driver.run_device_flow(DeviceFlow::new(client.clone(), args.scopes.clone()), cli::show).await;
    let refreshed = match (&outcome, args.refresh) {
        (Outcome::Authorized(grant), true) => Some(match &grant.refresh_token {
            None => Err("no refresh token was issued".to_owned()),
            Some(token) => {
                let now = Moment::from_duration(started.elapsed());
                let refresh = Refresh::new(&client, token, now);
                driver.execute(&refresh).await.map(|_| ()).map_err(|error| cli::error_code(&error))
            }
        }),
        _ => None,
    };
    cli::report(&outcome, refreshed)
}
