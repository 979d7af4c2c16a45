//! Posting scheduled meetings' reminders, and making recurring meetings' links, when they are
//! due (see `schedule` for a scheduled meeting's steps).
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
//! Steps run side by side (a slow Telemost or a group's flood limit holds up only its own chat),
//! their reminders placed under the bot's flood limit in the order they were due, and each
//! renews its lease just before it posts: a step whose lease ran out meanwhile (and so may be
//! another process's now) posts nothing.
//!
//! Telegram's answers decide what happens to a step that fails to post: the chat gone for the
//! bot (blocked, removed, deleted) ends the scheduled meeting; a network failure or a flood wait
//! leaves the step to be taken again when its lease runs out; any other refusal moves on, since
//! trying again would be refused again. A recurring meeting's link whose post is lost still
//! reaches the chat with the "starting now" reminder.
//!
//! Leases are compared with each process's system clock: replicas keep their clocks in sync (NTP),
//! as they must for Telegram's webhook certificates anyway.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ThreadId};
use tokio::sync::watch;

use super::{Job, Worker};
use crate::bot::core::{Ctx, TgBot};
use crate::bot::meetings::Acting;
use crate::bot::schedule::{self, Creator, LATE_LIMIT_SECS, Next, ON_TIME_SECS};
use crate::bot::speak::outbox::{Line, Outbox, Place, Sent};
use crate::bot::speak::panel::{WhenWords, calendar_button};
use crate::bot::speak::texts::{self, Texts};
use crate::bot::state::Planned;
use crate::clock::unix_now_ms;
use crate::metrics::REMINDER_DELAY_SECONDS;
use crate::schedule::Rule;
use crate::storage::{Leased, Schedule, StorageError};
use crate::telemost::model::CreateConference;

/// How long a process holds a step it took (system time): enough to make a link and post.
const LEASE: Duration = Duration::from_secs(60);
/// How often the worker looks, at most, for steps other processes scheduled.
const TICK: Duration = Duration::from_secs(15);
/// Never looks sooner than this after the last look.
const LEAST_WAIT: Duration = Duration::from_millis(100);
/// How many steps it works on at once.
const AT_ONCE: usize = 16;
/// How soon a recurring meeting's link is tried again after Telemost failed to make it.
const RETRY_LINK_AFTER: i64 = 60;
/// How long the steps in hand get to finish when the bot stops.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Starts the worker for process `taker`.
pub fn spawn(bot: TgBot, ctx: Arc<Ctx>, taker: i64) -> Worker {
    let moves = ctx.clock.moves();
    let schedules = Schedules {
        bot,
        ctx,
        line: Line::default(),
        moves,
    };
    super::spawn(schedules, taker)
}

/// The scheduled meetings' steps, as a job kind.
struct Schedules {
    bot: TgBot,
    ctx: Arc<Ctx>,
    /// The places of the reminders under the flood limits, handed out in the order the steps
    /// were claimed.
    line: Line,
    /// A manual clock's moves (tests), which may make a step due.
    moves: Option<watch::Receiver<u64>>,
}

impl Job for Schedules {
    type Item = Schedule;
    const NAME: &'static str = "scheduled meetings";
    const AT_ONCE: usize = AT_ONCE;
    const LEASE: Duration = LEASE;
    const TICK: Duration = TICK;
    const LEAST_WAIT: Duration = LEAST_WAIT;
    const STOP_GRACE: Duration = STOP_GRACE;

    /// Steps are due by the bot's clock (unix seconds), which a manual clock's moves change.
    async fn until_due(&self) -> Result<Option<Duration>, StorageError> {
        let due = self
            .ctx
            .db
            .next_due(Leased::Schedules, unix_now_ms())
            .await?;
        Ok(due
            .map(|at| Duration::from_secs(u64::try_from(at - self.ctx.clock.unix()).unwrap_or(0))))
    }

    async fn claim(
        &self,
        taker: i64,
        wall_now_ms: i64,
        lease_until: i64,
        room: usize,
    ) -> Result<Vec<Schedule>, StorageError> {
        self.ctx
            .db
            .claim_schedules(taker, self.ctx.clock.unix(), wall_now_ms, lease_until, room)
            .await
    }

