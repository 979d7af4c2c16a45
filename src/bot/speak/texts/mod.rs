//! Every sentence the bot says, one file per language. Handlers pick a `Texts` by the user's
//! Telegram language and never build user-facing prose themselves. Texts are Telegram HTML
//! (the command menu and inline result titles excepted: those are plain text).

mod en;
pub mod page;
mod ru;

use jiff::ZonedDateTime as Zoned;
use jiff::civil::{Date, Weekday};

use crate::schedule::when::OptionsError;
use crate::schedule::{Weekdays, WhenError};
use crate::telemost::TelemostError;
use crate::telemost::model::{InvalidInput, StreamAccess, WaitingRoomLevel};

/// Escapes a user-supplied (or API-supplied) string for a message in Telegram's HTML mode.
/// Every text here is HTML; every value put into one goes through this.
pub fn esc(s: &str) -> String {
    teloxide::utils::html::escape(s)
}

/// A text of Telegram HTML as plain text, for a page rather than a chat: tags dropped, the
/// entities `esc` writes decoded.
pub fn plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Cuts plain text `s` to at most `max` UTF-16 code units, the measure Telegram counts its
/// limits in (an emoji outside the Basic Multilingual Plane is two), marking the cut with '…'
/// (one unit). The cut falls between two characters a reader sees as separate where the head
/// has one: never inside a surrogate pair, nor before a combining mark, a joiner or a modifier,
/// nor between the two letters of a flag. For plain text (button labels, inline result titles)
/// and, through `esc_short`, for values in HTML.
pub fn ellipsize(s: &str, max: usize) -> String {
    if s.encode_utf16().count() <= max {
        return s.to_owned();
    }
    let budget = max.saturating_sub(1);
    let mut units = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > budget {
            break;
        }
        end = i + c.len_utf8();
    }
    let whole = (0..=end)
        .rev()
        .find(|&i| s.is_char_boundary(i) && separates(s, i))
        .filter(|&i| i > 0)
        .unwrap_or(end);
    let mut cut = s[..whole].to_owned();
    cut.push('…');
    cut
}

/// Whether a reader sees the characters before byte `i` of `s` apart from those after it: a cut
/// there splits no emoji, accented letter or flag. A simplification of Unicode's grapheme
/// clusters that covers what people type: combining marks, variation selectors, skin tones,
/// joined emoji, keycaps, tag sequences and regional-indicator pairs.
fn separates(s: &str, i: usize) -> bool {
    let (head, tail) = s.split_at(i);
    let (Some(before), Some(after)) = (head.chars().next_back(), tail.chars().next()) else {
        return true;
    };
    let extends = |c: char| {
        matches!(c,
            '\u{0300}'..='\u{036F}' // combining diacritical marks
            | '\u{0483}'..='\u{0489}' // Cyrillic combining marks
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{200D}' // zero-width joiner
            | '\u{20D0}'..='\u{20FF}' // combining marks for symbols, the keycap among them
            | '\u{FE00}'..='\u{FE0F}' // variation selectors
            | '\u{FE20}'..='\u{FE2F}'
            | '\u{1F3FB}'..='\u{1F3FF}' // skin tones
            | '\u{E0020}'..='\u{E007F}' // tags (subdivision flags)
            | '\u{E0100}'..='\u{E01EF}')
    };
    let regional = |c: char| matches!(c, '\u{1F1E6}'..='\u{1F1FF}');
    if extends(after) || before == '\u{200D}' {
        return false;
    }
    // Regional indicators pair up from the start of their run: a flag is two of them.
    !(regional(before)
        && regional(after)
        && head.chars().rev().take_while(|&c| regional(c)).count() % 2 == 1)
}

/// `esc` after `ellipsize`: for values of any length (what the user typed, the API's messages)
/// put into a sentence; `max` is in UTF-16 units of the value as shown.
pub fn esc_short(s: &str, max: usize) -> String {
    esc(&ellipsize(s, max))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ru,
}

impl Lang {
    /// Russian for `ru` and its regional variants, English for everything else.
    pub fn from_code(code: Option<&str>) -> Self {
        match code {
            Some(c) if c == "ru" || c.starts_with("ru-") => Self::Ru,
            _ => Self::En,
        }
    }

