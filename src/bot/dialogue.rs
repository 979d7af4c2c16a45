//! The /meet and /stream dialogues, and the /token prompt.
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

use serde::{Deserialize, Serialize};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, Me, MessageId, User};

use super::callback::Callback;
use super::texts::{Lang, Texts, ellipsize, esc_short};
use super::topic::{TOPIC_MAX_CHARS, Topic};
use super::{BotDialogue, Ctx, HandlerResult, TgBot, lang_of};
use crate::storage::ChatSettings;
use crate::telemost::TelemostError;
use crate::telemost::model::{
    Cohosts, CreateConference, Description, Email, LiveStream, StreamAccess, Title,
    WaitingRoomLevel,
};
use std::sync::Arc;

/// A member's dialogue state in a chat, persisted between updates (and restarts) by
/// `BotDialogue`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum State {
    #[default]
    Idle,
    /// `/token` was sent alone in a private chat (or a /connect link opened, then `group` is
    /// the group the token is for); the next message is the token.
    AwaitingToken {
        #[serde(default)]
        group: Option<i64>,
        /// Until when (unix seconds) the token is taken for `group`: a /connect link's lifetime.
        #[serde(default)]
        until: Option<i64>,
    },
    /// A meeting or stream being configured.
    Draft(Draft),
    /// "Add cohosts" or "Replace cohosts" was tapped under meeting `conference` (shown in
    /// `message`); the owner's next message is the list.
    Managing {
        conference: String,
        replace: bool,
        owner: u64,
        message: i32,
        /// The prompt asking for the emails, whose Cancel button ends this.
        #[serde(default)]
        prompt: Option<i32>,
    },
    /// The database could not be read: never stored, only handed to the handlers so the user
    /// hears about it instead of the update vanishing.
    #[serde(skip)]
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// The user who started it: only they answer its questions and tap its buttons.
    pub owner: u64,
    /// The message whose buttons are live.
    pub panel: Option<i32>,
    pub step: Step,
    pub waiting_room: WaitingRoomLevel,
    pub cohosts: Option<Cohosts>,
    /// `Some` for /stream.
    pub stream: Option<StreamDraft>,
    /// Start automatic meeting notes (a chat setting).
    #[serde(default)]
    pub auto_summary: bool,
    /// Cohosts the chat used before, offered as buttons: (id, email).
    #[serde(default)]
    pub suggestions: Vec<(i64, String)>,
    /// When the step became `Creating` (unix seconds), to recognise a call that a crash or a
    /// restart interrupted.
    #[serde(default)]
    pub creating_since: Option<i64>,
    /// What a meeting is about (`/meet <topic>`).
    #[serde(default)]
    pub topic: Option<Topic>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamDraft {
    pub title: Option<Title>,
    pub access: StreamAccess,
    pub description: Option<Description>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Title,
    WaitingRoom,
    StreamAccess,
    Description,
    Cohosts,
    /// The API call is in flight.
    Creating,
}

impl State {
    /// The message whose buttons the dialogue owns: a draft's panel, a cohosts prompt.
    pub fn message(&self) -> Option<i32> {
        match self {
            State::Draft(d) => d.panel,
            State::Managing { prompt, .. } => *prompt,
            _ => None,
        }
    }
}

impl Step {
    fn is_text(self) -> bool {
        matches!(self, Self::Title | Self::Description | Self::Cohosts)
    }
}

impl Draft {
    pub fn meeting(owner: u64) -> Self {
        Self {
            owner,
            panel: None,
            step: Step::WaitingRoom,
            waiting_room: WaitingRoomLevel::default(),
            cohosts: None,
            stream: None,
            auto_summary: false,
            suggestions: Vec::new(),
            creating_since: None,
            topic: None,
        }
    }

    /// A `Creating` step older than any Telemost call can take: the bot stopped mid-call.
    fn creation_interrupted(&self) -> bool {
        self.step == Step::Creating
            && self
                .creating_since
                .is_none_or(|at| crate::storage::unix_now() - at > CREATING_STALE_SECS)
    }

