//! One chat's updates one at a time, in order; different chats at once.
//!
//! teloxide's dispatcher gives every active chat a worker whose queue is allocated up front for
//! 32 updates of about 2 KB each: 62 KB per chat, 62 MB when a thousand chats are busy at once.
//! Here all updates go to teloxide's default worker, which runs them concurrently, and each
//! waits for its chat's turn on a lock that exists only while the chat has updates in flight.
//! The whole handler tree, loading the dialogue state included, runs under the lock, so two
//! updates of one chat never see the same state.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use teloxide::dispatching::UpdateHandler;
use teloxide::types::Update;

use super::HandlerError;

#[derive(Default)]
pub struct ChatOrder {
    locks: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
}

/// The key updates are ordered by: the chat, or for inline mode the user.
fn key(update: &Update) -> Option<i64> {
    update
        .chat()
        .map(|c| c.id.0)
        .or_else(|| update.from().and_then(|u| i64::try_from(u.id.0).ok()))
}

impl ChatOrder {
    /// Runs `handler` on `update` once the update's chat has no earlier update in flight.
    pub async fn run(
        &self,
        update: Update,
        handler: &UpdateHandler<HandlerError>,
        mut deps: teloxide::dptree::di::DependencyMap,
    ) -> Result<(), HandlerError> {
        let key = key(&update);
        let lock = key.map(|k| {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(locks.entry(k).or_default())
        });
        // tokio's mutex is fair: updates of a chat get their turns in the order they came.
        let guard = match &lock {
            Some(l) => Some(Arc::clone(l).lock_owned().await),
            None => None,
        };
        deps.insert(update);
        let outcome = handler.dispatch(deps).await;
        drop(guard);
        if let (Some(k), Some(lock)) = (key, lock) {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            // Two references: the map's and ours. Nobody else waits: the chat is idle.
            if Arc::strong_count(&lock) == 2 {
                locks.remove(&k);
            }
        }
        match outcome {
            std::ops::ControlFlow::Break(result) => result,
            // No branch took it (an edit, a channel post…): dropped quietly.
            std::ops::ControlFlow::Continue(_) => Ok(()),
        }
    }
}
