//! Managing a meeting after it is created: buttons under the message with its links.
//!
//! ```text
//! bot:  Meeting created. Join: https://telemost.yandex.ru/j/…
//!       [Join the meeting] [Share]
//!       [Details] [Waiting room]
//!       [Add cohosts] [Replace cohosts] [Remove cohosts]
//! user: (taps Waiting room, then Everyone waits)
//! bot:  (the same message) … Waiting room: for everyone but the organisers ✓
//! user: (taps Add cohosts)
//! bot:  Send the emails of the cohosts to add …
//! user: boris@corp.ru
//! bot:  Done: cohosts added. [the links and buttons again]
//! ```
//!
//! Each button uses the API as the reference describes (GET/PATCH conference, GET/PATCH/PUT
//! cohosts) with the token that created the meeting, so in a group each (Details and Back, which
//! only read, included) is for the meeting's creator and admins, and only while that token may
//! still act there (`meetings::Acting`: a member's own token, while they are in the group).
//! Callback data comes from the client, so a press is acted on only when its conference is
//! recorded as created in the chat it was pressed in; anything else is a stale button and
//! reaches no API.

use secrecy::SecretString;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId};
use teloxide::utils::render::RenderMessageTextHelper;

use super::core::{Ctx, HandlerResult, TgBot, lang_of};
use super::meetings::Acting;
use super::speak::callback::{Callback, Manage, Press};
use super::speak::panel::{manage_button, result_keyboard};
use super::speak::texts::{Texts, esc, esc_short};
use super::state::{CohostsPrompt, State};
use super::store::BotDialogue;
use crate::storage::MeetingRecord;
use crate::telemost::model::{Cohosts, Conference, UpdateConference, WaitingRoomLevel};

/// A received message's text as HTML. teloxide's renderer returns a text without entities as
/// it is, unescaped, so that case is escaped here.
fn as_html(m: &Message) -> Option<String> {
    match m.entities() {
        Some(entities) if !entities.is_empty() => m.html_text(),
        _ => m.text().map(esc),
    }
}

/// The links part of a meeting message, from what the API says about it.
fn links_text(t: &dyn Texts, c: &Conference, topic: Option<&str>) -> String {
    match c.watch_url() {
        Some(watch) => format!(
            "{}\n{}: {}",
            t.meeting_links(topic, &c.join_url),
            t.label_watch(),
            esc(watch)
        ),
        None => t.meeting_links(topic, &c.join_url),
    }
}

/// The token that created the meeting (recorded with it), if it may still act in `chat` (see
/// `meetings::Acting`). Records written before the token's owner was recorded fall back to the
/// token a new meeting in `chat` would use.
async fn manage_token(
    ctx: &Ctx,
    bot: &TgBot,
    chat: ChatId,
    user: &teloxide::types::User,
    meeting: &MeetingRecord,
) -> Result<Acting, super::core::HandlerError> {
    match meeting.token_owner {
        Some(owner) => ctx.token_in(bot, chat, owner).await,
        None => ctx.token_for(bot, chat, user).await,
    }
}

/// The name of whoever a member's token is, when it is the meeting's creator's (the one name
/// recorded with it).
fn owner_name(meeting: &MeetingRecord, owner: i64) -> Option<&str> {
    (meeting.user_id == Some(owner))
        .then_some(meeting.user_name.as_deref())
        .flatten()
}

