//! The /meet and /stream dialogues: a draft, its panel, each step's answer, and creating it.
//!
//! ```text
//! user: /meet
//! bot:  New Telemost meeting · Waiting room: off · Cohosts: none
//!       Who should wait in the waiting room? Or tap Create for the defaults.
//!       [Public ✓] [Organization] [Admins] / [✅ Create] [Cancel]
//! user: taps [Organization]
//! bot:  (same message) … Send the cohosts' email addresses …   [✅ Create without cohosts] [Cancel]
//! user: anna@corp.ru, boris@corp.ru
//! bot:  Creating the meeting…  →  Meeting created. Join: https://telemost.yandex.ru/j/…  [Join]
//!
//! user: /stream Quarterly results
//! bot:  New Telemost live stream · Title: Quarterly results … [Public ✓] [Organization] [Admins] …
//!       then: who may watch [Public] [Organization]; a description or [Skip]; cohosts; links.
//! ```
//!
//! One message (the "panel") carries the live buttons and is edited in place as the user taps;
//! after a typed answer a fresh panel is sent below it. Buttons on any other message are stale.

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, Me, MessageId, UpdateId, User};

use super::core::{Ctx, HandlerResult, TgBot, lang_of};
use super::meetings::Acting;
use super::perm;
use super::schedule;
use super::speak::callback::Press;
use super::speak::panel::{panel, show};
use super::speak::texts::{Lang, Texts};
use super::state::{Draft, SUGGESTED_COHOSTS, State, Step};
use super::store::BotDialogue;
use super::topic::Topic;
use crate::telemost::TelemostError;
use crate::telemost::model::{Cohosts, Description, Email, StreamAccess, Title, WaitingRoomLevel};
use std::sync::Arc;

/// Shows the draft's panel (with an optional note) and saves the draft with the panel's id.
async fn present(
    bot: &TgBot,
    dialogue: &BotDialogue,
    ctx: &Ctx,
    t: &dyn Texts,
    mut d: Draft,
    note: Option<&str>,
    edit: Option<MessageId>,
) -> HandlerResult {
    let chat = dialogue.chat_id();
    let (text, mut markup) = panel(
        t,
        &d,
        note,
        chat.is_group() || chat.is_channel_or_supergroup(),
        ctx.clock.now(),
    );
    // A meeting's first panel also offers the planner (`WEBAPP_URL`), to pick a date instead.
    if d.step == Step::WaitingRoom
        && d.when.is_none()
        && d.stream.is_none()
        && let Some(button) = ctx.planner.as_ref().and_then(|p| p.button(t, chat))
    {
        markup.inline_keyboard.push(vec![button]);
    }
    let id = show(bot, chat, edit, text, markup).await?;
    d.panel = Some(id.0);
    dialogue.update(State::Draft(d)).await?;
    Ok(())
}

/// Shows the draft again, saying what was wrong with the answer typed.
async fn refuse(
    bot: &TgBot,
    dialogue: &BotDialogue,
    ctx: &Ctx,
    t: &dyn Texts,
    d: Draft,
    e: &crate::telemost::model::InvalidInput,
) -> HandlerResult {
    present(bot, dialogue, ctx, t, d, Some(&t.invalid_input(e)), None).await
}

