//! The database: tokens, dialogue state, the record of meetings, chat settings and /connect
//! codes. The only module with SQL. It knows nothing of Telegram or Telemost: chats and users are
//! plain ids, a dialogue is an opaque string the bot serialised, a meeting's options are the JSON
//! the bot sent.
//!
//! This file owns the handle (`Db`: opening, migrations, the key check, the two connections,
//! closing); each other file owns the queries for one thing stored, as an `impl Db` block.
//!
//! What is SQLite-specific is here: the connection setup in `Db::open`, the row type (`DbRow`)
//! and `BEGIN IMMEDIATE` (`BEGIN_WRITE`), besides the migrations themselves. The queries
//! elsewhere are standard SQL PostgreSQL runs too: numbered placeholders (`$1`, which sqlx's
//! SQLite driver binds by number as PostgreSQL does), `ON CONFLICT … DO UPDATE`,
//! `ROW_NUMBER() OVER`, `LIMIT`, with integers bound as `i64` and flags as `bool`.

mod connect_codes;
pub mod crypto;
mod dialogues;
mod meetings;
mod prune;
mod settings;
mod tokens;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, Row};
use thiserror::Error;
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

pub use connect_codes::Redeemed;
use crypto::{Cipher, CryptoError, Key};
pub use meetings::MeetingRecord;
pub use prune::{PRUNE_AFTER_SECS, Pruned, Retention};
pub use settings::ChatSettings;
pub use tokens::Tokens;
use tokens::access_context;

#[derive(Debug, Error)]
pub enum StorageError {
    #[error("invalid DATABASE_URL: {0}")]
    Url(String),
    #[error(
        "the database's tokens were sealed with another key: set TOKEN_ENCRYPTION_KEY (or restore \
         the key file) to the key it was created with"
    )]
    WrongKey,
    #[error(
        "the database has sealed tokens but its key file {0} is missing: restore it, or set \
         TOKEN_ENCRYPTION_KEY to the key the database was created with"
    )]
    KeyMissing(PathBuf),
    #[error("key file {path}: {reason}")]
    KeyFile { path: PathBuf, reason: String },
    #[error("a stored token could not be opened: {0}")]
    Crypto(#[from] CryptoError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the database is closed (the bot is stopping)")]
    Closed,
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Where the key that seals tokens comes from.
pub enum KeySource {
    /// `TOKEN_ENCRYPTION_KEY`.
    Given(Key),
    /// A key file beside the database file (`<database>.key`), created on first start with
    /// owner-only permissions.
    FileBesideDatabase,
}

/// A handle on the database; cheap to clone.
///
/// Two connections, each taken in turn: one that writes and one that only reads. SQLite writes
/// one transaction at a time whatever the number of connections, every statement here is a few
/// microseconds of work, and a statement on a pooled connection costs a second round trip to its
/// thread (sqlx checks each connection as it comes back to the pool), so two plain connections
/// cost less CPU than a pool for the same throughput (measured with the load benchmark). Reads
/// never wait for a write in WAL mode: a write stuck behind another process's lock holds up other
/// writes, not reads.
#[derive(Clone)]
pub struct Db {
    /// `None` once closed.
    writer: std::sync::Arc<Mutex<Option<SqliteConnection>>>,
    reader: std::sync::Arc<Mutex<Option<SqliteConnection>>>,
    cipher: std::sync::Arc<Cipher>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").finish_non_exhaustive()
    }
}

const KEY_CHECK: &str = "key_check";

/// Starts a transaction that writes: SQLite takes the write lock at once, so what it reads stays
/// as it is until it commits.
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// A row as the queries read it.
type DbRow = sqlx::sqlite::SqliteRow;

/// Whether the database lives in memory only: `sqlite::memory:` (which sqlx names
/// `file:sqlx-in-memory-N`), `:memory:`, or a URL asking for `mode=memory`.
fn is_in_memory(url: &str, file: &Path) -> bool {
    file.as_os_str().is_empty()
        || file == Path::new(":memory:")
        || file.to_string_lossy().starts_with("file:sqlx-in-memory-")
        || url.contains("mode=memory")
}

