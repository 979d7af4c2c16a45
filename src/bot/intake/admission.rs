//! How many updates the bot takes from Telegram before it has handled them: at most a fixed
//! number. Below that bound updates are taken as fast as Telegram gives them; at it, the bot
//! stops asking for more until one is done, and the rest wait at Telegram (which keeps them for
//! 24 hours). A flood (a spam wave, or the backlog after downtime) is then worked through at a
//! steady memory, each chat still in order, nothing lost.
//!
//! The listener takes a place for an update before pulling it from the stream; the update's
//! handler gives the place back when it is done (`Admission::done`, by update id), which also
//! tells whoever must know (webhook mode marks the stored update handled). The updates taken and
//! not yet done are what the metrics report as waiting.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt};
use teloxide::stop::StopToken;
use teloxide::types::{AllowedUpdate, Update, UpdateId, UpdateKind};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Told of each update handled (or dropped), by id.
pub type OnDone = Box<dyn Fn(UpdateId) + Send + Sync>;

/// The places for updates taken and not yet handled.
pub struct Admission {
    places: Arc<Semaphore>,
    /// Each update taken and not yet done: its place, and when it was taken.
    taken: Mutex<HashMap<UpdateId, (OwnedSemaphorePermit, Instant)>>,
    on_done: Option<OnDone>,
}

impl Admission {
    pub fn new(bound: usize) -> Arc<Self> {
        Self::telling(bound, None)
    }

    /// Like `new`, calling `on_done` for each update done.
    pub fn telling(bound: usize, on_done: Option<OnDone>) -> Arc<Self> {
        Arc::new(Self {
            places: Arc::new(Semaphore::new(bound)),
            taken: Mutex::default(),
            on_done,
        })
    }

    /// Update `id` is handled (or was dropped, or its handler panicked): its place goes to the
    /// next one, and whoever must know is told. An id never admitted (an update dispatched
    /// directly, in tests) is nothing to give back.
    pub fn done(&self, id: UpdateId) {
        let was_taken = self
            .taken
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id)
            .is_some();
        if was_taken && let Some(tell) = &self.on_done {
            tell(id);
        }
    }

    /// How many updates are taken and not yet done, and how long the oldest has waited.
    pub fn backlog(&self) -> (usize, Duration) {
        let taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        let oldest = taken.values().map(|(_, at)| *at).min();
        (
            taken.len(),
            oldest.map_or(Duration::ZERO, |at| at.elapsed()),
        )
    }

    /// How many updates are taken and not yet handled.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.taken.lock().unwrap().len()
    }

    /// `listener`, taking an update only when there is a place for it.
    pub fn bound<L: UpdateListener>(self: &Arc<Self>, listener: L) -> Bounded<L> {
        Bounded {
            inner: listener,
            admission: Arc::clone(self),
        }
    }
}

/// Whether `update` happened longer ago than resends are recognised (as Telegram dates it, by
/// the system clock `now`, unix seconds): it is not acted on, since a resend of one handled
/// back then could not be told from a new one. Only messages and membership changes carry such
/// a date; a press on an old message's button is a press made now.
pub fn too_old(update: &Update, now: i64) -> bool {
    let date = match &update.kind {
        UpdateKind::Message(m) | UpdateKind::ChannelPost(m) => m.date,
        UpdateKind::MyChatMember(c) | UpdateKind::ChatMember(c) => c.date,
        _ => return false,
    };
    date.timestamp() < now - crate::storage::RESENDS_RECOGNISED_SECS
}

/// An update listener that waits for a place before taking each update.
pub struct Bounded<L> {
    inner: L,
    admission: Arc<Admission>,
}

impl<'a, L> AsUpdateStream<'a> for Bounded<L>
where
    L: UpdateListener + 'static,
    L::Err: 'static,
{
    type StreamErr = L::Err;
    type Stream = Pin<Box<dyn Stream<Item = Result<Update, L::Err>> + Send + 'a>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        let admission = Arc::clone(&self.admission);
        let inner = Box::pin(self.inner.as_stream());
        Box::pin(futures_util::stream::unfold(
            (inner, admission),
            |(mut inner, admission)| async move {
                // The semaphore is never closed.
                let place = Arc::clone(&admission.places).acquire_owned().await.ok()?;
                let next = inner.next().await?;
                match &next {
                    // teloxide drops an update it could not parse before any handler sees it:
                    // its place is free at once.
                    Ok(update) if !matches!(update.kind, UpdateKind::Error(_)) => {
                        metrics::counter!(crate::metrics::UPDATES_RECEIVED).increment(1);
                        admission
                            .taken
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert(update.id, (place, Instant::now()));
                    }
                    Ok(update) => {
                        drop(place);
                        if let Some(tell) = &admission.on_done {
                            tell(update.id);
                        }
                    }
                    Err(_) => drop(place),
                }
                Some((next, (inner, admission)))
            },
        ))
    }
}

