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
//!
//! This file is the grammar; the words are each language's own, in `en.rs` and `ru.rs` (what a
//! language must provide is `Words`, below).

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{RoundMode, SignedDuration, Timestamp, TimestampRound, Unit};

use super::recur::{Rule, Weekdays};

mod en;
mod options;
mod ru;

pub use options::{Candidates, MAX_CANDIDATES, MIN_CANDIDATES, OptionsError, read_candidates};

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

/// A one-time start on `date` at `time` in `tz`, as of `now`: the same checks as a typed
/// `2026-12-08 15:00` (past, too far ahead). For a form with a date and a time picked apart.
pub fn on_date(date: Date, time: Time, now: Timestamp, tz: &TimeZone) -> Result<When, WhenError> {
    resolve(Some(Day::Date(date)), time, now, tz)
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

    /// Whether token `i` is one of the words `pick` takes from each language.
    fn is_any(&self, i: usize, pick: fn(&Words) -> List) -> bool {
        self.word(i).is_some_and(|w| one_of(&w, pick))
    }

    /// The index of the token after `phrase`, if `phrase` is at token `i`.
    fn phrase(&self, i: usize, phrase: Phrase) -> Option<usize> {
        let here = phrase
            .iter()
            .enumerate()
            .all(|(k, words)| self.is(i + k, words));
        here.then_some(i + phrase.len())
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
// Words

/// The languages read, all at once and in any mix: a word of any of them is understood anywhere
/// its kind of word goes ("every понедельник", "каждый mon"). A word must not mean different
/// things in two languages (the first language that has it would win).
const LANGUAGES: [&Words; 2] = [&en::WORDS, &ru::WORDS];

/// Some words, as compared with a token in lower case without trailing commas.
type List = &'static [&'static str];

/// Words and what each means: `(meaning, words)`.
type Meanings<T> = &'static [(T, List)];

/// Words in a row, each one of a list: `[["every"], ["weekday", "weekdays"]]`.
type Phrase = &'static [List];

/// What a language must provide: its words for each part of the grammar, as `en.rs` and `ru.rs`
/// do. Where a language has no such words, the list is empty. Words are in lower case (but for
/// `meridiem_in_capitals`); those compared "without a final dot" are looked up with trailing dots
/// removed (`mon.`, `dec.`, `min.`), so are listed without.
struct Words {
    // Times of day
    /// Before a time: `at 15:00`.
    at: List,
    /// The halves of a 12-hour clock, without a final dot, after an hour or a time or attached
    /// to it: `3 pm`, `3pm`, `3:30 p.m.`.
    meridiem: Meanings<Half>,
    /// The same as typed in capitals, exactly: separate after a time of 13:00 to 23:59, they are
    /// an abbreviation beginning the topic ("15:00 PM review"), not a half of the day.
    meridiem_in_capitals: List,

    // Days
    /// A day by how many days after today it is: `today` 0, `tomorrow` 1.
    days_from_today: Meanings<i64>,
    /// Weekday names without a final dot: full, short, and as they are after a preposition
    /// before a day (`в среду`).
    weekdays: Meanings<Weekday>,
    /// `this` or `next`, before a weekday (`next friday`), or a week, a month… (`next week`).
    this_next: Meanings<Which>,
    /// The same, for words with many endings, by how the word starts.
    this_next_stems: Meanings<Which>,
    /// A word that may come between `this` and a weekday: `this coming friday`.
    coming: List,
    /// Prepositions before a day (`on monday`), and what may follow each.
    before_day: Meanings<Before>,
    /// Full month names by number, which may as well begin a topic: `december` 12, `may` 5.
    months: Meanings<i8>,
    /// Forms of month names only ever part of a date, with a day: short ones (`dec`), or a case
    /// of their own.
    months_in_dates: Meanings<i8>,
    /// Ordinal endings after a day of a month: `1st`, `22nd`.
    ordinal_endings: List,
    /// A word after the year of a day and a month's name, taken with it: `г.` in
    /// `1 декабря 2026 г.`.
    after_year: List,
    /// Words after `this`/`next` that make a span of time other than a weekday, without a final
    /// dot: `next week`, `this morning`.
    calendar_words: List,

    // Recurrences
    /// Phrases that say on which days a meeting recurs: `every day`, `every weekday`.
    recurrences: &'static [(Weekdays, Phrase)],
    /// Single words that say on which days a meeting recurs and may as well begin a topic
    /// ("Daily standup"): a recurrence only if a time follows at once.
    recurrence_words: Meanings<Weekdays>,
    /// Words that say "every" before a list of weekdays (`every mon, thu`), and how the weekdays
    /// after each are named.
    every: Meanings<Names>,
    /// Words joining the weekdays of such a list, besides commas and `&`: `mon and thu`.
    and: List,

    // Delays and durations
    /// Before a delay at the start: `in 30 min`.
    delay: List,
    /// Before a duration: `for 1h`.
    lasting: List,
    /// Before a deadline: `until mon 18:00`.
    until: List,
    /// Durations in words, in minutes: `an hour` 60, `half an hour` 30.
    durations: &'static [(u64, Phrase)],
    /// Units after a number, separate or attached (`1h30m`), without a final dot: `h`, `hours`,
    /// `min`.
    time_units: Meanings<TimeUnit>,
}

/// What may follow a preposition before a day.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Before {
    /// A weekday, `this`/`next` and a weekday, a date, or a day and a month's name: `on`.
    AnyDay,
    /// A weekday, or `this`/`next` and a weekday.
    Weekday,
    /// Only `this`/`next` and a weekday: a word that is otherwise a duration's or the topic's
    /// (Russian `на`: "на следующий вторник", but "на час", "на 1/2 ставки").
    ThisOrNext,
}

