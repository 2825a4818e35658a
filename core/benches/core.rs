//! Time per operation of the core: a whole simulated device flow, credentials, parsing.
//!
//! `cargo bench -p skytells-auth --bench core` measures; `-- --test` runs each once (CI).

use divan::{black_box, Bencher};
use skytells_auth::skytells::{
    resolve_credentials, ApiBase, ApiConfig, Credentials, EnvSnapshot, FetchIdentity, Scope,
};
use skytells_auth::{DeviceFlow, Exchange, Moment, Outcome, Output, Secret, TransportError, TransportErrorKind};

fn main() {
    divan::main();
}

fn response(status: u16, body: &'static str) -> http::Response<Vec<u8>> {
    http::Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap()
}

/// A 15-minute login at a 5-second interval: two slow_downs, a 5xx and a dropped
/// connection early on, then pending until the person approves 14 minutes in.
#[divan::bench]
fn whole_fifteen_minute_device_flow(bencher: Bencher) {
    bencher.bench(|| {
        let mut flow = DeviceFlow::new(ApiConfig::default().device_client(), Scope::DEFAULT);
        let mut now = Moment::ZERO;
        let approved_at = Moment::from_secs(14 * 60);
        let mut polls = 0u32;
        loop {
            match flow.poll_output(now) {
                Output::Event(event) => {
                    black_box(event);
                }
                Output::WaitUntil(wake_at) => now = wake_at,
                Output::Transmit(_) if flow.expires_at().is_none() => flow
                    .handle_result(
                        now,
                        Ok(response(
                            200,
                            r#"{"device_code":"dc","user_code":"ABCD-1234","verification_uri":"https://console.skytells.ai/device","expires_in":900,"interval":5}"#,
                        )),
                    )
                    .unwrap(),
                Output::Transmit(_) => {
                    polls += 1;
                    let result = match polls {
                        1 | 2 => Ok(response(429, "{}")),
                        3 => Ok(response(503, "")),
                        4 => Err(TransportError::new(TransportErrorKind::Io, "reset")),
                        _ if now >= approved_at => Ok(response(
                            200,
                            r#"{"access_token":"sk_pat_granted","token_type":"Bearer","scopes":["inference"]}"#,
                        )),
                        _ => Ok(response(428, r#"{"error":"authorization_pending"}"#)),
                    };
                    flow.handle_result(now, result).unwrap();
                }
                Output::Done(outcome) => {
                    assert!(matches!(outcome, Outcome::Authorized(_)));
                    break;
                }
                _ => unreachable!(),
            }
        }
        black_box(polls)
    });
}

const NODE_FILE: &str = r#"{"token":"sk_pat_abababababababababababababababababababababababababababababababab","access_key":"sk_proj_live_123","api_key":"legacy","created_at":1776076200000,"scopes":["inference","projects.read"]}"#;

#[divan::bench]
fn credentials_parse_and_resolve(bencher: Bencher) {
    let env = EnvSnapshot::from_pairs([("HOME", "/home/ada"), ("SKYTELLS_ACCESS_KEY", "sk_proj_env")]);
    bencher.bench(|| {
        let file = Credentials::parse(black_box(NODE_FILE.as_bytes())).unwrap();
        let resolved = resolve_credentials(&env, Some(&file), &ApiBase::default());
        black_box(resolved.require_token().is_ok())
    });
}

#[divan::bench]
fn credentials_rewrite(bencher: Bencher) {
    let file = Credentials::parse(NODE_FILE.as_bytes()).unwrap();
    let key = Secret::new("sk_proj_new");
    bencher.bench(|| {
        let mut file = file.clone();
        file.set_access_key(&key, 1);
        black_box(file.to_bytes())
    });
}

#[divan::bench]
fn device_authorization_request_and_answer(bencher: Bencher) {
    let client = ApiConfig::default().device_client();
    let answer = response(
        200,
        r#"{"data":{"device_code":"dc_0123456789abcdef","user_code":"ABCD-1234","verification_uri":"https://console.skytells.ai/device","verification_uri_complete":"https://console.skytells.ai/device?user_code=ABCD-1234","expires_in":900,"interval":5}}"#,
    );
    bencher.bench(|| {
        let mut flow = DeviceFlow::new(client.clone(), Scope::DEFAULT);
        let Output::Transmit(transmit) = flow.poll_output(Moment::ZERO) else { unreachable!() };
        black_box(transmit);
        flow.handle_result(Moment::ZERO, Ok(black_box(answer.clone()))).unwrap();
        black_box(flow.poll_output(Moment::ZERO))
    });
}

#[divan::bench]
fn identity_request_and_answer(bencher: Bencher) {
    let config = ApiConfig::default();
    let token = Secret::new("sk_pat_abababababababababababababababababababababababababababababababab");
    let answer = response(200, r#"{"data":{"id":"usr_0001","name":"Ada Lovelace","email":"ada@example.com"}}"#);
    bencher.bench(|| {
        let call = FetchIdentity { config: &config, token: &token };
        let transmit = call.transmit().unwrap();
        black_box(transmit);
        black_box(call.interpret(answer.clone()).unwrap())
    });
}

/// A hostile credentials folder: 5 000 other APIs' logins, about 1 MB, with deep nesting in
/// an unknown field. Reading it must stay linear in its size.
fn five_thousand_origins() -> (String, String) {
    let logins: Vec<String> = (0..5000)
        .map(|i| {
            format!(
                r#""https://api{i}.example.com":{{"token":"sk_pat_{:064x}","scopes":["inference","projects.read"],"created_at":1776076200000,"note":"{}"}}"#,
                i,
                "x".repeat(60)
            )
        })
        .collect();
    let main = format!(
        r#"{{"token":"sk_pat_{}","api_key":"legacy","deep":{}1{}}}"#,
        "ab".repeat(32),
        "[".repeat(5000),
        "]".repeat(5000)
    );
    (main, format!("{{{}}}", logins.join(",")))
}

#[divan::bench]
fn credentials_with_5000_origins_parse_and_resolve(bencher: Bencher) {
    let (main, origins) = five_thousand_origins();
    assert!(main.len() + origins.len() > 1_000_000, "{} bytes", main.len() + origins.len());
    let api = ApiBase::parse("https://api4999.example.com").unwrap();
    let env = EnvSnapshot::default();
    bencher.bench(|| {
        let file = Credentials::from_files(black_box(main.as_bytes()), Some(black_box(origins.as_bytes()))).unwrap();
        let resolved = resolve_credentials(&env, Some(&file), &api);
        black_box((resolved.require_token().is_ok(), resolved.elsewhere.len()))
    });
}