    /// Back to the first step after an interrupted creation, keeping the choices.
    fn resume_after_interruption(&mut self) {
        self.creating_since = None;
        self.step = match &self.stream {
            Some(s) if s.title.is_none() => Step::Title,
            _ => Step::WaitingRoom,
        };
    }

    /// Starts from the chat's defaults instead of the built-in ones.
    pub fn with_defaults(mut self, settings: &ChatSettings) -> Self {
        if let Some(level) = WaitingRoomLevel::parse(&settings.waiting_room) {
            self.waiting_room = level;
        }
        if let (Some(s), Some(access)) = (
            self.stream.as_mut(),
            StreamAccess::parse(&settings.stream_access),
        ) {
            s.access = access;
        }
        self.auto_summary = settings.auto_summary;
        self
    }

    pub fn stream(owner: u64, title: Option<Title>) -> Self {
        Self {
            step: if title.is_some() {
                Step::WaitingRoom
            } else {
                Step::Title
            },
            stream: Some(StreamDraft {
                title,
                access: StreamAccess::default(),
                description: None,
            }),
            ..Self::meeting(owner)
        }
    }

    /// The step after `self.step`, or `None` when the next thing is to create.
    fn next_step(&self) -> Option<Step> {
        let stream = self.stream.is_some();
        match self.step {
            Step::Title => Some(Step::WaitingRoom),
            Step::WaitingRoom if stream => Some(Step::StreamAccess),
            Step::WaitingRoom => Some(Step::Cohosts),
            Step::StreamAccess => Some(Step::Description),
            Step::Description => Some(Step::Cohosts),
            Step::Cohosts | Step::Creating => None,
        }
    }

    /// The API request for what is chosen so far; `None` while a stream still lacks its title.
    pub fn request(&self) -> Option<CreateConference> {
        let live_stream = match &self.stream {
            None => None,
            Some(s) => Some(LiveStream {
                access_level: s.access,
                title: s.title.clone()?,
                description: s.description.clone(),
            }),
        };
        let mut request =
            CreateConference::new(self.waiting_room, self.cohosts.as_ref(), live_stream);
        if self.auto_summary {
            request.is_auto_summarization_enabled = Some(true);
        }
        Some(request)
    }
}

/// The panel's text and buttons for the draft's current step, with an optional note on top
/// (an error, or a hint).
fn panel(
    t: &dyn Texts,
    d: &Draft,
    note: Option<&str>,
    in_group: bool,
) -> (String, InlineKeyboardMarkup) {
    let mut text = String::new();
    let mut line = |label: &str, value: &str| {
        text.push_str(label);
        text.push_str(": ");
        text.push_str(value);
        text.push('\n');
    };
    let header = if d.stream.is_some() {
        t.new_stream()
    } else {
        t.new_meeting()
    };
    if let Some(title) = d.stream.as_ref().and_then(|s| s.title.as_ref()) {
        line(t.label_title(), &esc_short(title.as_str(), 200));
    }
    if let Some(topic) = &d.topic {
        line(t.label_topic(), &esc_short(topic.as_str(), TOPIC_MAX_CHARS));
    }
    line(t.label_waiting_room(), t.waiting_room(d.waiting_room));
    if let Some(s) = &d.stream {
        line(t.label_stream_access(), t.stream_access(s.access));
        let desc = s.description.as_ref().map(|d| esc_short(d.as_str(), 300));
        line(t.label_description(), desc.as_deref().unwrap_or(t.none()));
    }
    let cohosts = d.cohosts.as_ref().map(|c| {
        let list: Vec<&str> = c.emails().iter().map(|e| e.as_str()).collect();
        esc_short(&list.join(", "), 800)
    });
    line(t.label_cohosts(), cohosts.as_deref().unwrap_or(t.none()));
    let question = match d.step {
        Step::Title => t.ask_title(),
        Step::WaitingRoom => t.ask_waiting_room(),
        Step::StreamAccess => t.ask_stream_access(),
        Step::Description => t.ask_description(),
        Step::Cohosts => t.ask_cohosts(),
        Step::Creating => t.creating(),
    };
    // The note is HTML from `texts`, bounded there; the rest fits by construction.
    let mut full = format!("<b>{header}</b>\n{text}\n{question}");
    if let Some(note) = note {
        full = format!("{note}\n\n{full}");
    }
    if in_group && d.step.is_text() {
        full.push(' ');
        full.push_str(t.reply_hint());
    }
    (full, keyboard(t, d))
}

