//! The English words of the time grammar: "tomorrow at 3pm for 1h", "every mon, thu at 10:00",
//! "in half an hour".

use jiff::civil::Weekday::*;

use super::{Before, Half, Names, TimeUnit, Weekdays, Which, Words};

pub(super) const WORDS: Words = Words {
    // Times of day
    at: &["at"],
    meridiem: &[(Half::Am, &["am", "a.m"]), (Half::Pm, &["pm", "p.m"])],
    meridiem_in_capitals: &["PM", "AM"],

    // Days
    days_from_today: &[(0, &["today"]), (1, &["tomorrow"])],
    weekdays: &[
        (Monday, &["mon", "monday"]),
        (Tuesday, &["tue", "tues", "tuesday"]),
        (Wednesday, &["wed", "weds", "wednesday"]),
        (Thursday, &["thu", "thur", "thurs", "thursday"]),
        (Friday, &["fri", "friday"]),
        (Saturday, &["sat", "saturday"]),
        (Sunday, &["sun", "sunday"]),
    ],
    this_next: &[(Which::This, &["this"]), (Which::Next, &["next"])],
    this_next_stems: &[],
    coming: &["coming"],
    before_day: &[(Before::AnyDay, &["on"])],
    months: &[
        (1, &["january"]),
        (2, &["february"]),
        (3, &["march"]),
        (4, &["april"]),
        (5, &["may"]),
        (6, &["june"]),
        (7, &["july"]),
        (8, &["august"]),
        (9, &["september"]),
        (10, &["october"]),
        (11, &["november"]),
        (12, &["december"]),
    ],
    months_in_dates: &[
        (1, &["jan"]),
        (2, &["feb"]),
        (3, &["mar"]),
        (4, &["apr"]),
        (6, &["jun"]),
        (7, &["jul"]),
        (8, &["aug"]),
        (9, &["sep", "sept"]),
        (10, &["oct"]),
        (11, &["nov"]),
        (12, &["dec"]),
    ],
    ordinal_endings: &["st", "nd", "rd", "th"],
    after_year: &[],
    calendar_words: &[
        "week",
        "weekend",
        "month",
        "year",
        "day",
        "morning",
        "afternoon",
        "evening",
        "night",
    ],

    // Recurrences
    recurrences: &[
        (Weekdays::EVERY_DAY, &[&["every"], &["day"]]),
        (Weekdays::WEEKDAYS, &[&["every"], &["weekday", "weekdays"]]),
        (Weekdays::WEEKDAYS, &[&["on"], &["weekdays"]]),
    ],
    recurrence_words: &[
        (Weekdays::EVERY_DAY, &["daily", "everyday"]),
        (Weekdays::WEEKDAYS, &["weekdays"]),
    ],
    every: &[(Names::Weekdays, &["every"])],
    and: &["and"],

    // Delays and durations
    delay: &["in"],
    lasting: &["for"],
    until: &["until", "till"],
    durations: &[
        (60, &[&["an", "a"], &["hour"]]),
        (1, &[&["a"], &["minute"]]),
        (30, &[&["half"], &["an"], &["hour"]]),
        (30, &[&["half"], &["hour"]]),
    ],
    time_units: &[
        (TimeUnit::Hours, &["h", "hr", "hrs", "hour", "hours"]),
        (
            TimeUnit::Minutes,
            &["m", "min", "mins", "minute", "minutes"],
        ),
    ],
};
