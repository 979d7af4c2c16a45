//! The server backend: a PostgreSQL database that several processes share. Everything specific
//! to it is here: its connections and their timeouts, and its migrations (`migrations/postgres`),
//! which sqlx applies under an advisory lock, so processes starting together apply them once.
//!
//! Connections are kept here rather than in sqlx's pool for the reason the SQLite backend keeps
//! its own two: sqlx's pool checks every connection as it comes back, a second round trip to the
//! server for each statement, which the load benchmark showed as a large share of both the
//! bot's and PostgreSQL's CPU. Here a connection goes back to the idle ones only when the
//! operation that used it finished without error; after an error, or when the operation was
//! dropped half-way, it is closed, and a new one is opened when needed. So a connection broken
//! by a server restart fails one operation and is then replaced.

use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::crypto::Key;
use super::{Inspection, KeyCheck, Result, StorageError, applied_and_sealed};

/// Connections per process at most. Each statement here is short; more would only queue in
/// PostgreSQL.
const MAX_CONNECTIONS: usize = 16;

/// How long an operation waits for a connection (a free one, or a new one to be opened) before
/// it fails: long enough for a busy moment, short enough that an update meeting a database that
/// is down is refused (and resent by Telegram) instead of held.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long one operation may take in all, its statements included: a connection the network
/// silently lost would otherwise hang it for as long as the kernel takes to notice. Its
/// connection is closed, not reused.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) struct Postgres {
    options: PgConnectOptions,
    idle: Mutex<Vec<PgConnection>>,
    /// One permit per connection that may be in use.
    slots: Semaphore,
    closed: AtomicBool,
}

/// A connection taken for one operation. Call `keep` when the operation succeeded; dropped
/// without it, the connection is closed instead of reused.
pub(super) struct Conn<'a> {
    conn: Option<PgConnection>,
    from: &'a Postgres,
    _slot: SemaphorePermit<'a>,
    keep: bool,
}

impl Conn<'_> {
    pub(super) fn keep(&mut self) {
        self.keep = true;
    }
}

impl std::ops::Deref for Conn<'_> {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        self.conn.as_ref().expect("present until dropped")
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.conn.as_mut().expect("present until dropped")
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && self.keep
            && !self.from.closed.load(Ordering::SeqCst)
        {
            self.from
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(conn);
        }
    }
}

/// A first connection to `url`. An unreachable server is `Unreachable`, naming the host and
/// port, never the password.
async fn connect(url: &str) -> Result<(PgConnectOptions, PgConnection)> {
    let options = PgConnectOptions::from_str(url).map_err(|_| {
        StorageError::Url("expected postgres://user:password@host:port/database".into())
    })?;
    let host = format!("{}:{}", options.get_host(), options.get_port());
    let conn = tokio::time::timeout(ACQUIRE_TIMEOUT, PgConnection::connect_with(&options))
        .await
        .map_err(|_| "no answer within 3 s".to_owned())
        .and_then(|c| c.map_err(|e| e.to_string()))
        .map_err(|reason| StorageError::Unreachable { host, reason })?;
    Ok((options, conn))
}

impl Postgres {
    /// Connects to `url` (`postgres://…`) and applies pending migrations. An unreachable server
    /// is `Unreachable`, naming the host and port, never the password.
    pub(super) async fn open(url: &str) -> Result<Self> {
        let (options, mut first) = connect(url).await?;
        sqlx::migrate!("migrations/postgres")
            .run(&mut first)
            .await?;
        Ok(Self {
            options,
            idle: Mutex::new(vec![first]),
            slots: Semaphore::new(MAX_CONNECTIONS),
            closed: AtomicBool::new(false),
        })
    }

    /// What `check` reports, changing nothing (no migration applied).
    pub(super) async fn inspect(url: &str, key: &Key) -> Result<Inspection> {
        let (_, mut conn) = connect(url).await?;
        let (applied, sealed) =
            applied_and_sealed!(&mut conn, "SELECT to_regclass($1) IS NOT NULL").await?;
        conn.close().await?;
        Ok(Inspection {
            backend: "PostgreSQL",
            missing_file: None,
            applied,
            known: sqlx::migrate!("migrations/postgres").iter().count(),
            key: KeyCheck::of(key, sealed.as_deref()),
        })
    }

    /// A connection for one operation: an idle one, or a new one.
    pub(super) async fn take(&self) -> Result<Conn<'_>> {
        let slot = tokio::time::timeout(ACQUIRE_TIMEOUT, self.slots.acquire())
            .await
            .map_err(|_| StorageError::Sql(sqlx::Error::PoolTimedOut))?
            .map_err(|_| StorageError::Closed)?;
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                tokio::time::timeout(ACQUIRE_TIMEOUT, PgConnection::connect_with(&self.options))
                    .await
                    .map_err(|_| StorageError::Sql(sqlx::Error::PoolTimedOut))??
            }
        };
        Ok(Conn {
            conn: Some(conn),
            from: self,
            _slot: slot,
            keep: false,
        })
    }

    /// `operation`, failing if it takes over `OPERATION_TIMEOUT` (its connection is then
    /// dropped with it, not reused).
    pub(super) async fn bounded<T>(
        &self,
        operation: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        tokio::time::timeout(OPERATION_TIMEOUT, operation)
            .await
            .unwrap_or(Err(StorageError::Sql(sqlx::Error::PoolTimedOut)))
    }

    /// Waits (at most `OPERATION_TIMEOUT`) for the operations in progress and closes every
    /// connection; later operations fail with `Closed`.
    pub(super) async fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        // Every slot back means no operation is in progress.
        let all = self.slots.acquire_many(MAX_CONNECTIONS as u32);
        if let Ok(Ok(all)) = tokio::time::timeout(OPERATION_TIMEOUT, all).await {
            all.forget();
        }
        self.slots.close();
        let idle = std::mem::take(
            &mut *self
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for conn in idle {
            let _ = conn.close().await;
        }
    }
}
