//! Flood limits kept for every process on the database (table `flood_limits`): one token bucket
//! per scope, the bot as a whole (`OVERALL_SCOPE`) or one chat (its id), with a pause a 429 set.
//! Also the bucket maths itself (`Bucket`), which the limiter kept in one process's memory uses
//! too, so the two never count differently. The rates are the caller's: this file knows buckets,
//! not which chat gets which.
//!
//! Times here are unix milliseconds from the callers' clocks, which several processes are
//! assumed to keep in step (NTP). A bucket's time never goes back: a process whose clock is
//! behind the last writer's adds no tokens until its clock catches up, so a skew of a few
//! milliseconds costs at most a few milliseconds of waiting, never a message too many.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Backend, Db, Result, transaction, writing};

/// The scope of the limits that hold for the bot as a whole (no chat has id 0).
pub const OVERALL_SCOPE: i64 = 0;

/// How long a chat's bucket is kept untouched (`Db::prune` removes it then): any is full again
/// within seconds, and a missing one is made full.
pub(super) const BUCKETS_KEPT_SECS: i64 = 3600;

/// Now, in unix milliseconds: the times `reserve_message` and `pause_scope` take.
pub fn unix_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A limit: `burst` messages at once, then `per_sec` a second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_sec: f64,
    pub burst: f64,
}

/// The chat a message goes to, as a scope of the limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChatScope {
    /// The chat's id (never `OVERALL_SCOPE`).
    pub id: i64,
    pub rate: Rate,
    /// Whether the message counts in the chat: a new message does; an edit only waits out a
    /// pause on it.
    pub counts: bool,
}

/// A token bucket with a pause. Taking may bring the level below zero: the taker then waits
/// until its token will have come, so concurrent takers queue fairly and nothing is held while
/// they wait. A paused scope's messages queue from the end of the pause.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Messages that may go at once as of `at_ms`; below zero, how many are owed.
    pub level: f64,
    /// When `level` holds (unix ms, or any one clock's ms); later than now when a message was
    /// taken for a later time.
    pub at_ms: i64,
    /// Nothing goes in this scope before this (same clock).
    pub paused_until: i64,
}

impl Bucket {
    pub fn full(rate: Rate, now_ms: i64) -> Self {
        Self {
            level: rate.burst,
            at_ms: now_ms,
            paused_until: 0,
        }
    }

    /// Brings the level up to date as of `at_ms`; never back in time.
    fn refill(&mut self, rate: Rate, at_ms: i64) {
        if at_ms > self.at_ms {
            let elapsed = (at_ms - self.at_ms) as f64 / 1000.0;
            self.level = (self.level + elapsed * rate.per_sec).min(rate.burst);
            self.at_ms = at_ms;
        }
    }

    /// Takes one message that may not go before `not_before_ms` (nor before a pause ends) when
    /// it `counts` here; one that does not only waits out a pause. Returns how long from `now_ms`
    /// it must wait. A message counted here is counted for when it will go: not before the time
    /// the level holds for, so it queues behind those taken earlier (and a clock behind the last
    /// writer's adds no token).
    pub fn take(&mut self, rate: Rate, now_ms: i64, not_before_ms: i64, counts: bool) -> Duration {
        let mut from = now_ms.max(not_before_ms).max(self.paused_until);
        let mut owed = 0.0;
        if counts {
            from = from.max(self.at_ms);
            self.refill(rate, from);
            self.level -= 1.0;
            owed = (-self.level / rate.per_sec).max(0.0);
        }
        Duration::from_millis((from - now_ms) as u64) + Duration::from_secs_f64(owed)
    }

    /// Holds the scope's messages until `until_ms`, unless a longer pause is set already.
    pub fn pause(&mut self, until_ms: i64) {
        self.paused_until = self.paused_until.max(until_ms);
    }

    /// Whether the bucket is as good as new at `now_ms`: full and not paused.
    pub fn is_idle(&self, rate: Rate, now_ms: i64) -> bool {
        let mut refilled = *self;
        refilled.refill(rate, now_ms);
        refilled.level >= rate.burst && self.at_ms <= now_ms && self.paused_until <= now_ms
    }
}

