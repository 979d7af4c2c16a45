//! The planner Mini App's server side: the page (`web/page.html`, its words from
//! `speak::texts::page`) and the JSON API it calls, served under `WEBAPP_URL`'s path on the
//! webhook's listener or `METRICS_LISTEN`.
//!
//! ```text
//! GET  /app/              the page
//! POST /app/api/context   the chat's zone, remembered cohosts, limits and defaults
//! POST /app/api/meetings  plan one: now, for later, or every chosen weekday (posted to the chat)
//! POST /app/api/week      the chat's meetings this week and the next, by day
//! POST /app/api/cancel    cancel one of them
//! ```
//!
//! Every call carries Telegram's signed `initData` (`Authorization: tma <initData>`), checked
//! by `web::init_data` before anything else is read: the user is the one Telegram signed,
//! whatever the page says. The chat is where it was opened: the user's private chat, or the
//! group its start parameter names (signed too). At every call the user must be in that chat
//! now (`perm::is_member`), and to create, allowed to by the chat's settings; meetings are made
//! by the same service as `/meet` (`Ctx::token_for`, `Ctx::create_meeting`, `schedule`), and
//! the chat sees the same message. No token ever reaches the page, and refusals are the chat's
//! own explanations, as plain text in the user's language.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, User};

use super::core::{Ctx, TgBot, chat_of_start_param, lang_of};
use super::meetings::Acting;
use super::perm;
use super::schedule;
use super::speak::texts::{self, Lang, Texts, plain};
use super::state::{Planned, SUGGESTED_COHOSTS};
use super::topic::{TOPIC_MAX_CHARS, Topic};
use crate::schedule::{MAX_AHEAD, MAX_DURATION, Rule, Weekdays, When, WhenError};
use crate::storage::ChatSettings;
use crate::telemost::TelemostError;
use crate::telemost::model::{
    Cohosts, CreateConference, Description, Email, InvalidInput, LiveStream, StreamAccess, Title,
    WaitingRoomLevel, limits,
};
use crate::web::init_data::{self, WebUser};

/// Calls one user may make a minute, of any kind (a page makes two or three when opened).
const CALLS_PER_MINUTE: u32 = 60;
/// Meetings one user may plan in ten minutes.
const CREATES_PER_WINDOW: u32 = 20;
const CREATES_WINDOW_SECS: i64 = 600;
/// The largest request body read: a form is a few hundred bytes.
const MAX_BODY: usize = 16 * 1024;
/// Days the week view covers: this week and the next, from Monday.
const WEEK_VIEW_DAYS: i64 = 14;

/// The page, with its words for every language in place of `__TEXTS__`, and the
/// Content-Security-Policy it is served with: its own inline scripts (named by their SHA-256,
/// so that nothing injected could run), Telegram's script, its own API, and nothing else.
fn page() -> (String, String) {
    use base64::Engine;
    // In a <script> element, "</" would end it early.
    let words = texts::page::json().replace("</", "<\\/");
    let html = include_str!("../web/page.html").replacen("__TEXTS__", &words, 1);
    let hashes: Vec<String> = html
        .split("<script>")
        .skip(1)
        .filter_map(|rest| rest.split("</script>").next())
        .map(|script| {
            let digest = ring::digest::digest(&ring::digest::SHA256, script.as_bytes());
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    let csp = format!(
        "default-src 'none'; script-src {} https://telegram.org; style-src 'unsafe-inline'; \
         connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'",
        hashes.join(" ")
    );
    (html, csp)
}

#[derive(Clone)]
struct Planner {
    ctx: Arc<Ctx>,
    bot: TgBot,
    /// Checks `initData` with the key derived from the bot's token (once, at start).
    verifier: Arc<init_data::Verifier>,
    page: Arc<str>,
    csp: HeaderValue,
}

/// The page and its API under `path` (`/app/`).
pub fn router(ctx: Arc<Ctx>, bot: TgBot, bot_token: SecretString, path: &str) -> Router {
    let (page, csp) = page();
    let planner = Planner {
        ctx,
        bot,
        verifier: Arc::new(init_data::Verifier::for_bot(&bot_token)),
        page: page.into(),
        csp: HeaderValue::from_str(&csp).unwrap_or(HeaderValue::from_static("default-src 'none'")),
    };
    Router::new()
        .route(path, get(serve_page))
        .route(&format!("{path}api/context"), post(context))
        .route(&format!("{path}api/meetings"), post(create))
        .route(&format!("{path}api/week"), post(week))
        .route(&format!("{path}api/cancel"), post(cancel))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(planner)
}

async fn serve_page(State(p): State<Planner>) -> Response {
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::CONTENT_SECURITY_POLICY, p.csp.clone()),
    ];
    (headers, p.page.to_string()).into_response()
}

