//! Which credentials to use (environment, then the credentials file) and where things
//! are (flags, then environment, then defaults).
//!
//! Secrets never come from command-line flags: argv is visible to every user of the
//! machine through `ps`. Only the API URL and the config folder, which are not secret,
//! have flags.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

use super::{
    AccessKey, ApiBase, ApiKey, ApiOrigin, ApiUrlError, CredentialKind, Credentials, FormatError, KeyringEntry,
    MissingCredential, PersonalAccessToken,
};
use crate::{RequestLimits, Secret};

/// Environment variable names the CLI reads.
pub mod vars {
    /// A personal access token that overrides the stored one.
    pub const TOKEN: &str = "SKYTELLS_TOKEN";
    /// A project access key that overrides the stored one.
    pub const ACCESS_KEY: &str = "SKYTELLS_ACCESS_KEY";
    /// The folder holding `credentials.json`.
    pub const CONFIG_DIR: &str = "SKYTELLS_CONFIG_DIR";
    /// The API base URL.
    pub const API_URL: &str = "SKYTELLS_API_URL";
    /// The home folder, for the default config location.
    pub const HOME: &str = "HOME";
    /// Windows only: the profile folder, the home folder when `HOME` is unset (Git Bash,
    /// MSYS and Cygwin set `HOME`; cmd.exe and PowerShell do not).
    pub const USERPROFILE: &str = "USERPROFILE";
    /// Seconds each request may take (default 30).
    pub const HTTP_TIMEOUT: &str = "SKYTELLS_HTTP_TIMEOUT";
    /// An API key for the models API that overrides the stored one.
    pub const API_KEY: &str = "SKYTELLS_API_KEY";
    /// The models API base URL (default `https://api.skytells.ai/v1`).
    pub const AI_API_URL: &str = "SKYTELLS_AI_API_URL";
    /// Days after which a stored credential should be rotated (default 90; 0: never say).
    pub const ROTATE_DAYS: &str = "SKYTELLS_ROTATE_DAYS";
}

/// The name of the credentials file inside the config folder.
pub const CREDENTIALS_FILE: &str = "credentials.json";

/// The variables that matter, captured once. Empty values count as unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvSnapshot {
    token: Option<Secret>,
    access_key: Option<Secret>,
    config_dir: Option<OsString>,
    api_url: Option<String>,
    home: Option<OsString>,
    user_profile: Option<OsString>,
    http_timeout: Option<String>,
    api_key: Option<Secret>,
    ai_api_url: Option<String>,
    rotate_days: Option<String>,
}

impl EnvSnapshot {
    /// Captures the variables from `(name, value)` pairs, such as the process environment
    /// the driver read (the standard library's `vars_os()` works as it is); later pairs win, as in a
    /// real environment block. Empty values count as unset. A credential is trimmed of
    /// surrounding whitespace (a trailing newline from `$(cat file)`, say), once: the
    /// trimmed value is the one checked and the one used. Folders are kept as the bytes
    /// given, so a path that is not UTF-8 names the same folder. On Windows, names match
    /// regardless of case, as Windows matches them ([`variable_name`]).
    ///
    /// ```
    /// use skytells_auth::skytells::EnvSnapshot;
    /// let env = EnvSnapshot::from_pairs([("SKYTELLS_TOKEN", ""), ("HOME", "/home/ada")]);
    /// assert!(env.token().is_none()); // empty counts as unset
    /// let env = EnvSnapshot::from_pairs([("SKYTELLS_ACCESS_KEY", " sk_proj_a\n")]);
    /// assert_eq!(env.access_key().unwrap().expose(), "sk_proj_a");
    /// ```
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let mut env = EnvSnapshot::default();
        for (name, value) in pairs {
            let value = value.as_ref();
            let set = (!value.is_empty()).then(|| value.to_owned());
            let text = || set.as_ref().map(|value| value.to_string_lossy().into_owned());
            let secret = || text().map(|text| text.trim().to_owned()).filter(|text| !text.is_empty()).map(Secret::new);
            let Some(name) = name.as_ref().to_str() else { continue };
            match variable_name(name).as_ref() {
                vars::TOKEN => env.token = secret(),
                vars::ACCESS_KEY => env.access_key = secret(),
                vars::CONFIG_DIR => env.config_dir = set,
                vars::API_URL => env.api_url = text(),
                vars::HOME => env.home = set,
                vars::USERPROFILE if cfg!(windows) => env.user_profile = set,
                vars::HTTP_TIMEOUT => env.http_timeout = text(),
                vars::API_KEY => env.api_key = secret(),
                vars::AI_API_URL => env.ai_api_url = text(),
                vars::ROTATE_DAYS => env.rotate_days = text(),
                _ => {}
            }
        }
        env
    }

    /// `SKYTELLS_TOKEN`, if set and non-empty.
    pub fn token(&self) -> Option<&Secret> {
        self.token.as_ref()
    }

    /// `SKYTELLS_ACCESS_KEY`, if set and non-empty.
    pub fn access_key(&self) -> Option<&Secret> {
        self.access_key.as_ref()
    }

    /// `SKYTELLS_API_KEY`, if set and non-empty (trimmed as the others are).
    pub fn api_key(&self) -> Option<&Secret> {
        self.api_key.as_ref()
    }

    /// `SKYTELLS_ROTATE_DAYS`, as given, if set and non-empty.
    pub fn rotate_days(&self) -> Option<&str> {
        self.rotate_days.as_deref()
    }
}

