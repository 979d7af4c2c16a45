//! The database: tokens, dialogue state, the record of meetings, chat settings and /connect
//! codes. The only module with SQL. It knows nothing of Telegram or Telemost: chats and users are
//! plain ids, a dialogue is an opaque string the bot serialised, a meeting's options are the JSON
//! the bot sent.
//!
//! Two backends behind one handle (`Db`): SQLite, the embedded default (`sqlite.rs`), and
//! PostgreSQL, for a server database several processes share (`postgres.rs`). The callers never
//! know which runs. This file owns the handle (opening either, the key check, closing) and the
//! three ways a query gets a connection (`reading!`, `writing!`, `transaction!`); each other file
//! owns the queries for one thing stored (`leases.rs`: those every table of background work
//! shares), as an `impl Db` block, written once for both: numbered placeholders (`$1`, which
//! sqlx's SQLite driver binds by number as PostgreSQL does), `ON CONFLICT … DO UPDATE`,
//! `RETURNING`, `ROW_NUMBER() OVER`, `LIMIT`, integers bound as `i64` and flags as `bool`. Each
//! backend has its own migrations (`migrations/sqlite`, `migrations/postgres`) making the same
//! tables.
//!
//! A `LIMIT` given at run time is written `LIMIT CAST($n AS BIGINT)`, never with a bare `$n`: SQLite
//! plans a bare parameter there with the value bound, so it compiles the statement again at every
//! run (callgrind counted one `sqlite3Reprepare` per meeting made); behind a cast it is an
//! expression computed when the statement runs, and PostgreSQL reads both the same.

mod chats;
mod connect_codes;
pub mod crypto;
mod dialogues;
mod inbox;
mod leases;
mod limits;
mod logins;
mod meetings;
mod postgres;
mod prune;
mod schedules;
mod settings;
mod sqlite;
mod tokens;
mod votes;
mod web_calls;
mod webhook;

use std::path::PathBuf;
use std::sync::Arc;

use secrecy::SecretString;
use sqlx::Row;
use thiserror::Error;

pub use chats::{Carried, Forgot, Moved};
pub use connect_codes::Redeemed;
use crypto::{Cipher, CryptoError, Key};
pub use inbox::{HANDLED_AT_ONCE, LetGo, RESENDS_RECOGNISED_SECS};
pub use leases::{Leased, process_id};
pub use limits::OVERALL_SCOPE;
pub use logins::{Claimed, Login};
pub use meetings::MeetingRecord;
pub use prune::{PRUNE_AFTER_SECS, Pruned, Retention};
pub use schedules::{Advance, NewSchedule, Schedule};
pub use settings::ChatSettings;
pub use tokens::Tokens;
use tokens::access_context;
pub use votes::{Choice, NewVote, Settled, Vote};

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
    #[error(
        "TOKEN_ENCRYPTION_KEY is required with PostgreSQL: a key file beside a server database \
         would not be beside its data (make one with `openssl rand -base64 32`)"
    )]
    KeyRequired,
    #[error("cannot reach the database at {host}: {reason}")]
    Unreachable { host: String, reason: String },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the database is closed (the bot is stopping)")]
    Closed,
    /// A compare-and-set write found the row changed since it was read: another process moved
    /// it on (see `save_dialogue`). Nothing was written.
    #[error("changed by another process since it was read")]
    Overtaken,
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Where the key that seals tokens comes from.
pub enum KeySource {
    /// `TOKEN_ENCRYPTION_KEY`.
    Given(Key),
    /// A key file beside the database file (`<database>.key`), created on first start with
    /// owner-only permissions. SQLite only.
    FileBesideDatabase,
}

/// What `check` finds of a database, having changed nothing: no file or key file created, no
/// migration applied.
#[derive(Debug, PartialEq, Eq)]
pub struct Inspection {
    pub backend: &'static str,
    /// The SQLite file, when there is none yet: a start creates it.
    pub missing_file: Option<PathBuf>,
    /// Migrations the database has applied, and how many this build has.
    pub applied: usize,
    pub known: usize,
    pub key: KeyCheck,
}

