//! A chat's life: what the bot does when a chat changes under it. Nothing here is said to
//! anyone; it keeps the bot's data true to the chats it is in.
//!
//! ```text
//! (a group grows and becomes a supergroup: Telegram posts "migrated to" in the old group and
//!  "migrated from" in the new one, in either order)
//! bot:  (moves the group's token, settings, history, cohosts and dialogues to the new id;
//!        /meet in the supergroup goes on with the same token)
//! (an admin removes the bot from a group)
//! bot:  (forgets the group's token and unfinished dialogues at once; added back, it needs a
//!        new /connect)
//! (a member leaves a group, or joins it)
//! bot:  (forgets what Telegram last said of them: their own token is used there only once
//!        Telegram says again that they are in)
//! (a user blocks the bot)
//! bot:  (stops the /login it was polling for them and says nothing more there; their token
//!        stays, in case they unblock)
//! ```

use std::sync::Arc;

use futures_util::future::BoxFuture;
use teloxide::prelude::*;
use teloxide::types::ChatMemberUpdated;

use super::core::{Ctx, HandlerResult};
use super::speak::outbox::ChatEvents;
use crate::storage::Db;

/// A service message of a group upgraded to a supergroup: in the old group
/// (`migrate_to_chat_id`) or in the new one (`migrate_from_chat_id`). Either may come first, on
/// any process, or twice: the move is made once.
async fn on_migration(msg: Message, ctx: Arc<Ctx>) -> HandlerResult {
    let (from, to) = match (msg.migrate_to_chat_id(), msg.migrate_from_chat_id()) {
        (Some(to), _) => (msg.chat.id, *to),
        (None, Some(from)) => (*from, msg.chat.id),
        (None, None) => return Ok(()),
    };
    move_chat(&ctx.db, from, to).await?;
    Ok(())
}

/// A member joined or left a group (Telegram's service message): what the bot remembers of
/// their presence is forgotten, so their own token is not used there on an old word (see
/// `meetings::Acting`).
async fn on_members(msg: Message, ctx: Arc<Ctx>) -> HandlerResult {
    let joined = msg.new_chat_members().unwrap_or_default();
    for user in joined.iter().chain(msg.left_chat_member()) {
        super::perm::forget_member(&ctx, msg.chat.id, user.id);
    }
    Ok(())
}

/// What a service message says changed in its chat, of what this module keeps track of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatChange {
    /// The group was upgraded to a supergroup.
    Migration,
    /// Members joined or left.
    Members,
}

impl ChatChange {
    /// The change `msg` says, if any.
    pub fn of(msg: &Message) -> Option<Self> {
        if msg.migrate_to_chat_id().is_some() || msg.migrate_from_chat_id().is_some() {
            Some(Self::Migration)
        } else if msg.left_chat_member().is_some() || msg.new_chat_members().is_some() {
            Some(Self::Members)
        } else {
            None
        }
    }
}

/// A chat's change, to its handler.
pub async fn on_change(msg: Message, change: ChatChange, ctx: Arc<Ctx>) -> HandlerResult {
    match change {
        ChatChange::Migration => on_migration(msg, ctx).await,
        ChatChange::Members => on_members(msg, ctx).await,
    }
}

/// The bot's own membership of a chat changed (`my_chat_member`).
pub async fn on_my_membership(change: ChatMemberUpdated, ctx: Arc<Ctx>) -> HandlerResult {
    let chat = change.chat.id;
    let gone = change.new_chat_member.is_left() || change.new_chat_member.is_banned();
    if change.chat.is_private() {
        // Blocked (`kicked`), or unblocked (back to `member`).
        set_blocked(&ctx.db, chat, gone).await?;
    } else if gone && (change.chat.is_group() || change.chat.is_supergroup()) {
        // No longer in the group: it must hold no credential for it.
        let forgot = ctx.db.forget_chat(chat.0).await?;
        tracing::info!(
            chat_id = chat.0,
            ?forgot,
            "removed from a group; forgot its token and unfinished dialogues"
        );
    }
    Ok(())
}

async fn move_chat(db: &Db, from: ChatId, to: ChatId) -> Result<(), crate::storage::StorageError> {
    let moved = db.move_chat(from.0, to.0).await?;
    if !moved.is_empty() {
        tracing::info!(
            from = from.0,
            to = to.0,
            ?moved,
            "a group became a supergroup; moved what the bot keeps for it"
        );
    }
    Ok(())
}

async fn set_blocked(
    db: &Db,
    chat: ChatId,
    blocked: bool,
) -> Result<(), crate::storage::StorageError> {
    if db.set_blocked(chat.0, blocked).await? {
        if blocked {
            // Once, at info: a user's choice, not the bot's failure.
            tracing::info!(
                chat_id = chat.0,
                "a user blocked the bot; stopped what it was doing for them"
            );
        } else {
            tracing::info!(chat_id = chat.0, "a user unblocked the bot");
        }
    }
    Ok(())
}

/// What the outbox learns about chats, kept in the database.
pub struct Events(pub Db);

impl ChatEvents for Events {
    fn migrated(&self, from: ChatId, to: ChatId) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Err(e) = move_chat(&self.0, from, to).await {
                tracing::warn!(error = %e, from = from.0, to = to.0, "could not move a group's data to its supergroup");
            }
        })
    }

    fn blocked(&self, chat: ChatId) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if !chat.is_user() {
                return;
            }
            if let Err(e) = set_blocked(&self.0, chat, true).await {
                tracing::warn!(error = %e, chat_id = chat.0, "could not note that a user blocked the bot");
            }
        })
    }
}
