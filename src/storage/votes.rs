//! Votes on when to meet (tables `votes` and `vote_choices`): the times a vote offers (opaque
//! JSON here), who is in for each, and where the vote stands.
//!
//! A press is one transaction (`toggle_choice`): the choice flips, and the vote's `version` goes
//! up with its `next_at` brought to now, so the vote's message is redrawn by whichever process
//! claims it next (`claim_votes`, under a lease as in `leases.rs`, `Leased::Votes`). Many presses
//! at once are many versions and one redraw: the holder draws what it read and ends its turn
//! with `drawn_vote`, which makes the row due again at once if more came meanwhile, else at
//! its deadline (`close_at`). Closing is a state change made once (`close_vote`, only from
//! `open`); the holder of the lease then acts on it (makes the meeting, draws the outcome) and
//! ends with `settle_vote`.
//!
//! Two clocks, as for schedules: `close_at`, `next_at`, `created_at` and `voted_at` are unix
//! seconds of the calendar the bot reads; `lease_until` is unix ms of the system clock.

use super::leases::Leased;
use super::{Db, Result, reading, transaction, writing};

/// A vote that is still open (`state`).
pub const OPEN: &str = "open";
/// A vote being closed (`state`): its winner is set, the meeting not made yet.
pub const CLOSING: &str = "closing";
/// `next_at` of a vote with nothing left to do.
pub(super) const NEVER: i64 = i64::MAX;

/// A vote to store.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NewVote {
    pub chat_id: i64,
    /// The forum topic it was started in.
    pub thread_id: Option<i64>,
    /// The organiser.
    pub created_by: i64,
    /// Who started it, as the caller serialised them (opaque here).
    pub creator: String,
    pub topic: Option<String>,
    /// The create-meeting request, as JSON (opaque here).
    pub request: String,
    /// The IANA time zone its times are shown in.
    pub zone: String,
    pub duration_secs: i64,
    /// The times offered, as the caller serialised them (opaque here).
    pub options: String,
    /// When it closes by itself (unix seconds).
    pub close_at: i64,
}

/// A stored vote.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Vote {
    pub id: i64,
    #[sqlx(flatten)]
    pub plan: NewVote,
    /// Its message, once posted.
    pub message_id: Option<i64>,
    /// `open`, `closing`, or how it ended (the caller's word).
    pub state: String,
    /// The option chosen, once closing.
    pub winner: Option<i64>,
    /// Who closed it (0: the deadline).
    pub closed_by: i64,
    /// Changes to what its message shows, and the one it shows.
    pub version: i64,
    pub drawn: i64,
    pub next_at: i64,
    pub taken_by: i64,
    pub lease_until: i64,
    pub created_at: i64,
}

impl Vote {
    pub fn is_open(&self) -> bool {
        self.state == OPEN
    }

    pub fn is_closing(&self) -> bool {
        self.state == CLOSING
    }

    /// As `close_vote` left it (without a winner: the rule picks).
    pub fn set_closing(&mut self) {
        self.state = CLOSING.to_owned();
        self.version += 1;
    }
}

/// How a holder leaves a vote (`settle_vote`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled<'a> {
    /// Its state now.
    pub state: &'a str,
    pub winner: Option<i64>,
    /// The version its message shows.
    pub drawn: i64,
    /// When it is due again (to be redrawn); `None`: nothing left to do.
    pub next_at: Option<i64>,
}

/// Someone in for one time of a vote.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Choice {
    pub option: i64,
    pub user_id: i64,
    pub name: String,
}

/// The columns of a `Vote` (a macro, so queries stay `&'static str`).
macro_rules! vote_columns {
    () => {
        "id, chat_id, thread_id, created_by, creator, topic, request, zone, duration_secs, \
         options, close_at, message_id, state, winner, closed_by, version, drawn, next_at, \
         taken_by, lease_until, created_at"
    };
}
pub(super) use vote_columns;

/// How many open votes a chat has.
const OPEN_OF_CHAT: &str = "SELECT COUNT(*) FROM votes WHERE chat_id = $1 AND state = 'open'";

