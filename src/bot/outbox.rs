//! Everything the bot says goes out through the `Outbox`, as Telegram HTML (see `texts`), cut to
//! fit (`fit`). It keeps to Telegram's flood limits (about one message a second per chat with
//! short bursts, 20 a minute in a group, 30 a second in all) without adding latency below them,
//! and when Telegram answers 429 anyway, it waits the `retry_after` Telegram asked for (up to a
//! minute) and sends again, a few times.
//!
//! teloxide's `Throttle` adaptor does much of this too, resends after a 429 included. We keep our
//! own because of how it does it: `Throttle` queues every request in one background worker of
//! this process and, on any 429, freezes the whole bot (every chat) for the `retry_after`, with no
//! cap on how long; its limits are a sliding window with no per-chat burst. Here the limits are a
//! reservation taken by the sender itself (no queue, no worker task to keep alive or shut down), a
//! 429 delays only the request that got it, and an absurd `retry_after` is not waited out.

use crate::metrics::{FLOOD_WAIT_SECONDS, TELEGRAM_ERRORS};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use teloxide::RequestError;
use teloxide::payloads::{
    AnswerCallbackQuerySetters, EditMessageTextInlineSetters, EditMessageTextSetters,
    SendMessageSetters,
};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, MessageId, ParseMode, ThreadId, UpdateKind};