    /// The language's code, as Telegram writes it.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ru => "ru",
        }
    }

    pub fn texts(self) -> &'static dyn Texts {
        match self {
            Self::En => &en::En,
            Self::Ru => &ru::Ru,
        }
    }
}

/// The bot's vocabulary. `&'static str` for fixed phrases, `String` where values are filled in.
pub trait Texts: Sync {
    /// (command, description) pairs for setMyCommands, in menu order.
    fn commands(&self) -> [(&'static str, &'static str); 14];
    fn help(&self) -> &'static str;
    fn unknown_command(&self) -> &'static str;
    fn idle_hint(&self) -> &'static str;
    fn internal_error(&self) -> &'static str;

    fn no_token(&self, in_group: bool) -> &'static str;
    /// Plain text, for a button's notice.
    fn no_token_toast(&self) -> &'static str;
    fn token_prompt(&self) -> &'static str;
    /// `deleted`: whether the message carrying the token could be deleted.
    fn token_saved(&self, deleted: bool) -> &'static str;
    fn token_malformed(&self) -> &'static str;
    fn token_in_group(&self, deleted: bool) -> &'static str;
    fn token_only_in_private(&self) -> &'static str;
    fn token_forgotten(&self) -> &'static str;
    fn token_none_to_forget(&self) -> &'static str;

    fn connect_in_groups_only(&self) -> &'static str;
    fn admins_only(&self) -> &'static str;
    fn anonymous_admin(&self) -> &'static str;
    /// A /meet or /stream that needs a panel, posted as the group or as a channel.
    fn shared_sender(&self) -> &'static str;
    fn connect_link(&self) -> &'static str;
    fn button_connect(&self) -> &'static str;
    fn connect_prompt(&self) -> &'static str;
    fn connect_code_other_user(&self) -> &'static str;
    fn connect_code_expired(&self) -> &'static str;
    fn connect_code_invalid(&self) -> &'static str;
    fn group_token_saved(&self) -> &'static str;
    fn group_connected(&self, who: &str) -> String;
    fn no_longer_admin(&self) -> &'static str;
    fn disconnected(&self) -> &'static str;
    fn group_has_no_token(&self) -> &'static str;

    fn login_not_configured(&self) -> &'static str;
    fn login_started(&self, user_code: &str, minutes: u64) -> String;
    fn button_open_login(&self) -> &'static str;
    fn login_done(&self) -> &'static str;
    fn login_denied(&self) -> &'static str;
    fn login_expired(&self) -> &'static str;
    fn login_failed(&self) -> &'static str;
    fn login_cancelled(&self) -> &'static str;

    fn button_share(&self) -> &'static str;
    fn button_details(&self) -> &'static str;
    fn button_change_waiting_room(&self) -> &'static str;
    fn button_add_cohosts(&self) -> &'static str;
    fn button_replace_cohosts(&self) -> &'static str;
    fn button_clear_cohosts(&self) -> &'static str;
    fn button_back(&self) -> &'static str;
    /// `topic`: what the meeting is about, as typed after /meet (plain text; escaped here).
    fn meeting_links(&self, topic: Option<&str>, join_url: &str) -> String;
    fn label_watch(&self) -> &'static str;
    fn ask_manage_cohosts(&self, replace: bool) -> &'static str;
    fn cohosts_updated(&self, list: &str) -> String;

    fn inline_set_token(&self) -> &'static str;
    fn inline_meeting_hint(&self) -> &'static str;
    fn inline_new_stream(&self, title: &str) -> String;
    fn inline_new_meeting(&self, topic: &str) -> String;
    fn inline_stream_hint(&self) -> &'static str;
    fn inline_creating(&self) -> &'static str;

    /// /history's first line, naming the chat's time zone its times are in.
    fn history_header(&self, zone: &str) -> String;
    fn history_empty(&self) -> &'static str;
    /// The last line of a list cut to fit one message (`/history`, `/upcoming`): `n` more that
    /// it does not show.
    fn and_more(&self, n: usize) -> String;
    fn kind_meeting(&self) -> &'static str;
    fn kind_stream(&self) -> &'static str;

