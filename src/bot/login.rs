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
//! This file starts a login: it asks Yandex for a code, shows it with the page to enter it on,
//! and stores the login (see `storage::logins`). Polling Yandex until it answers, and telling the
//! user how it ended, is background work, done by whichever process claims the login when it is
//! due (see `jobs::logins`), so a login goes on after a restart.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::core::{Ctx, HandlerResult, TgBot, lang_of};
use super::jobs::logins::oauth_ms;
use super::state::State;
use super::store::BotDialogue;
use crate::clock::unix_now_ms;
use crate::storage::Login;

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
    let now = unix_now_ms();
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