fn button(label: &str, cb: Callback) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label.to_owned(), cb.render())
}

fn chosen(label: &str, is: bool) -> String {
    if is {
        format!("✓ {label}")
    } else {
        label.to_owned()
    }
}

fn keyboard(t: &dyn Texts, d: &Draft) -> InlineKeyboardMarkup {
    let create = button(t.button_create(), Callback::Create);
    let cancel = button(t.button_cancel(), Callback::Cancel);
    let rows: Vec<Vec<InlineKeyboardButton>> = match d.step {
        Step::Title => vec![vec![cancel]],
        Step::WaitingRoom => vec![
            WaitingRoomLevel::ALL
                .iter()
                .map(|&l| {
                    let label = chosen(t.waiting_room_button(l), l == d.waiting_room);
                    button(&label, Callback::WaitingRoom(l))
                })
                .collect(),
            vec![create, cancel],
        ],
        Step::StreamAccess => {
            let current = d.stream.as_ref().map(|s| s.access).unwrap_or_default();
            vec![
                StreamAccess::ALL
                    .iter()
                    .map(|&a| {
                        let label = chosen(t.stream_access_button(a), a == current);
                        button(&label, Callback::StreamAccess(a))
                    })
                    .collect(),
                vec![create, cancel],
            ]
        }
        Step::Description => vec![
            vec![button(t.button_skip(), Callback::Skip)],
            vec![create, cancel],
        ],
        Step::Cohosts => {
            // The chat's usual cohosts, two a row, ticked when chosen.
            let chosen_emails: Vec<&str> = d
                .cohosts
                .as_ref()
                .map(|c| c.emails().iter().map(|e| e.as_str()).collect())
                .unwrap_or_default();
            let mut rows: Vec<Vec<InlineKeyboardButton>> = d
                .suggestions
                .chunks(2)
                .map(|pair| {
                    pair.iter()
                        .map(|(id, email)| {
                            let on = chosen_emails.iter().any(|e| e.eq_ignore_ascii_case(email));
                            button(&chosen(&ellipsize(email, 30), on), Callback::Cohost(*id))
                        })
                        .collect()
                })
                .collect();
            if d.cohosts.is_some() {
                rows.push(vec![create.clone()]);
            }
            rows.push(vec![button(t.button_no_cohosts(), Callback::Skip)]);
            rows.push(vec![cancel]);
            rows
        }
        Step::Creating => vec![],
    };
    InlineKeyboardMarkup::new(rows)
}

/// Shows `text` with `markup` on the panel: edits it when there is one, else (or if the edit
/// fails, e.g. the message is too old) sends a new message. Returns the panel's id.
async fn show(
    bot: &TgBot,
    chat: ChatId,
    panel: Option<MessageId>,
    text: String,
    markup: InlineKeyboardMarkup,
) -> Result<MessageId, teloxide::RequestError> {
    if let Some(id) = panel {
        match bot.edit(chat, id, text.clone(), markup.clone()).await {
            Ok(()) => return Ok(id),
            Err(e) => tracing::debug!(error = %super::redacted(&e), "edit failed, sending anew"),
        }
    }
    let sent = bot.send(chat, text, Some(markup)).await?;
    Ok(sent.id)
}

/// Shows the draft's panel (with an optional note) and saves the draft with the panel's id.
async fn present(
    bot: &TgBot,
    dialogue: &BotDialogue,
    t: &dyn Texts,
    mut d: Draft,
    note: Option<&str>,
    edit: Option<MessageId>,
) -> HandlerResult {
    let chat = dialogue.chat_id();
    let (text, markup) = panel(
        t,
        &d,
        note,
        chat.is_group() || chat.is_channel_or_supergroup(),
    );
    let id = show(bot, chat, edit, text, markup).await?;
    d.panel = Some(id.0);
    dialogue.update(State::Draft(d)).await?;
    Ok(())
}

