//! What every handler is handed and returns: the context (database, Telemost, Yandex OAuth, the
//! login poller's wake-up), the Telegram handle, the handler error, the user's language, and
//! Telegram errors with the bot token cut out. Below every feature; uses none of them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use teloxide::types::{ChatId, InlineKeyboardButton, User, WebAppInfo};
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
    /// Wakes this process's vote worker when a vote changed (see `jobs::votes`).
    pub votes_due: tokio::sync::Notify,
    /// Who is in which group, as Telegram said lately: (chat, user) → (present, when asked, by
    /// `clock`). A short memory that saves a `getChatMember` per use of a member's token (see
    /// `perm::is_member`); never the only word, since it forgets within a minute.
    pub members: std::sync::Mutex<HashMap<(i64, u64), (bool, i64)>>,
    /// Where the planner Mini App opens (`WEBAPP_URL`); `None` when it is off.
    pub planner: Option<PlannerLink>,
}

/// Where the planner Mini App opens: its page, and the direct link groups open it by.
#[derive(Debug, Clone)]
pub struct PlannerLink {
    /// The page (`WEBAPP_URL`).
    pub url: reqwest::Url,
    /// `https://t.me/<bot>/<short name>` (`WEBAPP_SHORT_NAME`): Telegram allows `web_app`
    /// buttons only in private chats, so a group's button is this link naming the group.
    pub direct: Option<String>,
}

impl PlannerLink {
    /// The button opening the planner for `chat`: a `web_app` button in a private chat, the
    /// direct link naming the group elsewhere (none without a short name).
    pub fn button(&self, t: &dyn Texts, chat: ChatId) -> Option<InlineKeyboardButton> {
        let label = t.button_planner().to_owned();
        if chat.is_user() {
            let app = WebAppInfo {
                url: self.url.clone(),
            };
            return Some(InlineKeyboardButton::web_app(label, app));
        }
        let link = format!("{}?startapp={}", self.direct.as_ref()?, start_param(chat));
        Some(InlineKeyboardButton::url(label, link.parse().ok()?))
    }
}

/// The Mini App's start parameter naming `chat` (Telegram allows `A-Z a-z 0-9 _ -`).
pub fn start_param(chat: ChatId) -> String {
    format!("c{}", chat.0)
}

/// The chat a start parameter names, if it is one `start_param` wrote.
pub fn chat_of_start_param(param: &str) -> Option<ChatId> {
    let id = param.strip_prefix('c')?;
    let digits = id.strip_prefix('-').unwrap_or(id);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok().map(ChatId)
}

/// The user's texts, by their Telegram language.
pub fn lang_of(user: Option<&User>) -> &'static dyn Texts {
    Lang::from_code(user.and_then(|u| u.language_code.as_deref())).texts()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_parameter_names_a_chat_and_reads_back() {
        for chat in [ChatId(-1_001_234_567_890), ChatId(-42), ChatId(7)] {
            let param = start_param(chat);
            assert!(
                param
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            );
            assert_eq!(chat_of_start_param(&param), Some(chat));
        }
        for bad in [
            "",
            "c",
            "c-",
            "-42",
            "c+42",
            "c4 2",
            "c--4",
            "x-42",
            "c99999999999999999999",
        ] {
            assert_eq!(chat_of_start_param(bad), None, "{bad:?}");
        }
    }
}