/// How the weekdays of a list after a word for "every" are named.
#[derive(Clone, Copy)]
enum Names {
    /// By their names in any language, as anywhere else (`every mon, thu`).
    Weekdays,
    /// By names of their own, without a final dot (Russian `по` and the dative plural: "по
    /// понедельникам и четвергам").
    Own(Meanings<Weekday>),
}

// Plain loops rather than iterator adapters in these three: every token goes through them many
// times, and in an unoptimized build (the tests') adapters cost several times as much.

/// What `word` means in `meanings`.
fn meaning<T: Copy>(meanings: Meanings<T>, word: &str) -> Option<T> {
    for &(meaning, words) in meanings {
        if words.contains(&word) {
            return Some(meaning);
        }
    }
    None
}

/// What `word` means in the first language whose table `pick` has it.
fn lookup<T: Copy>(word: &str, pick: fn(&Words) -> Meanings<T>) -> Option<T> {
    for language in LANGUAGES {
        if let Some(meaning) = meaning(pick(language), word) {
            return Some(meaning);
        }
    }
    None
}

/// Whether `word` is one of the words `pick` takes from each language.
fn one_of(word: &str, pick: fn(&Words) -> List) -> bool {
    for language in LANGUAGES {
        if pick(language).contains(&word) {
            return true;
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Times of day

#[derive(Clone, Copy)]
enum Half {
    Am,
    Pm,
}

fn meridiem(word: &str) -> Option<Half> {
    lookup(word.trim_end_matches('.'), |l| l.meridiem)
}

/// A time of day at token `i`, optionally after `at`/`в`/`во`.
fn time_expr(t: &Tokens, i: usize) -> Result<Option<(Time, usize)>, WhenError> {
    if t.is_any(i, |l| l.at) {
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
    let (body, attached) = LANGUAGES
        .iter()
        .flat_map(|l| l.meridiem)
        .flat_map(|&(half, suffixes)| suffixes.iter().map(move |&suffix| (half, suffix)))
        .find_map(|(half, suffix)| {
            let body = word.strip_suffix(suffix)?;
            body.ends_with(|c: char| c.is_ascii_digit())
                .then_some((body, Some(half)))
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
        let abbreviation = t
            .raw(i + 1)
            .is_some_and(|raw| one_of(raw, |l| l.meridiem_in_capitals));
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
    if let Some((day, next)) = qualified_weekday(t, i) {
        return found(day, next);
    }
    if let Some(days) = lookup(&word, |l| l.days_from_today) {
        return found(Day::After(days), i + 1);
    }
    if let Some(days) = lookup(&word, |l| l.recurrence_words) {
        return Ok(Some(DayExpr {
            day: Day::Every(days),
            next: i + 1,
            loose: true,
        }));
    }
    for &(days, phrase) in LANGUAGES.iter().flat_map(|l| l.recurrences) {
        if let Some(next) = t.phrase(i, phrase) {
            return found(Day::Every(days), next);
        }
    }
    if let Some(names) = lookup(&word, |l| l.every) {
        let (days, next) = days_list(t, i + 1, names);
        return if days.is_empty() {
            Ok(None)
        } else {
            found(Day::Every(days), next)
        };
    }
    // A day, at token `at`: after a preposition, or this token.
    let before = lookup(&word, |l| l.before_day);
    let at = if before.is_some() { i + 1 } else { i };
    if before != Some(Before::ThisOrNext)
        && let Some(day) = t.word(at).and_then(|w| weekday(&w))
    {
        return found(Day::Weekday(day), at + 1);
    }
    if before.is_some()
        && let Some((day, next)) = qualified_weekday(t, at)
    {
        return found(day, next);
    }
    if before.is_some_and(|before| before != Before::AnyDay) {
        return Ok(None);
    }
    if let Some(day) = date(t, at)? {
        return found(day, at + 1);
    }
    Ok(day_month(t, at)?.map(|(day, next)| DayExpr {
        day,
        next,
        loose: false,
    }))
}

/// Whether a word says "this" or "next" (before a weekday, or a week or month).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    This,
    Next,
}

fn which(word: &str) -> Option<Which> {
    lookup(word, |l| l.this_next).or_else(|| {
        LANGUAGES
            .iter()
            .flat_map(|l| l.this_next_stems)
            .find(|(_, stems)| stems.iter().any(|stem| word.starts_with(stem)))
            .map(|&(which, _)| which)
    })
}

/// `this`/`next` and a weekday at token `i` (`this coming friday`, `следующую пятницу`, `эту
/// пятницу`): the day and the index of the token after it.
fn qualified_weekday(t: &Tokens, i: usize) -> Option<(Day, usize)> {
    let which = which(&t.word(i)?)?;
    let mut j = i + 1;
    if which == Which::This && t.is_any(j, |l| l.coming) {
        j += 1;
    }
    let day = weekday(&t.word(j)?)?;
    let day = match which {
        Which::This => Day::Weekday(day),
        Which::Next => Day::NextWeekday(day),
    };
    Some((day, j + 1))
}

/// Weekday names joined by commas, spaces, `&` or `and`/`и`, from token `i`: the set and the
/// index of the token after the last name (a trailing `and` is not taken).
fn days_list(t: &Tokens, i: usize, names: Names) -> (Weekdays, usize) {
    let name = |word: &str| match names {
        Names::Weekdays => weekday(word),
        Names::Own(own) => meaning(own, word.trim_end_matches('.')),
    };
    let mut days = Vec::new();
    let mut j = i;
    let mut end = i;
    while let Some(word) = t.word(j) {
        if word == "&" || one_of(&word, |l| l.and) {
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

/// A weekday's name, in any language (in Russian, nominative, or accusative as after `в`).
fn weekday(word: &str) -> Option<Weekday> {
    lookup(word.trim_end_matches('.'), |l| l.weekdays)
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

/// A month's name, in any language (in Russian, nominative, genitive as in "1 декабря", or
/// short), with an optional dot: `dec.`, `дек.`.
fn month(word: &str) -> Option<Month> {
    let word = word.trim_end_matches('.');
    let (number, only_in_dates) = match lookup(word, |l| l.months) {
        Some(number) => (number, false),
        None => (lookup(word, |l| l.months_in_dates)?, true),
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
    let digits = LANGUAGES
        .iter()
        .flat_map(|l| l.ordinal_endings)
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
        if t.is_any(next, |l| l.after_year) {
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
    let before = t.word(i).and_then(|w| lookup(&w, |l| l.before_day));
    let j = if before.is_some() { i + 1 } else { i };
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
    // Other than before `this`/`next`, "на" is a duration ("на час") or the topic ("на 1/2
    // ставки").
    if before == Some(Before::ThisOrNext) {
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
    one_of(word.trim_end_matches('.'), |l| l.calendar_words)
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
    if !t.is_any(0, |l| l.delay) {
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
    if !t.is_any(i, |l| l.lasting) {
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
    for &(minutes, phrase) in LANGUAGES.iter().flat_map(|l| l.durations) {
        if let Some(next) = t.phrase(i, phrase) {
            return Some((minutes, next));
        }
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
    lookup(word.trim_end_matches('.'), |l| l.time_units)
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
mod tests;