/// Starts a /meet or /stream dialogue from the chat's defaults, if the chat has a token to
/// create with and the user may create here; `instant` creates at once (`/meet now`).
pub async fn start(
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
    if !may_create(&bot, chat, user, &settings).await? {
        bot.send(chat, t.admins_only(), None).await?;
        return Ok(());
    }
    if ctx.token_for(chat, user).await?.is_none() {
        bot.send(chat, t.no_token(!chat.is_user()), None).await?;
        return Ok(());
    }
    let mut draft = draft.with_defaults(&settings);
    draft.suggestions = ctx.db.recent_cohosts(chat.0, SUGGESTED_COHOSTS).await?;
    let instant = instant || (settings.instant_meet && draft.stream.is_none());
    // A note (a topic refused) is worth a look before creating: the panel shows it.
    if instant && draft.request().is_some() && note.is_none() {
        // `/meet now`: zero taps, straight to the links.
        return Box::pin(create(&bot, &dialogue, ctx, user, draft, None)).await;
    }
    present(&bot, &dialogue, t, draft, note.as_deref(), None).await
}

/// Whether `user` may create meetings in `chat`: anyone, unless a group's settings say only
/// admins.
async fn may_create(
    bot: &TgBot,
    chat: ChatId,
    user: &User,
    settings: &ChatSettings,
) -> Result<bool, super::HandlerError> {
    if chat.is_user() || !settings.admins_only {
        return Ok(true);
    }
    super::groups::is_admin(bot, chat, user.id).await
}

/// A `Creating` step is stale after this long (Telemost calls give up within 30 s).
const CREATING_STALE_SECS: i64 = 120;

/// How long Telemost may take before the user is shown that the meeting is being created.
const PROGRESS_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// How many remembered cohosts the cohosts step offers (and so, how many pruning keeps).
pub(crate) const SUGGESTED_COHOSTS: u32 = 6;

/// Text (or anything else) sent while a draft is open.
pub async fn receive_draft_text(
    bot: TgBot,
    msg: Message,
    me: Me,
    dialogue: BotDialogue,
    mut d: Draft,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let Some(user) = msg.from.as_ref() else {
        return Ok(());
    };
    if user.id.0 != d.owner {
        return Ok(());
    }
    // In a group the owner may be chatting with others: only replies to their own panel are
    // answers.
    if !msg.chat.is_private() && !replies_to(&msg, &me, d.panel) {
        return Ok(());
    }
    let t = lang_of(Some(user));
    let Some(text) = msg.text() else {
        if d.step.is_text() {
            present(&bot, &dialogue, t, d, Some(t.send_text()), None).await?;
        }
        return Ok(());
    };
    if text.starts_with('/') {
        if msg.chat.is_private() {
            bot.send(msg.chat.id, t.unknown_command(), None).await?;
        }
        return Ok(());
    }
    match d.step {
        Step::Title => match Title::parse(text) {
            Ok(title) => {
                if let Some(s) = d.stream.as_mut() {
                    s.title = Some(title);
                }
                d.step = Step::WaitingRoom;
                present(&bot, &dialogue, t, d, None, None).await
            }
            Err(e) => present(&bot, &dialogue, t, d, Some(&t.invalid_input(&e)), None).await,
        },
        Step::Description => match Description::parse(text) {
            Ok(description) => {
                if let Some(s) = d.stream.as_mut() {
                    s.description = description;
                }
                d.step = Step::Cohosts;
                present(&bot, &dialogue, t, d, None, None).await
            }
            Err(e) => present(&bot, &dialogue, t, d, Some(&t.invalid_input(&e)), None).await,
        },
        Step::Cohosts => match Cohosts::parse(text) {
            Ok(cohosts) => {
                d.cohosts = Some(cohosts);
                create(&bot, &dialogue, &ctx, user, d, None).await
            }
            Err(e) => present(&bot, &dialogue, t, d, Some(&t.invalid_input(&e)), None).await,
        },
        Step::WaitingRoom | Step::StreamAccess => {
            present(&bot, &dialogue, t, d, Some(t.use_buttons()), None).await
        }
        Step::Creating if d.creation_interrupted() => {
            d.resume_after_interruption();
            present(&bot, &dialogue, t, d, Some(t.creation_interrupted()), None).await
        }
        Step::Creating => {
            bot.send(msg.chat.id, t.still_creating(), None).await?;
            Ok(())
        }
    }
}

