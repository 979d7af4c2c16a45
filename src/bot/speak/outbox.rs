//! Everything the bot says goes out through the `Outbox`, as Telegram HTML (see `texts`), cut to
//! fit (`fit`). It keeps to Telegram's flood limits (about one message a second per chat with
//! short bursts, 20 a minute in a group, never more than 30 in any second in all) without adding
//! latency below them, and when Telegram answers 429 anyway, it pauses that scope (the chat, or
//! the whole bot for a request naming no chat) for the `retry_after` Telegram asked for (up to a
//! minute) and sends again, a few times. Work that must say things in a given order across tasks
//! (reminders due one after another) takes places in a `Line`.
//!
//! The bot's limit is a sliding window over when its messages go, each chat's a token bucket
//! (see `flood::reserve`): a message goes at its chat's turn or at the first time after it the
//! window has room for, so each limit counts every message for when it goes.
//!
//! The limits hold for the bot, not for one process. With SQLite there is one process, and the
//! limits live in its memory (no database write per message). When several processes may share
//! the database (PostgreSQL), `start` has the limits and pauses kept there
//! (`Outbox::shared_through`, see `storage::limits`), so every process waits for the others'
//! messages and for a 429 any of them got; a send the database cannot serve then is paced by this
//! process's own limits instead, never held back or dropped for it. The maths is the same either
//! way (`flood::reserve`).
//!
//! teloxide's `Throttle` adaptor does much of this too, resends after a 429 included. We keep our
//! own because of how it does it: `Throttle` queues every request in one background worker of
//! this process and, on any 429, freezes the whole bot (every chat) for the `retry_after`, with no
//! cap on how long; its limits are a sliding window with no per-chat burst, and one process's.
//! Here the limits are a reservation taken by the sender itself (no queue, no worker task to keep
//! alive or shut down), a 429 pauses only its own scope, and an absurd `retry_after` is not
//! waited out.
//!
//! Texts are measured here as Telegram measures them (`shown_units`: UTF-16 units of the text it
//! shows), for `fit` and for lists that must fit one message whole (`whole`).

use crate::flood::{self, Bucket, Calendar, ChatScope, Rate, Window};
use crate::metrics::{FLOOD_WAIT_SECONDS, TELEGRAM_ERRORS};
use crate::storage::{Db, OVERALL_SCOPE, unix_now_ms};
use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use teloxide::payloads::{
    AnswerCallbackQuerySetters, EditMessageText, EditMessageTextInline,
    EditMessageTextInlineSetters, EditMessageTextSetters, SendDocumentSetters, SendMessage,
    SendMessageSetters,
};
use teloxide::prelude::*;
use teloxide::requests::{JsonRequest, Payload};
use teloxide::types::{
    InlineKeyboardMarkup, InputFile, MessageId, ParseMode, ThreadId, UpdateKind,
};
use teloxide::{ApiError, RequestError};
use tokio::sync::oneshot;

/// Whether this process still holds a chat's turn. A process frozen past its lease (a paused
/// VM, a stopped container) may wake up mid-update after another process took the chat over
/// and handled that update again; it must then say nothing more there (the outbox asks, see `Outbox::fenced`; webhook mode's turns answer).
pub trait Fence: Send + Sync {
    fn holds(&self, chat: i64) -> BoxFuture<'_, bool>;
}

tokio::task_local! {
    /// The forum topic the update being handled came from, with its chat: every message sent
    /// to that chat while handling it goes into that topic (see `Outbox::in_topic_of`).
    static TOPIC: Option<(ChatId, ThreadId)>;
    /// Webhook mode: who says whether this process still holds the chat of the update being
    /// handled (see `Outbox::fenced`).
    static FENCE: (Arc<dyn Fence>, i64);
    /// The place in a line of the work being done, until its first message is reserved (see
    /// `Outbox::in_line`).
    static PLACE: Cell<Option<Place>>;
}

/// Hands out places in a line, in the order asked for (see `Outbox::in_line`).
#[derive(Default)]
pub struct Line {
    /// What the last place handed out passes on when done.
    last: Option<oneshot::Receiver<Passed>>,
}

impl Line {
    pub fn next_place(&mut self) -> Place {
        let (done, next) = oneshot::channel();
        Place {
            after: self.last.replace(next),
            done: Some(done),
        }
    }
}

/// What a place passes on to the next when done: nothing once its first message is reserved;
/// else (its work ended without one) what it was still waiting for, which the next one waits
/// for instead.
struct Passed(Option<oneshot::Receiver<Passed>>);

/// A place in a `Line`.
pub struct Place {
    /// What the place before passes on when done.
    after: Option<oneshot::Receiver<Passed>>,
    done: Option<oneshot::Sender<Passed>>,
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(Passed(self.after.take()));
        }
    }
}

/// Waits until the place before this work's in its line (if it holds one) has had its first
/// message reserved. Returns the work's place, to be dropped once its own first message is
/// reserved: that lets the next place's go.
async fn turn_in_line() -> Option<Place> {
    let mut place = PLACE.try_with(Cell::take).ok().flatten();
    if let Some(place) = place.as_mut() {
        while let Some(before) = place.after.as_mut() {
            place.after = before.await.ok().and_then(|Passed(earlier)| earlier);
        }
    }
    place
}

