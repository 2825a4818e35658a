//! Values from the environment, through the real binary: credentials trimmed once and
//! used as checked, folders used byte for byte.

mod common;

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
    let written = std::fs::read_to_string(folder.join("credentials.json")).expect("written in the folder named");
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
    sandbox.write_credentials(&format!(r#"{{"token":"{}"}}"#, token("ab")));
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