/// Starts a /meet or /stream dialogue from the chat's defaults, if the chat has a token to
/// create with and the user may create here; `instant` creates at once (`/meet now`).
async fn start(
    bot: TgBot,
    dialogue: BotDialogue,
    ctx: &Ctx,
    user: &User,
    draft: Draft,
    note: Option<String>,
    instant: bool,
) -> HandlerResult {
    let t = lang_of(Some(user));
    let chat = dialogue.chat_id();
    let settings = ctx.db.settings(chat.0).await?;
    if !perm::may_create(&bot, chat, user, &settings).await? {
        bot.send(chat, t.admins_only(), None).await?;
        return Ok(());
    }
    match ctx.token_for(&bot, chat, user).await? {
        Acting::Token { .. } => {}
        Acting::NoToken if perm::is_shared_sender(user) => {
            bot.send(chat, t.shared_sender(), None).await?;
            return Ok(());
        }
        Acting::NoToken => {
            bot.send(chat, t.no_token(!chat.is_user()), None).await?;
            return Ok(());
        }
        Acting::MemberGone { .. } => {
            bot.send(chat, t.member_gone(None), None).await?;
            return Ok(());
        }
    }
    let mut draft = draft.with_defaults(&settings);
    draft.suggestions = ctx.db.recent_cohosts(chat.0, SUGGESTED_COHOSTS).await?;
    let instant = instant || (settings.instant_meet && draft.stream.is_none());
    // A note (a topic refused) is worth a look before creating: the panel shows it.
    let at_once = instant && draft.request().is_some() && note.is_none();
    // Posted as the group or as a channel: Telegram does not say by whom, so a panel could not
    // be told from another such sender's. What needs no panel goes ahead; the rest is explained.
    if perm::is_shared_sender(user) && !at_once {
        bot.send(chat, t.shared_sender(), None).await?;
        return Ok(());
    }
    if at_once {
        // `/meet now`: zero taps, straight to the links.
        return Box::pin(create(&bot, &dialogue, ctx, user, draft, None, None)).await;
    }
    present(&bot, &dialogue, ctx, t, draft, note.as_deref(), None).await
}

/// How long Telemost may take before the user is shown that the meeting is being created.
const PROGRESS_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// `/meet [now] [topic]`: a new meeting dialogue (or, with `now`, the meeting at once).
pub async fn on_meet(
    bot: TgBot,
    msg: Message,
    arg: String,
    dialogue: BotDialogue,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let Some(user) = msg.from.as_ref() else {
        return Ok(());
    };
    let t = lang_of(Some(user));
    let (now, rest) = meet_args(&arg);
    // A time first (`/meet tomorrow 15:00 Design review`): a meeting for later, the rest its
    // topic. `/meet now …` is a meeting now, whatever follows.
    let mut when = None;
    let mut rest = rest;
    if !now && !rest.is_empty() {
        let settings = ctx.db.settings(msg.chat.id.0).await?;
        let tz = schedule::zone(&ctx, &settings);
        match schedule::read(&ctx, &tz, rest) {
            Ok(Some((planned, topic))) => {
                if !schedule::has_room(&ctx, msg.chat.id).await? {
                    let text = t.too_many_scheduled(schedule::MAX_PER_CHAT);
                    bot.send(msg.chat.id, text, None).await?;
                    return Ok(());
                }
                when = Some(planned);
                rest = topic;
            }
            Ok(None) => {}
            Err(e) => {
                bot.send(msg.chat.id, t.when_unreadable(&e), None).await?;
                return Ok(());
            }
        }
    }
    let (topic, note) = match Topic::parse(rest) {
        Ok(topic) => (topic, None),
        Err(e) => (None, Some(t.topic_too_long(e.chars))),
    };
    let draft = Draft {
        topic,
        when,
        ..Draft::meeting(user.id.0)
    };
    start(bot, dialogue, &ctx, user, draft, note, now).await
}

/// `/stream [title]`: a new live stream dialogue.
pub async fn on_stream(
    bot: TgBot,
    msg: Message,
    arg: String,
    dialogue: BotDialogue,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let Some(user) = msg.from.as_ref() else {
        return Ok(());
    };
    let t = lang_of(Some(user));
    let (title, note) = if arg.trim().is_empty() {
        (None, None)
    } else {
        match Title::parse(&arg) {
            Ok(title) => (Some(title), None),
            Err(e) => (None, Some(t.invalid_input(&e))),
        }
    };
    let draft = Draft::stream(user.id.0, title);
    start(bot, dialogue, &ctx, user, draft, note, false).await
}

/// `/meet [now] [rest]`: whether to create at once, and the rest (a time and a topic).
pub fn meet_args(arg: &str) -> (bool, &str) {
    let arg = arg.trim();
    let (first, rest) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
    if matches!(first.to_lowercase().as_str(), "now" | "сейчас") {
        (true, rest.trim())
    } else {
        (false, arg)
    }
}

/// What the draft's owner typed in answer to it: a text that is not a command.
#[derive(Clone)]
pub struct Answer(pub String);

