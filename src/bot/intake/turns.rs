//! Webhook mode, after an update is stored (see `webhook`): each chat's updates one at a time, in
//! `update_id` order, whichever process received them, when several processes share the
//! database; and marking stored updates done.
//!
//! When an update with a chat is stored, its process *kicks* the chat. A kick makes this process
//! try to take the chat's turn (see `storage::inbox`): if another process holds it, that one will
//! find the update in its queue; if not, this process becomes the chat's worker and hands the
//! chat's stored updates to the dispatcher one by one, lowest first, waiting for each to be
//! marked handled before taking the next. A process that dies or freezes loses the turn when its
//! lease runs out, and another process's regular look for waiting chats
//! (`Chats::kick_waiting`) takes the chat over within seconds.
//!
//! Every stored update, with a chat or without, is marked done the same way: `Chats::done`,
//! called when its handling ends (see `admission`), which hands the id to `Marks`, the one writer
//! of "handled". A chat's worker waits for that write; an update with no chat does not.
//!
//! The in-memory `lanes` still run under this (they keep polling mode in order); here they only
//! ever see one update of a chat at a time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::future::BoxFuture;

use crate::bot::speak::outbox::Fence;
use teloxide::types::{Update, UpdateId};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::ops::Stopping;
use crate::storage::{Db, HANDLED_AT_ONCE, LetGo, unix_now};

/// How long a chat's turn (and a stored update with no chat) stays with its process without
/// being renewed: a dead process's chats are taken over after at most this long.
pub const LEASE_SECS: i64 = 10;

/// How many times marking an update handled is tried again (over about a minute).
const MARK_TRIES: u32 = 35;

/// How many waiting chats one look takes on.
const WAITING_PAGE: u32 = 500;

/// The chats this process works through, and the updates it handed to the dispatcher.
pub struct Chats {
    db: Db,
    taker: i64,
    queue: mpsc::Sender<Update>,
    stopping: Stopping,
    marks: Marks,
    /// Each chat this process is working through, with whether it was kicked again meanwhile.
    working: Mutex<HashMap<i64, bool>>,
    /// The updates handed to the dispatcher, each with who waits for it to be handled.
    handed: Mutex<HashMap<UpdateId, oneshot::Sender<()>>>,
    /// When this process's leases were last renewed (unix seconds).
    renewed: AtomicI64,
    /// Set when the dispatcher has stopped: a handler still running past the shutdown grace
    /// holds nothing any more.
    closed: std::sync::atomic::AtomicBool,
    /// The chats whose turns this process took, each with when, and whether a renewal since
    /// found the turn gone (another process took it while this one was held up).
    held: Mutex<HashMap<i64, (std::time::Instant, bool)>>,
}

/// While the last renewal's leases run (less a margin for the clock's whole seconds), the
/// turns are surely still this process's: nobody may take a turn before its lease runs out.
/// Past that (the process was frozen, or cut off from the database), the database is asked
/// before anything is said.
const SURE_FOR_SECS: i64 = LEASE_SECS - 2;

impl Fence for Chats {
    fn holds(&self, chat: i64) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            if self.closed.load(Ordering::Relaxed) {
                return false;
            }
            let lost = self
                .held
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&chat)
                .is_some_and(|(_, lost)| *lost);
            if lost {
                return false;
            }
            if unix_now() - self.renewed.load(Ordering::Relaxed) < SURE_FOR_SECS {
                return true;
            }
            // Renewed here, if still this process's (even past its lease: nobody took it).
            // A database that cannot say leaves nothing to be said: the lease has run out, and
            // another process may be at the chat.
            let until = unix_now() + LEASE_SECS;
            match self.db.keep_chat(chat, self.taker, until).await {
                Ok(kept) => kept,
                Err(e) => {
                    tracing::warn!(error = %e, chat_id = chat, "could not tell whether a chat's turn is still this process's; not sending");
                    false
                }
            }
        })
    }
}

impl Chats {
    pub fn new(
        db: Db,
        taker: i64,
        queue: mpsc::Sender<Update>,
        stopping: Stopping,
        marks: Marks,
    ) -> Arc<Self> {
        Arc::new(Self {
            db,
            taker,
            queue,
            stopping,
            marks,
            working: Mutex::default(),
            handed: Mutex::default(),
            renewed: AtomicI64::new(unix_now()),
            closed: Default::default(),
            held: Mutex::default(),
        })
    }

