//! Removing what the bot no longer needs (see `Db::prune`): abandoned dialogues, spent /connect
//! codes, remembered cohosts beyond those the cohosts step shows, meetings older than
//! `HISTORY_DAYS`, handled webhook updates and idle flood-limit buckets. Runs once shortly after
//! start, then every hour, until `Running::shutdown`. Processes sharing a database prune one at
//! a time: one that finds another at it skips its turn.
//!
//! Not a job kind under a lease (see `jobs`): there are no rows of work to claim, only one
//! pruning at a time, which a lock on the database gives (`Db::if_free`). A process that dies
//! mid-way lets the lock go with its connection, and its pruning, one transaction, rolls back;
//! the next hour's (by any process) does it all.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::bot::state::SUGGESTED_COHOSTS;
use crate::clock::unix_now;
use crate::storage::{Db, Retention, StorageError};

/// How long after start the first pruning runs: after start-up's own work, not during it.
const FIRST_AFTER: Duration = Duration::from_secs(1);
/// How often pruning runs after the first.
const EVERY: Duration = Duration::from_secs(3600);

/// The lock (across processes sharing the database) held while pruning.
const PRUNE_LOCK: i64 = 0x7072_756e_6500_0000; // "prune"

/// What a bot keeping `history_days` days of meetings keeps: as many remembered cohosts per chat
/// as the cohosts step offers.
pub fn retention(history_days: u32) -> Retention {
    Retention {
        history_days,
        keep_cohosts: SUGGESTED_COHOSTS,
    }
}

/// Prunes `db` by `retention` now and then, until the task is aborted (a pruning cut short rolls
/// back: it is one transaction) or the database is closed.
pub fn spawn_pruning(db: Db, retention: Retention) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(Instant::now() + FIRST_AFTER, EVERY);
        // After a suspended machine wakes: one pruning, not one per hour missed.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let pruned = db
                .if_free(PRUNE_LOCK, db.prune(unix_now(), &retention))
                .await
                .and_then(|done| done.unwrap_or(Ok(Default::default())));
            match pruned {
                Ok(pruned) if pruned.is_empty() => {}
                Ok(pruned) => tracing::info!(
                    dialogues = pruned.dialogues,
                    connect_codes = pruned.connect_codes,
                    cohosts = pruned.cohosts,
                    meetings = pruned.meetings,
                    updates = pruned.updates,
                    flood_buckets = pruned.flood_buckets,
                    web_calls = pruned.web_calls,
                    votes = pruned.votes,
                    history_days = retention.history_days,
                    "removed data no longer needed"
                ),
                Err(StorageError::Closed) => return,
                Err(e) => tracing::warn!(
                    error = %e,
                    "could not remove data no longer needed; trying again in an hour"
                ),
            }
        }
    })
}
