//! How the bot speaks: everything it says goes out through the `outbox` (flood limits, cutting
//! to fit, 429s), in the words of `texts` (one file per language), laid out by `panel` (a draft's
//! panel, a meeting's links and buttons), with buttons whose data is the `callback` wire format.
//! Below every feature; it knows the bot's vocabulary (`core`, `state`, `topic`) and nothing of
//! the features.

pub mod callback;
pub mod outbox;
pub mod panel;
pub mod texts;
