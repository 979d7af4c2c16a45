//! What the webhook was last set to (a row of table `meta`, sealed: it holds the webhook's
//! secret), so that a process starting with the same settings as Telegram already has leaves the
//! webhook alone, and one with different settings sets it.

use secrecy::SecretString;

use super::{Db, Result, reading, writing};

/// The `meta` key of the webhook's settings as last set.
const WEBHOOK: &str = "webhook";

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
    use secrecy::ExposeSecret;

    use crate::storage::testing::{dbs, fetch_all};

    #[tokio::test]
    async fn the_last_settings_are_kept_sealed() {
        for (_guard, db) in dbs().await {
            assert!(db.webhook_settings().await.unwrap().is_none());
            db.set_webhook_settings(&"a".to_owned().into())
                .await
                .unwrap();
            db.set_webhook_settings(&"b".to_owned().into())
                .await
                .unwrap();
            let got = db.webhook_settings().await.unwrap().unwrap();
            assert_eq!(got.expose_secret(), "b");
            let stored: Vec<String> = fetch_all!(
                db,
                sqlx::query_scalar("SELECT value FROM meta WHERE key = 'webhook'")
            );
            assert_eq!(stored.len(), 1);
            assert!(
                stored[0].starts_with("v1."),
                "sealed, not plain: {stored:?}"
            );
            db.close().await;
        }
    }
}
