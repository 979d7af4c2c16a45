//! A chat's life as Telegram changes it under the bot: a basic group upgraded to a supergroup
//! (a new id: `move_chat` carries what is kept for the old one over), the bot removed from a
//! group (`forget_chat`), a user who blocked the bot in their private chat (table
//! `blocked_chats`: `set_blocked`, `is_blocked`).

use secrecy::SecretString;

use super::schedules::adding_key;
use super::tokens::{Tokens, access_context, refresh_context};
use super::{Db, Result, reading, transaction, unix_now};

/// What became of one thing a chat keeps one of (its token, its settings) in a move.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Carried {
    /// The old chat had none.
    #[default]
    Nothing,
    /// Now the new chat's.
    Moved,
    /// Dropped: the new chat had its own already (or the old token did not open).
    Dropped,
}

/// What one `Db::move_chat` moved, for the log. All empty when there was nothing left to move.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moved {
    pub token: Carried,
    pub settings: Carried,
    /// Meetings in the history.
    pub meetings: u64,
    /// Remembered cohosts of the old chat, merged into the new one's.
    pub cohosts: u64,
    /// Unfinished dialogues now in the new chat.
    pub dialogues: u64,
    /// Unfinished dialogues dropped: their member had one in the new chat already.
    pub dialogues_dropped: u64,
    /// /connect codes now naming the new chat.
    pub connect_codes: u64,
    /// Logins in progress now for the new chat.
    pub logins: u64,
    /// Scheduled meetings now the new chat's.
    pub schedules: u64,
    /// Votes on when to meet now the new chat's.
    pub votes: u64,
}

impl Moved {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// What one `Db::forget_chat` removed, for the log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forgot {
    pub token: bool,
    pub dialogues: u64,
    pub connect_codes: u64,
    /// Logins in progress for the chat (after a /connect link).
    pub logins: u64,
    /// Its scheduled meetings.
    pub schedules: u64,
    /// Its votes on when to meet.
    pub votes: u64,
}

