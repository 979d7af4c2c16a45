//! Yandex logins in progress (table `logins`), one per private chat: what polling Yandex needs
//! (the device code, sealed and bound to the chat; the interval; when to poll next; when the code
//! expires) and whom to tell (who started it, as the bot serialised them, and the group it is
//! for), so that a login outlives the process that started it.
//!
//! One process polls a given login at a time: it claims the logins due (`claim_logins`), which
//! gives it a lease on each (see `leases.rs`, `Leased::Logins`), and ends its turn by
//! rescheduling the login (which gives the lease up) or by finishing it. A lease is the pair
//! (`taken_by`, `lease_until`) a claim wrote; only its holder may reschedule or finish the login,
//! so a process whose lease ran out (another took the login over), or whose login was cancelled
//! or replaced by a new /login meanwhile, changes nothing. Times here are unix milliseconds, as
//! the caller gives them.

use secrecy::SecretString;

use super::leases::Leased;
use super::{Db, Result, writing};

/// What a login's sealed device code is bound to.
fn device_code_context(chat_id: i64) -> String {
    format!("login/{chat_id}/device_code")
}

/// A login in progress.
#[derive(Debug, Clone)]
pub struct Login {
    /// The private chat it was started in (its user's id).
    pub chat_id: i64,
    /// Who started it, as the caller serialised them (opaque here).
    pub starter: String,
    /// The group the token is for (after a /connect link), if any.
    pub group_id: Option<i64>,
    pub device_code: SecretString,
    /// How often Yandex lets the code be polled, in its seconds.
    pub interval_secs: i64,
    /// When to poll next (unix ms).
    pub next_poll_at: i64,
    /// When the device code expires (unix ms).
    pub expires_at: i64,
}

/// A login claimed by a process, with the lease that lets it reschedule or finish it.
#[derive(Debug)]
pub struct Claimed {
    pub login: Login,
    /// The process holding it.
    pub taker: i64,
    /// Until when (unix ms); with `taker`, what tells this claim from any later one.
    pub lease_until: i64,
}

/// The columns a claim returns (a macro, so queries stay `&'static str`), as `Row` reads them.
macro_rules! login_columns {
    () => {
        "chat_id, starter, group_id, device_code, interval_secs, next_poll_at, expires_at, \
         lease_until"
    };
}
pub(super) use login_columns;

type Row = (i64, String, Option<i64>, String, i64, i64, i64, i64);

/// A login `finish_login` removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    /// The group it was for, as it stands now (a group upgraded to a supergroup meanwhile is
    /// named by its new id).
    pub group_id: Option<i64>,
}

