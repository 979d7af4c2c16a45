//! Posting scheduled meetings' reminders, and making recurring meetings' links, when they are
//! due (see `plans` for a scheduled meeting's steps).
//!
//! ```text
//! bot:  ⏰ Design review starts in 10 min, at 15:00.   Join: https://telemost…   [Join]
//! bot:  🔔 Design review is starting now.                Join: https://telemost…   [Join]
//! bot:  📅 Standup, today, Tue 1 Dec, 10:00–10:30        Join: https://telemost…   [Join] [📅 Add to calendar]
//! ```
//!
//! Durable and once: the steps are rows in the database, and any process may take one that is
//! due. Taking it gives a lease (`claim_schedules`), so two processes never act on the same
//! step; the holder posts, then moves the row to its next step (or removes it), which only the
//! holder can do. A process that dies mid-step leaves the lease to run out, and another takes
//! the step again. A step found late (the bot was down) is posted with a note when under an hour
//! late, else reported as missed; a reminder overtaken by its meeting's start is skipped.
//!
//! Telegram's answers decide what happens to a step that fails to post: a refusal (the chat is
//! gone, the bot blocked) moves on, since trying again would be refused again; a network failure
//! leaves the step to be taken again when its lease runs out.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ThreadId};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::core::{Ctx, TgBot};
use super::outbox::Outbox;
use super::panel::{WhenWords, calendar_button};
use super::plans::{self, Creator, LATE_LIMIT_SECS, Next, ON_TIME_SECS};
use super::state::Planned;
use super::texts::{self, Texts};
use crate::schedule::Rule;
use crate::storage::{Advance, Schedule, StorageError};
use crate::telemost::model::CreateConference;

/// How long a process holds a step it took (system time): enough to make a link and post.
const LEASE: Duration = Duration::from_secs(60);
/// How often the worker looks, at most, for steps other processes scheduled.
const TICK: Duration = Duration::from_secs(15);
/// How many steps it takes at once.
const AT_ONCE: usize = 16;

