//! Reading when a meeting is, from what a user typed after `/meet`: "tomorrow 15:00 for 1h Design
//! review", "через 30 минут", "every mon,thu at 10:00 Standup", "по средам в 11:00".
//!
//! English and Russian forms are both always accepted, in any letter case. The time expression
//! must come first; whatever follows it is the topic. The grammar, token by token (tokens are
//! separated by whitespace; trailing commas are ignored):
//!
//! - a time: `15:00`, `9:30`, `3:30pm`, `3:30 pm`, `3pm`, `3 pm`, optionally after `at`/`в`/`во`.
//!   A bare number (`10`) is never a time;
//! - a day, before or after the time: `today`, `tomorrow`, `сегодня`, `завтра`, `послезавтра`,
//!   a weekday (`mon`, `monday`, `пн`, `понедельник`, `среду`…, optionally after `on`/`в`/`во`),
//!   a date (`2026-05-01`, `01.05.2026`, `01.05`);
//! - or a recurrence before the time: `every day`, `daily`, `every weekday`, `weekdays`,
//!   `on weekdays`, `every mon, thu`, `every monday and thursday`, `каждый день`, `ежедневно`,
//!   `каждый будний день`, `по будням`, `по рабочим дням`, `каждую среду`, `каждый пн,чт`,
//!   `по понедельникам и четвергам`;
//! - or, instead of all of that, a delay: `in 30 min`, `in an hour`, `in 1h30m`, `через полчаса`,
//!   `через 2 часа`;
//! - then, optionally, a duration: `for 1h`, `for 90 min`, `for 1.5h`, `на час`, `на 1,5 часа`.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{RoundMode, SignedDuration, Timestamp, TimestampRound, Unit};

use super::recur::{Rule, Weekdays};

/// How long a meeting is when the user does not say.
pub const DEFAULT_DURATION: SignedDuration = SignedDuration::from_mins(30);
/// The longest duration accepted.
pub const MAX_DURATION: SignedDuration = SignedDuration::from_hours(24);
/// A one-off start further ahead than this is refused.
pub const MAX_AHEAD: SignedDuration = SignedDuration::from_hours(366 * 24);

/// When a meeting starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Once { start: Timestamp },
    Every(Rule),
}

/// When a meeting starts, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheduled {
    pub when: When,
    pub duration: SignedDuration,
}

/// What [`read`] found at the start of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read<'a> {
    pub scheduled: Scheduled,
    /// The text after the time expression(s), trimmed: the topic ("" if none).
    pub rest: &'a str,
}

/// Why a text that starts with a time expression does not make a meeting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhenError {
    /// A day was given but no time: "tomorrow Design review", "every monday", "каждый день".
    #[error("a day without a time")]
    NeedsTime,
    /// Looks like a time but is not one: "25:00", "10:75" (the offending text).
    #[error("not a time of day: {0}")]
    BadTime(String),
    /// Looks like a date but is not one: "2026-02-30", "31.04" (the offending text).
    #[error("not a date: {0}")]
    BadDate(String),
    /// An explicit day and time already past: "2020-01-01 10:00", "today 09:00" at 10:00.
    #[error("the time is already past")]
    Past,
    /// A start further ahead than [`MAX_AHEAD`].
    #[error("the time is too far ahead")]
    TooFarAhead,
    /// A duration that parsed but is 0 or over [`MAX_DURATION`]: "for 0 min", "for 30h" (the
    /// offending text).
    #[error("duration out of range: {0}")]
    BadDuration(String),
}

/// Reads a time expression at the start of `text` (what followed `/meet`), as of `now`, in `tz`.
/// Ok(None): text does not start with a time expression (it is all topic).
///
/// How a day is chosen:
/// - a time alone is today if still ahead (strictly after `now`), else tomorrow;
/// - a weekday is the next such day: today if the time is still ahead, else a week later;
/// - `DD.MM` is this year if still ahead, else the next year that has that date;
/// - an explicit day or date whose time has passed (`today 09:00` at 10:00) is
///   [`WhenError::Past`];
/// - a local time that does not exist (a daylight-saving gap) moves forward, and one that exists
///   twice takes the earlier instant (jiff's "compatible" disambiguation);
/// - a delay (`in 30 min`) counts from `now` truncated to the minute, and nothing after it is
///   read as a time of day.
///
/// A day or recurrence without a time is [`WhenError::NeedsTime`], except the single words
/// `daily`, `everyday`, `weekdays` and `ежедневно`, which without a time right after them are
/// taken as the start of a topic ("Daily standup"); after a time they are topic too.
pub fn read<'a>(
    text: &'a str,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<Option<Read<'a>>, WhenError> {
    let tokens = Tokens::new(text);
    let Some((when, next)) = when_at_start(&tokens, now, tz)? else {
        return Ok(None);
    };
    let (duration, next) = duration_clause(&tokens, next)?.unwrap_or((DEFAULT_DURATION, next));
    Ok(Some(Read {
        scheduled: Scheduled { when, duration },
        rest: tokens.rest(next),
    }))
}

/// The time expression at the start, and the index of the token after it.
fn when_at_start(
    t: &Tokens,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<Option<(When, usize)>, WhenError> {
    if let Some(found) = delay(t, now)? {
        return Ok(Some(found));
    }
    if let Some(day) = day_expr(t, 0)? {
        return match time_expr(t, day.next)? {
            Some((time, next)) => Ok(Some((resolve(Some(day.day), time, now, tz)?, next))),
            None if day.loose => Ok(None),
            None => Err(WhenError::NeedsTime),
        };
    }
    let Some((time, next)) = time_expr(t, 0)? else {
        return Ok(None);
    };
    match day_expr(t, next)? {
        Some(day) if !day.loose => Ok(Some((resolve(Some(day.day), time, now, tz)?, day.next))),
        _ => Ok(Some((resolve(None, time, now, tz)?, next))),
    }
}

/// The whitespace-separated tokens of a text, with where each is, so the topic is a slice of
/// the text as typed.
struct Tokens<'a> {
    text: &'a str,
    spans: Vec<(usize, usize)>,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Self {
        let mut spans = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices() {
            if c.is_whitespace() {
                if let Some(s) = start.take() {
                    spans.push((s, i));
                }
            } else if start.is_none() {
                start = Some(i);
            }
        }
        if let Some(s) = start {
            spans.push((s, text.len()));
        }
        Tokens { text, spans }
    }

    /// Token `i` as typed, without trailing commas.
    fn raw(&self, i: usize) -> Option<&'a str> {
        let &(start, end) = self.spans.get(i)?;
        Some(self.text[start..end].trim_end_matches(','))
    }

    /// Token `i` in lower case, without trailing commas.
    fn word(&self, i: usize) -> Option<String> {
        self.raw(i).map(str::to_lowercase)
    }

    fn is(&self, i: usize, words: &[&str]) -> bool {
        self.word(i).is_some_and(|w| words.contains(&w.as_str()))
    }

    /// Tokens `from..to` as typed (`to > from`), without trailing commas.
    fn between(&self, from: usize, to: usize) -> &'a str {
        let start = self.spans[from].0;
        let end = self.spans[to - 1].1;
        self.text[start..end].trim_end_matches(',')
    }

    /// The text from token `i` on, trimmed; "" past the end.
    fn rest(&self, i: usize) -> &'a str {
        self.spans
            .get(i)
            .map_or("", |&(start, _)| self.text[start..].trim())
    }
}

