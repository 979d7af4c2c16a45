//! Polling Yandex for the logins in progress: /login (see `login`) stores a login and shows the
//! user the code to enter; this job kind does the rest, in the background, until Yandex answers
//! or the code expires.
//!
//! ```text
//! user: (enters the code on Yandex's page, and allows the app)
//! bot:  Signed in with Yandex: token saved. Now /meet creates a meeting.
//! ```
//!
//! The login is stored (see `storage::logins`), not kept in a task: one worker per process claims
//! the logins due, polls Yandex for each at the interval Yandex asked for, and reschedules or
//! finishes them. So a login goes on after a restart, and with several processes on one database
//! whichever claims it next polls it; one that dies mid-poll leaves it to another once its lease
//! runs out. The process whose finish removed the login is the one that stores the token and
//! tells the user, so that happens once.

use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::User;

use super::{Job, Worker, millis};
use crate::bot::core::{Ctx, HandlerResult, TgBot, lang_of};
use crate::clock::unix_now_ms;
use crate::oauth::{Grant, OAuthError, Poll};
use crate::storage::{Claimed, Leased, StorageError};

/// How long a process holds a login it claimed: one poll (at most `POLL_TIMEOUT`) and the
/// writes around it fit well within, and a process that died leaves its logins to another
/// after this long.
const LEASE: Duration = Duration::from_secs(15);
/// How long one poll of Yandex may take; longer counts as a network blip.
const POLL_TIMEOUT: Duration = Duration::from_secs(8);
/// How many logins one process polls at once.
const AT_ONCE: usize = 16;
/// How often the poller looks for logins due even when nothing in this process woke it (logins
/// another process rescheduled, or whose holder died).
const TICK: Duration = Duration::from_secs(1);
/// Never looks sooner than this after the last look.
const LEAST_WAIT: Duration = Duration::from_millis(5);
/// At shutdown, how long the polls in flight get to finish before they are cut off (the login
/// is then polled again by another process, or after the restart).
const STOP_GRACE: Duration = Duration::from_secs(3);
/// What slow_down adds to the interval, in Yandex's seconds.
const SLOW_DOWN_SECS: i64 = 5;

/// `n` of Yandex's seconds, as this process counts them (`oauth_time_unit`), in milliseconds.
pub fn oauth_ms(ctx: &Ctx, n: i64) -> i64 {
    millis(ctx.oauth_time_unit).saturating_mul(n)
}

/// Starts polling Yandex for the logins stored (by any process), as process `taker`. Without a
/// Yandex OAuth app configured, nothing is polled: the logins are left to processes that have
/// one.
pub fn spawn(bot: TgBot, ctx: Arc<Ctx>, taker: i64) -> Worker {
    match ctx.oauth {
        Some(_) => super::spawn(Logins { bot, ctx }, taker),
        None => Worker::idle(),
    }
}

/// The logins in progress, as a job kind.
struct Logins {
    bot: TgBot,
    ctx: Arc<Ctx>,
}

impl Job for Logins {
    type Item = Claimed;
    const NAME: &'static str = "logins";
    const AT_ONCE: usize = AT_ONCE;
    const LEASE: Duration = LEASE;
    const TICK: Duration = TICK;
    const LEAST_WAIT: Duration = LEAST_WAIT;
    const STOP_GRACE: Duration = STOP_GRACE;

    /// Logins are due by the system clock, as leases are (unix ms).
    async fn until_due(&self) -> Result<Option<Duration>, StorageError> {
        let due = self.ctx.db.next_due(Leased::Logins, unix_now_ms()).await?;
        Ok(due.map(|at| {
            Duration::from_millis(u64::try_from(at.saturating_sub(unix_now_ms())).unwrap_or(0))
        }))
    }

    async fn claim(
        &self,
        taker: i64,
        wall_now_ms: i64,
        lease_until: i64,
        room: usize,
    ) -> Result<Vec<Claimed>, StorageError> {
        self.ctx
            .db
            .claim_logins(taker, wall_now_ms, lease_until, room)
            .await
    }

