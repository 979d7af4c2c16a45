//! Updates received by webhook (table `inbox`): each stored before Telegram is told it arrived,
//! so none is lost if the process stops before handling it, and its `update_id` is remembered
//! for a day after, so Telegram's resend of an update already taken is recognised and dropped.
//! What a user wrote is sealed with the tokens' key (a message may carry a token) and kept only
//! until it is handled. The process that stored an update holds a lease on it, renewed while it
//! runs; one whose lease ran out (its process died) is claimed by another process, or by the
//! next start. Also what the webhook was last set to.

use secrecy::SecretString;

use super::{Db, Result, reading, unix_now, writing};

/// What an update's sealed payload is bound to.
fn payload_context(update_id: i64) -> String {
    format!("inbox/{update_id}")
}

/// How many updates `updates_handled` marks in one statement.
pub const HANDLED_AT_ONCE: usize = 64;

/// The `meta` key of the webhook's settings as last set (sealed: they hold its secret).
const WEBHOOK: &str = "webhook";

impl Db {
    /// Stores update `update_id` (its JSON, `payload`, sealed) unless it was received before,
    /// leased to process `taker` until `lease_until`. Returns whether it is new.
    pub async fn receive_update(
        &self,
        update_id: i64,
        payload: &str,
        taker: i64,
        lease_until: i64,
    ) -> Result<bool> {
        let sealed = self.cipher.seal(
            &payload_context(update_id),
            &SecretString::from(payload.to_owned()),
        );
        let added = writing!(self, c => sqlx::query(
            "INSERT INTO inbox (update_id, payload, received_at, taken_by, lease_until)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (update_id) DO NOTHING",
        )
        .bind(update_id)
        .bind(&sealed)
        .bind(unix_now())
        .bind(taker)
        .bind(lease_until)
        .execute(c)
        .await?
        .rows_affected());
        Ok(added == 1)
    }

