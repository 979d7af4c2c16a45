//! Background work. This folder holds the one runner for work under a lease (here) and the kinds
//! of work it runs, a file each: `logins` polls Yandex for the logins in progress, `schedules`
//! posts scheduled meetings' reminders and makes recurring meetings' links. `prune` removes data
//! no longer needed, on an hourly loop of its own. A new kind of work is a type implementing
//! `Job` in a file here, started with `spawn` where the bot starts (and stopped with the `Worker`
//! it gives): the next issues add more background work, closing polls and digests: each is a new
//! job kind, not a copy of the loop.
//!
//! The work is rows in the database (see `storage::leases`), not tasks: it outlives the process
//! that stored it, and any process on the database may do it. Each process runs one worker per
//! kind. The worker claims the rows due, as many as it has room for (`Job::AT_ONCE`), each under
//! a lease of `Job::LEASE` on the system clock, so no other process takes them meanwhile; it runs
//! each in a task of its own, and each ends its turn by moving its row on (which gives the lease
//! up). Then it waits until the next row is due, something in this process wakes it
//! (`Job::woken`: work stored here, a manual clock moved), a task ends, or a `Job::TICK` passed
//! (for what other processes stored, or left when they died). A kind whose work may outlast its
//! lease renews the lease itself just before it acts (`lease_until`, `Db::renew`): work whose lease
//! ran out meanwhile may be another process's now. Stopping, the worker claims no more, lets the
//! tasks in hand finish for at most `Job::STOP_GRACE`, and gives its leases up, so that another
//! process (or the next start) carries on at once.

pub mod logins;
pub mod prune;
pub mod schedules;
pub mod votes;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::bot::core::{Ctx, TgBot};
use crate::clock::unix_now_ms;
use crate::storage::{Leased, StorageError};

/// This process's background work, running: stop it with `stop`.
pub struct Jobs {
    /// Polls Yandex for the logins in progress (see `logins`).
    logins: Worker,
    /// Posts scheduled meetings' reminders and recurring meetings' links (see `schedules`).
    schedules: Worker,
    /// Redraws votes' messages and closes votes (see `votes`).
    votes: Worker,
    /// Removes data no longer needed (see `prune`).
    pruning: JoinHandle<()>,
}

/// Starts every kind of background work, as process `taker`.
pub fn start(bot: TgBot, ctx: Arc<Ctx>, taker: i64, history_days: u32) -> Jobs {
    let pruning = prune::spawn_pruning(ctx.db.clone(), prune::retention(history_days));
    Jobs {
        logins: logins::spawn(Arc::clone(&bot), Arc::clone(&ctx), taker),
        schedules: schedules::spawn(Arc::clone(&bot), Arc::clone(&ctx), taker),
        votes: votes::spawn(bot, ctx, taker),
        pruning,
    }
}

impl Jobs {
    /// Stops pruning, then each worker (letting the work in hand finish within its grace and
    /// giving its leases up).
    pub async fn stop(mut self) {
        self.pruning.abort();
        let _ = (&mut self.pruning).await;
        self.logins.stop().await;
        self.schedules.stop().await;
        self.votes.stop().await;
    }
}

/// A kind of work under a lease: what the runner needs to know of it.
pub trait Job: Send + 'static {
    /// One piece of work, as claimed.
    type Item: Send + 'static;
    /// What the work is on, for the logs ("logins", "scheduled meetings").
    const NAME: &'static str;
    /// How many items one process works on at once.
    const AT_ONCE: usize;
    /// How long a claim holds an item (system time): a process that dies leaves its items to
    /// another after this long.
    const LEASE: Duration;
    /// How often the worker looks for work, at most, when nothing in this process woke it.
    const TICK: Duration;
    /// It never looks sooner than this after the last look.
    const LEAST_WAIT: Duration;
    /// At shutdown, how long the items in hand get to finish before they are cut off (their
    /// leases run out, or are given up, and they are taken again).
    const STOP_GRACE: Duration;

    /// How long until the next item is due: zero when one is due now, `None` when none is.
    fn until_due(&self) -> impl Future<Output = Result<Option<Duration>, StorageError>> + Send;

    /// Claims at most `room` items due, for process `taker`, until `lease_until` (unix ms of the
    /// system clock, which stands at `wall_now_ms`).
    fn claim(
        &self,
        taker: i64,
        wall_now_ms: i64,
        lease_until: i64,
        room: usize,
    ) -> impl Future<Output = Result<Vec<Self::Item>, StorageError>> + Send;

    /// The work on one item claimed by process `taker`, to run in a task of its own. Called in
    /// the order the items were claimed.
    fn run(
        &mut self,
        taker: i64,
        item: Self::Item,
    ) -> impl Future<Output = ()> + Send + 'static + use<Self>;

    /// Gives up process `taker`'s leases (it is stopping).
    fn release(&self, taker: i64) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Resolves when something in this process may have made an item due sooner.
    fn woken(&mut self) -> impl Future<Output = ()> + Send;
}

