//! `/settings`: the chat's defaults for new meetings, changed with buttons.
//!
//! ```text
//! admin: /settings
//! bot:   Settings for meetings created in this chat
//!        Waiting room: off, everyone joins at once · Who may watch: anyone · Meeting notes: off …
//!        [✓ No waiting room] [Outsiders wait] [Everyone waits]
//!        [✓ Anyone] [Organisation only]
//!        [Meeting notes: off] [Instant /meet: off]
//!        [Kaliningrad] [✓ Moscow] [Samara] … [Other…]      (the chat's time zone)
//!        [✓ At the start] [5 min before] [10 min before] [15 min before]   (reminders)
//!        [Admins only: off]   [Done]
//! ```
//!
//! In a group only administrators may open or change them. `/meet` and `/stream` start from
//! these defaults, so Create on the first step gives the chat's usual meeting.

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::core::{HandlerResult, TgBot, lang_of};
use super::schedule;
use super::speak::callback::{COMMON_ZONES, Callback, REMIND_CHOICES, Setting};
use super::speak::texts::{Texts, esc};
use super::state::{State, ZonePrompt};
use super::store::BotDialogue;
use crate::storage::ChatSettings;
use crate::telemost::model::{StreamAccess, WaitingRoomLevel};

use super::core::Ctx;

fn text(t: &dyn Texts, s: &ChatSettings, group: bool, zone: &str) -> String {
    let wr = WaitingRoomLevel::parse(&s.waiting_room).unwrap_or_default();
    let sa = StreamAccess::parse(&s.stream_access).unwrap_or_default();
    let mut out = format!(
        "{}\n{}: {}\n{}: {}\n{}: {}\n{}: {}\n{}: {}\n{}: {}",
        t.settings_header(),
        t.label_waiting_room(),
        t.waiting_room(wr),
        t.label_stream_access(),
        t.stream_access(sa),
        t.label_auto_summary(),
        t.on_off(s.auto_summary),
        t.label_instant_meet(),
        t.on_off(s.instant_meet),
        t.label_timezone(),
        esc(zone),
        t.label_remind(),
        t.remind(s.remind_before),
    );
    if group {
        out.push_str(&format!(
            "\n{}: {}",
            t.label_admins_only(),
            t.on_off(s.admins_only)
        ));
    }
    out
}

/// A zone's button label: its city ("Asia/Yekaterinburg" → "Yekaterinburg").
fn city(zone: &str) -> String {
    zone.rsplit('/').next().unwrap_or(zone).replace('_', " ")
}

fn button(label: String, setting: Setting) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label, Callback::Setting(setting).render())
}

fn keyboard(t: &dyn Texts, s: &ChatSettings, group: bool, zone: &str) -> InlineKeyboardMarkup {
    let wr = WaitingRoomLevel::parse(&s.waiting_room).unwrap_or_default();
    let sa = StreamAccess::parse(&s.stream_access).unwrap_or_default();
    let mark = |label: &str, on: bool| {
        if on {
            format!("✓ {label}")
        } else {
            label.to_owned()
        }
    };
    let toggle = |label: &str, on: bool| format!("{label}: {}", t.on_off(on));
    let mut rows = vec![
        WaitingRoomLevel::ALL
            .iter()
            .map(|&l| {
                button(
                    mark(t.waiting_room_button(l), l == wr),
                    Setting::WaitingRoom(l),
                )
            })
            .collect::<Vec<_>>(),
        StreamAccess::ALL
            .iter()
            .map(|&a| {
                button(
                    mark(t.stream_access_button(a), a == sa),
                    Setting::StreamAccess(a),
                )
            })
            .collect(),
        vec![button(
            toggle(t.label_auto_summary(), s.auto_summary),
            Setting::AutoSummary(!s.auto_summary),
        )],
        vec![button(
            toggle(t.label_instant_meet(), s.instant_meet),
            Setting::InstantMeet(!s.instant_meet),
        )],
    ];
    let zones: Vec<InlineKeyboardButton> = COMMON_ZONES
        .iter()
        .map(|&z| button(mark(&city(z), zone == z), Setting::Zone(z)))
        .chain([button(t.button_other_zone().to_owned(), Setting::OtherZone)])
        .collect();
    rows.extend(zones.chunks(3).map(<[_]>::to_vec));
    rows.push(
        REMIND_CHOICES
            .iter()
            .map(|&m| {
                button(
                    mark(&t.button_remind(m), s.remind_before == m),
                    Setting::Remind(m),
                )
            })
            .collect(),
    );
    if group {
        rows.push(vec![button(
            toggle(t.label_admins_only(), s.admins_only),
            Setting::AdminsOnly(!s.admins_only),
        )]);
    }
    rows.push(vec![button(t.button_done().to_owned(), Setting::Done)]);
    InlineKeyboardMarkup::new(rows)
}