/// The forum topic an update was posted in: a message in a topic, or a button pressed under
/// one. `None` in General, outside forums, and for updates with no message.
fn topic_of(update: &Update) -> Option<(ChatId, ThreadId)> {
    let message = match &update.kind {
        UpdateKind::Message(m) => m,
        UpdateKind::CallbackQuery(q) => q.regular_message()?,
        _ => return None,
    };
    // `message_thread_id` alone also marks a reply thread in a group without topics.
    message
        .is_topic_message
        .then_some(message.thread_id)
        .flatten()
        .map(|thread| (message.chat.id, thread))
}

/// How many times one request is resent after a 429.
const MAX_RESENDS: u32 = 3;
/// A `retry_after` longer than this is not waited out: the user would have given up.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How long a reservation in the database may take before the message is paced by this
/// process's buckets instead (it takes a millisecond or two).
const SHARED_LIMITS_WAIT: Duration = Duration::from_secs(2);

pub struct Outbox {
    bot: Bot,
    pacing: Pacing,
    /// Told when a send finds its chat changed under the bot.
    events: Option<Arc<dyn ChatEvents>>,
}

/// What a send may learn about its chat, for whoever keeps the chats' data (see
/// `bot::lifecycle`).
pub trait ChatEvents: Send + Sync {
    /// Group `from` became supergroup `to` (a send to `from` was refused saying so).
    fn migrated(&self, from: ChatId, to: ChatId) -> futures_util::future::BoxFuture<'_, ()>;
    /// The user of private chat `chat` blocked the bot (a send was refused with 403).
    fn blocked(&self, chat: ChatId) -> futures_util::future::BoxFuture<'_, ()>;
}

/// What the bot keeps of a message it sent: its id. Telegram answers a send with the whole
/// message (an edit too); reading only the id costs a fraction of parsing all of it, which took
/// about 6% of the bot's instructions per meeting (teloxide reads a `Message` through untagged
/// enums, building an error for each variant that does not fit).
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(from = "SentMessage")]
pub struct Sent {
    pub id: MessageId,
}

/// The part of a sent message `Sent` reads. (teloxide's `MessageId` reads itself from a whole
/// `{"message_id": …}` object, so the field is read as a number here.)
#[derive(serde::Deserialize)]
struct SentMessage {
    message_id: i32,
}

impl From<SentMessage> for Sent {
    fn from(m: SentMessage) -> Self {
        Self {
            id: MessageId(m.message_id),
        }
    }
}

/// A Bot API method as teloxide's own payload `P` (its name, fields and setters), with its
/// answer read as `O` rather than as `P`'s full result.
#[derive(Serialize)]
#[serde(transparent)]
struct Reading<P, O> {
    payload: P,
    #[serde(skip)]
    answer: std::marker::PhantomData<fn() -> O>,
}

impl<P: Payload, O> Payload for Reading<P, O> {
    type Output = O;
    const NAME: &'static str = P::NAME;

    fn timeout_hint(&self) -> Option<Duration> {
        self.payload.timeout_hint()
    }
}

/// `payload` as a request whose answer is read as `O`.
fn reading<P, O>(bot: &Bot, payload: P) -> JsonRequest<Reading<P, O>>
where
    P: Payload + Serialize,
    O: DeserializeOwned,
{
    JsonRequest::new(
        bot.clone(),
        Reading {
            payload,
            answer: std::marker::PhantomData,
        },
    )
}

impl Outbox {
    /// Keeps to the flood limits in this process alone. `limited: false` sends as fast as
    /// asked: for benchmarks against a fake Bot API only.
    pub fn new(bot: Bot, limited: bool) -> Self {
        Self {
            bot,
            pacing: match limited {
                true => Pacing::Local(Mutex::default()),
                false => Pacing::Off,
            },
            events: None,
        }
    }

    /// Tells `events` what sends learn about their chats.
    pub fn telling(self, events: Arc<dyn ChatEvents>) -> Self {
        Self {
            events: Some(events),
            ..self
        }
    }

    /// Keeps the flood limits (if kept at all) in `db`, for every process sending through it.
    pub fn shared_through(self, db: Db) -> Self {
        let pacing = match self.pacing {
            Pacing::Off => Pacing::Off,
            _ => Pacing::Shared {
                db,
                fallback: Mutex::default(),
            },
        };
        Self { pacing, ..self }
    }

    /// Runs `handling` (the handling of `update`) so that whatever it sends to the update's
    /// chat lands in the forum topic the update came from. Handlers never name a topic.
    pub async fn in_topic_of<T>(update: &Update, handling: impl Future<Output = T>) -> T {
        TOPIC.scope(topic_of(update), handling).await
    }

    /// Runs `work` (not an update's handling: a reminder, say) so that whatever it sends to
    /// `chat` lands in forum topic `thread`.
    pub async fn in_topic<T>(
        chat: ChatId,
        thread: Option<ThreadId>,
        work: impl Future<Output = T>,
    ) -> T {
        TOPIC.scope(thread.map(|t| (chat, t)), work).await
    }

