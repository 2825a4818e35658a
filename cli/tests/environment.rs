//! Values from the environment, through the real binary: credentials trimmed once and
//! used as checked, folders used byte for byte.

// A Unix-host harness (Unix modes, `sh` scripts, util-linux `script`, /proc). Windows runs
// it from the Linux host against skytells.exe under Wine (scripts/wine-tests.sh).
#![cfg(unix)]

mod common;

use std::process::Command;

use common::{token, Sandbox};

#[test]
fn a_token_with_surrounding_whitespace_is_trimmed_once_and_used_as_checked() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    let padded = format!("  {}\n", token("ab"));
    let mut printed = sandbox.command(&["auth", "token"]);
    printed.env("SKYTELLS_TOKEN", &padded);
    let run = sandbox.run_command(printed, "");
    assert_eq!((run.code, run.stdout.as_str()), (Some(0), format!("{}\n", token("ab")).as_str()), "{run:?}");
    // The API accepts only the exact token: `Bearer  sk_…` with the spaces would be refused.
    let mut whoami = sandbox.command(&["whoami"]);
    whoami.env("SKYTELLS_TOKEN", &padded);
    let run = sandbox.run_command(whoami, "");
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("Status:      authenticated"), "{}", run.stdout);
    let mut key = sandbox.command(&["whoami", "--offline"]);
    key.env("SKYTELLS_ACCESS_KEY", "\tsk_proj_padded \n");
    let run = sandbox.run_command(key, "");
    assert!(run.stdout.contains("key sk_proj_padd… from SKYTELLS_ACCESS_KEY"), "{}", run.stdout);
}

#[cfg(unix)]
#[test]
fn a_config_folder_that_is_not_utf8_is_the_folder_written() {
    use std::os::unix::ffi::OsStrExt;
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_access_key("sk_proj_bytes", "Bytes");
    let folder = sandbox.home.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    let mut link = sandbox.command(&["link", "sk_proj_bytes"]);
    link.env("SKYTELLS_CONFIG_DIR", &folder);
    let run = sandbox.run_command(link, "");
    assert_eq!(run.code, Some(0), "{run:?}");
    let written = std::fs::read_to_string(folder.join("origins.json")).expect("written in the folder named");
    assert!(written.contains("sk_proj_bytes"));
    let lossy = sandbox.home.path().join("caf\u{fffd}");
    assert!(!lossy.exists(), "a lossily converted folder was written instead");
}

#[test]
fn an_api_url_with_credentials_a_fragment_or_a_bad_port_is_refused_before_any_request() {
    let sandbox = Sandbox::new(|_| {});
    let port = sandbox.emulator.port();
    let with_password = format!("http://ada:s3cret@127.0.0.1:{port}");
    for args in [&["whoami"][..], &["whoami", "--json"], &["-v", "whoami"], &["login", "--no-browser"]] {
        let mut command = sandbox.command(args);
        command.env("SKYTELLS_API_URL", &with_password);
        let run = sandbox.run_command(command, "");
        assert_eq!(run.code, Some(2), "{args:?}: {run:?}");
        assert!(run.stderr.contains("the URL carries a user name or password"), "{}", run.stderr);
        assert!(!run.all().contains("s3cret"), "{args:?} printed the password: {}", run.all());
    }
    for url in [
        format!("http://127.0.0.1:{port}/#frag"),
        "http://127.0.0.1:99999".to_owned(),
        "http://127.0.0.1:8x".to_owned(),
    ] {
        let mut command = sandbox.command(&["whoami"]);
        command.env("SKYTELLS_API_URL", &url);
        let run = sandbox.run_command(command, "");
        assert_eq!(run.code, Some(2), "{url}: {run:?}");
        assert!(run.stderr.contains("is not an absolute http(s) URL"), "{url}: {}", run.stderr);
    }
    assert!(sandbox.emulator.log().is_empty(), "a request was sent");
}

