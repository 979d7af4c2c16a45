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

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::OsRng;
use chacha20poly1305::aead::rand_core::RngCore;
use secrecy::SecretString;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, Me, User};

use super::dialogue::State;
use super::{BotDialogue, Ctx, HandlerError, HandlerResult, TgBot, lang_of};
use crate::storage::unix_now;
use crate::storage::{Redeemed, Tokens};

/// How long a /connect link works.
pub const CONNECT_CODE_TTL_SECS: i64 = 600;

/// Whether a deadline (unix seconds) has not passed; no deadline is no longer valid.
pub fn still_valid(until: Option<i64>) -> bool {
    until.is_some_and(|u| unix_now() <= u)
}

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

/// Whether `user` administers `chat` (creator or administrator), as Telegram says now.
pub async fn is_admin(bot: &TgBot, chat: ChatId, user: UserId) -> Result<bool, HandlerError> {
    let member = bot.bot().get_chat_member(chat, user).await?;
    Ok(member.is_privileged())
}

/// Checks that the sender of a group command is an administrator, telling them otherwise.
/// Returns the admin, or `None` when refused.
pub async fn admin_sender<'m>(
    bot: &TgBot,
    msg: &'m Message,
) -> Result<Option<&'m User>, HandlerError> {
    let t = lang_of(msg.from.as_ref());
    // An anonymous admin posts as the group itself: Telegram does not say who they are.
    if msg
        .sender_chat
        .as_ref()
        .is_some_and(|c| c.id == msg.chat.id)
    {
        bot.send(msg.chat.id, t.anonymous_admin(), None).await?;
        return Ok(None);
    }
    let Some(user) = msg.from.as_ref() else {
        return Ok(None);
    };
    if !is_admin(bot, msg.chat.id, user.id).await? {
        bot.send(msg.chat.id, t.admins_only(), None).await?;
        return Ok(None);
    }
    Ok(Some(user))
}

/// `/connect` in a group: a deep link for the admin to continue in private.
pub async fn connect(bot: &TgBot, msg: &Message, me: &Me, ctx: &Ctx) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    if msg.chat.is_private() {
        bot.send(msg.chat.id, t.connect_in_groups_only(), None)
            .await?;
        return Ok(());
    }
    let Some(admin) = admin_sender(bot, msg).await? else {
        return Ok(());
    };
    let code = new_code();
    let admin_id = i64::try_from(admin.id.0).unwrap_or_default();
    ctx.db
        .save_connect_code(
            &code,
            msg.chat.id.0,
            admin_id,
            unix_now() + CONNECT_CODE_TTL_SECS,
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
pub async fn disconnect(bot: &TgBot, msg: &Message, ctx: &Ctx) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    if admin_sender(bot, msg).await?.is_none() {
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
    bot: &TgBot,
    msg: &Message,
    dialogue: &BotDialogue,
    ctx: &Ctx,
    code: &str,
) -> HandlerResult {
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
                .update(State::AwaitingToken {
                    group: Some(group),
                    until: Some(unix_now() + CONNECT_CODE_TTL_SECS),
                })
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

/// Stores tokens for `group` on behalf of `admin`, if they still administer it, and tells the
/// group who connected it. Returns whether they were saved.
pub async fn bind(
    bot: &TgBot,
    ctx: &Ctx,
    group: i64,
    admin: &User,
    tokens: Tokens,
) -> Result<bool, HandlerError> {
    let t = lang_of(Some(admin));
    let private = ChatId(i64::try_from(admin.id.0).unwrap_or_default());
    if !is_admin(bot, ChatId(group), admin.id).await? {
        bot.send(private, t.no_longer_admin(), None).await?;
        return Ok(false);
    }
    ctx.db.set_token(group, &tokens, Some(private.0)).await?;
    // Saved: the confirmations are best-effort, so a failure (the bot muted in the group, say)
    // does not leave the admin's private chat waiting for another token.
    if let Err(e) = bot.send(private, t.group_token_saved(), None).await {
        tracing::warn!(error = %super::redacted(&e), "could not confirm a group token");
    }
    // The group's language is unknown: announce in the admin's.
    let announce = t.group_connected(&display_name(admin));
    if let Err(e) = bot.send(ChatId(group), announce, None).await {
        tracing::warn!(error = %super::redacted(&e), "could not announce a connected group");
    }
    Ok(true)
}

/// A token pasted in the private chat after a /connect link. The token step is over either way
/// (stored, or refused because the sender is no longer an admin), so this returns `true`.
pub async fn receive_group_token(
    bot: &TgBot,
    msg: &Message,
    ctx: &Ctx,
    group: i64,
    token: SecretString,
) -> Result<bool, HandlerError> {
    let Some(admin) = msg.from.as_ref() else {
        return Ok(false);
    };
    if let Err(e) = bot.delete(msg.chat.id, msg.id).await {
        tracing::warn!(error = %super::redacted(&e), "could not delete a token message");
    }
    bind(bot, ctx, group, admin, Tokens::pasted(token)).await?;
    Ok(true)
}

fn display_name(user: &User) -> String {
    match &user.username {
        Some(u) => format!("{} (@{u})", user.full_name()),
        None => user.full_name(),
    }
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
