//! Meetings for later, with nothing of Telegram, Telemost or the database in it: reading a time
//! from what a user typed, the occurrences of a recurring meeting, and calendar files.
