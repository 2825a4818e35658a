//! `skytells-emulator`: a local Skytells API on 127.0.0.1.
//!
//! - `skytells-emulator [serve] --port 8787 --interval 1 --auto-approve-after 3` serves
//!   until stopped (or until it has answered its request budget);
//! - `skytells-emulator browse URL` plays the person at the browser: it opens the
//!   verification page and approves (or `--deny`s) the code on it. Set
//!   `BROWSER="skytells-emulator browse"` and `skytells login` approves itself;
//! - `skytells-emulator demo` runs a whole `skytells login` against a fresh emulator.

use std::process::{Command, ExitCode};
use std::thread;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use skytells_emulator::{browser, Dialect, Emulator, Fault, Scenario, TestAuthority};

#[derive(Parser)]
#[command(name = "skytells-emulator", version, about = "A local Skytells API for testing tools that call `skytells`")]
struct Cli {
    #[command(subcommand)]
    command: Option<Action>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Action {
    /// Serve the API (the default).
    Serve(ServeArgs),
    /// Open a verification page and approve (or deny) the code on it, like a person would.
    Browse {
        /// The verification URL, with the code filled in.
        url: String,
        /// Deny instead of approving.
        #[arg(long)]
        deny: bool,
        /// Wait this long first, as a person reading the screen would.
        #[arg(long, default_value_t = 0)]
        delay_ms: u64,
    },
    /// Run `skytells login` and `skytells whoami` against a fresh emulator, approving in a
    /// simulated browser. Needs the `skytells` binary next to this one (cargo build).
    Demo,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// Wire dialect of the device flow.
    #[arg(long, value_enum, default_value_t = DialectArg::Skytells)]
    dialect: DialectArg,
    /// The polling interval the server asks for, in seconds.
    #[arg(long, default_value_t = 5.0)]
    interval: f64,
    /// How long device codes live, in seconds.
    #[arg(long, default_value_t = 900.0)]
    expires_in: f64,
    /// Approve every code this many seconds after it is issued.
    #[arg(long)]
    auto_approve_after: Option<f64>,
    /// Answer the first N polls of each code with slow_down.
    #[arg(long, default_value_t = 0)]
    slow_down_first: u32,
    /// Fail the first N polls of each code (see --fault).
    #[arg(long, default_value_t = 0)]
    fail_first: u32,
    /// How failing polls fail.
    #[arg(long, value_enum, default_value_t = FaultArg::ServerError)]
    fault: FaultArg,
    /// Delay every API answer by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Put terminal escape sequences into codes, URLs and messages.
    #[arg(long)]
    hostile: bool,
    /// Wrap successful answers in {"data": ...}.
    #[arg(long)]
    envelope: bool,
    /// A personal access token to accept (repeatable).
    #[arg(long = "token")]
    tokens: Vec<String>,
    /// A project access key to accept, as KEY or KEY=Project Name (repeatable).
    #[arg(long = "access-key")]
    access_keys: Vec<String>,
    /// An API key the models API (`GET /v1/models`) accepts (repeatable).
    #[arg(long = "api-key")]
    api_keys: Vec<String>,
    /// Serve HTTPS under a certificate authority made up at start-up, and write the
    /// authority's certificate (PEM) to this file: point SSL_CERT_FILE at it to trust it.
    #[arg(long, value_name = "FILE")]
    tls_ca_out: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum DialectArg {
    Skytells,
    Rfc8628,
}

#[derive(Clone, Copy, ValueEnum)]
enum FaultArg {
    ServerError,
    DropConnection,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => serve(cli.serve),
        Some(Action::Serve(args)) => serve(args),
        Some(Action::Browse { url, deny, delay_ms }) => browse(&url, !deny, delay_ms),
        Some(Action::Demo) => demo(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) if message.starts_with(USAGE_PREFIX) => {
            eprintln!("skytells-emulator: {message}");
            ExitCode::from(2)
        }
        Err(message) => {
            eprintln!("skytells-emulator: {message}");
            ExitCode::FAILURE
        }
    }
}

fn scenario(args: &ServeArgs) -> Scenario {
    Scenario {
        dialect: match args.dialect {
            DialectArg::Skytells => Dialect::Skytells,
            DialectArg::Rfc8628 => Dialect::Rfc8628,
        },
        interval: Some(args.interval),
        expires_in: Some(args.expires_in),
        auto_approve_after: args.auto_approve_after,
        approve_after_polls: None,
        slow_down_first: args.slow_down_first,
        fail_first: args.fail_first,
        fault: match args.fault {
            FaultArg::ServerError => Fault::ServerError,
            FaultArg::DropConnection => Fault::DropConnection,
        },
        delay_ms: args.delay_ms,
        hostile_strings: args.hostile,
        envelope: args.envelope,
        ..Scenario::default()
    }
}

/// How a usage error's message starts (exit status 2).
const USAGE_PREFIX: &str = "invalid option: ";

fn start(args: &ServeArgs) -> Result<Emulator, String> {
    let scenario = scenario(args);
    scenario.validate().map_err(|problem| format!("{USAGE_PREFIX}{problem}"))?;
    let authority = match &args.tls_ca_out {
        None => None,
        Some(path) => {
            let authority = TestAuthority::generate().map_err(|error| error.to_string())?;
            std::fs::write(path, authority.ca_pem())
                .map_err(|error| format!("cannot write the authority's certificate to {}: {error}", path.display()))?;
            Some(authority)
        }
    };
    let emulator = Emulator::start_on_with_tls(args.port, scenario, authority.as_ref())
        .map_err(|error| format!("cannot listen on 127.0.0.1:{}: {error}", args.port))?;
    for token in &args.tokens {
        emulator.add_token(token, &[]);
    }
    for spec in &args.access_keys {
        let (key, name) = spec.split_once('=').unwrap_or((spec, "Demo Project"));
        emulator.add_access_key(key, name);
    }
    for key in &args.api_keys {
        emulator.add_api_key(key);
    }
    Ok(emulator)
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let emulator = start(&args)?;
    println!("skytells-emulator listening on {}", emulator.url());
    println!("  export SKYTELLS_API_URL={}", emulator.url());
    if let Some(path) = &args.tls_ca_out {
        println!("  export SSL_CERT_FILE={}", path.display());
    }
    emulator.wait();
    Ok(())
}

fn browse(url: &str, approve: bool, delay_ms: u64) -> Result<(), String> {
    thread::sleep(Duration::from_millis(delay_ms));
    let page = browser::decide_on_page(url, approve).map_err(|error| format!("could not use {url}: {error}"))?;
    let text = page.split("id=\"result\">").nth(1).and_then(|rest| rest.split('<').next()).unwrap_or("done");
    eprintln!("[browser] {text}");
    Ok(())
}

/// The project access key the demo links.
const DEMO_ACCESS_KEY: &str = "sk_proj_weather_1";

fn demo() -> Result<(), String> {
    let here = std::env::current_exe().map_err(|error| error.to_string())?;
    let skytells = here.with_file_name(format!("skytells{}", std::env::consts::EXE_SUFFIX));
    if !skytells.exists() {
        return Err(format!("{} not found; build it first with `cargo build`", skytells.display()));
    }
    let args = ServeArgs {
        port: 0,
        interval: 1.0,
        access_keys: vec![format!("{DEMO_ACCESS_KEY}=Weather App")],
        ..Cli::parse_from(["skytells-emulator"]).serve
    };
    let emulator = start(&args)?;
    let config_dir = std::env::temp_dir().join(format!("skytells-demo-{}", std::process::id()));
    let browser = format!("{} browse --delay-ms 2500", here.display());
    println!("$ skytells login      # against the emulator at {}, approved in a simulated browser\n", emulator.url());
    let run = |args: &[&str]| -> Result<(), String> {
        let status = Command::new(&skytells)
            .args(args)
            .env("SKYTELLS_API_URL", emulator.url())
            .env("SKYTELLS_CONFIG_DIR", &config_dir)
            .env("BROWSER", &browser)
            .env_remove("SKYTELLS_TOKEN")
            .env_remove("SKYTELLS_ACCESS_KEY")
            .status()
            .map_err(|error| format!("cannot run {}: {error}", skytells.display()))?;
        status.success().then_some(()).ok_or_else(|| format!("skytells {} failed ({status})", args.join(" ")))
    };
    let result = run(&["login"])
        .and_then(|()| {
            println!("\n$ skytells link {DEMO_ACCESS_KEY}\n");
            run(&["link", DEMO_ACCESS_KEY])
        })
        .and_then(|()| {
            println!("\n$ skytells whoami\n");
            run(&["whoami"])
        });
    let _ = std::fs::remove_dir_all(&config_dir);
    result
}
