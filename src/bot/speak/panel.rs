//! What the bot shows: a draft's panel (text and buttons for each step) and showing it (editing
//! the panel in place, or sending it anew); a created meeting's links and buttons.

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

use super::callback::{Callback, Manage, Press};
use super::outbox::{Outbox, redacted};
use super::texts::{self, Texts, ellipsize, esc, esc_short};
use crate::bot::state::{Draft, Planned, Step};
use crate::bot::topic::TOPIC_MAX_CHARS;
use crate::telemost::model::{Conference, CreateConference, StreamAccess, WaitingRoomLevel};

/// The panel's text and buttons for the draft's current step, with an optional note on top
/// (an error, or a hint).
pub fn panel(
    t: &dyn Texts,
    d: &Draft,
    note: Option<&str>,
    in_group: bool,
    now: jiff::Timestamp,
) -> (String, InlineKeyboardMarkup) {
    let mut text = String::new();
    let mut line = |label: &str, value: &str| {
        text.push_str(label);
        text.push_str(": ");
        text.push_str(value);
        text.push('\n');
    };
    let header = if d.stream.is_some() {
        t.new_stream()
    } else {
        t.new_meeting()
    };
    if let Some(title) = d.stream.as_ref().and_then(|s| s.title.as_ref()) {
        line(t.label_title(), &esc_short(title.as_str(), 200));
    }
    if let Some(topic) = &d.topic {
        // Whole: a topic's characters are at most two UTF-16 units each.
        line(
            t.label_topic(),
            &esc_short(topic.as_str(), 2 * TOPIC_MAX_CHARS),
        );
    }
    if let Some(planned) = &d.when {
        let (label, value) = WhenWords::of(t, planned, now).line(t);
        line(label, &esc(&value));
    }
    line(t.label_waiting_room(), t.waiting_room(d.waiting_room));
    if let Some(s) = &d.stream {
        line(t.label_stream_access(), t.stream_access(s.access));
        let desc = s.description.as_ref().map(|d| esc_short(d.as_str(), 300));
        line(t.label_description(), desc.as_deref().unwrap_or(t.none()));
    }
    let cohosts = d.cohosts.as_ref().map(|c| {
        let list: Vec<&str> = c.emails().iter().map(|e| e.as_str()).collect();
        esc_short(&list.join(", "), 800)
    });
    line(t.label_cohosts(), cohosts.as_deref().unwrap_or(t.none()));
    let question = match d.step {
        Step::Title => t.ask_title(),
        Step::WaitingRoom => t.ask_waiting_room(),
        Step::StreamAccess => t.ask_stream_access(),
        Step::Description => t.ask_description(),
        Step::Cohosts => t.ask_cohosts(),
        Step::When => t.ask_when(),
        Step::Times => t.ask_times(),
        Step::Creating => t.creating(),
    };
    // The note is HTML from `texts`, bounded there; the rest fits by construction.
    let mut full = format!("<b>{header}</b>\n{text}\n{question}");
    if let Some(note) = note {
        full = format!("{note}\n\n{full}");
    }
    if in_group && d.step.is_text() {
        full.push(' ');
        full.push_str(t.reply_hint());
    }
    (full, keyboard(t, d, in_group))
}

fn button(label: &str, cb: Callback) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label.to_owned(), cb.render())
}

fn chosen(label: &str, is: bool) -> String {
    if is {
        format!("✓ {label}")
    } else {
        label.to_owned()
    }
}

