//! Reading the candidate times of a vote on when to meet, from what followed `/findtime`:
//! "tue 15:00, wed 11:00, thu 16:00 for 1h Design review", "вт 15:00, ср 11:00 до пн 18:00
//! Дизайн-ревью".
//!
//! The times are separated by commas, each in any one-time form `read` takes (a time, a day and
//! a time, a date, a delay); after the last one may come, in this order, a duration (`for 1h`,
//! for every time), a deadline for the vote (`until mon 18:00`, `до пн 18:00`) with a duration
//! of its own place after it, and the topic. An item that is not a time once two are read starts
//! the topic ("tue 15:00, wed 11:00, Review, part 2").

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::{DEFAULT_DURATION, Tokens, When, WhenError, read};

/// The fewest times a vote offers.
pub const MIN_CANDIDATES: usize = 2;
/// The most times a vote offers (one button each, and a readable message).
pub const MAX_CANDIDATES: usize = 6;

/// What [`read_candidates`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidates<'a> {
    /// The times offered, in the order typed.
    pub starts: Vec<Timestamp>,
    /// How long the meeting will be, whichever time wins.
    pub duration: SignedDuration,
    /// When the vote closes by itself, if given.
    pub until: Option<Timestamp>,
    /// The topic ("" if none).
    pub topic: &'a str,
}

/// Why a text does not make a vote. Items count from 1, as the user sees them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    /// Nothing, or no time at the start.
    #[error("no times")]
    NoTimes,
    /// Item `item` is not a time (and too few came before it to start the topic).
    #[error("item {item} is not a time: {text}")]
    NotATime { item: usize, text: String },
    /// Item `item` looks like a time but is not a good one.
    #[error("item {item}: {error}")]
    Item { item: usize, error: WhenError },
    /// Item `item` repeats ("every mon 10:00"): a vote is on one-time meetings.
    #[error("item {item} repeats")]
    Recurring { item: usize },
    /// Item `item` is the same time as an earlier one.
    #[error("item {item} is given twice")]
    Twice { item: usize },
    /// Fewer than [`MIN_CANDIDATES`] times.
    #[error("too few times")]
    TooFew,
    /// More than [`MAX_CANDIDATES`] times.
    #[error("too many times")]
    TooMany,
    /// The deadline is not a good time.
    #[error("deadline: {0}")]
    Until(WhenError),
    /// The deadline is a recurrence.
    #[error("deadline repeats")]
    UntilRecurring,
    /// The deadline is not before the last time offered: nothing would be left to vote on.
    #[error("deadline after the last time")]
    UntilTooLate,
}

/// Reads the candidate times at the start of `text`, as of `now`, in `tz`.
pub fn read_candidates<'a>(
    text: &'a str,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<Candidates<'a>, OptionsError> {
    let mut starts: Vec<Timestamp> = Vec::new();
    let mut duration = DEFAULT_DURATION;
    // Where the text after the last time begins (an offset into `text`).
    let mut tail_at = text.len();
    let mut at = 0;
    while at < text.len() {
        let end = text[at..].find(',').map_or(text.len(), |i| at + i);
        let segment = &text[at..end];
        let next = (end + 1).min(text.len());
        let item = starts.len() + 1;
        if segment.trim().is_empty() {
            at = next;
            continue;
        }
        let found = read(segment, now, tz).map_err(|error| OptionsError::Item { item, error })?;
        let Some(found) = found else {
            if starts.len() >= MIN_CANDIDATES {
                tail_at = at + (segment.len() - segment.trim_start().len());
                break;
            }
            return Err(match starts.is_empty() {
                true => OptionsError::NoTimes,
                false => OptionsError::NotATime {
                    item,
                    text: segment.trim().to_owned(),
                },
            });
        };
        let start = match found.scheduled.when {
            When::Once { start } => start,
            When::Every(_) => return Err(OptionsError::Recurring { item }),
        };
        if starts.contains(&start) {
            return Err(OptionsError::Twice { item });
        }
        if starts.len() == MAX_CANDIDATES {
            return Err(OptionsError::TooMany);
        }
        starts.push(start);
        if found.scheduled.duration != DEFAULT_DURATION {
            duration = found.scheduled.duration;
        }
        if !found.rest.is_empty() {
            // The last time: what follows it (here and after any further commas) is the rest.
            tail_at = offset_in(text, found.rest);
            break;
        }
        at = next;
    }
    if starts.is_empty() {
        return Err(OptionsError::NoTimes);
    }
    if starts.len() < MIN_CANDIDATES {
        return Err(OptionsError::TooFew);
    }
    let tail = text[tail_at..].trim();
    let (until, topic) = deadline(tail, now, tz, &mut duration)?;
    if let Some(until) = until
        && starts.iter().all(|s| *s <= until)
    {
        return Err(OptionsError::UntilTooLate);
    }
    Ok(Candidates {
        starts,
        duration,
        until,
        topic,
    })
}

/// A deadline at the start of `tail` (`until <time>`), and the topic after it; a duration right
/// after the deadline is the meeting's if none came before.
fn deadline<'a>(
    tail: &'a str,
    now: Timestamp,
    tz: &TimeZone,
    duration: &mut SignedDuration,
) -> Result<(Option<Timestamp>, &'a str), OptionsError> {
    let tokens = Tokens::new(tail);
    if !tokens.is_any(0, |l| l.until) {
        return Ok((None, tail));
    }
    let after = tokens.rest(1);
    // "до" may as well begin a topic: only a time after it makes a deadline.
    let Some(found) = read(after, now, tz).map_err(OptionsError::Until)? else {
        return Ok((None, tail));
    };
    let When::Once { start: until } = found.scheduled.when else {
        return Err(OptionsError::UntilRecurring);
    };
    if *duration == DEFAULT_DURATION {
        *duration = found.scheduled.duration;
    }
    Ok((Some(until), found.rest))
}