/// Reserves one message in the bot's bucket (`overall`) and, when it goes to a chat, in the
/// chat's: how long it must wait.
///
/// The bot's token is taken now; the chat's for when the bot's turn comes, which is when the
/// message goes unless the chat's own limit holds it longer. So a chat's messages keep to its
/// limit when they leave, however long the bot's queue held each of them up. (The other way
/// round, the bot's bucket would run ahead to one chat's turn and hold every other chat back.)
pub fn reserve(
    overall: (&mut Bucket, Rate),
    chat: Option<(&mut Bucket, ChatScope)>,
    now_ms: i64,
) -> Duration {
    let (bucket, rate) = overall;
    let wait = bucket.take(rate, now_ms, now_ms, true);
    let Some((bucket, scope)) = chat else {
        return wait;
    };
    let turn = now_ms + wait.as_nanos().div_ceil(1_000_000) as i64;
    wait.max(bucket.take(scope.rate, now_ms, turn, scope.counts))
}

/// Locks the bot's row (made full if missing) and reads it.
const LOCK_OVERALL: &str = "INSERT INTO flood_limits (scope, level, refilled_ms, paused_until)
     VALUES ($1, $2, $3, 0)
     ON CONFLICT (scope) DO UPDATE SET paused_until = flood_limits.paused_until
     RETURNING scope, level, refilled_ms, paused_until";

/// Locks the bot's row, then the chat's (each made full if missing), and reads them.
const LOCK_OVERALL_AND_CHAT: &str =
    "INSERT INTO flood_limits (scope, level, refilled_ms, paused_until)
     VALUES ($1, $2, $3, 0), ($4, $5, $3, 0)
     ON CONFLICT (scope) DO UPDATE SET paused_until = flood_limits.paused_until
     RETURNING scope, level, refilled_ms, paused_until";