#[test]
fn a_closed_standard_output_is_a_quiet_exit_not_a_crash() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}"}}"#, token("ab")));
    let commands: [&[&str]; 6] = [
        &["whoami", "--json", "--offline"],
        &["whoami", "--offline"],
        &["auth", "token"],
        &["completion", "bash"],
        &["man"],
        &["logout", "--force", "--json"],
    ];
    for args in commands {
        // The reading end is closed before the command starts: every write to stdout
        // meets a broken pipe, as with `skytells whoami --json | true`.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut command = sandbox.command(args);
        let output = command.stdout(writer).stderr(std::process::Stdio::piped()).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_closed_standard_error_never_changes_a_commands_exit_status() {
    use std::os::unix::process::ExitStatusExt;
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    // Each command writes to stderr: an error, a warning (SKYTELLS_TOKEN set, for logout),
    // or the request log (`-v`). The last field: whether SKYTELLS_TOKEN is set.
    let cases: [(&[&str], &str, bool, i32); 7] = [
        (&["whoami"], "", false, 4),
        (&["auth", "token"], "", false, 4),
        (&["login", "--token"], "sk_pat_123\n", false, 2),
        (&["link", "sk_nope"], "", false, 2),
        (&["-v", "whoami"], "", true, 0),
        (&["logout"], "", false, 2),
        (&["logout", "--force"], "", true, 0),
    ];
    for (args, stdin, token_in_env, expected) in cases {
        if args[0] == "logout" {
            sandbox.write_emulator_login(&format!(r#"{{"token":"{}"}}"#, token("ab")));
        }
        let mut command = sandbox.command(args);
        if token_in_env {
            command.env("SKYTELLS_TOKEN", token("ab"));
        }
        // Its reader gone before the command starts: every write to stderr is a broken pipe.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        command.stderr(writer);
        let mut child =
            command.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            (output.status.code(), output.status.signal()),
            (Some(expected), None),
            "{args:?} with its stderr's reader gone; stdout: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        // Closed outright (`2>&-`), through a shell as a user would write it.
        let mut closed = Command::new("sh");
        closed.arg("-c").arg(r#"exec "$0" "$@" 2>&-"#).arg(command.get_program()).args(command.get_args());
        closed.env_clear().envs(command.get_envs().filter_map(|(name, value)| Some((name, value?))));
        let run = sandbox.run_command(closed, stdin);
        assert_eq!(run.code, Some(expected), "{args:?} with stderr closed: {run:?}");
    }
}

#[test]
fn the_environment_wins_over_a_credentials_file_that_cannot_be_used() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("cd"), &[]);
    let corrupt = || sandbox.write_credentials("{ this is not json");
    let symlinked = || {
        std::fs::create_dir_all(sandbox.config_dir()).unwrap();
        let elsewhere = sandbox.home.path().join("elsewhere.json");
        std::fs::write(&elsewhere, "{}").unwrap();
        let _ = std::fs::remove_file(sandbox.credentials());
        std::os::unix::fs::symlink(&elsewhere, sandbox.credentials()).unwrap();
    };
    for (what, make) in [("corrupt", &corrupt as &dyn Fn()), ("a symbolic link", &symlinked)] {
        make();
        for args in [&["auth", "token"][..], &["whoami"], &["whoami", "--offline"]] {
            let mut command = sandbox.command(args);
            command.env("SKYTELLS_TOKEN", token("cd"));
            let run = sandbox.run_command(command, "");
            assert_eq!(run.code, Some(0), "{what}, {args:?}: {run:?}");
            assert!(run.stderr.contains("warning:"), "{what}, {args:?}: the file problem is reported: {}", run.stderr);
        }
        // Without the variable, the file problem is the error it always was.
        let run = sandbox.run(&["auth", "token"], "");
        assert_ne!(run.code, Some(0), "{what}: {run:?}");
    }
}

#[test]
fn a_loose_file_that_cannot_be_tightened_is_still_read_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    // Another user reads a 0644 file that root owns: it cannot change the mode, and
    // must not fail because of it. The binary is copied where that user can run it.
    let sandbox = Sandbox::new(|_| {});
    let shared = tempfile::Builder::new().prefix("skytells-shared").tempdir().unwrap();
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let binary = shared.path().join("skytells");
    std::fs::copy(env!("CARGO_BIN_EXE_skytells"), &binary).unwrap();
    let config = shared.path().join("config");
    std::fs::create_dir(&config).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = config.join("credentials.json");
    std::fs::write(&file, sandbox.for_emulator(&format!(r#"{{"token":"{}"}}"#, token("ab")))).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    for args in [&["whoami", "--offline"][..], &["auth", "token"]] {
        let output = Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
            .arg(&binary)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", shared.path())
            .env("SKYTELLS_CONFIG_DIR", &config)
            .env("SKYTELLS_API_URL", sandbox.emulator.url())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.contains("could not be changed to 0600"), "{args:?}: {stderr}");
    }
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o644);
}

#[test]
fn plain_http_goes_only_to_a_loopback_address_and_never_through_a_proxy() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    let port = sandbox.emulator.port();
    // `localhost` and `127.0.0.1` are two origins, each with its own login.
    let login = serde_json::json!({ "token": token("ab") });
    sandbox.write_credentials(
        &serde_json::json!({"origins": {
            format!("http://127.0.0.1:{port}"): login.clone(), format!("http://localhost:{port}"): login
        }})
        .to_string(),
    );
    // Another emulator stands in as the proxy: its log shows anything sent through it.
    let proxy = skytells_emulator::Emulator::start(skytells_emulator::Scenario::default()).unwrap();
    for api in [format!("http://127.0.0.1:{port}"), format!("http://localhost:{port}")] {
        let mut command = sandbox.command(&["whoami"]);
        command.env("SKYTELLS_API_URL", &api);
        for name in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
            command.env(name, proxy.url());
        }
        let run = sandbox.run_command(command, "");
        assert_eq!(run.code, Some(0), "{api}: {run:?}");
        assert!(run.stdout.contains("Status:      authenticated"), "{api}: {}", run.stdout);
    }
    assert!(proxy.log().is_empty(), "a request to this machine went through the proxy: {:?}", proxy.log());
    // A `*.localhost` name is resolved like any other and may lead anywhere: refused.
    let mut command = sandbox.command(&["-v", "whoami"]);
    command.env("SKYTELLS_API_URL", format!("http://api.localhost:{port}"));
    let run = sandbox.run_command(command, "");
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("refusing plain http to `api.localhost`"), "{}", run.stderr);
    assert!(!run.stderr.contains("DEBUG"), "a request was attempted: {}", run.stderr);
}

