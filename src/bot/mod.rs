//! The Telegram side, composing the Telemost client and the database. This file is `schema()`:
//! every route an update can take, each command, button and dialogue step to the handler named
//! for it. The folder, layer by layer (the README's layer table, checked by `tests/layers.rs`):
//!
//! - `intake/`: an update's way in, from polling or the webhook to its handler and its done mark;
//! - `jobs/`: background work under a lease (logins, scheduled meetings' steps, pruning);
//! - the features, one file each (`dialogue` for /meet and /stream, `groups`, `login`,
//!   `manage`, `settings`, `history`, `upcoming`, `inline`, `lifecycle`, `commands`), none using
//!   another;
//! - the vocabulary they share: `meetings` (on whose behalf a token acts, creating),
//!   `schedule`, `tokens`, `perm`, `store`, `core`, `state`, `topic`;
//! - `speak/`: how the bot speaks (outbox, texts, panels, the buttons' wire format).

pub mod commands;
pub mod core;
pub mod dialogue;
mod findtime;
mod groups;
mod history;
mod inline;
pub mod intake;
pub mod jobs;
pub mod lifecycle;
mod login;
mod manage;
mod meetings;
mod perm;
pub mod planner;
mod schedule;
mod settings;
pub mod speak;
pub mod state;
mod store;
pub mod tokens;
pub mod topic;
mod upcoming;
mod vote;

use std::sync::Arc;

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::Me;

use commands::Command;
pub use core::{Ctx, HandlerError, HandlerResult, TgBot, lang_of, redacted};
use speak::callback::{Callback, Press, VoteAction};
use state::{CohostsPrompt, State, Step};
pub use store::BotDialogue;

/// The update kinds `schema` handles, which the bot asks Telegram for (the dispatcher derives
/// the same list from `schema` when it runs; `tests/cli.rs` checks the two agree).
pub const UPDATE_KINDS: [teloxide::types::AllowedUpdate; 5] = {
    use teloxide::types::AllowedUpdate::*;
    [
        Message,
        CallbackQuery,
        InlineQuery,
        ChosenInlineResult,
        MyChatMember,
    ]
};

/// How many connections Telegram may open to post updates at once.
pub use intake::MAX_CONNECTIONS;