/// `name` as this system compares variable names: on Windows regardless of case
/// (`set skytells_token=…` in cmd.exe or PowerShell sets `SKYTELLS_TOKEN`), so it is
/// given in upper case there; elsewhere exactly as it is.
pub fn variable_name(name: &str) -> Cow<'_, str> {
    if cfg!(windows) && name.bytes().any(|byte| byte.is_ascii_lowercase()) {
        Cow::Owned(name.to_ascii_uppercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// Values given on the command line; each beats its environment variable. There is no
/// flag for a secret (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlagOverrides {
    /// The API base URL.
    pub api_url: Option<String>,
    /// The config folder.
    pub config_dir: Option<PathBuf>,
}

impl FlagOverrides {
    /// The values of `--api-url` and `--config-dir`, where given.
    pub fn new(api_url: Option<String>, config_dir: Option<PathBuf>) -> Self {
        FlagOverrides { api_url, config_dir }
    }
}

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// A command-line flag, by name (`--api-url`).
    Flag(&'static str),
    /// An environment variable, by name.
    Env(&'static str),
    /// The credentials file.
    File,
    /// The system keyring, which the credentials file points to.
    Keyring,
    /// The built-in default.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(name) => write!(f, "flag {name}"),
            Source::Env(name) => write!(f, "environment variable {name}"),
            Source::File => f.write_str("credentials file"),
            Source::Keyring => f.write_str("system keyring"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Its origin.
    pub source: Source,
}

/// A credential from a flag or variable whose format is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {what} from the {origin} is not valid: {problem}")]
#[non_exhaustive]
pub struct InvalidCredential {
    /// "personal access token" or "access key".
    pub what: &'static str,
    /// Where it came from.
    pub origin: Source,
    /// What is wrong with it.
    pub problem: FormatError,
}

/// What to use, everything tagged with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Resolved {
    /// The personal access token, if any.
    pub token: Option<Sourced<Secret>>,
    /// The project access key, if any.
    pub access_key: Option<Sourced<Secret>>,
    /// The scopes stored with the token; known only when the token came from the file.
    pub scopes: Option<Vec<String>>,
    /// The API the credentials are for; stored ones were stored for its origin.
    pub api: ApiBase,
    /// Other origins with a stored login, never used for this API.
    pub elsewhere: Vec<ApiOrigin>,
    /// Where in the system keyring this API's token is, when the file says it is there
    /// and no variable overrides it; the caller reads it and calls [`Resolved::found_in_keyring`].
    pub token_in_keyring: Option<KeyringEntry>,
    /// The same for the access key.
    pub access_key_in_keyring: Option<KeyringEntry>,
}

impl Resolved {
    /// The token, or the guide's "You are not authenticated" error. A token from the
    /// environment must be `sk_pat_` + 64 hex; a stored one is trusted as written.
    pub fn require_token(&self) -> Result<&Sourced<Secret>, CredentialProblem> {
        let token = self.token.as_ref().ok_or_else(|| self.missing(CredentialKind::Token))?;
        if !matches!(token.source, Source::File | Source::Keyring) {
            PersonalAccessToken::parse(token.value.expose()).map_err(|problem| {
                CredentialProblem::Invalid(InvalidCredential {
                    what: "personal access token",
                    origin: token.source,
                    problem,
                })
            })?;
        }
        Ok(token)
    }

    /// The access key, or the guide's "Access key required" error; its format is checked
    /// whatever its source.
    pub fn require_access_key(&self) -> Result<&Sourced<Secret>, CredentialProblem> {
        let key = self.access_key.as_ref().ok_or_else(|| self.missing(CredentialKind::AccessKey))?;
        AccessKey::parse(key.value.expose()).map_err(|problem| {
            CredentialProblem::Invalid(InvalidCredential { what: "access key", origin: key.source, problem })
        })?;
        Ok(key)
    }

    /// Takes the secrets read from the keyring entries named in
    /// [`token_in_keyring`](Self::token_in_keyring) and
    /// [`access_key_in_keyring`](Self::access_key_in_keyring) (`None`: not there).
    pub fn found_in_keyring(&mut self, token: Option<Secret>, access_key: Option<Secret>) {
        let from_keyring = |value| Sourced { value, source: Source::Keyring };
        if self.token_in_keyring.is_some() && self.token.is_none() {
            self.token = token.map(from_keyring);
        }
        if self.access_key_in_keyring.is_some() && self.access_key.is_none() {
            self.access_key = access_key.map(from_keyring);
        }
    }

    /// The guide's message for the default API; for any other, which API has nothing stored.
    fn missing(&self, credential: CredentialKind) -> CredentialProblem {
        let origin = self.api.origin();
        CredentialProblem::Missing(match credential {
            _ if !origin.is_default() => MissingCredential::NotLoggedInTo {
                credential,
                api_url: self.api.as_str().to_owned(),
                origin: origin.to_string(),
                elsewhere: self.elsewhere.iter().map(ToString::to_string).collect(),
            },
            CredentialKind::AccessKey => MissingCredential::AccessKey,
            _ => MissingCredential::Token,
        })
    }
}

/// Why a required credential cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialProblem {
    /// There is none.
    #[error(transparent)]
    Missing(#[from] MissingCredential),
    /// There is one, but its format is wrong.
    #[error(transparent)]
    Invalid(#[from] InvalidCredential),
}

/// Picks the token and access key for `api`: the environment's (sent to whichever API is
/// named, as the person asked), else the ones stored for `api`'s origin. A credential
/// stored for another origin is never picked.
///
/// ```
/// use skytells_auth::skytells::{resolve_credentials, ApiBase, Credentials, EnvSnapshot, Source};
/// let file = Credentials::parse(br#"{"token":"sk_pat_file","access_key":"sk_proj_file"}"#).unwrap();
/// let env = EnvSnapshot::from_pairs([("SKYTELLS_TOKEN", "sk_pat_env")]);
/// let resolved = resolve_credentials(&env, Some(&file), &ApiBase::default());
/// assert_eq!(resolved.token.unwrap().source, Source::Env("SKYTELLS_TOKEN"));
/// assert_eq!(resolved.access_key.unwrap().source, Source::File);
///
/// // The top-level fields belong to the default API: nothing of them goes to staging.
/// let staging = ApiBase::parse("https://staging.example.com").unwrap();
/// let resolved = resolve_credentials(&EnvSnapshot::default(), Some(&file), &staging);
/// assert!(resolved.token.is_none() && resolved.access_key.is_none());
/// assert!(resolved.require_token().unwrap_err().to_string().contains("not logged in to https://staging.example.com"));
/// ```
pub fn resolve_credentials(env: &EnvSnapshot, file: Option<&Credentials>, api: &ApiBase) -> Resolved {
    let origin = api.origin();
    let stored = file.map(|file| file.login_for(&origin)).unwrap_or_default();
    let pick = |var: &Option<Secret>, var_name, stored: Option<Secret>| match var {
        Some(value) => Some(Sourced { value: value.clone(), source: Source::Env(var_name) }),
        None => stored.map(|value| Sourced { value, source: Source::File }),
    };
    let token = pick(&env.token, vars::TOKEN, stored.token);
    let access_key = pick(&env.access_key, vars::ACCESS_KEY, stored.access_key);
    let token_in_keyring = stored.token_keyring.filter(|_| token.is_none());
    let access_key_in_keyring = stored.access_key_keyring.filter(|_| access_key.is_none());
    let scopes = match &token {
        Some(Sourced { source: Source::File, .. }) => stored.scopes,
        None if token_in_keyring.is_some() => stored.scopes,
        _ => None,
    };
    let elsewhere = file
        .map(|file| file.logged_in_origins().into_iter().filter(|other| *other != origin).collect())
        .unwrap_or_default();
    Resolved { token, access_key, scopes, api: api.clone(), elsewhere, token_in_keyring, access_key_in_keyring }
}

/// The models API's key: `SKYTELLS_API_KEY` (sent to whichever models API is named),
/// else the one stored for the models API's origin; with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResolvedApiKey {
    /// The key, if any.
    pub api_key: Option<Sourced<Secret>>,
    /// The models API it is for.
    pub api: ApiBase,
    /// Where in the system keyring the stored key is, when the file says it is there and
    /// the variable does not override it; the caller reads it and calls
    /// [`ResolvedApiKey::found_in_keyring`].
    pub in_keyring: Option<KeyringEntry>,
    /// When the stored key was saved (ms since 1970), when it is the one used and known.
    pub saved_at: Option<u64>,
}

impl ResolvedApiKey {
    /// The key, checked ([`ApiKey::parse`]) whatever its source.
    pub fn require(&self) -> Result<&Sourced<Secret>, CredentialProblem> {
        let key = self.api_key.as_ref().ok_or(CredentialProblem::Missing(MissingCredential::ApiKey))?;
        ApiKey::parse(key.value.expose()).map_err(|problem| {
            CredentialProblem::Invalid(InvalidCredential { what: "API key", origin: key.source, problem })
        })?;
        Ok(key)
    }

    /// Takes the key read from [`in_keyring`](Self::in_keyring) (`None`: not there).
    pub fn found_in_keyring(&mut self, api_key: Option<Secret>) {
        if self.in_keyring.is_some() && self.api_key.is_none() {
            self.api_key = api_key.map(|value| Sourced { value, source: Source::Keyring });
        }
    }
}

/// Picks the API key for the models API `models`: `SKYTELLS_API_KEY`, else the one stored
/// for `models`' origin ([`Credentials::api_key_for`]). A key stored for another origin
/// is never picked.
///
/// ```
/// use skytells_auth::skytells::{resolve_api_key, ApiBase, Credentials, EnvSnapshot, Source};
/// let file = Credentials::parse(br#"{"api_key":"sk-node"}"#).unwrap();
/// let resolved = resolve_api_key(&EnvSnapshot::default(), Some(&file), &ApiBase::default_models());
/// assert_eq!(resolved.api_key.unwrap().source, Source::File);
/// let elsewhere = ApiBase::parse("https://models.staging.example.com/v1").unwrap();
/// assert!(resolve_api_key(&EnvSnapshot::default(), Some(&file), &elsewhere).api_key.is_none());
/// let env = EnvSnapshot::from_pairs([("SKYTELLS_API_KEY", "sk-env\n")]);
/// assert_eq!(resolve_api_key(&env, Some(&file), &elsewhere).api_key.unwrap().value.expose(), "sk-env");
/// ```
pub fn resolve_api_key(env: &EnvSnapshot, file: Option<&Credentials>, models: &ApiBase) -> ResolvedApiKey {
    let stored = file.map(|file| file.api_key_for(&models.origin())).unwrap_or_default();
    let (api_key, in_keyring, saved_at) = match &env.api_key {
        Some(value) => (Some(Sourced { value: value.clone(), source: Source::Env(vars::API_KEY) }), None, None),
        None => {
            let in_keyring = stored.keyring.filter(|_| stored.api_key.is_none());
            (stored.api_key.map(|value| Sourced { value, source: Source::File }), in_keyring, stored.created_at)
        }
    };
    ResolvedApiKey { api_key, api: models.clone(), in_keyring, saved_at }
}

/// The models API base URL: `SKYTELLS_AI_API_URL`, else
/// [`DEFAULT_MODELS_API_URL`](super::DEFAULT_MODELS_API_URL); checked and written one
/// way as [`ApiBase::parse`] does (https, or plain http to loopback only).
///
/// ```
/// use skytells_auth::skytells::{resolve_models_base, EnvSnapshot, Source};
/// assert_eq!(resolve_models_base(&EnvSnapshot::default()).unwrap().value.as_str(), "https://api.skytells.ai/v1");
/// let env = EnvSnapshot::from_pairs([("SKYTELLS_AI_API_URL", "HTTP://127.0.0.1:9/v1/")]);
/// let base = resolve_models_base(&env).unwrap();
/// assert_eq!((base.value.as_str(), base.source), ("http://127.0.0.1:9/v1", Source::Env("SKYTELLS_AI_API_URL")));
/// assert!(resolve_models_base(&EnvSnapshot::from_pairs([("SKYTELLS_AI_API_URL", "http://models.example.com")])).is_err());
/// ```
pub fn resolve_models_base(env: &EnvSnapshot) -> Result<Sourced<ApiBase>, ApiUrlError> {
    match env.ai_api_url.as_deref() {
        Some(url) => Ok(Sourced { value: ApiBase::parse(url)?, source: Source::Env(vars::AI_API_URL) }),
        None => Ok(Sourced { value: ApiBase::default_models(), source: Source::Default }),
    }
}

/// The API base URL: `--api-url`, then `SKYTELLS_API_URL`, then the default.
pub fn resolve_api_base(flags: &FlagOverrides, env: &EnvSnapshot) -> Result<Sourced<ApiBase>, ApiUrlError> {
    let given = match (flags.api_url.as_deref().filter(|url| !url.is_empty()), env.api_url.as_deref()) {
        (Some(url), _) => Some((url, Source::Flag("--api-url"))),
        (None, Some(url)) => Some((url, Source::Env(vars::API_URL))),
        (None, None) => None,
    };
    match given {
        Some((url, source)) => Ok(Sourced { value: ApiBase::parse(url)?, source }),
        None => Ok(Sourced { value: ApiBase::default(), source: Source::Default }),
    }
}

/// `SKYTELLS_HTTP_TIMEOUT` is not a usable number of seconds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SKYTELLS_HTTP_TIMEOUT must be a number of seconds from 0.1 to 3600 (got `{0}`)")]
pub struct InvalidTimeout(pub String);

/// Request limits: the defaults, with the timeout from `SKYTELLS_HTTP_TIMEOUT` if set.
///
/// ```
/// use std::time::Duration;
/// use skytells_auth::skytells::{resolve_limits, EnvSnapshot};
/// let env = EnvSnapshot::from_pairs([("SKYTELLS_HTTP_TIMEOUT", "2.5")]);
/// assert_eq!(resolve_limits(&env).unwrap().timeout, Duration::from_millis(2500));
/// assert!(resolve_limits(&EnvSnapshot::from_pairs([("SKYTELLS_HTTP_TIMEOUT", "0")])).is_err());
/// ```
pub fn resolve_limits(env: &EnvSnapshot) -> Result<RequestLimits, InvalidTimeout> {
    let mut limits = RequestLimits::default();
    if let Some(text) = &env.http_timeout {
        let seconds: f64 = text.trim().parse().map_err(|_| InvalidTimeout(crate::sanitize_for_display(text)))?;
        if !(0.1..=3600.0).contains(&seconds) {
            return Err(InvalidTimeout(crate::sanitize_for_display(text)));
        }
        limits.timeout = std::time::Duration::from_secs_f64(seconds);
    }
    Ok(limits)
}

/// The variables that can name the home folder on this system.
const HOME_VARIABLES: &str = if cfg!(windows) { "HOME nor USERPROFILE" } else { "HOME" };

/// No config folder can be named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot tell where to keep credentials: neither SKYTELLS_CONFIG_DIR nor {} is set. Set SKYTELLS_CONFIG_DIR to a folder", HOME_VARIABLES)]
pub struct NoConfigDir;

/// The config folder: `--config-dir`, then `SKYTELLS_CONFIG_DIR`, then
/// `$HOME/.config/skytells` (on Windows, `%USERPROFILE%\.config\skytells` when `HOME` is
/// unset). A leading `~` or `~/` is expanded with `HOME`; a relative
/// path stays relative (to the working directory). On Windows the folder is given with `\`
/// as its only separator, whichever the variables used.
///
/// ```
/// use std::path::PathBuf;
/// use skytells_auth::skytells::{config_dir, EnvSnapshot, FlagOverrides};
/// let env = EnvSnapshot::from_pairs([("HOME", "/home/ada")]);
/// assert_eq!(config_dir(&FlagOverrides::default(), &env).unwrap(), PathBuf::from("/home/ada/.config/skytells"));
/// let env = EnvSnapshot::from_pairs([("HOME", "/home/ada"), ("SKYTELLS_CONFIG_DIR", "~/sky")]);
/// assert_eq!(config_dir(&FlagOverrides::default(), &env).unwrap(), PathBuf::from("/home/ada/sky"));
/// ```
pub fn config_dir(flags: &FlagOverrides, env: &EnvSnapshot) -> Result<PathBuf, NoConfigDir> {
    // On Windows, `HOME` when set (as Git Bash and MSYS set it), else `%USERPROFILE%`.
    let home = env.home.as_deref().or(env.user_profile.as_deref()).map(Path::new);
    let from_flag = flags.config_dir.as_deref().filter(|dir| !dir.as_os_str().is_empty());
    let dir = match from_flag.or(env.config_dir.as_deref().map(Path::new)) {
        Some(dir) => expand_home(dir, home)?,
        None => home.map(|home| home.join(".config").join("skytells")).ok_or(NoConfigDir)?,
    };
    Ok(if cfg!(windows) { with_backslashes(dir) } else { dir })
}

/// Windows takes `/` and `\` alike as separators, and names joined to a folder get `\`;
/// a folder named with `/` (as Git Bash and MSYS name them) is given with `\` throughout,
/// so that each path in a message has one separator style. A verbatim path (`\\?\`), where
/// `/` is not a separator, and one that is not valid Unicode are left as they are.
fn with_backslashes(dir: PathBuf) -> PathBuf {
    match dir.to_str() {
        Some(text) if text.contains('/') && !text.starts_with(r"\\?\") => PathBuf::from(text.replace('/', r"\")),
        _ => dir,
    }
}

/// The credentials file inside [`config_dir`].
pub fn credentials_path(flags: &FlagOverrides, env: &EnvSnapshot) -> Result<PathBuf, NoConfigDir> {
    Ok(config_dir(flags, env)?.join(CREDENTIALS_FILE))
}

/// `~` or `~/rest` is the home folder; `~other` is a folder named so.
fn expand_home(dir: &Path, home: Option<&Path>) -> Result<PathBuf, NoConfigDir> {
    match dir.strip_prefix("~") {
        Ok(rest) => Ok(home.ok_or(NoConfigDir)?.join(rest)),
        Err(_) => Ok(dir.to_path_buf()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_token() -> String {
        format!("sk_pat_{}", "c".repeat(64))
    }

    #[test]
    fn environment_tokens_are_format_checked() {
        let env = EnvSnapshot::from_pairs([("SKYTELLS_TOKEN", valid_token())]);
        assert_eq!(
            resolve_credentials(&env, None, &ApiBase::default()).require_token().unwrap().source,
            Source::Env("SKYTELLS_TOKEN")
        );
        let env = EnvSnapshot::from_pairs([("SKYTELLS_TOKEN", "sk_pat_bad")]);
        let error = resolve_credentials(&env, None, &ApiBase::default()).require_token().unwrap_err();
        assert_eq!(
            error.to_string(),
            "the personal access token from the environment variable SKYTELLS_TOKEN is not valid: a personal access token is sk_pat_ followed by exactly 64 hex characters; this one has 3 after the prefix"
        );
    }

    #[test]
    fn nothing_anywhere_is_the_guides_not_authenticated() {
        let resolved = resolve_credentials(&EnvSnapshot::default(), None, &ApiBase::default());
        assert!(resolved.require_token().unwrap_err().to_string().starts_with("You are not authenticated"));
        assert!(resolved.require_access_key().unwrap_err().to_string().starts_with("Access key required"));
    }

    #[test]
    fn credentials_are_trimmed_once_and_folders_keep_their_bytes() {
        let env = EnvSnapshot::from_pairs([
            ("SKYTELLS_TOKEN", format!("  {}\n", valid_token())),
            ("SKYTELLS_ACCESS_KEY", " \t ".into()),
        ]);
        assert_eq!(env.token().unwrap().expose(), valid_token());
        assert!(env.access_key().is_none(), "only whitespace counts as unset");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let odd = OsStr::from_bytes(b"/tmp/caf\xe9");
            let env = EnvSnapshot::from_pairs([(OsStr::new("SKYTELLS_CONFIG_DIR"), odd)]);
            assert_eq!(config_dir(&FlagOverrides::default(), &env).unwrap().as_os_str(), odd);
        }
    }

    #[test]
    fn config_dir_needs_home_or_the_variable() {
        assert_eq!(config_dir(&FlagOverrides::default(), &EnvSnapshot::default()), Err(NoConfigDir));
        let env = EnvSnapshot::from_pairs([("SKYTELLS_CONFIG_DIR", "rel/dir")]);
        assert_eq!(config_dir(&FlagOverrides::default(), &env).unwrap(), PathBuf::from("rel/dir"));
        let env = EnvSnapshot::from_pairs([("SKYTELLS_CONFIG_DIR", "~other")]);
        assert_eq!(config_dir(&FlagOverrides::default(), &env).unwrap(), PathBuf::from("~other"));
    }

    #[test]
    fn the_windows_profile_folder_stands_in_for_home_only_on_windows() {
        let env = EnvSnapshot::from_pairs([("USERPROFILE", "C:/Users/ada")]);
        let found = config_dir(&FlagOverrides::default(), &env);
        if cfg!(windows) {
            // Compared as text: Windows paths compare equal whichever separator they use.
            assert_eq!(found.unwrap().to_str(), Some(r"C:\Users\ada\.config\skytells"));
            let both = EnvSnapshot::from_pairs([("USERPROFILE", "C:/Users/ada"), ("HOME", "D:/home")]);
            let found = config_dir(&FlagOverrides::default(), &both).unwrap();
            assert_eq!(found.to_str(), Some(r"D:\home\.config\skytells"));
            let verbatim = EnvSnapshot::from_pairs([("SKYTELLS_CONFIG_DIR", r"\\?\C:\odd/name")]);
            let found = config_dir(&FlagOverrides::default(), &verbatim).unwrap();
            assert_eq!(found.to_str(), Some(r"\\?\C:\odd/name"));
        } else {
            assert_eq!(found, Err(NoConfigDir));
        }
    }

    #[test]
    fn api_url_precedence() {
        let env = EnvSnapshot::from_pairs([("SKYTELLS_API_URL", "http://127.0.0.1:9")]);
        assert_eq!(resolve_api_base(&FlagOverrides::default(), &env).unwrap().source, Source::Env("SKYTELLS_API_URL"));
        assert_eq!(
            resolve_api_base(&FlagOverrides::default(), &EnvSnapshot::default()).unwrap().source,
            Source::Default
        );
        let insecure = EnvSnapshot::from_pairs([("SKYTELLS_API_URL", "http://evil.test")]);
        assert!(resolve_api_base(&FlagOverrides::default(), &insecure).is_err());
    }
}
