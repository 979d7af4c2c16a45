//! The embedded backend: one SQLite file (and its key file beside it). Everything SQLite-specific
//! is here: the connection settings, the two connections and how they are taken, the write
//! transaction's `BEGIN IMMEDIATE`, the files kept private (0600), the key file and its
//! migrations (`migrations/sqlite`).
//!
//! Two connections, each taken in turn: one that writes and one that only reads. SQLite writes
//! one transaction at a time whatever the number of connections, every statement here is a few
//! microseconds of work, and a statement on a pooled connection costs a second round trip to its
//! thread (sqlx checks each connection as it comes back to the pool), so two plain connections
//! cost less CPU than a pool for the same throughput (measured with the load benchmark). Reads
//! never wait for a write in WAL mode: a write stuck behind another process's lock holds up other
//! writes, not reads.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

use super::crypto::Key;
use super::{Inspection, KEY_CHECK, KeyCheck, KeySource, Result, StorageError, applied_and_sealed};

/// Starts a transaction that writes: SQLite takes the write lock at once, so what it reads stays
/// as it is until it commits.
pub(super) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

pub(super) struct Sqlite {
    /// `None` once closed.
    writer: Arc<Mutex<Option<SqliteConnection>>>,
    reader: Arc<Mutex<Option<SqliteConnection>>>,
}

/// Whether the database lives in memory only: `sqlite::memory:` (which sqlx names
/// `file:sqlx-in-memory-N`), `:memory:`, or a URL asking for `mode=memory`.
fn is_in_memory(url: &str, file: &Path) -> bool {
    file.as_os_str().is_empty()
        || file == Path::new(":memory:")
        || file.to_string_lossy().starts_with("file:sqlx-in-memory-")
        || url.contains("mode=memory")
}

impl Sqlite {
    /// Opens (creating if missing) the database at `url` (a `sqlite:` URL or a plain file path),
    /// applies pending migrations and finds the key: the one given, or the key file's.
    pub(super) async fn open(url: &str, keys: KeySource) -> Result<(Self, Key)> {
        let options = options_of(url)?;
        let file = options.get_filename().to_owned();
        if !is_in_memory(url, &file) {
            keep_private(&file);
        }
        // WAL lets readers proceed during a write; the busy timeout makes a concurrent writer
        // wait instead of failing at once; secure_delete zeroes what is deleted, so an old value
        // does not linger in free pages.
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
            .pragma("secure_delete", "ON");
        let mut conn = SqliteConnection::connect_with(&options).await?;
        sqlx::migrate!("migrations/sqlite").run(&mut conn).await?;

        let key = match keys {
            KeySource::Given(key) => key,
            KeySource::FileBesideDatabase if is_in_memory(url, &file) => Key::generate(),
            KeySource::FileBesideDatabase => {
                let sealed: Option<String> =
                    sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
                        .bind(KEY_CHECK)
                        .fetch_optional(&mut conn)
                        .await?;
                key_file(&file, sealed.is_some())?
            }
        };
        let writer = Arc::new(Mutex::new(Some(conn)));
        // Opened after the migrations, so it sees the tables they made. A database in memory is
        // private to its connection: there the writer reads too.
        let reader = if is_in_memory(url, &file) {
            writer.clone()
        } else {
            let reader = SqliteConnection::connect_with(&options.read_only(true)).await?;
            Arc::new(Mutex::new(Some(reader)))
        };
        Ok((Self { writer, reader }, key))
    }

