//! The database: tokens, dialogue state and the record of meetings. The only module with SQL.
//! It knows nothing of Telegram or Telemost: chats and users are plain ids, a dialogue is an
//! opaque string the bot serialised, a meeting's options are the JSON the bot sent.

pub mod crypto;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, Row};
use thiserror::Error;
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

use crypto::{Cipher, CryptoError, Key};

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

/// A chat's defaults for new meetings. Levels are the API's spellings; the bot parses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSettings {
    pub waiting_room: String,
    pub stream_access: String,
    pub auto_summary: bool,
    pub admins_only: bool,
    pub instant_meet: bool,
}

impl Default for ChatSettings {
    fn default() -> Self {
        Self {
            waiting_room: "PUBLIC".into(),
            stream_access: "PUBLIC".into(),
            auto_summary: false,
            admins_only: false,
            instant_meet: false,
        }
    }
}

/// A meeting as the bot records it after Telemost created it.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingRecord {
    pub chat_id: i64,
    pub user_id: Option<i64>,
    /// The creator's name as Telegram showed it.
    pub user_name: Option<String>,
    /// The chat whose token created it.
    pub token_owner: Option<i64>,
    /// Unix seconds; filled in by `record_meeting` when written.
    pub created_at: i64,
    pub conference_id: String,
    pub join_url: String,
    pub watch_url: Option<String>,
    pub options: String,
    /// What the meeting is about, when the creator said.
    pub topic: Option<String>,
}

/// A chat's OAuth tokens.
pub struct Tokens {
    pub access: SecretString,
    /// Present when the token came from a Yandex login.
    pub refresh: Option<SecretString>,
    /// When the access token expires (unix seconds), when known.
    pub expires_at: Option<i64>,
}

impl Tokens {
    /// A token the user pasted: no refresh token, expiry unknown.
    pub fn pasted(access: SecretString) -> Self {
        Self {
            access,
            refresh: None,
            expires_at: None,
        }
    }
}

/// Where the key that seals tokens comes from.
pub enum KeySource {
    /// `TOKEN_ENCRYPTION_KEY`.
    Given(Key),
    /// A key file beside the database file (`<database>.key`), created on first start with
    /// owner-only permissions.
    FileBesideDatabase,
}

/// What became of a /connect code someone presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// Valid and now used up: the group it was made for.
    Group(i64),
    /// Made for another user; left valid for them.
    OtherUser,
    Expired,
    /// Unknown, or used already.
    Invalid,
}

/// What `Db::prune` keeps. Dialogues and /connect codes are kept for a day (`PRUNE_AFTER_SECS`)
/// whatever this says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// Meetings are kept this many days after they were created (`HISTORY_DAYS`).
    pub history_days: u32,
    /// How many remembered cohosts each chat keeps: its most recently used ones.
    pub keep_cohosts: u32,
}

/// What one `Db::prune` removed, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub dialogues: u64,
    pub connect_codes: u64,
    pub cohosts: u64,
    pub meetings: u64,
}

impl Pruned {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A dialogue untouched this long is abandoned, and a /connect code expired or used this long ago
/// is of no use: `prune` removes them. A day, in seconds.
pub const PRUNE_AFTER_SECS: i64 = 24 * 3600;

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

fn access_context(chat_id: i64) -> String {
    format!("chat/{chat_id}/access")
}

fn refresh_context(chat_id: i64) -> String {
    format!("chat/{chat_id}/refresh")
}

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

/// The columns `meeting_from` reads, in its order (a macro, so queries stay `&'static str`).
macro_rules! meeting_columns {
    () => {
        "chat_id, user_id, created_at, conference_id, join_url, watch_url, options, user_name, \
         token_owner, topic"
    };
}

fn meeting_from(r: &sqlx::sqlite::SqliteRow) -> MeetingRecord {
    MeetingRecord {
        chat_id: r.get(0),
        user_id: r.get(1),
        created_at: r.get(2),
        conference_id: r.get(3),
        join_url: r.get(4),
        watch_url: r.get(5),
        options: r.get(6),
        user_name: r.get(7),
        token_owner: r.get(8),
        topic: r.get(9),
    }
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

        let check: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
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
                sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?)")
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
            sqlx::query("UPDATE chat_tokens SET token = ? WHERE chat_id = ?")
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