    fn run(
        &mut self,
        _taker: i64,
        login: Claimed,
    ) -> impl Future<Output = ()> + Send + 'static + use<> {
        poll(Arc::clone(&self.bot), Arc::clone(&self.ctx), login)
    }

    async fn release(&self, taker: i64) -> Result<(), StorageError> {
        self.ctx.db.release(Leased::Logins, taker).await
    }

    /// A login stored here (`login::start`).
    async fn woken(&mut self) {
        self.ctx.login_due.notified().await;
    }
}

/// One turn of a claimed login: polls Yandex once (unless the code expired), then reschedules
/// the login, or finishes it and acts on the outcome.
async fn poll(bot: TgBot, ctx: Arc<Ctx>, claimed: Claimed) {
    let login = &claimed.login;
    let chat = ChatId(login.chat_id);
    let outcome = if unix_now_ms() >= login.expires_at {
        Err(OAuthError::Expired)
    } else {
        let Some(oauth) = ctx.oauth.as_ref() else {
            return;
        };
        let mut interval = login.interval_secs;
        let answer = tokio::time::timeout(POLL_TIMEOUT, oauth.poll(&login.device_code))
            .await
            .unwrap_or_else(|_| Err(OAuthError::Unavailable("timed out".into())));
        match answer {
            Ok(Poll::Granted(grant)) => Ok(grant),
            Ok(Poll::Pending) => return reschedule(&ctx, &claimed, interval).await,
            Ok(Poll::SlowDown) => {
                interval = interval.saturating_add(SLOW_DOWN_SECS);
                return reschedule(&ctx, &claimed, interval).await;
            }
            // A network blip: keep trying until the code expires.
            Err(OAuthError::Unavailable(e)) => {
                tracing::info!(error = %e, "Yandex OAuth unavailable, polling on");
                return reschedule(&ctx, &claimed, interval).await;
            }
            Err(e) => Err(e),
        }
    };
    let finished = match ctx.db.finish_login(&claimed).await {
        Ok(Some(finished)) => finished,
        // Cancelled, replaced by a new /login, or taken over by another process meanwhile.
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "could not finish a Yandex login; it is polled again");
            return;
        }
    };
    let user: Option<User> = serde_json::from_str(&login.starter).ok();
    let t = lang_of(user.as_ref());
    let result = match (outcome, &user) {
        // The group as it is now, not as when the login was claimed: it may have been
        // upgraded to a supergroup meanwhile.
        (Ok(grant), Some(user)) => store(&bot, &ctx, chat, user, finished.group_id, grant).await,
        (Ok(_), None) => {
            tracing::error!("a Yandex login's user could not be read back; token not stored");
            bot.send(chat, t.login_failed(), None)
                .await
                .map(|_| ())
                .map_err(Into::into)
        }
        (Err(e), _) => {
            let text = match e {
                OAuthError::Denied => t.login_denied(),
                OAuthError::Expired => t.login_expired(),
                other => {
                    tracing::warn!(error = %other, "Yandex login failed");
                    t.login_failed()
                }
            };
            bot.send(chat, text, None)
                .await
                .map(|_| ())
                .map_err(Into::into)
        }
    };
    if let Err(e) = result {
        tracing::error!(error = %e, "finishing a Yandex login failed");
        let _ = bot.send(chat, t.internal_error(), None).await;
    }
}

/// Not yet: the login is polled again after `interval` (Yandex's seconds), by whichever process
/// claims it then.
async fn reschedule(ctx: &Ctx, claimed: &Claimed, interval: i64) {
    let next = unix_now_ms().saturating_add(oauth_ms(ctx, interval));
    if let Err(e) = ctx.db.reschedule_login(claimed, next, interval).await {
        // The lease runs out and the login is polled again then.
        tracing::warn!(error = %e, "could not reschedule a Yandex login");
    }
}

async fn store(
    bot: &TgBot,
    ctx: &Ctx,
    chat: ChatId,
    user: &User,
    group: Option<i64>,
    grant: Grant,
) -> HandlerResult {
    let tokens = crate::bot::tokens::tokens_from(grant);
    match group {
        Some(group) => {
            crate::bot::tokens::bind(bot, ctx, group, user, tokens).await?;
        }
        None => {
            ctx.db.set_token(chat.0, &tokens, Some(chat.0)).await?;
            bot.send(chat, lang_of(Some(user)).login_done(), None)
                .await?;
        }
    }
    Ok(())
}