    /// Runs `work` (a reminder's step, say) holding `place` in a line, if given: its first
    /// message is reserved under the flood limits only once the place before has had its first
    /// one reserved (or its work ended without one). So messages due in some order are placed
    /// in that order, however their tasks happen to be run; each then waits only for the limits.
    pub async fn in_line<T>(place: Option<Place>, work: impl Future<Output = T>) -> T {
        PLACE.scope(Cell::new(place), work).await
    }

    /// The forum topic the update being handled came from, if it is in `chat`.
    pub fn current_topic(chat: ChatId) -> Option<ThreadId> {
        Self::topic_for(chat)
    }

    /// Runs `handling` (of an update of `chat`, handed out by its turn in `fence`) so that
    /// nothing is sent once the turn is lost.
    pub async fn fenced<T>(
        fence: Arc<dyn Fence>,
        chat: i64,
        handling: impl Future<Output = T>,
    ) -> T {
        FENCE.scope((fence, chat), handling).await
    }

    /// Whether the update being handled came through a chat's turn (webhook mode; see
    /// `Outbox::fenced`), which another process can take over if this one is held up.
    pub fn by_turn() -> bool {
        FENCE.try_with(|_| ()).is_ok()
    }

    /// Whether the update being handled came through a chat's turn this process no longer
    /// holds (see `bot::intake::turns`): what it would do there, the process now at the chat does.
    pub async fn turn_lost() -> bool {
        Self::check_fence().await.is_err()
    }

    /// Fails when the update being handled came through a chat's turn this process no longer
    /// holds: whatever it would say, the process now at the chat says.
    async fn check_fence() -> Result<(), RequestError> {
        let Ok((fence, chat)) = FENCE.try_with(|(f, c)| (Arc::clone(f), *c)) else {
            return Ok(());
        };
        if fence.holds(chat).await {
            return Ok(());
        }
        tracing::info!(
            chat_id = chat,
            "not sending: another process took this chat over while this one was held up"
        );
        Err(RequestError::Io(Arc::new(std::io::Error::other(
            "this process no longer holds the chat",
        ))))
    }

    /// The topic a message to `chat` goes into: the current update's, if it is in `chat`.
    fn topic_for(chat: ChatId) -> Option<ThreadId> {
        TOPIC
            .try_with(|t| t.filter(|(c, _)| *c == chat).map(|(_, thread)| thread))
            .ok()
            .flatten()
    }

    /// The raw client, for calls that are not messages.
    pub fn bot(&self) -> &Bot {
        &self.bot
    }

    /// Waits until `paced` may go.
    async fn pace(&self, paced: Paced) {
        if matches!(self.pacing, Pacing::Off) {
            return;
        }
        let asked = tokio::time::Instant::now();
        let place = turn_in_line().await;
        let wait = self.pacing.reserve(paced).await;
        drop(place);
        tokio::time::sleep(wait).await;
        metrics::histogram!(FLOOD_WAIT_SECONDS).record(asked.elapsed().as_secs_f64());
    }

    /// Paces `request` as `paced` says (not at all when `None`) and runs it; after a 429, pauses
    /// its scope as Telegram says, waits, and runs it again (a few times).
    async fn deliver<T, F, Fut>(
        &self,
        paced: Option<Paced>,
        mut request: F,
    ) -> Result<T, RequestError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, RequestError>>,
    {
        if let Some(p) = paced {
            self.pace(p).await;
        }
        Self::check_fence().await?;
        let mut resends = 0;
        loop {
            let result = request().await;
            if let Err(e) = &result {
                metrics::counter!(TELEGRAM_ERRORS, "code" => error_code(e)).increment(1);
            }
            match result {
                Err(RequestError::RetryAfter(after))
                    if resends < MAX_RESENDS && after.duration() <= MAX_RETRY_AFTER =>
                {
                    resends += 1;
                    tracing::warn!(
                        wait_secs = after.duration().as_secs_f64(),
                        "Telegram asked to slow down; resending after the wait"
                    );
                    metrics::histogram!(FLOOD_WAIT_SECONDS).record(after.duration().as_secs_f64());
                    if let Some(p) = paced {
                        // Every sender to that scope waits too, in every process.
                        self.pacing.pause(p, after.duration()).await;
                    }
                    tokio::time::sleep(after.duration()).await;
                    if let Some(p) = paced {
                        // The resend counts as a message too, behind any queued meanwhile.
                        self.pace(p).await;
                    }
                }
                other => return other,
            }
        }
    }

    /// Sends `text` to `chat`. A group upgraded to a supergroup is followed once to its new id
    /// (and whoever keeps the chats' data is told); a user who blocked the bot is reported.
    pub async fn send(
        &self,
        chat: ChatId,
        text: impl Into<String>,
        markup: Option<InlineKeyboardMarkup>,
    ) -> Result<Sent, RequestError> {
        let text = fit(text.into());
        let sent = self.send_once(chat, &text, markup.as_ref()).await;
        match (&sent, &self.events) {
            (Err(RequestError::MigrateToChatId(to)), Some(events)) => {
                let to = *to;
                events.migrated(chat, to).await;
                self.send_once(to, &text, markup.as_ref()).await
            }
            (Err(RequestError::Api(ApiError::BotBlocked)), Some(events)) => {
                events.blocked(chat).await;
                sent
            }
            _ => sent,
        }
    }