/// Why a call was refused: its status, and what the user is told (plain text, in their
/// language), with the form's field at fault if one is.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    text: String,
    field: Option<&'static str>,
}

impl Refusal {
    fn new(status: StatusCode, text: impl AsRef<str>) -> Self {
        Self {
            status,
            text: plain(text.as_ref()),
            field: None,
        }
    }

    fn at(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    fn invalid(text: impl AsRef<str>, field: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, text).at(field)
    }

    /// `initData` missing, forged or too old: the page asks to be opened from Telegram again
    /// (it cannot know the user's language, so the words are the page's).
    fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized")
    }

    /// The database or Telegram failed: logged, and the user told to try again.
    fn internal(t: &dyn Texts, error: &dyn std::fmt::Display) -> Self {
        tracing::error!(%error, "the planner could not answer");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, t.internal_error())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = match self.field {
            Some(field) => json!({"error": self.text, "field": field}),
            None => json!({"error": self.text}),
        };
        answer(self.status, body)
    }
}

fn answer(status: StatusCode, body: Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn ok(body: Value) -> Response {
    answer(StatusCode::OK, body)
}

/// Who is calling, in which chat: checked at every call.
struct Caller {
    user: User,
    t: &'static dyn Texts,
    chat: ChatId,
}

impl Caller {
    fn id(&self) -> i64 {
        i64::try_from(self.user.id.0).unwrap_or(i64::MAX)
    }
}

/// The user Telegram signed, as the meeting service takes one.
fn user_of(u: &WebUser) -> Option<User> {
    serde_json::from_value(json!({
        "id": u.id, "is_bot": false, "first_name": u.first_name, "last_name": u.last_name,
        "username": u.username, "language_code": u.language_code,
    }))
    .ok()
}

/// What a call is, for the user's limits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Call {
    /// Reads, or cancels.
    Other,
    /// Plans a meeting: counted against the creations' limit too.
    Create,
}

/// The caller: `initData` checked, the call counted against the user's limits, the chat read
/// from where the page was opened, and the user in it now.
async fn caller(p: &Planner, headers: &HeaderMap, call: Call) -> Result<Caller, Refusal> {
    let raw = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("tma "))
        .ok_or_else(Refusal::unauthorized)?;
    let now = p.ctx.clock.unix();
    let data = p
        .verifier
        .verify(raw.trim(), now, init_data::MAX_AGE_SECS)
        .map_err(|e| {
            tracing::info!(reason = %e, "planner call refused");
            Refusal::unauthorized()
        })?;
    let user = user_of(&data.user).ok_or_else(Refusal::unauthorized)?;
    let t = lang_of(Some(&user));
    let caller = Caller {
        chat: ChatId(0),
        t,
        user,
    };
    // Both limits in one write when creating.
    let mut kinds = vec![("call", now - now.rem_euclid(60))];
    if call == Call::Create {
        kinds.push(("create", now - now.rem_euclid(CREATES_WINDOW_SECS)));
    }
    let counted = p
        .ctx
        .db
        .count_web_calls(caller.id(), &kinds)
        .await
        .map_err(|e| Refusal::internal(t, &e))?;
    let limits = [CALLS_PER_MINUTE, CREATES_PER_WINDOW];
    if counted.iter().zip(limits).any(|(n, limit)| *n > limit) {
        return Err(Refusal::new(
            StatusCode::TOO_MANY_REQUESTS,
            t.planner_busy(),
        ));
    }
    let chat = match data.start_param.as_deref() {
        None => ChatId(caller.id()),
        Some(param) => chat_of_start_param(param)
            .ok_or_else(|| Refusal::new(StatusCode::BAD_REQUEST, t.planner_bad_link()))?,
    };
    let member = match perm::is_member(&p.bot, &p.ctx, chat, caller.user.id).await {
        Ok(member) => member,
        // Telegram will not say (the bot is not in that chat, or it does not exist).
        Err(e) => {
            tracing::info!(chat_id = chat.0, error = %e, "planner: membership unknown");
            false
        }
    };
    if !member {
        return Err(Refusal::new(StatusCode::FORBIDDEN, t.planner_not_member()));
    }
    Ok(Caller { chat, ..caller })
}

