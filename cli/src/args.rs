//! The command line.

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

/// Sign in to Skytells, link project access keys, and manage stored credentials.
#[derive(Debug, Parser)]
#[command(
    name = "skytells",
    version,
    about = "Sign in to Skytells, link project access keys, and manage stored credentials",
    after_help = "Environment:\n  SKYTELLS_TOKEN         personal access token; overrides the stored one\n  SKYTELLS_ACCESS_KEY    project access key; overrides the stored one\n  SKYTELLS_CONFIG_DIR    folder for credentials.json (default ~/.config/skytells)\n  SKYTELLS_API_URL       API base URL (default https://console.skytells.ai)\n  SKYTELLS_API_KEY       API key for the models API; overrides the stored one\n  SKYTELLS_AI_API_URL    models API base URL (default https://api.skytells.ai/v1)\n  SKYTELLS_ROTATE_DAYS   days before whoami reminds you to rotate a stored credential (default 90; 0: never)\n  SKYTELLS_HTTP_TIMEOUT  seconds each request may take (default 30)\n  SKYTELLS_LOG           log level for requests: error, warn, info, debug, trace\n  NO_COLOR               disable colour\n\nExit status: 0 ok, 1 failure, 2 usage, 4 not authenticated or credential rejected, 130 interrupted (128+N: ended by signal N)."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// API base URL; overrides SKYTELLS_API_URL.
    #[arg(long, global = true, value_name = "URL")]
    pub api_url: Option<String>,
    /// Folder holding credentials.json; overrides SKYTELLS_CONFIG_DIR.
    #[arg(long, global = true, value_name = "DIR")]
    pub config_dir: Option<std::path::PathBuf>,
    /// When to use colour (NO_COLOR also turns it off).
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only errors and what a login needs you to see (the code and URL).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log each request to stderr (-vv for more); secrets are never logged.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in: through your browser (device flow), or with a personal access token.
    Login(LoginArgs),
    /// Store a project access key for project-scoped commands.
    Link(LinkArgs),
    /// Show who you are signed in as, and where each credential comes from.
    Whoami(WhoamiArgs),
    /// Remove the stored token and access key of the current API (--all: of every API).
    Logout(LogoutArgs),
    /// Scripting helpers: print the token, or the authentication status.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Manage the API key for the Skytells models API (SKYTELLS_AI_API_URL).
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completion {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per command with --dir.
    Man {
        /// Write skytells.1, skytells-login.1, … (every command and subcommand) into
        /// this folder instead of printing the top-level page.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}

/// `skytells auth …`.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Print the token in use (SKYTELLS_TOKEN, or the stored one), for scripts.
    Token,
    /// The same as `skytells whoami`.
    Status(WhoamiArgs),
    /// Check everything a login depends on (folder, files, credentials, URLs, proxies, TLS,
    /// keyring, clock, each API), with the fix for each failure.
    Doctor(JsonArgs),
}

/// `skytells api-key …`.
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Check an API key with the models API and save it: asked for on a terminal, read
    /// from standard input otherwise.
    #[command(visible_alias = "update")]
    Set(ApiKeySetArgs),
    /// Show where the API key in use comes from, masked (no request is made).
    Status(JsonArgs),
    /// Remove the stored API key (and its keyring item).
    #[command(visible_aliases = ["remove", "delete"])]
    Rm(ApiKeyRmArgs),
}

/// `skytells api-key set`.
#[derive(Debug, Args)]
pub struct ApiKeySetArgs {
    /// Keep the key in the system keyring; credentials.json then holds only a marker.
    #[arg(long)]
    pub keyring: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `skytells api-key rm`.
#[derive(Debug, Args)]
pub struct ApiKeyRmArgs {
    /// Do not ask for confirmation.
    #[arg(long, short = 'f')]
    pub force: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Only `--json`.
#[derive(Debug, Args)]
pub struct JsonArgs {
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `skytells login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Sign in with a personal access token (sk_pat_…) instead: asked for on a terminal,
    /// read from standard input otherwise.
    #[arg(long)]
    pub token: bool,
    /// Comma-separated scopes to request (default: inference,projects.read,deployments.read,account.read).
    #[arg(long, value_name = "LIST", conflicts_with = "token")]
    pub scopes: Option<String>,
    /// Do not open a browser; just show the URL and code.
    #[arg(long, conflicts_with = "token")]
    pub no_browser: bool,
    /// Print the result as JSON on stdout (the code and URL still go to stderr).
    #[arg(long)]
    pub json: bool,
    /// Keep the token in the system keyring (Secret Service, Keychain, Credential
    /// Manager); credentials.json then holds only a marker saying where it is.
    #[arg(long)]
    pub keyring: bool,
}

/// `skytells link`.
#[derive(Debug, Args)]
pub struct LinkArgs {
    /// The project access key (sk_proj_…), or `-` to read it from standard input.
    #[arg(value_name = "ACCESS_KEY")]
    pub access_key: String,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Keep the key in the system keyring; credentials.json then holds only a marker.
    #[arg(long)]
    pub keyring: bool,
}

/// `skytells whoami`.
#[derive(Debug, Args)]
pub struct WhoamiArgs {
    /// Print a JSON object (schema in README.md) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Do not ask the API: show only what is known locally (fast, works without network).
    #[arg(long)]
    pub offline: bool,
}

/// `skytells logout`.
#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Do not ask for confirmation.
    #[arg(long, short = 'f')]
    pub force: bool,
    /// Log out of every API, not only the current one (--api-url / SKYTELLS_API_URL).
    #[arg(long)]
    pub all: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}
