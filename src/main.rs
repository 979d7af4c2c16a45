//! Wiring only: the command line and configuration, logging, the bot or a subcommand, and
//! signals.

use std::process::ExitCode;

use telemost_bot::cli::{self, Command};
use telemost_bot::config::{Config, Database, LogFormat};
use telemost_bot::{admin, app};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    // Before the command line, whose settings fall back to the environment.
    let dotenv = dotenvy::dotenv();
    // `--help` and `--version` end here (0), as does a malformed command line (2).
    let (cli, values) = cli::parse();
    let lookup = |name: &str| values.get(name).cloned();
    let format = match LogFormat::from_lookup(lookup) {
        Ok(format) => format,
        Err(e) => {
            eprintln!("telemost-bot: {e}");
            return ExitCode::from(2);
        }
    };
    let filter = values.get("RUST_LOG").map_or("info", String::as_str);
    logging(filter, format);
    if let Err(e) = &dotenv
        && !e.not_found()
    {
        eprintln!("telemost-bot: could not read .env: {e}");
        return ExitCode::from(2);
    }
    // A bad value: one line, exit 2, whichever command.
    let config = || {
        Config::from_lookup(lookup).map_err(|e| {
            eprintln!("telemost-bot: {e}");
            ExitCode::from(2)
        })
    };
    let outcome = match cli.command {
        None => {
            return match config() {
                Ok(config) => run(config).await,
                Err(code) => code,
            };
        }
        Some(Command::Migrate) => match Database::from_lookup(lookup) {
            Ok(db) => admin::migrate(db).await,
            Err(e) => {
                eprintln!("telemost-bot: {e}");
                return ExitCode::from(2);
            }
        },
        Some(Command::Check) => match config() {
            Ok(config) => admin::check(config).await,
            Err(code) => return code,
        },
        Some(Command::Webhook(what)) => match config() {
            Ok(config) => admin::webhook(config, what).await,
            Err(code) => return code,
        },
    };
    match outcome {
        admin::Outcome::Done => ExitCode::SUCCESS,
        admin::Outcome::Failed => ExitCode::FAILURE,
        admin::Outcome::BadSetup => ExitCode::from(2),
    }
}

/// Logs to stderr, filtered by `filter` (RUST_LOG): as text, coloured only on a terminal (not in
/// a file or the journal), or as JSON lines.
fn logging(spec: &str, format: LogFormat) {
    use std::io::IsTerminal;
    use tracing_subscriber::filter::LevelFilter;
    let mut filter = EnvFilter::try_new(spec).unwrap_or_else(|_| EnvFilter::new("info"));
    // PostgreSQL's notices ("relation … already exists, skipping" at every start) come as
    // sqlx's info; they are shown from debug on, or when the filter names sqlx.
    if !spec.contains("sqlx")
        && filter
            .max_level_hint()
            .is_some_and(|l| l < LevelFilter::DEBUG)
        && let Ok(notices) = "sqlx::postgres::notice=warn".parse()
    {
        filter = filter.add_directive(notices);
    }
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
}

/// Runs the bot until SIGINT or SIGTERM.
async fn run(config: Config) -> ExitCode {
    let mut running = match app::start(config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("telemost-bot: {e}");
            return if e.is_setup() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            };
        }
    };
    tracing::info!("telemost-bot is running; Ctrl+C or SIGTERM stops it");
    tokio::select! {
        _ = shutdown_signal() => tracing::info!("shutting down"),
        _ = running.stopped() => {
            tracing::error!("the dispatcher stopped unexpectedly");
            return ExitCode::FAILURE;
        }
    }
    running.shutdown().await;
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

/// SIGINT or SIGTERM, whichever comes first.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
