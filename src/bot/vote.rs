//! Votes on when to meet, as the feature (`findtime`) and the background work (`jobs::votes`)
//! share them: the times a vote offers as stored, the rule that picks the winner, when a vote
//! closes by itself, and its message with its buttons, drawn from what is stored (so any process
//! draws the same).
//!
//! A vote's life (`state`, stored with it):
//!
//! ```text
//! open ── a press of 📅 (organiser, admin) or Close ──▶ closing ──▶ scheduled | failed
//!   │ └── the deadline: the rule picks ───────────────▶ closing ──▶ scheduled | failed
//!   │                   nothing to pick ──────────────▶ missed
//!   └──── Cancel (organiser, admin) ──────────────────▶ cancelled
//! ```

use jiff::Timestamp;
use jiff::tz::TimeZone;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use teloxide::types::{ChatId, User};

use super::core::{Ctx, HandlerError, TgBot, lang_of};
use super::meetings::Acting;
use super::schedule::Creator;
use super::speak::callback::{Callback, VoteAction};
use super::speak::outbox::Outbox;
use super::speak::texts::{self, Texts, VoteLine, span};
use super::state::Draft;
use super::topic::Topic;
use crate::schedule::when::read_candidates;
use crate::storage::{Choice, NewVote, Vote};

/// How many votes a chat may have open at once.
pub const MAX_OPEN_PER_CHAT: u32 = 10;
/// By default a vote closes this long before its earliest time.
pub const CLOSES_AHEAD_SECS: i64 = 2 * 3600;

/// How a vote ended (its `state` once closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A meeting was scheduled for the winning time.
    Scheduled,
    /// No meeting: every time had passed, or nobody voted.
    Missed,
    Cancelled,
    /// The organiser could no longer create a meeting (or Telemost refused).
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Scheduled => "scheduled",
            Outcome::Missed => "missed",
            Outcome::Cancelled => "cancelled",
            Outcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Outcome::Scheduled,
            Outcome::Missed,
            Outcome::Cancelled,
            Outcome::Failed,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// The times a vote offers, as stored (unix seconds, in the order typed).
pub fn options_to_db(starts: &[Timestamp]) -> String {
    let secs: Vec<i64> = starts.iter().map(|s| s.as_second()).collect();
    serde_json::to_string(&secs).unwrap_or_default()
}

/// The times a stored vote offers (none, for a row this cannot read).
pub fn options_of(vote: &Vote) -> Vec<i64> {
    serde_json::from_str(&vote.plan.options).unwrap_or_default()
}

/// When a vote closes by itself unless told: two hours before its earliest time, or halfway
/// there when that is sooner than two hours away.
pub fn default_deadline(now: Timestamp, earliest: Timestamp) -> Timestamp {
    let (now, earliest) = (now.as_second(), earliest.as_second());
    let at = if earliest - CLOSES_AHEAD_SECS > now {
        earliest - CLOSES_AHEAD_SECS
    } else {
        now + (earliest - now) / 2
    };
    Timestamp::from_second(at).unwrap_or(Timestamp::MAX)
}

/// How many are in for each of `n` times.
pub fn counts(n: usize, choices: &[Choice]) -> Vec<usize> {
    let mut counts = vec![0; n];
    for c in choices {
        if let Some(k) = usize::try_from(c.option)
            .ok()
            .and_then(|i| counts.get_mut(i))
        {
            *k += 1;
        }
    }
    counts
}

/// Why a vote closed without a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoWinner {
    /// Every time offered has passed.
    AllPast,
    /// Nobody is in for any time still ahead.
    NoVotes,
}

/// The winner at `now`: among the times still ahead, the one most are in for, ties to the
/// earliest; none if nobody is in for any of them.
pub fn winner(starts: &[i64], counts: &[usize], now: i64) -> Result<usize, NoWinner> {
    let ahead: Vec<usize> = (0..starts.len()).filter(|&i| starts[i] > now).collect();
    if ahead.is_empty() {
        return Err(NoWinner::AllPast);
    }
    ahead
        .into_iter()
        .filter(|&i| counts.get(i).copied().unwrap_or(0) > 0)
        .max_by(|&a, &b| {
            counts[a]
                .cmp(&counts[b])
                .then_with(|| starts[b].cmp(&starts[a]))
        })
        .ok_or(NoWinner::NoVotes)
}

