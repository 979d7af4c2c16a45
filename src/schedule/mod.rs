//! Scheduled meetings (meetings for later), with nothing of Telegram, Telemost or the database in it: reading a time
//! from what a user typed, the occurrences of a recurring meeting, and calendar files.

pub mod ics;
pub mod recur;
pub mod when;

pub use ics::{Event, calendar};
pub use recur::{Rule, Weekdays};
pub use when::{
    DEFAULT_DURATION, MAX_AHEAD, MAX_DURATION, Read, Scheduled, When, WhenError, on_date, read,
};
