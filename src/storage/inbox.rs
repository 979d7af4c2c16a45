//! Updates received by webhook (table `inbox`): each stored before Telegram is told it arrived,
//! so none is lost if the process stops before handling it, and its `update_id` is remembered
//! for a day after, so Telegram's resend of an update already taken is recognised and dropped.
//! What a user wrote is sealed with the tokens' key (a message may carry a token) and kept only
//! until it is handled.
//!
//! Who handles what, when several processes share the database:
//! - A chat's updates are a queue. One process at a time holds the chat's turn (table
//!   `chat_turns`, a lease it renews while it works) and handles the chat's unhandled updates
//!   lowest `update_id` first, whichever process stored them. Taking a turn is one upsert that
//!   succeeds only on a free or expired turn: PostgreSQL locks the row it conflicts on, so of
//!   two processes taking at once one wins. Letting go is one delete that succeeds only while
//!   the chat has nothing unhandled, so an update stored while the holder was finishing is
//!   not left behind: either the delete sees it (and the holder goes on), or it came after the
//!   delete, and its own process takes the turn (or, if another process's attempt came in
//!   between and failed, the regular look for waiting chats takes it within seconds).
//! - An update with no chat (an inline query) needs no order: the process that stored it holds a
//!   lease on it. One whose lease ran out (its process died) is claimed by another process, or
//!   by the next start.

use secrecy::SecretString;

use super::{Db, Result, reading, unix_now, writing};

/// What an update's sealed payload is bound to.
fn payload_context(update_id: i64) -> String {
    format!("inbox/{update_id}")
}

/// How many updates `updates_handled` marks in one statement.
pub const HANDLED_AT_ONCE: usize = 64;

/// How long an update is recognised when Telegram sends it again: a handled update's id is kept
/// this long after it was handled (pruning removes it after). An update older than this is not
/// acted on (see `bot::admission::too_old`): were it a resend, it could no longer be told from a
/// new one. (Telegram itself keeps an update for a day.)
pub const RESENDS_RECOGNISED_SECS: i64 = super::PRUNE_AFTER_SECS;

/// What became of a turn `Db::let_chat_go` was to give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetGo {
    /// Given up: the chat had nothing left.
    Gone,
    /// Kept: updates came meanwhile, and the holder goes on.
    MoreCame,
    /// Not the caller's any more (it was frozen past its lease, and another process took it).
    NotHeld,
}

impl Db {
    /// Stores update `update_id` of `chat` (its JSON, `payload`, sealed) unless it was received
    /// before, leased to process `taker` until `lease_until` (which matters for updates with no
    /// chat; a chat's go by its turn). Returns whether it is new.
    pub async fn receive_update(
        &self,
        update_id: i64,
        chat: Option<i64>,
        payload: &str,
        taker: i64,
        lease_until: i64,
    ) -> Result<bool> {
        let sealed = self.cipher.seal(
            &payload_context(update_id),
            &SecretString::from(payload.to_owned()),
        );
        let added = writing!(self, c => sqlx::query(
            "INSERT INTO inbox (update_id, chat_id, payload, received_at, taken_by, lease_until)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (update_id) DO NOTHING",
        )
        .bind(update_id)
        .bind(chat)
        .bind(&sealed)
        .bind(unix_now())
        .bind(taker)
        .bind(lease_until)
        .execute(c)
        .await?
        .rows_affected());
        Ok(added == 1)
    }

    /// Extends the leases of process `taker` (on its chats' turns, and on its updates with no
    /// chat not yet handled) to `until`. Returns the chats whose turns it holds.
    pub async fn renew_leases(&self, taker: i64, until: i64) -> Result<Vec<i64>> {
        let held: Vec<i64> = writing!(self, c => sqlx::query_scalar(
            "UPDATE chat_turns SET lease_until = $1 WHERE taken_by = $2 RETURNING chat_id",
        )
        .bind(until)
        .bind(taker)
        .fetch_all(c)
        .await?);
        writing!(self, c => sqlx::query(
            "UPDATE inbox SET lease_until = $1
             WHERE taken_by = $2 AND handled_at IS NULL AND chat_id IS NULL",
        )
        .bind(until)
        .bind(taker)
        .execute(c)
        .await?
        .rows_affected());
        Ok(held)
    }

