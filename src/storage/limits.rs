//! Flood limits kept for every process on the database: the bot's as a whole, a sliding window
//! over when its messages go (table `flood_sends`), and one token bucket per chat (table
//! `flood_limits`, keyed by the chat's id), each scope with a pause a 429 set (the bot's in the
//! row `OVERALL_SCOPE`). The arithmetic (`Calendar`, `Bucket`, `reserve`) is `crate::flood`'s,
//! which the limiter kept in one process's memory uses too, so the two never count differently.
//! The limits are the caller's: this file knows windows and buckets, not which chat gets which.
//!
//! Times here are unix milliseconds from the callers' clocks, which several processes are
//! assumed to keep in step (NTP). A chat's bucket's time never goes back: a process whose clock
//! is behind the last writer's adds no tokens until its clock catches up. In the bot's window a
//! skew between two processes' clocks moves their messages against each other by as much, as
//! the way to Telegram does: the window's margin (see the outbox's) takes both.

use super::{Backend, Db, Result, transaction, writing};
use crate::flood::{Bucket, Calendar, ChatScope, Rate, Window, reserve};

/// The scope of the limits that hold for the bot as a whole (no chat has id 0).
pub const OVERALL_SCOPE: i64 = 0;

/// How long a chat's bucket is kept untouched (`Db::prune` removes it then): any is full again
/// within seconds, and a missing one is made full.
pub(super) const BUCKETS_KEPT_SECS: i64 = 3600;

/// Locks the bot's row (made if missing) and reads it.
const LOCK_OVERALL: &str = "INSERT INTO flood_limits (scope, level, refilled_ms, paused_until)
     VALUES ($1, NULL, $2, 0)
     ON CONFLICT (scope) DO UPDATE SET paused_until = flood_limits.paused_until
     RETURNING scope, level, refilled_ms, paused_until";

/// Locks the bot's row, then the chat's (each made if missing, the chat's full), and reads them.
const LOCK_OVERALL_AND_CHAT: &str =
    "INSERT INTO flood_limits (scope, level, refilled_ms, paused_until)
     VALUES ($1, NULL, $2, 0), ($3, $4, $2, 0)
     ON CONFLICT (scope) DO UPDATE SET paused_until = flood_limits.paused_until
     RETURNING scope, level, refilled_ms, paused_until";

/// A row as read: `level` is NULL in a row a pause made (a full bucket), and in the bot's row,
/// which holds only its pause.
type Row = (i64, Option<f64>, i64, i64);

fn bucket_of(rows: &[Row], scope: i64, rate: Rate, now_ms: i64) -> Bucket {
    match rows.iter().find(|row| row.0 == scope) {
        Some(&(_, Some(level), at_ms, paused_until)) => Bucket {
            level,
            at_ms,
            paused_until,
        },
        Some(&(_, None, _, paused_until)) => Bucket {
            paused_until,
            ..Bucket::full(rate, now_ms)
        },
        None => Bucket::full(rate, now_ms),
    }
}

impl Db {
    /// Whether other processes may use this database at the same time (PostgreSQL), so that
    /// what holds for the bot as a whole, such as Telegram's flood limits, is to be kept in it.
    pub fn is_shared(&self) -> bool {
        matches!(self.backend(), Backend::Postgres(_))
    }

