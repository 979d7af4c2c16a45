//! Wiring only: configuration, logging, the bot, and signals.

use std::process::ExitCode;

use telemost_bot::{bot, config::Config};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let dotenv = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = &dotenv
        && !e.not_found()
    {
        eprintln!("telemost-bot: could not read .env: {e}");
        return ExitCode::from(2);
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("telemost-bot: {e}");
            return ExitCode::from(2);
        }
    };
    let mut running = match bot::start(config).await {
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
