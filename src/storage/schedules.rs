//! Scheduled meetings (table `schedules`), one row per schedule: a one-off meeting or a
//! recurring one. A row holds the occurrence to come (when it starts and, once created, its
//! meeting) and what the bot does next (`step`, opaque here) at `next_at`; as is the rest of what
//! the bot serialised (who scheduled it, the create-meeting request, the recurrence rule).
//!
//! One process acts on a given schedule at a time, as with logins: it claims the schedules due
//! (`claim_schedules`), which gives it a lease on each (see `leases.rs`, `Leased::Schedules`),
//! and ends its turn by setting the next step (`advance_schedule`, which gives the lease up) or
//! by ending the schedule (`finish_schedule`). A lease is the pair (`taken_by`, `lease_until`) a
//! claim wrote; only its holder may advance or finish the row, so a process whose lease ran out
//! (another took the row over), or whose schedule was cancelled meanwhile, changes nothing.
//!
//! Two clocks: `start_at`, `next_at` and `created_at` are unix seconds of the calendar the bot
//! reads (a clock its tests move); `lease_until` is unix milliseconds of the system clock, since
//! a lease is about a process being alive, not about the calendar.

use super::leases::Leased;
use super::{Db, Result, reading, transaction, writing};

/// A schedule to store.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NewSchedule {
    pub chat_id: i64,
    /// The forum topic it was scheduled in.
    pub thread_id: Option<i64>,
    /// The user who scheduled it.
    pub created_by: i64,
    /// Who scheduled it, as the caller serialised them (opaque here).
    pub creator: String,
    pub topic: Option<String>,
    /// The create-meeting request, as JSON (opaque here).
    pub request: String,
    /// The IANA time zone its times are reckoned in.
    pub zone: String,
    /// The recurrence rule as the caller serialised it; `None`: a one-off meeting.
    pub repeat: Option<String>,
    pub duration_secs: i64,
    /// This occurrence's start (unix seconds).
    pub start_at: i64,
    /// This occurrence's meeting, once created.
    pub conference_id: Option<String>,
    pub join_url: Option<String>,
    /// When the bot acts on it next (unix seconds).
    pub next_at: i64,
    /// What the bot does then (opaque here).
    pub step: String,
    /// Whom its reminders name, as the caller wrote them (opaque here): those who voted for
    /// its time, when a vote chose it.
    pub mentions: Option<String>,
}

/// A stored schedule: what was given, and what storage adds.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Schedule {
    pub id: i64,
    /// What was given when it was added, as the holder's steps have changed it since.
    #[sqlx(flatten)]
    pub plan: NewSchedule,
    /// The process that claimed it last (0: none yet).
    pub taken_by: i64,
    /// Until when that process holds it (unix ms of the system clock); 0 once given up. With
    /// `taken_by`, what tells one claim from any later one.
    pub lease_until: i64,
    /// When it was stored (unix seconds).
    pub created_at: i64,
}

/// What the holder of a claim sets for the next step (and gives the lease up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advance {
    pub start_at: i64,
    pub next_at: i64,
    pub step: String,
    pub conference_id: Option<String>,
    pub join_url: Option<String>,
}

/// The columns of a `Schedule` (a macro, so queries stay `&'static str`).
macro_rules! schedule_columns {
    () => {
        "id, chat_id, thread_id, created_by, creator, topic, request, zone, repeat, \
         duration_secs, start_at, conference_id, join_url, next_at, step, mentions, taken_by, \
         lease_until, created_at"
    };
}
pub(super) use schedule_columns;

/// How many schedules a chat has.
const COUNT_OF_CHAT: &str = "SELECT COUNT(*) FROM schedules WHERE chat_id = $1";

/// The `meta` key of the row that adding a schedule to `chat_id` takes turns on (see
/// `add_schedule`).
pub(super) fn adding_key(chat_id: i64) -> String {
    format!("schedules/{chat_id}")
}

