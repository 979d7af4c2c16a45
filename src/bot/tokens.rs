//! OAuth tokens as the bot receives them: a pasted token parsed and saved (for the chat, or for a
//! group after a /connect link), a token bound to a group on an admin's behalf, the tokens a
//! Yandex grant gives, and how long a /connect link's wait for a token lasts.

use std::time::Duration;

use secrecy::SecretString;
use teloxide::prelude::*;
use teloxide::types::User;

use super::core::{Ctx, HandlerError, TgBot, lang_of};
use super::state::{State, TokenPrompt};
use crate::oauth::Grant;
use crate::storage::{Tokens, unix_now};

/// How long a /connect link works.
pub const CONNECT_CODE_TTL_SECS: i64 = 600;

/// Whether a deadline (unix seconds) has not passed; no deadline is no longer valid.
pub fn still_valid(until: Option<i64>) -> bool {
    until.is_some_and(|u| unix_now() <= u)
}

/// The group a token sent now is for, and until when: after a /connect link, while the link's
/// time lasts.
pub fn awaited_group(state: &State) -> TokenPrompt {
    match state {
        State::AwaitingToken(p) if p.group.is_some() && still_valid(p.until) => p.clone(),
        _ => TokenPrompt::default(),
    }
}

/// The longest token we accept; Yandex's are about 60 characters.
const TOKEN_MAX_CHARS: usize = 1024;

/// A pasted OAuth token: one word of printable ASCII. Anything else is certainly not a token,
/// and is refused before it reaches the database.
pub fn parse_token(raw: &str) -> Option<SecretString> {
    let s = raw.trim();
    let ok = !s.is_empty() && s.len() <= TOKEN_MAX_CHARS && s.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| SecretString::from(s.to_owned()))
}

/// Stores a token sent in a private chat (for that chat, or for `group` after a /connect link)
/// and deletes the message that carried it. Returns whether it was saved.
pub async fn save_token(
    bot: &TgBot,
    msg: &Message,
    ctx: &Ctx,
    raw: &str,
    group: Option<i64>,
) -> Result<bool, super::core::HandlerError> {
    let t = lang_of(msg.from.as_ref());
    let Some(token) = parse_token(raw) else {
        // It may still be a token with a typo: do not leave it in the chat either.
        if let Err(e) = bot.delete(msg.chat.id, msg.id).await {
            tracing::debug!(error = %super::core::redacted(&e), "could not delete a malformed token");
        }
        bot.send(msg.chat.id, t.token_malformed(), None).await?;
        return Ok(false);
    };
    if let Some(group) = group {
        return receive_group_token(bot, msg, ctx, group, token).await;
    }
    let set_by = msg.from.as_ref().map_or(msg.chat.id.0, |u| u.id.0 as i64);
    ctx.db
        .set_token(msg.chat.id.0, &Tokens::pasted(token), Some(set_by))
        .await?;
    let deleted = bot.delete(msg.chat.id, msg.id).await;
    if let Err(e) = &deleted {
        tracing::warn!(chat_id = msg.chat.id.0, error = %super::core::redacted(e), "could not delete a token message");
    }
    // Saved: a failed confirmation must not leave the bot waiting for a token, or the next
    // word typed would replace this one.
    if let Err(e) = bot
        .send(msg.chat.id, t.token_saved(deleted.is_ok()), None)
        .await
    {
        tracing::warn!(error = %super::core::redacted(&e), "could not confirm a saved token");
    }
    Ok(true)
}

/// Stores tokens for `group` on behalf of `admin`, if they still administer it, and tells the
/// group who connected it. Returns whether they were saved.
pub async fn bind(
    bot: &TgBot,
    ctx: &Ctx,
    group: i64,
    admin: &User,
    tokens: Tokens,
) -> Result<bool, HandlerError> {
    let t = lang_of(Some(admin));
    let private = ChatId(i64::try_from(admin.id.0).unwrap_or_default());
    if !super::perm::is_admin(bot, ChatId(group), admin.id).await? {
        bot.send(private, t.no_longer_admin(), None).await?;
        return Ok(false);
    }
    ctx.db.set_token(group, &tokens, Some(private.0)).await?;
    // Saved: the confirmations are best-effort, so a failure (the bot muted in the group, say)
    // does not leave the admin's private chat waiting for another token.
    if let Err(e) = bot.send(private, t.group_token_saved(), None).await {
        tracing::warn!(error = %super::core::redacted(&e), "could not confirm a group token");
    }
    // The group's language is unknown: announce in the admin's.
    let announce = t.group_connected(&display_name(admin));
    if let Err(e) = bot.send(ChatId(group), announce, None).await {
        tracing::warn!(error = %super::core::redacted(&e), "could not announce a connected group");
    }
    Ok(true)
}

/// A token pasted in the private chat after a /connect link. The token step is over either way
/// (stored, or refused because the sender is no longer an admin), so this returns `true`.
pub async fn receive_group_token(
    bot: &TgBot,
    msg: &Message,
    ctx: &Ctx,
    group: i64,
    token: SecretString,
) -> Result<bool, HandlerError> {
    let Some(admin) = msg.from.as_ref() else {
        return Ok(false);
    };
    if let Err(e) = bot.delete(msg.chat.id, msg.id).await {
        tracing::warn!(error = %super::core::redacted(&e), "could not delete a token message");
    }
    bind(bot, ctx, group, admin, Tokens::pasted(token)).await?;
    Ok(true)
}

fn display_name(user: &User) -> String {
    match &user.username {
        Some(u) => format!("{} (@{u})", user.full_name()),
        None => user.full_name(),
    }
}

/// The tokens to store from a grant; `expires_in` becomes an absolute time.
pub fn tokens_from(grant: Grant) -> Tokens {
    Tokens {
        access: grant.access_token,
        refresh: grant.refresh_token,
        expires_at: grant
            .expires_in
            .and_then(|s| i64::try_from(s).ok())
            .map(|s| unix_now().saturating_add(s)),
    }
}

/// Refresh a token this long before it expires.
pub const REFRESH_AHEAD: Duration = Duration::from_secs(24 * 3600);

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn tokens() {
        assert_eq!(
            parse_token("  y0_AgAAAAB-xyz \n").unwrap().expose_secret(),
            "y0_AgAAAAB-xyz"
        );
        for bad in ["", "   ", "two words", "тoken", "a\u{0}b"] {
            assert!(parse_token(bad).is_none(), "{bad:?}");
        }
        assert!(parse_token(&"a".repeat(1025)).is_none());
    }
}
