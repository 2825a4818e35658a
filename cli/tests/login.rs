//! `skytells login`, through the real binary against the emulator.

// A Unix-host harness (Unix modes, `sh` scripts, util-linux `script`, /proc). Windows runs
// it from the Linux host against skytells.exe under Wine (scripts/wine-tests.sh).
#![cfg(unix)]

mod common;

use std::time::{Duration, Instant};

use common::{token, Sandbox, TypeWhen};
use skytells_emulator::DeviceStatus;

#[test]
fn device_login_shows_the_code_opens_the_browser_and_saves_the_token() {
    let sandbox = Sandbox::new(|_| {});
    let (browser, opened) = sandbox.browser_recorder();
    let mut command = sandbox.command(&["login"]);
    command.env("BROWSER", &browser);
    let run = sandbox.approve_on_the_opened_page(sandbox.spawn(command), &opened);
    let code = &sandbox.emulator.devices()[0].user_code;

    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("Initiating device authorization..."), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("  Your device code is: {code}\n")), "{}", run.stderr);
    assert!(run
        .stderr
        .contains(&format!("  Open this URL in your browser to authorize:\n  {}/device\n", sandbox.emulator.url())));
    assert!(run.stderr.contains("Opened your browser. Approve only if it shows the same code."));
    assert!(run
        .stderr
        .contains("You are authorizing this device to use your Skytells account. The code expires in 30 seconds."));
    assert!(run.stderr.contains("  Waiting for authorization..."));
    let saved = sandbox.origins_file();
    assert_eq!(
        run.stdout,
        format!(
            "✔ Authenticated successfully!\n  Logged in as Ada Lovelace (ada@example.com)\n  Credentials saved to {}\n",
            sandbox.shown_origins_file()
        )
    );
    let credentials = sandbox.emulator_login();
    let stored = credentials["token"].as_str().unwrap();
    assert!(stored.starts_with("sk_pat_") && stored.len() == 71);
    assert!(!run.all().contains(stored), "the token was printed");
    assert_eq!(
        credentials["scopes"],
        serde_json::json!(["inference", "projects.read", "deployments.read", "account.read"])
    );
    let created_at = credentials["created_at"].as_u64().unwrap();
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    assert!(now_ms - created_at < 60_000);
    common::assert_private_mode(&saved, 0o600);
    common::assert_private_mode(&sandbox.config_dir(), 0o700);
}

#[test]
fn requested_scopes_are_sent_and_stored() {
    let sandbox = Sandbox::new(|scenario| scenario.auto_approve_after = Some(0.0));
    let run = sandbox.run(&["login", "--scopes", " inference, projects.write,inference", "--no-browser"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(sandbox.emulator.devices()[0].scopes, ["inference", "projects.write"]);
    assert_eq!(sandbox.emulator_login()["scopes"], serde_json::json!(["inference", "projects.write"]));
}

#[test]
fn unknown_scopes_are_refused_before_any_request() {
    let sandbox = Sandbox::new(|_| {});
    let run = sandbox.run(&["login", "--scopes", "inference,projects.reed"], "");
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("unknown scope `projects.reed` (did you mean `projects.read`?). Valid scopes: inference,"),
        "{}",
        run.stderr
    );
    assert!(sandbox.emulator.log().is_empty());
}

#[test]
fn a_denied_login_saves_nothing() {
    let sandbox = Sandbox::new(|_| {});
    let child = sandbox.spawn(sandbox.command(&["login", "--no-browser"]));
    let code = sandbox.emulator.wait_for_device(1, Duration::from_secs(10)).unwrap().user_code;
    assert!(sandbox.emulator.deny(&code));
    let run: common::Run = child.wait_with_output().unwrap().into();
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("Authorization was denied in the browser; nothing was saved."), "{}", run.stderr);
    assert!(sandbox.nothing_stored());
}

#[test]
fn an_expired_code_says_to_run_login_again() {
    let sandbox = Sandbox::new(|scenario| scenario.expires_in = Some(2.0));
    let run = sandbox.run(&["login", "--no-browser"], "");
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("The device code expired before it was approved (codes stay valid for 2 seconds); nothing was saved. Run `skytells login` again."), "{}", run.stderr);
    assert!(sandbox.nothing_stored());
}

