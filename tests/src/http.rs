//! Just enough HTTP/1.1 for the emulator: one request per connection, then close.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Read, Write};

/// Largest request head or body the emulator reads.
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// A request as received.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// Query parameters, decoded.
    pub query: BTreeMap<String, String>,
    /// Headers, names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// A header by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// The bearer credential, if any.
    pub fn bearer(&self) -> Option<&str> {
        let value = self.header("authorization")?;
        value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).map(str::trim)
    }

    /// The body's fields, from JSON or a form, as strings (arrays joined with spaces).
    pub fn fields(&self) -> BTreeMap<String, String> {
        let is_form = self.header("content-type").is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if is_form {
            return parse_form(&String::from_utf8_lossy(&self.body));
        }
        let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(&self.body) else {
            return BTreeMap::new();
        };
        object
            .into_iter()
            .map(|(key, value)| {
                let text = match value {
                    serde_json::Value::String(text) => text,
                    serde_json::Value::Array(items) => {
                        items.iter().filter_map(|item| item.as_str()).collect::<Vec<_>>().join(" ")
                    }
                    other => other.to_string(),
                };
                (key, text)
            })
            .collect()
    }
}

/// The longest request line read (method, target, version).
pub const MAX_REQUEST_LINE: usize = 8 * 1024;
/// The most header bytes read.
pub const MAX_HEADERS: usize = 64 * 1024;

/// What came in on a connection.
#[derive(Debug)]
pub enum Incoming {
    /// A request, read whole.
    Request(Request),
    /// A request line or headers over the bounds, refused with this status before more
    /// was read (414 or 431).
    TooLarge(u16),
    /// Nothing usable.
    Nothing,
}

/// Reads one request, reading no more than the bounds allow: a request line of at most
/// [`MAX_REQUEST_LINE`] bytes, [`MAX_HEADERS`] of headers, and a body of at most 1 MiB.
pub fn read_request(reader: &mut impl BufRead) -> io::Result<Incoming> {
    let Some(line) = bounded_line(reader, MAX_REQUEST_LINE)? else { return Ok(Incoming::TooLarge(414)) };
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Ok(Incoming::Nothing);
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = BTreeMap::new();
    let mut left = MAX_HEADERS;
    loop {
        let Some(header) = bounded_line(reader, left)? else { return Ok(Incoming::TooLarge(431)) };
        left -= header.len();
        if header.is_empty() || header == "\r\n" || header == "\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let length: usize = headers.get("content-length").and_then(|value| value.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length.min(MAX_REQUEST_BYTES)];
    reader.read_exact(&mut body)?;
    let request = Request { method: method.to_owned(), path: path.to_owned(), query: parse_form(query), headers, body };
    Ok(Incoming::Request(request))
}

/// One line of at most `limit` bytes (`None` when it is longer); empty at end of input.
fn bounded_line(reader: &mut impl BufRead, limit: usize) -> io::Result<Option<String>> {
    let mut bytes = Vec::new();
    reader.take(limit as u64 + 1).read_until(b'\n', &mut bytes)?;
    if bytes.len() > limit {
        return Ok(None);
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// A response to write.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

/// `at`, moved by `skew_secs`, as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(at: std::time::SystemTime, skew_secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let secs = at.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0) + skew_secs;
    let secs = secs.max(0);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year:04} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

impl Response {
    /// A JSON response.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Response::with_type(status, "application/json", value.to_string().into_bytes())
    }

    /// A response with a content type.
    pub fn with_type(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Response { status, headers: vec![("Content-Type".to_owned(), content_type.to_owned())], body }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The status line and headers, declaring `content_length` bytes of body.
    pub fn head(&self, content_length: usize) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {content_length}\r\nConnection: close\r\n\r\n"));
        head.into_bytes()
    }

    /// Writes the whole response.
    pub fn write_to(&self, stream: &mut impl Write) -> io::Result<()> {
        stream.write_all(&self.head(self.body.len()))?;
        stream.write_all(&self.body)?;
        stream.flush()
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        410 => "Gone",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Decodes `a=1&b=two+words` (a query or a form body).
pub fn parse_form(text: &str) -> BTreeMap<String, String> {
    form_urlencoded::parse(text.as_bytes()).into_owned().collect()
}

/// Encodes a query or form value.
pub fn percent_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
