//! `/history`: the chat's last meetings and streams, newest first.
//!
//! ```text
//! user: /history
//! bot:  Last meetings in this chat:
//!       1. 2026-11-27 13:05 UTC · Anna Petrova · meeting
//!          Waiting room: for people outside the organisation · Cohosts: 2
//!          https://telemost.yandex.ru/j/12345678901234
//! ```

use std::fmt::Write;

use teloxide::prelude::*;

use super::core::{Ctx, HandlerResult, TgBot, lang_of};
use super::speak::outbox;
use super::speak::texts::{Texts, esc, esc_short};
use crate::storage::MeetingRecord;
use crate::telemost::model::{StreamAccess, WaitingRoomLevel};

/// How many meetings /history lists.
pub const HISTORY_LEN: u32 = 10;

pub async fn show(bot: TgBot, msg: Message, ctx: std::sync::Arc<Ctx>) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    let meetings = ctx.db.recent_meetings(msg.chat.id.0, HISTORY_LEN).await?;
    bot.send(msg.chat.id, listing(t, &meetings), None).await?;
    Ok(())
}

/// The meetings, newest first: as many entries as fit one message whole (rather than the last
/// one cut), then how many more there are.
fn listing(t: &dyn Texts, meetings: &[MeetingRecord]) -> String {
    if meetings.is_empty() {
        return t.history_empty().to_owned();
    }
    let entries: Vec<String> = meetings
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut out = "\n\n".to_owned();
            entry(&mut out, t, i + 1, m);
            out
        })
        .collect();
    let head = format!("<b>{}</b>", t.history_header());
    outbox::whole(head, &entries, entries.len(), |n| {
        format!("\n\n{}", t.and_more(n))
    })
    .0
}

fn entry(out: &mut String, t: &dyn Texts, n: usize, m: &MeetingRecord) {
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
    let _ = write!(out, "{n}. {} · {who} · {kind}", utc_minute(m.created_at));
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

/// `YYYY-MM-DD HH:MM UTC` for unix seconds.
pub fn utc_minute(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
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
            let text = listing(t, &meetings);
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
    fn dates() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_minute(1_582_977_600), "2020-02-29 12:00 UTC");
        assert_eq!(utc_minute(1_795_784_700), "2026-11-27 13:05 UTC");
    }
}