    async fn send_once(
        &self,
        chat: ChatId,
        text: &str,
        markup: Option<&InlineKeyboardMarkup>,
    ) -> Result<Sent, RequestError> {
        let topic = Self::topic_for(chat);
        self.deliver(Some(Paced::Message(chat)), || {
            let mut req = SendMessage::new(chat, text).parse_mode(ParseMode::Html);
            req.message_thread_id = topic;
            req.reply_markup = markup.cloned().map(Into::into);
            reading(&self.bot, req).send()
        })
        .await
    }

    /// Sends a file (`name`, `contents`) to `chat` with an HTML `caption`, into the current
    /// topic as `send` does.
    pub async fn send_document(
        &self,
        chat: ChatId,
        name: &str,
        contents: Vec<u8>,
        caption: String,
    ) -> Result<Message, RequestError> {
        let topic = Self::topic_for(chat);
        self.deliver(Some(Paced::Message(chat)), || {
            let file = InputFile::memory(contents.clone()).file_name(name.to_owned());
            let mut req = self
                .bot
                .send_document(chat, file)
                .caption(caption.clone())
                .parse_mode(ParseMode::Html);
            if let Some(thread) = topic {
                req = req.message_thread_id(thread);
            }
            req.send()
        })
        .await
    }

    pub async fn edit(
        &self,
        chat: ChatId,
        id: MessageId,
        text: impl Into<String>,
        markup: InlineKeyboardMarkup,
    ) -> Result<(), RequestError> {
        let text = fit(text.into());
        self.deliver(Some(Paced::Edit(chat)), || {
            let req = EditMessageText::new(chat, id, text.clone())
                .parse_mode(ParseMode::Html)
                .reply_markup(markup.clone());
            reading::<_, IgnoredAny>(&self.bot, req).send()
        })
        .await
        .map(|_| ())
        .or_else(not_modified_is_done)
    }

    /// Edits a message sent through inline mode.
    pub async fn edit_inline(
        &self,
        inline_message_id: &str,
        text: impl Into<String>,
        markup: InlineKeyboardMarkup,
    ) -> Result<(), RequestError> {
        let text = fit(text.into());
        self.deliver(Some(Paced::Bot), || {
            let req = EditMessageTextInline::new(inline_message_id, text.clone())
                .parse_mode(ParseMode::Html)
                .reply_markup(markup.clone());
            reading::<_, IgnoredAny>(&self.bot, req).send()
        })
        .await
        .map(|_| ())
        .or_else(not_modified_is_done)
    }

    /// Answers a button press, with a short notice when `text` is given.
    ///
    /// An answer is a courtesy (it stops the user's spinner and may show a toast); it never
    /// decides what the handler does next. Telegram refuses a second answer to one press, and
    /// any answer after about 15 s ("query is too old"): exactly what a press handled again
    /// does (taken over from a replica that died, or after a restart). So a refused answer is
    /// logged at debug and the handler goes on to what the user came for.
    pub async fn answer(&self, query: &CallbackQuery, text: Option<&str>) {
        // Neither an answer nor a deletion adds a message: they are not paced.
        let answered = self
            .deliver(None, || {
                let req = self.bot.answer_callback_query(query.id.clone());
                match text {
                    Some(t) => req.text(t).send(),
                    None => req.send(),
                }
            })
            .await;
        if let Err(e) = answered {
            // Its kind only: a network error would carry the URL, bot token and all.
            tracing::debug!(code = %error_code(&e), "a button press was not answered");
        }
    }

    pub async fn delete(&self, chat: ChatId, id: MessageId) -> Result<(), RequestError> {
        self.deliver(None, || self.bot.delete_message(chat, id).send())
            .await
            .map(|_| ())
    }
}

/// An edit to what the message already shows is refused by Telegram as "message is not
/// modified": the message shows what was asked, so that is success (a press handled again
/// repeats its edits).
fn not_modified_is_done(e: RequestError) -> Result<(), RequestError> {
    match e {
        RequestError::Api(ApiError::MessageNotModified) => Ok(()),
        e => Err(e),
    }
}

/// A failed call's kind, for the metrics: `429`, the Bot API's error as teloxide names it
/// (`BotBlocked`, `MessageNotModified`, …; `Unknown` for the rest), or what failed on the way.
fn error_code(e: &RequestError) -> String {
    match e {
        RequestError::RetryAfter(_) => "429".into(),
        RequestError::MigrateToChatId(_) => "MigrateToChatId".into(),
        RequestError::Api(api) => {
            // The variant's name only: `Unknown` carries Telegram's text.
            let name = format!("{api:?}");
            name.split(['(', ' ', '{'])
                .next()
                .unwrap_or("Unknown")
                .to_owned()
        }
        RequestError::Network(_) => "network".into(),
        RequestError::InvalidJson { .. } => "invalid_json".into(),
        RequestError::Io(_) => "io".into(),
    }
}

