//! The verification page a person sees in the browser.

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            other => other.to_string(),
        })
        .collect()
}

/// The form: enter the code, approve or deny.
pub fn form(base_url: &str, prefill: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Skytells emulator · Authorize device</title></head>
<body>
<h1>Authorize a device</h1>
<p>A device is asking to sign in to your Skytells account. Only continue if you started
<code>skytells login</code> yourself and the code below matches the one in your terminal.</p>
<form method="post" action="{base}/device">
  <label>Device code <input name="user_code" value="{code}" autocomplete="off" required></label>
  <button name="decision" value="approve">Approve</button>
  <button name="decision" value="deny">Deny</button>
</form>
</body></html>
"#,
        base = escape(base_url),
        code = escape(prefill),
    )
}

/// The page after a decision, and its status.
pub fn result(code: &str, approved: bool, done: bool) -> (u16, String) {
    let (status, message) = match (done, approved) {
        (true, true) => (200, "Device approved. You can close this window and return to your terminal."),
        (true, false) => (200, "Request denied. The device was not signed in."),
        (false, _) => (404, "That code is unknown, expired or already used. Check the code in your terminal."),
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Skytells emulator</title></head>\n<body><p id=\"result\">{message}</p><p>Code: <code>{}</code></p></body></html>\n",
        escape(code)
    );
    (status, html)
}
