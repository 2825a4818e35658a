//! Opening the verification page, when that makes sense.

use std::process::{Command, Stdio};

use crate::context::Context;

/// What happened when asked to open a URL.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    /// A browser (or the `BROWSER` command) was started.
    Launched,
    /// Not attempted, with the reason to show.
    Skipped(&'static str),
    /// Attempted and failed.
    Failed(String),
}

/// Opens `url` unless told not to, over SSH, or without a display. `BROWSER` is honoured
/// first, as a command: `%s` in it is replaced by the URL, otherwise the URL is appended.
/// It may list commands (`:`-separated, `;` on Windows, where `:` follows a drive letter);
/// the first is used. Double quotes keep a path with spaces whole (`"C:\Program
/// Files\…\firefox.exe"`), and a value that names an existing file is that program.
/// Only http(s) URLs are ever opened.
pub fn open(context: &Context, url: &str, disabled: bool) -> Opened {
    if disabled {
        return Opened::Skipped("--no-browser");
    }
    let Some(url) = skytells_auth::openable_url(url) else {
        return Opened::Skipped("the URL is not a web address");
    };
    let separator = if cfg!(windows) { ';' } else { ':' };
    let mut command =
        match context.var("BROWSER").and_then(|list| list.split(separator).find(|entry| !entry.trim().is_empty())) {
            Some(browser) => {
                let mut words = command_words(browser).into_iter();
                let Some(program) = words.next() else { return Opened::Skipped("BROWSER is empty") };
                let mut args: Vec<String> = words.collect();
                if args.iter().any(|arg| arg.contains("%s")) {
                    args = args.into_iter().map(|arg| arg.replace("%s", url)).collect();
                } else {
                    args.push(url.to_owned());
                }
                let mut command = Command::new(program);
                command.args(args);
                command
            }
            None => {
                if context.var("SSH_CONNECTION").is_some() || context.var("SSH_TTY").is_some() {
                    return Opened::Skipped("this is an SSH session");
                }
                match system_opener(context, url) {
                    Some(command) => command,
                    None => return Opened::Skipped("there is no display"),
                }
            }
        };
    match command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn() {
        Ok(_child) => Opened::Launched,
        Err(error) => Opened::Failed(error.to_string()),
    }
}

/// `entry` as a program and its arguments: words split at blanks, except within double
/// quotes (which are removed); the whole entry when it names an existing file.
fn command_words(entry: &str) -> Vec<String> {
    let entry = entry.trim();
    if std::path::Path::new(entry).is_file() {
        return vec![entry.to_owned()];
    }
    let (mut words, mut word, mut quoted, mut started) = (Vec::new(), String::new(), false, false);
    for c in entry.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

fn system_opener(context: &Context, url: &str) -> Option<Command> {
    if cfg!(target_os = "macos") {
        let mut command = Command::new("open");
        command.arg(url);
        Some(command)
    } else if cfg!(windows) {
        let mut command = Command::new("rundll32");
        command.args(["url.dll,FileProtocolHandler", url]);
        Some(command)
    } else if context.var("DISPLAY").is_some() || context.var("WAYLAND_DISPLAY").is_some() {
        let mut command = Command::new("xdg-open");
        command.arg(url);
        Some(command)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::command_words;

    #[test]
    fn a_browser_command_is_split_at_blanks_outside_double_quotes() {
        assert_eq!(command_words("firefox --new-window %s"), ["firefox", "--new-window", "%s"]);
        assert_eq!(
            command_words(r#""C:\Program Files\Mozilla Firefox\firefox.exe" -new-tab"#),
            [r"C:\Program Files\Mozilla Firefox\firefox.exe", "-new-tab"]
        );
        assert_eq!(command_words(r#"open -a "Google Chrome""#), ["open", "-a", "Google Chrome"]);
        assert_eq!(command_words(r#"x "" y"#), ["x", "", "y"]);
        assert!(command_words("   ").is_empty());
    }
}