/// `/settings`.
pub async fn show(bot: TgBot, msg: Message, ctx: std::sync::Arc<Ctx>) -> HandlerResult {
    let (bot, msg) = (&bot, &msg);
    let t = lang_of(msg.from.as_ref());
    let chat = msg.chat.id;
    let group = !msg.chat.is_private();
    if group && super::perm::admin_sender(bot, msg).await?.is_none() {
        return Ok(());
    }
    let s = ctx.db.settings(chat.0).await?;
    let zone = zone_of(&ctx, &s);
    bot.send(
        chat,
        text(t, &s, group, &zone),
        Some(keyboard(t, &s, group, &zone)),
    )
    .await?;
    Ok(())
}

fn zone_of(ctx: &Ctx, s: &ChatSettings) -> String {
    schedule::zone_name(&schedule::zone(ctx, s))
}

/// A tap on the settings panel.
pub async fn on_press(
    bot: TgBot,
    q: CallbackQuery,
    setting: Setting,
    ctx: std::sync::Arc<Ctx>,
    dialogue: BotDialogue,
) -> HandlerResult {
    let (bot, q, ctx) = (&bot, &q, &*ctx);
    let t = lang_of(Some(&q.from));
    let Some(message) = q.message.as_ref() else {
        bot.answer(q, Some(t.stale_button())).await;
        return Ok(());
    };
    let chat = message.chat().id;
    let group = !chat.is_user();
    if group && !super::perm::is_admin(bot, chat, q.from.id).await? {
        bot.answer(q, Some(t.admins_only())).await;
        return Ok(());
    }
    let mut s = ctx.db.settings(chat.0).await?;
    match setting {
        Setting::WaitingRoom(l) => s.waiting_room = l.as_str().to_owned(),
        Setting::StreamAccess(a) => s.stream_access = a.as_str().to_owned(),
        Setting::AutoSummary(on) => s.auto_summary = on,
        Setting::AdminsOnly(on) => s.admins_only = on && group,
        Setting::InstantMeet(on) => s.instant_meet = on,
        Setting::Zone(zone) => s.timezone = Some(zone.to_owned()),
        Setting::Remind(minutes) => s.remind_before = minutes,
        Setting::OtherZone => {
            bot.answer(q, None).await;
            let mut ask = t.ask_timezone().to_owned();
            if group {
                ask.push(' ');
                ask.push_str(t.reply_hint());
            }
            let prompt = bot.send(chat, ask, None).await?;
            dialogue
                .update(State::AwaitingZone(ZonePrompt {
                    prompt: prompt.id.0,
                }))
                .await?;
            return Ok(());
        }
        Setting::Done => {
            bot.answer(q, None).await;
            let zone = zone_of(ctx, &s);
            bot.edit(
                chat,
                message.id(),
                text(t, &s, group, &zone),
                InlineKeyboardMarkup::default(),
            )
            .await?;
            return Ok(());
        }
    }
    ctx.db.save_settings(chat.0, &s).await?;
    bot.answer(q, Some(t.settings_saved())).await;
    let zone = zone_of(ctx, &s);
    // Editing to the same text and buttons is an error at Telegram: ignore that one.
    if let Err(e) = bot
        .edit(
            chat,
            message.id(),
            text(t, &s, group, &zone),
            keyboard(t, &s, group, &zone),
        )
        .await
    {
        tracing::debug!(error = %super::core::redacted(&e), "settings panel not edited");
    }
    Ok(())
}

/// The answer to "Other…" under the time zones: a zone's IANA name (in a group, a reply to the
/// prompt by the admin who asked).
pub async fn receive_zone(
    bot: TgBot,
    msg: Message,
    me: teloxide::types::Me,
    dialogue: BotDialogue,
    ZonePrompt { prompt }: ZonePrompt,
    ctx: std::sync::Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    let chat = msg.chat.id;
    if !msg.chat.is_private() && !super::perm::replies_to(&msg, &me, Some(prompt)) {
        return Ok(());
    }
    let Some(typed) = msg.text().map(str::trim) else {
        bot.send(chat, t.ask_timezone(), None).await?;
        return Ok(());
    };
    if typed.starts_with('/') {
        bot.send(chat, t.unknown_command(), None).await?;
        return Ok(());
    }
    // Only real zone names: "Asia/Yekaterinburg", or "UTC"; not offsets or abbreviations.
    let zone = (typed.len() <= 64)
        .then(|| jiff::tz::TimeZone::get(typed).ok())
        .flatten()
        .and_then(|tz| tz.iana_name().map(str::to_owned));
    let Some(zone) = zone else {
        bot.send(chat, t.timezone_unknown(typed), None).await?;
        return Ok(());
    };
    let admin = match msg.from.as_ref() {
        _ if msg.chat.is_private() => true,
        Some(user) => super::perm::is_admin(&bot, chat, user.id).await?,
        None => false,
    };
    if !admin {
        dialogue.exit().await?;
        bot.send(chat, t.admins_only(), None).await?;
        return Ok(());
    }
    let mut s = ctx.db.settings(chat.0).await?;
    s.timezone = Some(zone.clone());
    ctx.db.save_settings(chat.0, &s).await?;
    dialogue.exit().await?;
    bot.send(chat, t.timezone_saved(&zone), None).await?;
    Ok(())
}