/// Resolves when a manual clock (tests) moved, which may make work due; never without one.
pub async fn clock_moved(moves: &mut Option<watch::Receiver<u64>>) {
    match moves.as_mut() {
        Some(m) => {
            let _ = m.changed().await;
        }
        None => std::future::pending().await,
    }
}

/// A lease of `lease` from now: until when, in unix ms of the system clock.
/// Renews, for `lease` more, this process's lease on item `id` of `kind`, held until
/// `*held_until`, just before acting on it: false when it is no longer this process's (the lease
/// ran out and another took it, or the item was cancelled); else `*held_until` is the new end.
pub async fn hold(
    ctx: &Ctx,
    kind: Leased,
    id: i64,
    taker: i64,
    held_until: &mut i64,
    lease: Duration,
) -> Result<bool, StorageError> {
    let renewed = lease_until(lease);
    let held = ctx.db.renew(kind, id, taker, *held_until, renewed).await?;
    if held {
        *held_until = renewed;
    }
    Ok(held)
}

pub fn lease_until(lease: Duration) -> i64 {
    unix_now_ms().saturating_add(millis(lease))
}

/// `d` in milliseconds.
pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A kind's worker in this process, running until `stop` (aborted if dropped).
pub struct Worker {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// Starts working on `job`'s items as process `taker`.
pub fn spawn<J: Job>(job: J, taker: i64) -> Worker {
    let (stop, stopping) = watch::channel(false);
    let task = tokio::spawn(run(job, taker, stopping));
    Worker {
        stop,
        task: Some(task),
    }
}

impl Worker {
    /// A worker that does nothing: the kind cannot run in this process (its items are left to
    /// processes where it can).
    pub fn idle() -> Self {
        let (stop, _) = watch::channel(false);
        Self { stop, task: None }
    }

    /// Stops claiming, lets the items in hand finish (for at most the kind's `STOP_GRACE`), and
    /// gives this process's leases up so another process (or the next start) carries on at once.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// The worker: claims the items due (as many as it has room for), runs each in a task of its
/// own, and sleeps until the next is due, it is woken, or an item ends; at most a `TICK`.
async fn run<J: Job>(mut job: J, taker: i64, mut stopping: watch::Receiver<bool>) {
    let mut items = JoinSet::new();
    loop {
        while items.try_join_next().is_some() {}
        let due = match job.until_due().await {
            Ok(due) => due,
            Err(StorageError::Closed) => break,
            // Taken as "nothing due": it looks again a tick later.
            Err(e) => {
                tracing::warn!(error = %e, "could not look for {} due", J::NAME);
                None
            }
        };
        let room = J::AT_ONCE.saturating_sub(items.len());
        // A claim writes: it is made only when an item is due.
        if room > 0 && due == Some(Duration::ZERO) {
            let now = unix_now_ms();
            let until = now.saturating_add(millis(J::LEASE));
            match job.claim(taker, now, until, room).await {
                Ok(claimed) => {
                    let claimed_any = !claimed.is_empty();
                    for item in claimed {
                        items.spawn(job.run(taker, item));
                    }
                    // More may be due: look again at once while there is room.
                    if claimed_any && items.len() < J::AT_ONCE && !*stopping.borrow() {
                        continue;
                    }
                }
                Err(StorageError::Closed) => break,
                Err(e) => tracing::warn!(error = %e, "could not claim {} due", J::NAME),
            }
        }
        if *stopping.borrow() {
            break;
        }
        let wait = match due {
            // Full: an item ending wakes it.
            _ if items.len() >= J::AT_ONCE => J::TICK,
            Some(until) => until.clamp(J::LEAST_WAIT, J::TICK),
            None => J::TICK,
        };
        tokio::select! {
            _ = stopping.changed() => break,
            () = job.woken() => {}
            _ = tokio::time::sleep(wait) => {}
            Some(_) = items.join_next(), if !items.is_empty() => {}
        }
    }
    let finishing = async { while items.join_next().await.is_some() {} };
    if tokio::time::timeout(J::STOP_GRACE, finishing)
        .await
        .is_err()
    {
        items.abort_all();
    }
    match job.release(taker).await {
        Ok(()) | Err(StorageError::Closed) => {}
        Err(e) => tracing::warn!(error = %e, "could not give up the leases on {}", J::NAME),
    }
}
