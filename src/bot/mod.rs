//! The Telegram side: the handler tree, and the glue between Telegram, the Telemost client and
//! the database.

mod admission;
pub mod callback;
pub mod commands;
pub mod core;
pub mod dialogue;
mod groups;
mod history;
mod inline;
mod jobs;
mod lanes;
mod later;
mod lifecycle;
mod login;
mod manage;
mod meetings;
mod outbox;
mod panel;
mod perm;
mod plans;
mod queues;
mod settings;
pub mod state;
mod store;
pub mod texts;
pub mod tokens;
pub mod topic;
mod webhook;

use std::ops::ControlFlow;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use secrecy::ExposeSecret;
use teloxide::dispatching::{ShutdownToken, UpdateHandler};
use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use teloxide::types::BotCommand;
use teloxide::update_listeners::Polling;
use thiserror::Error;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::metrics::{HANDLER_SECONDS, UPDATES_OLDEST_WAITING, UPDATES_WAITING};
use crate::oauth::YandexOAuth;
use crate::ops::{self, Probes, Started, Stopping};
use crate::storage::{Db, KeySource, StorageError};
use crate::telemost::TelemostClient;
use admission::Admission;
use callback::{Callback, Press};
use commands::Command;
pub use core::{Ctx, HandlerError, HandlerResult, TgBot, lang_of, redacted};
use dptree::di::DependencyMap;
use lanes::Lanes;
pub use outbox::Outbox;
use state::State;
pub use store::BotDialogue;
use texts::Lang;

/// The update kinds `schema` handles, which the bot asks Telegram for (the dispatcher derives
/// the same list from `schema` when it runs; `tests/cli.rs` checks the two agree).
pub const UPDATE_KINDS: [teloxide::types::AllowedUpdate; 5] = {
    use teloxide::types::AllowedUpdate::*;
    [
        Message,
        CallbackQuery,
        InlineQuery,
        ChosenInlineResult,
        MyChatMember,
    ]
};

/// How many connections Telegram may open to post updates at once.
pub use webhook::MAX_CONNECTIONS;