/// Reads the key file beside `db_file`, or creates it (owner-only) when the database has no
/// sealed values yet. A database with sealed values and no key file is an error: a new key would
/// silently lose every token.
fn key_file(db_file: &Path, has_sealed: bool) -> Result<Key> {
    let mut name = db_file.as_os_str().to_owned();
    name.push(".key");
    let path = PathBuf::from(name);
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

/// Now, in unix seconds: the timestamps stored here and the deadlines compared with them.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Db {
    /// Opens (creating if missing) the database at `url`, applies pending migrations and checks
    /// that `keys` gives the key its tokens were sealed with. `url` is a `sqlite:` URL or a plain
    /// file path.
    pub async fn open(url: &str, keys: KeySource) -> Result<Self> {
        let options = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url).map_err(|e| StorageError::Url(e.to_string()))?
        } else {
            SqliteConnectOptions::new().filename(url)
        };
        let file = options.get_filename().to_owned();
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
        sqlx::migrate!().run(&mut conn).await?;

        let check: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(KEY_CHECK)
            .fetch_optional(&mut conn)
            .await?;
        let key = match keys {
            KeySource::Given(key) => key,
            KeySource::FileBesideDatabase if is_in_memory(url, &file) => Key::generate(),
            KeySource::FileBesideDatabase => key_file(&file, check.is_some())?,
        };
        let cipher = Cipher::new(&key);
        match &check {
            Some(sealed) => {
                cipher
                    .open(KEY_CHECK, sealed)
                    .map_err(|_| StorageError::WrongKey)?;
            }
            None => {
                let sealed = cipher.seal(KEY_CHECK, &SecretString::from("telemost-bot"));
                sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2)")
                    .bind(KEY_CHECK)
                    .bind(sealed)
                    .execute(&mut conn)
                    .await?;
            }
        }
        let writer = std::sync::Arc::new(Mutex::new(Some(conn)));
        // Opened after the migrations, so it sees the tables they made. A database in memory is
        // private to its connection: there the writer reads too.
        let reader = if is_in_memory(url, &file) {
            writer.clone()
        } else {
            let reader = SqliteConnection::connect_with(&options.read_only(true)).await?;
            std::sync::Arc::new(Mutex::new(Some(reader)))
        };
        let db = Self {
            writer,
            reader,
            cipher: std::sync::Arc::new(cipher),
        };
        db.seal_plain_tokens().await?;
        Ok(db)
    }

    /// Seals tokens an older version stored in plain text.
    async fn seal_plain_tokens(&self) -> Result<()> {
        let rows =
            sqlx::query("SELECT chat_id, token FROM chat_tokens WHERE token NOT LIKE 'v1.%'")
                .fetch_all(&mut *self.writer().await?)
                .await?;
        for row in rows {
            let chat_id: i64 = row.get(0);
            let plain = SecretString::from(row.get::<String, _>(1));
            sqlx::query("UPDATE chat_tokens SET token = $1 WHERE chat_id = $2")
                .bind(self.cipher.seal(&access_context(chat_id), &plain))
                .bind(chat_id)
                .execute(&mut *self.writer().await?)
                .await?;
        }
        Ok(())
    }

    /// The writing connection, for one operation; other writes wait their turn.
    async fn writer(&self) -> Result<MappedMutexGuard<'_, SqliteConnection>> {
        Self::take_turn(&self.writer).await
    }

    /// The reading connection, for one read; other reads wait their turn.
    async fn reader(&self) -> Result<MappedMutexGuard<'_, SqliteConnection>> {
        Self::take_turn(&self.reader).await
    }

    async fn take_turn(
        conn: &Mutex<Option<SqliteConnection>>,
    ) -> Result<MappedMutexGuard<'_, SqliteConnection>> {
        MutexGuard::try_map(conn.lock().await, Option::as_mut).map_err(|_| StorageError::Closed)
    }

    /// Waits for the operations in progress and closes the connections (the writer last, which
    /// checkpoints the WAL). Operations after this fail with `Closed`.
    pub async fn close(&self) {
        for conn in [&self.reader, &self.writer] {
            if let Some(conn) = conn.lock().await.take()
                && let Err(e) = conn.close().await
            {
                tracing::warn!(error = %e, "closing the database failed");
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! What the tests of every file here share.

    use secrecy::SecretString;

    use super::{Db, KeySource, Tokens};

    /// A new database in a directory of its own, removed when the directory is dropped.
    pub(crate) async fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(
            dir.path().join("t.db").to_str().unwrap(),
            KeySource::FileBesideDatabase,
        )
        .await
        .unwrap();
        (dir, db)
    }

    pub(crate) fn pasted(t: &str) -> Tokens {
        Tokens::pasted(SecretString::from(t))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{db, pasted};
    use super::*;

    #[tokio::test]
    async fn a_database_in_memory_reads_what_it_wrote() {
        let cwd_before: Vec<_> = std::fs::read_dir(".")
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        let db = Db::open("sqlite::memory:", KeySource::FileBesideDatabase)
            .await
            .unwrap();
        let cwd_after: Vec<_> = std::fs::read_dir(".")
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert_eq!(
            cwd_before, cwd_after,
            "no key file is written for a database in memory"
        );
        db.set_token(1, &pasted("one"), Some(1)).await.unwrap();
        db.save_dialogue(1, 1, "{}", None).await.unwrap();
        assert_eq!(
            db.token(1).await.unwrap().unwrap().access.expose_secret(),
            "one"
        );
        assert_eq!(db.load_dialogue(1, 1).await.unwrap().as_deref(), Some("{}"));
        db.close().await;
        assert!(matches!(db.token(1).await, Err(StorageError::Closed)));
    }

    #[tokio::test]
    async fn the_reading_connection_cannot_write() {
        let (_dir, db) = db().await;
        let refused = sqlx::query("DELETE FROM dialogues")
            .execute(&mut *db.reader().await.unwrap())
            .await;
        assert!(refused.is_err(), "{refused:?}");
    }

    #[tokio::test]
    async fn the_key_file_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        let url = path.to_str().unwrap();
        let db = Db::open(url, KeySource::FileBesideDatabase).await.unwrap();
        db.set_token(1, &pasted("t"), Some(1)).await.unwrap();
        db.close().await;
        let key_path = dir.path().join("k.db.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let db = Db::open(url, KeySource::FileBesideDatabase).await.unwrap();
        assert_eq!(
            db.token(1).await.unwrap().unwrap().access.expose_secret(),
            "t"
        );
        db.close().await;

        // The wrong key is refused at open, not discovered later as garbage.
        let wrong = Db::open(url, KeySource::Given(Key::generate())).await;
        assert!(matches!(wrong, Err(StorageError::WrongKey)), "{wrong:?}");
        // A lost key file is an error, not a silent new key.
        std::fs::remove_file(&key_path).unwrap();
        let lost = Db::open(url, KeySource::FileBesideDatabase).await;
        assert!(matches!(lost, Err(StorageError::KeyMissing(_))), "{lost:?}");
    }

    #[tokio::test]
    async fn plain_tokens_from_older_versions_are_sealed_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("old.db");
        let url = url.to_str().unwrap();
        let db = Db::open(url, KeySource::FileBesideDatabase).await.unwrap();
        sqlx::query(
            "INSERT INTO chat_tokens (chat_id, token, updated_at) VALUES (9, 'y0_old_plain', 0)",
        )
        .execute(&mut *db.writer().await.unwrap())
        .await
        .unwrap();
        db.close().await;
        let db = Db::open(url, KeySource::FileBesideDatabase).await.unwrap();
        assert_eq!(
            db.token(9).await.unwrap().unwrap().access.expose_secret(),
            "y0_old_plain"
        );
        let raw: String = sqlx::query_scalar("SELECT token FROM chat_tokens WHERE chat_id = 9")
            .fetch_one(&mut *db.writer().await.unwrap())
            .await
            .unwrap();
        assert!(Cipher::is_sealed(&raw));
    }
}
