//! Scheduled meetings, once scheduled: `/upcoming` lists a chat's scheduled and recurring
//! meetings with a Cancel button each, and Add to calendar sends a meeting's `.ics` file.
//!
//! ```text
//! user: /upcoming
//! bot:  Scheduled meetings (Europe/Moscow)
//!       1. Design review: tomorrow, Tue 1 Dec, 15:00–16:00
//!       2. Standup: every weekday, 10:00–10:30; next tomorrow, Tue 1 Dec, 10:00–10:30
//!       [✖ Cancel 1] [✖ Cancel 2]
//! user: taps [✖ Cancel 2]            (in a group: whoever scheduled it, or an admin)
//! bot:  (same message, without it)   "Cancelled."
//! ```
//!
//! Both buttons name a scheduled meeting by id: it is looked up in the chat the button was
//! pressed in, so another chat's id finds nothing.

use std::fmt::Write;
use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::core::{Ctx, HandlerError, HandlerResult, TgBot, lang_of};
use super::schedule;
use super::speak::callback::{Callback, VoteAction};
use super::speak::outbox;
use super::speak::panel::WhenWords;
use super::speak::texts::{Texts, esc, esc_short};
use super::state::Planned;
use super::vote::{self, Ending};
use crate::storage::Schedule;

/// How many scheduled meetings `/upcoming` lists at most (the soonest). Fewer when their lines
/// would not fit one message whole (`outbox::whole`): a cut line's Cancel button would cancel a
/// meeting the user cannot see.
const LISTED: usize = 25;

/// `/upcoming`.
pub async fn show(bot: TgBot, msg: Message, ctx: Arc<Ctx>) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    let (text, keyboard) = listing(t, &ctx, msg.chat.id).await?;
    bot.send(msg.chat.id, text, Some(keyboard)).await?;
    Ok(())
}

/// The chat's scheduled meetings, soonest first, with their Cancel buttons.
async fn listing(
    t: &dyn Texts,
    ctx: &Ctx,
    chat: ChatId,
) -> Result<(String, InlineKeyboardMarkup), HandlerError> {
    let list = ctx.db.schedules_of(chat.0).await?;
    let votes = ctx.db.open_votes(chat.0).await?;
    if list.is_empty() && votes.is_empty() {
        return Ok((
            t.upcoming_empty().to_owned(),
            InlineKeyboardMarkup::default(),
        ));
    }
    let settings = ctx.db.settings(chat.0).await?;
    let tz = schedule::zone(ctx, &settings);
    let zone = schedule::zone_name(&tz);
    let now = ctx.clock.now();
    // The votes first (they close soon, and are few: at most `MAX_OPEN_PER_CHAT` short lines),
    // then as many meetings as fit whole.
    let (mut head, mut rows) = votes_listing(t, ctx, &votes, &tz).await?;
    if list.is_empty() {
        return Ok((head, InlineKeyboardMarkup::new(rows)));
    }
    if !head.is_empty() {
        head.push_str("\n\n");
    }
    head.push_str(&t.upcoming_header(&zone));
    let mut lines = Vec::new();
    for (i, s) in list.iter().take(LISTED).enumerate() {
        let n = i + 1;
        let when = WhenWords::of(t, &planned(s), now);
        let what = esc_short(s.plan.topic.as_deref().unwrap_or(t.calendar_title()), 60);
        let mut line = match &when.repeats {
            Some(r) => format!("\n{n}. {what}: {}; {}", esc(r), esc(&when.span)),
            None => format!("\n{n}. {what}: {}", esc(&when.span)),
        };
        // Shown in its own zone, which is the chat's unless the chat changed it since.
        if s.plan.zone != zone {
            let _ = write!(line, " ({})", esc(&s.plan.zone));
        }
        lines.push(line);
    }
    let (text, listed) =
        outbox::whole(head, &lines, list.len(), |n| format!("\n{}", t.and_more(n)));
    let buttons: Vec<_> = list
        .iter()
        .take(listed)
        .enumerate()
        .map(|(i, s)| {
            InlineKeyboardButton::callback(
                t.button_cancel_nth(i + 1),
                Callback::Unschedule(s.id).render(),
            )
        })
        .collect();
    rows.extend(buttons.chunks(3).map(<[_]>::to_vec));
    Ok((text, InlineKeyboardMarkup::new(rows)))
}

/// A stored schedule as the dialogue's plan, for the words.
fn planned(s: &Schedule) -> Planned {
    Planned {
        start: s.plan.start_at,
        duration_secs: s.plan.duration_secs,
        repeat: s.plan.repeat.clone(),
        zone: s.plan.zone.clone(),
    }
}