impl Forgot {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The `meta` key recording that a chat moved (its value: where to). Its row is also what moves
/// of the same chat take turns on (see `move_chat`).
fn moved_key(from: i64) -> String {
    format!("moved/{from}")
}

/// Takes chat `$chat`'s turn for adding schedules in transaction `$tx` (waiting for an add in
/// progress to commit: an upsert waits for a row another transaction inserted or locked), and
/// removes the turn's row (the chat is gone).
macro_rules! take_adding_turn {
    ($tx:ident, $chat:expr) => {
        for sql in [
            "INSERT INTO meta (key, value) VALUES ($1, '')
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            "DELETE FROM meta WHERE key = $1",
        ] {
            sqlx::query(sql)
                .bind(adding_key($chat))
                .execute(&mut *$tx)
                .await?;
        }
    };
}

type TokenRow = (String, Option<String>, Option<i64>, Option<i64>, i64);

impl Db {
    /// Moves everything kept for the basic group `from` to the supergroup `to` it became: its
    /// token (re-sealed for `to`, unless `to` has one of its own), its settings (unless `to` has
    /// its own), its history, its remembered cohosts (merged: the later use wins), its members'
    /// unfinished dialogues (unless the member has one in `to`), the /connect codes and logins
    /// in progress for it, and its scheduled meetings (held ones too: their holder goes on with
    /// them by id; `to`'s limit is not checked). One transaction; what `from` kept that `to` did
    /// not take is dropped. Calling it again, or twice at once, moves nothing more and loses
    /// nothing; calling it again also moves a schedule added to `from` after the first move.
    ///
    /// Safe with several processes on PostgreSQL: its first statement upserts `from`'s row in
    /// `meta` (`moved/<from>`, recording the move), so a second move of `from` waits there until
    /// the first commits (or rolls back), then locks the committed row and goes on; each of its
    /// statements after that sees the first one's work (read committed: a snapshot per
    /// statement), finds nothing left under `from`, and changes nothing. Its second statement
    /// locks `from`'s token row with an update that leaves it as it is and reads its latest
    /// value, so a refresh of that token (`replace_token`, which locks the row the same way)
    /// either commits before it, and its new token is the one moved, or waits and then finds
    /// no row. On SQLite the transaction holds the database's write lock from its `BEGIN`, so
    /// these statements lock nothing more and change the same rows.
    pub async fn move_chat(&self, from: i64, to: i64) -> Result<Moved> {
        if from == to {
            return Ok(Moved::default());
        }
        transaction!(self, tx => {
            sqlx::query(
                "INSERT INTO meta (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(moved_key(from))
            .bind(to.to_string())
            .execute(&mut *tx)
            .await?;

            let mut moved = Moved::default();
            let token: Option<TokenRow> = sqlx::query_as(
                "UPDATE chat_tokens SET token = token WHERE chat_id = $1
                 RETURNING token, refresh_token, expires_at, set_by, updated_at",
            )
            .bind(from)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((access, refresh, expires_at, set_by, updated_at)) = token {
                moved.token = Carried::Dropped;
                match self.open_moved_token(from, &access, refresh.as_deref(), expires_at) {
                    Some(tokens) => {
                        let (access, refresh) = self.seal_tokens(to, &tokens);
                        let added = sqlx::query(
                            "INSERT INTO chat_tokens
                             (chat_id, token, refresh_token, expires_at, set_by, updated_at)
                             VALUES ($1, $2, $3, $4, $5, $6)
                             ON CONFLICT (chat_id) DO NOTHING",
                        )
                        .bind(to)
                        .bind(access)
                        .bind(refresh)
                        .bind(expires_at)
                        .bind(set_by)
                        .bind(updated_at)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if added > 0 {
                            moved.token = Carried::Moved;
                        }
                    }
                    None => tracing::warn!(from, to, "dropping a moved chat's token that does not open"),
                }
                sqlx::query("DELETE FROM chat_tokens WHERE chat_id = $1")
                    .bind(from)
                    .execute(&mut *tx)
                    .await?;
            }

            let settings = sqlx::query(
                "INSERT INTO chat_settings
                 (chat_id, waiting_room, stream_access, auto_summary, admins_only, instant_meet,
                  timezone, remind_before, updated_at)
                 SELECT $2, waiting_room, stream_access, auto_summary, admins_only, instant_meet,
                        timezone, remind_before, updated_at
                 FROM chat_settings WHERE chat_id = $1
                 ON CONFLICT (chat_id) DO NOTHING",
            )
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let old_settings = sqlx::query("DELETE FROM chat_settings WHERE chat_id = $1")
                .bind(from)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            moved.settings = match (settings, old_settings) {
                (0, 0) => Carried::Nothing,
                (0, _) => Carried::Dropped,
                _ => Carried::Moved,
            };

            moved.meetings = sqlx::query("UPDATE meetings SET chat_id = $2 WHERE chat_id = $1")
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            // The meetings `from`'s token created are managed with the token it became.
            sqlx::query("UPDATE meetings SET token_owner = $2 WHERE token_owner = $1")
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await?;

            sqlx::query(
                "INSERT INTO chat_cohosts (chat_id, email, last_used)
                 SELECT $2, email, last_used FROM chat_cohosts WHERE chat_id = $1
                 ON CONFLICT (chat_id, email) DO UPDATE
                 SET last_used = CASE WHEN excluded.last_used > chat_cohosts.last_used
                                      THEN excluded.last_used ELSE chat_cohosts.last_used END",
            )
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await?;
            moved.cohosts = sqlx::query("DELETE FROM chat_cohosts WHERE chat_id = $1")
                .bind(from)
                .execute(&mut *tx)
                .await?
                .rows_affected();

            moved.dialogues = sqlx::query(
                "INSERT INTO dialogues (chat_id, user_id, state, message_id, updated_at, version)
                 SELECT $2, user_id, state, message_id, updated_at, version
                 FROM dialogues WHERE chat_id = $1
                 ON CONFLICT (chat_id, user_id) DO NOTHING",
            )
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let old_dialogues = sqlx::query("DELETE FROM dialogues WHERE chat_id = $1")
                .bind(from)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            moved.dialogues_dropped = old_dialogues.saturating_sub(moved.dialogues);

            moved.connect_codes =
                sqlx::query("UPDATE connect_codes SET group_id = $2 WHERE group_id = $1")
                    .bind(from)
                    .bind(to)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            moved.logins = sqlx::query("UPDATE logins SET group_id = $2 WHERE group_id = $1")
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await?
                .rows_affected();

            // `from`'s turn for adding schedules (see `add_schedule`) first: an add to `from` in
            // progress commits before the schedules are moved, and its schedule moves too. The
            // turn's row is then of no more use.
            take_adding_turn!(tx, from);
            moved.schedules = sqlx::query("UPDATE schedules SET chat_id = $2 WHERE chat_id = $1")
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            moved.votes = sqlx::query("UPDATE votes SET chat_id = $2 WHERE chat_id = $1")
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await?
                .rows_affected();

            tx.commit().await?;
            Ok(moved)
        })
    }

    /// `from`'s sealed tokens opened, or `None` if they do not open (altered, or sealed for
    /// another chat): such a token could never be used, so it is not carried over.
    fn open_moved_token(
        &self,
        from: i64,
        access: &str,
        refresh: Option<&str>,
        expires_at: Option<i64>,
    ) -> Option<Tokens> {
        let access = self.cipher.open(&access_context(from), access).ok()?;
        let refresh: Option<SecretString> = match refresh {
            Some(sealed) => Some(self.cipher.open(&refresh_context(from), sealed).ok()?),
            None => None,
        };
        Some(Tokens {
            access,
            refresh,
            expires_at,
        })
    }

    /// The bot is no longer in group `chat` (removed or banned): its token, its members'
    /// unfinished dialogues, its /connect codes, the logins in progress for it and its scheduled
    /// meetings are deleted; its settings and history are kept, should the bot be added back.
    /// One transaction.
    pub async fn forget_chat(&self, chat: i64) -> Result<Forgot> {
        transaction!(self, tx => {
            let token = sqlx::query("DELETE FROM chat_tokens WHERE chat_id = $1")
                .bind(chat)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let dialogues = sqlx::query("DELETE FROM dialogues WHERE chat_id = $1")
                .bind(chat)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let connect_codes = sqlx::query("DELETE FROM connect_codes WHERE group_id = $1")
                .bind(chat)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let logins = sqlx::query("DELETE FROM logins WHERE group_id = $1")
                .bind(chat)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            // The chat's turn for adding schedules first, as in `move_chat`.
            take_adding_turn!(tx, chat);
            let schedules = sqlx::query("DELETE FROM schedules WHERE chat_id = $1")
                .bind(chat)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let votes = sqlx::query("DELETE FROM votes WHERE chat_id = $1")
                .bind(chat)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(Forgot {
                token: token > 0,
                dialogues,
                connect_codes,
                logins,
                schedules,
                votes,
            })
        })
    }

    /// Records that the user of private chat `chat` blocked the bot (`blocked`), which also
    /// cancels the chat's login in progress, or unblocked it. Returns whether that changed
    /// anything, so the caller logs it once (also when two processes record it at once: the
    /// second insert waits for the first and then finds its row).
    pub async fn set_blocked(&self, chat: i64, blocked: bool) -> Result<bool> {
        transaction!(self, tx => {
            let changed = if blocked {
                let added = sqlx::query(
                    "INSERT INTO blocked_chats (chat_id, blocked_at) VALUES ($1, $2)
                     ON CONFLICT (chat_id) DO NOTHING",
                )
                .bind(chat)
                .bind(unix_now())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                sqlx::query("DELETE FROM logins WHERE chat_id = $1")
                    .bind(chat)
                    .execute(&mut *tx)
                    .await?;
                added > 0
            } else {
                sqlx::query("DELETE FROM blocked_chats WHERE chat_id = $1")
                    .bind(chat)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    > 0
            };
            tx.commit().await?;
            Ok(changed)
        })
    }

    /// Whether the user of private chat `chat` blocked the bot.
    pub async fn is_blocked(&self, chat: i64) -> Result<bool> {
        let found: Option<i64> = reading!(self, c => sqlx::query_scalar(
            "SELECT chat_id FROM blocked_chats WHERE chat_id = $1",
        )
        .bind(chat)
        .fetch_optional(c)
        .await?);
        Ok(found.is_some())
    }
}

#[cfg(test)]
mod tests {
    use secrecy::{ExposeSecret, SecretString};