/// The bot's limit as a whole: 3 messages at once, 25 a second, and never more than 30 in any
/// 1.2 s. Telegram counts 30 in any second as its messages reach it; the way there moves each
/// by a little (a busy machine, the network, the replicas' clocks), and the 0.2 s more takes
/// that.
const OVERALL: Window = Window {
    most: 3,
    per_ms: 120,
};
const PRIVATE_CHAT: Rate = Rate {
    per_sec: 1.0,
    burst: 3.0,
};
const GROUP_CHAT: Rate = Rate {
    per_sec: 20.0 / 60.0,
    burst: 3.0,
};

/// A chat's limit: a private chat's (a user's id, positive) or a group's.
fn rate_of(chat: ChatId) -> Rate {
    if chat.is_user() {
        PRIVATE_CHAT
    } else {
        GROUP_CHAT
    }
}

/// What a request counts against, and what a 429 on it pauses.
#[derive(Debug, Clone, Copy)]
enum Paced {
    /// A new message: counts in its chat and in the bot's limit.
    Message(ChatId),
    /// An edit: counts in the bot's limit only (it adds no message), and waits out a pause on
    /// its chat.
    Edit(ChatId),
    /// A request naming no chat (an inline message's edit): the bot's limit alone.
    Bot,
}

impl Paced {
    fn chat(self) -> Option<ChatScope> {
        let (chat, counts) = match self {
            Paced::Message(chat) => (chat, true),
            Paced::Edit(chat) => (chat, false),
            Paced::Bot => return None,
        };
        Some(ChatScope {
            id: chat.0,
            rate: rate_of(chat),
            counts,
        })
    }

    /// The scope a 429 on it pauses.
    fn scope(self) -> i64 {
        self.chat().map_or(OVERALL_SCOPE, |c| c.id)
    }
}

/// Where the buckets are kept.
enum Pacing {
    /// Nowhere: sends go as fast as asked.
    Off,
    /// In this process's memory.
    Local(Mutex<Limiter>),
    /// In the database, for every process on it; in memory for a send it cannot serve.
    Shared { db: Db, fallback: Mutex<Limiter> },
}

impl Pacing {
    /// Reserves `paced`'s place: how long from now it must wait.
    async fn reserve(&self, paced: Paced) -> Duration {
        let fallback = match self {
            Pacing::Off => return Duration::ZERO,
            Pacing::Local(limiter) => limiter,
            Pacing::Shared { db, fallback } => {
                let reserved = db.reserve_message(OVERALL, paced.chat(), unix_now_ms);
                let failure = match tokio::time::timeout(SHARED_LIMITS_WAIT, reserved).await {
                    Ok(Ok(at)) => {
                        return Duration::from_millis(
                            at.saturating_sub(unix_now_ms()).max(0) as u64
                        );
                    }
                    Ok(Err(e)) => e.to_string(),
                    Err(_) => format!("no answer within {SHARED_LIMITS_WAIT:?}"),
                };
                tracing::warn!(error = %failure, "the shared flood limits failed; this message is paced by this process's alone");
                fallback
            }
        };
        let mut limiter = lock(fallback);
        let now = limiter.now_ms();
        limiter.reserve(paced.chat(), now)
    }

    /// Pauses `paced`'s scope for `retry_after` (from now).
    async fn pause(&self, paced: Paced, retry_after: Duration) {
        // One millisecond more: the clocks here count whole milliseconds, rounded down.
        let pause = retry_after.as_millis() as i64 + 1;
        let local = match self {
            Pacing::Off => return,
            Pacing::Local(limiter) => limiter,
            Pacing::Shared { db, fallback } => {
                let paused = db.pause_scope(paced.scope(), unix_now_ms() + pause);
                let failure = match tokio::time::timeout(SHARED_LIMITS_WAIT, paused).await {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(e.to_string()),
                    Err(_) => Some(format!("no answer within {SHARED_LIMITS_WAIT:?}")),
                };
                if let Some(failure) = failure {
                    tracing::warn!(error = %failure, "Telegram's pause could not be shared with the other processes");
                }
                // Kept here too, for the sends the database cannot serve meanwhile.
                fallback
            }
        };
        let mut limiter = lock(local);
        let now = limiter.now_ms();
        limiter.pause(paced, now + pause, now);
    }
}

fn lock(limiter: &Mutex<Limiter>) -> MutexGuard<'_, Limiter> {
    limiter.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The limits of one process: the bot's window, and the bucket of each chat it sent to lately.
/// Its clock counts milliseconds from its creation (monotonic, unlike the shared limits' unix
/// time, which processes must agree on).
#[derive(Debug)]
struct Limiter {
    origin: Instant,
    overall: Calendar,
    chats: HashMap<i64, Bucket>,
}

impl Default for Limiter {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
            overall: Calendar::default(),
            chats: HashMap::new(),
        }
    }
}

impl Limiter {
    fn now_ms(&self) -> i64 {
        self.origin.elapsed().as_millis() as i64
    }

