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

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;

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

    // Every command, each to its handler. They work in any dialogue state; /meet and /stream
    // replace the sender's unfinished dialogue.
    let commands = teloxide::filter_command::<Command, _>()
        .branch(
            case![Command::Start(code)]
                .filter(|code: String, msg: Message| {
                    msg.chat.is_private() && groups::looks_like_code(code.trim())
                })
                .endpoint(groups::redeem),
        )
        .branch(
            dptree::filter(|c: Command| matches!(c, Command::Start(_) | Command::Help))
                .endpoint(commands::help),
        )
        .branch(case![Command::Meet(arg)].endpoint(dialogue::on_meet))
        .branch(case![Command::Stream(arg)].endpoint(dialogue::on_stream))
        .branch(case![Command::Token(arg)].endpoint(commands::token))
        .branch(case![Command::Login].endpoint(login::start))
        .branch(case![Command::Connect].endpoint(groups::connect))
        .branch(
            dptree::filter(|c: Command, msg: Message| {
                matches!(c, Command::Disconnect | Command::Forget) && !msg.chat.is_private()
            })
            .endpoint(groups::disconnect),
        )
        .branch(case![Command::Disconnect].endpoint(commands::groups_only))
        .branch(case![Command::Forget].endpoint(commands::forget))
        .branch(case![Command::History].endpoint(history::show))
        .branch(case![Command::Upcoming].endpoint(upcoming::show))
        .branch(case![Command::Findtime(arg)].endpoint(findtime::on_findtime))
        .branch(case![Command::Settings].endpoint(settings::show))
        .branch(case![Command::Cancel].endpoint(commands::cancel));

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
            dptree::filter(|m: Message| lifecycle::is_migration(&m))
                .endpoint(lifecycle::on_migration),
        )
        .branch(
            dptree::filter(|m: Message| lifecycle::is_members_change(&m))
                .endpoint(lifecycle::on_members),
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
                    .branch(
                        case![Callback::Draft(press)]
                            .branch(
                                case![Press::Cancel]
                                    .chain(case![State::Managing(prompt)])
                                    // On the prompt itself; elsewhere it is another message's
                                    // Cancel.
                                    .filter(|q: CallbackQuery, p: CohostsPrompt| {
                                        q.message.as_ref().map(|m| m.id().0) == p.prompt
                                    })
                                    .endpoint(manage::on_prompt_cancel),
                            )
                            .branch(
                                // A draft's buttons, each to the handler named for it, when the
                                // press answers the step the panel is at.
                                case![State::Draft(d)]
                                    .branch(
                                        dptree::filter(dialogue::press_fits_step)
                                            // Create first: every meeting ends with it.
                                            .branch(
                                                case![Press::Create]
                                                    .endpoint(dialogue::press_create),
                                            )
                                            .branch(
                                                case![Press::WaitingRoom(level)]
                                                    .endpoint(dialogue::choose_waiting_room),
                                            )
                                            .branch(
                                                case![Press::StreamAccess(access)]
                                                    .endpoint(dialogue::choose_stream_access),
                                            )
                                            .branch(
                                                case![Press::Cohost(id)]
                                                    .endpoint(dialogue::choose_cohost),
                                            )
                                            .branch(case![Press::Skip].endpoint(dialogue::skip))
                                            .branch(
                                                case![Press::Later].endpoint(dialogue::ask_when),
                                            )
                                            .branch(
                                                case![Press::FindTime]
                                                    .endpoint(dialogue::ask_times),
                                            )
                                            .branch(
                                                case![Press::Cancel]
                                                    .endpoint(dialogue::cancel_draft),
                                            ),
                                    )
                                    .endpoint(dialogue::press_out_of_step),
                            ),
                    )
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

/// The draft's answers at `step`.
fn at(step: Step) -> UpdateHandler<HandlerError> {
    dptree::filter(move |d: state::Draft| d.step == step)
}
