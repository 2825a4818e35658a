//! Making server-provided strings safe to show in a terminal.

/// The longest server-provided text shown to a person; longer text is cut with `…`.
pub const MAX_DISPLAY_CHARS: usize = 300;

/// Removes what could rewrite a terminal or hide text: control characters (C0, DEL, C1,
/// which covers ANSI escape sequences' introducer), Unicode bidirectional overrides,
/// zero-width characters and the byte order mark (a code must not hide characters), and
/// the line and paragraph separators.
/// The result is cut to [`MAX_DISPLAY_CHARS`] characters.
///
/// ```
/// use skytells_auth::sanitize_for_display;
/// assert_eq!(sanitize_for_display("ABCD\u{1b}[2J-1234"), "ABCD[2J-1234");
/// ```
pub fn sanitize_for_display(text: &str) -> String {
    let mut shown = String::with_capacity(text.len().min(MAX_DISPLAY_CHARS));
    for (kept, c) in text.chars().filter(|c| !is_unsafe_for_terminal(*c)).enumerate() {
        if kept == MAX_DISPLAY_CHARS {
            shown.push('…');
            break;
        }
        shown.push(c);
    }
    shown
}

fn is_unsafe_for_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{2060}'..='\u{2064}'
                | '\u{FEFF}'
        )
}

/// The URL, if it is one a CLI may hand to a browser: `http` or `https`, with a host, and
/// nothing a terminal or shell could misread (no whitespace, no control characters).
///
/// ```
/// use skytells_auth::openable_url;
/// assert!(openable_url("https://console.skytells.ai/device").is_some());
/// assert!(openable_url("javascript:alert(1)").is_none());
/// assert!(openable_url("file:///etc/passwd").is_none());
/// ```
pub fn openable_url(url: &str) -> Option<&str> {
    if url.chars().any(|c| c.is_whitespace() || is_unsafe_for_terminal(c)) {
        return None;
    }
    let uri: http::Uri = url.parse().ok()?;
    let web_scheme = matches!(uri.scheme_str(), Some("http") | Some("https"));
    let has_host = uri.host().is_some_and(|host| !host.is_empty());
    (web_scheme && has_host).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_bidi_overrides_are_removed() {
        assert_eq!(sanitize_for_display("a\u{1b}]0;title\u{7}b"), "a]0;titleb");
        assert_eq!(sanitize_for_display("pay\u{202E}lapyap"), "paylapyap");
        assert_eq!(sanitize_for_display("x\u{9b}31mred"), "x31mred");
        assert_eq!(sanitize_for_display("AB\u{200B}CD-\u{FEFF}12\u{2060}34\u{200D}"), "ABCD-1234");
        assert_eq!(sanitize_for_display("one\u{2028}two\u{2029}"), "onetwo");
    }

    #[test]
    fn long_text_is_cut() {
        let shown = sanitize_for_display(&"a".repeat(1000));
        assert_eq!(shown.chars().count(), MAX_DISPLAY_CHARS + 1);
        assert!(shown.ends_with('…'));
    }

    #[test]
    fn only_web_urls_with_a_host_are_openable() {
        assert!(openable_url("http://127.0.0.1:8080/device?code=AB").is_some());
        assert!(openable_url("https://x.test/a b").is_none());
        assert!(openable_url("https:///nohost").is_none());
        assert!(openable_url("ftp://x.test/").is_none());
    }
}
