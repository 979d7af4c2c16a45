//! Recurring meetings: a set of weekdays and a wall-clock time, and the next start of such a rule.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// Monday first, in bit order.
const ALL: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// A set of weekdays; bit 0 = Monday … bit 6 = Sunday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Weekdays(u8);

impl Weekdays {
    /// Monday to Friday.
    pub const WEEKDAYS: Weekdays = Weekdays(0b001_1111);
    pub const EVERY_DAY: Weekdays = Weekdays(0b111_1111);

    pub fn from_days(days: impl IntoIterator<Item = Weekday>) -> Weekdays {
        Weekdays(days.into_iter().fold(0, |bits, day| bits | bit(day)))
    }

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & bit(day) != 0
    }

    /// The days in the set, Monday first.
    pub fn days(self) -> Vec<Weekday> {
        ALL.into_iter().filter(|&day| self.contains(day)).collect()
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

fn bit(day: Weekday) -> u8 {
    1 << day.to_monday_zero_offset()
}

/// A recurring meeting's rule: on these weekdays at this local wall-clock time (minutes precision).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub days: Weekdays,
    pub at: Time,
}

impl Rule {
    /// The first start strictly after `after`, in `tz`: the local date/time `at` on an allowed
    /// weekday, resolved with jiff's "compatible" disambiguation (a time in a DST gap moves
    /// forward, a time in a fold takes the earlier instant). Daylight saving must be right:
    /// "every weekday 10:00" in Europe/Berlin is 09:00 UTC in winter and 08:00 UTC in summer.
    ///
    /// A rule with no days (which `read` and `from_db` never give) never occurs: the answer is
    /// `Timestamp::MAX`, as it is past the end of jiff's calendar.
    pub fn next_after(&self, after: Timestamp, tz: &TimeZone) -> Timestamp {
        let first: Date = tz.to_datetime(after).date();
        // A week and a day covers every allowed weekday at least once after `after`'s own date,
        // whatever a time zone's transitions do to that date's occurrence.
        for offset in 0..=8 {
            let Ok(date) = first.checked_add(SignedDuration::from_hours(24 * offset)) else {
                break;
            };
            if !self.days.contains(date.weekday()) {
                continue;
            }
            let Ok(start) = tz
                .to_ambiguous_timestamp(date.to_datetime(self.at))
                .compatible()
            else {
                break;
            };
            if start > after {
                return start;
            }
        }
        Timestamp::MAX
    }

    /// A stable text form for the database: the Monday..Sunday flags, then the time,
    /// e.g. "1111100@10:00".
    pub fn to_db(&self) -> String {
        let flags: String = ALL
            .into_iter()
            .map(|day| if self.days.contains(day) { '1' } else { '0' })
            .collect();
        format!("{flags}@{:02}:{:02}", self.at.hour(), self.at.minute())
    }