    /// Reserves a place for one message (see `flood::reserve`) at `now_ms`: how long it must
    /// wait.
    fn reserve(&mut self, chat: Option<ChatScope>, now_ms: i64) -> Duration {
        let overall = (&mut self.overall, OVERALL);
        let at = match chat {
            None => flood::reserve(overall, None, now_ms),
            Some(chat) => {
                if self.chats.len() >= 10_000 {
                    // Forget chats whose buckets are full again: they are as good as new.
                    self.chats
                        .retain(|id, b| !b.is_idle(rate_of(ChatId(*id)), now_ms));
                }
                let in_chat = self
                    .chats
                    .entry(chat.id)
                    .or_insert_with(|| Bucket::full(chat.rate, now_ms));
                flood::reserve(overall, Some((in_chat, chat)), now_ms)
            }
        };
        Duration::from_millis((at - now_ms) as u64)
    }

    /// Holds `paced`'s scope until `until_ms` (it is `now` now).
    fn pause(&mut self, paced: Paced, until_ms: i64, now: i64) {
        match paced.chat() {
            Some(chat) => self
                .chats
                .entry(chat.id)
                .or_insert_with(|| Bucket::full(chat.rate, now))
                .pause(until_ms),
            None => self.overall.pause(until_ms),
        }
    }
}

/// Telegram's limit on a message's text: 4096 UTF-16 code units of the text as it shows it.
pub const MESSAGE_UNITS: usize = 4096;

/// How long Telegram counts the HTML `html` to be: the UTF-16 code units of the text it shows,
/// tags left out and an entity (`&amp;`) one character. (Telegram counts after parsing; the
/// entities the bot writes, `esc`'s, each stand for one character of one unit.)
pub fn shown_units(html: &str) -> usize {
    shown(html).map(|(_, units)| units).sum()
}

/// Each character of `html` with its byte offset and the UTF-16 units it adds to what Telegram
/// shows: none inside a tag, an entity counted at its `&`.
fn shown(html: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let (mut in_tag, mut in_entity) = (false, false);
    html.char_indices().map(move |(i, c)| {
        let units = if in_tag {
            in_tag = c != '>';
            0
        } else if in_entity {
            in_entity = c != ';';
            0
        } else if c == '<' {
            in_tag = true;
            0
        } else if c == '&' {
            in_entity = true;
            1
        } else {
            c.len_utf16()
        };
        (i, units)
    })
}

/// A list that fits one message whole: `head`, then as many of `items` (HTML, each with its own
/// line breaks) as fit in full, then `more(n)` for the `n` of `total` it leaves out, all within
/// `MESSAGE_UNITS` so that `fit` never cuts it. Returns the text and how many items it shows:
/// what a list offers buttons for.
pub fn whole(
    head: String,
    items: &[String],
    total: usize,
    more: impl Fn(usize) -> String,
) -> (String, usize) {
    let mut text = head;
    let mut units = shown_units(&text);
    let mut listed = 0;
    for item in items {
        let left = total.saturating_sub(listed + 1);
        let room = if left > 0 {
            shown_units(&more(left))
        } else {
            0
        };
        let len = shown_units(item);
        if units + len + room > MESSAGE_UNITS {
            break;
        }
        text.push_str(item);
        units += len;
        listed += 1;
    }
    if total > listed {
        text.push_str(&more(total - listed));
    }
    (text, listed)
}

/// Cuts an HTML reply to Telegram's limit, `MESSAGE_UNITS` as Telegram counts them
/// (`shown_units`), never inside a tag or an entity (which Telegram would refuse to parse), and
/// closes the tags the cut left open. The last resort: lists stop at a whole item (`whole`).
pub fn fit(mut text: String) -> String {
    if shown_units(&text) <= MESSAGE_UNITS {
        return text;
    }
    // Room for the ellipsis; the closing tags show nothing. Cut before the first character (or
    // entity) past it, which is never inside a tag.
    let budget = MESSAGE_UNITS - 1;
    let mut units = 0;
    let cut = shown(&text)
        .find(|&(_, u)| {
            units += u;
            u > 0 && units > budget
        })
        .map_or(text.len(), |(i, _)| i);
    text.truncate(cut);
    let open = open_tags(&text);
    text.push('…');
    for tag in open.iter().rev() {
        text.push_str(&format!("</{tag}>"));
    }
    text
}

/// The tags still open at the end of `html` (our texts use only simple ones: b, i, code).
fn open_tags(html: &str) -> Vec<String> {
    let mut open: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        let Some(gt) = rest[lt..].find('>') else {
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        if let Some(name) = tag.strip_prefix('/') {
            if let Some(i) = open.iter().rposition(|t| t == name) {
                open.remove(i);
            }
        } else if let Some(name) = tag.split_whitespace().next() {
            open.push(name.to_owned());
        }
        rest = &rest[lt + gt + 1..];
    }
    open
}

/// A Telegram error as text, with the bot token cut out of any URL in it (reqwest's errors
/// carry the request URL, which is `…/bot<token>/<method>`).
pub fn redacted(e: &impl std::fmt::Display) -> String {
    scrub_bot_token(&e.to_string())
}