// ---------------------------------------------------------------------------------------------
// Times of day

#[derive(Clone, Copy)]
enum Half {
    Am,
    Pm,
}

fn meridiem(word: &str) -> Option<Half> {
    match word.trim_end_matches('.') {
        "am" | "a.m" => Some(Half::Am),
        "pm" | "p.m" => Some(Half::Pm),
        _ => None,
    }
}

/// A time of day at token `i`, optionally after `at`/`в`/`во`.
fn time_expr(t: &Tokens, i: usize) -> Result<Option<(Time, usize)>, WhenError> {
    if t.is(i, &["at", "в", "во"]) {
        return clock_time(t, i + 1);
    }
    clock_time(t, i)
}

/// `H:MM`/`HH:MM` with an optional am/pm (attached or the next token), or an hour with am/pm.
/// Ok(None) if token `i` is not shaped like a time; Err(BadTime) if it is but is not one.
fn clock_time(t: &Tokens, i: usize) -> Result<Option<(Time, usize)>, WhenError> {
    let Some(word) = t.word(i) else {
        return Ok(None);
    };
    let word = word.trim_end_matches('.');
    let (body, attached) = ["a.m", "p.m", "am", "pm"]
        .into_iter()
        .find_map(|suffix| {
            let body = word.strip_suffix(suffix)?;
            body.ends_with(|c: char| c.is_ascii_digit())
                .then(|| (body, meridiem(suffix)))
        })
        .unwrap_or((word, None));
    let parts: Vec<&str> = body.split(':').collect();
    if !parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Ok(None);
    }
    let separate = if attached.is_none() {
        t.word(i + 1).and_then(|w| meridiem(&w))
    } else {
        None
    };
    // A bare number is a time only with am/pm: "3pm", "3 pm", but not "10".
    if parts.len() == 1 && attached.is_none() && separate.is_none() {
        return Ok(None);
    }
    let next = if separate.is_some() { i + 2 } else { i + 1 };
    let bad = || WhenError::BadTime(t.between(i, next).to_string());
    let (hour, minute) = match parts[..] {
        [hour] => (hour, "00"),
        [hour, minute] => (hour, minute),
        _ => return Err(bad()),
    };
    if !(1..=2).contains(&hour.len()) || minute.len() != 2 {
        return Err(bad());
    }
    let (Ok(hour), Ok(minute)) = (hour.parse::<i8>(), minute.parse::<i8>()) else {
        return Err(bad());
    };
    let hour = match attached.or(separate) {
        None => hour,
        Some(_) if !(1..=12).contains(&hour) => return Err(bad()),
        Some(Half::Am) => hour % 12,
        Some(Half::Pm) => hour % 12 + 12,
    };
    let time = Time::new(hour, minute, 0, 0).map_err(|_| bad())?;
    Ok(Some((time, next)))
}

// ---------------------------------------------------------------------------------------------
// Days

#[derive(Debug, Clone, Copy)]
enum Day {
    /// Today plus this many days.
    After(i64),
    Weekday(Weekday),
    Date(Date),
    /// `DD.MM`: the year is chosen later.
    NoYear {
        month: i8,
        day: i8,
    },
    Every(Weekdays),
}

struct DayExpr {
    day: Day,
    next: usize,
    /// A single word that may as well begin a topic ("Daily standup"): only a day if a time
    /// follows at once.
    loose: bool,
}

/// A day or a recurrence at token `i`.
fn day_expr(t: &Tokens, i: usize) -> Result<Option<DayExpr>, WhenError> {
    let Some(word) = t.word(i) else {
        return Ok(None);
    };
    let found = |day, next| {
        Ok(Some(DayExpr {
            day,
            next,
            loose: false,
        }))
    };
    let loose = |day| {
        Ok(Some(DayExpr {
            day,
            next: i + 1,
            loose: true,
        }))
    };
    let every = |days: Weekdays, next| found(Day::Every(days), next);
    match word.as_str() {
        "today" | "сегодня" => found(Day::After(0), i + 1),
        "tomorrow" | "завтра" => found(Day::After(1), i + 1),
        "послезавтра" => found(Day::After(2), i + 1),
        "daily" | "everyday" | "ежедневно" => loose(Day::Every(Weekdays::EVERY_DAY)),
        "weekdays" => loose(Day::Every(Weekdays::WEEKDAYS)),
        "every" => {
            if t.is(i + 1, &["day"]) {
                return every(Weekdays::EVERY_DAY, i + 2);
            }
            if t.is(i + 1, &["weekday", "weekdays"]) {
                return every(Weekdays::WEEKDAYS, i + 2);
            }
            let (days, next) = days_list(t, i + 1, weekday);
            if days.is_empty() {
                Ok(None)
            } else {
                every(days, next)
            }
        }
        "каждый" | "каждую" | "каждое" => {
            if t.is(i + 1, &["день"]) {
                return every(Weekdays::EVERY_DAY, i + 2);
            }
            if t.is(i + 1, &["будний", "рабочий"]) && t.is(i + 2, &["день"]) {
                return every(Weekdays::WEEKDAYS, i + 3);
            }
            let (days, next) = days_list(t, i + 1, weekday);
            if days.is_empty() {
                Ok(None)
            } else {
                every(days, next)
            }
        }
        "по" => {
            if t.is(i + 1, &["будням"]) {
                return every(Weekdays::WEEKDAYS, i + 2);
            }
            if t.is(i + 1, &["будним", "рабочим"]) && t.is(i + 2, &["дням"]) {
                return every(Weekdays::WEEKDAYS, i + 3);
            }
            let (days, next) = days_list(t, i + 1, weekdays_dative);
            if days.is_empty() {
                Ok(None)
            } else {
                every(days, next)
            }
        }
        "on" => {
            if t.is(i + 1, &["weekdays"]) {
                return every(Weekdays::WEEKDAYS, i + 2);
            }
            if let Some(day) = t.word(i + 1).and_then(|w| weekday(&w)) {
                return found(Day::Weekday(day), i + 2);
            }
            Ok(date(t, i + 1)?.map(|day| DayExpr {
                day,
                next: i + 2,
                loose: false,
            }))
        }
        "в" | "во" => match t.word(i + 1).and_then(|w| weekday(&w)) {
            Some(day) => found(Day::Weekday(day), i + 2),
            None => Ok(None),
        },
        _ => match weekday(&word) {
            Some(day) => found(Day::Weekday(day), i + 1),
            None => Ok(date(t, i)?.map(|day| DayExpr {
                day,
                next: i + 1,
                loose: false,
            })),
        },
    }
}