    use super::{Carried, Forgot, Moved};
    use crate::storage::testing::{dbs, exec, fetch_all, pasted};
    use crate::storage::{
        ChatSettings, Db, Login, MeetingRecord, NewSchedule, Redeemed, StorageError, Tokens,
    };

    /// A basic group, the supergroup it becomes, and a group that has nothing to do with them.
    const FROM: i64 = -4_000_001;
    const TO: i64 = -1_000_000_000_001;
    const OTHER: i64 = -4_000_009;
    /// The admin who set the token and asked for the /connect codes.
    const ADMIN: i64 = 7;
    /// Unix seconds and milliseconds, for codes and logins.
    const NOW: i64 = 1_800_000_000;
    const NOW_MS: i64 = NOW * 1000;

    fn group_settings() -> ChatSettings {
        ChatSettings {
            waiting_room: "ADMINS".into(),
            auto_summary: true,
            timezone: Some("Asia/Novosibirsk".into()),
            remind_before: 10,
            ..ChatSettings::default()
        }
    }

    /// A meeting scheduled in `chat_id`, about `topic`.
    fn schedule(chat_id: i64, topic: &str) -> NewSchedule {
        NewSchedule {
            chat_id,
            thread_id: None,
            created_by: ADMIN,
            creator: "{}".into(),
            topic: Some(topic.into()),
            request: "{}".into(),
            zone: "Europe/Moscow".into(),
            repeat: None,
            duration_secs: 1_800,
            start_at: NOW + 3_600,
            conference_id: None,
            join_url: None,
            next_at: NOW,
            step: "remind".into(),
            mentions: None,
        }
    }

