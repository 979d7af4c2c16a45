//! `/history`: the chat's last meetings and streams, newest first.
//!
//! ```text
//! user: /history
//! bot:  Last meetings in this chat (Europe/Moscow):
//!       1. 2026-11-27 16:05 · Anna Petrova · meeting
//!          Waiting room: for people outside the organisation · Cohosts: 2
//!          https://telemost.yandex.ru/j/12345678901234
//! ```

use std::fmt::Write;

use teloxide::prelude::*;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::core::{Ctx, HandlerResult, TgBot, lang_of};
use super::schedule;
use super::speak::outbox;
use super::speak::texts::{Texts, esc, esc_short};
use crate::storage::MeetingRecord;
use crate::telemost::model::{StreamAccess, WaitingRoomLevel};

/// How many meetings /history lists.
pub const HISTORY_LEN: u32 = 10;

pub async fn show(bot: TgBot, msg: Message, ctx: std::sync::Arc<Ctx>) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    let meetings = ctx.db.recent_meetings(msg.chat.id.0, HISTORY_LEN).await?;
    let tz = schedule::zone(&ctx, &ctx.db.settings(msg.chat.id.0).await?);
    bot.send(msg.chat.id, listing(t, &meetings, &tz), None)
        .await?;
    Ok(())
}

/// The meetings, newest first, at the times of the chat's zone `tz`: as many entries as fit one
/// message whole (rather than the last one cut), then how many more there are.
fn listing(t: &dyn Texts, meetings: &[MeetingRecord], tz: &TimeZone) -> String {
    if meetings.is_empty() {
        return t.history_empty().to_owned();
    }
    let entries: Vec<String> = meetings
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut out = "\n\n".to_owned();
            entry(&mut out, t, i + 1, m, tz);
            out
        })
        .collect();
    let head = format!("<b>{}</b>", t.history_header(&schedule::zone_name(tz)));
    outbox::whole(head, &entries, entries.len(), |n| {
        format!("\n\n{}", t.and_more(n))
    })
    .0
}

fn entry(out: &mut String, t: &dyn Texts, n: usize, m: &MeetingRecord, tz: &TimeZone) {
    // The options are the request body we sent, so they read back with the API's field names.
    let options: serde_json::Value = serde_json::from_str(&m.options).unwrap_or_default();
    let who = esc_short(m.user_name.as_deref().unwrap_or("?"), 64);
    let stream = options.get("live_stream");
    let kind = match stream.and_then(|s| s.get("title")).and_then(|v| v.as_str()) {
        Some(title) => format!("{} «{}»", t.kind_stream(), esc_short(title, 60)),
        None => match &m.topic {
            Some(topic) => format!("{} «{}»", t.kind_meeting(), esc_short(topic, 60)),
            None => t.kind_meeting().to_owned(),
        },
    };
    let _ = write!(out, "{n}. {} · {who} · {kind}", minute(m.created_at, tz));
    let level = options
        .get("waiting_room_level")
        .and_then(|v| v.as_str())
        .and_then(WaitingRoomLevel::parse)
        .unwrap_or_default();
    let cohosts = options
        .get("cohosts")
        .and_then(|v| v.as_array())
        .map_or(0, Vec::len);
    let _ = write!(
        out,
        "\n   {}: {} · {}: {cohosts}",
        t.label_waiting_room(),
        t.waiting_room(level),
        t.label_cohosts()
    );
    if let Some(access) = stream
        .and_then(|s| s.get("access_level"))
        .and_then(|v| v.as_str())
        .and_then(StreamAccess::parse)
    {
        let _ = write!(
            out,
            " · {}: {}",
            t.label_stream_access(),
            t.stream_access(access)
        );
    }
    let _ = write!(out, "\n   {}", esc(&m.join_url));
    if let Some(watch) = &m.watch_url {
        let _ = write!(out, "\n   {}", esc(watch));
    }
}

/// `YYYY-MM-DD HH:MM` for unix seconds, in `tz`.
fn minute(secs: i64, tz: &TimeZone) -> String {
    Timestamp::from_second(secs)
        .unwrap_or_default()
        .to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten streams with the longest names and titles, in emoji, and links longer than Telemost's:
    /// the list shows the entries that fit whole, each down to its last link, and says how many
    /// more there are.
    #[test]
    fn a_long_history_shows_whole_entries() {
        let stream = |i: usize| MeetingRecord {
            chat_id: 1,
            user_id: Some(2),
            user_name: Some("🦊".repeat(100)),
            token_owner: Some(1),
            created_at: 1_795_784_700,
            conference_id: format!("c{i}"),
            join_url: format!("https://telemost.yandex.ru/j/{i}{}", "1".repeat(300)),
            watch_url: Some(format!(
                "https://telemost.yandex.ru/live/{i}{}",
                "2".repeat(300)
            )),
            options: serde_json::json!({
                "waiting_room_level": "ORGANIZATION",
                "cohosts": [{"email": "a@b.c"}],
                "live_stream": {"title": "🎉".repeat(100), "access_level": "PUBLIC"},
            })
            .to_string(),
            topic: None,
        };
        let meetings: Vec<MeetingRecord> = (1..=10).map(stream).collect();
        for lang in [
            crate::bot::speak::texts::Lang::En,
            crate::bot::speak::texts::Lang::Ru,
        ] {
            let t = lang.texts();
            let tz = TimeZone::get("Asia/Kolkata").unwrap();
            let text = listing(t, &meetings, &tz);
            assert!(outbox::shown_units(&text) <= outbox::MESSAGE_UNITS);
            let shown = text.matches("\n\n").count() - 1;
            assert!((1..10).contains(&shown), "{shown} entries shown");
            assert!(
                text.ends_with(&format!(
                    "/live/{shown}{}\n\n{}",
                    "2".repeat(300),
                    t.and_more(10 - shown)
                )),
                "the last entry shown is whole: {text}"
            );
        }
    }

    #[test]
    fn dates_are_the_zones() {
        let zone = |name| TimeZone::get(name).unwrap();
        assert_eq!(minute(0, &TimeZone::UTC), "1970-01-01 00:00");
        assert_eq!(
            minute(1_582_977_600, &zone("Europe/Moscow")),
            "2020-02-29 15:00"
        );
        // Half an hour off UTC, and across midnight.
        assert_eq!(
            minute(1_795_784_700 - 13 * 3600, &zone("Asia/Kolkata")),
            "2026-11-27 05:35"
        );
        assert_eq!(
            minute(1_795_784_700, &zone("America/New_York")),
            "2026-11-27 08:05"
        );
    }
}
