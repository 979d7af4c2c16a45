//! Removing what is no longer needed: abandoned dialogues, spent /connect codes, cohosts beyond
//! what each chat keeps, and meetings older than the history kept.

use super::limits::{BUCKETS_KEPT_SECS, OVERALL_SCOPE};
use super::web_calls::WINDOWS_KEPT_SECS;
use super::{Db, Result, transaction};

/// What `Db::prune` keeps. Dialogues and /connect codes are kept for a day (`PRUNE_AFTER_SECS`)
/// whatever this says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// Meetings are kept this many days after they were created (`HISTORY_DAYS`).
    pub history_days: u32,
    /// How many remembered cohosts each chat keeps: its most recently used ones.
    pub keep_cohosts: u32,
}

/// What one `Db::prune` removed, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub dialogues: u64,
    pub connect_codes: u64,
    pub cohosts: u64,
    pub meetings: u64,
    /// Webhook updates handled over a day ago (see `inbox`).
    pub updates: u64,
    /// Chats' flood-limit buckets untouched for an hour (see `limits`).
    pub flood_buckets: u64,
    /// The planner's call counts of windows over an hour old (see `web_calls`).
    pub web_calls: u64,
    /// Votes closed longer ago than the history kept, with their choices (see `votes`).
    pub votes: u64,
}