/// A stand-in for a proxy: a listener on loopback that nobody answers. Its connections are
/// read only once the command has ended, when every connection the command made is queued
/// (the kernel completes the handshake without `accept`) and closed, so reading each to
/// its end cannot wait.
struct RecordingProxy {
    listener: std::net::TcpListener,
}

impl RecordingProxy {
    fn start() -> Self {
        RecordingProxy { listener: std::net::TcpListener::bind("127.0.0.1:0").unwrap() }
    }

    fn url(&self) -> String {
        format!("http://{}", self.listener.local_addr().unwrap())
    }

    /// What each connection sent, once the command that made them has exited.
    fn received(&self) -> Vec<String> {
        use std::io::Read;
        self.listener.set_nonblocking(true).unwrap();
        let mut received = Vec::new();
        loop {
            match self.listener.accept() {
                Ok((mut stream, _)) => {
                    stream.set_nonblocking(false).unwrap();
                    let mut bytes = Vec::new();
                    // A reset after some bytes still leaves them in `bytes`: they were sent.
                    let _ = stream.read_to_end(&mut bytes);
                    received.push(String::from_utf8_lossy(&bytes).into_owned());
                }
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => return received,
                Err(error) => panic!("accepting on the proxy: {error}"),
            }
        }
    }
}