fn keyboard(t: &dyn Texts, d: &Draft, in_group: bool) -> InlineKeyboardMarkup {
    let create = button(t.button_create(), Callback::Draft(Press::Create));
    let cancel = button(t.button_cancel(), Callback::Draft(Press::Cancel));
    let rows: Vec<Vec<InlineKeyboardButton>> = match d.step {
        Step::Title | Step::When | Step::Times => vec![vec![cancel]],
        Step::WaitingRoom => {
            let mut rows = vec![
                WaitingRoomLevel::ALL
                    .iter()
                    .map(|&l| {
                        let label = chosen(t.waiting_room_button(l), l == d.waiting_room);
                        button(&label, Callback::Draft(Press::WaitingRoom(l)))
                    })
                    .collect(),
                vec![create, cancel],
            ];
            // A meeting not yet given a time may be scheduled for later.
            if d.when.is_none() && d.stream.is_none() {
                rows[1].insert(1, button(t.button_later(), Callback::Draft(Press::Later)));
                // A group may instead vote on when.
                if in_group {
                    rows.push(vec![button(
                        t.button_find_time(),
                        Callback::Draft(Press::FindTime),
                    )]);
                }
            }
            rows
        }
        Step::StreamAccess => {
            let current = d.stream.as_ref().map(|s| s.access).unwrap_or_default();
            vec![
                StreamAccess::ALL
                    .iter()
                    .map(|&a| {
                        let label = chosen(t.stream_access_button(a), a == current);
                        button(&label, Callback::Draft(Press::StreamAccess(a)))
                    })
                    .collect(),
                vec![create, cancel],
            ]
        }
        Step::Description => vec![
            vec![button(t.button_skip(), Callback::Draft(Press::Skip))],
            vec![create, cancel],
        ],
        Step::Cohosts => {
            // The chat's usual cohosts, two a row, ticked when chosen.
            let chosen_emails: Vec<&str> = d
                .cohosts
                .as_ref()
                .map(|c| c.emails().iter().map(|e| e.as_str()).collect())
                .unwrap_or_default();
            let mut rows: Vec<Vec<InlineKeyboardButton>> = d
                .suggestions
                .chunks(2)
                .map(|pair| {
                    pair.iter()
                        .map(|(id, email)| {
                            let on = chosen_emails.iter().any(|e| e.eq_ignore_ascii_case(email));
                            button(
                                &chosen(&ellipsize(email, 30), on),
                                Callback::Draft(Press::Cohost(*id)),
                            )
                        })
                        .collect()
                })
                .collect();
            if d.cohosts.is_some() {
                rows.push(vec![create.clone()]);
            }
            rows.push(vec![button(
                t.button_no_cohosts(),
                Callback::Draft(Press::Skip),
            )]);
            rows.push(vec![cancel]);
            rows
        }
        Step::Creating => vec![],
    };
    InlineKeyboardMarkup::new(rows)
}

/// The message announcing a created meeting or stream, with its links.
pub fn created_text(
    t: &dyn Texts,
    request: &CreateConference,
    conference: &Conference,
    topic: Option<&str>,
) -> String {
    match &request.live_stream {
        Some(s) => t.stream_created(
            &ellipsize(s.title.as_str(), 200),
            &conference.join_url,
            conference.watch_url(),
        ),
        None => t.meeting_created(topic, &conference.join_url),
    }
}

/// Shows `text` with `markup` on the panel: edits it when there is one, else (or if the edit
/// fails, e.g. the message is too old) sends a new message. Returns the panel's id.
pub async fn show(
    bot: &Outbox,
    chat: ChatId,
    panel: Option<MessageId>,
    text: String,
    markup: InlineKeyboardMarkup,
) -> Result<MessageId, teloxide::RequestError> {
    if let Some(id) = panel {
        match bot.edit(chat, id, text.clone(), markup.clone()).await {
            Ok(()) => return Ok(id),
            Err(e) => {
                tracing::debug!(error = %redacted(&e), "edit failed, sending anew")
            }
        }
    }
    let sent = bot.send(chat, text, Some(markup)).await?;
    Ok(sent.id)
}

/// When a meeting is, in words, in its zone: the span ("tomorrow, Tue 1 Dec, 15:00–15:30", the
/// first occurrence's for a recurring meeting) and, for a recurring one, its days and hours
/// ("every weekday, 10:00–10:30"). Plain text (escape it for HTML).
pub struct WhenWords {
    pub span: String,
    pub repeats: Option<String>,
    pub zone: String,
}

impl WhenWords {
    pub fn of(t: &dyn Texts, p: &Planned, now: jiff::Timestamp) -> Self {
        let tz = jiff::tz::TimeZone::get(&p.zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let at = |secs: i64| {
            jiff::Timestamp::from_second(secs)
                .unwrap_or(now)
                .to_zoned_datetime(tz.clone())
        };
        let (start, end) = (at(p.start), at(p.start.saturating_add(p.duration_secs)));
        let today = now.to_zoned_datetime(tz.clone()).date();
        Self {
            span: texts::span(t, &start, &end, today),
            repeats: p
                .repeat
                .as_deref()
                .and_then(crate::schedule::Rule::from_db)
                .map(|rule| texts::repeats(t, rule.days, &start, &end)),
            zone: p.zone.clone(),
        }
    }

    /// The panel's line: its label and value.
    pub fn line(&self, t: &dyn Texts) -> (&'static str, String) {
        match &self.repeats {
            Some(r) => (
                t.label_repeats(),
                format!("{r} ({}); {}", self.zone, self.span),
            ),
            None => (t.label_when(), format!("{} ({})", self.span, self.zone)),
        }
    }
}

/// Add to calendar, for the occurrence of scheduled meeting `schedule` starting at `start`.
pub fn calendar_button(t: &dyn Texts, schedule: i64, start: i64) -> InlineKeyboardButton {
    button(
        t.button_add_to_calendar(),
        Callback::Calendar { schedule, start },
    )
}

/// A button that manages meeting `conference`.
pub fn manage_button(label: &str, conference: &str, action: Manage) -> InlineKeyboardButton {
    let cb = Callback::Manage {
        conference: conference.to_owned(),
        action,
    };
    InlineKeyboardButton::callback(label.to_owned(), cb.render())
}

/// The links of a meeting as URL buttons, and a button to share it (with its topic).
pub fn link_keyboard(t: &dyn Texts, c: &Conference, topic: Option<&str>) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(link_rows(t, c, topic))
}

