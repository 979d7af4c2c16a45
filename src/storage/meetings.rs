//! The record of meetings the bot created (table `meetings`): who created each, in which chat,
//! with whose token, and what was sent to Telemost.

use super::{Db, Result, reading, unix_now, writing};

/// A meeting as the bot records it after Telemost created it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
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

/// The columns of a `MeetingRecord` (a macro, so queries stay `&'static str`).
macro_rules! meeting_columns {
    () => {
        "chat_id, user_id, created_at, conference_id, join_url, watch_url, options, user_name, \
         token_owner, topic"
    };
}

impl Db {
    /// Records a created meeting; `created_at` is set to now.
    pub async fn record_meeting(&self, m: &MeetingRecord) -> Result<()> {
        writing!(self, c => sqlx::query(
            "INSERT INTO meetings
             (chat_id, user_id, user_name, created_at, conference_id, join_url, watch_url, options,
              token_owner, topic)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
        .execute(c)
        .await?
.rows_affected());
        Ok(())
    }

    /// The chat's most recent meetings, newest first.
    pub async fn recent_meetings(&self, chat_id: i64, limit: u32) -> Result<Vec<MeetingRecord>> {
        Ok(reading!(self, c => sqlx::query_as(concat!(
            "SELECT ",
            meeting_columns!(),
            " FROM meetings WHERE chat_id = $1 ORDER BY created_at DESC, id DESC LIMIT CAST($2 AS BIGINT)"
        ))
        .bind(chat_id)
        .bind(i64::from(limit))
        .fetch_all(c)
        .await?))
    }

    /// Meeting `conference_id` as recorded when it was created in `chat`; `None` when it was not
    /// created there (another chat's meeting, or one never recorded).
    pub async fn meeting_in(
        &self,
        chat_id: i64,
        conference_id: &str,
    ) -> Result<Option<MeetingRecord>> {
        Ok(reading!(self, c => sqlx::query_as(concat!(
            "SELECT ",
            meeting_columns!(),
            " FROM meetings WHERE chat_id = $1 AND conference_id = $2 ORDER BY id DESC LIMIT 1"
        ))
        .bind(chat_id)
        .bind(conference_id)
        .fetch_optional(c)
        .await?))
    }
}

#[cfg(test)]
mod tests {
    use super::MeetingRecord;
    use crate::storage::testing::dbs;

    #[tokio::test]
    async fn meetings_round_trip() {
        for (_guard, db) in dbs().await {
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
            db.close().await;
        }
    }
}
