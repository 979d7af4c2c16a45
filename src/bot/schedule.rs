//! Scheduled meetings (meetings for later), as the features share them: a chat's time zone,
//! reading a typed time in it, the steps a scheduled meeting goes through, and its row in the
//! database. `dialogue` schedules, `upcoming` lists, cancels and hands out calendar files, the
//! job `jobs::schedules` posts. (`crate::schedule` reads the times; `storage::schedules` keeps them.)
//!
//! A scheduled meeting's life, one step at a time (the `step` stored with it, due at `next_at`):
//!
//! ```text
//! one time:   [remind: N min before] → start: "starting now" → gone
//! recurring:  prepare: a fresh link, N (at least 5) min before → start: "starting now"
//!             → prepare the next occurrence … until cancelled
//! ```

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use teloxide::types::{ChatId, ThreadId, User};

use teloxide::types::InlineKeyboardMarkup;

use super::core::Ctx;
use super::speak::panel::{WhenWords, calendar_button, created_text, result_keyboard};
use super::speak::texts::{Lang, Texts};
use super::state::Planned;
use crate::schedule::{self, When, WhenError};
use crate::storage::{Advance, ChatSettings, NewSchedule};
use crate::telemost::model::{Conference, CreateConference};

/// How many scheduled meetings a chat may have at once.
pub const MAX_PER_CHAT: u32 = 50;
/// How long before a recurring meeting its link is made and posted, at least (the chat's
/// reminder lead, if longer, moves it earlier).
pub const LINK_AHEAD_MINUTES: u32 = 5;
/// A reminder posted later than this after its time is not posted as one: it is reported as
/// missed.
pub const LATE_LIMIT_SECS: i64 = 3600;
/// A reminder at most this late is on time (the worker's own delays).
pub const ON_TIME_SECS: i64 = 120;

/// What a scheduled meeting does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Remind the chat, the reminder lead before the start.
    Remind,
    /// Say it is starting.
    Start,
    /// Make and post a recurring meeting's link for its next occurrence.
    Prepare,
}

impl Next {
    /// A scheduled meeting's move to this step, due at `next_at`, for the occurrence starting
    /// at `start_at`, with its link (conference id, join URL) once made.
    pub fn at(self, start_at: i64, next_at: i64, link: Option<(String, String)>) -> Advance {
        let (conference_id, join_url) = link.unzip();
        Advance {
            start_at,
            next_at,
            step: self.as_str().to_owned(),
            conference_id,
            join_url,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Next::Remind => "remind",
            Next::Start => "start",
            Next::Prepare => "prepare",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "remind" => Some(Next::Remind),
            "start" => Some(Next::Start),
            "prepare" => Some(Next::Prepare),
            _ => None,
        }
    }
}

/// The chat's time zone: its own from /settings, else `DEFAULT_TIMEZONE`.
pub fn zone(ctx: &Ctx, settings: &ChatSettings) -> TimeZone {
    settings
        .timezone
        .as_deref()
        .and_then(|name| TimeZone::get(name).ok())
        .unwrap_or_else(|| ctx.default_zone.clone())
}

/// A zone's IANA name, as stored and shown.
pub fn zone_name(tz: &TimeZone) -> String {
    tz.iana_name().unwrap_or("UTC").to_owned()
}

/// Reads a time at the start of `text` (what followed /meet, or the answer to Later…) in the
/// chat's zone, as of now: the plan and the rest of the text (the topic). `Ok(None)`: the text
/// does not start with a time.
pub fn read<'a>(
    ctx: &Ctx,
    tz: &TimeZone,
    text: &'a str,
) -> Result<Option<(Planned, &'a str)>, WhenError> {
    let now = ctx.clock.now();
    let Some(read) = schedule::read(text, now, tz)? else {
        return Ok(None);
    };
    let (start, repeat) = match read.scheduled.when {
        When::Once { start } => (start, None),
        When::Every(rule) => (rule.next_after(now, tz), Some(rule.to_db())),
    };
    Ok(Some((
        Planned {
            start: start.as_second(),
            duration_secs: read.scheduled.duration.as_secs(),
            repeat,
            zone: zone_name(tz),
        },
        read.rest,
    )))
}

/// Whether a plan read earlier still lies ahead at `now`: a one-time meeting's start must; a
/// recurring meeting moves on to its next occurrence.
pub fn still_ahead(planned: &mut Planned, now: Timestamp) -> bool {
    if planned.start > now.as_second() {
        return true;
    }
    let rule = planned.repeat.as_deref().and_then(schedule::Rule::from_db);
    match (rule, TimeZone::get(&planned.zone)) {
        (Some(rule), Ok(tz)) => {
            planned.start = rule.next_after(now, &tz).as_second();
            true
        }
        _ => false,
    }
}

/// Who scheduled a meeting, as stored with it (opaque to the database): what the reminders are
/// worded in, and whose token a recurring meeting's links are made with in a group without one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Creator {
    pub name: String,
    #[serde(default)]
    pub lang: Option<String>,
}