fn link_rows(t: &dyn Texts, c: &Conference, topic: Option<&str>) -> Vec<Vec<InlineKeyboardButton>> {
    let mut rows = Vec::new();
    let mut links = Vec::new();
    if let Ok(url) = reqwest::Url::parse(&c.join_url) {
        links.push(InlineKeyboardButton::url(t.button_join(), url));
    }
    if let Some(Ok(url)) = c.watch_url().map(reqwest::Url::parse) {
        links.push(InlineKeyboardButton::url(t.button_watch(), url));
    }
    if !links.is_empty() {
        rows.push(links);
    }
    // Sharing the watch link for a stream, the join link (and topic) for a meeting.
    let shared = c.watch_url().unwrap_or(&c.join_url);
    if let Ok(mut share) = reqwest::Url::parse("https://t.me/share/url") {
        share.query_pairs_mut().append_pair("url", shared);
        if let Some(topic) = topic {
            share.query_pairs_mut().append_pair("text", topic);
        }
        rows.push(vec![InlineKeyboardButton::url(t.button_share(), share)]);
    }
    rows
}

/// The buttons under a created meeting: its links, sharing, and management.
pub fn result_keyboard(t: &dyn Texts, c: &Conference, topic: Option<&str>) -> InlineKeyboardMarkup {
    let conference = c.id.as_str();
    let mut rows = link_rows(t, c, topic);
    // An id that could not travel in callback data gets no management buttons.
    let probe = Callback::Manage {
        conference: conference.to_owned(),
        action: Manage::Info,
    };
    if Callback::parse(&probe.render()).is_some() {
        rows.push(vec![
            manage_button(t.button_details(), conference, Manage::Info),
            manage_button(
                t.button_change_waiting_room(),
                conference,
                Manage::ChooseWaitingRoom,
            ),
        ]);
        rows.push(vec![
            manage_button(t.button_add_cohosts(), conference, Manage::AddCohosts),
            manage_button(
                t.button_replace_cohosts(),
                conference,
                Manage::ReplaceCohosts,
            ),
            manage_button(t.button_clear_cohosts(), conference, Manage::ClearCohosts),
        ]);
    }
    InlineKeyboardMarkup::new(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::speak::texts::Lang;
    use crate::telemost::model::{Cohosts, Description, Title};

    #[test]
    fn panel_fits_telegram_even_at_the_limits() {
        let mut d = Draft::stream(1, Some(Title::parse(&"я".repeat(1024)).unwrap()));
        if let Some(s) = d.stream.as_mut() {
            s.description = Description::parse(&"😀".repeat(2048)).unwrap();
        }
        let many: Vec<String> = (0..30)
            .map(|i| format!("{}{i}@example.com", "x".repeat(60)))
            .collect();
        d.cohosts = Some(Cohosts::parse(&many.join(",")).unwrap());
        for lang in [Lang::En, Lang::Ru] {
            let t = lang.texts();
            // The longest note: every token of a 4096-character message refused.
            let junk = vec!["<&>".repeat(20); 60].join(" ");
            let note = t.invalid_input(&crate::telemost::model::InvalidInput::BadEmails(
                junk.split(' ').map(str::to_owned).collect(),
            ));
            let (text, _) = panel(t, &d, Some(&note), true, jiff::Timestamp::UNIX_EPOCH);
            assert!(
                text.encode_utf16().count() <= 4096,
                "{}",
                text.encode_utf16().count()
            );
            assert!(
                text.ends_with(t.ask_waiting_room()),
                "the question survives"
            );
            assert!(!text.contains("<&>"), "user text is escaped");
        }
    }

    #[test]
    fn user_text_is_escaped_in_the_panel() {
        let mut d = Draft::stream(1, Some(Title::parse("<b>Q&A</b> *_[]").unwrap()));
        d.cohosts = Some(Cohosts::parse("a&b@x.ru").unwrap());
        let (text, _) = panel(
            Lang::En.texts(),
            &d,
            None,
            false,
            jiff::Timestamp::UNIX_EPOCH,
        );
        assert!(text.contains("&lt;b&gt;Q&amp;A&lt;/b&gt; *_[]"), "{text}");
        assert!(text.contains("a&amp;b@x.ru"), "{text}");
        assert!(
            text.starts_with("<b>New Telemost live stream</b>"),
            "{text}"
        );
    }
}