    fn settings_header(&self) -> &'static str;
    fn label_auto_summary(&self) -> &'static str;
    fn label_instant_meet(&self) -> &'static str;
    fn label_admins_only(&self) -> &'static str;
    fn on_off(&self, on: bool) -> &'static str;
    fn button_done(&self) -> &'static str;
    fn settings_saved(&self) -> &'static str;

    fn cancelled(&self) -> &'static str;
    fn nothing_to_cancel(&self) -> &'static str;
    fn stale_button(&self) -> &'static str;
    fn not_your_dialogue(&self) -> &'static str;
    /// Plain text, for a button's notice.
    fn not_your_meeting(&self) -> &'static str;
    /// A member's own token, and the member (`name`, if known) has left the chat (HTML).
    fn member_gone(&self, name: Option<&str>) -> String;
    /// The same as a toast (plain text, short).
    fn member_gone_toast(&self) -> &'static str;
    fn still_creating(&self) -> &'static str;
    fn creation_interrupted(&self) -> &'static str;
    fn use_buttons(&self) -> &'static str;
    fn send_text(&self) -> &'static str;

    fn new_meeting(&self) -> &'static str;
    fn new_stream(&self) -> &'static str;
    fn label_title(&self) -> &'static str;
    fn label_waiting_room(&self) -> &'static str;
    fn label_stream_access(&self) -> &'static str;
    fn label_description(&self) -> &'static str;
    fn label_cohosts(&self) -> &'static str;
    fn none(&self) -> &'static str;
    fn waiting_room(&self, level: WaitingRoomLevel) -> &'static str;
    fn stream_access(&self, access: StreamAccess) -> &'static str;
    /// Short labels for the option buttons.
    fn waiting_room_button(&self, level: WaitingRoomLevel) -> &'static str;
    fn stream_access_button(&self, access: StreamAccess) -> &'static str;

    fn ask_title(&self) -> &'static str;
    fn ask_waiting_room(&self) -> &'static str;
    fn ask_stream_access(&self) -> &'static str;
    fn ask_description(&self) -> &'static str;
    fn ask_cohosts(&self) -> &'static str;
    fn reply_hint(&self) -> &'static str;

    fn button_create(&self) -> &'static str;
    fn button_cancel(&self) -> &'static str;
    fn button_skip(&self) -> &'static str;
    fn button_no_cohosts(&self) -> &'static str;
    fn button_join(&self) -> &'static str;
    fn button_watch(&self) -> &'static str;

    fn creating(&self) -> &'static str;
    fn meeting_created(&self, topic: Option<&str>, join_url: &str) -> String;
    /// The label of a meeting's topic in the panel.
    fn label_topic(&self) -> &'static str;
    /// `/meet <topic>` with a topic over `TOPIC_MAX_CHARS`.
    fn topic_too_long(&self, chars: usize) -> String;
    /// A meeting was created but could not be recorded: its buttons will not work.
    fn record_failed(&self) -> &'static str;
    fn stream_created(&self, title: &str, join_url: &str, watch_url: Option<&str>) -> String;

    fn invalid_input(&self, e: &InvalidInput) -> String;
    fn telemost_error(&self, e: &TelemostError) -> String;

