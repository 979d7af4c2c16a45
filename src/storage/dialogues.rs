//! Unfinished dialogues (table `dialogues`): one per member of a chat, as the bot serialised it,
//! with the message whose buttons it owns.

use super::{Db, Result, reading, unix_now, writing};

impl Db {
    /// `user`'s dialogue in `chat`, as the bot serialised it.
    pub async fn load_dialogue(&self, chat_id: i64, user_id: i64) -> Result<Option<String>> {
        Ok(
            reading!(self, c => sqlx::query_scalar("SELECT state FROM dialogues WHERE chat_id = $1 AND user_id = $2")
            .bind(chat_id)
            .bind(user_id)
            .fetch_optional(c)
            .await?),
        )
    }

    /// Saves `user`'s dialogue in `chat`; `message` is the message whose buttons it owns.
    pub async fn save_dialogue(
        &self,
        chat_id: i64,
        user_id: i64,
        state: &str,
        message: Option<i32>,
    ) -> Result<()> {
        writing!(self, c => sqlx::query(
            "INSERT INTO dialogues (chat_id, user_id, state, message_id, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (chat_id, user_id) DO UPDATE
             SET state = excluded.state, message_id = excluded.message_id,
                 updated_at = excluded.updated_at",
        )
        .bind(chat_id)
        .bind(user_id)
        .bind(state)
        .bind(message.map(i64::from))
        .bind(unix_now())
        .execute(c)
        .await?
.rows_affected());
        Ok(())
    }

    pub async fn delete_dialogue(&self, chat_id: i64, user_id: i64) -> Result<()> {
        writing!(self, c => sqlx::query("DELETE FROM dialogues WHERE chat_id = $1 AND user_id = $2")
            .bind(chat_id)
            .bind(user_id)
            .execute(c)
            .await?
.rows_affected());
        Ok(())
    }

    /// The member of `chat` whose dialogue owns the buttons of `message`, if any.
    pub async fn dialogue_owner_of(&self, chat_id: i64, message: i32) -> Result<Option<i64>> {
        Ok(reading!(self, c => sqlx::query_scalar(
            "SELECT user_id FROM dialogues WHERE chat_id = $1 AND message_id = $2 LIMIT 1",
        )
        .bind(chat_id)
        .bind(i64::from(message))
        .fetch_optional(c)
        .await?))
    }
}

#[cfg(test)]
mod tests {
    use crate::storage::testing::dbs;

    #[tokio::test]
    async fn dialogues_round_trip() {
        for (_guard, db) in dbs().await {
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
            db.close().await;
        }
    }
}