    /// Renews this process's leases (every few seconds): the turns it took before that and
    /// which are no longer its own are marked lost, and nothing more is said in those chats.
    /// A turn it holds with no worker at the chat (one that ended on a database error before
    /// it could give the turn up) is given up now, for any process to take.
    pub async fn renew(&self) -> Result<(), crate::storage::StorageError> {
        let (asked, now) = (std::time::Instant::now(), unix_now());
        let held = self.db.renew_leases(self.taker, now + LEASE_SECS).await?;
        let orphans: Vec<i64> = {
            // A chat is in `working` before its turn is taken, until after it is given up.
            let working = self.working.lock().unwrap_or_else(PoisonError::into_inner);
            let mut ours = self.held.lock().unwrap_or_else(PoisonError::into_inner);
            for (chat, (taken, lost)) in ours.iter_mut() {
                if *taken < asked && !held.contains(chat) {
                    *lost = true;
                }
            }
            held.iter()
                .filter(|chat| !working.contains_key(chat))
                .copied()
                .collect()
        };
        for chat in orphans {
            tracing::info!(chat_id = chat, "giving up a chat's turn nobody here is at");
            self.db.drop_chat(chat, self.taker).await?;
        }
        self.renewed.store(now, Ordering::Relaxed);
        Ok(())
    }

    /// `chat` has an update stored: work through its queue unless another process is at it.
    pub fn kick(self: &Arc<Self>, chat: i64) {
        if self.stopping.is_set() {
            return;
        }
        {
            let mut working = self.working.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(again) = working.get_mut(&chat) {
                // Its worker looks again before it ends.
                *again = true;
                return;
            }
            working.insert(chat, false);
        }
        tokio::spawn(Arc::clone(self).work(chat));
    }

    /// Kicks the chats with updates waiting and no live turn: those whose process died, and
    /// those left when a kick could not reach the database. Returns how many there were.
    pub async fn kick_waiting(self: &Arc<Self>) -> usize {
        match self.db.chats_waiting(unix_now(), WAITING_PAGE).await {
            Ok(chats) => {
                for chat in &chats {
                    self.kick(*chat);
                }
                chats.len()
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not look for chats with updates waiting");
                0
            }
        }
    }

    /// Update `id` was handled (or dropped): it is marked so, the one way a stored update is
    /// marked done. A chat's worker waiting for it writes the mark before taking the chat's next
    /// update; an update with no chat is marked off the handlers' path.
    pub fn done(&self, id: UpdateId) {
        let waiter = self
            .handed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
        match waiter {
            Some(tx) => {
                let _ = tx.send(());
            }
            None => self.marks.mark(i64::from(id.0), None),
        }
    }

    /// Stored update `id` does not parse (only a later teloxide could make one so): there is
    /// nothing to handle, and it must not come back.
    pub fn unreadable(&self, id: i64) {
        self.marks.mark(id, None);
    }

    /// The dispatcher has stopped: the updates handed to it and not handled stay stored (for
    /// another process, or the next start), and the workers give their chats up. Waits a little
    /// for them to have done so.
    pub async fn finish(&self) {
        self.closed.store(true, Ordering::Relaxed);
        self.handed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        for _ in 0..100 {
            if self
                .working
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_empty()
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    async fn work(self: Arc<Self>, chat: i64) {
        loop {
            self.work_through(chat).await;
            let mut working = self.working.lock().unwrap_or_else(PoisonError::into_inner);
            match working.get_mut(&chat) {
                Some(again) if *again && !self.stopping.is_set() => *again = false,
                _ => {
                    working.remove(&chat);
                    return;
                }
            }
        }
    }

    /// Takes `chat`'s turn, hands its updates to the dispatcher one by one until none is left,
    /// and gives the turn up. Returns at once if another process holds it. A database error
    /// ends it early; the chat is then found again by `kick_waiting`.
    async fn work_through(&self, chat: i64) {
        let now = unix_now();
        match self
            .db
            .take_chat(chat, self.taker, now, now + LEASE_SECS)
            .await
        {
            Ok(true) => {
                self.held
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(chat, (std::time::Instant::now(), false));
            }
            Ok(false) => return,
            Err(e) => {
                tracing::warn!(error = %e, chat_id = chat, "could not take a chat's turn");
                return;
            }
        }
        if let Err(e) = self.hand_out(chat).await {
            tracing::warn!(error = %e, chat_id = chat, "stopped working through a chat's updates");
            // Left to another process (or to this one's next look) at once.
            let _ = self.db.drop_chat(chat, self.taker).await;
        }
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&chat);
    }

    async fn hand_out(&self, chat: i64) -> Result<(), crate::storage::StorageError> {
        loop {
            if self.stopping.is_set() {
                return self.db.drop_chat(chat, self.taker).await;
            }
            if let Some((id, payload)) = self.db.next_of_chat(chat, self.taker).await? {
                // Stored only after it parsed, so only a later teloxide could fail here:
                // nothing to handle, and it must not come back.
                if let Ok(update) = serde_json::from_str::<Update>(&payload) {
                    let (tx, handled) = oneshot::channel();
                    self.handed
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(update.id, tx);
                    if self.queue.send(update).await.is_err() || handled.await.is_err() {
                        // The dispatcher stopped (the process is stopping) before handling
                        // it: it stays stored, for another process or the next start.
                        return self.db.drop_chat(chat, self.taker).await;
                    }
                }
                if !self.marks.marked(id).await {
                    // Left to another process (or to this one's next look), which handles the
                    // update again.
                    return self.db.drop_chat(chat, self.taker).await;
                }
            }
            // Most often nothing else came meanwhile: let go at once (one statement), and look
            // for the next update only when that says there is one.
            match self.db.let_chat_go(chat, self.taker).await? {
                LetGo::MoreCame => continue,
                LetGo::Gone => return Ok(()),
                LetGo::NotHeld => {
                    tracing::warn!(
                        chat_id = chat,
                        "a chat's turn went to another process while this one held it"
                    );
                    return Ok(());
                }
            }
        }
    }
}

/// The writer of "handled": each id marked goes into a queue, and one task writes what has
/// gathered in one statement (under load, many at once; alone, at once), trying again for a
/// while if the database fails (given up unmarked, an update would be handled, and its user
/// answered, a second time). A process killed before a mark is written handles that update
/// again at its next start, as it would one killed while handling it.
#[derive(Clone)]
pub struct Marks(mpsc::UnboundedSender<Mark>);

enum Mark {
    /// Update `.0` was handled; `.1` hears whether the mark was written.
    Handled(i64, Option<oneshot::Sender<bool>>),
    /// Write what came before, then end.
    Finish,
}

impl Marks {
    /// Starts the writer; it ends at `finish`.
    pub fn spawn(db: Db, stopping: Stopping) -> (Self, JoinHandle<()>) {
        let (queue, marks) = mpsc::unbounded_channel::<Mark>();
        (Self(queue), tokio::spawn(write_marks(db, stopping, marks)))
    }

