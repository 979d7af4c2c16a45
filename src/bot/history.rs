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
use super::texts::{Texts, esc, esc_short};
use crate::storage::MeetingRecord;
use crate::telemost::model::{StreamAccess, WaitingRoomLevel};

/// How many meetings /history lists.
pub const HISTORY_LEN: u32 = 10;

pub async fn show(bot: TgBot, msg: Message, ctx: std::sync::Arc<Ctx>) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    let meetings = ctx.db.recent_meetings(msg.chat.id.0, HISTORY_LEN).await?;
    let text = if meetings.is_empty() {
        t.history_empty().to_owned()
    } else {
        let mut out = format!("<b>{}</b>", t.history_header());
        for (i, m) in meetings.iter().enumerate() {
            out.push_str("\n\n");
            entry(&mut out, t, i + 1, m);
        }
        out
    };
    bot.send(msg.chat.id, text, None).await?;
    Ok(())
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

    #[test]
    fn dates() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_minute(1_582_977_600), "2020-02-29 12:00 UTC");
        assert_eq!(utc_minute(1_795_784_700), "2026-11-27 13:05 UTC");
    }
}
