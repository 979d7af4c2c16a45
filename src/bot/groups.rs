//! Group chats: an administrator binds a token to the group without ever posting it there.
//!
//! ```text
//! (in the group)   admin: /connect
//!                  bot:   Open this link to give the group its Telemost token … [Set the group's token]
//! (private chat)   admin: (opens t.me/<bot>?start=<code>, which sends /start <code>)
//!                  bot:   Send me the Telemost OAuth token the group should use, or /login …
//!                  admin: y0_AgAAAA…            (deleted at once)
//!                  bot:   Saved: the group now creates meetings with this token.
//! (in the group)   bot:   Anna connected this group to Telemost. Everyone here can now /meet.
//! ```
//!
//! The code in the link is random (128 bits), single-use, valid for 10 minutes, and bound to the
//! group and to the admin who asked for it.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::OsRng;
use chacha20poly1305::aead::rand_core::RngCore;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, Me};

use super::core::{Ctx, HandlerResult, TgBot, lang_of};
use super::state::{State, TokenPrompt};
use super::store::BotDialogue;
use super::{perm, tokens};
use crate::storage::Redeemed;
use crate::storage::unix_now;

/// 128 random bits, URL-safe: fits Telegram's deep-link payload (`[A-Za-z0-9_-]{1,64}`).
fn new_code() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether a deep-link payload has the shape of our codes (other payloads, from a website link
/// say, just get the help).
pub fn looks_like_code(payload: &str) -> bool {
    payload.len() == 22
        && payload
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// `/connect` in a group: a deep link for the admin to continue in private.
pub async fn connect(bot: TgBot, msg: Message, me: Me, ctx: Arc<Ctx>) -> HandlerResult {
    let (bot, msg) = (&bot, &msg);
    let t = lang_of(msg.from.as_ref());
    if msg.chat.is_private() {
        bot.send(msg.chat.id, t.connect_in_groups_only(), None)
            .await?;
        return Ok(());
    }
    let Some(admin) = perm::admin_sender(bot, msg).await? else {
        return Ok(());
    };
    let code = new_code();
    let admin_id = i64::try_from(admin.id.0).unwrap_or_default();
    ctx.db
        .save_connect_code(
            &code,
            msg.chat.id.0,
            admin_id,
            unix_now() + tokens::CONNECT_CODE_TTL_SECS,
        )
        .await?;
    let mut markup = InlineKeyboardMarkup::default();
    let link = format!("https://t.me/{}?start={code}", me.username());
    if let Ok(url) = reqwest::Url::parse(&link) {
        markup = markup.append_row([InlineKeyboardButton::url(t.button_connect(), url)]);
    }
    bot.send(msg.chat.id, t.connect_link(), Some(markup))
        .await?;
    Ok(())
}

/// `/disconnect` (and `/forget`) in a group: admins only.
pub async fn disconnect(bot: TgBot, msg: Message, ctx: Arc<Ctx>) -> HandlerResult {
    let (bot, msg) = (&bot, &msg);
    let t = lang_of(msg.from.as_ref());
    if perm::admin_sender(bot, msg).await?.is_none() {
        return Ok(());
    }
    let text = if ctx.db.forget_token(msg.chat.id.0).await? {
        t.disconnected()
    } else {
        t.group_has_no_token()
    };
    bot.send(msg.chat.id, text, None).await?;
    Ok(())
}

/// `/start <code>` in a private chat: the admin arrives from a /connect link.
pub async fn redeem(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    ctx: Arc<Ctx>,
    code: String,
) -> HandlerResult {
    let (bot, msg, code) = (&bot, &msg, code.trim());
    let t = lang_of(msg.from.as_ref());
    let Some(user) = msg.from.as_ref() else {
        return Ok(());
    };
    let user_id = i64::try_from(user.id.0).unwrap_or_default();
    let text = match ctx
        .db
        .redeem_connect_code(code, user_id, unix_now())
        .await?
    {
        Redeemed::Group(group) => {
            dialogue
                .update(State::AwaitingToken(TokenPrompt {
                    group: Some(group),
                    until: Some(unix_now() + tokens::CONNECT_CODE_TTL_SECS),
                }))
                .await?;
            t.connect_prompt()
        }
        Redeemed::OtherUser => t.connect_code_other_user(),
        Redeemed::Expired => t.connect_code_expired(),
        Redeemed::Invalid => t.connect_code_invalid(),
    };
    bot.send(msg.chat.id, text, None).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_random_and_fit_deep_links() {
        let a = new_code();
        let b = new_code();
        assert_ne!(a, b);
        assert_eq!(a.len(), 22, "16 bytes in unpadded base64");
        assert!(looks_like_code(&a));
        assert!(!looks_like_code("from-website"));
    }
}
