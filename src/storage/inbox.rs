//! Updates received by webhook (table `inbox`): each stored before Telegram is told it arrived,
//! so none is lost if the process stops before handling it, and its `update_id` is remembered
//! for a day after, so Telegram's resend of an update already taken is recognised and dropped.
//! What a user wrote is kept only until it is handled. Also what the webhook was last set to.

use secrecy::SecretString;

use super::{Db, Result, reading, unix_now, writing};

/// How many updates `updates_handled` marks in one statement.
pub const HANDLED_AT_ONCE: usize = 64;

/// The `meta` key of the webhook's settings as last set (sealed: they hold its secret).
const WEBHOOK: &str = "webhook";

impl Db {
    /// Stores update `update_id` (its JSON, `payload`) unless it was received before. Returns
    /// whether it is new.
    pub async fn receive_update(&self, update_id: i64, payload: &str) -> Result<bool> {
        let added = writing!(self, c => sqlx::query(
            "INSERT INTO inbox (update_id, payload, received_at) VALUES ($1, $2, $3)
             ON CONFLICT (update_id) DO NOTHING",
        )
        .bind(update_id)
        .bind(payload)
        .bind(unix_now())
        .execute(c)
        .await?
        .rows_affected());
        Ok(added == 1)
    }

    /// Update `update_id` is handled: its text is dropped, its id kept (see `prune`).
    pub async fn update_handled(&self, update_id: i64) -> Result<()> {
        self.updates_handled(&[update_id]).await
    }

    /// `update_handled` for several at once, in one statement (at most `HANDLED_AT_ONCE`).
    pub async fn updates_handled(&self, ids: &[i64]) -> Result<()> {
        assert!(ids.len() <= HANDLED_AT_ONCE, "{} ids at once", ids.len());
        if ids.is_empty() {
            return Ok(());
        }
        // Only numbered placeholders go into the text: the ids are bound.
        let placeholders: Vec<String> = (2..ids.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!(
            "UPDATE inbox SET handled_at = $1, payload = NULL
             WHERE handled_at IS NULL AND update_id IN ({})",
            placeholders.join(", ")
        );
        writing!(self, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(unix_now());
            for id in ids {
                q = q.bind(*id);
            }
            q.execute(c).await?.rows_affected()
        });
        Ok(())
    }

    /// Updates received and not yet handled, with ids above `after`, oldest first (at most
    /// `limit`): what a process stopped before handling.
    pub async fn unhandled_updates(&self, after: i64, limit: u32) -> Result<Vec<(i64, String)>> {
        Ok(reading!(self, c => sqlx::query_as(
            "SELECT update_id, payload FROM inbox WHERE handled_at IS NULL AND update_id > $1
             ORDER BY update_id LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(c)
        .await?))
    }
}

impl Db {
    /// What the webhook was last set to (by any process on this database), as
    /// `set_webhook_settings` stored it.
    pub async fn webhook_settings(&self) -> Result<Option<SecretString>> {
        let sealed: Option<String> = reading!(self, c => sqlx::query_scalar(
            "SELECT value FROM meta WHERE key = $1"
        )
        .bind(WEBHOOK)
        .fetch_optional(c)
        .await?);
        Ok(match sealed {
            Some(s) => Some(self.cipher.open(WEBHOOK, &s)?),
            None => None,
        })
    }

    pub async fn set_webhook_settings(&self, settings: &SecretString) -> Result<()> {
        let sealed = self.cipher.seal(WEBHOOK, settings);
        writing!(self, c => sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )
        .bind(WEBHOOK)
        .bind(sealed)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::storage::testing::dbs;

    #[tokio::test]
    async fn an_update_is_taken_once_and_its_text_dropped_when_handled() {
        for (_guard, db) in dbs().await {
            assert!(db.receive_update(7, "{\"a\":1}").await.unwrap());
            assert!(
                !db.receive_update(7, "{\"a\":1}").await.unwrap(),
                "a resend"
            );
            assert!(db.receive_update(5, "{\"b\":2}").await.unwrap());
            assert_eq!(
                db.unhandled_updates(0, 10).await.unwrap(),
                vec![(5, "{\"b\":2}".to_owned()), (7, "{\"a\":1}".to_owned())]
            );
            assert_eq!(
                db.unhandled_updates(5, 10).await.unwrap(),
                vec![(7, "{\"a\":1}".to_owned())],
                "the next page"
            );
            db.update_handled(5).await.unwrap();
            db.receive_update(8, "{}").await.unwrap();
            db.receive_update(9, "{}").await.unwrap();
            db.updates_handled(&[8, 9]).await.unwrap();
            assert_eq!(
                db.unhandled_updates(0, 10).await.unwrap(),
                vec![(7, "{\"a\":1}".to_owned())]
            );
            assert!(
                !db.receive_update(5, "{\"b\":2}").await.unwrap(),
                "a handled update is still known"
            );
            assert!(db.webhook_settings().await.unwrap().is_none());
            db.set_webhook_settings(&"a".to_owned().into())
                .await
                .unwrap();
            db.set_webhook_settings(&"b".to_owned().into())
                .await
                .unwrap();
            use secrecy::ExposeSecret;
            let got = db.webhook_settings().await.unwrap().unwrap();
            assert_eq!(got.expose_secret(), "b");
            db.close().await;
        }
    }
}