    // Meetings for later (see `bot::upcoming` and `bot::jobs::schedules`). Times come already written
    // out by `span`, `clock_time` and `repeats` below, in the chat's time zone.
    fn today(&self) -> &'static str;
    fn tomorrow(&self) -> &'static str;
    /// A date: "Mon 30 Nov" (with the year when `year`).
    fn date(&self, d: Date, year: bool) -> String;
    /// A weekday's short name.
    fn weekday(&self, d: Weekday) -> &'static str;
    /// "every weekday", "every Mon, Thu": the days of a recurring meeting.
    fn every(&self, days: Weekdays) -> String;
    /// The panel's label for when a meeting is.
    fn label_when(&self) -> &'static str;
    /// "Repeats" or similar, for a recurring meeting's line.
    fn label_repeats(&self) -> &'static str;
    /// What a typed time could not be read as, with examples.
    fn when_unreadable(&self, e: &WhenError) -> String;
    /// A time for a recurring meeting typed in the dialogue's Later… step for a stream.
    fn streams_not_recurring(&self) -> &'static str;
    fn button_later(&self) -> &'static str;
    fn ask_when(&self) -> &'static str;
    /// A meeting made for later: `when` is `span`'s, `zone` the chat's time zone, `remind` the
    /// chat's reminder lead in minutes (0: at the start only).
    fn meeting_scheduled(
        &self,
        topic: Option<&str>,
        when: &str,
        zone: &str,
        join_url: &str,
        remind: u32,
    ) -> String;
    /// A recurring meeting set up: `repeats` as `repeats` writes it, `first` the first one's
    /// `span`, `ahead` how many minutes before each the link is posted.
    fn series_scheduled(
        &self,
        topic: Option<&str>,
        repeats: &str,
        zone: &str,
        first: &str,
        ahead: u32,
    ) -> String;
    fn button_add_to_calendar(&self) -> &'static str;
    /// The calendar file's caption.
    fn calendar_caption(&self, topic: Option<&str>) -> String;
    /// The calendar event's title when the meeting has no topic (plain text).
    fn calendar_title(&self) -> &'static str;
    /// Plain text, for a button's notice: the meeting is over or was cancelled.
    fn schedule_gone(&self) -> &'static str;
    fn too_many_scheduled(&self, limit: u32) -> String;
    /// A reminder `minutes` before a meeting starting at `at` ("15:00").
    fn reminder_soon(&self, topic: Option<&str>, minutes: i64, at: &str, join_url: &str) -> String;
    fn reminder_now(&self, topic: Option<&str>, join_url: &str) -> String;
    /// The reminder for a meeting that started at `at`, posted `late_minutes` late (the bot was
    /// down).
    fn reminder_late(
        &self,
        topic: Option<&str>,
        at: &str,
        late_minutes: i64,
        join_url: &str,
    ) -> String;
    /// A reminder over an hour late is not posted as one: this says it was missed.
    fn reminder_missed(&self, topic: Option<&str>, at: &str, join_url: Option<&str>) -> String;
    /// A recurring meeting's link for the occurrence at `when`.
    fn occurrence_ready(&self, topic: Option<&str>, when: &str, join_url: &str) -> String;
    /// The occurrence at `when` could not get its link: `reason` is `telemost_error`'s or
    /// `no_token`'s text.
    fn occurrence_failed(&self, topic: Option<&str>, when: &str, reason: &str) -> String;
    /// A recurring meeting stopped because its creator may no longer create meetings here.
    fn series_ended(&self) -> &'static str;
    /// The answer to Later… had no time in it.
    fn when_not_found(&self) -> &'static str;
    fn upcoming_header(&self, zone: &str) -> String;
    fn upcoming_empty(&self) -> &'static str;
    /// The label of the Cancel button of the `n`th meeting listed.
    fn button_cancel_nth(&self, n: usize) -> String;
    /// Plain text, for a button's notice.
    fn schedule_cancelled(&self) -> &'static str;
    /// Plain text, for a button's notice.
    fn not_yours_to_cancel(&self) -> &'static str;
    fn label_timezone(&self) -> &'static str;
    fn label_remind(&self) -> &'static str;

    // The planner Mini App (see `bot::planner`; the page's own words are `page`'s). Plain text.
    /// The button opening it, on the /meet panel and as the menu button.
    fn button_planner(&self) -> &'static str;
    /// The page was opened for a chat the user is not in (or the bot is not in).
    fn planner_not_member(&self) -> &'static str;
    /// The page's link names no chat the planner knows.
    fn planner_bad_link(&self) -> &'static str;
    /// The page sent something that is not a request the planner reads.
    fn planner_bad_request(&self) -> &'static str;
    /// Too many calls from one user in a short while.
    fn planner_busy(&self) -> &'static str;
    /// A repeat day that is not a weekday.
    fn planner_bad_weekday(&self) -> &'static str;
    /// A live stream planned for later: streams are made now.
    fn planner_stream_now(&self) -> &'static str;
    /// The reminder lead as the settings show it (0: at the start only).
    fn remind(&self, minutes: u32) -> String;
    fn button_remind(&self, minutes: u32) -> String;
    fn button_other_zone(&self) -> &'static str;
    fn ask_timezone(&self) -> &'static str;
    fn timezone_unknown(&self, typed: &str) -> String;
    fn timezone_saved(&self, zone: &str) -> String;

