//! A stand-in for the person at the browser: opens the verification page, reads the
//! form, and submits it, over plain HTTP to the emulator on loopback.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::http::percent_encode;

/// Opens `url` (a verification page of an emulator) and approves, or denies, the code the
/// page shows. Returns the result page's text.
pub fn decide_on_page(url: &str, approve: bool) -> io::Result<String> {
    let (status, page) = request("GET", url, None)?;
    if status != 200 {
        return Err(io::Error::other(format!("the verification page answered HTTP {status}")));
    }
    let code = form_value(&page, "user_code")
        .filter(|code| !code.is_empty())
        .ok_or_else(|| io::Error::other("the verification page has no code filled in"))?;
    let action = form_value_after(&page, "action=\"").ok_or_else(|| io::Error::other("no form on the page"))?;
    let decision = if approve { "approve" } else { "deny" };
    let body = format!("user_code={}&decision={decision}", percent_encode(&html_unescape(&code)));
    let (status, result) = request("POST", &action, Some(body))?;
    if status != 200 {
        return Err(io::Error::other(format!("the decision was refused (HTTP {status})")));
    }
    Ok(result)
}

fn form_value(page: &str, name: &str) -> Option<String> {
    let input = &page[page.find(&format!("name=\"{name}\""))?..];
    form_value_after(input, "value=\"")
}

fn form_value_after(text: &str, marker: &str) -> Option<String> {
    let start = text.find(marker)? + marker.len();
    let end = text[start..].find('"')? + start;
    Some(text[start..end].to_owned())
}

fn html_unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// A one-shot HTTP/1.1 request to an `http://` URL; returns status and body.
fn request(method: &str, url: &str, form: Option<String>) -> io::Result<(u16, String)> {
    let rest = url.strip_prefix("http://").ok_or_else(|| io::Error::other("only http:// URLs are supported"))?;
    let (authority, path) = rest.split_once('/').map(|(a, p)| (a, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = form.unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    Ok((status, body))
}