/// The chat's settings and time zone.
async fn chat_settings(p: &Planner, c: &Caller) -> Result<(ChatSettings, TimeZone), Refusal> {
    let settings = p
        .ctx
        .db
        .settings(c.chat.0)
        .await
        .map_err(|e| Refusal::internal(c.t, &e))?;
    let tz = schedule::zone(&p.ctx, &settings);
    Ok((settings, tz))
}

fn clock_time(at: Timestamp, tz: &TimeZone) -> String {
    let dt = tz.to_datetime(at);
    format!("{:02}:{:02}", dt.hour(), dt.minute())
}

/// `api/context`: what the page needs to draw the form for this chat.
async fn context(State(p): State<Planner>, headers: HeaderMap) -> Result<Response, Refusal> {
    let c = caller(&p, &headers, Call::Other).await?;
    let (settings, tz) = chat_settings(&p, &c).await?;
    let cohosts: Vec<String> = p
        .ctx
        .db
        .recent_cohosts(c.chat.0, SUGGESTED_COHOSTS)
        .await
        .map_err(|e| Refusal::internal(c.t, &e))?
        .into_iter()
        .map(|(_, email)| email)
        .collect();
    let now = p.ctx.clock.now();
    let lang = Lang::from_code(c.user.language_code.as_deref());
    // A group's name, for "posted in …"; the page does without when Telegram will not say.
    let title = match c.chat.is_user() {
        true => None,
        false => match p.bot.bot().get_chat(c.chat).await {
            Ok(chat) => chat.title().map(str::to_owned),
            Err(e) => {
                tracing::debug!(error = %super::core::redacted(&e), "planner: no chat title");
                None
            }
        },
    };
    Ok(ok(json!({
        "lang": lang.code(),
        "chat": {"private": c.chat.is_user(), "title": title},
        "zone": schedule::zone_name(&tz),
        "today": tz.to_datetime(now).date().to_string(),
        "now": clock_time(now, &tz),
        "cohosts": cohosts,
        "limits": {
            "topic": TOPIC_MAX_CHARS,
            "title": limits::TITLE_MAX_CHARS,
            "description": limits::DESCRIPTION_MAX_CHARS,
            "cohosts": limits::COHOSTS_MAX,
        },
        "defaults": {
            "waiting_room": settings.waiting_room,
            "stream_access": settings.stream_access,
        },
    })))
}

/// The form as the page sends it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Form {
    topic: String,
    /// `now` or `later`.
    when: String,
    /// `YYYY-MM-DD` and `HH:MM`, in the chat's time zone.
    date: String,
    time: String,
    duration_minutes: Option<i64>,
    /// `mon`…`sun`; empty for once.
    repeat: Vec<String>,
    waiting_room: Option<String>,
    cohosts: Vec<String>,
    stream: Option<StreamForm>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StreamForm {
    title: String,
    description: String,
    access: Option<String>,
}

/// What a form asks for, read and checked: the request, its topic, and when (`None`: now).
#[derive(Debug)]
struct Plan {
    request: CreateConference,
    topic: Option<Topic>,
    planned: Option<Planned>,
}

fn weekday(name: &str) -> Option<Weekday> {
    Some(match name {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    })
}

/// `HH:MM` (or `HH:MM:SS`, which some pickers send).
fn time_of_day(s: &str) -> Option<Time> {
    let mut parts = s.trim().split(':');
    let hour = parts.next()?.parse().ok()?;
    let minute = parts.next()?.parse().ok()?;
    let second: i8 = parts.next().map_or(Some(0), |s| s.parse().ok())?;
    if parts.next().is_some() || second != 0 {
        return None;
    }
    Time::new(hour, minute, 0, 0).ok()
}