/// Where `part` (a slice of `whole`) begins in `whole`.
fn offset_in(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Monday 7 December 2026, 09:41 in Moscow.
    fn now() -> Timestamp {
        "2026-12-07T06:41:00Z".parse().unwrap()
    }

    fn moscow() -> TimeZone {
        TimeZone::get("Europe/Moscow").unwrap()
    }

    fn read(text: &str) -> Result<Candidates<'_>, OptionsError> {
        read_candidates(text, now(), &moscow())
    }

    /// A local time in Moscow, as a timestamp.
    fn at(local: &str) -> Timestamp {
        format!("{local}[Europe/Moscow]")
            .parse::<jiff::ZonedDateTime>()
            .unwrap()
            .timestamp()
    }

    #[test]
    fn times_a_duration_and_a_topic() {
        let c = read("tue 15:00, wed 11:00, thu 16:00 for 1h Design review").unwrap();
        assert_eq!(
            c.starts,
            [
                at("2026-12-08T15:00"),
                at("2026-12-09T11:00"),
                at("2026-12-10T16:00")
            ]
        );
        assert_eq!(c.duration, SignedDuration::from_hours(1));
        assert_eq!(c.until, None);
        assert_eq!(c.topic, "Design review");
    }

    #[test]
    fn russian_with_a_deadline() {
        let c = read("вт 15:00, ср 11:00 до пн 18:00 Дизайн-ревью").unwrap();
        assert_eq!(c.starts, [at("2026-12-08T15:00"), at("2026-12-09T11:00")]);
        assert_eq!(c.duration, DEFAULT_DURATION);
        // Monday 18:00 is today, still ahead.
        assert_eq!(c.until, Some(at("2026-12-07T18:00")));
        assert_eq!(c.topic, "Дизайн-ревью");
    }

    #[test]
    fn deadline_then_duration_and_no_topic() {
        let c = read("tomorrow 10:00, tomorrow 14:00 until today 20:00 for 45 min").unwrap();
        assert_eq!(c.until, Some(at("2026-12-07T20:00")));
        assert_eq!(c.duration, SignedDuration::from_mins(45));
        assert_eq!(c.topic, "");
        let c = read("tomorrow 10:00, tomorrow 14:00 for 2h until today 20:00 Retro").unwrap();
        assert_eq!(c.duration, SignedDuration::from_hours(2));
        assert_eq!(c.topic, "Retro");
    }

    #[test]
    fn a_topic_with_commas() {
        let c = read("tue 15:00, wed 11:00, Review, part 2").unwrap();
        assert_eq!(c.starts.len(), 2);
        assert_eq!(c.topic, "Review, part 2");
        let c = read("tue 15:00, wed 11:00 Review, part 2").unwrap();
        assert_eq!(c.topic, "Review, part 2");
        let c = read("tue 15:00, wed 11:00,").unwrap();
        assert_eq!(c.topic, "");
    }

    #[test]
    fn до_that_is_not_a_deadline_is_topic() {
        let c = read("вт 15:00, ср 11:00 до обеда обсудим").unwrap();
        assert_eq!(c.until, None);
        assert_eq!(c.topic, "до обеда обсудим");
    }

    #[test]
    fn bad_input_says_which_item_and_why() {
        assert_eq!(read(""), Err(OptionsError::NoTimes));
        assert_eq!(read("Design review"), Err(OptionsError::NoTimes));
        assert_eq!(read("tue 15:00 Design review"), Err(OptionsError::TooFew));
        assert_eq!(
            read("tue 15:00, soon, thu 16:00"),
            Err(OptionsError::NotATime {
                item: 2,
                text: "soon".into()
            })
        );
        assert_eq!(
            read("tue 15:00, wed 25:00"),
            Err(OptionsError::Item {
                item: 2,
                error: WhenError::BadTime("25:00".into())
            })
        );
        assert_eq!(
            read("today 09:00, wed 11:00"),
            Err(OptionsError::Item {
                item: 1,
                error: WhenError::Past
            })
        );
        assert_eq!(
            read("tue 15:00, every mon 10:00"),
            Err(OptionsError::Recurring { item: 2 })
        );
        assert_eq!(
            read("tue 15:00, 2026-12-08 15:00"),
            Err(OptionsError::Twice { item: 2 })
        );
        assert_eq!(
            read("mon 10:00, tue 10:00, wed 10:00, thu 10:00, fri 10:00, sat 10:00, sun 10:00"),
            Err(OptionsError::TooMany)
        );
        assert_eq!(
            read("tue 15:00, wed 11:00 until fri 10:00"),
            Err(OptionsError::UntilTooLate)
        );
        assert_eq!(
            read("tue 15:00, wed 11:00 until today 08:00"),
            Err(OptionsError::Until(WhenError::Past))
        );
    }

    #[test]
    fn six_is_the_most() {
        let c = read("mon 10:00, tue 10:00, wed 10:00, thu 10:00, fri 10:00, sat 10:00").unwrap();
        assert_eq!(c.starts.len(), MAX_CANDIDATES);
    }
}
