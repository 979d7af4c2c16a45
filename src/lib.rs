//! telemost-bot: a Telegram bot that creates Yandex Telemost meetings and live streams.
//!
//! - [`telemost`]: the Telemost REST API client; knows nothing of Telegram.
//! - [`storage`]: the database (tokens, dialogue state, meetings); the only place with SQL.
//! - [`bot`]: the Telegram side, composing the two.
//! - [`config`]: the environment, read once.

pub mod admin;
pub mod app;
pub mod bot;
pub mod cli;
pub mod clock;
pub mod config;
pub mod flood;
pub mod metrics;
pub mod oauth;
pub mod ops;
pub mod schedule;
pub mod storage;
pub mod telemost;
pub mod web;
