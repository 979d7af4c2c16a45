//! What every handler is handed and returns: the context (database, Telemost, Yandex OAuth, the
//! login poller's wake-up), the Telegram handle, the handler error, the user's language, and
//! Telegram errors with the bot token cut out. Below every feature; uses none of them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use teloxide::types::User;
use thiserror::Error;

use super::speak::outbox::Outbox;
pub use super::speak::outbox::redacted;
use super::speak::texts::{Lang, Texts};
use crate::oauth::YandexOAuth;
use crate::storage::{Db, StorageError};
use crate::telemost::TelemostClient;

/// What the handlers talk to Telegram through: rate-limited, resending after a 429.
pub type TgBot = Arc<Outbox>;
pub type HandlerResult = Result<(), HandlerError>;

#[derive(Debug, Error)]
pub enum HandlerError {
    #[error("Telegram request failed: {}", redacted(.0))]
    Telegram(#[from] teloxide::RequestError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What every handler can reach: the database, the Telemost client, Yandex OAuth.
pub struct Ctx {
    pub db: Db,
    pub telemost: TelemostClient,
    /// `None` when no Yandex OAuth app is configured: /login explains, refresh is skipped.
    pub oauth: Option<YandexOAuth>,
    /// One "second" of the device flow's intervals (tests shorten it).
    pub oauth_time_unit: Duration,
    /// Wakes this process's login poller when /login stored a login (see `jobs::logins`).
    pub login_due: tokio::sync::Notify,
    /// One refresh per token owner at a time: a refresh token is used once (Yandex issues a new
    /// one with the new access token), so a second refresh of the same token would fail.
    pub refreshing: std::sync::Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    /// What time it is, for scheduled meetings (tests move a manual clock).
    pub clock: crate::clock::Clock,
    /// The time zone of chats that chose none (`DEFAULT_TIMEZONE`).
    pub default_zone: jiff::tz::TimeZone,
    /// Wakes this process's reminder worker when a meeting was scheduled (see `jobs::schedules`).
    pub schedules_due: tokio::sync::Notify,
    /// Who is in which group, as Telegram said lately: (chat, user) → (present, when asked, by
    /// `clock`). A short memory that saves a `getChatMember` per use of a member's token (see
    /// `perm::is_member`); never the only word, since it forgets within a minute.
    pub members: std::sync::Mutex<HashMap<(i64, u64), (bool, i64)>>,
}

/// The user's texts, by their Telegram language.
pub fn lang_of(user: Option<&User>) -> &'static dyn Texts {
    Lang::from_code(user.and_then(|u| u.language_code.as_deref())).texts()
}
