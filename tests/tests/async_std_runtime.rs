//! The core runs under async-std with a hand-written HTTP/1.1 exchange: nothing in it
//! needs tokio, reqwest or ureq.

use std::time::Instant;

use async_std::io::{ReadExt, WriteExt};
use async_std::net::TcpStream;
use skytells_auth::skytells::{ApiBase, ApiConfig, Scope};
use skytells_auth::{drive, DeviceFlow, FlowEvent, Moment, Outcome, Transmit, TransportError, TransportErrorKind};
use skytells_emulator::{Emulator, Scenario};

/// Sends a request over a fresh connection and reads the whole (Connection: close) answer.
async fn send(transmit: Transmit) -> Result<http::Response<Vec<u8>>, TransportError> {
    let failed = |error: std::io::Error| TransportError::new(TransportErrorKind::Io, error.to_string());
    let request = transmit.request;
    let authority = request.uri().authority().unwrap().to_string();
    let mut stream = TcpStream::connect(&authority).await.map_err(failed)?;
    let mut head =
        format!("{} {} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n", request.method(), request.uri().path());
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", request.body().len()));
    stream.write_all(head.as_bytes()).await.map_err(failed)?;
    stream.write_all(request.body()).await.map_err(failed)?;
    let mut raw = Vec::new();
    async_std::future::timeout(transmit.timeout, stream.read_to_end(&mut raw))
        .await
        .map_err(|_| TransportError::new(TransportErrorKind::Timeout, "timed out"))?
        .map_err(failed)?;
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| TransportError::new(TransportErrorKind::Io, "no header terminator"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status: u16 = head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let mut response = http::Response::builder().status(status);
    for line in head.lines().skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            response = response.header(name.trim(), value.trim());
        }
    }
    Ok(response.body(raw[split + 4..].to_vec()).unwrap())
}

#[async_std::test]
async fn a_whole_device_flow_runs_under_async_std() {
    let emulator = Emulator::start(Scenario {
        interval: Some(1.0),
        expires_in: Some(30.0),
        approve_after_polls: Some(1),
        ..Scenario::default()
    })
    .unwrap();
    let config = ApiConfig::new(ApiBase::parse(&emulator.url()).unwrap());
    let flow = DeviceFlow::new(config.device_client(), [Scope::Inference]);
    let origin = Instant::now();
    let now = || Moment::from_duration(origin.elapsed());
    let sleep_until = |wake_at: Moment| async_std::task::sleep(wake_at.saturating_duration_since(now()));
    let mut user_code = None;
    let on_event = |event: &FlowEvent| {
        if let FlowEvent::CodeIssued(code) = event {
            user_code = Some(code.user_code.clone());
        }
    };
    // The same loop the tokio and blocking drivers use, with async-std's I/O and timer.
    let outcome = drive(flow, now, send, sleep_until, on_event).await;
    assert!(matches!(outcome, Outcome::Authorized(_)), "{outcome:?}");
    assert_eq!(user_code.as_deref(), Some(emulator.devices()[0].user_code.as_str()));
    // The first poll was answered "pending" and approved the code; the second got the token.
    assert_eq!(emulator.polls().len(), 2);
}