/// Whether the key that seals tokens fits the database.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyCheck {
    /// It opens what the database sealed (or nothing is sealed yet).
    Fits,
    /// It does not: the stored tokens cannot be read with it.
    Wrong,
    /// No key file beside the database and nothing sealed yet: a start creates it.
    FileToCreate(PathBuf),
    /// No key file, and the database has sealed values: its tokens cannot be read.
    FileMissing(PathBuf),
}

impl KeyCheck {
    /// Whether `key` opens the database's check value `sealed` (none: nothing sealed yet).
    fn of(key: &Key, sealed: Option<&str>) -> Self {
        match sealed {
            Some(sealed) if Cipher::new(key).open(KEY_CHECK, sealed).is_err() => Self::Wrong,
            _ => Self::Fits,
        }
    }
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    backend: Arc<Backend>,
    cipher: Arc<Cipher>,
}

enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(Box<postgres::Postgres>),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").finish_non_exhaustive()
    }
}

const KEY_CHECK: &str = "key_check";

/// Runs `$body` with `$c` bound to a connection for one statement: SQLite's reading connection
/// (`reading!`) or its writing one (`writing!`), or a PostgreSQL connection (kept for reuse only
/// if `$body` succeeded). `$body` is compiled once per backend, so it may read rows of either.
macro_rules! on_connection {
    ($db:expr, $sqlite:ident, $c:ident => $body:expr) => {
        match $db.backend() {
            $crate::storage::Backend::Sqlite(s) => {
                let mut conn = s.$sqlite().await?;
                let $c = &mut *conn;
                $body
            }
            // Boxed: a PostgreSQL statement's future is large, and every handler awaiting a
            // query would otherwise carry its size, on SQLite too.
            $crate::storage::Backend::Postgres(pg) => {
                pg.bounded(Box::pin(async {
                    let mut conn = pg.take().await?;
                    let out = async {
                        let $c = &mut *conn;
                        Ok::<_, $crate::storage::StorageError>($body)
                    }
                    .await;
                    if out.is_ok() {
                        conn.keep();
                    }
                    out
                }))
                .await?
            }
        }
    };
}

/// `on_connection!` for one statement that only reads.
macro_rules! reading {
    ($db:expr, $c:ident => $body:expr) => {
        $crate::storage::on_connection!($db, reader, $c => $body)
    };
}

/// `on_connection!` for one statement that writes.
macro_rules! writing {
    ($db:expr, $c:ident => $body:expr) => {
        $crate::storage::on_connection!($db, writer, $c => $body)
    };
}

/// Runs `$body` with `$tx` bound to a transaction that writes (SQLite takes its write lock at
/// once; in PostgreSQL a statement that changes a row locks it until the end). A transaction
/// dropped unfinished (an error, a cancelled task) rolls back; `$body` commits.
macro_rules! transaction {
    ($db:expr, $tx:ident => $body:expr) => {
        match $db.backend() {
            $crate::storage::Backend::Sqlite(s) => {
                let mut conn = s.writer().await?;
                let mut $tx =
                    sqlx::Connection::begin_with(&mut *conn, $crate::storage::sqlite::BEGIN_WRITE)
                        .await?;
                $body
            }
            // `$body` commits, or rolls back before it returns early: a connection is kept only
            // after an operation that succeeded, and must not come back mid-transaction.
            $crate::storage::Backend::Postgres(pg) => {
                pg.bounded(Box::pin(async {
                    let mut conn = pg.take().await?;
                    let out = async {
                        let mut $tx = sqlx::Connection::begin(&mut *conn).await?;
                        $body
                    }
                    .await;
                    if out.is_ok() {
                        conn.keep();
                    }
                    out
                }))
                .await
            }
        }
    };
}