    /// What `check` reports, creating nothing: a missing file is reported, not made; an
    /// existing one is only read (SQLite's `-wal` and `-shm` beside it go when it is closed).
    pub(super) async fn inspect(url: &str, keys: KeySource) -> Result<Inspection> {
        let options = options_of(url)?;
        let file = options.get_filename().to_owned();
        let known = sqlx::migrate!("migrations/sqlite").iter().count();
        let key_file = key_path(&file);
        let in_memory = is_in_memory(url, &file);
        let mut found = Inspection {
            backend: "SQLite",
            missing_file: None,
            applied: 0,
            known,
            key: KeyCheck::Fits,
        };
        let sealed = if in_memory {
            None
        } else if !file.exists() {
            found.missing_file = Some(file);
            None
        } else {
            // Not read-only: a read-only connection leaves the `-wal` and `-shm` files it made;
            // the last writable one to close removes them. Nothing is written.
            let mut conn =
                SqliteConnection::connect_with(&options.create_if_missing(false)).await?;
            let (applied, sealed) = applied_and_sealed!(
                &mut conn,
                "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = $1"
            )
            .await?;
            found.applied = applied;
            conn.close().await?;
            sealed
        };
        found.key = match keys {
            KeySource::Given(key) => KeyCheck::of(&key, sealed.as_deref()),
            KeySource::FileBesideDatabase if in_memory => KeyCheck::Fits,
            KeySource::FileBesideDatabase => match std::fs::read_to_string(&key_file) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => match sealed {
                    Some(_) => KeyCheck::FileMissing(key_file),
                    None => KeyCheck::FileToCreate(key_file),
                },
                read => {
                    let key = read
                        .map_err(|e| e.to_string())
                        .and_then(|text| Key::from_base64(&text).map_err(|e| e.to_string()))
                        .map_err(|reason| StorageError::KeyFile {
                            path: key_file,
                            reason,
                        })?;
                    KeyCheck::of(&key, sealed.as_deref())
                }
            },
        };
        Ok(found)
    }

    /// The writing connection, for one operation; other writes wait their turn.
    pub(super) async fn writer(&self) -> Result<MappedMutexGuard<'_, SqliteConnection>> {
        take_turn(&self.writer).await
    }

    /// The reading connection, for one read; other reads wait their turn.
    pub(super) async fn reader(&self) -> Result<MappedMutexGuard<'_, SqliteConnection>> {
        take_turn(&self.reader).await
    }

    /// Waits for the operations in progress and closes the connections (the writer last, which
    /// checkpoints the WAL).
    pub(super) async fn close(&self) {
        for conn in [&self.reader, &self.writer] {
            if let Some(conn) = conn.lock().await.take()
                && let Err(e) = conn.close().await
            {
                tracing::warn!(error = %e, "closing the database failed");
            }
        }
    }
}

async fn take_turn(
    conn: &Mutex<Option<SqliteConnection>>,
) -> Result<MappedMutexGuard<'_, SqliteConnection>> {
    MutexGuard::try_map(conn.lock().await, Option::as_mut).map_err(|_| StorageError::Closed)
}

/// The options for `url`: a `sqlite:` URL or a plain file path.
fn options_of(url: &str) -> Result<SqliteConnectOptions> {
    if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url).map_err(|e| StorageError::Url(e.to_string()))
    } else {
        Ok(SqliteConnectOptions::new().filename(url))
    }
}

/// The key file beside `db_file`: `<database>.key`.
fn key_path(db_file: &Path) -> PathBuf {
    let mut name = db_file.as_os_str().to_owned();
    name.push(".key");
    PathBuf::from(name)
}

/// Reads the key file beside `db_file`, or creates it (owner-only) when the database has no
/// sealed values yet. A database with sealed values and no key file is an error: a new key would
/// silently lose every token.
fn key_file(db_file: &Path, has_sealed: bool) -> Result<Key> {
    let path = key_path(db_file);
    let fail = |reason: String| StorageError::KeyFile {
        path: path.clone(),
        reason,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Key::from_base64(&text).map_err(|e| fail(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if has_sealed {
                return Err(StorageError::KeyMissing(path));
            }
            let key = Key::generate();
            write_private(&path, key.to_base64().expose_secret())
                .map_err(|e| fail(e.to_string()))?;
            let shown = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
            tracing::info!(path = %shown.display(), "created a new token encryption key file; back it up with the database");
            Ok(key)
        }
        Err(e) => Err(fail(e.to_string())),
    }
}

/// Makes the database file, and the WAL and shared-memory files beside it, readable by the bot's
/// user only (0600), whatever the umask: they hold join links, names, topics and emails. SQLite
/// would create the database 0644 less the umask, and creates its `-wal` and `-shm` files with
/// the database file's mode; so the database file is created here, 0600, before SQLite opens it.
/// Files an older version left readable by others are tightened, logged once at info level. A
/// file that cannot be changed (not the bot's user's) is logged as a warning and left to SQLite.
fn keep_private(file: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(file)
            .is_ok();
        let mut tightened = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            let mut name = file.as_os_str().to_owned();
            name.push(suffix);
            let path = PathBuf::from(name);
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            let mode = meta.permissions().mode() & 0o777;
            // The owner's bits as they are, but for a file just made (the umask may have taken
            // some); nobody else's.
            let private = if created && suffix.is_empty() {
                0o600
            } else {
                mode & 0o700
            };
            if mode == private {
                continue;
            }
            match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(private)) {
                Ok(()) if created => {}
                Ok(()) => tightened.push(format!("{} ({mode:o})", path.display())),
                Err(e) => tracing::warn!(
                    path = %path.display(),
                    error = %e,
                    "could not make a database file readable by the bot's user only"
                ),
            }
        }
        if !tightened.is_empty() {
            tracing::info!(
                files = %tightened.join(", "),
                "database files were readable by others: made readable by the bot's user only (0600)"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = file;
}

/// Creates `path` with `contents`, readable and writable by the owner only.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}