/// The whole update handling: every route in one place. The intake runs it for each update.
pub fn schema() -> UpdateHandler<HandlerError> {
    use dptree::case;

    // Every command, each to its handler (see `command`). They work in any dialogue state; /meet
    // and /stream replace the sender's unfinished dialogue.
    let commands = teloxide::filter_command::<Command, _>().endpoint(command);

    let dialogues = dptree::entry()
        .chain(store::enter())
        .branch(commands)
        .branch(
            case![State::Unavailable].endpoint(|bot: TgBot, msg: Message| async move {
                let t = lang_of(msg.from.as_ref());
                bot.send(msg.chat.id, t.internal_error(), None).await?;
                Ok(())
            }),
        )
        .branch(case![State::AwaitingToken(prompt)].endpoint(commands::receive_token))
        .branch(
            // A draft's steps: the owner's answer (in a group, a reply to the panel) goes to the
            // step the panel is at. What others say meanwhile is not for the bot.
            case![State::Draft(d)]
                .branch(
                    dptree::filter(dialogue::answers_draft)
                        .branch(
                            dptree::filter_map(dialogue::Answer::typed)
                                .branch(at(Step::Title).endpoint(dialogue::receive_title))
                                .branch(
                                    at(Step::Description).endpoint(dialogue::receive_description),
                                )
                                .branch(at(Step::Cohosts).endpoint(dialogue::receive_cohosts))
                                .branch(at(Step::When).endpoint(dialogue::receive_when))
                                .branch(at(Step::Times).endpoint(dialogue::receive_times))
                                .branch(
                                    at(Step::Creating).endpoint(dialogue::receive_while_creating),
                                )
                                // The waiting room, who may watch: steps with buttons.
                                .endpoint(dialogue::use_the_buttons),
                        )
                        .endpoint(dialogue::not_an_answer),
                )
                .endpoint(|| async { Ok(()) }),
        )
        .branch(case![State::AwaitingZone(prompt)].endpoint(settings::receive_zone))
        .branch(case![State::Managing(prompt)].endpoint(manage::receive_cohosts))
        .endpoint(dialogue::idle_message);

    let messages = Update::filter_message()
        // A chat's life (see `lifecycle`): a group upgraded, members joining or leaving.
        .branch(
            dptree::filter_map(|m: Message| lifecycle::ChatChange::of(&m))
                .endpoint(lifecycle::on_change),
        )
        .branch(dialogues);

    let callbacks = Update::filter_callback_query()
        .branch(
            dptree::entry()
                .chain(store::enter())
                .branch(case![State::Unavailable].endpoint(
                    |bot: TgBot, q: CallbackQuery| async move {
                        let t = lang_of(Some(&q.from));
                        bot.answer(&q, Some(t.internal_error())).await;
                        Ok(())
                    },
                ))
                .branch(
                    // The button's data, parsed (see `callback`); data we never sent goes on to
                    // the stale notice below.
                    dptree::filter_map(|q: CallbackQuery| {
                        q.data.as_deref().and_then(Callback::parse)
                    })
                    // Panels' buttons first: most presses are theirs. (The cases exclude each
                    // other, so their order only saves trying the others.)
                    .branch(case![Callback::Draft(press)].endpoint(panel_press))
                    .branch(case![Callback::Setting(setting)].endpoint(settings::on_press))
                    .branch(
                        case![Callback::Manage { conference, action }].endpoint(manage::on_press),
                    )
                    .branch(
                        case![Callback::Calendar { schedule, start }]
                            .endpoint(upcoming::on_calendar),
                    )
                    .branch(case![Callback::Unschedule(id)].endpoint(upcoming::on_cancel))
                    .branch(
                        case![Callback::Vote { vote, action }]
                            .branch(
                                dptree::filter(|(_, a): (i64, VoteAction)| {
                                    matches!(a, VoteAction::Close | VoteAction::CancelListed)
                                })
                                .endpoint(upcoming::on_vote),
                            )
                            .endpoint(findtime::on_press),
                    ),
                )
                .endpoint(dialogue::stale_press),
        )
        // No chat to key a dialogue on (a button under an inline message), or the dialogue
        // could not be loaded: still answer, so the user's spinner stops.
        .endpoint(|bot: TgBot, q: CallbackQuery| async move {
            let t = lang_of(Some(&q.from));
            bot.answer(&q, Some(t.stale_button())).await;
            Ok(())
        });

    dptree::entry()
        // Button presses first: most updates are presses on a panel.
        .branch(callbacks)
        .branch(messages)
        // The bot removed or blocked (see `lifecycle`).
        .branch(Update::filter_my_chat_member().endpoint(lifecycle::on_my_membership))
        .branch(Update::filter_inline_query().endpoint(inline::on_query))
        .branch(Update::filter_chosen_inline_result().endpoint(inline::on_chosen))
}