/// The whole update handling: every route in one place. `in_lanes` runs it for each update.
pub fn schema() -> UpdateHandler<HandlerError> {
    use dptree::case;

    // Every command, each to its handler. They work in any dialogue state; /meet and /stream
    // replace the sender's unfinished dialogue.
    let commands = teloxide::filter_command::<Command, _>()
        .branch(
            case![Command::Start(code)]
                .filter(|code: String, msg: Message| {
                    msg.chat.is_private() && groups::looks_like_code(code.trim())
                })
                .endpoint(groups::redeem),
        )
        .branch(
            dptree::filter(|c: Command| matches!(c, Command::Start(_) | Command::Help))
                .endpoint(commands::help),
        )
        .branch(case![Command::Meet(arg)].endpoint(dialogue::on_meet))
        .branch(case![Command::Stream(arg)].endpoint(dialogue::on_stream))
        .branch(case![Command::Token(arg)].endpoint(commands::token))
        .branch(case![Command::Login].endpoint(login::start))
        .branch(case![Command::Connect].endpoint(groups::connect))
        .branch(
            dptree::filter(|c: Command, msg: Message| {
                matches!(c, Command::Disconnect | Command::Forget) && !msg.chat.is_private()
            })
            .endpoint(groups::disconnect),
        )
        .branch(case![Command::Disconnect].endpoint(commands::groups_only))
        .branch(case![Command::Forget].endpoint(commands::forget))
        .branch(case![Command::History].endpoint(history::show))
        .branch(case![Command::Upcoming].endpoint(later::show))
        .branch(case![Command::Settings].endpoint(settings::show))
        .branch(case![Command::Cancel].endpoint(commands::cancel));

    let messages = Update::filter_message()
        .chain(store::enter())
        .branch(commands)
        .branch(
            case![State::Unavailable].endpoint(|bot: TgBot, msg: Message| async move {
                let t = lang_of(msg.from.as_ref());
                bot.send(msg.chat.id, t.internal_error(), None).await?;
                Ok(())
            }),
        )
        .branch(case![State::AwaitingToken { group, until }].endpoint(dialogue::receive_token))
        .branch(case![State::Draft(d)].endpoint(dialogue::receive_draft_text))
        .branch(case![State::AwaitingZone { prompt }].endpoint(settings::receive_zone))
        .branch(
            case![State::Managing {
                conference,
                replace,
                owner,
                message,
                prompt
            }]
            .endpoint(manage::receive_emails),
        )
        .endpoint(dialogue::idle_message);

    let callbacks = Update::filter_callback_query()
        .branch(
            dptree::entry()
                .chain(store::enter())
                .branch(case![State::Unavailable].endpoint(
                    |bot: TgBot, q: CallbackQuery| async move {
                        let t = lang_of(Some(&q.from));
                        bot.answer(&q, Some(t.internal_error())).await;
                        Ok(())
                    },
                ))
                .branch(
                    // The button's data, parsed (see `callback`); data we never sent goes on to
                    // the stale notice below.
                    dptree::filter_map(|q: CallbackQuery| {
                        q.data.as_deref().and_then(Callback::parse)
                    })
                    .branch(case![Callback::Setting(setting)].endpoint(settings::on_press))
                    .branch(
                        case![Callback::Manage { conference, action }].endpoint(manage::on_press),
                    )
                    .branch(
                        case![Callback::Calendar { schedule, start }]
                            .endpoint(later::on_calendar),
                    )
                    .branch(case![Callback::Unschedule(id)].endpoint(later::on_cancel))
                    .branch(
                        case![Callback::Draft(press)]
                            .branch(
                                case![Press::Cancel]
                                    .chain(case![State::Managing {
                                        conference,
                                        replace,
                                        owner,
                                        message,
                                        prompt
                                    }])
                                    // On the prompt itself; elsewhere it is another message's
                                    // Cancel.
                                    .filter(
                                        |q: CallbackQuery,
                                         s: (String, bool, u64, i32, Option<i32>)| {
                                            q.message.as_ref().map(|m| m.id().0) == s.4
                                        },
                                    )
                                    .endpoint(manage::on_prompt_cancel),
                            )
                            .branch(case![State::Draft(d)].endpoint(dialogue::on_press)),
                    ),
                )
                .endpoint(dialogue::stale_press),
        )
        // No chat to key a dialogue on (a button under an inline message), or the dialogue
        // could not be loaded: still answer, so the user's spinner stops.
        .endpoint(|bot: TgBot, q: CallbackQuery| async move {
            let t = lang_of(Some(&q.from));
            bot.answer(&q, Some(t.stale_button())).await;
            Ok(())
        });

    dptree::entry()
        // A chat's life (see `lifecycle`): a group upgraded, the bot removed or blocked.
        .branch(
            Update::filter_message()
                .filter(|m: Message| lifecycle::is_migration(&m))
                .endpoint(lifecycle::on_migration),
        )
        .branch(
            Update::filter_message()
                .filter(|m: Message| lifecycle::is_members_change(&m))
                .endpoint(lifecycle::on_members),
        )
        .branch(Update::filter_my_chat_member().endpoint(lifecycle::on_my_membership))
        .branch(messages)
        .branch(callbacks)
        .branch(Update::filter_inline_query().endpoint(inline::on_query))
        .branch(Update::filter_chosen_inline_result().endpoint(inline::on_chosen))
}