#[test]
fn no_browser_is_opened_without_a_display_or_over_ssh() {
    let sandbox = Sandbox::new(|scenario| scenario.auto_approve_after = Some(0.0));
    let run = sandbox.run(&["login"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run
        .stderr
        .contains("Not opening a browser (there is no display): open the URL on any device and enter the code."));

    let mut over_ssh = sandbox.command(&["login"]);
    over_ssh.env("DISPLAY", ":0").env("SSH_CONNECTION", "10.0.0.1 22 10.0.0.2 5555");
    let run = sandbox.run_command(over_ssh, "");
    assert!(run.stderr.contains("Not opening a browser (this is an SSH session)"), "{}", run.stderr);
}

#[test]
fn a_non_web_verification_url_is_never_opened() {
    let sandbox = Sandbox::new(|scenario| scenario.verification_uri = Some("file:///etc/passwd".into()));
    let (browser, opened) = sandbox.browser_recorder();
    let mut command = sandbox.command(&["login"]);
    command.env("BROWSER", &browser);
    let run = sandbox.run_command(command, "");
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("`verification_uri` is not an http(s) URL"), "{}", run.stderr);
    assert!(!opened.exists());
    assert!(sandbox.nothing_stored());
}

#[test]
fn hostile_server_strings_cannot_drive_the_terminal() {
    let sandbox = Sandbox::new(|scenario| {
        scenario.hostile_strings = true;
        scenario.auto_approve_after = Some(0.0);
    });
    let run = sandbox.run(&["login", "--no-browser"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(!run.all().contains('\u{1b}') && !run.all().contains('\u{7}'), "{:?}", run.all());
    assert!(run.stdout.contains("Logged in as Ada Lovelace[2J]0;pwned (ada@example.com)"), "{}", run.stdout);
}

#[test]
fn an_environment_token_is_announced_as_still_taking_precedence() {
    let sandbox = Sandbox::new(|scenario| scenario.auto_approve_after = Some(0.0));
    let mut command = sandbox.command(&["login", "--no-browser"]);
    command.env("SKYTELLS_TOKEN", token("ab"));
    let run = sandbox.run_command(command, "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("warning: SKYTELLS_TOKEN is set in your environment; it takes precedence over the stored token until you unset it"));
}

#[test]
fn without_a_terminal_an_existing_login_is_replaced_without_asking() {
    let sandbox = Sandbox::new(|scenario| scenario.auto_approve_after = Some(0.0));
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}","api_key":"legacy"}}"#, token("cd")));
    let run = sandbox.run(&["login", "--no-browser"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_ne!(sandbox.emulator_login()["token"], token("cd").as_str());
    assert_eq!(sandbox.read_credentials()["api_key"], "legacy");
}

#[test]
fn ctrl_c_during_login_exits_130_and_writes_nothing() {
    let sandbox = Sandbox::new(|_| {});
    let before = format!(r#"{{"token":"{}"}}"#, token("ef"));
    sandbox.write_credentials(&before);
    let before = sandbox.stored();
    let child = sandbox.spawn(sandbox.command(&["login", "--no-browser"]));
    sandbox.emulator.wait_for_device(1, Duration::from_secs(10)).unwrap();
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let run: common::Run = child.wait_with_output().unwrap().into();
    assert_eq!(run.code, Some(130), "{run:?}");
    assert!(run.stderr.contains("Interrupted"));
    assert_eq!(sandbox.stored(), before);
    assert_eq!(sandbox.emulator.devices()[0].status, DeviceStatus::Pending);
}

#[test]
fn a_pasted_token_is_checked_with_the_api_then_saved() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    let run = sandbox.run(&["login", "--token"], &format!("{}\n", token("ab")));
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.starts_with("✔ Authenticated successfully!\n  Logged in as Ada Lovelace (ada@example.com)\n"));
    assert_eq!(sandbox.emulator_login()["token"], token("ab").as_str());
    assert!(sandbox.emulator_login().get("scopes").is_none());
    assert!(!run.all().contains(&token("ab")));
    let mut paths: Vec<String> = sandbox.emulator.log().into_iter().map(|entry| entry.path).collect();
    paths.sort();
    assert_eq!(paths, ["/api/v1/cli/me", "/api/v1/cli/projects"], "the check and the lookup, sent together");
}

#[test]
fn a_malformed_token_is_refused_before_any_request_without_echoing_it() {
    let sandbox = Sandbox::new(|_| {});
    let secret = "sk_pat_0123456789abcdef";
    let run = sandbox.run(&["login", "--token"], &format!("{secret}\n"));
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("That is not a personal access token: a personal access token is sk_pat_ followed by exactly 64 hex characters; this one has 16 after the prefix."), "{}", run.stderr);
    assert!(!run.all().contains(secret));
    assert!(sandbox.emulator.log().is_empty());
    assert!(sandbox.nothing_stored());
}

#[test]
fn an_unknown_token_is_invalid_or_expired_and_changes_nothing() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.write_credentials(r#"{"access_key":"sk_proj_keep"}"#);
    let before = sandbox.stored();
    let run = sandbox.run(&["login", "--token"], &token("9f"));
    assert_eq!(run.code, Some(4));
    assert!(run.stderr.contains("error: Token is invalid or expired. Generate a new token at https://console.skytells.ai/settings/tokens, then run `skytells login`."), "{}", run.stderr);
    assert_eq!(sandbox.stored(), before);
}

#[test]
fn an_empty_standard_input_is_a_clear_error() {
    let sandbox = Sandbox::new(|_| {});
    let run = sandbox.run(&["login", "--token"], "");
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("no token on standard input"), "{}", run.stderr);
}

#[test]
fn a_token_lacking_a_scope_is_saved_with_a_warning() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &["inference"]);
    let run = sandbox.run(&["login", "--token"], &token("ab"));
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stderr.contains("warning: the token was accepted, but: Insufficient scope (this needs `projects.read`)"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_token_prompt_on_a_terminal_does_not_echo() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    let run = common::in_terminal(
        &sandbox.command(&["login", "--token"]),
        TypeWhen::HiddenPromptShown("(input is hidden)"),
        &format!("{}\n", token("ab")),
        100,
    );
    assert!(run.stdout.contains("Paste your personal access token (input is hidden):"), "{run:?}");
    assert!(run.stdout.contains("Authenticated successfully!"), "{run:?}");
    assert!(!run.stdout.contains(&token("ab")), "the token was echoed: {run:?}");
    assert_eq!(sandbox.emulator_login()["token"], token("ab").as_str());
}