/// A command, to its handler. One step that matches, rather than a branch a command: the
/// commands exclude each other, and each branch dptree tries costs a boxed future and a copy of
/// what the handlers are given (the message included). Each handler's future is boxed, as
/// dptree boxed an endpoint's: inline, every command's would be as large as the largest.
async fn command(
    bot: TgBot,
    msg: Message,
    me: Me,
    cmd: Command,
    dialogue: BotDialogue,
    state: State,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    use Command as C;
    match cmd {
        C::Meet(arg) => Box::pin(dialogue::on_meet(bot, msg, arg, dialogue, ctx)).await,
        C::Stream(arg) => Box::pin(dialogue::on_stream(bot, msg, arg, dialogue, ctx)).await,
        // `/start <code>` from a group's /connect; a bare /start is /help.
        C::Start(code) if msg.chat.is_private() && groups::looks_like_code(code.trim()) => {
            Box::pin(groups::redeem(bot, msg, dialogue, ctx, code)).await
        }
        C::Start(_) | C::Help => Box::pin(commands::help(bot, msg)).await,
        C::Token(arg) => Box::pin(commands::token(bot, msg, arg, dialogue, state, ctx)).await,
        C::Login => Box::pin(login::start(bot, msg, dialogue, state, ctx)).await,
        C::Connect => Box::pin(groups::connect(bot, msg, me, ctx)).await,
        C::Disconnect | C::Forget if !msg.chat.is_private() => {
            Box::pin(groups::disconnect(bot, msg, ctx)).await
        }
        C::Disconnect => Box::pin(commands::groups_only(bot, msg)).await,
        C::Forget => Box::pin(commands::forget(bot, msg, ctx)).await,
        C::History => Box::pin(history::show(bot, msg, ctx)).await,
        C::Upcoming => Box::pin(upcoming::show(bot, msg, ctx)).await,
        C::Findtime(arg) => Box::pin(findtime::on_findtime(bot, msg, arg, ctx)).await,
        C::Settings => Box::pin(settings::show(bot, msg, ctx)).await,
        C::Cancel => Box::pin(commands::cancel(bot, msg, dialogue, state, ctx)).await,
    }
}

/// A press on a panel's button, to the handler named for it: a draft's button when it answers
/// the step the panel is at (`dialogue::press_fits_step`), else `press_out_of_step`; Cancel on
/// a cohosts prompt (on the prompt itself; elsewhere it is another message's Cancel); anything
/// else is stale. One step that matches, as `command`.
async fn panel_press(
    bot: TgBot,
    q: CallbackQuery,
    dialogue: BotDialogue,
    state: State,
    press: Press,
    ctx: Arc<Ctx>,
    update: Update,
) -> HandlerResult {
    use self::dialogue as d;
    match state {
        State::Managing(prompt) if press == Press::Cancel && on_prompt(&q, &prompt) => {
            Box::pin(manage::on_prompt_cancel(bot, q, dialogue)).await
        }
        State::Draft(draft) if d::press_fits_step(&q, &draft, press) => match press {
            Press::Create => Box::pin(d::press_create(bot, q, dialogue, draft, ctx, update)).await,
            Press::WaitingRoom(level) => {
                Box::pin(d::choose_waiting_room(bot, q, dialogue, draft, level, ctx)).await
            }
            Press::StreamAccess(access) => {
                Box::pin(d::choose_stream_access(
                    bot, q, dialogue, draft, access, ctx,
                ))
                .await
            }
            Press::Cohost(id) => Box::pin(d::choose_cohost(bot, q, dialogue, draft, id, ctx)).await,
            Press::Skip => Box::pin(d::skip(bot, q, dialogue, draft, ctx, update)).await,
            Press::Later => Box::pin(d::ask_when(bot, q, dialogue, draft, ctx)).await,
            Press::FindTime => Box::pin(d::ask_times(bot, q, dialogue, draft, ctx)).await,
            Press::Cancel => Box::pin(d::cancel_draft(bot, q, dialogue)).await,
        },
        State::Draft(draft) => {
            Box::pin(d::press_out_of_step(bot, q, dialogue, draft, ctx, update)).await
        }
        _ => Box::pin(d::stale_press(bot, q, dialogue)).await,
    }
}

/// Whether `q` was pressed on the cohosts prompt `p`.
fn on_prompt(q: &CallbackQuery, p: &CohostsPrompt) -> bool {
    q.message.as_ref().map(|m| m.id().0) == p.prompt
}

/// The draft's answers at `step`.
fn at(step: Step) -> UpdateHandler<HandlerError> {
    dptree::filter(move |d: state::Draft| d.step == step)
}