/// Whether `msg` is a reply to the bot's message `to`.
pub fn replies_to(msg: &Message, me: &Me, to: Option<i32>) -> bool {
    msg.reply_to_message()
        .is_some_and(|r| r.from.as_ref().is_some_and(|f| f.id == me.id) && Some(r.id.0) == to)
}

/// A button press on any message in a chat with a dialogue (or none).
pub async fn on_callback(
    bot: TgBot,
    q: CallbackQuery,
    dialogue: BotDialogue,
    state: State,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(Some(&q.from));
    let notice = |text: &'static str| bot.answer(&q, Some(text));
    if state == State::Unavailable {
        return Ok(notice(t.internal_error()).await?);
    }
    let cb = q.data.as_deref().and_then(Callback::parse);
    match cb {
        Some(Callback::Setting(setting)) => {
            return super::settings::on_press(&bot, &q, setting, &ctx).await;
        }
        Some(Callback::Manage { conference, action }) => {
            return super::manage::on_press(&bot, &q, &dialogue, &conference, action, &ctx).await;
        }
        _ => {}
    }
    if let (Some(Callback::Cancel), State::Managing { prompt, .. }) = (&cb, &state)
        && q.message.as_ref().map(|m| m.id().0) == *prompt
    {
        bot.answer(&q, None).await?;
        dialogue.exit().await?;
        if let Some(m) = q.message.as_ref() {
            let cancelled = t.cancelled().to_owned();
            let none = InlineKeyboardMarkup::default();
            show(&bot, dialogue.chat_id(), Some(m.id()), cancelled, none).await?;
        }
        return Ok(());
    }
    let pressed_on = q.message.as_ref().map(|m| m.id());
    let (Some(cb), State::Draft(mut d)) = (cb, state) else {
        return Ok(notice(not_yours_or_stale(t, &dialogue, pressed_on).await?).await?);
    };
    if d.panel.map(MessageId) != pressed_on || pressed_on.is_none() {
        return Ok(notice(not_yours_or_stale(t, &dialogue, pressed_on).await?).await?);
    }
    if d.creation_interrupted() {
        bot.answer(&q, None).await?;
        d.resume_after_interruption();
        return present(
            &bot,
            &dialogue,
            t,
            d,
            Some(t.creation_interrupted()),
            pressed_on,
        )
        .await;
    }
    if d.step == Step::Creating {
        return Ok(notice(t.still_creating()).await?);
    }
    let step_matches = match cb {
        Callback::WaitingRoom(_) => d.step == Step::WaitingRoom,
        Callback::StreamAccess(_) => d.step == Step::StreamAccess,
        Callback::Skip => matches!(d.step, Step::Description | Step::Cohosts),
        Callback::Create => d.step != Step::Title,
        Callback::Cancel => true,
        Callback::Cohost(_) => d.step == Step::Cohosts,
        Callback::Setting(_) | Callback::Manage { .. } => false,
    };
    if !step_matches {
        return Ok(notice(t.stale_button()).await?);
    }
    // The press is answered (the user's spinner stops) while the step goes ahead: the link does
    // not wait for the answer's round trip. A failed answer costs only the spinner.
    let pressed = q.from.clone();
    let answer_bot = Arc::clone(&bot);
    let act = async move {
        match cb {
            Callback::Cancel => {
                dialogue.exit().await?;
                show(
                    &bot,
                    dialogue.chat_id(),
                    pressed_on,
                    t.cancelled().to_owned(),
                    InlineKeyboardMarkup::default(),
                )
                .await?;
                Ok(())
            }
            Callback::Create => create(&bot, &dialogue, &ctx, &pressed, d, pressed_on).await,
            Callback::Skip if d.step == Step::Cohosts => {
                d.cohosts = None;
                create(&bot, &dialogue, &ctx, &pressed, d, pressed_on).await
            }
            Callback::WaitingRoom(level) => {
                d.waiting_room = level;
                advance(&bot, &dialogue, t, d, pressed_on).await
            }
            Callback::StreamAccess(access) => {
                if let Some(s) = d.stream.as_mut() {
                    s.access = access;
                }
                advance(&bot, &dialogue, t, d, pressed_on).await
            }
            Callback::Skip => advance(&bot, &dialogue, t, d, pressed_on).await,
            Callback::Cohost(id) => {
                toggle_cohost(&mut d, id);
                present(&bot, &dialogue, t, d, None, pressed_on).await
            }
            Callback::Setting(_) | Callback::Manage { .. } => Ok(()),
        }
    };
    let (answered, acted) = tokio::join!(answer_bot.answer(&q, None), act);
    if let Err(e) = answered {
        tracing::warn!(error = %super::redacted(&e), "could not answer a button press");
    }
    acted
}

