//! What users of gh, cargo and rustup expect: completions, a man page, JSON, quiet,
//! verbose, colour, scripting helpers.

// A Unix-host harness (Unix modes, `sh` scripts, util-linux `script`, /proc). Windows runs
// it from the Linux host against skytells.exe under Wine (scripts/wine-tests.sh).
#![cfg(unix)]

mod common;

use std::process::Command;

use common::{token, Sandbox, TypeWhen};
use serde_json::{json, Value};

#[test]
fn completions_are_generated_for_every_shell() {
    let sandbox = Sandbox::new(|_| {});
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = sandbox.run(&["completion", shell], "");
        assert_eq!(run.code, Some(0), "{shell}: {run:?}");
        for word in ["login", "logout", "whoami", "link", "scopes"] {
            assert!(run.stdout.contains(word), "{shell} completion lacks {word}");
        }
    }
    // The bash script is valid bash.
    let script = sandbox.home.path().join("skytells.bash");
    std::fs::write(&script, sandbox.run(&["completion", "bash"], "").stdout).unwrap();
    let status = Command::new("bash").arg("-n").arg(&script).status().unwrap();
    assert!(status.success());
    assert_eq!(sandbox.run(&["completion", "tcsh"], "").code, Some(2));
}

#[test]
fn the_man_page_is_generated_from_the_command_line_definition() {
    let sandbox = Sandbox::new(|_| {});
    let run = sandbox.run(&["man"], "");
    assert_eq!(run.code, Some(0));
    assert!(run.stdout.starts_with(".ie \\n(.g .ds Aq \\(aq"), "{}", &run.stdout[..80]);
    assert!(run.stdout.contains(".TH skytells 1"));
    for word in ["login", "link", "whoami", "logout", "SKYTELLS_CONFIG_DIR", "\\-\\-api\\-url"] {
        assert!(run.stdout.contains(word), "man page lacks {word}");
    }
}

#[test]
fn every_page_the_manual_refers_to_exists_and_documents_its_options() {
    let sandbox = Sandbox::new(|_| {});
    let dir = sandbox.home.path().join("man1");
    let run = sandbox.run(&["man", "--dir", dir.to_str().unwrap()], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    let page = |name: &str| std::fs::read_to_string(dir.join(format!("{name}.1"))).unwrap_or_default();
    let mut referenced = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for part in text.split("skytells\\-").skip(1) {
            if let Some(name) = part.split_once("(1)").map(|(name, _)| name).filter(|name| name.len() < 30) {
                referenced.push(format!("skytells-{}", name.replace("\\-", "-")));
            }
        }
    }
    assert!(referenced.contains(&"skytells-login".to_owned()), "{referenced:?}");
    for name in &referenced {
        assert!(!page(name).is_empty(), "{name}(1) is referred to but was not written");
    }
    let options = [
        ("skytells-login", &["\\-\\-scopes", "\\-\\-token", "\\-\\-no\\-browser", "\\-\\-json"][..]),
        ("skytells-whoami", &["\\-\\-offline", "\\-\\-json"]),
        ("skytells-logout", &["\\-\\-force"]),
        ("skytells-link", &["ACCESS_KEY"]),
    ];
    for (name, flags) in options {
        for flag in flags {
            assert!(page(name).contains(flag), "{name}(1) does not document {flag}");
        }
    }
}

#[test]
fn version_and_help_exit_zero_and_usage_errors_exit_two() {
    let sandbox = Sandbox::new(|_| {});
    let version = sandbox.run(&["--version"], "");
    assert_eq!((version.code, version.stdout.as_str()), (Some(0), "skytells 0.1.0\n"));
    assert_eq!(sandbox.run(&["--help"], "").code, Some(0));
    let wrong = sandbox.run(&["login", "--scopes", "inference", "--token"], "");
    assert_eq!(wrong.code, Some(2));
    assert!(wrong.stderr.contains("cannot be used with"), "{}", wrong.stderr);
}

