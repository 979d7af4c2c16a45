//! The meeting service the dialogue, inline mode, management and reminders share: which token a
//! meeting is made (or managed) with and on whose behalf it acts (`Acting`), refreshing it (one refresh per token at a time), creating with a retry
//! after a 401, and recording what was created.

use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use teloxide::prelude::*;
use teloxide::types::{User, UserId};

use super::core::{Ctx, HandlerError, TgBot};
use super::tokens::{REFRESH_AHEAD, tokens_from};
use crate::storage::{MeetingRecord, StorageError, Tokens};
use crate::telemost::TelemostError;
use crate::telemost::model::{Conference, CreateConference};

/// How many times a created meeting's record is written before giving up, and the pause before
/// the second try (doubling after).
const RECORD_ATTEMPTS: u32 = 3;
const RECORD_RETRY_AFTER: Duration = Duration::from_millis(200);

/// On whose behalf a stored token acts, and what must hold at the moment it does. The one place
/// that says it; every use of a stored token goes through `Ctx::token_in` or `Ctx::token_for`,
/// interactive or in the background, and is checked then, not only when the thing was set up.
///
/// - A chat's own token (a private chat's; a group's, bound by an admin's `/connect`) acts for
///   the chat: whoever may act there uses it (callers check who asks: `perm::may_create` to
///   create, `perm::may_change` to view or change a meeting).
/// - In a group with no token of its own, a member's own token (set in their private chat) acts
///   for that member, and only while they are in the group, as Telegram says at that moment
///   (`perm::is_member`): a meeting is made, viewed or changed with it, a recurring meeting's
///   next occurrence made, or the token refreshed, only then. Once they left or were banned,
///   nothing is done with it there.
/// - In inline mode a user's own token acts for that user, wherever they post the result.
pub enum Acting {
    /// Act with `token`, whose is `owner` (the chat's id, or the member's user id).
    Token { owner: i64, token: SecretString },
    /// There is no token to act with.
    NoToken,
    /// The token is member `owner`'s own, and they are no longer in the chat.
    MemberGone { owner: i64 },
}

impl Ctx {
    /// The token a meeting in `chat` asked for by `user` is created with, and whose it is: the
    /// chat's own, or in a group without one, the user's own while they are in the group. A token
    /// about to expire is refreshed first.
    pub async fn token_for(
        &self,
        bot: &TgBot,
        chat: ChatId,
        user: &User,
    ) -> Result<Acting, HandlerError> {
        let own = self.token_in(bot, chat, chat.0).await?;
        if !matches!(own, Acting::NoToken) || chat.is_user() {
            return Ok(own);
        }
        match i64::try_from(user.id.0) {
            Ok(member) => self.token_in(bot, chat, member).await,
            Err(_) => Ok(Acting::NoToken),
        }
    }

    /// `owner`'s token, to act in `chat`, if it still may (see `Acting`): the chat's own always,
    /// a member's own only while they are in the chat. Checked before the token is refreshed,
    /// so a departed member's refresh token is not spent either.
    pub async fn token_in(
        &self,
        bot: &TgBot,
        chat: ChatId,
        owner: i64,
    ) -> Result<Acting, HandlerError> {
        let Some(tokens) = self.db.token(owner).await? else {
            return Ok(Acting::NoToken);
        };
        if owner != chat.0 {
            let member = u64::try_from(owner).ok().map(UserId);
            let present = match member {
                // Boxed: only a group's member's own token asks, and a Telegram request's
                // future inline would grow every creation's, in every chat.
                Some(member) => Box::pin(super::perm::is_member(bot, self, chat, member)).await?,
                None => false,
            };
            if !present {
                return Ok(Acting::MemberGone { owner });
            }
        }
        Ok(Acting::Token {
            owner,
            token: self.fresh(owner, tokens).await?,
        })
    }

    /// Creates a meeting with `owner`'s `token`, refreshing the token once if Telemost says 401.
    pub async fn create_meeting(
        &self,
        owner: i64,
        token: &SecretString,
        request: &CreateConference,
    ) -> Result<Result<Conference, TelemostError>, StorageError> {
        let created = match self.telemost.create_conference(token, request).await {
            Err(TelemostError::Unauthorized) => match self.refresh_after_401(owner, token).await? {
                Some(fresh) => self.telemost.create_conference(&fresh, request).await,
                None => Err(TelemostError::Unauthorized),
            },
            other => other,
        };
        if created.is_ok() {
            let kind = if request.live_stream.is_some() {
                "stream"
            } else {
                "meeting"
            };
            metrics::counter!(crate::metrics::MEETINGS_CREATED, "kind" => kind).increment(1);
        }
        Ok(created)
    }