/// A tap on a management button.
pub async fn on_press(
    bot: TgBot,
    q: CallbackQuery,
    dialogue: BotDialogue,
    (conference, action): (String, Manage),
    ctx: std::sync::Arc<Ctx>,
) -> HandlerResult {
    let (bot, q, dialogue, conference, ctx) = (&bot, &q, &dialogue, conference.as_str(), &*ctx);
    let t = lang_of(Some(&q.from));
    let Some(message) = q.message.as_ref() else {
        bot.answer(q, Some(t.stale_button())).await;
        return Ok(());
    };
    let chat = message.chat().id;
    let id = message.id();
    // Only a meeting created in this chat: the id in the data may name any meeting.
    let Some(meeting) = ctx.db.meeting_in(chat.0, conference).await? else {
        bot.answer(q, Some(t.stale_button())).await;
        return Ok(());
    };
    let topic = meeting.topic.as_deref();
    // Viewing reads with the creator's token as changing does: both are theirs or an admin's.
    if !super::perm::may_change(bot, chat, &q.from, &meeting).await? {
        bot.answer(q, Some(t.not_your_meeting())).await;
        return Ok(());
    }
    // A toast is plain text: the short notice, not the HTML explanation.
    let token = match manage_token(ctx, bot, chat, &q.from, &meeting).await? {
        Acting::Token { token, .. } => token,
        Acting::NoToken => {
            bot.answer(q, Some(t.no_token_toast())).await;
            return Ok(());
        }
        Acting::MemberGone { .. } => {
            bot.answer(q, Some(t.member_gone_toast())).await;
            return Ok(());
        }
    };
    match action {
        Manage::ChooseWaitingRoom => {
            bot.answer(q, None).await;
            let mut rows: Vec<Vec<InlineKeyboardButton>> = vec![
                WaitingRoomLevel::ALL
                    .iter()
                    .map(|&l| {
                        manage_button(t.waiting_room_button(l), conference, Manage::WaitingRoom(l))
                    })
                    .collect(),
            ];
            rows.push(vec![manage_button(
                t.button_back(),
                conference,
                Manage::Back,
            )]);
            // The message as HTML again (its entities rendered back), never its plain text: a
            // title with `<` in it must stay text.
            let text = q
                .regular_message()
                .and_then(as_html)
                .unwrap_or_else(|| t.ask_waiting_room().to_owned());
            bot.edit(chat, id, text, InlineKeyboardMarkup::new(rows))
                .await?;
        }
        Manage::AddCohosts | Manage::ReplaceCohosts => {
            bot.answer(q, None).await;
            let replace = action == Manage::ReplaceCohosts;
            let mut prompt = t.ask_manage_cohosts(replace).to_owned();
            if !chat.is_user() {
                prompt.push(' ');
                prompt.push_str(t.reply_hint());
            }
            let cancel = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
                t.button_cancel(),
                Callback::Draft(Press::Cancel).render(),
            )]]);
            let sent = bot.send(chat, prompt, Some(cancel)).await?;
            dialogue
                .update(State::Managing(CohostsPrompt {
                    conference: conference.to_owned(),
                    replace,
                    owner: q.from.id.0,
                    message: id.0,
                    prompt: Some(sent.id.0),
                }))
                .await?;
        }
        Manage::Info | Manage::Back | Manage::WaitingRoom(_) | Manage::ClearCohosts => {
            bot.answer(q, None).await;
            let outcome = apply(ctx, &token, conference, action).await;
            show_outcome(bot, t, chat, id, topic, outcome).await?;
        }
    }
    Ok(())
}

/// Cancel under the "send the emails" prompt (`schema()` checks it is that message): the
/// prompt is closed.
pub async fn on_prompt_cancel(
    bot: TgBot,
    q: CallbackQuery,
    dialogue: BotDialogue,
) -> HandlerResult {
    let t = lang_of(Some(&q.from));
    bot.answer(&q, None).await;
    dialogue.exit().await?;
    let cancelled = t.cancelled().to_owned();
    let none = InlineKeyboardMarkup::default();
    let prompt = q.message.as_ref().map(|m| m.id());
    super::speak::panel::show(&bot, dialogue.chat_id(), prompt, cancelled, none).await?;
    Ok(())
}

/// What an action left: the meeting as it is now, and its cohosts when they were asked for.
type Outcome = Result<(Conference, Option<Vec<String>>), crate::telemost::TelemostError>;

async fn apply(ctx: &Ctx, token: &SecretString, conference: &str, action: Manage) -> Outcome {
    let api = &ctx.telemost;
    match action {
        Manage::WaitingRoom(level) => {
            let update = UpdateConference {
                waiting_room_level: Some(level),
            };
            Ok((
                api.update_conference(token, conference, &update).await?,
                None,
            ))
        }
        Manage::ClearCohosts => {
            api.set_cohosts(token, conference, &[], true).await?;
            Ok((
                api.get_conference(token, conference).await?,
                Some(Vec::new()),
            ))
        }
        _ => {
            let c = api.get_conference(token, conference).await?;
            let cohosts = api.get_cohosts(token, conference).await?;
            Ok((c, Some(cohosts)))
        }
    }
}