    fn run(
        &mut self,
        taker: i64,
        s: Schedule,
    ) -> impl Future<Output = ()> + Send + 'static + use<> {
        // Reminders take their places under the flood limits in the order they were due
        // (claimed); a recurring meeting's link, made first, holds none up.
        let place =
            (Next::parse(&s.plan.step) != Some(Next::Prepare)).then(|| self.line.next_place());
        step(
            Arc::clone(&self.bot),
            Arc::clone(&self.ctx),
            taker,
            s,
            place,
        )
    }

    async fn release(&self, taker: i64) -> Result<(), StorageError> {
        self.ctx.db.release(Leased::Schedules, taker).await
    }

    /// A meeting scheduled here, or a manual clock moved.
    async fn woken(&mut self) {
        tokio::select! {
            _ = self.ctx.schedules_due.notified() => {}
            () = super::clock_moved(&mut self.moves) => {}
        }
    }
}

/// What became of a step's post.
enum Posted {
    Done,
    /// Telegram could not be reached, or asked to wait: the step is taken again later.
    Retry,
    /// The chat is gone for the bot: the scheduled meeting ends.
    Gone,
}

fn outcome(result: Result<Sent, RequestError>, chat: i64) -> Posted {
    use teloxide::ApiError::*;
    match result {
        Ok(_) => Posted::Done,
        Err(RequestError::Network(_) | RequestError::Io(_) | RequestError::RetryAfter(_)) => {
            Posted::Retry
        }
        Err(RequestError::Api(
            BotBlocked | BotKicked | BotKickedFromSupergroup | ChatNotFound | UserDeactivated,
        )) => {
            tracing::info!(
                chat_id = chat,
                "the chat is gone for the bot: its scheduled meeting ends"
            );
            Posted::Gone
        }
        Err(e) => {
            tracing::warn!(chat_id = chat, error = %crate::bot::core::redacted(&e), "a scheduled meeting's post was refused");
            Posted::Done
        }
    }
}

/// Acts on one step the worker holds, its first post at `place` in the worker's line.
async fn step(bot: TgBot, ctx: Arc<Ctx>, taker: i64, s: Schedule, place: Option<Place>) {
    let chat = ChatId(s.plan.chat_id);
    let thread = s
        .plan
        .thread_id
        .and_then(|t| i32::try_from(t).ok())
        .map(|t| ThreadId(MessageId(t)));
    let id = s.id;
    let acting = Outbox::in_topic(chat, thread, act(&bot, &ctx, taker, s));
    let result = Outbox::in_line(place, acting).await;
    if let Err(e) = result {
        // The lease runs out and the step is taken again.
        tracing::warn!(chat_id = chat.0, schedule = id, error = %e, "a scheduled meeting's step failed");
    }
}

/// Renews the step's lease just before acting on it: false when it is no longer this
/// process's (the lease ran out and another took it, or it was cancelled).
async fn hold(ctx: &Ctx, taker: i64, s: &mut Schedule) -> Result<bool, StorageError> {
    super::hold(
        ctx,
        Leased::Schedules,
        s.id,
        taker,
        &mut s.lease_until,
        LEASE,
    )
    .await
}

/// Posts `text` for step `s`, if still held: what became of it, or `None` when not held.
async fn post(
    bot: &TgBot,
    ctx: &Ctx,
    taker: i64,
    s: &mut Schedule,
    text: String,
    markup: Option<InlineKeyboardMarkup>,
) -> Result<Option<Posted>, StorageError> {
    if !hold(ctx, taker, s).await? {
        return Ok(None);
    }
    let posted = outcome(
        send_here(bot, ChatId(s.plan.chat_id), text, markup).await,
        s.plan.chat_id,
    );
    if let Posted::Gone = posted {
        ctx.db.finish_schedule(s.id, taker, s.lease_until).await?;
    }
    Ok(Some(posted))
}

/// Counts how late step `s` (`step`: the metric's label) was posted, from when it was due.
fn delay_counted(ctx: &Ctx, s: &Schedule, step: &'static str) {
    let late_ms = ctx.clock.now().as_millisecond() - s.plan.next_at.saturating_mul(1000);
    metrics::histogram!(REMINDER_DELAY_SECONDS, "step" => step)
        .record(late_ms.max(0) as f64 / 1000.0);
}

