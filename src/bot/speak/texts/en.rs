//! Everything the bot says in English (and to users whose language it does not speak).

use jiff::civil::{Date, Weekday};

use super::{Texts, VoteLine, esc, esc_short, topic_suffix, vote_lines};
use crate::bot::topic::TOPIC_MAX_CHARS;
use crate::schedule::when::{MAX_CANDIDATES, MIN_CANDIDATES, OptionsError};
use crate::schedule::{Weekdays, WhenError};
use crate::telemost::TelemostError;
use crate::telemost::model::{InvalidInput, StreamAccess, WaitingRoomLevel, limits};

pub struct En;

impl Texts for En {
    fn commands(&self) -> [(&'static str, &'static str); 14] {
        [
            ("meet", "Create a Telemost meeting, now or for later"),
            ("stream", "Create a live stream: /stream <title>"),
            ("upcoming", "Scheduled and recurring meetings"),
            (
                "findtime",
                "Vote on when to meet: /findtime tue 15:00, wed 11:00",
            ),
            ("history", "The last meetings of this chat"),
            ("settings", "This chat's defaults for new meetings"),
            ("token", "Set the Telemost OAuth token (private chat)"),
            ("login", "Sign in with Yandex instead of pasting a token"),
            ("connect", "Give this group a token (group admins)"),
            ("disconnect", "Remove this group's token (group admins)"),
            ("forget", "Forget this chat's token"),
            ("cancel", "Cancel the current dialogue"),
            ("help", "How to use the bot"),
            ("start", "Start"),
        ]
    }