    // Votes on when to meet (see `bot::findtime`, `bot::vote`). Times come written out by
    // `span`, in the vote's time zone; `lines` are the times offered, in order.
    /// The /meet panel's button (groups): vote on when instead.
    fn button_find_time(&self) -> &'static str;
    /// After Find a time…: which times to vote on.
    fn ask_times(&self) -> &'static str;
    /// The panel once its vote is posted.
    fn vote_started_below(&self) -> &'static str;
    /// `/findtime` alone: what it does and how to write it.
    fn findtime_usage(&self) -> &'static str;
    /// What `/findtime` could not read: which item, why, and examples.
    fn findtime_error(&self, e: &OptionsError) -> String;
    /// An open vote: `deadline` is when it closes by itself, `private` a private chat's (where
    /// a tap schedules at once).
    fn vote_open(
        &self,
        topic: Option<&str>,
        organiser: &str,
        lines: &[VoteLine],
        deadline: &str,
        zone: &str,
        private: bool,
    ) -> String;
    /// A vote closed, its winner `chosen` (if known yet) being scheduled.
    fn vote_closing(&self, topic: Option<&str>, lines: &[VoteLine], chosen: Option<&str>)
    -> String;
    fn vote_scheduled(&self, topic: Option<&str>, lines: &[VoteLine], chosen: &str) -> String;
    /// Closed without a meeting: no time still ahead had anyone in for it.
    fn vote_missed(&self, topic: Option<&str>, lines: &[VoteLine]) -> String;
    fn vote_cancelled(&self, topic: Option<&str>, lines: &[VoteLine]) -> String;
    /// Closed on `chosen`, but the meeting could not be made (the reason follows in the chat).
    fn vote_failed(&self, topic: Option<&str>, lines: &[VoteLine], chosen: &str) -> String;
    /// Why a closed vote's meeting was not made: `reason` is `admins_only`'s, `member_gone`'s,
    /// `no_token`'s or `telemost_error`'s text.
    fn vote_not_made(&self, reason: &str) -> String;
    /// A time's button in a group: its label and how many are in.
    fn button_vote(&self, label: &str, count: usize) -> String;
    /// Beside a time's button: schedule that time.
    fn button_schedule_time(&self) -> &'static str;
    fn button_cancel_vote(&self) -> &'static str;
    /// Plain text, for a button's notice: in, or out, for the time `label`.
    fn vote_in(&self, label: &str) -> String;
    fn vote_out(&self, label: &str) -> String;
    /// Plain text: the vote is closed, or gone.
    fn vote_gone(&self) -> &'static str;
    /// Plain text: only the organiser or an admin closes or cancels a vote.
    fn vote_not_yours(&self) -> &'static str;
    /// Plain text: that time has passed.
    fn vote_time_past(&self) -> &'static str;
    /// Plain text: closing, the meeting is being made.
    fn vote_closing_notice(&self) -> &'static str;
    /// Plain text: cancelled.
    fn vote_cancelled_notice(&self) -> &'static str;
    fn too_many_votes(&self, limit: u32) -> String;
    /// Below a reminder of a meeting a vote chose: `who` are mentions (HTML) of those in.
    fn vote_reminder_names(&self, who: &str) -> String;
    /// /upcoming's part on votes: a heading, then a line per vote.
    fn upcoming_votes_header(&self) -> &'static str;
    /// The `n`th vote listed: its topic, when it closes, how many voted.
    fn upcoming_vote_line(
        &self,
        n: usize,
        topic: Option<&str>,
        closes: &str,
        voters: usize,
    ) -> String;
    /// The buttons of the `n`th vote listed.
    fn button_close_vote_nth(&self, n: usize) -> String;
    fn button_cancel_vote_nth(&self, n: usize) -> String;
}

/// A time a vote offers, for its message: when (`span`'s words), who is in (names, plain), and
/// whether it has passed.
pub struct VoteLine {
    pub when: String,
    pub names: Vec<String>,
    pub past: bool,
}

/// ": Design review" after a heading, or nothing without a topic.
pub fn topic_suffix(topic: Option<&str>) -> String {
    match topic {
        Some(t) if !t.is_empty() => format!(": {}", esc(t)),
        _ => String::new(),
    }
}

/// How many names a vote's line shows, at most (then how many more): six lines of them fit one
/// message with room to spare.
pub const VOTE_NAMES_SHOWN: usize = 10;