impl Answer {
    pub fn typed(msg: Message) -> Option<Self> {
        msg.text()
            .filter(|text| !text.starts_with('/'))
            .map(|text| Self(text.to_owned()))
    }
}

/// Whether a message answers the draft open in its chat: it is the draft's owner's and, in a
/// group (where the owner may be chatting with others), a reply to the draft's panel.
pub fn answers_draft(msg: Message, me: Me, d: Draft) -> bool {
    msg.from.as_ref().is_some_and(|u| u.id.0 == d.owner)
        && (msg.chat.is_private() || perm::replies_to(&msg, &me, d.panel))
}

/// A stream's title.
pub async fn receive_title(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    mut d: Draft,
    Answer(text): Answer,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    match Title::parse(&text) {
        Ok(title) => {
            if let Some(s) = d.stream.as_mut() {
                s.title = Some(title);
            }
            d.step = Step::WaitingRoom;
            present(&bot, &dialogue, &ctx, t, d, None, None).await
        }
        Err(e) => refuse(&bot, &dialogue, &ctx, t, d, &e).await,
    }
}

/// A stream's description.
pub async fn receive_description(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    mut d: Draft,
    Answer(text): Answer,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    match Description::parse(&text) {
        Ok(description) => {
            if let Some(s) = d.stream.as_mut() {
                s.description = description;
            }
            d.step = Step::Cohosts;
            present(&bot, &dialogue, &ctx, t, d, None, None).await
        }
        Err(e) => refuse(&bot, &dialogue, &ctx, t, d, &e).await,
    }
}

/// The cohosts' emails, typed at the last step: the meeting is created with them.
pub async fn receive_cohosts(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    mut d: Draft,
    Answer(text): Answer,
    ctx: Arc<Ctx>,
    update: Update,
) -> HandlerResult {
    let Some(user) = msg.from.as_ref() else {
        return Ok(());
    };
    let t = lang_of(Some(user));
    match Cohosts::parse(&text) {
        Ok(cohosts) => {
            d.cohosts = Some(cohosts);
            create(&bot, &dialogue, &ctx, user, d, None, Some(update.id)).await
        }
        Err(e) => refuse(&bot, &dialogue, &ctx, t, d, &e).await,
    }
}

/// When, after Later… was tapped: a time in the chat's zone, and perhaps a topic after it.
pub async fn receive_when(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    mut d: Draft,
    Answer(text): Answer,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    let settings = ctx.db.settings(msg.chat.id.0).await?;
    let tz = schedule::zone(&ctx, &settings);
    match schedule::read(&ctx, &tz, &text) {
        Ok(Some((planned, rest))) => {
            if d.topic.is_none()
                && let Ok(Some(topic)) = Topic::parse(rest)
            {
                d.topic = Some(topic);
            }
            d.when = Some(planned);
            d.step = Step::WaitingRoom;
            present(&bot, &dialogue, &ctx, t, d, None, None).await
        }
        Ok(None) => present(&bot, &dialogue, &ctx, t, d, Some(t.when_not_found()), None).await,
        Err(e) => {
            let note = t.when_unreadable(&e);
            present(&bot, &dialogue, &ctx, t, d, Some(&note), None).await
        }
    }
}

/// An answer while the meeting is being created: the one that started the creation, handled
/// again (another process took the chat over mid-call: carry on, see `Draft`), or one after a
/// creation the bot stopped in the middle of (back to the panel), or the user waiting.
pub async fn receive_while_creating(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    mut d: Draft,
    ctx: Arc<Ctx>,
    update: Update,
) -> HandlerResult {
    let Some(user) = msg.from.as_ref() else {
        return Ok(());
    };
    let t = lang_of(Some(user));
    if d.creation_taken_over_by(update.id.0) {
        create(&bot, &dialogue, &ctx, user, d, None, Some(update.id)).await
    } else if d.creation_interrupted() {
        d.resume_after_interruption();
        let note = Some(t.creation_interrupted());
        present(&bot, &dialogue, &ctx, t, d, note, None).await
    } else {
        bot.send(msg.chat.id, t.still_creating(), None).await?;
        Ok(())
    }
}