tokio::task_local! {
    /// The forum topic the update being handled came from, with its chat: every message sent
    /// to that chat while handling it goes into that topic (see `Outbox::in_topic_of`).
    static TOPIC: Option<(ChatId, ThreadId)>;
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

pub struct Outbox {
    bot: Bot,
    limiter: Option<Mutex<Limiter>>,
}

impl Outbox {
    /// `limited: false` sends as fast as asked: for benchmarks against a fake Bot API only.
    pub fn new(bot: Bot, limited: bool) -> Self {
        Self {
            bot,
            limiter: limited.then(|| Mutex::new(Limiter::default())),
        }
    }

    /// Runs `handling` (the handling of `update`) so that whatever it sends to the update's
    /// chat lands in the forum topic the update came from. Handlers never name a topic.
    pub async fn in_topic_of<T>(update: &Update, handling: impl Future<Output = T>) -> T {
        TOPIC.scope(topic_of(update), handling).await
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

    async fn pace(&self, chat: Option<ChatId>) {
        let wait = match &self.limiter {
            Some(l) => l
                .lock()
                .map(|mut l| l.reserve(chat, Instant::now()))
                .unwrap_or_default(),
            None => Duration::ZERO,
        };
        if self.limiter.is_some() {
            metrics::histogram!(FLOOD_WAIT_SECONDS).record(wait.as_secs_f64());
        }
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    pub async fn send(
        &self,
        chat: ChatId,
        text: impl Into<String>,
        markup: Option<InlineKeyboardMarkup>,
    ) -> Result<Message, RequestError> {
        let text = fit(text.into());
        let topic = Self::topic_for(chat);
        self.pace(Some(chat)).await;
        resend_on_429(|| {
            let mut req = self
                .bot
                .send_message(chat, text.clone())
                .parse_mode(ParseMode::Html);
            if let Some(thread) = topic {
                req = req.message_thread_id(thread);
            }
            match markup.clone() {
                Some(m) => req.reply_markup(m).send(),
                None => req.send(),
            }
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
        // Edits count towards the overall limit, not the per-chat one: they add no message.
        self.pace(None).await;
        resend_on_429(|| {
            self.bot
                .edit_message_text(chat, id, text.clone())
                .parse_mode(ParseMode::Html)
                .reply_markup(markup.clone())
                .send()
        })
        .await
        .map(|_| ())
    }

    /// Edits a message sent through inline mode.
    pub async fn edit_inline(
        &self,
        inline_message_id: &str,
        text: impl Into<String>,
        markup: InlineKeyboardMarkup,
    ) -> Result<(), RequestError> {
        let text = fit(text.into());
        self.pace(None).await;
        resend_on_429(|| {
            self.bot
                .edit_message_text_inline(inline_message_id, text.clone())
                .parse_mode(ParseMode::Html)
                .reply_markup(markup.clone())
                .send()
        })
        .await
        .map(|_| ())
    }

    /// Answers a button press, with a short notice when `text` is given.
    pub async fn answer(
        &self,
        query: &CallbackQuery,
        text: Option<&str>,
    ) -> Result<(), RequestError> {
        resend_on_429(|| {
            let req = self.bot.answer_callback_query(query.id.clone());
            match text {
                Some(t) => req.text(t).send(),
                None => req.send(),
            }
        })
        .await
        .map(|_| ())
    }

    pub async fn delete(&self, chat: ChatId, id: MessageId) -> Result<(), RequestError> {
        resend_on_429(|| self.bot.delete_message(chat, id).send())
            .await
            .map(|_| ())
    }
}

/// Runs `request`, and after a 429 waits as Telegram says and runs it again (a few times).
async fn resend_on_429<T, F, Fut>(mut request: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
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
                tracing::warn!(wait = ?after.duration(), "Telegram asked to slow down; resending after the wait");
                metrics::histogram!(FLOOD_WAIT_SECONDS).record(after.duration().as_secs_f64());
                tokio::time::sleep(after.duration()).await;
            }
            other => return other,
        }
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

/// A token bucket: `burst` messages at once, then `rate` a second. Reserving may take the level
/// below zero; the caller then waits until its token would have arrived, so concurrent senders
/// queue fairly without a lock held across the wait.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    level: f64,
    at: Instant,
}

#[derive(Debug, Clone, Copy)]
struct Rate {
    per_sec: f64,
    burst: f64,
}

const OVERALL: Rate = Rate {
    per_sec: 30.0,
    burst: 30.0,
};
const PRIVATE_CHAT: Rate = Rate {
    per_sec: 1.0,
    burst: 3.0,
};
const GROUP_CHAT: Rate = Rate {
    per_sec: 20.0 / 60.0,
    burst: 3.0,
};

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Self {
        Self {
            level: rate.burst,
            at: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.level = (self.level + elapsed * rate.per_sec).min(rate.burst);
        self.at = now;
    }

    fn reserve(&mut self, rate: Rate, now: Instant) -> Duration {
        self.refill(rate, now);
        self.level -= 1.0;
        if self.level >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.level / rate.per_sec)
        }
    }
}

#[derive(Debug, Default)]
struct Limiter {
    overall: Option<Bucket>,
    chats: HashMap<i64, Bucket>,
}

impl Limiter {
    /// Reserves a slot for one message (in `chat`, when it adds a message to one) and returns how
    /// long to wait before sending it.
    fn reserve(&mut self, chat: Option<ChatId>, now: Instant) -> Duration {
        let overall = self
            .overall
            .get_or_insert_with(|| Bucket::full(OVERALL, now))
            .reserve(OVERALL, now);
        let Some(chat) = chat else {
            return overall;
        };
        let rate = if chat.is_user() {
            PRIVATE_CHAT
        } else {
            GROUP_CHAT
        };
        if self.chats.len() >= 10_000 {
            // Forget chats whose buckets are full again: they are as good as new.
            self.chats.retain(|id, b| {
                let rate = if ChatId(*id).is_user() {
                    PRIVATE_CHAT
                } else {
                    GROUP_CHAT
                };
                b.refill(rate, now);
                b.level < rate.burst
            });
        }
        let per_chat = self
            .chats
            .entry(chat.0)
            .or_insert_with(|| Bucket::full(rate, now))
            .reserve(rate, now);
        overall.max(per_chat)
    }
}

/// Cuts an HTML reply to Telegram's limit of 4096 UTF-16 code units, never inside a tag or an
/// entity (which Telegram would refuse to parse), and closes the tags the cut left open.
pub fn fit(mut text: String) -> String {
    const LIMIT: usize = 4096;
    if text.encode_utf16().count() <= LIMIT {
        return text;
    }
    // Room for the ellipsis and for closing a few tags.
    let budget = LIMIT - 40;
    let mut units = 0;
    let mut cut = text
        .char_indices()
        .find(|(_, c)| {
            units += c.len_utf16();
            units > budget
        })
        .map_or(text.len(), |(i, _)| i);
    let head = &text[..cut];
    // Back off a half-written tag or entity.
    if let Some(lt) = head.rfind('<')
        && head[lt..].find('>').is_none()
    {
        cut = lt;
    }
    let head = &text[..cut];
    if let Some(amp) = head.rfind('&')
        && head[amp..].find(';').is_none()
    {
        cut = amp;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_in_one_chat_is_spread_out() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        let chat = Some(ChatId(7));
        let waits: Vec<Duration> = (0..5).map(|_| l.reserve(chat, t0)).collect();
        assert_eq!(
            &waits[..3],
            &[Duration::ZERO; 3],
            "a short burst goes at once"
        );
        assert_eq!(waits[3], Duration::from_secs(1));
        assert_eq!(waits[4], Duration::from_secs(2));
        // Another chat is not held up by the first one.
        assert_eq!(l.reserve(Some(ChatId(8)), t0), Duration::ZERO);
        // After a quiet while the chat may burst again.
        let later = t0 + Duration::from_secs(10);
        assert_eq!(l.reserve(chat, later), Duration::ZERO);
    }

    #[test]
    fn groups_get_twenty_a_minute() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        let group = Some(ChatId(-100_123));
        let waits: Vec<Duration> = (0..4).map(|_| l.reserve(group, t0)).collect();
        assert_eq!(waits[3], Duration::from_secs(3));
    }

    #[test]
    fn overall_thirty_a_second() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        let waits: Vec<Duration> = (0..31)
            .map(|i| l.reserve(Some(ChatId(i + 1)), t0))
            .collect();
        assert!(waits[..30].iter().all(|w| w.is_zero()));
        assert!(waits[30] > Duration::ZERO && waits[30] <= Duration::from_millis(34));
    }

    #[test]
    fn fit_never_cuts_html_apart() {
        let text = format!("<b>{}</b>", "&amp;".repeat(1000));
        let cut = fit(text);
        assert!(cut.encode_utf16().count() <= 4096);
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
}