/// What the dispatcher runs for every update. The update takes its place in its chat's lane (see
/// `lanes`), then, as a task of its own, waits for its turn and for one of `at_once` slots (so
/// that a burst of a thousand chats holds a thousand small queued updates, not a thousand
/// handlers in full flight), and goes through `routes`. Nothing in a handler can take the bot
/// down: a panic is caught and logged. When the failure is ours (the database, or a panic), the
/// user is told, before the chat's next update runs; a failed Telegram call is only logged, since
/// telling the user would need Telegram.
///
/// It asks Telegram for the updates `routes` handles and no others (`allowed_updates` is taken
/// from the handler's description).
fn in_lanes(
    routes: UpdateHandler<HandlerError>,
    bot: TgBot,
    at_once: usize,
    admission: Arc<Admission>,
    fence: Option<Arc<dyn queues::Fence>>,
) -> UpdateHandler<HandlerError> {
    let description = routes.description().clone();
    let sig = routes.sig().clone();
    let routes = Arc::new(routes);
    let lanes = Arc::new(Lanes::default());
    let slots = Arc::new(Semaphore::new(at_once));
    let run = move |deps: DependencyMap, _: _| {
        let update: Arc<Update> = deps.get();
        // Taken here, synchronously, while the dispatcher takes updates in the order they
        // came: a lane's order is the order of arrival.
        let chat = update.chat().map(|c| c.id);
        // Handled (or dropped) is done: the update's place goes to the next one taken. (If the
        // handler panics or is cancelled, dropping this gives the place back all the same.)
        let done = Done(Arc::clone(&admission), update.id);
        let admitted = if admission::too_old(&update, crate::storage::unix_now()) {
            tracing::info!(
                update_id = update.id.0,
                "an update older than a day is not acted on"
            );
            None
        } else {
            lanes.enter(chat.map(|c| c.0))
        };
        let Some(mut turn) = admitted else {
            // Too old, or too many of this chat's updates are waiting already (see `lanes`).
            drop(done);
            return futures_util::future::Either::Left(std::future::ready(ControlFlow::Break(Ok(
                (),
            ))));
        };
        let t = lang_of(update.from());
        let (routes, slots, bot) = (Arc::clone(&routes), Arc::clone(&slots), Arc::clone(&bot));
        // Webhook mode: a chat's update came through its turn, and is said only while held.
        let fence = fence.clone().zip(chat);
        let apology_fence = fence.clone();
        let work = tokio::spawn(async move {
            let _done = done;
            turn.ready().await;
            // After the turn, never before: a slot held while waiting behind the same chat's
            // update could leave that update without one. The semaphore is never closed.
            let _slot = slots.acquire().await;
            let started = std::time::Instant::now();
            // Whatever the handler sends to this chat goes into the topic the update came from.
            let handling = Outbox::in_topic_of(&update, routes.dispatch(deps));
            let mut handling = std::pin::pin!(match fence {
                Some((fence, chat)) => {
                    futures_util::future::Either::Left(Outbox::fenced(fence, chat.0, handling))
                }
                None => futures_util::future::Either::Right(handling),
            });
            // A panic is caught where it happens; the handler is then dropped, never polled
            // again, so what it left half-done is not observed.
            let handled = std::future::poll_fn(|cx| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    handling.as_mut().poll(cx)
                }))
                .map_or(Poll::Ready(None), |p| p.map(Some))
            })
            .await;
            let (result, ours) = match handled {
                // Another process took the chat over (this one's turn ran out) and moved the
                // dialogue on: what this one would have written is dropped, and it says nothing.
                Some(ControlFlow::Break(Err(HandlerError::Storage(StorageError::Overtaken)))) => {
                    tracing::info!(
                        chat_id = chat.map(|c| c.0),
                        "another process moved this dialogue on meanwhile; this update's write was dropped"
                    );
                    (Ok(()), false)
                }
                Some(ControlFlow::Break(Err(HandlerError::Storage(e)))) => {
                    (Err(HandlerError::Storage(e)), true)
                }
                // A user who blocked the bot: noted once, at info (see `lifecycle`), not an
                // error of ours.
                Some(ControlFlow::Break(Err(HandlerError::Telegram(
                    teloxide::RequestError::Api(teloxide::ApiError::BotBlocked),
                )))) => (Ok(()), false),
                Some(ControlFlow::Break(result)) => (result, false),
                // Updates no branch takes (edits, channel posts, stickers in groups…): dropped
                // quietly. teloxide's default handler would log the whole update, user text
                // included.
                Some(ControlFlow::Continue(_)) => (Ok(()), false),
                None => {
                    tracing::error!("a handler panicked");
                    (Ok(()), true)
                }
            };
            if ours {
                let apology = async {
                    // A press is answered too, or the user's button keeps spinning.
                    if let teloxide::types::UpdateKind::CallbackQuery(q) = &update.kind {
                        let _ = bot.answer(q, Some(t.internal_error())).await;
                    }
                    if let Some(chat) = chat {
                        let _ = bot.send(chat, t.internal_error(), None).await;
                    }
                };
                let apology = Outbox::in_topic_of(&update, apology);
                match apology_fence {
                    Some((fence, chat)) => Outbox::fenced(fence, chat.0, apology).await,
                    None => apology.await,
                }
            }
            metrics::histogram!(HANDLER_SECONDS).record(started.elapsed().as_secs_f64());
            result
        });
        futures_util::future::Either::Right(async move {
            ControlFlow::Break(work.await.unwrap_or_else(|e| {
                // Only when the runtime is shutting down.
                tracing::warn!(error = %e, "a handler was cancelled");
                Ok(())
            }))
        })
    };
    dptree::from_fn_with_description(description, run, sig)
}