/// When the form says, in `tz` as of `now`: the same checks and explanations as a typed time.
fn read_when(
    form: &Form,
    t: &dyn Texts,
    tz: &TimeZone,
    now: Timestamp,
) -> Result<Option<Planned>, Refusal> {
    match form.when.as_str() {
        "now" => return Ok(None),
        "later" => {}
        _ => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                t.planner_bad_request(),
            ));
        }
    }
    let refuse = |e: WhenError, field| Refusal::invalid(t.when_unreadable(&e), field);
    let date: Date = form
        .date
        .trim()
        .parse()
        .map_err(|_| refuse(WhenError::BadDate(form.date.clone()), "date"))?;
    let time = time_of_day(&form.time)
        .ok_or_else(|| refuse(WhenError::BadTime(form.time.clone()), "time"))?;
    let minutes = form.duration_minutes.unwrap_or(60);
    let duration = SignedDuration::from_mins(minutes);
    if minutes < 1 || duration > MAX_DURATION {
        let shown = format!("{minutes} min");
        return Err(refuse(WhenError::BadDuration(shown), "duration"));
    }
    let mut days = Vec::new();
    for name in &form.repeat {
        let day =
            weekday(name).ok_or_else(|| Refusal::invalid(t.planner_bad_weekday(), "repeat"))?;
        days.push(day);
    }
    let (start, repeat) = if days.is_empty() {
        match crate::schedule::on_date(date, time, now, tz) {
            Ok(When::Once { start }) => (start, None),
            Ok(When::Every(_)) => unreachable!("a date is one day"),
            Err(e) => return Err(refuse(e, "date")),
        }
    } else {
        // The first chosen weekday on or after the date picked (and after now).
        let rule = Rule {
            days: Weekdays::from_days(days),
            at: time,
        };
        let day_before = tz
            .to_ambiguous_timestamp(date.to_datetime(Time::midnight()))
            .compatible()
            .map_err(|_| refuse(WhenError::TooFarAhead, "date"))?
            - SignedDuration::from_secs(1);
        let start = rule.next_after(day_before.max(now), tz);
        if now.duration_until(start) > MAX_AHEAD {
            return Err(refuse(WhenError::TooFarAhead, "date"));
        }
        (start, Some(rule.to_db()))
    };
    Ok(Some(Planned {
        start: start.as_second(),
        duration_secs: duration.as_secs(),
        repeat,
        zone: schedule::zone_name(tz),
    }))
}

/// The form read and checked, as `/meet` and `/stream` check what is typed.
fn read_form(
    form: &Form,
    t: &dyn Texts,
    tz: &TimeZone,
    now: Timestamp,
    settings: &ChatSettings,
) -> Result<Plan, Refusal> {
    let bad = || Refusal::new(StatusCode::BAD_REQUEST, t.planner_bad_request());
    let topic = Topic::parse(&form.topic)
        .map_err(|e| Refusal::invalid(t.topic_too_long(e.chars), "topic"))?;
    let planned = read_when(form, t, tz, now)?;
    let waiting_room = match &form.waiting_room {
        None => WaitingRoomLevel::parse(&settings.waiting_room).unwrap_or_default(),
        Some(level) => WaitingRoomLevel::parse(level).ok_or_else(bad)?,
    };
    let mut emails: Vec<Email> = Vec::new();
    let mut wrong = Vec::new();
    for raw in form.cohosts.iter().filter(|c| !c.trim().is_empty()) {
        match Email::parse(raw) {
            Some(e)
                if emails
                    .iter()
                    .any(|have| have.as_str().eq_ignore_ascii_case(e.as_str())) => {}
            Some(e) => emails.push(e),
            None => wrong.push(raw.trim().to_owned()),
        }
    }
    let refuse = |e: InvalidInput, field| Refusal::invalid(t.invalid_input(&e), field);
    if !wrong.is_empty() {
        return Err(refuse(InvalidInput::BadEmails(wrong), "cohosts"));
    }
    let cohosts = match emails.len() {
        0 => None,
        _ => Some(Cohosts::try_from(emails).map_err(|e| refuse(e, "cohosts"))?),
    };
    let live_stream = match &form.stream {
        None => None,
        Some(s) => {
            if planned.is_some() {
                return Err(Refusal::invalid(t.planner_stream_now(), "date"));
            }
            let access = match &s.access {
                None => StreamAccess::parse(&settings.stream_access).unwrap_or_default(),
                Some(a) => StreamAccess::parse(a).ok_or_else(bad)?,
            };
            Some(LiveStream {
                access_level: access,
                title: Title::parse(&s.title).map_err(|e| refuse(e, "title"))?,
                description: Description::parse(&s.description)
                    .map_err(|e| refuse(e, "description"))?,
            })
        }
    };
    let mut request = CreateConference::new(waiting_room, cohosts.as_ref(), live_stream);
    if settings.auto_summary {
        request.is_auto_summarization_enabled = Some(true);
    }
    Ok(Plan {
        request,
        topic,
        planned,
    })
}