    /// The inverse of [`Rule::to_db`]; `None` for anything malformed, including a rule with no
    /// days.
    pub fn from_db(s: &str) -> Option<Rule> {
        let (flags, time) = s.split_once('@')?;
        if flags.len() != 7 {
            return None;
        }
        let mut days = Weekdays(0);
        for (day, flag) in ALL.into_iter().zip(flags.bytes()) {
            match flag {
                b'1' => days.0 |= bit(day),
                b'0' => {}
                _ => return None,
            }
        }
        if days.is_empty() {
            return None;
        }
        let (hour, minute) = time.split_once(':')?;
        let two_digits = |s: &str| -> Option<i8> {
            if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse().ok()
            } else {
                None
            }
        };
        let at = Time::new(two_digits(hour)?, two_digits(minute)?, 0, 0).ok()?;
        Some(Rule { days, at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::time;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").unwrap()
    }

    fn every(days: Weekdays, hour: i8, minute: i8) -> Rule {
        Rule {
            days,
            at: time(hour, minute, 0, 0),
        }
    }

    #[test]
    fn weekdays_sets() {
        use Weekday::*;
        assert_eq!(
            Weekdays::WEEKDAYS.days(),
            [Monday, Tuesday, Wednesday, Thursday, Friday]
        );
        assert_eq!(Weekdays::EVERY_DAY.days().len(), 7);
        assert!(!Weekdays::WEEKDAYS.contains(Saturday));
        assert!(!Weekdays::WEEKDAYS.contains(Sunday));
        assert!(Weekdays::EVERY_DAY.contains(Sunday));

        // Order and repetition in the input do not matter; days() is always Monday first.
        let set = Weekdays::from_days([Thursday, Monday, Thursday]);
        assert_eq!(set.days(), [Monday, Thursday]);
        assert!(set.contains(Monday) && set.contains(Thursday) && !set.contains(Friday));
        assert_eq!(set, Weekdays::from_days([Monday, Thursday]));

        assert!(Weekdays::from_days([]).is_empty());
        assert!(!set.is_empty());
        assert_eq!(
            Weekdays::from_days(Weekdays::WEEKDAYS.days()),
            Weekdays::WEEKDAYS
        );
    }

    #[test]
    fn every_weekday_at_ten_in_berlin_follows_daylight_saving() {
        let tz = berlin();
        let rule = every(Weekdays::WEEKDAYS, 10, 0);
        // Winter: CET is UTC+1, so 10:00 local is 09:00 UTC. Friday 2027-01-15 12:00 UTC is
        // after that day's occurrence, so the next is Monday.
        assert_eq!(
            rule.next_after(ts("2027-01-15T12:00:00Z"), &tz),
            ts("2027-01-18T09:00:00Z")
        );
        // Summer: CEST is UTC+2, so 10:00 local is 08:00 UTC. Early on a Wednesday: that day.
        assert_eq!(
            rule.next_after(ts("2027-06-16T05:00:00Z"), &tz),
            ts("2027-06-16T08:00:00Z")
        );
    }

    #[test]
    fn spring_forward_in_march_2027() {
        // Berlin moves from CET to CEST on Sunday 2027-03-28 at 02:00 local (01:00 UTC).
        let tz = berlin();
        let rule = every(Weekdays::EVERY_DAY, 10, 0);
        let saturday = rule.next_after(ts("2027-03-27T00:00:00Z"), &tz);
        assert_eq!(saturday, ts("2027-03-27T09:00:00Z"));
        let sunday = rule.next_after(saturday, &tz);
        assert_eq!(sunday, ts("2027-03-28T08:00:00Z"));
        let monday = rule.next_after(sunday, &tz);
        assert_eq!(monday, ts("2027-03-29T08:00:00Z"));
        // Still 10:00 on the wall every day, although only 23 hours passed on the Sunday.
        for start in [saturday, sunday, monday] {
            assert_eq!(tz.to_datetime(start).time(), time(10, 0, 0, 0));
        }
        assert_eq!(
            saturday.duration_until(sunday),
            SignedDuration::from_hours(23)
        );
    }

    #[test]
    fn fall_back_in_october_2026_and_2027() {
        // Berlin moves from CEST back to CET on the last Sunday of October at 03:00 local:
        // 2026-10-25 and 2027-10-31.
        let tz = berlin();
        let rule = every(Weekdays::EVERY_DAY, 10, 0);
        for (saturday, sunday) in [
            ("2026-10-24T08:00:00Z", "2026-10-25T09:00:00Z"),
            ("2027-10-30T08:00:00Z", "2027-10-31T09:00:00Z"),
        ] {
            let (saturday, sunday) = (ts(saturday), ts(sunday));
            assert_eq!(sunday.in_tz("UTC").unwrap().weekday(), Weekday::Sunday);
            assert_eq!(
                rule.next_after(saturday - SignedDuration::from_secs(1), &tz),
                saturday
            );
            assert_eq!(rule.next_after(saturday, &tz), sunday);
            // 25 hours apart: the wall clock says 10:00 both days.
            assert_eq!(
                saturday.duration_until(sunday),
                SignedDuration::from_hours(25)
            );
            assert_eq!(tz.to_datetime(sunday).time(), time(10, 0, 0, 0));
        }
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_forward() {
        // 02:30 does not exist in Berlin on 2027-03-28 (02:00 jumps to 03:00): "compatible"
        // takes 03:30 CEST, i.e. 01:30 UTC. The days around it are at 02:30 as usual.
        let tz = berlin();
        let rule = every(Weekdays::EVERY_DAY, 2, 30);
        let in_gap = rule.next_after(ts("2027-03-27T12:00:00Z"), &tz);
        assert_eq!(in_gap, ts("2027-03-28T01:30:00Z"));
        assert_eq!(tz.to_datetime(in_gap).time(), time(3, 30, 0, 0));
        assert_eq!(rule.next_after(in_gap, &tz), ts("2027-03-29T00:30:00Z"));
    }

    #[test]
    fn a_time_in_the_autumn_fold_happens_once() {
        // 02:30 happens twice in Berlin on 2026-10-25: at 00:30 UTC (CEST) and at 01:30 UTC
        // (CET). "compatible" takes the earlier, and the later one is not a second occurrence.
        let tz = berlin();
        let rule = every(Weekdays::EVERY_DAY, 2, 30);
        let first = rule.next_after(ts("2026-10-24T12:00:00Z"), &tz);
        assert_eq!(first, ts("2026-10-25T00:30:00Z"));
        assert_eq!(rule.next_after(first, &tz), ts("2026-10-26T01:30:00Z"));
    }

    #[test]
    fn weekday_rules_skip_to_the_next_allowed_day() {
        let tz = TimeZone::get("Europe/Moscow").unwrap(); // UTC+3 all year
        let rule = every(
            Weekdays::from_days([Weekday::Monday, Weekday::Thursday]),
            17,
            0,
        );
        // Thursday 2026-06-11 17:00 MSK is 14:00 UTC; right after it comes Monday the 15th.
        let thursday = ts("2026-06-11T14:00:00Z");
        assert_eq!(rule.next_after(thursday, &tz), ts("2026-06-15T14:00:00Z"));
        // One second before it, it is that Thursday's occurrence itself.
        assert_eq!(
            rule.next_after(thursday - SignedDuration::from_secs(1), &tz),
            thursday
        );
        // From Monday's occurrence, the next is Thursday.
        assert_eq!(
            rule.next_after(ts("2026-06-15T14:00:00Z"), &tz),
            ts("2026-06-18T14:00:00Z")
        );
        // A single day a week: from just after it, a whole week later.
        let sundays = every(Weekdays::from_days([Weekday::Sunday]), 9, 0);
        assert_eq!(
            sundays.next_after(ts("2026-06-14T06:00:00Z"), &tz),
            ts("2026-06-21T06:00:00Z")
        );
    }

    #[test]
    fn local_date_is_the_time_zones_not_utcs() {
        // 2026-06-11 22:30 UTC is already Friday 01:30 in Moscow: the next Friday occurrence
        // at 10:00 is that same Friday, 07:00 UTC.
        let tz = TimeZone::get("Europe/Moscow").unwrap();
        let fridays = every(Weekdays::from_days([Weekday::Friday]), 10, 0);
        assert_eq!(
            fridays.next_after(ts("2026-06-11T22:30:00Z"), &tz),
            ts("2026-06-12T07:00:00Z")
        );
    }

    #[test]
    fn an_empty_rule_never_occurs() {
        let rule = every(Weekdays::from_days([]), 10, 0);
        assert_eq!(
            rule.next_after(ts("2026-06-11T00:00:00Z"), &TimeZone::UTC),
            Timestamp::MAX
        );
        // And the end of the calendar is no panic either.
        let daily = every(Weekdays::EVERY_DAY, 10, 0);
        assert_eq!(
            daily.next_after(Timestamp::MAX, &TimeZone::UTC),
            Timestamp::MAX
        );
        let _ = daily.next_after(Timestamp::MIN, &berlin());
    }

    #[test]
    fn database_form_round_trips() {
        let rule = every(Weekdays::WEEKDAYS, 10, 0);
        assert_eq!(rule.to_db(), "1111100@10:00");
        assert_eq!(Rule::from_db("1111100@10:00"), Some(rule));

        let rule = every(
            Weekdays::from_days([Weekday::Monday, Weekday::Sunday]),
            7,
            5,
        );
        assert_eq!(rule.to_db(), "1000001@07:05");
        assert_eq!(Rule::from_db(&rule.to_db()), Some(rule));

        for days in 1..=0b111_1111u8 {
            let rule = Rule {
                days: Weekdays(days),
                at: time(23, 59, 0, 0),
            };
            assert_eq!(Rule::from_db(&rule.to_db()), Some(rule));
        }
    }

    #[test]
    fn database_garbage_is_none() {
        for garbage in [
            "",
            "@",
            "1111100",
            "1111100@",
            "@10:00",
            "0000000@10:00", // no days at all
            "111110@10:00",
            "11111000@10:00",
            "1111102@10:00",
            "11111 0@10:00",
            "1111100@24:00",
            "1111100@10:60",
            "1111100@1:00",
            "1111100@10:0",
            "1111100@10:00:00",
            "1111100@+1:00",
            "1111100@-1:00",
            "1111100@10-00",
            "1111100@10:00@10:00",
            "1111100 @10:00",
            "１１１１１００@10:00",
            "ппппппп@10:00",
            "1111100@１0:00",
        ] {
            assert_eq!(Rule::from_db(garbage), None, "{garbage:?}");
        }
    }
}