/// Text typed where the panel asks for a button (the waiting room, who may watch).
pub async fn use_the_buttons(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    d: Draft,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    present(&bot, &dialogue, &ctx, t, d, Some(t.use_buttons()), None).await
}

/// A command the draft does not take, or something other than text (a sticker, a photo) sent
/// in answer to the draft.
pub async fn not_an_answer(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    d: Draft,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    if msg.text().is_some() {
        if msg.chat.is_private() {
            bot.send(msg.chat.id, t.unknown_command(), None).await?;
        }
        Ok(())
    } else if d.step.is_text() {
        present(&bot, &dialogue, &ctx, t, d, Some(t.send_text()), None).await
    } else {
        Ok(())
    }
}

/// Whether a press on a draft's button answers the step its panel is at: on the panel itself,
/// not while the meeting is being created (or a creation is taken over or was interrupted), and
/// a button the step offers. The presses that do go to the handler named for the button; the
/// rest to `press_out_of_step`.
pub fn press_fits_step(q: &CallbackQuery, d: &Draft, press: Press) -> bool {
    let pressed_on = q.message.as_ref().map(|m| m.id().0);
    pressed_on.is_some()
        && d.panel == pressed_on
        // Taken over or interrupted, a creation is still at this step.
        && d.step != Step::Creating
        && match press {
            Press::WaitingRoom(_) => d.step == Step::WaitingRoom,
            Press::StreamAccess(_) => d.step == Step::StreamAccess,
            Press::Skip => matches!(d.step, Step::Description | Step::Cohosts),
            Press::Create => !matches!(d.step, Step::Title | Step::When | Step::Times),
            Press::Cancel => true,
            Press::Cohost(_) => d.step == Step::Cohosts,
            Press::Later => d.step == Step::WaitingRoom && d.when.is_none() && d.stream.is_none(),
            Press::FindTime => {
                d.step == Step::WaitingRoom
                    && d.when.is_none()
                    && d.stream.is_none()
                    && !q.message.as_ref().is_some_and(|m| m.chat().is_private())
            }
        }
}

/// A press that does not answer the panel's step: on another message (another member's panel, or
/// a finished one), the press that started a creation handled again (another process took the
/// chat over mid-call: carry on, see `Draft`), one after a creation the bot stopped in the middle
/// of (back to the panel), one while the meeting is being created, or a button of a step passed.
pub async fn press_out_of_step(
    bot: TgBot,
    q: CallbackQuery,
    dialogue: BotDialogue,
    mut d: Draft,
    ctx: Arc<Ctx>,
    update: Update,
) -> HandlerResult {
    let t = lang_of(Some(&q.from));
    let pressed_on = q.message.as_ref().map(|m| m.id());
    if d.panel.map(MessageId) != pressed_on || pressed_on.is_none() {
        let notice = not_yours_or_stale(t, &dialogue, pressed_on).await?;
        bot.answer(&q, Some(notice)).await;
    } else if d.creation_taken_over_by(update.id.0) {
        bot.answer(&q, None).await;
        let by = Some(update.id);
        create(&bot, &dialogue, &ctx, &q.from, d, pressed_on, by).await?;
    } else if d.creation_interrupted() {
        bot.answer(&q, None).await;
        d.resume_after_interruption();
        let note = Some(t.creation_interrupted());
        present(&bot, &dialogue, &ctx, t, d, note, pressed_on).await?;
    } else if d.step == Step::Creating {
        bot.answer(&q, Some(t.still_creating())).await;
    } else {
        bot.answer(&q, Some(t.stale_button())).await;
    }
    Ok(())
}

/// Runs a press's step while the press is answered (the user's spinner stops): the link does
/// not wait for the answer's round trip. The step comes boxed: a step's future (creating a
/// meeting, say) is several kilobytes, and every move of it copies them all.
async fn answering(bot: &TgBot, q: &CallbackQuery, step: BoxedStep<'_>) -> HandlerResult {
    let ((), done) = tokio::join!(bot.answer(q, None), step);
    done
}

/// A press's step, boxed (see `answering`).
type BoxedStep<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = HandlerResult> + Send + 'a>>;