impl Creator {
    pub fn of(user: &User) -> Self {
        Self {
            name: user.full_name(),
            lang: user.language_code.clone(),
        }
    }

    pub fn parse(stored: &str) -> Self {
        serde_json::from_str(stored).unwrap_or(Self {
            name: String::new(),
            lang: None,
        })
    }

    pub fn texts(&self) -> &'static dyn Texts {
        Lang::from_code(self.lang.as_deref()).texts()
    }

    /// The creator as a Telegram user with id `id` (what the meeting service takes).
    pub fn user(&self, id: i64) -> Option<User> {
        serde_json::from_value(serde_json::json!({
            "id": id, "is_bot": false, "first_name": self.name,
            "language_code": self.lang,
        }))
        .ok()
    }
}

/// A one-time meeting's first step: the reminder before it if the chat wants one and there is
/// still time, else the start.
pub fn first_step(start: i64, remind_minutes: u32, now: i64) -> (i64, Next) {
    let before = start - 60 * i64::from(remind_minutes);
    if remind_minutes > 0 && before > now {
        (before, Next::Remind)
    } else {
        (start, Next::Start)
    }
}

/// When a recurring meeting's occurrence starting at `start` gets its link.
pub fn prepare_at(start: i64, remind_minutes: u32) -> i64 {
    start - 60 * i64::from(remind_minutes.max(LINK_AHEAD_MINUTES))
}

/// The row for a meeting scheduled by `user` in `chat` (in forum topic `thread`). A one-time
/// meeting comes with its conference (made at once: Telemost's links do not expire); a
/// recurring one gets a conference per occurrence, made from `request`.
#[allow(clippy::too_many_arguments)]
pub fn new_schedule(
    chat: ChatId,
    thread: Option<ThreadId>,
    user: &User,
    topic: Option<&str>,
    request: &crate::telemost::model::CreateConference,
    planned: &Planned,
    conference: Option<(&str, &str)>,
    remind_minutes: u32,
    now: Timestamp,
) -> NewSchedule {
    let (next_at, step) = match planned.repeat {
        Some(_) => (
            prepare_at(planned.start, remind_minutes).max(now.as_second()),
            Next::Prepare,
        ),
        None => first_step(planned.start, remind_minutes, now.as_second()),
    };
    NewSchedule {
        chat_id: chat.0,
        thread_id: thread.map(|t| i64::from(t.0.0)),
        created_by: i64::try_from(user.id.0).unwrap_or(0),
        creator: serde_json::to_string(&Creator::of(user)).unwrap_or_default(),
        topic: topic.map(str::to_owned),
        request: serde_json::to_string(request).unwrap_or_default(),
        zone: planned.zone.clone(),
        repeat: planned.repeat.clone(),
        duration_secs: planned.duration_secs,
        start_at: planned.start,
        conference_id: conference.map(|(id, _)| id.to_owned()),
        join_url: conference.map(|(_, url)| url.to_owned()),
        next_at,
        step: step.as_str().to_owned(),
        mentions: None,
    }
}

/// A meeting kept for later: its id, and how many minutes ahead the chat will be reminded
/// (0 when only at the start: the chat chose so, or there was no time left for it).
pub struct Kept {
    pub id: i64,
    pub remind_ahead: u32,
}

/// Keeps the meeting `user` scheduled in `chat` (in the forum topic of the update being
/// handled), with the chat's reminder lead as it is now, its reminders naming `mentions` (HTML)
/// if given; `None` at the chat's limit.
#[allow(clippy::too_many_arguments)]
pub async fn keep(
    ctx: &Ctx,
    chat: ChatId,
    user: &User,
    topic: Option<&str>,
    request: &crate::telemost::model::CreateConference,
    planned: &Planned,
    conference: Option<(&str, &str)>,
    mentions: Option<String>,
) -> Result<Option<Kept>, crate::storage::StorageError> {
    let remind = ctx.db.settings(chat.0).await?.remind_before;
    let mut row = new_schedule(
        chat,
        super::speak::outbox::Outbox::current_topic(chat),
        user,
        topic,
        request,
        planned,
        conference,
        remind,
        ctx.clock.now(),
    );
    row.mentions = mentions;
    let Some(id) = ctx
        .db
        .add_schedule(&row, MAX_PER_CHAT, ctx.clock.unix())
        .await?
    else {
        return Ok(None);
    };
    ctx.schedules_due.notify_one();
    let remind_ahead = match Next::parse(&row.step) {
        Some(Next::Remind) => remind,
        Some(Next::Prepare) => remind.max(LINK_AHEAD_MINUTES),
        _ => 0,
    };
    Ok(Some(Kept { id, remind_ahead }))
}

