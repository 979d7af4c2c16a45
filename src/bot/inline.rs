//! Inline mode: a meeting from any chat, without adding the bot to it.
//!
//! ```text
//! user types:  @TelemostBot Weekly sync          (in any chat)
//! Telegram:    [New meeting: Weekly sync] [New live stream: Weekly sync]
//! user picks:  New meeting: Weekly sync
//! chat shows:  Creating a Telemost meeting…  →  Meeting created: Weekly sync · Join: https://…
//! ```
//!
//! Suggestions cost nothing: the meeting is created only when a result is chosen (which needs
//! "inline feedback" on in @BotFather), with the user's own private-chat token and defaults.
//! A user without a token is offered a button to the bot's private chat.

use teloxide::prelude::*;
use teloxide::types::{
    ChatId, ChosenInlineResult, InlineKeyboardButton, InlineKeyboardMarkup, InlineQuery,
    InlineQueryResult, InlineQueryResultArticle, InlineQueryResultsButton,
    InlineQueryResultsButtonKind, InputMessageContent, InputMessageContentText, ParseMode,
};

use super::core::{Ctx, HandlerResult, TgBot, lang_of};
use super::speak::texts::ellipsize;
use super::state::Draft;
use super::topic::Topic;
use crate::telemost::model::Title;

/// Result ids: what the user chose.
const MEET: &str = "meet";
const STREAM: &str = "stream";

/// The deep-link parameter of the "set up a token" button.
pub const SETUP_PARAMETER: &str = "inline";

/// Keyboards on inline results are what makes Telegram report the chosen result with an
/// `inline_message_id` the bot can edit; this one is a plain link to Telemost.
fn placeholder_keyboard() -> InlineKeyboardMarkup {
    match reqwest::Url::parse("https://telemost.yandex.ru/") {
        Ok(url) => InlineKeyboardMarkup::new([[InlineKeyboardButton::url("Telemost", url)]]),
        Err(_) => InlineKeyboardMarkup::default(),
    }
}

fn article(id: &str, title: String, description: &str, body: &str) -> InlineQueryResult {
    InlineQueryResult::Article(
        InlineQueryResultArticle::new(
            id,
            title,
            InputMessageContent::Text(
                InputMessageContentText::new(body).parse_mode(ParseMode::Html),
            ),
        )
        .description(description)
        .reply_markup(placeholder_keyboard()),
    )
}

/// Someone typed `@bot …`: offer a meeting, and a stream titled with the text.
pub async fn on_query(bot: TgBot, q: InlineQuery, ctx: std::sync::Arc<Ctx>) -> HandlerResult {
    let t = lang_of(Some(&q.from));
    let own = ChatId(i64::try_from(q.from.id.0).unwrap_or_default());
    let request = if ctx.db.token(own.0).await?.is_none() {
        bot.bot()
            .answer_inline_query(q.id.clone(), Vec::<InlineQueryResult>::new())
            .button(InlineQueryResultsButton {
                text: t.inline_set_token().to_owned(),
                kind: InlineQueryResultsButtonKind::StartParameter(SETUP_PARAMETER.into()),
            })
    } else {
        let text = q.query.trim();
        // The text is the meeting's topic when it can be one; else the meeting has none.
        let title = match Topic::parse(text) {
            Ok(Some(topic)) => t.inline_new_meeting(&ellipsize(topic.as_str(), 60)),
            _ => t.new_meeting().to_owned(),
        };
        let mut results = vec![article(
            MEET,
            title,
            t.inline_meeting_hint(),
            t.inline_creating(),
        )];
        if !text.is_empty() {
            match Title::parse(text) {
                Ok(title) => results.push(article(
                    STREAM,
                    t.inline_new_stream(&ellipsize(title.as_str(), 60)),
                    t.inline_stream_hint(),
                    t.inline_creating(),
                )),
                Err(e) => results.push(InlineQueryResult::Article(
                    InlineQueryResultArticle::new(
                        "invalid",
                        t.new_stream().to_owned(),
                        InputMessageContent::Text(
                            InputMessageContentText::new(t.invalid_input(&e))
                                .parse_mode(ParseMode::Html),
                        ),
                    )
                    .description(t.invalid_input(&e)),
                )),
            }
        }
        bot.bot().answer_inline_query(q.id.clone(), results)
    };
    // Personal and uncached: whether a user has a token is theirs alone, and changes.
    request.cache_time(0).is_personal(true).await?;
    Ok(())
}

/// A result was chosen and sent: create the meeting and put its links in that message. Any
/// failure of ours replaces the placeholder with an apology, so it never stays "Creating…".
pub async fn on_chosen(
    bot: TgBot,
    r: ChosenInlineResult,
    ctx: std::sync::Arc<Ctx>,
) -> HandlerResult {
    let Some(inline_id) = r.inline_message_id.clone() else {
        // Without a keyboard on the result there is nothing to edit; ours always have one.
        return Ok(());
    };
    let t = lang_of(Some(&r.from));
    let result = create_for(&bot, &r, &inline_id, &ctx).await;
    if let Err(super::core::HandlerError::Storage(_)) = &result {
        let none = InlineKeyboardMarkup::default();
        let _ = bot.edit_inline(&inline_id, t.internal_error(), none).await;
    }
    result
}

async fn create_for(
    bot: &TgBot,
    r: &ChosenInlineResult,
    inline_id: &str,
    ctx: &Ctx,
) -> HandlerResult {
    let t = lang_of(Some(&r.from));
    let own = ChatId(i64::try_from(r.from.id.0).unwrap_or_default());
    let settings = ctx.db.settings(own.0).await?;
    let draft = match r.result_id.as_str() {
        MEET => Draft {
            topic: Topic::parse(&r.query).ok().flatten(),
            ..Draft::meeting(r.from.id.0)
        },
        STREAM => match Title::parse(&r.query) {
            Ok(title) => Draft::stream(r.from.id.0, Some(title)),
            Err(_) => return Ok(()),
        },
        _ => return Ok(()),
    }
    .with_defaults(&settings);
    let Some(request) = draft.request() else {
        return Ok(());
    };
    // The user's own token, for themselves (see `meetings::Acting`).
    let super::meetings::Acting::Token { owner, token } = ctx.token_in(bot, own, own.0).await?
    else {
        bot.edit_inline(
            inline_id,
            t.no_token(false),
            InlineKeyboardMarkup::default(),
        )
        .await?;
        return Ok(());
    };
    match ctx.create_meeting(owner, &token, &request).await? {
        Ok(conference) => {
            let topic = draft.topic.as_ref().map(Topic::as_str);
            let text = super::speak::panel::created_text(t, &request, &conference, topic);
            // Management buttons need a chat to work in; an inline message gets the links.
            let keyboard = super::speak::panel::link_keyboard(t, &conference, topic);
            let shown = bot.edit_inline(inline_id, text, keyboard).await;
            // For /history only: an inline message has no buttons that need the record.
            ctx.record_meeting(own, &r.from, owner, &request, &conference, topic)
                .await;
            shown?;
        }
        Err(e) => {
            tracing::warn!(error = %e, "Telemost refused an inline meeting");
            bot.edit_inline(
                inline_id,
                t.telemost_error(&e),
                InlineKeyboardMarkup::default(),
            )
            .await?;
        }
    }
    Ok(())
}
