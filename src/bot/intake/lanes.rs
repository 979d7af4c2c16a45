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

/// How many updates of one chat may wait behind the one in flight. A person sends a few at a
/// time; more is a flood from one chat (a script, a spam wave in a group), and past this its
/// updates are dropped rather than let it take every place the bot has for waiting updates (see
/// `admission`) and stall all the other chats.
pub const MAX_WAITING_PER_CHAT: usize = 16;

/// The chats with an update in flight, each with the updates waiting behind it.
#[derive(Default)]
pub struct Lanes {
    busy: Mutex<HashMap<i64, Lane>>,
}

#[derive(Default)]
struct Lane {
    waiting: VecDeque<oneshot::Sender<()>>,
    /// Updates dropped because too many were waiting; logged once the lane is free.
    dropped: u64,
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
    /// with no chat (an inline query) has no lane and goes at once. `None` when
    /// `MAX_WAITING_PER_CHAT` of the chat's updates are waiting already: the update is dropped.
    pub fn enter(self: &Arc<Self>, chat: Option<i64>) -> Option<Turn> {
        let waiting = match chat {
            None => None,
            Some(chat) => {
                let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
                match busy.get_mut(&chat) {
                    Some(lane) if lane.waiting.len() >= MAX_WAITING_PER_CHAT => {
                        lane.dropped += 1;
                        return None;
                    }
                    Some(lane) => {
                        let (tx, rx) = oneshot::channel();
                        lane.waiting.push_back(tx);
                        Some(rx)
                    }
                    None => {
                        busy.insert(chat, Lane::default());
                        None
                    }
                }
            }
        };
        Some(Turn {
            lanes: Arc::clone(self),
            chat,
            waiting,
        })
    }

    /// Hands `chat`'s lane to the next update still waiting, or frees it.
    fn pass(&self, chat: i64) {
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(lane) = busy.get_mut(&chat) else {
            return;
        };
        while let Some(next) = lane.waiting.pop_front() {
            // A waiter that is gone (its handler was cancelled) is skipped.
            if next.send(()).is_ok() {
                return;
            }
        }
        if lane.dropped > 0 {
            tracing::warn!(
                chat_id = chat,
                dropped = lane.dropped,
                "a chat sent more updates than can wait; dropped the excess"
            );
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
            let mut turn = lanes.enter(Some(chat)).unwrap();
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
        let first = lanes.enter(Some(7)).unwrap();
        let second = lanes.enter(Some(7)).unwrap();
        let mut third = lanes.enter(Some(7)).unwrap();
        // The second is dropped before its turn comes, the first then finishes.
        drop(second);
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), third.ready())
            .await
            .expect("the third update gets its turn");
        drop(third);
        assert_eq!(lanes.busy_chats(), 0);

        // Dropped after its turn came but before it noticed: the turn still passes on.
        let first = lanes.enter(Some(8)).unwrap();
        let second = lanes.enter(Some(8)).unwrap();
        let mut third = lanes.enter(Some(8)).unwrap();
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
        let first = lanes.enter(Some(9)).unwrap();
        let mut second = lanes.enter(Some(9)).unwrap();
        let mut third = lanes.enter(Some(9)).unwrap();
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
    async fn a_flooding_chat_has_its_excess_dropped_and_others_go_on() {
        let lanes = Arc::new(Lanes::default());
        let first = lanes.enter(Some(1)).unwrap();
        let waiting: Vec<Turn> = (0..MAX_WAITING_PER_CHAT)
            .map(|_| lanes.enter(Some(1)).expect("room to wait"))
            .collect();
        assert!(lanes.enter(Some(1)).is_none(), "one too many is dropped");
        let mut other = lanes.enter(Some(2)).expect("another chat is not held up");
        tokio::time::timeout(Duration::from_secs(5), other.ready())
            .await
            .expect("and goes at once");
        drop(other);
        // Once one is done, the chat has room again.
        drop(first);
        assert!(lanes.enter(Some(1)).is_some());
        drop(waiting);
    }

    #[tokio::test]
    async fn updates_without_a_chat_never_wait() {
        let lanes = Arc::new(Lanes::default());
        let _a = lanes.enter(None).unwrap();
        let mut b = lanes.enter(None).unwrap();
        tokio::time::timeout(Duration::from_secs(5), b.ready())
            .await
            .expect("no lane, no wait");
        assert_eq!(lanes.busy_chats(), 0);
    }
}
