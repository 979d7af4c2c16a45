//! Who may do what: group admins and members as Telegram says now, who may create meetings in a
//! chat, who may view or change a meeting, and which message a group member's reply answers.
//! (Whose token acts, and when it still may, is `meetings::Acting`, built on these.)

use teloxide::prelude::*;
use teloxide::types::{Me, User};

use super::core::{Ctx, HandlerError, TgBot, lang_of};
use crate::storage::{ChatSettings, MeetingRecord};

/// Whether `user` administers `chat` (creator or administrator), as Telegram says now.
pub async fn is_admin(bot: &TgBot, chat: ChatId, user: UserId) -> Result<bool, HandlerError> {
    let member = bot.bot().get_chat_member(chat, user).await?;
    Ok(member.is_privileged())
}

/// How long what Telegram said of a member's presence is trusted, by the bot's clock.
const MEMBER_KNOWN_SECS: i64 = 60;
/// Past this many remembered answers, the stale ones are forgotten.
const MEMBERS_REMEMBERED: usize = 4096;

/// Whether `user` is in `chat` now: its creator, an administrator, a member, or restricted and
/// still a member (Telegram's `getChatMember`), as Telegram said within the last minute. In a
/// private chat, only its user is.
pub async fn is_member(
    bot: &TgBot,
    ctx: &Ctx,
    chat: ChatId,
    user: UserId,
) -> Result<bool, HandlerError> {
    if chat.is_user() {
        return Ok(u64::try_from(chat.0) == Ok(user.0));
    }
    let now = ctx.clock.unix();
    let known = members(ctx)
        .get(&(chat.0, user.0))
        .filter(|(_, at)| (0..MEMBER_KNOWN_SECS).contains(&(now - at)))
        .map(|&(present, _)| present);
    if let Some(present) = known {
        return Ok(present);
    }
    let present = match bot.bot().get_chat_member(chat, user).await {
        Ok(member) => member.is_present(),
        // Telegram knows no such user (an account deleted): not in the chat.
        Err(teloxide::RequestError::Api(teloxide::ApiError::UserNotFound)) => false,
        Err(e) => return Err(e.into()),
    };
    let mut members = members(ctx);
    if members.len() >= MEMBERS_REMEMBERED {
        members.retain(|_, (_, at)| (0..MEMBER_KNOWN_SECS).contains(&(now - *at)));
    }
    members.insert((chat.0, user.0), (present, now));
    Ok(present)
}

/// Forgets what Telegram said of `user` in `chat`: they just joined or left (a service
/// message), so the next use asks again.
pub fn forget_member(ctx: &Ctx, chat: ChatId, user: UserId) {
    members(ctx).remove(&(chat.0, user.0));
}

fn members(
    ctx: &Ctx,
) -> std::sync::MutexGuard<'_, std::collections::HashMap<(i64, u64), (bool, i64)>> {
    ctx.members
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
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

/// Whether `user` may create meetings in `chat`: anyone, unless a group's settings say only
/// admins. An admin posting as the group (anonymously) is one: Telegram lets only admins.
pub async fn may_create(
    bot: &TgBot,
    chat: ChatId,
    user: &User,
    settings: &ChatSettings,
) -> Result<bool, HandlerError> {
    if chat.is_user() || !settings.admins_only || user.id.is_anonymous() {
        return Ok(true);
    }
    is_admin(bot, chat, user.id).await
}

/// Whether `user` is one of the senders Telegram shares among many people: an admin posting as
/// the group (`GroupAnonymousBot`), someone posting as a channel (`Channel_Bot`), or a linked
/// channel's post forwarded into its group (`Telegram`). Such a sender names nobody: what
/// belongs to one person (a draft, prompts) cannot be theirs.
pub fn is_shared_sender(user: &User) -> bool {
    // By id alone: teloxide's `User::is_anonymous` asserts the rest of the profile in debug
    // builds, and a profile is what a forged update would get wrong.
    user.id.is_anonymous() || user.id.is_channel() || user.id.is_telegram()
}

/// In a group, only the meeting's creator or an admin may view or change it: either acts with
/// the token that created it (see `meetings::Acting`).
pub async fn may_change(
    bot: &TgBot,
    chat: ChatId,
    user: &teloxide::types::User,
    meeting: &MeetingRecord,
) -> Result<bool, HandlerError> {
    if chat.is_user() {
        return Ok(true);
    }
    if meeting
        .user_id
        .is_some_and(|c| i64::try_from(user.id.0) == Ok(c))
    {
        return Ok(true);
    }
    is_admin(bot, chat, user.id).await
}

/// Whether `msg` is a reply to the bot's message `to`.
pub fn replies_to(msg: &Message, me: &Me, to: Option<i32>) -> bool {
    msg.reply_to_message()
        .is_some_and(|r| r.from.as_ref().is_some_and(|f| f.id == me.id) && Some(r.id.0) == to)
}
