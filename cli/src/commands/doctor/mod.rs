//! `skytells auth doctor`: every way a login can fail, checked in one command. Each check
//! says ✔ or ✖ and, for ✖, what to do. One request per API at most, each carrying only the
//! credential that belongs to that API's origin.

mod files;
mod keyring;
mod requests;

use serde::Serialize;
use skytells_auth::skytells::{FetchIdentity, ProbeApi, SecretKind, VerifyApiKey};
use skytells_auth_blocking::TrustedRoots;

use crate::context::Context;
use crate::error::{exit, CliError};
use crate::together::together;

use files::folder_checks;
use keyring::keyring_checks;
use requests::{answer_checks, checked, described, fix_for_credential, probed, route, timed, Which};

#[derive(Debug, Serialize)]
struct Check {
    name: &'static str,
    ok: bool,
    detail: String,
    fix: Option<String>,
}

fn pass(name: &'static str, detail: impl Into<String>) -> Check {
    Check { name, ok: true, detail: detail.into(), fix: None }
}

fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
    Check { name, ok: false, detail: detail.into(), fix: Some(fix.into()) }
}

#[derive(Serialize)]
struct DoctorJson<'a> {
    schema: u32,
    ok: bool,
    checks: &'a [Check],
}

/// Runs `skytells auth doctor`.
pub fn run(context: &Context, json: bool) -> Result<(), CliError> {
    let mut checks = Vec::new();
    let store = context.store()?;
    checks.extend(folder_checks(context, &store));
    let file = match store.load() {
        Ok((credentials, _)) => credentials,
        Err(_) => None,
    };
    let (console, models) = (context.api(), context.models_api());
    let driver = context.driver();
    for (name, api, variable) in
        [("API URL", &console, "SKYTELLS_API_URL"), ("models API URL", &models, "SKYTELLS_AI_API_URL")]
    {
        checks.push(match api {
            Ok(api) => pass(name, api.base.as_str()),
            Err(error) => fail(name, error.message.clone(), format!("Fix or unset {variable}.")),
        });
    }
    for (name, api) in [("proxy", &console), ("proxy (models API)", &models)] {
        if let Ok(api) = api {
            checks.push(pass(name, route(context, &driver, &api.base).describe(api.base.as_str())));
        }
    }
    let roots = TrustedRoots::from_machine();
    checks
        .push(pass("trusted authorities", format!("{} ({} certificates)", roots.source(), roots.certificates().len())));

    // Which credential each command would use, and why.
    let mut token = None;
    let mut api_key = None;
    if let Ok(api) = &console {
        let (resolved, troubles) =
            context.resolve(&store, file.as_ref(), &api.base, &[SecretKind::Token, SecretKind::AccessKey]);
        let trouble = |kind| troubles.iter().find(|trouble| trouble.kind == kind).map(|t| t.message.clone());
        checks.push(match (resolved.require_token(), trouble(SecretKind::Token)) {
            (Ok(found), _) => {
                token = Some(found.clone());
                // The scopes the login recorded: what `Insufficient scope` would be about.
                let scopes = match &resolved.scopes {
                    Some(scopes) if !scopes.is_empty() => format!("; scopes {}", scopes.join(", ")),
                    _ => "; scopes not recorded".to_owned(),
                };
                pass("token", format!("{}{scopes}", described(found)))
            }
            (Err(_), Some(message)) => fail("token", "kept in the system keyring, which could not be read", message),
            (Err(problem), None) => fail("token", problem.to_string(), fix_for_credential("token")),
        });
        checks.push(
            match (resolved.access_key.as_ref(), resolved.require_access_key(), trouble(SecretKind::AccessKey)) {
                (_, Ok(found), _) => pass("access key", described(found)),
                (_, Err(_), Some(message)) => {
                    fail("access key", "kept in the system keyring, which could not be read", message)
                }
                (None, Err(_), None) => pass("access key", "none linked (needed only for project commands)"),
                (Some(_), Err(problem), None) => {
                    fail("access key", problem.to_string(), fix_for_credential("access key"))
                }
            },
        );
    }
    if let Ok(models) = &models {
        let (resolved, trouble) = context.resolve_api_key(&store, file.as_ref(), &models.base);
        checks.push(match (resolved.api_key.as_ref(), resolved.require(), trouble) {
            (_, Ok(found), _) => {
                api_key = Some(found.clone());
                pass("API key", described(found))
            }
            (_, Err(_), Some(trouble)) => {
                fail("API key", "kept in the system keyring, which could not be read", trouble.message)
            }
            (None, Err(_), None) => pass("API key", "none (needed only for the models API)"),
            (Some(_), Err(problem), None) => fail("API key", problem.to_string(), fix_for_credential("API key")),
        });
    }
    checks.extend(keyring_checks(&store, file.as_ref().is_some_and(|file| !file.keyring_entries().is_empty())));

    // One round trip per API, at once; each carries only its own credential, and an API
    // with none (or none of its own) gets a request that carries nothing.
    let (models_answer, console_answer) = together(
        || {
            models.as_ref().ok().map(|models| match api_key.as_ref() {
                Some(key) => checked(timed(&driver, &VerifyApiKey { config: models, api_key: &key.value })),
                None => probed(timed(&driver, &ProbeApi { config: models })),
            })
        },
        || {
            console.as_ref().ok().map(|api| match &token {
                Some(token) => checked(timed(&driver, &FetchIdentity { config: api, token: &token.value })),
                None => probed(timed(&driver, &ProbeApi { config: api })),
            })
        },
    );
    if let (Ok(api), Some(answer)) = (&console, console_answer) {
        checks.extend(answer_checks(context, &driver, Which::Console, api, answer));
    }
    if let (Ok(api), Some(answer)) = (&models, models_answer) {
        checks.extend(answer_checks(context, &driver, Which::Models, api, answer));
    }
    let ok = checks.iter().all(|check| check.ok);
    if json {
        context.print_json(&DoctorJson { schema: 1, ok, checks: &checks })?;
    } else {
        let terminal = &context.terminal;
        let mut text = String::new();
        for check in &checks {
            let mark = if check.ok { terminal.green("✔") } else { terminal.red("✖") };
            text.push_str(&format!("{mark} {}: {}\n", check.name, check.detail));
            if let Some(fix) = &check.fix {
                text.push_str(&format!("    fix: {fix}\n"));
            }
        }
        context.write_stdout(text.as_bytes())?;
    }
    if ok {
        Ok(())
    } else {
        let failed = checks.iter().filter(|check| !check.ok).count();
        let message =
            if json { String::new() } else { format!("{failed} check(s) failed; each ✖ above says what to do") };
        Err(CliError { message, code: exit::FAILURE })
    }
}
