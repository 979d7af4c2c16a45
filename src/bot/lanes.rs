//! One chat's updates are handled one at a time, in the order they arrived; other chats' updates
//! are handled alongside.
//!
//! teloxide does this itself with a worker task per chat, but each worker keeps a queue with room
//! for 32 updates (about 40 KB) for as long as the worker lives, and idle workers are reaped only
//! when there are more of them than were ever busy at once. At a thousand chats that was most of
//! the bot's memory. Here a chat costs a map entry while it has an update in flight, and nothing
//! otherwise.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

/// The chats with an update in flight, each with the updates waiting behind it.
#[derive(Default)]
pub struct Lanes {
    busy: Mutex<HashMap<i64, VecDeque<oneshot::Sender<()>>>>,
}

/// An update's place in its chat's lane: `ready` waits until the updates before it are done, and
/// dropping the turn lets the next one go.
pub struct Turn {
    lanes: Arc<Lanes>,
    chat: Option<i64>,
    /// `Some` until the turn has come.
    waiting: Option<oneshot::Receiver<()>>,
}

impl Lanes {
    /// Takes the next place in `chat`'s lane. Call in the order the updates arrived; an update
    /// with no chat (an inline query) has no lane and goes at once.
    pub fn enter(self: &Arc<Self>, chat: Option<i64>) -> Turn {
        let waiting = chat.and_then(|chat| {
            let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
            match busy.get_mut(&chat) {
                Some(queue) => {
                    let (tx, rx) = oneshot::channel();
                    queue.push_back(tx);
                    Some(rx)
                }
                None => {
                    busy.insert(chat, VecDeque::new());
                    None
                }
            }
        });
        Turn {
            lanes: Arc::clone(self),
            chat,
            waiting,
        }
    }

    /// Hands `chat`'s lane to the next update still waiting, or frees it.
    fn pass(&self, chat: i64) {
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(queue) = busy.get_mut(&chat) else {
            return;
        };
        while let Some(next) = queue.pop_front() {
            // A waiter that is gone (its handler was cancelled) is skipped.
            if next.send(()).is_ok() {
                return;
            }
        }
        busy.remove(&chat);
    }

    /// How many chats have an update in flight.
    #[cfg(test)]
    fn busy_chats(&self) -> usize {
        self.busy.lock().unwrap().len()
    }
}

impl Turn {
    /// Waits until every earlier update of the chat is done.
    pub async fn ready(&mut self) {
        if let Some(rx) = self.waiting.as_mut() {
            // An error means the lane was dropped; nothing is left to wait for.
            let _ = rx.await;
            // Only now: a turn cancelled while waiting must not pass on a turn it never had.
            self.waiting = None;
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let Some(chat) = self.chat else {
            return;
        };
        match self.waiting.take() {
            // The turn had come: pass it on.
            None => self.lanes.pass(chat),
            Some(mut rx) => {
                // Dropped while waiting. If the turn came meanwhile, pass it on; otherwise the
                // update before will skip this one.
                rx.close();
                if rx.try_recv().is_ok() {
                    self.lanes.pass(chat);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_chat_goes_in_order_and_other_chats_do_not_wait() {
        let lanes = Arc::new(Lanes::default());
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        // Taken in this order: a1, a2, b1, a3. a1 is slow.
        for (chat, name, ms) in [(1, "a1", 60), (1, "a2", 0), (2, "b1", 0), (1, "a3", 0)] {
            let mut turn = lanes.enter(Some(chat));
            let log = Arc::clone(&log);
            tasks.push(tokio::spawn(async move {
                turn.ready().await;
                tokio::time::sleep(Duration::from_millis(ms)).await;
                log.lock().unwrap().push(name);
                drop(turn);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*log.lock().unwrap(), ["b1", "a1", "a2", "a3"]);
        assert_eq!(lanes.busy_chats(), 0, "nothing is kept for idle chats");
    }

    #[tokio::test]
    async fn a_cancelled_update_does_not_block_its_chat() {
        let lanes = Arc::new(Lanes::default());
        let first = lanes.enter(Some(7));
        let second = lanes.enter(Some(7));
        let mut third = lanes.enter(Some(7));
        // The second is dropped before its turn comes, the first then finishes.
        drop(second);
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), third.ready())
            .await
            .expect("the third update gets its turn");
        drop(third);
        assert_eq!(lanes.busy_chats(), 0);

        // Dropped after its turn came but before it noticed: the turn still passes on.
        let first = lanes.enter(Some(8));
        let second = lanes.enter(Some(8));
        let mut third = lanes.enter(Some(8));
        drop(first);
        drop(second);
        tokio::time::timeout(Duration::from_secs(5), third.ready())
            .await
            .expect("the third update gets its turn");
        drop(third);
        assert_eq!(lanes.busy_chats(), 0);
    }

    #[tokio::test]
    async fn giving_up_the_wait_does_not_give_away_a_turn_never_had() {
        let lanes = Arc::new(Lanes::default());
        let first = lanes.enter(Some(9));
        let mut second = lanes.enter(Some(9));
        let mut third = lanes.enter(Some(9));
        // The second stops waiting (its handler is cancelled) while the first still runs.
        let gave_up = tokio::time::timeout(Duration::from_millis(20), second.ready()).await;
        assert!(gave_up.is_err());
        drop(second);
        let early = tokio::time::timeout(Duration::from_millis(50), third.ready()).await;
        assert!(
            early.is_err(),
            "the third ran while the first was still running"
        );
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), third.ready())
            .await
            .expect("the third gets its turn once the first is done");
        drop(third);
        assert_eq!(lanes.busy_chats(), 0);
    }

    #[tokio::test]
    async fn updates_without_a_chat_never_wait() {
        let lanes = Arc::new(Lanes::default());
        let _a = lanes.enter(None);
        let mut b = lanes.enter(None);
        tokio::time::timeout(Duration::from_secs(5), b.ready())
            .await
            .expect("no lane, no wait");
        assert_eq!(lanes.busy_chats(), 0);
    }
}
