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
//!   `this`/`next` and a weekday (`next friday`, `this coming mon`, `в следующую пятницу`,
//!   `следующий вторник`, `в эту пятницу`, `в ближайший понедельник`, `на следующий вторник`),
//!   a date (`2026-05-01`, `01.05.2026`, `01.05`), or a day and a month's name, optionally with
//!   a year (`1 dec`, `dec 1`, `1st december 2026`, `1 декабря`, `1 дек.`, `1-го декабря 2026 г.`);
//! - or a recurrence before the time: `every day`, `daily`, `every weekday`, `weekdays`,
//!   `on weekdays`, `every mon, thu`, `every monday and thursday`, `каждый день`, `ежедневно`,
//!   `каждый будний день`, `по будням`, `по рабочим дням`, `каждую среду`, `каждый пн,чт`,
//!   `по понедельникам и четвергам`;
//! - or, instead of all of that, a delay: `in 30 min`, `in an hour`, `in 1h30m`, `через полчаса`,
//!   `через 2 часа`;
//! - then, optionally, a duration: `for 1h`, `for 90 min`, `for 1.5h`, `на час`, `на 1,5 часа`.
//!
//! What looks like a day but is none of these (`01.05.26`, `1/12`, `next week`, `декабря`) is
//! not taken for the topic when a time goes with it: rather than a meeting at a time the user
//! did not mean, [`WhenError::Unreadable`].

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
    /// Looks like a day, next to a time, but is not one this reads: "15:00 01.05.26",
    /// "15:00 1/12", "next week monday 10:00", "10:00 декабря" (the offending text).
    #[error("not a day this understands: {0}")]
    Unreadable(String),
}

/// Reads a time expression at the start of `text` (what followed `/meet`), as of `now`, in `tz`.
/// Ok(None): text does not start with a time expression (it is all topic).
///
/// How a day is chosen:
/// - a time alone is today if still ahead (strictly after `now`), else tomorrow;
/// - a weekday (or `this` and a weekday) is the next such day: today if the time is still
///   ahead, else a week later;
/// - `next` and a weekday is the first such day strictly after today, never today;
/// - `DD.MM` and a day with a month's name (`1 dec`) are this year if still ahead, else the
///   next year that has that date;
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
        return match unreadable_day(t, 0, Place::Start) {
            Some(bad) => Err(WhenError::Unreadable(bad)),
            None => Ok(None),
        };
    };
    match day_expr(t, next)? {
        Some(day) if !day.loose => Ok(Some((resolve(Some(day.day), time, now, tz)?, day.next))),
        _ => match unreadable_day(t, next, Place::AfterTime) {
            Some(bad) => Err(WhenError::Unreadable(bad)),
            None => Ok(Some((resolve(None, time, now, tz)?, next))),
        },
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
    // "15:00 PM review": an hour of 13 to 23 cannot take am/pm, so a separate "PM" or "AM" in
    // capitals after it is the topic's abbreviation, not a half of the day. (In lower case,
    // "15:00 pm" is still a bad time.)
    let separate = separate.filter(|_| {
        let abbreviation = matches!(t.raw(i + 1), Some("PM" | "AM"));
        let afternoon =
            parts.len() == 2 && parts[0].parse::<u8>().is_ok_and(|h| (13..=23).contains(&h));
        !(abbreviation && afternoon)
    });
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
    /// A weekday, or `this` and a weekday: today if the time is still ahead, else the next one.
    Weekday(Weekday),
    /// `next` and a weekday. People do not agree whether "next Friday" said on a Monday is
    /// that week's or the following one, so this takes the simple, predictable reading: the
    /// first such weekday strictly after today (never today; a week later if today is that
    /// weekday). On a Monday, "next friday" is in four days.
    NextWeekday(Weekday),
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
    if let Some((day, next)) = qualified_weekday(t, i) {
        return found(day, next);
    }
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
            if let Some((day, next)) = qualified_weekday(t, i + 1) {
                return found(day, next);
            }
            if let Some(day) = date(t, i + 1)? {
                return found(day, i + 2);
            }
            Ok(day_month(t, i + 1)?.map(|(day, next)| DayExpr {
                day,
                next,
                loose: false,
            }))
        }
        "в" | "во" => match t.word(i + 1).and_then(|w| weekday(&w)) {
            Some(day) => found(Day::Weekday(day), i + 2),
            None => match qualified_weekday(t, i + 1) {
                Some((day, next)) => found(day, next),
                None => Ok(None),
            },
        },
        // "на следующий вторник"; "на" before anything else is a duration or the topic.
        "на" => match qualified_weekday(t, i + 1) {
            Some((day, next)) => found(day, next),
            None => Ok(None),
        },
        _ => {
            if let Some(day) = weekday(&word) {
                return found(Day::Weekday(day), i + 1);
            }
            if let Some(day) = date(t, i)? {
                return found(day, i + 1);
            }
            Ok(day_month(t, i)?.map(|(day, next)| DayExpr {
                day,
                next,
                loose: false,
            }))
        }
    }
}