fn scrub_bot_token(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("/bot") {
        out.push_str(&rest[..i + 4]);
        rest = &rest[i + 4..];
        let end = rest.find(['/', ' ', ')', '"']).unwrap_or(rest.len());
        if end > 0 {
            out.push_str("<redacted>");
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(chat: i64) -> Option<ChatScope> {
        Paced::Message(ChatId(chat)).chat()
    }

    #[test]
    fn a_burst_in_one_chat_is_spread_out() {
        let mut l = Limiter::default();
        let waits: Vec<Duration> = (0..5).map(|_| l.reserve(message(7), 0)).collect();
        assert_eq!(
            &waits[..3],
            &[Duration::ZERO; 3],
            "a short burst goes at once"
        );
        assert_eq!(waits[3], Duration::from_secs(1));
        assert_eq!(waits[4], Duration::from_secs(2));
        // Another chat is not held up by the first one's queue.
        assert_eq!(l.reserve(message(8), 200), Duration::ZERO);
        // An edit adds no message to the chat.
        assert_eq!(
            l.reserve(Paced::Edit(ChatId(7)).chat(), 200),
            Duration::ZERO
        );
        // After a quiet while the chat may burst again.
        assert_eq!(l.reserve(message(7), 10_000), Duration::ZERO);
    }

    #[test]
    fn groups_get_twenty_a_minute() {
        let mut l = Limiter::default();
        let waits: Vec<Duration> = (0..4).map(|_| l.reserve(message(-100_123), 0)).collect();
        assert_eq!(waits[3], Duration::from_secs(3));
    }

    /// The issue's burst: 300 replies at once, three to each of 100 chats. They go 25 a second,
    /// never more than 30 in any 1.2 s: however the way to Telegram moves each by up to 0.2 s,
    /// no second holds more than 30 when they reach it.
    #[test]
    fn the_bot_never_sends_more_than_thirty_in_any_second() {
        let mut l = Limiter::default();
        let mut at: Vec<u128> = (0..300)
            .map(|i| l.reserve(message(1 + i % 100), 0).as_millis())
            .collect();
        at.sort();
        for run in at.windows(31) {
            assert!(run[30] - run[0] >= 1200, "31 within 1.2 s: {run:?}");
        }
        assert_eq!(at.iter().filter(|&&t| t < 1000).count(), 27);
        assert_eq!(at[299], 11_880, "25 a second");
    }

    /// Work in a line reserves its first message in the line's order, whichever is ready
    /// first; a place whose work ends without a message holds no one up.
    #[tokio::test]
    async fn work_in_a_line_reserves_in_its_order() {
        let mut line = Line::default();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..6_u64 {
            let order = Arc::clone(&order);
            let work = async move {
                // The earlier in the line, the later ready.
                tokio::time::sleep(Duration::from_millis(60 - 10 * i)).await;
                if i == 2 {
                    return;
                }
                let place = turn_in_line().await;
                order.lock().unwrap().push(i);
                drop(place);
                // Only the first message keeps to the line.
                assert!(turn_in_line().await.is_none());
            };
            tasks.push(tokio::spawn(Outbox::in_line(Some(line.next_place()), work)));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let order = order.lock().unwrap().clone();
        assert_eq!(order, [0, 1, 3, 4, 5]);
    }

    #[test]
    fn a_429_pauses_its_chat_or_with_no_chat_the_bot() {
        let mut l = Limiter::default();
        let ann = ChatId(7);
        l.pause(Paced::Message(ann), 2000, 0);
        assert_eq!(l.reserve(message(7), 0), Duration::from_secs(2));
        assert_eq!(
            l.reserve(Paced::Edit(ann).chat(), 500),
            Duration::from_millis(1500),
            "an edit in the chat waits too"
        );
        assert_eq!(
            l.reserve(message(8), 500),
            Duration::ZERO,
            "not another chat"
        );
        assert_eq!(l.reserve(Paced::Bot.chat(), 500), Duration::ZERO);
        // An inline message's edit names no chat: its 429 holds the bot.
        l.pause(Paced::Bot, 1500, 500);
        assert_eq!(l.reserve(message(8), 500), Duration::from_secs(1));
        assert_eq!(l.reserve(message(7), 500), Duration::from_millis(1500));
    }

    /// Two processes' outboxes on one database (a SQLite file here; PostgreSQL in production,
    /// where `start` chooses this): each counts the other's messages and honours its pauses.
    #[tokio::test]
    async fn shared_limits_count_every_process_and_their_pauses() {
        let (_dir, db) = crate::storage::testing::db().await;
        let shared = || Pacing::Shared {
            db: db.clone(),
            fallback: Mutex::default(),
        };
        let (a, b) = (shared(), shared());
        let ann = Paced::Message(ChatId(7));
        assert_eq!(a.reserve(ann).await, Duration::ZERO);
        assert_eq!(b.reserve(ann).await, Duration::ZERO);
        assert_eq!(a.reserve(ann).await, Duration::ZERO);
        let fourth = b.reserve(ann).await;
        assert!(
            fourth > Duration::from_millis(500) && fourth <= Duration::from_secs(1),
            "Ann's burst is spent, whoever spent it: {fourth:?}"
        );
        let bob = Paced::Message(ChatId(8));
        a.pause(bob, Duration::from_secs(5)).await;
        let held = b.reserve(bob).await;
        assert!(
            held > Duration::from_secs(4) && held <= Duration::from_millis(5001),
            "{held:?}"
        );
        db.close().await;
    }

    /// The database failing does not hold a message up or lose it: this process's own buckets
    /// pace it.
    #[tokio::test]
    async fn without_the_database_each_process_paces_by_itself() {
        let (_dir, db) = crate::storage::testing::db().await;
        db.close().await;
        let pacing = Pacing::Shared {
            db,
            fallback: Mutex::default(),
        };
        let ann = Paced::Message(ChatId(7));
        let mut waits = Vec::new();
        for _ in 0..4 {
            waits.push(pacing.reserve(ann).await);
        }
        assert_eq!(&waits[..3], &[Duration::ZERO; 3]);
        assert!(waits[3] > Duration::from_millis(500), "{waits:?}");
        pacing.pause(Paced::Bot, Duration::from_secs(3)).await;
        let held = pacing.reserve(Paced::Message(ChatId(8))).await;
        assert!(held > Duration::from_secs(2), "{held:?}");
    }

    #[test]
    fn fit_never_cuts_html_apart() {
        let text = format!("<b>{}</b>", "&amp;".repeat(5000));
        let cut = fit(text);
        assert_eq!(shown_units(&cut), MESSAGE_UNITS);
        assert!(cut.ends_with("…</b>"), "{}", &cut[cut.len() - 20..]);
        let body = &cut[3..cut.len() - "…</b>".len()];
        assert!(
            body.split("&amp;").all(|piece| piece.is_empty()),
            "a cut entity"
        );
    }

    #[test]
    fn fit_respects_utf16_units() {
        assert_eq!(fit("hi".into()), "hi");
        let long = "😀".repeat(3000); // 6000 UTF-16 units
        let cut = fit(long);
        assert!(cut.encode_utf16().count() <= 4096);
        assert!(cut.ends_with('…'));
        let exact = "a".repeat(4096);
        assert_eq!(fit(exact.clone()), exact);
    }

    /// Telegram counts what it shows: tags are free and an entity is one character, so a text
    /// longer than the limit only in its markup goes whole.
    #[test]
    fn fit_counts_what_telegram_shows() {
        assert_eq!(shown_units("<b>a &amp; b</b> 😀 я"), 10);
        let marked = format!("<b>{}</b>", "&lt;".repeat(4096));
        assert_eq!(fit(marked.clone()), marked);
        let over = format!("<code>{}</code>", "x".repeat(4097));
        let cut = fit(over);
        assert_eq!(shown_units(&cut), MESSAGE_UNITS);
        assert!(cut.ends_with("x…</code>"), "{cut}");
    }

    /// A list keeps only items that fit whole, with room left for the line saying how many more
    /// there are, and says nothing more when all fit.
    #[test]
    fn a_list_stops_before_an_item_that_would_not_fit_whole() {
        let more = |n: usize| format!("\n… and {n} more");
        let items: Vec<String> = (1..=30)
            .map(|n| format!("\n{n:02}. {}", "😀".repeat(100)))
            .collect();
        let (text, listed) = whole("<b>List</b>".into(), &items, 40, more);
        assert!(shown_units(&text) <= MESSAGE_UNITS);
        assert_eq!(
            listed, 19,
            "4 + 19 × 205 + 14 units; a 20th item would not fit"
        );
        assert!(
            text.ends_with(&format!("{}\n… and 21 more", items[18])),
            "{text}"
        );
        assert_eq!(fit(text.clone()), text, "never cut again on the way out");

        let (text, listed) = whole("<b>List</b>".into(), &items[..3], 3, more);
        assert_eq!(listed, 3);
        assert_eq!(text, format!("<b>List</b>{}", items[..3].concat()));
        // An item that would fit only without the line after it is left out.
        let exact = format!("\n{}", "y".repeat(MESSAGE_UNITS - 5));
        let (text, listed) = whole("head".into(), std::slice::from_ref(&exact), 2, more);
        assert_eq!((text.as_str(), listed), ("head\n… and 2 more", 0));
        let (text, listed) = whole("head".into(), std::slice::from_ref(&exact), 1, more);
        assert_eq!((text, listed), (format!("head{exact}"), 1));
    }

    #[test]
    fn a_sent_message_is_read_for_its_id_alone() {
        // sendMessage's answer as Telegram gives it: the whole message, buttons and all.
        let answer = r#"{"message_id":4242,"from":{"id":1,"is_bot":true,"first_name":"B"},
            "chat":{"id":-100,"title":"Team","type":"supergroup"},"date":1700000000,
            "text":"Design review","entities":[{"type":"bold","offset":0,"length":6}],
            "reply_markup":{"inline_keyboard":[[{"text":"Create","callback_data":"d:c"}]]}}"#;
        let sent: Sent = serde_json::from_str(answer).unwrap();
        assert_eq!(sent.id, MessageId(4242));
        // An answer with no message id is not taken for one.
        assert!(serde_json::from_str::<Sent>(r#"{"chat":{"id":1}}"#).is_err());
    }

    #[test]
    fn bot_token_is_scrubbed_from_urls() {
        let s = "error sending request for url (https://api.telegram.org/bot123:AA-bb_cc/getMe)";
        assert_eq!(
            scrub_bot_token(s),
            "error sending request for url (https://api.telegram.org/bot<redacted>/getMe)"
        );
        assert_eq!(scrub_bot_token("no url here"), "no url here");
        assert_eq!(scrub_bot_token("x/bot"), "x/bot");
    }
}