    /// Marks update `id` handled; `written` hears whether it was.
    pub fn mark(&self, id: i64, written: Option<oneshot::Sender<bool>>) {
        let _ = self.0.send(Mark::Handled(id, written));
    }

    /// Marks update `id` handled and waits until it is written: false if it could not be.
    pub async fn marked(&self, id: i64) -> bool {
        let (tx, rx) = oneshot::channel();
        self.mark(id, Some(tx));
        rx.await.unwrap_or(false)
    }

    /// Writes what is queued so far, then lets the writer end.
    pub fn finish(&self) {
        let _ = self.0.send(Mark::Finish);
    }
}

async fn write_marks(db: Db, stopping: Stopping, mut marks: mpsc::UnboundedReceiver<Mark>) {
    let mut batch = Vec::with_capacity(HANDLED_AT_ONCE);
    loop {
        if marks.recv_many(&mut batch, HANDLED_AT_ONCE).await == 0 {
            return;
        }
        let mut finish = false;
        let (mut ids, mut waiting) = (Vec::with_capacity(batch.len()), Vec::new());
        for mark in batch.drain(..) {
            match mark {
                Mark::Handled(id, written) => {
                    ids.push(id);
                    waiting.extend(written);
                }
                Mark::Finish => finish = true,
            }
        }
        let mut wait = std::time::Duration::from_millis(100);
        let mut tries = 0;
        let written = loop {
            match db.updates_handled(&ids).await {
                Ok(()) => break true,
                Err(e) if tries >= MARK_TRIES || stopping.is_set() || finish => {
                    tracing::warn!(error = %e, count = ids.len(), "could not mark updates handled; they will be handled again");
                    break false;
                }
                Err(e) => {
                    tracing::warn!(error = %e, count = ids.len(), "could not mark updates handled; trying again");
                    tries += 1;
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(std::time::Duration::from_secs(2));
                }
            }
        };
        for tx in waiting {
            let _ = tx.send(written);
        }
        if finish {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::testing::dbs;

    /// A turn this process holds with no worker at the chat (the worker ended on a database
    /// error before it could give the turn up) is given up at the next renewal, so the chat's
    /// waiting update is offered to any process again, not left behind a renewed lease.
    #[tokio::test]
    async fn a_turn_nobody_here_is_at_is_given_up_at_the_next_renewal() {
        for (_guard, db) in dbs().await {
            let (queue, _updates) = mpsc::channel(4);
            let (marks, _writer) = Marks::spawn(db.clone(), Stopping::default());
            let chats = Chats::new(db.clone(), 1, queue, Stopping::default(), marks);
            let now = unix_now();
            db.receive_update(9, Some(77), "{}", 1, now + LEASE_SECS)
                .await
                .unwrap();
            assert!(db.take_chat(77, 1, now, now + LEASE_SECS).await.unwrap());
            assert!(db.chats_waiting(now, 10).await.unwrap().is_empty(), "held");
            chats.renew().await.unwrap();
            assert_eq!(db.chats_waiting(now, 10).await.unwrap(), [77]);
            assert!(!db.holds_chat(77, 1).await.unwrap());
            db.close().await;
        }
    }
}