/// Edits the meeting's message to show an action's outcome, keeping its buttons.
async fn show_outcome(
    bot: &TgBot,
    t: &dyn Texts,
    chat: ChatId,
    id: MessageId,
    topic: Option<&str>,
    outcome: Outcome,
) -> HandlerResult {
    match outcome {
        Ok((c, cohosts)) => {
            let text = format!(
                "{}\n\n{}",
                links_text(t, &c, topic),
                details(t, &c, cohosts.as_deref())
            );
            let keyboard = result_keyboard(t, &c, topic);
            bot.edit(chat, id, text, keyboard).await?;
        }
        Err(e) => {
            bot.send(chat, t.telemost_error(&e), None).await?;
        }
    }
    Ok(())
}

fn details(t: &dyn Texts, c: &Conference, cohosts: Option<&[String]>) -> String {
    let level = c.waiting_room_level.map_or("?", |l| t.waiting_room(l));
    let mut out = format!("{}: {level}", t.label_waiting_room());
    if let Some(notes) = c.is_auto_summarization_enabled {
        out.push_str(&format!(
            "\n{}: {}",
            t.label_auto_summary(),
            t.on_off(notes)
        ));
    }
    if let Some(list) = cohosts {
        let list = if list.is_empty() {
            t.none().to_owned()
        } else {
            esc_short(&list.join(", "), 1500)
        };
        out.push_str(&format!("\n{}: {list}", t.label_cohosts()));
    }
    out
}

/// Emails typed after "Add cohosts" or "Replace cohosts".
pub async fn receive_cohosts(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    me: teloxide::types::Me,
    CohostsPrompt {
        conference,
        replace,
        owner,
        message,
        prompt,
    }: CohostsPrompt,
    ctx: std::sync::Arc<Ctx>,
) -> HandlerResult {
    let Some(user) = msg.from.as_ref() else {
        return Ok(());
    };
    if user.id.0 != owner {
        return Ok(());
    }
    // In a group the owner may be chatting with others: only replies to the prompt are answers.
    if !msg.chat.is_private() && !super::perm::replies_to(&msg, &me, prompt) {
        return Ok(());
    }
    let t = lang_of(Some(user));
    let chat = msg.chat.id;
    let Some(text) = msg.text() else {
        bot.send(chat, t.send_text(), None).await?;
        return Ok(());
    };
    if text.starts_with('/') {
        return Ok(());
    }
    let cohosts = match Cohosts::parse(text) {
        Ok(c) => c,
        Err(e) => {
            bot.send(chat, t.invalid_input(&e), None).await?;
            return Ok(());
        }
    };
    // Checked again: the record is what the prompt was offered for.
    let Some(meeting) = ctx.db.meeting_in(chat.0, &conference).await? else {
        dialogue.exit().await?;
        bot.send(chat, t.stale_button(), None).await?;
        return Ok(());
    };
    // And who may change it: an admin who tapped the button may have been demoted since.
    if !super::perm::may_change(&bot, chat, user, &meeting).await? {
        dialogue.exit().await?;
        bot.send(chat, t.not_your_meeting(), None).await?;
        return Ok(());
    }
    let token = match manage_token(&ctx, &bot, chat, user, &meeting).await? {
        Acting::Token { token, .. } => token,
        Acting::NoToken => {
            dialogue.exit().await?;
            bot.send(chat, t.no_token(!chat.is_user()), None).await?;
            return Ok(());
        }
        Acting::MemberGone { owner } => {
            dialogue.exit().await?;
            bot.send(chat, t.member_gone(owner_name(&meeting, owner)), None)
                .await?;
            return Ok(());
        }
    };
    let emails: Vec<String> = cohosts
        .emails()
        .iter()
        .map(|e| e.as_str().to_owned())
        .collect();
    match ctx
        .telemost
        .set_cohosts(&token, &conference, &emails, replace)
        .await
    {
        Ok(()) => {
            dialogue.exit().await?;
            let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
            if let Err(e) = ctx.db.remember_cohosts(chat.0, &refs).await {
                tracing::warn!(error = %e, "could not remember cohosts");
            }
            // The meeting's message shows the outcome below even if this note is lost.
            if let Err(e) = bot
                .send(chat, t.cohosts_updated(&emails.join(", ")), None)
                .await
            {
                tracing::warn!(error = %super::core::redacted(&e), "could not confirm the cohosts");
            }
            let outcome = apply(&ctx, &token, &conference, Manage::Info).await;
            let topic = meeting.topic.as_deref();
            show_outcome(&bot, t, chat, MessageId(message), topic, outcome).await?;
        }
        // Keep waiting for a corrected list.
        Err(e) => {
            bot.send(chat, t.telemost_error(&e), None).await?;
        }
    }
    Ok(())
}