    /// The topics of the chat's scheduled meetings, sorted.
    async fn scheduled(db: &Db, chat_id: i64) -> Vec<String> {
        let mut topics: Vec<String> = db
            .schedules_of(chat_id)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|s| s.plan.topic)
            .collect();
        topics.sort();
        topics
    }

    fn meeting(chat_id: i64, conference_id: &str) -> MeetingRecord {
        MeetingRecord {
            chat_id,
            user_id: Some(ADMIN),
            user_name: Some("Anna".into()),
            token_owner: Some(chat_id),
            created_at: 0,
            conference_id: conference_id.into(),
            join_url: format!("https://telemost.yandex.ru/j/{conference_id}"),
            watch_url: None,
            options: "{}".into(),
            topic: None,
        }
    }

    /// A login in private chat `chat_id` for `group_id`.
    fn login(chat_id: i64, group_id: i64) -> Login {
        Login {
            chat_id,
            starter: format!("{{\"id\":{chat_id}}}"),
            group_id: Some(group_id),
            device_code: SecretString::from(format!("dc-{chat_id}")),
            interval_secs: 5,
            next_poll_at: NOW_MS,
            expires_at: NOW_MS + 300_000,
        }
    }

    async fn remember_cohost(db: &Db, chat_id: i64, email: &str, last_used: i64) {
        exec!(
            db,
            sqlx::query("INSERT INTO chat_cohosts (chat_id, email, last_used) VALUES ($1, $2, $3)")
                .bind(chat_id)
                .bind(email)
                .bind(last_used)
        );
    }

    /// The chat's remembered cohosts: (email, last used), by email.
    async fn cohosts(db: &Db, chat_id: i64) -> Vec<(String, i64)> {
        fetch_all!(
            db,
            sqlx::query_as(
                "SELECT email, last_used FROM chat_cohosts WHERE chat_id = $1 ORDER BY email"
            )
            .bind(chat_id)
        )
    }