/// Posts `text` to the chat, as `/meet` would have. The meeting exists whether or not this
/// works (the bot was removed, the user blocked it): the page shows the link either way.
async fn tell_chat(
    p: &Planner,
    chat: ChatId,
    text: String,
    markup: Option<teloxide::types::InlineKeyboardMarkup>,
) {
    if let Err(e) = p.bot.send(chat, text, markup).await {
        tracing::warn!(chat_id = chat.0, error = %super::core::redacted(&e), "planner: could not post to the chat");
    }
}

/// `api/meetings`: plans a meeting (now, later, or every chosen weekday) and posts it to the
/// chat.
async fn create(
    State(p): State<Planner>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let c = caller(&p, &headers, Call::Create).await?;
    let t = c.t;
    let form: Form = serde_json::from_slice(&body)
        .map_err(|_| Refusal::new(StatusCode::BAD_REQUEST, t.planner_bad_request()))?;
    let (settings, tz) = chat_settings(&p, &c).await?;
    let Plan {
        request,
        topic,
        planned,
    } = read_form(&form, t, &tz, p.ctx.clock.now(), &settings)?;
    let (bot, ctx, chat) = (&p.bot, &*p.ctx, c.chat);
    let internal = |e: &dyn std::fmt::Display| Refusal::internal(t, e);
    if !perm::may_create(bot, chat, &c.user, &settings)
        .await
        .map_err(|e| internal(&e))?
    {
        return Err(Refusal::new(StatusCode::FORBIDDEN, t.admins_only()));
    }
    if planned.is_some()
        && !schedule::has_room(ctx, chat)
            .await
            .map_err(|e| internal(&e))?
    {
        let text = t.too_many_scheduled(schedule::MAX_PER_CHAT);
        return Err(Refusal::new(StatusCode::CONFLICT, text));
    }
    let (owner, token) = match ctx
        .token_for(bot, chat, &c.user)
        .await
        .map_err(|e| internal(&e))?
    {
        Acting::Token { owner, token } => (owner, token),
        Acting::NoToken => {
            return Err(Refusal::new(
                StatusCode::CONFLICT,
                t.no_token(!chat.is_user()),
            ));
        }
        Acting::MemberGone { .. } => {
            return Err(Refusal::new(StatusCode::FORBIDDEN, t.member_gone(None)));
        }
    };
    let topic = topic.as_ref().map(Topic::as_str);
    if let Some(planned) = planned.as_ref().filter(|p| p.repeat.is_some()) {
        let series = schedule::announce_series(ctx, chat, &c.user, t, &request, topic, planned)
            .await
            .map_err(|e| internal(&e))?;
        let Some(text) = series else {
            let text = t.too_many_scheduled(schedule::MAX_PER_CHAT);
            return Err(Refusal::new(StatusCode::CONFLICT, text));
        };
        let message = plain(&text);
        tell_chat(&p, chat, text, None).await;
        return Ok(ok(
            json!({"link": null, "watch_link": null, "message": message}),
        ));
    }
    let created = ctx
        .create_meeting(owner, &token, &request)
        .await
        .map_err(|e| internal(&e))?;
    let conference = match created {
        Ok(conference) => conference,
        Err(e) => {
            tracing::warn!(chat_id = chat.0, error = %e, "Telemost refused to create (planner)");
            let refusal = match &e {
                TelemostError::UnknownCohosts { .. } => {
                    Refusal::invalid(t.telemost_error(&e), "cohosts")
                }
                _ => Refusal::new(StatusCode::BAD_GATEWAY, t.telemost_error(&e)),
            };
            return Err(refusal);
        }
    };
    let (text, keyboard) = schedule::announce(
        ctx,
        chat,
        &c.user,
        t,
        &request,
        &conference,
        topic,
        planned.as_ref(),
        None,
    )
    .await;
    let message = plain(&text);
    // The chat's message and our record of the meeting, together: neither needs the other.
    let (_, recorded) = tokio::join!(
        tell_chat(&p, chat, text, Some(keyboard)),
        ctx.record_meeting(chat, &c.user, owner, &request, &conference, topic)
    );
    if !recorded {
        tell_chat(&p, chat, t.record_failed().to_owned(), None).await;
    }
    Ok(ok(json!({
        "link": conference.join_url,
        "watch_link": conference.watch_url(),
        "message": message,
    })))
}