/// The people in for time `option`, as Telegram mentions (HTML), for the reminder.
pub fn mentions(choices: &[Choice], option: usize) -> String {
    choices
        .iter()
        .filter(|c| usize::try_from(c.option).ok() == Some(option))
        .map(|c| {
            format!(
                "<a href=\"tg://user?id={}\">{}</a>",
                c.user_id,
                texts::esc_short(&c.name, 64)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A time's zone: the vote's own.
pub fn zone_of(vote: &Vote, fallback: &TimeZone) -> TimeZone {
    TimeZone::get(&vote.plan.zone).unwrap_or_else(|_| fallback.clone())
}

/// A time offered, as a button says it: "Tue 8 Dec 15:00".
pub fn short_label(t: &dyn Texts, start: i64, tz: &TimeZone, now: Timestamp) -> String {
    let z = Timestamp::from_second(start)
        .unwrap_or_default()
        .to_zoned_datetime(tz.clone());
    let this_year = now.to_zoned_datetime(tz.clone()).year() == z.year();
    format!("{} {}", t.date(z.date(), !this_year), texts::clock_time(&z))
}

/// A time offered, as the message says it: "tomorrow, Tue 8 Dec, 15:00–16:00".
fn long_label(t: &dyn Texts, start: i64, duration: i64, tz: &TimeZone, now: Timestamp) -> String {
    let z = |s: i64| {
        Timestamp::from_second(s)
            .unwrap_or_default()
            .to_zoned_datetime(tz.clone())
    };
    span(
        t,
        &z(start),
        &z(start + duration),
        now.to_zoned_datetime(tz.clone()).date(),
    )
}

/// The vote's message as it stands, in `t`, and its buttons (none once closed). In a private
/// chat a time's button schedules it; in a group it puts the presser in or out, and 📅 beside
/// it schedules it (the organiser or an admin).
pub fn view(
    t: &dyn Texts,
    vote: &Vote,
    choices: &[Choice],
    fallback: &TimeZone,
    now: Timestamp,
) -> (String, InlineKeyboardMarkup) {
    let tz = zone_of(vote, fallback);
    let starts = options_of(vote);
    let counts = counts(starts.len(), choices);
    let lines: Vec<VoteLine> = starts
        .iter()
        .enumerate()
        .map(|(i, &start)| VoteLine {
            when: long_label(t, start, vote.plan.duration_secs, &tz, now),
            names: choices
                .iter()
                .filter(|c| usize::try_from(c.option).ok() == Some(i))
                .map(|c| c.name.clone())
                .collect(),
            past: start <= now.as_second(),
        })
        .collect();
    let organiser = Creator::parse(&vote.plan.creator).name;
    let topic = vote.plan.topic.as_deref();
    let private = vote.plan.chat_id > 0;
    let zone = vote.plan.zone.as_str();
    let chosen = vote
        .winner
        .and_then(|w| usize::try_from(w).ok())
        .and_then(|w| lines.get(w))
        .map(|l| l.when.as_str());
    let text = match Outcome::parse(&vote.state) {
        None if vote.is_open() => {
            let close = Timestamp::from_second(vote.plan.close_at)
                .unwrap_or_default()
                .to_zoned_datetime(tz.clone());
            let today = now.to_zoned_datetime(tz.clone()).date();
            let deadline = texts::moment(t, &close, today);
            t.vote_open(topic, &organiser, &lines, &deadline, zone, private)
        }
        // Closing: the winner is being scheduled.
        None => t.vote_closing(topic, &lines, chosen),
        Some(Outcome::Scheduled) => t.vote_scheduled(topic, &lines, chosen.unwrap_or("")),
        Some(Outcome::Missed) => t.vote_missed(topic, &lines),
        Some(Outcome::Cancelled) => t.vote_cancelled(topic, &lines),
        Some(Outcome::Failed) => t.vote_failed(topic, &lines, chosen.unwrap_or("")),
    };
    if !vote.is_open() {
        return (text, InlineKeyboardMarkup::default());
    }
    let id = vote.id;
    let button = |label: String, action| {
        InlineKeyboardButton::callback(label, Callback::Vote { vote: id, action }.render())
    };
    let mut rows = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        if start <= now.as_second() {
            continue;
        }
        let Ok(n) = u8::try_from(i) else { continue };
        let label = short_label(t, start, &tz, now);
        if private {
            rows.push(vec![button(label, VoteAction::Schedule(n))]);
        } else {
            rows.push(vec![
                button(t.button_vote(&label, counts[i]), VoteAction::Toggle(n)),
                button(t.button_schedule_time().to_owned(), VoteAction::Schedule(n)),
            ]);
        }
    }
    rows.push(vec![button(
        t.button_cancel_vote().to_owned(),
        VoteAction::Cancel,
    )]);
    (text, InlineKeyboardMarkup::new(rows))
}

/// What became of a vote asked for.
#[derive(Debug)]
pub enum Started {
    /// Its message is posted.
    Posted,
    /// Not started: why, for the chat (HTML).
    Refused(String),
}

/// Starts a vote in `chat`, by `user`, on the times in `text` (what followed `/findtime`, or
/// the answer to the panel's Find a time…, whose `draft` says what the meeting will be like):
/// its message is posted, or the reason not.
pub async fn start(
    bot: &TgBot,
    ctx: &Ctx,
    chat: ChatId,
    user: &User,
    text: &str,
    draft: Option<&Draft>,
) -> Result<Started, HandlerError> {
    let t = lang_of(Some(user));
    let settings = ctx.db.settings(chat.0).await?;
    let tz = super::schedule::zone(ctx, &settings);
    let now = ctx.clock.now();
    let candidates = match read_candidates(text.trim(), now, &tz) {
        Ok(c) => c,
        Err(e) => return Ok(Started::Refused(t.findtime_error(&e))),
    };
    let topic = match Topic::parse(candidates.topic) {
        Ok(None) => draft.and_then(|d| d.topic.clone()),
        Ok(topic) => topic,
        Err(e) => return Ok(Started::Refused(t.topic_too_long(e.chars))),
    };
    if !super::perm::may_create(bot, chat, user, &settings).await? {
        return Ok(Started::Refused(t.admins_only().to_owned()));
    }
    // Checked now as a courtesy (a vote nobody can turn into a meeting wastes everyone's time),
    // and again when it closes, which is what counts.
    if let Acting::NoToken = ctx.token_for(bot, chat, user).await? {
        return Ok(Started::Refused(t.no_token(!chat.is_user()).to_owned()));
    }
    let chosen = draft.and_then(Draft::request);
    let defaults = || Draft::meeting(user.id.0).with_defaults(&settings).request();
    let Some(request) = chosen.or_else(defaults) else {
        return Ok(Started::Refused(t.internal_error().to_owned()));
    };
    let earliest = candidates.starts.iter().min().copied().unwrap_or(now);
    let close_at = candidates
        .until
        .unwrap_or_else(|| default_deadline(now, earliest));
    let new = NewVote {
        chat_id: chat.0,
        thread_id: Outbox::current_topic(chat).map(|t| i64::from(t.0.0)),
        created_by: i64::try_from(user.id.0).unwrap_or(0),
        creator: serde_json::to_string(&Creator::of(user)).unwrap_or_default(),
        topic: topic.as_ref().map(|t| t.as_str().to_owned()),
        request: serde_json::to_string(&request).unwrap_or_default(),
        zone: super::schedule::zone_name(&tz),
        duration_secs: candidates.duration.as_secs(),
        options: options_to_db(&candidates.starts),
        close_at: close_at.as_second(),
    };
    let Some(id) = ctx
        .db
        .add_vote(&new, MAX_OPEN_PER_CHAT, now.as_second())
        .await?
    else {
        return Ok(Started::Refused(t.too_many_votes(MAX_OPEN_PER_CHAT)));
    };
    let Some(stored) = ctx.db.vote(chat.0, id).await? else {
        return Ok(Started::Refused(t.internal_error().to_owned()));
    };
    let (text, keyboard) = view(t, &stored, &[], &ctx.default_zone, now);
    match bot.send(chat, text, Some(keyboard)).await {
        Ok(posted) => {
            ctx.db.set_vote_message(id, i64::from(posted.id.0)).await?;
            ctx.votes_due.notify_one();
            tracing::info!(chat_id = chat.0, vote = id, "vote started");
            Ok(Started::Posted)
        }
        Err(e) => {
            // Nobody can vote on a message that was not posted.
            ctx.db.drop_vote(id).await?;
            Err(e.into())
        }
    }
}

/// How the organiser (or an admin) ends a vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// On the time with this index.
    Schedule(usize),
    /// On the time the most are in for.
    Close,
    Cancel,
}

/// Ends the chat's vote `id` as `user` asked with a button, if they may (whoever started it,
/// anyone in a private chat, or a group's admin): the notice for their button. The meeting is
/// made, and the message redrawn, by the vote's worker (`jobs::votes`).
pub async fn end(
    bot: &TgBot,
    ctx: &Ctx,
    chat: ChatId,
    user: &User,
    id: i64,
    ending: Ending,
) -> Result<&'static str, HandlerError> {
    let t = lang_of(Some(user));
    let Some(v) = ctx.db.vote(chat.0, id).await? else {
        return Ok(t.vote_gone());
    };
    if !v.is_open() {
        return Ok(t.vote_gone());
    }
    let by = i64::try_from(user.id.0).unwrap_or(0);
    if !chat.is_user()
        && by != v.plan.created_by
        && !super::perm::is_admin(bot, chat, user.id).await?
    {
        return Ok(t.vote_not_yours());
    }
    let now = ctx.clock.unix();
    let done = match ending {
        Ending::Schedule(n) => {
            match options_of(&v).get(n) {
                None => return Ok(t.stale_button()),
                Some(&start) if start <= now => return Ok(t.vote_time_past()),
                Some(_) => {}
            }
            let n = i64::try_from(n).ok();
            ctx.db.close_vote(chat.0, id, n, by, now).await?
        }
        Ending::Close => ctx.db.close_vote(chat.0, id, None, by, now).await?,
        Ending::Cancel => {
            ctx.db
                .end_vote(chat.0, id, Outcome::Cancelled.as_str(), now)
                .await?
        }
    };
    if !done {
        return Ok(t.vote_gone());
    }
    ctx.votes_due.notify_one();
    tracing::info!(chat_id = chat.0, vote = id, ending = ?ending, "vote ended by a button");
    Ok(match ending {
        Ending::Cancel => t.vote_cancelled_notice(),
        _ => t.vote_closing_notice(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_votes_win_ties_to_the_earliest_and_the_past_never() {
        let starts = [300, 100, 200];
        assert_eq!(winner(&starts, &[2, 2, 1], 0), Ok(1), "a tie: the earliest");
        assert_eq!(winner(&starts, &[2, 3, 1], 0), Ok(1));
        assert_eq!(winner(&starts, &[1, 3, 1], 150), Ok(2), "time 1 has passed");
        assert_eq!(
            winner(&starts, &[1, 3, 1], 100),
            Ok(2),
            "starting now is past"
        );
        assert_eq!(winner(&starts, &[0, 0, 0], 0), Err(NoWinner::NoVotes));
        assert_eq!(winner(&starts, &[0, 5, 0], 150), Err(NoWinner::NoVotes));
        assert_eq!(winner(&starts, &[1, 1, 1], 300), Err(NoWinner::AllPast));
    }

    #[test]
    fn the_deadline_is_two_hours_ahead_of_the_earliest_or_halfway() {
        let at = |s: i64| Timestamp::from_second(s).unwrap();
        assert_eq!(default_deadline(at(0), at(10 * 3600)), at(8 * 3600));
        assert_eq!(default_deadline(at(0), at(3600)), at(1800));
    }

    #[test]
    fn counts_ignore_what_is_not_an_option() {
        let c = |option, user_id| Choice {
            option,
            user_id,
            name: format!("U{user_id}"),
        };
        let choices = [c(0, 1), c(0, 2), c(2, 1), c(7, 3), c(-1, 4)];
        assert_eq!(counts(3, &choices), [2, 0, 1]);
        assert_eq!(
            mentions(
                &[
                    c(0, 1),
                    Choice {
                        option: 0,
                        user_id: 2,
                        name: "<Bo>".into()
                    }
                ],
                0
            ),
            "<a href=\"tg://user?id=1\">U1</a>, <a href=\"tg://user?id=2\">&lt;Bo&gt;</a>"
        );
    }
}
