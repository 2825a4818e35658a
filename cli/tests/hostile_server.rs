//! Broken and hostile servers, through the real binary: every case ends with a clear
//! message, in bounded time, with the credentials file untouched.

// A Unix-host harness (Unix modes, `sh` scripts, util-linux `script`, /proc). Windows runs
// it from the Linux host against skytells.exe under Wine (scripts/wine-tests.sh).
#![cfg(unix)]

mod common;

use std::time::{Duration, Instant};

use common::{token, Sandbox};
use skytells_emulator::{Break, Breakage, Endpoint, Scenario};

struct Case {
    name: &'static str,
    scenario: fn(&mut Scenario),
    /// Exit status expected.
    code: i32,
    /// Text the output must contain.
    says: &'static str,
    /// The longest the command may take.
    within: Duration,
}

fn broken(endpoint: Endpoint, breakage: Breakage) -> Vec<Break> {
    vec![Break { endpoint, breakage }]
}

const STORED: &str = r#"{"access_key":"sk_proj_untouched","api_key":"legacy"}"#;

fn check(case: &Case, args: &[&str]) {
    let sandbox = Sandbox::new(case.scenario);
    sandbox.write_credentials(STORED);
    let stored = sandbox.stored();
    let mut command = sandbox.command(args);
    command.env("SKYTELLS_HTTP_TIMEOUT", "1");
    let started = Instant::now();
    let run = sandbox.run_command(command, "");
    let took = started.elapsed();
    assert_eq!(run.code, Some(case.code), "{}: {run:?}", case.name);
    assert!(run.all().contains(case.says), "{}: expected {:?} in\n{}", case.name, case.says, run.all());
    assert!(took < case.within, "{}: took {took:?}", case.name);
    assert!(!run.all().contains('\u{1b}'), "{}: escape sequence in output", case.name);
    if case.code != 0 {
        assert_eq!(sandbox.stored(), stored, "{}: file changed", case.name);
    }
}

const SECONDS_5: Duration = Duration::from_secs(5);

#[test]
fn broken_device_authorization_answers() {
    let cases = [
        Case {
            name: "malformed JSON",
            scenario: |s| s.breaks = broken(Endpoint::Device, Breakage::MalformedJson),
            code: 1,
            says: "error: could not start device authorization: the Skytells API sent an unusable answer (HTTP 200): the response is not valid JSON (content type application/json)",
            within: SECONDS_5,
        },
        Case {
            name: "wrong content type",
            scenario: |s| s.breaks = broken(Endpoint::Device, Breakage::Html),
            code: 1,
            says: "the response is not valid JSON (content type text/html)",
            within: SECONDS_5,
        },
        Case {
            name: "oversized body",
            scenario: |s| s.breaks = broken(Endpoint::Device, Breakage::Oversized { bytes: 4 << 20 }),
            code: 1,
            says: "the Skytells API sent an answer larger than the limit (response too large",
            within: SECONDS_5,
        },
        Case {
            name: "slower than the timeout",
            scenario: |s| s.breaks = broken(Endpoint::Device, Breakage::Stall { ms: 8000 }),
            code: 1,
            says: "could not reach the Skytells API: timed out",
            within: Duration::from_secs(4),
        },
        Case {
            name: "dropped mid-body",
            scenario: |s| s.breaks = broken(Endpoint::Device, Breakage::DropMidBody),
            code: 1,
            says: "could not reach the Skytells API",
            within: SECONDS_5,
        },
        Case {
            name: "redirect to plain http elsewhere",
            scenario: |s| {
                s.breaks = broken(Endpoint::Device, Breakage::RedirectTo { location: "http://evil.example/steal".into() })
            },
            code: 1,
            says: "the API answered with a redirect (HTTP 302) to http://evil.example/steal; redirects are not followed.",
            within: SECONDS_5,
        },
        Case {
            name: "missing fields",
            scenario: |s| s.omit_fields = vec!["user_code".into()],
            code: 1,
            says: "the response has no `user_code`",
            within: SECONDS_5,
        },
        Case {
            name: "non-http verification_uri",
            scenario: |s| s.verification_uri = Some("javascript:alert(document.cookie)".into()),
            code: 1,
            says: "`verification_uri` is not an http(s) URL",
            within: SECONDS_5,
        },
    ];
    for case in &cases {
        check(case, &["login", "--no-browser"]);
    }
}