/// Whether a word says "this" or "next" (before a weekday, or a week or month).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    This,
    Next,
}

fn which(word: &str) -> Option<Which> {
    match word {
        "this" | "этот" | "эту" | "это" | "эта" | "этой" | "этом" | "эти" | "этих" => {
            Some(Which::This)
        }
        "next" => Some(Which::Next),
        _ if word.starts_with("ближайш") => Some(Which::This),
        _ if word.starts_with("следующ") => Some(Which::Next),
        _ => None,
    }
}

/// `this`/`next` and a weekday at token `i` (`this coming friday`, `следующую пятницу`, `эту
/// пятницу`): the day and the index of the token after it.
fn qualified_weekday(t: &Tokens, i: usize) -> Option<(Day, usize)> {
    let which = which(&t.word(i)?)?;
    let mut j = i + 1;
    if which == Which::This && t.is(j, &["coming"]) {
        j += 1;
    }
    let day = weekday(&t.word(j)?)?;
    let day = match which {
        Which::This => Day::Weekday(day),
        Which::Next => Day::NextWeekday(day),
    };
    Some((day, j + 1))
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

/// A month's name.
#[derive(Clone, Copy)]
struct Month {
    number: i8,
    /// Only ever part of a date: a short form (`dec`, `дек`) or a Russian genitive
    /// (`декабря`). Full names (`December`, `декабрь`, `may`) may as well begin a topic.
    only_in_dates: bool,
}

/// A month's name, English or Russian (nominative, genitive as in "1 декабря", or short, with an
/// optional dot: `dec.`, `дек.`).
fn month(word: &str) -> Option<Month> {
    let word = word.trim_end_matches('.');
    let (number, only_in_dates) = match word {
        "january" | "январь" => (1, false),
        "jan" | "янв" | "января" => (1, true),
        "february" | "февраль" => (2, false),
        "feb" | "фев" | "февр" | "февраля" => (2, true),
        "march" | "март" => (3, false),
        "mar" | "мар" | "марта" => (3, true),
        "april" | "апрель" => (4, false),
        "apr" | "апр" | "апреля" => (4, true),
        "may" | "май" => (5, false),
        "мая" => (5, true),
        "june" | "июнь" => (6, false),
        "jun" | "июн" | "июня" => (6, true),
        "july" | "июль" => (7, false),
        "jul" | "июл" | "июля" => (7, true),
        "august" | "август" => (8, false),
        "aug" | "авг" | "августа" => (8, true),
        "september" | "сентябрь" => (9, false),
        "sep" | "sept" | "сен" | "сент" | "сентября" => (9, true),
        "october" | "октябрь" => (10, false),
        "oct" | "окт" | "октября" => (10, true),
        "november" | "ноябрь" => (11, false),
        "nov" | "ноя" | "нояб" | "ноября" => (11, true),
        "december" | "декабрь" => (12, false),
        "dec" | "дек" | "декабря" => (12, true),
        _ => return None,
    };
    Some(Month {
        number,
        only_in_dates,
    })
}

/// A day of a month as written before or after a month's name: one or two digits, optionally
/// with an ordinal ending (`1st`, `22nd`, `1-го`) or a dot. Not checked against the month.
fn day_number(word: &str) -> Option<i8> {
    let word = word.trim_end_matches('.');
    let digits = ["st", "nd", "rd", "th", "-го", "-е"]
        .into_iter()
        .find_map(|ending| word.strip_suffix(ending))
        .unwrap_or(word);
    if !(1..=2).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A day and a month's name at token `i`, either way round (`1 dec`, `dec 1`, `1 декабря`),
/// optionally followed by a year (`1 dec 2026`, `1 декабря 2026 г.`): the day, and the index of
/// the token after it. Err(BadDate) if there is no such day ("31 nov", "0 dec").
fn day_month(t: &Tokens, i: usize) -> Result<Option<(Day, usize)>, WhenError> {
    let (Some(first), Some(second)) = (t.word(i), t.word(i + 1)) else {
        return Ok(None);
    };
    let (day, month) = match (day_number(&first), month(&second)) {
        (Some(day), Some(month)) => (day, month),
        _ => match (month(&first), day_number(&second)) {
            (Some(month), Some(day)) => (day, month),
            _ => return Ok(None),
        },
    };
    let mut next = i + 2;
    let year = t
        .word(next)
        .filter(|w| w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|w| w.parse::<i16>().ok());
    if year.is_some() {
        next += 1;
        if t.is(next, &["г", "г.", "года"]) {
            next += 1;
        }
    }
    let bad = || WhenError::BadDate(t.between(i, next).to_string());
    match year {
        Some(year) => {
            let date = Date::new(year, month.number, day).map_err(|_| bad())?;
            Ok(Some((Day::Date(date), next)))
        }
        None => {
            // 2000 was a leap year: "29 feb" exists, "30 feb" and "31 nov" do not.
            Date::new(2000, month.number, day).map_err(|_| bad())?;
            Ok(Some((
                Day::NoYear {
                    month: month.number,
                    day,
                },
                next,
            )))
        }
    }
}

/// Where [`unreadable_day`] looks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// At the start, where what is not a time expression is the topic.
    Start,
    /// Right after a time (`15:00 …`), where a day may follow.
    AfterTime,
}

/// Something at token `i` that looks like a day but that [`day_expr`] did not read, as typed:
/// so that "15:00 01.05.26" is not today at 15:00 about "01.05.26". None if it may as well be
/// the topic.
///
/// After a time: a date-like token (`01.05.26`, `1/12`, `12/01/2026`, `01-05-2026`), a month's
/// name with a number that is not a day (`dec 2026`), a month's name that only ever goes in a
/// date (`dec`, `декабря`; not `December`, which may start a topic), or `this`/`next` before a
/// week, month… (`next week`, `на следующей неделе`; not `next steps`).
///
/// At the start, where topics are common ("Next steps", "This week's plan", "1/2 day
/// workshop"), only when a time comes right after it: `01.05.26 15:00`, `dec 2026 at 10:00`,
/// `next week monday 15:00`, `next fryday 15:00`.
fn unreadable_day(t: &Tokens, i: usize, place: Place) -> Option<String> {
    let time_at = |j: usize| !matches!(time_expr(t, j), Ok(None));
    let preposition = t.is(i, &["on", "в", "во", "на"]);
    let j = if preposition { i + 1 } else { i };
    let word = t.word(j)?;
    if which(&word).is_some() {
        // A weekday after it was read by day_expr: this is something else.
        let after = t.word(j + 1)?;
        let bad = t.between(j, j + 2).to_string();
        let sure = match place {
            Place::Start => (j + 1..=j + 4).any(time_at),
            Place::AfterTime => calendar_word(&after),
        };
        return sure.then_some(bad);
    }
    // "на" is otherwise a duration ("на час") or the topic ("на 1/2 ставки").
    if t.is(i, &["на"]) {
        return None;
    }
    let raw = t.raw(j)?;
    let (bad, end) = if date_like(raw) {
        (raw, j + 1)
    } else if let Some(month) = month(&word) {
        // A number after it that is not a day (nor the time: "декабря 15:00").
        let number_after = t
            .raw(j + 1)
            .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit()))
            && !time_at(j + 1);
        if number_after {
            (t.between(j, j + 2), j + 2)
        } else if month.only_in_dates || place == Place::Start {
            (raw, j + 1)
        } else {
            return None;
        }
    } else {
        return None;
    };
    if place == Place::Start && !time_at(end) {
        return None;
    }
    Some(bad.to_string())
}