/// What `Db::inspect` reads on connection `$conn` of either backend, changing nothing: how many
/// migrations it has applied, and the key check's sealed value. `$exists` is the backend's query
/// for whether table `$1` exists (as a boolean); a database the bot never used has neither table.
macro_rules! applied_and_sealed {
    ($conn:expr, $exists:expr) => {
        async {
            let has = |table: &'static str| sqlx::query_scalar::<_, bool>($exists).bind(table);
            let applied: i64 = if has("_sqlx_migrations").fetch_one(&mut *$conn).await? {
                sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
                    .fetch_one(&mut *$conn)
                    .await?
            } else {
                0
            };
            let sealed: Option<String> = if has("meta").fetch_one(&mut *$conn).await? {
                sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
                    .bind($crate::storage::KEY_CHECK)
                    .fetch_optional(&mut *$conn)
                    .await?
            } else {
                None
            };
            Ok::<_, $crate::storage::StorageError>((usize::try_from(applied).unwrap_or(0), sealed))
        }
    };
}

pub(crate) use {applied_and_sealed, on_connection, reading, transaction, writing};

/// Now on the system's clock (see `crate::clock`): unix seconds, what the timestamps stored here
/// and the deadlines compared with them are counted in; unix milliseconds, what leases and the
/// flood limits are.
pub use crate::clock::{unix_now, unix_now_ms};

/// Whether `url` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

impl Db {
    /// Opens the database at `url`: `postgres://…` (PostgreSQL, which needs `KeySource::Given`),
    /// else a `sqlite:` URL or a plain file path (created if missing). Applies pending
    /// migrations and checks that `keys` gives the key its tokens were sealed with.
    pub async fn open(url: &str, keys: KeySource) -> Result<Self> {
        let (backend, key) = if is_postgres(url) {
            let KeySource::Given(key) = keys else {
                return Err(StorageError::KeyRequired);
            };
            (
                Backend::Postgres(Box::new(postgres::Postgres::open(url).await?)),
                key,
            )
        } else {
            let (db, key) = sqlite::Sqlite::open(url, keys).await?;
            (Backend::Sqlite(db), key)
        };
        let db = Self {
            backend: Arc::new(backend),
            cipher: Arc::new(Cipher::new(&key)),
        };
        db.check_key().await?;
        db.seal_plain_tokens().await?;
        Ok(db)
    }

    /// What `check` reports of the database at `url` with `keys`, creating and changing
    /// nothing (see `Inspection`).
    pub async fn inspect(url: &str, keys: KeySource) -> Result<Inspection> {
        if is_postgres(url) {
            let KeySource::Given(key) = keys else {
                return Err(StorageError::KeyRequired);
            };
            postgres::Postgres::inspect(url, &key).await
        } else {
            sqlite::Sqlite::inspect(url, keys).await
        }
    }

    fn backend(&self) -> &Backend {
        &self.backend
    }

    /// The SQLite backend, for the tests of what only it has.
    #[cfg(test)]
    fn sqlite(&self) -> &sqlite::Sqlite {
        match self.backend() {
            Backend::Sqlite(s) => s,
            Backend::Postgres(_) => panic!("not a SQLite database"),
        }
    }