/// The notice for a press on a message that is not the presser's panel: another member's open
/// dialogue, or a finished one.
async fn not_yours_or_stale(
    t: &'static dyn Texts,
    dialogue: &BotDialogue,
    pressed_on: Option<MessageId>,
) -> Result<&'static str, super::HandlerError> {
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
    t: &dyn Texts,
    mut d: Draft,
    panel: Option<MessageId>,
) -> HandlerResult {
    if let Some(next) = d.next_step() {
        d.step = next;
    }
    present(bot, dialogue, t, d, None, panel).await
}

/// Creates the meeting from the draft and shows the links, or the reason it failed with the
/// draft kept so the user can fix it and try again.
async fn create(
    bot: &TgBot,
    dialogue: &BotDialogue,
    ctx: &Ctx,
    user: &User,
    mut d: Draft,
    panel: Option<MessageId>,
) -> HandlerResult {
    let t = lang_of(Some(user));
    let chat = dialogue.chat_id();
    let Some(request) = d.request() else {
        return present(bot, dialogue, t, d, None, panel).await;
    };
    // Checked again: an admin may have turned "only admins" on since /meet, or the member may
    // no longer be an admin.
    if !may_create(bot, chat, user, &ctx.db.settings(chat.0).await?).await? {
        dialogue.exit().await?;
        let none = InlineKeyboardMarkup::default();
        show(bot, chat, panel, t.admins_only().to_owned(), none).await?;
        return Ok(());
    }
    let Some((owner, token)) = ctx.token_for(chat, user).await? else {
        let note = t.no_token(!chat.is_user());
        return present(bot, dialogue, t, d, Some(note), panel).await;
    };

    let resume_at = d.step;
    d.step = Step::Creating;
    d.creating_since = Some(crate::storage::unix_now());
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
                Err(e) => tracing::warn!(error = %super::redacted(&e), "could not show progress"),
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
            dialogue.update(State::Draft(d)).await?;
            return Err(e.into());
        }
    };
    d.creating_since = None;
    match created {
        Ok(conference) => {
            // The links first: the meeting exists whatever happens to our bookkeeping.
            let topic = d.topic.as_ref().map(Topic::as_str);
            let text = super::created_text(t, &request, &conference, topic);
            let keyboard = super::manage::result_keyboard(t, &conference, topic);
            let shown = show(bot, chat, panel, text, keyboard).await;
            let recorded = ctx
                .record_meeting(chat, user, owner, &request, &conference, topic)
                .await;
            if !recorded && let Err(e) = bot.send(chat, t.record_failed(), None).await {
                tracing::warn!(error = %super::redacted(&e), "could not say a meeting went unrecorded");
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
            present(bot, dialogue, t, d, Some(&t.telemost_error(&e)), panel).await
        }
    }
}