#[test]
fn broken_token_answers() {
    let cases = [
        Case {
            name: "no access_token",
            scenario: |s| s.breaks = broken(Endpoint::Token, Breakage::MissingAccessToken),
            code: 1,
            says: "device authorization failed: the Skytells API sent an unusable answer (HTTP 200): the response has no `access_token`",
            within: SECONDS_5,
        },
        Case {
            name: "malformed access_token",
            scenario: |s| s.breaks = broken(Endpoint::Token, Breakage::BadAccessToken),
            code: 1,
            says: "the response's `access_token` is not a well-formed token",
            within: SECONDS_5,
        },
        Case {
            name: "HTML instead of a token",
            scenario: |s| s.breaks = broken(Endpoint::Token, Breakage::Html),
            code: 1,
            says: "the response is not valid JSON (content type text/html)",
            within: SECONDS_5,
        },
        Case {
            name: "polls that time out until the code expires",
            scenario: |s| {
                s.expires_in = Some(3.0);
                s.breaks = broken(Endpoint::Token, Breakage::Stall { ms: 8000 });
            },
            code: 1,
            says: "The device code expired before it was approved (codes stay valid for 3 seconds)",
            within: Duration::from_secs(6),
        },
    ];
    for case in &cases {
        check(case, &["login", "--no-browser"]);
    }
}

#[test]
fn absurd_timing_is_clamped() {
    let cases = [
        Case {
            name: "interval 0",
            scenario: |s| {
                s.interval = Some(0.0);
                s.auto_approve_after = Some(0.0);
            },
            code: 0,
            says: "Authenticated successfully!",
            within: SECONDS_5,
        },
        Case {
            name: "negative interval",
            scenario: |s| {
                s.interval = Some(-30.0);
                s.auto_approve_after = Some(0.0);
            },
            code: 0,
            says: "Authenticated successfully!",
            within: SECONDS_5,
        },
        Case {
            name: "huge interval",
            scenario: |s| {
                s.interval = Some(1e12);
                s.expires_in = Some(2.0);
            },
            code: 1,
            says: "The device code expired before it was approved",
            within: SECONDS_5,
        },
        Case {
            name: "expires_in 0",
            scenario: |s| s.expires_in = Some(0.0),
            code: 1,
            says: "codes stay valid for 1 second",
            within: SECONDS_5,
        },
        Case {
            name: "huge expires_in",
            scenario: |s| {
                s.expires_in = Some(1e12);
                s.auto_approve_after = Some(0.0);
            },
            code: 0,
            says: "The code expires in 60 minutes.",
            within: SECONDS_5,
        },
    ];
    for case in &cases {
        check(case, &["login", "--no-browser"]);
    }
    let huge = Sandbox::new(|s| {
        s.interval = Some(1e12);
        s.expires_in = Some(2.0);
    });
    huge.run(&["login", "--no-browser"], "");
    assert!(huge.emulator.polls().is_empty(), "an interval past the expiry means no poll at all");
}