/// The message a press was on (its panel, as `press_fits_step` made sure).
fn panel_of(q: &CallbackQuery) -> Option<MessageId> {
    q.message.as_ref().map(|m| m.id())
}

/// A waiting room level tapped: the next step.
pub async fn choose_waiting_room(
    bot: TgBot,
    q: CallbackQuery,
    dialogue: BotDialogue,
    mut d: Draft,
    level: WaitingRoomLevel,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(Some(&q.from));
    d.waiting_room = level;
    answering(
        &bot,
        &q,
        Box::pin(advance(&bot, &dialogue, &ctx, t, d, panel_of(&q))),
    )
    .await
}

/// Who may watch the stream, tapped: the next step.
pub async fn choose_stream_access(
    bot: TgBot,
    q: CallbackQuery,
    dialogue: BotDialogue,
    mut d: Draft,
    access: StreamAccess,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(Some(&q.from));
    if let Some(s) = d.stream.as_mut() {
        s.access = access;
    }
    answering(
        &bot,
        &q,
        Box::pin(advance(&bot, &dialogue, &ctx, t, d, panel_of(&q))),
    )
    .await
}

/// A remembered cohost tapped at the cohosts step: in or out of the list.
pub async fn choose_cohost(
    bot: TgBot,
    q: CallbackQuery,
    dialogue: BotDialogue,
    mut d: Draft,
    id: i64,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(Some(&q.from));
    toggle_cohost(&mut d, id);
    answering(
        &bot,
        &q,
        Box::pin(present(&bot, &dialogue, &ctx, t, d, None, panel_of(&q))),
    )
    .await
}

/// Skip: no description (the next step), or no cohosts (the meeting is created).
pub async fn skip(
    bot: TgBot,
    q: CallbackQuery,
    dialogue: BotDialogue,
    mut d: Draft,
    ctx: Arc<Ctx>,
    update: Update,
) -> HandlerResult {
    let t = lang_of(Some(&q.from));
    let pressed_on = panel_of(&q);
    if d.step == Step::Cohosts {
        d.cohosts = None;
        let creating = create(
            &bot,
            &dialogue,
            &ctx,
            &q.from,
            d,
            pressed_on,
            Some(update.id),
        );
        answering(&bot, &q, Box::pin(creating)).await
    } else {
        answering(
            &bot,
            &q,
            Box::pin(advance(&bot, &dialogue, &ctx, t, d, pressed_on)),
        )
        .await
    }
}

/// Later…: the next message says when (unless the chat has as many meetings scheduled as it
/// may).
pub async fn ask_when(
    bot: TgBot,
    q: CallbackQuery,
    dialogue: BotDialogue,
    mut d: Draft,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(Some(&q.from));
    let pressed_on = panel_of(&q);
    let asking = async {
        if !schedule::has_room(&ctx, dialogue.chat_id()).await? {
            let note = t.too_many_scheduled(schedule::MAX_PER_CHAT);
            return present(&bot, &dialogue, &ctx, t, d, Some(&note), pressed_on).await;
        }
        d.step = Step::When;
        present(&bot, &dialogue, &ctx, t, d, None, pressed_on).await
    };
    answering(&bot, &q, Box::pin(asking)).await
}

/// Find a time… (a group): the next message gives the times to vote on.
pub async fn ask_times(
    bot: TgBot,
    q: CallbackQuery,
    dialogue: BotDialogue,
    mut d: Draft,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(Some(&q.from));
    let pressed_on = panel_of(&q);
    d.step = Step::Times;
    answering(
        &bot,
        &q,
        Box::pin(present(&bot, &dialogue, &ctx, t, d, None, pressed_on)),
    )
    .await
}