/// Gives an update's place back when dropped (see `admission`).
struct Done(Arc<Admission>, teloxide::types::UpdateId);

impl Drop for Done {
    fn drop(&mut self) {
        self.0.done(self.1);
    }
}

/// Logs handler or polling errors (`.0` says which) with secrets removed.
struct LogErrors(&'static str);

impl<E: std::fmt::Display + Send + 'static> ErrorHandler<E> for LogErrors {
    fn handle_error(
        self: Arc<Self>,
        error: E,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        let text = redacted(&error);
        let what = self.0;
        Box::pin(async move { tracing::error!(error = %text, "{what} failed") })
    }
}

#[derive(Debug, Error)]
pub enum StartError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("could not build the HTTP client: {0}")]
    Http(String),
    #[error("Telegram did not accept the bot token or could not be reached: {0}")]
    Telegram(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        addr: std::net::SocketAddr,
        reason: String,
    },
}

impl StartError {
    /// Whether the fault is in the configuration or the environment it names (a database that
    /// cannot be reached, a port taken), which an operator fixes before trying again.
    pub fn is_setup(&self) -> bool {
        matches!(
            self,
            StartError::Listen { .. }
                | StartError::Storage(
                    StorageError::Unreachable { .. }
                        | StorageError::Url(_)
                        | StorageError::KeyRequired
                )
        )
    }
}

/// How many updates may be taken from Telegram and not yet handled, per slot for handling one
/// (`MAX_CONCURRENT_UPDATES`): 1024 by default. The rest wait at Telegram.
pub const WAITING_PER_SLOT: usize = 4;

/// How long in-flight handlers get to finish at shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// A running bot. Dropping it does not stop it; call `shutdown`.
pub struct Running {
    shutdown: ShutdownToken,
    task: JoinHandle<()>,
    db: Db,
    /// Removes data no longer needed (see `jobs::prune`).
    pruning: JoinHandle<()>,
    /// Polls Yandex for the logins in progress (see `jobs::logins`).
    logins: jobs::Worker,
    /// Posts scheduled meetings' reminders and recurring meetings' links (see `jobs::schedules`).
    reminders: jobs::Worker,
    /// Set first when stopping: readiness fails and webhook posts are refused from then on.
    stopping: Stopping,
    /// The webhook's and METRICS_LISTEN's listeners, those there are.
    http: Vec<JoinHandle<()>>,
    /// Webhook mode: marks stored updates handled.
    handled: Option<webhook::Handled>,
    /// Webhook mode: the chats' queues this process works through.
    chats: Option<Arc<queues::Chats>>,
    /// Webhook mode: keeps this process's leases on stored updates, and takes over what others
    /// left.
    keeping: Option<JoinHandle<()>>,
    taker: i64,
}