/// Weekday names joined by commas, spaces, `and` or `и`, from token `i`: the set and the index
/// of the token after the last name (a trailing `and` is not taken).
fn days_list(t: &Tokens, i: usize, name: fn(&str) -> Option<Weekday>) -> (Weekdays, usize) {
    let mut days = Vec::new();
    let mut j = i;
    let mut end = i;
    while let Some(word) = t.word(j) {
        if matches!(word.as_str(), "and" | "и" | "&") {
            j += 1;
            continue;
        }
        let mut parts = word.split(',').filter(|p| !p.is_empty()).peekable();
        if parts.peek().is_none() {
            // Only commas.
            j += 1;
            continue;
        }
        let Some(found) = parts.map(name).collect::<Option<Vec<Weekday>>>() else {
            break;
        };
        days.extend(found);
        j += 1;
        end = j;
    }
    (Weekdays::from_days(days), end)
}

/// A weekday's name, English or Russian (nominative, or accusative as after `в`).
fn weekday(word: &str) -> Option<Weekday> {
    use Weekday::*;
    Some(match word.trim_end_matches('.') {
        "mon" | "monday" | "пн" | "понедельник" => Monday,
        "tue" | "tues" | "tuesday" | "вт" | "вторник" => Tuesday,
        "wed" | "weds" | "wednesday" | "ср" | "среда" | "среду" => Wednesday,
        "thu" | "thur" | "thurs" | "thursday" | "чт" | "четверг" => Thursday,
        "fri" | "friday" | "пт" | "пятница" | "пятницу" => Friday,
        "sat" | "saturday" | "сб" | "суббота" | "субботу" => Saturday,
        "sun" | "sunday" | "вс" | "воскресенье" => Sunday,
        _ => return None,
    })
}

/// A weekday after Russian `по`: the dative plural ("по средам") or the short form.
fn weekdays_dative(word: &str) -> Option<Weekday> {
    use Weekday::*;
    Some(match word.trim_end_matches('.') {
        "понедельникам" | "пн" => Monday,
        "вторникам" | "вт" => Tuesday,
        "средам" | "ср" => Wednesday,
        "четвергам" | "чт" => Thursday,
        "пятницам" | "пт" => Friday,
        "субботам" | "сб" => Saturday,
        "воскресеньям" | "вс" => Sunday,
        _ => return None,
    })
}

/// A date at token `i`: `YYYY-MM-DD`, `DD.MM.YYYY` or `DD.MM`. Ok(None) if the token is not
/// shaped like one (a version number such as "1.2.3" or "2.0" is not); Err(BadDate) if it is but
/// no such day exists.
fn date(t: &Tokens, i: usize) -> Result<Option<Day>, WhenError> {
    let Some(raw) = t.raw(i) else {
        return Ok(None);
    };
    let bad = || WhenError::BadDate(raw.to_string());
    let numeric = |parts: &[&str]| {
        parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let short = |p: &str| (1..=2).contains(&p.len());
    let dashed: Vec<&str> = raw.split('-').collect();
    if let [year, month, day] = dashed[..]
        && numeric(&dashed)
        && year.len() >= 4
    {
        if year.len() != 4 || !short(month) || !short(day) {
            return Err(bad());
        }
        let date = ymd(year, month, day).ok_or_else(bad)?;
        return Ok(Some(Day::Date(date)));
    }
    let dotted: Vec<&str> = raw.split('.').collect();
    if !numeric(&dotted) {
        return Ok(None);
    }
    match dotted[..] {
        [day, month, year] if year.len() == 4 => {
            if !short(day) || !short(month) {
                return Err(bad());
            }
            let date = ymd(year, month, day).ok_or_else(bad)?;
            Ok(Some(Day::Date(date)))
        }
        // Two digits for the month, and numbers that could be a day and a month, for this to
        // be a date at all (not "1.5" or "3.14").
        [day, month] if short(day) && month.len() == 2 => {
            let (Ok(day), Ok(month)) = (day.parse::<i8>(), month.parse::<i8>()) else {
                return Ok(None);
            };
            if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
                return Ok(None);
            }
            // 2000 was a leap year: "29.02" exists, "30.02" and "31.04" do not.
            if Date::new(2000, month, day).is_err() {
                return Err(bad());
            }
            Ok(Some(Day::NoYear { month, day }))
        }
        _ => Ok(None),
    }
}

fn ymd(year: &str, month: &str, day: &str) -> Option<Date> {
    Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?).ok()
}

/// The start for `day` (or none: today or tomorrow) at `time`.
fn resolve(day: Option<Day>, time: Time, now: Timestamp, tz: &TimeZone) -> Result<When, WhenError> {
    let today = tz.to_datetime(now).date();
    let at = |date: Date| {
        tz.to_ambiguous_timestamp(date.to_datetime(time))
            .compatible()
            .map_err(|_| WhenError::TooFarAhead)
    };
    let plus = |days: i64| {
        today
            .checked_add(SignedDuration::from_hours(24 * days))
            .map_err(|_| WhenError::TooFarAhead)
    };
    let not_past = |start: Timestamp| {
        if start > now {
            Ok(start)
        } else {
            Err(WhenError::Past)
        }
    };
    let start = match day {
        None => match at(today)? {
            start if start > now => start,
            _ => at(plus(1)?)?,
        },
        Some(Day::After(days)) => not_past(at(plus(days)?)?)?,
        Some(Day::Weekday(weekday)) => {
            let days = i64::from(today.weekday().until(weekday));
            match at(plus(days)?)? {
                start if start > now => start,
                _ => at(plus(days + 7)?)?,
            }
        }
        Some(Day::Date(date)) => not_past(at(date)?)?,
        Some(Day::NoYear { month, day }) => {
            // This year if still ahead, else the next year with that date (29.02 may be years
            // away, and then too far ahead).
            let mut found = None;
            for year in today.year()..=today.year().saturating_add(8) {
                if let Ok(date) = Date::new(year, month, day) {
                    let start = at(date)?;
                    if start > now {
                        found = Some(start);
                        break;
                    }
                }
            }
            found.ok_or(WhenError::TooFarAhead)?
        }
        Some(Day::Every(days)) => return Ok(When::Every(Rule { days, at: time })),
    };
    once(start, now)
}

fn once(start: Timestamp, now: Timestamp) -> Result<When, WhenError> {
    if start <= now {
        return Err(WhenError::Past);
    }
    if now.duration_until(start) > MAX_AHEAD {
        return Err(WhenError::TooFarAhead);
    }
    Ok(When::Once { start })
}

// ---------------------------------------------------------------------------------------------
// Delays and durations

/// `in <duration>` / `через <duration>` at the start.
fn delay(t: &Tokens, now: Timestamp) -> Result<Option<(When, usize)>, WhenError> {
    if !t.is(0, &["in", "через"]) {
        return Ok(None);
    }
    let Some((minutes, next)) = duration(t, 1) else {
        return Ok(None);
    };
    let max = MAX_AHEAD.as_mins().unsigned_abs();
    if minutes > max + 1 {
        return Err(WhenError::TooFarAhead);
    }
    let minute = TimestampRound::new()
        .smallest(Unit::Minute)
        .mode(RoundMode::Floor);
    let start = now
        .round(minute)
        .ok()
        .and_then(|base| {
            base.checked_add(SignedDuration::from_mins(minutes as i64))
                .ok()
        })
        .ok_or(WhenError::TooFarAhead)?;
    // "in 0 min" is now, which is already past.
    Ok(Some((once(start, now)?, next)))
}