/// The times to vote on, after Find a time…: the vote is posted and the draft ends, or the
/// panel says what was wrong and waits for the times again.
pub async fn receive_times(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    d: Draft,
    Answer(text): Answer,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let Some(user) = msg.from.as_ref() else {
        return Ok(());
    };
    let t = lang_of(Some(user));
    match super::vote::start(&bot, &ctx, msg.chat.id, user, &text, Some(&d)).await? {
        super::vote::Started::Posted => {
            dialogue.exit().await?;
            let none = InlineKeyboardMarkup::default();
            let said = t.vote_started_below().to_owned();
            show(&bot, dialogue.chat_id(), d.panel.map(MessageId), said, none).await?;
            Ok(())
        }
        super::vote::Started::Refused(why) => {
            present(&bot, &dialogue, &ctx, t, d, Some(&why), None).await
        }
    }
}

/// Create: the meeting (or stream) as the draft has it now.
pub async fn press_create(
    bot: TgBot,
    q: CallbackQuery,
    dialogue: BotDialogue,
    d: Draft,
    ctx: Arc<Ctx>,
    update: Update,
) -> HandlerResult {
    let creating = create(
        &bot,
        &dialogue,
        &ctx,
        &q.from,
        d,
        panel_of(&q),
        Some(update.id),
    );
    answering(&bot, &q, Box::pin(creating)).await
}

/// Cancel on the draft's panel: the draft ends.
pub async fn cancel_draft(bot: TgBot, q: CallbackQuery, dialogue: BotDialogue) -> HandlerResult {
    let t = lang_of(Some(&q.from));
    let cancelling = async {
        dialogue.exit().await?;
        let none = InlineKeyboardMarkup::default();
        let cancelled = t.cancelled().to_owned();
        show(&bot, dialogue.chat_id(), panel_of(&q), cancelled, none).await?;
        Ok(())
    };
    answering(&bot, &q, Box::pin(cancelling)).await
}

/// A press no route took: a button of a finished dialogue, another member's, or data we never
/// sent.
pub async fn stale_press(bot: TgBot, q: CallbackQuery, dialogue: BotDialogue) -> HandlerResult {
    let t = lang_of(Some(&q.from));
    let pressed_on = q.message.as_ref().map(|m| m.id());
    let notice = not_yours_or_stale(t, &dialogue, pressed_on).await?;
    bot.answer(&q, Some(notice)).await;
    Ok(())
}

/// The notice for a press on a message that is not the presser's panel: another member's open
/// dialogue, or a finished one.
async fn not_yours_or_stale(
    t: &'static dyn Texts,
    dialogue: &BotDialogue,
    pressed_on: Option<MessageId>,
) -> Result<&'static str, super::core::HandlerError> {
    let other = match pressed_on {
        Some(m) => dialogue.owner_of(m.0).await?,
        None => None,
    };
    Ok(match other {
        Some(_) => t.not_your_dialogue(),
        None => t.stale_button(),
    })
}

/// Adds the remembered cohost `id` to the draft, or removes it if it is there.
fn toggle_cohost(d: &mut Draft, id: i64) {
    let Some(email) = d
        .suggestions
        .iter()
        .find(|(sid, _)| *sid == id)
        .and_then(|(_, e)| Email::parse(e))
    else {
        return;
    };
    let mut list: Vec<Email> = d.cohosts.take().map(Vec::from).unwrap_or_default();
    match list
        .iter()
        .position(|e| e.as_str().eq_ignore_ascii_case(email.as_str()))
    {
        Some(i) => {
            list.remove(i);
        }
        None => list.push(email),
    }
    d.cohosts = Cohosts::try_from(list).ok();
}

/// Moves to the next step, editing the panel in place.
async fn advance(
    bot: &TgBot,
    dialogue: &BotDialogue,
    ctx: &Ctx,
    t: &dyn Texts,
    mut d: Draft,
    panel: Option<MessageId>,
) -> HandlerResult {
    if let Some(next) = d.next_step() {
        d.step = next;
    }
    present(bot, dialogue, ctx, t, d, None, panel).await
}