/// A word after `this`/`next` that makes a span of time other than a weekday: `next week`, `this
/// morning`, `на следующей неделе`, `в этом месяце`.
fn calendar_word(word: &str) -> bool {
    matches!(
        word.trim_end_matches('.'),
        "week"
            | "weekend"
            | "month"
            | "year"
            | "day"
            | "morning"
            | "afternoon"
            | "evening"
            | "night"
            | "неделе"
            | "неделю"
            | "неделя"
            | "выходные"
            | "выходных"
            | "месяце"
            | "месяц"
            | "году"
            | "год"
            | "день"
            | "утро"
            | "утром"
            | "вечер"
            | "вечером"
    )
}

/// Digits with `/`, or three groups of digits with `.` or `-` shaped like a date with the year
/// first or last (`01.05.26`, `2026.05.01`, `01-05-2026`), that [`date`] does not read. Not
/// version numbers ("1.2.3", "2.0") or decimals ("1.5").
fn date_like(raw: &str) -> bool {
    let parts: Vec<&str> = raw.split(['.', '/', '-']).collect();
    if parts.len() < 2
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    if raw.contains('/') {
        return parts.len() <= 3;
    }
    let short = |p: &str| p.len() <= 2;
    match parts[..] {
        [a, b, c] => {
            (short(a) && short(b) && matches!(c.len(), 2 | 4))
                || (a.len() == 4 && short(b) && short(c))
        }
        _ => false,
    }
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
        Some(Day::NextWeekday(weekday)) => {
            // Strictly after today (see Day::NextWeekday): a week on if today is that day.
            let days = match i64::from(today.weekday().until(weekday)) {
                0 => 7,
                days => days,
            };
            at(plus(days)?)?
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
    fn this_and_next_weekday() {
        // It is 12:00 on Wednesday the 10th. "next <weekday>" is the first such day strictly
        // after today; "this <weekday>" is the plain weekday.
        for (text, at) in [
            ("next friday 15:00", "2026-06-12 15:00"),
            ("15:00 next friday", "2026-06-12 15:00"),
            ("this friday 15:00", "2026-06-12 15:00"),
            ("15:00 this friday", "2026-06-12 15:00"),
            ("this coming friday 15:00", "2026-06-12 15:00"),
            ("NEXT FRIDAY at 3pm", "2026-06-12 15:00"),
            ("next thu 10:00", "2026-06-11 10:00"),
            ("next monday at 9am", "2026-06-15 09:00"),
            ("on next friday at 15:00", "2026-06-12 15:00"),
            ("10:00 on next friday", "2026-06-12 10:00"),
            // Today's weekday: "next" is never today, "this" is today if still ahead.
            ("next wednesday 15:00", "2026-06-17 15:00"),
            ("next wed 11:00", "2026-06-17 11:00"),
            ("this wednesday 15:00", "2026-06-10 15:00"),
            ("this wednesday 11:00", "2026-06-17 11:00"),
            ("в следующую пятницу 15:00", "2026-06-12 15:00"),
            ("в следующий понедельник 10:00", "2026-06-15 10:00"),
            ("следующий вторник 10:00", "2026-06-16 10:00"),
            ("В СЛЕДУЮЩИЙ ВТОРНИК в 10:00", "2026-06-16 10:00"),
            ("в эту пятницу 15:00", "2026-06-12 15:00"),
            ("в этот четверг в 10:00", "2026-06-11 10:00"),
            ("в это воскресенье 12:00", "2026-06-14 12:00"),
            ("в ближайшую субботу 10:00", "2026-06-13 10:00"),
            ("в следующее воскресенье 12:00", "2026-06-14 12:00"),
            ("в следующую среду в 15:00", "2026-06-17 15:00"),
            ("в эту среду в 15:00", "2026-06-10 15:00"),
            ("в эту среду в 11:00", "2026-06-17 11:00"),
            ("15:00 в следующую пятницу", "2026-06-12 15:00"),
            ("на следующий вторник в 10:00", "2026-06-16 10:00"),
            ("10:00 на следующий вторник", "2026-06-16 10:00"),
        ] {
            assert_eq!(start(text), local(at), "{text}");
            assert_eq!(rest(text), "", "{text}");
        }
        let text = "next friday 15:00 for 1h Demo";
        assert_eq!(start(text), local("2026-06-12 15:00"));
        assert_eq!(duration(text), mins(60));
        assert_eq!(rest(text), "Demo");
        let text = "15:00 в следующую пятницу на 2 часа Ретро";
        assert_eq!(start(text), local("2026-06-12 15:00"));
        assert_eq!(duration(text), mins(120));
        assert_eq!(rest(text), "Ретро");
        // On a Monday morning: "next friday" is that week's, "next monday" a week on.
        let monday = local("2026-06-08 09:00");
        let on_monday = |text| match read(text, monday, &msk()).unwrap().unwrap().scheduled.when {
            When::Once { start } => start,
            other => panic!("{other:?}"),
        };
        assert_eq!(on_monday("next friday 10:00"), local("2026-06-12 10:00"));
        assert_eq!(on_monday("next monday 10:00"), local("2026-06-15 10:00"));
        assert_eq!(on_monday("this monday 10:00"), local("2026-06-08 10:00"));
        assert_eq!(
            on_monday("в следующий понедельник 10:00"),
            local("2026-06-15 10:00")
        );
        assert_eq!(on_monday("в эту пятницу 10:00"), local("2026-06-12 10:00"));
        // A day without a time.
        for text in ["next friday", "next friday retro", "в следующую пятницу"] {
            assert_eq!(err(text), WhenError::NeedsTime, "{text}");
        }
    }

    #[test]
    fn a_day_and_a_months_name() {
        // It is 2026-06-10 12:00.
        for (text, at) in [
            ("1 dec 15:00", "2026-12-01 15:00"),
            ("dec 1 15:00", "2026-12-01 15:00"),
            ("1 december 15:00", "2026-12-01 15:00"),
            ("December 1st at 3pm", "2026-12-01 15:00"),
            ("1 Dec. 15:00", "2026-12-01 15:00"),
            ("15:00 1 dec", "2026-12-01 15:00"),
            ("15:00 dec 1", "2026-12-01 15:00"),
            ("on dec 1 at 10:00", "2026-12-01 10:00"),
            ("10:00 on 1 dec", "2026-12-01 10:00"),
            ("1 dec 2026 15:00", "2026-12-01 15:00"),
            ("1 декабря 15:00", "2026-12-01 15:00"),
            ("15:00 1 декабря", "2026-12-01 15:00"),
            ("1 дек 15:00", "2026-12-01 15:00"),
            ("1 дек. в 15:00", "2026-12-01 15:00"),
            ("1-го декабря в 15:00", "2026-12-01 15:00"),
            ("в 15:00 1 декабря", "2026-12-01 15:00"),
            ("1 декабря 2026 г. в 15:00", "2026-12-01 15:00"),
            ("1 декабря 2026 года 15:00", "2026-12-01 15:00"),
            ("1 ДЕКАБРЯ 15:00", "2026-12-01 15:00"),
            // This year if still ahead, else next year.
            ("10 jun 15:00", "2026-06-10 15:00"),
            ("10 июня 11:00", "2027-06-10 11:00"),
            ("5 june 10:00", "2027-06-05 10:00"),
            ("31 дек 23:00", "2026-12-31 23:00"),
            ("1 jan 10:00", "2027-01-01 10:00"),
        ] {
            assert_eq!(start(text), local(at), "{text}");
            assert_eq!(rest(text), "", "{text}");
        }
        let text = "15:00 1 декабря на 1 ч Запуск";
        assert_eq!(start(text), local("2026-12-01 15:00"));
        assert_eq!(duration(text), mins(60));
        assert_eq!(rest(text), "Запуск");
        assert_eq!(rest("dec 1 at 10:00 Launch"), "Launch");

        // Every spelling, as the 15th at 10:00: months before June are next year's.
        let names = [
            (1, "jan january янв января январь"),
            (2, "feb february фев февр февраля февраль"),
            (3, "mar march мар марта март"),
            (4, "apr april апр апреля апрель"),
            (5, "may мая май"),
            (6, "jun june июн июня июнь"),
            (7, "jul july июл июля июль"),
            (8, "aug august авг августа август"),
            (9, "sep sept september сен сент сентября сентябрь"),
            (10, "oct october окт октября октябрь"),
            (11, "nov november ноя нояб ноября ноябрь"),
            (12, "dec december дек декабря декабрь"),
        ];
        for (month, spellings) in names {
            let year = if month >= 6 { 2026 } else { 2027 };
            let at = local(&format!("{year}-{month:02}-15 10:00"));
            for name in spellings.split(' ') {
                for text in [
                    format!("15 {name} 10:00"),
                    format!("15 {name}. 10:00"),
                    format!("{name} 15 10:00"),
                    format!("10:00 15 {}", name.to_uppercase()),
                ] {
                    assert_eq!(start(&text), at, "{text}");
                }
            }
        }

        // No such day.
        for (text, bad) in [
            ("31 nov 10:00", "31 nov"),
            ("30 февраля 10:00", "30 февраля"),
            ("0 dec 10:00", "0 dec"),
            ("dec 32 10:00", "dec 32"),
            ("10:00 31 апр", "31 апр"),
            ("29 feb 2027 10:00", "29 feb 2027"),
            ("31 ноября 2026 г. 10:00", "31 ноября 2026 г."),
        ] {
            assert_eq!(err(text), WhenError::BadDate(bad.into()), "{text}");
        }
        assert_eq!(err("1 jan 2026 10:00"), WhenError::Past);
        assert_eq!(err("1 jan 2030 10:00"), WhenError::TooFarAhead);
        for text in ["1 dec", "1 декабря Запуск", "dec 1 Launch"] {
            assert_eq!(err(text), WhenError::NeedsTime, "{text}");
        }
        // A number and a word that is not a month stay the topic.
        assert!(is_topic("10 ideas"));
        assert!(is_topic("3 things may change"));
        assert!(is_topic("May the force"));
        assert_eq!(rest("10:00 May planning"), "May planning");
        assert_eq!(
            rest("10:00 December release review"),
            "December release review"
        );
        assert_eq!(rest("10:00 Март: итоги"), "Март: итоги");
    }

    #[test]
    fn what_looks_like_a_day_but_is_not_read_is_an_error() {
        for (text, bad) in [
            // After a time.
            ("15:00 01.05.26", "01.05.26"),
            ("15:00 1/12", "1/12"),
            ("15:00 12/01/2026 Review", "12/01/2026"),
            ("15:00 01-05-2026", "01-05-2026"),
            ("15:00 2026.05.01", "2026.05.01"),
            ("15:00 on 1/12", "1/12"),
            ("в 15:00 1/12 Планёрка", "1/12"),
            ("15:00 dec", "dec"),
            ("15:00 Dec Sync", "Dec"),
            ("15:00 декабря", "декабря"),
            ("15:00 дек.", "дек."),
            ("15:00 dec 2026", "dec 2026"),
            ("15:00 December 2026", "December 2026"),
            ("15:00 декабря 2026", "декабря 2026"),
            ("15:00 next week", "next week"),
            ("15:00 next week monday", "next week"),
            ("3pm this weekend", "this weekend"),
            ("15:00 next month", "next month"),
            ("15:00 на следующей неделе", "следующей неделе"),
            ("в 10:00 в следующем месяце", "следующем месяце"),
            ("10:00 на этой неделе", "этой неделе"),
            // At the start, with a time right after.
            ("01.05.26 15:00", "01.05.26"),
            ("1/12 at 15:00", "1/12"),
            ("12/01/2026 15:00 Review", "12/01/2026"),
            ("on 1/12 15:00", "1/12"),
            ("dec 2026 15:00", "dec 2026"),
            ("декабря 15:00", "декабря"),
            ("December 15:00", "December"),
            ("next week monday 15:00", "next week"),
            ("next week 15:00", "next week"),
            ("next week on monday at 15:00", "next week"),
            ("this morning 10:00", "this morning"),
            ("next fryday 15:00", "next fryday"),
            ("next 15:00", "next 15:00"),
            ("на следующей неделе в пн 10:00", "следующей неделе"),
            ("в следующем месяце 10:00", "следующем месяце"),
            ("следующей неделе 10:00", "следующей неделе"),
            ("в эти выходные 10:00", "эти выходные"),
            ("15:00 в следующие выходные", "следующие выходные"),
        ] {
            assert_eq!(err(text), WhenError::Unreadable(bad.into()), "{text}");
        }
        // Topics that only look a little like days are still topics.
        for text in [
            "10 ideas",
            "Design review",
            "1.5 ideas",
            "2.0 launch",
            "Next steps",
            "Next week planning",
            "This week's plan",
            "This is it",
            "next",
            "this",
            "1/2 day workshop",
            "12/01/2026 Review",
            "December release",
            "dec",
            "Следующий спринт",
            "Это важно",
            "на следующей неделе",
            "следующий",
        ] {
            assert!(is_topic(text), "{text:?}: {:?}", read_msk(text));
        }
        for (text, topic) in [
            ("10:00 for the team", "for the team"),
            ("10:00 next steps", "next steps"),
            ("10:00 next week's plan", "next week's plan"),
            ("10:00 this is fine", "this is fine"),
            ("10:00 1.5 ideas", "1.5 ideas"),
            ("10:00 2.0 launch", "2.0 launch"),
            ("10:00 1.2.3 release", "1.2.3 release"),
            ("10:00 3.14 pi", "3.14 pi"),
            ("10:00 1-2 people", "1-2 people"),
            ("10:00 следующий спринт", "следующий спринт"),
            ("10:00 это важно", "это важно"),
            ("10:00 на час", ""),
            ("10:00 на 5 человек", "на 5 человек"),
        ] {
            assert_eq!(start(text), local("2026-06-11 10:00"), "{text}");
            assert_eq!(rest(text), topic, "{text}");
        }
    }

    #[test]
    fn pm_in_capitals_after_a_24_hour_time_is_the_topic() {
        // 15:00 cannot be "PM": that is the topic's abbreviation.
        assert_eq!(start("15:00 PM review"), local("2026-06-10 15:00"));
        assert_eq!(rest("15:00 PM review"), "PM review");
        assert_eq!(rest("23:30 AM sync"), "AM sync");
        // Up to 12 it is still the half of the day.
        assert_eq!(start("10:00 PM review"), local("2026-06-10 22:00"));
        assert_eq!(rest("10:00 PM review"), "review");
        // In lower case, or with dots, it is still a bad time.
        assert_eq!(err("15:00 pm"), WhenError::BadTime("15:00 pm".into()));
        assert_eq!(err("15:00 p.m."), WhenError::BadTime("15:00 p.m.".into()));
        assert_eq!(err("0:30 AM"), WhenError::BadTime("0:30 AM".into()));
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
            "next",
            "this",
            "coming",
            "следующую",
            "эту",
            "ближайший",
            "week",
            "неделе",
            "dec",
            "May",
            "декабря",
            "1st",
            "1-го",
            "32",
            "2026",
            "г.",
            "1/12",
            "01.05.26",
            "2026.05.01",
            "01-05-2026",
            "/",
            "1//2",
            "PM",
            "AM",
            "15:00",
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