/// `for <duration>` / `на <duration>` at token `i`; nothing if what follows is not a duration
/// ("for the team").
fn duration_clause(t: &Tokens, i: usize) -> Result<Option<(SignedDuration, usize)>, WhenError> {
    if !t.is(i, &["for", "на"]) {
        return Ok(None);
    }
    let Some((minutes, next)) = duration(t, i + 1) else {
        return Ok(None);
    };
    let max = MAX_DURATION.as_mins().unsigned_abs();
    if minutes == 0 || minutes > max {
        return Err(WhenError::BadDuration(t.between(i + 1, next).to_string()));
    }
    Ok(Some((SignedDuration::from_mins(minutes as i64), next)))
}

/// A duration at token `i`, in whole minutes (saturating), and the index of the token after it.
fn duration(t: &Tokens, i: usize) -> Option<(u64, usize)> {
    let word = t.word(i)?;
    match word.as_str() {
        "an" | "a" if t.is(i + 1, &["hour"]) => return Some((60, i + 2)),
        "a" if t.is(i + 1, &["minute"]) => return Some((1, i + 2)),
        "half" if t.is(i + 1, &["an"]) && t.is(i + 2, &["hour"]) => return Some((30, i + 3)),
        "half" if t.is(i + 1, &["hour"]) => return Some((30, i + 2)),
        "полчаса" => return Some((30, i + 1)),
        "полтора" if t.is(i + 1, &["часа", "ч"]) => return Some((90, i + 2)),
        "час" => return Some((60, i + 1)),
        "минуту" => return Some((1, i + 1)),
        _ => {}
    }
    let (first, next) = amount(t, i)?;
    // "1 hour 30 minutes", "1h 30m".
    if first.hours
        && !first.minutes
        && let Some((more, after)) = amount(t, next)
        && !more.hours
    {
        return Some((first.total.saturating_add(more.total), after));
    }
    Some((first.total, next))
}

/// One amount of time: which units it had, and the total in minutes.
struct Amount {
    total: u64,
    hours: bool,
    minutes: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum TimeUnit {
    Hours,
    Minutes,
}

fn time_unit(word: &str) -> Option<TimeUnit> {
    match word.trim_end_matches('.') {
        "h" | "hr" | "hrs" | "hour" | "hours" | "ч" | "час" | "часа" | "часов" => {
            Some(TimeUnit::Hours)
        }
        "m" | "min" | "mins" | "minute" | "minutes" | "м" | "мин" | "минута" | "минуты"
        | "минуту" | "минут" => Some(TimeUnit::Minutes),
        _ => None,
    }
}

/// An amount at token `i`: numbers with units in one token ("1h30m", "90min", "1,5ч"), or a
/// number and a unit as two tokens ("90 min", "1,5 часа").
fn amount(t: &Tokens, i: usize) -> Option<(Amount, usize)> {
    let word = t.word(i)?;
    if let Some(amount) = compact(&word) {
        return Some((amount, i + 1));
    }
    let number = Number::parse(&word)?;
    let unit = time_unit(&t.word(i + 1)?)?;
    let total = number.minutes(unit)?;
    let amount = Amount {
        total,
        hours: unit == TimeUnit::Hours,
        minutes: unit == TimeUnit::Minutes,
    };
    Some((amount, i + 2))
}

/// Hours then minutes, each at most once, with no spaces: "1h30m", "90min", "1.5h", "1ч30м".
fn compact(word: &str) -> Option<Amount> {
    let mut amount = Amount {
        total: 0,
        hours: false,
        minutes: false,
    };
    let mut rest = word;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_end);
        let unit_end = after
            .find(|c: char| !(c.is_alphabetic() || c == '.'))
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_end);
        let number = Number::parse(number)?;
        let unit = time_unit(unit)?;
        match unit {
            TimeUnit::Hours if !amount.hours && !amount.minutes => amount.hours = true,
            TimeUnit::Minutes if !amount.minutes => amount.minutes = true,
            _ => return None,
        }
        amount.total = amount.total.saturating_add(number.minutes(unit)?);
        rest = after;
    }
    (amount.hours || amount.minutes).then_some(amount)
}

/// A non-negative number with an optional decimal part after `.` or `,`.
struct Number {
    whole: u64,
    /// The digits after the point, and how many there are.
    fraction: Option<(u64, u32)>,
}

impl Number {
    fn parse(s: &str) -> Option<Number> {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let (whole, fraction) = match s.split_once(['.', ',']) {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (s, None),
        };
        if !digits(whole) {
            return None;
        }
        // Saturating: a huge number is simply too much, never an overflow.
        let whole = whole.bytes().fold(0u64, |n, b| {
            n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        });
        let fraction = match fraction {
            None => None,
            Some(f) if digits(f) && f.len() <= 6 => Some((f.parse().ok()?, f.len() as u32)),
            Some(_) => return None,
        };
        Some(Number { whole, fraction })
    }