/// Whether the caller may cancel what `created_by` scheduled: in a private chat, always; in a
/// group, whoever scheduled it, or an admin (asked once per call, `admin`).
async fn may_cancel(p: &Planner, c: &Caller, created_by: i64, admin: &mut Option<bool>) -> bool {
    if c.chat.is_user() || created_by == c.id() {
        return true;
    }
    if admin.is_none() {
        let is = perm::is_admin(&p.bot, c.chat, c.user.id).await;
        *admin = Some(is.unwrap_or_else(|e| {
            tracing::info!(error = %e, "planner: could not ask who administers the chat");
            false
        }));
    }
    admin.unwrap_or(false)
}

/// `api/week`: the chat's meetings for later and recurring ones, this week and the next, laid
/// out by day in the chat's time zone (a recurring one on each day it occurs).
async fn week(State(p): State<Planner>, headers: HeaderMap) -> Result<Response, Refusal> {
    let c = caller(&p, &headers, Call::Other).await?;
    let (_, tz) = chat_settings(&p, &c).await?;
    let now = p.ctx.clock.now();
    let today = tz.to_datetime(now).date();
    let monday = today
        .checked_sub(SignedDuration::from_hours(
            24 * i64::from(today.weekday().to_monday_zero_offset()),
        ))
        .unwrap_or(today);
    let days: Vec<Date> = (0..WEEK_VIEW_DAYS)
        .filter_map(|n| monday.checked_add(SignedDuration::from_hours(24 * n)).ok())
        .collect();
    let midnight = |d: Date| {
        tz.to_ambiguous_timestamp(d.to_datetime(Time::midnight()))
            .compatible()
            .ok()
    };
    let (Some(from), Some(to)) = (
        days.first().copied().and_then(midnight),
        days.last()
            .and_then(|d| d.tomorrow().ok())
            .and_then(midnight),
    ) else {
        return Err(Refusal::internal(c.t, &"the week has no days"));
    };
    let list = p
        .ctx
        .db
        .schedules_of(c.chat.0)
        .await
        .map_err(|e| Refusal::internal(c.t, &e))?;
    let mut admin = None;
    let mut items: Vec<(Timestamp, Value)> = Vec::new();
    for s in &list {
        let plan = &s.plan;
        let length = SignedDuration::from_secs(plan.duration_secs);
        // What has ended is not shown; what is under way is.
        let since = from.max(now - length);
        let starts: Vec<Timestamp> = match plan.repeat.as_deref().and_then(Rule::from_db) {
            Some(rule) => {
                let zone = TimeZone::get(&plan.zone).unwrap_or_else(|_| tz.clone());
                let mut at = rule.next_after(since - SignedDuration::from_secs(1), &zone);
                let mut starts = Vec::new();
                while at < to && starts.len() < 2 * WEEK_VIEW_DAYS as usize {
                    starts.push(at);
                    at = rule.next_after(at, &zone);
                }
                starts
            }
            None => Timestamp::from_second(plan.start_at)
                .ok()
                .filter(|at| (since..to).contains(at))
                .into_iter()
                .collect(),
        };
        if starts.is_empty() {
            continue;
        }
        let can_cancel = may_cancel(&p, &c, plan.created_by, &mut admin).await;
        for start in starts {
            // A recurring meeting's link is made shortly before each occurrence: only the
            // next one's may be known.
            let link = (start.as_second() == plan.start_at)
                .then(|| plan.join_url.clone())
                .flatten();
            items.push((
                start,
                json!({
                    "id": s.id,
                    "date": tz.to_datetime(start).date().to_string(),
                    "time": clock_time(start, &tz),
                    "end": clock_time(start + length, &tz),
                    "topic": plan.topic,
                    "link": link,
                    "recurring": plan.repeat.is_some(),
                    "can_cancel": can_cancel,
                }),
            ));
        }
    }
    items.sort_by_key(|(start, _)| *start);
    let days: Vec<Value> = days
        .into_iter()
        .map(|date| {
            let key = date.to_string();
            let on_day: Vec<&Value> = items
                .iter()
                .map(|(_, item)| item)
                .filter(|item| item["date"] == key.as_str())
                .collect();
            json!({
                "date": key,
                "label": c.t.date(date, false),
                "today": date == today,
                "items": on_day,
            })
        })
        .collect();
    Ok(ok(json!({"zone": schedule::zone_name(&tz), "days": days})))
}

#[derive(Deserialize)]
struct CancelForm {
    id: i64,
}