/// The next message after a lone /token in a private chat.
pub async fn receive_token(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    (group, until): (Option<i64>, Option<i64>),
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let t = lang_of(msg.from.as_ref());
    if group.is_some() && !super::groups::still_valid(until) {
        // The /connect link's time is up: this message is not the group's token.
        dialogue.exit().await?;
        bot.send(msg.chat.id, t.connect_code_expired(), None)
            .await?;
        return Ok(());
    }
    match msg.text() {
        Some(text) if text.starts_with('/') => {
            bot.send(msg.chat.id, t.unknown_command(), None).await?;
            Ok(())
        }
        Some(text) => {
            if super::commands::save_token(&bot, &msg, &ctx, text, group).await? {
                dialogue.exit().await?;
            }
            Ok(())
        }
        None => {
            bot.send(msg.chat.id, t.token_prompt(), None).await?;
            Ok(())
        }
    }
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
    fn meeting_steps() {
        let mut d = Draft::meeting(1);
        assert_eq!(d.step, Step::WaitingRoom);
        d.step = d.next_step().unwrap();
        assert_eq!(d.step, Step::Cohosts);
        assert_eq!(d.next_step(), None);
    }

    #[test]
    fn stream_steps_and_request() {
        let mut d = Draft::stream(1, None);
        assert_eq!(d.step, Step::Title);
        assert!(d.request().is_none(), "no request without a title");
        let mut order = vec![d.step];
        while let Some(next) = d.next_step() {
            d.step = next;
            order.push(next);
        }
        assert_eq!(
            order,
            [
                Step::Title,
                Step::WaitingRoom,
                Step::StreamAccess,
                Step::Description,
                Step::Cohosts
            ]
        );
        let d = Draft::stream(1, Some(Title::parse("T").unwrap()));
        assert_eq!(d.step, Step::WaitingRoom);
        assert_eq!(
            serde_json::to_value(d.request().unwrap()).unwrap(),
            serde_json::json!({"waiting_room_level":"PUBLIC","live_stream":{"access_level":"PUBLIC","title":"T"}})
        );
    }

    #[test]
    fn state_round_trips_through_json() {
        let mut d = Draft::stream(7, Some(Title::parse("Заголовок").unwrap()));
        d.cohosts = Some(Cohosts::parse("a@b.ru").unwrap());
        d.panel = Some(42);
        for state in [
            State::Idle,
            State::AwaitingToken {
                group: None,
                until: None,
            },
            State::AwaitingToken {
                group: Some(-100),
                until: Some(1_900_000_000),
            },
            State::Draft(d),
        ] {
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(serde_json::from_str::<State>(&json).unwrap(), state);
        }
    }

    #[test]
    fn states_written_by_the_first_version_still_load() {
        let old: State = serde_json::from_str(r#"{"kind":"awaiting_token"}"#).unwrap();
        assert_eq!(
            old,
            State::AwaitingToken {
                group: None,
                until: None
            }
        );
    }

    #[test]
    fn panel_fits_telegram_even_at_the_limits() {
        let mut d = Draft::stream(1, Some(Title::parse(&"я".repeat(1024)).unwrap()));
        if let Some(s) = d.stream.as_mut() {
            s.description = Description::parse(&"😀".repeat(2048)).unwrap();
        }
        let many: Vec<String> = (0..30)
            .map(|i| format!("{}{i}@example.com", "x".repeat(60)))
            .collect();
        d.cohosts = Some(Cohosts::parse(&many.join(",")).unwrap());
        for lang in [Lang::En, Lang::Ru] {
            let t = lang.texts();
            // The longest note: every token of a 4096-character message refused.
            let junk = vec!["<&>".repeat(20); 60].join(" ");
            let note = t.invalid_input(&crate::telemost::model::InvalidInput::BadEmails(
                junk.split(' ').map(str::to_owned).collect(),
            ));
            let (text, _) = panel(t, &d, Some(&note), true);
            assert!(
                text.encode_utf16().count() <= 4096,
                "{}",
                text.encode_utf16().count()
            );
            assert!(
                text.ends_with(t.ask_waiting_room()),
                "the question survives"
            );
            assert!(!text.contains("<&>"), "user text is escaped");
        }
    }

    #[test]
    fn user_text_is_escaped_in_the_panel() {
        let mut d = Draft::stream(1, Some(Title::parse("<b>Q&A</b> *_[]").unwrap()));
        d.cohosts = Some(Cohosts::parse("a&b@x.ru").unwrap());
        let (text, _) = panel(Lang::En.texts(), &d, None, false);
        assert!(text.contains("&lt;b&gt;Q&amp;A&lt;/b&gt; *_[]"), "{text}");
        assert!(text.contains("a&amp;b@x.ru"), "{text}");
        assert!(
            text.starts_with("<b>New Telemost live stream</b>"),
            "{text}"
        );
    }
}
