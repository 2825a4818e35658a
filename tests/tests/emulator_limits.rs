//! The emulator, which users run in their own CI, survives bad knobs and floods: every
//! knob is checked with a clear error, and what it reads and remembers is bounded.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use skytells_emulator::{Emulator, Scenario, LOG_CAPACITY, MAX_LOGGED_PATH};

/// One raw request; returns the status line's code (0 when the connection was dropped).
fn raw(emulator: &Emulator, method: &str, target: &str, body: &str) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", emulator.port())).unwrap();
    let request = format!("{method} {target} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    let _ = stream.write_all(request.as_bytes());
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0)
}

#[test]
fn bad_knobs_get_a_400_and_the_emulator_keeps_serving() {
    let emulator = Emulator::start(Scenario::default()).unwrap();
    for body in [r#"{"auto_approve_after": -1}"#, r#"{"expires_in": 1e300}"#, r#"{"interval": -1e12}"#] {
        assert_eq!(raw(&emulator, "POST", "/_emulator/scenario", body), 400, "{body}");
    }
    assert_eq!(emulator.scenario(), Scenario::default(), "nothing was changed");
    // A poll after the refused knobs is answered normally, not with a crash.
    let device = raw(&emulator, "POST", "/api/oauth/device", r#"{"client_name":"t","scopes":[]}"#);
    assert_eq!(device, 200);
    let poll = r#"{"device_code":"nope","grant_type":"urn:ietf:params:oauth:grant-type:device_code"}"#;
    assert_eq!(raw(&emulator, "POST", "/api/oauth/token", poll), 400);
}

#[test]
fn bad_command_line_knobs_are_usage_errors() {
    for args in [&["--expires-in", "1e300"][..], &["--interval", "NaN"], &["--auto-approve-after=-1"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_skytells-emulator"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{args:?}: the emulator started serving instead of refusing");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        assert_eq!(status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("invalid option:"), "{args:?}: {stderr}");
    }
}

#[test]
fn huge_request_lines_are_refused_before_they_are_read() {
    let emulator = Emulator::start(Scenario::default()).unwrap();
    let long_path = format!("/{}", "a".repeat(1 << 20));
    assert_eq!(raw(&emulator, "GET", &long_path, ""), 414);
    assert!(emulator.log().iter().all(|entry| entry.path.len() <= MAX_LOGGED_PATH + 3));
    let mut stream = TcpStream::connect(("127.0.0.1", emulator.port())).unwrap();
    let huge_header = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "b".repeat(100 * 1024));
    let _ = stream.write_all(huge_header.as_bytes());
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.40}");
    let path = format!("/{}", "p".repeat(4000));
    assert_eq!(raw(&emulator, "GET", &path, ""), 404);
    let logged = emulator.log().pop().unwrap().path;
    assert!(logged.len() <= MAX_LOGGED_PATH + 3 && logged.ends_with('…'), "{}", logged.len());
}

#[test]
fn the_request_log_keeps_the_newest_entries_and_counts_the_rest() {
    let emulator = Emulator::start(Scenario::default()).unwrap();
    for _ in 0..LOG_CAPACITY + 7 {
        assert_eq!(raw(&emulator, "GET", "/nothing-here", ""), 404);
    }
    assert_eq!(emulator.log().len(), LOG_CAPACITY);
    assert_eq!(emulator.log_dropped(), 7);
}