impl Db {
    /// Stores `login`, replacing any login of its chat (whose holder, if any, loses it).
    pub async fn start_login(&self, login: &Login) -> Result<()> {
        let sealed = self
            .cipher
            .seal(&device_code_context(login.chat_id), &login.device_code);
        writing!(self, c => sqlx::query(
            "INSERT INTO logins (chat_id, starter, group_id, device_code, interval_secs,
                                 next_poll_at, expires_at, taken_by, lease_until)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0)
             ON CONFLICT (chat_id) DO UPDATE
             SET starter = excluded.starter, group_id = excluded.group_id,
                 device_code = excluded.device_code, interval_secs = excluded.interval_secs,
                 next_poll_at = excluded.next_poll_at, expires_at = excluded.expires_at,
                 taken_by = 0, lease_until = 0",
        )
        .bind(login.chat_id)
        .bind(&login.starter)
        .bind(login.group_id)
        .bind(sealed)
        .bind(login.interval_secs)
        .bind(login.next_poll_at)
        .bind(login.expires_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Drops the chat's login, whoever polls it. Returns whether there was one.
    pub async fn cancel_login(&self, chat_id: i64) -> Result<bool> {
        let done = writing!(self, c => sqlx::query("DELETE FROM logins WHERE chat_id = $1")
            .bind(chat_id)
            .execute(c)
            .await?
            .rows_affected());
        Ok(done > 0)
    }

    /// Claims for process `taker`, until `lease_until`, at most `limit` logins due at `now`
    /// whose lease is free or ran out, the longest due first. Two processes claiming at once
    /// never get the same login. A login whose device code does not open (it was moved to
    /// another chat's row, or altered) can never be polled: it is dropped, not returned.
    pub async fn claim_logins(
        &self,
        taker: i64,
        now: i64,
        lease_until: i64,
        limit: usize,
    ) -> Result<Vec<Claimed>> {
        // Due and leased on one clock: `now` is both.
        let mut rows: Vec<Row> = self
            .claim(Leased::Logins, taker, now, now, lease_until, limit)
            .await?;
        rows.sort_unstable_by_key(|r| (r.5, r.0));
        let mut claimed = Vec::with_capacity(rows.len());
        for (chat_id, starter, group_id, sealed, interval_secs, next_poll_at, expires_at, lease) in
            rows
        {
            let device_code = match self.cipher.open(&device_code_context(chat_id), &sealed) {
                Ok(code) => code,
                Err(e) => {
                    tracing::warn!(chat_id, error = %e, "dropping a login whose device code does not open");
                    let unopenable = Claimed {
                        login: Login {
                            chat_id,
                            starter,
                            group_id,
                            device_code: SecretString::from(String::new()),
                            interval_secs,
                            next_poll_at,
                            expires_at,
                        },
                        taker,
                        lease_until: lease,
                    };
                    self.finish_login(&unopenable).await?;
                    continue;
                }
            };
            claimed.push(Claimed {
                login: Login {
                    chat_id,
                    starter,
                    group_id,
                    device_code,
                    interval_secs,
                    next_poll_at,
                    expires_at,
                },
                taker,
                lease_until: lease,
            });
        }
        Ok(claimed)
    }

    /// The holder of `claimed` ends its turn: the login is polled next at `next_poll_at`, every
    /// `interval_secs`, by whichever process claims it then (the lease is given up). Returns
    /// whether it did: not if the lease is no longer this claim's.
    pub async fn reschedule_login(
        &self,
        claimed: &Claimed,
        next_poll_at: i64,
        interval_secs: i64,
    ) -> Result<bool> {
        let done = writing!(self, c => sqlx::query(
            "UPDATE logins SET next_poll_at = $1, interval_secs = $2, lease_until = 0
             WHERE chat_id = $3 AND taken_by = $4 AND lease_until = $5",
        )
        .bind(next_poll_at)
        .bind(interval_secs)
        .bind(claimed.login.chat_id)
        .bind(claimed.taker)
        .bind(claimed.lease_until)
        .execute(c)
        .await?
        .rows_affected());
        Ok(done > 0)
    }

    /// The holder of `claimed` is done with the login (granted, denied, expired): it is
    /// removed. Returns what was removed, if it was: only then may the caller act on the outcome
    /// (store the token, tell the user), so that happens once.
    pub async fn finish_login(&self, claimed: &Claimed) -> Result<Option<Finished>> {
        let done: Option<(Option<i64>,)> = writing!(self, c => sqlx::query_as(
            "DELETE FROM logins WHERE chat_id = $1 AND taken_by = $2 AND lease_until = $3
             RETURNING group_id",
        )
        .bind(claimed.login.chat_id)
        .bind(claimed.taker)
        .bind(claimed.lease_until)
        .fetch_optional(c)
        .await?);
        Ok(done.map(|(group_id,)| Finished { group_id }))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use secrecy::{ExposeSecret, SecretString};

    use super::{Claimed, Login};
    use crate::storage::crypto::Cipher;
    use crate::storage::testing::{dbs, exec, fetch_all};
    use crate::storage::{Db, Leased};

    const NOW: i64 = 1_800_000_000_000;
    const LEASE: i64 = 15_000;
    /// Two processes.
    const A: i64 = 1;
    const B: i64 = 2;

    fn login(chat_id: i64, code: &str, next_poll_at: i64) -> Login {
        Login {
            chat_id,
            starter: format!("{{\"id\":{chat_id}}}"),
            group_id: None,
            device_code: SecretString::from(code.to_owned()),
            interval_secs: 5,
            next_poll_at,
            expires_at: NOW + 300_000,
        }
    }

    async fn claim(db: &Db, taker: i64, now: i64) -> Vec<Claimed> {
        db.claim_logins(taker, now, now + LEASE, 100).await.unwrap()
    }

    /// When a login can next be claimed, asked at `now`.
    async fn next_due(db: &Db, now: i64) -> Option<i64> {
        db.next_due(Leased::Logins, now).await.unwrap()
    }

    fn chats(claimed: &[Claimed]) -> Vec<i64> {
        claimed.iter().map(|c| c.login.chat_id).collect()
    }

    #[tokio::test]
    async fn a_login_is_polled_in_turns_and_finished_once() {
        for (_guard, db) in dbs().await {
            let mut started = login(7, "dc-seven", NOW + 5_000);
            started.group_id = Some(-100_0007);
            db.start_login(&started).await.unwrap();
            assert_eq!(next_due(&db, NOW).await, Some(NOW + 5_000));
            assert!(claim(&db, A, NOW).await.is_empty(), "not due yet");

            let first = claim(&db, A, NOW + 5_000).await;
            assert_eq!(chats(&first), [7]);
            let got = &first[0];
            assert_eq!(got.login.device_code.expose_secret(), "dc-seven");
            assert_eq!(got.login.starter, started.starter);
            assert_eq!(got.login.group_id, Some(-100_0007));
            assert_eq!(got.login.interval_secs, 5);
            assert_eq!(got.login.expires_at, NOW + 300_000);
            assert_eq!((got.taker, got.lease_until), (A, NOW + 5_000 + LEASE));
            assert!(
                claim(&db, B, NOW + 6_000).await.is_empty(),
                "A holds it while it polls"
            );
            assert_eq!(
                next_due(&db, NOW + 6_000).await,
                Some(NOW + 5_000 + LEASE + 1),
                "claimable again only if A's lease runs out"
            );

            // Yandex said slow_down: A polls again in 10 s, every 10 s, and lets it go.
            assert!(db.reschedule_login(got, NOW + 16_000, 10).await.unwrap());
            assert!(
                !db.reschedule_login(got, NOW + 17_000, 10).await.unwrap(),
                "a lease is given up once"
            );
            assert!(
                db.finish_login(got).await.unwrap().is_none(),
                "nor finished after"
            );
            assert!(claim(&db, B, NOW + 15_999).await.is_empty());
            let second = claim(&db, B, NOW + 16_000).await;
            assert_eq!(chats(&second), [7], "any process takes the next turn");
            assert_eq!(second[0].login.interval_secs, 10);
            assert_eq!(second[0].login.next_poll_at, NOW + 16_000);

            assert!(db.finish_login(&second[0]).await.unwrap().is_some());
            assert!(
                db.finish_login(&second[0]).await.unwrap().is_none(),
                "finished once"
            );
            assert!(claim(&db, A, NOW + 100_000).await.is_empty());
            assert_eq!(next_due(&db, NOW + 100_000).await, None);
            db.close().await;
        }
    }

    #[tokio::test]
    async fn a_dead_holders_login_is_taken_over_when_its_lease_runs_out() {
        for (_guard, db) in dbs().await {
            db.start_login(&login(7, "dc", NOW)).await.unwrap();
            let by_a = claim(&db, A, NOW).await;
            assert_eq!(chats(&by_a), [7]);
            // A hangs (or died); its lease runs to NOW + LEASE.
            assert!(claim(&db, B, NOW + LEASE - 1).await.is_empty());
            let by_b = claim(&db, B, NOW + LEASE + 1).await;
            assert_eq!(chats(&by_b), [7], "taken over");
            assert_eq!(by_b[0].login.device_code.expose_secret(), "dc");
            // A wakes up with an answer: it is no longer A's to act on.
            assert!(
                !db.reschedule_login(&by_a[0], NOW + 99_000, 5)
                    .await
                    .unwrap()
            );
            assert!(db.finish_login(&by_a[0]).await.unwrap().is_none());
            assert!(db.finish_login(&by_b[0]).await.unwrap().is_some());
            db.close().await;
        }
    }

    #[tokio::test]
    async fn a_stopping_process_gives_its_logins_up_at_once() {
        for (_guard, db) in dbs().await {
            db.start_login(&login(7, "dc7", NOW)).await.unwrap();
            db.start_login(&login(8, "dc8", NOW)).await.unwrap();
            let by_a = db.claim_logins(A, NOW, NOW + LEASE, 1).await.unwrap();
            assert_eq!(chats(&by_a), [7], "at most the limit");
            let by_b = claim(&db, B, NOW).await;
            assert_eq!(chats(&by_b), [8]);
            db.release(Leased::Logins, A).await.unwrap();
            assert_eq!(chats(&claim(&db, B, NOW + 1).await), [7], "A's, at once");
            assert!(
                db.reschedule_login(&by_b[0], NOW + 5_000, 5).await.unwrap(),
                "B's own lease is untouched"
            );
            db.close().await;
        }
    }

    #[tokio::test]
    async fn a_new_login_or_a_cancel_takes_the_chats_login_from_its_holder() {
        for (_guard, db) in dbs().await {
            db.start_login(&login(7, "first", NOW)).await.unwrap();
            let old = claim(&db, A, NOW).await;
            // A second /login while A polls the first: the first is gone.
            let mut second = login(7, "second", NOW + 1_000);
            second.group_id = Some(-100_0001);
            db.start_login(&second).await.unwrap();
            assert!(!db.reschedule_login(&old[0], NOW + 5_000, 5).await.unwrap());
            assert!(db.finish_login(&old[0]).await.unwrap().is_none());
            let new = claim(&db, A, NOW + 1_000).await;
            assert_eq!(chats(&new), [7], "one login per chat");
            assert_eq!(new[0].login.device_code.expose_secret(), "second");
            assert_eq!(new[0].login.group_id, Some(-100_0001));

            assert!(db.cancel_login(7).await.unwrap());
            assert!(!db.cancel_login(7).await.unwrap());
            assert!(
                db.finish_login(&new[0]).await.unwrap().is_none(),
                "cancelled first"
            );
            assert!(claim(&db, B, NOW + 100_000).await.is_empty());
            db.close().await;
        }
    }

    #[tokio::test]
    async fn the_device_code_is_sealed_and_bound_to_its_chat() {
        for (_guard, db) in dbs().await {
            db.start_login(&login(7, "dc-CANARY-7", NOW)).await.unwrap();
            let stored: Vec<String> =
                fetch_all!(db, sqlx::query_scalar("SELECT device_code FROM logins"));
            assert!(
                Cipher::is_sealed(&stored[0]) && !stored[0].contains("CANARY"),
                "{}",
                stored[0]
            );
            // The sealed code copied into another chat's login does not open there: that login
            // is dropped, the original still works.
            exec!(
                db,
                sqlx::query(
                    "INSERT INTO logins (chat_id, starter, device_code, interval_secs,
                                         next_poll_at, expires_at)
                     SELECT 8, starter, device_code, interval_secs, next_poll_at, expires_at
                     FROM logins WHERE chat_id = 7"
                )
            );
            let claimed = claim(&db, A, NOW).await;
            assert_eq!(chats(&claimed), [7]);
            assert_eq!(claimed[0].login.device_code.expose_secret(), "dc-CANARY-7");
            let left: Vec<i64> = fetch_all!(
                db,
                sqlx::query_scalar("SELECT chat_id FROM logins ORDER BY chat_id")
            );
            assert_eq!(left, [7], "the moved one is gone");
            db.close().await;
        }
    }

    /// Two processes claim at the same moment, again and again: every due login goes to exactly
    /// one of them.
    #[tokio::test]
    async fn two_claimers_at_once_never_get_the_same_login() {
        for (_guard, db) in dbs().await {
            let n = 40_i64;
            for round in 0..5_i64 {
                let now = NOW + round * 100_000;
                for chat in 1..=n {
                    db.start_login(&login(chat, &format!("dc{chat}"), now))
                        .await
                        .unwrap();
                }
                // Small pages, so that both come back for more while the other claims.
                let claimer = |taker: i64| {
                    let db = db.clone();
                    tokio::spawn(async move {
                        let mut mine = Vec::new();
                        loop {
                            let page = db.claim_logins(taker, now, now + LEASE, 3).await.unwrap();
                            if page.is_empty() {
                                return mine;
                            }
                            mine.extend(page.into_iter().map(|c| c.login.chat_id));
                        }
                    })
                };
                let (a, b) = tokio::join!(claimer(A), claimer(B));
                let (a, b) = (a.unwrap(), b.unwrap());
                let a_set: BTreeSet<i64> = a.iter().copied().collect();
                let b_set: BTreeSet<i64> = b.iter().copied().collect();
                assert_eq!(a_set.len(), a.len(), "A got none twice");
                assert_eq!(b_set.len(), b.len(), "B got none twice");
                assert!(
                    a_set.is_disjoint(&b_set),
                    "claimed by both: {:?}",
                    a_set.intersection(&b_set).collect::<Vec<_>>()
                );
                assert_eq!(a.len() + b.len(), n as usize, "every login claimed");
                for chat in 1..=n {
                    db.cancel_login(chat).await.unwrap();
                }
            }
            db.close().await;
        }
    }
}
