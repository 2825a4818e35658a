//! A device login with nothing but the standard library: no async runtime, no HTTP
//! client. The loop is the whole driver; the HTTP/1.1 exchange is hand-written, so it
//! speaks plain http only (a provider on this machine, as in the interop tests):
//!
//! ```text
//! cargo run -p skytells-auth --example std_only_login -- http://127.0.0.1:PORT/device/auth http://127.0.0.1:PORT/token CLIENT_ID
//! ```

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use skytells_auth::{
    http, DeviceClient, DeviceFlow, FlowEvent, Moment, Output, Transmit, TransportError, TransportErrorKind,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [device, token, client_id] = args.as_slice() else {
        return Err("usage: DEVICE_URL TOKEN_URL CLIENT_ID".into());
    };
    let mut flow = DeviceFlow::new(DeviceClient::new(device, token, client_id)?, ["openid"]);
    let origin = Instant::now();
    let now = || Moment::from_duration(origin.elapsed());
    loop {
        match flow.poll_output(now()) {
            Output::Event(FlowEvent::CodeIssued(code)) => {
                eprintln!("Open {} and enter {}", code.verification_uri, code.user_code)
            }
            Output::Event(_) => {}
            Output::Transmit(transmit) => flow.handle_result(now(), send(transmit))?,
            Output::WaitUntil(at) => std::thread::sleep(at.saturating_duration_since(now())),
            Output::Done(outcome) => {
                println!("{outcome:?}");
                return Ok(());
            }
            _ => return Err("a new kind of output this example does not know".into()),
        }
    }
}

/// One request over a fresh connection; the answer is read to the end (`Connection: close`).
fn send(transmit: Transmit) -> Result<http::Response<Vec<u8>>, TransportError> {
    let failed = |kind, error: std::io::Error| TransportError::new(kind, error.to_string());
    let (request, uri) = (&transmit.request, transmit.request.uri());
    let authority = uri.authority().map(|authority| authority.as_str()).unwrap_or_default();
    let mut stream = TcpStream::connect(authority).map_err(|error| failed(TransportErrorKind::Connect, error))?;
    stream.set_read_timeout(Some(transmit.timeout)).map_err(|error| failed(TransportErrorKind::Io, error))?;
    let mut head =
        format!("{} {} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n", request.method(), uri.path());
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap_or_default()));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", request.body().len()));
    let mut raw = Vec::new();
    (stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(request.body())))
        .and_then(|()| stream.take(transmit.max_response_bytes as u64 + 64 * 1024).read_to_end(&mut raw))
        .map_err(|error| failed(TransportErrorKind::Io, error))?;
    let split = raw.windows(4).position(|window| window == b"\r\n\r\n").unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]);
    let status: u16 = head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(502);
    let body = raw.get(split + 4..).unwrap_or_default().to_vec();
    http::Response::builder()
        .status(status)
        .body(body)
        .map_err(|error| TransportError::new(TransportErrorKind::Io, error.to_string()))
}