    /// The number of minutes, rounded to the nearest; a fraction of a minute is not a duration.
    fn minutes(&self, unit: TimeUnit) -> Option<u64> {
        match (unit, self.fraction) {
            (TimeUnit::Minutes, None) => Some(self.whole),
            (TimeUnit::Minutes, Some((fraction, _))) => (fraction == 0).then_some(self.whole),
            (TimeUnit::Hours, None) => Some(self.whole.saturating_mul(60)),
            (TimeUnit::Hours, Some((fraction, digits))) => {
                let scale = 10u64.pow(digits);
                let part = (fraction * 60 + scale / 2) / scale;
                Some(self.whole.saturating_mul(60).saturating_add(part))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{DateTime, time};

    use Weekday::*;

    fn msk() -> TimeZone {
        TimeZone::get("Europe/Moscow").unwrap() // UTC+3, no daylight saving
    }

    /// The "now" of most stories: Wednesday 2026-06-10, 12:00 in Moscow.
    fn now() -> Timestamp {
        local("2026-06-10 12:00")
    }

    /// A Moscow wall-clock time.
    fn local(s: &str) -> Timestamp {
        msk()
            .to_timestamp(s.replace(' ', "T").parse::<DateTime>().unwrap())
            .unwrap()
    }

    fn read_msk(text: &str) -> Result<Option<Read<'_>>, WhenError> {
        read(text, now(), &msk())
    }

    fn found(text: &str) -> Read<'_> {
        match read_msk(text) {
            Ok(Some(read)) => read,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    /// The one-off start `text` gives.
    fn start(text: &str) -> Timestamp {
        match found(text).scheduled.when {
            When::Once { start } => start,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    fn rule(text: &str) -> Rule {
        match found(text).scheduled.when {
            When::Every(rule) => rule,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    fn rest(text: &str) -> &str {
        found(text).rest
    }

    fn duration(text: &str) -> SignedDuration {
        found(text).scheduled.duration
    }

    fn err(text: &str) -> WhenError {
        match read_msk(text) {
            Err(e) => e,
            other => panic!("{text:?}: expected an error, got {other:?}"),
        }
    }

    fn is_topic(text: &str) -> bool {
        read_msk(text) == Ok(None)
    }

    fn mins(n: i64) -> SignedDuration {
        SignedDuration::from_mins(n)
    }

    #[test]
    fn a_time_alone_is_today_if_still_ahead_else_tomorrow() {
        // It is 12:00 on Wednesday the 10th.
        assert_eq!(start("15:00 Standup"), local("2026-06-10 15:00"));
        assert_eq!(rest("15:00 Standup"), "Standup");
        assert_eq!(start("12:01"), local("2026-06-10 12:01"));
        assert_eq!(start("23:59"), local("2026-06-10 23:59"));
        // Already past today: tomorrow.
        assert_eq!(start("10:30 Standup"), local("2026-06-11 10:30"));
        assert_eq!(start("9:05"), local("2026-06-11 09:05"));
        assert_eq!(start("00:00"), local("2026-06-11 00:00"));
        // Exactly now is not "still ahead".
        assert_eq!(start("12:00"), local("2026-06-11 12:00"));
        // With "at", "в", "во".
        assert_eq!(start("at 15:00"), local("2026-06-10 15:00"));
        assert_eq!(start("в 15:00 Планёрка"), local("2026-06-10 15:00"));
        assert_eq!(rest("в 15:00 Планёрка"), "Планёрка");
        assert_eq!(start("во 2:00"), local("2026-06-11 02:00"));
        assert_eq!(duration("15:00"), DEFAULT_DURATION);
        assert_eq!(rest("15:00"), "");
    }

    #[test]
    fn am_and_pm() {
        assert_eq!(start("3:30pm"), local("2026-06-10 15:30"));
        assert_eq!(start("3:30 pm Sync"), local("2026-06-10 15:30"));
        assert_eq!(rest("3:30 pm Sync"), "Sync");
        assert_eq!(start("3pm"), local("2026-06-10 15:00"));
        assert_eq!(start("3 PM"), local("2026-06-10 15:00"));
        assert_eq!(start("3 p.m. Sync"), local("2026-06-10 15:00"));
        assert_eq!(start("at 3PM"), local("2026-06-10 15:00"));
        assert_eq!(start("12:30 PM"), local("2026-06-10 12:30"));
        // 11am has passed today.
        assert_eq!(start("11am"), local("2026-06-11 11:00"));
        // 12am is midnight, 12pm noon (exactly now, so tomorrow).
        assert_eq!(start("12am"), local("2026-06-11 00:00"));
        assert_eq!(start("12pm"), local("2026-06-11 12:00"));
        // The 12-hour clock has no 0 or 13.
        assert_eq!(err("13pm"), WhenError::BadTime("13pm".into()));
        assert_eq!(err("0am"), WhenError::BadTime("0am".into()));
        assert_eq!(err("15:00 pm"), WhenError::BadTime("15:00 pm".into()));
        assert_eq!(err("0:30 AM"), WhenError::BadTime("0:30 AM".into()));
    }

    #[test]
    fn what_does_not_start_with_a_time_is_a_topic() {
        for text in [
            "",
            "   ",
            "10 ideas", // a bare number is not a time
            "15",
            "Design review",
            "now",
            "now 15:00",
            "at the office",
            "в офисе",
            "on call",
            "in the morning",
            "in 30", // no unit
            "через дорогу",
            "every team member",
            "каждый участник",
            "по проекту X",
            "for you",
            "Daily standup", // "daily" without a time after it
            "weekdays sync",
            "ежедневно отчёт",
            "2.0 launch", // version numbers are not dates
            "1.2.3 release",
            "3.14 pi",
            "1.5 things",
            "Today's plan",
            "1: Intro",
            "-1:00",
            "::",
            "16h",
        ] {
            assert!(is_topic(text), "{text:?}: {:?}", read_msk(text));
        }
    }

    #[test]
    fn today_tomorrow_and_the_day_after_in_both_languages() {
        assert_eq!(start("today 15:00"), local("2026-06-10 15:00"));
        assert_eq!(start("Today at 3pm"), local("2026-06-10 15:00"));
        assert_eq!(start("tomorrow 15:00"), local("2026-06-11 15:00"));
        assert_eq!(start("TOMORROW at 9:00"), local("2026-06-11 09:00"));
        assert_eq!(start("сегодня в 15:00"), local("2026-06-10 15:00"));
        assert_eq!(start("Сегодня 23:00"), local("2026-06-10 23:00"));
        assert_eq!(start("завтра в 9:00"), local("2026-06-11 09:00"));
        assert_eq!(start("ЗАВТРА 10:00"), local("2026-06-11 10:00"));
        assert_eq!(start("послезавтра 10:00"), local("2026-06-12 10:00"));
        assert_eq!(start("Послезавтра во 2:00"), local("2026-06-12 02:00"));
    }

    #[test]
    fn today_is_in_the_chats_time_zone() {
        // 22:30 UTC on the 10th is already 01:30 on the 11th in Moscow.
        let now = "2026-06-10T22:30:00Z".parse().unwrap();
        let got = read("today 10:00", now, &msk()).unwrap().unwrap();
        assert_eq!(
            got.scheduled.when,
            When::Once {
                start: local("2026-06-11 10:00")
            }
        );
        // ... while in UTC it is still the 10th, and 10:00 has passed.
        let got = read("today 10:00", now, &TimeZone::UTC);
        assert_eq!(got, Err(WhenError::Past));
    }

    #[test]
    fn a_weekday_is_the_next_such_day() {
        // Wednesday 12:00: Wednesday 15:00 is today, Wednesday 11:00 is next week.
        assert_eq!(start("wed 15:00"), local("2026-06-10 15:00"));
        assert_eq!(start("wednesday 11:00"), local("2026-06-17 11:00"));
        assert_eq!(start("в среду 15:00"), local("2026-06-10 15:00"));
        assert_eq!(start("в среду в 11:00"), local("2026-06-17 11:00"));
        assert_eq!(start("Wednesday 12:00"), local("2026-06-17 12:00"));
        assert_eq!(start("thu 10:00"), local("2026-06-11 10:00"));
        assert_eq!(start("on Monday at 9:00"), local("2026-06-15 09:00"));
        assert_eq!(start("во вторник 10:00"), local("2026-06-16 10:00"));
        assert_eq!(
            start("пт 18:00 Пятничный созвон"),
            local("2026-06-12 18:00")
        );
        assert_eq!(rest("пт 18:00 Пятничный созвон"), "Пятничный созвон");

        // Every spelling, each at 10:00 (already past today, so a Wednesday is next week's).
        let names = [
            (Monday, "mon monday пн понедельник", "2026-06-15"),
            (Tuesday, "tue tues tuesday вт вторник", "2026-06-16"),
            (Wednesday, "wed weds wednesday ср среда среду", "2026-06-17"),
            (Thursday, "thu thur thurs thursday чт четверг", "2026-06-11"),
            (Friday, "fri friday пт пятница пятницу", "2026-06-12"),
            (Saturday, "sat saturday сб суббота субботу", "2026-06-13"),
            (Sunday, "sun sunday вс воскресенье", "2026-06-14"),
        ];
        for (day, spellings, date) in names {
            for name in spellings.split(' ') {
                for text in [
                    format!("{name} 10:00"),
                    format!("{} 10:00", name.to_uppercase()),
                    format!("10:00 {name}"),
                ] {
                    let start = start(&text);
                    assert_eq!(start, local(&format!("{date} 10:00")), "{text}");
                    assert_eq!(msk().to_datetime(start).weekday(), day);
                }
            }
        }
    }

    #[test]
    fn the_time_may_come_before_the_day() {
        assert_eq!(
            start("15:00 tomorrow Design review"),
            local("2026-06-11 15:00")
        );
        assert_eq!(rest("15:00 tomorrow Design review"), "Design review");
        assert_eq!(start("10:00 пн"), local("2026-06-15 10:00"));
        assert_eq!(start("10:00 on friday"), local("2026-06-12 10:00"));
        assert_eq!(start("в 10:00 в пятницу"), local("2026-06-12 10:00"));
        assert_eq!(start("10:00 завтра"), local("2026-06-11 10:00"));
        assert_eq!(start("10:00 2026-07-01"), local("2026-07-01 10:00"));
        assert_eq!(start("15:00 today"), local("2026-06-10 15:00"));
        assert_eq!(err("11:00 today"), WhenError::Past);
        assert_eq!(rule("10:00 every day").days, Weekdays::EVERY_DAY);
        assert_eq!(
            rule("в 10:00 по средам").days,
            Weekdays::from_days([Wednesday])
        );
        // After a time, "daily" is part of the topic: 10:00 has passed, so tomorrow.
        assert_eq!(start("10:00 Daily standup"), local("2026-06-11 10:00"));
        assert_eq!(rest("10:00 Daily standup"), "Daily standup");
        // A word after the time that is not a day is the topic.
        assert_eq!(rest("15:00 Monday's retro"), "Monday's retro");
    }

    #[test]
    fn dates() {
        assert_eq!(start("2026-07-01 10:00"), local("2026-07-01 10:00"));
        assert_eq!(start("on 2026-07-01 at 10:00"), local("2026-07-01 10:00"));
        assert_eq!(start("01.07.2026 10:00"), local("2026-07-01 10:00"));
        assert_eq!(start("1.7.2026 в 10:00"), local("2026-07-01 10:00"));
        assert_eq!(start("01.07 10:00"), local("2026-07-01 10:00"));
        assert_eq!(start("1.07 10:00"), local("2026-07-01 10:00"));
        // DD.MM: this year if still ahead, else next year.
        assert_eq!(start("10.06 15:00"), local("2026-06-10 15:00"));
        assert_eq!(start("10.06 11:00"), local("2027-06-10 11:00"));
        assert_eq!(start("05.06 10:00"), local("2027-06-05 10:00"));
        assert_eq!(start("31.12 23:00"), local("2026-12-31 23:00"));
        // 29 February: the next one is in 2028, more than a year ahead.
        assert_eq!(err("29.02 10:00"), WhenError::TooFarAhead);
        let in_2027 = local("2027-06-10 12:00");
        let got = read("29.02 10:00", in_2027, &msk()).unwrap().unwrap();
        assert_eq!(
            got.scheduled.when,
            When::Once {
                start: local("2028-02-29 10:00")
            }
        );
    }

    #[test]
    fn an_explicit_day_already_past_is_an_error() {
        assert_eq!(err("2020-01-01 10:00"), WhenError::Past);
        assert_eq!(err("01.01.2026 10:00"), WhenError::Past);
        assert_eq!(err("today 09:00"), WhenError::Past);
        assert_eq!(err("сегодня в 11:59"), WhenError::Past);
        // Exactly now is past too.
        assert_eq!(err("today 12:00"), WhenError::Past);
        assert_eq!(err("2026-06-10 12:00"), WhenError::Past);
        assert_eq!(start("2026-06-10 12:01"), local("2026-06-10 12:01"));
    }

    #[test]
    fn too_far_ahead() {
        // Now plus 366 days is 2027-06-11 12:00.
        assert_eq!(start("2027-06-11 12:00"), local("2027-06-11 12:00"));
        assert_eq!(err("2027-06-11 12:01"), WhenError::TooFarAhead);
        assert_eq!(err("2030-01-01 10:00"), WhenError::TooFarAhead);
        assert_eq!(err("9999-12-31 23:59"), WhenError::TooFarAhead);
        assert_eq!(err("in 8785 hours"), WhenError::TooFarAhead);
        assert_eq!(err("in 99999999999 min"), WhenError::TooFarAhead);
        assert_eq!(
            err("через 99999999999999999999999999 часов"),
            WhenError::TooFarAhead
        );
        assert_eq!(err("in 99999999999.5h"), WhenError::TooFarAhead);
    }

    #[test]
    fn bad_dates() {
        for (text, bad) in [
            ("2026-02-30 10:00", "2026-02-30"),
            ("2026-13-01 10:00", "2026-13-01"),
            ("2026-00-10 10:00", "2026-00-10"),
            ("2026-01-001 10:00", "2026-01-001"),
            ("99999999-01-01 10:00", "99999999-01-01"),
            ("31.04 10:00", "31.04"),
            ("31.02", "31.02"),
            ("30.02.2026 10:00", "30.02.2026"),
            ("31.13.2026 10:00", "31.13.2026"),
            ("10:00 31.04", "31.04"),
            ("on 2026-02-30 10:00", "2026-02-30"),
        ] {
            assert_eq!(err(text), WhenError::BadDate(bad.into()), "{text}");
        }
    }

    #[test]
    fn bad_times() {
        for (text, bad) in [
            ("25:00", "25:00"),
            ("24:00 Sync", "24:00"),
            ("10:75", "10:75"),
            ("9:99", "9:99"),
            ("10:5", "10:5"),
            ("123:00", "123:00"),
            ("10:00:00", "10:00:00"),
            ("16:9 video", "16:9"),
            ("at 25:00", "25:00"),
            ("в 25:00", "25:00"),
            ("tomorrow 25:00", "25:00"),
            ("завтра в 10:60", "10:60"),
            ("every day at 10:60", "10:60"),
            ("99999999999999999999:00", "99999999999999999999:00"),
        ] {
            assert_eq!(err(text), WhenError::BadTime(bad.into()), "{text}");
        }
    }

    #[test]
    fn a_day_without_a_time() {
        for text in [
            "tomorrow Design review",
            "tomorrow",
            "monday retro",
            "on Monday",
            "в понедельник",
            "завтра планёрка",
            "2026-07-01 Launch",
            "01.07",
            "every monday",
            "every day",
            "every monday at noon",
            "every weekday standup",
            "каждый день",
            "каждую среду планёрка",
            "по средам",
            "по будням",
            "по рабочим дням",
            "on weekdays",
            // "at"/"в" that is not followed by a time after a day.
            "tomorrow at noon",
            "завтра в обед",
        ] {
            assert_eq!(err(text), WhenError::NeedsTime, "{text}");
        }
    }

    #[test]
    fn in_a_while() {
        // A "now" with seconds: the start is truncated to the minute.
        let now: Timestamp = "2026-06-10T09:00:40Z".parse().unwrap();
        let base: Timestamp = "2026-06-10T09:00:00Z".parse().unwrap();
        for (text, minutes) in [
            ("in 30 min", 30),
            ("in 30 minutes", 30),
            ("in 1 minute", 1),
            ("in a minute", 1),
            ("in 30m", 30),
            ("in 30min", 30),
            ("in 90 mins", 90),
            ("in 1h", 60),
            ("in 1 hour", 60),
            ("in 2 hours", 120),
            ("in an hour", 60),
            ("in half an hour", 30),
            ("in 1h30m", 90),
            ("in 1h 30m", 90),
            ("in 1 hour 30 minutes", 90),
            ("in 1.5h", 90),
            ("IN 2 HOURS", 120),
            ("через 30 минут", 30),
            ("через 30 мин", 30),
            ("через 5 минуту", 5),
            ("через 5 минуты", 5),
            ("через 5 минута", 5),
            ("через 5 минут", 5),
            ("через минуту", 1),
            ("через час", 60),
            ("через 2 часа", 120),
            ("через 5 часов", 300),
            ("через полчаса", 30),
            ("через полтора часа", 90),
            ("через 1ч", 60),
            ("через 1ч30м", 90),
            ("через 1,5 часа", 90),
            ("Через 10 мин.", 10),
        ] {
            let got = read(text, now, &msk()).unwrap().unwrap();
            assert_eq!(
                got.scheduled.when,
                When::Once {
                    start: base + mins(minutes)
                },
                "{text}"
            );
            assert_eq!(got.rest, "", "{text}");
        }
        let got = read("in 1h for 45m Sync", now, &msk()).unwrap().unwrap();
        assert_eq!(got.scheduled.duration, mins(45));
        assert_eq!(got.rest, "Sync");
        // No time of day after a delay: it stays in the topic.
        let got = read("через 30 минут 10:00 Планёрка", now, &msk())
            .unwrap()
            .unwrap();
        assert_eq!(
            got.scheduled.when,
            When::Once {
                start: base + mins(30)
            }
        );
        assert_eq!(got.rest, "10:00 Планёрка");
        // "in 0 min" is now, which has already begun.
        assert_eq!(read("in 0 min", now, &msk()), Err(WhenError::Past));
        assert_eq!(read("через 0 минут", now, &msk()), Err(WhenError::Past));
        // Exactly the limit is fine (the start is truncated, so a little under 366 days).
        assert!(read("in 8784 hours", now, &msk()).is_ok());
    }

    #[test]
    fn durations() {
        for (text, minutes) in [
            ("10:00 for 1h", 60),
            ("10:00 for 1 h", 60),
            ("10:00 for 90 min", 90),
            ("10:00 for 90m", 90),
            ("10:00 for 1h30m", 90),
            ("10:00 for 1.5h", 90),
            ("10:00 for an hour", 60),
            ("10:00 for 1 hour", 60),
            ("10:00 for 2 hours", 120),
            ("10:00 for 45 minutes", 45),
            ("10:00 for half an hour", 30),
            ("10:00 FOR 2 HRS", 120),
            ("10:00 for 24h", 24 * 60),
            ("10:00 for 1 min", 1),
            ("10:00 на 1 ч", 60),
            ("10:00 на 1ч", 60),
            ("10:00 на час", 60),
            ("10:00 на полчаса", 30),
            ("10:00 на 45 минут", 45),
            ("10:00 на 45 мин", 45),
            ("10:00 на 2 часа", 120),
            ("10:00 на 1,5 часа", 90),
            ("10:00 на 1ч30м", 90),
            ("10:00 на полтора часа", 90),
        ] {
            assert_eq!(duration(text), mins(minutes), "{text}");
            assert_eq!(rest(text), "", "{text}");
        }
        assert_eq!(duration("tomorrow 15:00 for 1h Design review"), mins(60));
        assert_eq!(rest("tomorrow 15:00 for 1h Design review"), "Design review");
    }

    #[test]
    fn a_for_that_is_not_a_duration_is_topic() {
        for (text, topic) in [
            ("10:00 for the team", "for the team"),
            ("10:00 for 30 people", "for 30 people"),
            ("10:00 for 1.5 min", "for 1.5 min"), // no fractions of a minute
            ("10:00 на планёрку", "на планёрку"),
            ("10:00 на 5 человек", "на 5 человек"),
            ("10:00 for", "for"),
        ] {
            assert_eq!(duration(text), DEFAULT_DURATION, "{text}");
            assert_eq!(rest(text), topic, "{text}");
        }
    }

    #[test]
    fn bad_durations() {
        for (text, bad) in [
            ("10:00 for 0 min", "0 min"),
            ("10:00 for 30h", "30h"),
            ("10:00 for 1441 minutes", "1441 minutes"),
            ("10:00 на 25 часов", "25 часов"),
            ("10:00 for 24h1m", "24h1m"),
            ("every day 10:00 for 0m", "0m"),
            (
                "in 1h for 99999999999999999999999h",
                "99999999999999999999999h",
            ),
        ] {
            assert_eq!(err(text), WhenError::BadDuration(bad.into()), "{text}");
        }
    }

    #[test]
    fn recurring_meetings() {
        let mon_thu = Weekdays::from_days([Monday, Thursday]);
        let wed = Weekdays::from_days([Wednesday]);
        for (text, days, hour, minute) in [
            ("every day 10:00", Weekdays::EVERY_DAY, 10, 0),
            ("Every day at 10:00", Weekdays::EVERY_DAY, 10, 0),
            ("daily 9:30", Weekdays::EVERY_DAY, 9, 30),
            ("daily at 9:30", Weekdays::EVERY_DAY, 9, 30),
            ("everyday 9:30", Weekdays::EVERY_DAY, 9, 30),
            ("every weekday 10:00", Weekdays::WEEKDAYS, 10, 0),
            ("weekdays 10:00", Weekdays::WEEKDAYS, 10, 0),
            ("weekdays at 10am", Weekdays::WEEKDAYS, 10, 0),
            ("on weekdays at 10:00", Weekdays::WEEKDAYS, 10, 0),
            ("every mon,thu 10:00", mon_thu, 10, 0),
            ("every mon, thu 10:00", mon_thu, 10, 0),
            ("every mon , thu 10:00", mon_thu, 10, 0),
            ("every monday and thursday at 10:00", mon_thu, 10, 0),
            ("every Thursday and Monday at 10:00", mon_thu, 10, 0),
            ("every tue 10:00", Weekdays::from_days([Tuesday]), 10, 0),
            (
                "every Monday, Wednesday and Friday at 9am",
                Weekdays::from_days([Monday, Wednesday, Friday]),
                9,
                0,
            ),
            ("каждый день в 10:00", Weekdays::EVERY_DAY, 10, 0),
            ("ежедневно в 10:00", Weekdays::EVERY_DAY, 10, 0),
            ("Ежедневно 10:00", Weekdays::EVERY_DAY, 10, 0),
            ("каждый будний день в 10:00", Weekdays::WEEKDAYS, 10, 0),
            ("по будням в 10:00", Weekdays::WEEKDAYS, 10, 0),
            ("по рабочим дням в 10:00", Weekdays::WEEKDAYS, 10, 0),
            ("каждую среду в 11:00", wed, 11, 0),
            ("каждый пн,чт в 10:00", mon_thu, 10, 0),
            ("каждый понедельник и четверг в 10:00", mon_thu, 10, 0),
            (
                "каждый вторник 10:00",
                Weekdays::from_days([Tuesday]),
                10,
                0,
            ),
            (
                "каждое воскресенье в 12:00",
                Weekdays::from_days([Sunday]),
                12,
                0,
            ),
            ("по понедельникам и четвергам в 10:00", mon_thu, 10, 0),
            ("по средам в 11:00", wed, 11, 0),
            ("По пн, чт 10:00", mon_thu, 10, 0),
            ("КАЖДУЮ СРЕДУ В 11:00", wed, 11, 0),
        ] {
            assert_eq!(
                rule(text),
                Rule {
                    days,
                    at: time(hour, minute, 0, 0)
                },
                "{text}"
            );
            assert_eq!(duration(text), DEFAULT_DURATION, "{text}");
            assert_eq!(rest(text), "", "{text}");
        }
        let text = "каждую пятницу в 18:00 на 2 часа Пятничный созвон";
        assert_eq!(rule(text).days, Weekdays::from_days([Friday]));
        assert_eq!(duration(text), mins(120));
        assert_eq!(rest(text), "Пятничный созвон");
        let text = "every day 10:00 for 15 min Standup";
        assert_eq!(duration(text), mins(15));
        assert_eq!(rest(text), "Standup");
        // A list stops at the first word that is not a day.
        assert_eq!(err("every monday and retro"), WhenError::NeedsTime);
        // A time that passed today does not matter to a rule.
        assert_eq!(rule("every day 9:00").at, time(9, 0, 0, 0));
    }

    #[test]
    fn the_rest_is_the_topic_as_typed() {
        assert_eq!(
            rest("tomorrow 15:00 for 1h   Design review  "),
            "Design review"
        );
        // Line breaks separate tokens too, and stay inside the topic.
        assert_eq!(
            rest("завтра 10:00\nПланёрка\nвторая строка"),
            "Планёрка\nвторая строка"
        );
        assert_eq!(rest("  \t10:00\tSync"), "Sync");
        // A comma after the time expression is not part of the topic.
        assert_eq!(rest("tomorrow, 10:00, Sync, part 2"), "Sync, part 2");
        // Letter case is kept.
        assert_eq!(rest("10:00 DESIGN Review"), "DESIGN Review");
    }

    #[test]
    fn daylight_saving_for_one_off_meetings() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        // Saturday 2027-03-27 12:00 in Berlin (CET); the clocks go forward that night.
        let now: Timestamp = "2027-03-27T11:00:00Z".parse().unwrap();
        let start = |text| match read(text, now, &berlin).unwrap().unwrap().scheduled.when {
            When::Once { start } => start,
            other => panic!("{other:?}"),
        };
        // Tomorrow 10:00 is CEST, UTC+2.
        assert_eq!(
            start("tomorrow 10:00"),
            "2027-03-28T08:00:00Z".parse().unwrap()
        );
        // 02:30 does not exist that night: it moves forward to 03:30 CEST.
        let gap = start("2027-03-28 02:30");
        assert_eq!(gap, "2027-03-28T01:30:00Z".parse().unwrap());
        assert_eq!(berlin.to_datetime(gap).time(), time(3, 30, 0, 0));
        // And "in 2 hours" is two real hours, whatever the wall clock does.
        let late: Timestamp = "2027-03-28T00:30:00Z".parse().unwrap();
        let got = read("in 2 hours", late, &berlin).unwrap().unwrap();
        assert_eq!(
            got.scheduled.when,
            When::Once {
                start: "2027-03-28T02:30:00Z".parse().unwrap()
            }
        );
    }

    #[test]
    fn odd_input_never_panics() {
        // The ones with a known answer.
        assert_eq!(read_msk("🎉 party"), Ok(None));
        assert_eq!(read_msk("🎉"), Ok(None));
        assert_eq!(read_msk("::"), Ok(None));
        assert_eq!(read_msk("-1:00"), Ok(None));
        assert_eq!(read_msk("every"), Ok(None));
        assert_eq!(read_msk("in"), Ok(None));
        assert_eq!(read_msk("через"), Ok(None));
        assert_eq!(read_msk("at"), Ok(None));
        assert_eq!(read_msk("on"), Ok(None));
        assert_eq!(read_msk("по"), Ok(None));
        assert_eq!(
            err("99999999-01-01 10:00"),
            WhenError::BadDate("99999999-01-01".into())
        );
        assert_eq!(err("31.02"), WhenError::BadDate("31.02".into()));
        assert_eq!(err("in 0 min"), WhenError::Past);
        assert_eq!(err("in 99999999999 min"), WhenError::TooFarAhead);

        let long = format!("10:00 {}", "слово ".repeat(100_000));
        assert_eq!(rest(&long), "слово ".repeat(100_000).trim_end());
        assert!(is_topic(&"a".repeat(1_000_000)));
        assert!(matches!(read_msk(&"1".repeat(100_000)), Ok(None)));
        assert!(read_msk(&format!("{}:00", "1".repeat(100_000))).is_err());

        // Everything else just must not panic, at ordinary and at extreme "now"s.
        let words = [
            "",
            " ",
            "\n",
            "10:00",
            "25:00",
            "3pm",
            "pm",
            "am",
            "12",
            "0",
            "00:00",
            "23:59",
            "today",
            "tomorrow",
            "сегодня",
            "послезавтра",
            "mon",
            "вс",
            "every",
            "каждый",
            "день",
            "по",
            "средам",
            "будням",
            "daily",
            "on",
            "at",
            "в",
            "во",
            "in",
            "через",
            "for",
            "на",
            "1h30m",
            "1,5",
            "1.5",
            "h",
            "часа",
            "min",
            "an",
            "hour",
            "half",
            "полчаса",
            "полтора",
            "2026-02-28",
            "29.02",
            "31.12.9999",
            "01.01.-001",
            "and",
            "и",
            ",",
            ",,",
            "mon,",
            ",thu",
            "1:",
            ":1",
            "1::1",
            "١٢:٠٠",
            "１０:００",
            "🎉",
            "\u{0}",
            "\u{200b}",
            "ǅ",
            "İ",
            "99999999999999999999999",
            "9".repeat(40).leak(),
            "0.0000001h",
            "1.h",
            ".5h",
            "1ч.",
            "mins.",
            "-5",
            "+5",
        ];
        let nows: [Timestamp; 5] = [
            now(),
            Timestamp::MAX,
            Timestamp::MIN,
            Timestamp::UNIX_EPOCH,
            "9999-12-30T00:00:00Z".parse().unwrap(),
        ];
        let zones = [
            msk(),
            TimeZone::get("Europe/Berlin").unwrap(),
            TimeZone::UTC,
        ];
        for a in words {
            for b in words {
                for c in ["", "10:00", "for 1h", "mon", "x"] {
                    let text = format!("{a} {b} {c}");
                    for now in nows {
                        for tz in &zones {
                            let _ = read(&text, now, tz);
                        }
                    }
                }
            }
        }
    }
}
