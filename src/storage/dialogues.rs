//! Unfinished dialogues (table `dialogues`): one per member of a chat, as the bot serialised it,
//! with the message whose buttons it owns.

use super::{Db, Result, reading, unix_now, writing};

impl Db {
    /// `user`'s dialogue in `chat`, as the bot serialised it, with its version: the one a write
    /// based on it names (see `save_dialogue`).
    pub async fn load_dialogue(&self, chat_id: i64, user_id: i64) -> Result<Option<(String, i64)>> {
        Ok(reading!(self, c => sqlx::query_as(
            "SELECT state, version FROM dialogues WHERE chat_id = $1 AND user_id = $2",
        )
        .bind(chat_id)
        .bind(user_id)
        .fetch_optional(c)
        .await?))
    }

    /// Saves `user`'s dialogue in `chat` (`message`: the message whose buttons it owns), if it
    /// is still as it was read: at version `read`, or absent when `read` is `None`. Compare and
    /// set, so that a process whose turn at the chat ran out between its read and this write
    /// cannot overwrite what the next process wrote. Returns the new version, or `None` when
    /// the dialogue changed meanwhile (nothing was written).
    pub async fn save_dialogue(
        &self,
        chat_id: i64,
        user_id: i64,
        state: &str,
        message: Option<i32>,
        read: Option<i64>,
    ) -> Result<Option<i64>> {
        let message = message.map(i64::from);
        let written = match read {
            None => writing!(self, c => sqlx::query(
                "INSERT INTO dialogues (chat_id, user_id, state, message_id, updated_at, version)
                 VALUES ($1, $2, $3, $4, $5, 1)
                 ON CONFLICT (chat_id, user_id) DO NOTHING",
            )
            .bind(chat_id)
            .bind(user_id)
            .bind(state)
            .bind(message)
            .bind(unix_now())
            .execute(c)
            .await?
            .rows_affected()),
            Some(version) => writing!(self, c => sqlx::query(
                "UPDATE dialogues
                 SET state = $3, message_id = $4, updated_at = $5, version = version + 1
                 WHERE chat_id = $1 AND user_id = $2 AND version = $6",
            )
            .bind(chat_id)
            .bind(user_id)
            .bind(state)
            .bind(message)
            .bind(unix_now())
            .bind(version)
            .execute(c)
            .await?
            .rows_affected()),
        };
        Ok((written == 1).then(|| read.map_or(1, |v| v + 1)))
    }

    /// Ends `user`'s dialogue in `chat` if it is still at version `read` (compare and set, as
    /// `save_dialogue`). Returns false when it changed meanwhile (it is left as it is); with
    /// `read` `None` there was none, and nothing is done.
    pub async fn delete_dialogue(
        &self,
        chat_id: i64,
        user_id: i64,
        read: Option<i64>,
    ) -> Result<bool> {
        let Some(version) = read else {
            return Ok(true);
        };
        let deleted = writing!(self, c => sqlx::query(
            "DELETE FROM dialogues WHERE chat_id = $1 AND user_id = $2 AND version = $3",
        )
        .bind(chat_id)
        .bind(user_id)
        .bind(version)
        .execute(c)
        .await?
        .rows_affected());
        Ok(deleted == 1)
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
            let v1 = db.save_dialogue(-5, 1, "a", Some(10), None).await.unwrap();
            assert_eq!(v1, Some(1));
            let v2 = db.save_dialogue(-5, 1, "b", Some(11), v1).await.unwrap();
            assert_eq!(v2, Some(2));
            db.save_dialogue(-5, 2, "c", Some(12), None).await.unwrap();
            assert_eq!(
                db.load_dialogue(-5, 1).await.unwrap(),
                Some(("b".into(), 2))
            );
            assert_eq!(
                db.load_dialogue(-5, 2).await.unwrap(),
                Some(("c".into(), 1))
            );
            assert_eq!(db.dialogue_owner_of(-5, 12).await.unwrap(), Some(2));
            assert_eq!(
                db.dialogue_owner_of(-5, 10).await.unwrap(),
                None,
                "replaced"
            );
            assert!(db.delete_dialogue(-5, 1, v2).await.unwrap());
            assert_eq!(db.load_dialogue(-5, 1).await.unwrap(), None);
            assert_eq!(
                db.load_dialogue(-5, 2).await.unwrap(),
                Some(("c".into(), 1)),
                "another member's dialogue stays"
            );
            db.close().await;
        }
    }

    /// Two processes read Anna's dialogue at version 1; the first writes (version 2). The
    /// second, whose turn ran out meanwhile, writes or ends it from what it read: refused, and
    /// the first's state stays. So is a second "first" write of a dialogue that was absent.
    #[tokio::test]
    async fn a_write_from_a_stale_read_is_refused() {
        for (_guard, db) in dbs().await {
            let read = db
                .save_dialogue(-7, 1, "panel", Some(1), None)
                .await
                .unwrap();
            let next = db
                .save_dialogue(-7, 1, "cohosts", Some(1), read)
                .await
                .unwrap();
            assert_eq!(next, Some(2));
            assert_eq!(
                db.save_dialogue(-7, 1, "title", Some(1), read)
                    .await
                    .unwrap(),
                None
            );
            assert!(!db.delete_dialogue(-7, 1, read).await.unwrap());
            assert_eq!(
                db.load_dialogue(-7, 1).await.unwrap(),
                Some(("cohosts".into(), 2))
            );
            assert_eq!(
                db.save_dialogue(-7, 1, "other", None, None).await.unwrap(),
                None
            );
            assert_eq!(db.load_dialogue(-7, 1).await.unwrap().unwrap().0, "cohosts");
            db.close().await;
        }
    }
}