    /// Records a created meeting for `chat` (for /history and its buttons) and remembers its
    /// cohosts. Called once the links are shown: they matter more than our note of them, so the
    /// user does not wait for it. A failed write is tried again a few times; returns whether the
    /// record was written (without it the meeting's buttons are refused: they act only on
    /// meetings recorded in their chat).
    pub async fn record_meeting(
        &self,
        chat: ChatId,
        user: &User,
        owner: i64,
        request: &CreateConference,
        conference: &Conference,
        topic: Option<&str>,
    ) -> bool {
        let record = MeetingRecord {
            chat_id: chat.0,
            user_id: i64::try_from(user.id.0).ok(),
            user_name: Some(user.full_name()),
            token_owner: Some(owner),
            created_at: 0,
            conference_id: conference.id.clone(),
            join_url: conference.join_url.clone(),
            watch_url: conference.watch_url().map(str::to_owned),
            options: serde_json::to_string(request).unwrap_or_default(),
            topic: topic.map(str::to_owned),
        };
        let mut recorded = false;
        for attempt in 1..=RECORD_ATTEMPTS {
            match self.db.record_meeting(&record).await {
                Ok(()) => {
                    recorded = true;
                    break;
                }
                Err(e) if attempt < RECORD_ATTEMPTS => {
                    tracing::warn!(chat_id = chat.0, error = %e, attempt, "could not record a created meeting; trying again");
                    tokio::time::sleep(RECORD_RETRY_AFTER * attempt).await;
                }
                Err(e) => {
                    tracing::error!(chat_id = chat.0, conference_id = %conference.id, error = %e, "could not record a created meeting");
                }
            }
        }
        let emails: Vec<&str> = request.cohosts.iter().map(|c| c.email.as_str()).collect();
        if !emails.is_empty()
            && let Err(e) = self.db.remember_cohosts(chat.0, &emails).await
        {
            tracing::warn!(chat_id = chat.0, error = %e, "could not remember cohosts");
        }
        tracing::info!(chat_id = chat.0, conference_id = %conference.id, "meeting created");
        recorded
    }

    /// `owner`'s stored `tokens`' access token, refreshed first if it is about to expire.
    async fn fresh(&self, owner: i64, tokens: Tokens) -> Result<SecretString, StorageError> {
        if expiring(&tokens)
            && let Some(fresh) = self.refresh(owner, &tokens.access, expiring).await?
        {
            return Ok(fresh);
        }
        Ok(tokens.access)
    }

    /// After Telemost said 401 to `rejected`: the owner's token refreshed, if it can be (or
    /// already was, by another update meanwhile).
    pub async fn refresh_after_401(
        &self,
        owner: i64,
        rejected: &SecretString,
    ) -> Result<Option<SecretString>, StorageError> {
        self.refresh(owner, rejected, |_| true).await
    }

    /// Refreshes `owner`'s token `stale` (if `due` says the stored tokens still need it) and
    /// stores the new tokens. One refresh per owner at a time: a caller that waited finds the
    /// token refreshed already and gets the fresh one. `None` when there is no token, no refresh
    /// token, no OAuth app, or Yandex refuses.
    async fn refresh(
        &self,
        owner: i64,
        stale: &SecretString,
        due: fn(&Tokens) -> bool,
    ) -> Result<Option<SecretString>, StorageError> {
        let lock = {
            let mut refreshing = self
                .refreshing
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(refreshing.entry(owner).or_default())
        };
        let turn = lock.lock().await;
        // And one per owner across processes sharing the database: a refresh token is used once.
        let result = self
            .db
            .exclusively(refresh_lock(owner), self.refresh_in_turn(owner, stale, due))
            .await
            .and_then(|r| r);
        drop(turn);
        drop(lock);
        // Forget the owner's lock once nobody holds or waits for it.
        self.refreshing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|_, l| Arc::strong_count(l) > 1);
        result
    }

    async fn refresh_in_turn(
        &self,
        owner: i64,
        stale: &SecretString,
        due: fn(&Tokens) -> bool,
    ) -> Result<Option<SecretString>, StorageError> {
        // Read again in turn: the token may have been refreshed (or replaced) while we waited.
        let Some(tokens) = self.db.token(owner).await? else {
            return Ok(None);
        };
        if tokens.access.expose_secret() != stale.expose_secret() || !due(&tokens) {
            return Ok(Some(tokens.access));
        }
        let (Some(oauth), Some(refresh)) = (&self.oauth, &tokens.refresh) else {
            return Ok(None);
        };
        match oauth.refresh(refresh).await {
            Ok(grant) => {
                let mut fresh = tokens_from(grant);
                if fresh.refresh.is_none() {
                    fresh.refresh = tokens.refresh.clone();
                }
                // Only if the chat still has the token we refreshed: a /forget, /token or
                // /login meanwhile wins over this refresh.
                if !self.db.replace_token(owner, stale, &fresh).await? {
                    tracing::info!(
                        chat_id = owner,
                        "token changed during a refresh; kept the new one"
                    );
                    return Ok(None);
                }
                tracing::info!(chat_id = owner, "refreshed an OAuth token");
                Ok(Some(fresh.access))
            }
            Err(e) => {
                tracing::warn!(chat_id = owner, error = %e, "could not refresh an OAuth token");
                Ok(None)
            }
        }
    }
}

/// Whether a token expires soon enough to be refreshed before it is used.
fn expiring(tokens: &Tokens) -> bool {
    tokens
        .expires_at
        .is_some_and(|at| at - crate::storage::unix_now() < REFRESH_AHEAD.as_secs() as i64)
}

/// The lock held, across processes, while `owner`'s token is refreshed: a key of its own among
/// the database's advisory locks.
fn refresh_lock(owner: i64) -> i64 {
    const REFRESH: i64 = 0x7265_6672_0000_0000; // "refr"
    owner ^ REFRESH
}