#[test]
fn the_case_of_scheme_and_host_never_sends_plain_http_through_a_proxy() {
    let sandbox = Sandbox::new(|_| {});
    sandbox.emulator.add_token(&token("ab"), &[]);
    let port = sandbox.emulator.port();
    let proxy = RecordingProxy::start();
    for (api, shown) in [
        (format!("HTTP://LocalHost:{port}"), format!("http://localhost:{port}")),
        (format!("Http://LOCALHOST.:{port}/"), format!("http://localhost:{port}")),
        (format!("HTTP://127.0.0.1:{port}"), format!("http://127.0.0.1:{port}")),
    ] {
        for json in [false, true] {
            let mut command = sandbox.command(if json { &["whoami", "--json"] } else { &["whoami"] });
            command.env("SKYTELLS_API_URL", &api).env("SKYTELLS_TOKEN", token("ab"));
            for name in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
                command.env(name, proxy.url());
            }
            // The proxy never answers: a request sent to it fails in seconds, not in 30.
            command.env("SKYTELLS_HTTP_TIMEOUT", "3");
            let run = sandbox.run_command(command, "");
            assert_eq!(
                proxy.received(),
                Vec::<String>::new(),
                "{api}: a request to this machine went through the proxy"
            );
            assert_eq!(run.code, Some(0), "{api}: {run:?}");
            if json {
                let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
                assert_eq!(
                    (report["api_url"].as_str(), report["status"].as_str()),
                    (Some(&*shown), Some("authenticated"))
                );
            } else {
                assert!(run.stdout.contains(&format!("Logged in to {shown} as Ada")), "{api}: {}", run.stdout);
            }
        }
    }
}

#[test]
fn without_home_the_config_folder_is_under_the_windows_profile_folder_and_elsewhere_an_error() {
    let sandbox = Sandbox::new(|_| {});
    let mut command = sandbox.command(&["whoami", "--offline"]);
    command.env_remove("HOME").env_remove("SKYTELLS_CONFIG_DIR");
    let run = sandbox.run_command(command, "");
    if common::windows_binary() {
        // cmd.exe and PowerShell set no HOME (and Wine passes none on): %USERPROFILE%
        // (Wine sets its own) names the folder, and nothing fails for want of HOME.
        assert_eq!(run.code, Some(4), "not logged in, rather than an error: {run:?}");
        let shown = run.stdout.lines().find_map(|line| line.strip_prefix("  Credentials: ")).unwrap_or_default();
        assert!(shown.ends_with(r"\.config\skytells\origins.json"), "{run:?}");
        assert!(shown.as_bytes().get(1..3) == Some(b":\\"), "a drive letter: {run:?}");
    } else {
        assert_eq!(run.code, Some(1), "{run:?}");
        assert!(run.stderr.contains("neither SKYTELLS_CONFIG_DIR nor HOME is set"), "{run:?}");
    }
}

#[test]
fn variable_names_are_matched_regardless_of_case_on_windows_and_exactly_elsewhere() {
    // cmd.exe and PowerShell keep a name as it was typed (`set skytells_config_dir=…`), and
    // Windows matches names regardless of case; Unix names are case-sensitive.
    let sandbox = Sandbox::new(|_| {});
    sandbox.write_emulator_login(&format!(r#"{{"token":"{}"}}"#, token("ab")));
    let mut command = sandbox.command(&["whoami", "--offline"]);
    command
        .env_remove("SKYTELLS_CONFIG_DIR")
        .env_remove("SKYTELLS_API_URL")
        .env("skytells_config_dir", sandbox.config_dir())
        .env("Skytells_Api_Url", sandbox.emulator.url());
    let run = sandbox.run_command(command, "");
    if common::windows_binary() {
        assert_eq!(run.code, Some(0), "{run:?}");
        assert!(run.stdout.contains(&format!("Credentials for {} (not checked", sandbox.origin())), "{run:?}");
    } else {
        assert_eq!(run.code, Some(4), "{run:?}");
        assert!(run.stdout.contains("Not logged in to https://console.skytells.ai"), "{run:?}");
    }
}
