//! `skytells whoami` for people.

use std::io::Write;

use super::report::{stored_for, KeyState, Report, Status};
use crate::commands::describe_identity;
use crate::context::{describe_source, Context};
use crate::error::CliError;

/// Prints the report as aligned lines on standard output.
pub fn print(context: &Context, report: &Report) -> Result<(), CliError> {
    let mut out = Vec::new();
    render(context, report, &mut out).map_err(|error| CliError::failure(error.to_string()))?;
    context.write_stdout(&out)
}

fn render(context: &Context, report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let terminal = &context.terminal;
    match (&report.status, &report.user) {
        (Status::Authenticated, Some(user)) => {
            writeln!(out, "{} Logged in to {} as {}", terminal.green("✔"), report.api_url, describe_identity(user))?;
            writeln!(out, "  User ID:     {}", user.id)?;
        }
        (Status::Authenticated, None) => writeln!(out, "{} Logged in to {}", terminal.green("✔"), report.api_url)?,
        (Status::Unverified, _) => {
            writeln!(out, "{} Credentials for {} (not checked with the API)", terminal.yellow("?"), report.api_url)?
        }
        (Status::KeyringUnreadable, _) => writeln!(
            out,
            "{} Logged in to {}, but the token is in the system keyring, which could not be read",
            terminal.red("✖"),
            report.api_url
        )?,
        // Whether anyone is logged in is unknown here: the API never said.
        (Status::Unreachable, _) => {
            writeln!(out, "{} Could not reach {}; the token was not checked", terminal.red("✖"), report.api_url)?
        }
        (Status::ServerError, _) => writeln!(
            out,
            "{} The API at {} sent no usable answer; the token was not checked",
            terminal.red("✖"),
            report.api_url
        )?,
        _ => writeln!(out, "{} Not logged in to {}", terminal.red("✖"), report.api_url)?,
    }
    // "saved 97 days ago" once a day has passed (a credential saved today says nothing).
    let age = |saved_at: Option<u64>| {
        saved_at
            .map(|at| report.rotation.age(at, report.now_ms))
            .filter(|age| age.days > 0)
            .map(|age| format!(", {age}"))
            .unwrap_or_default()
    };
    let origin = |source| match stored_for(source, &report.origin) {
        Some(origin) => format!("{}, stored for {origin}", describe_source(source)),
        None => describe_source(source),
    };
    match &report.token {
        Some(token) => writeln!(
            out,
            "  Token:       {} (from {}{})",
            token.value.redacted(),
            origin(token.source),
            age(report.token_saved_at)
        )?,
        None if report.status == Status::KeyringUnreadable => {
            writeln!(out, "  Token:       in the system keyring, which could not be read")?
        }
        None => writeln!(out, "  Token:       none")?,
    }
    match (&report.scopes, &report.token) {
        (Some(scopes), _) => writeln!(out, "  Scopes:      {}", scopes.join(", "))?,
        (None, Some(_)) => writeln!(out, "  Scopes:      unknown (not recorded for this token)")?,
        (None, None) => {}
    }
    match &report.access_key {
        None if report.access_key_unread => {
            writeln!(out, "  Project:     key in the system keyring, which could not be read")?
        }
        None => writeln!(out, "  Project:     none linked (run `skytells link sk_proj_your_access_key`)")?,
        Some((key, state)) => {
            let origin =
                format!("key {} from {}{}", key.value.redacted(), origin(key.source), age(report.access_key_saved_at));
            match state {
                KeyState::Valid(None) => writeln!(out, "  Project:     {origin}")?,
                KeyState::Valid(Some(project)) => {
                    let name = project.name.as_deref().unwrap_or(&project.id);
                    let slug = project.slug.as_deref().map(|slug| format!(" ({slug})")).unwrap_or_default();
                    writeln!(out, "  Project:     {name}{slug}, {origin}")?;
                }
                KeyState::Rejected(reason) => writeln!(out, "  Project:     {origin} was rejected: {reason}")?,
                KeyState::Unverified(reason) => writeln!(out, "  Project:     {origin}, not verified: {reason}")?,
            }
        }
    }
    match (&report.api_key, &report.api_key_unread) {
        (Some((key, state)), _) => {
            let value = key.api_key.as_ref().map(|sourced| (&sourced.value, sourced.source));
            if let Some((secret, source)) = value {
                let from = crate::commands::api_key::describe_origin(source, &report.models_origin);
                let shown = format!(
                    "{} (from {from}{})",
                    skytells_auth::skytells::mask_api_key(secret),
                    age(key.saved_at.filter(|_| matches!(
                        source,
                        skytells_auth::skytells::Source::File | skytells_auth::skytells::Source::Keyring
                    )))
                );
                match state {
                    KeyState::Valid(_) => {
                        writeln!(out, "  API key:     {shown}, accepted by {}", report.models_api_url)?
                    }
                    KeyState::Rejected(reason) => writeln!(out, "  API key:     {shown} was rejected: {reason}")?,
                    KeyState::Unverified(reason) => writeln!(out, "  API key:     {shown}, not verified: {reason}")?,
                }
            }
        }
        (None, Some(_)) => writeln!(out, "  API key:     in the system keyring, which could not be read")?,
        (None, None) => {}
    }
    if !report.elsewhere.is_empty() {
        let others: Vec<&str> = report.elsewhere.iter().map(|origin| origin.as_str()).collect();
        writeln!(out, "  Other APIs:  {} (stored logins, never sent here)", others.join(", "))?;
    }
    writeln!(out, "  Credentials: {}", report.credentials_file)?;
    writeln!(out, "  Status:      {}", report.status.name().replace('_', " "))
}