    /// Stores (replacing) the chat's tokens, sealed. `set_by` is who set them; `None` (a
    /// refresh) keeps the recorded one.
    pub async fn set_token(
        &self,
        chat_id: i64,
        tokens: &Tokens,
        set_by: Option<i64>,
    ) -> Result<()> {
        let access = self.cipher.seal(&access_context(chat_id), &tokens.access);
        let refresh = tokens
            .refresh
            .as_ref()
            .map(|r| self.cipher.seal(&refresh_context(chat_id), r));
        sqlx::query(
            "INSERT INTO chat_tokens (chat_id, token, refresh_token, expires_at, set_by, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (chat_id) DO UPDATE
             SET token = excluded.token, refresh_token = excluded.refresh_token,
                 expires_at = excluded.expires_at,
                 set_by = COALESCE(excluded.set_by, chat_tokens.set_by),
                 updated_at = excluded.updated_at",
        )
        .bind(chat_id)
        .bind(access)
        .bind(refresh)
        .bind(tokens.expires_at)
        .bind(set_by)
        .bind(unix_now())
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(())
    }

    /// Replaces the chat's tokens with `new` only if its access token is still `old` (a refresh
    /// must not bring back a token forgotten or replaced meanwhile). Returns whether it did.
    pub async fn replace_token(
        &self,
        chat_id: i64,
        old: &SecretString,
        new: &Tokens,
    ) -> Result<bool> {
        // BEGIN IMMEDIATE: the check and the write see the same row, no writer in between. A
        // transaction dropped unfinished (an error, a cancelled task) rolls back.
        let mut conn = self.writer().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let current: Option<String> =
            sqlx::query_scalar("SELECT token FROM chat_tokens WHERE chat_id = ?")
                .bind(chat_id)
                .fetch_optional(&mut *tx)
                .await?;
        let same = match current {
            Some(sealed) => {
                self.cipher
                    .open(&access_context(chat_id), &sealed)?
                    .expose_secret()
                    == old.expose_secret()
            }
            None => false,
        };
        if !same {
            return Ok(false);
        }
        let access = self.cipher.seal(&access_context(chat_id), &new.access);
        let refresh = new
            .refresh
            .as_ref()
            .map(|r| self.cipher.seal(&refresh_context(chat_id), r));
        sqlx::query(
            "UPDATE chat_tokens SET token = ?, refresh_token = ?, expires_at = ?, updated_at = ?
             WHERE chat_id = ?",
        )
        .bind(access)
        .bind(refresh)
        .bind(new.expires_at)
        .bind(unix_now())
        .bind(chat_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn token(&self, chat_id: i64) -> Result<Option<Tokens>> {
        let row = sqlx::query(
            "SELECT token, refresh_token, expires_at FROM chat_tokens WHERE chat_id = ?",
        )
        .bind(chat_id)
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let access = self
            .cipher
            .open(&access_context(chat_id), row.get::<&str, _>(0))?;
        let refresh = match row.get::<Option<&str>, _>(1) {
            Some(sealed) => Some(self.cipher.open(&refresh_context(chat_id), sealed)?),
            None => None,
        };
        Ok(Some(Tokens {
            access,
            refresh,
            expires_at: row.get(2),
        }))
    }

    /// Saves a single-use /connect code for `group_id`, usable by `admin_id` until `expires_at`.
    /// `prune` removes it a day after it expired or was used.
    pub async fn save_connect_code(
        &self,
        code: &str,
        group_id: i64,
        admin_id: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO connect_codes (code, group_id, admin_id, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(code)
        .bind(group_id)
        .bind(admin_id)
        .bind(expires_at)
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(())
    }

    /// Uses up a /connect code presented by `user_id` at `at` (unix seconds).
    pub async fn redeem_connect_code(&self, code: &str, user_id: i64, at: i64) -> Result<Redeemed> {
        let row = sqlx::query(
            "SELECT group_id, admin_id, expires_at, used_at FROM connect_codes WHERE code = ?",
        )
        .bind(code)
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        let Some(row) = row else {
            return Ok(Redeemed::Invalid);
        };
        let (group_id, admin_id, expires_at, used_at): (i64, i64, i64, Option<i64>) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        if used_at.is_some() {
            return Ok(Redeemed::Invalid);
        }
        if admin_id != user_id {
            return Ok(Redeemed::OtherUser);
        }
        if at > expires_at {
            return Ok(Redeemed::Expired);
        }
        // The guard on used_at makes two simultaneous redemptions produce one winner.
        let done =
            sqlx::query("UPDATE connect_codes SET used_at = ? WHERE code = ? AND used_at IS NULL")
                .bind(at)
                .bind(code)
                .execute(&mut *self.writer().await?)
                .await?;
        Ok(if done.rows_affected() == 1 {
            Redeemed::Group(group_id)
        } else {
            Redeemed::Invalid
        })
    }

    /// Returns whether there was a token to forget.
    pub async fn forget_token(&self, chat_id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM chat_tokens WHERE chat_id = ?")
            .bind(chat_id)
            .execute(&mut *self.writer().await?)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// `user`'s dialogue in `chat`, as the bot serialised it.
    pub async fn load_dialogue(&self, chat_id: i64, user_id: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT state FROM dialogues WHERE chat_id = ? AND user_id = ?")
            .bind(chat_id)
            .bind(user_id)
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Saves `user`'s dialogue in `chat`; `message` is the message whose buttons it owns.
    pub async fn save_dialogue(
        &self,
        chat_id: i64,
        user_id: i64,
        state: &str,
        message: Option<i32>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO dialogues (chat_id, user_id, state, message_id, updated_at)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (chat_id, user_id) DO UPDATE
             SET state = excluded.state, message_id = excluded.message_id,
                 updated_at = excluded.updated_at",
        )
        .bind(chat_id)
        .bind(user_id)
        .bind(state)
        .bind(message)
        .bind(unix_now())
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(())
    }

    pub async fn delete_dialogue(&self, chat_id: i64, user_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM dialogues WHERE chat_id = ? AND user_id = ?")
            .bind(chat_id)
            .bind(user_id)
            .execute(&mut *self.writer().await?)
            .await?;
        Ok(())
    }

    /// The member of `chat` whose dialogue owns the buttons of `message`, if any.
    pub async fn dialogue_owner_of(&self, chat_id: i64, message: i32) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT user_id FROM dialogues WHERE chat_id = ? AND message_id = ? LIMIT 1",
        )
        .bind(chat_id)
        .bind(message)
        .fetch_optional(&mut *self.reader().await?)
        .await?)
    }

    /// Records a created meeting; `created_at` is set to now.
    pub async fn record_meeting(&self, m: &MeetingRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO meetings
             (chat_id, user_id, user_name, created_at, conference_id, join_url, watch_url, options,
              token_owner, topic)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(m.chat_id)
        .bind(m.user_id)
        .bind(&m.user_name)
        .bind(unix_now())
        .bind(&m.conference_id)
        .bind(&m.join_url)
        .bind(&m.watch_url)
        .bind(&m.options)
        .bind(m.token_owner)
        .bind(&m.topic)
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(())
    }

    /// The chat's most recent meetings, newest first.
    pub async fn recent_meetings(&self, chat_id: i64, limit: u32) -> Result<Vec<MeetingRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            meeting_columns!(),
            " FROM meetings WHERE chat_id = ? ORDER BY created_at DESC, id DESC LIMIT ?"
        ))
        .bind(chat_id)
        .bind(limit)
        .fetch_all(&mut *self.reader().await?)
        .await?;
        Ok(rows.iter().map(meeting_from).collect())
    }

    /// Meeting `conference_id` as recorded when it was created in `chat`; `None` when it was not
    /// created there (another chat's meeting, or one never recorded).
    pub async fn meeting_in(
        &self,
        chat_id: i64,
        conference_id: &str,
    ) -> Result<Option<MeetingRecord>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            meeting_columns!(),
            " FROM meetings WHERE chat_id = ? AND conference_id = ? ORDER BY id DESC LIMIT 1"
        ))
        .bind(chat_id)
        .bind(conference_id)
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        Ok(row.as_ref().map(meeting_from))
    }

    /// The chat's defaults (the built-in ones until /settings changed them).
    pub async fn settings(&self, chat_id: i64) -> Result<ChatSettings> {
        let row = sqlx::query(
            "SELECT waiting_room, stream_access, auto_summary, admins_only, instant_meet
             FROM chat_settings WHERE chat_id = ?",
        )
        .bind(chat_id)
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        Ok(row.map_or_else(ChatSettings::default, |r| ChatSettings {
            waiting_room: r.get(0),
            stream_access: r.get(1),
            auto_summary: r.get(2),
            admins_only: r.get(3),
            instant_meet: r.get(4),
        }))
    }

    pub async fn save_settings(&self, chat_id: i64, s: &ChatSettings) -> Result<()> {
        sqlx::query(
            "INSERT INTO chat_settings
             (chat_id, waiting_room, stream_access, auto_summary, admins_only, instant_meet, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (chat_id) DO UPDATE
             SET waiting_room = excluded.waiting_room, stream_access = excluded.stream_access,
                 auto_summary = excluded.auto_summary, admins_only = excluded.admins_only,
                 instant_meet = excluded.instant_meet, updated_at = excluded.updated_at",
        )
        .bind(chat_id)
        .bind(&s.waiting_room)
        .bind(&s.stream_access)
        .bind(s.auto_summary)
        .bind(s.admins_only)
        .bind(s.instant_meet)
        .bind(unix_now())
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(())
    }

    /// Removes what is no longer needed as of `now` (unix seconds): dialogues untouched for over
    /// a day (finished ones are deleted when they end, so these were abandoned), /connect codes
    /// expired or used over a day ago, each chat's remembered cohosts beyond its
    /// `keep_cohosts` most recently used, and meetings created over `history_days` days ago.
    /// One transaction: all or nothing.
    pub async fn prune(&self, now: i64, policy: &Retention) -> Result<Pruned> {
        let stale = now - PRUNE_AFTER_SECS;
        let history_from = now - i64::from(policy.history_days) * 24 * 3600;
        let mut conn = self.writer().await?;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let dialogues = sqlx::query("DELETE FROM dialogues WHERE updated_at < ?")
            .bind(stale)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let connect_codes =
            sqlx::query("DELETE FROM connect_codes WHERE expires_at < ?1 OR used_at < ?1")
                .bind(stale)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        // Ranked in the order `recent_cohosts` shows them, so what goes is never what is shown.
        let cohosts = sqlx::query(
            "DELETE FROM chat_cohosts WHERE id IN (
                 SELECT id FROM (
                     SELECT id, ROW_NUMBER() OVER (
                         PARTITION BY chat_id ORDER BY last_used DESC, id DESC
                     ) AS rank
                     FROM chat_cohosts
                 ) WHERE rank > ?
             )",
        )
        .bind(policy.keep_cohosts)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let meetings = sqlx::query("DELETE FROM meetings WHERE created_at < ?")
            .bind(history_from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Pruned {
            dialogues,
            connect_codes,
            cohosts,
            meetings,
        })
    }

    /// Remembers that `chat` used these cohosts (now).
    pub async fn remember_cohosts(&self, chat_id: i64, emails: &[&str]) -> Result<()> {
        let at = unix_now();
        for email in emails {
            sqlx::query(
                "INSERT INTO chat_cohosts (chat_id, email, last_used) VALUES (?, ?, ?)
                 ON CONFLICT (chat_id, email) DO UPDATE SET last_used = excluded.last_used",
            )
            .bind(chat_id)
            .bind(email)
            .bind(at)
            .execute(&mut *self.writer().await?)
            .await?;
        }
        Ok(())
    }

    /// The chat's most recently used cohosts: (id, email), newest first.
    pub async fn recent_cohosts(&self, chat_id: i64, limit: u32) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT id, email FROM chat_cohosts WHERE chat_id = ?
             ORDER BY last_used DESC, id DESC LIMIT ?",
        )
        .bind(chat_id)
        .bind(limit)
        .fetch_all(&mut *self.reader().await?)
        .await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// A remembered cohost of `chat` by id (ids of other chats give `None`).
    pub async fn remembered_cohost(&self, chat_id: i64, id: i64) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT email FROM chat_cohosts WHERE chat_id = ? AND id = ?")
                .bind(chat_id)
                .bind(id)
                .fetch_optional(&mut *self.reader().await?)
                .await?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(
            dir.path().join("t.db").to_str().unwrap(),
            KeySource::FileBesideDatabase,
        )
        .await
        .unwrap();
        (dir, db)
    }

    fn pasted(t: &str) -> Tokens {
        Tokens::pasted(SecretString::from(t))
    }

    #[tokio::test]
    async fn tokens_are_per_chat() {
        let (_dir, db) = db().await;
        db.set_token(1, &pasted("one"), Some(1)).await.unwrap();
        db.set_token(2, &pasted("two"), Some(2)).await.unwrap();
        db.set_token(1, &pasted("uno"), Some(1)).await.unwrap();
        let one = db.token(1).await.unwrap().unwrap();
        assert_eq!(one.access.expose_secret(), "uno");
        assert!(one.refresh.is_none());
        assert_eq!(
            db.token(2).await.unwrap().unwrap().access.expose_secret(),
            "two"
        );
        assert!(db.forget_token(1).await.unwrap());
        assert!(!db.forget_token(1).await.unwrap());
        assert!(db.token(1).await.unwrap().is_none());
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
    async fn a_refresh_does_not_overwrite_a_newer_token() {
        let (_dir, db) = db().await;
        db.set_token(1, &pasted("old"), Some(1)).await.unwrap();
        assert!(
            db.replace_token(1, &SecretString::from("old"), &pasted("fresh"))
                .await
                .unwrap()
        );
        assert_eq!(
            db.token(1).await.unwrap().unwrap().access.expose_secret(),
            "fresh"
        );
        // The user set another token meanwhile: the refresh of the old one is dropped.
        db.set_token(1, &pasted("theirs"), Some(1)).await.unwrap();
        assert!(
            !db.replace_token(1, &SecretString::from("fresh"), &pasted("x"))
                .await
                .unwrap()
        );
        assert_eq!(
            db.token(1).await.unwrap().unwrap().access.expose_secret(),
            "theirs"
        );
        // Or forgot it: nothing comes back.
        db.forget_token(1).await.unwrap();
        assert!(
            !db.replace_token(1, &SecretString::from("theirs"), &pasted("x"))
                .await
                .unwrap()
        );
        assert!(db.token(1).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn refresh_tokens_and_expiry_round_trip() {
        let (_dir, db) = db().await;
        let t = Tokens {
            access: SecretString::from("acc"),
            refresh: Some(SecretString::from("ref")),
            expires_at: Some(1_900_000_000),
        };
        db.set_token(-100, &t, Some(5)).await.unwrap();
        let got = db.token(-100).await.unwrap().unwrap();
        assert_eq!(got.access.expose_secret(), "acc");
        assert_eq!(got.refresh.unwrap().expose_secret(), "ref");
        assert_eq!(got.expires_at, Some(1_900_000_000));
    }

    #[tokio::test]
    async fn tokens_are_sealed_and_bound_to_their_chat() {
        let (dir, db) = db().await;
        db.set_token(1, &pasted("y0_PLAINTEXT_CANARY"), Some(1))
            .await
            .unwrap();
        // A sealed value copied into another chat's row does not open there.
        sqlx::query("INSERT INTO chat_tokens (chat_id, token, updated_at) SELECT 2, token, 0 FROM chat_tokens WHERE chat_id = 1")
            .execute(&mut *db.writer().await.unwrap())
            .await
            .unwrap();
        assert!(matches!(db.token(2).await, Err(StorageError::Crypto(_))));
        db.close().await;
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(
                !bytes.windows(19).any(|w| w == b"y0_PLAINTEXT_CANARY"),
                "plain token on disk"
            );
        }
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

    #[tokio::test]
    async fn connect_codes_are_single_use_personal_and_expire() {
        let (_dir, db) = db().await;
        db.save_connect_code("abc", -100, 7, 1_000).await.unwrap();
        assert_eq!(
            db.redeem_connect_code("nope", 7, 500).await.unwrap(),
            Redeemed::Invalid
        );
        assert_eq!(
            db.redeem_connect_code("abc", 8, 500).await.unwrap(),
            Redeemed::OtherUser
        );
        assert_eq!(
            db.redeem_connect_code("abc", 7, 1_001).await.unwrap(),
            Redeemed::Expired
        );
        assert_eq!(
            db.redeem_connect_code("abc", 7, 999).await.unwrap(),
            Redeemed::Group(-100)
        );
        assert_eq!(
            db.redeem_connect_code("abc", 7, 999).await.unwrap(),
            Redeemed::Invalid
        );
    }

    #[tokio::test]
    async fn dialogues_and_meetings_round_trip() {
        let (_dir, db) = db().await;
        assert_eq!(db.load_dialogue(-5, 1).await.unwrap(), None);
        db.save_dialogue(-5, 1, "a", Some(10)).await.unwrap();
        db.save_dialogue(-5, 1, "b", Some(11)).await.unwrap();
        db.save_dialogue(-5, 2, "c", Some(12)).await.unwrap();
        assert_eq!(db.load_dialogue(-5, 1).await.unwrap().as_deref(), Some("b"));
        assert_eq!(db.load_dialogue(-5, 2).await.unwrap().as_deref(), Some("c"));
        assert_eq!(db.dialogue_owner_of(-5, 12).await.unwrap(), Some(2));
        assert_eq!(
            db.dialogue_owner_of(-5, 10).await.unwrap(),
            None,
            "replaced"
        );
        db.delete_dialogue(-5, 1).await.unwrap();
        assert_eq!(db.load_dialogue(-5, 1).await.unwrap(), None);
        assert_eq!(
            db.load_dialogue(-5, 2).await.unwrap().as_deref(),
            Some("c"),
            "another member's dialogue stays"
        );

        let m = MeetingRecord {
            chat_id: 5,
            user_id: Some(7),
            user_name: Some("Anna".into()),
            token_owner: Some(5),
            created_at: 0,
            conference_id: "1".into(),
            join_url: "j".into(),
            watch_url: None,
            options: "{}".into(),
            topic: Some("Standup".into()),
        };
        db.record_meeting(&m).await.unwrap();
        db.record_meeting(&MeetingRecord {
            conference_id: "2".into(),
            ..m.clone()
        })
        .await
        .unwrap();
        let got = db.recent_meetings(5, 10).await.unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].conference_id, "2");
        assert!(db.recent_meetings(6, 10).await.unwrap().is_empty());
        assert_eq!(got[0].user_name.as_deref(), Some("Anna"));
        assert_eq!(got[0].token_owner, Some(5));
        let two = db.meeting_in(5, "2").await.unwrap().unwrap();
        assert_eq!((two.user_id, two.token_owner), (Some(7), Some(5)));
        assert_eq!(two.topic.as_deref(), Some("Standup"));
        assert_eq!(db.meeting_in(6, "2").await.unwrap(), None, "another chat's");
    }

    #[tokio::test]
    async fn settings_and_remembered_cohosts() {
        let (_dir, db) = db().await;
        assert_eq!(db.settings(1).await.unwrap(), ChatSettings::default());
        let s = ChatSettings {
            waiting_room: "ADMINS".into(),
            auto_summary: true,
            ..ChatSettings::default()
        };
        db.save_settings(1, &s).await.unwrap();
        assert_eq!(db.settings(1).await.unwrap(), s);
        assert_eq!(db.settings(2).await.unwrap(), ChatSettings::default());

        db.remember_cohosts(1, &["a@x.ru", "b@x.ru"]).await.unwrap();
        let got = db.recent_cohosts(1, 10).await.unwrap();
        assert_eq!(got.len(), 2);
        let (id, email) = got[0].clone();
        assert_eq!(db.remembered_cohost(1, id).await.unwrap(), Some(email));
        assert_eq!(
            db.remembered_cohost(2, id).await.unwrap(),
            None,
            "another chat's id"
        );
        assert!(db.recent_cohosts(2, 10).await.unwrap().is_empty());
    }

    const HOUR: i64 = 3600;
    const DAY: i64 = 24 * HOUR;
    /// A fixed "now" for pruning, well after the epoch.
    const NOW: i64 = 1_800_000_000;

    fn retention(history_days: u32, keep_cohosts: u32) -> Retention {
        Retention {
            history_days,
            keep_cohosts,
        }
    }

    /// Runs `sql` with `binds` (integers) on the writing connection.
    async fn exec(db: &Db, sql: &'static str, binds: &[i64]) {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.execute(&mut *db.writer().await.unwrap()).await.unwrap();
    }

    async fn dialogue_keys(db: &Db) -> Vec<(i64, i64)> {
        sqlx::query_as("SELECT chat_id, user_id FROM dialogues ORDER BY chat_id, user_id")
            .fetch_all(&mut *db.reader().await.unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn prune_removes_dialogues_untouched_for_over_a_day() {
        let (_dir, db) = db().await;
        assert_eq!(
            db.prune(NOW, &retention(365, 6)).await.unwrap(),
            Pruned::default(),
            "an empty database"
        );
        for (chat, user, age) in [
            (1, 1, DAY + 1),
            (1, 2, 23 * HOUR),
            (1, 3, DAY),
            (2, 1, 0),
            (2, 2, 3 * DAY),
        ] {
            exec(
                &db,
                "INSERT INTO dialogues (chat_id, user_id, state, message_id, updated_at)
                 VALUES (?, ?, '{}', 7, ?)",
                &[chat, user, NOW - age],
            )
            .await;
        }
        let pruned = db.prune(NOW, &retention(365, 6)).await.unwrap();
        assert_eq!(
            pruned,
            Pruned {
                dialogues: 2,
                ..Pruned::default()
            }
        );
        assert_eq!(dialogue_keys(&db).await, [(1, 2), (1, 3), (2, 1)]);
        assert_eq!(db.load_dialogue(1, 2).await.unwrap().as_deref(), Some("{}"));

        // An hour later the one a day old then goes; the one 23 hours old then is a day old
        // now, not over, and stays.
        let pruned = db.prune(NOW + HOUR, &retention(365, 6)).await.unwrap();
        assert_eq!(pruned.dialogues, 1);
        assert_eq!(dialogue_keys(&db).await, [(1, 2), (2, 1)]);
        assert!(
            db.prune(NOW + HOUR, &retention(365, 6))
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn prune_removes_connect_codes_a_day_after_they_expired_or_were_used() {
        let (_dir, db) = db().await;
        for (code, expires_at) in [
            ("expired-long-ago", NOW - DAY - 1),
            ("expired-an-hour-ago", NOW - HOUR),
            ("live", NOW + 600),
            ("used-long-ago", NOW - 23 * HOUR),
            ("used-an-hour-ago", NOW - HOUR + 600),
        ] {
            db.save_connect_code(code, -100, 7, expires_at)
                .await
                .unwrap();
        }
        for (code, at) in [
            ("used-long-ago", NOW - DAY - 1),
            ("used-an-hour-ago", NOW - HOUR),
        ] {
            assert_eq!(
                db.redeem_connect_code(code, 7, at).await.unwrap(),
                Redeemed::Group(-100)
            );
        }
        let pruned = db.prune(NOW, &retention(365, 6)).await.unwrap();
        assert_eq!(
            pruned,
            Pruned {
                connect_codes: 2,
                ..Pruned::default()
            }
        );
        let left: Vec<String> = sqlx::query_scalar("SELECT code FROM connect_codes ORDER BY code")
            .fetch_all(&mut *db.reader().await.unwrap())
            .await
            .unwrap();
        assert_eq!(left, ["expired-an-hour-ago", "live", "used-an-hour-ago"]);
        assert_eq!(
            db.redeem_connect_code("live", 7, NOW).await.unwrap(),
            Redeemed::Group(-100),
            "a live code still works"
        );
        assert_eq!(
            db.redeem_connect_code("expired-an-hour-ago", 7, NOW)
                .await
                .unwrap(),
            Redeemed::Expired
        );
    }

    #[tokio::test]
    async fn prune_keeps_each_chats_most_recently_used_cohosts() {
        let (_dir, db) = db().await;
        // Chat 1: five used long ago, each at its own time, then four used together now (a
        // tie, which `recent_cohosts` breaks by id).
        for (i, at) in [(1, 100), (2, 500), (3, 300), (4, 400), (5, 200)] {
            exec(
                &db,
                "INSERT INTO chat_cohosts (chat_id, email, last_used) VALUES (1, 'old' || ? || '@x.ru', ?)",
                &[i, at],
            )
            .await;
        }
        db.remember_cohosts(1, &["a@x.ru", "b@x.ru", "c@x.ru", "d@x.ru"])
            .await
            .unwrap();
        // Chat 2: three, each older than all of chat 1's.
        for (i, at) in [(1, 10), (2, 30), (3, 20)] {
            exec(
                &db,
                "INSERT INTO chat_cohosts (chat_id, email, last_used) VALUES (2, 'two' || ? || '@x.ru', ?)",
                &[i, at],
            )
            .await;
        }
        let shown_before = db.recent_cohosts(1, 6).await.unwrap();
        let chat2_before = db.recent_cohosts(2, 100).await.unwrap();

        let pruned = db.prune(NOW, &retention(365, 6)).await.unwrap();
        assert_eq!(
            pruned,
            Pruned {
                cohosts: 3,
                ..Pruned::default()
            }
        );
        let kept = db.recent_cohosts(1, 100).await.unwrap();
        assert_eq!(
            kept, shown_before,
            "exactly what the cohosts step shows stays"
        );
        let emails: Vec<&str> = kept.iter().map(|(_, e)| e.as_str()).collect();
        assert_eq!(
            emails,
            [
                "d@x.ru",
                "c@x.ru",
                "b@x.ru",
                "a@x.ru",
                "old2@x.ru",
                "old4@x.ru"
            ]
        );
        assert_eq!(
            db.recent_cohosts(2, 100).await.unwrap(),
            chat2_before,
            "another chat's are untouched"
        );
        assert_eq!(chat2_before.len(), 3);
        assert!(db.prune(NOW, &retention(365, 6)).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn prune_forgets_meetings_older_than_history_days() {
        let (_dir, db) = db().await;
        let meeting = |chat_id: i64, conference: &str| MeetingRecord {
            chat_id,
            user_id: Some(7),
            user_name: None,
            token_owner: Some(chat_id),
            created_at: 0,
            conference_id: conference.into(),
            join_url: format!("https://j/{conference}"),
            watch_url: None,
            options: "{}".into(),
            topic: None,
        };
        for (chat, conference, age) in [
            (5, "31-days", 31 * DAY),
            (5, "30-days-and-a-second", 30 * DAY + 1),
            (5, "30-days", 30 * DAY),
            (5, "today", 0),
            (6, "400-days", 400 * DAY),
            (6, "yesterday", DAY),
        ] {
            db.record_meeting(&meeting(chat, conference)).await.unwrap();
            let mut conn = db.writer().await.unwrap();
            sqlx::query("UPDATE meetings SET created_at = ? WHERE conference_id = ?")
                .bind(NOW - age)
                .bind(conference)
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        let pruned = db.prune(NOW, &retention(30, 6)).await.unwrap();
        assert_eq!(
            pruned,
            Pruned {
                meetings: 3,
                ..Pruned::default()
            }
        );
        let ids = |ms: Vec<MeetingRecord>| -> Vec<String> {
            ms.into_iter().map(|m| m.conference_id).collect()
        };
        assert_eq!(
            ids(db.recent_meetings(5, 10).await.unwrap()),
            ["today", "30-days"]
        );
        assert_eq!(ids(db.recent_meetings(6, 10).await.unwrap()), ["yesterday"]);
        assert_eq!(db.meeting_in(5, "31-days").await.unwrap(), None);

        // A longer history keeps what is left; a shorter one forgets more.
        assert!(db.prune(NOW, &retention(365, 6)).await.unwrap().is_empty());
        assert_eq!(db.prune(NOW, &retention(1, 6)).await.unwrap().meetings, 1);
        assert_eq!(ids(db.recent_meetings(5, 10).await.unwrap()), ["today"]);
        assert_eq!(ids(db.recent_meetings(6, 10).await.unwrap()), ["yesterday"]);
    }
}