    /// The chats that have a row in `table` (whose chat column is `chat_id`).
    async fn rows_of(db: &Db, table: &str, chat_id: i64) -> usize {
        let sql = format!("SELECT chat_id FROM {table} WHERE chat_id = $1");
        let rows: Vec<i64> = fetch_all!(
            db,
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(chat_id)
        );
        rows.len()
    }

    /// The groups of the logins in progress, by private chat.
    async fn login_groups(db: &Db) -> Vec<(i64, Option<i64>)> {
        fetch_all!(
            db,
            sqlx::query_as("SELECT chat_id, group_id FROM logins ORDER BY chat_id")
        )
    }

    /// What the basic group `from` keeps before it becomes `to`, with some of `to`'s own (a
    /// cohost both used, a member's dialogue) and another group's code and login.
    async fn fill(db: &Db, from: i64, to: i64) {
        let tokens = Tokens {
            access: SecretString::from("acc-from"),
            refresh: Some(SecretString::from("ref-from")),
            expires_at: Some(1_900_000_000),
        };
        db.set_token(from, &tokens, Some(ADMIN)).await.unwrap();
        db.save_settings(from, &group_settings()).await.unwrap();
        db.record_meeting(&meeting(from, "1")).await.unwrap();
        db.record_meeting(&meeting(from, "2")).await.unwrap();
        remember_cohost(db, from, "a@x.ru", 100).await;
        remember_cohost(db, from, "b@x.ru", 300).await;
        remember_cohost(db, to, "b@x.ru", 200).await;
        remember_cohost(db, to, "c@x.ru", 50).await;
        db.save_dialogue(from, 1, "from-1", Some(10), None)
            .await
            .unwrap();
        db.save_dialogue(from, 2, "from-2", Some(11), None)
            .await
            .unwrap();
        db.save_dialogue(to, 2, "to-2", Some(12), None)
            .await
            .unwrap();
        db.save_connect_code(&format!("code{from}"), from, ADMIN, NOW + 600)
            .await
            .unwrap();
        db.save_connect_code(&format!("code{from}-other"), OTHER, ADMIN, NOW + 600)
            .await
            .unwrap();
        db.start_login(&login(-from, from)).await.unwrap();
        db.start_login(&login(-from + 1, OTHER)).await.unwrap();
        for (chat, topic) in [
            (from, "from-1"),
            (from, "from-2"),
            (to, "to-1"),
            (OTHER, &format!("other{from}")),
        ] {
            db.add_schedule(&schedule(chat, topic), 10, NOW)
                .await
                .unwrap()
                .unwrap();
        }
        for chat in [from, OTHER] {
            let vote = crate::storage::NewVote {
                chat_id: chat,
                thread_id: None,
                created_by: ADMIN,
                creator: "{}".into(),
                topic: None,
                request: "{}".into(),
                zone: "Europe/Moscow".into(),
                duration_secs: 1_800,
                options: "[]".into(),
                close_at: NOW + 3_600,
            };
            db.add_vote(&vote, 10, NOW).await.unwrap().unwrap();
        }
    }

    /// What moving what `fill` made moves.
    fn filled_moved() -> Moved {
        Moved {
            token: Carried::Moved,
            settings: Carried::Moved,
            meetings: 2,
            cohosts: 2,
            dialogues: 1,
            dialogues_dropped: 1,
            connect_codes: 1,
            logins: 1,
            schedules: 2,
            votes: 1,
        }
    }