/// The chat's open votes: when each closes and how many have voted, with Close and Cancel
/// (nothing when there are none).
async fn votes_listing(
    t: &dyn Texts,
    ctx: &Ctx,
    votes: &[crate::storage::Vote],
    tz: &jiff::tz::TimeZone,
) -> Result<(String, Vec<Vec<InlineKeyboardButton>>), HandlerError> {
    let mut text = String::new();
    let mut rows = Vec::new();
    if votes.is_empty() {
        return Ok((text, rows));
    }
    text.push_str(t.upcoming_votes_header());
    let now = ctx.clock.now();
    for (i, v) in votes
        .iter()
        .take(vote::MAX_OPEN_PER_CHAT as usize)
        .enumerate()
    {
        let n = i + 1;
        let choices = ctx.db.choices(v.id).await?;
        let mut voters: Vec<i64> = choices.iter().map(|c| c.user_id).collect();
        voters.sort_unstable();
        voters.dedup();
        let closes = vote::short_label(t, v.plan.close_at, &vote::zone_of(v, tz), now);
        text.push_str(&t.upcoming_vote_line(n, v.plan.topic.as_deref(), &closes, voters.len()));
        if v.is_open() {
            let button = |label: String, action| {
                InlineKeyboardButton::callback(
                    label,
                    Callback::Vote { vote: v.id, action }.render(),
                )
            };
            rows.push(vec![
                button(t.button_close_vote_nth(n), VoteAction::Close),
                button(t.button_cancel_vote_nth(n), VoteAction::CancelListed),
            ]);
        }
    }
    Ok((text, rows))
}

/// Close or Cancel of a vote under /upcoming: by whoever started it, or (in a group) an admin.
pub async fn on_vote(
    bot: TgBot,
    q: CallbackQuery,
    (id, action): (i64, VoteAction),
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(Some(&q.from));
    let Some(message) = q.message.as_ref() else {
        bot.answer(&q, Some(t.stale_button())).await;
        return Ok(());
    };
    let chat = message.chat().id;
    let ending = match action {
        VoteAction::Close => Ending::Close,
        _ => Ending::Cancel,
    };
    let notice = vote::end(&bot, &ctx, chat, &q.from, id, ending).await?;
    bot.answer(&q, Some(notice)).await;
    let (text, keyboard) = listing(t, &ctx, chat).await?;
    if let Err(e) = bot.edit(chat, message.id(), text, keyboard).await {
        tracing::debug!(error = %super::core::redacted(&e), "upcoming list not edited");
    }
    Ok(())
}

/// Cancel under /upcoming: by whoever scheduled it, or (in a group) an admin.
pub async fn on_cancel(bot: TgBot, q: CallbackQuery, id: i64, ctx: Arc<Ctx>) -> HandlerResult {
    let t = lang_of(Some(&q.from));
    let Some(message) = q.message.as_ref() else {
        bot.answer(&q, Some(t.stale_button())).await;
        return Ok(());
    };
    let chat = message.chat().id;
    let Some(s) = ctx.db.schedule(chat.0, id).await? else {
        bot.answer(&q, Some(t.schedule_gone())).await;
        return Ok(());
    };
    let by_creator = i64::try_from(q.from.id.0).is_ok_and(|u| u == s.plan.created_by);
    if !chat.is_user() && !by_creator && !super::perm::is_admin(&bot, chat, q.from.id).await? {
        bot.answer(&q, Some(t.not_yours_to_cancel())).await;
        return Ok(());
    }
    let cancelled = ctx.db.cancel_schedule(chat.0, id).await?;
    if cancelled {
        tracing::info!(
            chat_id = chat.0,
            schedule = id,
            "scheduled meeting cancelled"
        );
    }
    let notice = if cancelled {
        t.schedule_cancelled()
    } else {
        t.schedule_gone()
    };
    bot.answer(&q, Some(notice)).await;
    let (text, keyboard) = listing(t, &ctx, chat).await?;
    if let Err(e) = bot.edit(chat, message.id(), text, keyboard).await {
        tracing::debug!(error = %super::core::redacted(&e), "upcoming list not edited");
    }
    Ok(())
}

/// Add to calendar: the occurrence's `.ics` file, sent to the chat.
pub async fn on_calendar(
    bot: TgBot,
    q: CallbackQuery,
    (id, start): (i64, i64),
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(Some(&q.from));
    let Some(message) = q.message.as_ref() else {
        bot.answer(&q, Some(t.stale_button())).await;
        return Ok(());
    };
    let chat = message.chat().id;
    let file = ctx
        .db
        .schedule(chat.0, id)
        .await?
        .filter(|s| s.plan.start_at == start)
        .and_then(|s| {
            Some((
                schedule::calendar_file(t, &s, ctx.clock.now())?,
                s.plan.topic,
            ))
        });
    let Some(((name, contents), topic)) = file else {
        bot.answer(&q, Some(t.schedule_gone())).await;
        return Ok(());
    };
    bot.answer(&q, None).await;
    let caption = t.calendar_caption(topic.as_deref());
    bot.send_document(chat, &name, contents.into_bytes(), caption)
        .await?;
    Ok(())
}