/// The times of a vote, numbered, each with how many and who are in.
pub fn vote_lines(lines: &[VoteLine], past: &str) -> String {
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        let who = match l.names.len() {
            0 => "—".to_owned(),
            n => {
                let mut names = l
                    .names
                    .iter()
                    .take(VOTE_NAMES_SHOWN)
                    .map(|n| esc_short(n, 40))
                    .collect::<Vec<_>>()
                    .join(", ");
                if n > VOTE_NAMES_SHOWN {
                    names.push_str(&format!(" +{}", n - VOTE_NAMES_SHOWN));
                }
                format!("{n}: {names}")
            }
        };
        let gone = if l.past {
            format!(" ({past})")
        } else {
            String::new()
        };
        out.push_str(&format!("\n{}. {}{gone} · {who}", i + 1, esc(&l.when)));
    }
    out
}

/// `09:05`.
pub fn clock_time(z: &Zoned) -> String {
    format!("{:02}:{:02}", z.hour(), z.minute())
}

/// When a meeting is, as a person says it: "tomorrow, Tue 1 Dec, 15:00–15:30", the date only
/// when it is not today, the end's date only when it is another day, the year only when it is
/// not this year's.
pub fn span(t: &dyn Texts, start: &Zoned, end: &Zoned, today: Date) -> String {
    let day = start.date();
    let mut out = moment(t, start, today);
    out.push('–');
    if end.date() != day {
        out.push_str(&t.date(end.date(), end.date().year() != today.year()));
        out.push(' ');
    }
    out.push_str(&clock_time(end));
    out
}

/// A moment as a person says it: "tomorrow, Tue 1 Dec, 15:00" (`span`'s start).
pub fn moment(t: &dyn Texts, at: &Zoned, today: Date) -> String {
    let day = at.date();
    let mut out = String::new();
    if day == today {
        out.push_str(t.today());
        out.push_str(", ");
    } else if today.tomorrow().is_ok_and(|d| d == day) {
        out.push_str(t.tomorrow());
        out.push_str(", ");
    }
    out.push_str(&t.date(day, day.year() != today.year()));
    out.push_str(", ");
    out.push_str(&clock_time(at));
    out
}