#[test]
fn the_spinner_runs_on_a_terminal_and_clears_its_line() {
    // Two polls a second apart: the spinner runs for at least a second.
    let sandbox = Sandbox::new(|scenario| scenario.approve_after_polls = Some(1));
    let started = Instant::now();
    let run = common::in_terminal(&sandbox.command(&["login", "--no-browser"]), TypeWhen::Never, "", 100);
    let elapsed = started.elapsed().as_secs_f64();
    assert!(run.stdout.contains("\r\u{1b}[2K⠋ Initiating device authorization..."), "{run:?}");
    assert!(run.stdout.contains(" Waiting for authorization..."), "{run:?}");
    assert!(run.stdout.contains("Authenticated successfully!"), "{run:?}");
    // Ten frames a second at most (plus the clearing writes): a spinner, not a flood.
    let redraws = run.stdout.matches("\r\u{1b}[2K").count();
    let ceiling = (elapsed * 10.0) as usize + 5;
    assert!((5..=ceiling).contains(&redraws), "{redraws} redraws in {elapsed:.1} s");
}

#[test]
fn a_terminal_that_reports_no_size_gets_plain_lines() {
    let sandbox = Sandbox::new(|scenario| scenario.approve_after_polls = Some(1));
    let run = common::in_terminal(&sandbox.command(&["login", "--no-browser"]), TypeWhen::Never, "", 0);
    assert!(run.stdout.contains("Authenticated successfully!"), "{run:?}");
    assert!(!run.stdout.contains('⠋') && !run.stdout.contains("\u{1b}[2K"), "{run:?}");
}

#[test]
fn piped_output_gets_plain_lines_and_no_colour() {
    let sandbox = Sandbox::new(|scenario| scenario.auto_approve_after = Some(0.0));
    let run = sandbox.run(&["login", "--no-browser"], "");
    assert!(!run.all().contains('\r') && !run.all().contains('⠋') && !run.all().contains('\u{1b}'), "{run:?}");
}

#[test]
fn on_a_terminal_an_existing_login_is_kept_unless_you_say_yes() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}"}}"#, token("cd")));
    let stored = sandbox.stored();
    let run = common::in_terminal(&sandbox.command(&["login", "--no-browser"]), TypeWhen::Shown("[y/N]"), "n\n", 100);
    let question =
        format!("You are already logged in to {}. Log in again and replace the stored token? [y/N]", sandbox.origin());
    assert!(run.stdout.contains(&question), "{run:?}");
    assert!(run.stdout.contains("Kept your current login."), "{run:?}");
    assert_eq!(sandbox.stored(), stored);
    assert!(sandbox.emulator.log().is_empty(), "nothing was asked of the API");
}