    /// Checks that what `fill` made is `to`'s now (its token if `with_token`), and nothing of it
    /// is left under `from`.
    async fn check_moved(db: &Db, from: i64, to: i64, with_token: bool) {
        if with_token {
            check_token_moved(db, from, to).await;
        } else {
            assert!(db.token(to).await.unwrap().is_none());
        }
        assert!(db.token(from).await.unwrap().is_none());

        assert_eq!(db.settings(to).await.unwrap(), group_settings());
        assert_eq!(rows_of(db, "chat_settings", from).await, 0);
        assert_eq!(rows_of(db, "votes", from).await, 0);
        assert_eq!(db.open_votes(to).await.unwrap().len(), 1, "the vote moved");

        let history = db.recent_meetings(to, 10).await.unwrap();
        assert_eq!(history.len(), 2);
        assert!(
            history.iter().all(|m| m.token_owner == Some(to)),
            "managed with the token it became: {history:?}"
        );
        assert!(db.recent_meetings(from, 10).await.unwrap().is_empty());

        assert_eq!(
            cohosts(db, to).await,
            [
                ("a@x.ru".to_owned(), 100),
                ("b@x.ru".to_owned(), 300),
                ("c@x.ru".to_owned(), 50)
            ],
            "merged, the later use kept"
        );
        assert!(cohosts(db, from).await.is_empty());

        assert_eq!(
            db.load_dialogue(to, 1)
                .await
                .unwrap()
                .map(|(s, _)| s)
                .as_deref(),
            Some("from-1")
        );
        assert_eq!(db.dialogue_owner_of(to, 10).await.unwrap(), Some(1));
        assert_eq!(
            db.load_dialogue(to, 2)
                .await
                .unwrap()
                .map(|(s, _)| s)
                .as_deref(),
            Some("to-2"),
            "the member's dialogue in the supergroup is kept"
        );
        assert_eq!(rows_of(db, "dialogues", from).await, 0);

        assert_eq!(
            db.redeem_connect_code(&format!("code{from}"), ADMIN, NOW)
                .await
                .unwrap(),
            Redeemed::Group(to)
        );
        assert_eq!(
            db.redeem_connect_code(&format!("code{from}-other"), ADMIN, NOW)
                .await
                .unwrap(),
            Redeemed::Group(OTHER)
        );
        let logins = login_groups(db).await;
        assert!(logins.contains(&(-from, Some(to))), "{logins:?}");
        assert!(logins.contains(&(-from + 1, Some(OTHER))), "{logins:?}");

        assert_eq!(scheduled(db, to).await, ["from-1", "from-2", "to-1"]);
        assert!(scheduled(db, from).await.is_empty());
        assert!(
            scheduled(db, OTHER).await.contains(&format!("other{from}")),
            "another group's stays"
        );
    }

    /// Checks that `from`'s token is `to`'s now, re-sealed for it.
    async fn check_token_moved(db: &Db, from: i64, to: i64) {
        let got = db.token(to).await.unwrap().expect("the token moved");
        assert_eq!(got.access.expose_secret(), "acc-from");
        assert_eq!(got.refresh.unwrap().expose_secret(), "ref-from");
        assert_eq!(got.expires_at, Some(1_900_000_000));
        let set_by: Vec<Option<i64>> = fetch_all!(
            db,
            sqlx::query_scalar("SELECT set_by FROM chat_tokens WHERE chat_id = $1").bind(to)
        );
        assert_eq!(set_by, [Some(ADMIN)]);
        assert!(db.token(from).await.unwrap().is_none());
        // Re-sealed for `to`: its sealed values copied back to `from`'s row do not open there.
        exec!(
            db,
            sqlx::query(
                "INSERT INTO chat_tokens (chat_id, token, refresh_token, updated_at)
                 SELECT $1, token, refresh_token, 0 FROM chat_tokens WHERE chat_id = $2"
            )
            .bind(from)
            .bind(to)
        );
        assert!(matches!(db.token(from).await, Err(StorageError::Crypto(_))));
        db.forget_token(from).await.unwrap();
    }

    #[tokio::test]
    async fn a_move_carries_everything_over_once() {
        for (_guard, db) in dbs().await {
            fill(&db, FROM, TO).await;
            assert_eq!(db.move_chat(FROM, TO).await.unwrap(), filled_moved());
            let again = db.move_chat(FROM, TO).await.unwrap();
            assert!(again.is_empty(), "{again:?}");
            check_moved(&db, FROM, TO, true).await;
            db.close().await;
        }
    }