    fn help(&self) -> &'static str {
        "<b>I create Yandex Telemost meetings and live streams.</b>\n\n\
         /meet: a new meeting; pick the waiting room and cohosts, or just tap Create.\n\
         \u{2003}<code>/meet</code>, or <code>/meet now</code> for the chat's usual meeting at once\n\
         \u{2003}<code>/meet tomorrow 15:00 for 1h Design review</code>, <code>/meet in 30 min</code>\n\
         \u{2003}<code>/meet every weekday 10:00 Standup</code>: a fresh link before each one\n\
         /findtime: the chat votes on a few times; the winner becomes the meeting.\n\
         \u{2003}<code>/findtime tue 15:00, wed 11:00, thu 16:00 for 1h Design review</code>\n\
         /upcoming: the chat's scheduled and recurring meetings and open votes, to cancel.\n\
         /stream: a live stream, with its watch link.\n\
         \u{2003}<code>/stream Quarterly results</code>\n\
         /history: the last 10 meetings of this chat.\n\
         /settings: this chat's defaults (waiting room, viewers, notes, instant /meet, time \
         zone, reminders).\n\
         /token: set your Telemost OAuth token, in a private chat with me.\n\
         \u{2003}<code>/token y0_AgAAAA…</code>\n\
         /login: sign in with Yandex instead of pasting a token.\n\
         /connect, /disconnect: (group admins) give the group its own token privately, or \
         remove it.\n\
         /forget: forget this chat's token.  /cancel: stop what we are doing.\n\
         In any chat, type my @username to create a meeting right there.\n\n\
         First set a token: /token or /login in a private chat with me. In a group, /meet uses \
         the group's token if an admin connected one, else the token of whoever types it.\n\n\
         <b>Getting a token</b> (Yandex 360 for business accounts): register an app at \
         https://oauth.yandex.ru/client/new with the scopes telemost-api:conferences.create, \
         .read and .update; then, signed in with your work account, open \
         https://oauth.yandex.ru/authorize?response_type=token&amp;client_id=&lt;the app's ClientID&gt; \
         and copy the token it shows."
    }
    fn unknown_command(&self) -> &'static str {
        "I don't know that command. /help lists what I can do."
    }
    fn idle_hint(&self) -> &'static str {
        "Send /meet for a new meeting or /stream &lt;title&gt; for a live stream. /help explains more."
    }
    fn internal_error(&self) -> &'static str {
        "Something went wrong on my side. Please try again in a minute (if you were creating a \
         meeting, check /history first)."
    }

    fn no_token(&self, in_group: bool) -> &'static str {
        if in_group {
            "I don't have a Telemost token for you yet. Open a private chat with me and send \
             /token &lt;your OAuth token&gt;; then /meet here will use it. /help explains how to get one."
        } else {
            "I don't have a Telemost token for this chat yet. Send /token &lt;your OAuth token&gt;. \
             /help explains how to get one."
        }
    }
    fn no_token_toast(&self) -> &'static str {
        "No Telemost token here yet: see /help"
    }
    fn token_prompt(&self) -> &'static str {
        "Send me your Telemost OAuth token. I will delete your message as soon as I have saved it. \
         /cancel to stop."
    }
    fn token_saved(&self, deleted: bool) -> &'static str {
        if deleted {
            "Token saved, and your message with it deleted. Now /meet creates a meeting."
        } else {
            "Token saved. I could not delete your message with it: please delete it yourself. \
             Now /meet creates a meeting."
        }
    }
    fn token_malformed(&self) -> &'static str {
        "That doesn't look like an OAuth token (it should be one word, without spaces). \
         Send the token again, or /cancel."
    }
    fn token_in_group(&self, deleted: bool) -> &'static str {
        if deleted {
            "I deleted that message: a token must never be posted in a group. If others could \
             have seen it, revoke it in your Yandex ID account. To give this group a token, an \
             admin sends /connect here and pastes the token in the private chat it opens."
        } else {
            "A token must never be posted in a group, and I could not delete that message (I am \
             not an admin here). Delete it now and revoke the token in your Yandex ID account, \
             then have an admin send /connect here to give the group a new one in private."
        }
    }
    fn token_only_in_private(&self) -> &'static str {
        "Tokens are never posted in a group. To give this group a token, an admin sends /connect here and pastes it in the private chat it opens; for your own meetings, send /token in a private chat with me."
    }
    fn token_forgotten(&self) -> &'static str {
        "Done: I forgot this chat's token."
    }
    fn token_none_to_forget(&self) -> &'static str {
        "This chat has no token to forget."
    }

    fn connect_in_groups_only(&self) -> &'static str {
        "/connect is for groups: add me to your group and send /connect there."
    }
    fn admins_only(&self) -> &'static str {
        "Only the group's administrators can do that."
    }
    fn anonymous_admin(&self) -> &'static str {
        "You are posting as the group (anonymous admin). Switch to your own account for this, \
         so I know which administrator is connecting the group."
    }
    fn shared_sender(&self) -> &'static str {
        "You are posting as the group or as a channel, so I can't tell whose draft this would \
         be. <code>/meet now</code> creates a meeting at once with the group's defaults and its \
         own token (an admin's /connect); for the panel, post as yourself."
    }
    fn connect_link(&self) -> &'static str {
        "Open this link to give the group its Telemost token in a private chat with me. It \
         works once, only for you, for 10 minutes."
    }
    fn button_connect(&self) -> &'static str {
        "Set the group's token"
    }
    fn connect_prompt(&self) -> &'static str {
        "Send me the Telemost OAuth token the group should use (I will delete your message), or \
         /login to sign in with Yandex. /cancel to stop."
    }
    fn connect_code_other_user(&self) -> &'static str {
        "This link was made for another administrator. Send /connect in the group to get your own."
    }
    fn connect_code_expired(&self) -> &'static str {
        "This link has expired. Send /connect in the group again."
    }
    fn connect_code_invalid(&self) -> &'static str {
        "This link is not valid or was already used. Send /connect in the group again."
    }
    fn group_token_saved(&self) -> &'static str {
        "Saved: the group now creates meetings with this token. Your message with it is deleted."
    }
    fn group_connected(&self, who: &str) -> String {
        format!(
            "{} connected this group to Telemost. Everyone here can now create meetings with /meet.",
            esc(who)
        )
    }
    fn no_longer_admin(&self) -> &'static str {
        "You are no longer an administrator of that group, so I did not save the token."
    }
    fn disconnected(&self) -> &'static str {
        "Done: this group's token is removed. /meet here now uses each member's own token."
    }
    fn group_has_no_token(&self) -> &'static str {
        "This group has no token to remove."
    }

    fn login_not_configured(&self) -> &'static str {
        "Login with Yandex is not set up on this bot (its operator has to set YANDEX_CLIENT_ID). \
         You can still paste a token with /token."
    }
    fn login_started(&self, user_code: &str, minutes: u64) -> String {
        format!(
            "Open the Yandex page below and enter the code <code>{}</code>. I will tell you as soon \
             as you allow access. The code is valid for {minutes} min. /cancel to stop.",
            esc(user_code)
        )
    }
    fn button_open_login(&self) -> &'static str {
        "Open Yandex"
    }
    fn login_done(&self) -> &'static str {
        "Signed in with Yandex: token saved. Now /meet creates a meeting."
    }
    fn login_denied(&self) -> &'static str {
        "Access was denied on the Yandex page. Nothing was saved."
    }
    fn login_expired(&self) -> &'static str {
        "The code expired before it was entered. Send /login to try again."
    }
    fn login_failed(&self) -> &'static str {
        "Signing in with Yandex failed. Try /login again later, or paste a token with /token."
    }
    fn login_cancelled(&self) -> &'static str {
        "Login cancelled."
    }

    fn button_share(&self) -> &'static str {
        "Share"
    }
    fn button_details(&self) -> &'static str {
        "Details"
    }
    fn button_change_waiting_room(&self) -> &'static str {
        "Waiting room"
    }
    fn button_add_cohosts(&self) -> &'static str {
        "Add cohosts"
    }
    fn button_replace_cohosts(&self) -> &'static str {
        "Replace cohosts"
    }
    fn button_clear_cohosts(&self) -> &'static str {
        "Remove cohosts"
    }
    fn button_back(&self) -> &'static str {
        "Back"
    }
    fn meeting_links(&self, topic: Option<&str>, join_url: &str) -> String {
        match topic {
            Some(topic) => format!(
                "<b>Telemost meeting:</b> {}\nJoin: {}",
                esc(topic),
                esc(join_url)
            ),
            None => format!("<b>Telemost meeting</b>\nJoin: {}", esc(join_url)),
        }
    }
    fn label_watch(&self) -> &'static str {
        "Watch"
    }
    fn ask_manage_cohosts(&self, replace: bool) -> &'static str {
        if replace {
            "Send the emails of the new cohosts (they replace the current ones), separated by \
             commas, spaces or new lines."
        } else {
            "Send the emails of the cohosts to add, separated by commas, spaces or new lines."
        }
    }
    fn cohosts_updated(&self, list: &str) -> String {
        format!("Done: cohosts updated ({}).", esc(list))
    }

    fn inline_set_token(&self) -> &'static str {
        "Set up your Telemost token first"
    }
    fn inline_meeting_hint(&self) -> &'static str {
        "Created with your token and your defaults when you send it"
    }
    fn inline_new_stream(&self, title: &str) -> String {
        format!("New live stream: {title}")
    }
    fn inline_new_meeting(&self, topic: &str) -> String {
        format!("New meeting: {topic}")
    }
    fn inline_stream_hint(&self) -> &'static str {
        "The text you typed is the stream's title"
    }
    fn inline_creating(&self) -> &'static str {
        "Creating a Telemost meeting…"
    }

    fn history_header(&self, zone: &str) -> String {
        format!("Last meetings in this chat ({}):", esc(zone))
    }
    fn history_empty(&self) -> &'static str {
        "No meetings were created in this chat yet. /meet creates one."
    }
    fn and_more(&self, n: usize) -> String {
        format!("… and {n} more")
    }
    fn kind_meeting(&self) -> &'static str {
        "meeting"
    }
    fn kind_stream(&self) -> &'static str {
        "stream"
    }

    fn settings_header(&self) -> &'static str {
        "Settings for meetings created in this chat"
    }
    fn label_auto_summary(&self) -> &'static str {
        "Meeting notes"
    }
    fn label_instant_meet(&self) -> &'static str {
        "Instant /meet"
    }
    fn label_admins_only(&self) -> &'static str {
        "Only admins create"
    }
    fn on_off(&self, on: bool) -> &'static str {
        if on { "on" } else { "off" }
    }
    fn button_done(&self) -> &'static str {
        "Done"
    }
    fn settings_saved(&self) -> &'static str {
        "Saved"
    }

    fn cancelled(&self) -> &'static str {
        "Cancelled."
    }
    fn nothing_to_cancel(&self) -> &'static str {
        "There is nothing to cancel."
    }
    fn stale_button(&self) -> &'static str {
        "This button is from a finished dialogue. Start again with /meet or /stream."
    }
    fn not_your_dialogue(&self) -> &'static str {
        "Someone else started this meeting; start your own with /meet."
    }
    fn not_your_meeting(&self) -> &'static str {
        "Only whoever created this meeting, or a group admin, can view or change it."
    }
    fn member_gone(&self, name: Option<&str>) -> String {
        let whose = match name {
            Some(name) => format!(
                "<b>{}</b>'s own Telemost account, and they are",
                esc_short(name, 64)
            ),
            None => "the own Telemost account of someone who is".to_owned(),
        };
        format!(
            "This uses {whose} no longer in this chat, so I don't use it here any more. An admin \
             can /connect the group's own account."
        )
    }
    fn member_gone_toast(&self) -> &'static str {
        "Made with the Telemost account of someone no longer in this chat: I don't use it here. \
         An admin can /connect the group's own."
    }
    fn still_creating(&self) -> &'static str {
        "Still creating, one moment…"
    }
    fn creation_interrupted(&self) -> &'static str {
        "The last attempt to create this meeting was interrupted. Check /history before creating \
         it again."
    }
    fn use_buttons(&self) -> &'static str {
        "Please choose with the buttons below."
    }
    fn send_text(&self) -> &'static str {
        "Please send it as text."
    }

    fn new_meeting(&self) -> &'static str {
        "New Telemost meeting"
    }
    fn new_stream(&self) -> &'static str {
        "New Telemost live stream"
    }
    fn label_title(&self) -> &'static str {
        "Title"
    }
    fn label_waiting_room(&self) -> &'static str {
        "Waiting room"
    }
    fn label_stream_access(&self) -> &'static str {
        "Who may watch"
    }
    fn label_description(&self) -> &'static str {
        "Description"
    }
    fn label_cohosts(&self) -> &'static str {
        "Cohosts"
    }
    fn none(&self) -> &'static str {
        "none"
    }
    fn waiting_room(&self, level: WaitingRoomLevel) -> &'static str {
        match level {
            WaitingRoomLevel::Public => "off, everyone joins at once",
            WaitingRoomLevel::Organization => "for people outside the organisation",
            WaitingRoomLevel::Admins => "for everyone but the organisers",
        }
    }
    fn stream_access(&self, access: StreamAccess) -> &'static str {
        match access {
            StreamAccess::Public => "anyone with the link",
            StreamAccess::Organization => "the organisation only",
        }
    }

    fn waiting_room_button(&self, level: WaitingRoomLevel) -> &'static str {
        match level {
            WaitingRoomLevel::Public => "No waiting room",
            WaitingRoomLevel::Organization => "Outsiders wait",
            WaitingRoomLevel::Admins => "Everyone waits",
        }
    }
    fn stream_access_button(&self, access: StreamAccess) -> &'static str {
        match access {
            StreamAccess::Public => "Anyone",
            StreamAccess::Organization => "Organisation only",
        }
    }

    fn ask_title(&self) -> &'static str {
        "Send the stream's title (up to 1024 characters)."
    }
    fn ask_waiting_room(&self) -> &'static str {
        "Who should wait in the waiting room? Or tap Create for the defaults."
    }
    fn ask_stream_access(&self) -> &'static str {
        "Who may watch the stream?"
    }
    fn ask_description(&self) -> &'static str {
        "Send a description for the stream (up to 2048 characters), or Skip."
    }
    fn ask_cohosts(&self) -> &'static str {
        "Send the cohosts' email addresses (Yandex accounts), separated by commas, spaces or \
         new lines, up to 30. Or create the meeting without cohosts."
    }
    fn reply_hint(&self) -> &'static str {
        "(Reply to this message.)"
    }

    fn button_create(&self) -> &'static str {
        "✅ Create"
    }
    fn button_cancel(&self) -> &'static str {
        "Cancel"
    }
    fn button_skip(&self) -> &'static str {
        "Skip"
    }
    fn button_no_cohosts(&self) -> &'static str {
        "✅ Create without cohosts"
    }
    fn button_join(&self) -> &'static str {
        "Join the meeting"
    }
    fn button_watch(&self) -> &'static str {
        "Watch the stream"
    }

    fn creating(&self) -> &'static str {
        "Creating the meeting…"
    }
    fn meeting_created(&self, topic: Option<&str>, join_url: &str) -> String {
        match topic {
            Some(topic) => format!(
                "<b>Meeting created:</b> {}\nJoin: {}",
                esc(topic),
                esc(join_url)
            ),
            None => format!("<b>Meeting created.</b>\nJoin: {}", esc(join_url)),
        }
    }
    fn label_topic(&self) -> &'static str {
        "Topic"
    }
    fn topic_too_long(&self, chars: usize) -> String {
        format!(
            "The topic is {chars} characters long; the limit is {TOPIC_MAX_CHARS}, so this meeting \
             has none. To set one, /cancel and send /meet with a shorter topic."
        )
    }
    fn record_failed(&self) -> &'static str {
        "The meeting is created and its links work, but I could not save it, so the buttons \
         under it (Details, Waiting room, cohosts) will not work, and it is missing from /history."
    }
    fn stream_created(&self, title: &str, join_url: &str, watch_url: Option<&str>) -> String {
        let watch = watch_url.unwrap_or("(Telemost sent no watch link)");
        format!(
            "<b>Live stream created:</b> {}\nJoin (speakers): {}\nWatch: {}",
            esc(title),
            esc(join_url),
            esc(watch)
        )
    }

    fn invalid_input(&self, e: &InvalidInput) -> String {
        match e {
            InvalidInput::EmptyTitle => "The title can't be empty. Send the title.".into(),
            InvalidInput::TitleTooLong { chars } => format!(
                "The title is {chars} characters long; the limit is {}. Send a shorter title.",
                limits::TITLE_MAX_CHARS
            ),
            InvalidInput::DescriptionTooLong { chars } => format!(
                "The description is {chars} characters long; the limit is {}. Send a shorter \
                 description.",
                limits::DESCRIPTION_MAX_CHARS
            ),
            InvalidInput::NoCohosts => "I found no email addresses there. Send the cohosts' \
                                        emails, separated by commas."
                .into(),
            InvalidInput::TooManyCohosts { count } => format!(
                "That is {count} cohosts; a meeting can have at most {}. Send a shorter list of \
                 emails.",
                limits::COHOSTS_MAX
            ),
            InvalidInput::BadEmails(bad) if bad.len() == 1 => format!(
                "This is not an email address: {}. Send the whole list of emails again.",
                esc_short(&bad[0], 300)
            ),
            InvalidInput::BadEmails(bad) => format!(
                "These are not email addresses: {}. Send the whole list of emails again.",
                esc_short(&bad.join(", "), 300)
            ),
        }
    }

    fn telemost_error(&self, e: &TelemostError) -> String {
        match e {
            TelemostError::Unauthorized => "Telemost rejected the token: it is invalid, expired \
                 or revoked. Get a new one and send /token &lt;new token&gt; in a private chat with me, \
                 then tap Create again."
                .into(),
            TelemostError::PaymentRequired => "Your organisation's Yandex 360 plan does not \
                 include live streams. A plain meeting (/meet) still works."
                .into(),
            TelemostError::Forbidden { .. } => "Telemost allows its API only to Yandex 360 for \
                 business users with an account on the organisation's domain (and a token with \
                 the telemost-api scopes). Check the account the token belongs to."
                .into(),
            TelemostError::UnknownCohosts { emails } if emails.is_empty() => {
                "Some cohosts are not Yandex accounts. Send the list of emails again.".into()
            }
            TelemostError::UnknownCohosts { emails } => format!(
                "These cohosts are not Yandex accounts: {}. Send the list of emails again.",
                esc_short(&emails.join(", "), 1000)
            ),
            TelemostError::ConferenceNotFound => {
                "Telemost no longer knows this meeting: it may have been deleted.".into()
            }
            TelemostError::Rejected {
                status, message, ..
            } => match message {
                Some(m) => format!("Telemost refused the request ({status}): {}", esc_short(m, 500)),
                None => format!("Telemost refused the request ({status})."),
            },
            TelemostError::Unavailable(_) => {
                "Telemost is unavailable right now. Nothing was created; please try again.".into()
            }
            TelemostError::Malformed(_) => "Telemost answered with something I could not read. \
                 The meeting may not have been created; please try again."
                .into(),
        }
    }

    fn today(&self) -> &'static str {
        "today"
    }
    fn tomorrow(&self) -> &'static str {
        "tomorrow"
    }
    fn date(&self, d: Date, year: bool) -> String {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let month = MONTHS[usize::try_from(d.month() - 1).unwrap_or(0) % 12];
        let mut out = format!("{} {} {month}", self.weekday(d.weekday()), d.day());
        if year {
            out.push_str(&format!(" {}", d.year()));
        }
        out
    }
    fn weekday(&self, d: Weekday) -> &'static str {
        match d {
            Weekday::Monday => "Mon",
            Weekday::Tuesday => "Tue",
            Weekday::Wednesday => "Wed",
            Weekday::Thursday => "Thu",
            Weekday::Friday => "Fri",
            Weekday::Saturday => "Sat",
            Weekday::Sunday => "Sun",
        }
    }
    fn every(&self, days: Weekdays) -> String {
        if days == Weekdays::EVERY_DAY {
            "every day".into()
        } else if days == Weekdays::WEEKDAYS {
            "every weekday".into()
        } else {
            let names: Vec<&str> = days.days().into_iter().map(|d| self.weekday(d)).collect();
            format!("every {}", names.join(", "))
        }
    }
    fn label_when(&self) -> &'static str {
        "When"
    }
    fn label_repeats(&self) -> &'static str {
        "Repeats"
    }
    fn when_unreadable(&self, e: &WhenError) -> String {
        let why = when_why(e);
        format!(
            "I couldn't schedule that: {why}. For example: <code>/meet tomorrow 15:00 Design \
             review</code>, <code>/meet mon 10:00 for 1h</code>, <code>/meet in 30 min</code>, \
             <code>/meet every weekday 10:00 Standup</code>."
        )
    }
    fn streams_not_recurring(&self) -> &'static str {
        "Live streams can be scheduled for one time, not as recurring ones. Send a day and time, \
         e.g. <code>tomorrow 15:00</code>."
    }
    fn button_later(&self) -> &'static str {
        "🕒 Later…"
    }
    fn ask_when(&self) -> &'static str {
        "When? Send a day and time, e.g. <code>tomorrow 15:00</code>, <code>mon 10:00 for \
         1h</code>, <code>in 30 min</code> or <code>every weekday 10:00</code>."
    }
    fn meeting_scheduled(
        &self,
        topic: Option<&str>,
        when: &str,
        zone: &str,
        join_url: &str,
        remind: u32,
    ) -> String {
        let head = match topic {
            Some(topic) => format!("<b>Meeting scheduled:</b> {}", esc(topic)),
            None => "<b>Meeting scheduled.</b>".to_owned(),
        };
        let remind = match remind {
            0 => "I'll remind the chat when it starts.".to_owned(),
            m => format!("I'll remind the chat {m} minutes before and when it starts."),
        };
        format!(
            "{head}\nWhen: {} ({})\nJoin: {}\n{remind}",
            esc(when),
            esc(zone),
            esc(join_url)
        )
    }
    fn series_scheduled(
        &self,
        topic: Option<&str>,
        repeats: &str,
        zone: &str,
        first: &str,
        ahead: u32,
    ) -> String {
        let head = match topic {
            Some(topic) => format!("<b>Recurring meeting set up:</b> {}", esc(topic)),
            None => "<b>Recurring meeting set up.</b>".to_owned(),
        };
        format!(
            "{head}\nRepeats: {} ({})\nFirst: {}\nI'll post a fresh link {ahead} minutes before \
             each one, until it is cancelled in /upcoming.",
            esc(repeats),
            esc(zone),
            esc(first)
        )
    }
    fn button_add_to_calendar(&self) -> &'static str {
        "📅 Add to calendar"
    }
    fn calendar_caption(&self, topic: Option<&str>) -> String {
        match topic {
            Some(topic) => format!("{}: open the file to add it to your calendar.", esc(topic)),
            None => "Open the file to add the meeting to your calendar.".to_owned(),
        }
    }
    fn calendar_title(&self) -> &'static str {
        "Telemost meeting"
    }
    fn schedule_gone(&self) -> &'static str {
        "That meeting is over or was cancelled."
    }
    fn too_many_scheduled(&self, limit: u32) -> String {
        format!(
            "This chat already has {limit} scheduled meetings, the most I keep. Cancel one in \
             /upcoming first."
        )
    }
    fn reminder_soon(&self, topic: Option<&str>, minutes: i64, at: &str, join_url: &str) -> String {
        let what = topic.map_or_else(
            || "The meeting".to_owned(),
            |t| format!("<b>{}</b>", esc(t)),
        );
        format!(
            "⏰ {what} starts in {minutes} min, at {}.\nJoin: {}",
            esc(at),
            esc(join_url)
        )
    }
    fn reminder_now(&self, topic: Option<&str>, join_url: &str) -> String {
        let what = topic.map_or_else(
            || "The meeting".to_owned(),
            |t| format!("<b>{}</b>", esc(t)),
        );
        format!("🔔 {what} is starting now.\nJoin: {}", esc(join_url))
    }
    fn reminder_late(
        &self,
        topic: Option<&str>,
        at: &str,
        late_minutes: i64,
        join_url: &str,
    ) -> String {
        let what = topic.map_or_else(
            || "The meeting".to_owned(),
            |t| format!("<b>{}</b>", esc(t)),
        );
        format!(
            "🔔 {what} started at {}. This reminder is {late_minutes} min late: I was offline.\nJoin: {}",
            esc(at),
            esc(join_url)
        )
    }
    fn reminder_missed(&self, topic: Option<&str>, at: &str, join_url: Option<&str>) -> String {
        let what = topic.map_or_else(
            || "the meeting".to_owned(),
            |t| format!("<b>{}</b>", esc(t)),
        );
        match join_url {
            Some(url) => format!(
                "I was offline and missed the reminder for {what} at {}. The link still works: {}",
                esc(at),
                esc(url)
            ),
            None => format!(
                "I was offline and missed {what} at {}: no link was made for it.",
                esc(at)
            ),
        }
    }
    fn occurrence_ready(&self, topic: Option<&str>, when: &str, join_url: &str) -> String {
        let what = topic.map_or_else(|| "Meeting".to_owned(), |t| format!("<b>{}</b>", esc(t)));
        format!("📅 {what}, {}\nJoin: {}", esc(when), esc(join_url))
    }
    fn occurrence_failed(&self, topic: Option<&str>, when: &str, reason: &str) -> String {
        let what = topic.map_or_else(
            || "the meeting".to_owned(),
            |t| format!("<b>{}</b>", esc(t)),
        );
        format!(
            "I couldn't make the link for {what}, {}. {reason}",
            esc(when)
        )
    }
    fn series_ended(&self) -> &'static str {
        "So this recurring meeting has stopped; someone who may create meetings here can set it \
         up again with /meet."
    }
    fn when_not_found(&self) -> &'static str {
        "I couldn't find a day and time in that. Send e.g. <code>tomorrow 15:00</code>, \
         <code>mon 10:00 for 1h</code> or <code>every weekday 10:00</code>, or tap Cancel."
    }
    fn upcoming_header(&self, zone: &str) -> String {
        format!("<b>Scheduled meetings</b> ({})", esc(zone))
    }
    fn upcoming_empty(&self) -> &'static str {
        "No meetings are scheduled in this chat. <code>/meet tomorrow 15:00 Topic</code> or \
         <code>/meet every weekday 10:00 Standup</code> schedules one."
    }
    fn button_cancel_nth(&self, n: usize) -> String {
        format!("✖ Cancel {n}")
    }
    fn schedule_cancelled(&self) -> &'static str {
        "Cancelled. (A link already made still works.)"
    }
    fn not_yours_to_cancel(&self) -> &'static str {
        "Only whoever scheduled it or a group admin can cancel it."
    }
    fn label_timezone(&self) -> &'static str {
        "Time zone"
    }
    fn label_remind(&self) -> &'static str {
        "Reminders"
    }
    fn remind(&self, minutes: u32) -> String {
        match minutes {
            0 => "when a meeting starts".to_owned(),
            m => format!("{m} min before and when it starts"),
        }
    }
    fn button_remind(&self, minutes: u32) -> String {
        match minutes {
            0 => "At the start".to_owned(),
            m => format!("{m} min before"),
        }
    }
    fn button_other_zone(&self) -> &'static str {
        "Other…"
    }
    fn ask_timezone(&self) -> &'static str {
        "Send the chat's time zone as its IANA name, e.g. <code>Asia/Yekaterinburg</code>, \
         <code>Europe/Berlin</code> or <code>America/New_York</code>."
    }
    fn timezone_unknown(&self, typed: &str) -> String {
        format!(
            "I don't know the time zone <code>{}</code>. Send an IANA name such as \
             <code>Asia/Novosibirsk</code>, or /cancel.",
            esc_short(typed, 60)
        )
    }
    fn timezone_saved(&self, zone: &str) -> String {
        format!("Time zone set: {}.", esc(zone))
    }
    fn button_planner(&self) -> &'static str {
        "🗓 Planner"
    }
    fn planner_not_member(&self) -> &'static str {
        "You are not in that chat (or the bot is not), so the planner cannot act there."
    }
    fn planner_bad_link(&self) -> &'static str {
        "This planner link names no chat. Open the planner from the chat's /meet."
    }
    fn planner_bad_request(&self) -> &'static str {
        "The planner sent something the bot cannot read. Reload it and try again."
    }
    fn planner_busy(&self) -> &'static str {
        "That is a lot of requests at once. Wait a minute and try again."
    }
    fn planner_bad_weekday(&self) -> &'static str {
        "Repeat on weekdays: Monday to Sunday."
    }
    fn planner_stream_now(&self) -> &'static str {
        "A live stream is created right away. To plan ahead, plan a meeting instead."
    }

    fn button_find_time(&self) -> &'static str {
        "🗳 Find a time…"
    }
    fn ask_times(&self) -> &'static str {
        "Which times shall the chat vote on? Send 2 to 6, separated by commas, e.g. <code>tue \
         15:00, wed 11:00, thu 16:00 for 1h</code> (a topic may follow)."
    }
    fn vote_started_below(&self) -> &'static str {
        "🗳 The vote is below."
    }
    fn findtime_usage(&self) -> &'static str {
        "<b>Find a time:</b> send 2 to 6 times, separated by commas, and the chat votes. For \
         example: <code>/findtime tue 15:00, wed 11:00, thu 16:00 for 1h Design review</code>. \
         Add <code>until mon 18:00</code> to close the vote then (by default it closes two hours \
         before the earliest time); the time with the most votes becomes the meeting."
    }
    fn findtime_error(&self, e: &OptionsError) -> String {
        let why = match e {
            OptionsError::NoTimes => "it should start with a time".to_owned(),
            OptionsError::NotATime { item, text } => {
                format!(
                    "item {item}, <code>{}</code>, is not a time",
                    esc_short(text, 40)
                )
            }
            OptionsError::Item { item, error } => format!("item {item}: {}", when_why(error)),
            OptionsError::Recurring { item } => {
                format!("item {item} repeats; a vote is on one-time meetings")
            }
            OptionsError::Twice { item } => {
                format!("item {item} is the same time as an earlier one")
            }
            OptionsError::TooFew => format!("a vote needs at least {MIN_CANDIDATES} times"),
            OptionsError::TooMany => format!("a vote offers at most {MAX_CANDIDATES} times"),
            OptionsError::Until(_) => {
                "the time after <code>until</code> is not a good one (is it past?)".to_owned()
            }
            OptionsError::UntilRecurring => "the vote closes once, not every week".to_owned(),
            OptionsError::UntilTooLate => {
                "the vote must close before the last time it offers".to_owned()
            }
        };
        format!(
            "I couldn't start that vote: {why}. For example: <code>/findtime tue 15:00, wed \
             11:00, thu 16:00 for 1h Design review</code> or <code>/findtime tomorrow 10:00, \
             tomorrow 14:00 until today 20:00</code>."
        )
    }
    fn vote_open(
        &self,
        topic: Option<&str>,
        organiser: &str,
        lines: &[VoteLine],
        deadline: &str,
        zone: &str,
        private: bool,
    ) -> String {
        let head = match topic {
            Some(t) if !t.is_empty() => format!("🗳 <b>When shall we meet?</b> {}", esc(t)),
            _ => "🗳 <b>When shall we meet?</b>".to_owned(),
        };
        let how = if private {
            "Tap the time that suits you and I'll schedule it.".to_owned()
        } else {
            format!(
                "Tap every time that suits you (tap again to take it back). {} schedules one \
                 with 📅; otherwise the vote closes {} and the time with the most votes wins.",
                esc_short(organiser, 64),
                esc(deadline)
            )
        };
        format!(
            "{head}\n{how} Times in {}.\n{}",
            esc(zone),
            vote_lines(lines, "passed")
        )
    }
    fn vote_closing(
        &self,
        topic: Option<&str>,
        lines: &[VoteLine],
        chosen: Option<&str>,
    ) -> String {
        let doing = match chosen {
            Some(c) => format!("Scheduling the meeting for {}…", esc(c)),
            None => "Scheduling the meeting…".to_owned(),
        };
        format!(
            "🗳 <b>Vote closed</b>{}. {doing}\n{}",
            topic_suffix(topic),
            vote_lines(lines, "passed")
        )
    }
    fn vote_scheduled(&self, topic: Option<&str>, lines: &[VoteLine], chosen: &str) -> String {
        format!(
            "🗳 <b>Vote closed</b>{}: the meeting is {}; its link is below.\n{}",
            topic_suffix(topic),
            esc(chosen),
            vote_lines(lines, "passed")
        )
    }
    fn vote_missed(&self, topic: Option<&str>, lines: &[VoteLine]) -> String {
        format!(
            "🗳 <b>Vote closed without a meeting</b>{}: no time still ahead had anyone in for \
             it.\n{}",
            topic_suffix(topic),
            vote_lines(lines, "passed")
        )
    }
    fn vote_cancelled(&self, topic: Option<&str>, lines: &[VoteLine]) -> String {
        format!(
            "🗳 <b>Vote cancelled</b>{}.\n{}",
            topic_suffix(topic),
            vote_lines(lines, "passed")
        )
    }
    fn vote_failed(&self, topic: Option<&str>, lines: &[VoteLine], chosen: &str) -> String {
        format!(
            "🗳 <b>Vote closed</b>{} on {}, but the meeting could not be made (see below).\n{}",
            topic_suffix(topic),
            esc(chosen),
            vote_lines(lines, "passed")
        )
    }
    fn vote_not_made(&self, reason: &str) -> String {
        format!("The vote's meeting was not made: {reason}")
    }
    fn button_vote(&self, label: &str, count: usize) -> String {
        format!("{label} · {count}")
    }
    fn button_schedule_time(&self) -> &'static str {
        "📅"
    }
    fn button_cancel_vote(&self) -> &'static str {
        "✖ Cancel the vote"
    }
    fn vote_in(&self, label: &str) -> String {
        format!("✓ You're in for {label}.")
    }
    fn vote_out(&self, label: &str) -> String {
        format!("You're out for {label}.")
    }
    fn vote_gone(&self) -> &'static str {
        "This vote is closed."
    }
    fn vote_not_yours(&self) -> &'static str {
        "Only whoever started the vote, or a group admin, can close or cancel it."
    }
    fn vote_time_past(&self) -> &'static str {
        "That time has passed: choose another."
    }
    fn vote_closing_notice(&self) -> &'static str {
        "Closing the vote and scheduling the meeting…"
    }
    fn vote_cancelled_notice(&self) -> &'static str {
        "Vote cancelled."
    }
    fn too_many_votes(&self, limit: u32) -> String {
        format!("This chat already has {limit} open votes: close or cancel one (/upcoming) first.")
    }
    fn vote_reminder_names(&self, who: &str) -> String {
        format!("Voted for this time: {who}")
    }
    fn upcoming_votes_header(&self) -> &'static str {
        "<b>Open votes</b>"
    }
    fn upcoming_vote_line(
        &self,
        n: usize,
        topic: Option<&str>,
        closes: &str,
        voters: usize,
    ) -> String {
        let what = topic.map_or("When shall we meet?".to_owned(), |t| esc_short(t, 60));
        let voters = match voters {
            1 => "1 has voted".to_owned(),
            n => format!("{n} have voted"),
        };
        format!("\nV{n}. {what}: closes {}; {voters}", esc(closes))
    }
    fn button_close_vote_nth(&self, n: usize) -> String {
        format!("🗳 Close V{n}")
    }
    fn button_cancel_vote_nth(&self, n: usize) -> String {
        format!("✖ Cancel V{n}")
    }
}

/// Why a typed time does not make a meeting (the middle of `when_unreadable`).
fn when_why(e: &WhenError) -> String {
    match e {
        WhenError::NeedsTime => "I need a time too".to_owned(),
        WhenError::BadTime(t) => {
            format!("<code>{}</code> is not a time of day", esc_short(t, 40))
        }
        WhenError::BadDate(d) => format!("<code>{}</code> is not a date", esc_short(d, 40)),
        WhenError::Past => "that time has already passed".to_owned(),
        WhenError::TooFarAhead => "that is more than a year ahead".to_owned(),
        WhenError::BadDuration(d) => format!(
            "a meeting lasts from a minute to 24 hours, not <code>{}</code>",
            esc_short(d, 40)
        ),
        WhenError::Unreadable(d) => {
            format!(
                "I can't tell which day <code>{}</code> is",
                esc_short(d, 40)
            )
        }
    }
}