impl Db {
    /// Stores a new vote unless the chat has `limit` open ones: its id, or `None` at the limit.
    /// It is due at its deadline. (The count and the insert take turns per chat as
    /// `add_schedule`'s do.)
    pub async fn add_vote(&self, v: &NewVote, limit: u32, now: i64) -> Result<Option<i64>> {
        transaction!(self, tx => {
            sqlx::query(
                "INSERT INTO meta (key, value) VALUES ($1, '')
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(format!("votes/{}", v.chat_id))
            .execute(&mut *tx)
            .await?;
            let open: i64 = sqlx::query_scalar(OPEN_OF_CHAT)
                .bind(v.chat_id)
                .fetch_one(&mut *tx)
                .await?;
            if open >= i64::from(limit) {
                tx.rollback().await?;
                Ok(None)
            } else {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO votes
                     (chat_id, thread_id, created_by, creator, topic, request, zone,
                      duration_secs, options, close_at, next_at, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)
                     RETURNING id",
                )
                .bind(v.chat_id)
                .bind(v.thread_id)
                .bind(v.created_by)
                .bind(&v.creator)
                .bind(&v.topic)
                .bind(&v.request)
                .bind(&v.zone)
                .bind(v.duration_secs)
                .bind(&v.options)
                .bind(v.close_at)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Some(id))
            }
        })
    }

    /// Notes the vote's message, once posted.
    pub async fn set_vote_message(&self, id: i64, message_id: i64) -> Result<()> {
        writing!(self, c => sqlx::query("UPDATE votes SET message_id = $1 WHERE id = $2")
            .bind(message_id)
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Removes a vote whose message could not be posted.
    pub async fn drop_vote(&self, id: i64) -> Result<()> {
        writing!(self, c => sqlx::query("DELETE FROM votes WHERE id = $1")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The chat's vote `id` (another chat's id gives `None`).
    pub async fn vote(&self, chat_id: i64, id: i64) -> Result<Option<Vote>> {
        Ok(reading!(self, c => sqlx::query_as(concat!(
            "SELECT ",
            vote_columns!(),
            " FROM votes WHERE chat_id = $1 AND id = $2"
        ))
        .bind(chat_id)
        .bind(id)
        .fetch_optional(c)
        .await?))
    }

    /// The chat's open votes (and those closing), soonest deadline first.
    pub async fn open_votes(&self, chat_id: i64) -> Result<Vec<Vote>> {
        Ok(reading!(self, c => sqlx::query_as(concat!(
            "SELECT ",
            vote_columns!(),
            " FROM votes WHERE chat_id = $1 AND state IN ('open', 'closing')
              ORDER BY close_at, id"
        ))
        .bind(chat_id)
        .fetch_all(c)
        .await?))
    }

    /// Who is in for which time of vote `id`, by option and in the order they voted.
    pub async fn choices(&self, id: i64) -> Result<Vec<Choice>> {
        Ok(reading!(self, c => sqlx::query_as(
            "SELECT CAST(option AS BIGINT) AS option, user_id, name FROM vote_choices
             WHERE vote_id = $1 ORDER BY option, voted_at, user_id",
        )
        .bind(id)
        .fetch_all(c)
        .await?))
    }

    /// `user_id` (named `name`) changes their mind about `option` of the chat's open vote
    /// `id`: in if they were not, out if they were. Returns whether they are in now, or `None`
    /// when there is no such open vote. The vote's message is due to be redrawn.
    pub async fn toggle_choice(
        &self,
        chat_id: i64,
        id: i64,
        option: i64,
        user_id: i64,
        name: &str,
        now: i64,
    ) -> Result<Option<bool>> {
        transaction!(self, tx => {
            // Bumping the version first takes the vote's row: presses on one vote take turns.
            let open = sqlx::query(
                "UPDATE votes SET version = version + 1,
                     next_at = CASE WHEN next_at > $3 THEN $3 ELSE next_at END
                 WHERE chat_id = $1 AND id = $2 AND state = 'open'",
            )
            .bind(chat_id)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if open == 0 {
                tx.rollback().await?;
                Ok(None)
            } else {
                let removed = sqlx::query(
                    "DELETE FROM vote_choices WHERE vote_id = $1 AND option = $2 AND user_id = $3",
                )
                .bind(id)
                .bind(option)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if removed == 0 {
                    sqlx::query(
                        "INSERT INTO vote_choices (vote_id, option, user_id, name, voted_at)
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(id)
                    .bind(option)
                    .bind(user_id)
                    .bind(name)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(Some(removed == 0))
            }
        })
    }

    /// Closes the chat's open vote `id` on `winner` (an option; `None`: the deadline's rule
    /// decides), by `by` (0: the deadline): once, whoever asks at the same time. It is due at
    /// once for its holder to act on. Returns whether this call closed it.
    pub async fn close_vote(
        &self,
        chat_id: i64,
        id: i64,
        winner: Option<i64>,
        by: i64,
        now: i64,
    ) -> Result<bool> {
        let done = writing!(self, c => sqlx::query(
            "UPDATE votes SET state = 'closing', winner = $3, closed_by = $4, next_at = $5,
                 version = version + 1
             WHERE chat_id = $1 AND id = $2 AND state = 'open'",
        )
        .bind(chat_id)
        .bind(id)
        .bind(winner)
        .bind(by)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(done > 0)
    }

    /// Ends the chat's open vote `id` as `state` (cancelled) at once: nothing is made. It is due
    /// at once for its message to be redrawn. Returns whether this call ended it: not once it
    /// is closing (its meeting may be being made).
    pub async fn end_vote(&self, chat_id: i64, id: i64, state: &str, now: i64) -> Result<bool> {
        let done = writing!(self, c => sqlx::query(
            "UPDATE votes SET state = $3, next_at = $4, version = version + 1
             WHERE chat_id = $1 AND id = $2 AND state = 'open'",
        )
        .bind(chat_id)
        .bind(id)
        .bind(state)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(done > 0)
    }

    /// Claims for process `taker` at most `limit` votes due at `now` (unix seconds) whose lease
    /// is free or ran out at `wall_now_ms`, until `lease_until` (see `leases.rs`).
    pub async fn claim_votes(
        &self,
        taker: i64,
        now: i64,
        wall_now_ms: i64,
        lease_until: i64,
        limit: usize,
    ) -> Result<Vec<Vote>> {
        let mut claimed: Vec<Vote> = self
            .claim(Leased::Votes, taker, now, wall_now_ms, lease_until, limit)
            .await?;
        claimed.sort_unstable_by_key(|v| (v.next_at, v.id));
        Ok(claimed)
    }

    /// The holder (`taker`, `lease_until` as claimed) drew version `version` of an open vote's
    /// message: it is due again at once if more changed meanwhile, else at its deadline; the
    /// lease is given up. Returns whether it was still the holder's.
    pub async fn drawn_vote(
        &self,
        id: i64,
        taker: i64,
        lease_until: i64,
        version: i64,
        now: i64,
    ) -> Result<bool> {
        let done = writing!(self, c => sqlx::query(
            "UPDATE votes SET drawn = $4, lease_until = 0,
                 next_at = CASE WHEN version > $4 THEN $5
                                WHEN state = 'open' THEN close_at ELSE $5 END
             WHERE id = $1 AND taken_by = $2 AND lease_until = $3",
        )
        .bind(id)
        .bind(taker)
        .bind(lease_until)
        .bind(version)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        Ok(done > 0)
    }

    /// The holder settles a vote that is `from` (`closing`, or already ended and redrawn): as
    /// `to` says, giving the lease up. Returns whether it was still the holder's and `from`.
    pub async fn settle_vote(
        &self,
        id: i64,
        taker: i64,
        lease_until: i64,
        from: &str,
        to: &Settled<'_>,
    ) -> Result<bool> {
        let done = writing!(self, c => sqlx::query(
            "UPDATE votes SET state = $5, winner = $6, drawn = $7, next_at = $8, lease_until = 0
             WHERE id = $1 AND taken_by = $2 AND lease_until = $3 AND state = $4",
        )
        .bind(id)
        .bind(taker)
        .bind(lease_until)
        .bind(from)
        .bind(to.state)
        .bind(to.winner)
        .bind(to.drawn)
        .bind(to.next_at.unwrap_or(NEVER))
        .execute(c)
        .await?
        .rows_affected());
        Ok(done > 0)
    }

    /// The holder of a closing vote gives it up until `next_at` (its meeting could not be made
    /// yet: tried again then). Returns whether it was still the holder's.
    pub async fn postpone_vote(
        &self,
        id: i64,
        taker: i64,
        lease_until: i64,
        next_at: i64,
    ) -> Result<bool> {
        let done = writing!(self, c => sqlx::query(
            "UPDATE votes SET next_at = $4, lease_until = 0
             WHERE id = $1 AND taken_by = $2 AND lease_until = $3 AND state = 'closing'",
        )
        .bind(id)
        .bind(taker)
        .bind(lease_until)
        .bind(next_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(done > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::{NEVER, NewVote, Settled};
    use crate::storage::Db;
    use crate::storage::testing::dbs;

    const NOW: i64 = 1_900_000_000;
    const WALL: i64 = 1_700_000_000_000;
    const LEASE: i64 = 30_000;
    const CHAT: i64 = -100_700;
    const OTHER: i64 = -100_800;
    /// Processes.
    const A: i64 = 21;
    const B: i64 = 22;

    fn new(chat_id: i64) -> NewVote {
        NewVote {
            chat_id,
            thread_id: Some(7),
            created_by: 42,
            creator: "{\"name\":\"Anna\"}".into(),
            topic: Some("Планёрка".into()),
            request: "{}".into(),
            zone: "Europe/Moscow".into(),
            duration_secs: 1_800,
            options: "[1900007200,1900010800]".into(),
            close_at: NOW + 3_600,
        }
    }

    async fn add(db: &Db, chat: i64) -> i64 {
        db.add_vote(&new(chat), 2, NOW)
            .await
            .unwrap()
            .expect("under the limit")
    }

    #[tokio::test]
    async fn presses_flip_choices_of_open_votes_in_their_own_chat_only() {
        for (_guard, db) in dbs().await {
            let id = add(&db, CHAT).await;
            let v = db.vote(CHAT, id).await.unwrap().expect("stored");
            assert_eq!(v.plan, new(CHAT), "read back as given");
            assert!(v.is_open());
            assert_eq!((v.version, v.drawn, v.next_at), (0, 0, NOW + 3_600));
            assert_eq!(db.vote(OTHER, id).await.unwrap(), None, "another chat's id");

            assert_eq!(
                db.toggle_choice(CHAT, id, 1, 5, "Boris", NOW)
                    .await
                    .unwrap(),
                Some(true)
            );
            assert_eq!(
                db.toggle_choice(CHAT, id, 0, 6, "Vera", NOW).await.unwrap(),
                Some(true)
            );
            assert_eq!(
                db.toggle_choice(CHAT, id, 1, 6, "Vera", NOW).await.unwrap(),
                Some(true)
            );
            assert_eq!(
                db.toggle_choice(CHAT, id, 0, 6, "Vera", NOW).await.unwrap(),
                Some(false)
            );
            assert_eq!(
                db.toggle_choice(OTHER, id, 0, 6, "Vera", NOW)
                    .await
                    .unwrap(),
                None,
                "not in that chat"
            );
            let who: Vec<(i64, i64)> = db
                .choices(id)
                .await
                .unwrap()
                .iter()
                .map(|c| (c.option, c.user_id))
                .collect();
            assert_eq!(who, [(1, 5), (1, 6)]);
            let v = db.vote(CHAT, id).await.unwrap().unwrap();
            assert_eq!(
                (v.version, v.next_at),
                (4, NOW),
                "due at once to be redrawn"
            );

            // The chat's limit counts open votes only.
            let second = add(&db, CHAT).await;
            assert_eq!(db.add_vote(&new(CHAT), 2, NOW).await.unwrap(), None);
            assert!(db.end_vote(CHAT, second, "cancelled", NOW).await.unwrap());
            assert!(!db.end_vote(CHAT, second, "cancelled", NOW).await.unwrap());
            assert!(db.add_vote(&new(CHAT), 2, NOW).await.unwrap().is_some());
            assert_eq!(db.open_votes(CHAT).await.unwrap().len(), 2);
        }
    }

    #[tokio::test]
    async fn a_vote_closes_once_and_its_holder_settles_it() {
        for (_guard, db) in dbs().await {
            let id = add(&db, CHAT).await;
            db.toggle_choice(CHAT, id, 1, 5, "Boris", NOW)
                .await
                .unwrap();
            assert!(db.close_vote(CHAT, id, Some(1), 42, NOW).await.unwrap());
            assert!(
                !db.close_vote(CHAT, id, None, 0, NOW).await.unwrap(),
                "once"
            );
            assert_eq!(
                db.toggle_choice(CHAT, id, 0, 5, "Boris", NOW)
                    .await
                    .unwrap(),
                None,
                "no press counts once closed"
            );
            let claimed = db
                .claim_votes(A, NOW, WALL, WALL + LEASE, 10)
                .await
                .unwrap();
            assert_eq!(claimed.len(), 1);
            let v = &claimed[0];
            assert!(v.is_closing());
            assert_eq!((v.winner, v.closed_by), (Some(1), 42));
            assert!(
                db.claim_votes(B, NOW, WALL + 1, WALL + 1 + LEASE, 10)
                    .await
                    .unwrap()
                    .is_empty(),
                "held by A"
            );
            let to = Settled {
                state: "scheduled",
                winner: Some(1),
                drawn: v.version,
                next_at: None,
            };
            assert!(
                !db.settle_vote(id, B, WALL + LEASE, "closing", &to)
                    .await
                    .unwrap(),
                "only the holder settles"
            );
            assert!(
                !db.settle_vote(id, A, v.lease_until, "open", &to)
                    .await
                    .unwrap(),
                "only from the state it was in"
            );
            assert!(
                db.settle_vote(id, A, v.lease_until, "closing", &to)
                    .await
                    .unwrap()
            );
            let v = db.vote(CHAT, id).await.unwrap().unwrap();
            assert_eq!((v.state.as_str(), v.next_at), ("scheduled", NEVER));
            assert!(db.open_votes(CHAT).await.unwrap().is_empty());

            // Kept as long as the history, then gone with its choices.
            let retention = crate::storage::Retention {
                history_days: 30,
                keep_cohosts: 6,
            };
            let day = 24 * 3600;
            let kept = db.prune(NOW + 3_600 + 29 * day, &retention).await.unwrap();
            assert_eq!(kept.votes, 0);
            let pruned = db.prune(NOW + 3_600 + 31 * day, &retention).await.unwrap();
            assert_eq!(pruned.votes, 1);
            assert_eq!(db.vote(CHAT, id).await.unwrap(), None);
            assert!(
                db.choices(id).await.unwrap().is_empty(),
                "choices go with it"
            );
        }
    }

    #[tokio::test]
    async fn presses_while_drawing_make_it_due_again() {
        for (_guard, db) in dbs().await {
            let id = add(&db, CHAT).await;
            db.toggle_choice(CHAT, id, 0, 5, "Boris", NOW)
                .await
                .unwrap();
            let v = db
                .claim_votes(A, NOW, WALL, WALL + LEASE, 10)
                .await
                .unwrap()
                .remove(0);
            assert_eq!(v.version, 1);
            // Another press while A draws version 1.
            db.toggle_choice(CHAT, id, 1, 6, "Vera", NOW + 1)
                .await
                .unwrap();
            assert!(
                db.drawn_vote(id, A, v.lease_until, 1, NOW + 2)
                    .await
                    .unwrap()
            );
            let after = db.vote(CHAT, id).await.unwrap().unwrap();
            assert_eq!(
                (after.drawn, after.next_at),
                (1, NOW + 2),
                "due again at once"
            );
            let v = db
                .claim_votes(B, NOW + 2, WALL, WALL + LEASE, 10)
                .await
                .unwrap()
                .remove(0);
            assert!(
                db.drawn_vote(id, B, v.lease_until, 2, NOW + 3)
                    .await
                    .unwrap()
            );
            let after = db.vote(CHAT, id).await.unwrap().unwrap();
            assert_eq!(
                (after.drawn, after.next_at),
                (2, NOW + 3_600),
                "then due at its deadline"
            );
        }
    }
}