    /// Extends the leases of process `taker`'s updates not yet handled to `until`.
    pub async fn renew_leases(&self, taker: i64, until: i64) -> Result<()> {
        writing!(self, c => sqlx::query(
            "UPDATE inbox SET lease_until = $1 WHERE taken_by = $2 AND handled_at IS NULL",
        )
        .bind(until)
        .bind(taker)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Gives up process `taker`'s leases (it is stopping): another process may claim what it
    /// did not handle at once.
    pub async fn release_leases(&self, taker: i64) -> Result<()> {
        self.renew_leases(taker, 0).await
    }

    /// Claims for process `taker` (until `lease_until`) the updates not handled whose lease ran
    /// out before `now`, oldest first, at most `limit`: what a process that died left. Those
    /// received before `stale_before` are dropped instead (marked handled): the user has long
    /// moved on. Two processes claiming at once never get the same update.
    pub async fn claim_abandoned(
        &self,
        taker: i64,
        now: i64,
        lease_until: i64,
        stale_before: i64,
        limit: u32,
    ) -> Result<(Vec<(i64, String)>, u64)> {
        let dropped = writing!(self, c => sqlx::query(
            "UPDATE inbox SET handled_at = $1, payload = NULL
             WHERE handled_at IS NULL AND lease_until < $1 AND received_at < $2",
        )
        .bind(now)
        .bind(stale_before)
        .execute(c)
        .await?
        .rows_affected());
        // The outer conditions are checked again on each row as it is changed, so an update
        // another process claimed meanwhile is left to it.
        let mut claimed: Vec<(i64, String)> = writing!(self, c => sqlx::query_as(
            "UPDATE inbox SET taken_by = $1, lease_until = $2
             WHERE handled_at IS NULL AND lease_until < $3
               AND update_id IN (
                   SELECT update_id FROM inbox WHERE handled_at IS NULL AND lease_until < $3
                   ORDER BY update_id LIMIT $4)
             RETURNING update_id, payload",
        )
        .bind(taker)
        .bind(lease_until)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(c)
        .await?);
        claimed.sort_unstable_by_key(|(id, _)| *id);
        let mut opened = Vec::with_capacity(claimed.len());
        for (id, sealed) in claimed {
            let payload = self.cipher.open(&payload_context(id), &sealed)?;
            opened.push((
                id,
                secrecy::ExposeSecret::expose_secret(&payload).to_owned(),
            ));
        }
        Ok((opened, dropped))
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
    use secrecy::ExposeSecret;

    use crate::storage::testing::{dbs, fetch_all};

    const NOW: i64 = 1_800_000_000;
    /// Two processes.
    const A: i64 = 1;
    const B: i64 = 2;

    #[tokio::test]
    async fn an_update_is_taken_once_sealed_and_its_text_dropped_when_handled() {
        for (_guard, db) in dbs().await {
            let far = i64::MAX;
            assert!(
                db.receive_update(7, "{\"a\":\"y0_tok\"}", A, far)
                    .await
                    .unwrap()
            );
            assert!(
                !db.receive_update(7, "{}", B, far).await.unwrap(),
                "a resend"
            );
            let stored: Vec<Option<String>> =
                fetch_all!(db, sqlx::query_scalar("SELECT payload FROM inbox"));
            let stored = stored[0].as_deref().unwrap();
            assert!(!stored.contains("y0_tok"), "sealed: {stored}");
            db.update_handled(7).await.unwrap();
            let stored: Vec<Option<String>> =
                fetch_all!(db, sqlx::query_scalar("SELECT payload FROM inbox"));
            assert_eq!(stored, [None], "dropped once handled");
            assert!(
                !db.receive_update(7, "{}", B, far).await.unwrap(),
                "a handled update is still known"
            );
            db.receive_update(8, "{}", A, far).await.unwrap();
            db.receive_update(9, "{}", A, far).await.unwrap();
            db.updates_handled(&[8, 9]).await.unwrap();
            let (claimed, _) = db.claim_abandoned(B, far, far, 0, 10).await.unwrap();
            assert!(claimed.is_empty(), "nothing unhandled: {claimed:?}");

            assert!(db.webhook_settings().await.unwrap().is_none());
            db.set_webhook_settings(&"a".to_owned().into())
                .await
                .unwrap();
            db.set_webhook_settings(&"b".to_owned().into())
                .await
                .unwrap();
            let got = db.webhook_settings().await.unwrap().unwrap();
            assert_eq!(got.expose_secret(), "b");
            db.close().await;
        }
    }

    #[tokio::test]
    async fn what_a_dead_process_left_is_claimed_once_when_its_lease_runs_out() {
        for (_guard, db) in dbs().await {
            // A stored 5 and 6 and was renewing; it died at NOW, its leases running to NOW + 60.
            db.receive_update(6, "{\"six\":6}", A, NOW + 60)
                .await
                .unwrap();
            db.receive_update(5, "{\"five\":5}", A, NOW + 60)
                .await
                .unwrap();
            let (early, _) = db
                .claim_abandoned(B, NOW + 30, NOW + 90, 0, 10)
                .await
                .unwrap();
            assert!(early.is_empty(), "A's leases still run: {early:?}");
            let (claimed, dropped) = db
                .claim_abandoned(B, NOW + 61, NOW + 121, 0, 10)
                .await
                .unwrap();
            assert_eq!(
                claimed,
                [
                    (5, "{\"five\":5}".to_owned()),
                    (6, "{\"six\":6}".to_owned())
                ],
                "oldest first, opened"
            );
            assert_eq!(dropped, 0);
            let (again, _) = db
                .claim_abandoned(A, NOW + 62, NOW + 122, 0, 10)
                .await
                .unwrap();
            assert!(again.is_empty(), "B holds them now: {again:?}");
            // B renews, then stops and gives them up: A may take them at once.
            db.renew_leases(B, NOW + 200).await.unwrap();
            let (held, _) = db
                .claim_abandoned(A, NOW + 150, NOW + 210, 0, 10)
                .await
                .unwrap();
            assert!(held.is_empty());
            db.release_leases(B).await.unwrap();
            let (released, _) = db
                .claim_abandoned(A, NOW + 151, NOW + 211, 0, 1)
                .await
                .unwrap();
            assert_eq!(released.len(), 1, "at most the limit");
            db.close().await;
        }
    }

    #[tokio::test]
    async fn an_abandoned_update_too_old_to_matter_is_dropped_not_claimed() {
        for (_guard, db) in dbs().await {
            db.receive_update(5, "{}", A, 0).await.unwrap();
            let received: Vec<i64> =
                fetch_all!(db, sqlx::query_scalar("SELECT received_at FROM inbox"));
            let (claimed, dropped) = db
                .claim_abandoned(B, NOW, NOW + 60, received[0] + 1, 10)
                .await
                .unwrap();
            assert!(claimed.is_empty());
            assert_eq!(dropped, 1);
            let (none, dropped) = db
                .claim_abandoned(B, NOW, NOW + 60, i64::MAX, 10)
                .await
                .unwrap();
            assert!(none.is_empty() && dropped == 0, "dropped means handled");
            db.close().await;
        }
    }
}