/// Sends to `chat`, into the forum topic the meeting was scheduled in; a topic deleted or
/// closed since is refused by Telegram, and the post goes to the chat's General topic instead.
async fn send_here(
    bot: &TgBot,
    chat: ChatId,
    text: String,
    markup: Option<InlineKeyboardMarkup>,
) -> Result<Sent, RequestError> {
    match bot.send(chat, text.clone(), markup.clone()).await {
        Err(RequestError::Api(teloxide::ApiError::Unknown(description)))
            if topic_gone(&description) && Outbox::current_topic(chat).is_some() =>
        {
            tracing::info!(
                chat_id = chat.0,
                "the topic of a scheduled meeting is gone; posting in General"
            );
            Outbox::in_topic(chat, None, bot.send(chat, text, markup)).await
        }
        other => other,
    }
}

/// Whether Telegram refused a send because its forum topic is gone (deleted, or closed).
fn topic_gone(description: &str) -> bool {
    ["thread not found", "TOPIC_DELETED", "TOPIC_CLOSED"]
        .iter()
        .any(|d| description.contains(d))
}

async fn act(bot: &TgBot, ctx: &Ctx, taker: i64, mut s: Schedule) -> Result<(), StorageError> {
    let now = ctx.clock.unix();
    let creator = Creator::parse(&s.plan.creator);
    let t = creator.texts();
    let tz = TimeZone::get(&s.plan.zone).unwrap_or_else(|_| ctx.default_zone.clone());
    let rule = s.plan.repeat.as_deref().and_then(Rule::from_db);
    let start_time = texts::clock_time(
        &Timestamp::from_second(s.plan.start_at)
            .unwrap_or_default()
            .to_zoned_datetime(tz.clone()),
    );
    let topic = s.plan.topic.clone();
    let topic = topic.as_deref();
    let mut next = Next::parse(&s.plan.step).unwrap_or(Next::Start);
    // A reminder overtaken by the start (the bot was down): the start says it all.
    if next == Next::Remind && now >= s.plan.start_at {
        next = Next::Start;
    }
    match next {
        Next::Remind => {
            let url = s.plan.join_url.clone().unwrap_or_default();
            let minutes = (s.plan.start_at - now + 59) / 60;
            let text = t.reminder_soon(topic, minutes, &start_time, &url);
            let text = naming(t, text, s.plan.mentions.as_deref());
            match post(bot, ctx, taker, &mut s, text, join(t, &url)).await? {
                Some(Posted::Done) => delay_counted(ctx, &s, "remind"),
                _ => return Ok(()),
            }
            let link = s.plan.conference_id.clone().zip(s.plan.join_url.clone());
            let advance = Next::Start.at(s.plan.start_at, s.plan.start_at, link);
            ctx.db
                .advance_schedule(s.id, taker, s.lease_until, &advance)
                .await?;
        }
        Next::Start => {
            let late = now - s.plan.start_at;
            let url = s.plan.join_url.clone();
            let (text, markup) = match url.as_deref() {
                Some(url) if late <= ON_TIME_SECS => (t.reminder_now(topic, url), join(t, url)),
                Some(url) if late < LATE_LIMIT_SECS => (
                    t.reminder_late(topic, &start_time, late / 60, url),
                    join(t, url),
                ),
                _ => (t.reminder_missed(topic, &start_time, url.as_deref()), None),
            };
            let text = naming(t, text, s.plan.mentions.as_deref());
            if late >= LATE_LIMIT_SECS {
                tracing::info!(
                    chat_id = s.plan.chat_id,
                    schedule = s.id,
                    late,
                    "a scheduled meeting's reminder was missed"
                );
            }
            match post(bot, ctx, taker, &mut s, text, markup).await? {
                Some(Posted::Done) => delay_counted(ctx, &s, "start"),
                _ => return Ok(()),
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
            if now - s.plan.start_at >= LATE_LIMIT_SECS {
                // Down through the whole occurrence: say so once, and go on to the next.
                let text = t.reminder_missed(topic, &start_time, None);
                match post(bot, ctx, taker, &mut s, text, None).await? {
                    Some(Posted::Done) => {}
                    _ => return Ok(()),
                }
                return next_occurrence(ctx, taker, &s, rule, &tz, now).await;
            }
            prepare(bot, ctx, taker, s, t, &creator, rule, &tz).await?;
        }
    }
    Ok(())
}

/// Why a recurring meeting's link (or a vote's meeting) was not made.
pub(super) enum NoLink {
    /// Worth trying again before the start (Telemost unavailable).
    Transient(String),
    /// Said, and the occurrence skipped.
    Failed(String),
    /// The creator may no longer create meetings here: the series ends.
    NotAllowed,
    /// The link would be made with the creator's own token, and they have left the chat: the
    /// series ends.
    MemberGone,
}

/// Makes a recurring meeting's link for its occurrence at `s.start_at` and posts it. On failure
/// it says why and goes on to the next occurrence, or tries again in a minute while Telemost is
/// unavailable and there is time.
#[allow(clippy::too_many_arguments)]
async fn prepare(
    bot: &TgBot,
    ctx: &Ctx,
    taker: i64,
    mut s: Schedule,
    t: &'static dyn Texts,
    creator: &Creator,
    rule: Rule,
    tz: &TimeZone,
) -> Result<(), StorageError> {
    let chat = ChatId(s.plan.chat_id);
    let topic = s.plan.topic.clone();
    let topic = topic.as_deref();
    let planned = Planned {
        start: s.plan.start_at,
        duration_secs: s.plan.duration_secs,
        repeat: None,
        zone: s.plan.zone.clone(),
    };
    let when = WhenWords::of(t, &planned, ctx.clock.now()).span;
    let request: Option<CreateConference> = serde_json::from_str(&s.plan.request).ok();
    let user = creator.user(s.plan.created_by);
    if !hold(ctx, taker, &mut s).await? {
        return Ok(());
    }
    let created = match (request.as_ref(), user.as_ref()) {
        (Some(request), Some(user)) => make_link(bot, ctx, chat, user, request, topic, t).await?,
        _ => Err(NoLink::Failed(t.internal_error().to_owned())),
    };
    let conference = match created {
        Ok(conference) => conference,
        Err(NoLink::Transient(_)) if ctx.clock.unix() + RETRY_LINK_AFTER < s.plan.start_at => {
            tracing::warn!(
                chat_id = s.plan.chat_id,
                schedule = s.id,
                "Telemost could not make a recurring meeting's link; trying again in a minute"
            );
            let retry_at = ctx.clock.unix() + RETRY_LINK_AFTER;
            let advance = Next::Prepare.at(s.plan.start_at, retry_at, None);
            ctx.db
                .advance_schedule(s.id, taker, s.lease_until, &advance)
                .await?;
            return Ok(());
        }
        Err(reason @ (NoLink::NotAllowed | NoLink::MemberGone)) => {
            let reason = match reason {
                NoLink::MemberGone => {
                    t.member_gone(Some(creator.name.as_str()).filter(|n| !n.is_empty()))
                }
                _ => t.admins_only().to_owned(),
            };
            let text = format!(
                "{} {}",
                t.occurrence_failed(topic, &when, &reason),
                t.series_ended()
            );
            if let Some(Posted::Done | Posted::Gone) =
                post(bot, ctx, taker, &mut s, text, None).await?
            {
                ctx.db.finish_schedule(s.id, taker, s.lease_until).await?;
            }
            return Ok(());
        }
        Err(NoLink::Transient(reason) | NoLink::Failed(reason)) => {
            tracing::warn!(
                chat_id = s.plan.chat_id,
                schedule = s.id,
                "a recurring meeting's link could not be made"
            );
            let text = t.occurrence_failed(topic, &when, &reason);
            match post(bot, ctx, taker, &mut s, text, None).await? {
                Some(Posted::Done) => {}
                _ => return Ok(()),
            }
            return next_occurrence(ctx, taker, &s, rule, tz, ctx.clock.unix()).await;
        }
    };
    let text = t.occurrence_ready(topic, &when, &conference.join_url);
    let mut markup = join(t, &conference.join_url).unwrap_or_default();
    markup
        .inline_keyboard
        .push(vec![calendar_button(t, s.id, s.plan.start_at)]);
    // The link is kept first: a retry of this step must not make a second one.
    let link = Some((conference.id.clone(), conference.join_url.clone()));
    let advance = Next::Start.at(s.plan.start_at, s.plan.start_at, link);
    if !ctx
        .db
        .advance_schedule(s.id, taker, s.lease_until, &advance)
        .await?
    {
        // Cancelled meanwhile (or taken over): nothing more to say.
        return Ok(());
    }
    // Lost, it still comes with the "starting now" reminder.
    match outcome(
        send_here(bot, chat, text, Some(markup)).await,
        s.plan.chat_id,
    ) {
        Posted::Gone => {
            // The advance gave the lease up: the row ends however it is held.
            ctx.db.cancel_schedule(s.plan.chat_id, s.id).await?;
        }
        Posted::Done | Posted::Retry => {}
    }
    Ok(())
}

/// Creates an occurrence's meeting as its creator would with /meet now: with the chat's token
/// (or theirs), if they may still create meetings there.
pub(super) async fn make_link(
    bot: &TgBot,
    ctx: &Ctx,
    chat: ChatId,
    user: &teloxide::types::User,
    request: &CreateConference,
    topic: Option<&str>,
    t: &'static dyn Texts,
) -> Result<Result<crate::telemost::model::Conference, NoLink>, StorageError> {
    let settings = ctx.db.settings(chat.0).await?;
    let may_create = crate::bot::perm::may_create(bot, chat, user, &settings).await;
    match asked_telegram(may_create, t, "who may create meetings")? {
        Ok(true) => {}
        Ok(false) => return Ok(Err(NoLink::NotAllowed)),
        Err(no) => return Ok(Err(no)),
    }
    // With the chat's token, or the creator's own while they are in the chat (Telegram's word
    // now, not when the series was set up).
    let acting = ctx.token_for(bot, chat, user).await;
    let (owner, token) = match asked_telegram(acting, t, "whether the creator is in the chat")? {
        Ok(Acting::Token { owner, token }) => (owner, token),
        Ok(Acting::NoToken) => {
            return Ok(Err(NoLink::Failed(t.no_token(!chat.is_user()).to_owned())));
        }
        Ok(Acting::MemberGone { .. }) => return Ok(Err(NoLink::MemberGone)),
        Err(no) => return Ok(Err(no)),
    };
    Ok(match ctx.create_meeting(owner, &token, request).await? {
        Ok(conference) => {
            ctx.record_meeting(chat, user, owner, request, &conference, topic)
                .await;
            Ok(conference)
        }
        Err(e @ crate::telemost::TelemostError::Unavailable(_)) => {
            Err(NoLink::Transient(t.telemost_error(&e)))
        }
        Err(e) => Err(NoLink::Failed(t.telemost_error(&e))),
    })
}

/// What a check that asked Telegram (`what` it asked) means for a link: the database failing
/// fails the step (its lease runs out and it is taken again); Telegram failing to say is a
/// reason tried again later, with nothing asked of Telemost meanwhile.
fn asked_telegram<T>(
    checked: Result<T, crate::bot::core::HandlerError>,
    t: &dyn Texts,
    what: &str,
) -> Result<Result<T, NoLink>, StorageError> {
    match checked {
        Ok(answer) => Ok(Ok(answer)),
        Err(crate::bot::core::HandlerError::Storage(e)) => Err(e),
        Err(crate::bot::core::HandlerError::Telegram(e)) => {
            tracing::warn!(error = %crate::bot::core::redacted(&e), "could not ask Telegram {what}");
            Ok(Err(NoLink::Transient(t.internal_error().to_owned())))
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
    let after = Timestamp::from_second(s.plan.start_at.max(now)).unwrap_or_default();
    let start = rule.next_after(after, tz).as_second();
    let remind = ctx.db.settings(s.plan.chat_id).await?.remind_before;
    let advance = Next::Prepare.at(start, schedule::prepare_at(start, remind).max(now), None);
    ctx.db
        .advance_schedule(s.id, taker, s.lease_until, &advance)
        .await?;
    Ok(())
}

/// A reminder's text, naming those who voted for its time when a vote chose it.
fn naming(t: &dyn Texts, text: String, mentions: Option<&str>) -> String {
    match mentions {
        Some(who) if !who.is_empty() => format!("{text}\n{}", t.vote_reminder_names(who)),
        _ => text,
    }
}

/// A Join button for `url`.
fn join(t: &dyn Texts, url: &str) -> Option<InlineKeyboardMarkup> {
    let url = reqwest::Url::parse(url).ok()?;
    Some(InlineKeyboardMarkup::new(vec![vec![
        InlineKeyboardButton::url(t.button_join(), url),
    ]]))
}