impl Running {
    /// Turns readiness off (and refuses new webhook posts, which Telegram resends to another
    /// process or later), stops taking updates, lets the handlers in flight finish (for at most
    /// `SHUTDOWN_GRACE`), stops pruning, closes the database.
    pub async fn shutdown(mut self) {
        self.stopping.set();
        let stop = self.stop_dispatching();
        if tokio::time::timeout(SHUTDOWN_GRACE, stop).await.is_err() {
            tracing::warn!("handlers still busy after {SHUTDOWN_GRACE:?}; stopping anyway");
            self.task.abort();
        }
        if let Some(chats) = self.chats.take() {
            chats.finish().await;
        }
        self.pruning.abort();
        let _ = (&mut self.pruning).await;
        self.logins.stop().await;
        self.reminders.stop().await;
        if let Some(keeping) = self.keeping.take() {
            keeping.abort();
        }
        if let Some(handled) = self.handled.take() {
            handled.finish().await;
            // What is still unhandled (the grace ran out) is another process's to take at once.
            if let Err(e) = self.db.release_leases(self.taker).await {
                tracing::warn!(error = %e, "could not give up the leases on stored updates");
            }
        }
        self.db.close().await;
        for http in self.http.drain(..) {
            http.abort();
        }
    }

    async fn stop_dispatching(&mut self) {
        loop {
            match self.shutdown.shutdown() {
                Ok(done) => {
                    done.await;
                    break;
                }
                // Not dispatching yet (or any more): wait for it to start or to have ended.
                Err(_) if self.task.is_finished() => break,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        let _ = (&mut self.task).await;
    }

    /// Resolves if the dispatcher stops by itself (it should not).
    pub async fn stopped(&mut self) {
        let _ = (&mut self.task).await;
    }
}

/// Opens the database, checks the bot token with Telegram, registers the command menu and starts
/// polling in the background.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let keys = match config.token_encryption_key {
        Some(key) => KeySource::Given(key),
        None => KeySource::FileBesideDatabase,
    };
    let db = Db::open(&config.database_url, keys).await?;
    let http = teloxide::net::default_reqwest_settings()
        .build()
        .map_err(|e| StartError::Http(e.to_string()))?;
    let mut bot = Bot::with_client(config.bot_token.expose_secret(), http.clone());
    if let Some(url) = config.telegram_api_url.clone() {
        bot = bot.set_api_url(url);
    }
    let telemost = TelemostClient::new(
        http.clone(),
        &config.telemost_api_url,
        config.telemost_retry.clone(),
    );

    let me = bot
        .get_me()
        .await
        .map_err(|e| StartError::Telegram(redacted(&e)))?;
    tracing::info!(username = ?me.username, "connected to Telegram");
    register_commands(&bot).await;
    tracing::info!(database = db.backend_name(), "database ready");