#[test]
fn ctrl_c_at_the_hidden_prompt_exits_130_and_gives_the_terminal_its_echo_back() {
    let sandbox = Sandbox::new(|_| {});
    let session = sandbox.hidden_prompt_session();
    let run = common::in_terminal(&session, TypeWhen::HiddenPromptShown("(input is hidden)"), "\u{3}", 100);
    assert!(run.stdout.contains("Paste your personal access token (input is hidden):"), "{run:?}");
    assert!(run.stdout.contains("EXIT=130"), "{run:?}");
    assert!(run.stdout.contains(" echo "), "echo is back on: {run:?}");
    assert!(!run.stdout.contains(" -echo "), "{run:?}");
    assert!(sandbox.nothing_stored());
}

#[test]
fn a_dumb_terminal_gets_plain_lines_and_no_escape_sequences() {
    let sandbox = Sandbox::new(|scenario| scenario.approve_after_polls = Some(1));
    let mut command = sandbox.command(&["login", "--no-browser"]);
    command.env("TERM", "dumb");
    let run = common::in_terminal(&command, TypeWhen::Never, "", 100);
    assert!(run.stdout.contains("Authenticated successfully!"), "{run:?}");
    assert!(run.stdout.contains("Waiting for authorization..."), "{run:?}");
    assert!(!run.stdout.contains('\u{1b}') && !run.stdout.contains('⠋'), "{run:?}");
}

#[test]
fn without_browser_set_the_page_opens_through_the_systems_own_handler() {
    // Linux: xdg-open, given a display. Windows: rundll32's url.dll, which under Wine hands
    // the URL to winebrowser and so to xdg-open as well.
    let sandbox = Sandbox::new(|_| {});
    let (opener, opened) = sandbox.system_opener_recorder();
    let mut command = sandbox.command(&["login"]);
    let path =
        std::env::join_paths(std::iter::once(opener).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())));
    command.env("PATH", path.unwrap()).env("DISPLAY", ":0");
    let run = sandbox.approve_on_the_opened_page(sandbox.spawn(command), &opened);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("Opened your browser."), "{}", run.stderr);
}

#[test]
fn a_browser_named_by_a_path_with_spaces_and_a_drive_letter_is_started() {
    // BROWSER was split at ':' and at blanks: `C:\Program Files\…` started a program `C`.
    let sandbox = Sandbox::new(|_| {});
    let (browser, opened) = sandbox.browser_recorder();
    let folder = sandbox.home.path().join("dir with space");
    std::fs::create_dir(&folder).unwrap();
    let moved = folder.join("browser.sh");
    std::fs::rename(&browser, &moved).unwrap();
    let value = if common::windows_binary() {
        format!("Z:{}", moved.display()).replace('/', "\\")
    } else {
        moved.display().to_string()
    };
    let mut command = sandbox.command(&["login"]);
    command.env("BROWSER", value);
    let run = sandbox.approve_on_the_opened_page(sandbox.spawn(command), &opened);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("Opened your browser."), "{}", run.stderr);
}

#[test]
fn a_prefilled_link_to_another_site_is_neither_shown_nor_opened() {
    // RFC 8628 §5.4: the pre-filled link points elsewhere than the verification page.
    let sandbox = Sandbox::new(|scenario| {
        scenario.verification_uri = Some("https://verify.example/device".into());
        scenario.approve_after_polls = Some(0);
    });
    let (browser, opened) = sandbox.browser_recorder();
    let mut command = sandbox.command(&["login"]);
    command.env("BROWSER", &browser).env("DISPLAY", ":0");
    let run = sandbox.run_command(command, "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(std::fs::read_to_string(&opened).unwrap(), "https://verify.example/device");
    assert!(!run.all().contains(&sandbox.emulator.url()), "the other site's link was shown: {}", run.all());
}

#[test]
fn an_unusable_log_level_is_shown_without_its_escape_sequences() {
    let sandbox = Sandbox::new(|_| {});
    let mut command = sandbox.command(&["whoami", "--offline"]);
    command.env("SKYTELLS_LOG", "\u{1b}]0;pwned\u{7}\u{1b}[2Jloud");
    let run = sandbox.run_command(command, "");
    assert!(run.stderr.contains("is not a level"), "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}') && !run.stderr.contains('\u{7}'), "{:?}", run.stderr);
}

#[test]
fn standard_input_that_is_not_text_is_a_usage_error_and_a_token_after_blank_lines_is_found() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    let child = sandbox.spawn_with_input(sandbox.command(&["login", "--token"]), b"sk_pat_\xff\xfe\n");
    let run: common::Run = child.wait_with_output().unwrap().into();
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("is not text"), "{}", run.stderr);
    let run = sandbox.run(&["login", "--token"], &format!("\n  \n{}\n", token("ab")));
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(sandbox.emulator_login()["token"], token("ab").as_str());
}