impl Db {
    /// Stores a new schedule unless the chat already has `limit` of them: its id, or `None` when
    /// at the limit. `created_at` is unix seconds.
    ///
    /// The count and the insert are one transaction that first upserts the chat's row in `meta`
    /// (`schedules/<chat>`): on PostgreSQL a second add for the same chat waits there until the
    /// first commits, and its count (a later statement, so a later snapshot) sees the first's
    /// row, so two adds at once cannot pass the limit; on SQLite the transaction holds the write
    /// lock from its `BEGIN`.
    pub async fn add_schedule(
        &self,
        s: &NewSchedule,
        limit: u32,
        created_at: i64,
    ) -> Result<Option<i64>> {
        transaction!(self, tx => {
            // An update, not `DO NOTHING`: only an update locks the row that is there already.
            sqlx::query(
                "INSERT INTO meta (key, value) VALUES ($1, '')
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(adding_key(s.chat_id))
            .execute(&mut *tx)
            .await?;
            let count: i64 = sqlx::query_scalar(COUNT_OF_CHAT)
                .bind(s.chat_id)
                .fetch_one(&mut *tx)
                .await?;
            if count >= i64::from(limit) {
                tx.rollback().await?;
                Ok(None)
            } else {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO schedules
                     (chat_id, thread_id, created_by, creator, topic, request, zone, repeat,
                      duration_secs, start_at, conference_id, join_url, next_at, step, mentions,
                      taken_by, lease_until, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $16, 0, 0,
                             $15)
                     RETURNING id",
                )
                .bind(s.chat_id)
                .bind(s.thread_id)
                .bind(s.created_by)
                .bind(&s.creator)
                .bind(&s.topic)
                .bind(&s.request)
                .bind(&s.zone)
                .bind(&s.repeat)
                .bind(s.duration_secs)
                .bind(s.start_at)
                .bind(&s.conference_id)
                .bind(&s.join_url)
                .bind(s.next_at)
                .bind(&s.step)
                .bind(created_at)
                .bind(&s.mentions)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Some(id))
            }
        })
    }

    /// How many schedules the chat has (what `add_schedule`'s limit counts).
    pub async fn schedules_count(&self, chat_id: i64) -> Result<u32> {
        let count: i64 = reading!(self, c => sqlx::query_scalar(COUNT_OF_CHAT)
            .bind(chat_id)
            .fetch_one(c)
            .await?);
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    /// The chat's schedule `id` (another chat's id gives `None`).
    pub async fn schedule(&self, chat_id: i64, id: i64) -> Result<Option<Schedule>> {
        Ok(reading!(self, c => sqlx::query_as(concat!(
            "SELECT ",
            schedule_columns!(),
            " FROM schedules WHERE chat_id = $1 AND id = $2"
        ))
        .bind(chat_id)
        .bind(id)
        .fetch_optional(c)
        .await?))
    }

    /// The chat's schedules, soonest start first (ties by id).
    pub async fn schedules_of(&self, chat_id: i64) -> Result<Vec<Schedule>> {
        Ok(reading!(self, c => sqlx::query_as(concat!(
            "SELECT ",
            schedule_columns!(),
            " FROM schedules WHERE chat_id = $1 ORDER BY start_at, id"
        ))
        .bind(chat_id)
        .fetch_all(c)
        .await?))
    }

    /// Removes the chat's schedule `id`, whoever holds it (its holder then can neither advance
    /// nor finish it). Returns whether there was one.
    pub async fn cancel_schedule(&self, chat_id: i64, id: i64) -> Result<bool> {
        let done = writing!(self, c => sqlx::query(
            "DELETE FROM schedules WHERE chat_id = $1 AND id = $2",
        )
        .bind(chat_id)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected());
        Ok(done > 0)
    }

    /// Claims for process `taker`, until `lease_until` (unix ms of the system clock), at most
    /// `limit` schedules due at `now` (`next_at <= now`, unix seconds) whose lease is free or ran
    /// out (`lease_until < wall_now_ms`), the longest due first (ties by id). Two processes
    /// claiming at once never get the same row, as long as `lease_until >= wall_now_ms`.
    pub async fn claim_schedules(
        &self,
        taker: i64,
        now: i64,
        wall_now_ms: i64,
        lease_until: i64,
        limit: usize,
    ) -> Result<Vec<Schedule>> {
        let mut claimed: Vec<Schedule> = self
            .claim(
                Leased::Schedules,
                taker,
                now,
                wall_now_ms,
                lease_until,
                limit,
            )
            .await?;
        claimed.sort_unstable_by_key(|s| (s.plan.next_at, s.id));
        Ok(claimed)
    }

    /// The holder's next step (`taker` and `lease_until` as claimed): sets what `next` says and
    /// gives the lease up, so whichever process claims the row when it is next due acts on it.
    /// Returns whether it did: not (and nothing changed) if the row is gone (cancelled) or another
    /// process has claimed it since.
    pub async fn advance_schedule(
        &self,
        id: i64,
        taker: i64,
        lease_until: i64,
        next: &Advance,
    ) -> Result<bool> {
        let done = writing!(self, c => sqlx::query(
            "UPDATE schedules
             SET start_at = $1, next_at = $2, step = $3, conference_id = $4, join_url = $5,
                 lease_until = 0
             WHERE id = $6 AND taken_by = $7 AND lease_until = $8",
        )
        .bind(next.start_at)
        .bind(next.next_at)
        .bind(&next.step)
        .bind(&next.conference_id)
        .bind(&next.join_url)
        .bind(id)
        .bind(taker)
        .bind(lease_until)
        .execute(c)
        .await?
        .rows_affected());
        Ok(done > 0)
    }

    /// The holder ends the schedule (a one-off meeting that started): it is deleted. Returns
    /// whether it was: not if the row is gone or another process has claimed it since.
    pub async fn finish_schedule(&self, id: i64, taker: i64, lease_until: i64) -> Result<bool> {
        let done = writing!(self, c => sqlx::query(
            "DELETE FROM schedules WHERE id = $1 AND taken_by = $2 AND lease_until = $3",
        )
        .bind(id)
        .bind(taker)
        .bind(lease_until)
        .execute(c)
        .await?
        .rows_affected());
        Ok(done > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::{Advance, NewSchedule, Schedule};
    use crate::storage::testing::dbs;
    use crate::storage::{Db, Leased};

    /// The calendar (unix seconds) and the system clock (unix ms): two clocks, far apart.
    const NOW: i64 = 1_900_000_000;
    const WALL: i64 = 1_700_000_000_000;
    const LEASE: i64 = 30_000;
    const LIMIT: u32 = 10;
    const CHAT: i64 = -100_500;
    const OTHER: i64 = -100_600;
    /// Processes.
    const A: i64 = 11;
    const B: i64 = 12;

    fn new(chat_id: i64, start_at: i64) -> NewSchedule {
        NewSchedule {
            chat_id,
            thread_id: None,
            created_by: 42,
            creator: "{\"id\":42,\"name\":\"Anna\"}".into(),
            topic: None,
            request: "{\"waiting_room_level\":\"PUBLIC\"}".into(),
            zone: "Europe/Moscow".into(),
            repeat: None,
            duration_secs: 3_600,
            start_at,
            conference_id: None,
            join_url: None,
            next_at: start_at - 600,
            step: "remind".into(),
            mentions: None,
        }
    }

    async fn add(db: &Db, s: &NewSchedule) -> i64 {
        db.add_schedule(s, LIMIT, NOW - 100)
            .await
            .unwrap()
            .expect("under the limit")
    }

    /// A due schedule of `CHAT`, due at `next_at`.
    async fn add_due(db: &Db, next_at: i64) -> i64 {
        let mut s = new(CHAT, next_at + 600);
        s.next_at = next_at;
        add(db, &s).await
    }

    /// Claims for `taker` what is due at `NOW + secs` on the calendar, with the system clock at
    /// `WALL + ms`: the ids claimed.
    async fn claim(db: &Db, taker: i64, secs: i64, ms: i64) -> Vec<i64> {
        claimed(db, taker, secs, ms)
            .await
            .iter()
            .map(|s| s.id)
            .collect()
    }

    async fn claimed(db: &Db, taker: i64, secs: i64, ms: i64) -> Vec<Schedule> {
        db.claim_schedules(taker, NOW + secs, WALL + ms, WALL + ms + LEASE, 100)
            .await
            .unwrap()
    }

    fn advance(start_at: i64, next_at: i64, step: &str) -> Advance {
        Advance {
            start_at,
            next_at,
            step: step.into(),
            conference_id: Some("123".into()),
            join_url: Some("https://telemost.yandex.ru/j/123".into()),
        }
    }

    #[tokio::test]
    async fn a_chat_lists_its_schedules_soonest_first() {
        for (_guard, db) in dbs().await {
            assert!(db.schedules_of(CHAT).await.unwrap().is_empty());
            let later = new(CHAT, NOW + 7_200);
            let mut full = new(CHAT, NOW + 3_600);
            full.thread_id = Some(77);
            full.topic = Some("Планёрка".into());
            full.repeat = Some("{\"weekly\":[\"mon\",\"thu\"]}".into());
            full.conference_id = Some("9876".into());
            full.join_url = Some("https://telemost.yandex.ru/j/9876".into());
            let tied = new(CHAT, NOW + 3_600);
            let theirs = new(OTHER, NOW);
            let later_id = add(&db, &later).await;
            let full_id = add(&db, &full).await;
            let tied_id = add(&db, &tied).await;
            let their_id = add(&db, &theirs).await;

            let got = db.schedule(CHAT, full_id).await.unwrap().expect("stored");
            assert_eq!(got.plan, full, "read back as given");
            assert_eq!(
                (got.id, got.taken_by, got.lease_until, got.created_at),
                (full_id, 0, 0, NOW - 100)
            );
            assert_eq!(
                db.schedule(OTHER, full_id).await.unwrap(),
                None,
                "another chat's id"
            );
            assert_eq!(db.schedule(CHAT, their_id).await.unwrap(), None);
            assert_eq!(db.schedule(CHAT, their_id + 1_000).await.unwrap(), None);

            let listed = db.schedules_of(CHAT).await.unwrap();
            let ids: Vec<i64> = listed.iter().map(|s| s.id).collect();
            assert_eq!(
                ids,
                [full_id, tied_id, later_id],
                "soonest first, ties by id"
            );
            assert_eq!(listed[0], got);
            let theirs_listed = db.schedules_of(OTHER).await.unwrap();
            assert_eq!(theirs_listed.len(), 1);
            assert_eq!(db.schedules_count(CHAT).await.unwrap(), 3);
            assert_eq!(db.schedules_count(OTHER).await.unwrap(), 1);
            assert_eq!(theirs_listed[0].plan, theirs);

            assert!(db.cancel_schedule(CHAT, tied_id).await.unwrap());
            assert!(!db.cancel_schedule(CHAT, tied_id).await.unwrap(), "once");
            assert!(
                !db.cancel_schedule(CHAT, their_id).await.unwrap(),
                "not another chat's"
            );
            let ids: Vec<i64> = db
                .schedules_of(CHAT)
                .await
                .unwrap()
                .iter()
                .map(|s| s.id)
                .collect();
            assert_eq!(ids, [full_id, later_id]);
            assert_eq!(db.schedules_of(OTHER).await.unwrap().len(), 1);
            db.close().await;
        }
    }

    #[tokio::test]
    async fn a_chat_keeps_at_most_its_limit() {
        for (_guard, db) in dbs().await {
            let s = new(CHAT, NOW);
            let first = db.add_schedule(&s, 2, NOW).await.unwrap();
            let second = db.add_schedule(&s, 2, NOW).await.unwrap();
            assert!(first.is_some() && second.is_some() && first != second);
            assert_eq!(db.add_schedule(&s, 2, NOW).await.unwrap(), None, "full");
            assert_eq!(db.schedules_of(CHAT).await.unwrap().len(), 2);
            assert!(
                db.add_schedule(&new(OTHER, NOW), 2, NOW)
                    .await
                    .unwrap()
                    .is_some(),
                "another chat has its own"
            );
            assert_eq!(db.add_schedule(&s, 0, NOW).await.unwrap(), None);

            db.cancel_schedule(CHAT, first.unwrap()).await.unwrap();
            assert!(db.add_schedule(&s, 2, NOW).await.unwrap().is_some());
            assert_eq!(db.add_schedule(&s, 2, NOW).await.unwrap(), None);
            assert_eq!(db.schedules_of(CHAT).await.unwrap().len(), 2);
            db.close().await;
        }
    }

    /// Eight adds at once to a chat that has room for three: three are stored (also when the
    /// chat has none yet: nothing of it to lock but the chat's turn).
    #[tokio::test]
    async fn adds_at_once_do_not_pass_the_limit() {
        for (_guard, db) in dbs().await {
            for (round, had) in [(0_i64, 0_usize), (1, 1), (2, 0), (3, 2)] {
                let chat = CHAT - round;
                for _ in 0..had {
                    add(&db, &new(chat, NOW)).await;
                }
                let tasks: Vec<_> = (0..8)
                    .map(|_| {
                        let db = db.clone();
                        tokio::spawn(async move {
                            db.add_schedule(&new(chat, NOW), 3, NOW).await.unwrap()
                        })
                    })
                    .collect();
                let mut added = 0;
                for task in tasks {
                    added += usize::from(task.await.unwrap().is_some());
                }
                assert_eq!(added, 3 - had, "round {round}");
                assert_eq!(db.schedules_of(chat).await.unwrap().len(), 3);
            }
            db.close().await;
        }
    }

    #[tokio::test]
    async fn due_schedules_are_claimed_in_turns() {
        for (_guard, db) in dbs().await {
            let soon = add_due(&db, NOW).await;
            let overdue = add_due(&db, NOW - 60).await;
            let later = add_due(&db, NOW + 60).await;
            assert_eq!(claim(&db, A, -61, 0).await, [] as [i64; 0], "none due yet");

            let by_a = claimed(&db, A, 0, 0).await;
            let ids: Vec<i64> = by_a.iter().map(|s| s.id).collect();
            assert_eq!(ids, [overdue, soon], "the due ones, the longest due first");
            assert!(
                by_a.iter()
                    .all(|s| (s.taken_by, s.lease_until) == (A, WALL + LEASE)),
                "{by_a:?}"
            );
            let held = db.schedule(CHAT, soon).await.unwrap().unwrap();
            assert_eq!((held.taken_by, held.lease_until), (A, WALL + LEASE));

            assert_eq!(
                claim(&db, B, 60, 1_000).await,
                [later],
                "A's are skipped while A holds them"
            );
            assert_eq!(
                claim(&db, B, 3_600, LEASE - 1).await,
                [] as [i64; 0],
                "A's lease runs to its last millisecond; B's own too"
            );
            // A hangs (or died): once its lease ran out, its rows go to another process,
            // whatever the calendar says meanwhile.
            assert_eq!(claim(&db, B, 0, LEASE + 1).await, [overdue, soon]);
            let taken = db.schedule(CHAT, overdue).await.unwrap().unwrap();
            assert_eq!(
                (taken.taken_by, taken.lease_until),
                (B, WALL + 2 * LEASE + 1)
            );

            // At most the limit, the longest due first.
            let more = [add_due(&db, NOW - 30).await, add_due(&db, NOW - 30).await];
            let one = db
                .claim_schedules(A, NOW, WALL + 2, WALL + 2 + LEASE, 1)
                .await
                .unwrap();
            assert_eq!(one.len(), 1);
            assert_eq!(one[0].id, more[0], "ties by id");
            assert!(
                db.claim_schedules(A, NOW, WALL + 2, WALL + 2 + LEASE, 0)
                    .await
                    .unwrap()
                    .is_empty()
            );
            db.close().await;
        }
    }

    /// Eight processes claim one due row at the same moment, again and again: exactly one gets it.
    #[tokio::test]
    async fn eight_claimers_at_once_one_gets_the_row() {
        for (_guard, db) in dbs().await {
            for round in 0..10_i64 {
                let id = add_due(&db, NOW).await;
                let wall = WALL + round * 1_000_000;
                let tasks: Vec<_> = (1..=8_i64)
                    .map(|taker| {
                        let db = db.clone();
                        tokio::spawn(async move {
                            let got = db
                                .claim_schedules(taker, NOW, wall, wall + LEASE, 5)
                                .await
                                .unwrap();
                            (taker, got)
                        })
                    })
                    .collect();
                let mut winners = Vec::new();
                for task in tasks {
                    let (taker, got) = task.await.unwrap();
                    assert!(got.len() <= 1, "{got:?}");
                    if let Some(s) = got.first() {
                        assert_eq!((s.id, s.taken_by), (id, taker));
                        winners.push(taker);
                    }
                }
                assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
                let row = db.schedule(CHAT, id).await.unwrap().unwrap();
                assert_eq!(row.taken_by, winners[0], "the winner holds it");
                assert!(
                    db.finish_schedule(id, winners[0], wall + LEASE)
                        .await
                        .unwrap()
                );
            }
            db.close().await;
        }
    }

    #[tokio::test]
    async fn the_holder_advances_a_schedule_and_lets_it_go() {
        for (_guard, db) in dbs().await {
            let mut weekly = new(CHAT, NOW + 600);
            weekly.repeat = Some("weekly".into());
            weekly.next_at = NOW;
            let id = add(&db, &weekly).await;
            assert_eq!(claim(&db, A, 0, 0).await, [id]);

            // A posted the reminder and created the meeting: next, the start.
            let start = advance(NOW + 600, NOW + 600, "start");
            assert!(
                db.advance_schedule(id, A, WALL + LEASE, &start)
                    .await
                    .unwrap()
            );
            let row = db.schedule(CHAT, id).await.unwrap().unwrap();
            assert_eq!(
                (
                    row.plan.start_at,
                    row.plan.next_at,
                    row.plan.step.as_str(),
                    row.plan.conference_id.as_deref(),
                    row.plan.join_url.as_deref(),
                ),
                (
                    NOW + 600,
                    NOW + 600,
                    "start",
                    Some("123"),
                    Some("https://telemost.yandex.ru/j/123")
                )
            );
            assert_eq!((row.taken_by, row.lease_until), (A, 0), "let go");
            assert_eq!(
                (row.plan.repeat.as_deref(), row.created_at),
                (Some("weekly"), NOW - 100),
                "the rest as it was"
            );
            assert!(
                !db.advance_schedule(id, A, WALL + LEASE, &start)
                    .await
                    .unwrap(),
                "a lease is given up once"
            );
            assert!(!db.finish_schedule(id, A, WALL + LEASE).await.unwrap());
            assert_eq!(claim(&db, B, 599, 1).await, [] as [i64; 0], "not due yet");
            // Free at once: not held until A's lease would have run out.
            assert_eq!(claim(&db, B, 600, 1).await, [id]);

            // B takes the next one over from A, who hung with its lease running out.
            let next_week = advance(NOW + 600 + 7 * 86_400, NOW + 7 * 86_400, "remind");
            let mut first = next_week.clone();
            first.conference_id = None;
            first.join_url = None;
            assert!(
                db.advance_schedule(id, B, WALL + 1 + LEASE, &first)
                    .await
                    .unwrap()
            );
            assert_eq!(claim(&db, A, 7 * 86_400, 2).await, [id]);
            assert_eq!(claim(&db, B, 7 * 86_400, LEASE + 3).await, [id]);
            let stale = advance(NOW, NOW + 1, "stale");
            assert!(
                !db.advance_schedule(id, A, WALL + 2 + LEASE, &stale)
                    .await
                    .unwrap(),
                "A's claim is no longer the row's"
            );
            assert!(!db.finish_schedule(id, A, WALL + 2 + LEASE).await.unwrap());
            let row = db.schedule(CHAT, id).await.unwrap().unwrap();
            assert_eq!(
                (
                    row.plan.next_at,
                    row.plan.step.as_str(),
                    row.plan.conference_id.as_deref()
                ),
                (NOW + 7 * 86_400, "remind", None),
                "nothing changed"
            );
            assert_eq!((row.taken_by, row.lease_until), (B, WALL + 3 + 2 * LEASE));
            assert!(
                !db.advance_schedule(id, B, WALL + 1 + LEASE, &stale)
                    .await
                    .unwrap(),
                "B's earlier claim neither"
            );
            assert!(
                db.advance_schedule(id, B, WALL + 3 + 2 * LEASE, &next_week)
                    .await
                    .unwrap()
            );
            db.close().await;
        }
    }

    #[tokio::test]
    async fn a_schedule_cancelled_while_held_is_not_acted_on() {
        for (_guard, db) in dbs().await {
            let id = add_due(&db, NOW).await;
            let kept = add_due(&db, NOW).await;
            assert_eq!(claim(&db, A, 0, 0).await, [id, kept]);
            assert!(
                db.cancel_schedule(CHAT, id).await.unwrap(),
                "whoever holds it"
            );
            assert!(
                !db.advance_schedule(id, A, WALL + LEASE, &advance(NOW, NOW + 60, "start"))
                    .await
                    .unwrap()
            );
            assert!(!db.finish_schedule(id, A, WALL + LEASE).await.unwrap());
            assert_eq!(
                db.schedule(CHAT, id).await.unwrap(),
                None,
                "not brought back"
            );
            assert!(db.schedule(CHAT, kept).await.unwrap().is_some());
            db.close().await;
        }
    }

    #[tokio::test]
    async fn a_started_one_off_meeting_is_finished_once() {
        for (_guard, db) in dbs().await {
            let id = add_due(&db, NOW).await;
            let other = add_due(&db, NOW).await;
            assert_eq!(claim(&db, A, 0, 0).await, [id, other]);
            assert!(
                !db.finish_schedule(id, B, WALL + LEASE).await.unwrap(),
                "not by another process"
            );
            assert!(
                !db.finish_schedule(id, A, WALL + LEASE + 1).await.unwrap(),
                "nor by another claim"
            );
            assert!(db.finish_schedule(id, A, WALL + LEASE).await.unwrap());
            assert!(
                !db.finish_schedule(id, A, WALL + LEASE).await.unwrap(),
                "once"
            );
            assert_eq!(db.schedule(CHAT, id).await.unwrap(), None);
            assert!(!db.cancel_schedule(CHAT, id).await.unwrap());
            let left: Vec<i64> = db
                .schedules_of(CHAT)
                .await
                .unwrap()
                .iter()
                .map(|s| s.id)
                .collect();
            assert_eq!(left, [other]);
            assert_eq!(claim(&db, B, 3_600, LEASE + 1).await, [other]);
            db.close().await;
        }
    }

    #[tokio::test]
    async fn the_next_moment_to_wake_up_for() {
        for (_guard, db) in dbs().await {
            assert_eq!(db.next_due(Leased::Schedules, WALL).await.unwrap(), None);
            let later = add_due(&db, NOW + 300).await;
            assert_eq!(
                db.next_due(Leased::Schedules, WALL).await.unwrap(),
                Some(NOW + 300)
            );
            let sooner = add(&db, &new(OTHER, NOW + 100)).await; // next_at NOW - 500
            assert_eq!(
                db.next_due(Leased::Schedules, WALL).await.unwrap(),
                Some(NOW - 500),
                "of all chats"
            );
            assert_eq!(claim(&db, A, 0, 0).await, [sooner]);
            assert_eq!(
                db.next_due(Leased::Schedules, WALL).await.unwrap(),
                Some(NOW + 300),
                "a held one is its holder's"
            );
            assert_eq!(
                db.next_due(Leased::Schedules, WALL + LEASE + 1)
                    .await
                    .unwrap(),
                Some(NOW - 500),
                "until its lease runs out"
            );
            // Renewed by its holder only, and only as held.
            assert!(
                !db.renew(Leased::Schedules, sooner, B, WALL + LEASE, WALL + 2 * LEASE)
                    .await
                    .unwrap()
            );
            assert!(
                db.renew(Leased::Schedules, sooner, A, WALL + LEASE, WALL + 2 * LEASE)
                    .await
                    .unwrap()
            );
            assert!(
                !db.renew(Leased::Schedules, sooner, A, WALL + LEASE, WALL + 3 * LEASE)
                    .await
                    .unwrap(),
                "the old lease is gone"
            );
            assert!(
                db.advance_schedule(
                    sooner,
                    A,
                    WALL + 2 * LEASE,
                    &advance(NOW + 100, NOW + 100, "start")
                )
                .await
                .unwrap()
            );
            assert_eq!(
                db.next_due(Leased::Schedules, WALL).await.unwrap(),
                Some(NOW + 100)
            );
            assert!(db.cancel_schedule(OTHER, sooner).await.unwrap());
            assert_eq!(
                db.next_due(Leased::Schedules, WALL).await.unwrap(),
                Some(NOW + 300)
            );
            assert!(db.cancel_schedule(CHAT, later).await.unwrap());
            assert_eq!(db.next_due(Leased::Schedules, WALL).await.unwrap(), None);
            db.close().await;
        }
    }

    #[tokio::test]
    async fn a_stopping_process_gives_its_schedules_up_at_once() {
        for (_guard, db) in dbs().await {
            let first = add_due(&db, NOW - 2).await;
            let second = add_due(&db, NOW - 1).await;
            let third = add_due(&db, NOW).await;
            let by_a = db
                .claim_schedules(A, NOW, WALL, WALL + LEASE, 2)
                .await
                .unwrap();
            assert_eq!(by_a.len(), 2);
            assert_eq!(claim(&db, B, 0, 0).await, [third]);
            db.release(Leased::Schedules, A).await.unwrap();
            let a_rows = db.schedule(CHAT, first).await.unwrap().unwrap();
            assert_eq!((a_rows.taken_by, a_rows.lease_until), (A, 0));
            assert_eq!(claim(&db, B, 0, 1).await, [first, second], "A's, at once");
            assert!(
                !db.finish_schedule(first, A, WALL + LEASE).await.unwrap(),
                "no longer A's"
            );
            db.release(Leased::Schedules, A).await.unwrap();
            assert!(
                db.advance_schedule(third, B, WALL + LEASE, &advance(NOW, NOW + 60, "start"))
                    .await
                    .unwrap(),
                "B's own leases are untouched"
            );
            db.close().await;
        }
    }
}
