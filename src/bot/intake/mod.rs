//! The way in: an update's journey from Telegram to its handler and back to "done", in the order
//! it happens, one file per step.
//!
//! 1. **Arrival.** By long polling (teloxide's `Polling`, the default), or in webhook mode as a
//!    post to `webhook`'s route, which checks the secret, stores the update in the inbox
//!    (`storage::inbox`) before answering Telegram, and drops a resend of one already stored.
//! 2. **The chat's turn** (webhook mode, `turns`): one process at a time works through a chat's
//!    stored updates, lowest `update_id` first, whichever process received them; it reads each
//!    back and hands it to the dispatcher's queue. An update with no chat is handed over at once.
//! 3. **Admission** (`admission`): at most `MAX_CONCURRENT_UPDATES × WAITING_PER_SLOT` updates
//!    are taken and not yet done; the rest wait at Telegram (or in the inbox).
//! 4. **Handling** (`handling`): an update older than a day is not acted on; the others take
//!    their place in their chat's lane (`lanes`: in this process, one update of a chat at a
//!    time, in order), then one of `MAX_CONCURRENT_UPDATES` slots, and go through the handler
//!    tree (`bot::schema`). In webhook mode nothing is said in a chat whose turn this process
//!    lost meanwhile (the outbox's fence). A panic is contained; when the fault is ours, the
//!    user is told.
//! 5. **Done.** Handled, dropped or failed, the update gives its place back (`admission`), and
//!    in webhook mode is marked handled in the inbox (`turns::Chats::done`, the one way a stored
//!    update is marked done), after which its chat's turn takes the next.
//!
//! `start` assembles these for either mode, and `Intake::stop` takes them down in order.

pub mod admission;
mod handling;
mod lanes;
mod turns;
mod webhook;

use std::sync::Arc;
use std::time::Duration;

use teloxide::dispatching::{ShutdownToken, UpdateHandler};
use teloxide::prelude::*;
use teloxide::stop::StopToken;
use teloxide::update_listeners::Polling;
use teloxide::update_listeners::UpdateListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::bot::core::{HandlerError, TgBot, redacted};
use crate::config::Webhook;
use crate::ops::{Started, Stopping};
use crate::storage::Db;
use admission::Admission;
use dptree::di::DependencyMap;
use handling::{LogErrors, in_lanes};
use turns::{Chats, Marks};

/// How many connections Telegram may open to post updates at once.
pub use webhook::MAX_CONNECTIONS;

/// How many updates may be taken from Telegram and not yet handled, per slot for handling one
/// (`MAX_CONCURRENT_UPDATES`): 1024 by default. The rest wait at Telegram.
pub const WAITING_PER_SLOT: usize = 4;

/// How long in-flight handlers get to finish at shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// Where updates come from.
pub enum Source<'a> {
    Polling,
    /// Posted to the webhook and stored, by this process as the holder of leases `taker`.
    Webhook {
        config: &'a Webhook,
        started: Started,
        taker: i64,
    },
}

/// The intake, running: stop it with `stop`.
pub struct Intake {
    shutdown: ShutdownToken,
    /// Ends the listener's stream of updates.
    listening: StopToken,
    task: JoinHandle<()>,
    admission: Arc<Admission>,
    /// Webhook mode: the inbox's side of the intake.
    stored: Option<Stored>,
}

/// Webhook mode's parts: the chats' turns this process works through, the writer of "handled",
/// and the task that keeps this process's leases and takes over what others left.
struct Stored {
    chats: Arc<Chats>,
    marks: Marks,
    writer: JoinHandle<()>,
    keeper: JoinHandle<()>,
    db: Db,
    taker: i64,
}

