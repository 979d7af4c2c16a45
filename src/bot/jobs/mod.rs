//! Background work: scheduled meetings' reminders and links, pruning.

pub mod prune;
pub mod schedules;
