//! `/login`: signing in with Yandex's device-code flow instead of pasting a token.
//!
//! ```text
//! user: /login
//! bot:  Open the Yandex page below and enter the code WXYZ-1234 … [Open Yandex]
//!       (the bot polls Yandex in the background; the chat stays free, /cancel stops it)
//! bot:  Signed in with Yandex: token saved. Now /meet creates a meeting.
//! ```
//!
//! After a /connect link the token goes to the group instead, as with a pasted one.
//!
//! The login is stored (see `storage::logins`), not kept in a task: one poller per process
//! (`spawn_polling`) claims the logins due, polls Yandex for each at the interval Yandex asked
//! for, and reschedules or finishes them. So a login goes on after a restart, and with several
//! processes on one database whichever claims it next polls it; one that dies mid-poll leaves it
//! to another once its lease runs out. The process whose finish removed the login is the one
//! that stores the token and tells the user, so that happens once.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, User};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::core::{Ctx, HandlerResult, TgBot, lang_of};
use super::state::State;
use super::store::BotDialogue;
use crate::oauth::{Grant, OAuthError, Poll};
use crate::storage::{Claimed, Login, StorageError};

/// What Yandex is told the app is, on its confirmation page.
const DEVICE_NAME: &str = "Telemost bot for Telegram";

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

/// Now, in unix milliseconds: the times a stored login is scheduled by.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// `n` of Yandex's seconds, as this process counts them (`oauth_time_unit`), in milliseconds.
fn oauth_ms(ctx: &Ctx, n: i64) -> i64 {
    millis(ctx.oauth_time_unit).saturating_mul(n)
}

/// `/login` in a private chat; `group` when it follows a /connect link.
pub async fn start(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    state: State,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let (bot, msg, ctx) = (&bot, &msg, &ctx);
    let group = super::tokens::awaited_group(&state).group;
    let t = lang_of(msg.from.as_ref());
    let chat = msg.chat.id;
    let Some(user) = msg.from.as_ref() else {
        return Ok(());
    };
    if !msg.chat.is_private() {
        bot.send(chat, t.token_only_in_private(), None).await?;
        return Ok(());
    }
    let Some(oauth) = ctx.oauth.as_ref() else {
        bot.send(chat, t.login_not_configured(), None).await?;
        return Ok(());
    };
    let code = match oauth.device_code(DEVICE_NAME).await {
        Ok(code) => code,
        Err(e) => {
            tracing::warn!(error = %e, "could not start a Yandex login");
            bot.send(chat, t.login_failed(), None).await?;
            return Ok(());
        }
    };
    // The next message is no longer a token: the login supplies it.
    dialogue.exit().await?;
    let now = now_ms();
    let interval = i64::try_from(code.interval.max(1)).unwrap_or(5);
    let expires_in = i64::try_from(code.expires_in).unwrap_or(300);
    // Replaces a login of this chat still in progress: its holder can no longer finish it.
    ctx.db
        .start_login(&Login {
            chat_id: chat.0,
            // Plain fields: serialising them cannot fail.
            starter: serde_json::to_string(user).unwrap_or_default(),
            group_id: group,
            device_code: code.device_code.clone(),
            interval_secs: interval,
            next_poll_at: now.saturating_add(oauth_ms(ctx, interval)),
            expires_at: now.saturating_add(oauth_ms(ctx, expires_in)),
        })
        .await?;
    ctx.login_due.notify_one();

    let minutes = code.expires_in.div_ceil(60).max(1);
    let mut markup = InlineKeyboardMarkup::default();
    if let Ok(url) = reqwest::Url::parse(&code.verification_url) {
        markup = markup.append_row([InlineKeyboardButton::url(t.button_open_login(), url)]);
    }
    if let Err(e) = bot
        .send(
            chat,
            t.login_started(&code.user_code, minutes),
            Some(markup),
        )
        .await
    {
        // The user never saw the code: nothing to poll for.
        ctx.db.cancel_login(chat.0).await?;
        return Err(e.into());
    }
    Ok(())
}

