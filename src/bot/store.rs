//! teloxide's dialogue `Storage` on our own database, so an unfinished dialogue survives a
//! restart. The state is serialised to JSON here; the database stores it as opaque text.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use teloxide::dispatching::dialogue::Storage;
use teloxide::types::ChatId;

use super::dialogue::State;
use crate::storage::{Db, StorageError};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

pub struct DialogueStore {
    db: Db,
}

impl DialogueStore {
    pub fn new(db: Db) -> Arc<Self> {
        Arc::new(Self { db })
    }
}

impl Storage<State> for DialogueStore {
    type Error = StorageError;

    fn remove_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFuture<Result<(), StorageError>> {
        Box::pin(async move { self.db.delete_dialogue(chat_id.0).await })
    }

    fn update_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
        state: State,
    ) -> BoxFuture<Result<(), StorageError>> {
        Box::pin(async move {
            match state {
                State::Idle => return self.db.delete_dialogue(chat_id.0).await,
                State::Unavailable => return Ok(()),
                _ => {}
            }
            // Serialising our own enum of strings and integers cannot fail.
            let json = serde_json::to_string(&state).unwrap_or_default();
            self.db.save_dialogue(chat_id.0, &json).await
        })
    }

    fn get_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
    ) -> BoxFuture<Result<Option<State>, StorageError>> {
        Box::pin(async move {
            // Never `Ok(None)`: teloxide would then store the default state, a write for every
            // update from an idle chat.
            let json = match self.db.load_dialogue(chat_id.0).await {
                Ok(Some(json)) => json,
                Ok(None) => return Ok(Some(State::Idle)),
                Err(e) => {
                    tracing::error!(chat_id = chat_id.0, error = %e, "could not load a dialogue");
                    return Ok(Some(State::Unavailable));
                }
            };
            match serde_json::from_str(&json) {
                Ok(state) => Ok(Some(state)),
                Err(e) => {
                    // A state written by an incompatible version: start the chat afresh rather
                    // than wedge it.
                    tracing::warn!(chat_id = chat_id.0, error = %e, "dropping unreadable dialogue state");
                    Ok(Some(State::Idle))
                }
            }
        })
    }
}