#[test]
fn broken_whoami_answers() {
    let cases = [
        Case {
            name: "malformed identity",
            scenario: |s| s.breaks = broken(Endpoint::Me, Breakage::MalformedJson),
            code: 1,
            says: "the Skytells API sent an unusable answer (HTTP 200): the response is not valid JSON",
            within: SECONDS_5,
        },
        Case {
            name: "slow identity",
            scenario: |s| s.breaks = broken(Endpoint::Me, Breakage::Stall { ms: 8000 }),
            code: 1,
            says: "Status:      unreachable",
            within: Duration::from_secs(4),
        },
    ];
    for case in &cases {
        let sandbox = Sandbox::new(case.scenario);
        sandbox.write_emulator_login(&format!(r#"{{"token":"{}"}}"#, token("ab")));
        let mut command = sandbox.command(&["whoami"]);
        command.env("SKYTELLS_HTTP_TIMEOUT", "1");
        let started = Instant::now();
        let run = sandbox.run_command(command, "");
        assert_eq!(run.code, Some(case.code), "{}: {run:?}", case.name);
        assert!(run.all().contains(case.says), "{}: {}", case.name, run.all());
        assert!(started.elapsed() < case.within, "{}", case.name);
    }
}

#[test]
fn an_unusable_timeout_setting_is_a_usage_error() {
    let sandbox = Sandbox::new(|_| {});
    let mut command = sandbox.command(&["whoami"]);
    command.env("SKYTELLS_HTTP_TIMEOUT", "soon");
    let run = sandbox.run_command(command, "");
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("SKYTELLS_HTTP_TIMEOUT must be a number of seconds from 0.1 to 3600 (got `soon`)"));
}

#[test]
fn whoami_never_says_not_logged_in_when_the_api_gave_no_usable_answer() {
    // Each way the API can fail to answer, with what whoami says instead, and the status.
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cases: [(&str, Option<Breakage>, &str, &str, &str); 5] = [
        ("malformed JSON", Some(Breakage::MalformedJson), "sent no usable answer", "server_error", "not valid JSON"),
        ("an HTML page", Some(Breakage::Html), "sent no usable answer", "server_error", "text/html"),
        ("HTTP 502", Some(Breakage::ErrorPage { status: 502 }), "sent no usable answer", "server_error", "HTTP 502"),
        ("HTTP 503", Some(Breakage::ErrorPage { status: 503 }), "sent no usable answer", "server_error", "HTTP 503"),
        ("a closed port", None, "Could not reach", "unreachable", "could not connect"),
    ];
    for (name, breakage, headline, status, reason) in cases {
        let sandbox = Sandbox::new(|scenario| {
            if let Some(breakage) = breakage.clone() {
                scenario.breaks = broken(Endpoint::Me, breakage);
            }
        });
        let api = match breakage {
            Some(_) => sandbox.emulator.url(),
            None => format!("http://127.0.0.1:{closed_port}"),
        };
        sandbox.write_credentials(&serde_json::json!({"origins": {&api: {"token": token("ab")}}}).to_string());
        let mut text = sandbox.command(&["whoami"]);
        text.env("SKYTELLS_API_URL", &api);
        let run = sandbox.run_command(text, "");
        assert_eq!(run.code, Some(1), "{name}: {run:?}");
        assert!(!run.all().contains("Not logged in"), "{name}: {}", run.all());
        assert!(
            run.stdout.starts_with("✖ ") && run.stdout.lines().next().unwrap().contains(headline),
            "{name}: {}",
            run.stdout
        );
        let local_facts = [
            format!("  Token:       sk_pat_abab… (from credentials file, stored for {api})"),
            "  Credentials: ~/config/origins.json".to_owned(),
            format!("  Status:      {}", status.replace('_', " ")),
        ];
        for fact in local_facts {
            assert!(run.stdout.contains(&fact), "{name}: no {fact:?} in\n{}", run.stdout);
        }
        assert!(run.stderr.starts_with("error: ") && run.stderr.contains(reason), "{name}: {}", run.stderr);

        let mut json = sandbox.command(&["whoami", "--json"]);
        json.env("SKYTELLS_API_URL", &api);
        let run = sandbox.run_command(json, "");
        assert_eq!(run.code, Some(1), "{name}: {run:?}");
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(report["status"], status, "{name}: {report}");
        assert_eq!(report["authenticated"], false, "{name}");
        assert_eq!(report["user"], serde_json::Value::Null, "{name}");
        assert_eq!(report["token"]["prefix"], "sk_pat_abab…", "{name}");
        assert_eq!(report["token"]["source"]["kind"], "file", "{name}");
        assert_eq!(report["credentials_file"], "~/config/origins.json", "{name}");
        assert!(report["error"].as_str().is_some_and(|error| error.contains(reason)), "{name}: {report}");
    }
}