/// Starts taking updates from `source` and handling them with `routes` (given `deps`), at most
/// `at_once` at a time. In webhook mode, also returns the route Telegram posts to, for the
/// caller to serve.
pub async fn start(
    routes: UpdateHandler<HandlerError>,
    deps: DependencyMap,
    (bot, outbox): (Bot, TgBot),
    db: &Db,
    at_once: usize,
    source: Source<'_>,
    stopping: &Stopping,
) -> (Intake, Option<axum::Router>) {
    let bound = at_once * WAITING_PER_SLOT;
    let stored = match &source {
        Source::Webhook { taker, .. } => {
            let (marks, writer) = Marks::spawn(db.clone(), stopping.clone());
            let (queue, updates) = mpsc::channel(webhook::QUEUE);
            let chats = Chats::new(
                db.clone(),
                *taker,
                queue.clone(),
                stopping.clone(),
                marks.clone(),
            );
            Some((chats, marks, writer, queue, updates))
        }
        Source::Polling => None,
    };
    let admission = match &stored {
        Some((chats, ..)) => {
            let chats = Arc::clone(chats);
            Admission::telling(bound, Some(Box::new(move |id| chats.done(id))))
        }
        None => Admission::new(bound),
    };
    let fence = stored
        .as_ref()
        .map(|(chats, ..)| Arc::clone(chats) as Arc<dyn crate::bot::speak::outbox::Fence>);
    let routes = in_lanes(routes, outbox, at_once, Arc::clone(&admission), fence);
    let mut dispatcher = Dispatcher::builder(bot.clone(), routes)
        .dependencies(deps)
        // Every update goes to one concurrent worker; `in_lanes` keeps each chat in order.
        .distribution_function(|_| None::<()>)
        .error_handler(Arc::new(LogErrors("handling an update")))
        .build();
    let shutdown = dispatcher.shutdown_token();
    let (task, listening, stored, route) = match (source, stored) {
        (
            Source::Webhook {
                config,
                started,
                taker,
            },
            Some((chats, marks, writer, queue, updates)),
        ) => {
            let (route, listener, keeper) = webhook::receive(
                config,
                bot,
                db.clone(),
                (stopping.clone(), started),
                taker,
                (Arc::clone(&chats), queue, updates),
            );
            let mut listener = admission.bound(listener);
            let listening = listener.stop_token();
            let task = tokio::spawn(async move { dispatch(&mut dispatcher, listener).await });
            let stored = Stored {
                chats,
                marks,
                writer,
                keeper,
                db: db.clone(),
                taker,
            };
            (task, listening, Some(stored), Some(route))
        }
        _ => {
            // Polling and a webhook exclude each other; a leftover webhook would starve us of
            // updates.
            if let Err(e) = bot.delete_webhook().await {
                tracing::warn!(error = %redacted(&e), "could not delete the webhook");
            }
            let polling = Polling::builder(bot)
                .timeout(Duration::from_secs(10))
                .build();
            let mut listener = admission.bound(polling);
            let listening = listener.stop_token();
            let task = tokio::spawn(async move { dispatch(&mut dispatcher, listener).await });
            (task, listening, None, None)
        }
    };
    let intake = Intake {
        shutdown,
        listening,
        task,
        admission,
        stored,
    };
    (intake, route)
}

impl Intake {
    /// How many updates are taken and not yet done, and how long the oldest has waited.
    pub fn backlog(&self) -> impl Fn() -> (usize, Duration) + Send + Sync + 'static {
        let admission = Arc::clone(&self.admission);
        move || admission.backlog()
    }

    /// Stops taking updates and lets the handlers in flight finish (for at most
    /// `SHUTDOWN_GRACE`); in webhook mode, then gives the chats' turns up, writes the marks
    /// made, and gives up the leases on what is still unhandled (another process's to take at
    /// once).
    pub async fn stop(mut self) {
        let stop = self.stop_dispatching();
        if tokio::time::timeout(SHUTDOWN_GRACE, stop).await.is_err() {
            tracing::warn!("handlers still busy after {SHUTDOWN_GRACE:?}; stopping anyway");
            self.task.abort();
        }
        if let Some(stored) = self.stored.take() {
            stored.chats.finish().await;
            stored.keeper.abort();
            stored.marks.finish();
            let _ = stored.writer.await;
            if let Err(e) = stored.db.release_leases(stored.taker).await {
                tracing::warn!(error = %e, "could not give up the leases on stored updates");
            }
        }
    }

    /// Asks the dispatcher to stop, ends the listener's stream, and waits for the dispatching
    /// task to end (once its handlers have). Not teloxide's own "shut down" future: it hears of
    /// the end only if already waiting, and a dispatcher that ends first (in webhook mode it
    /// often does) leaves it waiting for good.
    async fn stop_dispatching(&mut self) {
        loop {
            match self.shutdown.shutdown() {
                Ok(_) => break,
                // Not dispatching yet (or any more): wait for it to start or to have ended.
                Err(_) if self.task.is_finished() => break,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        // The dispatcher stops its listener when it sees the request, unless the request came
        // while it was between two updates; stopped here too, the stream ends either way.
        self.listening.stop();
        let _ = (&mut self.task).await;
    }

    /// Resolves if the dispatcher stops by itself (it should not).
    pub async fn stopped(&mut self) {
        let _ = (&mut self.task).await;
    }
}

/// Runs the dispatcher on `listener` until it is shut down.
async fn dispatch<L>(dispatcher: &mut Dispatcher<Bot, HandlerError, ()>, listener: L)
where
    L: teloxide::update_listeners::UpdateListener + Send + 'static,
    L::Err: std::fmt::Debug + std::fmt::Display + Send + 'static,
{
    if let Err(e) = dispatcher
        .try_dispatch_with_listener(listener, Arc::new(LogErrors("getting updates")))
        .await
    {
        tracing::error!(error = %redacted(&e), "dispatching stopped");
    }
}