    /// Which backend runs, for the log.
    pub fn backend_name(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite(_) => "SQLite",
            Backend::Postgres(_) => "PostgreSQL",
        }
    }

    /// Checks the key against the value sealed with it when the database was created (sealing
    /// one on a new database). Two processes creating it at once both succeed only with the
    /// same key: the second insert changes nothing and its check reads the first one's value.
    async fn check_key(&self) -> Result<()> {
        let sealed = self
            .cipher
            .seal(KEY_CHECK, &SecretString::from("telemost-bot"));
        writing!(self, c => sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING"
        )
        .bind(KEY_CHECK)
        .bind(sealed)
        .execute(c)
        .await?
        .rows_affected());
        let check: String = reading!(self, c => sqlx::query_scalar(
            "SELECT value FROM meta WHERE key = $1"
        )
        .bind(KEY_CHECK)
        .fetch_one(c)
        .await?);
        self.cipher
            .open(KEY_CHECK, &check)
            .map(drop)
            .map_err(|_| StorageError::WrongKey)
    }

    /// Seals tokens an older version stored in plain text.
    async fn seal_plain_tokens(&self) -> Result<()> {
        let rows: Vec<(i64, String)> = reading!(self, c => sqlx::query(
            "SELECT chat_id, token FROM chat_tokens WHERE token NOT LIKE 'v1.%'"
        )
        .fetch_all(c)
        .await?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect());
        for (chat_id, plain) in rows {
            let plain = SecretString::from(plain);
            let sealed = self.cipher.seal(&access_context(chat_id), &plain);
            writing!(self, c => sqlx::query("UPDATE chat_tokens SET token = $1 WHERE chat_id = $2")
                .bind(&sealed)
                .bind(chat_id)
                .execute(c)
                .await?
                .rows_affected());
        }
        Ok(())
    }

    /// Runs `work` while holding lock `key` for every process on this database (PostgreSQL's
    /// advisory lock; SQLite's database has one process, whose own locks suffice). A process
    /// that dies holding it lets it go with its connection.
    pub async fn exclusively<T>(
        &self,
        key: i64,
        work: impl std::future::Future<Output = T>,
    ) -> Result<T> {
        let out = self.holding(key, true, work).await?;
        Ok(out.expect("a lock waited for is always taken"))
    }

    /// Runs `work` if no process on this database holds lock `key`, holding it meanwhile;
    /// `None` when another holds it (the work is theirs this time). SQLite: always runs.
    pub async fn if_free<T>(
        &self,
        key: i64,
        work: impl std::future::Future<Output = T>,
    ) -> Result<Option<T>> {
        self.holding(key, false, work).await
    }

    /// `exclusively` (`wait`) or `if_free`.
    async fn holding<T>(
        &self,
        key: i64,
        wait: bool,
        work: impl std::future::Future<Output = T>,
    ) -> Result<Option<T>> {
        match self.backend() {
            Backend::Sqlite(_) => Ok(Some(work.await)),
            Backend::Postgres(pg) => {
                let mut conn = pg.take().await?;
                let take = if wait {
                    "SELECT TRUE FROM pg_advisory_lock($1)"
                } else {
                    "SELECT pg_try_advisory_lock($1)"
                };
                let taken: bool = sqlx::query_scalar(take)
                    .bind(key)
                    .fetch_one(&mut *conn)
                    .await?;
                if !taken {
                    conn.keep();
                    return Ok(None);
                }
                let out = work.await;
                // Kept for reuse only once the lock is given back; otherwise closing the
                // connection gives it back.
                if sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(key)
                    .execute(&mut *conn)
                    .await
                    .is_ok()
                {
                    conn.keep();
                }
                Ok(Some(out))
            }
        }
    }

    /// Whether the database answers (the readiness probe).
    pub async fn ping(&self) -> Result<()> {
        reading!(self, c => sqlx::query("SELECT 1").execute(c).await?.rows_affected());
        Ok(())
    }

    /// Waits for the operations in progress and closes the connections. Operations after this
    /// fail with `Closed`.
    pub async fn close(&self) {
        match self.backend() {
            Backend::Sqlite(s) => s.close().await,
            Backend::Postgres(pg) => pg.close().await,
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! What the tests of every file here share: a new database of each backend.

    use secrecy::SecretString;

    use super::crypto::Key;
    use super::{Db, KeySource, Tokens};

    /// A new SQLite database in a directory of its own, removed when the directory is dropped.
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

    /// What keeps a test's database alive; dropping it removes the database.
    pub(crate) enum Guard {
        Dir(#[allow(dead_code)] tempfile::TempDir),
        Postgres(String),
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            let Guard::Postgres(name) = self else { return };
            let (server, name) = (server_url().unwrap_or_default(), name.clone());
            // A runtime of its own: the test's may be gone by now.
            let dropped = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    use sqlx::Connection;
                    let mut conn = sqlx::PgConnection::connect(&server).await.ok()?;
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await
                    .ok()
                })
            })
            .join();
            if !matches!(dropped, Ok(Some(_))) {
                eprintln!("could not drop the test database {}", self.name());
            }
        }
    }

    impl Guard {
        fn name(&self) -> &str {
            match self {
                Guard::Dir(_) => "",
                Guard::Postgres(name) => name,
            }
        }
    }

    /// `TEST_POSTGRES_URL`, the server the PostgreSQL tests make their databases on.
    fn server_url() -> Option<String> {
        std::env::var("TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
    }

    /// A new database on the `TEST_POSTGRES_URL` server, named for this test alone; `None` (and
    /// a line saying the PostgreSQL half was skipped) without that variable.
    pub(crate) async fn postgres() -> Option<(Guard, Db)> {
        use sqlx::Connection;
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let Some(server) = server_url() else {
            eprintln!("skipped on PostgreSQL: TEST_POSTGRES_URL is not set");
            return None;
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "tb_unit_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = sqlx::PgConnection::connect(&server)
            .await
            .expect("TEST_POSTGRES_URL is reachable");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .unwrap();
        let guard = Guard::Postgres(name.clone());
        let db = Db::open(
            &database_url(&server, &name),
            KeySource::Given(Key::generate()),
        )
        .await
        .unwrap();
        Some((guard, db))
    }

    /// `server` (a PostgreSQL URL) with its database replaced by `name`.
    pub(crate) fn database_url(server: &str, name: &str) -> String {
        let (base, query) = server.split_once('?').unwrap_or((server, ""));
        let authority_end = base.find("://").map_or(0, |i| i + 3);
        let base = match base[authority_end..].find('/') {
            Some(slash) => &base[..authority_end + slash],
            None => base,
        };
        if query.is_empty() {
            format!("{base}/{name}")
        } else {
            format!("{base}/{name}?{query}")
        }
    }

    /// A new database of each backend: SQLite, and PostgreSQL when `TEST_POSTGRES_URL` is set.
    pub(crate) async fn dbs() -> Vec<(Guard, Db)> {
        let (dir, sqlite) = db().await;
        let mut all = vec![(Guard::Dir(dir), sqlite)];
        all.extend(postgres().await);
        all
    }

    pub(crate) fn pasted(t: &str) -> Tokens {
        Tokens::pasted(SecretString::from(t))
    }

    /// Runs statement `$q` (a `sqlx::query(…)` with its binds) on whichever backend `$db` is:
    /// for tests that write what the bot never would. Returns the rows affected.
    macro_rules! exec {
        ($db:expr, $q:expr) => {
            async {
                Ok::<u64, $crate::storage::StorageError>($crate::storage::writing!(
                    $db, c => $q.execute(c).await?.rows_affected()
                ))
            }
            .await
            .unwrap()
        };
    }

    /// Every row `$q` (a `sqlx::query_as(…)` or `query_scalar(…)`) reads, on either backend.
    macro_rules! fetch_all {
        ($db:expr, $q:expr) => {
            async {
                Ok::<_, $crate::storage::StorageError>($crate::storage::reading!(
                    $db, c => $q.fetch_all(c).await?
                ))
            }
            .await
            .unwrap()
        };
    }

    pub(crate) use {exec, fetch_all};

    #[test]
    fn a_test_database_replaces_the_servers() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            database_url("postgres://u:p@h/test?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(database_url("postgres://h", "x"), "postgres://h/x");
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{db, pasted};
    use super::*;
    use secrecy::ExposeSecret;

    /// See the module's documentation: a bare parameter as a `LIMIT` makes SQLite compile its
    /// statement again each time it runs.
    #[test]
    fn no_statement_limits_by_a_bare_parameter() {
        let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/storage")).unwrap();
        let mut bare = Vec::new();
        let mut read = 0;
        for file in files.flatten() {
            let text = std::fs::read_to_string(file.path()).unwrap();
            read += 1;
            for (n, line) in text.lines().enumerate() {
                let words: Vec<&str> = line.split_whitespace().collect();
                for pair in words.windows(2) {
                    if pair[0].ends_with("LIMIT") && pair[1].starts_with('$') {
                        bare.push(format!(
                            "{}:{}: {}",
                            file.path().display(),
                            n + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
        assert!(read > 10, "read only {read} files of src/storage");
        assert!(
            bare.is_empty(),
            "write these as LIMIT CAST($n AS BIGINT):\n{}",
            bare.join("\n")
        );
    }

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
        db.save_dialogue(1, 1, "{}", None, None).await.unwrap();
        assert_eq!(
            db.token(1).await.unwrap().unwrap().access.expose_secret(),
            "one"
        );
        assert_eq!(db.load_dialogue(1, 1).await.unwrap().unwrap().0, "{}");
        db.close().await;
        assert!(matches!(db.token(1).await, Err(StorageError::Closed)));
    }

    #[tokio::test]
    async fn the_reading_connection_cannot_write() {
        let (_dir, db) = db().await;
        let refused = sqlx::query("DELETE FROM dialogues")
            .execute(&mut *db.sqlite().reader().await.unwrap())
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

    /// The database and its WAL and shared-memory files hold join links, names and emails: only
    /// the bot's user may read them, a new database and one an older version made 0644 alike.
    #[cfg(unix)]
    #[tokio::test]
    async fn the_database_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        // Each file's name and mode ("missing" if it is not there).
        let modes = |name: &str| -> Vec<(String, String)> {
            ["", "-wal", "-shm"]
                .iter()
                .map(|suffix| {
                    let path = dir.path().join(format!("{name}{suffix}"));
                    let mode = std::fs::metadata(&path).map_or("missing".into(), |m| {
                        format!("{:o}", m.permissions().mode() & 0o777)
                    });
                    (format!("{name}{suffix}"), mode)
                })
                .collect()
        };
        let private = |name: &str| -> Vec<(String, String)> {
            ["", "-wal", "-shm"]
                .iter()
                .map(|suffix| (format!("{name}{suffix}"), "600".into()))
                .collect()
        };

        let url = dir.path().join("new.db");
        let db = Db::open(url.to_str().unwrap(), KeySource::FileBesideDatabase)
            .await
            .unwrap();
        db.set_token(1, &pasted("t"), Some(1)).await.unwrap();
        assert_eq!(modes("new.db"), private("new.db"), "while it is open");
        db.close().await;

        // An older version's database, left open (its WAL beside it) and readable by all.
        let old = dir.path().join("old.db");
        let db = Db::open(old.to_str().unwrap(), KeySource::FileBesideDatabase)
            .await
            .unwrap();
        db.set_token(1, &pasted("t"), Some(1)).await.unwrap();
        for (name, _) in modes("old.db") {
            let path = dir.path().join(name);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let again = Db::open(old.to_str().unwrap(), KeySource::FileBesideDatabase)
            .await
            .unwrap();
        assert_eq!(modes("old.db"), private("old.db"), "tightened at start");
        again.close().await;
        db.close().await;
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
        .execute(&mut *db.sqlite().writer().await.unwrap())
        .await
        .unwrap();
        db.close().await;
        let db = Db::open(url, KeySource::FileBesideDatabase).await.unwrap();
        assert_eq!(
            db.token(9).await.unwrap().unwrap().access.expose_secret(),
            "y0_old_plain"
        );
        let raw: String = sqlx::query_scalar("SELECT token FROM chat_tokens WHERE chat_id = 9")
            .fetch_one(&mut *db.sqlite().writer().await.unwrap())
            .await
            .unwrap();
        assert!(Cipher::is_sealed(&raw));
    }
}