#[test]
fn auth_token_prints_the_token_in_use_for_scripts() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}"}}"#, token("ab")));
    let run = sandbox.run(&["auth", "token"], "");
    assert_eq!((run.code, run.stdout), (Some(0), format!("{}\n", token("ab"))));
    let mut from_env = sandbox.command(&["auth", "token"]);
    from_env.env("SKYTELLS_TOKEN", token("cd"));
    assert_eq!(sandbox.run_command(from_env, "").stdout, format!("{}\n", token("cd")));
    std::fs::remove_file(sandbox.origins_file()).unwrap();
    let none = sandbox.run(&["auth", "token"], "");
    assert_eq!(none.code, Some(4));
    assert!(none.stderr.contains("You are not authenticated"));
    assert!(sandbox.emulator.log().is_empty(), "auth token asks no one");
}

#[test]
fn auth_status_is_whoami() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}"}}"#, token("ab")));
    let status = sandbox.run(&["auth", "status", "--json"], "");
    let whoami = sandbox.run(&["whoami", "--json"], "");
    assert_eq!(status.code, Some(0));
    assert_eq!(status.stdout, whoami.stdout);
}

#[test]
fn whoami_offline_asks_no_one() {
    let sandbox = Sandbox::new(|_| {});
    let mut command = sandbox.command(&["whoami", "--offline", "--json"]);
    command.env("SKYTELLS_TOKEN", token("ab")).env("SKYTELLS_ACCESS_KEY", "sk_proj_k1");
    let run = sandbox.run_command(command, "");
    assert_eq!(run.code, Some(0), "{run:?}");
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["status"], "unverified");
    assert_eq!(report["authenticated"], false);
    assert_eq!(report["access_key"]["status"], "unverified");
    assert!(sandbox.emulator.log().is_empty());
    let none = sandbox.run(&["whoami", "--offline"], "");
    assert_eq!(none.code, Some(4));
}

#[test]
fn verbose_logs_each_request_without_secrets() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    let run = sandbox.run(&["-v", "login", "--token"], &token("ab"));
    assert_eq!(run.code, Some(0), "{run:?}");
    let url = sandbox.emulator.url();
    assert!(run.stderr.contains(&format!("DEBUG GET {url}/api/v1/cli/projects -> 200 OK in ")), "{}", run.stderr);
    assert!(run.stderr.contains(&format!("DEBUG GET {url}/api/v1/cli/me -> 200 OK in ")), "{}", run.stderr);
    assert!(!run.all().contains(&token("ab")));
    let mut from_env = sandbox.command(&["whoami"]);
    from_env.env("SKYTELLS_LOG", "debug");
    assert!(sandbox.run_command(from_env, "").stderr.contains("DEBUG GET "));
    assert!(!sandbox.run(&["whoami"], "").stderr.contains("DEBUG"), "silent unless asked");
}

#[test]
fn quiet_prints_only_errors() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    sandbox.emulator.add_access_key("sk_proj_q", "Quiet");
    let login = sandbox.run(&["login", "--token", "-q"], &token("ab"));
    assert_eq!((login.code, login.stdout.as_str(), login.stderr.as_str()), (Some(0), "", ""));
    let link = sandbox.run(&["-q", "link", "sk_proj_q"], "");
    assert_eq!((link.code, link.stdout.as_str()), (Some(0), ""));
    let failing = sandbox.run(&["-q", "link", "sk_proj_unknown"], "");
    assert_eq!(failing.code, Some(4));
    assert!(failing.stderr.starts_with("error: Access key is invalid"));
}

