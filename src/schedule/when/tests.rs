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
