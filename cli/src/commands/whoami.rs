//! `skytells whoami`: who the credentials belong to, and where each one came from.

use serde_json::{json, Value};
use skytells_auth::{
    ApiError, CredentialProblem, FetchIdentity, Identity, Project, Resolved, Secret, Source, Sourced, VerifyAccessKey,
};
use skytells_auth_blocking::StoreError;

use crate::args::WhoamiArgs;
use crate::commands::describe_identity;
use crate::context::{describe_source, Context};
use crate::error::{exit, CliError};

/// Version of the `--json` object; bumped only for incompatible changes.
const JSON_SCHEMA: u32 = 1;

/// Where authentication stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Authenticated,
    NotAuthenticated,
    InvalidToken,
    TokenRejected,
    Unreachable,
    /// `--offline`: a token is there, but nobody asked the API about it.
    Unverified,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Authenticated => "authenticated",
            Status::NotAuthenticated => "not_authenticated",
            Status::InvalidToken => "invalid_token",
            Status::TokenRejected => "token_rejected",
            Status::Unreachable => "unreachable",
            Status::Unverified => "unverified",
        }
    }

    fn exit_code(self) -> u8 {
        match self {
            Status::Authenticated | Status::Unverified => exit::OK,
            Status::Unreachable => exit::FAILURE,
            _ => exit::AUTH,
        }
    }
}

/// What is known about the access key.
enum KeyState {
    Valid(Project),
    Rejected(String),
    Unverified(String),
}

struct Report {
    status: Status,
    api_url: String,
    credentials_file: String,
    user: Option<Identity>,
    token: Option<Sourced<Secret>>,
    scopes: Option<Vec<String>>,
    access_key: Option<(Sourced<Secret>, KeyState)>,
    error: Option<String>,
}

/// Runs `skytells whoami`.
pub fn run(context: &Context, args: &WhoamiArgs) -> Result<(), CliError> {
    let report = gather(context, args.offline)?;
    if args.json {
        context.print_json(&to_json(&report));
    } else if !context.quiet {
        print_text(context, &report);
    }
    match (report.status, report.error) {
        (Status::Authenticated | Status::Unverified, _) => Ok(()),
        (status, Some(message)) if !args.json => Err(CliError { message, code: status.exit_code() }),
        // The JSON already carries the error; only the status says it failed.
        (status, _) => Err(CliError { message: String::new(), code: status.exit_code() }),
    }
}

fn gather(context: &Context, offline: bool) -> Result<Report, CliError> {
    let store = context.store()?;
    let api = context.api()?;
    let file = match store.load() {
        Ok((credentials, warnings)) => {
            context.warn_all(&warnings);
            credentials
        }
        Err(error @ StoreError::Corrupt { .. }) => {
            context.warn(&error);
            None
        }
        Err(error) => return Err(error.into()),
    };
    let resolved = context.resolve(file.as_ref());
    let mut report = Report {
        status: Status::NotAuthenticated,
        api_url: api.base.as_str().to_owned(),
        credentials_file: context.display_path(store.path()),
        user: None,
        token: resolved.token.clone(),
        scopes: resolved.scopes.clone(),
        access_key: None,
        error: None,
    };
    let driver = (!offline).then(|| context.driver());
    if let Some(key) = &resolved.access_key {
        let state = match (resolved.require_access_key(), &driver) {
            (Err(problem), _) => KeyState::Rejected(problem.to_string()),
            (Ok(_), None) => KeyState::Unverified("not checked (--offline)".to_owned()),
            (Ok(_), Some(driver)) => match driver.execute(&VerifyAccessKey { config: &api, access_key: &key.value }) {
                Ok(project) => KeyState::Valid(project),
                Err(error @ ApiError::AccessKeyRejected) => KeyState::Rejected(error.to_string()),
                Err(error) => KeyState::Unverified(error.to_string()),
            },
        };
        report.access_key = Some((key.clone(), state));
    }
    let Some(driver) = driver else {
        return Ok(settle_locally(report, &resolved));
    };
    match resolved.require_token() {
        Err(problem) => settle_problem(&mut report, problem),
        Ok(token) => match driver.execute(&FetchIdentity { config: &api, token: &token.value }) {
            Ok(identity) => {
                report.status = Status::Authenticated;
                report.user = Some(identity);
            }
            // Genuine but narrow: it lacks the scope to read the account.
            Err(error @ ApiError::InsufficientScope { .. }) => {
                report.status = Status::Authenticated;
                report.error = Some(error.to_string());
            }
            Err(error @ (ApiError::TokenRejected | ApiError::Unauthorized { .. })) => {
                report.status = Status::TokenRejected;
                report.error = Some(error.to_string());
            }
            Err(error) => {
                report.status = Status::Unreachable;
                report.error = Some(error.to_string());
            }
        },
    }
    Ok(report)
}