#[test]
fn quiet_device_login_still_shows_the_code() {
    let sandbox = Sandbox::new(|scenario| scenario.auto_approve_after = Some(0.0));
    let run = sandbox.run(&["login", "--quiet", "--no-browser"], "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("Your device code is:"));
    assert!(!run.stderr.contains("Initiating") && run.stdout.is_empty(), "{run:?}");
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let sandbox = Sandbox::new(|_| {});
    assert!(sandbox.run(&["whoami", "--color", "always"], "").stdout.contains("\u{1b}[31m✖"));
    assert!(!sandbox.run(&["whoami"], "").all().contains('\u{1b}'), "piped: no colour");
    let on_terminal = common::in_terminal(&sandbox.command(&["whoami"]), TypeWhen::Never, "", 100);
    assert!(on_terminal.stdout.contains("\u{1b}[31m✖"), "{on_terminal:?}");
    let mut no_color = sandbox.command(&["whoami"]);
    no_color.env("NO_COLOR", "1");
    assert!(!common::in_terminal(&no_color, TypeWhen::Never, "", 100).stdout.contains("\u{1b}[31m"));
    assert!(!common::in_terminal(&sandbox.command(&["whoami", "--color", "never"]), TypeWhen::Never, "", 100)
        .stdout
        .contains("\u{1b}[31m"));
}

#[test]
fn login_link_and_logout_speak_json() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    sandbox.emulator.add_access_key("sk_proj_json_1", "Json App");
    let login: Value =
        serde_json::from_str(&sandbox.run(&["login", "--token", "--json"], &token("ab")).stdout).unwrap();
    assert_eq!(
        login,
        json!({
            "status": "authenticated",
            "user": {"id": "usr_0001", "name": "Ada Lovelace", "email": "ada@example.com"},
            "token": {"prefix": "sk_pat_abab…"},
            "scopes": null,
            "credentials_file": "~/config/origins.json",
            "stored_in": "file"
        })
    );
    let link: Value = serde_json::from_str(&sandbox.run(&["link", "sk_proj_json_1", "--json"], "").stdout).unwrap();
    assert_eq!(
        link,
        json!({
            "project": {"id": "prj_0001", "name": "Json App", "slug": "json-app"},
            "access_key": {"prefix": "sk_proj_json…"},
            "credentials_file": "~/config/origins.json",
            "stored_in": "file"
        })
    );
    let logout: Value = serde_json::from_str(&sandbox.run(&["logout", "--force", "--json"], "").stdout).unwrap();
    assert_eq!(
        logout,
        json!({
            "logged_out": true,
            "api": sandbox.origin(),
            "credentials_file": "~/config/origins.json",
            "removed_files": [],
            "still_logged_in_to": [],
            "complete": true,
            "kept_in_keyring": [],
            "api_keys_kept": [],
            "api_keys_removed": []
        })
    );
}

#[test]
fn https_proxy_is_used_for_remote_apis_and_never_sees_the_token() {
    // The emulator stands in as the proxy: it logs the CONNECT it is asked for. The API's
    // name is never resolved here (the proxy would resolve it), so nothing leaves the
    // machine. Requests to this machine never use a proxy (cli/tests/environment.rs).
    let proxy = Sandbox::new(|_| {});
    let mut proxied = proxy.command(&["whoami"]);
    proxied
        .env("SKYTELLS_TOKEN", token("ab"))
        .env("SKYTELLS_API_URL", "https://api.example.test")
        .env("HTTPS_PROXY", proxy.emulator.url());
    let run = proxy.run_command(proxied, "");
    assert_eq!(run.code, Some(1), "{run:?}");
    let log = proxy.emulator.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!((log[0].method.as_str(), log[0].path.as_str()), ("CONNECT", "api.example.test:443"));
    assert!(!log[0].authorized, "the proxy never sees the token");
}

#[test]
fn relative_and_home_relative_config_dirs() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_a", "A");
    let mut relative = sandbox.command(&["link", "sk_proj_a"]);
    relative.env("SKYTELLS_CONFIG_DIR", "rel/cfg").current_dir(sandbox.home.path());
    assert_eq!(sandbox.run_command(relative, "").code, Some(0));
    assert!(sandbox.home.path().join("rel/cfg/origins.json").exists());

    let mut tilde = sandbox.command(&["link", "sk_proj_a"]);
    tilde.env("SKYTELLS_CONFIG_DIR", "~/tilde-cfg");
    let run = sandbox.run_command(tilde, "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("Access key saved to ~/tilde-cfg/origins.json"), "{}", run.stdout);
    assert!(sandbox.home.path().join("tilde-cfg/origins.json").exists());
}