    #[tokio::test]
    async fn a_supergroups_own_token_and_settings_win() {
        for (_guard, db) in dbs().await {
            fill(&db, FROM, TO).await;
            db.set_token(TO, &pasted("acc-to"), Some(ADMIN + 1))
                .await
                .unwrap();
            let theirs = ChatSettings {
                instant_meet: true,
                ..ChatSettings::default()
            };
            db.save_settings(TO, &theirs).await.unwrap();

            let moved = db.move_chat(FROM, TO).await.unwrap();
            assert_eq!(
                moved,
                Moved {
                    token: Carried::Dropped,
                    settings: Carried::Dropped,
                    ..filled_moved()
                }
            );
            assert_eq!(
                db.token(TO).await.unwrap().unwrap().access.expose_secret(),
                "acc-to"
            );
            assert!(db.token(FROM).await.unwrap().is_none());
            assert_eq!(db.settings(TO).await.unwrap(), theirs);
            assert_eq!(rows_of(&db, "chat_settings", FROM).await, 0);
            assert_eq!(db.recent_meetings(TO, 10).await.unwrap().len(), 2);
            assert!(db.move_chat(FROM, TO).await.unwrap().is_empty());
            db.close().await;
        }
    }

    #[tokio::test]
    async fn two_moves_at_once_end_as_one() {
        for (_guard, db) in dbs().await {
            for round in 0..6 {
                let (from, to) = (FROM - 10 * round, TO - 10 * round);
                fill(&db, from, to).await;
                // Every other round without a token: its row is not there to take turns on.
                let with_token = round % 2 == 0;
                let mut expected = filled_moved();
                if !with_token {
                    db.forget_token(from).await.unwrap();
                    expected.token = Carried::Nothing;
                }
                let other = db.clone();
                let (a, b) = tokio::join!(db.move_chat(from, to), other.move_chat(from, to));
                let (a, b) = (a.unwrap(), b.unwrap());
                assert!(
                    (a == expected && b.is_empty()) || (b == expected && a.is_empty()),
                    "one moves everything, the other nothing: {a:?} {b:?}"
                );
                check_moved(&db, from, to, with_token).await;
            }
            db.close().await;
        }
    }

    #[tokio::test]
    async fn a_group_the_bot_left_keeps_its_settings_and_history_only() {
        for (_guard, db) in dbs().await {
            fill(&db, FROM, TO).await;
            let forgot = db.forget_chat(FROM).await.unwrap();
            assert_eq!(
                forgot,
                Forgot {
                    token: true,
                    dialogues: 2,
                    connect_codes: 1,
                    logins: 1,
                    schedules: 2,
                    votes: 1,
                }
            );
            assert!(db.token(FROM).await.unwrap().is_none());
            assert_eq!(rows_of(&db, "dialogues", FROM).await, 0);
            assert_eq!(
                db.load_dialogue(TO, 2)
                    .await
                    .unwrap()
                    .map(|(s, _)| s)
                    .as_deref(),
                Some("to-2"),
                "another chat's dialogue stays"
            );
            assert_eq!(
                db.redeem_connect_code(&format!("code{FROM}"), ADMIN, NOW)
                    .await
                    .unwrap(),
                Redeemed::Invalid
            );
            assert_eq!(login_groups(&db).await, [(-FROM + 1, Some(OTHER))]);
            assert!(scheduled(&db, FROM).await.is_empty());
            assert_eq!(scheduled(&db, TO).await, ["to-1"], "other chats' stay");
            assert_eq!(scheduled(&db, OTHER).await, [format!("other{FROM}")]);
            assert_eq!(db.settings(FROM).await.unwrap(), group_settings());
            assert_eq!(db.recent_meetings(FROM, 10).await.unwrap().len(), 2);
            assert_eq!(cohosts(&db, FROM).await.len(), 2);
            assert!(db.forget_chat(FROM).await.unwrap().is_empty());
            db.close().await;
        }
    }

