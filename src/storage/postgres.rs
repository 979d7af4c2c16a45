//! The server backend: a PostgreSQL database that several processes share. Everything specific
//! to it is here: the pool and its timeouts, and its migrations (`migrations/postgres`), which
//! sqlx applies under an advisory lock, so processes starting together apply them once.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::{Result, StorageError};

/// Connections per process. Each statement here is short; more would only queue in PostgreSQL.
const MAX_CONNECTIONS: u32 = 16;

/// How long an operation waits for a connection before it fails: long enough for a busy moment,
/// short enough that an update meeting a database that is down is refused (and resent by
/// Telegram) instead of held.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Connects to `url` (`postgres://…`) and applies pending migrations. An unreachable server is
/// `Unreachable`, naming the host and port, never the password.
pub(super) async fn open(url: &str) -> Result<PgPool> {
    let options = PgConnectOptions::from_str(url).map_err(|e| StorageError::Url(e.to_string()))?;
    let host = format!("{}:{}", options.get_host(), options.get_port());
    let pool = PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(|e| StorageError::Unreachable {
            host: host.clone(),
            reason: e.to_string(),
        })?;
    sqlx::migrate!("migrations/postgres").run(&pool).await?;
    Ok(pool)
}