impl<L> UpdateListener for Bounded<L>
where
    L: UpdateListener + 'static,
    L::Err: 'static,
{
    type Err = L::Err;

    fn stop_token(&mut self) -> StopToken {
        self.inner.stop_token()
    }

    fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        self.inner.hint_allowed_updates(hint);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use teloxide::update_listeners::StatefulListener;

    fn update(id: u32, parsable: bool) -> Update {
        // An update of a kind teloxide does not know parses as `UpdateKind::Error`.
        let json = if parsable {
            serde_json::json!({"update_id": id, "inline_query": {"id": "q", "query": "",
                "offset": "", "from": {"id": 5, "is_bot": false, "first_name": "A"}}})
        } else {
            serde_json::json!({"update_id": id, "some_future_kind": {}})
        };
        let update: Update = serde_json::from_str(&json.to_string()).unwrap();
        assert_eq!(
            matches!(update.kind, UpdateKind::Error(_)),
            !parsable,
            "{:?}",
            update.kind
        );
        update
    }

    /// A listener handing out `updates`, then ending.
    fn listener(
        updates: Vec<Update>,
    ) -> impl UpdateListener<Err = std::convert::Infallible> + 'static {
        let (token, _flag) = teloxide::stop::mk_stop_token();
        StatefulListener::new(
            (updates, token),
            |(updates, _): &mut (Vec<Update>, StopToken)| {
                futures_util::stream::iter(std::mem::take(updates).into_iter().map(Ok))
            },
            |(_, token): &mut (Vec<Update>, StopToken)| token.clone(),
        )
    }

    #[test]
    fn messages_older_than_resends_are_recognised_are_too_old() {
        const NOW: i64 = 1_800_000_000;
        const DAY: i64 = crate::storage::RESENDS_RECOGNISED_SECS;
        let parse = |json: serde_json::Value| -> Update {
            let update: Update = serde_json::from_str(&json.to_string()).unwrap();
            assert!(!matches!(update.kind, UpdateKind::Error(_)), "{json}");
            update
        };
        let message = |date: i64| {
            parse(serde_json::json!({"update_id": 1, "message": {
                "message_id": 1, "date": date, "text": "/help",
                "chat": {"id": 5, "type": "private", "first_name": "A"},
                "from": {"id": 5, "is_bot": false, "first_name": "A"}}}))
        };
        assert!(!too_old(&message(NOW), NOW));
        assert!(
            !too_old(&message(NOW - DAY), NOW),
            "a day old is still recognised"
        );
        assert!(too_old(&message(NOW - DAY - 1), NOW));
        // A press names no date of its own: the message it is under may be a year old.
        let press = parse(serde_json::json!({"update_id": 2,
            "callback_query": {"id": "q", "chat_instance": "c", "data": "x",
                "from": {"id": 5, "is_bot": false, "first_name": "A"},
                "message": {"message_id": 1, "date": NOW - 400 * DAY, "text": "old",
                    "chat": {"id": 5, "type": "private", "first_name": "A"}}}}));
        assert!(!too_old(&press, NOW));
    }

    #[tokio::test]
    async fn takes_no_more_than_the_bound_until_one_is_done() {
        let admission = Admission::new(3);
        let mut bounded = admission.bound(listener((1..=5).map(|i| update(i, true)).collect()));
        let mut stream = bounded.as_stream();
        for want in 1..=3 {
            let got = stream.next().await.unwrap().unwrap();
            assert_eq!(got.id, UpdateId(want));
        }
        assert_eq!(admission.waiting(), 3);
        let blocked = tokio::time::timeout(Duration::from_millis(50), stream.next()).await;
        assert!(blocked.is_err(), "a fourth update taken with three waiting");

        admission.done(UpdateId(2));
        let fourth = tokio::time::timeout(Duration::from_secs(5), stream.next()).await;
        assert_eq!(fourth.unwrap().unwrap().unwrap().id, UpdateId(4));
        assert_eq!(admission.waiting(), 3);
        // An id never taken gives nothing back.
        admission.done(UpdateId(99));
        let blocked = tokio::time::timeout(Duration::from_millis(50), stream.next()).await;
        assert!(blocked.is_err());
    }

    #[tokio::test]
    async fn an_update_teloxide_drops_holds_no_place() {
        let admission = Admission::new(1);
        let updates = vec![update(1, false), update(2, false), update(3, true)];
        let mut bounded = admission.bound(listener(updates));
        let mut stream = bounded.as_stream();
        for want in 1..=3 {
            let got = tokio::time::timeout(Duration::from_secs(5), stream.next()).await;
            assert_eq!(got.unwrap().unwrap().unwrap().id, UpdateId(want));
        }
        assert_eq!(admission.waiting(), 1);
    }
}