#[test]
fn ctrl_c_while_the_account_is_looked_up_saves_nothing() {
    use skytells_emulator::{Break, Breakage, Endpoint};
    let sandbox = Sandbox::new(|scenario| {
        scenario.breaks = vec![Break { endpoint: Endpoint::Me, breakage: Breakage::Stall { ms: 20_000 } }];
    });
    sandbox.emulator.add_token(&token("ab"), &[]);
    let before = r#"{"api_key":"legacy"}"#;
    sandbox.write_credentials(before);
    let before = sandbox.stored();
    let child =
        sandbox.spawn_with_input(sandbox.command(&["login", "--token"]), format!("{}\n", token("ab")).as_bytes());
    // Interrupt once the identity lookup has reached the (stalled) API.
    assert!(sandbox.emulator.wait_for_path("/api/v1/cli/me", Duration::from_secs(20)), "no identity lookup");
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let run: common::Run = child.wait_with_output().unwrap().into();
    assert_eq!(run.code, Some(130), "{run:?}");
    assert!(run.stderr.contains("Interrupted; nothing was saved."), "{}", run.stderr);
    assert_eq!(sandbox.stored(), before, "the token was saved");
}

#[test]
fn a_folder_that_cannot_keep_the_token_is_refused_before_a_code_is_asked_for() {
    let sandbox = Sandbox::new(|scenario| scenario.auto_approve_after = Some(0.0));
    // A folder someone else owns: the token could never be kept there.
    std::fs::create_dir_all(sandbox.config_dir()).unwrap();
    let status = std::process::Command::new("chown").args(["nobody"]).arg(sandbox.config_dir()).status().unwrap();
    assert!(status.success());
    for args in [&["login", "--no-browser"][..], &["login", "--token"]] {
        let run = sandbox.run(args, &token("ab"));
        assert_eq!(run.code, Some(1), "{args:?}: {run:?}");
        assert!(run.stderr.contains("refusing to keep credentials in"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("it belongs to another user"), "{args:?}: {}", run.stderr);
    }
    assert!(sandbox.emulator.log().is_empty(), "the server was asked: {:?}", sandbox.emulator.log());
}

#[test]
#[ignore = "needs the Windows Credential Manager: scripts/wine-tests.sh runs it against skytells.exe under Wine"]
fn a_token_kept_in_the_credential_manager_reads_back_as_the_same_text() {
    let sandbox = Sandbox::new(|_| {});
    let secret = token("5e");
    sandbox.emulator.add_token(&secret, &[]);
    let login = sandbox.run(&["login", "--token", "--keyring"], &secret);
    assert_eq!(login.code, Some(0), "{login:?}");
    let file = sandbox.stored();
    assert!(!file.contains(&secret), "the secret is in a file: {file}");
    assert_eq!(sandbox.emulator_login()["token_keyring"]["service"], "skytells-cli", "{file}");
    // Read back through the Credential Manager: the same text, not its UTF-16 bytes.
    let printed = sandbox.run(&["auth", "token"], "");
    assert_eq!((printed.code, printed.stdout.as_str()), (Some(0), format!("{secret}\n").as_str()), "{printed:?}");
    let whoami = sandbox.run(&["whoami"], "");
    assert!(whoami.stdout.contains("Token:       sk_pat_5e5e… (from system keyring"), "{whoami:?}");
    // Logout deletes it there too: nothing is left to read.
    assert_eq!(sandbox.run(&["logout", "--force"], "").code, Some(0));
    let printed = sandbox.run(&["auth", "token"], "");
    assert_eq!(printed.code, Some(4), "{printed:?}");
}
