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

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, User};
use tokio::time::Instant;

use super::core::{Ctx, HandlerResult, TgBot, lang_of};
use super::state::State;
use super::store::BotDialogue;
use crate::oauth::{DeviceCode, Grant, OAuthError, Poll};

/// What Yandex is told the app is, on its confirmation page.
const DEVICE_NAME: &str = "Telemost bot for Telegram";

/// `/login` in a private chat; `group` when it follows a /connect link.
pub async fn start(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    state: State,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let (bot, msg, ctx) = (&bot, &msg, &ctx);
    let (group, _) = super::tokens::awaited_group(&state);
    let t = lang_of(msg.from.as_ref());
    let chat = msg.chat.id;
    let Some(user) = msg.from.clone() else {
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
    let minutes = code.expires_in.div_ceil(60).max(1);
    let mut markup = InlineKeyboardMarkup::default();
    if let Ok(url) = reqwest::Url::parse(&code.verification_url) {
        markup = markup.append_row([InlineKeyboardButton::url(t.button_open_login(), url)]);
    }
    bot.send(
        chat,
        t.login_started(&code.user_code, minutes),
        Some(markup),
    )
    .await?;

    let task = tokio::spawn(wait_for_grant(
        bot.clone(),
        ctx.clone(),
        chat,
        user,
        group,
        code,
    ));
    if let Ok(mut logins) = ctx.logins.lock()
        && let Some(previous) = logins.insert(chat.0, task.abort_handle())
    {
        previous.abort();
    }
    Ok(())
}

/// Polls Yandex until the user allows or denies access, or the code expires.
async fn wait_for_grant(
    bot: TgBot,
    ctx: Arc<Ctx>,
    chat: ChatId,
    user: User,
    group: Option<i64>,
    code: DeviceCode,
) {
    let t = lang_of(Some(&user));
    let unit = ctx.oauth_time_unit;
    let mut interval = unit * u32::try_from(code.interval.max(1)).unwrap_or(5);
    let deadline = Instant::now() + unit * u32::try_from(code.expires_in).unwrap_or(300);
    let outcome = loop {
        tokio::time::sleep(interval).await;
        if Instant::now() >= deadline {
            break Err(OAuthError::Expired);
        }
        let Some(oauth) = ctx.oauth.as_ref() else {
            return;
        };
        match oauth.poll(&code.device_code).await {
            Ok(Poll::Granted(grant)) => break Ok(grant),
            Ok(Poll::Pending) => {}
            Ok(Poll::SlowDown) => interval += unit * 5,
            // A network blip: keep trying until the code expires.
            Err(OAuthError::Unavailable(e)) => {
                tracing::info!(error = %e, "Yandex OAuth unavailable, polling on")
            }
            Err(e) => break Err(e),
        }
    };
    let result = match outcome {
        Ok(grant) => store(&bot, &ctx, chat, &user, group, grant).await,
        Err(e) => {
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
    if let Ok(mut logins) = ctx.logins.lock() {
        logins.remove(&chat.0);
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