/// The worker; stop it with `stop`.
pub struct Reminders {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// Starts the worker for process `taker`.
pub fn spawn(bot: TgBot, ctx: Arc<Ctx>, taker: i64) -> Reminders {
    let (stop, stopping) = watch::channel(false);
    let task = tokio::spawn(run(bot, ctx, taker, stopping));
    Reminders {
        stop,
        task: Some(task),
    }
}

impl Reminders {
    /// Lets the step in hand finish, then gives this process's leases up.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Reminders {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

fn wall_ms() -> i64 {
    crate::storage::unix_now_ms()
}

async fn run(bot: TgBot, ctx: Arc<Ctx>, taker: i64, mut stopping: watch::Receiver<bool>) {
    let mut moves = ctx.clock.moves();
    loop {
        let now = ctx.clock.unix();
        let wall = wall_ms();
        let lease_until = wall + LEASE.as_millis() as i64;
        let claimed = match ctx
            .db
            .claim_schedules(taker, now, wall, lease_until, AT_ONCE)
            .await
        {
            Ok(claimed) => claimed,
            Err(StorageError::Closed) => break,
            Err(e) => {
                tracing::warn!(error = %e, "could not look for scheduled meetings due");
                Vec::new()
            }
        };
        let busy = !claimed.is_empty();
        for s in claimed {
            step(&bot, &ctx, taker, s).await;
        }
        if *stopping.borrow() {
            break;
        }
        if busy {
            continue;
        }
        // Until the next step is due (by the clock: a manual clock's moves wake us), at most a
        // tick, for what other processes schedule.
        let wait = match ctx.db.next_schedule_at().await {
            Ok(Some(at)) => Duration::from_secs(u64::try_from(at - ctx.clock.unix()).unwrap_or(0))
                .clamp(Duration::from_secs(1), TICK),
            Ok(None) => TICK,
            Err(StorageError::Closed) => break,
            Err(_) => TICK,
        };
        let moved = async {
            match moves.as_mut() {
                Some(m) => {
                    let _ = m.changed().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = stopping.changed() => break,
            _ = ctx.schedules_due.notified() => {}
            () = moved => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
    match ctx.db.release_schedules(taker).await {
        Ok(()) | Err(StorageError::Closed) => {}
        Err(e) => tracing::warn!(error = %e, "could not give up the leases on scheduled meetings"),
    }
}

/// What became of a step's post.
enum Posted {
    Done,
    /// Telegram could not be reached: the step is taken again later.
    Retry,
}

fn outcome(result: Result<Message, RequestError>, chat: i64) -> Posted {
    match result {
        Ok(_) => Posted::Done,
        Err(RequestError::Network(_) | RequestError::Io(_)) => Posted::Retry,
        Err(e) => {
            tracing::warn!(chat_id = chat, error = %super::core::redacted(&e), "a scheduled meeting's post was refused");
            Posted::Done
        }
    }
}

/// Acts on one step the worker holds.
async fn step(bot: &TgBot, ctx: &Ctx, taker: i64, s: Schedule) {
    let chat = ChatId(s.chat_id);
    let thread = s
        .thread_id
        .and_then(|t| i32::try_from(t).ok())
        .map(|t| ThreadId(MessageId(t)));
    let lease = s.lease_until;
    let id = s.id;
    let result = Outbox::in_topic(chat, thread, act(bot, ctx, taker, s)).await;
    if let Err(e) = result {
        // The lease runs out and the step is taken again.
        tracing::warn!(chat_id = chat.0, schedule = id, lease, error = %e, "a scheduled meeting's step failed");
    }
}

async fn act(bot: &TgBot, ctx: &Ctx, taker: i64, s: Schedule) -> Result<(), StorageError> {
    let now = ctx.clock.unix();
    let chat = ChatId(s.chat_id);
    let creator = Creator::parse(&s.creator);
    let t = creator.texts();
    let tz = TimeZone::get(&s.zone).unwrap_or_else(|_| ctx.default_zone.clone());
    let rule = s.repeat.as_deref().and_then(Rule::from_db);
    let at = |secs: i64| {
        Timestamp::from_second(secs)
            .unwrap_or_default()
            .to_zoned_datetime(tz.clone())
    };
    let start_time = texts::clock_time(&at(s.start_at));
    let topic = s.topic.as_deref();
    let mut next = Next::parse(&s.step).unwrap_or(Next::Start);
    // A reminder overtaken by the start (the bot was down): the start says it all.
    if next == Next::Remind && now >= s.start_at {
        next = Next::Start;
    }
    match next {
        Next::Remind => {
            let url = s.join_url.as_deref().unwrap_or_default();
            let minutes = (s.start_at - now + 59) / 60;
            let text = t.reminder_soon(topic, minutes, &start_time, url);
            if let Posted::Retry = outcome(bot.send(chat, text, join(t, url)).await, s.chat_id) {
                return Ok(());
            }
            let advance = Advance {
                start_at: s.start_at,
                next_at: s.start_at,
                step: Next::Start.as_str().to_owned(),
                conference_id: s.conference_id.clone(),
                join_url: s.join_url.clone(),
            };
            ctx.db
                .advance_schedule(s.id, taker, s.lease_until, &advance)
                .await?;
        }
        Next::Start => {
            let late = now - s.start_at;
            let url = s.join_url.as_deref();
            let (text, markup) = match url {
                Some(url) if late <= ON_TIME_SECS => (t.reminder_now(topic, url), join(t, url)),
                Some(url) if late < LATE_LIMIT_SECS => (
                    t.reminder_late(topic, &start_time, late / 60, url),
                    join(t, url),
                ),
                _ => (t.reminder_missed(topic, &start_time, url), None),
            };
            if late >= LATE_LIMIT_SECS {
                tracing::info!(
                    chat_id = s.chat_id,
                    schedule = s.id,
                    late,
                    "a scheduled meeting's reminder was missed"
                );
            }
            if let Posted::Retry = outcome(bot.send(chat, text, markup).await, s.chat_id) {
                return Ok(());
            }
            match rule {
                Some(rule) => next_occurrence(ctx, taker, &s, rule, &tz, now).await?,
                None => {
                    ctx.db.finish_schedule(s.id, taker, s.lease_until).await?;
                }
            }
        }
        Next::Prepare => {
            let Some(rule) = rule else {
                // A one-time meeting never prepares: a row we cannot read.
                ctx.db.finish_schedule(s.id, taker, s.lease_until).await?;
                return Ok(());
            };
            if now - s.start_at >= LATE_LIMIT_SECS {
                // Down through the whole occurrence: say so once, and go on to the next.
                let text = t.reminder_missed(topic, &start_time, None);
                if let Posted::Retry = outcome(bot.send(chat, text, None).await, s.chat_id) {
                    return Ok(());
                }
                return next_occurrence(ctx, taker, &s, rule, &tz, now).await;
            }
            prepare(bot, ctx, taker, &s, t, &creator).await?;
        }
    }
    Ok(())
}

/// Makes a recurring meeting's link for its occurrence at `s.start_at` and posts it; on failure
/// says why, and goes on to the next occurrence.
async fn prepare(
    bot: &TgBot,
    ctx: &Ctx,
    taker: i64,
    s: &Schedule,
    t: &'static dyn Texts,
    creator: &Creator,
) -> Result<(), StorageError> {
    let chat = ChatId(s.chat_id);
    let topic = s.topic.as_deref();
    let planned = Planned {
        start: s.start_at,
        duration_secs: s.duration_secs,
        repeat: None,
        zone: s.zone.clone(),
    };
    let when = WhenWords::of(t, &planned, ctx.clock.now()).span;
    let request: Option<CreateConference> = serde_json::from_str(&s.request).ok();
    let user = creator.user(s.created_by);
    let token = match &user {
        Some(user) => ctx.token_for(chat, user).await?,
        None => None,
    };
    let created = match (request.as_ref(), token, user.as_ref()) {
        (Some(request), Some((owner, token)), Some(user)) => {
            match ctx.create_meeting(owner, &token, request).await? {
                Ok(conference) => {
                    ctx.record_meeting(chat, user, owner, request, &conference, topic)
                        .await;
                    Ok(conference)
                }
                Err(e) => Err(t.telemost_error(&e)),
            }
        }
        (None, _, _) | (_, _, None) => Err(t.internal_error().to_owned()),
        (_, None, _) => Err(t.no_token(!chat.is_user()).to_owned()),
    };
    let tz = TimeZone::get(&s.zone).unwrap_or_else(|_| ctx.default_zone.clone());
    match created {
        Ok(conference) => {
            let text = t.occurrence_ready(topic, &when, &conference.join_url);
            let mut markup = join(t, &conference.join_url).unwrap_or_default();
            markup
                .inline_keyboard
                .push(vec![calendar_button(t, s.id, s.start_at)]);
            // The link is kept first: a retry of this step must not make a second one.
            let advance = Advance {
                start_at: s.start_at,
                next_at: s.start_at,
                step: Next::Start.as_str().to_owned(),
                conference_id: Some(conference.id.clone()),
                join_url: Some(conference.join_url.clone()),
            };
            if !ctx
                .db
                .advance_schedule(s.id, taker, s.lease_until, &advance)
                .await?
            {
                // Cancelled meanwhile (or taken over): nothing more to say.
                return Ok(());
            }
            if let Err(e) = bot.send(chat, text, Some(markup)).await {
                tracing::warn!(chat_id = s.chat_id, error = %super::core::redacted(&e), "could not post a recurring meeting's link");
            }
            Ok(())
        }
        Err(reason) => {
            tracing::warn!(
                chat_id = s.chat_id,
                schedule = s.id,
                "a recurring meeting's link could not be made"
            );
            let text = t.occurrence_failed(topic, &when, &reason);
            if let Posted::Retry = outcome(bot.send(chat, text, None).await, s.chat_id) {
                return Ok(());
            }
            let rule = s.repeat.as_deref().and_then(Rule::from_db);
            match rule {
                Some(rule) => next_occurrence(ctx, taker, s, rule, &tz, ctx.clock.unix()).await,
                None => Ok(()),
            }
        }
    }
}

/// Moves a recurring meeting on to its next occurrence after both its current one and now.
async fn next_occurrence(
    ctx: &Ctx,
    taker: i64,
    s: &Schedule,
    rule: Rule,
    tz: &TimeZone,
    now: i64,
) -> Result<(), StorageError> {
    let after = Timestamp::from_second(s.start_at.max(now)).unwrap_or_default();
    let start = rule.next_after(after, tz).as_second();
    let remind = ctx.db.settings(s.chat_id).await?.remind_before;
    let advance = Advance {
        start_at: start,
        next_at: plans::prepare_at(start, remind).max(now),
        step: Next::Prepare.as_str().to_owned(),
        conference_id: None,
        join_url: None,
    };
    ctx.db
        .advance_schedule(s.id, taker, s.lease_until, &advance)
        .await?;
    Ok(())
}

/// A Join button for `url`.
fn join(t: &dyn Texts, url: &str) -> Option<InlineKeyboardMarkup> {
    let url = reqwest::Url::parse(url).ok()?;
    Some(InlineKeyboardMarkup::new(vec![vec![
        InlineKeyboardButton::url(t.button_join(), url),
    ]]))
}
