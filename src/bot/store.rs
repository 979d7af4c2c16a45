//! Dialogues: one per member of a chat (in a private chat, the one member is the user), kept in
//! our own database so an unfinished dialogue survives a restart. The state is serialised to JSON
//! here; the database stores it as opaque text, with the id of the message whose buttons the
//! dialogue owns (its panel or prompt), so a press on another member's panel can be told apart
//! from a stale one.
//!
//! teloxide's own dialogues are keyed by chat alone: in a group, a second member's /meet would
//! replace the first member's unfinished one.

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;

use super::core::HandlerError;
use super::state::State;
use crate::storage::{Db, StorageError};

/// One member's dialogue in one chat, with the state it had when the update arrived.
#[derive(Clone)]
pub struct BotDialogue {
    db: Db,
    chat: ChatId,
    user: i64,
    /// The state loaded for this update (`State::Unavailable` if the database failed).
    pub state: State,
}

impl BotDialogue {
    pub fn chat_id(&self) -> ChatId {
        self.chat
    }

    /// Saves `state` as this member's dialogue (`Idle` ends it).
    pub async fn update(&self, state: State) -> Result<(), StorageError> {
        match state {
            State::Idle => return self.exit().await,
            State::Unavailable => return Ok(()),
            _ => {}
        }
        let message = state.message();
        // Serialising our own enum of strings and integers cannot fail.
        let json = serde_json::to_string(&state).unwrap_or_default();
        self.db
            .save_dialogue(self.chat.0, self.user, &json, message)
            .await
    }

    /// Ends this member's dialogue.
    pub async fn exit(&self) -> Result<(), StorageError> {
        self.db.delete_dialogue(self.chat.0, self.user).await
    }

    /// The member (other than this one) whose dialogue owns the buttons of `message`, if any.
    pub async fn owner_of(&self, message: i32) -> Result<Option<i64>, StorageError> {
        let owner = self.db.dialogue_owner_of(self.chat.0, message).await?;
        Ok(owner.filter(|&o| o != self.user))
    }

    /// This member's dialogue as it is now (another update, or another process, may have
    /// changed it since this update's was loaded).
    pub async fn current(&self) -> Result<State, StorageError> {
        Ok(match self.db.load_dialogue(self.chat.0, self.user).await? {
            Some(json) => serde_json::from_str(&json).unwrap_or(State::Idle),
            None => State::Idle,
        })
    }

    async fn load(db: Db, chat: ChatId, user: i64) -> Self {
        let state = match db.load_dialogue(chat.0, user).await {
            Ok(Some(json)) => serde_json::from_str(&json).unwrap_or_else(|e| {
                // A state written by an incompatible version: start afresh rather than wedge.
                tracing::warn!(chat_id = chat.0, error = %e, "dropping unreadable dialogue state");
                State::Idle
            }),
            Ok(None) => State::Idle,
            Err(e) => {
                tracing::error!(chat_id = chat.0, error = %e, "could not load a dialogue");
                State::Unavailable
            }
        };
        Self {
            db,
            chat,
            user,
            state,
        }
    }
}

/// Loads the dialogue of the update's sender in the update's chat, and hands the handlers below
/// both it (`BotDialogue`) and its `State`. Updates with no chat go past; one with no sender (a
/// post on behalf of a chat) is the chat's own.
pub fn enter() -> UpdateHandler<HandlerError> {
    dptree::filter_map_async(|update: Update, db: Db| async move {
        let chat = update.chat()?.id;
        let user = update
            .from()
            .and_then(|u| i64::try_from(u.id.0).ok())
            .unwrap_or(chat.0);
        Some(BotDialogue::load(db, chat, user).await)
    })
    .map(|d: BotDialogue| d.state.clone())
}