/// This process's login poller, running until `stop`.
pub struct Polling {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// Starts polling Yandex for the logins stored (by any process), as process `taker`. Without a
/// Yandex OAuth app configured, nothing is polled: the logins are left to processes that have
/// one.
pub fn spawn_polling(bot: TgBot, ctx: Arc<Ctx>, taker: i64) -> Polling {
    let (stop, stopping) = watch::channel(false);
    let task = ctx
        .oauth
        .is_some()
        .then(|| tokio::spawn(run(bot, ctx, taker, stopping)));
    Polling { stop, task }
}

impl Polling {
    /// Stops claiming logins, lets the polls in flight finish (for at most `STOP_GRACE`), and
    /// gives this process's leases up so another process (or the next start) carries on at once.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Polling {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// The poller: claims the logins due (as many as it has room for), polls each in a task of its
/// own, and sleeps until the next is due, a new login is stored here, or a poll ends; at most
/// `TICK`, for what other processes do.
async fn run(bot: TgBot, ctx: Arc<Ctx>, taker: i64, mut stopping: watch::Receiver<bool>) {
    let mut polls = JoinSet::new();
    loop {
        while polls.try_join_next().is_some() {}
        // A claim writes: it is made only when a login can be claimed.
        let Ok(mut due) = next_due(&ctx).await else {
            break;
        };
        let room = AT_ONCE.saturating_sub(polls.len());
        let now = now_ms();
        if room > 0 && due.is_some_and(|at| at <= now) {
            let lease_until = now.saturating_add(millis(LEASE));
            match ctx.db.claim_logins(taker, now, lease_until, room).await {
                Ok(claimed) => {
                    for login in claimed {
                        polls.spawn(poll(bot.clone(), Arc::clone(&ctx), login));
                    }
                }
                Err(StorageError::Closed) => break,
                Err(e) => tracing::warn!(error = %e, "could not claim logins to poll"),
            }
            let Ok(next) = next_due(&ctx).await else {
                break;
            };
            due = next;
        }
        let wait = match due {
            // Full: a poll ending wakes us.
            _ if polls.len() >= AT_ONCE => TICK,
            Some(at) => {
                Duration::from_millis(u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0))
                    .clamp(LEAST_WAIT, TICK)
            }
            None => TICK,
        };
        tokio::select! {
            _ = stopping.changed() => break,
            _ = ctx.login_due.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            Some(_) = polls.join_next(), if !polls.is_empty() => {}
        }
    }
    let finishing = async { while polls.join_next().await.is_some() {} };
    if tokio::time::timeout(STOP_GRACE, finishing).await.is_err() {
        polls.abort_all();
    }
    match ctx.db.release_logins(taker).await {
        Ok(()) | Err(StorageError::Closed) => {}
        Err(e) => tracing::warn!(error = %e, "could not give up the leases on logins"),
    }
}

/// When the next login can be claimed (see `Db::next_login_due`); `Err` once the database is
/// closed. A failure to tell is logged, and taken as "nothing due", to look again a `TICK` later.
async fn next_due(ctx: &Ctx) -> Result<Option<i64>, ()> {
    match ctx.db.next_login_due().await {
        Ok(due) => Ok(due),
        Err(StorageError::Closed) => Err(()),
        Err(e) => {
            tracing::warn!(error = %e, "could not look for logins to poll");
            Ok(None)
        }
    }
}

/// One turn of a claimed login: polls Yandex once (unless the code expired), then reschedules
/// the login, or finishes it and acts on the outcome.
async fn poll(bot: TgBot, ctx: Arc<Ctx>, claimed: Claimed) {
    let login = &claimed.login;
    let chat = ChatId(login.chat_id);
    let outcome = if now_ms() >= login.expires_at {
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
    let next = now_ms().saturating_add(oauth_ms(ctx, interval));
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
    let tokens = super::tokens::tokens_from(grant);
    match group {
        Some(group) => {
            super::tokens::bind(bot, ctx, group, user, tokens).await?;
        }
        None => {
            ctx.db.set_token(chat.0, &tokens, Some(chat.0)).await?;
            bot.send(chat, lang_of(Some(user)).login_done(), None)
                .await?;
        }
    }
    Ok(())
}
