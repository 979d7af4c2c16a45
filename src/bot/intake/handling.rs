//! Handling one update, once admitted: its place in its chat's lane, one of the slots for
//! handlers in flight, the handler tree (`bot::schema`), the fence of webhook mode, and what
//! happens when a handler fails. Nothing in a handler can take the bot down: a panic is caught
//! and logged; when the fault is ours (the database, or a panic) the user is told before the
//! chat's next update runs.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::task::Poll;

use teloxide::dispatching::UpdateHandler;
use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use tokio::sync::Semaphore;

use super::admission::{self, Admission};
use super::lanes::Lanes;
use crate::bot::core::{HandlerError, TgBot, lang_of, redacted};
use crate::bot::speak::outbox::{Fence, Outbox};
use crate::metrics::HANDLER_SECONDS;
use crate::storage::StorageError;
use dptree::di::DependencyMap;

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
pub fn in_lanes(
    routes: UpdateHandler<HandlerError>,
    bot: TgBot,
    at_once: usize,
    admission: Arc<Admission>,
    fence: Option<Arc<dyn Fence>>,
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
            // The handlers' future is the size of the largest of them, tens of kilobytes: boxed,
            // it is made once it is this update's turn, and this task, which every update
            // taken holds while it waits, stays small (and cheap to spawn: a future is copied
            // whole as it is moved).
            let handling = Outbox::in_topic_of(&update, Box::pin(routes.dispatch(deps)));
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
                // Boxed: rare, and its sends would otherwise make every update's task the
                // size of their futures (some 20 KB) from the start.
                let apology = Outbox::in_topic_of(&update, Box::pin(apology));
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
pub struct LogErrors(pub &'static str);

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

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::Bot;

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