    let ctx = Arc::new(Ctx {
        db: db.clone(),
        telemost,
        oauth: config.yandex.map(|app| {
            YandexOAuth::new(
                http.clone(),
                &app.oauth_url,
                app.client_id,
                app.client_secret,
            )
        }),
        oauth_time_unit: config.oauth_time_unit,
        login_due: Default::default(),
        refreshing: Default::default(),
        clock: config.clock.clone(),
        default_zone: config.default_timezone.clone(),
        schedules_due: Default::default(),
        members: Default::default(),
    });
    let outbox = Outbox::new(bot.clone(), config.telegram_rate_limit)
        .telling(Arc::new(lifecycle::Events(db.clone())));
    // Other processes may send for the bot too (PostgreSQL): the flood limits are kept there.
    let outbox: TgBot = Arc::new(match db.is_shared() {
        true => outbox.shared_through(db.clone()),
        false => outbox,
    });
    let stopping = Stopping::default();
    // In webhook mode, not before what stopped processes left is queued (see `webhook`).
    let started = match config.webhook {
        Some(_) => Started::default(),
        None => Started::set_already(),
    };
    let bound = config.max_concurrent_updates * WAITING_PER_SLOT;
    // A stored webhook update is marked handled once handled, so a restart does not replay it.
    let handled = config
        .webhook
        .as_ref()
        .map(|_| webhook::Handled::spawn(db.clone()));
    // This process, as the holder of leases: on background work, and on the webhook updates it
    // stores.
    let taker = crate::storage::process_id();
    let logins = jobs::logins::spawn(outbox.clone(), Arc::clone(&ctx), taker);
    let reminders = jobs::schedules::spawn(outbox.clone(), Arc::clone(&ctx), taker);
    let mut keeping = None;
    let mut intake = config
        .webhook
        .as_ref()
        .map(|_| webhook::Intake::new(db.clone(), taker, stopping.clone()));
    let chats = intake.as_ref().map(|i| Arc::clone(&i.chats));
    let admission = match (&handled, &chats) {
        (Some(handled), Some(chats)) => {
            let (mark, chats) = (handled.marker(), Arc::clone(chats));
            // A chat's worker marks its updates itself, before taking the next.
            Admission::telling(
                bound,
                Some(Box::new(move |id| {
                    if !chats.handled(id) {
                        mark(id)
                    }
                })),
            )
        }
        _ => Admission::new(bound),
    };
    let routes = in_lanes(
        schema(),
        outbox.clone(),
        config.max_concurrent_updates,
        Arc::clone(&admission),
        chats
            .as_ref()
            .map(|c| Arc::clone(c) as Arc<dyn queues::Fence>),
    );
    let dispatcher = Dispatcher::builder(bot.clone(), routes)
        .dependencies(dptree::deps![ctx, db.clone(), outbox])
        // Every update goes to one concurrent worker; `in_lanes` keeps each chat in order.
        .distribution_function(|_| None::<()>)
        .error_handler(Arc::new(LogErrors("handling an update")))
        .build();
    let shutdown = dispatcher.shutdown_token();

    // The probes (and metrics) are served whenever there is a listener: webhook mode's,
    // METRICS_LISTEN's, or both.
    let probes = (config.webhook.is_some() || config.metrics_listen.is_some()).then(|| {
        let backlog = Arc::clone(&admission);
        Probes {
            db: db.clone(),
            stopping: stopping.clone(),
            started: started.clone(),
            metrics: crate::metrics::install(),
            before_scrape: Arc::new(move || {
                let (waiting, oldest) = backlog.backlog();
                metrics::gauge!(UPDATES_WAITING).set(waiting as f64);
                metrics::gauge!(UPDATES_OLDEST_WAITING).set(oldest.as_secs_f64());
            }),
        }
    });
    let mut hook_route = None;
    let task = match (&config.webhook, intake.take()) {
        (Some(hook), Some(intake)) => {
            let (route, listener, keeper) = webhook::receive(
                hook,
                bot.clone(),
                db.clone(),
                (stopping.clone(), started),
                taker,
                intake,
            );
            keeping = Some(keeper);
            hook_route = Some(route);
            tokio::spawn(dispatch(dispatcher, admission.bound(listener)))
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
            tokio::spawn(dispatch(dispatcher, admission.bound(polling)))
        }
    };
    let http = match probes {
        Some(probes) => serve(
            config.webhook.as_ref().zip(hook_route),
            config.metrics_listen,
            probes,
        )
        .await
        .inspect_err(|_| task.abort())?,
        None => Vec::new(),
    };
    let pruning =
        jobs::prune::spawn_pruning(db.clone(), jobs::prune::retention(config.history_days));
    Ok(Running {
        shutdown,
        task,
        db,
        pruning,
        logins,
        reminders,
        stopping,
        http,
        handled,
        chats,
        keeping,
        taker,
    })
}