    #[tokio::test]
    async fn blocking_is_recorded_once_and_cancels_the_login() {
        for (_guard, db) in dbs().await {
            db.start_login(&login(ADMIN, FROM)).await.unwrap();
            db.start_login(&login(ADMIN + 1, FROM)).await.unwrap();
            assert!(!db.is_blocked(ADMIN).await.unwrap());
            assert!(!db.set_blocked(ADMIN, false).await.unwrap(), "not blocked");

            assert!(db.set_blocked(ADMIN, true).await.unwrap());
            assert!(db.is_blocked(ADMIN).await.unwrap());
            assert!(!db.is_blocked(ADMIN + 1).await.unwrap());
            assert_eq!(
                login_groups(&db).await,
                [(ADMIN + 1, Some(FROM))],
                "the blocked chat's login is cancelled, not another's"
            );
            let at: Vec<i64> = fetch_all!(
                db,
                sqlx::query_scalar("SELECT blocked_at FROM blocked_chats WHERE chat_id = $1")
                    .bind(ADMIN)
            );
            assert_eq!(at.len(), 1);
            assert!(at[0] >= NOW - 10 * 365 * 24 * 3600, "{at:?}");
            assert!(!db.set_blocked(ADMIN, true).await.unwrap(), "already");

            assert!(db.set_blocked(ADMIN, false).await.unwrap());
            assert!(!db.is_blocked(ADMIN).await.unwrap());
            assert_eq!(rows_of(&db, "blocked_chats", ADMIN).await, 0);
            assert!(!db.set_blocked(ADMIN, false).await.unwrap(), "already");
            db.close().await;
        }
    }

    /// A schedule held while its group is upgraded moves with it and its holder goes on with it;
    /// one added to the old id after the move goes over with the next move.
    #[tokio::test]
    async fn schedules_move_with_their_group_held_or_late() {
        for (_guard, db) in dbs().await {
            let held = db
                .add_schedule(&schedule(FROM, "held"), 10, NOW)
                .await
                .unwrap()
                .unwrap();
            let claimed = db
                .claim_schedules(1, NOW, NOW_MS, NOW_MS + 30_000, 10)
                .await
                .unwrap();
            assert_eq!(claimed.len(), 1);
            assert_eq!(claimed[0].plan.chat_id, FROM, "as claimed");
            assert_eq!(db.move_chat(FROM, TO).await.unwrap().schedules, 1);
            let next = crate::storage::Advance {
                start_at: NOW + 7_200,
                next_at: NOW + 7_000,
                step: "remind".into(),
                conference_id: None,
                join_url: None,
            };
            assert!(
                db.advance_schedule(held, 1, NOW_MS + 30_000, &next)
                    .await
                    .unwrap()
            );
            let row = db.schedule(TO, held).await.unwrap().unwrap();
            assert_eq!((row.plan.next_at, row.lease_until), (NOW + 7_000, 0));

            db.add_schedule(&schedule(FROM, "late"), 10, NOW)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(db.move_chat(FROM, TO).await.unwrap().schedules, 1);
            assert_eq!(scheduled(&db, TO).await, ["held", "late"]);
            assert!(scheduled(&db, FROM).await.is_empty());
            assert!(db.move_chat(FROM, TO).await.unwrap().is_empty());
            db.close().await;
        }
    }

    /// A login polled while its group was upgraded finishes with the group's new id: the token
    /// it brings goes to the supergroup, not to the id that no longer exists.
    #[tokio::test]
    async fn a_login_finished_after_the_upgrade_names_the_new_group() {
        for (_guard, db) in dbs().await {
            const FROM: i64 = -4_242;
            const TO: i64 = -1_000_000_004_242;
            let login = Login {
                chat_id: 31,
                starter: "{}".into(),
                group_id: Some(FROM),
                device_code: SecretString::from("dc".to_owned()),
                interval_secs: 5,
                next_poll_at: 0,
                expires_at: i64::MAX,
            };
            db.start_login(&login).await.unwrap();
            let claimed = db.claim_logins(1, 1_000, 60_000, 10).await.unwrap();
            assert_eq!(claimed[0].login.group_id, Some(FROM), "as claimed");
            db.move_chat(FROM, TO).await.unwrap();
            let finished = db.finish_login(&claimed[0]).await.unwrap().unwrap();
            assert_eq!(finished.group_id, Some(TO));
            db.close().await;
        }
    }
}