/// Creates the meeting from the draft and shows the links, or the reason it failed with the
/// draft kept so the user can fix it and try again. `by`: the update that asked for it.
async fn create(
    bot: &TgBot,
    dialogue: &BotDialogue,
    ctx: &Ctx,
    user: &User,
    mut d: Draft,
    panel: Option<MessageId>,
    by: Option<UpdateId>,
) -> HandlerResult {
    let t = lang_of(Some(user));
    let chat = dialogue.chat_id();
    let Some(request) = d.request() else {
        return present(bot, dialogue, ctx, t, d, None, panel).await;
    };
    // Checked again: an admin may have turned "only admins" on since /meet, or the member may
    // no longer be an admin.
    if !chat.is_user()
        && !perm::may_create(bot, chat, user, &ctx.db.settings(chat.0).await?).await?
    {
        dialogue.exit().await?;
        let none = InlineKeyboardMarkup::default();
        show(bot, chat, panel, t.admins_only().to_owned(), none).await?;
        return Ok(());
    }
    let (owner, token) = match ctx.token_for(bot, chat, user).await? {
        Acting::Token { owner, token } => (owner, token),
        Acting::NoToken => {
            let note = t.no_token(!chat.is_user());
            return present(bot, dialogue, ctx, t, d, Some(note), panel).await;
        }
        Acting::MemberGone { .. } => {
            let note = t.member_gone(None);
            return present(bot, dialogue, ctx, t, d, Some(&note), panel).await;
        }
    };
    // Read when /meet was typed: a time that has passed since (the panel was left open) is
    // asked for again; a recurring meeting starts from its next occurrence.
    if let Some(planned) = d.when.as_mut()
        && !schedule::still_ahead(planned, ctx.clock.now())
    {
        d.step = Step::When;
        let note = t.when_unreadable(&crate::schedule::WhenError::Past);
        return present(bot, dialogue, ctx, t, d, Some(&note), panel).await;
    }
    // A recurring meeting: nothing to create now, each occurrence gets its own link.
    if let Some(planned) = d.when.clone().filter(|p| p.repeat.is_some()) {
        return set_up_series(bot, dialogue, ctx, user, d, &request, &planned, panel).await;
    }

    let resume_at = d.step;
    d.step = Step::Creating;
    d.creating_since = Some(crate::storage::unix_now());
    d.creating_for = by.map(|u| u.0);
    // Saved before the call, so a second tap on Create is refused instead of creating twice.
    dialogue.update(State::Draft(d.clone())).await?;
    let call = ctx.create_meeting(owner, &token, &request);
    tokio::pin!(call);
    // "Creating…" only when Telemost is slow: under Telegram's limits every message spent is
    // latency for someone else, and a quick link needs no note before it.
    let mut panel = panel;
    let created = tokio::select! {
        created = &mut call => created,
        () = tokio::time::sleep(PROGRESS_AFTER) => {
            let none = InlineKeyboardMarkup::default();
            let note = show(bot, chat, panel, t.creating().to_owned(), none);
            let (shown, created) = tokio::join!(note, &mut call);
            match shown {
                Ok(id) => panel = Some(id),
                // Only the note is lost; the links still come.
                Err(e) => tracing::warn!(error = %super::core::redacted(&e), "could not show progress"),
            }
            created
        }
    };
    let created = match created {
        Ok(created) => created,
        Err(e) => {
            // The database failed (refreshing the token): nothing was created.
            d.step = resume_at;
            d.creating_since = None;
            d.creating_for = None;
            dialogue.update(State::Draft(d)).await?;
            return Err(e.into());
        }
    };
    // Frozen past its turn's lease (see `bot::intake::queues`), this process may have had the creation
    // taken over by another, which made the meeting and showed it: then this result is dropped
    // (its room stays unused) rather than shown a second time. An update that came through no
    // turn (long polling: one process, each chat's updates in order) cannot be overtaken, and
    // its dialogue is as this update left it: no need to read it again.
    let ours = !super::speak::outbox::Outbox::by_turn()
        || (!super::speak::outbox::Outbox::turn_lost().await
            && matches!(&dialogue.current().await?, State::Draft(cur) if cur.step == Step::Creating
            && cur.creating_since == d.creating_since
            && cur.creating_for == d.creating_for));
    if !ours {
        tracing::info!(
            chat_id = chat.0,
            "a creation was taken over by another process meanwhile; dropping this one's result"
        );
        return Ok(());
    }
    d.creating_since = None;
    d.creating_for = None;
    match created {
        Ok(conference) => {
            let topic = d.topic.as_ref().map(Topic::as_str);
            let (text, keyboard) = schedule::announce(
                ctx,
                chat,
                user,
                t,
                &request,
                &conference,
                topic,
                d.when.as_ref(),
                None,
            )
            .await;
            // The links first: the meeting exists whatever happens to our bookkeeping.
            let shown = show(bot, chat, panel, text, keyboard).await;
            let recorded = ctx
                .record_meeting(chat, user, owner, &request, &conference, topic)
                .await;
            if !recorded && let Err(e) = bot.send(chat, t.record_failed(), None).await {
                tracing::warn!(error = %super::core::redacted(&e), "could not say a meeting went unrecorded");
            }
            if let Err(e) = dialogue.exit().await {
                tracing::error!(chat_id = chat.0, error = %e, "could not end a finished dialogue");
            }
            shown?;
            Ok(())
        }
        Err(e) => {
            tracing::warn!(chat_id = chat.0, error = %e, "Telemost refused to create");
            d.step = match &e {
                TelemostError::UnknownCohosts { emails } => {
                    // Keep the cohosts Telemost accepted; Create then goes ahead with them.
                    let kept: Vec<Email> = d
                        .cohosts
                        .take()
                        .map(Vec::from)
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|c| !emails.iter().any(|r| r.eq_ignore_ascii_case(c.as_str())))
                        .collect();
                    d.cohosts = Cohosts::try_from(kept).ok();
                    Step::Cohosts
                }
                _ => resume_at,
            };
            present(bot, dialogue, ctx, t, d, Some(&t.telemost_error(&e)), panel).await
        }
    }
}