/// Binds every listener, then serves each: in webhook mode, `WEBHOOK_LISTEN` serves the webhook
/// route and the probes, and `/metrics` too unless `METRICS_LISTEN` is set; `METRICS_LISTEN`
/// serves the probes and `/metrics`.
async fn serve(
    webhook: Option<(&crate::config::Webhook, axum::Router)>,
    metrics_listen: Option<std::net::SocketAddr>,
    probes: Probes,
) -> Result<Vec<JoinHandle<()>>, StartError> {
    let mut apps = Vec::new();
    if let Some(addr) = metrics_listen {
        apps.push((
            addr,
            ops::router(probes.clone()),
            "/healthz, /readyz and /metrics",
        ));
    }
    if let Some((hook, route)) = webhook {
        let (app, what) = match metrics_listen {
            Some(_) => (
                ops::probes(probes.clone()),
                "the webhook, /healthz and /readyz",
            ),
            None => (
                ops::router(probes.clone()),
                "the webhook, /healthz, /readyz and /metrics",
            ),
        };
        apps.push((hook.listen, app.merge(route), what));
    }
    // All bound before any is served: a port taken stops the start with nothing left running.
    let mut bound = Vec::new();
    for (addr, app, what) in apps {
        let listener =
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| StartError::Listen {
                    addr,
                    reason: e.to_string(),
                })?;
        bound.push((addr, listener, app, what));
    }
    Ok(bound
        .into_iter()
        .map(|(addr, listener, app, what)| {
            tracing::info!(%addr, "serving {what}");
            ops::serve(listener, app, ops::probes(probes.clone()))
        })
        .collect())
}

/// Runs the dispatcher on `listener` until it is shut down.
async fn dispatch<L>(mut dispatcher: Dispatcher<Bot, HandlerError, ()>, listener: L)
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

/// Commands that make sense only in a private chat, or only in a group.
const PRIVATE_ONLY: [&str; 4] = ["token", "login", "forget", "start"];
const GROUP_ONLY: [&str; 2] = ["connect", "disconnect"];

/// setMyCommands for every language we speak and for private chats and groups apart (a group's
/// menu offers /connect, a private chat's /token); a failure only costs the menu.
async fn register_commands(bot: &Bot) {
    use teloxide::types::BotCommandScope;
    let scopes = [
        (BotCommandScope::AllPrivateChats, &GROUP_ONLY[..]),
        (BotCommandScope::AllGroupChats, &PRIVATE_ONLY[..]),
    ];
    for (lang, code) in [(Lang::En, None), (Lang::Ru, Some("ru"))] {
        for (scope, hidden) in &scopes {
            let list: Vec<BotCommand> = lang
                .texts()
                .commands()
                .iter()
                .filter(|(c, _)| !hidden.contains(c))
                .map(|(c, d)| BotCommand::new(*c, *d))
                .collect();
            let mut req = bot.set_my_commands(list).scope(scope.clone());
            if let Some(code) = code {
                req = req.language_code(code);
            }
            if let Err(e) = req.await {
                tracing::warn!(error = %redacted(&e), "could not register the command menu");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_is_contained() {
        // An inline query has no chat to apologise in, so nothing is sent: the point is that the
        // panic stops here.
        let update: Update = serde_json::from_value(serde_json::json!({
            "update_id": 1,
            "inline_query": {"id": "q", "from": {"id": 5, "is_bot": false, "first_name": "A"},
                             "query": "", "offset": ""}
        }))
        .unwrap();
        let bot: TgBot = Arc::new(Outbox::new(Bot::new("1:x"), false));
        let panicking = in_lanes(
            dptree::endpoint(|| async { panic!("boom") }),
            bot.clone(),
            1,
            Admission::new(1),
            None,
        );
        let result = panicking.dispatch(dptree::deps![update.clone()]).await;
        assert!(
            matches!(result, ControlFlow::Break(Ok(()))),
            "the panic is logged and swallowed"
        );
        let fine = in_lanes(
            dptree::endpoint(|| async { Ok(()) }),
            bot,
            1,
            Admission::new(1),
            None,
        );
        let result = fine.dispatch(dptree::deps![update]).await;
        assert!(matches!(result, ControlFlow::Break(Ok(()))));
    }
}
