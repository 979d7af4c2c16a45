//! Dialogues: one per member of a chat (in a private chat, the one member is the user), kept in
//! our own database so an unfinished dialogue survives a restart. The state is serialised to JSON
//! here; the database stores it as opaque text, with the id of the message whose buttons the
//! dialogue owns (its panel or prompt), so a press on another member's panel can be told apart
//! from a stale one.
//!
//! teloxide's own dialogues are keyed by chat alone: in a group, a second member's /meet would
//! replace the first member's unfinished one.

use std::sync::{Arc, Mutex};

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
    /// The stored version this update's writes build on (`None`: there was no dialogue), moved
    /// on by each write and by `current`. Shared by the clones a handler passes around.
    read: Arc<Mutex<Option<i64>>>,
}

impl BotDialogue {
    pub fn chat_id(&self) -> ChatId {
        self.chat
    }

    /// Saves `state` as this member's dialogue (`Idle` ends it). Compare and set: if the
    /// dialogue changed since this update read it (another process took the chat over when this
    /// one's turn ran out), nothing is written and `StorageError::Overtaken` says so.
    pub async fn update(&self, state: State) -> Result<(), StorageError> {
        match state {
            State::Idle => return self.exit().await,
            State::Unavailable => return Ok(()),
            _ => {}
        }
        let message = state.message();
        // Serialising our own enum of strings and integers cannot fail.
        let json = serde_json::to_string(&state).unwrap_or_default();
        let read = *self.read();
        match self
            .db
            .save_dialogue(self.chat.0, self.user, &json, message, read)
            .await?
        {
            Some(version) => {
                *self.read() = Some(version);
                Ok(())
            }
            None => Err(StorageError::Overtaken),
        }
    }

    /// Ends this member's dialogue (compare and set, as `update`).
    pub async fn exit(&self) -> Result<(), StorageError> {
        let read = *self.read();
        if self
            .db
            .delete_dialogue(self.chat.0, self.user, read)
            .await?
        {
            *self.read() = None;
            Ok(())
        } else {
            Err(StorageError::Overtaken)
        }
    }

    fn read(&self) -> std::sync::MutexGuard<'_, Option<i64>> {
        self.read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The member (other than this one) whose dialogue owns the buttons of `message`, if any.
    pub async fn owner_of(&self, message: i32) -> Result<Option<i64>, StorageError> {
        let owner = self.db.dialogue_owner_of(self.chat.0, message).await?;
        Ok(owner.filter(|&o| o != self.user))
    }

    /// This member's dialogue as it is now (another update, or another process, may have
    /// changed it since this update's was loaded).
    /// Writes from here on build on what it read.
    pub async fn current(&self) -> Result<State, StorageError> {
        let stored = self.db.load_dialogue(self.chat.0, self.user).await?;
        *self.read() = stored.as_ref().map(|(_, version)| *version);
        Ok(match stored {
            Some((json, _)) => serde_json::from_str(&json).unwrap_or(State::Idle),
            None => State::Idle,
        })
    }

    async fn load(db: Db, chat: ChatId, user: i64) -> Self {
        let (state, read) = match db.load_dialogue(chat.0, user).await {
            Ok(Some((json, version))) => {
                let state = serde_json::from_str(&json).unwrap_or_else(|e| {
                    // A state written by an incompatible version: start afresh rather than
                    // wedge.
                    tracing::warn!(chat_id = chat.0, error = %e, "dropping unreadable dialogue state");
                    State::Idle
                });
                (state, Some(version))
            }
            Ok(None) => (State::Idle, None),
            Err(e) => {
                tracing::error!(chat_id = chat.0, error = %e, "could not load a dialogue");
                (State::Unavailable, None)
            }
        };
        Self {
            db,
            chat,
            user,
            state,
            read: Arc::new(Mutex::new(read)),
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