    /// Gives up process `taker`'s leases and turns (it is stopping): another process may take
    /// what it did not handle at once.
    pub async fn release_leases(&self, taker: i64) -> Result<()> {
        writing!(self, c => sqlx::query("DELETE FROM chat_turns WHERE taken_by = $1")
            .bind(taker)
            .execute(c)
            .await?
            .rows_affected());
        self.renew_leases(taker, 0).await.map(drop)
    }

    /// Takes `chat`'s turn for process `taker` until `lease_until`, if no other process holds
    /// it (or its lease ran out before `now`). Returns whether it is `taker`'s now.
    pub async fn take_chat(
        &self,
        chat: i64,
        taker: i64,
        now: i64,
        lease_until: i64,
    ) -> Result<bool> {
        let taken = writing!(self, c => sqlx::query(
            "INSERT INTO chat_turns (chat_id, taken_by, lease_until) VALUES ($1, $2, $3)
             ON CONFLICT (chat_id) DO UPDATE
                 SET taken_by = excluded.taken_by, lease_until = excluded.lease_until
                 WHERE chat_turns.lease_until < $4 OR chat_turns.taken_by = excluded.taken_by",
        )
        .bind(chat)
        .bind(taker)
        .bind(lease_until)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(taken == 1)
    }

    /// The next update of `chat` to handle (the lowest unhandled one), opened, while `taker`
    /// holds the chat's turn: `None` when there is none, or when the turn went to another
    /// process (this one was frozen past its lease).
    pub async fn next_of_chat(&self, chat: i64, taker: i64) -> Result<Option<(i64, String)>> {
        let next: Option<(i64, Option<String>)> = reading!(self, c => sqlx::query_as(
            "SELECT i.update_id, i.payload FROM inbox i
             JOIN chat_turns t ON t.chat_id = i.chat_id AND t.taken_by = $2
             WHERE i.chat_id = $1 AND i.handled_at IS NULL
             ORDER BY i.update_id LIMIT 1",
        )
        .bind(chat)
        .bind(taker)
        .fetch_optional(c)
        .await?);
        match next {
            Some((id, Some(sealed))) => {
                let payload = self.cipher.open(&payload_context(id), &sealed)?;
                Ok(Some((
                    id,
                    secrecy::ExposeSecret::expose_secret(&payload).to_owned(),
                )))
            }
            // Not handled yet has its payload; a row without one is no update to handle.
            Some((id, None)) => {
                self.update_handled(id).await?;
                Box::pin(self.next_of_chat(chat, taker)).await
            }
            None => Ok(None),
        }
    }

    /// Gives up `taker`'s turn on `chat` if the chat has nothing left to handle.
    pub async fn let_chat_go(&self, chat: i64, taker: i64) -> Result<LetGo> {
        let gone = writing!(self, c => sqlx::query(
            "DELETE FROM chat_turns WHERE chat_id = $1 AND taken_by = $2
               AND NOT EXISTS (
                   SELECT 1 FROM inbox WHERE chat_id = $1 AND handled_at IS NULL)",
        )
        .bind(chat)
        .bind(taker)
        .execute(c)
        .await?
        .rows_affected());
        if gone == 1 {
            return Ok(LetGo::Gone);
        }
        Ok(if self.holds_chat(chat, taker).await? {
            LetGo::MoreCame
        } else {
            LetGo::NotHeld
        })
    }

    /// Whether process `taker` holds `chat`'s turn.
    pub async fn holds_chat(&self, chat: i64, taker: i64) -> Result<bool> {
        let holder: Option<i64> = reading!(self, c => sqlx::query_scalar(
            "SELECT taken_by FROM chat_turns WHERE chat_id = $1",
        )
        .bind(chat)
        .fetch_optional(c)
        .await?);
        Ok(holder == Some(taker))
    }

    /// Extends `taker`'s turn on `chat` to `until` if it is still `taker`'s (even past its lease,
    /// if nobody took it meanwhile). Returns whether it was.
    pub async fn keep_chat(&self, chat: i64, taker: i64, until: i64) -> Result<bool> {
        let kept = writing!(self, c => sqlx::query(
            "UPDATE chat_turns SET lease_until = $1 WHERE chat_id = $2 AND taken_by = $3",
        )
        .bind(until)
        .bind(chat)
        .bind(taker)
        .execute(c)
        .await?
        .rows_affected());
        Ok(kept == 1)
    }

    /// Gives up `taker`'s turn on `chat`, whatever is left (it is stopping): another process
    /// takes the chat at once.
    pub async fn drop_chat(&self, chat: i64, taker: i64) -> Result<()> {
        writing!(self, c => sqlx::query(
            "DELETE FROM chat_turns WHERE chat_id = $1 AND taken_by = $2",
        )
        .bind(chat)
        .bind(taker)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Chats with updates to handle and no live turn (nobody took them, or their holder died
    /// and its lease ran out before `now`), oldest update first, at most `limit`.
    pub async fn chats_waiting(&self, now: i64, limit: u32) -> Result<Vec<i64>> {
        let chats: Vec<i64> = reading!(self, c => sqlx::query_scalar(
            "SELECT i.chat_id FROM inbox i
             LEFT JOIN chat_turns t ON t.chat_id = i.chat_id
             WHERE i.handled_at IS NULL AND i.chat_id IS NOT NULL
               AND (t.chat_id IS NULL OR t.lease_until < $1)
             GROUP BY i.chat_id
             ORDER BY MIN(i.update_id) LIMIT CAST($2 AS BIGINT)",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(c)
        .await?);
        Ok(chats)
    }

    /// Claims for process `taker` (until `lease_until`) the updates with no chat not handled
    /// whose lease ran out before `now`, oldest first, at most `limit`: what a process that died
    /// left. Those received before `stale_before` (of any chat whose turn is not held) are
    /// dropped instead (marked handled): the user has long moved on. Two processes claiming at
    /// once never get the same update.
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
             WHERE handled_at IS NULL AND lease_until < $1 AND received_at < $2
               AND NOT EXISTS (SELECT 1 FROM chat_turns t
                               WHERE t.chat_id = inbox.chat_id AND t.lease_until >= $1)",
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
             WHERE handled_at IS NULL AND lease_until < $3 AND chat_id IS NULL
               AND update_id IN (
                   SELECT update_id FROM inbox
                   WHERE handled_at IS NULL AND lease_until < $3 AND chat_id IS NULL
                   ORDER BY update_id LIMIT CAST($4 AS BIGINT))
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

#[cfg(test)]
mod tests {
    use super::LetGo;
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
                db.receive_update(7, None, "{\"a\":\"y0_tok\"}", A, far)
                    .await
                    .unwrap()
            );
            assert!(
                !db.receive_update(7, None, "{}", B, far).await.unwrap(),
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
                !db.receive_update(7, None, "{}", B, far).await.unwrap(),
                "a handled update is still known"
            );
            db.receive_update(8, None, "{}", A, far).await.unwrap();
            db.receive_update(9, None, "{}", A, far).await.unwrap();
            db.updates_handled(&[8, 9]).await.unwrap();
            let (claimed, _) = db.claim_abandoned(B, far, far, 0, 10).await.unwrap();
            assert!(claimed.is_empty(), "nothing unhandled: {claimed:?}");
            db.close().await;
        }
    }

    #[tokio::test]
    async fn what_a_dead_process_left_is_claimed_once_when_its_lease_runs_out() {
        for (_guard, db) in dbs().await {
            // A stored 5 and 6 and was renewing; it died at NOW, its leases running to NOW + 60.
            db.receive_update(6, None, "{\"six\":6}", A, NOW + 60)
                .await
                .unwrap();
            db.receive_update(5, None, "{\"five\":5}", A, NOW + 60)
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
            db.receive_update(5, None, "{}", A, 0).await.unwrap();
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

    /// Two processes and one chat: whichever stored an update, the chat's turn holder handles
    /// its updates lowest first; the other cannot take the turn meanwhile; letting go fails
    /// while anything is left; a dead holder's chat is offered once its lease ran out.
    #[tokio::test]
    async fn a_chats_updates_go_in_order_through_one_turn() {
        const CHAT: i64 = -100;
        for (_guard, db) in dbs().await {
            // Stored out of order, by both processes.
            db.receive_update(12, Some(CHAT), "twelve", A, NOW + 10)
                .await
                .unwrap();
            db.receive_update(11, Some(CHAT), "eleven", B, NOW + 10)
                .await
                .unwrap();
            db.receive_update(13, Some(7), "other chat", B, NOW + 10)
                .await
                .unwrap();
            assert_eq!(db.chats_waiting(NOW, 10).await.unwrap(), [CHAT, 7]);
            assert!(db.take_chat(CHAT, A, NOW, NOW + 10).await.unwrap());
            assert!(
                !db.take_chat(CHAT, B, NOW + 1, NOW + 11).await.unwrap(),
                "A holds it"
            );
            assert_eq!(db.chats_waiting(NOW, 10).await.unwrap(), [7]);
            assert!(
                db.next_of_chat(CHAT, B).await.unwrap().is_none(),
                "not B's turn"
            );
            let next = db.next_of_chat(CHAT, A).await.unwrap();
            assert_eq!(next, Some((11, "eleven".to_owned())), "lowest first");
            db.update_handled(11).await.unwrap();
            assert_eq!(
                db.let_chat_go(CHAT, A).await.unwrap(),
                LetGo::MoreCame,
                "12 is still to handle"
            );
            assert_eq!(db.let_chat_go(CHAT, B).await.unwrap(), LetGo::NotHeld);
            let next = db.next_of_chat(CHAT, A).await.unwrap();
            assert_eq!(next, Some((12, "twelve".to_owned())));
            db.update_handled(12).await.unwrap();
            assert!(db.next_of_chat(CHAT, A).await.unwrap().is_none());
            assert_eq!(db.let_chat_go(CHAT, A).await.unwrap(), LetGo::Gone);
            assert!(db.take_chat(CHAT, B, NOW, NOW + 10).await.unwrap(), "free");

            // B dies holding chat 7's turn with an update in it.
            assert!(db.take_chat(7, B, NOW, NOW + 10).await.unwrap());
            assert!(db.chats_waiting(NOW + 5, 10).await.unwrap().is_empty());
            assert_eq!(db.chats_waiting(NOW + 11, 10).await.unwrap(), [7]);
            assert!(!db.take_chat(7, A, NOW + 5, NOW + 15).await.unwrap());
            assert!(db.take_chat(7, A, NOW + 11, NOW + 21).await.unwrap());
            // A renews; B wakes up and finds the turn gone.
            db.renew_leases(A, NOW + 40).await.unwrap();
            assert!(!db.take_chat(7, B, NOW + 30, NOW + 40).await.unwrap());
            assert!(db.next_of_chat(7, B).await.unwrap().is_none());
            assert_eq!(
                db.next_of_chat(7, A).await.unwrap(),
                Some((13, "other chat".to_owned()))
            );
            // A stops: its turns go at once.
            db.release_leases(A).await.unwrap();
            assert_eq!(db.chats_waiting(NOW + 30, 10).await.unwrap(), [7]);
            // Updates with a chat are not claimed as abandoned ones: they go by turns.
            let (claimed, _) = db
                .claim_abandoned(B, NOW + 30, NOW + 40, 0, 10)
                .await
                .unwrap();
            assert!(claimed.is_empty(), "{claimed:?}");
            db.close().await;
        }
    }

    /// Many takers at once on one free chat: exactly one gets the turn.
    #[tokio::test]
    async fn of_many_taking_a_chat_at_once_one_wins() {
        for (_guard, db) in dbs().await {
            let takes = (0..8_i64).map(|taker| {
                let db = db.clone();
                async move { db.take_chat(5, taker, NOW, NOW + 10).await.unwrap() }
            });
            let won = futures_util::future::join_all(takes).await;
            assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
            db.close().await;
        }
    }
}