/// Keeps a recurring meeting (`/meet every weekday 10:00 Standup`): its links are made before
/// each occurrence by `jobs::schedules`.
#[allow(clippy::too_many_arguments)]
async fn set_up_series(
    bot: &TgBot,
    dialogue: &BotDialogue,
    ctx: &Ctx,
    user: &User,
    d: Draft,
    request: &crate::telemost::model::CreateConference,
    planned: &super::state::Planned,
    panel: Option<MessageId>,
) -> HandlerResult {
    let t = lang_of(Some(user));
    let chat = dialogue.chat_id();
    let topic = d.topic.as_ref().map(Topic::as_str);
    let Some(text) = schedule::announce_series(ctx, chat, user, t, request, topic, planned).await?
    else {
        let note = t.too_many_scheduled(schedule::MAX_PER_CHAT);
        return present(bot, dialogue, ctx, t, d, Some(&note), panel).await;
    };
    dialogue.exit().await?;
    show(bot, chat, panel, text, InlineKeyboardMarkup::default()).await?;
    Ok(())
}

/// A message in a chat with no dialogue.
pub async fn idle_message(bot: TgBot, msg: Message) -> HandlerResult {
    if msg.chat.is_private() {
        let t: &dyn Texts =
            Lang::from_code(msg.from.as_ref().and_then(|u| u.language_code.as_deref())).texts();
        let reply = match msg.text() {
            Some(text) if text.starts_with('/') => t.unknown_command(),
            _ => t.idle_hint(),
        };
        bot.send(msg.chat.id, reply, None).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meet_takes_now_and_a_topic() {
        let topic = |s: &str| Topic::parse(s).unwrap();
        assert_eq!(meet_args(""), (false, ""));
        assert_eq!(meet_args(" now "), (true, ""));
        assert_eq!(meet_args("Сейчас"), (true, ""));
        assert_eq!(
            meet_args("Standup with design"),
            (false, "Standup with design")
        );
        assert_eq!(meet_args("now Standup"), (true, "Standup"));
        assert_eq!(meet_args("nowhere near"), (false, "nowhere near"));
        assert_eq!(
            Topic::parse(meet_args("now  Standup ").1),
            Ok(topic("Standup"))
        );
        let long = "x".repeat(super::super::topic::TOPIC_MAX_CHARS + 5);
        assert_eq!(
            Topic::parse(meet_args(&long).1),
            Err(super::super::topic::TopicTooLong {
                chars: super::super::topic::TOPIC_MAX_CHARS + 5
            })
        );
    }
}