/// `api/cancel`: cancels a meeting for later (a recurring one's whole series), looked up in the
/// caller's chat: by whoever scheduled it, or in a group an admin.
async fn cancel(
    State(p): State<Planner>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let c = caller(&p, &headers, Call::Other).await?;
    let t = c.t;
    let form: CancelForm = serde_json::from_slice(&body)
        .map_err(|_| Refusal::new(StatusCode::BAD_REQUEST, t.planner_bad_request()))?;
    let db = &p.ctx.db;
    let gone = || Refusal::new(StatusCode::NOT_FOUND, t.schedule_gone());
    let s = db
        .schedule(c.chat.0, form.id)
        .await
        .map_err(|e| Refusal::internal(t, &e))?
        .ok_or_else(gone)?;
    if !may_cancel(&p, &c, s.plan.created_by, &mut None).await {
        return Err(Refusal::new(StatusCode::FORBIDDEN, t.not_yours_to_cancel()));
    }
    if !db
        .cancel_schedule(c.chat.0, form.id)
        .await
        .map_err(|e| Refusal::internal(t, &e))?
    {
        return Err(gone());
    }
    tracing::info!(
        chat_id = c.chat.0,
        schedule = form.id,
        "scheduled meeting cancelled (planner)"
    );
    Ok(ok(json!({"message": plain(t.schedule_cancelled())})))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moscow() -> TimeZone {
        TimeZone::get("Europe/Moscow").unwrap()
    }

    /// Monday 7 December 2026, 09:41 in Moscow.
    fn now() -> Timestamp {
        "2026-12-07T06:41:00Z".parse().unwrap()
    }

    fn settings() -> ChatSettings {
        ChatSettings::default()
    }

    fn form(json: Value) -> Form {
        serde_json::from_value(json).unwrap()
    }

    fn read(json: Value) -> Result<Plan, Refusal> {
        read_form(&form(json), Lang::En.texts(), &moscow(), now(), &settings())
    }

    #[test]
    fn now_with_the_chats_defaults() {
        let plan = read(json!({"when": "now"})).unwrap();
        assert!(plan.planned.is_none());
        assert!(plan.topic.is_none());
        assert_eq!(plan.request.waiting_room_level, WaitingRoomLevel::Public);
        assert!(plan.request.cohosts.is_empty());
    }

    #[test]
    fn a_date_and_a_time_in_the_chats_zone() {
        let plan = read(json!({
            "when": "later", "date": "2026-12-08", "time": "15:00", "duration_minutes": 90,
            "topic": " Design review ", "waiting_room": "ADMINS",
            "cohosts": ["boris@example.org", "BORIS@example.org", " "],
        }))
        .unwrap();
        let planned = plan.planned.unwrap();
        let start: Timestamp = "2026-12-08T12:00:00Z".parse().unwrap();
        assert_eq!(planned.start, start.as_second(), "15:00 in Moscow");
        assert_eq!(planned.duration_secs, 90 * 60);
        assert_eq!(planned.repeat, None);
        assert_eq!(planned.zone, "Europe/Moscow");
        assert_eq!(plan.topic.unwrap().as_str(), "Design review");
        assert_eq!(plan.request.waiting_room_level, WaitingRoomLevel::Admins);
        assert_eq!(plan.request.cohosts.len(), 1, "the same address once");
    }

    #[test]
    fn weekdays_from_the_date_picked() {
        // From Thursday 10 December: Thursday itself is the first.
        let plan = read(json!({
            "when": "later", "date": "2026-12-10", "time": "10:00", "repeat": ["tue", "thu"],
        }))
        .unwrap();
        let planned = plan.planned.unwrap();
        let start: Timestamp = "2026-12-10T07:00:00Z".parse().unwrap();
        assert_eq!(planned.start, start.as_second());
        let rule = Rule::from_db(planned.repeat.as_deref().unwrap()).unwrap();
        assert!(rule.days.contains(Weekday::Tuesday) && rule.days.contains(Weekday::Thursday));
        assert!(!rule.days.contains(Weekday::Monday));
        // From today, at a time already past today: the next chosen day.
        let plan = read(json!({
            "when": "later", "date": "2026-12-07", "time": "09:00", "repeat": ["mon"],
        }))
        .unwrap();
        let next: Timestamp = "2026-12-14T06:00:00Z".parse().unwrap();
        assert_eq!(plan.planned.unwrap().start, next.as_second());
    }

    #[test]
    fn what_the_chat_would_refuse_the_page_is_told_in_the_same_words() {
        let t = Lang::En.texts();
        let cases = [
            (
                json!({"when": "later", "date": "2026-12-07", "time": "09:00"}),
                "date",
                plain(&t.when_unreadable(&WhenError::Past)),
            ),
            (
                json!({"when": "later", "date": "2026-02-30", "time": "09:00"}),
                "date",
                plain(&t.when_unreadable(&WhenError::BadDate("2026-02-30".into()))),
            ),
            (
                json!({"when": "later", "date": "2026-12-08", "time": "25:00"}),
                "time",
                plain(&t.when_unreadable(&WhenError::BadTime("25:00".into()))),
            ),
            (
                json!({"when": "later", "date": "2026-12-08", "time": "10:00", "duration_minutes": 0}),
                "duration",
                plain(&t.when_unreadable(&WhenError::BadDuration("0 min".into()))),
            ),
            (
                json!({"when": "later", "date": "2026-12-08", "time": "10:00", "repeat": ["someday"]}),
                "repeat",
                t.planner_bad_weekday().to_owned(),
            ),
            (
                json!({"when": "now", "topic": "x".repeat(TOPIC_MAX_CHARS + 1)}),
                "topic",
                plain(&t.topic_too_long(TOPIC_MAX_CHARS + 1)),
            ),
            (
                json!({"when": "now", "cohosts": ["anna@example.org", "not an address"]}),
                "cohosts",
                plain(&t.invalid_input(&InvalidInput::BadEmails(vec!["not an address".into()]))),
            ),
            (
                json!({"when": "now", "stream": {"title": "t".repeat(limits::TITLE_MAX_CHARS + 1)}}),
                "title",
                plain(&t.invalid_input(&InvalidInput::TitleTooLong {
                    chars: limits::TITLE_MAX_CHARS + 1,
                })),
            ),
            (
                json!({"when": "now", "stream": {"title": "  "}}),
                "title",
                plain(&t.invalid_input(&InvalidInput::EmptyTitle)),
            ),
            (
                json!({"when": "later", "date": "2026-12-08", "time": "10:00", "stream": {"title": "Town hall"}}),
                "date",
                t.planner_stream_now().to_owned(),
            ),
        ];
        for (json, field, text) in cases {
            let refused = read(json.clone()).unwrap_err();
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{json}");
            assert_eq!(refused.field, Some(field), "{json}");
            assert_eq!(refused.text, text, "{json}");
            assert!(!refused.text.contains('<'), "plain text: {}", refused.text);
        }
        for garbage in [
            json!({"when": "soon"}),
            json!({"when": "now", "waiting_room": "EVERYONE"}),
            json!({"when": "now", "stream": {"title": "x", "access": "SECRET"}}),
        ] {
            let refused = read(garbage.clone()).unwrap_err();
            assert_eq!(refused.text, t.planner_bad_request(), "{garbage}");
        }
    }

    #[test]
    fn a_stream_now_with_its_title_and_who_may_watch() {
        let plan = read(json!({
            "when": "now",
            "stream": {"title": " Town hall ", "description": "", "access": "ORGANIZATION"},
        }))
        .unwrap();
        let stream = plan.request.live_stream.unwrap();
        assert_eq!(stream.title.as_str(), "Town hall");
        assert_eq!(stream.access_level, StreamAccess::Organization);
        assert!(stream.description.is_none());
    }

    #[test]
    fn times_of_day_as_pickers_send_them() {
        assert_eq!(time_of_day("15:00"), Time::new(15, 0, 0, 0).ok());
        assert_eq!(time_of_day("09:05:00"), Time::new(9, 5, 0, 0).ok());
        for bad in [
            "", "15", "15:", "24:00", "12:60", "12:00:30", "1:2:3:4", "ab:cd",
        ] {
            assert_eq!(time_of_day(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_page_carries_every_languages_words_and_may_run_only_its_own_script() {
        let (page, csp) = page();
        assert!(!page.contains("__TEXTS__"));
        assert!(page.contains(r#""ru":"#) && page.contains(r#""en":"#));
        // One inline script, allowed by its hash; no 'unsafe-inline' for scripts.
        let scripts = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert_eq!(scripts.matches("'sha256-").count(), 1, "{csp}");
        assert!(!scripts.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("connect-src 'self'"), "{csp}");
    }
}