impl Pruned {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A dialogue untouched this long is abandoned, and a /connect code expired or used this long ago
/// is of no use: `prune` removes them. A day, in seconds.
pub const PRUNE_AFTER_SECS: i64 = 24 * 3600;

impl Db {
    /// Removes what is no longer needed as of `now` (unix seconds): dialogues untouched for over
    /// a day (finished ones are deleted when they end, so these were abandoned), /connect codes
    /// expired or used over a day ago, each chat's remembered cohosts beyond its
    /// `keep_cohosts` most recently used, meetings created over `history_days` days ago, and
    /// webhook updates handled over a day ago, and chats' flood-limit buckets untouched for an
    /// hour, and the planner's call counts of windows over an hour old, and votes closed before
    /// the history kept. One transaction: all or
    /// nothing.
    pub async fn prune(&self, now: i64, policy: &Retention) -> Result<Pruned> {
        let stale = now - PRUNE_AFTER_SECS;
        let history_from = now - i64::from(policy.history_days) * 24 * 3600;
        transaction!(self, tx => {
            let dialogues = sqlx::query("DELETE FROM dialogues WHERE updated_at < $1")
                .bind(stale)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let connect_codes =
                sqlx::query("DELETE FROM connect_codes WHERE expires_at < $1 OR used_at < $2")
                    .bind(stale)
                    .bind(stale)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            // Ranked in the order `recent_cohosts` shows them, so what goes is never what is shown.
            let cohosts = sqlx::query(
                "DELETE FROM chat_cohosts WHERE id IN (
                     SELECT id FROM (
                         SELECT id, ROW_NUMBER() OVER (
                             PARTITION BY chat_id ORDER BY last_used DESC, id DESC
                         ) AS recency
                         FROM chat_cohosts
                     ) AS ranked WHERE recency > $1
                 )",
            )
            .bind(i64::from(policy.keep_cohosts))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let meetings = sqlx::query("DELETE FROM meetings WHERE created_at < $1")
                .bind(history_from)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            // Kept a day after handling, so a resend of the same update is still known.
            let updates = sqlx::query("DELETE FROM inbox WHERE handled_at < $1")
                .bind(stale)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            // Full again long since, so as good as none; a reservation that locked one first
            // refilled it, and it stays.
            let flood_buckets = sqlx::query(
                "DELETE FROM flood_limits
                 WHERE scope <> $1 AND refilled_ms < $2 AND paused_until < $2",
            )
            .bind(OVERALL_SCOPE)
            .bind((now - BUCKETS_KEPT_SECS) * 1000)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let web_calls = sqlx::query("DELETE FROM web_calls WHERE window_start < $1")
                .bind(now - WINDOWS_KEPT_SECS)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let votes = sqlx::query(
                "DELETE FROM votes WHERE state NOT IN ('open', 'closing') AND next_at = $2
                 AND close_at < $1",
            )
            .bind(history_from)
            .bind(super::votes::NEVER)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(Pruned {
                dialogues,
                connect_codes,
                cohosts,
                meetings,
                updates,
                flood_buckets,
                web_calls,
                votes,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Pruned, Retention};
    use crate::storage::testing::{self, dbs};
    use crate::storage::{Db, MeetingRecord, Redeemed};

    const HOUR: i64 = 3600;
    const DAY: i64 = 24 * HOUR;
    /// A fixed "now" for pruning, well after the epoch.
    const NOW: i64 = 1_800_000_000;

    fn retention(history_days: u32, keep_cohosts: u32) -> Retention {
        Retention {
            history_days,
            keep_cohosts,
        }
    }

    /// Runs `sql` with `binds` (integers), on either backend.
    async fn exec(db: &Db, sql: &'static str, binds: &[i64]) {
        testing::exec!(db, {
            let mut q = sqlx::query(sql);
            for b in binds {
                q = q.bind(*b);
            }
            q
        });
    }

    async fn dialogue_keys(db: &Db) -> Vec<(i64, i64)> {
        testing::fetch_all!(
            db,
            sqlx::query_as("SELECT chat_id, user_id FROM dialogues ORDER BY chat_id, user_id")
        )
    }

    #[tokio::test]
    async fn prune_removes_dialogues_untouched_for_over_a_day() {
        for (_guard, db) in dbs().await {
            assert_eq!(
                db.prune(NOW, &retention(365, 6)).await.unwrap(),
                Pruned::default(),
                "an empty database"
            );
            for (chat, user, age) in [
                (1, 1, DAY + 1),
                (1, 2, 23 * HOUR),
                (1, 3, DAY),
                (2, 1, 0),
                (2, 2, 3 * DAY),
            ] {
                exec(
                    &db,
                    "INSERT INTO dialogues (chat_id, user_id, state, message_id, updated_at)
                     VALUES ($1, $2, '{}', 7, $3)",
                    &[chat, user, NOW - age],
                )
                .await;
            }
            let pruned = db.prune(NOW, &retention(365, 6)).await.unwrap();
            assert_eq!(
                pruned,
                Pruned {
                    dialogues: 2,
                    ..Pruned::default()
                }
            );
            assert_eq!(dialogue_keys(&db).await, [(1, 2), (1, 3), (2, 1)]);
            assert_eq!(
                db.load_dialogue(1, 2)
                    .await
                    .unwrap()
                    .map(|(s, _)| s)
                    .as_deref(),
                Some("{}")
            );

            // An hour later the one a day old then goes; the one 23 hours old then is a day old
            // now, not over, and stays.
            let pruned = db.prune(NOW + HOUR, &retention(365, 6)).await.unwrap();
            assert_eq!(pruned.dialogues, 1);
            assert_eq!(dialogue_keys(&db).await, [(1, 2), (2, 1)]);
            assert!(
                db.prune(NOW + HOUR, &retention(365, 6))
                    .await
                    .unwrap()
                    .is_empty()
            );
            db.close().await;
        }
    }

    #[tokio::test]
    async fn prune_removes_connect_codes_a_day_after_they_expired_or_were_used() {
        for (_guard, db) in dbs().await {
            for (code, expires_at) in [
                ("expired-long-ago", NOW - DAY - 1),
                ("expired-an-hour-ago", NOW - HOUR),
                ("live", NOW + 600),
                ("used-long-ago", NOW - 23 * HOUR),
                ("used-an-hour-ago", NOW - HOUR + 600),
            ] {
                db.save_connect_code(code, -100, 7, expires_at)
                    .await
                    .unwrap();
            }
            for (code, at) in [
                ("used-long-ago", NOW - DAY - 1),
                ("used-an-hour-ago", NOW - HOUR),
            ] {
                assert_eq!(
                    db.redeem_connect_code(code, 7, at).await.unwrap(),
                    Redeemed::Group(-100)
                );
            }
            let pruned = db.prune(NOW, &retention(365, 6)).await.unwrap();
            assert_eq!(
                pruned,
                Pruned {
                    connect_codes: 2,
                    ..Pruned::default()
                }
            );
            let left: Vec<String> = testing::fetch_all!(
                db,
                sqlx::query_scalar("SELECT code FROM connect_codes ORDER BY code")
            );
            assert_eq!(left, ["expired-an-hour-ago", "live", "used-an-hour-ago"]);
            assert_eq!(
                db.redeem_connect_code("live", 7, NOW).await.unwrap(),
                Redeemed::Group(-100),
                "a live code still works"
            );
            assert_eq!(
                db.redeem_connect_code("expired-an-hour-ago", 7, NOW)
                    .await
                    .unwrap(),
                Redeemed::Expired
            );
            db.close().await;
        }
    }

    #[tokio::test]
    async fn prune_keeps_each_chats_most_recently_used_cohosts() {
        for (_guard, db) in dbs().await {
            // Chat 1: five used long ago, each at its own time, then four used together now (a
            // tie, which `recent_cohosts` breaks by id).
            for (i, at) in [(1, 100), (2, 500), (3, 300), (4, 400), (5, 200)] {
                exec(
                    &db,
                    "INSERT INTO chat_cohosts (chat_id, email, last_used) VALUES (1, 'old' || $1 || '@x.ru', $2)",
                    &[i, at],
                )
                .await;
            }
            db.remember_cohosts(1, &["a@x.ru", "b@x.ru", "c@x.ru", "d@x.ru"])
                .await
                .unwrap();
            // Chat 2: three, each older than all of chat 1's.
            for (i, at) in [(1, 10), (2, 30), (3, 20)] {
                exec(
                    &db,
                    "INSERT INTO chat_cohosts (chat_id, email, last_used) VALUES (2, 'two' || $1 || '@x.ru', $2)",
                    &[i, at],
                )
                .await;
            }
            let shown_before = db.recent_cohosts(1, 6).await.unwrap();
            let chat2_before = db.recent_cohosts(2, 100).await.unwrap();

            let pruned = db.prune(NOW, &retention(365, 6)).await.unwrap();
            assert_eq!(
                pruned,
                Pruned {
                    cohosts: 3,
                    ..Pruned::default()
                }
            );
            let kept = db.recent_cohosts(1, 100).await.unwrap();
            assert_eq!(
                kept, shown_before,
                "exactly what the cohosts step shows stays"
            );
            let emails: Vec<&str> = kept.iter().map(|(_, e)| e.as_str()).collect();
            assert_eq!(
                emails,
                [
                    "d@x.ru",
                    "c@x.ru",
                    "b@x.ru",
                    "a@x.ru",
                    "old2@x.ru",
                    "old4@x.ru"
                ]
            );
            assert_eq!(
                db.recent_cohosts(2, 100).await.unwrap(),
                chat2_before,
                "another chat's are untouched"
            );
            assert_eq!(chat2_before.len(), 3);
            assert!(db.prune(NOW, &retention(365, 6)).await.unwrap().is_empty());
            db.close().await;
        }
    }

    #[tokio::test]
    async fn prune_forgets_meetings_older_than_history_days() {
        for (_guard, db) in dbs().await {
            let meeting = |chat_id: i64, conference: &str| MeetingRecord {
                chat_id,
                user_id: Some(7),
                user_name: None,
                token_owner: Some(chat_id),
                created_at: 0,
                conference_id: conference.into(),
                join_url: format!("https://j/{conference}"),
                watch_url: None,
                options: "{}".into(),
                topic: None,
            };
            for (chat, conference, age) in [
                (5, "31-days", 31 * DAY),
                (5, "30-days-and-a-second", 30 * DAY + 1),
                (5, "30-days", 30 * DAY),
                (5, "today", 0),
                (6, "400-days", 400 * DAY),
                (6, "yesterday", DAY),
            ] {
                db.record_meeting(&meeting(chat, conference)).await.unwrap();
                testing::exec!(
                    db,
                    sqlx::query("UPDATE meetings SET created_at = $1 WHERE conference_id = $2")
                        .bind(NOW - age)
                        .bind(conference)
                );
            }
            let pruned = db.prune(NOW, &retention(30, 6)).await.unwrap();
            assert_eq!(
                pruned,
                Pruned {
                    meetings: 3,
                    ..Pruned::default()
                }
            );
            let ids = |ms: Vec<MeetingRecord>| -> Vec<String> {
                ms.into_iter().map(|m| m.conference_id).collect()
            };
            assert_eq!(
                ids(db.recent_meetings(5, 10).await.unwrap()),
                ["today", "30-days"]
            );
            assert_eq!(ids(db.recent_meetings(6, 10).await.unwrap()), ["yesterday"]);
            assert_eq!(db.meeting_in(5, "31-days").await.unwrap(), None);

            // A longer history keeps what is left; a shorter one forgets more.
            assert!(db.prune(NOW, &retention(365, 6)).await.unwrap().is_empty());
            assert_eq!(db.prune(NOW, &retention(1, 6)).await.unwrap().meetings, 1);
            assert_eq!(ids(db.recent_meetings(5, 10).await.unwrap()), ["today"]);
            assert_eq!(ids(db.recent_meetings(6, 10).await.unwrap()), ["yesterday"]);
            db.close().await;
        }
    }

    /// Work that one process at a time should do (pruning): skipped by a process that finds
    /// another at it (PostgreSQL), always done on SQLite's one process.
    #[tokio::test]
    async fn work_for_one_process_at_a_time_is_skipped_while_another_is_at_it() {
        const KEY: i64 = 42;
        for (_guard, db) in dbs().await {
            let shared = db.backend_name() == "PostgreSQL";
            let inner = db
                .exclusively(KEY, async { db.if_free(KEY, async { 1 }).await.unwrap() })
                .await
                .unwrap();
            assert_eq!(inner.is_none(), shared, "{}", db.backend_name());
            assert_eq!(
                db.if_free(KEY, async { 2 }).await.unwrap(),
                Some(2),
                "free again"
            );
            db.close().await;
        }
    }
}
