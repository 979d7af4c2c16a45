//! The database: tokens, dialogue state and the record of meetings. The only module with SQL.
//! It knows nothing of Telegram or Telemost: chats and users are plain ids, a dialogue is an
//! opaque string the bot serialised, a meeting's options are the JSON the bot sent.

pub mod crypto;

use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StorageError {
    #[error("invalid DATABASE_URL: {0}")]
    Url(String),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// A meeting as the bot records it after Telemost created it.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingRecord {
    pub chat_id: i64,
    pub user_id: Option<i64>,
    /// Unix seconds; filled in by `record_meeting` when written.
    pub created_at: i64,
    pub conference_id: String,
    pub join_url: String,
    pub watch_url: Option<String>,
    pub options: String,
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: SqlitePool,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Db {
    /// Opens (creating if missing) the database at `url` and applies pending migrations.
    /// `url` is a `sqlite:` URL or a plain file path.
    pub async fn open(url: &str) -> Result<Self> {
        let options = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url).map_err(|e| StorageError::Url(e.to_string()))?
        } else {
            SqliteConnectOptions::new().filename(url)
        };
        // WAL lets readers proceed during a write; the busy timeout makes a concurrent writer
        // wait instead of failing at once.
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!().run(&pool).await?;
        Ok(Self { pool })
    }

    /// Waits for open connections to finish and closes them (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub async fn set_token(&self, chat_id: i64, token: &SecretString, set_by: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO chat_tokens (chat_id, token, set_by, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (chat_id) DO UPDATE
             SET token = excluded.token, set_by = excluded.set_by, updated_at = excluded.updated_at",
        )
        .bind(chat_id)
        .bind(token.expose_secret())
        .bind(set_by)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn token(&self, chat_id: i64) -> Result<Option<SecretString>> {
        let row = sqlx::query("SELECT token FROM chat_tokens WHERE chat_id = ?")
            .bind(chat_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| SecretString::from(r.get::<String, _>(0))))
    }

    /// Returns whether there was a token to forget.
    pub async fn forget_token(&self, chat_id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM chat_tokens WHERE chat_id = ?")
            .bind(chat_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn load_dialogue(&self, chat_id: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT state FROM dialogues WHERE chat_id = ?")
            .bind(chat_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    pub async fn save_dialogue(&self, chat_id: i64, state: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO dialogues (chat_id, state, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (chat_id) DO UPDATE
             SET state = excluded.state, updated_at = excluded.updated_at",
        )
        .bind(chat_id)
        .bind(state)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn delete_dialogue(&self, chat_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM dialogues WHERE chat_id = ?")
            .bind(chat_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a created meeting; `created_at` is set to now.
    pub async fn record_meeting(&self, m: &MeetingRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO meetings
             (chat_id, user_id, created_at, conference_id, join_url, watch_url, options)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(m.chat_id)
        .bind(m.user_id)
        .bind(now())
        .bind(&m.conference_id)
        .bind(&m.join_url)
        .bind(&m.watch_url)
        .bind(&m.options)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The chat's most recent meetings, newest first.
    pub async fn recent_meetings(&self, chat_id: i64, limit: u32) -> Result<Vec<MeetingRecord>> {
        let rows = sqlx::query(
            "SELECT chat_id, user_id, created_at, conference_id, join_url, watch_url, options
             FROM meetings WHERE chat_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
        )
        .bind(chat_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| MeetingRecord {
                chat_id: r.get(0),
                user_id: r.get(1),
                created_at: r.get(2),
                conference_id: r.get(3),
                join_url: r.get(4),
                watch_url: r.get(5),
                options: r.get(6),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path().join("t.db").to_str().unwrap())
            .await
            .unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn tokens_are_per_chat() {
        let (_dir, db) = db().await;
        db.set_token(1, &SecretString::from("one"), 1)
            .await
            .unwrap();
        db.set_token(2, &SecretString::from("two"), 2)
            .await
            .unwrap();
        db.set_token(1, &SecretString::from("uno"), 1)
            .await
            .unwrap();
        assert_eq!(db.token(1).await.unwrap().unwrap().expose_secret(), "uno");
        assert_eq!(db.token(2).await.unwrap().unwrap().expose_secret(), "two");
        assert!(db.forget_token(1).await.unwrap());
        assert!(!db.forget_token(1).await.unwrap());
        assert!(db.token(1).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn dialogues_and_meetings_round_trip() {
        let (_dir, db) = db().await;
        assert_eq!(db.load_dialogue(5).await.unwrap(), None);
        db.save_dialogue(5, "a").await.unwrap();
        db.save_dialogue(5, "b").await.unwrap();
        assert_eq!(db.load_dialogue(5).await.unwrap().as_deref(), Some("b"));
        db.delete_dialogue(5).await.unwrap();
        assert_eq!(db.load_dialogue(5).await.unwrap(), None);

        let m = MeetingRecord {
            chat_id: 5,
            user_id: Some(7),
            created_at: 0,
            conference_id: "1".into(),
            join_url: "j".into(),
            watch_url: None,
            options: "{}".into(),
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
    }
}