/// A recurring meeting's days and hours: "every weekday, 10:00–10:30".
pub fn repeats(t: &dyn Texts, days: Weekdays, start: &Zoned, end: &Zoned) -> String {
    format!(
        "{}, {}–{}",
        t.every(days),
        clock_time(start),
        clock_time(end)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_drops_tags_and_decodes_what_esc_wrote() {
        let html = format!("<b>Topic:</b> {}", esc("Q&A <draft> \"x\" 'y'"));
        assert_eq!(plain(&html), "Topic: Q&A <draft> \"x\" 'y'");
        assert_eq!(plain("no tags"), "no tags");
        assert_eq!(
            plain(&esc("&amp;")),
            "&amp;",
            "decoded once, as written once"
        );
    }

    #[test]
    fn language_choice() {
        assert_eq!(Lang::from_code(Some("ru")), Lang::Ru);
        assert_eq!(Lang::from_code(Some("ru-RU")), Lang::Ru);
        assert_eq!(Lang::from_code(Some("rue")), Lang::En);
        assert_eq!(Lang::from_code(Some("en")), Lang::En);
        assert_eq!(Lang::from_code(None), Lang::En);
    }

    /// Cuts are measured as Telegram measures: in UTF-16 units, an emoji two, a Cyrillic letter
    /// one; a cut never splits what a reader sees as one character when the head has room for it.
    #[test]
    fn ellipsize_counts_utf16_units_and_keeps_characters_whole() {
        let cases = [
            ("hello world", 5, "hell…"),
            ("hello", 5, "hello"),
            ("Привет мир", 7, "Привет…"),
            ("😀😀😀😀", 8, "😀😀😀😀"),
            ("😀😀😀😀", 7, "😀😀😀…"),
            ("😀😀😀😀", 6, "😀😀…"),
            ("😀😀😀😀", 4, "😀…"),
            // A surrogate pair is never split, even when it leaves room unused.
            ("a😀b", 3, "a…"),
            // Joined emoji, skin tones, flags, keycaps and accents stay whole.
            ("a👨\u{200D}👩\u{200D}👧 b", 6, "a…"),
            ("👍🏽👍🏽", 6, "👍🏽…"),
            ("🇷🇺🇩🇪", 7, "🇷🇺…"),
            ("x🇷🇺🇩🇪", 8, "x🇷🇺…"),
            ("a1\u{FE0F}\u{20E3}b", 4, "a…"),
            ("cafe\u{301}s", 5, "caf…"),
            ("x\u{301}abc", 4, "x\u{301}a…"),
            // Only when nothing whole fits is a character cut off from its mark.
            ("👍🏽", 3, "👍…"),
        ];
        for (s, max, cut) in cases {
            let got = ellipsize(s, max);
            assert_eq!(got, cut, "{s:?} to {max}");
            assert!(got.encode_utf16().count() <= max, "{s:?} to {max}: {got:?}");
        }
    }

    /// `esc_short` measures the value as it shows, before escaping: `&` is one character, and a
    /// cut never leaves half an entity.
    #[test]
    fn esc_short_measures_the_value_not_its_escaping() {
        assert_eq!(esc_short("a&b<c", 5), "a&amp;b&lt;c");
        assert_eq!(esc_short("<&>x", 3), "&lt;&amp;…");
        assert_eq!(esc_short("😀<", 2), "…");
    }

    #[test]
    fn prompts_name_what_they_want() {
        let en = Lang::En.texts();
        assert!(en.ask_cohosts().contains("email"));
        assert!(en.ask_description().contains("description"));
        assert!(en.ask_title().contains("title"));
    }

    /// Telegram refuses a whole message over one stray `<` or `&`: every text must be HTML made
    /// only of the tags we use and well-formed entities, for any values put into it.
    fn assert_well_formed(html: &str) {
        let mut rest = html;
        while let Some(i) = rest.find(['<', '&']) {
            let tail = &rest[i..];
            let ok = if tail.starts_with('<') {
                ["<b>", "</b>", "<code>", "</code>"]
                    .iter()
                    .any(|t| tail.starts_with(t))
            } else {
                ["&lt;", "&gt;", "&amp;", "&quot;", "&#39;"]
                    .iter()
                    .any(|e| tail.starts_with(e))
            };
            assert!(
                ok,
                "malformed HTML at {:?} in {html:?}",
                &tail[..tail.len().min(20)]
            );
            rest = &tail[1..];
        }
    }

    #[test]
    fn every_text_is_well_formed_html() {
        use crate::telemost::model::{InvalidInput, StreamAccess, WaitingRoomLevel};
        let nasty = "<b>&x</b> <a href=\"x\">";
        for lang in [Lang::En, Lang::Ru] {
            let t = lang.texts();
            let mut all: Vec<String> = vec![
                t.help().into(),
                t.unknown_command().into(),
                t.idle_hint().into(),
                t.internal_error().into(),
                t.no_token(true).into(),
                t.no_token(false).into(),
                t.token_prompt().into(),
                t.token_saved(true).into(),
                t.token_saved(false).into(),
                t.token_malformed().into(),
                t.token_in_group(true).into(),
                t.token_in_group(false).into(),
                t.token_only_in_private().into(),
                t.token_forgotten().into(),
                t.token_none_to_forget().into(),
                t.connect_in_groups_only().into(),
                t.admins_only().into(),
                t.anonymous_admin().into(),
                t.connect_link().into(),
                t.connect_prompt().into(),
                t.connect_code_other_user().into(),
                t.connect_code_expired().into(),
                t.connect_code_invalid().into(),
                t.group_token_saved().into(),
                t.group_connected(nasty),
                t.no_longer_admin().into(),
                t.disconnected().into(),
                t.group_has_no_token().into(),
                t.login_not_configured().into(),
                t.login_started(nasty, 5),
                t.login_done().into(),
                t.login_denied().into(),
                t.login_expired().into(),
                t.login_failed().into(),
                t.login_cancelled().into(),
                t.meeting_links(None, nasty),
                t.meeting_links(Some(nasty), nasty),
                t.topic_too_long(300),
                t.record_failed().into(),
                t.ask_manage_cohosts(true).into(),
                t.ask_manage_cohosts(false).into(),
                t.cohosts_updated(nasty),
                t.history_header(nasty),
                t.history_empty().into(),
                t.and_more(3),
                t.settings_header().into(),
                t.cancelled().into(),
                t.nothing_to_cancel().into(),
                t.use_buttons().into(),
                t.send_text().into(),
                t.ask_title().into(),
                t.ask_waiting_room().into(),
                t.ask_stream_access().into(),
                t.ask_description().into(),
                t.ask_cohosts().into(),
                t.reply_hint().into(),
                t.creating().into(),
                t.creation_interrupted().into(),
                t.meeting_created(None, nasty),
                t.meeting_created(Some(nasty), nasty),
                t.stream_created(nasty, nasty, Some(nasty)),
                t.stream_created(nasty, nasty, None),
                t.inline_creating().into(),
            ];
            // Meetings for later.
            use crate::schedule::WhenError;
            for e in [
                WhenError::NeedsTime,
                WhenError::BadTime(nasty.into()),
                WhenError::BadDate(nasty.into()),
                WhenError::Past,
                WhenError::TooFarAhead,
                WhenError::BadDuration(nasty.into()),
                WhenError::Unreadable(nasty.into()),
            ] {
                all.push(t.when_unreadable(&e));
            }
            for topic in [None, Some(nasty)] {
                all.push(t.meeting_scheduled(topic, nasty, nasty, nasty, 0));
                all.push(t.meeting_scheduled(topic, nasty, nasty, nasty, 10));
                all.push(t.series_scheduled(topic, nasty, nasty, nasty, 5));
                all.push(t.calendar_caption(topic));
                all.push(t.reminder_soon(topic, 10, nasty, nasty));
                all.push(t.reminder_now(topic, nasty));
                all.push(t.reminder_late(topic, nasty, 20, nasty));
                all.push(t.reminder_missed(topic, nasty, Some(nasty)));
                all.push(t.reminder_missed(topic, nasty, None));
                all.push(t.occurrence_ready(topic, nasty, nasty));
                all.push(t.occurrence_failed(topic, nasty, t.admins_only()));
            }
            all.extend([
                t.streams_not_recurring().into(),
                t.ask_when().into(),
                t.series_ended().into(),
                t.when_not_found().into(),
                t.upcoming_header(nasty),
                t.upcoming_empty().into(),
                t.too_many_scheduled(50),
                t.remind(0),
                t.remind(15),
                t.ask_timezone().into(),
                t.timezone_unknown(nasty),
                t.timezone_saved(nasty),
            ]);
            for l in WaitingRoomLevel::ALL {
                all.push(t.waiting_room(l).into());
            }
            for a in StreamAccess::ALL {
                all.push(t.stream_access(a).into());
            }
            for e in [
                InvalidInput::EmptyTitle,
                InvalidInput::TitleTooLong { chars: 2000 },
                InvalidInput::DescriptionTooLong { chars: 3000 },
                InvalidInput::NoCohosts,
                InvalidInput::TooManyCohosts { count: 31 },
                InvalidInput::BadEmails(vec![nasty.into(), "&".into()]),
            ] {
                all.push(t.invalid_input(&e));
            }
            for e in [
                TelemostError::Unauthorized,
                TelemostError::PaymentRequired,
                TelemostError::Forbidden {
                    message: Some(nasty.into()),
                },
                TelemostError::UnknownCohosts {
                    emails: vec![nasty.into()],
                },
                TelemostError::UnknownCohosts { emails: vec![] },
                TelemostError::ConferenceNotFound,
                TelemostError::Rejected {
                    status: 400,
                    code: None,
                    message: Some(nasty.into()),
                },
                TelemostError::Rejected {
                    status: 400,
                    code: None,
                    message: None,
                },
                TelemostError::Unavailable(nasty.into()),
                TelemostError::Malformed(nasty.into()),
            ] {
                all.push(t.telemost_error(&e));
            }
            for text in &all {
                assert_well_formed(text);
            }
        }
    }

    #[test]
    fn command_menus_match() {
        let en: Vec<_> = Lang::En.texts().commands().map(|c| c.0).into();
        let ru: Vec<_> = Lang::Ru.texts().commands().map(|c| c.0).into();
        assert_eq!(en, ru);
    }
}