    /// Reserves one message for every process on this database: in the bot's window
    /// (`overall`) and, when it goes to a chat, in the chat's bucket (see `reserve`). Returns
    /// when it may go, by `clock` (unix ms): read once the rows are locked, so a message is
    /// never placed at a time that passed while it waited for the lock (it would go later than
    /// placed, at once with those placed after it).
    ///
    /// Safe with many processes calling at once: it is one transaction that first locks the
    /// rows it reads (`INSERT … ON CONFLICT DO UPDATE` makes a missing row and locks an existing
    /// one, as of its latest committed version, whatever the snapshot), computes, writes them
    /// back and commits. A second caller's lock waits for the first one's commit and then reads
    /// what it wrote, so no place is handed out twice; the bot's row is the lock on the window's
    /// rows too. Every caller locks the bot's row first and a chat's second, so two callers
    /// never wait for each other in a cycle. (SQLite takes its one write lock at `BEGIN`.) On
    /// PostgreSQL the tables are UNLOGGED: a commit that wrote only these rows does not wait for
    /// the disk, and a crash merely forgets the limits' state.
    pub async fn reserve_message(
        &self,
        overall: Window,
        chat: Option<ChatScope>,
        clock: impl Fn() -> i64 + Send + Sync,
    ) -> Result<i64> {
        let chat = chat.filter(|c| c.id != OVERALL_SCOPE);
        let made_ms = clock();
        transaction!(self, tx => {
            let rows: Vec<Row> = match chat {
                None => sqlx::query_as(LOCK_OVERALL)
                    .bind(OVERALL_SCOPE)
                    .bind(made_ms)
                    .fetch_all(&mut *tx)
                    .await?,
                Some(c) => sqlx::query_as(LOCK_OVERALL_AND_CHAT)
                    .bind(OVERALL_SCOPE)
                    .bind(made_ms)
                    .bind(c.id)
                    .bind(c.rate.burst)
                    .fetch_all(&mut *tx)
                    .await?,
            };
            let now_ms = clock();
            let forgotten = now_ms - overall.per_ms;
            let sends: Vec<i64> = sqlx::query_scalar(
                "SELECT at_ms FROM flood_sends WHERE at_ms > $1 ORDER BY at_ms",
            )
            .bind(forgotten)
            .fetch_all(&mut *tx)
            .await?;
            let paused_until = rows
                .iter()
                .find(|row| row.0 == OVERALL_SCOPE)
                .map_or(0, |row| row.3);
            let mut calendar = Calendar {
                sends,
                paused_until,
            };
            let mut in_chat = chat.map(|c| (bucket_of(&rows, c.id, c.rate, now_ms), c));
            let at = reserve(
                (&mut calendar, overall),
                in_chat.as_mut().map(|(b, c)| (b, *c)),
                now_ms,
            );
            sqlx::query("DELETE FROM flood_sends WHERE at_ms <= $1")
                .bind(forgotten)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO flood_sends (at_ms) VALUES ($1)")
                .bind(at)
                .execute(&mut *tx)
                .await?;
            if let Some((bucket, c)) = in_chat {
                sqlx::query("UPDATE flood_limits SET level = $1, refilled_ms = $2 WHERE scope = $3")
                    .bind(bucket.level)
                    .bind(bucket.at_ms)
                    .bind(c.id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(at)
        })
    }

    /// Pauses `scope` (`OVERALL_SCOPE`, or a chat's id) until `until_ms` for every process on
    /// this database, unless it is paused longer already. One statement: the condition is
    /// checked on the row as it is locked, so of two pauses set at once the longer stays.
    pub async fn pause_scope(&self, scope: i64, until_ms: i64) -> Result<()> {
        writing!(self, c => sqlx::query(
            "INSERT INTO flood_limits (scope, level, refilled_ms, paused_until)
             VALUES ($1, NULL, 0, $2)
             ON CONFLICT (scope) DO UPDATE SET paused_until = excluded.paused_until
             WHERE flood_limits.paused_until < excluded.paused_until",
        )
        .bind(scope)
        .bind(until_ms)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::storage::testing::{dbs, fetch_all};

    use crate::flood::examples::*;

    fn chat(id: i64, rate: Rate) -> Option<ChatScope> {
        Some(ChatScope {
            id,
            rate,
            counts: true,
        })
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// How long a message reserved in `db` at `now` (in `chat`, if given) waits.
    async fn waited(db: &Db, chat: Option<ChatScope>, now: i64) -> Duration {
        let at = db.reserve_message(BOT, chat, || now).await.unwrap();
        ms((at - now) as u64)
    }

    #[tokio::test]
    async fn reserving_bursts_then_spreads_per_chat_and_overall() {
        for (_guard, db) in dbs().await {
            let private = chat(7, ONE_A_SECOND);
            let mut waits = Vec::new();
            for _ in 0..5 {
                waits.push(waited(&db, private, NOW).await);
            }
            assert_eq!(waits, [ms(0), ms(0), ms(0), ms(1000), ms(2000)]);
            // Another chat is not held up by the first one.
            assert_eq!(waited(&db, chat(8, ONE_A_SECOND), NOW).await, ms(0));
            // A group: its fourth waits three seconds.
            let group = chat(-100_123, TWENTY_A_MINUTE);
            let mut waits = Vec::new();
            for _ in 0..4 {
                waits.push(waited(&db, group, NOW).await);
            }
            assert_eq!(waits[3], ms(3000));
            // After a quiet while the chat may burst again.
            assert_eq!(waited(&db, private, NOW + 10_000).await, ms(0));
            // The bot as a whole, its window empty again: 30 at once, the next when they leave
            // the window.
            let later = NOW + 20_000;
            for i in 0..30 {
                assert_eq!(
                    waited(&db, chat(1000 + i, ONE_A_SECOND), later).await,
                    ms(0)
                );
            }
            assert_eq!(waited(&db, None, later).await, ms(1000));
            assert_eq!(waited(&db, None, later + 400).await, ms(600));
            db.close().await;
        }
    }

    /// Forty chats paused until the same moment (Telegram answered each 429): when the pause
    /// ends, 30 go (the bot's window), the others a window later. Meanwhile another chat is
    /// answered at once, not queued behind them.
    #[tokio::test]
    async fn messages_held_back_by_their_chats_count_in_the_window_when_they_go() {
        for (_guard, db) in dbs().await {
            for id in 1..=40 {
                db.pause_scope(id, NOW + 5000).await.unwrap();
            }
            let mut waits = Vec::new();
            for id in 1..=40 {
                waits.push(waited(&db, chat(id, ONE_A_SECOND), NOW).await);
            }
            let expected: Vec<Duration> =
                [ms(5000); 30].into_iter().chain([ms(6000); 10]).collect();
            assert_eq!(waits, expected);
            assert_eq!(waited(&db, chat(41, ONE_A_SECOND), NOW + 10).await, ms(0));
            db.close().await;
        }
    }

    #[tokio::test]
    async fn a_pause_holds_its_scope_only_and_is_never_shortened() {
        for (_guard, db) in dbs().await {
            let ann = chat(5, ONE_A_SECOND);
            db.pause_scope(5, NOW + 2000).await.unwrap();
            db.pause_scope(5, NOW + 1000).await.unwrap();
            assert_eq!(
                waited(&db, ann, NOW).await,
                ms(2000),
                "the longer pause stays"
            );
            // An edit in Ann's chat waits the pause out too, and takes nothing from her bucket.
            let edit = Some(ChatScope {
                counts: false,
                ..ann.unwrap()
            });
            assert_eq!(waited(&db, edit, NOW).await, ms(2000));
            assert_eq!(
                waited(&db, chat(6, ONE_A_SECOND), NOW).await,
                ms(0),
                "another chat goes at once"
            );
            // Telegram asks again, for longer. Ann's bucket fills meanwhile: at the pause's end
            // three go at once (her burst), the fourth a second later.
            db.pause_scope(5, NOW + 3000).await.unwrap();
            let mut waits = Vec::new();
            for _ in 0..4 {
                waits.push(waited(&db, ann, NOW).await);
            }
            assert_eq!(waits, [ms(3000), ms(3000), ms(3000), ms(4000)]);
            assert_eq!(waited(&db, ann, NOW + 10_000).await, ms(0), "over");

            // A pause on the bot holds every chat.
            db.pause_scope(OVERALL_SCOPE, NOW + 20_500).await.unwrap();
            assert_eq!(
                waited(&db, chat(9, ONE_A_SECOND), NOW + 20_000).await,
                ms(500)
            );
            assert_eq!(waited(&db, None, NOW + 20_000).await, ms(500));
            let paused: Vec<(i64, i64)> = fetch_all!(
                db,
                sqlx::query_as("SELECT scope, paused_until FROM flood_limits ORDER BY scope")
            );
            assert_eq!(paused, [(0, NOW + 20_500), (5, NOW + 3000), (6, 0), (9, 0)]);
            db.close().await;
        }
    }

    #[tokio::test]
    async fn prune_forgets_chats_buckets_untouched_for_an_hour() {
        for (_guard, db) in dbs().await {
            let hour = BUCKETS_KEPT_SECS * 1000;
            waited(&db, chat(1, ONE_A_SECOND), NOW - hour - 1).await;
            waited(&db, chat(2, ONE_A_SECOND), NOW - hour + 1000).await;
            db.pause_scope(3, NOW - hour - 5).await.unwrap();
            db.pause_scope(4, NOW + 1000).await.unwrap();
            let keep = crate::storage::Retention {
                history_days: 365,
                keep_cohosts: 6,
            };
            let pruned = db.prune(NOW / 1000, &keep).await.unwrap();
            assert_eq!(pruned.flood_buckets, 2, "{pruned:?}");
            let left: Vec<i64> = fetch_all!(
                db,
                sqlx::query_scalar("SELECT scope FROM flood_limits ORDER BY scope")
            );
            assert_eq!(
                left,
                [OVERALL_SCOPE, 2, 4],
                "the bot's own row always stays"
            );
            db.close().await;
        }
    }

    /// Reservations made at the same moment on many connections (as many processes would make
    /// them): of 40 in one chat, exactly 3 (its burst) go at once and the others queue one a
    /// second, each at a time of its own; of 60 in as many chats, 30 (the bot's window) go at
    /// once and the others a window later.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_reservers_never_exceed_the_burst() {
        for (_guard, db) in dbs().await {
            let tasks: Vec<_> = (0..40)
                .map(|_| {
                    let db = db.clone();
                    tokio::spawn(async move { waited(&db, chat(77, ONE_A_SECOND), NOW).await })
                })
                .collect();
            let mut waits: Vec<Duration> = Vec::new();
            for t in tasks {
                waits.push(t.await.unwrap());
            }
            waits.sort();
            let expected: Vec<Duration> = [0, 0]
                .into_iter()
                .chain((0..38).map(|n| n * 1000))
                .map(ms)
                .collect();
            assert_eq!(waits, expected, "three at once, then one a second");

            let later = NOW + 100_000;
            let tasks: Vec<_> = (0..60)
                .map(|i| {
                    let db = db.clone();
                    tokio::spawn(
                        async move { waited(&db, chat(2000 + i, ONE_A_SECOND), later).await },
                    )
                })
                .collect();
            let mut waits: Vec<Duration> = Vec::new();
            for t in tasks {
                waits.push(t.await.unwrap());
            }
            waits.sort();
            let expected: Vec<Duration> = [ms(0); 30].into_iter().chain([ms(1000); 30]).collect();
            assert_eq!(waits, expected);
            db.close().await;
        }
    }
}