/// What the chat is told of `conference`, just made for `request` by `user`: its links, and for
/// a meeting `planned` for later (kept first, with its reminders), when it is and Add to
/// calendar (its reminders naming `mentions`, HTML, if given). The meeting exists whatever
/// happens here: a failure to keep it is said below the
/// links, never instead of them.
#[allow(clippy::too_many_arguments)]
pub async fn announce(
    ctx: &Ctx,
    chat: ChatId,
    user: &User,
    t: &dyn Texts,
    request: &CreateConference,
    conference: &Conference,
    topic: Option<&str>,
    planned: Option<&Planned>,
    mentions: Option<String>,
) -> (String, InlineKeyboardMarkup) {
    let mut text = created_text(t, request, conference, topic);
    let mut keyboard = result_keyboard(t, conference, topic);
    let Some(planned) = planned else {
        return (text, keyboard);
    };
    let link = Some((conference.id.as_str(), conference.join_url.as_str()));
    match keep(ctx, chat, user, topic, request, planned, link, mentions).await {
        Ok(Some(kept)) => {
            let when = WhenWords::of(t, planned, ctx.clock.now());
            text = t.meeting_scheduled(
                topic,
                &when.span,
                &planned.zone,
                &conference.join_url,
                kept.remind_ahead,
            );
            let calendar = calendar_button(t, kept.id, planned.start);
            keyboard.inline_keyboard.insert(1, vec![calendar]);
        }
        Ok(None) => {
            text.push_str("\n\n");
            text.push_str(&t.too_many_scheduled(MAX_PER_CHAT));
        }
        Err(e) => {
            tracing::error!(chat_id = chat.0, error = %e, "could not keep a scheduled meeting");
            text.push_str("\n\n");
            text.push_str(t.internal_error());
        }
    }
    (text, keyboard)
}

/// Keeps a recurring meeting `planned` by `user` (each occurrence gets its own link before it,
/// from `jobs::schedules`) and says so: the message for the chat, or `None` at the chat's limit.
pub async fn announce_series(
    ctx: &Ctx,
    chat: ChatId,
    user: &User,
    t: &dyn Texts,
    request: &CreateConference,
    topic: Option<&str>,
    planned: &Planned,
) -> Result<Option<String>, crate::storage::StorageError> {
    let Some(kept) = keep(ctx, chat, user, topic, request, planned, None, None).await? else {
        return Ok(None);
    };
    let when = WhenWords::of(t, planned, ctx.clock.now());
    let repeats = when.repeats.as_deref().unwrap_or_default();
    Ok(Some(t.series_scheduled(
        topic,
        repeats,
        &planned.zone,
        &when.span,
        kept.remind_ahead,
    )))
}

/// Whether `chat` may schedule one more meeting.
pub async fn has_room(ctx: &Ctx, chat: ChatId) -> Result<bool, crate::storage::StorageError> {
    Ok(ctx.db.schedules_count(chat.0).await? < MAX_PER_CHAT)
}

/// The calendar file of a scheduled meeting's occurrence: its name and contents.
pub fn calendar_file(
    t: &dyn Texts,
    schedule: &crate::storage::Schedule,
    now: Timestamp,
) -> Option<(String, String)> {
    let url = schedule.plan.join_url.as_deref()?;
    let start = Timestamp::from_second(schedule.plan.start_at).ok()?;
    let end = Timestamp::from_second(schedule.plan.start_at + schedule.plan.duration_secs).ok()?;
    // Stable for the occurrence: adding it twice updates one event.
    let uid = format!(
        "{}-{}@telemost-bot",
        schedule.plan.conference_id.as_deref().unwrap_or("meeting"),
        schedule.plan.start_at
    );
    let event = schedule::Event {
        uid: &uid,
        start,
        end,
        stamp: now,
        summary: schedule.plan.topic.as_deref().unwrap_or(t.calendar_title()),
        url,
        description: None,
    };
    Some(("meeting.ics".to_owned(), schedule::calendar(&event)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reminder_comes_first_only_when_there_is_time_for_it() {
        let start = 10_000;
        assert_eq!(first_step(start, 10, 9_000), (9_400, Next::Remind));
        assert_eq!(first_step(start, 0, 9_000), (start, Next::Start));
        // Scheduled five minutes ahead with a ten-minute lead: straight to the start.
        assert_eq!(first_step(start, 10, 9_700), (start, Next::Start));
        assert_eq!(prepare_at(start, 0), start - 300);
        assert_eq!(prepare_at(start, 15), start - 900);
    }

    #[test]
    fn steps_round_trip_and_garbage_is_none() {
        for n in [Next::Remind, Next::Start, Next::Prepare] {
            assert_eq!(Next::parse(n.as_str()), Some(n));
        }
        assert_eq!(Next::parse("later"), None);
    }

    #[test]
    fn a_creator_stored_by_an_older_version_or_garbled_still_reads() {
        let c = Creator::parse("not json");
        assert!(c.name.is_empty());
        let c = Creator::parse(r#"{"name":"Анна","lang":"ru"}"#);
        assert_eq!(c.user(5).unwrap().id.0, 5);
        assert_eq!(c.texts().today(), "сегодня");
    }
}