/// A row as read: `level` is NULL in a row a pause made (a full bucket).
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

    /// Reserves one message at `now_ms` for every process on this database: in the bot's bucket
    /// (`overall`) and, when it goes to a chat, in the chat's (see `reserve`). Returns how long
    /// the caller must wait before sending it.
    ///
    /// Safe with many processes calling at once: it is one transaction that first locks the
    /// rows it reads (`INSERT … ON CONFLICT DO UPDATE` makes a missing row and locks an existing
    /// one, as of its latest committed version, whatever the snapshot), computes, writes them
    /// back and commits. A second caller's lock waits for the first one's commit and then reads
    /// what it wrote, so no token is handed out twice. Every caller locks the bot's row first
    /// and a chat's second, so two callers never wait for each other in a cycle. (SQLite takes
    /// its one write lock at `BEGIN`.) On PostgreSQL the table is UNLOGGED: a commit that wrote
    /// only these rows does not wait for the disk, and a crash merely forgets the buckets.
    pub async fn reserve_message(
        &self,
        overall: Rate,
        chat: Option<ChatScope>,
        now_ms: i64,
    ) -> Result<Duration> {
        let chat = chat.filter(|c| c.id != OVERALL_SCOPE);
        transaction!(self, tx => {
            let rows: Vec<Row> = match chat {
                None => sqlx::query_as(LOCK_OVERALL)
                    .bind(OVERALL_SCOPE)
                    .bind(overall.burst)
                    .bind(now_ms)
                    .fetch_all(&mut *tx)
                    .await?,
                Some(c) => sqlx::query_as(LOCK_OVERALL_AND_CHAT)
                    .bind(OVERALL_SCOPE)
                    .bind(overall.burst)
                    .bind(now_ms)
                    .bind(c.id)
                    .bind(c.rate.burst)
                    .fetch_all(&mut *tx)
                    .await?,
            };
            let mut bot = bucket_of(&rows, OVERALL_SCOPE, overall, now_ms);
            let mut in_chat = chat.map(|c| (bucket_of(&rows, c.id, c.rate, now_ms), c));
            let wait = reserve(
                (&mut bot, overall),
                in_chat.as_mut().map(|(b, c)| (b, *c)),
                now_ms,
            );
            // Without a chat, the chat's values are the bot's: the same row twice.
            let (chat_id, chat_bucket) = in_chat.map_or((OVERALL_SCOPE, bot), |(b, c)| (c.id, b));
            sqlx::query(
                "UPDATE flood_limits
                 SET level = CASE WHEN scope = $1 THEN $2 ELSE $3 END,
                     refilled_ms = CASE WHEN scope = $1 THEN $4 ELSE $5 END
                 WHERE scope IN ($1, $6)",
            )
            .bind(OVERALL_SCOPE)
            .bind(bot.level)
            .bind(chat_bucket.level)
            .bind(bot.at_ms)
            .bind(chat_bucket.at_ms)
            .bind(chat_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(wait)
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

    /// A fixed "now", well after the epoch.
    const NOW: i64 = 1_800_000_000_000;
    /// Rates for the tests (the bot's own are the outbox's).
    const BOT: Rate = Rate {
        per_sec: 30.0,
        burst: 30.0,
    };
    const ONE_A_SECOND: Rate = Rate {
        per_sec: 1.0,
        burst: 3.0,
    };
    const TWENTY_A_MINUTE: Rate = Rate {
        per_sec: 20.0 / 60.0,
        burst: 3.0,
    };

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

    #[test]
    fn a_bucket_bursts_then_spreads_and_refills() {
        let mut b = Bucket::full(ONE_A_SECOND, NOW);
        let waits: Vec<Duration> = (0..5)
            .map(|_| b.take(ONE_A_SECOND, NOW, NOW, true))
            .collect();
        assert_eq!(waits, [ms(0), ms(0), ms(0), ms(1000), ms(2000)]);
        assert!(!b.is_idle(ONE_A_SECOND, NOW + 4000));
        assert!(b.is_idle(ONE_A_SECOND, NOW + 5000), "full again: {b:?}");
        // An edit waits for nothing but a pause, and takes nothing.
        assert_eq!(b.take(ONE_A_SECOND, NOW, NOW, false), ms(0));
        assert_eq!(b.level, -2.0);
        // A message that cannot go for 1.5 s anyway (the bot's queue) is counted for then: in
        // the chat it goes a second after the one before, and the next one a second later.
        assert_eq!(b.take(ONE_A_SECOND, NOW, NOW + 1500, true), ms(3000));
        assert_eq!((b.level, b.at_ms), (-1.5, NOW + 1500));
        assert_eq!(b.take(ONE_A_SECOND, NOW, NOW, true), ms(4000));
    }

    #[test]
    fn a_paused_bucket_queues_from_the_end_of_the_pause() {
        let mut b = Bucket::full(ONE_A_SECOND, NOW);
        b.pause(NOW + 2000);
        b.pause(NOW + 1000);
        assert_eq!(b.paused_until, NOW + 2000, "never shortened");
        assert_eq!(b.take(ONE_A_SECOND, NOW, NOW, false), ms(2000));
        let waits: Vec<Duration> = (0..4)
            .map(|_| b.take(ONE_A_SECOND, NOW, NOW, true))
            .collect();
        assert_eq!(waits, [ms(2000), ms(2000), ms(2000), ms(3000)]);
        assert!(!b.is_idle(ONE_A_SECOND, NOW + 1000));
    }

    #[test]
    fn a_clock_behind_the_last_writers_adds_nothing() {
        let mut b = Bucket::full(ONE_A_SECOND, NOW);
        for _ in 0..3 {
            b.take(ONE_A_SECOND, NOW, NOW, true);
        }
        // Another process, 50 ms behind: its token comes a second after the first one's now.
        assert_eq!(b.take(ONE_A_SECOND, NOW - 50, NOW - 50, true), ms(1050));
        assert_eq!(b.at_ms, NOW);
        // The first again, half a second later.
        assert_eq!(b.take(ONE_A_SECOND, NOW + 500, NOW + 500, true), ms(1500));
    }

    #[tokio::test]
    async fn reserving_bursts_then_spreads_per_chat_and_overall() {
        for (_guard, db) in dbs().await {
            let private = chat(7, ONE_A_SECOND);
            let mut waits = Vec::new();
            for _ in 0..5 {
                waits.push(db.reserve_message(BOT, private, NOW).await.unwrap());
            }
            assert_eq!(waits, [ms(0), ms(0), ms(0), ms(1000), ms(2000)]);
            // Another chat is not held up by the first one.
            assert_eq!(
                db.reserve_message(BOT, chat(8, ONE_A_SECOND), NOW)
                    .await
                    .unwrap(),
                ms(0)
            );
            // A group: its fourth waits three seconds.
            let group = chat(-100_123, TWENTY_A_MINUTE);
            let mut waits = Vec::new();
            for _ in 0..4 {
                waits.push(db.reserve_message(BOT, group, NOW).await.unwrap());
            }
            assert_eq!(waits[3], ms(3000));
            // After a quiet while the chat may burst again.
            assert_eq!(
                db.reserve_message(BOT, private, NOW + 10_000)
                    .await
                    .unwrap(),
                ms(0)
            );
            // The bot as a whole, full again: 30 at once, then one each 1/30 s.
            let later = NOW + 20_000;
            for i in 0..30 {
                assert_eq!(
                    db.reserve_message(BOT, chat(1000 + i, ONE_A_SECOND), later)
                        .await
                        .unwrap(),
                    ms(0)
                );
            }
            let over = db.reserve_message(BOT, None, later).await.unwrap();
            assert!(over > ms(0) && over <= ms(34), "{over:?}");
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
                db.reserve_message(BOT, ann, NOW).await.unwrap(),
                ms(2000),
                "the longer pause stays"
            );
            // An edit in Ann's chat waits the pause out too, and takes nothing from her bucket.
            let edit = Some(ChatScope {
                counts: false,
                ..ann.unwrap()
            });
            assert_eq!(db.reserve_message(BOT, edit, NOW).await.unwrap(), ms(2000));
            assert_eq!(
                db.reserve_message(BOT, chat(6, ONE_A_SECOND), NOW)
                    .await
                    .unwrap(),
                ms(0),
                "another chat goes at once"
            );
            // Telegram asks again, for longer. Ann's bucket fills meanwhile: at the pause's end
            // three go at once (her burst), the fourth a second later.
            db.pause_scope(5, NOW + 3000).await.unwrap();
            let mut waits = Vec::new();
            for _ in 0..4 {
                waits.push(db.reserve_message(BOT, ann, NOW).await.unwrap());
            }
            assert_eq!(waits, [ms(3000), ms(3000), ms(3000), ms(4000)]);
            assert_eq!(
                db.reserve_message(BOT, ann, NOW + 10_000).await.unwrap(),
                ms(0),
                "over"
            );

            // A pause on the bot holds every chat.
            db.pause_scope(OVERALL_SCOPE, NOW + 20_500).await.unwrap();
            assert_eq!(
                db.reserve_message(BOT, chat(9, ONE_A_SECOND), NOW + 20_000)
                    .await
                    .unwrap(),
                ms(500)
            );
            assert_eq!(
                db.reserve_message(BOT, None, NOW + 20_000).await.unwrap(),
                ms(500)
            );
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
            db.reserve_message(BOT, chat(1, ONE_A_SECOND), NOW - hour - 1)
                .await
                .unwrap();
            db.reserve_message(BOT, chat(2, ONE_A_SECOND), NOW - hour + 1000)
                .await
                .unwrap();
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
    /// second, each at a time of its own; likewise the bot's 30 of 60 in as many chats.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_reservers_never_exceed_the_burst() {
        for (_guard, db) in dbs().await {
            let tasks: Vec<_> = (0..40)
                .map(|_| {
                    let db = db.clone();
                    tokio::spawn(async move {
                        db.reserve_message(BOT, chat(77, ONE_A_SECOND), NOW).await
                    })
                })
                .collect();
            let mut waits: Vec<Duration> = Vec::new();
            for t in tasks {
                waits.push(t.await.unwrap().unwrap());
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
                    tokio::spawn(async move {
                        db.reserve_message(BOT, chat(2000 + i, ONE_A_SECOND), later)
                            .await
                    })
                })
                .collect();
            let mut waits: Vec<Duration> = Vec::new();
            for t in tasks {
                waits.push(t.await.unwrap().unwrap());
            }
            waits.sort();
            assert_eq!(
                waits.iter().filter(|w| w.is_zero()).count(),
                30,
                "the bot's burst, once: {waits:?}"
            );
            for (n, pair) in waits[29..].windows(2).enumerate() {
                let gap = pair[1] - pair[0];
                assert!(
                    gap >= ms(33) && gap <= ms(34),
                    "the {}th after the burst came {gap:?} after the one before",
                    n + 1
                );
            }
            db.close().await;
        }
    }
}
