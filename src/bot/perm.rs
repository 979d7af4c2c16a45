//! Who may do what: group admins as Telegram says now, who may create meetings in a chat, who
//! may change a meeting, and which message a group member's reply answers.

use teloxide::prelude::*;
use teloxide::types::{Me, User};

use super::core::{HandlerError, TgBot, lang_of};
use crate::storage::{ChatSettings, MeetingRecord};

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

/// Whether `user` may create meetings in `chat`: anyone, unless a group's settings say only
/// admins.
pub async fn may_create(
    bot: &TgBot,
    chat: ChatId,
    user: &User,
    settings: &ChatSettings,
) -> Result<bool, HandlerError> {
    if chat.is_user() || !settings.admins_only {
        return Ok(true);
    }
    is_admin(bot, chat, user.id).await
}

/// In a group, only the meeting's creator or an admin may change it.
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
