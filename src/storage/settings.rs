//! Each chat's choices (tables `chat_settings` and `chat_cohosts`): its defaults for new meetings
//! (and for scheduled ones: its time zone, when to remind), and the cohosts it used, offered again
//! next time.

use super::{Db, Result, reading, unix_now, writing};

/// A chat's defaults for new meetings. Levels are the API's spellings; the bot parses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSettings {
    pub waiting_room: String,
    pub stream_access: String,
    pub auto_summary: bool,
    pub admins_only: bool,
    pub instant_meet: bool,
    /// The IANA time zone the chat's times are read and shown in; `None`: the bot's default.
    pub timezone: Option<String>,
    /// How many minutes before a scheduled meeting its reminder is posted; 0: only at its start.
    pub remind_before: u32,
}

impl Default for ChatSettings {
    fn default() -> Self {
        Self {
            waiting_room: "PUBLIC".into(),
            stream_access: "PUBLIC".into(),
            auto_summary: false,
            admins_only: false,
            instant_meet: false,
            timezone: None,
            remind_before: 0,
        }
    }
}

impl Db {
    /// The chat's defaults (the built-in ones until /settings changed them).
    pub async fn settings(&self, chat_id: i64) -> Result<ChatSettings> {
        type Row = (String, String, bool, bool, bool, Option<String>, i64);
        let row: Option<Row> = reading!(self, c => sqlx::query_as(
            "SELECT waiting_room, stream_access, auto_summary, admins_only, instant_meet,
                    timezone, remind_before
             FROM chat_settings WHERE chat_id = $1",
        )
        .bind(chat_id)
        .fetch_optional(c)
        .await?);
        Ok(row.map_or_else(ChatSettings::default, |r| ChatSettings {
            waiting_room: r.0,
            stream_access: r.1,
            auto_summary: r.2,
            admins_only: r.3,
            instant_meet: r.4,
            timezone: r.5,
            remind_before: u32::try_from(r.6.max(0)).unwrap_or(u32::MAX),
        }))
    }

    pub async fn save_settings(&self, chat_id: i64, s: &ChatSettings) -> Result<()> {
        writing!(self, c => sqlx::query(
            "INSERT INTO chat_settings
             (chat_id, waiting_room, stream_access, auto_summary, admins_only, instant_meet,
              timezone, remind_before, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (chat_id) DO UPDATE
             SET waiting_room = excluded.waiting_room, stream_access = excluded.stream_access,
                 auto_summary = excluded.auto_summary, admins_only = excluded.admins_only,
                 instant_meet = excluded.instant_meet, timezone = excluded.timezone,
                 remind_before = excluded.remind_before, updated_at = excluded.updated_at",
        )
        .bind(chat_id)
        .bind(&s.waiting_room)
        .bind(&s.stream_access)
        .bind(s.auto_summary)
        .bind(s.admins_only)
        .bind(s.instant_meet)
        .bind(&s.timezone)
        .bind(i64::from(s.remind_before))
        .bind(unix_now())
        .execute(c)
        .await?
.rows_affected());
        Ok(())
    }

    /// Remembers that `chat` used these cohosts (now).
    pub async fn remember_cohosts(&self, chat_id: i64, emails: &[&str]) -> Result<()> {
        let at = unix_now();
        for email in emails {
            writing!(self, c => sqlx::query(
                "INSERT INTO chat_cohosts (chat_id, email, last_used) VALUES ($1, $2, $3)
                 ON CONFLICT (chat_id, email) DO UPDATE SET last_used = excluded.last_used",
            )
            .bind(chat_id)
            .bind(email)
            .bind(at)
            .execute(c)
            .await?
.rows_affected());
        }
        Ok(())
    }

    /// The chat's most recently used cohosts: (id, email), newest first.
    pub async fn recent_cohosts(&self, chat_id: i64, limit: u32) -> Result<Vec<(i64, String)>> {
        Ok(reading!(self, c => sqlx::query_as(
            "SELECT id, email FROM chat_cohosts WHERE chat_id = $1
             ORDER BY last_used DESC, id DESC LIMIT CAST($2 AS BIGINT)",
        )
        .bind(chat_id)
        .bind(i64::from(limit))
        .fetch_all(c)
        .await?))
    }

    /// A remembered cohost of `chat` by id (ids of other chats give `None`).
    pub async fn remembered_cohost(&self, chat_id: i64, id: i64) -> Result<Option<String>> {
        Ok(
            reading!(self, c => sqlx::query_scalar("SELECT email FROM chat_cohosts WHERE chat_id = $1 AND id = $2")
                .bind(chat_id)
                .bind(id)
                .fetch_optional(c)
                .await?),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::ChatSettings;
    use crate::storage::testing::dbs;

    #[tokio::test]
    async fn settings_and_remembered_cohosts() {
        for (_guard, db) in dbs().await {
            assert_eq!(db.settings(1).await.unwrap(), ChatSettings::default());
            let s = ChatSettings {
                waiting_room: "ADMINS".into(),
                auto_summary: true,
                ..ChatSettings::default()
            };
            db.save_settings(1, &s).await.unwrap();
            assert_eq!(db.settings(1).await.unwrap(), s);
            assert_eq!(db.settings(2).await.unwrap(), ChatSettings::default());
            assert_eq!(
                (s.timezone.as_deref(), s.remind_before),
                (None, 0),
                "by default, the bot's zone and a reminder at the start only"
            );

            // A zone and a reminder lead, then back to the default zone.
            let zoned = ChatSettings {
                timezone: Some("Asia/Yekaterinburg".into()),
                remind_before: 15,
                ..s.clone()
            };
            db.save_settings(1, &zoned).await.unwrap();
            assert_eq!(db.settings(1).await.unwrap(), zoned);
            let unzoned = ChatSettings {
                timezone: None,
                remind_before: u32::MAX,
                ..zoned
            };
            db.save_settings(1, &unzoned).await.unwrap();
            assert_eq!(db.settings(1).await.unwrap(), unzoned);
            db.save_settings(1, &s).await.unwrap();
            assert_eq!(db.settings(1).await.unwrap(), s);

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
            db.close().await;
        }
    }
}
