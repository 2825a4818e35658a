//! Whether this machine's clock agrees with the API's, from the `Date` header of an
//! answer (RFC 9110 §5.6.7, IMF-fixdate). Both times are inputs.

/// Skew above which the clock is called wrong: TLS certificates and signed requests start
/// failing in odd ways well before an hour, and NTP keeps clocks within a second.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// Seconds since the Unix epoch of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the
/// form servers send; `None` for anything else.
///
/// ```
/// use skytells_auth::skytells::parse_http_date;
/// assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
/// assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
/// assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
/// assert_eq!(parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT"), None);
/// ```
pub fn parse_http_date(text: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let rest = text.trim().split_once(", ")?.1;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts[..] else { return None };
    let number = |text: &str, digits: usize| {
        (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse::<u64>().ok()).flatten()
    };
    let (day, year) = (number(day, 2)?, number(year, 4)?);
    let month = MONTHS.iter().position(|name| *name == month)? as u64 + 1;
    let clock: Vec<&str> = time.split(':').collect();
    let [hour, minute, second] = clock[..] else { return None };
    let (hour, minute, second) = (number(hour, 2)?, number(minute, 2)?, number(second, 2)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if year < 1970 || day == 0 || day > days_in_month[month as usize - 1] || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days_before_year: u64 =
        (1970..year).map(|y| if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 { 366 } else { 365 }).sum();
    let days = days_before_year + days_in_month[..month as usize - 1].iter().sum::<u64>() + day - 1;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// How far this machine's clock (`now_ms`, ms since 1970) is from the server's `Date`
/// (seconds since 1970): positive when this clock is ahead. The header has whole seconds,
/// so up to a second of it is rounding.
///
/// ```
/// use skytells_auth::skytells::{clock_skew_secs, MAX_CLOCK_SKEW_SECS};
/// assert_eq!(clock_skew_secs(1_000, 1_000_400), 0);
/// assert_eq!(clock_skew_secs(1_000, 1_000_000 + 3_600_000), 3_600);
/// assert!(clock_skew_secs(5_000, 1_000_000).unsigned_abs() > MAX_CLOCK_SKEW_SECS);
/// ```
pub fn clock_skew_secs(server_date_secs: u64, now_ms: u64) -> i64 {
    (now_ms / 1_000) as i64 - server_date_secs as i64
}