/// Without asking the API: a well-formed token is unverified, anything else is a problem.
fn settle_locally(mut report: Report, resolved: &Resolved) -> Report {
    match resolved.require_token() {
        Ok(_) => report.status = Status::Unverified,
        Err(problem) => settle_problem(&mut report, problem),
    }
    report
}

fn settle_problem(report: &mut Report, problem: CredentialProblem) {
    report.status = match problem {
        CredentialProblem::Missing(_) => Status::NotAuthenticated,
        CredentialProblem::Invalid(_) => Status::InvalidToken,
    };
    report.error = Some(problem.to_string());
}

fn print_text(context: &Context, report: &Report) {
    let terminal = &context.terminal;
    match (&report.status, &report.user) {
        (Status::Authenticated, Some(user)) => {
            println!("{} Logged in to {} as {}", terminal.green("✔"), report.api_url, describe_identity(user));
            println!("  User ID:     {}", user.id);
        }
        (Status::Authenticated, None) => println!("{} Logged in to {}", terminal.green("✔"), report.api_url),
        (Status::Unverified, _) => {
            println!("{} Credentials for {} (not checked with the API)", terminal.yellow("?"), report.api_url)
        }
        _ => println!("{} Not logged in to {}", terminal.red("✖"), report.api_url),
    }
    match &report.token {
        Some(token) => println!("  Token:       {} (from {})", token.value.redacted(), describe_source(token.source)),
        None => println!("  Token:       none"),
    }
    match (&report.scopes, &report.token) {
        (Some(scopes), _) => println!("  Scopes:      {}", scopes.join(", ")),
        (None, Some(_)) => println!("  Scopes:      unknown (not recorded for this token)"),
        (None, None) => {}
    }
    match &report.access_key {
        None => println!("  Project:     none linked (run `skytells link sk_proj_your_access_key`)"),
        Some((key, state)) => {
            let origin = format!("key {} from {}", key.value.redacted(), describe_source(key.source));
            match state {
                KeyState::Valid(project) => {
                    let name = project.name.as_deref().unwrap_or(&project.id);
                    let slug = project.slug.as_deref().map(|slug| format!(" ({slug})")).unwrap_or_default();
                    println!("  Project:     {name}{slug}, {origin}");
                }
                KeyState::Rejected(reason) => println!("  Project:     {origin} was rejected: {reason}"),
                KeyState::Unverified(reason) => println!("  Project:     {origin}, not verified: {reason}"),
            }
        }
    }
    println!("  Credentials: {}", report.credentials_file);
    println!("  Status:      {}", report.status.name().replace('_', " "));
}

fn source_json(source: Source) -> Value {
    match source {
        Source::Flag(name) => json!({ "kind": "flag", "name": name }),
        Source::Env(name) => json!({ "kind": "env", "name": name }),
        Source::File => json!({ "kind": "file", "name": null }),
        Source::Default => json!({ "kind": "default", "name": null }),
    }
}

fn to_json(report: &Report) -> Value {
    let access_key = report.access_key.as_ref().map(|(key, state)| {
        let (status, project, error) = match state {
            KeyState::Valid(project) => {
                ("valid", json!({ "id": project.id, "name": project.name, "slug": project.slug }), None)
            }
            KeyState::Rejected(reason) => ("rejected", Value::Null, Some(reason.clone())),
            KeyState::Unverified(reason) => ("unverified", Value::Null, Some(reason.clone())),
        };
        json!({
            "prefix": key.value.redacted(),
            "source": source_json(key.source),
            "status": status,
            "project": project,
            "error": error,
        })
    });
    json!({
        "schema": JSON_SCHEMA,
        "authenticated": report.status == Status::Authenticated,
        "status": report.status.name(),
        "api_url": report.api_url,
        "credentials_file": report.credentials_file,
        "user": report.user.as_ref().map(|user| json!({ "id": user.id, "name": user.name, "email": user.email })),
        "token": report.token.as_ref().map(|token| json!({
            "prefix": token.value.redacted(),
            "source": source_json(token.source),
            "scopes": report.scopes,
        })),
        "access_key": access_key,
        "error": report.error,
    })
}
